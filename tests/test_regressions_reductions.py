"""Reductions: the wrong numbers of issue 15 (#2 complex var/std, #3 std of one element,
#4 keepdims shapes) and the sweep over axis, keepdims, ddof, dtype and complex inputs."""

import itertools
import warnings

import numpy as np
import pytest

import dualdiff as dd

rng = np.random.default_rng(15)

REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "var": np.var, "std": np.std, "max": np.max,
    "min": np.min, "prod": np.prod, "ptp": np.ptp, "median": np.median,
    "average": np.average, "nansum": np.nansum, "nanmean": np.nanmean, "nanvar": np.nanvar,
    "nanstd": np.nanstd, "nanmax": np.nanmax, "nanmin": np.nanmin, "nanprod": np.nanprod,
    "nanmedian": np.nanmedian, "quantile": lambda x, **kw: np.quantile(x, 0.3, **kw),
    "nanpercentile": lambda x, **kw: np.nanpercentile(x, [20, 70], **kw),
}
AXES = {1: [None, 0, -1, (0,)], 2: [None, 0, 1, -1, (0, 1), (1, 0)],
        3: [None, 0, 1, 2, (0, 2), (1, 2), (0, 1, 2)]}
CASES = [(name, nd, axis, keep) for name in REDUCTIONS for nd in (1, 2, 3)
         for axis in AXES[nd] for keep in (False, True)]
# every axis of length >= 3: std over 2 entries is |x0 - x1| / 2, piecewise linear, so its
# second derivative is 0 and check_rule would measure rounding against a zero
SHAPES = {1: (4,), 2: (3, 4), 3: (3, 3, 4)}


def test_var_and_std_of_complex_input_are_real_mean_squared_moduli():
    # issue 15 #2: var([1j, -1j]) was -1+0j and std 1j
    x = np.array([1j, -1j])
    assert dd.jvp(np.var, (x,), (np.ones(2),))[0] == 1.0
    assert dd.jvp(np.std, (x,), (np.ones(2),))[0] == 1.0
    z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    for f in (np.var, np.std, lambda v: np.var(v, axis=0, ddof=1), lambda v: np.std(v, axis=1)):
        value = dd.jvp(f, (z,), (np.ones_like(z),))[0]
        np.testing.assert_allclose(value, f(z), rtol=1e-14)
        assert not np.iscomplexobj(value)
        dd.check_rule(f, z)


def test_complex_var_derivative_is_twice_re_conj_deviation_times_tangent():
    z = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    u = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    d, du = z - z.mean(), u - u.mean()
    expected = 2 * np.sum(np.real(np.conj(d) * du)) / 5
    np.testing.assert_allclose(dd.jvp(np.var, (z,), (u,))[1], expected, rtol=1e-14)
    # the gradient of a real function of a complex input, in JAX's pairing: 2 conj(d) / n
    np.testing.assert_allclose(dd.grad(np.var)(z), 2 * np.conj(d) / 5, rtol=1e-14)


ZERO_VARIANCE = [
    (np.std, np.array([2.0])),
    (lambda x: np.std(x, axis=0), np.array([[2.0, -1.0, 0.5]])),
    (lambda x: np.std(x, axis=1, keepdims=True), np.array([[2.0], [-1.0]])),
    (lambda x: np.std(x, axis=(0, 1)), np.full((1, 1, 2), 3.0)),
    (lambda x: np.std(x, axis=0, ddof=0), np.array([[1.0, 2.0], [1.0, 5.0]])),  # one column
]


@pytest.mark.parametrize("f, x", ZERO_VARIANCE)
def test_std_where_the_variance_is_zero_has_derivative_zero_there(f, x):
    # issue 15 #3: one element (or an axis of length 1) gave a nan gradient
    J = dd.jacobian(f)(x)
    zero = np.asarray(f(x)) == 0
    assert np.all(np.isfinite(J))
    np.testing.assert_array_equal(J[zero], 0.0)
    g = dd.grad(lambda v: np.sum(f(v)))(x)
    np.testing.assert_allclose(g, J.reshape(-1, x.size).sum(0).reshape(x.shape), rtol=1e-14)
    H = dd.hessian(lambda v: np.sum(f(v)))(x)
    assert np.all(np.isfinite(H))


def test_std_of_one_element_reverse_forward_and_second_order():
    for x in (np.array([2.0]), np.array([[1.0], [4.0]])):
        np.testing.assert_array_equal(dd.grad(lambda v: np.sum(np.std(v, axis=-1)))(x), 0 * x)
        np.testing.assert_array_equal(dd.jacobian(lambda v: np.std(v, axis=-1))(x),
                                      np.zeros(x.shape[:-1] + x.shape))
        np.testing.assert_array_equal(dd.hessian(lambda v: np.std(v))(np.array([2.0])), [[0.0]])
    # where the variance is not zero, the usual derivative (x - mean) / (n std)
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(dd.grad(np.std)(x), (x - x.mean()) / (3 * x.std()), rtol=1e-14)


