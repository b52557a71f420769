"""Acceptance tests for second order (issue 3): ``hvp`` (reverse-on-forward) and ``hessian``.

Expected Hessians are written out by hand: the quadratic ``xᵀ A x``, Rosenbrock in n
dimensions, ``sum(exp(x)) + (sum x)²``, a small logistic-regression loss and a function built
by a Python loop with branches.  Hypothesis checks the algebra every implementation must obey
(symmetry, linearity in ``v``, columns of ``H``, agreement of every nesting), then the
nestings of the drivers themselves, a cheap check that ``hvp`` memory is linear in n, and
SciPy's ``trust-ncg`` driven by ``dd.grad`` and ``dd.hvp``.

Tolerances: errors are measured against the magnitude of the terms that are summed
(``|H| |v|`` with ``|H|`` the entrywise bound of the hand formula), because entries such as
Rosenbrock's ``1200 x² - 400 y + 202`` may cancel; relative to that scale 1e-12 is tight.
"""

import tracemalloc

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.optimize
from helpers import assert_close
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

RTOL = 1e-12
N = 5

_RNG = np.random.default_rng(20240607)
A5 = _RNG.normal(size=(N, N))  # not symmetric: H = A + Aᵀ
M_LR, D_LR, LAMBDA = 20, N, 0.1
X_LR = _RNG.normal(size=(M_LR, D_LR))
Y_LR = np.where(_RNG.normal(size=M_LR) > 0, 1.0, -1.0)


def rel_check(got, expected, scale, rtol=RTOL, what=""):
    # below the smallest normal float, precision is absolute (subnormals): no relative check
    # can ask for more than that
    scale = np.maximum(scale, np.finfo(float).tiny)
    assert_close(got, expected, rtol, scale=scale, what=what)


# --- the functions and their Hessians by hand ----------------------------------------------


def quadratic(x):
    return np.sum(x * (A5 @ x))


def quadratic_H(x):
    return A5 + A5.T


def quadratic_Habs(x):
    return np.abs(A5) + np.abs(A5.T)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * r - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * r
    return g


def _rosen_bands(x, absolute=False):
    a = np.abs if absolute else (lambda t: t)
    d = np.zeros_like(x)
    d[:-1] += 1200.0 * x[:-1] ** 2 + (400.0 * np.abs(x[1:]) if absolute else -400.0 * x[1:])
    d[:-1] += 2.0
    d[1:] += 200.0
    off = a(-400.0 * x[:-1])
    return d, off


def rosen_H(x):
    d, off = _rosen_bands(x)
    return np.diag(d) + np.diag(off, 1) + np.diag(off, -1)


def rosen_Habs(x):
    d, off = _rosen_bands(x, absolute=True)
    return np.diag(d) + np.diag(off, 1) + np.diag(off, -1)


def rosen_Hv(x, v, absolute=False):
    """H v from the bands, in O(n): for the large-n checks."""
    d, off = _rosen_bands(x, absolute)
    hv = d * v
    hv[:-1] += off * v[1:]
    hv[1:] += off * v[:-1]
    return hv


def expsum(x):
    return np.sum(np.exp(x)) + np.sum(x) ** 2


def expsum_H(x):
    return np.diag(np.exp(x)) + 2.0


expsum_Habs = expsum_H  # every term is positive


def logistic(w):
    margins = Y_LR * (X_LR @ w)
    return np.mean(dd.softplus(-margins)) + 0.5 * LAMBDA * np.sum(w**2)


def logistic_logaddexp(w):
    margins = Y_LR * (X_LR @ w)
    return np.mean(np.logaddexp(0.0, -margins)) + 0.5 * LAMBDA * np.sum(w**2)


def _logistic_curvature(w):
    z = np.abs(X_LR @ w)
    return np.exp(-z) / (1.0 + np.exp(-z)) ** 2  # σ(z)(1 - σ(z)), y² = 1


def logistic_H(w):
    return X_LR.T @ (_logistic_curvature(w)[:, None] * X_LR) / M_LR + LAMBDA * np.eye(D_LR)


def logistic_Habs(w):
    Xa = np.abs(X_LR)
    return Xa.T @ (_logistic_curvature(w)[:, None] * Xa) / M_LR + LAMBDA * np.eye(D_LR)


