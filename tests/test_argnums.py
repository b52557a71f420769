"""grad/value_and_grad(f, argnums=...) as in JAX: pick the arguments to differentiate."""

import numpy as np
import pytest

import dualdiff as dd


def f(x, y, scale):
    return scale * np.sum(np.sin(x) * y**2)


X, Y = np.array([0.3, -1.1]), np.array([2.0, 0.5])


def test_default_is_the_first_argument_others_constant():
    np.testing.assert_allclose(dd.grad(f)(X, Y, 3.0), 3.0 * np.cos(X) * Y**2, rtol=1e-15)


def test_an_int_picks_one_argument():
    np.testing.assert_allclose(dd.grad(f, argnums=1)(X, Y, 3.0), 6.0 * np.sin(X) * Y,
                               rtol=1e-15)


def test_a_tuple_gives_a_tuple_in_one_pass():
    value, (gx, gs) = dd.value_and_grad(f, argnums=(0, 2))(X, Y, 3.0)
    np.testing.assert_allclose(value, f(X, Y, 3.0), rtol=1e-15)
    np.testing.assert_allclose(gx, 3.0 * np.cos(X) * Y**2, rtol=1e-15)
    assert isinstance(gs, float)
    np.testing.assert_allclose(gs, np.sum(np.sin(X) * Y**2), rtol=1e-15)


def test_an_argument_that_does_not_matter_gets_zeros():
    gy = dd.grad(lambda x, y: np.sum(x**2), argnums=1)(X, Y)
    np.testing.assert_array_equal(gy, np.zeros(2))


@pytest.mark.parametrize("argnums", [(), "0", (0, "1")])
def test_bad_argnums(argnums):
    with pytest.raises(TypeError, match="argnums"):
        dd.grad(f, argnums=argnums)


def test_argnums_beyond_the_arguments():
    with pytest.raises(TypeError, match="argnums"):
        dd.grad(f, argnums=5)(X, Y, 3.0)
