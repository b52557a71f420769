"""Independent references for the ``scipy.special`` rules: mpmath at 50 digits.

Each entry gives the value and one partial derivative per argument, written out by hand from
the definitions (DLMF), not from dualdiff's rule table; ``None`` marks an order argument
(a constant: the rule refuses a derivative in it).  ``test_special.py`` checks every partial
here against ``mpmath.diff`` of the value, so a typo in this file cannot hide, and fails when a
``scipy.special`` rule is registered without an entry here.

``points`` are the test points of each argument: a safe distance from poles, zeros of the
denominators and branch cuts, over the magnitudes where the function is well conditioned.
"""

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
from mpmath import mpf

DPS = 50


@dataclass(frozen=True)
class Special:
    value: Callable
    partials: tuple
    points: tuple  # one tuple of floats per argument (binary: paired elementwise)

    @property
    def arity(self):
        return len(self.partials)


def _expit(x):
    return 1 / (1 + mpmath.exp(-x))


def _erfcinv(x):
    return mpmath.erfinv(1 - x)


def _ndtri(p):
    return mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)


def _sph_jn(n, z):
    if z < 0:
        return (-1) ** int(n) * _sph_jn(n, -z)  # DLMF 10.47.14
    if z == 0:
        return mpf(1) if n == 0 else mpf(0)
    return mpmath.sqrt(mpmath.pi / (2 * z)) * mpmath.besselj(n + mpf(1) / 2, z)


def _sph_jn_d(n, z):
    """j_n'(z) = j_{n-1}(z) - (n+1)/z j_n(z), j_0' = -j_1 (DLMF 10.51.2); limits at z = 0."""
    if n == 0:
        return -_sph_jn(1, z)
    if z == 0:
        return mpf(1) / 3 if n == 1 else mpf(0)
    return _sph_jn(n - 1, z) - (n + 1) / z * _sph_jn(n, z)


def _boxcox(x, lm):
    # expm1: accurate for tiny lmbda too (mpmath.diff samples near lmbda = 0)
    return mpmath.log(x) if lm == 0 else mpmath.expm1(lm * mpmath.log(x)) / lm


_SQPI = lambda: mpmath.sqrt(mpmath.pi)  # noqa: E731

X = (-3.0, -1.2, -0.3, 0.0, 0.4, 1.7, 4.5)
POS = (0.05, 0.3, 1.0, 2.5, 7.0, 30.0)
UNIT = (0.001, 0.1, 0.35, 0.5, 0.8, 0.999)
ORD = (0.0, 1.0, 2.0, 3.0, 0.5, 2.5)

