"""The error study: the issue's known numbers for sin at 1, models, AD's error, input checks."""

import dataclasses
import math
import warnings

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.study.errors import ErrorStudy, error_study
from dualdiff.study.finite_diff import METHODS, ORDERS

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def sin_study():
    return error_study(dd.sin, 1.0, name="sin(x)")


def test_default_steps_cover_1e16_to_1_with_ten_per_decade(sin_study):
    steps = sin_study.steps
    assert steps[0] == pytest.approx(1e-16) and steps[-1] == pytest.approx(1.0)
    assert np.all(np.diff(steps) > 0)
    assert len(steps) >= 10 * 16 + 1
    for m in METHODS:
        assert sin_study.errors[m].shape == steps.shape


def test_exact_is_the_ad_derivative(sin_study):
    assert sin_study.exact == dd.derivative(dd.sin)(1.0)
    assert sin_study.exact == pytest.approx(math.cos(1.0), rel=4 * EPS)


def test_known_numbers_forward(sin_study):
    assert 1e-10 <= sin_study.best_step["forward"] <= 1e-6
    assert sin_study.best_error["forward"] < 1e-7


def test_known_numbers_central(sin_study):
    assert 1e-7 <= sin_study.best_step["central"] <= 1e-4
    assert sin_study.best_error["central"] < 1e-9


def test_known_numbers_complex_step_at_1e_20():
    study = error_study(dd.sin, 1.0, steps=[1e-20])
    assert study.errors["complex"][0] < 4 * EPS


def test_ad_error_below_4_eps_relative_against_the_analytic_value():
    study = error_study(dd.sin, 1.0, reference=math.cos(1.0))
    assert study.ad_relative_error < 4 * EPS
    assert "given reference" in study.ad_reference


def test_ad_error_against_the_complex_step_by_default(sin_study):
    assert sin_study.ad_relative_error < 4 * EPS
    assert "complex step" in sin_study.ad_reference


def test_best_error_is_the_minimum_of_errors(sin_study):
    for m in sin_study.methods:
        errors = sin_study.errors[m]
        assert sin_study.best_error[m] == np.nanmin(errors)
        assert sin_study.best_step[m] == sin_study.steps[np.nanargmin(errors)]


def test_no_finite_difference_beats_sqrt_eps_and_eps_two_thirds(sin_study):
    """The floors the issue explains: forward ~ sqrt(eps), central ~ eps**(2/3)."""
    assert sin_study.best_error["forward"] > 0.01 * math.sqrt(EPS)
    assert sin_study.best_error["central"] > 0.001 * EPS ** (2 / 3)


def test_higher_derivatives_by_nested_ad(sin_study):
    s, c = math.sin(1.0), math.cos(1.0)
    expected = {1: c, 2: s, 3: c, 4: s, 5: c}
    for k, value in expected.items():
        assert sin_study.higher[k] == pytest.approx(value, rel=1e-14)


@pytest.mark.parametrize("method", ["forward", "central", "central4", "complex"])
def test_truncation_model_matches_where_truncation_dominates(sin_study, method):
    # h where the truncation error is far above rounding; the model's leading term is then
    # within a few percent (the next Taylor term is ~h**2 times smaller).
    h = {"forward": 1e-4, "central": 1e-3, "central4": 1e-2, "complex": 1e-3}[method]
    i = int(np.argmin(np.abs(np.log(sin_study.steps / h))))
    measured, model = sin_study.errors[method][i], sin_study.truncation[method][i]
    assert measured == pytest.approx(model, rel=0.05)


@pytest.mark.parametrize("method", ["forward", "central", "central4"])
def test_model_bottom_is_near_the_best_step(sin_study, method):
    """The V of the model bottoms out within a decade and a half of the measured best."""
    model = sin_study.model(method)
    h_model = sin_study.steps[np.argmin(model)]
    assert abs(math.log10(h_model / sin_study.best_step[method])) < 1.5


