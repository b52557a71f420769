"""Reductions and scans: ``sum``, ``cumsum``, ``max``/``min`` (primitives), and the
functions composed from them (``mean``, ``var``, ``std``, ``prod``, ``diff``, ``trace``).
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..core import ndim, normalize_axis, peek, shape, shifted_axes, strip
from ..primitive import Custom, Linear
from ..registry import implements, register
from ..typing import ArrayLike, Axis, DTypeLike, Value
from .elementwise import float_dtype, imag, maximum, minimum, real, sqrt
from .structure import (
    broadcast_to_p,
    concatenate,
    concatenate_p,
    diagonal,
    getitem,
    getitem_p,
    ravel,
    reshape,
    reshape_p,
    transpose,
    where,
)


def _sum_transpose(out_bar, primals, out, wants, axis=None, keepdims=False):
    s = np.shape(peek(primals[0]))
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
    hit = (xs == os) | (np.isnan(xs) & np.isnan(os))  # a nan extremum: from the nan entries
    w = hit / np.sum(hit, axis=axis, keepdims=True)
    dt = float_dtype(x)
    return w if dt == np.float64 else w.astype(dt)  # float32 tangents stay float32


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


def _count(x, axis):
    """How many entries of ``x`` each reduction over ``axis`` combines."""
    return math.prod(shape(x)[a] for a in normalize_axis(axis, ndim(x)))


def _kept_shape(x, axis):
    """The shape of a reduction of ``x`` over ``axis`` with ``keepdims=True``."""
    axes = normalize_axis(axis, ndim(x))
    return tuple(1 if i in axes else n for i, n in enumerate(shape(x)))


def _keep(out, x, axis, keepdims):
    """A reduction's result ``out`` (reduced axes dropped) with the reduced axes back as 1 when
    ``keepdims``, as NumPy gives it (``(1, 1)`` for a 2-d ``x`` and ``axis=None``)."""
    return reshape_p(out, shape=_kept_shape(x, axis)) if keepdims else out


def _is_complex(x):
    return np.iscomplexobj(peek(x))


def with_dtype(x, dtype, what="a reduction"):
    """``x`` computed in ``dtype`` (the ``dtype=`` of NumPy's reductions).

    The same dtype or a wider float or complex one is a promotion (the derivative follows); a
    narrower one, or an integer or bool dtype, would round or drop the derivative: a
    ``TypeError`` that says so.
    """
    if dtype is None:
        return x
    want, have = np.dtype(dtype), np.result_type(peek(x))
    if want == have:
        return x
    if want.kind not in "fc" or not np.can_cast(have, want, "safe"):
        raise TypeError(f"{what} with dtype={want} of a {have} input is not supported on Duals: "
                        "only the input's dtype or a wider float/complex one keeps the derivative")
    return x + np.zeros((), want)


def no_out(out, what):
    """``out=`` must be None: a reduction on Duals returns its result."""
    if out is not None:
        raise TypeError(f"{what} with out= is not supported on Duals (use the returned value)")


def _masked(x, where_, fill):
    """``x`` with the entries outside the ``where=`` mask replaced by the constant ``fill`` (so
    they carry no derivative), and the mask (``None`` without one)."""
    if where_ is True or where_ is None:
        return x, None
    if isinstance(where_, bool) and not where_:
        where_ = np.zeros(shape(x), dtype=bool)
    mask = np.broadcast_to(np.asarray(strip(where_), dtype=bool), shape(x))
    return where(mask, x, fill), mask


def _with_initial(r, initial, combine):
    return r if initial is None else combine(r, initial)


def sum(x: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None,  # noqa: A001
        out: None = None, keepdims: bool = False, initial: ArrayLike | None = None,
        where: ArrayLike = True) -> Value:
    """``np.sum``: linear, so its tangent is the sum of the tangent."""
    no_out(out, "np.sum")
    x, _ = _masked(with_dtype(x, dtype, "np.sum"), where, 0.0)
    return _with_initial(sum_p(x, axis=axis, keepdims=keepdims), initial, operator.add)


def _counts(x, axis, keepdims, mask, ddof=0):
    """How many entries each reduction combines, less ``ddof`` (at least 0): a Python number,
    or an array in ``x``'s real precision (so float32 stays float32)."""
    if mask is None:
        return float(builtins.max(_count(x, axis) - ddof, 0))
    n = np.sum(mask, axis=normalize_axis(axis, ndim(x)), keepdims=keepdims) - ddof
    return np.maximum(n, 0).astype(_real_dtype(x))


def _real_dtype(x):
    dt = np.result_type(peek(x))
    return np.finfo(dt).dtype if dt.kind in "fc" else np.dtype(float)


def mean(x: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
         keepdims: bool = False, *, where: ArrayLike = True) -> Value:
    """``np.mean`` as ``sum(x) / n``."""
    no_out(out, "np.mean")
    x, mask = _masked(with_dtype(x, dtype, "np.mean"), where, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum_p(x, axis=axis, keepdims=keepdims) / _counts(x, axis, keepdims, mask)


def _abs2(d):
    """``|d|**2``: ``d * d`` for real ``d``; ``re(d)**2 + im(d)**2`` (real) for complex."""
    if _is_complex(d):
        re, im = real(d), imag(d)
        return re * re + im * im
    return d * d


def var(x: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
        ddof: float = 0, keepdims: bool = False, *, where: ArrayLike = True,
        mean: ArrayLike | None = None, correction: float | None = None) -> Value:
    """``np.var``: the mean squared deviation ``sum |x - mean(x)|**2 / (n - ddof)``.

    Real for complex ``x`` (as in NumPy; of complex dtype, with zero imaginary part, for a
    complex ``dtype=``); ``n - ddof <= 0`` gives ``inf`` or ``nan`` as in NumPy.
    """
    no_out(out, "np.var")
    if correction is not None:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    x = with_dtype(x, dtype, "np.var")
    x, mask = _masked(x, where, 0.0)
    m = mean_of(x, axis, mask) if mean is None else mean
    d = _masked(x - m, mask, 0.0)[0]
    total = sum_p(_abs2(d), axis=axis, keepdims=keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        return with_dtype(total / _counts(x, axis, keepdims, mask, ddof), dtype, "np.var")


def mean_of(x, axis, mask):
    """The mean over ``axis`` (kept as length 1) of the entries in ``mask`` (all: ``None``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum_p(x, axis=axis, keepdims=True) / _counts(x, axis, True, mask)


def std(x: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
        ddof: float = 0, keepdims: bool = False, *, where: ArrayLike = True,
        mean: ArrayLike | None = None, correction: float | None = None) -> Value:
    """``np.std`` as ``sqrt(var)``.

    Where the variance is 0 (one element, an axis of length 1, or all entries equal), ``std``
    is not differentiable (it grows like ``|t|`` along any direction); its derivative there is
    taken as 0, the one-sided limit along the directions that keep it 0 (as ``abs`` at 0).
    """
    no_out(out, "np.std")
    return std_from_var(var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                            where=where, mean=mean, correction=correction))


def std_from_var(v):
    """``sqrt(v)``, with derivative 0 where ``v`` is 0 (the convention of :func:`std`)."""
    flat = strip(v) == 0
    if not np.any(flat):
        return sqrt(v)
    if np.ndim(flat) == 0:
        return 0.0 * v
    return where(flat, 0.0 * v, sqrt(where(flat, 1.0, v)))


def _extremum(extreme, combine, name):
    def f(x, axis=None, out=None, keepdims=False, initial=None, where=True):
        no_out(out, f"np.{name}")
        if where is not True and initial is None:
            raise ValueError(f"reduction operation '{name}imum' does not have an identity, so "
                             "to use a where mask one has to specify 'initial'")
        x, _ = _masked(x, where, initial)
        return _with_initial(extreme(x, axis=axis, keepdims=keepdims), initial, combine)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``np.{name}``; ties share the derivative equally."
    return f


max = _extremum(amax, maximum, "max")  # noqa: A001 (NumPy's names)
min = _extremum(amin, minimum, "min")  # noqa: A001


def _to_front(x, axis):
    """``x`` with the axes ``axis`` (None: all) merged into one leading axis."""
    nd = ndim(x)
    axes = normalize_axis(axis, nd)
    rest = [i for i in range(nd) if i not in axes]
    x = transpose(x, list(axes) + rest)
    return reshape_p(x, shape=(math.prod(shape(x)[: len(axes)]),) + shape(x)[len(axes):])


def prod(x: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None,
         keepdims: bool = False, initial: ArrayLike | None = None,
         where: ArrayLike = True) -> Value:
    """``np.prod`` by a tree of pairwise products: exact with zeros, derivatives of any order.

    ``log2(n)`` vectorised halvings along the (merged) reduced axes; an odd leftover is padded
    with a one.
    """
    no_out(out, "np.prod")
    x0 = x = _masked(with_dtype(x, dtype, "np.prod"), where, 1.0)[0]
    return _with_initial(_tree_prod(x, x0, axis, keepdims), initial, operator.mul)


def _tree_prod(x, x0, axis, keepdims):
    x = _to_front(x, axis)
    while shape(x)[0] != 1:
        n = shape(x)[0]
        if n == 0:
            x = np.ones((1,) + shape(x)[1:], dtype=np.result_type(peek(x)))
            break
        if n % 2:
            one = np.ones((1,) + shape(x)[1:], dtype=np.result_type(peek(x)))
            x = concatenate_p(x, one, axis=0)
        x = x[0::2] * x[1::2]
    return _keep(reshape(x, shape(x)[1:]), x0, axis, keepdims)


def cumsum(x: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
           out: None = None) -> Value:
    """``np.cumsum``: linear (its transpose is the reversed cumulative sum)."""
    no_out(out, "np.cumsum")
    x = with_dtype(x, dtype, "np.cumsum")
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return cumsum_p(x, axis=axis)


def _cut(z, s, tail):
    return getitem(z, (Ellipsis, s) + tail)


def _affine_scan(a, b, axis):
    """``c[i] = a[i] c[i-1] + b[i]`` along ``axis`` (counted from the end, ``c[-1] = 0``).

    Hillis and Steele's doubling: ``log2(n)`` vectorised steps, each composing every entry's
    affine map with the one ``step`` places before; products only, so exact with zeros.
    ``b`` may carry more leading (batch) axes than ``a``.
    """
    n = shape(a)[axis]
    tail = (slice(None),) * (-axis - 1)
    step = 1
    while step < n:
        head, top, low = slice(0, step), slice(step, None), slice(0, n - step)
        shifted = _cut(a, top, tail) * _cut(b, low, tail)
        b = concatenate([_cut(b, head, tail), _cut(b, top, tail) + shifted], axis=axis)
        if 2 * step < n:
            a = concatenate([_cut(a, head, tail), _cut(a, top, tail) * _cut(a, low, tail)],
                            axis=axis)
        step *= 2
    return b


def _exclusive(y, axis):
    """``[1, y[0], ..., y[n-2]]`` along ``axis``: the product before each entry."""
    one = np.ones(_kept_shape(y, axis), dtype=np.result_type(peek(y)))
    head = (slice(None),) * axis
    return concatenate([one, getitem(y, head + (slice(None, -1),))], axis=axis)


def _cumprod_jvp(primals, tangents, out, batch, axis):
    # d y[i] = x[i] d y[i-1] + y[i-1] t[i]: a first-order linear recurrence, no division
    x, (t,) = primals[0], tangents
    if shape(x)[axis] == 0:
        return t
    return _affine_scan(x, _exclusive(out, axis) * t, axis - ndim(x))


def _cumprod_vjp(out_bar, primals, out, wants, axis):
    # the transpose: c[j] = g[j] + x[j+1] c[j+1] (the recurrence run backwards), x_bar = y[j-1] c
    x = primals[0]
    nd = ndim(x)
    if shape(x)[axis] == 0:
        return [out_bar]
    head = (slice(None),) * axis
    flip = head + (slice(None, None, -1),)
    one = np.ones(_kept_shape(x, axis), dtype=np.result_type(peek(x)))
    after = concatenate([getitem(x, head + (slice(1, None),)), one], axis=axis)
    c = _affine_scan(getitem(after, flip), getitem(out_bar, flip), axis - nd)
    return [_exclusive(out, axis) * getitem(c, flip)]


#: a primitive (not a composite of products) so that its value is NumPy's sequential product
#: exactly; the derivative never divides by x, so it is right at zeros
cumprod_p = register(Custom("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_jvp,
                            _cumprod_vjp))


def cumprod(x: ArrayLike, axis: int | None = None, dtype: DTypeLike | None = None,
            out: None = None) -> Value:
    """``np.cumprod``; its derivative is a scan of products, exact where entries are 0.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jacobian(np.cumprod)(np.array([2.0, 0.0, 3.0]))
    array([[1., 0., 0.],
           [0., 2., 0.],
           [0., 6., 0.]])
    """
    no_out(out, "np.cumprod")
    x = with_dtype(x, dtype, "np.cumprod")
    if axis is None:
        x, axis = ravel(x), 0
    (axis,) = normalize_axis(axis, ndim(x))
    return cumprod_p(x, axis=axis)


def _cumulative(scan, neutral, name):
    def f(x: ArrayLike, /, *, axis: int | None = None, dtype: DTypeLike | None = None,
          out: None = None, include_initial: bool = False) -> Value:
        if axis is None:
            if ndim(x) > 1:
                raise ValueError("For arrays which have more than one dimension ``axis`` "
                                 "argument is required.")
            axis = 0
        r = scan(x, axis=axis, dtype=dtype, out=out)
        if not include_initial:
            return r
        (ax,) = normalize_axis(axis, ndim(r))
        start = np.full(_kept_shape(r, ax), neutral, dtype=np.result_type(peek(r)))
        return concatenate([start, r], axis=ax)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``np.{name}`` (NumPy 2's array-API scan): ``np.{scan.__name__}`` along "
                 f"``axis``, with a leading {neutral:g} when ``include_initial``.")
    return f


cumulative_sum = _cumulative(cumsum, 0.0, "cumulative_sum")
cumulative_prod = _cumulative(cumprod, 1.0, "cumulative_prod")


def diff(x: ArrayLike, n: int = 1, axis: int = -1) -> Value:
    """``np.diff``: ``x[1:] - x[:-1]`` along ``axis``, ``n`` times."""
    (axis,) = normalize_axis(axis, ndim(x))
    head = (slice(None),) * axis
    for _ in range(n):
        x = getitem(x, head + (slice(1, None),)) - getitem(x, head + (slice(None, -1),))
    return x


def trace(x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``np.trace``: the sum of ``diagonal(x, offset, axis1, axis2)``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.trace(x, 1))(np.ones((2, 3)))
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    if dtype is not None or out is not None:
        raise TypeError("np.trace(dtype=, out=) is not supported on Duals")
    return sum_p(diagonal(x, offset, axis1, axis2), axis=-1)


implements(np.sum)(sum)
implements(np.mean)(mean)
implements(np.prod)(prod)
implements(np.var)(var)
implements(np.std)(std)
implements(np.max, np.amax)(max)
implements(np.min, np.amin)(min)
implements(np.cumsum)(cumsum)
implements(np.cumprod)(cumprod)
if hasattr(np, "cumulative_sum"):  # NumPy >= 2.1
    implements(np.cumulative_sum)(cumulative_sum)
    implements(np.cumulative_prod)(cumulative_prod)
implements(np.diff)(diff)
implements(np.trace)(trace)

__all__ = [
    "amax", "amin", "cumprod", "cumprod_p", "cumsum", "cumsum_p", "cumulative_prod",
    "cumulative_sum", "diff", "max", "mean", "min",
    "prod", "std", "sum", "sum_p", "trace", "var",
]
