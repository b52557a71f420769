"""Forward-mode drivers (API.md, Forward mode; issue 2): the worked examples, control flow,
``jvp`` linearity, ``jacobian`` against stacked ``jvp`` columns and over chunk sizes, bad input
and inputs never mutated.  References are analytic unless a comment says otherwise."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

RTOL = 1e-12
EPS = np.finfo(float).eps


def close(got, expected, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


def grad_by_jvp(f, xs):
    """The gradient of a scalar ``f(*xs)`` as one jvp pass per argument."""
    out = []
    for i in range(len(xs)):
        seed = tuple(1.0 if j == i else 0.0 for j in range(len(xs)))
        out.append(dd.jvp(f, tuple(xs), seed)[1])
    return np.array(out)


# --- worked examples -----------------------------------------------------------------------


def f_example(x1, x2):
    return dd.log(x1) + x1 * x2 - dd.sin(x2)


def test_worked_example_value_and_gradient():
    value, _ = dd.jvp(f_example, (2.0, 5.0), (1.0, 0.0))
    close(value, math.log(2.0) + 10.0 - math.sin(5.0))
    assert f"{value:.3f}" == "11.652"
    g = grad_by_jvp(f_example, (2.0, 5.0))
    # df/dx1 = 1/x1 + x2 = 5.5; df/dx2 = x1 - cos x2 = 2 - cos 5 = 1.716...
    close(g, [5.5, 2.0 - math.cos(5.0)])
    assert f"{g[1]:.3f}" == "1.716"
    # the same through NumPy's functions, an array argument and jacobian / grad
    h = lambda x: np.log(x[0]) + x[0] * x[1] - np.sin(x[1])
    close(dd.jacobian(h)(np.array([2.0, 5.0])), [5.5, 2.0 - math.cos(5.0)])
    close(dd.grad(h)(np.array([2.0, 5.0])), [5.5, 2.0 - math.cos(5.0)])


@given(st.floats(-10, 10), st.floats(-10, 10))
def test_x1x2_plus_sin_x1(x1, x2):
    f = lambda a, b: a * b + dd.sin(a)
    g = grad_by_jvp(f, (x1, x2))
    expected0 = x2 + math.cos(x1)
    assert abs(g[0] - expected0) <= 4 * EPS * (abs(x2) + 1)  # cancellation: vs the terms
    assert g[1] == x1


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_sin_cos_squared_plus_x3(x1, x2, x3):
    f = lambda x: dd.sin(dd.cos(x[0] + x[1])) ** 2 + x[2]
    s = x1 + x2
    d = 2 * math.sin(math.cos(s)) * math.cos(math.cos(s)) * -math.sin(s)
    j = dd.jacobian(f)(np.array([x1, x2, x3]))
    # the product of three factors, each correct to an ulp or so: a few ulps of the terms
    np.testing.assert_allclose(j, [d, d, 1.0], rtol=RTOL, atol=8 * EPS)


def logistic(l, n):
    for _ in range(n):
        l = 4.0 * l * (1.0 - l)
    return l


@pytest.mark.parametrize("n", [1, 3, 5, 10])
def test_logistic_map_analytic(n):
    # with l0 = sin^2(t), l_n = sin^2(2^n t), so dl_n/dl0 = 2^n sin(2^(n+1) t) / sin(2 t)
    t = 0.3
    l0 = math.sin(t) ** 2
    expected = 2**n * math.sin(2 ** (n + 1) * t) / math.sin(2 * t)
    # the map is chaotic: rounding of l0 is amplified ~2^n in the analytic formula itself
    close(dd.derivative(lambda l: logistic(l, n))(l0), expected, rtol=RTOL * 2**n)


@pytest.mark.parametrize("n", [20, 100, 1000])
def test_logistic_map_recursive(n):
    # the derivative recursion dl <- 4 (1 - 2 l) dl, run alongside the map
    l, dl = 0.2, 1.0
    for _ in range(n):
        l, dl = 4.0 * l * (1.0 - l), 4.0 * (1.0 - 2.0 * l) * dl
    got = dd.derivative(lambda z: logistic(z, n))(0.2)
    value, t = dd.jvp(lambda z: logistic(z, n), (0.2,), (1.0,))
    assert value == l
    # the same operations in the same order: only the last rounding of each product differs
    close(got, dl, rtol=1e-12)
    close(t, dl, rtol=1e-12)


def test_logistic_map_on_arrays():
    l0 = np.array([0.1, 0.2, 0.3, 0.45])
    n = 12
    l, dl = l0.copy(), np.ones(4)
    for _ in range(n):
        l, dl = 4.0 * l * (1.0 - l), 4.0 * (1.0 - 2.0 * l) * dl
    close(dd.jacobian(lambda z: logistic(z, n))(l0), np.diag(dl), rtol=1e-12, atol=0)


def _sigmoid(x):
    with mpmath.workdps(40):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(x))))


def _softplus(x):
    with mpmath.workdps(40):
        return float(mpmath.log1p(mpmath.exp(mpmath.mpf(x))))


@pytest.mark.parametrize("x", [-30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 30.0])
def test_soft_relu_composed_twice(x):
    f = lambda z: dd.softplus(dd.softplus(z))
    # d/dx softplus(softplus(x)) = sigmoid(softplus(x)) * sigmoid(x)
    close(dd.derivative(f)(x), _sigmoid(_softplus(x)) * _sigmoid(x))
    close(dd.jvp(f, (x,), (1.0,))[0], _softplus(_softplus(x)))
    xs = np.array([x, -x])
    close(dd.jacobian(f)(xs), np.diag([_sigmoid(_softplus(v)) * _sigmoid(v) for v in xs]))


def test_soft_relu_composed_twice_is_stable_far_out():
    f = lambda z: dd.softplus(dd.softplus(z))
    assert dd.derivative(f)(1000.0) == 1.0
    assert f(1000.0) == 1000.0
    d = dd.derivative(f)(-1000.0)
    assert math.isfinite(d) and 0.0 <= d <= 1e-300
    j = dd.jacobian(f)(np.array([-800.0, 800.0]))
    assert np.isfinite(j).all()
    close(np.diag(j), [0.0, 1.0], atol=1e-300)


# --- jvp, jacobian, chunks ------------------------------------------------------------------

_rng = np.random.default_rng(2718)
A = _rng.standard_normal((7, 7)) / 3


def g_vec(x):
    """A vector-to-vector test function using operators, ufuncs and array functions."""
    return np.tanh(A @ x) + x**2 * np.sin(x[::-1]) + np.cumsum(x) / (1.0 + np.sum(x * x))


def g_jacobian(x):
    """Hand-derived Jacobian of g_vec."""
    n = len(x)
    s = 1.0 + np.sum(x * x)
    c = np.cumsum(x)
    j = (1.0 - np.tanh(A @ x) ** 2)[:, None] * A
    j += np.diag(2 * x * np.sin(x[::-1]))
    j += (x**2 * np.cos(x[::-1]))[:, None] * np.eye(n)[::-1]
    j += np.tril(np.ones((n, n))) / s - np.outer(c, 2 * x) / s**2
    return j


def test_jacobian_of_test_function_is_analytic():
    x = np.linspace(-1.2, 0.9, 7)
    j = g_jacobian(x)
    # a sum of 3-4 terms per entry; measured against the largest entry
    close(dd.jacobian(g_vec)(x), j, atol=1e-13 * np.abs(j).max(), rtol=1e-12)


vectors = st.lists(st.floats(-2, 2, allow_subnormal=False), min_size=7, max_size=7).map(np.array)


# subnormal coefficients have absolute, not relative, precision
coefficients = st.floats(-3, 3, allow_subnormal=False)


@given(vectors, vectors, vectors, coefficients, coefficients)
def test_jvp_is_linear_in_the_tangent(x, u, v, a, b):
    _, ju = dd.jvp(g_vec, (x,), (u,))
    _, jv = dd.jvp(g_vec, (x,), (v,))
    y, jw = dd.jvp(g_vec, (x,), (a * u + b * v,))
    np.testing.assert_array_equal(y, g_vec(x))
    j = g_jacobian(x)
    scale = np.abs(j) @ (np.abs(a * u) + np.abs(b * v)) + 1e-300
    assert np.all(np.abs(jw - (a * ju + b * jv)) <= 1e-13 * scale)


def test_jacobian_equals_stacked_jvp_columns():
    x = np.linspace(-1.0, 1.0, 7)
    cols = [dd.jvp(g_vec, (x,), (e,))[1] for e in np.eye(7)]
    np.testing.assert_array_equal(dd.jacobian(g_vec)(x), np.stack(cols, axis=1))
    np.testing.assert_array_equal(dd.jacobian(g_vec, chunk_size=1)(x), np.stack(cols, axis=1))


def matrix_fn(x):
    """Matrix in, matrix out: J has shape (3, 2) + (2, 3)."""
    return x.T * (x @ x.T)[:1, :] + np.exp(x.T)


@pytest.mark.parametrize("n", [7, 12])
def test_chunk_sizes_give_identical_jacobians(n):
    x = np.linspace(-0.8, 1.1, n)
    f = lambda z: np.tanh(z * z[::-1]) + np.cumsum(np.sin(z)) * np.sum(z)
    ref = dd.jacobian(f, chunk_size=1)(x)
    for chunk in (max(1, n // 3), n // 2, n, n + 1, None):
        np.testing.assert_array_equal(dd.jacobian(f, chunk_size=chunk)(x), ref,
                                      err_msg=f"chunk_size={chunk}")


def test_chunk_sizes_with_matmul_identical():
    x = np.linspace(-1.0, 1.0, 7)
    ref = dd.jacobian(g_vec, chunk_size=1)(x)
    for chunk in (2, 3, 7, 8, None):
        np.testing.assert_array_equal(dd.jacobian(g_vec, chunk_size=chunk)(x), ref,
                                      err_msg=f"chunk_size={chunk}")


def test_chunk_sizes_agree_to_rounding_for_a_quadratic_form():
    # z @ w with 1-d z: an unbatched tangent takes BLAS's dot, a batch of them a matrix-vector
    # product, and the two kernels sum in different orders; so here the chunk sizes agree to
    # a few ulps, not bit for bit (elementwise code and A @ x above agree bit for bit)
    a = _rng.standard_normal((5, 5))
    x = np.linspace(-1.3, 0.7, 5)
    f = lambda z: z @ (a @ z)
    ref = dd.jacobian(f, chunk_size=1)(x)
    close(ref, (a + a.T) @ x, rtol=1e-12, atol=1e-15)
    for chunk in (1, 2, 5, 6, None):
        close(dd.jacobian(f, chunk_size=chunk)(x), ref, rtol=4 * np.finfo(float).eps, atol=0)


def test_jacobian_shapes_for_matrix_input_and_output():
    x = np.arange(1.0, 7.0).reshape(2, 3) / 5
    ref = dd.jacobian(matrix_fn, chunk_size=1)(x)
    assert ref.shape == (3, 2, 2, 3)
    for chunk in (2, 3, 6, 7, None):
        np.testing.assert_array_equal(dd.jacobian(matrix_fn, chunk_size=chunk)(x), ref)
    # one entry by hand: f[i, j] = x[j, i] (x_0 . x_j) + exp(x[j, i]), so
    # d f[1, 0] / d x[0, 1] = d/dx01 [ x01 |x_0|^2 + exp(x01) ] = 2 x01^2 + |x_0|^2 + exp(x01)
    x0 = x[0]
    close(ref[1, 0, 0, 1], 2 * x0[1] ** 2 + x0 @ x0 + math.exp(x0[1]))


def test_jacobian_scalar_in_and_out_shapes():
    close(dd.jacobian(lambda x: x**3)(2.0), 12.0)
    assert np.shape(dd.jacobian(lambda x: x**3)(2.0)) == ()
    j = dd.jacobian(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    assert j.shape == (2,)
    close(j, [2.0, 4.0])
    j = dd.jacobian(lambda x: x * np.arange(3.0))(2.0)
    assert j.shape == (3,)
    close(j, [0.0, 1.0, 2.0])


def test_jacfwd_is_jacobian():
    assert dd.jacfwd is dd.jacobian


def test_bad_chunk_size():
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises((TypeError, ValueError), match="chunk_size"):
            dd.jacobian(g_vec, chunk_size=bad)(np.ones(7))


def test_derivative_has_the_shape_of_f():
    d = dd.derivative(lambda t: dd.sin(t * np.array([1.0, 2.0, 3.0])))(0.5)
    assert np.shape(d) == (3,)
    close(d, np.array([1.0, 2.0, 3.0]) * np.cos(0.5 * np.array([1.0, 2.0, 3.0])))
    with pytest.raises(ValueError, match="scalar"):
        dd.derivative(dd.sin)(np.ones(2))


def test_jvp_with_several_arguments_and_outputs():
    f = lambda x, y: (x * y, np.sum(x) + y)
    x = np.array([1.0, 2.0])
    (p, q), (tp, tq) = dd.jvp(f, (x, 3.0), (np.array([1.0, -1.0]), 0.5))
    close(p, [3.0, 6.0])
    close(q, 6.0)
    close(tp, [1.0 * 3.0 + 1.0 * 0.5, -1.0 * 3.0 + 2.0 * 0.5])
    close(tq, 0.0 + 0.5)


# --- control flow ------------------------------------------------------------------------------


def test_if_branches_on_primal():
    def f(x):
        if x > 1.0:
            return x**3
        return -2.0 * x

    close(dd.derivative(f)(2.0), 12.0)
    close(dd.derivative(f)(0.5), -2.0)


def test_adaptive_halving_loop():
    eps = 1e-10

    def f(x):
        x_old = x + 1.0
        steps = 0
        while abs(x - x_old) >= eps:
            x_old = x
            x = x / 2.0
            steps += 1
        return x * steps

    # the loop stops when x / 2^k falls below eps... the result is x * k / 2^k for a
    # data-dependent but locally constant k
    x = 3.0
    k = 0
    x_old, v = x + 1.0, x
    while abs(v - x_old) >= eps:
        x_old, v, k = v, v / 2.0, k + 1
    close(dd.derivative(f)(x), k / 2.0**k)
    close(dd.jvp(f, (x,), (1.0,))[0], x * k / 2.0**k)


def test_sqrt_newton_iteration():
    # Heron's iteration for sqrt(a), run until converged: the derivative converges to 1/(2 sqrt a)
    def root(a):
        r = a
        while abs(r * r - a) > 1e-15 * a:
            r = 0.5 * (r + a / r)
        return r

    close(dd.derivative(root)(2.0), 0.5 / math.sqrt(2.0), rtol=1e-12)


def _factors(m, seed=11):
    rng = np.random.default_rng(seed)
    x = 0.3
    r = 1.0 + 0.05 * rng.standard_normal(m)  # |x - t_i| near 1: the product stays finite
    return x, x - r * rng.choice([-1.0, 1.0], m)


def _poly_reference(x, ts):
    """p'(x) = sum_i prod_{j != i} (x - t_j), by mpmath at 30 digits."""
    with mpmath.workdps(30):
        d = [mpmath.mpf(x) - mpmath.mpf(t) for t in ts]
        p = mpmath.fprod(d)
        return float(p), float(p * mpmath.fsum(1 / di for di in d))


