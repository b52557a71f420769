"""Dispatch shared by forward and reverse mode.

Every derivative-carrying value is a *wrapper* (a :class:`~dualdiff.dual.Dual` or a tape
:class:`~dualdiff.tape.Var`) with an integer ``level``.  Each driver call (``jvp``, ``grad``, ...)
takes a fresh, larger level, so when wrappers of several levels meet in one primitive the one
with the highest level is the innermost driver's: it is unwrapped first and every other
argument is a constant to it.  That is what keeps nested derivatives from confusing their
perturbations.  A wrapper's parts may themselves be wrappers of lower levels.

This module also holds the helpers for the optional leading *batch* axis of tangents, and the
symbolic zero (``None``) tangent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from .registry import lookup

_levels = itertools.count(1)

#: wrapper classes; filled in by dual.py and tape.py.
WRAPPERS: set[type] = set()

#: every type that primitives hand over to :func:`bind`: the wrappers, and the staging tracer
#: (dualdiff.staging), which sits below every level and is *not* a wrapper: :func:`strip`
#: stops at it, so the constants a rule takes from primal values stay traced.
DISPATCH: set[type] = set()

#: tracer types -> their recorder ``record(fn, *args)``: a helper of the engine that looks at
#: values (``scale``) is recorded as one opaque call, replayed on the values of each call.
TRACERS: dict[type, Callable[..., object]] = {}

#: the staging graphs being traced, innermost last (dualdiff.staging.tracer pushes and pops
#: them): a primitive on plain arguments whose parameters hold a tracer (an index computed
#: from traced values) is recorded in the innermost one.
STAGING: list = []


def register_wrapper(cls):
    WRAPPERS.add(cls)
    DISPATCH.add(cls)
    return cls

def new_level():
    """A level larger than every level handed out before."""
    return next(_levels)


def bind(prim, args, params):
    """Apply ``prim`` to ``args`` where at least one argument is a wrapper.

    The wrapper of highest level handles the call; it unwraps its own level only and calls
    ``prim`` again on the parts, which recurses through the lower levels.
    """
    top = None
    for a in args:
        if type(a) in DISPATCH and (top is None or a.level > top.level):
            top = a
    return top.lift(prim, args, params, top.level)


def strip(x):
    """The plain value at the bottom of every level of wrapping."""
    while type(x) in WRAPPERS:
        x = x.inner
    return x


#: wrapper types that count the reads of their values (sparsity detection): :func:`peek`
#: reads them through their ``peek()`` instead, which does not count
PEEKING: set[type] = set()


def peek(x):
    """:func:`strip` for a look at the structure only (shape, dtype, whether complex): a
    wrapper that counts the reads of its values (see ``dualdiff.sparse.tracer``) does not
    count this one."""
    while type(x) in WRAPPERS:
        x = x.peek() if type(x) in PEEKING else x.inner
    return x


def shape(x):
    t = type(x)
    if t is np.ndarray or t in DISPATCH:
        return x.shape
    return () if t is float else np.shape(x)


def ndim(x):
    return x.ndim if type(x) in DISPATCH else np.ndim(x)


def normalize_axis(axis, nd):
    """``axis`` (int, tuple or None) as a tuple of non-negative ints, checked against ``nd``."""
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {nd}")
        out.append(int(a) % nd)
    return tuple(out)


def shifted_axes(axis, nd):
    """``axis`` of a rank-``nd`` primal, as axes of its tangent with a leading batch axis."""
    return tuple(a + 1 for a in normalize_axis(axis, nd))


def is_duck_array(x):
    """Whether ``x`` is another library's array that speaks NumPy's protocols (a
    ``dask.array.Array``, ...): the rules run NumPy's functions on it, and it stays lazy."""
    t = type(x)
    return (t is not np.ndarray and t not in DISPATCH and hasattr(t, "__array_function__")
            and hasattr(t, "__array_ufunc__") and hasattr(x, "shape") and hasattr(x, "dtype"))


