"""``scipy.special``: derivative rules for its ufuncs, and its Python functions on wrappers.

This module imports SciPy, so nothing imports it at ``import dualdiff``: :mod:`dualdiff.scipy_hook`
loads it the first time ``scipy.special`` is imported (or a SciPy ufunc reaches the dispatch),
and importing it runs :func:`install`.

SciPy's special functions are ufuncs, so ``__array_ufunc__`` hands them to the dispatch like
NumPy's; each gets an :class:`~dualdiff.primitive.Elementwise` rule here, entered in the one
registry under the name ``scipy.special.NAME``.  Every partial is written with the generic
functions (``digamma``'s partial is ``polygamma(1, x)``, ``polygamma``'s is ``polygamma(n + 1,
x)``, the Bessel functions' are Bessel functions of neighbouring orders), so the rules nest to
any order.  Orders (``polygamma``'s ``n``, ``iv``'s ``v``) are constants: a derivative in them
is refused with a ``TypeError``.

A few of SciPy's entry points are Python functions, not ufuncs (``logsumexp``, ``softmax``,
``log_softmax``, ``polygamma``, ``spherical_jn``): called on a wrapper they would turn it into
an object array and fail (or silently return one).  :func:`install` replaces each of them in
the SciPy modules that hold it by a thin function that calls the original on plain inputs, and
this module's implementation (from ``FUNCTIONS``) when an argument is a Dual or tape value.
``logsumexp``, ``softmax`` and ``log_softmax`` are composites of primitives, shifted by the
(constant) maximum, so value and derivative are stable at any magnitude.
"""

import math

import numpy as np
import scipy.special as sp

from ..core import peek, strip
from ..primitive import Elementwise, Unary
from ..registry import FUNCTIONS, UFUNCS, register
from ..scipy_hook import once, replace_everywhere, routed
from .elementwise import (
    absolute,
    exp,
    log,
    log1p,
    power,
    reciprocal,
    select,
    sign,
    square,
)
from .reductions import sum as _sum
from .structure import broadcast_to, reshape

_2_SQRTPI = 2.0 / math.sqrt(math.pi)
_SQRTPI_2 = math.sqrt(math.pi) / 2.0
_SQRT2PI = math.sqrt(2.0 * math.pi)


def _scalar(uf):
    """The ufunc on Python scalars, returning a Python float (or complex)."""
    return lambda *args: uf(*args).item()


def _unary(name, partial, complex_ok=False):
    uf = getattr(sp, name)
    prim = register(Unary(f"scipy.special.{name}", _scalar(uf), uf, (partial,)))
    prim.ufunc, prim.complex = uf, complex_ok
    return prim


def _binary(name, partial_x, partial_y, complex_ok=False, np_fn=None):
    uf = getattr(sp, name)
    prim = register(Elementwise(f"scipy.special.{name}", _scalar(uf), np_fn or uf,
                                (partial_x, partial_y)))
    prim.ufunc, prim.complex = uf, complex_ok
    return prim


def _constant_order(name, what):
    """The partial in an order argument: refused (the order is an integer or a constant)."""

    def partial(*args):
        raise TypeError(f"scipy.special.{name}: the {what} is a constant here; it has no "
                        "derivative rule (pass it as a plain number or array)")

    return partial


def _real_only(name, x):
    """``x``, refused with a clear message if complex (SciPy's own error names an internal
    ufunc: ``polygamma`` of a complex ``x``, reached by the second derivative of ``gamma``
    or ``loggamma``, fails in ``_zeta``)."""
    if np.iscomplexobj(x):
        raise TypeError(f"scipy.special.{name} has no complex version (it is the derivative of "
                        "digamma: gamma, loggamma and digamma of a complex input can be "
                        "differentiated only once)")
    return x


def _nonzero(x, y):
    """``y``, with 1 where ``x == 0`` (a safe denominator for terms that are 0 there)."""
    return select(strip(x) == 0, 1.0, y)


# --- error functions and the normal distribution -------------------------------------------

erf = _unary("erf", lambda x, out: _2_SQRTPI * exp(-square(x)), complex_ok=True)
erfc = _unary("erfc", lambda x, out: -_2_SQRTPI * exp(-square(x)), complex_ok=True)
erfinv = _unary("erfinv", lambda x, out: _SQRTPI_2 * exp(square(out)))
erfcinv = _unary("erfcinv", lambda x, out: -_SQRTPI_2 * exp(square(out)))
# erfcx(x) = exp(x^2) erfc(x): the product rule, without the overflowing factors
erfcx = _unary("erfcx", lambda x, out: 2.0 * x * out - _2_SQRTPI, complex_ok=True)
ndtr = _unary("ndtr", lambda x, out: exp(-0.5 * square(x)) / _SQRT2PI, complex_ok=True)
ndtri = _unary("ndtri", lambda x, out: _SQRT2PI * exp(0.5 * square(out)))
# pdf / cdf as one exponential: no underflow of either far in the left tail
log_ndtr = _unary("log_ndtr", lambda x, out: exp(-0.5 * square(x) - out) / _SQRT2PI,
                  complex_ok=True)

