"""Acceptance tests for the tape (issue 3): ``grad``, ``value_and_grad`` and ``vjp``.

Every expected value is a gradient worked out by hand (or a product of hand-computed
factors), never another AD result.  Cases follow the AD literature: fan-out, broadcasting
undone, ``where``/``maximum``/``clip``/``abs`` masking at kinks (the NaN-gradient trap of
``where(x > 0, sqrt(x), 0)``), mutation into a fresh array, long loops, the
``<w, J u> == <Jᵀ w, u>`` identity, and the ``sin x + x·y`` worked example.
"""

import gc
import math
import tracemalloc

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from helpers import assert_close
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

RTOL = 1e-12

# A fixed, well-conditioned (diagonally dominant) non-symmetric matrix and a few vectors.
A3 = np.array([[4.0, 1.0, -0.5], [0.3, 5.0, 1.2], [-0.7, 0.4, 3.0]])
X3 = np.array([0.7, -1.3, 2.1])
W3 = np.array([0.5, -2.0, 1.5])
X6 = np.array([0.3, -0.8, 1.7, -2.2, 0.9, 0.45])


def close(got, expected, rtol=RTOL, what=""):
    """Normwise relative closeness: the error of each entry is measured against the largest
    entry of ``expected``, since entries are sums evaluated in a different order by the tape
    and by the hand formula, and a single entry may be small through cancellation."""
    expected = np.asarray(expected, dtype=float)
    scale = np.max(np.abs(expected)) if expected.size else 0.0
    assert_close(got, expected, rtol, scale=scale, what=what)


def _rev_cumsum(a):
    return np.cumsum(a[::-1])[::-1]


def _prod_except(x):
    return np.array([np.prod(np.delete(x, i)) for i in range(len(x))])


def _diff_grad(x):
    d = np.diff(x)
    return 2 * (np.concatenate([[0.0], d]) - np.concatenate([d, [0.0]]))


def _zeros_like_assign(x):
    y = np.zeros_like(x)
    y[0] = 2.0 * x[1]
    y[1:] = x[:-1] ** 2
    return np.sum(y * y)


def _zeros_like_assign_grad(x):
    # y = [2 x1, x0², x1²]: f = 4 x1² + x0⁴ + x1⁴
    return np.array([4 * x[0] ** 3, 8 * x[1] + 4 * x[1] ** 3, 0.0])


