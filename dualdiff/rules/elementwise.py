"""Elementwise functions: one partial derivative per argument.

Forward mode multiplies each partial by its tangent; reverse mode multiplies it by the
adjoint and sums over the axes that broadcasting added.  Partials are written with the
functions defined here, so they are differentiable themselves (derivatives of any order).
"""

from __future__ import annotations

import cmath
import math
import operator

import numpy as np

from ..core import TRACERS, as_mask, strip
from ..primitive import Elementwise, Linear, Piecewise, Unary
from ..registry import UFUNCS, implements, register
from ..typing import ArrayLike, Value
from .structure import where

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def unary(name, math_fn, np_fn, partial, cmath_fn=None, bounded=False):
    return register(Unary(name, math_fn, np_fn, (partial,), cmath_fn, bounded))


def binary(name, math_fn, np_fn, partial_x, partial_y, cmath_fn=None, bounded=False):
    return register(
        Elementwise(name, math_fn, np_fn, (partial_x, partial_y), cmath_fn, bounded)
    )


def piecewise(name, impl):
    return register(Piecewise(name, impl))


def staged_bool(cond):
    """A staging tracer of a Python bool: it branches as the bool does, under a guard."""
    return type(cond) in TRACERS and type(cond.value) is bool


def select(cond, a, b):
    """``a`` where ``cond`` else ``b``; ``cond`` is plain (comparisons drop derivatives)."""
    if type(cond) is bool or staged_bool(cond):
        return a if cond else b  # (a staged one: bool() is a guard of the trace)
    return where(cond, a, b)


def indicator(cond):
    """1.0 where ``cond`` holds, else 0.0 (a constant: comparisons drop derivatives)."""
    if type(cond) is bool or staged_bool(cond):
        return 1.0 if cond else 0.0
    return as_mask(cond, float)


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


def clip(x: ArrayLike, a_min: ArrayLike | None, a_max: ArrayLike | None) -> Value:
    """``np.clip`` by selection: slope 1 inside ``[a_min, a_max]`` (bounds included), and the
    bound's own derivative outside, so nothing is multiplied by a mask."""
    if a_min is not None:
        x = where(x < a_min, a_min, x)
    if a_max is not None:
        x = where(x > a_max, a_max, x)
    return x


implements(np.clip)(clip)

__all__ = sorted(
    n for n, v in globals().items() if isinstance(v, Elementwise | Piecewise)
) + ["binary", "clip", "indicator", "piecewise", "select", "unary"]


# --- complex parts: linear over the reals -------------------------------------------------
#
# Adjoints follow JAX's pairing <a, b> = Re(sum(a * b)) between a cotangent and a tangent: the
# transpose of ``t -> Re t`` is ``w -> w``, of ``t -> Im t`` is ``w -> -i w``, of
# ``t -> conj t`` is ``w -> conj w``; the adjoint of a real input is the real part.


def _complex_input(primals):
    return np.iscomplexobj(strip(primals[0]))


def _real_transpose(out_bar, primals, out, wants):
    return [out_bar]


def _imag_transpose(out_bar, primals, out, wants):
    return [-1j * out_bar if _complex_input(primals) else zeros_like_real(out_bar)]


def _conj_transpose(out_bar, primals, out, wants):
    return [conj(out_bar) if _complex_input(primals) else out_bar]


def zeros_like_real(x):
    return 0.0 * real(x)


def _same(params, primals, out, batch):
    return params


def _real_impl(x):
    return x.real if type(x) in (float, complex) else np.real(x)


def _imag_impl(x):
    return x.imag if type(x) in (float, complex) else np.imag(x)


def _conj_impl(x):
    return x.conjugate() if type(x) in (float, complex) else np.conjugate(x)


real = register(Linear("real", _real_impl, _real_transpose, _same))
imag = register(Linear("imag", _imag_impl, _imag_transpose, _same))
conj = register(Linear("conjugate", _conj_impl, _conj_transpose, _same))

implements(np.real)(real)
implements(np.imag)(imag)
UFUNCS[np.conjugate] = conj
__all__ += ["conj", "imag", "real"]
