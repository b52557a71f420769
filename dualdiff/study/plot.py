"""The error-study figure: finite-difference error against step size, with AD and the models.

matplotlib is imported inside the function (it is the optional ``plot`` extra), and the figure
is a bare :class:`matplotlib.figure.Figure`: no pyplot, no rcParams, no global state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..typing import ArrayLike, Function
from .errors import EPS, ErrorStudy, error_study, format_point

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

__all__ = ["plot_error_study"]

# One style per method that tells it apart in colour (Okabe-Ito, colour-blind safe), and in
# greyscale by its dashes and markers: no two methods share a colour, a dash or a marker.
STYLES: dict[str, dict[str, object]] = {
    "forward": {"color": "#0072B2", "ls": "-", "marker": "^"},
    "backward": {"color": "#E69F00", "ls": (0, (5, 2)), "marker": "v"},
    "central": {"color": "#009E73", "ls": (0, (8, 2, 1.5, 2)), "marker": "s"},
    "central4": {"color": "#CC79A7", "ls": (0, (1.5, 1.2)), "marker": "D"},
    "complex": {"color": "#D55E00", "ls": (0, (3, 1.5, 1, 1.5, 1, 1.5)), "marker": "o"},
}
COLORS = {m: style["color"] for m, style in STYLES.items()}
AD_COLOR = "black"
RAW_WIDTH = 1.3  # thin, so that the noisy rounding arms below 1e-8 do not tangle
MODEL_WIDTH = 7.0  # the model: a wide pale band behind the raw line, the V one reads
MODEL_ALPHA = 0.22
MARKS_PER_LINE = 8  # small markers along each raw line, staggered between methods
# Two methods coincide where their errors agree to this factor over at least COINCIDE_RUN
# steps spanning a decade or more (shorter runs happen by chance in the rounding noise).
COINCIDE_FACTOR = 1.05
COINCIDE_RUN = 8


def plot_error_study(
    f_or_study: Function | ErrorStudy, x: ArrayLike | None = None, *, v: ArrayLike | None = None,
    steps: ArrayLike | None = None, ax: Axes | None = None, name: str | None = None,
    models: bool = True, title: str | None = None,
) -> Figure | SubFigure:
    r"""Plot absolute error against step size ``h`` on log-log axes, one line per method.

    Each thin line is a method's measured error :math:`\|D_h f - D_v f\|`, in its own colour,
    dash pattern and marker (so that the figure reads in greyscale too); the wide pale band of
    the same colour behind it is its model, truncation plus rounding (see
    :func:`~dualdiff.study.errors.error_study`), whose V explains where the bottom is. The
    large hollow marker is the method's best step; for a method that is exact to rounding over
    a range of steps (the complex step, see :meth:`ErrorStudy.exact_range`) it marks the
    largest step of that range instead, and the legend says "exact to rounding". Two methods
    whose errors coincide over a range (the complex step and the central difference share
    their truncation error) are both drawn, the later one on top with its own dashes, and the
    legend says where they coincide. AD's error is the black horizontal line. Errors of
    exactly zero cannot sit on a log axis: they are drawn at a floor of
    :math:`\varepsilon |f'| / 8`, the top of the grey band at the bottom.

    Parameters
    ----------
    f_or_study : callable or ErrorStudy
        A function (then ``x`` is required and the study is made here) or a finished study.
    x, v, steps, name
        Passed to :func:`~dualdiff.study.errors.error_study` when a function is given.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; by default a new figure is made. The legend goes below the axes,
        in one column; a figure without a layout engine gets matplotlib's constrained layout,
        so that ``savefig`` keeps the legend, and the figure also survives ``tight_layout()``
        and ``savefig(..., bbox_inches="tight")`` (each axes' legend stays under it).
    models : bool
        Draw the model bands.
    title : str, optional
        Default: the function and the point.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes; save it with ``fig.savefig("errors.png")``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> fig = plot_error_study(dd.sin, 1.0)
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    study = _study_from(f_or_study, x, v=v, steps=steps, name=name)
    own = ax is None
    fig: Figure | SubFigure
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 7.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
        if fig.get_layout_engine() is None:
            fig.figure.set_layout_engine("constrained")  # (the root of a subfigure)
    floor = _floor(study)
    top = _top(study, floor)
    coincide = _coincidences(study, floor)
    for i, m in enumerate(study.methods):
        _draw_method(ax, study, m, i, floor, top, models, coincide.get(m), compact=not own)
    _draw_ad(ax, study, floor, compact=not own)
    _decorate(ax, study, floor, top, title, models, compact=not own)
    return fig


def _study_from(f_or_study, x, **options):
    """The study itself, or a new one for a function and a point."""
    if isinstance(f_or_study, ErrorStudy):
        given = [k for k, val in options.items() if val is not None]
        if x is not None or given:
            raise TypeError("pass either a finished ErrorStudy or a function with x, not both")
        return f_or_study
    if not callable(f_or_study):
        raise TypeError(f"expected a function or an ErrorStudy, got {type(f_or_study).__name__}")
    if x is None:
        raise TypeError("plot_error_study(f, x): the point x is required with a function")
    return error_study(f_or_study, x, **options)


def _floor(study):
    """Where zero errors are drawn: an eighth of an ulp of the derivative (or of 1)."""
    scale = float(np.max(np.abs(study.exact), initial=0.0)) or 1.0
    return EPS * scale / 8


def _top(study, floor):
    """The upper limit of the error axis: the largest error, but at most ten derivatives.

    An error of ``10 |f'|`` (1000 % relative) means the method is meaningless at that step, for
    example the complex step of ``sin(50x)`` at ``h = 1``, whose error is ~1e21. Showing such
    errors would squash the Vs into the bottom of the figure, so the axis stops at
    ``10 S`` with ``S = max(|f'|, |f| / T)``, where ``T = max(1, |x|) / |v|`` is the scale
    of the step (the one :func:`~dualdiff.study.finite_diff.default_step` uses): ``|f| / T`` stands
    in for the size of the derivative where it vanishes. Lines above the limit are cut off.
    """
    finite = np.concatenate([e[np.isfinite(e)] for e in study.errors.values()] + [[floor]])
    top = 8 * max(float(finite.max()), 1e3 * floor)
    step_scale = max(1.0, float(np.max(np.abs(study.x)))) / max(
        float(np.max(np.abs(study.v))), np.finfo(float).tiny
    )
    size = max(
        float(np.max(np.abs(study.exact), initial=0.0)),
        float(np.max(np.abs(study.value), initial=0.0)) / step_scale,
    )
    if np.isfinite(size) and size > 0:
        top = min(top, 10 * size)
    return max(top, 1e3 * floor)


def _coincidences(study, floor):
    """``method -> (earlier method, smallest h, largest h)`` where their error lines coincide.

    Two lines coincide where their errors (both above the floor) agree to a factor
    :data:`COINCIDE_FACTOR` and both models say truncation dominates (in the rounding noise
    two quotients of a few ulps agree by chance, which says nothing); the longest such run of
    at least :data:`COINCIDE_RUN` steps counts if it also spans a decade. Only the later
    method of a pair is noted: it is the one drawn on top.
    """
    out = {}
    methods = study.methods
    truncated = {m: study.truncation[m] > study.rounding[m] for m in methods}
    for j, later in enumerate(methods):
        for earlier in methods[:j]:
            a, b = study.errors[earlier], study.errors[later]
            with np.errstate(invalid="ignore", divide="ignore"):
                close = (
                    (a > floor)
                    & (b > floor)
                    & (np.abs(np.log(a / b)) < np.log(COINCIDE_FACTOR))
                    & truncated[earlier]
                    & truncated[later]
                )
            run = _longest_run(close)
            if run is None or run[1] - run[0] < COINCIDE_RUN:
                continue
            low, high = float(study.steps[run[0]]), float(study.steps[run[1] - 1])
            if high >= 10 * low:
                out[later] = (earlier, low, high)
                break
    return out


def _longest_run(mask):
    """``(start, stop)`` of the longest run of True in ``mask``, or None."""
    best, start = None, None
    for i, flag in enumerate(list(mask) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _method_label(study, m, exact, coincide, compact):
    """The legend text of one method: its best step, or where it is exact to rounding.

    ``compact`` (axes given by the caller, perhaps one of several): shorter, proportional text.
    """
    name, indent = (f"{m}:", "    ") if compact else (f"{m:<9}", " " * 11)
    if exact is not None:
        text = f"{name} exact to rounding for h ≤ {exact[1]:.0e}"
    else:
        text = f"{name} best h = {study.best_step[m]:.0e}, error {study.best_error[m]:.1e}"
    if coincide is not None:
        other, low, high = coincide
        where = f"h ≥ {low:.0e}" if high >= study.steps[-1] else f"{low:.0e} ≤ h ≤ {high:.0e}"
        text += f"\n{indent}coincides with {other} for {where}"
    return text


def _draw_method(ax, study, m, index, floor, top, models, coincide, compact):
    """One method: measured errors (thin), its best step (marker), its model (pale band)."""
    style = STYLES[m]
    color = style["color"]
    errors = np.maximum(study.errors[m], floor)  # NaN stays NaN: a gap where f failed
    exact = study.exact_range(m)
    n = len(study.steps)
    stride = max(1, n // MARKS_PER_LINE)
    ax.plot(
        study.steps,
        errors,
        color=color,
        ls=style["ls"],
        lw=RAW_WIDTH,
        marker=style["marker"],
        ms=4.5,
        markevery=(index * stride // len(STYLES) % stride, stride),
        label=_method_label(study, m, exact, coincide, compact),
        zorder=3 + index / 10,  # later methods on top: the complex step over the central
    )
    if exact is not None:
        best_h = exact[1]
        best_e = float(errors[int(np.searchsorted(study.steps, best_h))])
        ax.plot(list(exact), [floor * 1.6] * 2, color=color, lw=3, alpha=0.55,
                solid_capstyle="butt", zorder=2.8)
    else:
        best_h, best_e = study.best_step[m], max(study.best_error[m], floor)
    if np.isfinite(best_h) and best_e <= top:
        ax.plot([best_h], [best_e], style["marker"], ms=11, mfc="white", mec=color, mew=2,
                zorder=4)
    if models:
        model = study.model(m)
        model = np.where(model > 0, model, np.nan)  # a vanishing derivative has no line
        ax.plot(study.steps, model, color=color, lw=MODEL_WIDTH, alpha=MODEL_ALPHA,
                solid_capstyle="round", zorder=2)


def _draw_ad(ax, study, floor, compact):
    """AD's error as a horizontal line, at the floor when it is zero."""
    error = study.ad_error
    reference = "" if compact else f" against {study.ad_reference}"
    if not np.isfinite(error):
        label = "AD: exact up to rounding (no reference to measure against)"
        level = EPS * float(np.max(np.abs(study.exact), initial=0.0)) or floor
    elif error == 0:
        label = f"AD: error 0 (at floor){reference}"
        level = floor
    else:
        label = f"AD: error {error:.1e}{reference}"
        level = max(error, floor)
    # Below the measured lines, so a method that is also exact stays visible on top.
    ax.axhline(level, color=AD_COLOR, lw=2.2, label=label, zorder=2.5)


def _decorate(ax, study, floor, top, title, models, compact):
    """Scales, limits, floor band, labels, legend below the axes, title."""
    from matplotlib.patches import Patch

    ax.set_xscale("log")
    ax.set_yscale("log")
    bottom = floor / 4
    ax.axhspan(bottom, floor, facecolor="0.88", edgecolor="none", zorder=0)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="0.88", edgecolor="0.6"))
    labels.append(f"floor ε|f′|/8 = {floor:.0e}: errors of 0 drawn at its top")
    if models:
        handles.append(_model_handle())
        labels.append("pale band: model, rounding ∝ 1/h + truncation ∝ h^p\n"
                      "(p = 1 forward, backward; 2 central, complex; 4 central4)")
    handles.append(_marker_handle())
    labels.append("large marker: best step,\nor largest step exact to rounding"
                  if compact else "large marker: best step, or largest step exact to rounding")
    ax.set_ylim(bottom, top)
    # A margin of a third of a decade each side, so a marker at the first or last step is
    # drawn whole.
    ax.set_xlim(study.steps[0] / 2, study.steps[-1] * 2)
    unit = "t, moving x + t·v" if study.directional else "x"
    derivative = "D_v f" if study.directional else "f′"
    ax.set_xlabel(f"step size h  [units of {unit}]")
    ax.set_ylabel(
        f"absolute error |D_h f − {derivative}|\n[units of f per unit of {unit.split(',')[0]}]"
    )
    if title is None:
        title = (
            f"Finite-difference error: {study.label}\n"
            f"exact {derivative} by AD = {format_point(study.exact)}"
        )
    ax.set_title(title)
    ax.grid(True, which="major", color="0.9", lw=0.8)
    # Below the axes, so it can never cover a curve; in axes of the caller's figure (perhaps
    # one of a row) in a smaller proportional font, as wide as the axes at most.
    ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=2,
        frameon=False,
        prop={"size": "x-small"} if compact else {"family": "monospace", "size": "small"},
        handlelength=2.6 if compact else 3.2,
        columnspacing=1.0 if compact else 2.0,
    )


def _model_handle():
    """The legend's sample of a model band."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color="0.4", lw=MODEL_WIDTH, alpha=MODEL_ALPHA * 1.5)


def _marker_handle():
    """The legend's sample of a best-step marker."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker="o", ms=9, mfc="white", mec="0.3", mew=2)
