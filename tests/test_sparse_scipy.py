"""SciPy end to end: the sparse derivatives plugged into solve_ivp, least_squares and
minimize give the same solutions as dense ones."""

import numpy as np
import pytest

pytest.importorskip("scipy")
from scipy.integrate import solve_ivp  # noqa: E402
from scipy.optimize import least_squares, minimize  # noqa: E402

import dualdiff as dd  # noqa: E402
from benchmarks.workloads.sparse import brusselator, minimal_surface, rosenbrock  # noqa: E402


def test_solve_ivp_bdf_with_a_sparse_jacobian():
    rhs, y0 = brusselator(6)
    jac = dd.sparse_jacobian(rhs, argnums=1)
    dense = dd.jacobian(lambda y, t: rhs(t, y))
    opts = dict(method="BDF", rtol=1e-8, atol=1e-10)
    a = solve_ivp(rhs, (0.0, 1.5), y0, jac=jac, **opts)
    b = solve_ivp(rhs, (0.0, 1.5), y0, jac=lambda t, y: dense(y, t), **opts)
    assert a.success and b.success
    assert a.njev >= 1
    np.testing.assert_allclose(a.y[:, -1], b.y[:, -1], rtol=1e-8, atol=1e-8)


def test_least_squares_with_a_sparse_jacobian():
    n = 40
    t = np.linspace(0, 1, n)

    def residuals(x):
        # a discrete boundary-value problem: x'' = exp(x) - 1 + t, x(0) = x(1) = 0
        h = 1.0 / (n + 1)
        w = np.concatenate([np.zeros(1), x, np.zeros(1)])
        return (w[2:] - 2 * w[1:-1] + w[:-2]) / h**2 - np.exp(x) + 1.0 - t

    jac = dd.sparse_jacobian(residuals)
    a = least_squares(residuals, np.zeros(n), jac=jac, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    b = least_squares(residuals, np.zeros(n), jac=dd.jacobian(residuals), xtol=1e-14,
                      ftol=1e-14, gtol=1e-14)
    assert a.success and b.success and jac.colors == 3
    np.testing.assert_allclose(a.x, b.x, rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(residuals(a.x))) < 1e-8


@pytest.mark.parametrize("problem", ["rosenbrock", "minimal_surface"])
def test_minimize_trust_constr_with_a_sparse_hessian(problem):
    f = rosenbrock if problem == "rosenbrock" else minimal_surface(5)
    n = 20 if problem == "rosenbrock" else 25
    x0 = np.full(n, 0.5) if problem == "rosenbrock" else np.linspace(-1, 1, n)
    opts = dict(method="trust-constr", jac=dd.grad(f), options={"gtol": 1e-10})
    a = minimize(f, x0, hess=dd.sparse_hessian(f), **opts)
    b = minimize(f, x0, hess=dd.hessian(f), **opts)
    assert a.status in (1, 2) and b.status in (1, 2)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-6, atol=1e-8)
    want = np.ones(n) if problem == "rosenbrock" else np.zeros(n)
    np.testing.assert_allclose(a.x, want, atol=1e-6)
