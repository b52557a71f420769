"""THE table: every primitive of dualdiff, its implementations and its derivative, once.

In scope for every rule: the primal arguments ``x`` (and ``y``), the primal output ``out``,
and, for linear and custom rules, the output adjoint ``out_bar``, the tangents and the
``batch`` size of a leading batch axis (``None`` when there is none).  Partials are written
with the generic functions defined here, so the same formula serves floats, arrays, Duals and
tape values (and so derivatives of any order).

Conventions at points where the derivative does not exist (each is tested):

- ``absolute``, ``sign``, ``relu`` at 0: slope 0 (the smallest subgradient).
- ``maximum``/``minimum`` at ties: each argument gets half.
- ``sqrt``, ``cbrt``, ``log``, ``arcsin`` ... at their branch points: the one-sided limit
  (``inf``); a zero tangent stays zero there (see :func:`~dualdiff.core.scale`).
- ``power``: ``d/dx x**0 = 0`` and ``d/dy 0**y = 0`` (the limits along the positive axes).
- ``hypot`` at the origin: 0.  ``floor``, ``ceil``, ``sign``, ``rint``: 0 everywhere.
- ``amax``/``amin`` at ties: the tied entries share the derivative equally.
"""

import cmath
import math
import operator

import numpy as np

from .core import expand, ndim, shape, strip, zeros
from .primitive import Custom, Elementwise, Linear, Piecewise, Primitive, Unary, unbroadcast

#: every primitive by name; the tests walk this table.
PRIMITIVES = {}

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _register(prim):
    PRIMITIVES[prim.name] = prim
    return prim


def unary(name, math_fn, np_fn, partial, cmath_fn=None, bounded=False):
    return _register(Unary(name, math_fn, np_fn, (partial,), cmath_fn, bounded))


def binary(name, math_fn, np_fn, partial_x, partial_y, cmath_fn=None, bounded=False):
    return _register(
        Elementwise(name, math_fn, np_fn, (partial_x, partial_y), cmath_fn, bounded)
    )


def piecewise(name, impl):
    return _register(Piecewise(name, impl))


def select(cond, a, b):
    """``a`` where ``cond`` else ``b``; ``cond`` is plain (comparisons drop derivatives)."""
    if type(cond) is bool:
        return a if cond else b
    return where(cond, a, b)


def indicator(cond):
    """1.0 where ``cond`` holds, else 0.0 (a constant: comparisons drop derivatives)."""
    if type(cond) is bool:
        return 1.0 if cond else 0.0
    return np.asarray(cond, dtype=float)


# --- scalar implementations that ``math`` lacks ------------------------------------------


def _sign(x):
    return x if x != x else float(x > 0) - float(x < 0)


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _np_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(np.real(x) >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x):
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


def _np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def _logaddexp(x, y):
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError  # inf - inf: let NumPy's rules decide
    return max(x, y) + math.log1p(math.exp(-abs(x - y)))


def _maximum(x, y):
    return x if (x >= y or x != x) else y


def _minimum(x, y):
    return x if (x <= y or x != x) else y


_exp2 = getattr(math, "exp2", lambda x: math.pow(2.0, x))
_cbrt = getattr(math, "cbrt", lambda x: float(np.cbrt(x)))


# --- elementwise: one partial per argument ------------------------------------------------

