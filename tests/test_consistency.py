"""Forward and reverse mode agree: ``<w, J u> == <J^T w, u>`` on random vectors, ``grad`` ==
``jacobian`` for scalar functions, forward Jacobian == reverse Jacobian row by row, and batched
tangents == separate passes.

Tolerance: the two sides of the adjoint identity are sums of the same products in different
orders, so they agree to a few ulps of ``|w|^T |J| |u|`` (not of the result, which may cancel):
1e-13 of that scale.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

SCALE_RTOL = 1e-13

_rng = np.random.default_rng(1618)
A = _rng.standard_normal((5, 5)) / 2
B = _rng.standard_normal((5, 3))

#: vector -> vector (or matrix) functions: name -> (f, input shape)
FUNCTIONS = {
    "tanh_matvec": (lambda x: np.tanh(A @ x) + x**2, (5,)),
    "mixed": (lambda x: np.sin(x) * np.exp(-x * x) + np.log1p(x * x) + np.cumsum(x)[::-1], (5,)),
    "reductions": (lambda x: np.concatenate([np.sum(x * x, keepdims=True), np.diff(x**3),
                                             np.reshape(np.prod(x), (1,)),
                                             np.outer(x[:2], x[3:]).ravel()]), (5,)),
    "matrix": (lambda x: np.tanh(x @ x.T) * np.mean(x, axis=1, keepdims=True), (3, 4)),
    "solve": (lambda x: np.linalg.solve(A + 3 * np.eye(5) + np.outer(x, x) / 10, x), (5,)),
    "piecewise": (lambda x: np.where(x > 0, np.sqrt(np.abs(x) + 1), x / 2)
                  + np.maximum(x, 0.1) * np.clip(x, -0.5, 0.5), (5,)),
    "binary": (lambda x: np.arctan2(x, 1.5) + np.hypot(x, x[::-1]) + np.logaddexp(x, -x)
               + dd.softplus(x) * dd.sigmoid(x), (5,)),
    "matmul_plain": (lambda x: (B.T @ np.cos(x)) ** 2, (5,)),
}

#: scalar-valued functions: name -> (f, input shape)
SCALAR = {
    "quadratic": (lambda x: x @ (A @ x), (5,)),
    "logsumexp": (lambda x: np.log(np.sum(np.exp(x))), (5,)),
    "rosenbrock": (lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
                   (5,)),
    "norm_tanh": (lambda x: np.linalg.norm(np.tanh(x)) + np.mean(x**3), (2, 3)),
    "max_min": (lambda x: np.max(x * np.arange(1.0, 6.0)) - np.min(np.sin(x)), (5,)),
}


def draw(shape, seed, lo=-1.5, hi=1.5):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


seeds = st.integers(0, 2**32 - 1)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@given(seed=seeds)
def test_adjoint_identity(name, seed):
    f, shape = FUNCTIONS[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    u = rng.standard_normal(shape)
    y, ju = dd.jvp(f, (x,), (u,))
    w = rng.standard_normal(np.shape(y))
    y2, pullback = dd.vjp(f, x)
    np.testing.assert_array_equal(y, y2)
    jtw = pullback(w)
    assert np.shape(jtw) == shape
    lhs, rhs = np.sum(w * ju), np.sum(jtw * u)
    jac = np.abs(dd.jacobian(f)(x)).reshape(np.size(y), -1)
    scale = np.abs(w).ravel() @ jac @ np.abs(u).ravel()
    assert abs(lhs - rhs) <= SCALE_RTOL * scale + 1e-300, (lhs, rhs, scale)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_forward_jacobian_equals_reverse_rows(name):
    f, shape = FUNCTIONS[name]
    x = draw(shape, 7)
    jac = dd.jacobian(f)(x)
    out_shape = jac.shape[: jac.ndim - len(shape)]
    _, pullback = dd.vjp(f, x)
    rows = np.stack([pullback(e.reshape(out_shape)) for e in np.eye(int(np.prod(out_shape)))])
    rows = rows.reshape(jac.shape)
    np.testing.assert_allclose(rows, jac, rtol=1e-12, atol=1e-13 * np.abs(jac).max())


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_grad_equals_jacobian_for_scalar_functions(name):
    f, shape = SCALAR[name]
    for seed in (1, 2, 3):
        x = draw(shape, seed)
        g = dd.grad(f)(x)
        j = dd.jacobian(f)(x)
        assert g.shape == j.shape == shape
        np.testing.assert_allclose(g, j, rtol=1e-12, atol=1e-13 * np.abs(j).max())
        v, g2 = dd.value_and_grad(f)(x)
        np.testing.assert_allclose(v, f(x), rtol=1e-15)
        np.testing.assert_array_equal(g2, g)
        # (identity of chunk sizes is test_forward.py's business; here: agreement)
        np.testing.assert_allclose(dd.jacobian(f, chunk_size=1)(x), j, rtol=1e-12,
                                   atol=1e-13 * np.abs(j).max())


def test_grad_equals_derivative_for_scalar_input():
    for f in (lambda x: x**3 * dd.sin(x), lambda x: dd.exp(x) / (1 + x * x)):
        for x0 in (-0.7, 0.0, 1.3):
            np.testing.assert_allclose(dd.grad(f)(x0), dd.derivative(f)(x0), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@given(seed=seeds, k=st.integers(1, 5))
def test_batched_tangents_equal_separate_passes(name, seed, k):
    f, shape = FUNCTIONS[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    us = rng.standard_normal((k,) + shape)
    y, tb = dd.jvp(f, (x,), (us,))
    sep = np.stack([dd.jvp(f, (x,), (u,))[1] for u in us])
    assert np.shape(tb) == sep.shape
    # the value may differ from NumPy's in the last bits: np.prod of 5 factors rounds 4 times
    # in NumPy's order and 4 times in dualdiff's pairwise order, so up to 8 eps apart
    np.testing.assert_allclose(y, f(x), rtol=8 * np.finfo(float).eps)
    scale = np.abs(sep).max()
    np.testing.assert_allclose(tb, sep, rtol=1e-12, atol=1e-13 * scale)


@given(seed=seeds)
def test_batched_tangents_two_arguments(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.5, 2.0, 4), rng.uniform(0.5, 2.0, 4)
    f = lambda a, b: np.sum(a * np.log(b)) + a @ b
    us, vs = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _, tb = dd.jvp(f, (x, y), (us, vs))
    sep = [dd.jvp(f, (x, y), (u, v))[1] for u, v in zip(us, vs)]
    expected = [np.sum(u * np.log(y) + x * v / y) + u @ y + x @ v for u, v in zip(us, vs)]
    np.testing.assert_allclose(tb, sep, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(tb, expected, rtol=1e-12, atol=1e-12)
