"""Python's and NumPy's protocols on Duals and tape values: methods, conversions that refuse,
compiled code that a Dual reaches, and output buffers."""

import numpy as np
import pytest
from scipy import integrate, optimize

import dualdiff as dd

X = np.array([0.5, -1.5, 2.0])


# --- methods ----------------------------------------------------------------------------


def test_item_and_tolist_keep_derivatives():
    assert dd.grad(lambda x: x[1:2].item() * 3.0)(X).tolist() == [0.0, 3.0, 0.0]
    assert dd.grad(lambda x: (x.sum() * 1.0).item() ** 2)(X).tolist() == [2 * X.sum()] * 3
    assert dd.grad(lambda x: x.reshape(3, 1).item(2) * 2.0)(X).tolist() == [0.0, 0.0, 2.0]
    rows = lambda x: x.reshape(3, 1).tolist()
    assert dd.jacobian(lambda x: rows(x)[2][0] + rows(x)[0][0])(X).tolist() == [1.0, 0.0, 1.0]
    d = dd.Dual(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    items = d.tolist()
    assert [(i.primal, i.tangent) for i in items] == [(1.0, 3.0), (2.0, 4.0)]
    with pytest.raises(ValueError, match="size 1"):
        d.item()


def test_squeeze_copy_conj_real_imag_methods():
    z = np.array([1.0 + 2.0j, -0.5j])
    np.testing.assert_allclose(dd.jacobian(lambda x: x.reshape(1, 3).squeeze())(X), np.eye(3))
    np.testing.assert_allclose(dd.jacobian(lambda x: x.copy() * 2)(X), 2 * np.eye(3))
    dd.check_rule(lambda z: z.conj() * z.real + z.imag + z.conjugate(), z)
    dd.check_rule(lambda x: x.reshape(3, 1).squeeze(axis=1) ** 2, X)
    d = dd.Dual(z, np.ones(2))
    assert np.allclose(d.real.tangent, 1.0) and np.allclose(d.imag.tangent, 0.0)
    assert np.allclose(d.conj().primal, np.conj(z))


def test_astype():
    y, t = dd.jvp(lambda x: x.astype(np.float32), (X,), (np.ones(3),))
    assert y.dtype == np.float32 and t.dtype == np.float32
    g = dd.grad(lambda x: np.sum(x.astype(np.float32) ** 2))(X)
    assert g.dtype == np.float64  # the adjoint is cast back to the input's dtype
    np.testing.assert_allclose(g, 2 * X, rtol=1e-6)
    g = dd.grad(lambda x: np.sum(np.abs(x.astype(complex) * 1j)))(X)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.sign(X), rtol=1e-15)
    dd.check_rule(lambda x: x.astype(complex) * (1 + 2j), X)
    # a cast to an integer type is piecewise constant: a plain array
    i = dd.Dual(X, np.ones(3)).astype(int)
    assert type(i) is np.ndarray and i.dtype.kind == "i"


def test_format_prints_the_value():
    seen = []

    def f(x):
        loss = np.sum(x**2)
        seen.append(f"loss {loss:.3f} {x[0]:+.1e} {loss}")
        return loss

    dd.grad(f)(X)
    dd.jacobian(f)(X)
    assert seen[0].startswith("loss 6.500 +5.0e-01") and seen[1].startswith("loss 6.500")


def test_round_mod_floordiv_operators():
    assert dd.derivative(lambda x: x % 1.0 + 0.0 * round(x, 1))(2.25) == 1.0
    assert dd.grad(lambda x: 5.0 % x)(2.0) == -2.0
    assert round(dd.Dual(2.5, 1.0)) == 2
    assert dd.Dual(7.0, 1.0) // 2 == 3.0 and 7.0 // dd.Dual(2.0, 1.0) == 3.0


# --- conversions that refuse -------------------------------------------------------------


@pytest.mark.parametrize("convert, what", [
    (float, "float()"), (int, "int()"), (complex, "complex()"),
    (np.float64, "float64"), (np.int64, "int64"), (np.float32, "float32"),
    (lambda d: range(d), "as an integer"), (lambda d: [1, 2][d], "as an integer"),
])
@pytest.mark.parametrize("driver", ["forward", "reverse"])
def test_conversions_refuse_clearly(convert, what, driver):
    run = dd.derivative if driver == "forward" else dd.grad
    attr = ".primal" if driver == "forward" else ".value"
    with pytest.raises(TypeError, match="drop its derivative") as e:
        run(lambda x: convert(x))(0.5)
    assert what in str(e.value) and attr in str(e.value)
    assert "np.stack" in str(e.value) and "dd.zeros" in str(e.value)


def test_tape_value_names_its_attribute():
    with pytest.raises(TypeError, match=r"use \.value") as e:
        dd.grad(lambda x: float(x))(1.0)
    assert ".primal" not in str(e.value)


@pytest.mark.parametrize("driver", [dd.grad, dd.derivative, dd.hessian])
@pytest.mark.parametrize("name, call", [
    ("scipy.optimize.brentq", lambda x: optimize.brentq(lambda t: t - x, 0, 1)),
    ("scipy.integrate.quad", lambda x: integrate.quad(lambda t: t * x, 0, 1)[0]),
])
def test_compiled_code_gets_one_clear_type_error(driver, name, call):
    f = call if driver is not dd.hessian else (lambda x: call(x[0]))
    x = 0.5 if driver is not dd.hessian else np.array([0.5])
    with pytest.raises(TypeError) as e:
        driver(f)(x)
    assert type(e.value) is not SystemError
    msg = str(e.value)
    assert name in msg and "not differentiable by dualdiff" in msg and "rule" in msg


# --- output buffers -----------------------------------------------------------------------


def _squares_into(out, x):
    for i in range(len(x)):
        out[i] = x[i] ** 2
    return out


@pytest.mark.parametrize("driver", [dd.jacobian, lambda f: dd.grad(lambda x: np.sum(f(x)))])
def test_plain_output_buffer_says_what_to_write(driver):
    with pytest.raises(TypeError) as e:
        driver(lambda x: _squares_into(np.zeros(3), x))(X)
    msg = str(e.value)
    assert "np.zeros_like(x)" in msg and "dd.zeros(n, like=x)" in msg
    assert e.value.__cause__ is None
    # the traceback points at the user's own line
    assert any(t.name == "_squares_into" for t in e.traceback)


@pytest.mark.parametrize("make", [
    lambda x: np.zeros_like(x), lambda x: dd.zeros(3, like=x), lambda x: dd.empty(3, like=x),
    lambda x: dd.ones((3,), like=x),
])
def test_buffers_that_hold_derivatives(make):
    f = lambda x: _squares_into(make(x), x)
    np.testing.assert_allclose(dd.jacobian(f)(X), np.diag(2 * X))
    np.testing.assert_allclose(dd.grad(lambda x: np.sum(f(x)))(X), 2 * X)
    np.testing.assert_allclose(dd.hessian(lambda x: np.sum(f(x)))(X), 2 * np.eye(3))
    np.testing.assert_allclose(f(X), X**2)  # plain input: a plain array


def test_buffer_dtype_follows_like():
    assert dd.zeros(2, like=np.ones(2, np.float32)).dtype == np.float32
    assert dd.zeros(2, like=np.ones(2, complex)).dtype == complex
    assert dd.zeros(2).dtype == np.float64 and dd.ones(2, dtype=np.float32).dtype == np.float32
    d = dd.zeros((2, 2), like=dd.Dual(1.0, 1.0))
    assert isinstance(d, dd.Dual) and d.shape == (2, 2)