SPECIAL = {
    "erf": Special(mpmath.erf, (lambda x: 2 / _SQPI() * mpmath.exp(-x * x),), (X,)),
    "erfc": Special(mpmath.erfc, (lambda x: -2 / _SQPI() * mpmath.exp(-x * x),), (X,)),
    "erfinv": Special(mpmath.erfinv,
                      (lambda x: _SQPI() / 2 * mpmath.exp(mpmath.erfinv(x) ** 2),),
                      ((-0.99, -0.5, -0.1, 0.0, 0.3, 0.9, 0.999),)),
    "erfcinv": Special(_erfcinv, (lambda x: -_SQPI() / 2 * mpmath.exp(_erfcinv(x) ** 2),),
                       ((0.001, 0.2, 0.7, 1.0, 1.3, 1.9),)),
    "erfcx": Special(lambda x: mpmath.exp(x * x) * mpmath.erfc(x),
                     (lambda x: 2 * x * mpmath.exp(x * x) * mpmath.erfc(x) - 2 / _SQPI(),),
                     ((-2.0, -0.5, 0.0, 0.7, 3.0, 30.0),)),
    "ndtr": Special(mpmath.ncdf, (mpmath.npdf,), (X,)),
    "ndtri": Special(_ndtri, (lambda p: 1 / mpmath.npdf(_ndtri(p)),), (UNIT,)),
    "log_ndtr": Special(lambda x: mpmath.log(mpmath.ncdf(x)),
                        (lambda x: mpmath.npdf(x) / mpmath.ncdf(x),),
                        ((-30.0, -5.0, -1.0, 0.0, 2.0, 8.0),)),
    "gamma": Special(mpmath.gamma, (lambda x: mpmath.gamma(x) * mpmath.digamma(x),),
                     ((-2.5, -0.5, 0.3, 1.0, 3.2, 10.0),)),
    "gammaln": Special(lambda x: mpmath.log(abs(mpmath.gamma(x))), (mpmath.digamma,),
                       ((-2.5, -0.5, 0.3, 1.0, 3.2, 50.0),)),
    "loggamma": Special(mpmath.loggamma, (mpmath.digamma,), (POS,)),
    "digamma": Special(mpmath.digamma, (lambda x: mpmath.psi(1, x),),
                       ((-2.5, -0.5, 0.3, 1.0, 3.2, 50.0),)),
    "polygamma": Special(mpmath.psi, (None, lambda n, x: mpmath.psi(n + 1, x)),
                         ((1.0, 2.0, 3.0, 1.0, 0.0, 4.0), (0.3, 1.0, 2.5, 7.0, 1.5, 4.0))),
    "beta": Special(mpmath.beta,
                    (lambda a, b: mpmath.beta(a, b) * (mpmath.digamma(a) - mpmath.digamma(a + b)),
                     lambda a, b: mpmath.beta(a, b) * (mpmath.digamma(b) - mpmath.digamma(a + b))),
                    ((0.3, 1.0, 2.5, 7.0, 0.8), (0.5, 4.0, 1.5, 2.0, 20.0))),
    "betaln": Special(lambda a, b: mpmath.log(mpmath.beta(a, b)),
                      (lambda a, b: mpmath.digamma(a) - mpmath.digamma(a + b),
                       lambda a, b: mpmath.digamma(b) - mpmath.digamma(a + b)),
                      ((0.3, 1.0, 2.5, 7.0, 0.8), (0.5, 4.0, 1.5, 2.0, 20.0))),
    "expit": Special(_expit, (lambda x: _expit(x) * _expit(-x),), ((-40.0,) + X + (40.0,),)),
    "logit": Special(lambda x: mpmath.log(x / (1 - x)), (lambda x: 1 / (x * (1 - x)),), (UNIT,)),
    "log_expit": Special(lambda x: -mpmath.log1p(mpmath.exp(-x)), (lambda x: _expit(-x),),
                         ((-40.0,) + X + (40.0,),)),
    "xlogy": Special(lambda x, y: x * mpmath.log(y),
                     (lambda x, y: mpmath.log(y), lambda x, y: x / y),
                     ((-1.5, 0.5, 2.0, 3.0, 0.0), (0.2, 1.5, 4.0, 0.7, 2.0))),
    "xlog1py": Special(lambda x, y: x * mpmath.log1p(y),
                       (lambda x, y: mpmath.log1p(y), lambda x, y: x / (1 + y)),
                       ((-1.5, 0.5, 2.0, 3.0, 0.0), (-0.5, 1e-3, 4.0, 0.7, 2.0))),
    "entr": Special(lambda x: -x * mpmath.log(x), (lambda x: -(mpmath.log(x) + 1),), (POS,)),
    "rel_entr": Special(lambda x, y: x * mpmath.log(x / y),
                        (lambda x, y: mpmath.log(x / y) + 1, lambda x, y: -x / y),
                        ((0.2, 1.0, 3.0, 0.5, 8.0), (0.5, 2.0, 3.0, 0.1, 1.0))),
    "kl_div": Special(lambda x, y: x * mpmath.log(x / y) - x + y,
                      (lambda x, y: mpmath.log(x / y), lambda x, y: 1 - x / y),
                      ((0.2, 1.0, 3.0, 0.5, 8.0), (0.5, 2.0, 3.5, 0.1, 1.0))),
    "i0": Special(lambda x: mpmath.besseli(0, x), (lambda x: mpmath.besseli(1, x),), (X,)),
    "j0": Special(lambda x: mpmath.besselj(0, x), (lambda x: -mpmath.besselj(1, x),), (X,)),
    "j1": Special(lambda x: mpmath.besselj(1, x),
                  (lambda x: (mpmath.besselj(0, x) - mpmath.besselj(2, x)) / 2,), (X,)),
    "y0": Special(lambda x: mpmath.bessely(0, x), (lambda x: -mpmath.bessely(1, x),), (POS,)),
    "y1": Special(lambda x: mpmath.bessely(1, x),
                  (lambda x: (mpmath.bessely(0, x) - mpmath.bessely(2, x)) / 2,), (POS,)),
    "k0": Special(lambda x: mpmath.besselk(0, x), (lambda x: -mpmath.besselk(1, x),), (POS,)),
    "k1": Special(lambda x: mpmath.besselk(1, x),
                  (lambda x: -(mpmath.besselk(0, x) + mpmath.besselk(2, x)) / 2,), (POS,)),
    "i1": Special(lambda x: mpmath.besseli(1, x),
                  (lambda x: (mpmath.besseli(0, x) + mpmath.besseli(2, x)) / 2,), (X,)),
    "i0e": Special(lambda x: mpmath.exp(-abs(x)) * mpmath.besseli(0, x),
                   (lambda x: mpmath.exp(-abs(x)) * (mpmath.besseli(1, x)
                                                     - mpmath.sign(x) * mpmath.besseli(0, x)),),
                   ((-30.0, -3.0, -0.4, 0.5, 2.0, 50.0),)),
    "i1e": Special(lambda x: mpmath.exp(-abs(x)) * mpmath.besseli(1, x),
                   (lambda x: mpmath.exp(-abs(x)) * (
                       (mpmath.besseli(0, x) + mpmath.besseli(2, x)) / 2
                       - mpmath.sign(x) * mpmath.besseli(1, x)),),
                   ((-30.0, -3.0, -0.4, 0.5, 2.0, 50.0),)),
    "iv": Special(mpmath.besseli,
                  (None, lambda v, x: (mpmath.besseli(v - 1, x) + mpmath.besseli(v + 1, x)) / 2),
                  (ORD, (0.3, 1.5, 4.0, 0.7, 2.0, 6.0))),
    "ive": Special(lambda v, x: mpmath.exp(-abs(x)) * mpmath.besseli(v, x),
                   (None, lambda v, x: mpmath.exp(-abs(x)) * (
                       (mpmath.besseli(v - 1, x) + mpmath.besseli(v + 1, x)) / 2
                       - mpmath.sign(x) * mpmath.besseli(v, x))),
                   (ORD, (0.3, 1.5, 40.0, 0.7, 2.0, 6.0))),
    "kv": Special(mpmath.besselk,
                  (None, lambda v, x: -(mpmath.besselk(v - 1, x) + mpmath.besselk(v + 1, x)) / 2),
                  (ORD, (0.3, 1.5, 4.0, 0.7, 2.0, 6.0))),
    "jv": Special(mpmath.besselj,
                  (None, lambda v, x: (mpmath.besselj(v - 1, x) - mpmath.besselj(v + 1, x)) / 2),
                  (ORD, (0.3, 1.5, 4.0, 0.7, 2.0, 6.0))),
    "yv": Special(mpmath.bessely,
                  (None, lambda v, x: (mpmath.bessely(v - 1, x) - mpmath.bessely(v + 1, x)) / 2),
                  (ORD, (0.3, 1.5, 4.0, 0.7, 2.0, 6.0))),
    "spherical_jn": Special(_sph_jn, (None, _sph_jn_d),
                            ((0.0, 1.0, 2.0, 0.0, 1.0, 3.0), (0.0, 0.5, 2.0, 3.0, 7.0, 1.0))),
    "boxcox": Special(_boxcox,
                      (lambda x, lm: x ** (lm - 1),
                       lambda x, lm: (mpmath.log(x) ** 2 / 2 if lm == 0 else
                                      (x**lm * mpmath.log(x) - (x**lm - 1) / lm) / lm)),
                      ((0.5, 2.0, 3.0, 1.5, 0.2, 5.0, 7.0),
                       (0.0, 0.5, -1.0, 1e-9, 2.0, -3e-4, 1.3))),
}


def evaluate(name, args, i=None):
    """The value (``i is None``) or the partial in argument ``i`` at float ``args``, as mpf."""
    r = SPECIAL[name]
    with mpmath.workdps(DPS):
        xs = [mpf(float(a)) for a in args]
        return (r.value if i is None else r.partials[i])(*xs)
