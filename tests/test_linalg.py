"""np.linalg and matmul: values against NumPy, closed-form derivatives, and every mode
(forward against a reference, reverse against forward, batched against separate passes,
second order) through dd.check_rule, on stacks of matrices, complex input and float32.

Matrices are random but well conditioned (a multiple of the identity added, or a Gram matrix
plus one for positive definite ones), and the decompositions' spectra are well separated: the
derivatives of eigen- and singular vectors scale like 1 / gap, and a five-point difference's
error like its fifth derivative, so with gaps of order 1 check_rule's default tolerances
(1e-9 against the complex step, 1e-6 against the five-point difference) hold.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.core import new_level
from dualdiff.dual import new_dual

RNG = np.random.default_rng(15)


def wc(*s, cplx=False):
    """A well-conditioned (stack of) matrices, or a random array of another shape."""
    a = RNG.standard_normal(s)
    if cplx:
        a = a + 1j * RNG.standard_normal(s)
    if len(s) >= 2 and s[-1] == s[-2]:
        a = a + 4 * np.eye(s[-1])
    return a


def spd(*s, cplx=False):
    """A (stack of) Hermitian positive definite matrices with eigenvalues spread apart."""
    n = s[-1]
    q = np.linalg.qr(wc(*s, cplx=cplx))[0]
    w = np.arange(1.0, n + 1) * 1.5 + RNG.uniform(0, 0.5, s[:-1])
    return (q * w[..., None, :]) @ np.conj(np.swapaxes(q, -1, -2))


def distinct_svd(m, n, lead=(), cplx=False):
    """A matrix with singular values 1.5, 3, 4.5, ... (well separated, none zero)."""
    k = min(m, n)
    u = np.linalg.qr(wc(*lead, m, k, cplx=cplx))[0]
    v = np.linalg.qr(wc(*lead, n, k, cplx=cplx))[0]
    s = np.arange(1.0, k + 1) * 1.5
    return (u * s) @ np.conj(np.swapaxes(v, -1, -2))


def value(f, *args):
    """The primal of ``f`` computed through dualdiff (forward mode)."""
    return dd.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


def spread(*s, cplx=False):
    """Entries of magnitudes 0.5, 0.75, 1, ... in random order, signs and phases: no zeros (the
    slope of a p-norm with p < 1 is infinite there) and no near-ties (the max and min norms
    have kinks there, which a difference quotient must not straddle)."""
    mag = RNG.permutation(0.5 + 0.25 * np.arange(np.prod(s))).reshape(s)
    phase = RNG.uniform(0, 2 * np.pi, s) if cplx else np.pi * RNG.integers(0, 2, s)
    z = mag * np.exp(1j * phase)
    return z if cplx else z.real


def abs2(z):
    return np.real(z * np.conj(z))


def f32_dual(a):
    return new_dual(a.astype(np.float32), a.astype(np.float32), new_level())


# --- matmul, solve, inv, det -------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((3,), (2, 3, 4)), ((2, 4, 3), (3,)), ((2, 4, 3), (3, 2)), ((4, 3), (2, 3, 2)),
    ((2, 1, 4, 3), (5, 3, 2)), ((5, 2, 3), (5, 3, 1)), ((3,), (2, 2, 3, 4)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_every_rank_and_broadcast(sa, sb):
    a, b = wc(*sa), wc(*sb)
    np.testing.assert_allclose(value(np.matmul, a, b), a @ b, rtol=1e-14)
    dd.check_rule(np.matmul, a, b)
    dd.check_rule(lambda a, b: a @ b, wc(*sa, cplx=True), wc(*sb, cplx=True), order=1)


@pytest.mark.parametrize("sa, sb", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
    ((3, 3), (2, 3, 2)), ((2, 3, 3), (3, 2)), ((2, 1, 3, 3), (4, 3, 1)), ((3, 3, 3), (3,)),
])
def test_solve_vectors_matrices_and_stacks(sa, sb):
    a, b = wc(*sa), wc(*sb)
    np.testing.assert_allclose(value(np.linalg.solve, a, b), np.linalg.solve(a, b), rtol=1e-13)
    dd.check_rule(np.linalg.solve, a, b)
    dd.check_rule(np.linalg.solve, wc(*sa, cplx=True), wc(*sb, cplx=True), order=1)


@pytest.mark.parametrize("s", [(3, 3), (2, 3, 3), (2, 2, 2, 2)])
def test_det_inv_slogdet_on_stacks(s):
    a = wc(*s)
    a[..., 0, :] *= -1  # some negative determinants
    np.testing.assert_allclose(value(np.linalg.det, a), np.linalg.det(a), rtol=1e-13)
    np.testing.assert_allclose(value(np.linalg.inv, a), np.linalg.inv(a), rtol=1e-13)
    sign, logabs = value(lambda a: np.linalg.slogdet(a), a)
    np.testing.assert_array_equal(sign, np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logabs, np.linalg.slogdet(a)[1], rtol=1e-13)
    for f in (np.linalg.det, np.linalg.inv, lambda a: np.linalg.slogdet(a)[1]):
        dd.check_rule(f, a)


def test_det_closed_form_and_complex():
    a, u = wc(2, 3, 3), wc(2, 3, 3)
    # d det A = det A tr(A^{-1} dA)
    expected = np.linalg.det(a) * np.trace(np.linalg.solve(a, u), axis1=-2, axis2=-1)
    np.testing.assert_allclose(dd.jvp(np.linalg.det, (a,), (u,))[1], expected, rtol=1e-13)
    np.testing.assert_allclose(dd.grad(lambda a: np.sum(np.linalg.det(a)))(a),
                               np.linalg.det(a)[:, None, None] * np.linalg.inv(a).mT,
                               rtol=1e-13)
    c = wc(2, 3, 3, cplx=True)
    dd.check_rule(np.linalg.det, c)
    dd.check_rule(np.linalg.inv, c)


def test_slogdet_sign_real_constant_complex_differentiated():
    a = wc(2, 3, 3)
    g = dd.jacobian(lambda a: np.linalg.slogdet(a)[0])(a)
    assert not np.any(g)
    c = wc(3, 3, cplx=True)
    sign, logabs = value(lambda c: np.linalg.slogdet(c), c)
    np.testing.assert_allclose(sign, np.linalg.slogdet(c)[0], rtol=1e-13)
    np.testing.assert_allclose(logabs, np.linalg.slogdet(c)[1], rtol=1e-13)
    dd.check_rule(lambda c: np.linalg.slogdet(c), c)
    # sign * exp(logabsdet) is det: the two derivatives together are Jacobi's formula
    f = lambda c: np.linalg.slogdet(c)[0] * np.exp(np.linalg.slogdet(c)[1])  # noqa: E731
    u = wc(3, 3, cplx=True)
    np.testing.assert_allclose(dd.jvp(f, (c,), (u,))[1], dd.jvp(np.linalg.det, (c,), (u,))[1],
                               rtol=1e-12)


def test_slogdet_of_a_huge_determinant_does_not_overflow():
    a = 1e3 * np.eye(200) + RNG.standard_normal((200, 200))
    g = dd.grad(lambda a: np.linalg.slogdet(a)[1])(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-10)


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5])
def test_matrix_power(n):
    a = wc(2, 3, 3) / 4
    np.testing.assert_allclose(value(lambda a: np.linalg.matrix_power(a, n), a),
                               np.linalg.matrix_power(a, n), rtol=1e-12)
    dd.check_rule(lambda a: np.linalg.matrix_power(a, n), a)
    with pytest.raises(TypeError, match="integer"):
        np.linalg.matrix_power(dd.Dual(a, a), 1.5)


@pytest.mark.parametrize("shapes", [[(3,), (3, 4), (4,)], [(2, 3), (3, 4), (4, 2), (2, 5)],
                                    [(3,), (3,)], [(2, 3), (3,)]])
def test_multi_dot(shapes):
    xs = [wc(*s) for s in shapes]
    f = lambda *xs: np.linalg.multi_dot(xs)  # noqa: E731
    np.testing.assert_allclose(value(f, *xs), np.linalg.multi_dot(xs), rtol=1e-13)
    dd.check_rule(f, *xs)
    with pytest.raises(ValueError, match="two-dimensional"):
        np.linalg.multi_dot([dd.Dual(xs[0], xs[0]), np.ones((2, 3, 3)), np.ones(3)])


# --- Hermitian eigenproblems --------------------------------------------------------------


def check_eigen(full, values_only, a):
    """Values against NumPy's, and every mode of both the pair and the eigenvalues alone."""
    w, v = value(lambda a: tuple(full(a)), a)
    w0, v0 = full(a)
    np.testing.assert_allclose(w, w0, rtol=1e-13)
    np.testing.assert_allclose(v, v0, rtol=1e-12)
    dd.check_rule(lambda a: full(a), a)
    dd.check_rule(values_only, a)


