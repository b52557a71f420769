"""``np.array([d1, d2])`` of Duals: an object array that the drivers turn back into one Dual."""

import numpy as np
import pytest

import dualdiff as dd

X = np.array([1.0, 2.0])
J = np.array([[2.0, 1.0], [np.cos(1.0), 0.0]])  # of f below, at X


def f(x):
    return np.array([x[0] * x[1], np.sin(x[0])])


@pytest.mark.parametrize("chunk_size", [None, 1])
def test_jacobian_of_an_array_built_from_duals(chunk_size):
    np.testing.assert_allclose(dd.jacobian(f, chunk_size=chunk_size)(X), J, rtol=1e-15)


def test_jvp_and_vjp():
    y, t = dd.jvp(f, (X,), (np.array([1.0, 0.0]),))
    np.testing.assert_allclose(y, [2.0, np.sin(1.0)], rtol=1e-15)
    np.testing.assert_allclose(t, J[:, 0], rtol=1e-15)
    value, pullback = dd.vjp(f, X)
    np.testing.assert_allclose(pullback(np.array([1.0, 1.0])), J.sum(axis=0), rtol=1e-15)


def test_numpy_functions_on_the_object_array_run_through_the_duals():
    g = lambda x: np.sum(np.sin(np.array([x[0] ** 2, 3.0 * x[1]])))
    expected = [2 * X[0] * np.cos(X[0] ** 2), 3 * np.cos(3 * X[1])]
    np.testing.assert_allclose(dd.grad(g)(X), expected, rtol=1e-15)
    np.testing.assert_allclose(dd.jacobian(g)(X), expected, rtol=1e-15)


def test_second_order_and_constants():
    h = lambda x: np.sum(np.array([x[0] * x[1], x[1] ** 2, 4.0]))
    np.testing.assert_allclose(dd.hessian(h)(X), [[0.0, 1.0], [1.0, 2.0]], rtol=1e-15)
    np.testing.assert_allclose(dd.derivative(lambda t: np.array([t, t**2, 5.0]))(3.0),
                               [1.0, 6.0, 0.0], rtol=1e-15)


def test_a_numeric_array_of_a_dual_is_refused():
    with pytest.raises(TypeError, match="np.stack"):
        np.asarray(dd.Dual(np.ones(2), np.ones(2)), dtype=float)


def test_an_object_array_of_strings_is_refused():
    with pytest.raises(TypeError, match="str"):
        dd.jacobian(lambda x: np.array([x[0], "a"], dtype=object))(X)