# --- gamma and beta functions ---------------------------------------------------------------

polygamma = _binary(
    "polygamma", _constant_order("polygamma", "order n"),
    lambda n, x, out: polygamma(n + 1.0, x),
    np_fn=lambda n, x: sp.polygamma(n, _real_only("polygamma", x)),
)
polygamma.ufunc = None  # a Python function: reached through FUNCTIONS (see install)
digamma = _unary("digamma", lambda x, out: polygamma(1.0, x))
gamma = _unary("gamma", lambda x, out: out * digamma(x))
gammaln = _unary("gammaln", lambda x, out: digamma(x))  # d log|Gamma| = digamma, any sign
loggamma = _unary("loggamma", lambda x, out: digamma(x))
beta = _binary(
    "beta",
    lambda a, b, out: out * (digamma(a) - digamma(a + b)),
    lambda a, b, out: out * (digamma(b) - digamma(a + b)),
)
betaln = _binary(
    "betaln",
    lambda a, b, out: digamma(a) - digamma(a + b),
    lambda a, b, out: digamma(b) - digamma(a + b),
)

# --- the logistic function ------------------------------------------------------------------

# expit(x) expit(-x), not out (1 - out): that cancels for large x
expit = _unary("expit", lambda x, out: out * expit(-x))
logit = _unary("logit", lambda x, out: reciprocal(x * (1.0 - x)))
log_expit = _unary("log_expit", lambda x, out: expit(-x))

# --- information theory ---------------------------------------------------------------------

# x log y is 0 at x == 0 whatever y is: so is its derivative in y there
xlogy = _binary("xlogy", lambda x, y, out: log(y), lambda x, y, out: x / _nonzero(x, y),
                complex_ok=True)
xlog1py = _binary("xlog1py", lambda x, y, out: log1p(y),
                  lambda x, y, out: x / _nonzero(x, 1.0 + y), complex_ok=True)
entr = _unary("entr", lambda x, out: -(log(x) + 1.0))
rel_entr = _binary("rel_entr", lambda x, y, out: log(x / y) + 1.0,
                   lambda x, y, out: -x / y)
kl_div = _binary("kl_div", lambda x, y, out: log(x / y), lambda x, y, out: 1.0 - x / y)

# --- Bessel functions (derivatives in x; the order is a constant) ---------------------------
#
# Each derivative is the DLMF recurrence (10.6.1, 10.29.1) in neighbouring orders: no division
# by x, so it holds at x = 0 as well, and it is itself a Bessel function (any order nests).

iv = _binary("iv", _constant_order("iv", "order v"),
             lambda v, x, out: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)))
ive = _binary("ive", _constant_order("ive", "order v"),
              lambda v, x, out: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - sign(x) * out)
kv = _binary("kv", _constant_order("kv", "order v"),
             lambda v, x, out: -0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)))
jv = _binary("jv", _constant_order("jv", "order v"),
             lambda v, x, out: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)))
yv = _binary("yv", _constant_order("yv", "order v"),
             lambda v, x, out: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)))
j0 = _unary("j0", lambda x, out: -j1(x))
j1 = _unary("j1", lambda x, out: 0.5 * (j0(x) - jv(2.0, x)))
y0 = _unary("y0", lambda x, out: -y1(x))
y1 = _unary("y1", lambda x, out: 0.5 * (y0(x) - yv(2.0, x)))
k0 = _unary("k0", lambda x, out: -k1(x))
k1 = _unary("k1", lambda x, out: -0.5 * (k0(x) + kv(2.0, x)))
i0 = _unary("i0", lambda x, out: i1(x))
i1 = _unary("i1", lambda x, out: 0.5 * (i0(x) + _i2(x)))


def _i2(x):
    """``iv(2, x)``, by its series ``x**2 / 8`` (exact to ``x**2``) where ``|x| < 1e-100``:
    SciPy's ``iv`` loses all accuracy (or gives nan) near the smallest normal numbers.  (The
    partials of ``iv`` itself inherit that: they are SciPy's ``iv`` at neighbouring orders.)"""
    return select(np.abs(strip(x)) < 1e-100, 0.125 * square(x), iv(2.0, x))
# i0e(x) = exp(-|x|) i0(x), and likewise i1e
i0e = _unary("i0e", lambda x, out: i1e(x) - sign(x) * out)
i1e = _unary("i1e", lambda x, out: 0.5 * (i0e(x) + ive(2.0, x)) - sign(x) * out)


def _spherical_jn_impl(n, z):
    return sp.spherical_jn(n, z)


