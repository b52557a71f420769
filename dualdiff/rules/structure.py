"""Structure: NumPy's shape and indexing functions (``reshape``, ``transpose``, ``concatenate``,
``where``, indexing, ...).

The primitives here are *linear*: forward mode applies the operation itself to the tangent
(moved past the batch axis), reverse mode its transpose.  The NumPy-named functions below them
are compositions of these primitives, so they need no rule of their own.
"""

import numpy as np

from ..core import WRAPPERS, expand, ndim, normalize_axis, shape, strip, zeros
from ..primitive import Custom, Linear, unbroadcast
from ..registry import implements, register


def _reshape_impl(x, shape):
    return np.reshape(x, shape)


reshape_p = register(
    Linear(
        "reshape",
        _reshape_impl,
        lambda out_bar, primals, out, wants, shape: [
            reshape_p(out_bar, shape=np.shape(strip(primals[0])))
        ],
        lambda params, primals, out, batch: {"shape": (batch,) + np.shape(strip(out))},
    )
)

broadcast_to_p = register(
    Linear(
        "broadcast_to",
        lambda x, shape: np.broadcast_to(x, shape),
        lambda out_bar, primals, out, wants, shape: [
            unbroadcast(out_bar, np.shape(strip(primals[0])))
        ],
        lambda params, primals, out, batch: {"shape": (batch,) + tuple(params["shape"])},
        broadcasts=True,
    )
)


def _perm(axes, nd):
    return tuple(reversed(range(nd))) if axes is None else normalize_axis(axes, nd)


def _transpose_batched(params, primals, out, batch):
    return {"axes": (0,) + tuple(a + 1 for a in _perm(params["axes"], ndim(primals[0])))}


def _transpose_transpose(out_bar, primals, out, wants, axes):
    inverse = np.argsort(_perm(axes, ndim(primals[0])))
    return [transpose_p(out_bar, axes=tuple(int(i) for i in inverse))]


transpose_p = register(
    Linear(
        "transpose",
        lambda x, axes=None: np.transpose(x, axes),
        _transpose_transpose,
        _transpose_batched,
    )
)


def _concat_transpose(out_bar, primals, out, wants, axis):
    cuts, start = [], 0
    for x, w in zip(primals, wants):
        n = shape(x)[axis]
        index = (slice(None),) * axis + (slice(start, start + n),)
        cuts.append(getitem_p(out_bar, index=index) if w else None)
        start += n
    return cuts


concatenate_p = register(
    Linear(
        "concatenate",
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        _concat_transpose,
        lambda params, primals, out, batch: {"axis": params["axis"] + 1},
        nargs=None,
    )
)


def _where_transpose(out_bar, primals, out, wants, cond):
    return [
        unbroadcast(where(cond, out_bar, 0.0), shape(primals[0])) if wants[0] else None,
        unbroadcast(where(cond, 0.0, out_bar), shape(primals[1])) if wants[1] else None,
    ]


#: ``where(x, y, cond=c)``: the adjoint is *selected*, never multiplied by a mask, so an unused
#: branch with an infinite or nan derivative cannot leak into the result.
where_p = register(
    Linear(
        "where",
        lambda x, y, cond: np.where(cond, x, y),
        _where_transpose,
        lambda params, primals, out, batch: params,
        broadcasts=True,
        nargs=2,
    )
)


def where(cond, x, y):
    """``x`` where ``cond`` else ``y``; ``cond`` is taken on primals."""
    return where_p(x, y, cond=np.asarray(strip(cond), dtype=bool))


# --- indexing ------------------------------------------------------------------------------


def _batched_index(index):
    if sum(isinstance(i, np.ndarray) for i in index) > 1:
        adv = [isinstance(i, np.ndarray) for i in index]
        first, last = adv.index(True), len(adv) - adv[::-1].index(True)
        if not all(adv[first:last]):
            raise TypeError(
                "indexing with advanced indices separated by a slice is not supported with a "
                "batch of tangents; use jacobian(..., chunk_size=1) or reorder the axes"
            )
    return (slice(None),) + index


def _getitem_impl(x, index):
    r = x[index]
    # an element of a float array is a Python float, so scalar code keeps its fast path
    return float(r) if type(r) is np.float64 else r


getitem_p = register(
    Linear(
        "getitem",
        _getitem_impl,
        lambda out_bar, primals, out, wants, index: [
            index_add_p(out_bar, index=index, shape=np.shape(strip(primals[0])))
        ],
        lambda params, primals, out, batch: {"index": _batched_index(params["index"])},
    )
)


