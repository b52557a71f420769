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


def test_model_lines_are_dashed(figure):
    styles = [line.get_linestyle() for line in figure.axes[0].get_lines()]
    assert styles.count("--") >= len(METHODS)


def test_best_steps_are_marked(figure, study):
    ax = figure.axes[0]
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and len(ln.get_xdata()) == 1]
    assert sorted(ln.get_xdata()[0] for ln in markers) == sorted(study.best_step.values())


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
        if line.get_marker() == "o" and len(line.get_xdata()) == 1:
            assert line.get_ydata()[0] <= high or line.get_clip_on()
