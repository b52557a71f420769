"""Perturbation confusion: nested derivatives must keep their perturbations apart.

Regression cases from the literature (Siskind & Pearlmutter, "Perturbation confusion and
referential transparency", 2005; "Nesting forward-mode AD in a functional framework", 2008;
Manzyuk et al., "Perturbation confusion in forward automatic differentiation of higher-order
functions", 2019), each with its analytic answer.  A driver that confuses perturbations gets
the classic one wrong (2 instead of 1) or picks up an outer tangent in an inner result.
"""

import math

import numpy as np
import pytest

import dualdiff as dd

D = dd.derivative
RTOL = 1e-12


def close(got, expected, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


def test_api_md_example():
    assert D(lambda x: x * D(lambda y: x + y)(1.0))(2.0) == 1.0


def _inner_by_jvp(x):
    return dd.jvp(lambda y: x + y, (1.0,), (1.0,))[1]


def test_classic_case_at_several_points_and_through_jvp():
    for x0 in (-3.0, 0.0, 1.0, 2.0, 7.5):
        assert D(lambda x: x * D(lambda y: x + y)(1.0))(x0) == 1.0
        assert dd.jvp(lambda x: x * _inner_by_jvp(x), (x0,), (1.0,))[1] == 1.0


def test_classic_case_with_arrays():
    x0 = np.array([1.0, 2.0, 3.0])
    f = lambda x: x * dd.jacobian(lambda y: x + y)(np.ones(3)).sum(axis=1)
    # d/dy (x + y) = I, so f(x) = x and its Jacobian is I (a confused driver gives 2 I)
    close(dd.jacobian(f)(x0), np.eye(3))
    close(dd.jacobian(f, chunk_size=1)(x0), np.eye(3))


def test_inner_function_constant_in_its_own_variable():
    # d/dy x = 0 even though x carries the outer perturbation
    assert D(lambda x: D(lambda y: x)(1.0))(2.0) == 0.0
    assert D(lambda x: x * D(lambda y: x * x)(1.0))(2.0) == 0.0
    assert D(lambda x: D(lambda y: dd.sin(x))(1.0) + x)(2.0) == 1.0


def test_inner_derivative_at_a_constant_point():
    # d/dx [ x * (d/dy (x y))(2) ] = d/dx [x * x] = 2 x
    for x0 in (0.5, 3.0, -1.25):
        close(D(lambda x: x * D(lambda y: x * y)(2.0))(x0), 2 * x0)


def test_inner_derivative_at_the_outer_point():
    # d/dy (x y^2) at y = x is 2 x^2; its derivative is 4 x
    close(D(lambda x: D(lambda y: x * y * y)(x))(1.5), 6.0)
    # d/dx [ (d/dy exp(x y))(x) ] = d/dx [x exp(x^2)] = exp(x^2) (1 + 2 x^2)
    x0 = 0.7
    close(D(lambda x: D(lambda y: dd.exp(x * y))(x))(x0), math.exp(x0**2) * (1 + 2 * x0**2))


def test_three_levels_of_closures():
    # innermost d/dz (x y z) = x y; middle d/dy [x y * x y] at y = 1.5 is 2 x^2 1.5 = 3 x^2;
    # outer d/dx [x * 3 x^2] = 9 x^2
    f = lambda x: x * D(lambda y: x * y * D(lambda z: x * y * z)(4.0))(1.5)
    for x0 in (2.0, -0.5):
        close(D(f)(x0), 9 * x0**2)


@pytest.mark.parametrize("f, d3", [
    (dd.sin, lambda x: -math.cos(x)),
    (lambda x: x**5, lambda x: 60 * x**2),
    (lambda x: dd.exp(2 * x), lambda x: 8 * math.exp(2 * x)),
    (lambda x: dd.log(x), lambda x: 2 / x**3),
    (lambda x: x * dd.sin(x), lambda x: -3 * math.sin(x) - x * math.cos(x)),
    (lambda x: 1 / (1 + x * x), lambda x: 24 * x * (1 - x * x) / (1 + x * x) ** 4),
])
def test_third_derivative(f, d3):
    for x0 in (0.3, 1.7):
        close(D(D(D(f)))(x0), d3(x0), rtol=1e-12, atol=1e-14)


def test_fourth_derivative_of_a_polynomial_is_exact():
    assert D(D(D(D(lambda x: x**4 - 3 * x**3 + x))))(1.234) == 24.0


def test_shift_operator_higher_order_function():
    # Manzyuk et al.: s(u) = lambda f: lambda x: f(x + u); D s at 0 is the derivative operator,
    # so applying it twice must give f''.  Here D s 0 f = lambda x: d/du f(x + u) at u = 0.
    def ds(f):
        return lambda x: D(lambda u: f(x + u))(0.0)

    x0 = 0.8
    close(ds(dd.exp)(x0), math.exp(x0))
    close(ds(ds(dd.exp))(x0), math.exp(x0))
    close(ds(ds(dd.sin))(x0), -math.sin(x0))
    close(ds(ds(ds(lambda x: x**4)))(x0), 24 * x0)


def test_same_function_object_used_at_two_levels():
    sq_slope = D(lambda y: y * y)
    # d/dx [ x * sq_slope(x) ] = d/dx [2 x^2] = 4 x
    close(D(lambda x: x * sq_slope(x))(1.5), 6.0)
    # d/dx sq_slope(x) = 2
    close(D(sq_slope)(-3.0), 2.0)


def test_two_inner_derivatives_at_the_same_depth():
    # d/dx [ (d/dy x y)(1) * (d/dz x z^2)(1) ] = d/dx [x * 2 x] = 4 x
    f = lambda x: D(lambda y: x * y)(1.0) * D(lambda z: x * z * z)(1.0)
    close(D(f)(2.5), 10.0)


def test_jvp_inside_derivative():
    # jvp of y -> x y^2 at y = 3 along 1: (9 x, 6 x)
    close(D(lambda x: dd.jvp(lambda y: x * y**2, (3.0,), (1.0,))[1])(2.0), 6.0)
    close(D(lambda x: dd.jvp(lambda y: x * y**2, (3.0,), (1.0,))[0])(2.0), 9.0)
    # the tangent seeded by the inner call must not leak out: y is the inner variable
    close(D(lambda x: dd.jvp(lambda y: x + y, (x,), (1.0,))[1])(2.0), 0.0)
    # an inner jvp evaluated at the outer point: d/dy (x sin y) at y = x is x cos x
    x0 = 0.9
    close(D(lambda x: dd.jvp(lambda y: x * dd.sin(y), (x,), (1.0,))[1])(x0),
          math.cos(x0) - x0 * math.sin(x0))


def test_derivative_inside_jvp_with_array_and_batched_tangents():
    # f(x) = x * d/dy [ sum(x) y^2 ] at y = 1 = 2 x sum(x); J = 2 (sum(x) I + x 1^T)
    f = lambda x: x * D(lambda y: np.sum(x) * y * y)(1.0)
    x = np.array([1.0, -2.0, 0.5])
    jac = 2 * (np.sum(x) * np.eye(3) + np.outer(x, np.ones(3)))
    u = np.array([0.3, 0.1, -1.0])
    close(dd.jvp(f, (x,), (u,))[1], jac @ u)
    us = np.array([[1.0, 0.0, 0.0], [0.3, 0.1, -1.0]])
    close(dd.jvp(f, (x,), (us,))[1], us @ jac.T)


def hess_f(x):
    return np.sum(x**3) + x[0] * x[1] * x[2] + dd.sin(x[0] * x[1])


def hess_analytic(x):
    a, b, c = x
    s, co = math.sin(a * b), math.cos(a * b)
    return np.array([
        [6 * a - b * b * s, c + co - a * b * s, b],
        [c + co - a * b * s, 6 * b - a * a * s, a],
        [b, a, 6 * c],
    ])


@pytest.mark.parametrize("outer", [None, 1, 2])
@pytest.mark.parametrize("inner", [None, 1, 2])
def test_jacobian_of_jacobian_is_the_hessian(outer, inner):
    x = np.array([0.4, -1.1, 0.9])
    h = dd.jacobian(dd.jacobian(hess_f, chunk_size=inner), chunk_size=outer)(x)
    close(h, hess_analytic(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(h, h.T)


def test_jacobian_of_inner_jvp_is_hessian_times_v():
    x = np.array([0.4, -1.1, 0.9])
    hs = hess_analytic(x)
    v = np.array([1.0, 0.5, -2.0])
    # directional second derivative v^T H u by nested jvp
    u = np.array([0.2, -0.7, 0.3])
    got = dd.jvp(lambda z: dd.jvp(hess_f, (z,), (v,))[1], (x,), (u,))[1]
    close(got, u @ hs @ v)
    # batched inner tangents: rows V H
    vs = np.stack([v, u, np.ones(3)])
    rows = dd.jacobian(lambda z: dd.jvp(hess_f, (z,), (vs,))[1])(x)
    close(rows, vs @ hs, rtol=1e-12, atol=1e-15)


def test_reverse_inside_forward_and_forward_inside_reverse():
    # the classic case with the tape as the inner driver
    assert D(lambda x: x * dd.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    # and as the outer one
    assert dd.grad(lambda x: x * D(lambda y: x + y)(1.0))(2.0) == 1.0
    # d/dx [ x * (d/dy (x y))(2) ] = 2 x, through grad
    close(dd.grad(lambda x: x * D(lambda y: x * y)(2.0))(3.0), 6.0)
    close(D(lambda x: x * dd.grad(lambda y: x * y)(2.0))(3.0), 6.0)
    # the inner tape sees the outer variable as a constant
    assert D(lambda x: dd.grad(lambda y: x)(1.0))(2.0) == 0.0
    assert dd.grad(lambda x: D(lambda y: x)(1.0))(2.0) == 0.0


def test_hessian_three_ways_agree():
    x = np.array([0.4, -1.1, 0.9])
    h = hess_analytic(x)
    close(dd.hessian(hess_f)(x), h, rtol=1e-12, atol=1e-15)
    close(dd.jacobian(dd.grad(hess_f))(x), h, rtol=1e-12, atol=1e-15)
    v = np.array([1.0, 2.0, -0.5])
    close(dd.hvp(hess_f, x, v), h @ v, rtol=1e-12, atol=1e-14)


def test_setitem_across_levels():
    # an outer-level Dual stored into an inner driver's array: J_inner = [[x, 0], [0, 1]]
    def h(x):
        def inner(y):
            z = np.zeros_like(y)
            z[0] = x * y[0]
            z[1] = y[1]
            return z

        return dd.jacobian(inner)(np.array([1.0, 2.0]))

    np.testing.assert_array_equal(D(h)(3.0), [[1.0, 0.0], [0.0, 0.0]])

    # an inner derivative (an outer-level value) stored into the outer driver's array:
    # z0 = d/dy (x0 y^2) at y = 2 = 4 x0, so dz/dx = [[4, 0], [0, 0]]
    def k(x):
        z = np.zeros_like(x)
        z[0] = D(lambda y: x[0] * y**2)(2.0)
        return z

    for chunk in (None, 1):
        np.testing.assert_array_equal(dd.jacobian(k, chunk_size=chunk)(np.array([1.0, 2.0])),
                                      [[4.0, 0.0], [0.0, 0.0]])
