"""Scans and statistics: cumprod, the nan* reductions, average, cov, corrcoef, gradient,
trapezoid, interp, polyval, convolve, correlate: every mode (dd.check_rule), NumPy's values,
and analytic derivatives."""

import re
import warnings

import numpy as np
import pytest

import dualdiff as dd

rng = np.random.default_rng(21)
V = rng.uniform(0.5, 2.0, 6)
M = rng.standard_normal((3, 5))
S = rng.standard_normal((2, 3, 4))
Z = rng.standard_normal(5) + 1j * rng.standard_normal(5)
W = rng.uniform(0.5, 2.0, 5)
XP = np.array([-1.0, 0.0, 0.5, 2.0, 3.5])
FP = rng.standard_normal(5)
Q = np.array([0.3, -1.2, 2.1, 0.7])  # (none on a knot of XP: interp has a kink there)

NAN = M.copy()
NAN[0, 1] = NAN[2, 3] = NAN[2, 4] = np.nan

#: name -> (function of the differentiated arguments, arguments)
CASES = {
    "cumprod": (np.cumprod, (V,)),
    "cumprod axis": (lambda x: np.cumprod(x, axis=1), (M,)),
    "cumprod axis 0": (lambda x: np.cumprod(x, axis=0), (S,)),
    "cumprod complex": (np.cumprod, (Z,)),
    "cumprod with zeros": (lambda x: np.cumprod(x * np.array([1, 0, 1, 1, 0, 1.0])), (V,)),
    "cumulative_sum": (lambda x: np.cumulative_sum(x, axis=1, include_initial=True), (M,)),
    "cumulative_prod": (lambda x: np.cumulative_prod(x, include_initial=True), (V,)),
    "cumulative_prod axis": (lambda x: np.cumulative_prod(x, axis=0), (M,)),
    "nansum": (lambda x: np.nansum(x, axis=1), (NAN,)),
    "nanprod": (lambda x: np.nanprod(x, axis=0, keepdims=True), (NAN,)),
    "nancumsum": (lambda x: np.nancumsum(x, axis=1), (NAN,)),
    "nancumprod": (np.nancumprod, (NAN,)),
    "nanmean": (lambda x: np.nanmean(x, axis=1), (NAN,)),
    "nanvar": (lambda x: np.nanvar(x, axis=1, ddof=1), (NAN,)),
    "nanstd": (lambda x: np.nanstd(x, axis=0, keepdims=True), (NAN,)),
    "nanstd all": (np.nanstd, (NAN,)),
    "nanmax": (lambda x: np.nanmax(x, axis=1), (NAN,)),
    "nanmin": (np.nanmin, (NAN,)),
    "nanmedian": (lambda x: np.nanmedian(x, axis=1), (NAN,)),
    "nanmedian all": (np.nanmedian, (NAN,)),
    "nanquantile": (lambda x: np.nanquantile(x, [0.2, 0.9], axis=1, keepdims=True), (NAN,)),
    "nanpercentile": (lambda x: np.nanpercentile(x, 40, method="midpoint"), (NAN,)),
    "average": (lambda x: np.average(x, axis=1), (M,)),
    "average weights": (lambda x, w: np.average(x, axis=1, weights=w), (M, W)),
    "average full weights": (lambda x, w: np.average(x, weights=w), (S, S ** 2 + 1)),
    "average returned": (lambda x, w: np.average(x, axis=1, weights=w, returned=True), (M, W)),
    "cov": (np.cov, (M,)),
    "cov rowvar": (lambda x: np.cov(x, rowvar=False, bias=True), (M,)),
    "cov y": (lambda x, y: np.cov(x, y), (M[0], M[1])),
    "cov weights": (lambda x: np.cov(x, fweights=[1, 2, 1, 3, 1], aweights=W), (M,)),
    "cov ddof": (lambda x: np.cov(x, ddof=0), (M,)),
    "cov complex": (np.cov, (np.stack([Z, Z ** 2]),)),
    "cov 1-d": (np.cov, (V,)),
    "corrcoef": (np.corrcoef, (M,)),
    "corrcoef y": (lambda x, y: np.corrcoef(x, y), (M[0], M[2])),
    "corrcoef complex": (np.corrcoef, (np.stack([Z, Z ** 2, np.conj(Z) * 2 + 1]),)),
    "corrcoef rowvar": (lambda x: np.corrcoef(x, rowvar=False), (M.T,)),
    "gradient": (np.gradient, (V,)),
    "gradient edge 2": (lambda f: np.gradient(f, 0.5, edge_order=2), (V,)),
    "gradient matrix": (lambda f: np.gradient(f), (M,)),
    "gradient axis": (lambda f: np.gradient(f, 2.0, axis=1, edge_order=2), (S,)),
    "gradient coordinates": (lambda f: np.gradient(f, np.cumsum(V[:5])), (W,)),
    "gradient coordinates edge 2": (
        lambda f: np.gradient(f, np.cumsum(V[:5]), edge_order=2), (W,)),
    "gradient in the spacing": (lambda h: np.gradient(W, h), (0.7,)),
    "gradient in the coordinates": (lambda x: np.gradient(W, x, edge_order=2),
                                    (np.cumsum(V[:5]),)),
    "trapezoid": (np.trapezoid, (V,)),
    "trapezoid x": (lambda y, x: np.trapezoid(y, x), (W, np.cumsum(V[:5]))),
    "trapezoid dx": (lambda y, h: np.trapezoid(y, dx=h, axis=0), (M, 0.3)),
    "trapezoid x 2-d": (lambda y: np.trapezoid(y, XP, axis=1), (M,)),
    "interp": (lambda x: np.interp(x, XP, FP), (Q,)),
    "interp outside": (lambda x: np.interp(x, XP, FP, left=-5.0, right=7.0),
                       (np.array([-3.0, 0.2, 4.0]),)),
    "interp scalar": (lambda x: np.interp(x, XP, FP), (0.3,)),
    "interp in fp and xp": (lambda x, xp, fp: np.interp(x, xp, fp), (Q, XP, FP)),
    "interp complex fp": (lambda fp: np.interp(Q, XP, fp), (FP + 1j * FP[::-1],)),
    "interp period": (lambda x: np.interp(x, [0.0, 1.0, 2.5], [1.0, 3.0, -1.0], period=3.0),
                      (np.array([-0.6, 0.4, 3.7, 8.1]),)),  # (-0.5 is the knot 2.5)
    "polyval": (lambda p, x: np.polyval(p, x), (W, Q)),
    "polyval scalar": (lambda p, x: np.polyval(p, x), (W, 0.7)),
    "polyval complex": (lambda p, x: np.polyval(p, x), (Z, 0.3 + 0.2j)),
}
for _mode in ("full", "same", "valid"):
    CASES[f"convolve {_mode}"] = (lambda a, v, m=_mode: np.convolve(a, v, m), (V, W[:3]))
    CASES[f"convolve {_mode} short first"] = (lambda a, v, m=_mode: np.convolve(a, v, m),
                                              (W[:3], V))
    CASES[f"correlate {_mode}"] = (lambda a, v, m=_mode: np.correlate(a, v, m), (V, W[:4]))
    CASES[f"correlate {_mode} complex"] = (lambda a, v, m=_mode: np.correlate(a, v, m),
                                           (Z[:3], Z[::-1]))