def test_rounding_model_dominates_at_tiny_steps(sin_study):
    """At h = 1e-14 the forward error is rounding: within a factor 30 of the rounding model."""
    i = int(np.argmin(np.abs(np.log(sin_study.steps / 1e-14))))
    ratio = sin_study.errors["forward"][i] / sin_study.rounding["forward"][i]
    assert 1 / 30 < ratio < 30


@pytest.mark.parametrize("method", METHODS)
def test_measured_convergence_order(method):
    """Halving h in the truncation regime divides the error by 2**p."""
    h = {"forward": 1e-3, "backward": 1e-3, "central": 1e-2, "central4": 1e-1, "complex": 1e-2}
    study = error_study(dd.exp, 0.5, steps=[h[method] / 2, h[method]], methods=[method])
    ratio = study.errors[method][1] / study.errors[method][0]
    assert math.log2(ratio) == pytest.approx(ORDERS[method], abs=0.1)


def test_relative_errors_divide_by_the_derivative(sin_study):
    for m in METHODS:
        np.testing.assert_allclose(
            sin_study.relative_errors[m], sin_study.errors[m] / abs(math.cos(1.0))
        )


def test_relative_errors_are_nan_where_the_derivative_is_zero():
    study = error_study(dd.cos, 0.0, steps=[1e-3, 1e-2])
    assert study.exact == 0
    assert all(np.all(np.isnan(r)) for r in study.relative_errors.values())
    assert math.isnan(study.ad_relative_error)


def test_array_point_along_a_direction_and_vector_valued_f():
    def f(p):
        return dd.stack([p[0] * p[1], dd.sin(p[0])])

    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    study = error_study(f, x, v)
    np.testing.assert_allclose(study.exact, [2.0 - 1.0, math.cos(1.0)], rtol=1e-15)
    assert study.best_error["central"] < 1e-9
    assert study.best_error["complex"] < 4 * EPS
    assert "along v" in study.label


def test_complex_step_is_left_out_with_a_warning_for_abs():
    with pytest.warns(RuntimeWarning, match="complex step left out"):
        study = error_study(lambda x: dd.absolute(x) * x, 1.0, steps=[1e-6, 1e-3])
    assert "complex" not in study.errors
    assert math.isnan(study.ad_error)
    assert study.best_error["central"] < 1e-8


def test_a_step_outside_the_domain_gives_nan_not_an_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        study = error_study(dd.log, 0.5, steps=[1e-6, 1.0])
    assert np.isnan(study.errors["backward"][1])  # log(0.5 - 1) is outside the domain
    assert study.best_step["backward"] == 1e-6


def test_point_outside_the_domain_is_refused():
    with pytest.raises(ValueError, match="not finite|cannot be evaluated"):
        error_study(dd.log, -1.0)


@pytest.mark.parametrize("steps", [[], [0.0, 1e-3], [-1e-3], [math.nan], [math.inf]])
def test_bad_steps_are_refused(steps):
    with pytest.raises(ValueError, match="step"):
        error_study(dd.sin, 1.0, steps=steps)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method"):
        error_study(dd.sin, 1.0, methods=["forward", "richardson"])


def test_steps_are_sorted_and_deduplicated():
    study = error_study(dd.sin, 1.0, steps=[1e-2, 1e-4, 1e-2, 1e-3])
    np.testing.assert_array_equal(study.steps, [1e-4, 1e-3, 1e-2])


