"""Reductions and scans: ``sum``, ``cumsum``, ``max``/``min`` (primitives), and the
functions composed from them (``mean``, ``var``, ``std``, ``prod``, ``diff``, ``trace``).
"""

import builtins
import math

import numpy as np

from ..core import ndim, normalize_axis, shape, shifted_axes, strip
from ..primitive import Custom, Linear
from ..registry import implements, register
from .elementwise import sqrt
from .structure import (
    broadcast_to_p,
    concatenate_p,
    expand_dims,
    getitem,
    getitem_p,
    moveaxis,
    ravel,
    reshape,
    reshape_p,
)


def _sum_transpose(out_bar, primals, out, wants, axis=None, keepdims=False):
    s = np.shape(strip(primals[0]))
    if not keepdims:
        kept = tuple(1 if i in normalize_axis(axis, len(s)) else n for i, n in enumerate(s))
        out_bar = reshape_p(out_bar, shape=kept)
    return [broadcast_to_p(out_bar, shape=s)]


sum_p = register(
    Linear(
        "sum",
        lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
        _sum_transpose,
        lambda params, primals, out, batch: {
            "axis": shifted_axes(params.get("axis"), ndim(primals[0])),
            "keepdims": params.get("keepdims", False),
        },
    )
)


def _cumsum_transpose(out_bar, primals, out, wants, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return [getitem_p(cumsum_p(getitem_p(out_bar, index=flip), axis=axis), index=flip)]


cumsum_p = register(
    Linear(
        "cumsum",
        lambda x, axis: np.cumsum(x, axis=axis),
        _cumsum_transpose,
        lambda params, primals, out, batch: {"axis": params["axis"] + 1},
    )
)


def _extreme_weights(x, out, axis, keepdims):
    """Where ``x`` attains the extremum, each tie sharing equally (a constant)."""
    xs, os = strip(x), strip(out)
    if not keepdims and axis is not None:
        os = np.expand_dims(os, normalize_axis(axis, np.ndim(xs)))
    hit = xs == os
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _extreme(name, np_fn):
    def jvp(primals, tangents, out, batch, axis=None, keepdims=False):
        w = _extreme_weights(primals[0], out, axis, keepdims)
        t = tangents[0]
        if batch is None:
            return sum_p(w * t, axis=axis, keepdims=keepdims)
        return sum_p(w * t, axis=shifted_axes(axis, np.ndim(w)), keepdims=keepdims)

    def vjp(out_bar, primals, out, wants, axis=None, keepdims=False):
        w = _extreme_weights(primals[0], out, axis, keepdims)
        return [w * _sum_transpose(out_bar, primals, out, wants, axis, keepdims)[0]]

    impl = lambda x, axis=None, keepdims=False: np_fn(x, axis=axis, keepdims=keepdims)
    return register(Custom(name, impl, jvp, vjp))


#: the derivative of a max is that of the entry attaining it: ``sum(w * x_dot)`` with constant
#: weights; ``Linear`` does not fit because the weights depend on the primal.
amax = _extreme("amax", np.max)
amin = _extreme("amin", np.min)


def _size(x):
    return math.prod(shape(x))


def sum(x, axis=None, keepdims=False):  # noqa: A001 (NumPy's name)
    """``np.sum``: linear, so its tangent is the sum of the tangent."""
    return sum_p(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """``np.mean`` as ``sum(x) / n``."""
    n = math.prod(shape(x)[a] for a in normalize_axis(axis, ndim(x)))
    return sum_p(x, axis=axis, keepdims=keepdims) / n


def var(x, axis=None, keepdims=False, ddof=0):
    """``np.var``: the mean squared deviation."""
    d = x - mean(x, axis=axis, keepdims=True)
    n = math.prod(shape(x)[a] for a in normalize_axis(axis, ndim(x)))
    return sum_p(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    """``np.std`` as ``sqrt(var)``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """``np.max``; ties share the derivative equally."""
    return amax(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """``np.min``; ties share the derivative equally."""
    return amin(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """``np.prod`` by a tree of pairwise products: exact with zeros, derivatives of any order.

    ``log2(n)`` vectorised halvings along the axis; an odd leftover is padded with a one.
    """
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    x = moveaxis(x, axis, 0)
    while shape(x)[0] != 1:
        n = shape(x)[0]
        if n == 0:
            x = np.ones((1,) + shape(x)[1:])
            break
        if n % 2:
            one = np.ones((1,) + shape(x)[1:], dtype=np.result_type(strip(x)))
            x = concatenate_p(x, one, axis=0)
        x = x[0::2] * x[1::2]
    out = reshape(x, shape(x)[1:])
    return expand_dims(out, axis) if keepdims else out


def cumsum(x, axis=None):
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return cumsum_p(x, axis=axis)


def diff(x, n=1, axis=-1):
    """``np.diff``: ``x[1:] - x[:-1]`` along ``axis``, ``n`` times."""
    (axis,) = normalize_axis(axis, ndim(x))
    head = (slice(None),) * axis
    for _ in range(n):
        x = getitem(x, head + (slice(1, None),)) - getitem(x, head + (slice(None, -1),))
    return x


def trace(x):
    n = builtins.min(shape(x)[:2])
    return sum_p(getitem(x, (np.arange(n), np.arange(n))))


implements(np.sum)(sum)
implements(np.mean)(mean)
implements(np.prod)(prod)
implements(np.var)(var)
implements(np.std)(std)
implements(np.max, np.amax)(max)
implements(np.min, np.amin)(min)
implements(np.cumsum)(cumsum)
implements(np.diff)(diff)
implements(np.trace)(trace)

__all__ = [
    "amax", "amin", "cumsum", "cumsum_p", "diff", "max", "mean", "min", "prod", "std", "sum",
    "sum_p", "trace", "var",
]