M = 10**4
PX, PTS = _factors(M)
P_VALUE, P_SLOPE = _poly_reference(PX, PTS)
# 10^4 roundings in the product (and as many in its derivative): a bound of 2 m eps is 4.4e-12
POLY_RTOL = 1e-11


def test_factored_polynomial_numpy_prod():
    value, slope = dd.jvp(lambda x: np.prod(x - PTS), (PX,), (1.0,))
    close(value, P_VALUE, rtol=POLY_RTOL)
    close(slope, P_SLOPE, rtol=POLY_RTOL)


def test_factored_polynomial_python_loop():
    def p(x):
        out = 1.0
        for t in PTS:
            out = out * (x - t)
        return out

    close(dd.derivative(p)(PX), P_SLOPE, rtol=POLY_RTOL)


def test_factored_polynomial_with_a_root_among_the_factors():
    # p(x) = prod (x - t_i) with x = t_0: p = 0 and p' = prod_{j != 0}(x - t_j), exactly
    ts = np.array([0.5, 1.5, -2.0, 3.0])
    expected = (0.5 - 1.5) * (0.5 + 2.0) * (0.5 - 3.0)
    close(dd.derivative(lambda x: np.prod(x - ts))(0.5), expected)


def test_early_return_of_a_constant():
    def f(x):
        if x > 0:
            return 3.0
        return x * x

    assert dd.derivative(f)(1.0) == 0.0
    assert dd.derivative(lambda x: 5)(1.0) == 0.0
    y, t = dd.jvp(lambda x: 7.0, (2.0,), (1.0,))
    assert y == 7.0 and t == 0.0
    j = dd.jacobian(lambda x: np.ones(3))(np.ones(2))
    assert j.shape == (3, 2) and not j.any()
    d = dd.derivative(lambda x: np.arange(3.0))(1.0)
    assert np.shape(d) == (3,) and not np.any(d)
    y, t = dd.jvp(lambda x: np.zeros(2), (np.ones(4),), (np.ones(4),))
    assert np.shape(t) == (2,) and not np.any(t)


