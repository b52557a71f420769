"""User code, annotated: mypy checks this file with the package (pyproject.toml [tool.mypy]),
so a signature that rejects ordinary use, or a result that cannot be unpacked or called,
fails CI; pytest runs it, so the code is also right at run time."""

from __future__ import annotations

import numpy as np

import dualdiff as dd
from dualdiff.typing import ArrayLike, Derivative, Value


def loss(w: ArrayLike) -> Value:
    return dd.sum(dd.square(w)) + dd.sin(dd.mean(w))


def model(params: dict[str, np.ndarray], x: np.ndarray) -> Value:
    return dd.sum(dd.tanh(x * params["w"] + params["b"]))


def test_drivers_take_and_give_typed_values() -> None:
    x = np.array([0.5, -1.0, 2.0])
    g = dd.grad(loss)(x)
    value, g2 = dd.value_and_grad(loss)(x)
    assert np.allclose(g, g2) and np.isclose(value, loss(x))
    out, tangent = dd.jvp(loss, (x,), (np.ones(3),))
    out2, tangent2, aux = dd.jvp(lambda w: (loss(w), 1.0), (x,), (np.ones(3),), has_aux=True)
    assert np.isclose(tangent, tangent2) and aux == 1.0
    y, pullback = dd.vjp(dd.sin, x)
    cotangent = pullback(np.ones(3))
    assert np.allclose(cotangent, np.cos(x))
    y, pullback, aux = dd.vjp(lambda w: (dd.sin(w), 2.0), x, has_aux=True)
    assert np.allclose(dd.jacobian(dd.sin)(x), np.diag(np.cos(x)))
    assert np.allclose(dd.jacrev(dd.sin)(x), np.diag(np.cos(x)))
    assert np.allclose(dd.hessian(loss)(x), dd.jacobian(dd.grad(loss))(x))
    assert np.allclose(dd.hvp(loss, x, np.ones(3)), dd.hessian(loss)(x) @ np.ones(3))
    d: Derivative = dd.derivative(dd.exp)
    assert d(0.0) == 1.0
    params = {"w": np.ones(3), "b": np.zeros(3)}
    grads = dd.grad(model)(params, x)
    assert isinstance(grads, dict) and set(grads) == {"w", "b"}
    flat, unravel = dd.ravel_pytree(params)
    assert flat.shape == (6,) and isinstance(unravel(flat), dict)


def test_elementwise_results_are_of_the_arguments_kind() -> None:
    s: float = dd.sin(1.0)
    c: complex = dd.exp(1j)
    a = dd.exp(np.ones(3))
    assert a.shape == (3,) and abs(s - np.sin(1.0)) < 1e-15 and abs(c - np.exp(1j)) < 1e-15
    d = dd.cos(dd.Dual(0.0, 1.0))
    assert isinstance(d, dd.Dual) and d.shape == ()


def test_duals_are_typed() -> None:
    z = dd.Dual(0.5, 1.0)
    y = dd.sin(z) * 2.0 + 1.0
    assert isinstance(y, dd.Dual) and np.isclose(y.tangent, 2 * np.cos(0.5))
    primal: Value = y.primal
    assert np.isclose(primal, 2 * np.sin(0.5) + 1.0)
    assert dd.Dual(np.ones((2, 3))).shape == (2, 3)


def test_decorators_keep_the_function_type() -> None:
    @dd.primitive(partials=lambda x, out: 3.0 * x**2)
    def cube(x: float) -> float:
        return x**3

    assert cube(2.0) == 8.0 and dd.derivative(cube)(2.0) == 12.0

    @dd.jit
    def f(x: float) -> Value:
        return dd.sin(x) * x

    assert np.isclose(f(1.0), np.sin(1.0))
    def power(x: float, n: int) -> float:
        return x**n

    staged = dd.jit(static_argnums=1)(power)
    assert staged(2.0, 3) == 8.0
    dd.check_grads(loss, np.array([0.1, 0.2]))
    dd.check_rule(dd.sin, np.array([0.1, 0.2]))


def test_sparse_and_study_are_typed() -> None:
    x = np.ones(4)
    jac = dd.sparse_jacobian(lambda v: v[1:] * v[:-1])
    assert jac(x).shape == (3, 4)
    assert dd.jacobian_sparsity(lambda v: v[1:] * v[:-1])(x).shape == (3, 4)
    study = dd.error_study(np.sin, 1.0)
    assert study.best_step["central"] > 0 and "central" in study.summary()
    assert np.isclose(dd.finite_difference(np.sin, 1.0, 1e-6), np.cos(1.0), rtol=1e-8)
