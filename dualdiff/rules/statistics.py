"""Order, selection and statistics: ``sort``, ``partition``, ``take``, ``take_along_axis``,
the quantiles (``median``, ``percentile``, ``quantile`` and their ``nan`` forms), the ``nan*``
reductions, ``average``, ``cov``, ``corrcoef``, ``gradient``, ``trapezoid``, ``interp``,
``polyval``, ``convolve`` and ``correlate``.

Two primitives only; everything else is composed from them and the primitives before:

- ``sort`` and ``partition`` (one :class:`~dualdiff.primitive.Custom` pair): a rearrangement
  of ``x`` along an axis, whose derivative is the same rearrangement of the tangent.  They are
  primitives, not ``take_along_axis(x, argsort(x))``, for the tie convention: entries of equal
  value share the derivative equally (as ``max`` does), which a composite could only express
  by averaging the tied values, and that would round the value itself.
- ``convolve_full``: NumPy's 1-d convolution is a sum of ``n m`` products in C; as a
  composite of products and sums it would be ``min(n, m)`` times slower.  It is bilinear, so
  its jvp is two convolutions and its vjp two correlations (convolutions with a reversed
  argument).

Selections (quantiles, ``take``) are ``getitem`` with constant integer indices, computed from
the primal values: a selected entry's tangent passes through unchanged, the others get 0.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence

import numpy as np

from ..core import WRAPPERS, ndim, normalize_axis, peek, shape, strip
from ..primitive import Custom
from ..registry import PRIMAL_FUNCTIONS, implements, register
from ..typing import ArrayLike, Axis, DTypeLike, Value
from . import reductions
from .elementwise import clip, conj, imag, real, sqrt
from .linalg import matmul
from .reductions import (
    _count,
    _kept_shape,
    _to_front,
    amax,
    amin,
    cumprod,
    cumsum,
    diff,
    mean,
    no_out,
    prod,
    std_from_var,
    sum_p,
    with_dtype,
)
from .structure import (
    concatenate,
    expand_dims,
    getitem,
    getitem_p,
    index_add_p,
    ravel,
    reshape,
    reshape_p,
    transpose,
    where,
)

where_ = where  # for the functions whose ``where=`` keyword shadows it

# --- rearrangements: sort and partition -----------------------------------------------------


def _along(idx, axis):
    """The full integer index that picks ``idx`` along ``axis`` (``take_along_axis``)."""
    nd = idx.ndim
    out = []
    for k in range(nd):
        if k == axis:
            out.append(idx)
        else:
            out.append(np.arange(idx.shape[k]).reshape([-1 if j == k else 1 for j in range(nd)]))
    return tuple(out)


def _tie_groups(out, axis, is_sorted=False):
    """Which entries of ``out`` are equal along ``axis``: ``(ids, counts)`` with one global id
    per group of equal values (``None`` when all are distinct, the common case).  Equal values
    are adjacent when ``out`` is sorted along ``axis``; otherwise they are brought together.

    (Written without assignments into arrays, so that dd.jit can stage it.)
    """
    o = np.moveaxis(out, axis, -1)
    if o.size == 0:
        return None
    order = None if is_sorted else np.argsort(o, axis=-1)
    s = o if is_sorted else np.take_along_axis(o, order, -1)
    first = np.ones(s.shape[:-1] + (1,), dtype=bool)
    new = np.concatenate([first, s[..., 1:] != s[..., :-1]], axis=-1)
    if np.all(new):
        return None
    ids = np.reshape(np.cumsum(np.ravel(new)) - 1, s.shape)
    if order is not None:
        ids = np.take_along_axis(ids, np.argsort(order, axis=-1), -1)
    ids = np.moveaxis(ids, -1, axis)
    return ids, np.bincount(np.ravel(ids))[ids].astype(float)


def _share(t, ties, batch):
    """Average ``t`` over each group of tied entries (``t`` unchanged without ties)."""
    if ties is None:
        return t
    ids, counts = ties
    index = (ids,) if batch is None else (slice(None), ids)
    size = int(ids.max()) + 1
    sums = index_add_p(t, index=index, shape=(size,) if batch is None else (batch, size))
    return getitem_p(sums, index=index) / counts


def _rearrangement(name, impl, permutation, is_sorted):
    """A primitive ``out = x`` rearranged along ``axis``; ``permutation(x, out, axis, **params)``
    gives the source index of every entry of ``out`` (on plain values)."""

    def plan(x, out, axis, params):
        xs, os = strip(x), strip(out)
        perm = permutation(xs, os, axis, **params)
        return perm, _tie_groups(os, axis, is_sorted)

    def jvp(primals, tangents, out, batch, axis, **params):
        perm, ties = plan(primals[0], out, axis, params)
        index = _along(perm, axis)
        t = getitem_p(tangents[0], index=index if batch is None else (slice(None),) + index)
        return _share(t, ties, batch)

    def vjp(out_bar, primals, out, wants, axis, **params):
        perm, ties = plan(primals[0], out, axis, params)
        inverse = np.argsort(perm, axis=axis)  # (a sort, not a scatter: dd.jit stages it)
        return [getitem_p(_share(out_bar, ties, None), index=_along(inverse, axis))]

    return register(Custom(name, impl, jvp, vjp))


# (no stable sorts: equal values may come from any of their places, as ties share anyway)


def _sort_permutation(x, out, axis):
    return np.argsort(x, axis=axis)


def _partition_permutation(x, out, axis, kth):
    # the entries of ``out`` matched to those of ``x`` by rank: the k-th smallest of ``out`` is
    # the k-th smallest of ``x`` (np.partition's arrangement is its own; this recovers it)
    rank_of_out = np.argsort(np.argsort(out, axis=axis), axis=axis)
    return np.take_along_axis(np.argsort(x, axis=axis), rank_of_out, axis)


sort_p = _rearrangement("sort", lambda x, axis: np.sort(x, axis=axis), _sort_permutation, True)
partition_p = _rearrangement(
    "partition", lambda x, axis, kth: np.partition(x, kth, axis=axis), _partition_permutation,
    False,
)


def _axis_or_flat(x, axis):
    if axis is None:
        return ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return x, axis


def sort(a: ArrayLike, axis: int | None = -1, kind: str | None = None,
         order: str | Sequence[str] | None = None, *, stable: bool | None = None) -> Value:
    """``np.sort``: the derivative goes through the sorting permutation.

    Tied entries share the derivative equally (``sort(x)[-1]`` is ``max(x)``, with the same
    convention).  ``kind`` and ``stable`` are accepted (the values do not depend on them).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jacobian(np.sort)(np.array([3.0, 1.0, 2.0]))
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    """
    if order is not None:
        raise TypeError("np.sort with order= (structured arrays) is not supported on Duals")
    a, axis = _axis_or_flat(a, axis)
    return sort_p(a, axis=axis)


def partition(a: ArrayLike, kth: int | Sequence[int], axis: int | None = -1,
              kind: str | None = "introselect", order: str | Sequence[str] | None = None) -> Value:
    """``np.partition``: the same arrangement as NumPy's, derivative through it (ties share)."""
    if order is not None:
        raise TypeError("np.partition with order= is not supported on Duals")
    a, axis = _axis_or_flat(a, axis)
    kth = tuple(int(k) for k in np.atleast_1d(strip(kth)))
    return partition_p(a, axis=axis, kth=kth)


