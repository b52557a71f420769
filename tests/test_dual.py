"""Acceptance tests for ``dd.Dual`` against API.md (section Numbers) and issue 2.

Construction, operators on both sides, comparisons, array behaviour, refusals, and complex
Duals for holomorphic functions.  Expected values are analytic (hand-derived) throughout.
"""

import cmath
import math
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import Dual

RTOL = 1e-12


def close(got, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=0)


# --- construction ------------------------------------------------------------------------


def test_int_primal_is_promoted_to_float():
    d = Dual(3, 1)
    assert type(d.primal) is float and d.primal == 3.0
    assert d.tangent == 1.0
    assert (Dual(3) / 2).primal == 1.5  # not integer arithmetic


def test_int_array_primal_is_promoted_to_float():
    d = Dual(np.array([1, 2, 3]), np.array([1, 0, 0]))
    assert d.primal.dtype == np.float64
    close((d / 2).primal, [0.5, 1.0, 1.5])


def test_none_tangent_is_zero():
    d = Dual(2.0)
    assert d.tangent == 0.0
    a = Dual(np.ones((2, 3)))
    assert a.tangent.shape == (2, 3) and not a.tangent.any()
    y = dd.sin(a)
    assert not np.asarray(y.tangent).any()


def test_primal_and_tangent_arrays_are_copied():
    p = np.array([1.0, 2.0, 3.0])
    t = np.array([1.0, 0.0, 0.0])
    d = Dual(p, t)
    p[0] = 99.0
    t[1] = 99.0
    close(d.primal, [1.0, 2.0, 3.0])
    close(d.tangent, [1.0, 0.0, 0.0])


def test_dual_never_aliases_user_array_through_setitem():
    p = np.array([1.0, 2.0, 3.0])
    t = np.zeros(3)
    d = Dual(p, t)
    d[0] = 7.0
    close(p, [1.0, 2.0, 3.0])
    close(t, [0.0, 0.0, 0.0])
    close(d.primal, [7.0, 2.0, 3.0])


def test_tangent_shape_must_match_or_be_a_batch():
    Dual(np.ones(3), np.ones(3))
    Dual(np.ones((2, 3)), np.ones((5, 2, 3)))  # batch of five directions
    Dual(2.0, np.ones(4))  # a batch of four directions of a scalar
    with pytest.raises(ValueError, match=r"tangent.*shape"):
        Dual(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"tangent.*shape"):
        Dual(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"tangent.*shape"):
        Dual(np.ones((2, 3)), np.ones((4, 3, 3)))  # extra axis, but wrong trailing shape
    with pytest.raises(ValueError, match=r"tangent.*shape"):
        Dual(np.ones(3), 1.0)  # a scalar tangent is not broadcast silently
    with pytest.raises(ValueError, match=r"tangent.*shape"):
        Dual(np.ones(3), np.ones((2, 2, 3)))  # two extra axes


def test_batched_tangent_carries_each_direction():
    x = np.array([0.5, 1.0, 2.0])
    t = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    y = dd.sin(Dual(x, t)) * 2.0
    assert y.tangent.shape == (3, 3)
    close(y.tangent, 2.0 * np.cos(x) * t)


@pytest.mark.parametrize("bad", ["1.0", None, object(), {"a": 1}, True, np.array(["a"])])
def test_bad_primal_type_is_refused(bad):
    with pytest.raises(TypeError, match="primal"):
        Dual(bad)


@pytest.mark.parametrize("bad", ["1.0", object(), True])
def test_bad_tangent_type_is_refused(bad):
    with pytest.raises(TypeError, match="tangent"):
        Dual(1.0, bad)


# --- operators -----------------------------------------------------------------------------

X, XT = 1.5, 0.75  # a Dual primal and tangent
C = 2.5  # a constant

#: op -> (value at (x, c), d/dx, d/dc)
BINARY = {
    operator.add: (lambda x, c: x + c, lambda x, c: 1.0, lambda x, c: 1.0),
    operator.sub: (lambda x, c: x - c, lambda x, c: 1.0, lambda x, c: -1.0),
    operator.mul: (lambda x, c: x * c, lambda x, c: c, lambda x, c: x),
    operator.truediv: (lambda x, c: x / c, lambda x, c: 1 / c, lambda x, c: -x / c**2),
    operator.pow: (lambda x, c: x**c, lambda x, c: c * x ** (c - 1),
                   lambda x, c: x**c * math.log(x)),
}