def looped(x):
    """A chain built by a Python loop, then a branch per element."""
    s = 0.0
    for i in range(len(x) - 1):
        s = s + x[i] * x[i + 1] ** 2
    for i in range(len(x)):
        if x[i] > 0:
            s = s + x[i] ** 3
        else:
            s = s + np.cos(x[i])
    return s


def looped_H(x, absolute=False):
    a = np.abs if absolute else (lambda t: t)
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i + 1] += a(2.0 * x[i + 1])
        H[i + 1, i] += a(2.0 * x[i + 1])
        H[i + 1, i + 1] += a(2.0 * x[i])
    for i in range(n):
        H[i, i] += a(6.0 * x[i]) if x[i] > 0 else a(-np.cos(x[i]))
    return H


def looped_Habs(x):
    return looped_H(x, absolute=True)


# name -> (f, H, |H| bound)
FAMILY = {
    "quadratic": (quadratic, quadratic_H, quadratic_Habs),
    "rosenbrock": (rosen, rosen_H, rosen_Habs),
    # (Σx)² is a regression case: forward-over-reverse through a `sum` whose result is used
    # nonlinearly once failed in the sum's transpose (a reshape given its shape twice)
    "exp-sum + sum²": (expsum, expsum_H, expsum_Habs),
    "logistic (softplus)": (logistic, logistic_H, logistic_Habs),
    "logistic (logaddexp)": (logistic_logaddexp, logistic_H, logistic_Habs),
    "python loop": (looped, looped_H, looped_Habs),
}
FAMILY_PARAMS = [pytest.param(*case, id=name) for name, case in FAMILY.items()]
# The hypothesis properties skip the second spelling of the logistic loss: the same math as
# the softplus one, it only costs time (the suite must stay fast on a 2-core machine).
PROPERTY_PARAMS = [p for p in FAMILY_PARAMS if p.id != "logistic (logaddexp)"]


vectors = hnp.arrays(np.float64, N, elements=st.floats(-2.0, 2.0, allow_subnormal=False))

X0 = np.array([0.3, -0.8, 1.2, -1.5, 0.6])
V0 = np.array([1.0, -0.5, 0.25, 2.0, -1.25])


# --- against analytic Hessians --------------------------------------------------------------


@pytest.mark.parametrize("f, H, Habs", FAMILY_PARAMS)
def test_hvp_against_analytic_hessian(f, H, Habs):
    got = dd.hvp(f, X0, V0)
    assert got.shape == X0.shape
    rel_check(got, H(X0) @ V0, Habs(X0) @ np.abs(V0))


@pytest.mark.parametrize("f, H, Habs", FAMILY_PARAMS)
def test_hessian_against_analytic_hessian(f, H, Habs):
    got = dd.hessian(f)(X0)
    assert got.shape == (N, N)
    rel_check(got, H(X0), Habs(X0))


@pytest.mark.parametrize(
    "form",
    [
        # 1-d @ 1-d (a scalar output) is a regression case of the matmul transpose
        pytest.param(lambda A, x: x @ A @ x, id="x @ A @ x"),
        pytest.param(lambda A, x: np.dot(x, np.dot(A, x)), id="np.dot(x, np.dot(A, x))"),
        pytest.param(lambda A, x: np.sum(x * (A @ x)), id="sum(x * (A @ x))"),
        pytest.param(lambda A, x: np.sum(np.outer(x, x) * A), id="sum(outer(x, x) * A)"),
    ],
)
def test_quadratic_form_hvp_is_symmetrised_matrix(form):
    f = lambda x: form(A5, x)
    for v in (V0, np.eye(N)[2], -np.ones(N)):
        rel_check(dd.hvp(f, X0, v), (A5 + A5.T) @ v, quadratic_Habs(X0) @ np.abs(v))
    # the Hessian of a quadratic does not depend on where it is taken
    for x in (X0, np.zeros(N), 10.0 * V0):
        rel_check(dd.hvp(f, x, V0), (A5 + A5.T) @ V0, quadratic_Habs(x) @ np.abs(V0))


def test_rosenbrock_hvp_in_many_dimensions():
    n = 1000
    x = np.cos(np.arange(n) * 0.37) * 1.5
    v = np.sin(np.arange(n) * 1.1)
    got = dd.hvp(rosen, x, v)
    rel_check(got, rosen_Hv(x, v), rosen_Hv(x, np.abs(v), absolute=True))
    # grad too, against the hand gradient (scaled by the size of its terms)
    scale = 400.0 * np.abs(x) * (np.abs(x) ** 2 + np.roll(np.abs(x), -1)) + 200.0 * (1 + 2 * x**2)
    rel_check(dd.grad(rosen)(x), rosen_grad(x), scale)