def test_prod_keepdims_without_axis_keeps_every_axis():
    # issue 15 #4: np.prod(x, keepdims=True) was of shape (1,)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.shape(dd.jvp(lambda v: np.prod(v, keepdims=True), (x,), (x,))[0]) == (1, 1)
    assert dd.jacobian(lambda v: np.prod(v, keepdims=True))(x).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("name, nd, axis, keep", CASES)
def test_every_axis_and_keepdims_against_numpy(name, nd, axis, keep):
    f = lambda v: REDUCTIONS[name](v, axis=axis, keepdims=keep)
    x = rng.uniform(0.5, 2.0, SHAPES[nd])
    expected = f(x)
    y, ty = dd.jvp(f, (x,), (np.ones_like(x),))
    assert np.shape(y) == np.shape(expected)
    assert np.shape(ty) == np.shape(expected)
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    J = dd.jacobian(f)(x)
    assert J.shape == np.shape(expected) + x.shape
    np.testing.assert_allclose(dd.jacobian(f, chunk_size=1)(x), J, rtol=1e-14, atol=1e-15)
    dd.check_rule(f, x, batch=2)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod", "average", "nansum",
                                  "nanmean", "nanvar", "nanstd", "nanprod"])
@pytest.mark.parametrize("axis, keep", list(itertools.product([None, 0, (0, 1)], [False, True])))
def test_complex_input_against_numpy(name, axis, keep):
    f = lambda v: REDUCTIONS[name](v, axis=axis, keepdims=keep)
    z = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    y = dd.jvp(f, (z,), (np.ones_like(z),))[0]
    np.testing.assert_allclose(y, f(z), rtol=1e-13)
    assert np.shape(y) == np.shape(f(z))
    assert np.iscomplexobj(y) == np.iscomplexobj(f(z))
    dd.check_rule(f, z, batch=2)


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("f", [np.var, np.std])
def test_ddof(f, ddof):
    x = rng.standard_normal((4, 3))
    g = lambda v: f(v, axis=0, ddof=ddof)
    np.testing.assert_allclose(dd.jvp(g, (x,), (x,))[0], g(x), rtol=1e-14)
    dd.check_rule(g, x)
    n = 4
    if f is np.var:  # d var / dx = 2 (x - mean) / (n - ddof)
        np.testing.assert_allclose(dd.grad(lambda v: np.sum(g(v)))(x),
                                   2 * (x - x.mean(0)) / (n - ddof), rtol=1e-13)


def test_ddof_at_least_n_is_infinite_or_nan_as_in_numpy():
    x = np.array([1.0, 2.0])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.var(x, ddof=2)
    got = dd.jvp(lambda v: np.var(v, ddof=2), (x,), (x,))[0]
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod"])
def test_dtype_argument(name):
    f = REDUCTIONS[name]
    x = rng.uniform(0.5, 2.0, (3, 2)).astype(np.float32)
    y = dd.jvp(lambda v: f(v, axis=0, dtype=np.float64), (x,), (np.ones_like(x),))[0]
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, f(x, axis=0, dtype=np.float64), rtol=1e-14)
    y = dd.jvp(lambda v: f(v, dtype=np.complex128), (x,), (np.ones_like(x),))[0]
    assert np.iscomplexobj(y) == np.iscomplexobj(f(x, dtype=np.complex128))
    np.testing.assert_allclose(y, f(x, dtype=np.complex128), rtol=1e-6)
    with pytest.raises(TypeError, match="dtype=int64"):
        dd.jvp(lambda v: f(v, dtype=np.int64), (x,), (x,))


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_float32_keeps_its_dtype(name):
    x = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    f = lambda v: REDUCTIONS[name](v, axis=1)
    y, t = dd.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(y, f(x), rtol=1e-6)
    if dd.jvp(lambda v: v, (x,), (x,))[0].dtype == np.float32:  # the drivers keep float32
        assert y.dtype == f(x).dtype
        assert t.dtype == f(x).dtype


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_nan_entries_along_every_axis(name):
    x = rng.uniform(0.5, 2.0, (3, 4))
    x[1, 2] = x[0, 0] = np.nan
    for axis in (None, 0, 1):
        f = lambda v, axis=axis: REDUCTIONS[name](v, axis=axis)
        with np.errstate(all="ignore"):
            expected = f(x)
            y = dd.jvp(f, (x,), (np.ones_like(x),))[0]
        np.testing.assert_allclose(y, expected, rtol=1e-14)
        if name.startswith("nan"):
            g = dd.grad(lambda v, f=f: np.sum(f(v)))(x)
            np.testing.assert_array_equal(g[np.isnan(x)], 0.0)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reverse_against_forward_on_stacks(name):
    x = rng.uniform(0.5, 2.0, (2, 3, 4))
    f = lambda v: REDUCTIONS[name](v, axis=(0, 2))
    J = dd.jacobian(f)(x)
    w = rng.standard_normal(np.shape(f(x)))
    np.testing.assert_allclose(dd.vjp(f, x)[1](w), np.tensordot(w, J, axes=w.ndim), rtol=1e-13)


