"""``scipy.stats`` continuous distributions on Duals and tape values.

``rv_continuous.logpdf`` and its siblings turn their arguments into arrays (``np.asarray``
makes an object array of a Dual) and fill an output array in place, so a derivative cannot
pass through them.  The formulas they wrap, ``_logpdf``, ``_pdf``, ``_cdf``, ... of each
distribution, are written with NumPy and ``scipy.special`` ufuncs, for which dualdiff has
rules.  :func:`install` therefore routes these methods, when an argument is a Dual or tape
value, to the distribution's own formula at the standardised point ``z = (x - loc) / scale``,
with SciPy's values where the parameters are invalid (``nan``) or ``z`` is outside the support
(``0``, ``1``, ``-inf``); plain calls go to SciPy unchanged.  Imported (with SciPy) by
:mod:`dualdiff.scipy_hook` when ``scipy.stats`` is imported; importing it runs :func:`install`.
"""

import numpy as np
from scipy.stats import rv_continuous

from ..core import strip
from ..scipy_hook import once, routed
from .elementwise import log
from .structure import where

_NAN = float("nan")
_INF = float("inf")

#: method -> (how the scale enters, value below the support, value above the support)
_METHODS = {
    "logpdf": ("log", -_INF, -_INF),
    "pdf": ("divide", 0.0, 0.0),
    "cdf": (None, 0.0, 1.0),
    "logcdf": (None, -_INF, 0.0),
    "sf": (None, 1.0, 0.0),
    "logsf": (None, 0.0, -_INF),
}


def _evaluate(dist, method, x, args, kwds):
    shapes, loc, scale = dist._parse_args(*args, **kwds)
    z = (x - loc) / scale
    how, below, above = _METHODS[method]
    with np.errstate(all="ignore"):
        r = getattr(dist, "_" + method)(z, *shapes)
        if how == "log":
            r = r - log(scale)
        elif how == "divide":
            r = r / scale
    plain = [np.asarray(strip(s)) for s in shapes]
    zs, ss = np.asarray(strip(z)), np.asarray(strip(scale))
    lo, hi = dist._get_support(*plain)
    ok = np.asarray(dist._argcheck(*plain)) & (ss > 0) & ~np.isnan(zs)
    inside = (zs > lo) & (zs < hi)  # SciPy's support masks: the open interval
    if np.all(ok & inside):
        return r
    const = np.where(ok, np.where(zs <= lo, below, above), _NAN)
    return where(ok & inside, r, const)


@once
def install():
    """Route ``rv_continuous.pdf``, ``logpdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``."""
    for method in _METHODS:
        impl = lambda self, x, *args, method=method, **kwds: _evaluate(self, method, x, args, kwds)
        setattr(rv_continuous, method, routed(getattr(rv_continuous, method), impl,
                                             f"scipy.stats.rv_continuous.{method}"))


install()