def test_hessian_of_matrix_input_has_shape_x_shape_twice():
    X = np.array([[0.5, -1.0], [2.0, 0.25]])
    f = lambda X: np.sum(X**3) + X[0, 0] * X[1, 1]
    H = dd.hessian(f)(X)
    assert H.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            expected[i, j, i, j] = 6.0 * X[i, j]
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    rel_check(H, expected, np.max(np.abs(expected)))
    V = np.array([[1.0, 2.0], [-1.0, 0.5]])
    rel_check(dd.hvp(f, X, V), np.einsum("ijkl,kl->ij", expected, V), 12.0)


def test_hvp_bad_direction_shape_is_a_value_error():
    with pytest.raises(ValueError, match="shape"):
        dd.hvp(rosen, X0, np.ones(N + 1))
    with pytest.raises(ValueError, match="shape"):
        dd.hvp(rosen, X0, np.ones((N, 1)))


def test_hvp_and_hessian_do_not_mutate_inputs():
    x, v = X0.copy(), V0.copy()
    dd.hvp(rosen, x, v)
    dd.hessian(rosen)(x)
    np.testing.assert_array_equal(x, X0)
    np.testing.assert_array_equal(v, V0)


def test_hvp_twice_gives_the_same_answer():
    first = dd.hvp(logistic, X0, V0)
    dd.hvp(rosen, X0, V0)
    np.testing.assert_array_equal(dd.hvp(logistic, X0, V0), first)


# --- properties (hypothesis) ----------------------------------------------------------------


@pytest.mark.parametrize("f, H, Habs", PROPERTY_PARAMS)
@given(x=vectors, u=vectors, v=vectors)
def test_hvp_is_symmetric(f, H, Habs, x, u, v):
    lhs = float(np.sum(u * dd.hvp(f, x, v)))
    rhs = float(np.sum(v * dd.hvp(f, x, u)))
    scale = float(np.abs(u) @ Habs(x) @ np.abs(v))
    # products that underflow (u, v ~ 1e-258 and 1e-60 give 1e-316) are rounded to an
    # absolute 2**-1074, not a relative one: one such unit per product of the two sums
    underflow = 2 * N * N * np.finfo(float).smallest_subnormal
    assert abs(lhs - rhs) <= RTOL * scale + underflow, (lhs, rhs, scale)


# subnormal coefficients have absolute, not relative, precision: a linearity check with them
# measures rounding of the arithmetic, not the hvp
coefficients = st.floats(-3.0, 3.0, allow_subnormal=False)


@pytest.mark.parametrize("f, H, Habs", PROPERTY_PARAMS)
@given(x=vectors, v=vectors, w=vectors, a=coefficients, b=coefficients)
def test_hvp_is_linear_in_v(f, H, Habs, x, v, w, a, b):
    got = dd.hvp(f, x, a * v + b * w)
    expected = a * dd.hvp(f, x, v) + b * dd.hvp(f, x, w)
    # a v + b w is itself rounded, hence the (|a||v| + |b||w|) scale
    rel_check(got, expected, Habs(x) @ (abs(a) * np.abs(v) + abs(b) * np.abs(w)))


@pytest.mark.parametrize("f, H, Habs", PROPERTY_PARAMS)
@given(x=vectors)
def test_hvp_with_unit_vector_is_column_of_hessian(f, H, Habs, x):
    full = dd.hessian(f)(x)
    rel_check(full, H(x), Habs(x), what="hessian vs hand")
    for i in range(N):
        rel_check(dd.hvp(f, x, np.eye(N)[i]), full[:, i], Habs(x)[:, i], what=f"column {i}")


@pytest.mark.parametrize("f, H, Habs", PROPERTY_PARAMS)
@given(x=vectors)
def test_grad_equals_jacobian_of_scalar_function(f, H, Habs, x):
    g = dd.grad(f)(x)
    j = dd.jacobian(f)(x)
    assert g.shape == j.shape == x.shape
    # the gradient's terms are at most |H| |x| + |∇f(0)|-sized; normwise with their max
    scale = np.max(np.abs(Habs(x)) @ np.abs(x)) + np.max(np.abs(g)) + 1.0
    rel_check(g, j, scale)


