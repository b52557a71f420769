"""The generic array functions: NumPy's names, for plain arrays and wrappers alike.

Each is either a primitive of the table (:mod:`dualdiff.rules`) or a composition of
primitives, whose derivative then needs no rule of its own (``mean`` is ``sum / n``,
``prod`` a tree of products, ``norm`` a square root of a sum of squares, ...).
"""

import builtins
import math

import numpy as np

from .core import WRAPPERS, ndim, shape, strip
from .rules import _axis as normalize_axis
from .rules import (
    absolute,
    amax,
    amin,
    det,
    matmul,
    multiply,
    set_index,
    solve,
    sqrt,
    sum_,
    where,
)
from .rules import (
    broadcast_to as _broadcast_to,
)
from .rules import (
    concatenate as _concatenate,
)
from .rules import (
    cumsum as _cumsum,
)
from .rules import (
    getitem as _getitem,
)
from .rules import (
    reshape as _reshape,
)
from .rules import (
    transpose as _transpose,
)

__all__ = [
    "broadcast_to", "clip", "concatenate", "cumsum", "det", "diff", "dot", "expand_dims",
    "full_like", "getitem", "hstack", "inner", "inv", "max", "mean", "min", "moveaxis", "norm",
    "ones_like", "outer", "prod", "ravel", "reshape", "setitem", "solve", "squeeze", "stack",
    "std", "sum", "swapaxes", "trace", "transpose", "var", "vstack", "where", "zeros_like",
]


def _size(x):
    return math.prod(shape(x))


