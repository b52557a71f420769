"""Structure: NumPy's shape and indexing functions (``reshape``, ``transpose``, ``concatenate``,
``where``, indexing, ...).

The primitives here are *linear*: forward mode applies the operation itself to the tangent
(moved past the batch axis), reverse mode its transpose.  The NumPy-named functions below them
are compositions of these primitives, so they need no rule of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..core import WRAPPERS, as_mask, expand, ndim, normalize_axis, peek, shape, strip, zeros
from ..primitive import Custom, Linear, unbroadcast
from ..registry import implements, register
from ..typing import ArrayLike, DTypeLike, PyTree, Shape, Tree, Value


def _reshape_impl(x, shape):
    return np.reshape(x, shape)


reshape_p = register(
    Linear(
        "reshape",
        _reshape_impl,
        lambda out_bar, primals, out, wants, shape: [
            reshape_p(out_bar, shape=np.shape(peek(primals[0])))
        ],
        lambda params, primals, out, batch: {"shape": (batch,) + np.shape(peek(out))},
    )
)

broadcast_to_p = register(
    Linear(
        "broadcast_to",
        lambda x, shape: np.broadcast_to(x, shape),
        lambda out_bar, primals, out, wants, shape: [
            unbroadcast(out_bar, np.shape(peek(primals[0])))
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


def where(cond: ArrayLike, x: ArrayLike, y: ArrayLike) -> Value:
    """``x`` where ``cond`` else ``y``; ``cond`` is taken on primals."""
    c = strip(cond)
    # a staged (traced) condition stays traced: it is recomputed on every replay
    return where_p(x, y, cond=as_mask(c))


# --- indexing ------------------------------------------------------------------------------


def _batched_index(index, batch):
    """``index`` for a tangent with a leading batch axis of ``batch`` directions.

    Where the advanced indices (integer arrays, and integers beside them) are separated by a
    slice, NumPy puts the advanced axes first, so a leading ``slice(None)`` would land behind
    them; the batch axis is then indexed by an ``arange`` broadcast against them instead.
    """
    arrays = [i for i in index if _is_array(i)]
    if arrays:
        adv = [_is_array(i) or isinstance(i, (int, np.integer)) and not isinstance(i, bool)
               for i in index]
        first, last = adv.index(True), len(adv) - adv[::-1].index(True)
        if not all(adv[first:last]):
            depth = len(np.broadcast_shapes(*(shape(a) for a in arrays)))
            return (np.arange(batch).reshape((batch,) + (1,) * depth),) + index
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
            index_add_p(out_bar, index=index, shape=np.shape(peek(primals[0])))
        ],
        lambda params, primals, out, batch: {"index": _batched_index(params["index"], batch)},
    )
)


def _is_array(i):
    """An integer-array entry of an index: anything but an int, a slice, ``None`` or ``...``
    (so also a staged array of dd.jit, which is no ``np.ndarray``)."""
    return not (i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)))


def _is_basic(index):
    return not any(_is_array(i) for i in index)


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
            "index": _batched_index(params["index"], batch),
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
        tv = expand(tv, ndim(v), np.ndim(peek(x)[index]))
        index = _batched_index(index, batch)
    return set_index_p(tx, tv, index=index)


def _set_index_vjp(out_bar, primals, out, wants, index):
    x, v = primals
    v_bar = None
    if wants[1]:
        v_bar = getitem_p(out_bar, index=index)
        landed = _landed(np.shape(peek(x)), index)
        if landed is not None:
            v_bar = where(landed, v_bar, 0.0)
        v_bar = unbroadcast(v_bar, shape(v))
    return [set_index_p(out_bar, 0.0, index=index) if wants[0] else None, v_bar]


def _landed(xshape, index):
    """Where an index repeats an element (``x[[0, 0]] = v``), only NumPy's last write lands:
    the mask of the selected places whose write is kept (None if every one is)."""
    if _is_basic(index):
        return None
    selected = np.empty(xshape, dtype=np.int64)[index].shape
    ids = np.arange(math.prod(selected)).reshape(selected)
    marker = np.full(xshape, -1, dtype=np.int64)
    marker[index] = ids
    kept = marker[index] == ids
    return None if kept.all() else kept


#: ``x`` with ``x[index] = v``, as a new array (the forward and reverse rules are each one
#: line, but the batch axis must be fitted to the selection, which ``Linear`` cannot know).
set_index_p = register(
    Custom("set_index", _set_index_impl, _set_index_jvp, _set_index_vjp, nargs=2)
)



# --- NumPy's functions, composed from the primitives -------------------------------------


def reshape(x: ArrayLike, shape: Shape, *more: int, order: str = "C") -> Value:
    """``np.reshape``; accepts ``reshape(x, 2, 3)`` like the method.  ``order="F"`` reads and
    writes in Fortran order: the C-order reshape of the transpose, transposed back."""
    if more:
        shape = (shape,) + more
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(shape)
    if _fortran(order, "reshape"):
        # (a -1 resolved first: the reversed shape must be known)
        known = math.prod(n for n in shape if n != -1)
        size = math.prod(np.shape(peek(x)))
        new = tuple(size // known if n == -1 and known else n for n in shape)
        return transpose(reshape_p(transpose(x), shape=new[::-1]))
    return reshape_p(x, shape=shape)


def _fortran(order, name):
    if order in ("C", None):
        return False
    if order == "F":
        return True
    raise TypeError(f"np.{name}(order={order!r}) is not supported on Duals: use 'C' or 'F'")


def broadcast_to(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return broadcast_to_p(x, shape=shape)


def ravel(x, order="C"):
    return reshape_p(transpose(x) if _fortran(order, "ravel") else x, shape=(-1,))


def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> Value:
    """``np.transpose``: the axes permuted (reversed by default); linear, its own adjoint's
    inverse permutation."""
    return transpose_p(x, axes=None if axes is None else tuple(axes))


def swapaxes(x, axis1, axis2):
    perm = list(range(ndim(x)))
    a, b = normalize_axis((axis1, axis2), len(perm))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """``np.moveaxis``: ``source`` and ``destination`` are axes or sequences of axes."""
    nd = ndim(x)
    src, dst = normalize_axis(source, nd), normalize_axis(destination, nd)
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number of "
                         "elements")
    if len(set(src)) < len(src) or len(set(dst)) < len(dst):
        raise ValueError("repeated axis in `source` or `destination` argument")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
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


def concatenate(xs: Sequence[ArrayLike], axis: int | None = 0) -> Value:
    """``np.concatenate``: joined along ``axis`` (``None``: flattened first); linear, the
    adjoint cuts the pieces back out."""
    xs = list(xs)
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    (axis,) = normalize_axis(axis, ndim(xs[0]))
    return concatenate_p(*xs, axis=axis)


def stack(xs: Sequence[ArrayLike], axis: int = 0) -> Value:
    """``np.stack``: joined along a new axis (``expand_dims`` then ``concatenate``)."""
    xs = list(xs)
    (axis,) = normalize_axis(axis, ndim(xs[0]) + 1)
    return concatenate_p(*(expand_dims(x, axis) for x in xs), axis=axis)


def _no_dtype(dtype, name):
    if dtype is not None:
        raise TypeError(f"{name}(dtype=...) is not supported on Duals; cast the inputs instead")


def vstack(xs, *, dtype=None, casting="same_kind"):
    """``np.vstack`` (and the deprecated ``np.row_stack``, which calls it)."""
    _no_dtype(dtype, "vstack")
    return concatenate([atleast_2d(x) for x in xs], axis=0)


def hstack(xs, *, dtype=None, casting="same_kind"):
    _no_dtype(dtype, "hstack")
    xs = list(xs)
    if not xs:
        raise ValueError("need at least one array to concatenate")
    xs = [atleast_1d(x) for x in xs]
    return concatenate(xs, axis=0 if ndim(xs[0]) == 1 else 1)


def _like(x, make):
    if type(x) in WRAPPERS:
        return x.constant(make(strip(x)))
    return make(x)


def zeros_like(x: ArrayLike, dtype: DTypeLike | None = None, order: str = "K", subok: bool = True,
               shape: Shape | None = None) -> Value:
    """Zeros shaped like ``x`` (or ``shape``); for a Dual a Dual of zero tangent, so
    ``z[i] = value`` keeps derivatives.  ``np.empty_like`` is the same (zeros: never garbage)."""
    return _like(x, lambda p: np.zeros_like(p, dtype=dtype, order=order, shape=shape))


def ones_like(x: ArrayLike, dtype: DTypeLike | None = None, order: str = "K", subok: bool = True,
              shape: Shape | None = None) -> Value:
    """Ones shaped like ``x``: a constant (for a Dual, a Dual with zero tangent)."""
    return _like(x, lambda p: np.ones_like(p, dtype=dtype, order=order, shape=shape))


def full_like(x, fill_value, dtype=None, order="K", subok=True, shape=None):
    if type(fill_value) in WRAPPERS:
        raise TypeError("full_like with a Dual fill value would drop its derivative; use "
                        "fill_value * np.ones_like(x)")
    return _like(x, lambda p: np.full_like(p, fill_value, dtype=dtype, order=order, shape=shape))


# --- more of NumPy's structure, composed from the primitives -------------------------------
#
# Every function below is linear in its array arguments and is written with the primitives
# above (slices and integer-array gathers, reshape, transpose, concatenate, the embedding
# ``index_add``), so forward, reverse, batched tangents and every order come for free.  Where
# NumPy's own argument handling is intricate (``insert``, ``put_along_axis``), NumPy is run on
# integer *labels* of the input entries, and the result is the gather of those labels: the
# semantics and the errors are NumPy's by construction.


def _along(axis, index):
    """An index applying ``index`` along ``axis`` (full slices before it)."""
    return (slice(None),) * axis + (index,)


def _take_along(x, idx, axis):
    return getitem_p(x, index=_along(axis, np.asarray(idx, dtype=np.intp)))


def _gather_labels(xs, arrange):
    """``arrange`` (a NumPy rearrangement of its arguments) applied to the wrappers ``xs``.

    Each entry of each input gets an integer label; ``arrange`` runs on the label arrays and
    the result is the gather of the concatenated, flattened inputs at the output labels.
    """
    labels, start = [], 0
    for x in xs:
        if type(x) is np.ndarray and x.dtype == object:
            raise TypeError("an array of Duals cannot be inserted or written; build it with "
                            "np.stack (one Dual) first")
        n = math.prod(shape(x))
        labels.append(np.arange(start, start + n, dtype=np.intp).reshape(shape(x)))
        start += n
    out = np.asarray(arrange(*labels))
    flat = [ravel(x) for x in xs]
    source = flat[0] if len(flat) == 1 else concatenate_p(*flat, axis=0)
    return getitem_p(source, index=(out,))


def atleast_1d(*xs):
    """``np.atleast_1d``: a 0-d value becomes shape ``(1,)``."""
    out = [reshape_p(x, shape=(1,)) if ndim(x) == 0 else x for x in xs]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*xs):
    """``np.atleast_2d``: ``()`` -> ``(1, 1)``, ``(n,)`` -> ``(1, n)``."""
    out = [reshape_p(x, shape=(1,) * (2 - ndim(x)) + shape(x)) if ndim(x) < 2 else x for x in xs]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*xs):
    """``np.atleast_3d``: ``()`` -> ``(1, 1, 1)``, ``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``."""
    grow = {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,), 2: lambda s: s + (1,)}
    out = [reshape_p(x, shape=grow[ndim(x)](shape(x))) if ndim(x) < 3 else x for x in xs]
    return out[0] if len(out) == 1 else tuple(out)


def broadcast_arrays(*xs, subok=False):
    """``np.broadcast_arrays``: each argument broadcast to the common shape (a tuple)."""
    s = np.broadcast_shapes(*(shape(x) for x in xs))
    return tuple(x if shape(x) == s else broadcast_to(x, s) for x in xs)


def rollaxis(x, axis, start=0):
    """``np.rollaxis`` (the permutation, and its errors, are NumPy's on a zero-stride view)."""
    nd = ndim(x)
    probe = np.rollaxis(np.broadcast_to(0.0, tuple(range(2, nd + 2))), axis, start)
    return transpose(x, [n - 2 for n in probe.shape])


# --- triangles and diagonals --------------------------------------------------------------


def _diagonal_index(n1, n2, offset):
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    i = np.arange(length, dtype=np.intp)
    return i + max(-offset, 0), i + max(offset, 0)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """``np.diagonal``: the entries ``x[..., i, i + offset]`` of the plane ``(axis1, axis2)``,
    on a new last axis (a gather; its transpose adds into zeros)."""
    nd = ndim(x)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a, b = normalize_axis((axis1, axis2), nd)
    if a == b:
        raise ValueError("axis1 and axis2 cannot be the same")
    x = transpose(x, [i for i in range(nd) if i not in (a, b)] + [a, b])
    i, j = _diagonal_index(*shape(x)[-2:], int(offset))
    return getitem_p(x, index=(Ellipsis, i, j))


def diag(v, k=0):
    """``np.diag``: the ``k``-th diagonal of a matrix, or a matrix with ``v`` on it.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> np.diag(dd.Dual(np.array([1.0, 2.0]), np.ones(2))).tangent
    array([[1., 0.],
           [0., 1.]])
    """
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape(v)[0] + abs(int(k))
    return index_add_p(v, index=_diagonal_index(n, n, int(k)), shape=(n, n))


def diagflat(v, k=0):
    """``np.diagflat``: ``diag`` of the flattened input."""
    return diag(ravel(v), k)


def triu(m, k=0):
    """``np.triu``: zero below the ``k``-th diagonal (by selection, never a mask product).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.triu(x)))(np.ones((2, 2)))
    array([[1., 1.],
           [0., 1.]])
    """
    mask = np.tri(*shape(m)[-2:], k=int(k) - 1, dtype=bool)
    return where_p(0.0, m, cond=mask)


def tril(m, k=0):
    """``np.tril``: zero above the ``k``-th diagonal."""
    mask = np.tri(*shape(m)[-2:], k=int(k), dtype=bool)
    return where_p(m, 0.0, cond=mask)


# --- repetition and rearrangement ---------------------------------------------------------


def tile(x, reps):
    """``np.tile`` by reshape, broadcast and reshape (no index array); the transpose sums the
    copies.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.tile(x, 3)))(np.array([1.0, 2.0]))
    array([3., 3.])
    """
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError("negative dimensions are not allowed")
    d = max(len(reps), ndim(x))
    s = (1,) * (d - ndim(x)) + shape(x)
    reps = (1,) * (d - len(reps)) + reps
    spread = tuple(n for pair in zip((1,) * d, s) for n in pair)
    wide = tuple(n for pair in zip(reps, s) for n in pair)
    out = broadcast_to_p(reshape_p(x, shape=spread), shape=wide)
    return reshape_p(out, shape=tuple(r * n for r, n in zip(reps, s)))


def repeat(x, repeats, axis=None):
    """``np.repeat`` as a gather along ``axis`` (repeated entries add up in the transpose)."""
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return _take_along(x, np.repeat(np.arange(shape(x)[axis]), strip(repeats)), axis)


def flip(m, axis=None):
    """``np.flip``: reversed along ``axis`` (all axes by default), a slice."""
    axes = normalize_axis(axis, ndim(m))
    if not axes:
        return reshape_p(m, shape=shape(m))
    return getitem_p(m, index=tuple(slice(None, None, -1) if i in axes else slice(None)
                                     for i in range(ndim(m))))


def fliplr(m):
    if ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    if ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """``np.rot90``: a rotation in the plane ``axes``, as flips and a transposition."""
    axes, nd = tuple(axes), ndim(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if not (-nd <= axes[0] < nd and -nd <= axes[1] < nd):
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k %= 4
    if k == 0:
        return getitem_p(m, index=(slice(None),) * nd)
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(nd))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    return transpose(flip(m, axes[1]), perm) if k == 1 else flip(transpose(m, perm), axes[1])


def roll(x, shift, axis=None):
    """``np.roll`` as a concatenation of two slices per axis; the transpose rolls back.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.vjp(lambda x: np.roll(x, 1), np.array([1.0, 2.0, 3.0]))[1](np.array([1.0, 0, 0]))
    array([0., 0., 1.])
    """
    if axis is None:
        return reshape_p(roll(ravel(x), shift, 0), shape=shape(x))
    axes = normalize_axis(np.broadcast_to(axis, np.broadcast(shift, axis).shape).ravel(), ndim(x))
    shifts = dict.fromkeys(axes, 0)
    for a, s in zip(axes, np.broadcast_to(shift, np.broadcast(shift, axis).shape).ravel()):
        shifts[a] += int(s)
    for a, s in shifts.items():
        n = shape(x)[a]
        k = s % n if n else 0
        if k:
            x = concatenate_p(getitem_p(x, index=_along(a, slice(n - k, None))),
                              getitem_p(x, index=_along(a, slice(0, n - k))), axis=a)
    return x


# --- pad ----------------------------------------------------------------------------------

#: the modes of ``np.pad`` that are affine in the array: ``out = L x + c``, with ``c`` the pad
#: of zeros and ``L`` a product of one linear map per axis.  ``maximum``, ``minimum`` and
#: ``median`` select by value (piecewise linear), ``empty`` leaves garbage, and a callable is
#: opaque: those are refused.
_PAD_MODES = ("constant", "edge", "linear_ramp", "mean", "reflect", "symmetric", "wrap")


def _pairs(value, nd):
    return np.broadcast_to(np.asarray(value), (nd, 2))


def _real_dtype(x):
    """The real floating dtype of ``x``'s values (float32 stays float32; ints give float64)."""
    return np.finfo(np.result_type(peek(x), 0.0)).dtype


def _pad_axis(x, axis, before, after, mode, kwargs):
    """Pad along one axis, as gathers of the entries each padded entry depends on."""
    n, nd = shape(x)[axis], ndim(x)
    real = _real_dtype(x)
    column = lambda c: np.asarray(c, real).reshape((-1,) + (1,) * (nd - axis - 1))
    if mode in ("edge", "wrap") or kwargs.get("reflect_type", "even") == "even" and mode in (
            "reflect", "symmetric"):
        # a selection: NumPy's own padding of the positions says which entry goes where
        return _take_along(x, np.pad(np.arange(n), (before, after), mode=mode), axis)
    if mode == "linear_ramp":
        # the ramp towards an end value of 0 scales the edge entry by NumPy's coefficients
        c = np.pad(np.ones(1, real), (before, after), mode=mode, end_values=0)
        sides = [(_take_along(x, np.zeros(before, np.intp), axis), c[:before]),
                 (_take_along(x, np.full(after, n - 1), axis), c[before + 1:])]
    elif mode == "mean":
        # each side repeats the mean of its stat_length edge entries (the whole axis by
        # default): a sum into one slot (index_add of a repeated index), spread by a gather
        lengths = kwargs.get("stat_length", (None, None))
        sb, sa = (n if s is None else min(int(s), n) for s in lengths)
        sums = [index_add_p(getitem_p(x, index=_along(axis, cut)), index=_along(
            axis, np.zeros(k, np.intp)), shape=shape(x)[:axis] + (1,) + shape(x)[axis + 1:])
                for cut, k in ((slice(0, sb), sb), (slice(n - sa, n), sa))]
        with np.errstate(divide="ignore"):  # stat_length=0: NumPy's mean of nothing, nan
            sides = [(_take_along(sums[0], np.zeros(before, np.intp), axis),
                      np.full(before, 1 / np.float64(sb))),
                     (_take_along(sums[1], np.zeros(after, np.intp), axis),
                      np.full(after, 1 / np.float64(sa)))]
    else:
        return _pad_affine_axis(x, axis, before, after, mode, kwargs)
    (b, cb), (a, ca) = sides
    parts = ([b * column(cb)] if before else []) + [x] + ([a * column(ca)] if after else [])
    return concatenate_p(*parts, axis=axis) if len(parts) > 1 else x


def _pad_affine_axis(x, axis, before, after, mode, kwargs):
    """``reflect_type="odd"``: NumPy's map on the identity, applied as gathers (layer ``k``
    gathers the ``k``-th input of every output entry).  The map is dense (``n`` by
    ``n + before + after``), which is fine for the axis lengths odd reflection is used on."""
    n = shape(x)[axis]
    m = np.pad(np.eye(n), ((0, 0), (before, after)), mode=mode, **kwargs)  # m[i, j]: x_i in y_j
    rows, cols = np.nonzero(m.T)  # sorted by output entry
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    tail = (1,) * (ndim(x) - axis - 1)
    total = None
    for k in range(rank.max() + 1):
        at = rank == k
        idx = np.zeros(m.shape[1], np.intp)
        coef = np.zeros(m.shape[1], _real_dtype(x))
        idx[rows[at]], coef[rows[at]] = cols[at], m[cols[at], rows[at]]
        term = _take_along(x, idx, axis) * coef.reshape((-1,) + tail)
        if not at.sum() == m.shape[1]:
            term = where_p(term, 0.0, cond=np.isin(np.arange(m.shape[1]), rows[at]).reshape(
                (-1,) + tail))
        total = term if total is None else total + term
    return total


def pad(array, pad_width, mode="constant", **kwargs):
    """``np.pad`` for the modes whose result is affine in ``array``: ``constant`` (the pad value
    is a constant, so it carries no derivative), ``edge``, ``reflect`` and ``symmetric`` (both
    ``reflect_type``), ``wrap``, ``mean`` and ``linear_ramp``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.pad(x, 2, mode="reflect") ** 2))(np.array([1.0, 2.0, 3.0]))
    array([ 4., 12., 12.])
    """
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise TypeError(f"np.pad(mode={mode!r}) is not supported on Duals: its derivative is not "
                        f"linear; the supported modes are {', '.join(_PAD_MODES)}")
    for v in kwargs.values():
        if any(type(e) in WRAPPERS for e in np.ravel(np.asarray(v, dtype=object))):
            raise TypeError("np.pad: a Dual pad value would drop its derivative; the constant and "
                            "end values must be plain numbers")
    s = shape(array)
    if "stat_length" in kwargs and mode == "mean":
        kwargs = {**kwargs, "stat_length": _pairs(kwargs["stat_length"], len(s))}
    # NumPy checks every argument and gives the constant part: the pad of zeros
    dtype = np.result_type(peek(array), 0.0)
    base = np.pad(np.zeros(s, dtype), pad_width, mode=mode, **kwargs)
    widths = _pairs(pad_width, len(s))
    if mode == "constant":
        out = index_add_p(array, index=tuple(slice(int(b), int(b) + n)
                                             for (b, _), n in zip(widths, s)), shape=base.shape)
        return out + base if base.any() else out
    for axis, (b, a) in enumerate(widths):
        if b or a:
            each = {k: (v[axis] if k == "stat_length" else v) for k, v in kwargs.items()
                    if k != "end_values"}  # the end values are in the constant part
            array = _pad_axis(array, axis, int(b), int(a), mode, each)
    return array + base if base.any() else array


# --- joining and splitting ----------------------------------------------------------------


def append(arr, values, axis=None):
    """``np.append``: a concatenation (of the flattened inputs when ``axis`` is None)."""
    if axis is None:
        return concatenate_p(ravel(arr), ravel(values), axis=0)
    return concatenate([arr, values], axis=axis)


def insert(arr, obj, values, axis=None):
    """``np.insert``: NumPy inserts labels of ``values`` among labels of ``arr``; the result is
    their gather (broadcast and repeated values add up in the transpose).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.insert(x, 1, x[0] * 3.0)))(np.array([1.0, 2.0]))
    array([4., 1.])
    """
    if type(obj) in WRAPPERS:
        raise TypeError("np.insert: the positions must be integers, not a Dual")
    values = _values_for(arr, values, "insert")
    return _gather_labels([arr, values], lambda a, v: np.insert(a, obj, v, axis=axis))


def delete(arr, obj, axis=None):
    """``np.delete``: a gather of the entries kept along ``axis``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.delete(x, 0) * 2))(np.ones(3))
    array([0., 2., 2.])
    """
    if axis is None:
        arr, axis = ravel(arr), 0
    (axis,) = normalize_axis(axis, ndim(arr))
    return _take_along(arr, np.delete(np.arange(shape(arr)[axis]), obj), axis)


def put_along_axis(arr, indices, values, axis):
    """``np.put_along_axis`` into a Dual (or tape value) ``arr``, which holds the result.

    NumPy writes labels of ``values`` into labels of ``arr`` (so repeated indices keep NumPy's
    last-write-wins), and ``arr`` becomes the gather of those labels.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> def f(x):
    ...     d = np.zeros_like(x)
    ...     np.put_along_axis(d, np.array([1, 1]), x, axis=0)  # x[1] overwrites x[0]
    ...     return d
    >>> dd.jacobian(f)(np.array([5.0, 7.0]))
    array([[0., 0.],
           [0., 1.]])
    """
    _writable(arr, "put_along_axis")
    values = _values_for(arr, values, "put_along_axis")

    def put(a, v):
        a = a.copy()
        np.put_along_axis(a, strip(indices), v, axis)
        return a

    arr._become(_gather_labels([arr, values], put))


def _values_for(arr, values, name):
    """``values`` to be written into ``arr``; like NumPy, complex into real is refused."""
    values = values if type(values) in WRAPPERS else np.asarray(values)
    if np.iscomplexobj(peek(values)) and not np.iscomplexobj(peek(arr)):
        raise TypeError(f"np.{name}: complex values cannot be written into a real array")
    return values


def _writable(dst, name):
    if type(dst) not in WRAPPERS:
        raise TypeError(f"np.{name} into a plain array would drop the derivative of the value "
                        "written; start from a Dual (np.zeros_like(x) of a Dual x)")


def copyto(dst, src, casting="same_kind", where=True):
    """``np.copyto`` into a Dual (or tape value) ``dst``: it becomes ``where(where, src, dst)``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> def f(x):
    ...     d = np.zeros_like(x)
    ...     np.copyto(d, x ** 2, where=x > 2)
    ...     return np.sum(d)
    >>> dd.grad(f)(np.array([1.0, 3.0]))
    array([0., 6.])
    """
    _writable(dst, "copyto")
    src_dtype = np.result_type(peek(src))
    if not np.can_cast(src_dtype, np.result_type(peek(dst)), casting=casting):
        raise TypeError(f"Cannot cast array data from {src_dtype} to "
                        f"{np.result_type(peek(dst))} according to the rule {casting!r}")
    mask = np.broadcast_to(np.asarray(strip(where), dtype=bool), shape(dst))
    np.broadcast_shapes(shape(src), shape(dst))  # NumPy's error for shapes that do not fit
    dst._become(where_p(src, dst, cond=mask))


def _sections(n, indices_or_sections, equal):
    """The ``(start, stop)`` of each piece, from NumPy's split of ``arange(n)``."""
    split = np.split if equal else np.array_split
    pieces = split(np.arange(n), indices_or_sections)
    starts = np.cumsum([0] + [len(p) for p in pieces])
    return [(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]


def _split(x, indices_or_sections, axis, equal):
    (axis,) = normalize_axis(axis, ndim(x))
    if not isinstance(indices_or_sections, (int, np.integer)):
        n = shape(x)[axis]
        # NumPy clips the cut points to the axis; so does a slice
        cuts = [int(i) for i in indices_or_sections]
        bounds = [0] + cuts + [n]
        return [getitem_p(x, index=_along(axis, slice(a, b))) for a, b in zip(bounds, bounds[1:])]
    return [getitem_p(x, index=_along(axis, slice(a, b)))
            for a, b in _sections(shape(x)[axis], indices_or_sections, equal)]


def split(x, indices_or_sections, axis=0):
    """``np.split``: a list of slices (equal sections, or cuts at the given indices).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.split(x, 2)[1] ** 2))(np.array([1.0, 2.0, 3.0, 4.0]))
    array([0., 0., 6., 8.])
    """
    return _split(x, indices_or_sections, axis, True)


def array_split(x, indices_or_sections, axis=0):
    """``np.array_split``: like ``split``, sections may differ in length by one."""
    return _split(x, indices_or_sections, axis, False)


def hsplit(x, indices_or_sections):
    if ndim(x) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if ndim(x) > 1 else 0)


def vsplit(x, indices_or_sections):
    if ndim(x) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    if ndim(x) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def column_stack(xs):
    """``np.column_stack``: 1-d inputs become columns."""
    return concatenate([reshape_p(x, shape=(math.prod(shape(x)), 1)) if ndim(x) < 2 else x
                        for x in xs], axis=1)


def dstack(xs):
    """``np.dstack``: concatenation along the third axis of ``atleast_3d`` of each input."""
    return concatenate([atleast_3d(x) for x in xs], axis=2)


def _block_depth(b, where=()):
    if isinstance(b, tuple):
        raise TypeError("arrays is a tuple. Only lists can be used to arrange blocks, and np.block "
                        "does not allow implicit conversion from tuple to ndarray.")
    if not isinstance(b, list):
        return 0, max(ndim(b), 0)
    if not b:
        raise ValueError(f"List at arrays{''.join(f'[{i}]' for i in where)} cannot be empty")
    found = [_block_depth(e, where + (i,)) for i, e in enumerate(b)]
    if len({d for d, _ in found}) > 1:
        raise ValueError("List depths are mismatched.")
    return found[0][0] + 1, max(n for _, n in found)


def block(arrays):
    """``np.block``: nested lists of blocks; the innermost lists join along the last axis.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> one = dd.Dual(np.array([[1.0]]), np.array([[1.0]]))
    >>> np.block([[one, np.zeros((1, 2))]]).tangent
    array([[1., 0., 0.]])
    """
    depth, nd = _block_depth(arrays)
    nd = max(nd, depth)

    def build(b, level):
        if not isinstance(b, list):
            return reshape_p(b, shape=(1,) * (nd - ndim(b)) + shape(b)) if ndim(b) < nd else b
        parts = [build(e, level + 1) for e in b]
        return concatenate(parts, axis=nd - depth + level)

    return build(arrays, 0)


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
implements(np.atleast_1d)(atleast_1d)
implements(np.atleast_2d)(atleast_2d)
implements(np.atleast_3d)(atleast_3d)
implements(np.broadcast_arrays)(broadcast_arrays)
implements(np.rollaxis)(rollaxis)
implements(np.diagonal)(diagonal)
implements(np.diag)(diag)
implements(np.diagflat)(diagflat)
implements(np.triu)(triu)
implements(np.tril)(tril)
implements(np.tile)(tile)
implements(np.repeat)(repeat)
implements(np.flip)(flip)
implements(np.fliplr)(fliplr)
implements(np.flipud)(flipud)
implements(np.rot90)(rot90)
implements(np.roll)(roll)
implements(np.pad)(pad)
implements(np.append)(append)
implements(np.insert)(insert)
implements(np.delete)(delete)
implements(np.put_along_axis)(put_along_axis)
implements(np.copyto)(copyto)
implements(np.split)(split)
implements(np.array_split)(array_split)
implements(np.hsplit)(hsplit)
implements(np.vsplit)(vsplit)
implements(np.dsplit)(dsplit)
implements(np.column_stack)(column_stack)
implements(np.dstack)(dstack)
implements(np.block)(block)
implements(np.ones_like)(ones_like)
implements(np.full_like)(full_like)

__all__ = [
    "append", "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "block",
    "broadcast_arrays", "column_stack", "copyto", "delete", "diag", "diagflat", "diagonal",
    "dsplit", "dstack", "flip", "fliplr", "flipud", "hsplit", "insert", "pad", "put_along_axis",
    "repeat", "roll", "rollaxis", "rot90", "split", "tile", "tril", "triu", "vsplit",
    "broadcast_to", "broadcast_to_p", "concatenate", "concatenate_p", "expand_dims", "full_like",
    "getitem", "getitem_p", "hstack", "index_add_p", "moveaxis", "ones_like", "ravel", "reshape",
    "reshape_p", "set_index_p", "setitem", "squeeze", "stack", "swapaxes", "transpose",
    "transpose_p", "vstack", "where", "where_p", "zeros_like",
]


# --- stop_gradient ---------------------------------------------------------------------------

from ..pytree import tree_map as _tree_map  # noqa: E402 (this section's own import)

#: ``stop_gradient(x)``: the value of ``x``, a constant to every derivative around it.  A
#: primitive (not a composite) because no composition of the others has a zero derivative
#: and the identity as its value; a custom one (not piecewise) so that it stays out of the
#: elementwise catalogue.
stop_gradient_p = register(
    Custom("stop_gradient", lambda x: x,
           lambda primals, tangents, out, batch: None,
           lambda out_bar, primals, out, wants: [None])
)


def stop_gradient(x: PyTree) -> Tree:
    """The value of ``x`` (a number, array or pytree of them), treated as a constant.

    Every derivative around it (forward, reverse, any nesting) sees a zero derivative, as
    ``jax.lax.stop_gradient``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.grad(lambda x: x * dd.stop_gradient(x))(3.0)
    3.0
    """
    return _tree_map(stop_gradient_p, x)


__all__ += ["stop_gradient", "stop_gradient_p"]
