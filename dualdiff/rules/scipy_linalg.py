"""Rules for ``scipy.linalg``: the matrix exponential.

This module imports SciPy, so nothing imports it at ``import dualdiff``:
:mod:`dualdiff.scipy_hook` loads it the first time ``scipy.linalg`` is imported, and importing
it runs :func:`install`, which routes ``scipy.linalg.expm`` to :func:`expm` when an argument
is a Dual, a tape value or a staging tracer.

``expm`` is a primitive (SciPy's Padé approximant with scaling and squaring): a composite of
matrix products, such as a truncated series, would be both slower and less accurate.  Its
derivative along ``E`` is the Fréchet derivative

    L(A, E) = ∫₀¹ exp(sA) E exp((1-s)A) ds,

the upper-right block of ``exp([[A, E], [0, A]])`` (Higham, *Functions of Matrices*, 2008,
Theorem 3.6 and eq. (10.15)): one exponential of a matrix of twice the size, which is the
same primitive, so the rule nests to any order.  Its transpose (JAX's pairing
``<G, L(A, E)> = <L(Aᵀ, G), E>``, without conjugation) is the Fréchet derivative at ``Aᵀ``.
Stacks of matrices ``(..., n, n)`` are exponentiated matrix by matrix, as SciPy does.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..core import peek, shape
from ..primitive import Custom
from ..registry import FUNCTIONS, register
from ..scipy_hook import once, replace_everywhere, routed
from ..typing import ArrayLike, Value
from .contractions import real_adjoint
from .linalg import _mT
from .structure import broadcast_to, concatenate, getitem_p

__all__ = ["expm", "expm_p"]


def _frechet(a, e):
    """``L(a, e)``: the upper-right ``n x n`` block of ``expm([[a, e], [0, a]])`` (``e`` may
    carry leading batch axes that ``a`` does not)."""
    n = shape(a)[-1]
    if shape(a) != shape(e):
        a = broadcast_to(a, shape(e))
    zero = np.zeros(shape(e), dtype=np.result_type(peek(a), peek(e)))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)],
                        axis=-2)
    return getitem_p(expm_p(block), index=(Ellipsis, slice(None, n), slice(n, None)))


def _jvp(primals, tangents, out, batch):
    return _frechet(primals[0], tangents[0])


def _vjp(out_bar, primals, out, wants):
    a = primals[0]
    return [real_adjoint(_frechet(_mT(a), out_bar), a)]


def _expm_impl(a):
    return sla.expm(a)


expm_p = register(Custom("scipy.linalg.expm", _expm_impl, _jvp, _vjp))
expm_p.complex = True


def expm(A: ArrayLike) -> Value:
    """``scipy.linalg.expm`` on Duals, tape values and staged arrays: the matrix exponential
    of a square matrix or a stack of them (see the module docstring for its derivative)."""
    s = shape(A)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"expm expects a square matrix (or a stack of them), got shape {s}")
    if np.result_type(peek(A)).kind in "biu":
        A = A * 1.0  # (SciPy computes integer matrices in float64)
    return expm_p(A)


@once
def install():
    """Route ``scipy.linalg.expm`` (idempotent)."""
    original = getattr(sla.expm, "__dualdiff_original__", sla.expm)
    FUNCTIONS[original] = expm
    replace_everywhere({original: routed(original, expm, "scipy.linalg.expm")})


install()