def as_mask(x, dtype=bool):
    """``np.asarray(x, dtype)``, except that a traced or duck array stays one (so that a mask
    computed from values is recomputed on replay, or stays lazy)."""
    if type(x) in TRACERS or is_duck_array(x):
        return x.astype(dtype)
    return np.asarray(x, dtype=dtype)


def as_plain(x, what, copy=False):
    """User input as a float, complex, or floating/complex ndarray.

    float32 and float16 (and complex64) keep their dtype, as in NumPy and JAX: primals,
    tangents and adjoints are then computed in that precision.  Python and NumPy integers,
    bools in arrays and float64 scalars become float64.  Drivers never write into their
    inputs, so arrays are copied only when ``copy`` is set (a user's ``Dual`` owns its arrays).
    """
    if type(x) in WRAPPERS or type(x) in TRACERS:
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{what} must be numeric, got bool")
    if isinstance(x, (np.float32, np.float16, np.complex64)):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, (complex, np.complexfloating)):
        return complex(x)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "biufc":
        dtype = x.dtype if x.dtype.kind in "fc" else np.float64
        return np.array(x, dtype=dtype) if copy else np.asarray(x, dtype=dtype)
    if is_duck_array(x) and np.dtype(x.dtype).kind in "biufc":
        return x.astype(np.float64) if np.dtype(x.dtype).kind in "biu" else x  # stays lazy
    raise TypeError(f"{what} must be a number or a numeric array, got {type(x).__name__}")


# --- tangents: symbolic zero and the batch axis --------------------------------------------


def zeros(primal, batch, like=None):
    """A materialised zero tangent for ``primal`` (with ``batch`` leading directions), in the
    real dtype of the primal's precision (float32 stays float32), or of the tangent ``like``
    when the primal is a Python number (which, as in NumPy, has no precision of its own)."""
    s = shape(primal)
    if batch is None and s == ():
        return 0.0
    p = strip(primal)
    if type(p) is not np.ndarray and like is not None:
        p = like
    dtype = p.dtype if type(p) is np.ndarray and p.dtype.kind == "f" else (
        np.float32 if type(p) is np.ndarray and p.dtype == np.complex64 else np.float64)
    return np.zeros(s if batch is None else (batch,) + s, dtype=dtype)


def expand(t, nd_from, nd_to):
    """Give a batched tangent of a rank-``nd_from`` primal room to broadcast to rank ``nd_to``.

    NumPy aligns trailing axes, so the missing axes go right after the batch axis.
    """
    if nd_from >= nd_to:
        return t
    s = shape(t)
    return lookup("reshape")(t, shape=s[:1] + (1,) * (nd_to - nd_from) + s[1:])


def fit(t, out, batch):
    """Broadcast a tangent to the full shape of ``out`` (plus the batch axis)."""
    s = shape(out)
    want = s if batch is None else (batch,) + s
    if shape(t) == want:
        return t
    return lookup("broadcast_to")(t, shape=want)


def scale(p, t):
    """``p * t``, except that a zero tangent stays exactly zero where ``p`` is infinite.

    An infinite slope (``sqrt`` at 0) times a direction that does not move is 0, not nan;
    this is decided per element (``0`` where ``t == 0`` and the product is nan, the product
    everywhere else), so each element and each direction of a batch keeps its own value.
    Arrays pay one reduction to find whether any element is nan, and the selection only then.
    """
    if type(p) is float and math.isfinite(p):
        return p * t
    if type(p) in TRACERS and type(t) not in WRAPPERS:  # staged: one recorded call
        return TRACERS[type(p)](scale, p, t)
    r = p * t
    if type(r) is np.ndarray:
        if r.dtype.kind in "fc" and math.isnan(abs(np.add.reduce(r, axis=None))):
            # (a nan sum: some element is nan, or +inf and -inf met; only nan elements change)
            return np.where((np.asarray(t) == 0) & np.isnan(r), 0.0, r)
        return r
    if type(r) in TRACERS:
        return TRACERS[type(r)](scale, p, t)
    if is_duck_array(r):  # lazy: no look at the values, the selection is part of the graph
        return np.where((t == 0) & (r != r), 0.0, r)
    if type(r) not in WRAPPERS and r != r and t == 0:
        return 0.0
    return r