# --- bad input -----------------------------------------------------------------------------


def test_tangent_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        dd.jvp(np.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="shape"):
        dd.jvp(np.sin, (np.ones((2, 3)),), (np.ones((3, 2)),))
    with pytest.raises(ValueError):
        # batches of different sizes in one call
        dd.jvp(lambda x, y: x * y, (np.ones(3), np.ones(3)), (np.ones((2, 3)), np.ones((4, 3))))
    with pytest.raises(ValueError):
        dd.jvp(np.sin, (1.0, 2.0), (1.0,))


@pytest.mark.parametrize("bad", ["2.0", None, [1, "a"], object()])
def test_non_numeric_argument(bad):
    with pytest.raises(TypeError):
        dd.jvp(np.sin, (bad,), (1.0,))
    with pytest.raises(TypeError):
        dd.derivative(np.sin)(bad)
    with pytest.raises(TypeError):
        dd.jacobian(np.sin)(bad)


def test_jvp_primals_must_be_tuples():
    with pytest.raises(TypeError, match="tuple"):
        dd.jvp(np.sin, 1.0, 1.0)


# (a dict is a pytree output now, see tests/test_pytrees.py; a set is not)
@pytest.mark.parametrize("bad, name", [("a string", "str"), (None, "NoneType"),
                                       ({1, 2}, "set"), ({"a": "b"}, "str")])
