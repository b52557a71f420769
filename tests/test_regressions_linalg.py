"""Wrong numbers of linear algebra found by issue 15 and by the hunt that followed it: each was
a silently wrong derivative (or value) before the fix."""

import numpy as np
import pytest

import dualdiff as dd

STACK = np.array([[[2.0, 1.0], [0.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])


def test_det_of_a_stack_in_reverse_mode():
    # issue 15 #1: the adjoint of each determinant was broadcast against the wrong axes
    got = dd.grad(lambda a: np.sum(np.linalg.det(a)))(STACK)
    np.testing.assert_allclose(got, [[[3, 0], [-1, 2]], [[4, -3], [-2, 1]]], rtol=1e-14,
                               atol=1e-15)
    # forward mode agrees (and it always did)
    np.testing.assert_allclose(dd.jacobian(lambda a: np.sum(np.linalg.det(a)))(STACK), got,
                               rtol=1e-14, atol=1e-15)


def test_det_of_a_stack_second_order():
    dd.check_rule(np.linalg.det, STACK + 2 * np.eye(2))


def test_solve_a_stack_with_one_vector_whose_length_is_the_stack_size():
    # a (3, 3, 3) stack and a (3,) right-hand side: the adjoint (3, 3) of the solutions was
    # solved as one matrix instead of three vectors, silently (the shapes happened to fit)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3, 3)) + 4 * np.eye(3)
    b = rng.standard_normal(3)
    w = rng.standard_normal((3, 3))
    ga, gb = dd.grad(lambda a, b: np.sum(w * np.linalg.solve(a, b)), argnums=(0, 1))(a, b)
    x = np.linalg.solve(a, b)
    bbar = np.linalg.solve(np.swapaxes(a, -1, -2), w[..., None])[..., 0]
    np.testing.assert_allclose(gb, bbar.sum(0), rtol=1e-12)
    np.testing.assert_allclose(ga, -bbar[..., :, None] * x[..., None, :], rtol=1e-12)
    dd.check_rule(np.linalg.solve, a, b)


def test_solve_broadcast_stacks():
    rng = np.random.default_rng(2)
    dd.check_rule(np.linalg.solve, rng.standard_normal((3, 3)) + 3 * np.eye(3),
                  rng.standard_normal((2, 3, 2)))
    dd.check_rule(np.linalg.solve, rng.standard_normal((2, 3, 3)) + 3 * np.eye(3),
                  rng.standard_normal((3, 2)))


def test_norm_ord_1_over_an_axis_pair_is_the_matrix_norm():
    # np.linalg.norm(x, 1, axis=(2, 0)) was the sum of all |x| (a vector 1-norm), not the
    # largest column sum
    x = np.arange(24.0).reshape(4, 2, 3) - 11
    for o in (1, np.inf):
        got = dd.jvp(lambda x, o=o: np.linalg.norm(x, o, axis=(2, 0)), (x,), (np.ones_like(x),))
        np.testing.assert_allclose(got[0], np.linalg.norm(x, o, axis=(2, 0)), rtol=1e-15)


def test_matmul_of_a_vector_and_a_stack_with_a_batch_of_tangents():
    # refused before (TypeError); now one einsum
    rng = np.random.default_rng(3)
    v, m = rng.standard_normal(3), rng.standard_normal((2, 3, 4))
    dd.check_rule(np.matmul, v, m)
    jac = dd.jacobian(lambda v: np.matmul(v, m))(v)
    np.testing.assert_allclose(jac, np.moveaxis(m, -2, -1), rtol=1e-15)


def test_adjoint_of_a_real_input_through_complex_insides_is_real():
    # issue 15 #6 (first half), and what every complex linear-algebra rule relies on: the
    # tape takes the real part where a real value receives a complex adjoint
    assert dd.vjp(lambda x: x * (1 + 2j), 1.0)[1](1.0) == 1.0
    t0 = np.array([0.3 + 1j, -2 + 0.5j])
    c = np.array([1 - 2j, 0.5 + 1j])
    f = lambda t: 1j * np.imag(t / c)  # noqa: E731
    w, u = np.array([0.7 - 0.2j, 1.1 + 0.4j]), np.array([-0.3 + 1j, 0.8 - 0.6j])
    _, ju = dd.jvp(f, (t0,), (u,))
    _, pb = dd.vjp(f, t0)
    assert np.real(np.sum(w * ju)) == pytest.approx(np.real(np.sum(pb(w) * u)), rel=1e-14)


def test_det_derivative_at_singular_matrices_is_the_adjugate():
    # solve raised LinAlgError (exactly singular) or lost every digit (singular to rounding)
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(dd.grad(np.linalg.det)(a), [[4.0, -2.0], [-2.0, 1.0]],
                               atol=1e-14)
    rng = np.random.default_rng(7)
    q1, q2 = (np.linalg.qr(rng.standard_normal((3, 3)))[0] for _ in range(2))
    b = q1 @ np.diag([2.0, 1.0, 0.0]) @ q2.T  # singular only up to rounding
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(b, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(dd.grad(np.linalg.det)(b), cof, atol=1e-13)
    np.testing.assert_allclose(dd.jacobian(np.linalg.det)(b), cof, atol=1e-13)
    # rank n - 2: the adjugate is zero
    np.testing.assert_allclose(dd.grad(np.linalg.det)(np.ones((3, 3))), 0, atol=1e-14)
    dd.check_rule(np.linalg.det, a + 0j, order=1)