def _overwrite(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    y[0] = 3.0 * x[1]  # the first store must no longer contribute
    y[2] = x[2] * x[0]
    return np.sum(y * y)


def _control_flow(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            s = s + x[i] ** 3
        else:
            s = s - np.sin(x[i]) * x[0]
    k = 0
    while s > 2.0 and k < 5:  # data-dependent loop count (runs twice at X6)
        s = s / 2.0
        k += 1
    return s


def _control_flow_grad(x):
    g = np.zeros_like(x)
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            s += x[i] ** 3
            g[i] += 3 * x[i] ** 2
        else:
            s -= np.sin(x[i]) * x[0]
            g[i] -= np.cos(x[i]) * x[0]
            g[0] -= np.sin(x[i])
    k = 0
    while s > 2.0 and k < 5:
        s /= 2.0
        k += 1
    return g / 2.0**k


# name -> (f, x, hand gradient at x)
CASES = {
    "scalar polynomial": (lambda x: 3 * x**4 - 2 * x + 1, 1.3, 12 * 1.3**3 - 2),
    "scalar transcendental": (
        lambda x: np.exp(np.sin(x)) / (1 + x**2),
        0.4,
        np.exp(np.sin(0.4)) * (np.cos(0.4) * (1 + 0.16) - 0.8) / (1 + 0.16) ** 2,
    ),
    "sum": (lambda x: np.sum(x**3), X6, 3 * X6**2),
    "method sum": (lambda x: (x**3).sum(), X6, 3 * X6**2),
    "mean": (lambda x: np.mean(x**2), X6, 2 * X6 / 6),
    "prod": (lambda x: np.prod(x), X6, _prod_except(X6)),
    "dot with constant": (lambda x: np.dot(x, W3), X3, W3),
    "dot with itself": (lambda x: np.dot(x, x), X3, 2 * X3),
    "vector @ vector": (lambda x: x @ W3, X3, W3),
    "quadratic form x @ A @ x": (lambda x: x @ A3 @ x, X3, (A3 + A3.T) @ X3),
    "matrix @ vector": (lambda x: np.sum(W3 * (A3 @ x)), X3, A3.T @ W3),
    "np.dot matrix vector": (lambda x: np.sum(W3 * np.dot(A3, x)), X3, A3.T @ W3),
    "vector @ matrix": (lambda x: np.sum(W3 * (x @ A3)), X3, A3 @ W3),
    "where": (
        lambda x: np.sum(np.where(x > 0, x**2, -3.0 * x)),
        X6,
        np.where(X6 > 0, 2 * X6, -3.0),
    ),
    "clip": (
        lambda x: np.sum(np.clip(x, -1.0, 1.0) ** 2),
        X6,
        np.where(np.abs(X6) < 1, 2 * X6, 0.0),
    ),
    "maximum": (
        lambda x: np.sum(np.maximum(x, 0.5 * x**2)),
        X6,
        np.where(X6 > 0.5 * X6**2, 1.0, X6),
    ),
    "minimum": (
        lambda x: np.sum(np.minimum(np.sin(x), 0.0) * x),
        X6,
        np.where(np.sin(X6) < 0, np.cos(X6) * X6 + np.sin(X6), 0.0),
    ),
    "cumsum": (lambda x: np.sum(np.cumsum(x) ** 2), X6, 2 * _rev_cumsum(np.cumsum(X6))),
    "diff": (lambda x: np.sum(np.diff(x) ** 2), X6, _diff_grad(X6)),
    "concatenate": (
        lambda x: np.sum(np.concatenate([x, x**2, np.ones(1)]) * np.arange(1.0, 8.0)),
        X3,
        np.arange(1.0, 4.0) + 2 * X3 * np.arange(4.0, 7.0),
    ),
    "stack": (
        lambda x: np.sum(np.stack([x, np.sin(x)]) * np.array([W3, A3[0]])),
        X3,
        W3 + np.cos(X3) * A3[0],
    ),
    "stack axis 1": (
        lambda x: np.sum(np.stack([x, x**2], axis=1) ** 2),
        X3,
        2 * X3 + 4 * X3**3,
    ),
    "reshape, transpose, .T": (
        lambda x: np.sum(np.transpose(np.reshape(x, (2, 3))) * A3[:, :2])
        + np.sum(x.reshape(3, 2).T ** 2),
        X6,
        A3[:, :2].T.ravel() + 2 * X6,
    ),
    "ravel of outer": (
        lambda x: np.sum(np.ravel(np.outer(x, W3)) * A3.ravel()),
        X3,
        A3 @ W3,
    ),
    "integer index": (lambda x: x[0] * x[2] + x[-1] ** 2, X3, [X3[2], 0.0, X3[0] + 2 * X3[2]]),
    "slices": (
        lambda x: np.sum(x[::2] ** 2) - np.sum(x[1:3]),
        X6,
        [2 * X6[0], -1.0, 2 * X6[2] - 1, 0.0, 2 * X6[4], 0.0],
    ),
    "repeated fancy index": (
        lambda x: np.sum(x[[0, 0, 2, 0]] ** 2),
        X3,
        [6 * X3[0], 0.0, 2 * X3[2]],
    ),
    "boolean mask": (lambda x: np.sum(x[x > 0] ** 2), X6, np.where(X6 > 0, 2 * X6, 0.0)),
    "iteration and builtin sum": (lambda x: sum(v * v for v in x), X3, 2 * X3),
    "builtin max": (lambda x: max(x) * 2.0, X6, np.eye(6)[np.argmax(X6)] * 2.0),
    "sorted": (lambda x: sorted(x)[1], X6, np.eye(6)[np.argsort(X6)[1]]),
    "index assignment into zeros_like": (_zeros_like_assign, X3, _zeros_like_assign_grad(X3)),
    "overwritten index assignment": (
        _overwrite,
        X3,
        [2 * X3[0] * X3[2] ** 2, 18 * X3[1], 2 * X3[2] * X3[0] ** 2],
    ),
    "norm": (lambda x: np.linalg.norm(x), X6, X6 / math.sqrt(np.sum(X6**2))),
    "solve wrt b": (
        lambda b: np.sum(W3 * np.linalg.solve(A3, b)),
        X3,
        np.linalg.solve(A3.T, W3),
    ),
    "python control flow": (_control_flow, X6, _control_flow_grad(X6)),
}


def _params():
    for name, case in CASES.items():
        yield pytest.param(*case, id=name)


@pytest.mark.parametrize("f, x, expected", list(_params()))
def test_grad_against_hand_gradient(f, x, expected):
    got = dd.grad(f)(x)
    assert np.shape(got) == np.shape(x)
    close(got, expected)


@pytest.mark.parametrize("f, x, expected", list(_params()))
def test_value_and_grad_matches_f_and_grad(f, x, expected):
    value, g = dd.value_and_grad(f)(x)
    # The value is the plain number f(x) (no tape wrapper escapes), and equal to f itself.
    assert not isinstance(value, dd.Dual) and np.ndim(value) == 0
    assert_close(value, f(np.array(x, dtype=float)), RTOL)
    close(g, expected)


def test_scalar_input_gives_float_and_array_input_gives_array():
    g = dd.grad(lambda x: x**2)(3.0)
    assert type(g) is float and g == 6.0
    g = dd.grad(lambda x: x**2)(3)  # an int is promoted to float
    assert g == 6.0
    g = dd.grad(lambda x: np.sum(x**2))(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert isinstance(g, np.ndarray) and g.shape == (2, 2)
    np.testing.assert_array_equal(g, [[2.0, 4.0], [6.0, 8.0]])


def test_constant_and_partly_constant_functions():
    np.testing.assert_array_equal(dd.grad(lambda x: 3.0)(X3), np.zeros(3))
    assert dd.grad(lambda x: 3.0)(2.0) == 0.0
    np.testing.assert_array_equal(dd.grad(lambda x: x[1] * 2.0)(X3), [0.0, 2.0, 0.0])


# --- fan-out and broadcasting -------------------------------------------------------------


def test_fan_out_sums_every_use():
    # x is used 50 times in a sum and inside nested products: d/dx Σ_k (k x) = Σ k.
    def f(x):
        s = 0.0
        for k in range(1, 51):
            s = s + k * x
        return s * x + x * x * x

    x = 1.7
    assert_close(dd.grad(f)(x), 2 * 1275 * x + 3 * x**2, RTOL)

    # A diamond: u = sin x feeds two branches that meet again.
    def g(x):
        u = np.sin(x)
        return u * u + np.exp(u) * u

    u, du = np.sin(x), np.cos(x)
    assert_close(dd.grad(g)(x), (2 * u + np.exp(u) * (1 + u)) * du, RTOL)


def test_fan_out_of_array_elements():
    x = X3
    # each element used in several places of a product ring
    got = dd.grad(lambda x: x[0] * x[1] + x[1] * x[2] + x[2] * x[0] + x[0] * x[0])(x)
    close(got, [x[1] + x[2] + 2 * x[0], x[0] + x[2], x[1] + x[0]])


def test_broadcasting_is_undone():
    a = np.array([[0.5], [-1.0], [2.0]])  # (3, 1)
    b = np.array([0.1, 0.2, -0.3, 0.4])  # (4,)
    # a * b is (3, 4): the adjoint of a sums over the broadcast axis
    got = dd.grad(lambda a: np.sum(np.sin(a * b)))(a)
    assert got.shape == (3, 1)
    close(got, np.sum(np.cos(a * b) * b, axis=1, keepdims=True))
    got = dd.grad(lambda a: np.sum((a + b) ** 2))(a)
    close(got, np.sum(2 * (a + b), axis=1, keepdims=True))
    # and the other way round: a (4,) variable against a (3, 1) constant
    got = dd.grad(lambda b: np.sum(np.sin(a * b)))(b)
    assert got.shape == (4,)
    close(got, np.sum(np.cos(a * b) * a, axis=0))
    # a scalar used with an array
    got = dd.grad(lambda s: np.sum(s * b + s**2))(1.5)
    assert np.shape(got) == ()
    assert_close(got, np.sum(b) + 4 * 2 * 1.5, RTOL)


def test_solve_wrt_the_matrix():
    # f(A) = wᵀ A⁻¹ b has ∇_A f = -A⁻ᵀ w xᵀ with x = A⁻¹ b
    b = X3
    x = np.linalg.solve(A3, b)
    expected = -np.outer(np.linalg.solve(A3.T, W3), x)
    close(dd.grad(lambda A: np.sum(W3 * np.linalg.solve(A, b)))(A3), expected)


def test_iterative_solver_babylonian_sqrt():
    # Differentiating through a fixed-point iteration: d sqrt(a)/da = 1/(2 sqrt a).
    def sqrt_newton(a):
        y = 1.0
        for _ in range(12):
            y = 0.5 * (y + a / y)
        return y

    for a in (2.0, 0.3, 50.0):
        assert_close(dd.grad(sqrt_newton)(a), 0.5 / math.sqrt(a), RTOL)


# --- masking at kinks and singular branches -------------------------------------------------


def test_where_masks_the_unselected_branch_at_zero():
    f = lambda x: np.where(x > 0, np.sqrt(x), 0.0)
    with np.errstate(all="ignore"):
        assert dd.grad(f)(0.0) == 0.0  # not nan: sqrt'(0) = inf must not leak through
        assert dd.grad(f)(-1.0) == 0.0  # sqrt(-1) is nan, and is not selected
        assert_close(dd.grad(f)(4.0), 0.25, RTOL)
        g = dd.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(np.array([0.0, -1.0, 4.0]))
        np.testing.assert_array_equal(g, [0.0, 0.0, 0.25])
        # log(0) = -inf with infinite derivative in the discarded branch
        assert dd.grad(lambda x: np.where(x > 0, np.log(x), 0.0))(0.0) == 0.0
        # the selected branch may be the "else" argument
        assert dd.grad(lambda x: np.where(x <= 0, 2.0 * x, np.sqrt(x)))(0.0) == 2.0


def test_maximum_minimum_clip_mask_the_losing_side():
    with np.errstate(all="ignore"):
        # the losing argument has an infinite partial at 0: the adjoint is selected away
        assert dd.grad(lambda x: np.maximum(1.0, np.sqrt(x)))(0.0) == 0.0
        assert dd.grad(lambda x: np.maximum(np.sqrt(x), 1.0))(0.0) == 0.0
        assert dd.grad(lambda x: np.minimum(-1.0, -np.sqrt(x)))(0.0) == 0.0
        assert dd.grad(lambda x: np.clip(np.sqrt(x), 0.5, 2.0))(0.0) == 0.0
        assert dd.grad(lambda x: np.clip(np.log(x), -1.0, 1.0))(0.0) == 0.0
        assert dd.grad(lambda x: dd.relu(np.sqrt(x) - 1.0))(0.0) == 0.0


@pytest.mark.parametrize(
    "f, lo, hi",
    [
        (lambda x: np.maximum(x, 0.0), 0.0, 1.0),
        (lambda x: np.minimum(x, 0.0), 0.0, 1.0),
        (lambda x: np.clip(x, 0.0, 1.0), 0.0, 1.0),
        (lambda x: np.clip(x, -1.0, 0.0), 0.0, 1.0),
        (abs, -1.0, 1.0),
        (np.abs, -1.0, 1.0),
        (dd.relu, 0.0, 1.0),
    ],
    ids=["maximum", "minimum", "clip low", "clip high", "abs", "np.abs", "relu"],
)
def test_kinks_give_a_finite_subgradient(f, lo, hi):
    g = dd.grad(f)(0.0)
    assert np.isfinite(g) and lo <= g <= hi, g
    g = dd.grad(lambda x: np.sum(f(x)))(np.zeros(3))
    assert np.all(np.isfinite(g)) and np.all((lo <= g) & (g <= hi)), g


def test_ties_are_split_consistently():
    # max(x, x) = x, so its derivative is exactly 1 whatever the tie convention
    assert dd.grad(lambda x: np.maximum(x, x))(1.3) == 1.0
    assert dd.grad(lambda x: np.minimum(x, x))(1.3) == 1.0
    assert dd.grad(lambda x: np.maximum(x, x) + np.minimum(x, x))(-0.4) == 2.0


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f", [lambda x: x * 2.0, lambda x: x[:2], lambda x: np.outer(x, x)],
    ids=["vector", "shape (2,)", "matrix"],  # size 1 is a scalar: tests/test_drivers.py
)
def test_grad_of_non_scalar_output_is_a_value_error(f):
    with pytest.raises(ValueError, match="scalar"):
        dd.grad(f)(X3)
    with pytest.raises(ValueError, match="scalar"):
        dd.value_and_grad(f)(X3)


def test_grad_of_a_string_output_is_a_type_error():
    with pytest.raises(TypeError):
        dd.grad(lambda x: "not a number")(1.0)


def test_vjp_bad_cotangent_shape_is_a_value_error():
    _, pullback = dd.vjp(lambda x: np.outer(x, x[:2]), X3)  # output (3, 2)
    for w in (np.ones((2, 3)), np.ones(6), np.ones(3), 1.0, np.ones((1, 3, 2))):
        with pytest.raises(ValueError, match="shape"):
            pullback(w)
    _, pullback = dd.vjp(lambda x: np.sum(x), X3)  # scalar output
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones(3))


# --- no state left behind, long loops, no mutation ----------------------------------------


def test_grad_twice_gives_the_same_answer():
    f = lambda x: np.sum(np.sin(x) * np.cumsum(x)) + x[0] * x[-1]
    g = dd.grad(f)
    first = g(X6)
    other = dd.grad(lambda x: np.sum(x**5))(X6)  # an unrelated call in between
    second = g(X6)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(dd.grad(f)(X6), first)
    np.testing.assert_array_equal(dd.grad(lambda x: np.sum(x**5))(X6), other)
    v1, g1 = dd.value_and_grad(f)(X6)
    v2, g2 = dd.value_and_grad(f)(X6)
    assert v1 == v2
    np.testing.assert_array_equal(g1, g2)


def test_the_tape_is_freed_when_grad_returns():
    n = 200_000  # each intermediate array is 1.6 MB
    x = np.linspace(-1.0, 1.0, n)
    f = lambda x: np.sum(np.sin(x) * np.exp(x) + x**2 * np.cos(x))
    g = dd.grad(f)
    g(x)  # warm up any one-off allocation (imports, caches)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = g(x)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # What is still allocated is the result itself (n floats) and small change: the tape and
    # its half a dozen intermediates of n floats each are gone.
    assert after - before < result.nbytes + 200_000, (after - before, result.nbytes)


def test_long_loop_does_not_hit_the_recursion_limit():
    n = 100_000  # far beyond sys.getrecursionlimit(); ~2 s

    def f(x):
        y = x
        for _ in range(n):
            y = np.sin(y)
        return y

    x0 = 1.0
    expected, y = 1.0, x0
    for _ in range(n):
        expected *= math.cos(y)
        y = math.sin(y)
    value, g = dd.value_and_grad(f)(x0)
    assert value == y
    # The same n factors multiplied in opposite orders: each product's rounding is bounded by
    # n·eps/2 ≈ 1.1e-11 in the worst case, so this is as tight as the math allows.
    assert_close(g, expected, 2e-11)


def test_inputs_are_not_mutated():
    x = X6.copy()
    f = lambda x: np.sum(np.cumsum(x) * x)
    dd.grad(f)(x)
    dd.value_and_grad(f)(x)
    _, pullback = dd.vjp(lambda x: x * x, x)
    pullback(np.ones(6))
    np.testing.assert_array_equal(x, X6)
    w = np.ones(6)
    pullback(w)
    np.testing.assert_array_equal(w, np.ones(6))


def _square_first_in_place(x):
    x[0] = x[0] ** 2  # the function writes into its own argument
    return np.sum(x)


def test_function_writing_into_its_argument_does_not_touch_the_callers_array():
    x = X3.copy()
    dd.grad(_square_first_in_place)(x)
    dd.vjp(_square_first_in_place, x)[1](1.0)
    np.testing.assert_array_equal(x, X3)


def test_function_writing_into_its_argument_gets_the_right_gradient():
    # f(x) = x0² + x1 + x2.  A regression case: the tape once rebound the input's node on
    # `x[0] = ...` and returned a silent zero gradient, while forward mode was right.
    expected = [2 * X3[0], 1.0, 1.0]
    close(dd.jacobian(_square_first_in_place)(X3.copy()), expected)
    close(dd.grad(_square_first_in_place)(X3.copy()), expected)
    close(dd.vjp(_square_first_in_place, X3.copy())[1](1.0), expected)


# --- vjp ------------------------------------------------------------------------------------


def _vec_fn(x):
    return np.sin(x) * np.cumsum(x) + np.concatenate([x[1:], x[:1]]) ** 2


def _vec_fn_jacobian(x):
    n = len(x)
    c = np.cumsum(x)
    J = np.diag(np.cos(x) * c) + np.sin(x)[:, None] * np.tril(np.ones((n, n)))
    r = np.roll(np.eye(n), 1, axis=1)  # row i picks x[(i + 1) % n]
    return J + 2 * np.roll(x, -1)[:, None] * r


def test_vjp_against_hand_jacobian_and_repeated_pullbacks():
    x = X6
    y, pullback = dd.vjp(_vec_fn, x)
    assert_close(y, _vec_fn(x), RTOL)
    J = _vec_fn_jacobian(x)
    for w in (np.eye(6)[0], np.eye(6)[5], W3.repeat(2), -np.ones(6)):
        close(pullback(w), w @ J)
    # the same pullback, called again, gives the same answer (no adjoints left behind)
    np.testing.assert_array_equal(pullback(np.ones(6)), pullback(np.ones(6)))
    # and it is linear
    w1, w2 = W3.repeat(2), np.arange(6.0)
    close(pullback(2.0 * w1 - w2), 2.0 * pullback(w1) - pullback(w2))


def test_vjp_of_matrix_output_and_scalar_output():
    x = X3
    _, pullback = dd.vjp(lambda x: np.outer(x, x[:2]), x)  # O_ij = x_i x_j (j < 2)
    w = np.arange(6.0).reshape(3, 2)
    expected = w @ x[:2] + np.concatenate([w.T @ x, [0.0]])
    close(pullback(w), expected)
    value, pullback = dd.vjp(lambda x: np.sum(x**3), x)
    assert_close(value, np.sum(x**3), RTOL)
    close(pullback(2.5), 2.5 * 3 * x**2)
    value, pullback = dd.vjp(np.sin, 0.3)
    assert_close(value, np.sin(0.3), RTOL)
    assert_close(pullback(2.0), 2.0 * np.cos(0.3), RTOL)


vectors6 = hnp.arrays(np.float64, 6, elements=st.floats(-3.0, 3.0, allow_subnormal=False))


@given(x=vectors6, u=vectors6, w=vectors6)
def test_vjp_transpose_identity_against_jvp(x, u, w):
    # <w, J u> == <Jᵀ w, u>: forward and reverse agree on every pair of directions
    _, ju = dd.jvp(_vec_fn, (x,), (u,))
    _, pullback = dd.vjp(_vec_fn, x)
    jtw = pullback(w)
    lhs, rhs = float(np.sum(w * ju)), float(np.sum(jtw * u))
    # the two inner products sum the same terms wᵢ Jᵢⱼ uⱼ in different orders; the error is
    # measured against the sum of their magnitudes
    J = _vec_fn_jacobian(x)
    scale = float(np.abs(w) @ np.abs(J) @ np.abs(u))
    assert abs(lhs - rhs) <= RTOL * max(scale, 1e-300)
    close(jtw, w @ J)


@given(x=vectors6)
def test_grad_equals_hand_gradient_on_random_points(x):
    f = lambda x: np.sum(np.sin(x) * np.cumsum(x)) + x[0] * x[-1]
    c = np.cumsum(x)
    expected = np.cos(x) * c + _rev_cumsum(np.sin(x))
    expected[0] += x[-1]
    expected[-1] += x[0]
    close(dd.grad(f)(x), expected)


# --- the worked example ------------------------------------------------------------------


def L(p):
    x, y = p[0], p[1]
    return np.sin(x) + x * y


def test_worked_example_gradient():
    for x, y in [(1.0, 2.0), (0.0, 0.0), (-2.5, 0.75), (np.pi, -1.0)]:
        g = dd.grad(L)(np.array([x, y]))
        np.testing.assert_allclose(g, [np.cos(x) + y, x], rtol=RTOL, atol=0)


def test_worked_example_gradient_descent():
    rate, steps = 0.01, 300
    p = np.array([1.0, 2.0])
    hand = p.copy()
    losses = [L(p)]
    for _ in range(steps):
        g = dd.grad(L)(p)
        h = np.array([np.cos(hand[0]) + hand[1], hand[0]])  # (cos x + y, x) by hand
        # The tape forms cos x · 1 + 1 · y and 1 · x: the same roundings as the hand formula,
        # so the iterates agree to the last bit.
        np.testing.assert_array_equal(g, h)
        p = p - rate * g
        hand = hand - rate * h
        losses.append(L(p))
    # first step by hand: (1 - 0.01 (cos 1 + 2), 2 - 0.01)
    first = np.array([1.0, 2.0]) - rate * dd.grad(L)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(first, [1.0 - rate * (math.cos(1.0) + 2.0), 2.0 - rate])
    # L has no minimum (x·y is a saddle): descent with a small rate decreases it every step
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < losses[0] - 100