def _indices(indices, what):
    if type(indices) in WRAPPERS:
        raise TypeError(f"{what}: indices must be integers, not a Dual or tape value")
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu" and idx.size:
        raise IndexError(f"{what}: indices must be integers, got dtype {idx.dtype}")
    return idx.astype(np.intp)


def take(a: ArrayLike, indices: ArrayLike, axis: int | None = None, out: None = None,
         mode: str = "raise") -> Value:
    """``np.take``: a selection (``mode`` ``'raise'``, ``'wrap'`` or ``'clip'``)."""
    no_out(out, "np.take")
    idx = _indices(indices, "np.take")
    a, axis = _axis_or_flat(a, axis)
    n = shape(a)[axis]
    if mode == "raise":
        bad = (idx < -n) | (idx >= n)
        if np.any(bad):
            raise IndexError(f"index {int(idx[bad].flat[0])} is out of bounds for axis {axis} "
                             f"with size {n}")
    elif mode == "wrap":
        idx = idx % n if n else idx
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    else:
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    head = (slice(None),) * axis
    return getitem(a, head + ((int(idx),) if idx.ndim == 0 else (idx,)))


def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: int | None = -1) -> Value:
    """``np.take_along_axis``: a selection."""
    idx = _indices(indices, "np.take_along_axis")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = ravel(arr), 0
    if idx.ndim != ndim(arr):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    (axis,) = normalize_axis(axis, ndim(arr))
    n = shape(arr)[axis]
    idx = np.where(idx < 0, idx + n, idx)
    full = list(_along(idx, axis))
    for k, (m, p) in enumerate(zip(idx.shape, shape(arr))):
        if k != axis and m == 1 and p != 1:
            full[k] = np.arange(p).reshape([-1 if j == k else 1 for j in range(idx.ndim)])
    return getitem(arr, tuple(full))


def ptp(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False) -> Value:
    """``np.ptp``: ``max - min`` (ties share, as in ``max``)."""
    no_out(out, "np.ptp")
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


# --- quantiles: sort, then select or interpolate --------------------------------------------