add = binary("add", operator.add, np.add, 1, 1, operator.add)
subtract = binary("subtract", operator.sub, np.subtract, 1, -1, operator.sub)
negative = unary("negative", operator.neg, np.negative, -1, operator.neg)
multiply = binary(
    "multiply", operator.mul, np.multiply, lambda x, y, out: y, lambda x, y, out: x, operator.mul,
    bounded=True,
)
divide = binary(
    "divide",
    operator.truediv,
    np.true_divide,
    lambda x, y, out: reciprocal(y),
    lambda x, y, out: -out * reciprocal(y),
    operator.truediv,
)
power = binary(
    "power",
    math.pow,
    np.power,
    # d/dx x**y = y x**(y-1), taken as 0 when y == 0 (also at x == 0)
    lambda x, y, out: select(y == 0, 0.0, y * power(x, y - 1)),
    # d/dy x**y = x**y log x, taken as 0 at x == 0 (the limit from y > 0)
    lambda x, y, out: select(x == 0, 0.0, out * log(select(x == 0, 1.0, x))),
    operator.pow,
)
arctan2 = binary(
    "arctan2",
    math.atan2,
    np.arctan2,
    lambda x, y, out: y * reciprocal(x * x + y * y),
    lambda x, y, out: -x * reciprocal(x * x + y * y),
)
hypot = binary(
    "hypot",
    math.hypot,
    np.hypot,
    lambda x, y, out: select(out == 0, 0.0, x * reciprocal(select(out == 0, 1.0, out))),
    lambda x, y, out: select(out == 0, 0.0, y * reciprocal(select(out == 0, 1.0, out))),
)
maximum = binary(
    "maximum",
    _maximum,
    np.maximum,
    lambda x, y, out: indicator(x > y) + 0.5 * indicator(x == y),
    lambda x, y, out: indicator(y > x) + 0.5 * indicator(x == y),
    bounded=True,
)
minimum = binary(
    "minimum",
    _minimum,
    np.minimum,
    lambda x, y, out: indicator(x < y) + 0.5 * indicator(x == y),
    lambda x, y, out: indicator(y < x) + 0.5 * indicator(x == y),
    bounded=True,
)
logaddexp = binary(
    "logaddexp",
    _logaddexp,
    np.logaddexp,
    lambda x, y, out: exp(x - out),
    lambda x, y, out: exp(y - out),
    bounded=True,
)

sin = unary("sin", math.sin, np.sin, lambda x, out: cos(x), cmath.sin, bounded=True)
cos = unary("cos", math.cos, np.cos, lambda x, out: -sin(x), cmath.cos, bounded=True)
tan = unary("tan", math.tan, np.tan, lambda x, out: 1.0 + out * out, cmath.tan)
arcsin = unary(
    "arcsin", math.asin, np.arcsin, lambda x, out: reciprocal(sqrt((1.0 - x) * (1.0 + x))),
    cmath.asin,
)
arccos = unary(
    "arccos", math.acos, np.arccos, lambda x, out: -reciprocal(sqrt((1.0 - x) * (1.0 + x))),
    cmath.acos,
)
# (not marked bounded: 1 + x*x and cosh overflow on the way to a partial of 0)
arctan = unary("arctan", math.atan, np.arctan, lambda x, out: reciprocal(1.0 + x * x), cmath.atan)
sinh = unary("sinh", math.sinh, np.sinh, lambda x, out: cosh(x), cmath.sinh)
cosh = unary("cosh", math.cosh, np.cosh, lambda x, out: sinh(x), cmath.cosh)
# sech^2 from cosh, not 1 - tanh^2: that cancels where |tanh x| is near 1
tanh = unary("tanh", math.tanh, np.tanh, lambda x, out: reciprocal(square(cosh(x))), cmath.tanh)
arcsinh = unary(
    "arcsinh", math.asinh, np.arcsinh, lambda x, out: reciprocal(sqrt(x * x + 1.0)), cmath.asinh
)
arccosh = unary(
    "arccosh",
    math.acosh,
    np.arccosh,
    lambda x, out: reciprocal(sqrt(x - 1.0) * sqrt(x + 1.0)),
    cmath.acosh,
)
arctanh = unary(
    "arctanh", math.atanh, np.arctanh, lambda x, out: reciprocal((1.0 - x) * (1.0 + x)),
    cmath.atanh,
)
exp = unary("exp", math.exp, np.exp, lambda x, out: out, cmath.exp)
exp2 = unary("exp2", _exp2, np.exp2, lambda x, out: _LN2 * out)
expm1 = unary("expm1", math.expm1, np.expm1, lambda x, out: exp(x))
log = unary("log", math.log, np.log, lambda x, out: reciprocal(x), cmath.log)
log2 = unary("log2", math.log2, np.log2, lambda x, out: reciprocal(_LN2 * x))
log10 = unary("log10", math.log10, np.log10, lambda x, out: reciprocal(_LN10 * x), cmath.log10)
log1p = unary("log1p", math.log1p, np.log1p, lambda x, out: reciprocal(1.0 + x))
sqrt = unary("sqrt", math.sqrt, np.sqrt, lambda x, out: 0.5 * reciprocal(out), cmath.sqrt)
cbrt = unary("cbrt", _cbrt, np.cbrt, lambda x, out: reciprocal(3.0 * out * out))
square = unary(
    "square", lambda x: x * x, np.square, lambda x, out: 2.0 * x, lambda x: x * x, bounded=True
)
reciprocal = unary(
    "reciprocal",
    lambda x: 1.0 / x,
    lambda x: np.true_divide(1.0, x),  # np.reciprocal of an integer array is integer
    lambda x, out: -out * out,
    lambda x: 1.0 / x,
)
absolute = unary("absolute", abs, np.absolute, lambda x, out: _abs_partial(x), abs)
# sigma(x) sigma(-x), not out (1 - out): that cancels for large x
sigmoid = unary(
    "sigmoid", _sigmoid, _np_sigmoid, lambda x, out: out * sigmoid(-x), bounded=True
)
softplus = unary(
    "softplus", _softplus, _np_softplus, lambda x, out: sigmoid(x), bounded=True
)
relu = unary(
    "relu",
    lambda x: max(x, 0.0),
    lambda x: np.maximum(x, 0.0),
    lambda x, out: indicator(x > 0),
    bounded=True,
)


