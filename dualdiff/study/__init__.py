"""The finite-difference error study: the main job of ``python -m dualdiff errors``.

- :mod:`.finite_diff`: the five difference formulas (forward, backward, central, five-point,
  complex step) and their truncation orders;
- :mod:`.errors`: :func:`error_study`, the errors of every method against AD's exact
  derivative over a range of steps, with the truncation and rounding models;
- :mod:`.plot`: :func:`plot_error_study`, the log-log figure (matplotlib imported lazily);
- :mod:`.expression`: the whitelisting parser of the command line's ``--expr``;
- :mod:`.cli`: the command line itself.

This subpackage sits on top of the engine (it differentiates with :func:`dualdiff.jvp`); the
engine never imports it.
"""

from .errors import ErrorStudy, error_study
from .finite_diff import finite_difference
from .plot import plot_error_study

__all__ = ["ErrorStudy", "error_study", "finite_difference", "plot_error_study"]
