"""The error figure: lines, labels, log scales, ax=, no global state."""

import math

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.study.errors import error_study
from dualdiff.study.finite_diff import METHODS
from dualdiff.study.plot import plot_error_study

mpl = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(scope="module")
def study():
    return error_study(dd.sin, 1.0, steps=np.logspace(-16, 0, 81), name="sin(x)")


@pytest.fixture(scope="module")
def figure(study):
    return plot_error_study(study)


def _labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_returns_a_figure_with_log_log_axes(figure):
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_one_labelled_line_per_method_and_one_for_ad(figure):
    labels = _labels(figure.axes[0])
    for m in METHODS:
        assert sum(label.startswith(m + " ") for label in labels) == 1
    assert sum(label.startswith("AD") for label in labels) == 1
    assert any("floor" in label for label in labels)


def test_method_lines_carry_the_measured_errors_clipped_at_the_floor(figure, study):
    ax = figure.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("central "))
    np.testing.assert_array_equal(line.get_xdata(), study.steps)
    y = np.asarray(line.get_ydata())
    assert np.all(y[np.isfinite(y)] > 0)  # visible on the log axis
    np.testing.assert_allclose(y, np.maximum(study.errors["central"], y.min()))


def _method_lines(ax):
    """method -> its raw error line (the line whose label starts with the method)."""
    labelled = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    return {m: next(ln for ln in labelled if ln.get_label().split()[0].rstrip(":") == m)
            for m in METHODS}


def _big_markers(ax):
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1 and ln.get_markersize() > 8]


def test_models_are_wide_pale_bands_of_the_method_colour(figure, study):
    ax = figure.axes[0]
    for m, line in _method_lines(ax).items():
        bands = [ln for ln in ax.get_lines() if ln.get_linewidth() >= 5
                 and ln.get_color() == line.get_color()]
        assert len(bands) == 1, m
        band = bands[0]
        assert band.get_alpha() < 0.5 and band.get_linewidth() > 3 * line.get_linewidth()
        np.testing.assert_allclose(band.get_ydata(), study.model(m))


def test_best_steps_are_marked_or_the_largest_step_exact_to_rounding(figure, study):
    ax = figure.axes[0]
    lines = _method_lines(ax)
    marked = {}
    for ln in _big_markers(ax):
        m = next(m for m, line in lines.items() if line.get_color() == ln.get_markeredgecolor())
        assert ln.get_marker() == lines[m].get_marker()  # the method's own shape, bigger
        marked[m] = ln.get_xdata()[0]
    assert set(marked) == set(METHODS)
    for m in METHODS:
        exact = study.exact_range(m)
        assert marked[m] == (exact[1] if exact else study.best_step[m])
    # sin at 1: the complex step is exact to rounding from 1e-16 up to about 1e-8.
    low, high = study.exact_range("complex")
    assert low == study.steps[0] and 1e-9 < high < 1e-6
    assert "exact to rounding for h ≤" in lines["complex"].get_label()
    assert "best h" in lines["central"].get_label()
    assert study.exact_range("central") is None


def test_no_two_methods_share_colour_dashes_or_marker(figure):
    from matplotlib.colors import to_rgb

    lines = list(_method_lines(figure.axes[0]).values())
    # (the dash pattern as drawn: matplotlib has no public getter for it)
    for attribute in (lambda ln: to_rgb(ln.get_color()), lambda ln: str(ln._dash_pattern),
                      lambda ln: ln.get_marker()):
        values = [attribute(ln) for ln in lines]
        assert len(set(values)) == len(values), values


def test_greyscale_levels_of_the_colours_differ(figure):
    from matplotlib.colors import to_rgb

    greys = sorted(float(np.dot(to_rgb(ln.get_color()), [0.299, 0.587, 0.114]))
                   for ln in _method_lines(figure.axes[0]).values())
    assert min(np.diff(greys)) > 0.02, greys


