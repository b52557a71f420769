"""Sparse test problems shared by the sparse tests and the benchmark: each a function, a point
and a reference (dense) Jacobian or Hessian from dualdiff's dense drivers."""

import numpy as np


def brusselator(n):
    """The 2-D Brusselator right-hand side ``rhs(t, y)`` on an n x n periodic grid, and y0.

    Two species u, v (2 n^2 unknowns), the 5-point Laplacian, and the forcing of the
    SciML benchmark (a disc switched on at t >= 1.1).
    """
    xs = np.linspace(0.0, 1.0, n, endpoint=False)
    gx, gy = np.meshgrid(xs, xs, indexing="ij")
    up, down = np.roll(np.arange(n), -1), np.roll(np.arange(n), 1)
    alpha = 10.0 * 0.1 * n * n / 10.0  # diffusion 0.1 over a grid step 1/n, scaled like SciML
    disc = (gx - 0.3) ** 2 + (gy - 0.6) ** 2 <= 0.1**2

    def lap(w):
        return w[up, :] + w[down, :] + w[:, up] + w[:, down] - 4.0 * w

    def rhs(t, y):
        u = y[: n * n].reshape(n, n)
        v = y[n * n:].reshape(n, n)
        forcing = np.where(disc & (t >= 1.1), 5.0, 0.0)
        du = 1.0 + u * u * v - 4.4 * u + alpha * lap(u) + forcing
        dv = 3.4 * u - u * u * v + alpha * lap(v)
        return np.concatenate([du.ravel(), dv.ravel()])

    u0 = 22.0 * (gy * (1 - gy)) ** 1.5
    v0 = 27.0 * (gx * (1 - gx)) ** 1.5
    return rhs, np.concatenate([u0.ravel(), v0.ravel()])


def rosenbrock(x):
    """The extended (chained) Rosenbrock function: a tridiagonal Hessian."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def minimal_surface(n):
    """The area of the surface z over an n x n grid of the unit square (interior values
    are the unknowns; the boundary is z = 0): a 2-D stencil Hessian."""
    h = 1.0 / (n + 1)

    def area(z):
        w = np.concatenate([np.zeros((n, 1)), z.reshape(n, n), np.zeros((n, 1))], axis=1)
        w = np.concatenate([np.zeros((1, n + 2)), w, np.zeros((1, n + 2))], axis=0)
        zx = (w[1:, 1:] - w[:-1, 1:]) / h
        zy = (w[1:, 1:] - w[1:, :-1]) / h
        return h * h * np.sum(np.sqrt(1.0 + zx * zx + zy * zy))

    return area