def _abs_partial(x):
    if np.iscomplexobj(strip(x)):
        raise TypeError("absolute is not complex-differentiable; differentiate a real input")
    return sign(x)


def _rounding(math_fn, np_fn):
    """A rounding function: ``math`` on finite floats (as a float), NumPy otherwise."""
    finite = lambda x: type(x) is float and math.isfinite(x)
    return lambda x: float(math_fn(x)) if finite(x) else np_fn(x)


sign = piecewise("sign", lambda x: _sign(x) if isinstance(x, (int, float)) else np.sign(x))
floor = piecewise("floor", _rounding(math.floor, np.floor))
ceil = piecewise("ceil", _rounding(math.ceil, np.ceil))
rint = piecewise("rint", _rounding(round, np.rint))  # both round half to even
trunc = piecewise("trunc", _rounding(math.trunc, np.trunc))


# --- linear: forward applies the op to the tangent, reverse its transpose ------------------


def _axis(axis, nd):
    """Normalise ``axis`` (int, tuple or None) to a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {nd}")
        out.append(int(a) % nd)
    return tuple(out)


def _shifted(axis, nd):
    return tuple(a + 1 for a in _axis(axis, nd))


def _reshape_impl(x, shape):
    return np.reshape(x, shape)


reshape = _register(
    Linear(
        "reshape",
        _reshape_impl,
        lambda out_bar, primals, out, wants, shape: [
            reshape(out_bar, shape=np.shape(strip(primals[0])))
        ],
        lambda params, primals, out, batch: {"shape": (batch,) + np.shape(strip(out))},
    )
)

broadcast_to = _register(
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
    return tuple(reversed(range(nd))) if axes is None else _axis(axes, nd)


def _transpose_batched(params, primals, out, batch):
    return {"axes": (0,) + tuple(a + 1 for a in _perm(params["axes"], ndim(primals[0])))}


def _transpose_transpose(out_bar, primals, out, wants, axes):
    inverse = np.argsort(_perm(axes, ndim(primals[0])))
    return [transpose(out_bar, axes=tuple(int(i) for i in inverse))]


transpose = _register(
    Linear(
        "transpose",
        lambda x, axes=None: np.transpose(x, axes),
        _transpose_transpose,
        _transpose_batched,
    )
)


def _sum_transpose(out_bar, primals, out, wants, axis=None, keepdims=False):
    s = np.shape(strip(primals[0]))
    if not keepdims:
        kept = tuple(1 if i in _axis(axis, len(s)) else n for i, n in enumerate(s))
        out_bar = reshape(out_bar, shape=kept)
    return [broadcast_to(out_bar, shape=s)]


sum_ = _register(
    Linear(
        "sum",
        lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
        _sum_transpose,
        lambda params, primals, out, batch: {
            "axis": _shifted(params.get("axis"), ndim(primals[0])),
            "keepdims": params.get("keepdims", False),
        },
    )
)


def _cumsum_transpose(out_bar, primals, out, wants, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return [getitem(cumsum(getitem(out_bar, index=flip), axis=axis), index=flip)]


cumsum = _register(
    Linear(
        "cumsum",
        lambda x, axis: np.cumsum(x, axis=axis),
        _cumsum_transpose,
        lambda params, primals, out, batch: {"axis": params["axis"] + 1},
    )
)


def _concat_transpose(out_bar, primals, out, wants, axis):
    cuts, start = [], 0
    for x, w in zip(primals, wants):
        n = shape(x)[axis]
        index = (slice(None),) * axis + (slice(start, start + n),)
        cuts.append(getitem(out_bar, index=index) if w else None)
        start += n
    return cuts


concatenate = _register(
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
where_ = _register(
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
    return where_(x, y, cond=np.asarray(strip(cond), dtype=bool))


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


getitem = _register(
    Linear(
        "getitem",
        _getitem_impl,
        lambda out_bar, primals, out, wants, index: [
            index_add(out_bar, index=index, shape=np.shape(strip(primals[0])))
        ],
        lambda params, primals, out, batch: {"index": _batched_index(params["index"])},
    )
)


def _is_basic(index):
    return not any(isinstance(i, np.ndarray) for i in index)


def _index_add_impl(g, index, shape):
    z = np.zeros(shape, dtype=np.result_type(g, float))
    if _is_basic(index):
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


index_add = _register(
    Linear(
        "index_add",
        _index_add_impl,
        lambda out_bar, primals, out, wants, index, shape: [getitem(out_bar, index=index)],
        lambda params, primals, out, batch: {
            "index": _batched_index(params["index"]),
            "shape": (batch,) + tuple(params["shape"]),
        },
    )
)


def _set_index_impl(x, v, index):
    r = np.array(x, dtype=np.result_type(x, v, float))
    r[index] = v
    return r


def _set_index_jvp(primals, tangents, out, batch, index):
    x, v = primals
    tx, tv = (zeros(p, batch) if t is None else t for p, t in zip(primals, tangents))
    if batch is not None:
        tv = expand(tv, ndim(v), np.ndim(strip(x)[index]))
        index = _batched_index(index)
    return set_index(tx, tv, index=index)


def _set_index_vjp(out_bar, primals, out, wants, index):
    x, v = primals
    return [
        set_index(out_bar, 0.0, index=index) if wants[0] else None,
        unbroadcast(getitem(out_bar, index=index), shape(v)) if wants[1] else None,
    ]


#: ``x`` with ``x[index] = v``, as a new array (the forward and reverse rules are each one
#: line, but the batch axis must be fitted to the selection, which ``Linear`` cannot know).
set_index = _register(
    Custom("set_index", _set_index_impl, _set_index_jvp, _set_index_vjp, nargs=2)
)


# --- custom rules: bilinear products, solve, extrema ---------------------------------------


def _mT(a):
    nd = ndim(a)
    return transpose(a, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _matmul_impl(a, b):
    return np.matmul(a, b)


def _matmul_jvp(primals, tangents, out, batch):
    """Bilinear: ``d(a @ b) = da @ b + a @ db``; batched tangents stack matrices in front."""
    a, b = primals
    ta, tb = tangents
    if batch is not None and ndim(a) == 1 and ndim(b) > 2:
        raise TypeError("matmul of a 1-d array with a stack of matrices is not supported with "
                        "a batch of tangents; use jacobian(..., chunk_size=1)")
    total = None
    nd = ndim(out) + (1 if ndim(b) == 1 else 0)
    if ta is not None:
        if batch is not None and ndim(a) >= 2:
            ta = expand(ta, ndim(a), nd)
        total = matmul(ta, b)
    if tb is not None:
        if batch is not None and ndim(b) == 1 and ndim(a) <= 2:
            # a batch of vectors is a matrix of rows: one matrix product, (a @ tb.T).T
            term = matmul(tb, _mT(a) if ndim(a) == 2 else a)
        elif batch is not None and ndim(b) == 1:
            from .ops import expand_dims, squeeze  # noqa: PLC0415

            term = squeeze(matmul(a, expand(expand_dims(tb, -1), 2, nd)), -1)
        else:
            if batch is not None:
                tb = expand(tb, ndim(b), nd)
            term = matmul(a, tb)
        total = term if total is None else total + term
    return total


def _matmul_vjp(out_bar, primals, out, wants):
    """Transposes of ``a @ b`` in each argument, with NumPy's 1-d promotion undone."""
    from .ops import expand_dims, squeeze  # noqa: PLC0415

    a, b = primals
    g = out_bar
    if ndim(a) == 1 and ndim(b) == 1:
        return [g * b if wants[0] else None, g * a if wants[1] else None]
    a2 = expand_dims(a, 0) if ndim(a) == 1 else a
    b2 = expand_dims(b, -1) if ndim(b) == 1 else b
    if ndim(a) == 1:
        g = expand_dims(g, -2)
    if ndim(b) == 1:
        g = expand_dims(g, -1)
    da = db = None
    if wants[0]:
        da = matmul(g, _mT(b2))
        da = unbroadcast(squeeze(da, -2) if ndim(a) == 1 else da, shape(a))
    if wants[1]:
        db = matmul(_mT(a2), g)
        db = unbroadcast(squeeze(db, -1) if ndim(b) == 1 else db, shape(b))
    return [da, db]


