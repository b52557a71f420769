"""Elementwise functions: one partial derivative per argument.

Forward mode multiplies each partial by its tangent; reverse mode multiplies it by the
adjoint and sums over the axes that broadcasting added.  Partials are written with the
functions defined here, so they are differentiable themselves (derivatives of any order).
"""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..core import TRACERS, WRAPPERS, as_mask, peek, strip
from ..primitive import Elementwise, Linear, Piecewise, Unary
from ..registry import UFUNCS, implements, register
from ..typing import ArrayLike, DTypeLike, Shape, Value

if TYPE_CHECKING:
    #: a partial derivative ``partial(*primals, out)``, or the constant 1 or -1
    Partial = Callable[..., object] | int
from .structure import where

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def unary(name: str, math_fn: Callable[..., object], np_fn: Callable[..., object],
          partial: Partial, cmath_fn: Callable[..., object] | None = None,
          bounded: bool = False) -> Unary:
    return register(Unary(name, math_fn, np_fn, (partial,), cmath_fn, bounded))


def binary(name: str, math_fn: Callable[..., object], np_fn: Callable[..., object],
           partial_x: Partial, partial_y: Partial, cmath_fn: Callable[..., object] | None = None,
           bounded: bool = False) -> Elementwise:
    return register(
        Elementwise(name, math_fn, np_fn, (partial_x, partial_y), cmath_fn, bounded)
    )


def piecewise(name: str, impl: Callable[..., object]) -> Piecewise:
    return register(Piecewise(name, impl))


def staged_bool(cond):
    """A staging tracer of a Python bool: it branches as the bool does, under a guard."""
    return type(cond) in TRACERS and type(cond.value) is bool


def select(cond, a, b):
    """``a`` where ``cond`` else ``b``; ``cond`` is plain (comparisons drop derivatives)."""
    if type(cond) is bool or staged_bool(cond):
        return a if cond else b  # (a staged one: bool() is a guard of the trace)
    return where(cond, a, b)


def indicator(cond, like=None):
    """1.0 where ``cond`` holds, else 0.0 (a constant: comparisons drop derivatives), in the
    floating dtype of ``like`` (float64 when ``like`` is not given or not floating), so that
    float32 tangents stay float32."""
    if type(cond) is bool or staged_bool(cond):
        return 1.0 if cond else 0.0
    return as_mask(cond, float_dtype(like))


def float_dtype(x):
    """The real floating dtype a derivative of ``x`` is computed in: float32 and float16 are
    kept (as in NumPy and JAX), everything else is float64."""
    if x is None:
        return np.float64
    x = strip(x)
    dt = getattr(x, "dtype", None)  # (a staged or lazy array is not looked into)
    dt = np.asarray(x).dtype if dt is None else np.dtype(dt)
    if dt.kind == "c":
        dt = np.finfo(dt).dtype
    return dt if dt.kind == "f" else np.float64


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
    # taken as 0 at the origin (as hypot), where the angle has no limit
    lambda x, y, out: y * _safe_reciprocal(x * x + y * y),
    lambda x, y, out: -x * _safe_reciprocal(x * x + y * y),
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
    lambda x, y, out: indicator(x > y, out) + 0.5 * indicator(x == y, out),
    lambda x, y, out: indicator(y > x, out) + 0.5 * indicator(x == y, out),
    bounded=True,
)
minimum = binary(
    "minimum",
    _minimum,
    np.minimum,
    lambda x, y, out: indicator(x < y, out) + 0.5 * indicator(x == y, out),
    lambda x, y, out: indicator(y < x, out) + 0.5 * indicator(x == y, out),
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
class _Absolute(Unary):
    """``|x|``; for complex ``x`` a real function of a complex variable (not analytic), so the
    rule is not ``partial * tangent`` but, as JAX defines it, ``Re(conj(x) t) / |x|`` forward
    and ``w conj(x) / |x|`` reverse (with ``<a, b> = Re sum(a b)``), taken as 0 at ``x = 0``."""

    def jvp(self, primals, tangents, out, batch):
        if not np.iscomplexobj(peek(primals[0])):
            return super().jvp(primals, tangents, out, batch)
        return real(_cabs_slope(primals[0], out) * tangents[0])

    def vjp(self, out_bar, primals, out, wants):
        if not np.iscomplexobj(peek(primals[0])):
            return super().vjp(out_bar, primals, out, wants)
        # the output is real: only the real part of its adjoint pairs with a real tangent
        return [real(out_bar) * _cabs_slope(primals[0], out)]


def _cabs_slope(x, out):
    return conj(x) * _safe_reciprocal(out)


def _safe_reciprocal(x):
    """``1 / x``, taken as 0 where ``x == 0`` (a convention point: see the README)."""
    return select(x == 0, 0.0, reciprocal(select(x == 0, 1.0, x)))


absolute = register(_Absolute("absolute", abs, np.absolute, (lambda x, out: sign(x),), abs))
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
    lambda x, out: indicator(x > 0, out),
    bounded=True,
)


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
    return np.iscomplexobj(peek(primals[0]))


