"""The conventions at singular points, as documented in the rules (issue 2).

- An infinite partial times a tangent that does not move is 0, not nan (per direction of a
  batch); a direction that does move keeps its true value, inf included.
- ``absolute``, ``sign`` and ``relu`` have derivative 0 at 0; ``x ** 0`` has derivative 0 at
  ``x = 0``; ``0 ** y`` has derivative 0 in ``y`` for ``y > 0``; ``maximum``/``minimum`` give
  0.5 to each argument at a tie.
- ``np.where`` selects tangents and adjoints too: an unused singular branch leaks no nan.
- ``float(Dual)`` refuses; ``log(0)`` is ``-inf`` and never raises.
- None of these conventions trips ``np.seterr(all="raise")``.
"""

import math
import operator

import numpy as np
import pytest

import dualdiff as dd

INF = math.inf


def exactly(got, want):
    """Equal element by element, infinities and signs of infinity included, no nan."""
    got = np.asarray(getattr(got, "tangent", got), dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert not np.isnan(got).any(), f"nan in {got!r}"
    assert np.array_equal(got, want), f"got {got!r}, want {want!r}"


# --- sqrt at 0: an infinite slope ---------------------------------------------------------


@pytest.mark.parametrize("sqrt", [dd.sqrt, np.sqrt], ids=["dd.sqrt", "np.sqrt"])
def test_sqrt_at_zero_with_zero_tangent_is_zero(sqrt):
    exactly(sqrt(dd.Dual(0.0, 0.0)).tangent, 0.0)
    exactly(sqrt(dd.Dual(np.zeros(3), np.zeros(3))).tangent, np.zeros(3))


@pytest.mark.parametrize("sqrt", [dd.sqrt, np.sqrt], ids=["dd.sqrt", "np.sqrt"])
def test_sqrt_at_zero_with_unit_tangent_is_inf(sqrt):
    exactly(sqrt(dd.Dual(0.0, 1.0)).tangent, INF)
    exactly(sqrt(dd.Dual(np.array([0.0, 4.0]), np.array([1.0, 1.0]))).tangent, [INF, 0.25])
    assert dd.derivative(dd.sqrt)(0.0) == INF


@pytest.mark.parametrize("sqrt", [dd.sqrt, np.sqrt], ids=["dd.sqrt", "np.sqrt"])
def test_sqrt_at_zero_batched_directions_are_independent(sqrt):
    d = dd.Dual(np.array([0.0, 4.0]), np.array([[0.0, 0.0], [1.0, 1.0]]))
    out = sqrt(d)
    exactly(out.primal, [0.0, 2.0])
    exactly(out.tangent, [[0.0, 0.0], [INF, 0.25]])


def test_sqrt_at_zero_scalar_primal_batched_tangent():
    out = dd.sqrt(dd.Dual(0.0, np.array([0.0, 1.0, 0.0])))
    exactly(out.tangent, [0.0, INF, 0.0])


def test_sqrt_at_zero_does_not_poison_a_later_sum():
    # y = sqrt(x0) * 0-direction + x1: the direction along x1 must stay finite
    d = dd.Dual(np.array([0.0, 1.0]), np.array([[0.0, 1.0]]))
    out = np.sum(np.sqrt(d))
    exactly(out.tangent, [0.5])


# --- kinks: derivative 0 at 0 -------------------------------------------------------------


KINKS = {
    "dd.absolute": dd.absolute,
    "np.absolute": np.absolute,
    "abs()": abs,
    "dd.sign": dd.sign,
    "np.sign": np.sign,
    "dd.relu": dd.relu,
}


@pytest.mark.parametrize("fn", KINKS.values(), ids=KINKS.keys())
def test_kink_derivative_at_zero_is_zero(fn):
    assert dd.derivative(fn)(0.0) == 0.0
    exactly(fn(dd.Dual(np.zeros(2), np.ones(2))).tangent, [0.0, 0.0])
    exactly(fn(dd.Dual(np.zeros(2), np.ones((3, 2)))).tangent, np.zeros((3, 2)))
    exactly(dd.grad(lambda x: np.sum(fn(x)))(np.zeros(2)), [0.0, 0.0])


@pytest.mark.parametrize("fn", KINKS.values(), ids=KINKS.keys())
def test_kink_derivative_at_negative_zero_is_zero(fn):
    assert dd.derivative(fn)(-0.0) == 0.0


def test_kink_functions_away_from_zero():
    assert dd.derivative(dd.absolute)(-2.0) == -1.0
    assert dd.derivative(dd.relu)(-2.0) == 0.0
    assert dd.derivative(dd.relu)(2.0) == 1.0
    assert dd.derivative(dd.sign)(2.0) == 0.0


# --- powers at 0 --------------------------------------------------------------------------


POWERS = {
    "**": operator.pow,
    "dd.power": dd.power,
    "np.power": np.power,
}


@pytest.mark.parametrize("pow_", POWERS.values(), ids=POWERS.keys())
@pytest.mark.parametrize("zero", [0, 0.0])
def test_x_to_the_zero_at_zero_has_derivative_zero(pow_, zero):
    assert dd.derivative(lambda x: pow_(x, zero))(0.0) == 0.0
    exactly(pow_(dd.Dual(np.zeros(2), np.ones(2)), zero).tangent, [0.0, 0.0])
    exactly(dd.grad(lambda x: np.sum(pow_(x, zero)))(np.zeros(2)), [0.0, 0.0])


@pytest.mark.parametrize("pow_", POWERS.values(), ids=POWERS.keys())
@pytest.mark.parametrize("y", [0.5, 1.0, 2.0, 3.5])
def test_zero_to_the_y_has_derivative_zero_in_y(pow_, y):
    assert dd.derivative(lambda t: pow_(0.0, t))(y) == 0.0
    exactly(pow_(0.0, dd.Dual(np.full(2, y), np.ones(2))).tangent, [0.0, 0.0])
    exactly(dd.grad(lambda t: np.sum(pow_(np.zeros(2), t)))(np.full(2, y)), [0.0, 0.0])


@pytest.mark.parametrize("pow_", POWERS.values(), ids=POWERS.keys())
def test_zero_to_the_y_jointly(pow_):
    # both move: d(x**y) at (0, 2) along (1, 1) is 2*0**1*1 + 0**2*log(0)*1 = 0
    _, t = dd.jvp(pow_, (0.0, 2.0), (1.0, 1.0))
    exactly(t, 0.0)
    # along x only at y = 1: d x / dx = 1
    _, t = dd.jvp(pow_, (0.0, 1.0), (1.0, 0.0))
    exactly(t, 1.0)


# --- maximum and minimum at ties ----------------------------------------------------------


TIES = {
    "dd.maximum": dd.maximum,
    "np.maximum": np.maximum,
    "dd.minimum": dd.minimum,
    "np.minimum": np.minimum,
}


@pytest.mark.parametrize("fn", TIES.values(), ids=TIES.keys())
def test_tie_splits_half_and_half(fn):
    for x in (0.0, 1.5, -2.0):
        _, tx = dd.jvp(fn, (x, x), (1.0, 0.0))
        _, ty = dd.jvp(fn, (x, x), (0.0, 1.0))
        assert (tx, ty) == (0.5, 0.5)
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 3.0])
    gx = dd.grad(lambda v: np.sum(fn(v, b)))(a)
    gy = dd.grad(lambda v: np.sum(fn(a, v)))(b)
    winner_x = 1.0 if fn in (dd.maximum, np.maximum) else 0.0
    exactly(gx, [0.5, winner_x, 0.5])
    exactly(gy, [0.5, 1.0 - winner_x, 0.5])
    # f(x, x) = x: the two halves add up to 1
    assert dd.derivative(lambda v: fn(v, v))(1.0) == 1.0


