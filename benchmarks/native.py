"""Rows for the NumPy-native peers: code written with plain ``np.*``, as for dualdiff.

A workload calls these with its plain-NumPy function and gets one :class:`Entry` per peer
that is loaded and can do the job (see :mod:`benchmarks.peers`): ``autograd.np``
(autograd >= 1.9 tracing plain ``np.*``), ``advect`` and ``advect.stage`` (its staged
program, traced once on the benchmark's arguments, then called), and ``mygrad`` for
gradients (reverse mode only: no JVP, HVP or Jacobian rows). A staged program is made
lazily (``Entry.make``), so a signature advect cannot stage fails that row alone.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from benchmarks.harness import PEER, Entry
from benchmarks.peers import Systems


def _advect_rows(s: Systems, what: str, fn, args) -> list[Entry]:
    """advect's direct call and its staged program, both on ``args``."""
    ad = s.advect
    return [
        Entry("advect", f"advect.{what}", PEER, lambda: fn(*args)),
        Entry("advect.stage", f"advect.stage(advect.{what})", PEER, None,
              make=lambda: partial(ad.stage(fn, *args), *args)),
    ]


def _mygrad_gradient(mg, f, args, argnums):
    tensors = [mg.tensor(a) for a in args]
    f(*tensors).backward()
    if isinstance(argnums, int):
        return np.asarray(tensors[argnums].grad)
    return tuple(np.asarray(tensors[i].grad) for i in argnums)


def gradient_rows(s: Systems, f, args: tuple, argnums: int | tuple[int, ...] = 0) -> list[Entry]:
    """The gradient of scalar ``f(*args)`` with respect to ``args[argnums]``."""
    rows = []
    if s.autograd is not None and s.autograd_plain:
        g = s.autograd.grad(f, argnums)
        rows.append(Entry("autograd.np", "autograd.grad on plain np.*", PEER, lambda: g(*args)))
    if s.advect is not None:
        rows += _advect_rows(s, "grad", s.advect.grad(f, argnums=argnums), args)
    if s.mygrad is not None:
        rows.append(Entry("mygrad", "mygrad backward (reverse only)", PEER,
                          lambda: _mygrad_gradient(s.mygrad, f, args, argnums)))
    return rows


def jvp_rows(s: Systems, f, x, v) -> list[Entry]:
    """``(f(x), J v)`` for array ``x`` along ``v``."""
    rows = []
    if s.autograd is not None and s.autograd_plain:
        make_jvp = s.autograd.make_jvp
        rows.append(Entry("autograd.np", "autograd.make_jvp on plain np.*", PEER,
                          lambda: make_jvp(f)(x)(v)))
    if s.advect is not None:
        jvp = s.advect.jvp(f)
        rows += _advect_rows(s, "jvp", lambda x, v: jvp(x, tangents=v), (x, v))
    return rows


def hvp_rows(s: Systems, f, x, v) -> list[Entry]:
    """The Hessian-vector product of scalar ``f`` at ``x`` with ``v``."""
    rows = []
    if s.autograd is not None and s.autograd_plain:
        h = s.autograd.hessian_vector_product(f)
        rows.append(Entry("autograd.np", "autograd.hessian_vector_product on plain np.*", PEER,
                          lambda: h(x, v)))
    if s.advect is not None:
        hvp = s.advect.hvp(f)
        rows += _advect_rows(s, "hvp", lambda x, v: hvp(x, vectors=v)[1], (x, v))
    return rows


def jacobian_rows(s: Systems, f, x) -> list[Entry]:
    """The dense Jacobian of ``f`` at ``x``."""
    rows = []
    if s.autograd is not None and s.autograd_plain:
        j = s.autograd.jacobian(f)
        rows.append(Entry("autograd.np", "autograd.jacobian on plain np.*", PEER, lambda: j(x)))
    if s.advect is not None:
        rows += _advect_rows(s, "jacobian", s.advect.jacobian(f), (x,))
    return rows


def newton_pairs(s: Systems, f) -> dict[str, tuple[str, object, object]]:
    """``key -> (label, gradient, hessp)`` for a SciPy Newton-CG solve of scalar ``f``."""
    pairs = {}
    if s.autograd is not None and s.autograd_plain:
        pairs["autograd.np"] = ("autograd grad + hessian_vector_product on plain np.*",
                                s.autograd.grad(f), s.autograd.hessian_vector_product(f))
    if s.advect is not None:
        hvp = s.advect.hvp(f)
        pairs["advect"] = ("advect grad + hvp", s.advect.grad(f),
                           lambda x, p: hvp(x, vectors=p)[1])
    return pairs
