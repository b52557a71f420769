"""Regression tests: a Dual or tape value meeting an object array of Duals (issue 15, #5)."""

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.core import WRAPPERS

X = np.array([1.0, 2.0, 3.0])

# f(x) = x0 x1 + x0 x2, written the ways users write it
FORMS = [
    lambda x: np.sum(x[0] * np.array([x[1], x[2]])),
    lambda x: np.sum(np.array([x[1], x[2]]) * x[0]),
    lambda x: np.sum(np.multiply(x[0], np.array([x[1], x[2]]))),
    lambda x: np.dot(np.array([x[1], x[2]]), np.array([x[0], x[0]])),
    lambda x: np.sum(x[0] + np.array([x[1], x[2]])) - 2 * x[0] + x[0] * (x[1] + x[2])
    - x[1] - x[2],
]
GRAD = np.array([X[1] + X[2], X[0], X[0]])
HESS = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])


def _plain(r):
    assert type(r) not in WRAPPERS
    assert not (isinstance(r, np.ndarray) and r.dtype == object), r
    return r


@pytest.mark.parametrize("f", FORMS)
def test_grad_of_dual_times_object_array(f):
    np.testing.assert_allclose(_plain(dd.grad(f)(X)), GRAD, rtol=0, atol=1e-15)


@pytest.mark.parametrize("f", FORMS)
def test_jacobian_of_dual_times_object_array(f):
    np.testing.assert_allclose(_plain(dd.jacobian(f)(X)), GRAD, rtol=0, atol=1e-15)
    np.testing.assert_allclose(_plain(dd.jacobian(f, chunk_size=1)(X)), GRAD, atol=1e-15)


@pytest.mark.parametrize("f", FORMS)
def test_hessian_of_dual_times_object_array(f):
    np.testing.assert_allclose(_plain(dd.hessian(f)(X)), HESS, rtol=0, atol=1e-15)
    np.testing.assert_allclose(_plain(dd.hvp(f, X, np.array([1.0, 0.0, 0.0]))), HESS[0],
                               atol=1e-15)


def test_vector_output_from_object_array_product():
    f = lambda x: x[0] * np.array([x[1], x[2]])
    expected = np.array([[X[1], X[0], 0.0], [X[2], 0.0, X[0]]])
    np.testing.assert_allclose(_plain(dd.jacobian(f)(X)), expected, atol=1e-15)
    y, pullback = dd.vjp(f, X)
    np.testing.assert_allclose(_plain(pullback(np.array([1.0, 1.0]))), GRAD, atol=1e-15)


def test_object_array_holding_a_string_is_refused():
    def f(x):
        return x[0] * np.array([x[1], "a"], dtype=object)

    with pytest.raises(TypeError, match="object array holding a str"):
        dd.grad(lambda x: np.sum(f(x)))(X)


def test_dual_times_a_list_of_duals_is_elementwise_as_for_arrays():
    f = lambda x: np.sum(x[0] * [x[1], x[2]])
    np.testing.assert_allclose(_plain(dd.grad(f)(X)), GRAD, atol=1e-15)
    np.testing.assert_allclose(_plain(dd.jacobian(f)(X)), GRAD, atol=1e-15)
    np.testing.assert_allclose(_plain(dd.hessian(f)(X)), HESS, atol=1e-15)
    g = lambda x: np.sum([1.0, 2.0, 3.0] - x) + np.sum((x[0], x[1]) * x[2])
    np.testing.assert_allclose(_plain(dd.grad(g)(X)), [-1 + X[2], -1 + X[2], -1 + X[0] + X[1]])