@pytest.mark.parametrize("f, H, Habs", PROPERTY_PARAMS)
@given(x=vectors)
def test_every_route_to_the_hessian_agrees(f, H, Habs, x):
    scale = Habs(x)
    h = dd.hessian(f)(x)
    rel_check(h, H(x), scale, what="hessian")
    rel_check(dd.jacobian(dd.grad(f))(x), h, scale, what="jacobian(grad)")
    rel_check(dd.jacobian(dd.jacobian(f))(x), h, scale, what="jacobian(jacobian)")


@pytest.mark.parametrize("chunk_size", [1, 2, N, N + 1])  # one column, n/2, n, n + 1
@pytest.mark.parametrize("f, H, Habs", FAMILY_PARAMS)
def test_hessian_routes_with_every_chunk_size(f, H, Habs, chunk_size):
    for x in (X0, -0.5 * V0):
        scale = Habs(x)
        rel_check(dd.jacobian(dd.grad(f), chunk_size=chunk_size)(x), H(x), scale,
                  what="jacobian(grad)")
        rel_check(dd.jacobian(dd.jacobian(f, chunk_size=chunk_size), chunk_size=chunk_size)(x),
                  H(x), scale, what="jacobian(jacobian)")


# --- every nesting ------------------------------------------------------------------------


def _g(t):
    return np.sin(t) * t**3


def _g2(t):
    """g'' by hand, and the size of its terms."""
    s, c = np.sin(t), np.cos(t)
    terms = np.array([-s * t**3, 6 * c * t**2, 6 * s * t])
    return terms.sum(), np.abs(terms).sum()


@pytest.mark.parametrize(
    "second",
    [
        lambda f: dd.grad(dd.derivative(f)),
        lambda f: dd.derivative(dd.grad(f)),
        lambda f: dd.grad(dd.grad(f)),
        lambda f: dd.derivative(dd.derivative(f)),
        lambda f: dd.hessian(f),
        lambda f: dd.jacobian(dd.grad(f)),
        lambda f: (lambda t: dd.hvp(f, t, 1.0)),
        lambda f: (lambda t: dd.vjp(dd.derivative(f), t)[1](1.0)),
    ],
    ids=["grad(derivative)", "derivative(grad)", "grad(grad)", "derivative(derivative)",
         "hessian", "jacobian(grad)", "hvp", "vjp(derivative)"],
)
@pytest.mark.parametrize("t", [0.7, -2.3, 4.0])
def test_scalar_second_derivative_by_every_nesting(second, t):
    expected, scale = _g2(t)
    got = second(_g)(t)
    assert np.ndim(got) == 0
    rel_check(got, expected, scale)


