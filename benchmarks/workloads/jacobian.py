"""Workload 3: the dense Jacobian of ``h(x) = tanh(A x) + x^2``, A an n x n matrix.

The reference is forward mode written by hand in NumPy with all n unit directions pushed
through as one batch: ``dY = A @ I``, then the chain rule on the whole batch. That is what
a batched dual-number Jacobian does, so it is the practical limit for dualdiff. (A person
who knows ``A @ I == A`` would skip the matmul: that closed form is shown too, as a
yardstick, but the targets are ratios to the batched reference, as the issue says.)
"""

from __future__ import annotations

from functools import partial

import numpy as np

from benchmarks import native
from benchmarks.harness import BASELINE, DUALDIFF, PEER, REFERENCE, Case, Entry
from benchmarks.peers import Systems

SIZES = (50, 200, 800)


def make_problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1000 + n)
    return rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)


def jacobian_hand_batched(A, x):
    n = x.shape[0]
    eye = np.eye(n)
    dY = A @ eye  # the n directions as one batch, column j = A e_j
    t = np.tanh(A @ x)
    return (1.0 - t * t)[:, None] * dY + (2.0 * x)[:, None] * eye


def jacobian_closed_form(A, x):
    t = np.tanh(A @ x)
    J = (1.0 - t * t)[:, None] * A
    J[np.diag_indices_from(J)] += 2.0 * x
    return J


def jacobian_case(s: Systems, n: int) -> Case:
    A, x = make_problem(n)
    entries = [
        Entry("numpy", "hand-written NumPy, batch A @ I", REFERENCE,
              lambda: jacobian_hand_batched(A, x)),
        Entry("numpy.closed", "NumPy closed form (1-t^2) A + diag", BASELINE,
              lambda: jacobian_closed_form(A, x)),
    ]

    def h(x, xp=np, A=A):
        return xp.tanh(A @ x) + x**2

    if s.dd is not None:
        dd = s.dd

        def jvp_loop():
            eye = np.eye(n)
            return np.stack([dd.jvp(h, (x,), (eye[j],))[1] for j in range(n)], axis=1)

        entries += [
            Entry("dd.jacobian", "dualdiff: dd.jacobian (default chunks)", DUALDIFF, None,
                  make=lambda: partial(dd.jacobian(h), x)),
            Entry("dd.jacobian.chunk1", "dualdiff: dd.jacobian(chunk_size=1)", DUALDIFF, None,
                  make=lambda: partial(dd.jacobian(h, chunk_size=1), x)),
            Entry("dd.jvp.loop", "dualdiff: loop of n dd.jvp columns", DUALDIFF, jvp_loop),
            Entry("dd.jit", "dualdiff: dd.jit(dd.jacobian)", DUALDIFF, None,
                  make=lambda: partial(dd.jit(dd.jacobian(h)), x)),
        ]
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp
        Aj, xj = jnp.asarray(A), jnp.asarray(x)
        jf = jax.jacfwd(lambda x: h(x, jnp, Aj))
        jfj = jax.jit(jf)
        entries += [
            Entry("jax", "jax.jacfwd (no jit)", PEER, lambda: jax.block_until_ready(jf(xj))),
            Entry("jax.jit", "jax.jit(jax.jacfwd)", PEER, lambda: jax.block_until_ready(jfj(xj))),
        ]
    if s.autograd is not None:
        anp = s.anp
        ja = s.autograd.jacobian(lambda x: h(x, anp))
        entries.append(Entry("autograd", "autograd.jacobian (reverse, rows)", PEER,
                             lambda: ja(x)))
    if s.torch is not None:
        torch = s.torch
        At, xt = s.torch_tensor(A), s.torch_tensor(x)
        jt = torch.func.jacfwd(lambda x: h(x, torch, At))
        entries.append(Entry("torch", "torch.func.jacfwd", PEER, lambda: jt(xt)))
    entries += native.jacobian_rows(s, h, x)
    return Case("jacobian", n, str(n), entries, jacobian_hand_batched(A, x), rtol=1e-12)


def cases(s: Systems, quick: bool):
    for n in SIZES[:1] if quick else SIZES:
        yield "jacobian", n, lambda n=n: jacobian_case(s, n)
