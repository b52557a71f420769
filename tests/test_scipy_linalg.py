"""scipy.linalg.expm: forward mode against mpmath, every mode through dd.check_rule (reverse
against forward by <w, J u> = <Jᵀ w, u>, batched against separate passes, second order), on
stacks of matrices, complex input and float32, staged, and its errors."""

import mpmath
import numpy as np
import pytest

import dualdiff as dd

sla = pytest.importorskip("scipy.linalg")
rng = np.random.default_rng(11)


def _mpmath_frechet(a, e, dps=40):
    """``L(a, e)`` to ~30 digits: the central difference of mpmath's expm at a step of 1e-15
    (its truncation error, of order h², is 1e-30 relative), in 40-digit arithmetic."""
    with mpmath.workdps(dps):
        A, E = mpmath.matrix(a.tolist()), mpmath.matrix(e.tolist())
        h = mpmath.mpf("1e-15")
        d = (mpmath.expm(A + h * E) - mpmath.expm(A - h * E)) / (2 * h)
        return np.array(d.tolist(), dtype=float)


@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0])
def test_forward_mode_against_mpmath(scale):
    a = scale * rng.standard_normal((4, 4))
    e = rng.standard_normal((4, 4))
    out, t = dd.jvp(sla.expm, (a,), (e,))
    np.testing.assert_array_equal(out, sla.expm(a))
    want = _mpmath_frechet(a, e)
    # Padé with scaling and squaring is accurate to a few units of eps times the norm of
    # exp(A) (and so is its Fréchet block): relative 1e-12 of the largest entry
    np.testing.assert_allclose(t, want, rtol=0, atol=1e-12 * np.max(np.abs(want)))


def test_every_mode_on_matrices_stacks_and_complex_input():
    a = 0.6 * rng.standard_normal((3, 3))
    dd.check_rule(sla.expm, a)
    dd.check_rule(sla.expm, 0.6 * rng.standard_normal((2, 3, 3)))
    dd.check_rule(sla.expm, 0.5 * (rng.standard_normal((3, 3))
                                   + 1j * rng.standard_normal((3, 3))))


def test_gradients_with_closed_forms():
    a = 0.7 * rng.standard_normal((4, 4))
    # d tr exp(A) = tr(exp(A) dA): the gradient is exp(A)ᵀ
    g = dd.grad(lambda m: np.trace(sla.expm(m)))(a)
    np.testing.assert_allclose(g, sla.expm(a).T, rtol=1e-13, atol=1e-15)
    # a diagonal A: exp is elementwise on the diagonal, with derivative exp(a_ii) there
    d = np.diag([0.3, -1.2, 2.0])
    j = dd.jacobian(lambda v: np.diag(sla.expm(np.diag(v))))(np.diag(d).copy())
    # (the block of twice the size is squared a few times more: rounding of ~60 eps)
    np.testing.assert_allclose(j, np.diag(np.exp(np.diag(d))), rtol=2e-14, atol=1e-15)


def test_float32_stays_float32():
    a = (0.5 * rng.standard_normal((3, 3))).astype(np.float32)
    out, t = dd.jvp(sla.expm, (a,), (np.ones((3, 3), np.float32),))
    assert out.dtype == np.float32 and t.dtype == np.float32
    want = _mpmath_frechet(a.astype(float), np.ones((3, 3)))
    np.testing.assert_allclose(t, want, rtol=0, atol=1e-5 * np.max(np.abs(want)))


def test_routed_however_imported_and_staged():
    from scipy.linalg import expm

    a = 0.4 * rng.standard_normal((3, 3))
    f = lambda m: np.sum(expm(m) ** 2)  # noqa: E731
    staged = dd.jit(dd.grad(f))
    for m in (a, 2 * a, a.T.copy()):
        np.testing.assert_array_equal(staged(m), dd.grad(f)(m))
    assert staged.variants == 1  # (recorded, not guarded on the values)
    np.testing.assert_array_equal(expm(a), expm.__dualdiff_original__(a))


def test_errors():
    with pytest.raises(ValueError, match="square matrix"):
        dd.grad(lambda v: np.sum(sla.expm(v)))(np.ones(3))
    with pytest.raises(ValueError, match="square matrix"):
        dd.jacobian(sla.expm)(np.ones((2, 3)))