CONSTANTS = [C, 2, np.float64(C), np.int64(2), np.array(C)]


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
@pytest.mark.parametrize("c", CONSTANTS, ids=lambda c: type(c).__name__)
def test_scalar_operator_both_sides(op, c):
    f, dfx, dfc = BINARY[op]
    cf = float(c)
    right = op(Dual(X, XT), c)
    left = op(c, Dual(X, XT))
    assert isinstance(right, Dual), type(right)
    assert isinstance(left, Dual), f"{type(c).__name__} {op.__name__} Dual gave {type(left)}"
    close(right.primal, f(X, cf))
    close(right.tangent, dfx(X, cf) * XT)
    close(left.primal, f(cf, X))
    close(left.tangent, dfc(cf, X) * XT)


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
def test_operator_between_duals(op):
    f, dfx, dfc = BINARY[op]
    a, b = Dual(X, XT), Dual(C, -0.5)
    y = op(a, b)
    close(y.primal, f(X, C))
    close(y.tangent, dfx(X, C) * XT + dfc(X, C) * -0.5)


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
def test_array_operators_both_sides(op):
    f, dfx, dfc = BINARY[op]
    x = np.array([0.5, 1.5, 3.0])
    xt = np.array([1.0, -2.0, 0.5])
    c = np.array([2.0, 0.5, 1.25])
    d = Dual(x, xt)
    right = op(d, c)
    left = op(c, d)  # ndarray (op) Dual must give a Dual, not an object array
    for y in (right, left):
        assert isinstance(y, Dual), type(y)
        assert y.shape == (3,)
    close(right.primal, [f(a, b) for a, b in zip(x, c)])
    close(right.tangent, [dfx(a, b) * t for a, b, t in zip(x, c, xt)])
    close(left.primal, [f(b, a) for a, b in zip(x, c)])
    close(left.tangent, [dfc(b, a) * t for a, b, t in zip(x, c, xt)])


def test_division_by_integer_arrays():
    # regression: the partial 1/y was once computed in integer arithmetic (a zero tangent)
    d = Dual(np.array([1.5, 3.0]), np.array([1.0, 1.0]))
    close((d / np.array([2, 4])).tangent, [0.5, 0.25])
    close((Dual(1.5, 1.0) / np.int64(2)).tangent, 0.5)
    close(dd.grad(lambda x: np.sum(x / np.array([2, 4])))(np.ones(2)), [0.5, 0.25])


def test_broadcasting_operators():
    m = np.arange(1.0, 7.0).reshape(2, 3)
    d = Dual(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]))
    y = m * d
    assert isinstance(y, Dual) and y.shape == (2, 3)
    close(y.tangent, m)
    s = Dual(2.0, 1.0)
    z = m / s
    assert z.shape == (2, 3)
    close(z.tangent, -m / 4.0)
    w = d + Dual(np.ones((2, 1)), np.full((2, 1), 3.0))
    assert w.shape == (2, 3)
    close(w.tangent, np.full((2, 3), 4.0))


def test_unary_operators():
    d = Dual(-1.5, 2.0)
    close((-d).primal, 1.5)
    close((-d).tangent, -2.0)
    assert (+d).primal == -1.5 and (+d).tangent == 2.0
    a = abs(d)
    close(a.primal, 1.5)
    close(a.tangent, -2.0)  # d|x|/dx = sign(x) = -1
    arr = Dual(np.array([-2.0, 3.0]), np.array([1.0, 1.0]))
    close(abs(arr).tangent, [-1.0, 1.0])
    close((-arr).tangent, [-1.0, -1.0])


def test_integer_power_and_square():
    d = Dual(3.0, 1.0)
    close((d**2).tangent, 6.0)
    close((d**3).tangent, 27.0)
    close((d**0).primal, 1.0)
    close((d**0).tangent, 0.0)
    close((d**-1).tangent, -1 / 9)
    close((d**0.5).tangent, 0.5 / math.sqrt(3.0))


# --- comparisons on primals ----------------------------------------------------------------


def test_comparisons_compare_primals():
    a, b = Dual(1.0, 100.0), Dual(2.0, -100.0)
    assert a < b and a <= b and b > a and b >= a and a != b
    assert not (a == b)
    assert Dual(2.0, 5.0) == Dual(2.0, -5.0)  # tangents are not compared
    assert a < 1.5 and 1.5 > a and 0.5 < a
    assert Dual(2.0, 1.0) == 2.0 and 2.0 == Dual(2.0, 1.0)
    mask = Dual(np.array([1.0, 2.0, 3.0]), np.ones(3)) > 1.5
    np.testing.assert_array_equal(mask, [False, True, True])