def test_study_is_frozen_and_its_arrays_read_only(sin_study):
    assert isinstance(sin_study, ErrorStudy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sin_study.exact = 0.0
    with pytest.raises(ValueError):
        sin_study.steps[0] = 1.0
    with pytest.raises(ValueError):
        sin_study.errors["central"][0] = 1.0


def test_inputs_are_not_mutated():
    x, v = np.array([0.3, 0.7]), np.array([1.0, 2.0])
    steps = np.array([1e-3, 1e-5])
    error_study(lambda p: dd.sum(dd.sin(p)), x, v, steps)
    np.testing.assert_array_equal(x, [0.3, 0.7])
    np.testing.assert_array_equal(v, [1.0, 2.0])
    np.testing.assert_array_equal(steps, [1e-3, 1e-5])


def test_label_and_summary_name_the_function_and_point(sin_study):
    assert sin_study.label == "sin(x) at x = 1"
    table = sin_study.summary()
    for word in ("sin(x)", "x = 1", *METHODS, "AD", "best step", "smallest error"):
        assert word in table


def test_default_step_errors_are_reported(sin_study):
    assert sin_study.default_error["central"] < 1e-9
    assert sin_study.default_step["forward"] == pytest.approx(math.sqrt(EPS))


def test_repr_is_short(sin_study):
    text = repr(sin_study)
    assert text.startswith("ErrorStudy(sin(x) at x = 1") and len(text) < 300


def test_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="callable"):
        error_study("sin", 1.0)


def test_badly_scaled_analytic_function_keeps_the_complex_step():
    """exp(1000 x): the central difference is poor, yet the complex step agrees with AD."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        study = error_study(lambda x: dd.exp(1000 * x), 0.01, steps=[1e-20, 1e-10])
    assert "complex" in study.methods
    assert study.relative_errors["complex"][0] < 4 * EPS


# The rounding model counts the rounding of the arguments (x + k h v, and the arguments formed
# inside f) as well as that of the values: c = sqrt(f**2 + (x f')**2). Before, it counted
# eps |f| / h only, and for sin(50x) at 1 (|x f'| = 48, |f| = 0.26) the measured rounding arm
# sat ~60 times above it.
def _sin50(x):
    return dd.sin(50 * x)


def _squire_trapp(x):
    return dd.exp(x) / dd.sqrt(dd.sin(x) ** 3 + dd.cos(x) ** 3)


def _pair(p):
    return dd.stack([p[0] * p[1], dd.sin(50 * p[0])])


ROUNDING_CASES = {
    "sin at 1": (dd.sin, 1.0, None),
    "sin(50x) at 1": (_sin50, 1.0, None),
    "exp at 10": (dd.exp, 10.0, None),
    "sqrt at 1e4": (dd.sqrt, 1e4, None),
    "x**3 at 3": (lambda x: x**3, 3.0, None),
    "Squire-Trapp at 1.5": (_squire_trapp, 1.5, None),
    "vector f along v": (_pair, np.array([1.0, 2.0]), np.array([1.0, -1.0])),
}


@pytest.fixture(scope="module")
def rounding_studies():
    return {name: error_study(f, x, v) for name, (f, x, v) in ROUNDING_CASES.items()}


def _rounding_arm(study):
    """Steps well left of every V's bottom: 1e-13 to 1e-10 in the units of x."""
    scale = max(1.0, float(np.max(np.abs(study.x))))
    return (study.steps >= 1e-13 * scale) & (study.steps <= 1e-10 * scale)


@pytest.mark.parametrize("case", ROUNDING_CASES)
@pytest.mark.parametrize("method", ["forward", "backward", "central", "central4"])
def test_rounding_model_tracks_the_measured_left_arm(rounding_studies, case, method):
    study = rounding_studies[case]
    arm = _rounding_arm(study)
    ratio = study.errors[method][arm] / study.rounding[method][arm]
    assert 0.05 < np.median(ratio) < 5
    assert np.max(ratio) < 20  # random-looking, but not far above the root-mean-square


def test_rounding_scale_counts_the_argument():
    study = error_study(_sin50, 1.0)
    f, x_fprime = math.sin(50.0), 50 * math.cos(50.0)
    assert study.rounding_scale == pytest.approx(math.hypot(f, x_fprime), rel=1e-12)
    h = study.steps[-1]
    expected = EPS / 2 * math.sqrt(2 / 3) * math.hypot(f, x_fprime) / h + EPS / 2 * abs(x_fprime)
    assert study.rounding["forward"][-1] == pytest.approx(expected, rel=1e-12)
    # The value-only model eps |f| / h is far below the measured rounding arm.
    arm = _rounding_arm(study)
    value_only = EPS * abs(f) / study.steps[arm]
    assert np.median(study.errors["forward"][arm] / value_only) > 10