# --- np.where does not leak the unused branch ---------------------------------------------


def test_where_with_sqrt_branch_at_zero_forward():
    f = lambda x: np.where(x > 0, np.sqrt(x), 0.0)  # noqa: E731
    exactly(f(dd.Dual(np.array([0.0]), np.array([1.0]))).tangent, [0.0])
    exactly(f(dd.Dual(np.array([0.0, 4.0]), np.ones(2))).tangent, [0.0, 0.25])
    exactly(dd.derivative(lambda x: f(x))(0.0), 0.0)


def test_where_with_sqrt_branch_at_zero_reverse():
    f = lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0))  # noqa: E731
    exactly(dd.grad(f)(np.array([0.0])), [0.0])
    exactly(dd.grad(f)(np.array([0.0, 4.0])), [0.0, 0.25])


def test_where_with_log_branch_at_zero():
    f = lambda x: np.sum(np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0))  # noqa: E731
    exactly(dd.grad(f)(np.array([0.0, 1.0])), [0.0, 1.0])


# --- refusals and infinities --------------------------------------------------------------


@pytest.mark.parametrize(
    "d", [dd.Dual(1.0, 1.0), dd.Dual(np.array(1.0), np.array(1.0))], ids=["scalar", "0-d"]
)
def test_float_of_dual_raises_type_error(d):
    with pytest.raises(TypeError):
        float(d)