def test_control_flow_builtins():
    xs = [Dual(3.0, 1.0), Dual(1.0, 2.0), Dual(2.0, 3.0)]
    m = max(xs)
    assert m.primal == 3.0 and m.tangent == 1.0
    assert min(xs).tangent == 2.0
    assert [d.tangent for d in sorted(xs)] == [2.0, 3.0, 1.0]
    x = Dual(0.5, 1.0)
    n = 0
    while x < 100:
        x = x * 3
        n += 1
    assert n == 5 and x.tangent == 3.0**5
    assert bool(Dual(1.0, 0.0)) and not bool(Dual(0.0, 1.0))


# --- array behaviour -----------------------------------------------------------------------


def _matrix_dual():
    p = np.arange(6.0).reshape(2, 3)
    return Dual(p, 10.0 * p + 1.0)


def test_shape_ndim_size_len():
    d = _matrix_dual()
    assert d.shape == (2, 3) and d.ndim == 2 and d.size == 6 and len(d) == 2
    s = Dual(1.0, 1.0)
    assert s.shape == () and s.ndim == 0 and s.size == 1
    with pytest.raises(TypeError):
        len(s)
    b = Dual(np.ones((2, 3)), np.ones((4, 2, 3)))  # the batch axis is not part of the shape
    assert b.shape == (2, 3) and b.ndim == 2 and b.size == 6 and len(b) == 2


def test_indexing_and_slicing_read():
    d = _matrix_dual()
    p, t = d.primal, d.tangent
    for index in [0, -1, (1, 2), (slice(None), 1), (slice(None, None, -1), slice(1, 3)),
                  (np.array([1, 0, 1]), np.array([0, 2, 2])), p > 2, (Ellipsis, 0),
                  (None, 0)]:
        y = d[index]
        assert isinstance(y, Dual)
        assert y.shape == p[index].shape
        close(y.primal, p[index])
        close(y.tangent, t[index])


def test_indexing_batched_keeps_batch_axis_first():
    p = np.arange(6.0).reshape(2, 3)
    t = np.arange(24.0).reshape(4, 2, 3)
    d = Dual(p, t)
    close(d[1].tangent, t[:, 1])
    close(d[:, 2].tangent, t[:, :, 2])
    close(d[1, ::2].tangent, t[:, 1, ::2])
    close(d[p > 2].tangent, t[:, p > 2])


def test_setitem_with_constant_and_dual():
    d = _matrix_dual()
    d[0, 1] = 5.0
    assert d.primal[0, 1] == 5.0 and d.tangent[0, 1] == 0.0
    d[1] = Dual(np.array([7.0, 8.0, 9.0]), np.array([1.0, 2.0, 3.0]))
    close(d.primal[1], [7.0, 8.0, 9.0])
    close(d.tangent[1], [1.0, 2.0, 3.0])
    close(d.tangent[0], [1.0, 0.0, 21.0])


def test_setitem_dual_into_zeros_like_of_dual():
    x = Dual(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
    z = np.zeros_like(x)
    assert isinstance(z, Dual)
    for i in range(3):
        z[i] = x[i] ** 2
    close(z.primal, [1.0, 4.0, 9.0])
    close(z.tangent, [2.0, 0.0, 0.0])
    close(x.primal, [1.0, 2.0, 3.0])  # x is unchanged


def test_setitem_in_a_differentiated_function():
    def f(x):
        out = np.zeros_like(x)
        out[0] = x[0] * x[1]
        out[1] = dd.sin(x[1])
        out[2] = 3.0
        return out

    x = np.array([2.0, 0.5, -1.0])
    j = dd.jacobian(f)(x)
    expected = np.array([[0.5, 2.0, 0.0], [0.0, math.cos(0.5), 0.0], [0.0, 0.0, 0.0]])
    close(j, expected)


def test_transpose_reshape_sum_mean():
    d = _matrix_dual()
    p, t = d.primal, d.tangent
    close(d.T.primal, p.T)
    close(d.T.tangent, t.T)
    close(d.reshape(3, 2).tangent, t.reshape(3, 2))
    close(d.reshape((6,)).tangent, t.ravel())
    close(d.reshape(-1, 2).tangent, t.reshape(-1, 2))
    close(d.sum().tangent, t.sum())
    close(d.sum(axis=0).tangent, t.sum(axis=0))
    close(d.sum(axis=1, keepdims=True).tangent, t.sum(axis=1, keepdims=True))
    close(d.mean().primal, p.mean())
    close(d.mean().tangent, t.mean())
    close(d.mean(axis=1).tangent, t.mean(axis=1))
    close(d.mean(axis=0, keepdims=True).tangent, t.mean(axis=0, keepdims=True))


def test_array_methods_with_batched_tangent():
    p = np.arange(6.0).reshape(2, 3)
    t = np.arange(30.0).reshape(5, 2, 3)
    d = Dual(p, t)
    close(d.T.tangent, t.transpose(0, 2, 1))
    close(d.reshape(3, 2).tangent, t.reshape(5, 3, 2))
    close(d.sum(axis=0).tangent, t.sum(axis=1))
    close(d.sum().tangent, t.sum(axis=(1, 2)))
    close(d.mean(axis=-1).tangent, t.mean(axis=2))


def test_iteration_over_first_axis():
    d = _matrix_dual()
    rows = list(d)
    assert len(rows) == 2
    for i, r in enumerate(rows):
        assert isinstance(r, Dual)
        close(r.primal, d.primal[i])
        close(r.tangent, d.tangent[i])
    total = sum(Dual(np.array([1.0, 2.0]), np.array([3.0, 4.0])))  # builtin sum iterates
    close(total.primal, 3.0)
    close(total.tangent, 7.0)
    with pytest.raises(TypeError):
        iter(Dual(1.0, 1.0)).__next__()


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [Dual(2.0, 1.0), Dual(np.array(2.0), np.array(1.0)),
                               Dual(np.array([2.0]), np.array([1.0]))])
