"""Independent reference values and derivatives for every elementwise primitive.

Everything here is computed with mpmath at 50 significant digits from analytic formulas
written out by hand (not from dualdiff's rule table), so the tests compare the library
against an independent source.  ``test_rules.py`` also checks each analytic partial against
``mpmath.diff`` of the value function, so a typo in this file cannot hide.

Conventions at kinks (matching API.md and issue 2): the derivative of ``absolute``, ``sign``
and ``relu`` at 0 is 0; ``floor``, ``ceil`` and ``sign`` have derivative 0 everywhere;
``maximum``/``minimum`` give 0.5 to each argument at a tie.

Entries are keyed by the public name ``dd.NAME``; ``ufunc`` says whether ``np.NAME`` is the
NumPy ufunc of the same function (everything except sigmoid, softplus and relu).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
from mpmath import mpf

mpmath.mp.dps = 50

DPS = 50


@dataclass(frozen=True)
class Reference:
    """One primitive: its value and one partial derivative per argument, in mpmath."""

    name: str
    value: Callable[..., mpf]
    partials: tuple[Callable[..., mpf], ...]
    ufunc: bool = True

    @property
    def arity(self):
        return len(self.partials)


def _sign(x):
    return mpf(1) if x > 0 else mpf(-1) if x < 0 else mpf(0)


def _cbrt(x):
    # mpmath.cbrt returns the principal (complex) root of a negative number; NumPy's is real.
    return _sign(x) * mpmath.cbrt(abs(x))


def _sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _tie_split(x, y):
    """d max(x, y) / dx: 1 if x wins, 0 if y wins, 0.5 at a tie."""
    return mpf(1) if x > y else mpf(0) if x < y else mpf("0.5")


_ZERO = lambda *args: mpf(0)  # noqa: E731
_ONE = lambda *args: mpf(1)  # noqa: E731
_LN2 = lambda: mpmath.log(2)  # noqa: E731


_UNARY = {
    "sin": (mpmath.sin, mpmath.cos),
    "cos": (mpmath.cos, lambda x: -mpmath.sin(x)),
    "tan": (mpmath.tan, lambda x: mpmath.sec(x) ** 2),
    "arcsin": (mpmath.asin, lambda x: 1 / mpmath.sqrt(1 - x * x)),
    "arccos": (mpmath.acos, lambda x: -1 / mpmath.sqrt(1 - x * x)),
    "arctan": (mpmath.atan, lambda x: 1 / (1 + x * x)),
    "sinh": (mpmath.sinh, mpmath.cosh),
    "cosh": (mpmath.cosh, mpmath.sinh),
    "tanh": (mpmath.tanh, lambda x: mpmath.sech(x) ** 2),
    "arcsinh": (mpmath.asinh, lambda x: 1 / mpmath.sqrt(x * x + 1)),
    "arccosh": (mpmath.acosh, lambda x: 1 / mpmath.sqrt(x * x - 1)),
    "arctanh": (mpmath.atanh, lambda x: 1 / (1 - x * x)),
    "exp": (mpmath.exp, mpmath.exp),
    "exp2": (lambda x: mpmath.power(2, x), lambda x: mpmath.power(2, x) * _LN2()),
    "expm1": (mpmath.expm1, mpmath.exp),
    "log": (mpmath.log, lambda x: 1 / x),
    "log2": (lambda x: mpmath.log(x, 2), lambda x: 1 / (x * _LN2())),
    "log10": (mpmath.log10, lambda x: 1 / (x * mpmath.log(10))),
    "log1p": (mpmath.log1p, lambda x: 1 / (1 + x)),
    "sqrt": (mpmath.sqrt, lambda x: 1 / (2 * mpmath.sqrt(x)) if x != 0 else mpmath.inf),
    "cbrt": (_cbrt, lambda x: 1 / (3 * _cbrt(x) ** 2) if x != 0 else mpmath.inf),
    "square": (lambda x: x * x, lambda x: 2 * x),
    "reciprocal": (lambda x: 1 / x, lambda x: -1 / (x * x)),
    "absolute": (abs, _sign),
    "sign": (_sign, _ZERO),
    "floor": (mpmath.floor, _ZERO),
    "ceil": (mpmath.ceil, _ZERO),
    # Round half to even, as np.rint (Python's round() on the exact float does the same).
    "rint": (lambda x: mpf(round(float(x))), _ZERO),
    "trunc": (lambda x: _sign(x) * mpmath.floor(abs(x)), _ZERO),
    "negative": (lambda x: -x, lambda x: mpf(-1)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * _sigmoid(-x)),
    "softplus": (lambda x: mpmath.log1p(mpmath.exp(x)), _sigmoid),
    "relu": (lambda x: x if x > 0 else mpf(0), lambda x: mpf(1) if x > 0 else mpf(0)),
    "i0": (lambda x: mpmath.besseli(0, x), lambda x: mpmath.besseli(1, x)),
}

_BINARY = {
    "add": (lambda x, y: x + y, (_ONE, _ONE)),
    "subtract": (lambda x, y: x - y, (_ONE, lambda x, y: mpf(-1))),
    "multiply": (lambda x, y: x * y, (lambda x, y: y, lambda x, y: x)),
    "divide": (lambda x, y: x / y, (lambda x, y: 1 / y, lambda x, y: -x / (y * y))),
    # Only for x > 0 (the property-test domain); x == 0 is an edge case of its own.
    "power": (
        mpmath.power,
        (
            lambda x, y: y * mpmath.power(x, y - 1),
            lambda x, y: mpmath.power(x, y) * mpmath.log(x),
        ),
    ),
    # np.arctan2(x1, x2) is the angle of the point (x2, x1), as mpmath.atan2(y, x).
    "arctan2": (
        mpmath.atan2,
        (lambda x, y: y / (x * x + y * y), lambda x, y: -x / (x * x + y * y)),
    ),
    "hypot": (
        mpmath.hypot,
        (lambda x, y: x / mpmath.hypot(x, y), lambda x, y: y / mpmath.hypot(x, y)),
    ),
    "maximum": (max, (_tie_split, lambda x, y: _tie_split(y, x))),
    "minimum": (min, (lambda x, y: _tie_split(y, x), _tie_split)),
    "logaddexp": (
        lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)),
        (lambda x, y: _sigmoid(x - y), lambda x, y: _sigmoid(y - x)),
    ),
    # x - n y with n = floor(x / y) (remainder) or trunc(x / y) (fmod): slopes 1 and -n
    "remainder": (
        lambda x, y: x - mpmath.floor(x / y) * y,
        (_ONE, lambda x, y: -mpmath.floor(x / y)),
    ),
    "fmod": (
        lambda x, y: x - _sign(x / y) * mpmath.floor(abs(x / y)) * y,
        (_ONE, lambda x, y: -_sign(x / y) * mpmath.floor(abs(x / y))),
    ),
    "copysign": (
        lambda x, y: abs(x) * (1 if y >= 0 else -1),
        (lambda x, y: _sign(x) * (1 if y >= 0 else -1), _ZERO),
    ),
    "logaddexp2": (
        lambda x, y: mpmath.log(mpmath.power(2, x) + mpmath.power(2, y), 2),
        (lambda x, y: _sigmoid((x - y) * _LN2()), lambda x, y: _sigmoid((y - x) * _LN2())),
    ),
    "float_power": (
        mpmath.power,
        (
            lambda x, y: y * mpmath.power(x, y - 1),
            lambda x, y: mpmath.power(x, y) * mpmath.log(x),
        ),
    ),
}

#: zero derivative everywhere; jumps where the value changes (test points avoid those).
PIECEWISE_CONSTANT = {"sign", "floor", "ceil", "rint", "trunc"}

#: piecewise smooth: jumps where x / y is an integer (test points avoid those).
JUMPS = {"remainder", "fmod"}

_NOT_UFUNCS = {"sigmoid", "softplus", "relu", "i0"}

REFERENCES: dict[str, Reference] = {}
for _name, (_value, _partial) in _UNARY.items():
    REFERENCES[_name] = Reference(_name, _value, (_partial,), _name not in _NOT_UFUNCS)
for _name, (_value, _partials) in _BINARY.items():
    REFERENCES[_name] = Reference(_name, _value, _partials)

UNARY = sorted(_UNARY)
BINARY = sorted(_BINARY)


# --- evaluation helpers: floats in, 50-digit mpmath inside, floats (or arrays) out ---------


def _mp(x):
    # mpf(float) is exact: the reference is evaluated at exactly the float the library sees.
    return mpf(float(x))


def value(name, *args):
    """The reference value of ``name`` at float arguments, as an mpf."""
    with mpmath.workdps(DPS):
        return REFERENCES[name].value(*map(_mp, args))


def partial(name, i, *args):
    """The reference partial derivative of ``name`` in argument ``i``, as an mpf."""
    with mpmath.workdps(DPS):
        return REFERENCES[name].partials[i](*map(_mp, args))


def evaluate(name, *args):
    """``(value, (partial_0, ...), condition_scale)`` of ``name`` at float arguments, each
    computed at 50 digits and rounded to float once (cached: property tests revisit points).

    ``condition_scale`` is ``sum_i |x_i * df/dx_i|``: how much ``f`` moves when its inputs move
    by one relative unit.  An evaluation accurate to a few ulps of its (rounded) inputs can be
    off by about ``eps * condition_scale`` while doing nothing wrong, so value checks allow
    ``rtol * max(|f|, condition_scale)``; where ``f`` is well conditioned this is ``|f|`` times
    a small factor, i.e. a plain relative tolerance.
    """
    # keyed by the exact bits, so that 0.0 and -0.0 are different points
    return _evaluate(name, tuple(float(a).hex() for a in args))


@functools.lru_cache(maxsize=1 << 16)
def _evaluate(name, hexes):
    with mpmath.workdps(DPS):
        xs = [mpf(float.fromhex(h)) for h in hexes]
        r = REFERENCES[name]
        parts = [p(*xs) for p in r.partials]
        terms = [abs(x * d) for x, d in zip(xs, parts, strict=True) if mpmath.isfinite(d)]
        scale = sum(terms, mpf(0))
        return float(r.value(*xs)), tuple(float(d) for d in parts), float(scale)


def evaluate_arrays(name, *args):
    """:func:`evaluate` elementwise over broadcast arrays: ``(values, [partials], scales)``."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
    shape = arrays[0].shape
    values, scales = np.empty(shape), np.empty(shape)
    parts = [np.empty(shape) for _ in args]
    for idx in np.ndindex(shape):
        v, ps, c = evaluate(name, *(float(a[idx]) for a in arrays))
        values[idx], scales[idx] = v, c
        for out, p in zip(parts, ps, strict=True):
            out[idx] = p
    return values, parts, scales