POSITIONAL = [
    (np.sum, (1, np.float64, None, True)), (np.mean, (0, np.float64, None, True)),
    (np.var, (1, None, None, 1, True)), (np.std, (0, None, None, 1, True)),
    (np.prod, (1, None, None, True)), (np.max, (1, None, True)), (np.min, (0, None, True)),
    (np.cumsum, (1, np.float64)), (np.cumprod, (0, None)),
]


@pytest.mark.parametrize("f, args", POSITIONAL)
def test_positional_arguments_in_numpys_order(f, args):
    x = rng.uniform(0.5, 2.0, (3, 4))
    y = dd.jvp(lambda v: f(v, *args), (x,), (x,))[0]
    np.testing.assert_allclose(y, f(x, *args), rtol=1e-14)
    assert np.shape(y) == np.shape(f(x, *args))


WHERE = rng.uniform(size=(3, 4)) > 0.3


@pytest.mark.parametrize("f, kw", [
    (np.sum, dict(where=WHERE)), (np.sum, dict(initial=2.5, axis=0)),
    (np.mean, dict(where=WHERE, axis=1)), (np.var, dict(where=WHERE, axis=1, ddof=1)),
    (np.std, dict(where=WHERE)), (np.prod, dict(where=WHERE, axis=0, initial=0.5)),
    (np.max, dict(where=WHERE, initial=-1.0, axis=1)), (np.min, dict(initial=0.7, axis=0)),
    (np.var, dict(correction=1, axis=0)), (np.std, dict(mean=np.ones((1, 4)), axis=0)),
])
def test_where_initial_and_correction_keywords(f, kw):
    x = rng.uniform(0.5, 2.0, (3, 4))
    g = lambda v: f(v, **kw)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(dd.jvp(g, (x,), (x,))[0], g(x), rtol=1e-14)
    dd.check_rule(g, x)
    if "where" in kw:  # entries outside the mask carry no derivative
        grad = dd.grad(lambda v: np.sum(g(v)))(x)
        np.testing.assert_array_equal(grad[~np.broadcast_to(WHERE, x.shape)], 0.0)


def test_out_is_refused_by_name_and_where_without_initial_as_numpy():
    x = rng.uniform(size=3)
    for f in (np.sum, np.mean, np.var, np.std, np.prod, np.max, np.cumsum, np.cumprod):
        with pytest.raises(TypeError, match=f"np.{f.__name__}.*out="):
            dd.grad(lambda v, f=f: np.sum(f(v, out=np.zeros(()))))(x)
    with pytest.raises(ValueError, match="initial"):
        dd.grad(lambda v: np.max(v, where=v > 0.5))(x)


def test_methods():
    x = rng.uniform(0.5, 2.0, (3, 4))
    for method, f in (("var", np.var), ("std", np.std), ("ptp", np.ptp)):
        for kw in ({}, {"axis": 1}, {"axis": 0, "keepdims": True}):
            got = dd.jacobian(lambda v, m=method, kw=kw: getattr(v, m)(**kw))(x)
            np.testing.assert_allclose(got, dd.jacobian(lambda v, f=f, kw=kw: f(v, **kw))(x),
                                       rtol=1e-15)
    np.testing.assert_allclose(dd.jacobian(lambda v: v.cumsum(axis=1))(x),
                               dd.jacobian(lambda v: np.cumsum(v, axis=1))(x), rtol=1e-15)
    np.testing.assert_allclose(dd.jacobian(lambda v: v.cumprod())(x),
                               dd.jacobian(np.cumprod)(x), rtol=1e-15)
    np.testing.assert_allclose(dd.grad(lambda v: v.take([1, 5]).sum())(x),
                               dd.grad(lambda v: np.take(v, [1, 5]).sum())(x), rtol=1e-15)
    d = dd.Dual(np.array([3.0, 1.0, 2.0]), np.array([30.0, 10.0, 20.0]))
    assert d.argsort().tolist() == [1, 2, 0] and d.argmax() == 0 and d.argmin() == 1
    assert d.sort() is None
    np.testing.assert_array_equal(d.primal, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(d.tangent, [10.0, 20.0, 30.0])


def test_a_nan_extremum_takes_its_derivative_from_the_nan_entries_without_warning():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J = dd.jacobian(lambda v: np.max(v, axis=1))(x)
        g = dd.grad(np.min)(x)
    np.testing.assert_array_equal(J[0], [[0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(J[1], [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(g, [[0, 1, 0], [0, 0, 0]])