@pytest.mark.parametrize("s", [(3, 3), (2, 4, 4)])
def test_eigh_values_and_every_mode(s):
    # (the real eigenvectors' signs stay put under the difference's small steps)
    check_eigen(np.linalg.eigh, np.linalg.eigvalsh, spd(*s))


def test_eigvalsh_closed_form():
    a, u = spd(2, 4, 4), wc(2, 4, 4)
    u = u + u.mT
    w, v = np.linalg.eigh(a)
    expected = np.einsum("...ji,...jk,...ki->...i", v, u, v)  # diag(V^T dA V)
    np.testing.assert_allclose(dd.jvp(np.linalg.eigvalsh, (a,), (u,))[1], expected, rtol=1e-12)
    np.testing.assert_allclose(dd.jvp(lambda a: np.linalg.eigh(a)[0], (a,), (u,))[1], expected,
                               rtol=1e-12)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle(uplo):
    a = spd(4, 4)
    noisy = a + (np.triu(wc(4, 4), 1) if uplo == "L" else np.tril(wc(4, 4), -1))
    f = lambda a: np.sum(np.linalg.eigvalsh(a, UPLO=uplo) ** 3)  # noqa: E731
    g = dd.grad(f)(noisy)
    other = np.triu(g, 1) if uplo == "L" else np.tril(g, -1)
    assert not np.any(other)
    # the eigenvalues, and the eigenvectors up to their sign (LAPACK may flip a column's sign
    # between nearby matrices, which a finite difference cannot follow)
    dd.check_rule(lambda a: (np.linalg.eigh(a, UPLO=uplo)[0],
                             np.abs(np.linalg.eigh(a, UPLO=uplo)[1])), noisy)
    with pytest.raises(ValueError, match="UPLO"):
        np.linalg.eigh(dd.Dual(a, a), UPLO="X")