def test_f_returning_non_numeric(bad, name):
    f = lambda x: bad
    with pytest.raises(TypeError, match=name):
        dd.jvp(f, (1.0,), (1.0,))
    with pytest.raises(TypeError, match=name):
        dd.derivative(f)(1.0)
    with pytest.raises(TypeError, match=name):
        dd.jacobian(f)(np.ones(3))
    with pytest.raises(TypeError, match=name):
        dd.jacobian(f, chunk_size=1)(np.ones(3))


def test_inputs_are_never_mutated():
    def f(x):
        x[0] = 0.0  # writes into the Dual inside f, never into the caller's array
        return x * x

    x = np.array([1.0, 2.0, 3.0])
    u = np.array([1.0, 1.0, 1.0])
    ub = np.eye(3)
    keep = x.copy(), u.copy(), ub.copy()
    dd.jvp(f, (x,), (u,))
    dd.jvp(f, (x,), (ub,))
    j = dd.jacobian(f)(x)
    dd.jacobian(f, chunk_size=1)(x)
    close(j, np.diag([0.0, 4.0, 6.0]), atol=0)
    dd.grad(lambda z: np.sum(f(z)))(x)
    dd.vjp(f, x)[1](u)
    for a, b in zip((x, u, ub), keep):
        np.testing.assert_array_equal(a, b)


def test_output_does_not_alias_input():
    x = np.array([1.0, 2.0])
    y, t = dd.jvp(lambda z: z, (x,), (np.ones(2),))
    y[0] = 99.0
    assert x[0] == 1.0