# (the outputs of real and imag are real: only the real part of their adjoint pairs with them)
def _real_transpose(out_bar, primals, out, wants):
    return [real(out_bar)]


def _imag_transpose(out_bar, primals, out, wants):
    return [-1j * real(out_bar) if _complex_input(primals) else zeros_like_real(out_bar)]


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


# --- more of NumPy's elementwise functions -------------------------------------------------


def _quotient(x, y, out):
    """The integer ``n`` with ``x = n y + out`` (``out`` a remainder): a constant, since the
    remainder functions have slope 0 in ``n``.  ``x - out`` is a multiple of ``y``, so
    rounding the quotient is exact where ``x / y`` itself would be one rounding off."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return rint((strip(x) - strip(out)) / strip(y))


def _py_remainder(x, y):
    return x % y  # Python's float % takes the sign of the divisor, as np.remainder


# mod, remainder: x - floor(x / y) y; fmod: x - trunc(x / y) y.  The jumps (where x / y is an
# integer) get the slopes of the pieces: 1 in x, -n in y.
remainder = binary(
    "remainder", _py_remainder, np.remainder, 1, lambda x, y, out: -_quotient(x, y, out),
)
fmod = binary("fmod", math.fmod, np.fmod, 1, lambda x, y, out: -_quotient(x, y, out))


def _zero_partial(*args):
    return 0.0


copysign = binary(
    "copysign",
    math.copysign,
    np.copysign,
    # |x| sign(y): the slope of |x| (0 at x = 0, as abs) times the sign taken from y
    lambda x, y, out: sign(strip(x)) * copysign(1.0, strip(y)),
    _zero_partial,
    bounded=True,
)


def _ldexp(x, n):
    return math.ldexp(x, n)


# not in the table the rule tests walk with float arguments: the exponents are integers
ldexp = Elementwise(
    "ldexp",
    _ldexp,
    np.ldexp,
    # x 2**n: exact scaling by a power of two; the exponents are integers (no derivative)
    (lambda x, n, out: ldexp(np.ones_like(strip(x)) if type(x) is not float else 1.0,
                             strip(n)),
     _zero_partial),
)


def _logaddexp2(x, y):
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError  # inf - inf: let NumPy's rules decide
    return max(x, y) + math.log1p(_exp2(-abs(x - y))) / _LN2


logaddexp2 = binary(
    "logaddexp2",
    _logaddexp2,
    np.logaddexp2,
    lambda x, y, out: exp2(x - out),
    lambda x, y, out: exp2(y - out),
    bounded=True,
)

def _in_float64(partial):
    """``partial``, cast to float64 (or complex128) as ``np.float_power`` computes its value:
    the derivative is then in the output's precision whatever the inputs'."""

    def p(x, y, out):
        r = partial(x, y, out)
        if type(peek(r)) is np.ndarray and peek(r).dtype.itemsize < 8:
            return astype(r, dtype=np.result_type(peek(r), np.float64))
        return r

    return p


float_power = binary(
    "float_power",
    math.pow,
    np.float_power,
    # the partials of power, in float64 (or complex128) as NumPy computes float_power
    _in_float64(power.partials[0]),
    _in_float64(power.partials[1]),
)


def _around_impl(x, decimals=0):
    if type(x) is float and decimals == 0 and math.isfinite(x):
        return float(round(x))
    r = np.round(x, decimals)
    return float(r) if type(r) is np.float64 else r


class _Rounding(Piecewise):
    """``np.round(x, decimals)``: piecewise constant, with ``decimals`` a parameter."""

    nargs = 1


around_p = _Rounding("around", _around_impl)


def around(x: ArrayLike, decimals: int = 0, out: None = None) -> Value:
    """``np.round`` / ``np.around``: round half to even, to ``decimals`` digits; slope 0."""
    if out is not None:
        raise TypeError("np.round with out= is not supported on Duals; use its return value")
    return around_p(x, decimals=int(decimals))


def _angle_real(x):
    return np.angle(x) if type(x) is not float else (math.pi if x < 0 else 0.0)


angle_real = Piecewise("angle_real", _angle_real)


def angle(z: ArrayLike, deg: bool = False) -> Value:
    """``np.angle``: ``arctan2(imag z, real z)`` (0 at the origin, as ``arctan2``); for real
    input 0 or ``pi``, piecewise constant.  Along a tangent ``t`` its derivative is
    ``Im(t / z)``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.jvp(dd.angle, (1j,), (1.0,))
    (1.5707963267948966, -1.0)
    """
    if not np.iscomplexobj(peek(z)):
        a = angle_real(z)
    else:
        a = arctan2(imag(z), real(z))
    return a * (180.0 / math.pi) if deg else a


def deg2rad(x: ArrayLike) -> Value:
    """Degrees to radians: linear, ``x pi / 180``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.derivative(dd.deg2rad)(90.0) * 180
    3.141592653589793
    """
    return x * (math.pi / 180.0)


def rad2deg(x: ArrayLike) -> Value:
    """Radians to degrees: linear, ``x 180 / pi``."""
    return x * (180.0 / math.pi)


step = Piecewise("heaviside", np.heaviside)  # internal: slope 0 in both arguments
step.nargs = 2


def heaviside(x: ArrayLike, h0: ArrayLike) -> Value:
    """``np.heaviside``: 0, ``h0`` or 1; slope 0 in ``x`` (at 0 too), 1 in ``h0`` where
    ``x == 0`` (by selection, as ``where``).

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.grad(lambda h: dd.heaviside(0.0, h))(0.5)
    1.0
    """
    if type(h0) not in WRAPPERS:
        return step(x, h0)
    return where(strip(x) == 0, h0, step(strip(x), strip(h0)))


def nan_to_num(x: ArrayLike, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Value:
    """``np.nan_to_num``: slope 1 where ``x`` is finite, 0 where it is replaced (selected).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(np.nan_to_num(x)))(np.array([1.0, np.nan, np.inf]))
    array([1., 0., 0.])
    """
    x0 = strip(x)
    if np.iscomplexobj(x0):
        parts = [nan_to_num(p, nan=nan, posinf=posinf, neginf=neginf) for p in (real(x), imag(x))]
        return parts[0] + 1j * parts[1]
    fixed = np.nan_to_num(x0, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(x0), x, fixed)


#: the Maclaurin coefficients of sin(z) / z in z**2, enough for double precision at |z| < 0.5
#: (the next term is below 1e-25 there)
_SINC_SERIES = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(10))


def sinc(x: ArrayLike) -> Value:
    """``np.sinc``: ``sin(pi x) / (pi x)``, 1 at 0, with derivatives of every order right at
    and near 0.

    The quotient loses every digit of its derivatives as ``x -> 0`` (two nearly equal terms
    of size ``1 / x`` cancel), so for ``|pi x| < 0.5`` the Maclaurin series in ``(pi x)**2``
    is selected instead: a polynomial, accurate to rounding there in value and in every
    derivative.  Plain values are NumPy's own ``np.sinc``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.derivative(dd.derivative(dd.sinc))(0.0)  # -pi**2 / 3
    -3.289868133696453
    """
    if type(x) not in WRAPPERS:
        r = np.sinc(x)
        return float(r) if type(x) is float else r
    z = math.pi * x
    small = abs(strip(z)) < 0.5
    z2 = z * z
    series = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        series = series * z2 + c
    safe = select(small, 1.0, z)
    return select(small, series, sin(safe) / safe)


def _iv(n):
    """The modified Bessel function ``I_n`` (integer ``n >= 0``) as a primitive, with
    ``I_0' = I_1`` and ``I_n' = (I_(n-1) + I_(n+1)) / 2``: exact at every order, with no
    singular point.  ``I_0`` is NumPy's ``i0``; ``I_n`` for ``n >= 1`` needs SciPy."""
    prim = _BESSEL.get(n)
    if prim is None:
        if n == 0:
            fn = lambda x: np.i0(x) if type(x) is not float else float(np.i0(x))
            partial = lambda x, out: _iv(1)(x)
        else:
            fn = lambda x: _scipy_iv(n, x)
            partial = lambda x, out: 0.5 * (_iv(n - 1)(x) + _iv(n + 1)(x))
        prim = _BESSEL[n] = Unary(f"i{n}", fn, fn, (partial,), bounded=True)
    return prim