#: Hyndman and Fan's continuous methods: virtual index ``n q + alpha + q (1 - alpha - beta) - 1``
_CONTINUOUS = {
    "linear": (1.0, 1.0), "weibull": (0.0, 0.0), "hazen": (0.5, 0.5),
    "interpolated_inverted_cdf": (0.0, 1.0), "median_unbiased": (1 / 3, 1 / 3),
    "normal_unbiased": (3 / 8, 3 / 8),
}
_DISCRETE = {"lower": np.floor, "higher": np.ceil, "nearest": np.around}
METHODS = (*_CONTINUOUS, *_DISCRETE, "midpoint")


def _positions(n, q, method):
    """NumPy's ``(previous, next, gamma)`` for the quantiles ``q`` of ``n`` sorted values
    (``n`` an array of per-slice counts for the ``nan`` forms); ``gamma`` None: no blend."""
    if method in _DISCRETE:
        idx = _DISCRETE[method]((n - 1) * q).astype(np.intp)
        idx = np.clip(idx, 0, np.maximum(n - 1, 0))
        return idx, idx, None
    if method == "midpoint":
        h = 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q))
    elif method == "linear":
        h = (n - 1) * q
    elif method in _CONTINUOUS:
        alpha, beta = _CONTINUOUS[method]
        h = n * q + (alpha + q * (1 - alpha - beta)) - 1
    else:
        raise ValueError(f"method {method!r} is not supported on Duals; use one of {METHODS}")
    prev = np.floor(h)
    gamma = h - prev
    if method == "midpoint":
        gamma = np.where(h % 1 == 0, 0.0, 0.5)
    top = np.maximum(n - 1, 0)
    prev = np.clip(prev, 0, top).astype(np.intp)
    nxt = np.clip(np.floor(h) + 1, 0, top).astype(np.intp)
    nxt = np.where(h >= n - 1, top, nxt)
    prev = np.where(h >= n - 1, top, prev)
    return prev, nxt, gamma


def _gather(s, idx, lead):
    """``s[idx[..., r], r]`` for every position ``r`` of the trailing axes of ``s``, with the
    leading axes ``lead`` of ``idx`` in front (a selection)."""
    rest = shape(s)[1:]
    want = lead + rest
    full = np.broadcast_to(idx, want)
    nd = len(want)
    index = [full]
    for k, r in enumerate(rest):
        index.append(np.arange(r).reshape([-1 if j == len(lead) + k else 1 for j in range(nd)]))
    return getitem_p(s, index=tuple(index))


def _lerp(a, b, gamma):
    """NumPy's interpolation between order statistics (the same rounding)."""
    d = b - a
    if np.all(gamma < 0.5):
        return a + d * gamma
    return where(gamma >= 0.5, b - d * (1.0 - gamma), a + d * gamma)


def _order_statistic(a, axis, keepdims, skip_nan, q, pick, combine, name, weak=True):
    """Sort ``a`` over ``axis`` and combine the order statistics that ``pick(n, q)`` names.

    With ``skip_nan``, ``n`` counts the non-nan entries of each slice (nans sort last, so they
    are never selected and contribute no derivative); otherwise a slice holding a nan gives
    nan, as in NumPy.
    """
    s = sort_p(_to_front(a, axis), axis=0)
    plain = strip(s)
    n, rest = plain.shape[0], plain.shape[1:]
    qs = np.shape(q)
    qb = np.reshape(q, qs + (1,) * len(rest))
    if n == 0:
        warnings.warn(f"{name} of an empty array", RuntimeWarning, stacklevel=3)
        out = np.full(qs + rest, np.nan)
    else:
        counts = np.sum(~np.isnan(plain), axis=0) if skip_nan else n
        prev, nxt, gamma = pick(counts, qb)
        if gamma is not None and weak and plain.dtype.kind == "f":
            gamma = gamma.astype(plain.dtype)  # as NumPy: a Python q keeps float32 float32
        out = combine(_gather(s, prev, qs), _gather(s, nxt, qs), gamma)
        if np.iscomplexobj(plain):
            missing = np.zeros(rest, dtype=bool)
        elif skip_nan:
            missing = counts == 0
            if np.any(missing):
                warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
        else:
            missing = np.isnan(plain[-1])
        if np.any(missing):
            out = where(np.broadcast_to(missing, qs + rest), np.nan, out)
    if keepdims:
        out = reshape_p(out, shape=qs + _kept_shape(a, axis))
    return out


def _checked_q(q, scale, what):
    if type(q) in WRAPPERS:
        raise TypeError(f"{what}: q must be a constant (the derivative is taken in a only)")
    q = np.true_divide(np.asarray(q, dtype=float), scale) if scale != 1 else np.asarray(q, float)
    if not np.all((q >= 0) & (q <= 1)):
        raise ValueError(f"{'Percentiles' if scale == 100 else 'Quantiles'} must be in the "
                         f"range [0, {scale}]")
    return q


def _quantile_combine(a, b, gamma):
    return a if gamma is None else _lerp(a, b, gamma)


