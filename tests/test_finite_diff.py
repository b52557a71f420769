"""Finite differences: values, convergence orders, directions, input checks, the complex step."""

import cmath
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.study.finite_diff import (
    METHODS,
    ORDERS,
    ComplexStepError,
    default_step,
    finite_difference,
)

EPS = np.finfo(float).eps


@pytest.mark.parametrize("method", METHODS)
def test_sin_at_one_matches_cos(method):
    h = default_step(method, 1.0)
    assert finite_difference(np.sin, 1.0, h, method) == pytest.approx(math.cos(1.0), abs=1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_works_with_dualdiff_functions(method):
    h = default_step(method, 0.5)
    got = finite_difference(lambda x: dd.exp(x) * dd.sin(x), 0.5, h, method)
    assert got == pytest.approx(math.exp(0.5) * (math.sin(0.5) + math.cos(0.5)), rel=1e-7)


# Steps where truncation dominates rounding by orders of magnitude, for exp at 0.5.
ORDER_STEPS = {
    "forward": 1e-3,
    "backward": 1e-3,
    "central": 1e-2,
    "central4": 1e-1,
    "complex": 1e-2,
}


@pytest.mark.parametrize("method", METHODS)
def test_convergence_order(method):
    """Halving h divides the error by 2**p, p the method's order."""
    exact = math.exp(0.5)
    h = ORDER_STEPS[method]
    err = [abs(finite_difference(np.exp, 0.5, s, method) - exact) for s in (h, h / 2)]
    assert math.log2(err[0] / err[1]) == pytest.approx(ORDERS[method], abs=0.1)


def test_complex_step_reaches_machine_precision():
    err = abs(finite_difference(dd.sin, 1.0, 1e-20, "complex") - math.cos(1.0))
    assert err < 4 * EPS


def test_array_point_along_direction_with_vector_output():
    def f(p):
        return np.array([p[0] * p[1], np.sin(p[0]), p[1] ** 2])

    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    expected = np.array([0.5 * 2.0 - 1.0, 0.5 * math.cos(1.0), -4.0])
    for method in METHODS:
        got = finite_difference(f, x, default_step(method, x, v), method, v)
        assert got.shape == (3,)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_scalar_point_with_scalar_direction_scales():
    got = finite_difference(np.exp, 0.0, 1e-5, "central", v=3.0)
    assert got == pytest.approx(3.0, rel=1e-9)


def test_scalar_result_is_a_python_number():
    assert type(finite_difference(np.sin, 1.0, 1e-5)) is float


def test_inputs_are_not_mutated_even_by_a_mutating_f():
    x, v = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    x0, v0 = x.copy(), v.copy()

    def f(p):
        p *= 2  # hostile: writes into its argument
        return p.sum()

    for method in ("forward", "central4", "complex"):
        finite_difference(f, x, 1e-3, method, v)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(v, v0)


@pytest.mark.parametrize("h", [0, 0.0, -1e-3, -math.inf])
def test_nonpositive_step_is_refused(h):
    with pytest.raises(ValueError, match="> 0|finite"):
        finite_difference(np.sin, 1.0, h)


@pytest.mark.parametrize("h", [math.nan, math.inf])
def test_nonfinite_step_is_refused(h):
    with pytest.raises(ValueError, match="finite"):
        finite_difference(np.sin, 1.0, h)


@pytest.mark.parametrize("h", ["1e-3", None, True, 1e-3j, [1e-3]])
def test_non_number_step_is_a_type_error(h):
    with pytest.raises(TypeError, match="real number"):
        finite_difference(np.sin, 1.0, h)


def test_unknown_method_names_the_allowed_ones():
    with pytest.raises(ValueError, match="'central4'") as info:
        finite_difference(np.sin, 1.0, 1e-3, "five-point")
    assert all(m in str(info.value) for m in METHODS)


def test_direction_shape_must_match_point():
    with pytest.raises(ValueError, match=r"shape \(2,\) but x has shape \(3,\)"):
        finite_difference(np.sum, np.ones(3), 1e-3, v=np.ones(2))


def test_array_point_needs_a_direction():
    with pytest.raises(ValueError, match="direction"):
        finite_difference(np.sum, np.ones(3), 1e-3)


def test_function_returning_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="numbers"):
        finite_difference(lambda x: "nope", 1.0, 1e-3)


@pytest.mark.parametrize(
    "f", [np.abs, np.real, lambda x: np.real(x) ** 2 + 0j], ids=["abs", "real", "real+0j"]
)
def test_complex_step_detects_a_dropped_imaginary_part(f):
    with pytest.raises(ComplexStepError, match="imaginary part"):
        finite_difference(f, 1.0, 1e-20, "complex")


def test_complex_step_on_real_only_function_says_so():
    with pytest.raises(ComplexStepError, match="complex input"):
        finite_difference(math.sin, 1.0, 1e-20, "complex")


@pytest.mark.parametrize("f, x", [(np.cos, 0.0), (lambda x: x**3 - 3 * x, 1.0), (cmath.cosh, 0.0)])
def test_complex_step_at_a_stationary_point_is_zero_not_an_error(f, x):
    assert finite_difference(f, x, 1e-8, "complex") == pytest.approx(0.0, abs=1e-12)


def test_complex_step_needs_a_real_point():
    with pytest.raises(ValueError, match="real point"):
        finite_difference(np.sin, 1.0 + 1j, 1e-8, "complex")


def test_complex_step_on_constant_real_function_warns():
    with pytest.warns(RuntimeWarning, match="real result"):
        assert finite_difference(lambda x: 3.0, 1.0, 1e-8, "complex") == 0.0


@pytest.mark.parametrize("method", ["forward", "backward", "central"])
def test_default_step_balances_truncation_and_rounding(method):
    p = ORDERS[method]
    assert default_step(method, 1.0) == pytest.approx(EPS ** (1 / (p + 1)))
    assert default_step(method, 100.0) == pytest.approx(100 * EPS ** (1 / (p + 1)))


@given(
    a=st.floats(-1e3, 1e3),
    b=st.floats(-1e3, 1e3),
    x=st.floats(-10, 10),
    method=st.sampled_from(METHODS),
)
def test_affine_functions_are_differentiated_to_rounding(a, b, x, method):
    got = finite_difference(lambda t: a * t + b, x, 1e-3, method)
    assert got == pytest.approx(a, abs=1e-9 * (1 + abs(a) + abs(b) + abs(x)))


@given(x=st.floats(-3, 3), method=st.sampled_from(["central", "central4", "complex"]))
def test_quadratics_are_exact_up_to_rounding_for_second_order_methods(x, method):
    got = finite_difference(lambda t: 3 * t * t - t, x, 1e-2, method)
    assert got == pytest.approx(6 * x - 1, abs=1e-10)
