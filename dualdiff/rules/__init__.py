"""THE table: every primitive of dualdiff, its implementations and its derivative, once.

The table is one registry (:mod:`dualdiff.registry`) filled in by one module per NumPy
namespace:

- :mod:`.structure`: shapes, indexing, joining (``reshape``, ``transpose``, ``concatenate``,
  ``where``, ``x[i]``, ``x[i] = v``, ...);
- :mod:`.elementwise`: the ufuncs and ``dualdiff``'s own elementwise functions;
- :mod:`.reductions`: sums, scans, extrema and the statistics built from them;
- :mod:`.linalg`: matrix products, ``solve``, ``det``, the decompositions and the norms;
- :mod:`.contractions`: ``einsum`` and the products written with it (``tensordot``, ``kron``,
  ``cross``, ``vdot``);
- :mod:`.fft`: ``np.fft``'s transforms (three linear primitives with their transposes);
- :mod:`.statistics`: order and selection (``sort``, ``take``, the quantiles), the ``nan*``
  reductions, ``average``, ``cov``, ``corrcoef``, ``gradient``, ``trapezoid``, ``interp``,
  ``polyval``, ``convolve``.

In scope for every rule: the primal arguments ``x`` (and ``y``), the primal output ``out``,
and, for linear and custom rules, the output adjoint ``out_bar``, the tangents and the
``batch`` size of a leading batch axis (``None`` when there is none).  Partials are written
with the generic functions of this package, so the same formula serves floats, arrays, Duals
and tape values (and so derivatives of any order).  A NumPy function that is a composition of
primitives (``mean`` is ``sum / n``) is written once, from them, and needs no rule of its own.

Conventions at points where the derivative does not exist (each is tested):

- ``absolute``, ``sign``, ``relu`` at 0: slope 0 (the smallest subgradient).
- ``maximum``/``minimum`` at ties: each argument gets half.
- ``sqrt``, ``cbrt``, ``log``, ``arcsin`` ... at their branch points: the one-sided limit
  (``inf``); a zero tangent stays zero there (see :func:`~dualdiff.core.scale`).
- ``power``: ``d/dx x**0 = 0`` and ``d/dy 0**y = 0`` (the limits along the positive axes).
- ``hypot`` at the origin: 0.  ``floor``, ``ceil``, ``sign``, ``rint``: 0 everywhere.
- ``amax``/``amin`` at ties: the tied entries share the derivative equally; so do tied
  entries of ``sort`` and ``partition`` (hence ``median``, the quantiles, ``ptp``).
- ``std`` where the variance is 0: 0.  ``interp`` at an inner knot: the slope on its right.
"""

from typing import TYPE_CHECKING

from ..registry import FUNCTIONS, PRIMITIVES, UFUNCS  # noqa: F401 (re-exported)
from . import contractions, elementwise, fft, linalg, reductions, statistics, structure
from .contractions import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .fft import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reductions import *  # noqa: F403
from .statistics import *  # noqa: F403
from .structure import *  # noqa: F403

if TYPE_CHECKING:  # mypy reads only literal __all__ lists; elementwise computes its own:
    from .elementwise import (  # noqa: F401, I001 (tests/test_typing.py checks this list)
        absolute, add, angle, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
        around, around_p, astype, binary, cbrt, ceil, clip, conj, copysign, cos, cosh,
        deg2rad, degrees, divide, empty, exp, exp2, expm1, fix, float_dtype, float_power,
        floor, fmod, heaviside, hypot, i0, imag, indicator, ldexp, log, log10, log1p, log2,
        logaddexp, logaddexp2, maximum, minimum, mod, multiply, nan_to_num, negative, ones,
        piecewise, piecewise_, power, rad2deg, radians, real, reciprocal, relu, remainder,
        rint, select, select_, sigmoid, sign, sin, sinc, sinh, softplus, sqrt, square,
        subtract, tan, tanh, trunc, unary, zeros,
    )

#: the namespaces of the table (a new one is added here, and nowhere else in this file)
NAMESPACES = (structure, elementwise, reductions, linalg, contractions, fft, statistics)

__all__ = sorted(
    {"FUNCTIONS", "NAMESPACES", "PRIMITIVES", "UFUNCS"}.union(*(m.__all__ for m in NAMESPACES))
)
