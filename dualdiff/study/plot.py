"""The error-study figure: finite-difference error against step size, with AD and the models.

matplotlib is imported inside the function (it is the optional ``plot`` extra), and the figure
is a bare :class:`matplotlib.figure.Figure`: no pyplot, no rcParams, no global state.
"""

from __future__ import annotations

import numpy as np

from .errors import EPS, ErrorStudy, error_study, format_point

__all__ = ["plot_error_study"]

# One fixed colour per method (colour-blind safe, from the Okabe-Ito palette).
COLORS = {
    "forward": "#0072B2",
    "backward": "#56B4E9",
    "central": "#D55E00",
    "central4": "#009E73",
    "complex": "#CC79A7",
}
AD_COLOR = "black"
# Lines that coincide (forward/backward; central/complex at large h) stay distinguishable as a
# thin line inside a thick one.
WIDTHS = {"forward": 3.0, "backward": 1.4, "central": 3.0, "central4": 1.8, "complex": 1.4}


def plot_error_study(
    f_or_study, x=None, *, v=None, steps=None, ax=None, name=None, models=True, title=None
):
    r"""Plot absolute error against step size ``h`` on log-log axes, one line per method.

    Each solid line is a method's measured error :math:`\|D_h f - f'\|`, the round marker its
    best step; the dashed line of the same colour is its model, truncation plus rounding
    (see :func:`~dualdiff.study.errors.error_study`), whose V explains where the bottom is.
    AD's error is the black horizontal line. Errors of exactly zero cannot sit on a log axis:
    they are drawn at a floor of :math:`\varepsilon |f'| / 8`, marked by a grey dotted line.

    Parameters
    ----------
    f_or_study : callable or ErrorStudy
        A function (then ``x`` is required and the study is made here) or a finished study.
    x, v, steps, name
        Passed to :func:`~dualdiff.study.errors.error_study` when a function is given.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; by default a new figure is made.
    models : bool
        Draw the dashed model curves.
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
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8.5, 7.0), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    floor = _floor(study)
    top = _top(study, floor)
    for m in study.methods:
        _draw_method(ax, study, m, floor, top, models)
    _draw_ad(ax, study, floor)
    _decorate(ax, study, floor, top, title)
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


def _draw_method(ax, study, m, floor, top, models):
    """One method: measured errors (solid), its best step (marker), its model (dashed)."""
    color = COLORS[m]
    errors = np.maximum(study.errors[m], floor)  # NaN stays NaN: a gap where f failed
    best_h, best_e = study.best_step[m], study.best_error[m]
    label = f"{m:<9}  best h = {best_h:.0e}, error {best_e:.1e}"
    ax.plot(study.steps, errors, color=color, lw=WIDTHS[m], label=label, zorder=3)
    if np.isfinite(best_h):
        ax.plot(
            [best_h],
            [max(best_e, floor)],
            "o",
            ms=8,
            mfc="white",
            mec=color,
            mew=2,
            zorder=4,
            clip_on=best_e > top,  # unclipped at the floor, but never drawn above the axes
        )
    if models:
        model = study.model(m)
        model = np.where(model > 0, model, np.nan)  # a vanishing derivative has no line
        ax.plot(study.steps, model, color=color, lw=1.1, ls="--", alpha=0.75, zorder=2)


def _draw_ad(ax, study, floor):
    """AD's error as a horizontal line, at the floor when it is zero."""
    error = study.ad_error
    if not np.isfinite(error):
        label = "AD: exact up to rounding (no reference to measure against)"
        level = EPS * float(np.max(np.abs(study.exact), initial=0.0)) or floor
    elif error == 0:
        label = f"AD: error 0 against {study.ad_reference} (at floor)"
        level = floor
    else:
        label = f"AD: error {error:.1e} against {study.ad_reference}"
        level = max(error, floor)
    # Below the measured lines, so a method that is also exact stays visible on top.
    ax.axhline(level, color=AD_COLOR, lw=2.6, label=label, zorder=2.5)


def _decorate(ax, study, floor, top, title):
    """Scales, limits, floor line, labels, legend outside the axes, title."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(
        floor,
        color="0.55",
        lw=1,
        ls=":",
        zorder=1,
        label=f"floor ε|f′|/8 = {floor:.0e}: errors of 0 drawn here",
    )
    ax.plot([], [], color="0.4", lw=1.1, ls="--", label="model: truncation + rounding")
    ax.plot(
        [],
        [],
        "o",
        ms=8,
        mfc="white",
        mec="0.4",
        mew=2,
        ls="none",
        label="best step of each method",
    )
    ax.set_ylim(floor / 4, top)
    ax.set_xlim(study.steps[0], study.steps[-1])
    unit = "t, moving x + t·v" if study.directional else "x"
    ax.set_xlabel(f"step size h  [units of {unit}]")
    ax.set_ylabel(f"absolute error |D_h f − f′|  [units of f per unit of {unit.split(',')[0]}]")
    if title is None:
        derivative = "D_v f" if study.directional else "f′"
        title = (
            f"Finite-difference error: {study.label}\n"
            f"exact {derivative} by AD = {format_point(study.exact)}"
        )
    ax.set_title(title)
    ax.grid(True, which="major", color="0.9", lw=0.8)
    # Below the rounding branch on the left nothing but exact methods can appear: room to
    # say what the two arms of each V are.
    ax.text(
        0.02,
        0.2,
        "each V: left arm rounding ≈ ε·√(f² + (x·f′)²) / h,\n"
        r"right arm truncation ≈ $C\,h^p$ with p = 1 forward,"
        "\n"
        "backward; 2 central, complex; 4 central4",
        transform=ax.transAxes,
        fontsize="small",
        color="0.3",
        va="bottom",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
        zorder=6,
    )
    # Below the axes, so it can never cover a curve.
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.11),
        ncol=2,
        frameon=False,
        fontsize="small",
        prop={"family": "monospace", "size": "small"},
    )