matmul = _register(Custom("matmul", _matmul_impl, _matmul_jvp, _matmul_vjp, nargs=2))


def _solve_jvp(primals, tangents, out, batch):
    """``x = A^{-1} b``: ``dx = A^{-1} (db - dA x)``."""
    a, b = primals
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        term = _vec_matmul(ta, out, b, batch)
        rhs = -term if rhs is None else rhs - term
    return _solve_batched(a, rhs, b, batch)


def _vec_matmul(ta, x, b, batch):
    from .ops import expand_dims, squeeze  # noqa: PLC0415

    if ndim(b) == 1:
        return squeeze(matmul(ta, expand_dims(x, -1)), -1)
    return matmul(ta, x)


def _solve_batched(a, rhs, b, batch):
    if batch is None or ndim(b) > 1:
        return solve(a, rhs)
    # a batch of right-hand sides: solve them as the columns of one matrix
    return transpose(solve(a, transpose(rhs, axes=(1, 0))), axes=(1, 0))


def _solve_vjp(out_bar, primals, out, wants):
    """``b_bar = A^{-T} out_bar``, ``A_bar = -b_bar x^T``."""
    from .ops import expand_dims  # noqa: PLC0415

    a, b = primals
    b_bar = solve(_mT(a), out_bar)
    a_bar = None
    if wants[0]:
        if ndim(b) == 1:
            a_bar = -expand_dims(b_bar, -1) * expand_dims(out, -2)
        else:
            a_bar = -matmul(b_bar, _mT(out))
    return [a_bar, b_bar if wants[1] else None]