def _is_basic(index):
    return not any(isinstance(i, np.ndarray) for i in index)


def _index_add_impl(g, index, shape):
    z = np.zeros(shape, dtype=np.result_type(g, 0.0))
    if _is_basic(index):
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


index_add_p = register(
    Linear(
        "index_add",
        _index_add_impl,
        lambda out_bar, primals, out, wants, index, shape: [getitem_p(out_bar, index=index)],
        lambda params, primals, out, batch: {
            "index": _batched_index(params["index"]),
            "shape": (batch,) + tuple(params["shape"]),
        },
    )
)


def _set_index_impl(x, v, index):
    r = np.array(x, dtype=np.result_type(x, v, 0.0))
    r[index] = v
    return r


def _set_index_jvp(primals, tangents, out, batch, index):
    x, v = primals
    tx, tv = (zeros(p, batch) if t is None else t for p, t in zip(primals, tangents))
    if batch is not None:
        tv = expand(tv, ndim(v), np.ndim(strip(x)[index]))
        index = _batched_index(index)
    return set_index_p(tx, tv, index=index)


def _set_index_vjp(out_bar, primals, out, wants, index):
    x, v = primals
    return [
        set_index_p(out_bar, 0.0, index=index) if wants[0] else None,
        unbroadcast(getitem_p(out_bar, index=index), shape(v)) if wants[1] else None,
    ]


#: ``x`` with ``x[index] = v``, as a new array (the forward and reverse rules are each one
#: line, but the batch axis must be fitted to the selection, which ``Linear`` cannot know).
set_index_p = register(
    Custom("set_index", _set_index_impl, _set_index_jvp, _set_index_vjp, nargs=2)
)



# --- NumPy's functions, composed from the primitives -------------------------------------


def reshape(x, shape, *more):
    """``np.reshape``; accepts ``reshape(x, 2, 3)`` like the method."""
    if more:
        shape = (shape,) + more
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return reshape_p(x, shape=tuple(shape))


def broadcast_to(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return broadcast_to_p(x, shape=shape)


def ravel(x):
    return reshape_p(x, shape=(-1,))


def transpose(x, axes=None):
    return transpose_p(x, axes=None if axes is None else tuple(axes))


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
    return reshape_p(x, shape=tuple(s))


def squeeze(x, axis=None):
    s = shape(x)
    axes = [i for i, n in enumerate(s) if n == 1] if axis is None else normalize_axis(axis, len(s))
    for a in axes:
        if s[a] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape_p(x, shape=tuple(n for i, n in enumerate(s) if i not in axes))


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
    return getitem_p(x, index=_index(index))


def setitem(x, index, value):
    """A new array equal to ``x`` with ``x[index] = value`` (the input is not changed)."""
    return set_index_p(x, value, index=_index(index))


def concatenate(xs, axis=0):
    xs = list(xs)
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    (axis,) = normalize_axis(axis, ndim(xs[0]))
    return concatenate_p(*xs, axis=axis)


def stack(xs, axis=0):
    xs = list(xs)
    (axis,) = normalize_axis(axis, ndim(xs[0]) + 1)
    return concatenate_p(*(expand_dims(x, axis) for x in xs), axis=axis)


def vstack(xs):
    return concatenate([reshape(x, (1, -1)) if ndim(x) < 2 else x for x in xs], axis=0)


def hstack(xs):
    xs = list(xs)
    return concatenate(xs, axis=0 if ndim(xs[0]) == 1 else 1)


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


implements(np.transpose)(transpose)
implements(np.swapaxes)(swapaxes)
implements(np.moveaxis)(moveaxis)
implements(np.reshape)(reshape)
implements(np.ravel)(ravel)
implements(np.expand_dims)(expand_dims)
implements(np.squeeze)(squeeze)
implements(np.broadcast_to)(broadcast_to)
implements(np.concatenate)(concatenate)
implements(np.stack)(stack)
implements(np.vstack)(vstack)
implements(np.hstack)(hstack)
implements(np.where)(where)
implements(np.copy)(lambda x: x.copy())
implements(np.zeros_like, np.empty_like)(zeros_like)
implements(np.ones_like)(ones_like)
implements(np.full_like)(full_like)

__all__ = [
    "broadcast_to", "broadcast_to_p", "concatenate", "concatenate_p", "expand_dims", "full_like",
    "getitem", "getitem_p", "hstack", "index_add_p", "moveaxis", "ones_like", "ravel", "reshape",
    "reshape_p", "set_index_p", "setitem", "squeeze", "stack", "swapaxes", "transpose",
    "transpose_p", "vstack", "where", "where_p", "zeros_like",
]
