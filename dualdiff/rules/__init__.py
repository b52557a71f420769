"""THE table: every primitive of dualdiff, its implementations and its derivative, once.

The table is one registry (:mod:`dualdiff.registry`) filled in by one module per NumPy
namespace:

- :mod:`.structure`: shapes, indexing, joining (``reshape``, ``transpose``, ``concatenate``,
  ``where``, ``x[i]``, ``x[i] = v``, ...);
- :mod:`.elementwise`: the ufuncs and ``dualdiff``'s own elementwise functions;
- :mod:`.reductions`: sums, scans, extrema and the statistics built from them;
- :mod:`.contractions`: ``einsum`` and the products written with it (``tensordot``, ``kron``,
  ``cross``, ``vdot``);
- :mod:`.linalg`: matrix products, ``solve``, ``det``, the decompositions and the norms.

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
- ``amax``/``amin`` at ties: the tied entries share the derivative equally.
"""

from ..registry import FUNCTIONS, PRIMITIVES, UFUNCS  # noqa: F401 (re-exported)
from . import contractions, elementwise, linalg, reductions, structure  # noqa: E402, I001
from .contractions import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reductions import *  # noqa: F403
from .structure import *  # noqa: F403

__all__ = sorted(
    {"FUNCTIONS", "PRIMITIVES", "UFUNCS"}
    | set(elementwise.__all__) | set(structure.__all__) | set(reductions.__all__)
    | set(linalg.__all__)
    | set(contractions.__all__)
)