def test_rounding_scale_of_an_array_point_uses_the_jacobian(rounding_studies):
    study = rounding_studies["vector f along v"]
    x1, x2 = 1.0, 2.0
    # rows of the Jacobian times x: (x2 * x1, x1 * x2) and (50 cos(50 x1) x1, 0)
    first = math.sqrt((x1 * x2) ** 2 + (x2 * x1) ** 2 + (x1 * x2) ** 2)
    second = math.hypot(math.sin(50 * x1), 50 * math.cos(50 * x1) * x1)
    assert study.rounding_scale == pytest.approx(max(first, second), rel=1e-12)


def test_rounding_scale_without_an_argument_is_f():
    study = error_study(dd.exp, 0.0, steps=[1e-6])
    assert study.rounding_scale == 1.0


@pytest.mark.parametrize("case", ["sin at 1", "sin(50x) at 1"])
@pytest.mark.parametrize(
    ("method", "decades"), [("forward", 1.5), ("central", 1.0), ("central4", 1.0)]
)
def test_predicted_best_step_is_near_the_measured_one(rounding_studies, case, method, decades):
    study = rounding_studies[case]
    predicted = study.model_best_step(method)
    assert abs(math.log10(predicted / study.best_step[method])) < decades


def test_predicted_best_central_step_of_sin50_from_the_formula(rounding_studies):
    """h* = (3/2 sqrt(1/6) eps c / |g'''|)**(1/3), on the grid of steps."""
    study = rounding_studies["sin(50x) at 1"]
    formula = (1.5 * math.sqrt(1 / 6) * EPS * study.rounding_scale / study.higher[3]) ** (1 / 3)
    assert abs(math.log10(study.model_best_step("central") / formula)) < 0.1
    assert 1e-7 < formula < 1e-6  # the value-only model said 9e-8; measured: 3e-7


def test_exact_range_of_the_complex_step_and_none_for_the_real_steps():
    study = error_study(dd.sin, 1.0)
    low, high = study.exact_range("complex")
    assert low == study.steps[0]
    # truncation h**2 |f'''| / 6 = 2 eps |f'| at h = sqrt(12 eps |cos 1| / sin 1) ~ 4e-8
    assert 1e-8 < high < 2e-7
    assert np.all(study.errors["complex"][study.steps <= high] <= study.rounding_floor)
    assert study.rounding_floor == pytest.approx(2 * np.finfo(float).eps * math.cos(1.0))
    for m in ("forward", "backward", "central", "central4"):
        assert study.exact_range(m) is None
    table = study.summary()
    complex_row = next(line for line in table.splitlines() if line.startswith("complex"))
    assert f"<= {high:.1e}" in complex_row


def test_one_lucky_step_is_no_exact_range():
    study = error_study(dd.sin, 1.0, steps=[1e-12, 1e-3, 1e-1])
    assert study.exact_range("complex") is None  # one step reaches the floor: no range


def test_overflow_is_named_overflow_not_a_domain_problem():
    with pytest.raises(ValueError, match="overflows at x = 2"):
        error_study(lambda x: x**10000, 2.0)
    with pytest.raises(ValueError, match="derivative of f overflows"):
        error_study(lambda x: x**1000, 2.023)  # f ~ 1e306, f' = 1000 f / x ~ 5e308
    with pytest.raises(ValueError, match="domain"):
        error_study(dd.sqrt, -1.0)


def test_rounding_scale_does_not_overflow_for_large_finite_values():
    study = error_study(lambda x: x**1000, 2.0, steps=[1e-8, 1e-4])
    expected = math.hypot(2.0**1000, 2.0 * 1000 * 2.0**999)
    assert study.rounding_scale == pytest.approx(expected, rel=1e-14)


def test_a_zero_direction_is_refused():
    with pytest.raises(ValueError, match="direction v is zero"):
        error_study(lambda p: p[0] * p[1], np.array([1.0, 2.0]), np.zeros(2))
