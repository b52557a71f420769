"""det, solve with matrix right-hand sides, max/min along axes, stacked matmul, batch checks."""

import numpy as np
import pytest

import dualdiff as dd

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 3)) + 3 * np.eye(3)
B = rng.standard_normal((3, 2))


def fd_jacobian(f, x, h=1e-6):
    """Central differences, column by column (reference for smooth f; accurate to ~1e-9)."""
    x = np.asarray(x, float)
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("chunk_size", [None, 1])
def test_det_forward_is_jacobis_formula(chunk_size):
    # d det(A) / dA = det(A) A^{-T}
    expected = np.linalg.det(A) * np.linalg.inv(A).T
    got = dd.jacobian(np.linalg.det, chunk_size=chunk_size)(A)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_det_reverse_and_second_order():
    expected = np.linalg.det(A) * np.linalg.inv(A).T
    np.testing.assert_allclose(dd.grad(np.linalg.det)(A), expected, rtol=1e-12)
    # second order against differences of the exact gradient (1e-7: difference error)
    h = dd.hessian(np.linalg.det)(A)
    ref = fd_jacobian(lambda a: np.linalg.det(a) * np.linalg.inv(a).T, A)
    np.testing.assert_allclose(h, ref, rtol=1e-7, atol=1e-7)


def test_solve_with_a_matrix_right_hand_side():
    f = lambda a: np.linalg.solve(a, B)
    ref = fd_jacobian(f, A)
    np.testing.assert_allclose(dd.jacobian(f)(A), ref, rtol=1e-7, atol=1e-9)
    w = rng.standard_normal((3, 2))
    value, pullback = dd.vjp(f, A)
    np.testing.assert_allclose(pullback(w), np.tensordot(w, ref, axes=2), rtol=1e-7,
                               atol=1e-9)
    g = lambda b: np.linalg.solve(A, b)
    np.testing.assert_allclose(dd.jacobian(g)(B), fd_jacobian(g, B), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1), None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_and_min_along_axes(axis, keepdims):
    x = rng.standard_normal((3, 4))
    for f in (lambda z: np.max(z, axis=axis, keepdims=keepdims),
              lambda z: np.min(z, axis=axis, keepdims=keepdims)):
        J = dd.jacobian(f)(x)
        np.testing.assert_allclose(J, fd_jacobian(f, x), atol=1e-9)
        np.testing.assert_allclose(dd.jacobian(f, chunk_size=1)(x), J, rtol=0)
        w = rng.standard_normal(np.shape(f(x)))
        np.testing.assert_allclose(dd.vjp(f, x)[1](w), np.tensordot(w, J, axes=np.ndim(w)),
                                   rtol=1e-14)


def test_stacked_matmul_with_batched_tangents():
    stack = rng.standard_normal((4, 3, 3))
    f = lambda v: np.sum(np.tanh(stack @ v), axis=0)  # (4,3,3) @ (3,) -> (4,3)
    x = rng.standard_normal(3)
    np.testing.assert_allclose(dd.jacobian(f)(x), fd_jacobian(f, x), rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(dd.jacobian(f)(x), dd.jacobian(f, chunk_size=1)(x))


def test_batches_of_different_sizes_do_not_mix():
    a = dd.Dual(np.ones(2), np.ones((3, 2)))
    b = dd.Dual(np.ones(2), np.ones((4, 2)))
    with pytest.raises(ValueError, match="batches of sizes"):
        a * b
    c = dd.Dual(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="unbatched"):
        a + c


def test_ufunc_keywords_are_refused_by_name():
    d = dd.Dual(np.ones(2), np.ones(2))
    s = np.sin(d, dtype=np.float32)  # ufunc keywords work (tests/test_elementwise_more.py)
    assert s.primal.dtype == np.float32 and s.tangent.dtype == np.float32
    with pytest.raises(TypeError, match="np.sin"):
        np.sin(d, dtype=int)
    with pytest.raises(TypeError, match="np.sum"):
        np.sum(d, dtype=np.float32)