def _quantile(a, q, axis, method, keepdims, skip_nan, name, out=None, weights=None,
              interpolation=None):
    no_out(out, f"np.{name}")
    if weights is not None:
        raise TypeError(f"np.{name} with weights= is not supported on Duals")
    if interpolation is not None:
        method = interpolation
    if np.iscomplexobj(peek(a)):
        raise TypeError("a must be an array of real numbers")
    weak = isinstance(q, (int, float))
    q = _checked_q(q, 100 if "percentile" in name else 1, f"np.{name}")
    pick = lambda n, qb: _positions(n, qb, method)
    return _order_statistic(a, axis, keepdims, skip_nan, q, pick, _quantile_combine, name, weak)


def _quantile_function(name, skip_nan, doc):
    def f(a: ArrayLike, q: ArrayLike, axis: Axis = None, out: None = None,
          overwrite_input: bool = False, method: str = "linear", keepdims: bool = False, *,
          weights: ArrayLike | None = None, interpolation: str | None = None) -> Value:
        return _quantile(a, q, axis, method, keepdims, skip_nan, name, out, weights,
                         interpolation)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


quantile = _quantile_function("quantile", False, """``np.quantile`` through ``sort`` and a
    selection.

    ``method``: ``'linear'`` and the other continuous methods of Hyndman and Fan (``'weibull'``,
    ``'hazen'``, ``'interpolated_inverted_cdf'``, ``'median_unbiased'``,
    ``'normal_unbiased'``), ``'lower'``, ``'higher'``, ``'nearest'``, ``'midpoint'``.  The
    derivative is that of the blended order statistics (ties share); ``q`` is a constant.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.quantile(x, 0.25))(np.array([4.0, 1.0, 3.0, 2.0]))
    array([0.  , 0.25, 0.  , 0.75])
    """)
percentile = _quantile_function(
    "percentile", False, "``np.percentile``: :func:`quantile` at ``q / 100``.")
nanquantile = _quantile_function(
    "nanquantile", True, "``np.nanquantile``: :func:`quantile` of the non-nan entries of each "
    "slice (a nan entry carries no derivative).")
nanpercentile = _quantile_function(
    "nanpercentile", True, "``np.nanpercentile``: :func:`nanquantile` at ``q / 100``.")


def _middle(n, q):
    return (n - 1) // 2, n // 2, None


def _median_combine(a, b, gamma):
    # (a + a) / 2 is a exactly for an odd count: one formula for both parities, as NumPy's mean
    return (a + b) / 2.0


def _median(a, axis, keepdims, skip_nan, out, name):
    no_out(out, f"np.{name}")
    return _order_statistic(a, axis, keepdims, skip_nan, 0.0, _middle, _median_combine, name)