def _quiet(f):
    def g(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return f(*args)
    return g


def _plain(out):
    return tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)


# the complex-step reference calls NumPy's own gradient and interp on complex spacings and
# knots, which NumPy casts to real with a warning (check_rule then uses the five-point one)
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_mode(name):
    f, args = CASES[name]
    dd.check_rule(f, *args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_numpys(name):
    f, args = CASES[name]
    ones = tuple(np.ones_like(a) for a in args)
    y, _ = dd.jvp(f, args, ones)
    expected = f(*args)
    if isinstance(expected, tuple):
        for a, b in zip(y, expected):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    else:
        assert np.shape(y) == np.shape(expected)
        assert np.iscomplexobj(y) == np.iscomplexobj(expected)
        np.testing.assert_allclose(y, expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if "complex" not in n])
def test_float32(name):
    f, args = CASES[name]
    args32 = tuple(np.asarray(a, dtype=np.float32) for a in args)
    y, _ = dd.jvp(f, args32, tuple(np.ones_like(a) for a in args32))
    expected = f(*args32)
    for a, b in zip(y if isinstance(y, tuple) else (y,),
                    expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_cumprod_values_are_numpys_exactly_and_its_derivative_is_right_at_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    np.testing.assert_array_equal(dd.jvp(np.cumprod, (x,), (x,))[0], np.cumprod(x))
    # d y_i / d x_j = prod_{k <= i, k != j} x_k
    expected = np.array([[np.prod([x[k] for k in range(i + 1) if k != j]) if j <= i else 0.0
                          for j in range(5)] for i in range(5)])
    J = dd.jacobian(np.cumprod)(x)
    np.testing.assert_array_equal(J, expected)
    np.testing.assert_array_equal(dd.jacobian(np.cumprod, chunk_size=1)(x), expected)
    for i in range(5):
        np.testing.assert_array_equal(dd.grad(lambda v, i=i: np.cumprod(v)[i])(x), expected[i])
    # second order: d2 y_4 / dx_j dx_k = prod over the rest: nonzero only for (1, 3)
    H = dd.hessian(lambda v: np.cumprod(v)[4])(x)
    expected_h = np.zeros((5, 5))
    expected_h[1, 3] = expected_h[3, 1] = 2.0 * 3.0 * 5.0
    np.testing.assert_array_equal(H, expected_h)


def test_nan_entries_contribute_no_derivative():
    for f in (np.nansum, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin, np.nanprod,
              np.nanmedian, lambda x: np.nanpercentile(x, 30),
              lambda x: np.sum(np.nancumsum(x)), lambda x: np.sum(np.nancumprod(x))):
        g = dd.grad(f)(NAN)
        assert np.all(np.isfinite(g))
        np.testing.assert_array_equal(g[np.isnan(NAN)], 0.0)
    # and equal the derivatives of the plain reduction of the remaining entries
    kept = NAN[~np.isnan(NAN)]
    for nanf, f in ((np.nanmean, np.mean), (np.nanvar, np.var), (np.nanstd, np.std),
                    (np.nanmedian, np.median), (np.nansum, np.sum)):
        np.testing.assert_allclose(dd.grad(nanf)(NAN)[~np.isnan(NAN)], dd.grad(f)(kept),
                                   rtol=1e-14)


def test_all_nan_slices_give_nan_with_numpys_warning():
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    for f in (lambda v: np.nanmax(v, axis=1), lambda v: np.nanmedian(v, axis=1),
              lambda v: np.nanmean(v, axis=1), lambda v: np.nanquantile(v, 0.5, axis=1)):
        with pytest.warns(RuntimeWarning):
            expected = f(x)
        with pytest.warns(RuntimeWarning):
            got = dd.jvp(f, (x,), (np.ones_like(x),))
        np.testing.assert_array_equal(got[0], expected)
        assert np.isfinite(got[1][1])


def test_average_weights_analytic():
    # d/da sum(w a) / sum(w) = w / sum(w);  d/dw = (a - avg) / sum(w)
    a = M[0]
    avg = np.average(a, weights=W)
    np.testing.assert_allclose(dd.grad(lambda v: np.average(v, weights=W))(a), W / W.sum(),
                               rtol=1e-14)
    np.testing.assert_allclose(dd.grad(lambda w: np.average(a, weights=w))(W),
                               (a - avg) / W.sum(), rtol=1e-13)
    avg, scl = dd.jvp(lambda v: np.average(v, axis=1, weights=W, returned=True), (M,), (M,))[0]
    np.testing.assert_array_equal(scl, np.full(3, W.sum()))
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        dd.grad(lambda v: np.average(v, weights=np.zeros(5)))(a)
    with pytest.raises(TypeError, match="Axis must be specified"):
        dd.grad(lambda v: np.average(v, weights=W))(M)


def test_cov_and_corrcoef_analytic():
    # d cov(x, y) / dx_k = (y_k - mean y) / (n - 1)
    x, y = M[0], M[1]
    g = dd.grad(lambda v: np.cov(v, y)[0, 1])(x)
    np.testing.assert_allclose(g, (y - y.mean()) / 4, rtol=1e-13)
    # corrcoef is scale invariant: the derivative along x itself is 0
    r = lambda v: np.corrcoef(v, y)[0, 1]
    assert abs(dd.jvp(r, (x,), (x,))[1]) < 1e-14
    assert abs(dd.jvp(r, (x,), (np.ones(5),))[1]) < 1e-14


def test_gradient_is_linear_and_matches_numpy_on_every_edge_order():
    for edge in (1, 2):
        for spacing in ((), (0.3,), (np.cumsum(W),)):
            f = lambda v, s=spacing, e=edge: np.gradient(v, *s, edge_order=e)
            J = dd.jacobian(f)(V[:5])
            columns = np.stack([f(e) for e in np.eye(5)], axis=1)
            np.testing.assert_allclose(J, columns, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="too small"):
        dd.grad(lambda v: np.sum(np.gradient(v, edge_order=2)))(np.ones(2))


def test_trapezoid_analytic():
    x = np.cumsum(W)
    # d/dy_k: (x_{k+1} - x_{k-1}) / 2 inside, half the end intervals at the ends
    d = np.diff(x)
    expected = np.concatenate([[d[0] / 2], (d[1:] + d[:-1]) / 2, [d[-1] / 2]])
    np.testing.assert_allclose(dd.grad(lambda y: np.trapezoid(y, x))(V[:5]), expected,
                               rtol=1e-14)


def test_interp_slopes_and_conventions():
    slopes = np.diff(FP) / np.diff(XP)
    x = np.array([-2.0, -1.0, -0.5, 0.0, 1.0, 3.5, 9.0])
    got = dd.jvp(lambda v: np.interp(v, XP, FP), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(got[0], np.interp(x, XP, FP))
    # below the first knot 0; at a knot the slope on its right; from the last knot on 0
    np.testing.assert_allclose(got[1], [0.0, slopes[0], slopes[0], slopes[1], slopes[2], 0, 0],
                               rtol=1e-14)
    # in fp: the hat functions
    w = dd.jacobian(lambda fp: np.interp(0.25, XP, fp))(FP)
    np.testing.assert_allclose(w, [0, 0.5, 0.5, 0, 0], rtol=1e-14)
    with pytest.raises(ValueError, match="same length"):
        dd.grad(lambda v: np.interp(v, XP, FP[:3]))(0.2)
    with pytest.raises(TypeError, match="must be real"):
        dd.jvp(lambda v: np.interp(v, XP, FP), (np.array([0.5 + 1j]),), (np.ones(1),))


def test_polyval_analytic():
    p = np.array([2.0, -1.0, 0.5, 3.0])
    x = 1.3
    np.testing.assert_allclose(dd.derivative(lambda v: np.polyval(p, v))(x),
                               np.polyval(np.polyder(p), x), rtol=1e-14)
    np.testing.assert_allclose(dd.grad(lambda c: np.polyval(c, x))(p), x ** np.arange(3, -1, -1),
                               rtol=1e-14)


def test_convolve_analytic():
    # d conv(a, v)_k / d a_j = v_{k - j}: a Toeplitz matrix
    a, v = V, W[:3]
    J = dd.jacobian(lambda z: np.convolve(z, v))(a)
    T = np.zeros((8, 6))
    for j in range(6):
        T[j:j + 3, j] = v
    np.testing.assert_array_equal(J, T)
    np.testing.assert_array_equal(dd.jacobian(lambda z: np.convolve(z, v), chunk_size=1)(a), T)
    with pytest.raises(ValueError, match="mode"):
        dd.grad(lambda z: np.sum(np.convolve(z, v, "circular")))(a)


@pytest.mark.parametrize("f, args", [
    (np.nansum, (1, None, None, True, 2.0)), (np.nanprod, (0, None, None, False, 0.5)),
    (np.nanmean, (1, None, None, True)), (np.nanvar, (0, None, None, 1, True)),
    (np.nanstd, (1, None, None, 0, False)), (np.nanmax, (1, None, True)),
    (np.nanmin, (0, None, False, 9.0)), (np.nancumsum, (1, None)), (np.nancumprod, (0,)),
])
def test_nan_reductions_take_numpys_positional_arguments(f, args):
    g = lambda x: f(x, *args)
    np.testing.assert_allclose(dd.jvp(g, (NAN,), (NAN,))[0], g(NAN), rtol=1e-14)
    dd.check_rule(g, NAN)


def test_nan_reductions_with_where():
    mask = np.ones_like(NAN, dtype=bool)
    mask[1, :2] = False
    for f in (np.nanmean, np.nanvar, np.nanstd, np.nansum):
        g = lambda x, f=f: f(x, axis=1, where=mask)
        np.testing.assert_allclose(dd.jvp(g, (NAN,), (NAN,))[0], g(NAN), rtol=1e-14)
        grad = dd.grad(lambda x, g=g: np.sum(g(x)))(NAN)
        np.testing.assert_array_equal(grad[~mask | np.isnan(NAN)], 0.0)
    g = lambda x: np.nanmax(x, axis=1, where=mask, initial=-5.0)
    np.testing.assert_array_equal(dd.jvp(g, (NAN,), (NAN,))[0], g(NAN))


X32 = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
N32 = X32.copy()
N32[0, 1] = np.nan
W32 = np.arange(1, 5, dtype=np.float32)
DTYPE_CASES = {
    "sort": (lambda m: m.sort, (X32,)), "median": (lambda m: m.median, (X32,)),
    "quantile": (lambda m: lambda a: m.quantile(a, 0.3), (X32,)),
    "quantile array q": (lambda m: lambda a: m.quantile(a, [0.3], axis=1), (X32,)),
    "percentile lower": (lambda m: lambda a: m.percentile(a, [30], method="lower"), (X32,)),
    "var": (lambda m: m.var, (X32,)), "std": (lambda m: lambda a: m.std(a, axis=0), (X32,)),
    "nanmean": (lambda m: m.nanmean, (N32,)), "nanvar": (lambda m: m.nanvar, (N32,)),
    "nanstd": (lambda m: lambda a: m.nanstd(a, axis=1), (N32,)),
    "nanmedian": (lambda m: m.nanmedian, (N32,)), "cumprod": (lambda m: m.cumprod, (X32,)),
    "average": (lambda m: lambda a: m.average(a, axis=1, weights=W32), (X32,)),
    "cov": (lambda m: m.cov, (X32,)), "corrcoef": (lambda m: m.corrcoef, (X32,)),
    "gradient": (lambda m: lambda a: m.gradient(a, axis=1), (X32,)),
    "trapezoid": (lambda m: m.trapezoid, (X32,)),
    "interp": (lambda m: lambda a: m.interp(a, W32, W32[::-1]), (X32,)),
    "polyval": (lambda m: lambda a: m.polyval(W32, a), (X32,)),
    "convolve": (lambda m: lambda a: m.convolve(a[0], W32), (X32,)),
}


@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_float32_result_dtype_is_numpys(name):
    # dualdiff's functions run on plain arrays too: the same dtype and values as NumPy's
    make, args = DTYPE_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got, expected = make(dd)(*args), make(np)(*args)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_readme_lists_every_function_of_reductions_and_statistics():
    import pathlib  # noqa: PLC0415

    from dualdiff.registry import FUNCTIONS  # noqa: PLC0415

    text = pathlib.Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    supported = text.split("## What is supported", 1)[1].split("### Conventions", 1)[0]
    mine = sorted(f.__name__ for f, impl in FUNCTIONS.items()
                  if getattr(impl, "__module__", "").endswith((".statistics", ".reductions")))
    assert mine
    missing = [n for n in mine if not re.search(rf"\b{n}\b", supported)]
    assert not missing, f"README's 'What is supported' does not list {missing}"


def test_the_readme_names_that_are_also_dd_functions_exist():
    import pathlib  # noqa: PLC0415

    text = pathlib.Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    block = text.split("- **Order, selection, scans and statistics**", 1)[1]
    block = block.split("(and `amax, amin`)", 1)[0].split("`", 1)[1]
    names = re.findall(r"[a-z_]+", " ".join(re.findall(r"`([^`]*)`", "`" + block)))
    missing = [n for n in names
               if n not in ("np", "nan", "dd") and not callable(getattr(dd, n, None))]
    assert not missing, f"README says dd.NAME, but dd has no {missing}"