def test_grad_of_a_function_that_calls_grad_inside():
    # d/dx [x · ∂_y(x y)|_{y=1}] = d/dx x² = 2x: the inner tape sees x as a constant, the
    # outer one as its variable (a reverse-mode perturbation-confusion case)
    assert dd.grad(lambda x: x * dd.grad(lambda y: x * y)(1.0))(2.0) == 4.0
    # d/dx [x · ∂_y(x + y)] = 1: the inner derivative must not pick up the outer x
    assert dd.grad(lambda x: x * dd.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    assert dd.grad(lambda x: x * dd.derivative(lambda y: x + y)(1.0))(2.0) == 1.0
    assert dd.derivative(lambda x: x * dd.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    # arrays: f(t) = Σ t · ∇_u(Σ u³ t)|_{u=t} = Σ 3 t⁴
    f = lambda t: np.sum(t * dd.grad(lambda u: np.sum(u**3 * t))(t))
    rel_check(dd.grad(f)(X0), 12.0 * X0**3, 0.0)
    rel_check(dd.hvp(f, X0, V0), 36.0 * X0**2 * V0, 0.0)
    rel_check(dd.hessian(f)(X0), np.diag(36.0 * X0**2), 0.0)


def test_grad_of_value_and_grad_and_of_vjp_inside():
    # f(x) = x · (∂/∂y sin(x y))|_{y=x} = x² cos(x²): f' = 2x cos x² - 2x³ sin x²
    f = lambda x: x * dd.value_and_grad(lambda y: np.sin(x * y))(x)[1]
    x = 0.9
    terms = np.array([2 * x * np.cos(x * x), -2 * x**3 * np.sin(x * x)])
    rel_check(dd.grad(f)(x), terms.sum(), np.abs(terms).sum())
    # g(x) = pullback of y ↦ x y² at y = x with cotangent x: x · 2 x · x = 2 x³
    g = lambda x: dd.vjp(lambda y: x * y**2, x)[1](x)
    rel_check(dd.grad(g)(x), 6 * x**2, 0.0)


def test_hvp_through_python_loops_and_a_while():
    x = np.array([0.4, -1.1, 0.8, 1.3, -0.2, 0.9, -1.7])
    for v in (np.ones(7), np.arange(7.0) - 3.0):
        rel_check(dd.hvp(looped, x, v), looped_H(x) @ v, looped_Habs(x) @ np.abs(v))

    def newton_sqrt_sum(x):
        # Σ √xᵢ by Newton iterations in a while loop: H = diag(-¼ x^{-3/2})
        y, k = 1.0 + 0.0 * x, 0
        while k < 12:
            y = 0.5 * (y + x / y)
            k += 1
        return np.sum(y)

    z = np.array([0.5, 2.0, 7.0])
    v = np.array([1.0, -2.0, 0.5])
    rel_check(dd.hvp(newton_sqrt_sum, z, v), -0.25 * z**-1.5 * v, 0.0, rtol=1e-12)


def test_hvp_through_index_assignment_into_zeros_like():
    def f(x):
        y = np.zeros_like(x)
        y[1:] = x[:-1] * x[1:]
        return np.sum(y * y)  # Σ (x_{i-1} x_i)²

    x = X0
    n = len(x)
    H = np.zeros((n, n))
    for i in range(1, n):
        H[i - 1, i - 1] += 2 * x[i] ** 2
        H[i, i] += 2 * x[i - 1] ** 2
        H[i - 1, i] += 4 * x[i - 1] * x[i]
        H[i, i - 1] += 4 * x[i - 1] * x[i]
    rel_check(dd.hvp(f, x, V0), H @ V0, np.abs(H) @ np.abs(V0))


def test_hvp_where_masks_the_second_derivative_too():
    f = lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0))
    with np.errstate(all="ignore"):
        got = dd.hvp(f, np.array([0.0, -1.0, 4.0]), np.ones(3))
    np.testing.assert_array_equal(got, [0.0, 0.0, -0.25 * 4.0**-1.5])


# --- cost: linear memory ------------------------------------------------------------------


def _peak_bytes(fn):
    fn()  # warm up one-off allocations
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_hvp_memory_is_linear_in_n():
    peaks = {}
    for n in (10_000, 100_000):
        x = np.cos(np.arange(n) * 0.37)
        v = np.sin(np.arange(n) * 1.1)
        peaks[n] = _peak_bytes(lambda x=x, v=v: dd.hvp(rosen, x, v))
        f_peak = _peak_bytes(lambda x=x: rosen(x))
        # a constant times one evaluation of f (which itself holds a few arrays of n floats);
        # forming H, even as a band, would not be a constant factor
        assert peaks[n] <= 30 * f_peak + 1_000_000, (n, peaks[n], f_peak)
    ratio = peaks[100_000] / peaks[10_000]
    # linear growth is 10x; quadratic would be 100x
    assert ratio < 15, ratio


# --- SciPy -----------------------------------------------------------------------------------


def test_scipy_trust_ncg_solves_rosenbrock_in_100_dimensions():
    n = 100
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    # dd.grad and dd.hvp against SciPy's own hand-written Rosenbrock derivatives
    p = np.cos(np.arange(n))
    rel_check(dd.grad(rosen)(x0), scipy.optimize.rosen_der(x0), 2000.0)
    rel_check(dd.hvp(rosen, x0, p), scipy.optimize.rosen_hess_prod(x0, p),
              rosen_Hv(x0, np.abs(p), absolute=True))
    result = scipy.optimize.minimize(
        rosen, x0, jac=dd.grad(rosen), hessp=lambda x, p: dd.hvp(rosen, x, p),
        method="trust-ncg", options={"gtol": 1e-9},
    )
    assert result.success, result.message
    np.testing.assert_allclose(result.x, np.ones(n), rtol=0, atol=1e-8)
    assert result.fun < 1e-16