solve = _register(
    Custom("solve", lambda a, b: np.linalg.solve(a, b), _solve_jvp, _solve_vjp, nargs=2)
)


def _det_jvp(primals, tangents, out, batch):
    """``d det(A) = det(A) tr(A^{-1} dA)``."""
    a = primals[0]
    n = shape(a)[-1]
    diag = getitem(solve(a, tangents[0]), index=(Ellipsis, np.arange(n), np.arange(n)))
    return out * sum_(diag, axis=-1)


def _det_vjp(out_bar, primals, out, wants):
    """``A_bar = out_bar det(A) A^{-T}``."""
    a = primals[0]
    return [out_bar * out * _mT(solve(a, np.eye(shape(a)[-1])))]


#: Jacobi's formula, in ``solve``; a square matrix (not a stack) only.
det = _register(Custom("det", lambda a: np.linalg.det(a), _det_jvp, _det_vjp))


def _extreme_weights(x, out, axis, keepdims):
    """Where ``x`` attains the extremum, each tie sharing equally (a constant)."""
    xs, os = strip(x), strip(out)
    if not keepdims and axis is not None:
        os = np.expand_dims(os, _axis(axis, np.ndim(xs)))
    hit = xs == os
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _extreme(name, np_fn):
    def jvp(primals, tangents, out, batch, axis=None, keepdims=False):
        w = _extreme_weights(primals[0], out, axis, keepdims)
        t = tangents[0]
        if batch is None:
            return sum_(w * t, axis=axis, keepdims=keepdims)
        return sum_(w * t, axis=_shifted(axis, np.ndim(w)), keepdims=keepdims)

    def vjp(out_bar, primals, out, wants, axis=None, keepdims=False):
        w = _extreme_weights(primals[0], out, axis, keepdims)
        return [w * _sum_transpose(out_bar, primals, out, wants, axis, keepdims)[0]]

    impl = lambda x, axis=None, keepdims=False: np_fn(x, axis=axis, keepdims=keepdims)
    return _register(Custom(name, impl, jvp, vjp))


#: the derivative of a max is that of the entry attaining it: ``sum(w * x_dot)`` with constant
#: weights; ``Linear`` does not fit because the weights depend on the primal.
amax = _extreme("amax", np.max)
amin = _extreme("amin", np.min)

__all__ = sorted(n for n, v in globals().items() if isinstance(v, Primitive)) + [
    "PRIMITIVES",
    "where",
]
