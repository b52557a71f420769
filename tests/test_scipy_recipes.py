"""The SciPy recipes of the README, one line each: dualdiff's drivers as SciPy's callbacks."""

import numpy as np
import pytest

import dualdiff as dd

scipy = pytest.importorskip("scipy")
from scipy.integrate import solve_ivp  # noqa: E402
from scipy.optimize import least_squares, minimize  # noqa: E402


def robertson(t, y, k1=0.04, k2=3e7, k3=1e4):
    """Robertson's stiff chemical kinetics: ``rhs(t, y)``, as solve_ivp calls it."""
    return np.stack([
        -k1 * y[0] + k3 * y[1] * y[2],
        k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
        k2 * y[1] ** 2,
    ])


def test_solve_ivp_with_the_jacobian_in_y():
    jac = dd.jacobian(robertson, argnums=1)
    y0 = np.array([1.0, 0.0, 0.0])
    J = jac(0.0, np.array([0.9, 1e-5, 0.1]))
    assert J.shape == (3, 3)  # in y, not in t
    np.testing.assert_allclose(J[0], [-0.04, 1e4 * 0.1, 1e4 * 1e-5], rtol=1e-15)
    sol = solve_ivp(robertson, (0.0, 40.0), y0, method="BDF", jac=jac, rtol=1e-8, atol=1e-10)
    ref = solve_ivp(robertson, (0.0, 40.0), y0, method="BDF", rtol=1e-8, atol=1e-10)
    assert sol.success and sol.njev > 0
    np.testing.assert_allclose(sol.y[:, -1], ref.y[:, -1], rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(np.sum(sol.y[:, -1]), 1.0, rtol=1e-8)  # mass is conserved
    # against a published value: y1(40) = 0.7158 (Hairer & Wanner, Robertson's problem)
    assert sol.y[0, -1] == pytest.approx(0.7158, abs=1e-4)


def model_loss(params, x, y):
    """A tiny two-layer model whose parameters are a pytree."""
    hidden = np.tanh(np.outer(x, params["w1"]) + params["b1"])
    return np.mean((hidden @ params["w2"] + params["b2"] - y) ** 2)


def test_minimize_a_pytree_of_parameters_through_ravel_pytree():
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 30)
    y = np.sin(2 * x)
    params = {"w1": rng.standard_normal(4), "b1": np.zeros(4), "w2": rng.standard_normal(4) / 2,
              "b2": 0.0}
    v0, unravel = dd.ravel_pytree(params)
    f = lambda v: model_loss(unravel(v), x, y)
    res = minimize(f, v0, jac=dd.grad(f), hessp=lambda v, p: dd.hvp(f, v, p),
                   method="trust-ncg")
    assert res.success and res.fun < 1e-3
    best = unravel(res.x)
    assert set(best) == set(params) and best["w1"].shape == (4,)
    assert isinstance(best["b2"], float)
    # the gradient of the pytree loss, flattened, is the one SciPy saw
    g = dd.grad(model_loss)(best, x, y)
    np.testing.assert_allclose(dd.ravel_pytree(g)[0], dd.grad(f)(res.x), rtol=1e-13)
    np.testing.assert_allclose(dd.ravel_pytree(g)[0], res.jac, rtol=1e-12, atol=1e-15)


def test_least_squares_with_the_jacobian():
    t = np.linspace(0, 3, 20)
    data = 2.5 * np.exp(-1.3 * t) + 0.5
    res = lambda p: p[0] * np.exp(-p[1] * t) + p[2] - data
    fit = least_squares(res, np.array([1.0, 1.0, 0.0]), jac=dd.jacobian(res))
    np.testing.assert_allclose(fit.x, [2.5, 1.3, 0.5], rtol=1e-8)
    J = dd.jacobian(res)(fit.x)
    np.testing.assert_allclose(J[:, 2], 1.0)
    np.testing.assert_allclose(J[:, 0], np.exp(-1.3 * t), rtol=1e-8)
    np.testing.assert_allclose(fit.jac, J, rtol=1e-12)
