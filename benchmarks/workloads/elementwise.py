"""Workload 2: elementwise JVP of ``g(x) = sin(x) exp(-x^2) + log1p(x^2)`` on float64 arrays.

The reference is the JVP written by hand in NumPy, sharing subexpressions the way a careful
programmer would: it returns the value and the directional derivative, like ``dd.jvp``.
"""

from __future__ import annotations

import numpy as np

from benchmarks import native
from benchmarks.harness import DUALDIFF, PEER, REFERENCE, Case, Entry
from benchmarks.peers import Systems
from benchmarks.workloads.rosenbrock import NUMEXPR

SIZES = (10**3, 10**5, 10**6)


def g(x, xp=np):
    return xp.sin(x) * xp.exp(-x**2) + xp.log1p(x**2)


def jvp_hand(x, v):
    x2 = x * x
    e = np.exp(-x2)
    s = np.sin(x)
    se = s * e
    y = se + np.log1p(x2)
    two_x = 2.0 * x
    dy = (np.cos(x) * e - two_x * se + two_x / (1.0 + x2)) * v
    return y, dy


def jvp_case(s: Systems, n: int) -> Case:
    rng = np.random.default_rng(n)
    x = rng.uniform(-2.0, 2.0, n)
    v = rng.standard_normal(n)
    entries = [Entry("numpy", "hand-written NumPy JVP", REFERENCE, lambda: jvp_hand(x, v))]
    if s.dd is not None:
        dd = s.dd
        entries.append(Entry("dd.jvp", "dualdiff: dd.jvp", DUALDIFF,
                             lambda: dd.jvp(g, (x,), (v,))))

        def make_jit():
            staged = dd.jit(lambda x, v: dd.jvp(g, (x,), (v,)))
            return lambda: staged(x, v)

        entries.append(Entry("dd.jit", "dualdiff: dd.jit(dd.jvp)", DUALDIFF, None,
                             make=make_jit))
        if NUMEXPR and n >= 10**5:  # (smaller arrays are never fused: fusion.MIN_SIZE)
            def make_numexpr():
                staged = dd.jit(lambda x, v: dd.jvp(g, (x,), (v,)), numexpr=True)
                return lambda: staged(x, v)

            entries.append(Entry("dd.jit numexpr", "dualdiff: dd.jit(dd.jvp, numexpr=True)",
                                 DUALDIFF, None, make=make_numexpr))
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp
        xj, vj = jnp.asarray(x), jnp.asarray(v)

        def jvp_jax(x, v):
            return jax.jvp(lambda x: g(x, jnp), (x,), (v,))

        jj = jax.jit(jvp_jax)
        entries += [
            Entry("jax", "jax.jvp (no jit)", PEER, lambda: jax.block_until_ready(jvp_jax(xj, vj))),
            Entry("jax.jit", "jax.jit(jax.jvp)", PEER, lambda: jax.block_until_ready(jj(xj, vj))),
        ]
    if s.autograd is not None:
        anp = s.anp
        make_jvp = s.autograd.make_jvp  # forward mode
        entries.append(Entry("autograd", "autograd.make_jvp (forward)", PEER,
                             lambda: make_jvp(lambda x: g(x, anp))(x)(v)))
    if s.torch is not None:
        torch = s.torch
        xt, vt = s.torch_tensor(x), s.torch_tensor(v)
        entries.append(Entry("torch", "torch.func.jvp", PEER,
                             lambda: torch.func.jvp(lambda x: g(x, torch), (xt,), (vt,))))
    entries += native.jvp_rows(s, g, x, v)
    return Case("jvp", n, f"{n:.0e}", entries, jvp_hand(x, v), rtol=1e-12)


def cases(s: Systems, quick: bool):
    for n in SIZES[:1] if quick else SIZES:
        yield "jvp", n, lambda n=n: jvp_case(s, n)