def test_log_at_zero_is_minus_inf_and_does_not_raise():
    assert dd.log(0.0) == -INF
    out = dd.log(dd.Dual(0.0, 1.0))
    assert out.primal == -INF
    assert out.tangent == INF
    out = np.log(dd.Dual(np.array([0.0, 1.0]), np.array([1.0, 1.0])))
    exactly(out.primal, [-INF, 0.0])
    exactly(out.tangent, [INF, 1.0])
    exactly(dd.log(dd.Dual(0.0, 0.0)).tangent, 0.0)
    assert dd.derivative(dd.log)(0.0) == INF


# --- stable formulas far out --------------------------------------------------------------


@pytest.mark.parametrize("x", [-800.0, -50.0, 50.0, 800.0])
def test_softplus_sigmoid_logaddexp_are_stable_for_large_arguments(x):
    with np.errstate(all="raise"):
        sp = dd.softplus(x)
        assert sp == (x if x > 0 else math.exp(x))
        assert dd.derivative(dd.softplus)(x) == dd.sigmoid(x)
        s = dd.sigmoid(x)
        assert s == (1.0 if x > 0 else math.exp(x))
        assert math.isfinite(dd.derivative(dd.sigmoid)(x))
        assert dd.logaddexp(x, 0.0) == sp
        _, t = dd.jvp(dd.logaddexp, (x, 0.0), (1.0, 0.0))
        assert t == pytest.approx(s, rel=1e-15, abs=0)


# --- the conventions are quiet ------------------------------------------------------------


QUIET = {
    "sqrt(0) with zero tangent": lambda: dd.sqrt(dd.Dual(np.zeros(2), np.zeros(2))),
    "sqrt(0) batched": lambda: dd.sqrt(dd.Dual(np.array([0.0, 4.0]), np.array([[0.0, 0.0]]))),
    "x**0 at 0": lambda: dd.derivative(lambda x: x**0.0)(0.0),
    "x**0 at 0, array": lambda: dd.Dual(np.zeros(2), np.ones(2)) ** 0.0,
    "0**y": lambda: 0.0 ** dd.Dual(np.full(2, 2.0), np.ones(2)),
    "where/sqrt forward": lambda: np.where(
        dd.Dual(np.zeros(2), np.ones(2)) > 0, np.sqrt(dd.Dual(np.zeros(2), np.ones(2))), 0.0
    ),
    "where/sqrt reverse": lambda: dd.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(
        np.zeros(2)
    ),
}


@pytest.mark.parametrize("case", QUIET.values(), ids=QUIET.keys())
def test_conventions_raise_no_floating_point_errors(case):
    """A documented convention is not an error: it must also work for a user who runs with
    ``np.seterr(all="raise")`` (or warnings as errors), so the 0 * inf that the convention
    replaces must not be computed unguarded."""
    with np.errstate(all="raise"):
        case()