# j_n' = (n j_{n-1} - (n+1) j_{n+1}) / (2n+1) (DLMF 10.51.2, no division by z); at n = 0 the
# first term is 0 times j_0
spherical_jn = register(Elementwise(
    "scipy.special.spherical_jn", lambda n, z: float(sp.spherical_jn(n, z)), _spherical_jn_impl,
    (_constant_order("spherical_jn", "order n"),
     lambda n, z, out: (n * spherical_jn(np.maximum(n - 1, 0), z)
                        - (n + 1) * spherical_jn(n + 1, z)) / (2 * n + 1)),
))
spherical_jn.ufunc, spherical_jn.complex = None, False


# --- Box-Cox ---------------------------------------------------------------------------------


def _boxcox_dlmbda(x, lmbda, out):
    """d/d lmbda of (x**lmbda - 1) / lmbda = log(x)**2 g(y), y = lmbda log x, where
    g(y) = (y e^y - e^y + 1) / y**2; its series for small |y| (the closed form cancels there,
    and is 0/0 at lmbda = 0)."""
    lx = log(x)
    y = lmbda * lx
    series = square(lx) * (0.5 + y * (1 / 3 + y * (1 / 8 + y * (1 / 30 + y * (1 / 144 + y / 840)))))
    small = np.abs(strip(y)) < 1e-2
    safe = select(small, 1.0, lmbda)
    closed = (power(x, lmbda) * lx - out) / safe
    return select(small, series, closed)


boxcox = _binary("boxcox", lambda x, lmbda, out: power(x, lmbda - 1.0), _boxcox_dlmbda)


# --- Python functions: logsumexp, softmax, log_softmax --------------------------------------


def _shift(a, axis):
    """The maximum of ``a`` along ``axis`` (kept), as a plain constant; 0 where not finite.

    Subtracting a constant changes neither ``logsumexp``'s value nor its derivative (both are
    exact whatever constant is used): the maximum makes every ``exp`` at most 1.
    """
    p = np.real(np.asarray(strip(a)))
    if p.size == 0:
        return 0.0
    m = np.max(p, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)


def _squeeze(r, axis, nd, keepdims):
    if keepdims:
        return r
    axes = range(nd) if axis is None else [axis] if np.ndim(axis) == 0 else axis
    drop = {a % nd for a in axes}
    s = tuple(n for i, n in enumerate(np.shape(peek(r))) if i not in drop)
    return reshape(r, s)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a), axis))``, shifted by the maximum: stable at large ``|a|``.

    With ``return_sign`` the pair ``(log|s|, sign s)`` for ``s = sum(b * exp(a))`` (``b`` may be
    negative), as SciPy returns it.
    """
    if b is not None:  # SciPy broadcasts a against b first; axis refers to the result
        shape = np.broadcast_shapes(np.shape(peek(a)), np.shape(peek(b)))
        if np.shape(peek(a)) != shape:
            a = broadcast_to(a, shape)
    nd = np.ndim(peek(a))
    m = _shift(a, axis)
    e = exp(a - m)
    if b is not None:
        e = b * e
    s = _sum(e, axis=axis, keepdims=True)
    if return_sign:
        sgn = np.sign(np.real(strip(s)))
        r = log(absolute(s)) + m
        return _squeeze(r, axis, nd, keepdims), _plain_squeeze(sgn, axis, nd, keepdims)
    return _squeeze(log(s) + m, axis, nd, keepdims)


def _plain_squeeze(x, axis, nd, keepdims):
    if keepdims:
        return x
    return np.squeeze(x, axis=tuple(range(nd)) if axis is None else axis)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum (no overflow)."""
    e = exp(x - _shift(x, axis))
    return e / _sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis)``, written as ``(x - m) - log(sum(exp(x - m)))``."""
    z = x - _shift(x, axis)
    return z - log(_sum(exp(z), axis=axis, keepdims=True))


def _spherical_jn_function(n, z, derivative=False):
    if derivative:
        return spherical_jn.partials[1](n, z, None)
    return spherical_jn(n, z)


#: SciPy's Python functions and what they are on wrappers.
PYTHON_FUNCTIONS = {
    "logsumexp": logsumexp,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "polygamma": polygamma,
    "spherical_jn": _spherical_jn_function,
}


@once
def install():
    """Enter the ufunc rules in ``UFUNCS`` and route SciPy's Python functions (idempotent)."""
    for prim in list(_PRIMS):
        if getattr(prim, "ufunc", None) is not None:
            UFUNCS[prim.ufunc] = prim
    new = {}
    for name, impl in PYTHON_FUNCTIONS.items():
        original = getattr(sp, name)
        original = getattr(original, "__dualdiff_original__", original)
        FUNCTIONS[original] = impl
        new[original] = routed(original, impl, f"scipy.special.{name}")
    replace_everywhere(new)


_PRIMS = [v for v in list(globals().values()) if isinstance(v, Elementwise)]


install()
