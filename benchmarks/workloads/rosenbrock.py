"""Workload 4: gradient and Hessian-vector product of the n-dimensional Rosenbrock function

    f(x) = sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)

against the gradient and HVP written by hand in NumPy. ``f`` itself is timed in both tables
(the targets are ratios to it), and tracemalloc records the peak memory of one call of
dualdiff's ``grad`` and ``hvp``, of the hand-written HVP and of ``f``.
"""

from __future__ import annotations

import importlib.util
from functools import partial

import numpy as np

from benchmarks import native
from benchmarks.harness import BASELINE, DUALDIFF, PEER, REFERENCE, Case, Entry
from benchmarks.peers import Systems

SIZES = (10**3, 10**4, 10**5, 10**6)
#: dd.jit(..., numexpr=True) rows only where numexpr is installed (the "numexpr" extra)
NUMEXPR = importlib.util.find_spec("numexpr") is not None


def rosen(x, xp=np):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad_hand(x):
    xm, xp1 = x[:-1], x[1:]
    a = xp1 - xm * xm
    g = np.zeros_like(x)
    g[:-1] = -400.0 * xm * a - 2.0 * (1.0 - xm)
    g[1:] += 200.0 * a
    return g


def rosen_hvp_hand(x, v):
    xm, xp1 = x[:-1], x[1:]
    vm, vp1 = v[:-1], v[1:]
    hv = np.zeros_like(x)
    hv[:-1] = (1200.0 * xm * xm - 400.0 * xp1 + 2.0) * vm - 400.0 * xm * vp1
    hv[1:] += 200.0 * vp1 - 400.0 * xm * vm
    return hv


def problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2000 + n)
    return rng.uniform(-2.0, 2.0, n), rng.standard_normal(n)


def _f_entry(x) -> Entry:
    return Entry("f", "f itself (NumPy)", BASELINE, lambda: rosen(x), check=False, memory=True)


def grad_case(s: Systems, n: int) -> Case:
    x, _ = problem(n)
    entries = [
        Entry("numpy", "hand-written NumPy gradient", REFERENCE, lambda: rosen_grad_hand(x),
              memory=True),
        _f_entry(x),
    ]
    if s.dd is not None:
        entries.append(Entry("dd.grad", "dualdiff: dd.grad", DUALDIFF, None, memory=True,
                             make=lambda: partial(s.dd.grad(rosen), x)))
        entries.append(Entry("dd.jit", "dualdiff: dd.jit(dd.grad)", DUALDIFF, None,
                             memory=True, make=lambda: partial(s.dd.jit(s.dd.grad(rosen)), x)))
        if NUMEXPR:
            entries.append(Entry(
                "dd.jit numexpr", "dualdiff: dd.jit(dd.grad, numexpr=True)", DUALDIFF, None,
                memory=True, make=lambda: partial(s.dd.jit(s.dd.grad(rosen), numexpr=True), x)))
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp
        xj = jnp.asarray(x)
        g = jax.grad(lambda x: rosen(x, jnp))
        gj = jax.jit(g)
        entries += [
            Entry("jax", "jax.grad (no jit)", PEER, lambda: jax.block_until_ready(g(xj))),
            Entry("jax.jit", "jax.jit(jax.grad)", PEER, lambda: jax.block_until_ready(gj(xj))),
        ]
    if s.autograd is not None:
        anp = s.anp
        ga = s.autograd.grad(lambda x: rosen(x, anp))
        entries.append(Entry("autograd", "autograd.grad", PEER, lambda: ga(x)))
    if s.torch is not None:
        torch = s.torch
        xt = s.torch_tensor(x)
        gt = torch.func.grad(lambda x: rosen(x, torch))
        entries.append(Entry("torch", "torch.func.grad", PEER, lambda: gt(xt)))
    entries += native.gradient_rows(s, rosen, (x,))
    return Case("rosen-grad", n, f"{n:.0e}", entries, rosen_grad_hand(x), rtol=1e-12)


def hvp_case(s: Systems, n: int) -> Case:
    x, v = problem(n)
    entries = [
        Entry("numpy", "hand-written NumPy HVP", REFERENCE, lambda: rosen_hvp_hand(x, v),
              memory=True),
        _f_entry(x),
    ]
    if s.dd is not None:
        dd = s.dd
        entries.append(Entry("dd.hvp", "dualdiff: dd.hvp", DUALDIFF,
                             lambda: dd.hvp(rosen, x, v), memory=True))
        entries.append(Entry("dd.jit", "dualdiff: dd.jit(dd.hvp)", DUALDIFF, None,
                             memory=True, make=lambda: partial(
                                 dd.jit(lambda x, v: dd.hvp(rosen, x, v)), x, v)))
        if NUMEXPR:
            entries.append(Entry(
                "dd.jit numexpr", "dualdiff: dd.jit(dd.hvp, numexpr=True)", DUALDIFF, None,
                memory=True, make=lambda: partial(
                    dd.jit(lambda x, v: dd.hvp(rosen, x, v), numexpr=True), x, v)))
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp
        xj, vj = jnp.asarray(x), jnp.asarray(v)

        def hvp_jax(x, v):  # forward-over-reverse, as the JAX docs recommend
            return jax.jvp(jax.grad(lambda x: rosen(x, jnp)), (x,), (v,))[1]

        hj = jax.jit(hvp_jax)
        entries += [
            Entry("jax", "jax jvp(grad) (no jit)", PEER,
                  lambda: jax.block_until_ready(hvp_jax(xj, vj))),
            Entry("jax.jit", "jax.jit(jvp(grad))", PEER,
                  lambda: jax.block_until_ready(hj(xj, vj))),
        ]
    if s.autograd is not None:
        anp = s.anp
        ha = s.autograd.hessian_vector_product(lambda x: rosen(x, anp))
        entries.append(Entry("autograd", "autograd.hessian_vector_product", PEER,
                             lambda: ha(x, v)))
    if s.torch is not None:
        torch = s.torch
        xt, vt = s.torch_tensor(x), s.torch_tensor(v)
        gt = torch.func.grad(lambda x: rosen(x, torch))
        entries.append(Entry("torch", "torch.func jvp(grad)", PEER,
                             lambda: torch.func.jvp(gt, (xt,), (vt,))[1]))
    entries += native.hvp_rows(s, rosen, x, v)
    return Case("rosen-hvp", n, f"{n:.0e}", entries, rosen_hvp_hand(x, v), rtol=1e-12)


def cases(s: Systems, quick: bool):
    for n in SIZES[:1] if quick else SIZES:
        yield "rosen-grad", n, lambda n=n: grad_case(s, n)
        yield "rosen-hvp", n, lambda n=n: hvp_case(s, n)