def median(a: ArrayLike, axis: Axis = None, out: None = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Value:
    """``np.median``: the middle order statistic (the mean of the two middle ones for an even
    count), through ``sort``; ties share the derivative.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(np.median)(np.array([3.0, 1.0, 2.0, 5.0]))
    array([0.5, 0. , 0.5, 0. ])
    """
    return _median(a, axis, keepdims, False, out, "median")


def nanmedian(a: ArrayLike, axis: Axis = None, out: None = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Value:
    """``np.nanmedian``: :func:`median` of the non-nan entries of each slice."""
    return _median(a, axis, keepdims, True, out, "nanmedian")


# --- the nan* reductions: a nan entry is replaced by the neutral element --------------------


def _without_nan(a, fill):
    """``a`` with its nan entries replaced by the constant ``fill`` (so they carry no
    derivative), and the mask of the kept entries."""
    mask = np.isnan(strip(a))
    if not np.any(mask):
        return a, ~mask
    return where(mask, fill, a), ~mask


def _kept(mask, where_):
    """The entries a ``nan*`` reduction combines: not nan, and in the ``where=`` mask."""
    return mask if where_ is True else mask & np.asarray(strip(where_), dtype=bool)


def nansum(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           keepdims: bool = False, initial: ArrayLike | None = None,
           where: ArrayLike = True) -> Value:
    """``np.nansum``: the sum with nan entries taken as 0."""
    return reductions.sum(_without_nan(a, 0.0)[0], axis, dtype, out, keepdims, initial, where)


def nanprod(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
            keepdims: bool = False, initial: ArrayLike | None = None,
            where: ArrayLike = True) -> Value:
    """``np.nanprod``: the product with nan entries taken as 1."""
    return prod(_without_nan(a, 1.0)[0], axis, dtype, out, keepdims, initial, where)


def nancumsum(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
              out: None = None) -> Value:
    """``np.nancumsum``: the cumulative sum with nan entries taken as 0."""
    return cumsum(_without_nan(a, 0.0)[0], axis=axis, dtype=dtype, out=out)


def nancumprod(a: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
               out: None = None) -> Value:
    """``np.nancumprod``: the cumulative product with nan entries taken as 1."""
    return cumprod(_without_nan(a, 1.0)[0], axis=axis, dtype=dtype, out=out)


def _empty_slices(kept, axis, message):
    if np.any(np.sum(kept, axis=normalize_axis(axis, np.ndim(kept))) == 0):
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def nanmean(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
            keepdims: bool = False, *, where: ArrayLike = True) -> Value:
    """``np.nanmean``: the mean of the non-nan entries (nan, with NumPy's warning, where there
    are none)."""
    b, kept = _without_nan(a, 0.0)
    kept = _kept(kept, where)
    _empty_slices(kept, axis, "Mean of empty slice")
    return mean(b, axis, dtype, out, keepdims, where=kept)


def nanvar(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           ddof: float = 0, keepdims: bool = False, *, where: ArrayLike = True,
           mean: ArrayLike | None = None, correction: float | None = None) -> Value:
    """``np.nanvar``: ``sum |x - nanmean|**2 / (n - ddof)`` over the non-nan entries."""
    b, kept = _without_nan(a, 0.0)
    kept = _kept(kept, where)
    n = np.sum(kept, axis=normalize_axis(axis, np.ndim(kept)))
    if np.any(n - (ddof if correction is None else correction) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
    return reductions.var(b, axis, dtype, out, ddof, keepdims, where=kept, mean=mean,
                          correction=correction)


def nanstd(a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
           ddof: float = 0, keepdims: bool = False, *, where: ArrayLike = True,
           mean: ArrayLike | None = None, correction: float | None = None) -> Value:
    """``np.nanstd``: ``sqrt(nanvar)``, with the ``std`` convention where the variance is 0."""
    return std_from_var(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                               correction=correction))


def _nan_extreme(extreme, fill, name):
    def f(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False,
          initial: ArrayLike | None = None, where: ArrayLike = True) -> Value:
        b, kept = _without_nan(a, fill)
        kept = _kept(kept, where)
        if initial is None:
            _empty_slices(kept, axis, "All-NaN slice encountered")
            empty = ~np.any(kept, axis=normalize_axis(axis, np.ndim(kept)), keepdims=keepdims)
            r = extreme(b, axis, out, keepdims, fill, kept)
            return where_(empty, np.nan, r) if np.any(empty) else r
        return extreme(b, axis, out, keepdims, initial, kept)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``np.{name}``: the extremum of the non-nan entries (ties share)."
    return f


nanmax = _nan_extreme(reductions.max, -np.inf, "nanmax")
nanmin = _nan_extreme(reductions.min, np.inf, "nanmin")


# --- weighted means and second moments ------------------------------------------------------


def average(a: ArrayLike, axis: Axis = None, weights: ArrayLike | None = None,
            returned: bool = False, *, keepdims: bool = False) -> Value | tuple[Value, Value]:
    """``np.average``: ``sum(w a) / sum(w)`` along ``axis`` (the mean without weights).

    Differentiable in ``a`` and in ``weights``; ``returned=True`` also gives ``sum(w)``,
    broadcast to the shape of the average.
    """
    a, weights = _array(a), _array(weights)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scl = float(_count(a, axis))
        if returned:
            return avg, np.full(np.shape(peek(avg)), scl)
        return avg
    ws = shape(weights)
    if ws != shape(a):
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if len(ws) != 1:
            raise TypeError("1D weights expected when shapes of a and weights differ.")
        (ax,) = normalize_axis(axis, ndim(a))
        if ws[0] != shape(a)[ax]:
            raise ValueError("Length of weights not compatible with specified axis.")
        weights = reshape(weights, [-1 if i == ax else 1 for i in range(ndim(a))])
        weights = weights * np.ones(shape(a), dtype=np.result_type(peek(weights)))
    scl = sum_p(weights, axis=axis, keepdims=keepdims)
    if np.any(strip(scl) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = sum_p(a * weights, axis=axis, keepdims=keepdims) / scl
    if returned:
        if shape(scl) != shape(avg):
            scl = scl * np.ones(shape(avg))
        return avg, scl
    return avg


def cov(m: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: ArrayLike | None = None,
        aweights: ArrayLike | None = None, *, dtype: DTypeLike | None = None) -> Value:
    """``np.cov`` through ``mean`` and ``matmul``: ``(X - mean) w (X - mean)^H / (sum w -
    ddof)`` for the variables in the rows of ``X`` (columns with ``rowvar=False``).

    ``fweights`` (integer frequencies) are constants; ``aweights`` may carry derivatives.
    """
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    x = _rows(m)
    if not rowvar and shape(x)[0] != 1:
        x = transpose(x)
    if y is not None:
        yy = _rows(y)
        if not rowvar and shape(yy)[0] != 1:
            yy = transpose(yy)
        x = concatenate([x, yy], axis=0)
    # NumPy computes in at least double precision
    x = with_dtype(x, np.result_type(peek(x), np.float64) if dtype is None else dtype, "np.cov")
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = np.asarray(strip(fweights), dtype=float)
    if aweights is not None:
        aw = aweights if type(aweights) in WRAPPERS else np.asarray(aweights, dtype=float)
        w = aw if w is None else w * aw
    n = shape(x)[1]
    if w is None:
        avg = mean(x, axis=1)
        fact = float(n - ddof)
        xc = x - expand_dims(avg, 1)
        xw = xc
    else:
        avg = average(x, axis=1, weights=w)
        w_sum = sum_p(w, axis=(0,))
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * sum_p(w * aw, axis=(0,)) / w_sum
        xc = x - expand_dims(avg, 1)
        xw = xc * w
    if fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    xt = transpose(xc)
    if np.iscomplexobj(peek(xt)):
        xt = conj(xt)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = matmul(xw, xt) / fact
    s = shape(c)
    return reshape(c, ()) if s == (1, 1) else c


def _rows(m):
    nd = ndim(m)
    if nd > 2:
        raise ValueError("m has more than 2 dimensions")
    return reshape(m, (1, -1)) if nd < 2 else m


def corrcoef(x: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True, *,
             dtype: DTypeLike | None = None) -> Value:
    """``np.corrcoef``: ``cov`` scaled by the standard deviations, clipped to ``[-1, 1]`` as
    in NumPy (a clipped entry has derivative 0 outside the bounds, 1 at them)."""
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim(c) == 0:
        return c / c
    k = shape(c)[0]
    d = real(getitem(c, (np.arange(k), np.arange(k))))
    sd = sqrt(d)
    c = c / reshape(sd, (-1, 1))
    c = c / reshape(sd, (1, -1))
    plain = strip(c)
    if np.all(np.abs(np.real(plain)) <= 1) and np.all(np.abs(np.imag(plain)) <= 1):
        return c  # nothing to clip (the usual case: only rounding can leave [-1, 1])
    if np.iscomplexobj(plain):
        return clip(real(c), -1, 1) + 1j * clip(imag(c), -1, 1)
    return clip(c, -1, 1)


# --- calculus on samples --------------------------------------------------------------------


def _slices(nd, axis, s):
    return (slice(None),) * axis + (s,) + (slice(None),) * (nd - axis - 1)


def gradient(f: ArrayLike, *varargs: ArrayLike, axis: Axis = None, edge_order: int = 1) -> Value:
    """``np.gradient``: second-order central differences inside, first- or second-order
    one-sided ones at the edges (``edge_order``), with NumPy's formulas for uniform spacings
    (scalars) and coordinates (1-d arrays).  Linear in ``f`` (and differentiable in the
    spacing too)."""
    f = _array(f)
    nd = ndim(f)
    axes = normalize_axis(axis, nd)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and ndim(varargs[0]) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = []
        for i, d in enumerate(varargs):
            d = _array(d)
            if ndim(d) == 0:
                spacings.append(d)
                continue
            if ndim(d) != 1:
                raise ValueError("distances must be either scalars or 1d")
            if shape(d)[0] != shape(f)[axes[i]]:
                raise ValueError("when 1d, distances must match the length of the "
                                 "corresponding dimension")
            if type(d) not in WRAPPERS and d.dtype.kind in "biu":
                d = d.astype(float)
            dx = diff(d)
            plain = np.asarray(strip(dx))
            spacings.append(dx[0] if np.all(plain == plain[0]) else dx)
    else:
        raise TypeError("invalid number of arguments")
    outs = [_gradient_1(f, nd, ax, dx, edge_order) for ax, dx in zip(axes, spacings)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _gradient_1(f, nd, axis, dx, edge_order):
    if shape(f)[axis] < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least "
                         "(edge_order + 1) elements are required.")
    at = lambda s: getitem(f, _slices(nd, axis, s))
    uniform = ndim(dx) == 0
    if uniform:
        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * dx)
    else:
        bcast = lambda v: reshape(v, [-1 if i == axis else 1 for i in range(nd)])
        dx1, dx2 = dx[0:-1], dx[1:]
        a = bcast(-(dx2) / (dx1 * (dx1 + dx2)))
        b = bcast((dx2 - dx1) / (dx1 * dx2))
        c = bcast(dx1 / (dx2 * (dx1 + dx2)))
        inner = a * at(slice(None, -2)) + b * at(slice(1, -1)) + c * at(slice(2, None))
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / (dx if uniform else dx[0])
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / (dx if uniform else dx[-1])
    else:
        if uniform:
            a, b, c = -1.5 / dx, 2.0 / dx, -0.5 / dx
        else:
            dx1, dx2 = dx[0], dx[1]
            a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
            b = (dx1 + dx2) / (dx1 * dx2)
            c = -dx1 / (dx2 * (dx1 + dx2))
        first = a * at(slice(0, 1)) + b * at(slice(1, 2)) + c * at(slice(2, 3))
        if uniform:
            a, b, c = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            dx1, dx2 = dx[-2], dx[-1]
            a = (dx2) / (dx1 * (dx1 + dx2))
            b = -(dx2 + dx1) / (dx1 * dx2)
            c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
        last = a * at(slice(-3, -2)) + b * at(slice(-2, -1)) + c * at(slice(-1, None))
    return concatenate([first, inner, last], axis=axis)


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1) -> Value:
    """``np.trapezoid``: ``sum(d * (y[1:] + y[:-1]) / 2)`` along ``axis``, with ``d`` the
    differences of the sample points ``x`` (or the constant ``dx``); differentiable in ``y``,
    ``x`` and ``dx``."""
    y, x = _array(y), _array(x)
    nd = ndim(y)
    (axis,) = normalize_axis(axis, nd)
    if x is None:
        d = dx
    else:
        d = diff(x)
        if ndim(x) == 1:
            d = reshape(d, [-1 if i == axis else 1 for i in range(nd)])
        else:
            d = diff(x, axis=axis)
    hi = getitem(y, _slices(nd, axis, slice(1, None)))
    lo = getitem(y, _slices(nd, axis, slice(None, -1)))
    return sum_p(d * (hi + lo) / 2.0, axis=axis)


def interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, left: ArrayLike | None = None,
           right: ArrayLike | None = None, period: float | None = None) -> Value:
    """``np.interp``: piecewise-linear interpolation, differentiable in ``x`` (the slope of
    the segment), in the values ``fp`` and the knots ``xp``.

    At a knot ``xp[j]`` (inside) the derivative in ``x`` is the slope of the segment to its
    right; below ``xp[0]`` and from ``xp[-1]`` on it is 0 (``left`` and ``right`` are
    constant values).  ``period`` wraps ``x`` (slope 1) and the knots, as NumPy does.
    """
    x, xp, fp = _array(x), _array(xp), _array(fp)
    if np.iscomplexobj(peek(x)) or np.iscomplexobj(peek(xp)):
        raise TypeError("np.interp: x and xp must be real (only fp may be complex)")
    fp = with_dtype(fp, np.result_type(peek(fp), np.float64), "np.interp")  # as NumPy
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        x = _wrap(x, period)
        order = np.argsort(np.mod(np.real(strip(xp)), period), kind="stable")
        xp, fp = _wrap(getitem(xp, order), period), getitem(fp, order)
        xp = concatenate([getitem(xp, slice(-1, None)) - period, xp,
                          getitem(xp, slice(0, 1)) + period])
        fp = concatenate([getitem(fp, slice(-1, None)), fp, getitem(fp, slice(0, 1))])
        left = right = None
    xs, xps = strip(x), np.real(strip(xp))
    if ndim(xp) != 1 or ndim(fp) != 1:
        raise ValueError("object too deep for desired array")
    if shape(xp)[0] != shape(fp)[0]:
        raise ValueError("fp and xp are not of the same length.")
    if shape(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    k = xps.shape[0]
    if k == 1:
        j = np.zeros(np.shape(xs), dtype=np.intp)
        inside = np.zeros(np.shape(xs), dtype=bool)
    else:
        j = np.clip(np.searchsorted(xps, xs, side="right") - 1, 0, k - 2)
        inside = (xs >= xps[0]) & (xs < xps[-1])
    fj, xj = getitem(fp, j), getitem(xp, j)
    if k > 1:
        fj1, xj1 = getitem(fp, j + 1), getitem(xp, j + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (fj1 - fj) / (xj1 - xj)
        xin = where(inside, x, xps[0]) if np.ndim(xs) else (x if inside else xps[0])
        value = slope * (xin - xj) + fj
    else:
        value = fj
    lo = fp[0] if left is None else left
    hi = fp[-1] if right is None else right
    below, above = xs < xps[0], xs > xps[-1]
    at_end = xs == xps[-1]
    out = value
    out = _choose(at_end, fp[-1], out)
    out = _choose(above, hi, out)
    out = _choose(below, lo, out)
    return _choose(np.isnan(xs), np.nan, out)


def _array(z):
    """A list or tuple as an array (wrappers and arrays unchanged)."""
    return np.asarray(z) if isinstance(z, (list, tuple)) else z


def _wrap(x, period):
    """``x % period``: slope 1, the value NumPy's ``%`` gives (to rounding)."""
    plain = strip(x)
    return x - (plain - np.mod(plain, period))


def _choose(cond, a, b):
    """``a`` where ``cond`` else ``b``, by selection (a Python ``if`` for a scalar ``cond``)."""
    if np.ndim(cond) == 0:
        return a if cond else b
    if not np.any(cond):
        return b
    return where(cond, a, b)


def polyval(p: ArrayLike, x: ArrayLike) -> Value:
    """``np.polyval`` by Horner's scheme (NumPy's own order of operations): differentiable in
    the coefficients ``p`` (highest degree first) and in ``x``."""
    p, x = _array(p), _array(x)
    if type(x) in WRAPPERS:
        y = 0.0 * x
    else:
        xa = np.asarray(x)
        y = np.zeros_like(xa, dtype=xa.dtype if xa.dtype.kind in "fc" else float)
    for i in range(shape(p)[0]):
        y = y * x + p[i]
    return y


# --- convolution: bilinear ------------------------------------------------------------------


def _convolve_impl(a, v):
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim == 1 and v.ndim == 1:
        return np.convolve(a, v)
    lead = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
    rows = zip(np.broadcast_to(a, lead + a.shape[-1:]).reshape(-1, a.shape[-1]),
               np.broadcast_to(v, lead + v.shape[-1:]).reshape(-1, v.shape[-1]))
    out = [np.convolve(p, q) for p, q in rows]
    return np.reshape(out, lead + (a.shape[-1] + v.shape[-1] - 1,))


def _flip(x):
    return getitem_p(x, index=(Ellipsis, slice(None, None, -1)))


def _valid(g, n, m):
    """The ``n`` entries of a full convolution of length ``n + 2 m - 2`` that ``valid`` keeps."""
    return getitem_p(g, index=(Ellipsis, slice(m - 1, m - 1 + n)))


def _convolve_jvp(primals, tangents, out, batch):
    a, v = primals
    ta, tv = tangents
    total = None if ta is None else convolve_full(ta, v)
    if tv is not None:
        term = convolve_full(a, tv)
        total = term if total is None else total + term
    return total


def _convolve_vjp(out_bar, primals, out, wants):
    a, v = primals
    n, m = shape(a)[-1], shape(v)[-1]
    return [
        _valid(convolve_full(out_bar, _flip(v)), n, m) if wants[0] else None,
        _valid(convolve_full(out_bar, _flip(a)), m, n) if wants[1] else None,
    ]


#: the full convolution of two 1-d arrays along their last axis (leading axes broadcast: a
#: batch of tangents rides along); bilinear, so the jvp is two convolutions and the vjp two
#: convolutions with a reversed argument
convolve_full = register(Custom("convolve_full", _convolve_impl, _convolve_jvp,
                                _convolve_vjp, nargs=2))


def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full") -> Value:
    """``np.convolve`` (``mode`` ``'full'``, ``'same'`` or ``'valid'``): a slice of the full
    convolution, which is bilinear; differentiable in both arguments."""
    a, v = (reshape(z, (-1,)) if ndim(z) == 0 else z for z in (a, v))
    if ndim(a) != 1 or ndim(v) != 1:
        raise ValueError("object too deep for desired array")
    n, m = shape(a)[0], shape(v)[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    full = convolve_full(a, v)
    big, small = builtins.max(n, m), builtins.min(n, m)
    if mode == "full":
        return full
    if mode == "same":
        start = (small - 1) // 2
        return getitem(full, slice(start, start + big))
    if mode == "valid":
        return getitem(full, slice(small - 1, big))
    raise ValueError(f"mode must be one of 'full', 'same', or 'valid' (got {mode!r})")


def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid") -> Value:
    """``np.correlate``: ``sum_n a[n + k] conj(v[n])``, the convolution with ``conj(v)``
    reversed."""
    v = reshape(v, (-1,)) if ndim(v) == 0 else v
    if np.iscomplexobj(peek(v)):
        v = conj(v)
    return convolve(a, getitem(v, slice(None, None, -1)) if ndim(v) else v, mode)


implements(np.sort)(sort)
implements(np.partition)(partition)
implements(np.take)(take)
implements(np.take_along_axis)(take_along_axis)
implements(np.ptp)(ptp)
implements(np.quantile)(quantile)
implements(np.percentile)(percentile)
implements(np.median)(median)
implements(np.nanquantile)(nanquantile)
implements(np.nanpercentile)(nanpercentile)
implements(np.nanmedian)(nanmedian)
implements(np.nansum)(nansum)
implements(np.nanprod)(nanprod)
implements(np.nancumsum)(nancumsum)
implements(np.nancumprod)(nancumprod)
implements(np.nanmean)(nanmean)
implements(np.nanvar)(nanvar)
implements(np.nanstd)(nanstd)
implements(np.nanmax)(nanmax)
implements(np.nanmin)(nanmin)
implements(np.average)(average)
implements(np.cov)(cov)
implements(np.corrcoef)(corrcoef)
implements(np.gradient)(gradient)
implements(np.trapezoid)(trapezoid)
implements(np.interp)(interp)
implements(np.polyval)(polyval)
implements(np.convolve)(convolve)
implements(np.correlate)(correlate)
PRIMAL_FUNCTIONS.update({np.argpartition, np.nanargmax, np.nanargmin})

__all__ = [
    "average", "convolve", "convolve_full", "corrcoef", "correlate", "cov", "gradient",
    "interp", "median", "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin",
    "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "partition",
    "partition_p", "percentile", "polyval", "ptp", "quantile", "sort", "sort_p", "take",
    "take_along_axis", "trapezoid",
]