_BESSEL = {}


def _scipy_iv(n, x):
    try:
        from scipy.special import i1, iv  # noqa: PLC0415 (optional: the derivative of i0)
    except ImportError:  # pragma: no cover - scipy is a test dependency
        raise TypeError("the derivative of np.i0 is I_1, which needs scipy (pip install scipy)"
                        ) from None
    r = i1(x) if n == 1 else iv(n, x)  # (iv(1, x) underflows to 0 for tiny x; i1 does not)
    return float(r) if type(x) is float else r


i0 = register(_iv(0))


def select_(condlist, choicelist, default=0):
    """``np.select``: the first choice whose condition holds, by nested ``where`` (the
    derivative is selected, never multiplied by a mask)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(strip(cond), choice, out)
    return out


def piecewise_(x, condlist, funclist, *args, **kw):
    """``np.piecewise``: each function on the entries its condition selects (the last true
    condition wins, as in NumPy), an extra function for the rest; derivatives are selected."""
    from .structure import reshape, setitem, zeros_like  # noqa: PLC0415 (same package)

    s = np.shape(peek(x))
    flat = reshape(x, (-1,))
    x0 = np.reshape(strip(x), -1)
    if isinstance(condlist, np.ndarray) and condlist.ndim == len(s) or not isinstance(
        condlist, (list, tuple, np.ndarray)
    ):
        condlist = [condlist]
    conds = [np.broadcast_to(np.asarray(strip(c), dtype=bool), s).reshape(-1) for c in condlist]
    if len(funclist) == len(conds) + 1:
        conds.append(~np.any(conds, axis=0) if conds else np.ones(x0.shape, dtype=bool))
    elif len(funclist) != len(conds):
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")
    y = zeros_like(flat)
    for cond, fn in zip(conds, funclist):
        if not cond.any():
            continue
        value = fn(flat[cond], *args, **kw) if callable(fn) else fn
        y = setitem(y, cond, value)
    return reshape(y, s)


def _astype_impl(x, dtype):
    if type(x) in (float, complex) and dtype in (np.float64, np.complex128):
        return dtype.type(x).item()
    r = np.asarray(x).astype(dtype)
    return r if r.ndim else r[()]


def _dtype_of(x):
    x = strip(x)
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def _astype_transpose(out_bar, primals, out, wants, dtype):
    to = _dtype_of(primals[0])
    if to.kind != "c":
        out_bar = real(out_bar)  # the adjoint of a real input is real (JAX's pairing)
    return [astype(out_bar, dtype=to)]


#: ``x.astype(dtype)`` for a floating or complex ``dtype``: linear (a rounding to the new
#: precision, which the derivative follows); the adjoint is cast back to the input's dtype.
astype = register(Linear("astype", _astype_impl, _astype_transpose, _same))


# --- buffers that can hold derivatives ------------------------------------------------------


def _buffer(make, shape, like, dtype):
    if dtype is None:
        v = strip(like)
        kind = np.asarray(v).dtype.kind if like is not None else "f"
        dtype = np.asarray(v).dtype if kind == "c" else float_dtype(like)
    value = make(shape, dtype=dtype)
    return like.constant(value) if type(like) in WRAPPERS else value


def zeros(shape: Shape, like: ArrayLike | None = None, dtype: DTypeLike | None = None) -> Value:
    """An array of zeros that can hold the derivatives of ``like``.

    Inside a differentiated function the input ``x`` carries derivatives, but
    ``np.zeros(n)`` is a plain NumPy array: it can only hold plain numbers, so
    ``out = np.zeros(n); out[i] = x[i] ** 2`` fails.  ``dd.zeros(n, like=x)`` is an array of
    the same kind as ``x`` (and of its floating dtype), so ``out[i] = ...`` keeps the
    derivative.  Outside differentiation (``x`` a plain array) it is ``np.zeros``.

    Parameters
    ----------
    shape : int or tuple of ints
    like : array, Dual or tape value, optional
        The value whose derivatives the array is to hold (usually the function's input).
    dtype : dtype, optional
        Default: the floating (or complex) dtype of ``like``, float64 without it.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> def f(x):
    ...     out = dd.zeros(2, like=x)
    ...     out[0] = x[0] * x[1]
    ...     out[1] = np.sin(x[1])
    ...     return out
    >>> dd.jacobian(f)(np.array([2.0, 0.0]))
    array([[0., 2.],
           [0., 1.]])
    """
    return _buffer(np.zeros, shape, like, dtype)


def ones(shape: Shape, like: ArrayLike | None = None, dtype: DTypeLike | None = None) -> Value:
    """An array of ones that can hold the derivatives of ``like`` (see :func:`zeros`).

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.grad(lambda x: (dd.ones(3, like=x) * x).sum())(2.0)
    3.0
    """
    return _buffer(np.ones, shape, like, dtype)


def empty(shape: Shape, like: ArrayLike | None = None, dtype: DTypeLike | None = None) -> Value:
    """:func:`zeros` (an array that can hold derivatives; its entries are zero, not garbage,
    so a forgotten entry has derivative 0 rather than an arbitrary one)."""
    return _buffer(np.zeros, shape, like, dtype)


implements(np.round, np.around)(around)
fix, radians, degrees, mod = trunc, deg2rad, rad2deg, remainder
implements(np.fix)(trunc)
implements(np.angle)(angle)
implements(np.sinc)(sinc)
implements(np.i0)(i0)
implements(np.nan_to_num)(nan_to_num)
implements(np.select)(select_)
implements(np.piecewise)(piecewise_)
UFUNCS.update({
    np.ldexp: ldexp, np.deg2rad: deg2rad, np.radians: deg2rad, np.rad2deg: rad2deg,
    np.degrees: rad2deg, np.heaviside: heaviside,
})
__all__ += [
    "angle", "around", "astype", "copysign", "deg2rad", "empty", "float_dtype", "float_power",
    "fmod", "heaviside", "i0", "ldexp", "logaddexp2", "nan_to_num", "ones", "piecewise_",
    "rad2deg", "remainder", "select_", "sinc", "zeros", "around_p", "fix", "radians",
    "degrees", "mod",
]