def test_complex_step_drawn_over_central_and_the_legend_says_they_coincide(figure):
    lines = _method_lines(figure.axes[0])
    assert lines["complex"].get_zorder() > lines["central"].get_zorder()
    assert "coincides with central" in lines["complex"].get_label()
    assert "coincides" not in lines["central"].get_label()  # no chance match in the noise


def _marker_boxes_inside(fig, renderer):
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        for ln in _big_markers(ax):
            x, y = ax.transData.transform((ln.get_xdata()[0], ln.get_ydata()[0]))
            radius = ln.get_markersize() * fig.dpi / 72 / 2
            assert box.x0 <= x - radius and x + radius <= box.x1, ln.get_xdata()
            assert box.y0 <= y - radius and y + radius <= box.y1, ln.get_ydata()


def _saved(fig, path, **options):
    """Save through an Agg canvas at the figure's dpi; return the renderer that drew it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.savefig(path, **options)
    canvas.draw()
    return canvas.get_renderer()


def test_every_marker_is_inside_the_axes_of_the_saved_image(figure, tmp_path):
    _marker_boxes_inside(figure, _saved(figure, tmp_path / "e.png"))


def test_floor_band_shows_in_the_legend_and_under_the_ad_line(figure):
    ax = figure.axes[0]
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    handle = legend.legend_handles[next(i for i, t in enumerate(texts) if t.startswith("floor"))]
    assert handle.get_facecolor()[:3] != (1.0, 1.0, 1.0)  # a filled patch, not a hidden line
    ad = next(ln for ln in ax.get_lines() if ln.get_label().startswith("AD"))
    assert ax.get_ylim()[0] < ad.get_ydata()[0]  # the band shows between axis bottom and AD


def test_directional_label_matches_the_title():
    study = error_study(lambda p: dd.sin(p[0]) * p[1], np.array([1.0, 2.0]), np.array([1.0, 0.5]))
    ax = plot_error_study(study).axes[0]
    assert "D_v f" in ax.get_title() and "D_v f" in ax.get_ylabel()
    assert "f′" not in ax.get_ylabel()


def _squire_trapp(x):
    return dd.exp(x) / dd.sqrt(dd.sin(x) ** 3 + dd.cos(x) ** 3)


@pytest.mark.parametrize("how", ["savefig", "tight_layout", "bbox_inches"])
def test_a_one_by_two_figure_keeps_both_legends_whole_and_apart(study, tmp_path, how):
    """ax= in a 1x2 figure: nothing cut by the saved image, no legend over the other axes."""
    fig = Figure(figsize=(13, 6), dpi=80)
    left, right = fig.subplots(1, 2)
    plot_error_study(study, ax=left)
    plot_error_study(_squire_trapp, 1.5, ax=right, name="Squire-Trapp")
    options = {}
    if how == "tight_layout":
        with pytest.warns(UserWarning, match="layout has changed"):
            fig.tight_layout()
    if how == "bbox_inches":
        options["bbox_inches"] = "tight"
    renderer = _saved(fig, tmp_path / "two.png", **options)
    legends = [ax.get_legend().get_window_extent(renderer) for ax in (left, right)]
    if how != "bbox_inches":  # then the saved image grows to hold everything
        page = fig.bbox
        for box in legends:
            assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0, (how, box)
        for ax in (left, right):
            label = ax.yaxis.label.get_window_extent(renderer)
            assert page.y0 <= label.y0 and label.y1 <= page.y1
    assert not legends[0].overlaps(legends[1])
    assert legends[0].x1 < right.get_window_extent(renderer).x0
    for ax, box in zip((left, right), legends):
        assert box.y1 < ax.get_window_extent(renderer).y0  # below its axes, covers no curve
    _marker_boxes_inside(fig, renderer)


def test_labels_title_and_legend(figure):
    ax = figure.axes[0]
    assert "step size h" in ax.get_xlabel() and "units" in ax.get_xlabel()
    assert "error" in ax.get_ylabel() and "units" in ax.get_ylabel()
    assert "sin(x)" in ax.get_title() and "x = 1" in ax.get_title()
    legend = ax.get_legend()
    assert legend is not None
    # The legend sits below the axes, so it cannot hide a curve.
    anchor = legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert anchor.y1 <= 0.0


def test_ad_line_at_the_floor_when_its_error_is_zero(figure, study):
    ax = figure.axes[0]
    ad = next(ln for ln in ax.get_lines() if ln.get_label().startswith("AD"))
    level = ad.get_ydata()[0]
    if study.ad_error == 0:
        assert "at floor" in ad.get_label()
        assert level > 0
    else:
        assert level == pytest.approx(study.ad_error)
    assert ax.get_ylim()[0] < level


def test_draws_into_given_axes_and_returns_their_figure(study):
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    out = plot_error_study(study, ax=ax2)
    assert out is fig
    assert len(ax1.get_lines()) == 0 and len(ax2.get_lines()) > len(METHODS)


def test_accepts_a_function_and_a_point():
    fig = plot_error_study(dd.exp, 0.5, steps=[1e-8, 1e-4, 1e-2], name="exp(x)")
    assert "exp(x)" in fig.axes[0].get_title()


def test_refuses_bad_arguments(study):
    with pytest.raises(TypeError, match="point x"):
        plot_error_study(dd.sin)
    with pytest.raises(TypeError, match="not both"):
        plot_error_study(study, 1.0)
    with pytest.raises(TypeError, match="function or an ErrorStudy"):
        plot_error_study("sin", 1.0)


def test_no_global_state_changes(study):
    before = dict(mpl.rcParams)
    plot_error_study(study)
    assert dict(mpl.rcParams) == before
    import sys

    if "matplotlib.pyplot" in sys.modules:  # another test may use pyplot: then no new figures
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_saves_a_png_that_reads_back(figure, tmp_path):
    from matplotlib.image import imread

    path = tmp_path / "errors.png"
    figure.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    assert not math.isclose(float(image.std()), 0.0)  # not a blank canvas


def test_y_axis_stops_at_ten_derivatives_where_a_method_means_nothing():
    """sin(50x): the complex step's error at h = 1 is ~1e21; the axis must not follow it."""
    study = error_study(lambda x: dd.sin(50 * x), 1.0, name="sin(50x)")
    assert np.nanmax(study.errors["complex"]) > 1e15
    ax = plot_error_study(study).axes[0]
    low, high = ax.get_ylim()
    assert high == pytest.approx(10 * abs(study.exact))
    # the interesting region (every best error, the AD line) is inside, and spans decades
    best = [e for e in study.best_error.values() if e > 0]
    assert all(low < e < high for e in best) and low < study.ad_error < high
    assert math.log10(high / min(best)) < 15  # not the ~33 decades up to 1e21


def test_y_axis_follows_the_data_when_every_error_is_small(study):
    ax = plot_error_study(study).axes[0]
    largest = max(np.nanmax(e) for e in study.errors.values())
    assert largest < ax.get_ylim()[1] <= 10 * max(abs(study.exact), abs(study.value))


def test_y_axis_cap_uses_f_over_the_step_scale_where_the_derivative_vanishes():
    study = error_study(dd.cos, 0.0, name="cos(x)")  # f' = 0, |f| = 1, step scale 1
    low, high = plot_error_study(study).axes[0].get_ylim()
    assert 0 < low < high <= 10.0
    assert high >= np.nanmax(study.errors["central"][study.steps <= 0.1])


def test_best_step_markers_never_sit_above_the_axes():
    study = error_study(lambda x: dd.sin(50 * x), 1.0, steps=[0.5, 1.0])
    ax = plot_error_study(study).axes[0]
    high = ax.get_ylim()[1]
    for line in ax.get_lines():
        if line.get_markersize() > 8 and len(line.get_xdata()) == 1:
            assert line.get_ydata()[0] <= high or line.get_clip_on()