def sum(x, axis=None, keepdims=False):  # noqa: A001 (NumPy's name)
    """``np.sum``: linear, so its tangent is the sum of the tangent."""
    return sum_(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """``np.mean`` as ``sum(x) / n``."""
    n = math.prod(shape(x)[a] for a in normalize_axis(axis, ndim(x)))
    return sum_(x, axis=axis, keepdims=keepdims) / n


def var(x, axis=None, keepdims=False, ddof=0):
    """``np.var``: the mean squared deviation."""
    d = x - mean(x, axis=axis, keepdims=True)
    n = math.prod(shape(x)[a] for a in normalize_axis(axis, ndim(x)))
    return sum_(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


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
            x = _concatenate(x, np.ones((1,) + shape(x)[1:]), axis=0)
        x = x[0::2] * x[1::2]
    out = reshape(x, shape(x)[1:])
    return expand_dims(out, axis) if keepdims else out


def reshape(x, shape, *more):
    """``np.reshape``; accepts ``reshape(x, 2, 3)`` like the method."""
    if more:
        shape = (shape,) + more
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return _reshape(x, shape=tuple(shape))


def broadcast_to(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _broadcast_to(x, shape=shape)


def ravel(x):
    return _reshape(x, shape=(-1,))


def transpose(x, axes=None):
    return _transpose(x, axes=None if axes is None else tuple(axes))


def swapaxes(x, a, b):
    perm = list(range(ndim(x)))
    a, b = normalize_axis((a, b), len(perm))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    nd = ndim(x)
    (s,), (d,) = normalize_axis(source, nd), normalize_axis(destination, nd)
    perm = [i for i in range(nd) if i != s]
    perm.insert(d, s)
    return transpose(x, perm)


def expand_dims(x, axis):
    s = list(shape(x))
    for a in sorted(normalize_axis(axis, len(s) + len(np.atleast_1d(axis)))):
        s.insert(a, 1)
    return _reshape(x, shape=tuple(s))


def squeeze(x, axis=None):
    s = shape(x)
    axes = [i for i, n in enumerate(s) if n == 1] if axis is None else normalize_axis(axis, len(s))
    for a in axes:
        if s[a] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return _reshape(x, shape=tuple(n for i, n in enumerate(s) if i not in axes))


def _index(index):
    """Normalise an index to a tuple NumPy reads the same way, with masks as integer arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if type(i) in WRAPPERS:
            raise TypeError("an index must be an integer, slice or integer array, not a Dual")
        if isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype == bool:
            out.extend(np.nonzero(i))
        else:
            out.append(i)
    return tuple(out)


def getitem(x, index):
    """``x[index]``: linear; its transpose adds into zeros (``np.add.at`` for repeats)."""
    return _getitem(x, index=_index(index))


def setitem(x, index, value):
    """A new array equal to ``x`` with ``x[index] = value`` (the input is not changed)."""
    return set_index(x, value, index=_index(index))


def concatenate(xs, axis=0):
    xs = list(xs)
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    (axis,) = normalize_axis(axis, ndim(xs[0]))
    return _concatenate(*xs, axis=axis)


def stack(xs, axis=0):
    xs = list(xs)
    (axis,) = normalize_axis(axis, ndim(xs[0]) + 1)
    return _concatenate(*(expand_dims(x, axis) for x in xs), axis=axis)


def vstack(xs):
    return concatenate([reshape(x, (1, -1)) if ndim(x) < 2 else x for x in xs], axis=0)


def hstack(xs):
    xs = list(xs)
    return concatenate(xs, axis=0 if ndim(xs[0]) == 1 else 1)


def cumsum(x, axis=None):
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return _cumsum(x, axis=axis)


def diff(x, n=1, axis=-1):
    """``np.diff``: ``x[1:] - x[:-1]`` along ``axis``, ``n`` times."""
    (axis,) = normalize_axis(axis, ndim(x))
    head = (slice(None),) * axis
    for _ in range(n):
        x = getitem(x, head + (slice(1, None),)) - getitem(x, head + (slice(None, -1),))
    return x


def clip(x, a_min, a_max):
    """``np.clip`` by selection: slope 1 inside ``[a_min, a_max]`` (bounds included), and the
    bound's own derivative outside, so nothing is multiplied by a mask."""
    if a_min is not None:
        x = where(x < a_min, a_min, x)
    if a_max is not None:
        x = where(x > a_max, a_max, x)
    return x


def dot(a, b):
    """``np.dot`` for scalars, vectors and matrices (``matmul`` beyond 0-d)."""
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    if ndim(b) > 2:
        raise TypeError("np.dot with an operand of more than 2 dimensions is not supported; "
                        "use np.matmul or np.tensordot on plain arrays")
    return matmul(a, b)


def inner(a, b):
    return multiply(a, b) if ndim(a) == 0 or ndim(b) == 0 else matmul(a, swapaxes(b, -1, -2)
                                                                       if ndim(b) > 1 else b)


def outer(a, b):
    """``np.outer`` as the broadcast product of a column and a row."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def trace(x):
    n = builtins.min(shape(x)[:2])
    return sum_(getitem(x, (np.arange(n), np.arange(n))))


def norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm`` for the vector norms ``ord`` in (None, 1, 2, inf, -inf) and the
    Frobenius norm of a matrix.  At zero the gradient of the 2-norm is taken as 0."""
    if ord in (None, 2, "fro") and (ord != 2 or axis is not None or ndim(x) == 1):
        s = sum_(_abs2(x), axis=axis, keepdims=keepdims)
        # selecting (not multiplying) keeps sqrt's infinite slope at 0 out of the derivative
        return where(s == 0, 0.0, sqrt(s))
    if ndim(x) == 1 or axis is not None:
        if ord == 1:
            return sum_(absolute(x), axis=axis, keepdims=keepdims)
        if ord == np.inf:
            return amax(absolute(x), axis=axis, keepdims=keepdims)
        if ord == -np.inf:
            return amin(absolute(x), axis=axis, keepdims=keepdims)
    raise TypeError(f"np.linalg.norm with ord={ord!r} for a {ndim(x)}-d array is not supported")


def _abs2(x):
    return absolute(x) ** 2 if np.iscomplexobj(strip(x)) else x * x


def inv(a):
    """``np.linalg.inv`` as ``solve(a, I)``."""
    return solve(a, np.eye(shape(a)[-1]))


def _like(x, make):
    if type(x) in WRAPPERS:
        return x.constant(make(strip(x)))
    return make(x)


def zeros_like(x, dtype=None):
    """Zeros shaped like ``x``; for a Dual a Dual (so ``z[i] = value`` keeps derivatives)."""
    return _like(x, lambda p: np.zeros_like(p, dtype=dtype))


def ones_like(x, dtype=None):
    return _like(x, lambda p: np.ones_like(p, dtype=dtype))


def full_like(x, fill_value, dtype=None):
    return _like(x, lambda p: np.full_like(p, fill_value, dtype=dtype))