def test_float_of_dual_raises(d):
    with pytest.raises(TypeError, match="primal"):
        float(d)


def test_assigning_dual_into_plain_ndarray_raises():
    a = np.zeros(3)
    with pytest.raises((TypeError, ValueError)):
        a[0] = Dual(1.0, 1.0)
    m = np.zeros((2, 3))
    with pytest.raises((TypeError, ValueError)):
        m[0] = Dual(np.ones(3), np.ones(3))
    assert not a.any() and not m.any()


def test_assigning_scalar_dual_into_plain_ndarray_says_how_to_fix():
    a = np.zeros(3)
    with pytest.raises((TypeError, ValueError)) as info:
        a[0] = Dual(1.0, 1.0)
    # NumPy replaces any failed scalar assignment into a float array by its own ValueError
    # ("setting an array element with a sequence") and chains ours as the cause: the user's
    # traceback shows both, so the hint must be in the chain
    chain = f"{info.value} {info.value.__cause__}"
    assert "zeros_like" in chain
    np.testing.assert_array_equal(a, 0.0)


def test_assigning_array_dual_into_plain_ndarray_says_how_to_fix():
    m = np.zeros((2, 3))
    with pytest.raises((TypeError, ValueError), match="zeros_like"):
        m[0] = Dual(np.ones(3), np.ones(3))


# --- complex Duals: holomorphic functions ---------------------------------------------------

Z = [1 + 2j, -0.5 + 0.25j, 3j, 2.0 + 0j]


@pytest.mark.parametrize("z", Z)
def test_complex_dual_holomorphic(z):
    cases = [
        (lambda w: w**2, lambda w: w * w, lambda w: 2 * w),
        (lambda w: w * w * w, lambda w: w**3, lambda w: 3 * w * w),
        (dd.exp, cmath.exp, cmath.exp),
        (np.exp, cmath.exp, cmath.exp),
        (dd.sin, cmath.sin, cmath.cos),
        (np.sin, cmath.sin, cmath.cos),
        (lambda w: 1 / w, lambda w: 1 / w, lambda w: -1 / w**2),
    ]
    for f, value, slope in cases:
        y = f(Dual(z, 1.0))
        close(y.primal, value(z))
        close(y.tangent, slope(z))
        close(dd.derivative(f)(z), slope(z))
        # a complex tangent direction: the derivative is complex-linear in it
        close(f(Dual(z, 1j)).tangent, 1j * slope(z))


def test_complex_array_dual():
    z = np.array([1 + 1j, -2 + 0.5j])
    y = np.sin(Dual(z, np.ones(2))) * Dual(z, np.ones(2))
    close(y.tangent, np.cos(z) * z + np.sin(z))


# --- properties ------------------------------------------------------------------------------

finite = st.floats(-10.0, 10.0, allow_nan=False)


@given(finite, finite, finite, finite)
def test_product_rule_property(a, at, b, bt):
    y = Dual(a, at) * Dual(b, bt) + Dual(a, at)
    assert y.primal == a * b + a
    expected = at * b + a * bt + at
    scale = abs(at * b) + abs(a * bt) + abs(at)  # cancellation: measure against the terms
    assert abs(y.tangent - expected) <= 4 * np.finfo(float).eps * scale


@given(st.floats(0.1, 10.0), finite)
def test_quotient_rule_property(b, a):
    y = Dual(a, 1.0) / Dual(b, 1.0)
    expected = (b - a) / b**2
    scale = (abs(b) + abs(a)) / b**2
    assert abs(y.tangent - expected) <= 8 * np.finfo(float).eps * scale
