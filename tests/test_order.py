"""Order and selection: sort, partition, take, take_along_axis, ptp, median, percentile,
quantile (and argsort & co. as plain integers), in every mode, against NumPy's values and the
permutation or selection they go through; ties share the derivative as in ``max``."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.core import strip

rng = np.random.default_rng(20)
V = rng.permutation(7).astype(float) + rng.uniform(0, 0.5, 7)   # distinct entries
M = rng.standard_normal((4, 5))
S = rng.standard_normal((2, 3, 4))

CASES = {
    "sort": (np.sort, V),
    "sort axis 0": (lambda x: np.sort(x, axis=0), M),
    "sort axis None": (lambda x: np.sort(x, axis=None), M),
    "sort kind": (lambda x: np.sort(x, kind="mergesort", axis=1), S),
    "sort stable": (lambda x: np.sort(x, stable=True), M),
    "partition": (lambda x: np.partition(x, 3), V),
    "partition kth list": (lambda x: np.partition(x, [1, 3], axis=0), M),
    "partition axis None": (lambda x: np.partition(x, 5, axis=None), M),
    "take": (lambda x: np.take(x, [0, 3, 3, -1]), M),
    "take axis": (lambda x: np.take(x, [[0, 2], [1, 1]], axis=1), S),
    "take scalar": (lambda x: np.take(x, 2, axis=0), M),
    "take wrap": (lambda x: np.take(x, [5, -6, 9], mode="wrap"), V),
    "take clip": (lambda x: np.take(x, [-3, 2, 40], axis=1, mode="clip"), M),
    "take_along_axis": (lambda x: np.take_along_axis(x, np.argsort(x, axis=1)[:, :2], axis=1), M),
    "take_along_axis 0": (lambda x: np.take_along_axis(x, np.array([[3, 0, 1, 1, 2]]), 0), M),
    "take_along_axis None": (lambda x: np.take_along_axis(x, np.array([4, 0, 19]), None), M),
    "ptp": (np.ptp, M),
    "ptp axis": (lambda x: np.ptp(x, axis=1, keepdims=True), M),
    "median": (np.median, V),
    "median even": (np.median, V[:6]),
    "median axis": (lambda x: np.median(x, axis=0), M),
    "median axes": (lambda x: np.median(x, axis=(0, 2), keepdims=True), S),
    "median keepdims": (lambda x: np.median(x, keepdims=True), M),
    "quantile": (lambda x: np.quantile(x, 0.3), V),
    "quantile q array": (lambda x: np.quantile(x, [0.0, 0.25, 0.9, 1.0], axis=1), M),
    "quantile axes keepdims": (lambda x: np.quantile(x, [0.1, 0.6], axis=(1, 2),
                                                      keepdims=True), S),
    "percentile": (lambda x: np.percentile(x, [10, 50, 95], axis=0), M),
    "percentile scalar": (lambda x: np.percentile(x, 37.5), S),
}
for _method in ("lower", "higher", "nearest", "midpoint", "weibull", "hazen",
                "interpolated_inverted_cdf", "median_unbiased", "normal_unbiased"):
    CASES[f"quantile {_method}"] = (
        lambda x, m=_method: np.quantile(x, [0.0, 0.2, 0.5, 0.77, 1.0], axis=0, method=m), M)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_mode(name):
    f, x = CASES[name]
    dd.check_rule(f, x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_shapes_are_numpys(name):
    f, x = CASES[name]
    y, t = dd.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(y, f(x))
    assert np.shape(t) == np.shape(f(x))
    # a constant shift of every entry moves every order statistic and selection by as much
    # (and leaves the range max - min alone)
    moves = 0.0 if name.startswith("ptp") else 1.0
    np.testing.assert_allclose(t, np.full(np.shape(f(x)), moves), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32(name):
    f, x = CASES[name]
    x = x.astype(np.float32)
    y = dd.jvp(f, (x,), (np.ones_like(x),))[0]
    np.testing.assert_allclose(y, f(x), rtol=1e-6)


def test_sort_jacobian_is_the_permutation_matrix():
    J = dd.jacobian(np.sort)(V)
    np.testing.assert_array_equal(J, np.eye(7)[np.argsort(V)])
    np.testing.assert_array_equal(dd.jacobian(np.sort, chunk_size=1)(V), J)
    w = rng.standard_normal(7)
    np.testing.assert_array_equal(dd.vjp(np.sort, V)[1](w), J.T @ w)


def test_sort_of_complex_input_is_lexicographic_and_differentiable():
    z = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    y = dd.jvp(np.sort, (z,), (np.ones_like(z),))[0]
    np.testing.assert_array_equal(y, np.sort(z))
    dd.check_rule(np.sort, z)


@pytest.mark.parametrize("f", [np.sort, lambda x: np.partition(x, 1)])
def test_ties_share_the_derivative_as_max_does(f):
    x = np.array([2.0, 1.0, 2.0, 0.5, 2.0])
    J = dd.jacobian(f)(x)
    tied = np.isclose(f(x), 2.0)
    np.testing.assert_allclose(J[tied][:, x == 2.0], 1 / 3, rtol=1e-15)
    np.testing.assert_array_equal(J[tied][:, x != 2.0], 0.0)
    # the largest sorted entry is the max: the same derivative
    np.testing.assert_allclose(dd.grad(lambda v: np.sort(v)[-1])(x), dd.grad(np.max)(x),
                               rtol=1e-15)
    w = rng.standard_normal(5)
    np.testing.assert_allclose(dd.vjp(f, x)[1](w), J.T @ w, rtol=1e-15)
    np.testing.assert_allclose(dd.jacobian(f, chunk_size=1)(x), J, rtol=1e-15)


def test_median_with_ties_and_max_agree():
    x = np.array([1.0, 3.0, 3.0])
    np.testing.assert_allclose(dd.grad(np.median)(x), [0.0, 0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(dd.grad(np.max)(x), [0.0, 0.5, 0.5], rtol=1e-15)


def test_median_and_quantile_against_the_order_statistics():
    # median of an even count: the mean of the two middle entries
    x = V[:6]
    order = np.argsort(x)
    expected = np.zeros(6)
    expected[order[2]] = expected[order[3]] = 0.5
    np.testing.assert_array_equal(dd.grad(np.median)(x), expected)
    # linear quantile at h = (n-1) q = 6 * 0.3 = 1.8: 0.2 of the 2nd, 0.8 of the 3rd smallest
    order = np.argsort(V)
    expected = np.zeros(7)
    expected[order[1]], expected[order[2]] = 0.2, 0.8
    np.testing.assert_allclose(dd.grad(lambda v: np.quantile(v, 0.3))(V), expected, rtol=1e-14)
    np.testing.assert_allclose(dd.grad(lambda v: np.percentile(v, 30))(V), expected, rtol=1e-14)


@pytest.mark.parametrize("method, weights", [
    ("lower", {1: 1.0}), ("higher", {2: 1.0}), ("nearest", {2: 1.0}),
    ("midpoint", {1: 0.5, 2: 0.5}), ("linear", {1: 0.2, 2: 0.8}),
])
def test_quantile_methods_select_the_order_statistics(method, weights):
    order = np.argsort(V)
    expected = np.zeros(7)
    for k, w in weights.items():
        expected[order[k]] = w
    got = dd.grad(lambda v: np.quantile(v, 0.3, method=method))(V)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_quantile_of_a_slice_with_nan_is_nan_as_in_numpy():
    x = M.copy()
    x[1, 2] = np.nan
    f = lambda v: np.quantile(v, 0.5, axis=1)
    np.testing.assert_array_equal(dd.jvp(f, (x,), (x,))[0], f(x))
    np.testing.assert_array_equal(dd.jvp(np.median, (x,), (x,))[0], np.median(x))


def test_bad_quantiles_and_methods_raise_as_numpy():
    for bad in (1.5, -0.1, [0.2, 2.0]):
        with pytest.raises(ValueError, match="range"):
            dd.grad(lambda v, q=bad: np.sum(np.quantile(v, q)))(V)
    with pytest.raises(ValueError, match="Percentiles"):
        dd.grad(lambda v: np.percentile(v, 101))(V)
    with pytest.raises(ValueError, match="inverted_cdf"):
        dd.grad(lambda v: np.quantile(v, 0.5, method="inverted_cdf"))(V)
    with pytest.raises(TypeError, match="q must be a constant"):
        dd.grad(lambda v: np.quantile(v, v[0] / 10))(V)
    with pytest.raises(TypeError, match="weights"):
        dd.grad(lambda v: np.quantile(v, 0.5, weights=np.ones(7), method="inverted_cdf"))(V)


def test_take_errors_as_numpy():
    with pytest.raises(IndexError, match="out of bounds"):
        dd.grad(lambda v: np.sum(np.take(v, [7])))(V)
    with pytest.raises(ValueError, match="clipmode"):
        dd.grad(lambda v: np.sum(np.take(v, [1], mode="bounce")))(V)
    with pytest.raises(TypeError, match="integers"):
        dd.grad(lambda v: np.sum(np.take(v, v[:1])))(V)


def test_take_with_repeats_adds_in_reverse():
    f = lambda v: np.take(v, [1, 1, 1, 4])
    np.testing.assert_array_equal(dd.grad(lambda v: np.sum(f(v)))(V),
                                  [0, 3, 0, 0, 1, 0, 0])


def test_argsort_argmax_argmin_argpartition_are_plain_integers():
    d = dd.Dual(V, np.ones(7))
    for fn, args in ((np.argsort, ()), (np.argmax, ()), (np.argmin, ()),
                     (np.argpartition, (3,)), (np.nanargmax, ()), (np.nanargmin, ())):
        r = fn(d, *args)
        assert not isinstance(r, dd.Dual)
        assert np.asarray(r).dtype.kind == "i"
        np.testing.assert_array_equal(r, fn(V, *args))


def test_indices_bins_and_tests_of_values_are_plain():
    d = dd.Dual(V, np.ones(7))
    for fn, args in ((np.lexsort, ()), (np.digitize, ([-0.5, 0.0, 0.5],)), (np.flatnonzero, ()),
                     (np.isin, (V[:3],)), (np.isneginf, ()), (np.isposinf, ()),
                     (np.iscomplex, ()), (np.isreal, ()), (np.array_equiv, (V,))):
        r = fn((d, -d) if fn is np.lexsort else d, *args)
        assert not isinstance(r, dd.Dual), fn
        np.testing.assert_array_equal(r, fn((V, -V) if fn is np.lexsort else V, *args))
    inner = strip(d)
    assert np.may_share_memory(d, inner) and not np.shares_memory(d, np.zeros(7))
    # under dd.jit they are replayed: a new order of the values needs no new trace
    f = dd.jit(dd.grad(lambda v: np.sum(v[np.lexsort((v,))] * np.arange(7.0))))
    for v in (V, V[::-1].copy(), np.roll(V, 2)):
        np.testing.assert_array_equal(f(v), dd.grad(lambda v: np.sum(np.sort(v) * np.arange(
            7.0)))(v))
    assert f.variants == 1


def test_sort_inside_a_tape_and_nested():
    # the gradient of a sorted weighted sum is the weights put back in place; second order 0
    w = np.arange(7.0)
    f = lambda v: np.sum(w * np.sort(v) ** 2)
    expected = np.empty(7)
    expected[np.argsort(V)] = 2 * w * np.sort(V)
    np.testing.assert_allclose(dd.grad(f)(V), expected, rtol=1e-14)
    H = dd.hessian(f)(V)
    P = np.eye(7)[np.argsort(V)]
    np.testing.assert_allclose(H, P.T @ np.diag(2 * w) @ P, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(dd.hvp(f, V, np.ones(7)), H @ np.ones(7), rtol=1e-14)


# --- properties ------------------------------------------------------------------------------
_values = st.lists(st.integers(-50, 50), min_size=1, max_size=12, unique=True).map(
    lambda v: np.array(v, dtype=float) / 4)


@given(_values, st.floats(0.0, 1.0))
def test_linear_quantile_gradient_is_the_blend_of_two_order_statistics(x, q):
    n = x.size
    h = (n - 1) * q
    lo, hi = int(np.floor(h)), min(int(np.floor(h)) + 1, n - 1)
    order = np.argsort(x)
    expected = np.zeros(n)
    expected[order[lo]] += 1 - (h - lo)
    expected[order[hi]] += h - lo
    got = dd.grad(lambda v: np.quantile(v, q))(x)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(dd.jvp(lambda v: np.quantile(v, q), (x,), (x,))[0],
                                  np.quantile(x, q))


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=10).map(lambda v: np.array(v, float)))
def test_sort_with_any_ties_is_the_tie_averaged_permutation(x):
    J = dd.jacobian(np.sort)(x)
    s = np.sort(x)
    expected = (s[:, None] == x[None, :]) / np.sum(s[:, None] == x[None, :], axis=1,
                                                    keepdims=True)
    np.testing.assert_allclose(J, expected, rtol=1e-15)
    w = np.arange(1.0, x.size + 1)
    np.testing.assert_allclose(dd.vjp(np.sort, x)[1](w), expected.T @ w, rtol=1e-14)


@given(st.lists(st.integers(-2, 2), min_size=1, max_size=8).map(lambda v: np.array(v, float)))
def test_cumprod_jacobian_is_the_product_of_the_others_with_any_zeros(x):
    n = x.size
    expected = np.array([[np.prod(np.delete(x[: i + 1], j)) if j <= i else 0.0
                          for j in range(n)] for i in range(n)])
    np.testing.assert_array_equal(dd.jacobian(np.cumprod)(x), expected)
    w = np.arange(1.0, n + 1)
    np.testing.assert_array_equal(dd.vjp(np.cumprod, x)[1](w), expected.T @ w)