def test_eigh_complex_hermitian_gauge_invariant_quantities():
    a = spd(2, 3, 3, cplx=True)
    w, v = value(lambda a: np.linalg.eigh(a), a)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-13)
    dd.check_rule(np.linalg.eigvalsh, a)
    # the phase of each eigenvector is a gauge: check what does not depend on it
    projectors = lambda a: (lambda v: v[..., :, None, :] * np.conj(v[..., None, :, :]))(  # noqa: E731
        np.linalg.eigh(a)[1])
    dd.check_rule(projectors, a)
    dd.check_rule(lambda a: abs2(np.linalg.eigh(a)[1]), a)
    # the gauge itself: Im(v_i^H dv_i) = 0
    u = wc(2, 3, 3, cplx=True)
    u = u + np.conj(u.mT)
    _, dv = dd.jvp(lambda a: np.linalg.eigh(a)[1], (a,), (u,))
    _, v = np.linalg.eigh(a)
    np.testing.assert_allclose(np.einsum("...ji,...ji->...i", np.conj(v), dv).imag, 0,
                               atol=1e-12)


def test_eigh_repeated_eigenvalues_raise_and_eigvalsh_does_not():
    a = np.diag([1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="repeated"):
        dd.jacobian(lambda a: np.linalg.eigh(a)[1])(a)
    with pytest.raises(ValueError, match="repeated"):
        dd.grad(lambda a: np.sum(np.linalg.eigh(a)[1]))(a)
    # the eigenvalues' derivative along the eigenvectors NumPy returned (here the axes)
    u = wc(3, 3)
    u = u + u.T
    np.testing.assert_allclose(dd.jvp(np.linalg.eigvalsh, (a,), (u,))[1], np.diag(u),
                               rtol=1e-14)
    # and the derivative of the sum of the repeated ones is exact
    g = dd.grad(lambda a: np.sum(np.linalg.eigvalsh(a)[:2]))(a)
    np.testing.assert_allclose(g, np.diag([1.0, 1.0, 0.0]), atol=1e-15)


# --- general eigenproblems ---------------------------------------------------------------


def _real_spectrum(*s):
    q = wc(*s)
    w = np.arange(1.0, s[-1] + 1) * 1.5
    return (q * w) @ np.linalg.inv(q)


@pytest.mark.parametrize("kind", ["real spectrum", "complex pairs", "complex input", "stack"])
def test_eig_values_and_every_mode(kind):
    a = {"real spectrum": lambda: _real_spectrum(3, 3),
         "complex pairs": lambda: np.array([[1.0, -2.0, 0.5], [2.0, 1.0, 0.3], [0.1, 0.2, 4.0]]),
         "complex input": lambda: wc(3, 3, cplx=True),
         "stack": lambda: _real_spectrum(2, 3, 3)}[kind]()
    # LAPACK's gauge (unit columns, largest entry real) is kept, so the vectors themselves
    # agree with the difference quotient of NumPy's eig
    check_eigen(np.linalg.eig, np.linalg.eigvals, a)
    # gauge-invariant: A V = V diag(w) along the derivative
    u = wc(*a.shape, cplx=np.iscomplexobj(a))
    (w, v), (dw, dv) = dd.jvp(lambda a: tuple(np.linalg.eig(a)), (a,), (u,))
    np.testing.assert_allclose(u @ v + a @ dv, dv * w[..., None, :] + v * dw[..., None, :],
                               atol=1e-11)


def test_eig_repeated_eigenvalues_raise():
    with pytest.raises(ValueError, match="repeated"):
        dd.jacobian(lambda a: np.linalg.eig(a)[1])(np.eye(3))


# --- singular values ---------------------------------------------------------------------


@pytest.mark.parametrize("m, n, lead", [(3, 3, ()), (4, 3, ()), (3, 5, ()), (4, 2, (2,))])
def test_svd_values_and_every_mode(m, n, lead):
    a = distinct_svd(m, n, lead)
    f = lambda a: np.linalg.svd(a, full_matrices=False)  # noqa: E731
    for got, ref in zip(value(f, a), np.linalg.svd(a, full_matrices=False)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    dd.check_rule(f, a)
    dd.check_rule(lambda a: np.linalg.svd(a, compute_uv=False), a)
    dd.check_rule(np.linalg.svdvals, a)
    if m == n:
        dd.check_rule(np.linalg.svd, a)  # full_matrices=True is the reduced one


def test_svdvals_closed_form():
    a, du = distinct_svd(4, 3), wc(4, 3)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    expected = np.einsum("ji,jk,ik->i", u, du, vh)  # diag(U^T dA V)
    np.testing.assert_allclose(dd.jvp(np.linalg.svdvals, (a,), (du,))[1], expected,
                               rtol=1e-12)


@pytest.mark.parametrize("m, n", [(3, 3), (4, 3), (3, 4)])
def test_svd_complex_gauge_invariant_quantities(m, n):
    a = distinct_svd(m, n, cplx=True)
    f = lambda a: np.linalg.svd(a, full_matrices=False)  # noqa: E731
    dd.check_rule(lambda a: np.linalg.svd(a, compute_uv=False), a)

    def invariants(a):
        u, s, vh = f(a)
        # the phase of each pair (u_i, v_i) is a gauge: u_i v_i^H, |u|^2, |v|^2 are not
        pairs = u[:, None, :] * vh.T[None, :, :]
        return pairs, abs2(u), abs2(vh), (u * s) @ vh

    dd.check_rule(invariants, a)


def test_svd_complex_gauge():
    # the phase of (u_i, v_i) moves with u_i: Im(v_i^H dv_i) = 0, Im(u_i^H du_i) = Im(P_ii)/s_i
    a, t = distinct_svd(4, 3, cplx=True), wc(4, 3, cplx=True)
    (u, s, vh), (du, ds, dvh) = dd.jvp(
        lambda a: tuple(np.linalg.svd(a, full_matrices=False)), (a,), (t,))
    p = np.conj(u.T) @ t @ np.conj(vh.T)
    np.testing.assert_allclose(np.einsum("ij,ij->j", vh.T, np.conj(dvh.T)).imag, 0,
                               atol=1e-12)
    np.testing.assert_allclose(np.einsum("ij,ij->j", np.conj(u), du).imag,
                               np.diag(p).imag / s, atol=1e-12)
    np.testing.assert_allclose(ds, np.diag(p).real, rtol=1e-12)


def test_real_input_complex_eigenvalues_real_adjoint():
    a = np.array([[1.0, -2.0, 0.5], [2.0, 1.0, 0.3], [0.1, 0.2, 4.0]])
    g = dd.grad(lambda a: np.sum(np.imag(np.linalg.eigvals(a)) ** 2))(a)
    assert g.dtype == np.float64
    dd.check_rule(lambda a: np.imag(np.linalg.eigvals(a)) ** 2, a)


def test_svd_refusals():
    d = dd.Dual(distinct_svd(4, 3), np.ones((4, 3)))
    with pytest.raises(ValueError, match="full_matrices=False"):
        np.linalg.svd(d)
    with pytest.raises(ValueError, match="repeated"):
        dd.jacobian(lambda a: np.linalg.svd(a)[0])(np.eye(3))
    with pytest.raises(ValueError, match="zero singular value"):
        dd.jacobian(lambda a: np.linalg.svd(a, full_matrices=False)[0])(
            np.array([[1.0, 0], [0, 0], [0, 0]]))


# --- Cholesky, QR, pinv, lstsq -----------------------------------------------------------


@pytest.mark.parametrize("s, cplx", [((3, 3), False), ((2, 4, 4), False), ((3, 3), True)])
def test_cholesky(s, cplx):
    a = spd(*s, cplx=cplx)
    np.testing.assert_allclose(value(np.linalg.cholesky, a), np.linalg.cholesky(a), rtol=1e-13)
    np.testing.assert_allclose(value(lambda a: np.linalg.cholesky(a, upper=True), a),
                               np.linalg.cholesky(a, upper=True), rtol=1e-13)
    dd.check_rule(np.linalg.cholesky, a, order=1 if cplx else 2)
    dd.check_rule(lambda a: np.linalg.cholesky(a, upper=True), a, order=1)
    # closed form for L L^T = A: d(L L^H) = dA for a Hermitian dA
    u = wc(*s, cplx=cplx)
    u = u + np.conj(u.mT)
    l, dl = dd.jvp(np.linalg.cholesky, (a,), (u,))
    np.testing.assert_allclose(dl @ np.conj(l.mT) + l @ np.conj(dl.mT), u, atol=1e-12)
    assert not np.any(np.triu(dl, 1))


def test_cholesky_reads_the_lower_triangle():
    a = spd(3, 3) + np.triu(wc(3, 3), 1)
    g = dd.grad(lambda a: np.sum(np.linalg.cholesky(a)))(a)
    assert not np.any(np.triu(g, 1))
    g = dd.grad(lambda a: np.sum(np.linalg.cholesky(a, upper=True)))(a.T)
    assert not np.any(np.tril(g, -1))


@pytest.mark.parametrize("m, n, lead, cplx", [(3, 3, (), False), (5, 3, (), False),
                                              (3, 5, (), False), (4, 3, (2,), False),
                                              (4, 3, (), True), (2, 3, (), True)])
def test_qr(m, n, lead, cplx):
    a = wc(*lead, m, n, cplx=cplx)
    q, r = value(lambda a: np.linalg.qr(a), a)
    q0, r0 = np.linalg.qr(a)
    np.testing.assert_allclose(q, q0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r, r0, rtol=1e-12, atol=1e-14)
    dd.check_rule(lambda a: np.linalg.qr(a), a, order=1 if cplx else 2)
    dd.check_rule(lambda a: np.linalg.qr(a, mode="r"), a, order=1)
    if m <= n:
        dd.check_rule(lambda a: np.linalg.qr(a, mode="complete"), a, order=1)


def test_qr_refusals():
    d = dd.Dual(wc(4, 3), np.ones((4, 3)))
    with pytest.raises(ValueError, match="mode='reduced'"):
        np.linalg.qr(d, mode="complete")
    with pytest.raises(TypeError, match="raw"):
        np.linalg.qr(d, mode="raw")
    with pytest.raises(ValueError, match="Unrecognized mode"):
        np.linalg.qr(d, mode="nope")


@pytest.mark.parametrize("s, cplx", [((4, 3), False), ((3, 5), False), ((2, 4, 3), False),
                                     ((3, 3), False), ((4, 2), True)])
def test_pinv(s, cplx):
    a = wc(*s, cplx=cplx)
    np.testing.assert_allclose(value(np.linalg.pinv, a), np.linalg.pinv(a), rtol=1e-12)
    dd.check_rule(np.linalg.pinv, a, order=1 if cplx else 2)
    if s[-1] == s[-2]:
        u = wc(*s)
        np.testing.assert_allclose(dd.jvp(np.linalg.pinv, (a,), (u,))[1],
                                   dd.jvp(np.linalg.inv, (a,), (u,))[1], rtol=1e-10)


@pytest.mark.parametrize("sb", [(5,), (5, 2)])
def test_lstsq(sb):
    a, b = wc(5, 3), wc(*sb)
    x, res, rank, s = value(lambda a, b: np.linalg.lstsq(a, b), a, b)
    x0, res0, rank0, s0 = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, x0, rtol=1e-12)
    np.testing.assert_allclose(res, res0, rtol=1e-11)
    assert rank == rank0
    np.testing.assert_allclose(s, s0, rtol=1e-13)
    dd.check_rule(lambda a, b: np.linalg.lstsq(a, b)[0], a, b)
    dd.check_rule(lambda a, b: np.linalg.lstsq(a, b)[1], a, b)
    # the normal equations: A^T (A x - b) = 0 along the derivative too
    ua, ub = wc(5, 3), wc(*sb)
    x, dx = dd.jvp(lambda a, b: np.linalg.lstsq(a, b)[0], (a, b), (ua, ub))
    lhs = ua.T @ (a @ x - b) + a.T @ (ua @ x + a @ dx - ub)
    np.testing.assert_allclose(lhs, 0, atol=1e-12)


def test_lstsq_underdetermined_and_rank_deficient():
    a, b = wc(2, 4), wc(2)
    dd.check_rule(lambda a, b: np.linalg.lstsq(a, b)[0], a, b)
    with pytest.raises(ValueError, match="rank"):
        np.linalg.lstsq(dd.Dual(np.ones((3, 2)), np.ones((3, 2))), np.ones(3))


# --- norms -------------------------------------------------------------------------------

VECTOR_ORDS = [None, 1, 2, 3, 4, 0.5, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("o", VECTOR_ORDS)
@pytest.mark.parametrize("cplx", [False, True])
def test_vector_norms(o, cplx):
    x = spread(5, cplx=cplx)
    f = lambda x: np.linalg.norm(x, o)  # noqa: E731
    np.testing.assert_allclose(value(f, x), np.linalg.norm(x, o), rtol=1e-13)
    dd.check_rule(f, x)
    y = spread(3, 4, 2, cplx=cplx)
    for axis, keepdims in ((0, False), (-1, True), (1, True)):
        g = lambda y, axis=axis, keepdims=keepdims: np.linalg.norm(  # noqa: E731
            y, o, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(value(g, y), np.linalg.norm(y, o, axis, keepdims),
                                   rtol=1e-13)
        dd.check_rule(g, y, order=1)


@pytest.mark.parametrize("o", MATRIX_ORDS)
def test_matrix_norms(o):
    x = distinct_svd(4, 3) + 0.01
    f = lambda x: np.linalg.norm(x, o)  # noqa: E731
    np.testing.assert_allclose(value(f, x), np.linalg.norm(x, o), rtol=1e-13)
    dd.check_rule(f, x)
    y = np.moveaxis(np.stack([distinct_svd(4, 3), distinct_svd(4, 3)]), 0, 1)  # (4, 2, 3)
    for axis, keepdims in (((2, 0), True), ((0, 2), False), ((-1, 0), True)):
        g = lambda y, axis=axis, keepdims=keepdims: np.linalg.norm(  # noqa: E731
            y, o, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(value(g, y), np.linalg.norm(y, o, axis, keepdims),
                                   rtol=1e-13)
        dd.check_rule(g, y, order=1)
    c = distinct_svd(3, 3, cplx=True)
    np.testing.assert_allclose(value(f, c), np.linalg.norm(c, o), rtol=1e-13)
    dd.check_rule(f, c, order=1)


def test_norm_of_any_rank_flattened_and_keepdims():
    x = wc(2, 3, 4)
    np.testing.assert_allclose(value(np.linalg.norm, x), np.linalg.norm(x), rtol=1e-14)
    np.testing.assert_allclose(value(lambda x: np.linalg.norm(x, keepdims=True), x),
                               np.linalg.norm(x, keepdims=True), rtol=1e-14)
    dd.check_rule(lambda x: np.linalg.norm(x, keepdims=True), x)


def test_norm_at_zero_has_gradient_zero_and_ord_0_counts():
    for o in (None, 1, 2, 3, np.inf):
        g = dd.grad(lambda x, o=o: np.linalg.norm(x, o))(np.zeros(3))
        np.testing.assert_array_equal(g, 0)
    x = np.array([0.0, 2.0, -1.0])
    assert value(lambda x: np.linalg.norm(x, 0), x) == 2
    np.testing.assert_array_equal(dd.grad(lambda x: np.linalg.norm(x, 0))(x), 0)


def test_norm_errors_are_numpys():
    d = dd.Dual(wc(3, 3), np.ones((3, 3)))
    for kw, msg in (({"ord": 3}, "Invalid norm order for matrices"),
                    ({"ord": "fro", "axis": 0}, "Invalid norm order 'fro' for vectors"),
                    ({"axis": (0, 0)}, "Duplicate axes"),
                    ({"ord": 1, "axis": (0, 1, 1)}, "Improper number of dimensions")):
        with pytest.raises(ValueError, match=msg):
            np.linalg.norm(d, **kw)
        with pytest.raises(ValueError, match=msg):
            np.linalg.norm(d.primal, **kw)
    with pytest.raises(ValueError, match="Improper number"):
        np.linalg.norm(dd.Dual(np.ones((2, 2, 2)), np.ones((2, 2, 2))), 1)


@pytest.mark.parametrize("o", [2, 1, np.inf, -np.inf, 3])
def test_vector_norm_and_matrix_norm(o):
    x = spread(3, 2, 4)
    cases = ((None, False), (None, True), ((0, 2), False), ((2, 0), True), (1, False))
    for axis, keepdims in cases:
        f = lambda x, axis=axis, keepdims=keepdims: np.linalg.vector_norm(  # noqa: E731
            x, axis=axis, keepdims=keepdims, ord=o)
        np.testing.assert_allclose(value(f, x),
                                   np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=o),
                                   rtol=1e-13)
        dd.check_rule(f, x, order=1)
    mo = {3: "nuc"}.get(o, o)
    y = np.stack([distinct_svd(3, 4), distinct_svd(3, 4)])
    for keepdims in (False, True):
        g = lambda y, keepdims=keepdims: np.linalg.matrix_norm(  # noqa: E731
            y, keepdims=keepdims, ord=mo)
        np.testing.assert_allclose(value(g, y),
                                   np.linalg.matrix_norm(y, keepdims=keepdims, ord=mo),
                                   rtol=1e-13)
        dd.check_rule(g, y, order=1)


def test_vecdot_and_matrix_transpose():
    a, b = wc(2, 3, cplx=True), wc(3, cplx=True)
    np.testing.assert_allclose(value(np.linalg.vecdot, a, b), np.linalg.vecdot(a, b), rtol=1e-14)
    dd.check_rule(np.linalg.vecdot, a, b)
    dd.check_rule(np.linalg.matrix_transpose, wc(2, 3, 4))
    dd.check_rule(lambda x: np.linalg.vecdot(x, x, axis=0), wc(3, 2))


# --- float32 -----------------------------------------------------------------------------


@pytest.mark.parametrize("name, f, make", [
    ("solve", lambda d: np.linalg.solve(d, np.ones(3, np.float32)), lambda: wc(3, 3)),
    ("det", np.linalg.det, lambda: wc(2, 3, 3)),
    ("inv", np.linalg.inv, lambda: wc(3, 3)),
    ("slogdet", lambda d: np.linalg.slogdet(d)[1], lambda: wc(3, 3)),
    ("eigh", lambda d: np.linalg.eigh(d)[1], lambda: spd(3, 3)),
    ("eigvalsh", np.linalg.eigvalsh, lambda: spd(3, 3)),
    ("svd", lambda d: np.linalg.svd(d, full_matrices=False)[0], lambda: distinct_svd(4, 3)),
    ("svdvals", np.linalg.svdvals, lambda: distinct_svd(4, 3)),
    ("cholesky", np.linalg.cholesky, lambda: spd(3, 3)),
    ("qr", lambda d: np.linalg.qr(d)[0], lambda: wc(4, 3)),
    ("pinv", np.linalg.pinv, lambda: wc(4, 3)),
    ("norm nuc", lambda d: np.linalg.norm(d, "nuc"), lambda: distinct_svd(3, 3)),
    ("norm 3", lambda d: np.linalg.norm(d, 3, axis=0), lambda: wc(3, 2)),
])
def test_float32_stays_float32(name, f, make):
    a = make()
    out = f(f32_dual(a))
    assert out.primal.dtype == np.float32, name
    assert out.tangent.dtype == np.float32, name
    # float32 rounding (eps 1.2e-7) times the condition of these small matrices
    ref = dd.jvp(f, (a,), (a,))[1]
    np.testing.assert_allclose(out.tangent, ref, rtol=1e-4, atol=1e-4)


def test_readme_lists_every_registered_linalg_function():
    from pathlib import Path

    from dualdiff.registry import FUNCTIONS, PRIMAL_FUNCTIONS

    text = Path(__file__).parent.parent.joinpath("README.md").read_text()
    section = text.split("- **Linear algebra**")[1].split("\n- **")[0]
    names = {f.__name__ for f in set(FUNCTIONS) | PRIMAL_FUNCTIONS
             if getattr(f, "__module__", "").startswith("numpy.linalg")}
    missing = sorted(n for n in names if f"`{n}`" not in section)
    assert not missing, f"README's linear algebra list lacks {missing}"


# --- the array-API names, cond, tensorinv, tensorsolve --------------------------------------


@pytest.mark.parametrize("name, f, args", [
    ("diagonal", lambda x: np.linalg.diagonal(x), (wc(2, 3, 4),)),
    ("diagonal offset", lambda x: np.linalg.diagonal(x, offset=1), (wc(2, 3, 4),)),
    ("diagonal -offset", lambda x: np.linalg.diagonal(x, offset=-2), (wc(4, 3),)),
    ("trace", lambda x: np.linalg.trace(x), (wc(2, 3, 3),)),
    ("trace offset", lambda x: np.linalg.trace(x, offset=-1), (wc(3, 4),)),
    ("outer", np.linalg.outer, (wc(3), wc(2))),
    ("cross", np.linalg.cross, (wc(2, 3), wc(3))),
    ("cross axis", lambda a, b: np.linalg.cross(a, b, axis=0), (wc(3, 2), wc(3, 2))),
    ("tensordot", lambda a, b: np.linalg.tensordot(a, b, axes=1), (wc(2, 3), wc(3, 4))),
    ("cond", np.linalg.cond, (distinct_svd(3, 3),)),
    ("cond -2", lambda x: np.linalg.cond(x, -2), (distinct_svd(4, 3),)),
    ("cond fro", lambda x: np.linalg.cond(x, "fro"), (wc(2, 3, 3),)),
    ("cond 1", lambda x: np.linalg.cond(x, 1), (wc(3, 3),)),
    ("tensorinv", lambda x: np.linalg.tensorinv(x, ind=1), (wc(6, 6).reshape(6, 2, 3),)),
    ("tensorsolve", np.linalg.tensorsolve, (wc(6, 6).reshape(2, 3, 6), wc(2, 3))),
    ("tensorsolve axes", lambda a, b: np.linalg.tensorsolve(a, b, axes=(0,)),
     (np.moveaxis(wc(6, 6).reshape(2, 3, 6), -1, 0), wc(2, 3))),
    ("vecdot ufunc", np.vecdot, (wc(2, 3, cplx=True), wc(3, cplx=True))),
    ("matvec", np.matvec, (wc(2, 3, 4), wc(4))),
    ("vecmat", np.vecmat, (wc(3, cplx=True), wc(2, 3, 4, cplx=True))),
])
def test_more_linalg_names(name, f, args):
    np.testing.assert_allclose(value(f, *args), f(*args), rtol=1e-12)
    dd.check_rule(f, *args, order=1 if np.iscomplexobj(args[0]) else 2)


# --- random stacks -------------------------------------------------------------------------


@st.composite
def solve_shapes(draw):
    n, p = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stack = draw(st.lists(st.integers(1, 3), max_size=2))

    def lead():
        kept = stack[len(stack) - draw(st.integers(0, len(stack))):]
        return tuple(draw(st.sampled_from([1, s])) for s in kept)

    sb = (n,) if draw(st.booleans()) else lead() + (n, p)
    return lead() + (n, n), sb


@settings(max_examples=30, deadline=None)
@given(solve_shapes(), st.integers(0, 2**32 - 1))
def test_random_stacks_solve_det_inv(shapes, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(sa) + 4 * np.eye(sa[-1])  # condition number below about 4
    b = rng.standard_normal(sb)
    np.testing.assert_allclose(value(np.linalg.solve, a, b), np.linalg.solve(a, b), rtol=1e-12)
    dd.check_rule(np.linalg.solve, a, b, order=1)
    for f in (np.linalg.det, np.linalg.inv, lambda a: np.linalg.slogdet(a)[1]):
        dd.check_rule(f, a, order=1)


def test_numpys_errors_for_non_matrices():
    v = dd.Dual(np.ones(3), np.ones(3))
    m = dd.Dual(np.ones((2, 3)), np.ones((2, 3)))
    for f in (np.linalg.inv, np.linalg.det, np.linalg.eigh, np.linalg.eig, np.linalg.cholesky,
              np.linalg.slogdet, np.linalg.eigvals, np.linalg.eigvalsh):
        with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
            f(v)
        with pytest.raises(np.linalg.LinAlgError, match="square"):
            f(m)
    for f in (np.linalg.svd, np.linalg.qr, np.linalg.pinv, np.linalg.svdvals):
        with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
            f(v)


@pytest.mark.parametrize("cplx", [False, True])
def test_svd_hermitian_is_numpys_eigh_based_one(cplx):
    a = spd(2, 3, 3, cplx=cplx) - 3.2 * np.eye(3)  # eigenvalues of both signs
    f = lambda a: tuple(np.linalg.svd(a, hermitian=True))  # noqa: E731
    for got, ref in zip(value(f, a), np.linalg.svd(a, hermitian=True)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    g = lambda a: np.linalg.svd(a, compute_uv=False, hermitian=True)  # noqa: E731
    np.testing.assert_allclose(value(g, a), g(a), rtol=1e-13)
    dd.check_rule(g, a, order=1)
    if not cplx:  # (complex: the eigenvectors' phase is a gauge, see the eigh test)
        dd.check_rule(f, a, order=1)


@pytest.mark.parametrize("name, f, make", [
    ("eigvalsh", lambda a: np.sum(np.linalg.eigvalsh(a) ** 3), lambda: spd(3, 3)),
    ("eigh", lambda a: np.sum(np.linalg.eigh(a)[1][:, 0] ** 2 * np.arange(3.0)), lambda: spd(3, 3)),
    ("eig", lambda a: np.sum(np.linalg.eig(a)[1] ** 3), lambda: _real_spectrum(3, 3)),
    ("svd", lambda a: np.sum(np.linalg.svd(a, full_matrices=False)[0] ** 3),
     lambda: distinct_svd(4, 3)),
    ("cholesky", lambda a: np.sum(np.linalg.cholesky(a) ** 3), lambda: spd(3, 3)),
    ("qr", lambda a: np.sum(np.linalg.qr(a)[1] ** 3), lambda: wc(4, 3)),
    ("pinv", lambda a: np.sum(np.linalg.pinv(a) ** 3), lambda: wc(4, 3)),
    ("slogdet", lambda a: np.linalg.slogdet(a)[1], lambda: wc(3, 3)),
    ("nuc", lambda a: np.linalg.norm(a, "nuc"), lambda: distinct_svd(4, 3)),
])
def test_hessians_forward_over_reverse_and_reverse_over_reverse(name, f, make):
    # the vjp of a decomposition is its jvp run on a tape of its own: under a Dual (hessian),
    # and on an outer tape (grad of grad), it must give forward-over-forward's numbers
    a = make()
    ref = dd.jacobian(dd.jacobian(f))(a)
    np.testing.assert_allclose(dd.hessian(f)(a), ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
    w = wc(*a.shape)
    hw = dd.grad(lambda y: np.sum(dd.grad(f)(y) * w))(a)
    expected = np.einsum("ijkl,kl->ij", ref, w)
    np.testing.assert_allclose(hw, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def _hpd(*s):
    return spd(*s, cplx=True)


@pytest.mark.parametrize("name, f, makes", [
    ("cross", np.cross, [lambda: wc(4, 3, cplx=True), lambda: wc(3, cplx=True)]),
    ("kron", np.kron, [lambda: wc(2, 3, cplx=True), lambda: wc(2, cplx=True)]),
    ("tensordot", lambda a, b: np.tensordot(a, b, axes=([0], [1])),
     [lambda: wc(3, 2, cplx=True), lambda: wc(4, 3, cplx=True)]),
    ("dot", np.dot, [lambda: wc(2, 3, 4, cplx=True), lambda: wc(4, 2, cplx=True)]),
    ("inner", np.inner, [lambda: wc(2, 3, 4, cplx=True), lambda: wc(5, 4, cplx=True)]),
    ("einsum real and complex", lambda a, b: np.einsum("ij,j->i", a, b),
     [lambda: wc(3, 4, cplx=True), lambda: wc(4)]),
    ("lstsq", lambda a, b: np.linalg.lstsq(a, b)[0],
     [lambda: wc(5, 3, cplx=True), lambda: wc(5, cplx=True)]),
    ("pinv stack", np.linalg.pinv, [lambda: wc(2, 4, 3, cplx=True)]),
    ("matrix_power", lambda a: np.linalg.matrix_power(a, -2), [lambda: wc(3, 3, cplx=True)]),
    ("multi_dot", lambda a, b: np.linalg.multi_dot([a, b, a.T]),
     [lambda: wc(2, 3, cplx=True), lambda: wc(3, 3, cplx=True)]),
    ("norm 3", lambda x: np.linalg.norm(x, 3), [lambda: spread(5, cplx=True)]),
    ("cond", np.linalg.cond, [lambda: distinct_svd(3, 3, cplx=True)]),
    ("eigvals stack", np.linalg.eigvals, [lambda: wc(2, 3, 3, cplx=True)]),
    ("qr stack", lambda a: np.linalg.qr(a)[1], [lambda: wc(2, 4, 3, cplx=True)]),
    ("cholesky stack", np.linalg.cholesky, [lambda: _hpd(2, 3, 3)]),
])
def test_complex_inputs(name, f, makes):
    args = [m() for m in makes]
    np.testing.assert_allclose(value(f, *args), f(*args), rtol=1e-12)
    dd.check_rule(f, *args, order=1)
