"""Workload 1: scalar Python code, where per-operation overhead is everything.

* the gradient of ``f(x1, x2) = ln x1 + x1*x2 - sin x2`` at (2, 5): dualdiff with two
  ``dd.jvp`` passes, against the hand-written derivative (the reference) and a bare
  ``__slots__`` dual class written here (the yardstick of the issue's "<= 3x" target);
* the derivative through ``n`` steps of the logistic map ``l <- 4 l (1 - l)``.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks import native
from benchmarks.harness import BASELINE, DUALDIFF, PEER, REFERENCE, Case, Entry
from benchmarks.peers import Systems

X1, X2 = 2.0, 5.0
L0 = 0.3
LOGISTIC_STEPS = (10, 100, 1000)


class BareDual:
    """The smallest forward-mode dual number that runs ``f`` and the logistic map."""

    __slots__ = ("p", "t")

    def __init__(self, p, t):
        self.p = p
        self.t = t

    def __add__(self, o):
        if isinstance(o, BareDual):
            return BareDual(self.p + o.p, self.t + o.t)
        return BareDual(self.p + o, self.t)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, BareDual):
            return BareDual(self.p - o.p, self.t - o.t)
        return BareDual(self.p - o, self.t)

    def __rsub__(self, o):
        return BareDual(o - self.p, -self.t)

    def __mul__(self, o):
        if isinstance(o, BareDual):
            return BareDual(self.p * o.p, self.t * o.p + self.p * o.t)
        return BareDual(self.p * o, self.t * o)

    __rmul__ = __mul__


def bare_log(d):
    return BareDual(math.log(d.p), d.t / d.p)


def bare_sin(d):
    return BareDual(math.sin(d.p), d.t * math.cos(d.p))


def f_bare(x1, x2):
    return bare_log(x1) + x1 * x2 - bare_sin(x2)


def grad_bare(x1, x2):
    return (f_bare(BareDual(x1, 1.0), BareDual(x2, 0.0)).t,
            f_bare(BareDual(x1, 0.0), BareDual(x2, 1.0)).t)


def f_np(x1, x2):
    """The scalar function in plain NumPy, for the NumPy-native peers."""
    return np.log(x1) + x1 * x2 - np.sin(x2)


def grad_hand(x1, x2):
    return (1.0 / x1 + x2, x1 - math.cos(x2))


def logistic(l, n):
    for _ in range(n):
        l = 4.0 * l * (1.0 - l)
    return l


def logistic_derivative_hand(l, n):
    d = 1.0
    for _ in range(n):
        d = d * (4.0 - 8.0 * l)
        l = 4.0 * l * (1.0 - l)
    return d


def scalar_grad_case(s: Systems) -> Case:
    entries = [
        Entry("hand", "hand-written derivative (math)", REFERENCE, lambda: grad_hand(X1, X2)),
        Entry("bare", "bare __slots__ dual, 2 passes", BASELINE, lambda: grad_bare(X1, X2)),
    ]
    if s.dd is not None:
        dd = s.dd

        def f_dd(x1, x2):
            return dd.log(x1) + x1 * x2 - dd.sin(x2)

        def grad_dd():
            return (dd.jvp(f_dd, (X1, X2), (1.0, 0.0))[1],
                    dd.jvp(f_dd, (X1, X2), (0.0, 1.0))[1])

        def f_vec(x):
            return dd.log(x[0]) + x[0] * x[1] - dd.sin(x[1])

        xv = np.array([X1, X2])
        def make_tape():
            g_tape = dd.grad(f_vec)
            return lambda: tuple(g_tape(xv))

        def make_jit():
            staged = dd.jit(lambda x1, x2: (dd.jvp(f_dd, (x1, x2), (1.0, 0.0))[1],
                                            dd.jvp(f_dd, (x1, x2), (0.0, 1.0))[1]))
            return lambda: staged(X1, X2)

        entries += [
            Entry("dd.jit", "dualdiff: dd.jit(2 x dd.jvp)", DUALDIFF, None, make=make_jit),
            Entry("dd.jvp", "dualdiff: 2 x dd.jvp", DUALDIFF, grad_dd),
            Entry("dd.grad", "dualdiff: dd.grad (tape, 2-vector)", DUALDIFF, None,
                  make=make_tape),
        ]

        def make_argnums():
            # the JAX-style call: two scalar arguments (the drivers' pytree/argnums path)
            g_args = dd.grad(f_dd, argnums=(0, 1))
            return lambda: g_args(X1, X2)

        entries.append(Entry("dd.grad argnums", "dualdiff: dd.grad(argnums=(0, 1)) (tape)",
                             DUALDIFF, None, make=make_argnums))
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp

        def f_jax(x1, x2):
            return jnp.log(x1) + x1 * x2 - jnp.sin(x2)

        g = jax.grad(f_jax, argnums=(0, 1))
        gj = jax.jit(g)
        entries += [
            Entry("jax", "jax.grad (no jit)", PEER,
                  lambda: jax.block_until_ready(g(X1, X2))),
            Entry("jax.jit", "jax.jit(jax.grad)", PEER,
                  lambda: jax.block_until_ready(gj(X1, X2))),
        ]
    if s.autograd is not None:
        anp = s.anp

        def f_ag(x1, x2):
            return anp.log(x1) + x1 * x2 - anp.sin(x2)

        ga = s.autograd.grad(f_ag, (0, 1))
        entries.append(Entry("autograd", "autograd.grad", PEER, lambda: ga(X1, X2)))
    if s.torch is not None:
        torch = s.torch

        def f_t(x1, x2):
            return torch.log(x1) + x1 * x2 - torch.sin(x2)

        gt = torch.func.grad(f_t, argnums=(0, 1))
        t1 = torch.tensor(X1, dtype=torch.float64)
        t2 = torch.tensor(X2, dtype=torch.float64)
        entries.append(Entry("torch", "torch.func.grad", PEER, lambda: gt(t1, t2)))
    entries += native.gradient_rows(s, f_np, (X1, X2), (0, 1))
    return Case("scalar-grad", 2, "(2, 5)", entries, grad_hand(X1, X2), rtol=1e-13)


def logistic_case(s: Systems, n: int) -> Case:
    entries = [
        Entry("hand", "hand-written derivative loop", REFERENCE,
              lambda: logistic_derivative_hand(L0, n)),
        Entry("bare", "bare __slots__ dual", BASELINE,
              lambda: logistic(BareDual(L0, 1.0), n).t),
    ]
    if s.dd is not None:
        def make_d():
            d = s.dd.derivative(lambda l: logistic(l, n))
            return lambda: d(L0)

        entries.append(Entry("dd.derivative", "dualdiff: dd.derivative", DUALDIFF, None,
                             make=make_d))

        def make_jit():
            staged = s.dd.jit(s.dd.derivative(lambda l: logistic(l, n)))
            return lambda: staged(L0)

        entries.append(Entry("dd.jit", "dualdiff: dd.jit(dd.derivative)", DUALDIFF, None,
                             make=make_jit))
    if s.jax is not None:
        jax = s.jax
        g = jax.grad(lambda l: logistic(l, n))
        gj = jax.jit(g)
        entries += [
            Entry("jax", "jax.grad (no jit)", PEER, lambda: jax.block_until_ready(g(L0))),
            Entry("jax.jit", "jax.jit(jax.grad)", PEER, lambda: jax.block_until_ready(gj(L0))),
        ]
    if s.autograd is not None:
        ga = s.autograd.grad(lambda l: logistic(l, n))
        entries.append(Entry("autograd", "autograd.grad", PEER, lambda: ga(L0)))
    if s.torch is not None:
        torch = s.torch
        gt = torch.func.grad(lambda l: logistic(l, n))
        t0 = torch.tensor(L0, dtype=torch.float64)
        entries.append(Entry("torch", "torch.func.grad", PEER, lambda: gt(t0)))
    # plain arithmetic: autograd's existing row is already "plain" code
    entries += [e for e in native.gradient_rows(s, lambda l: logistic(l, n), (L0,))
                if e.key != "autograd.np"]
    # The map is chaotic (the derivative reaches 1e300 at 1000 steps) and each system rounds
    # the product rule its own way, so agreement is to about 1e-12 per step, not to 1 ulp.
    return Case("logistic", n, f"{n} steps", entries, logistic_derivative_hand(L0, n), rtol=1e-8)


def cases(s: Systems, quick: bool):
    """(task, size, builder) for every case of this workload, built lazily."""
    yield "scalar-grad", 2, lambda: scalar_grad_case(s)
    for n in LOGISTIC_STEPS[:1] if quick else LOGISTIC_STEPS:
        yield "logistic", n, lambda n=n: logistic_case(s, n)
