"""Regressions found by running other projects' test suites through an adapter (hunter)."""

import numpy as np
import pytest

import dualdiff as dd


@pytest.mark.parametrize("index", [
    (3, slice(2, None), [1, 3]),          # an integer and an array separated by a slice
    ([0, 2], slice(None), [1, 3]),        # two arrays separated by a slice
    ([[0], [2]], slice(None), [1, 3]),    # broadcast arrays separated by a slice
    (1, Ellipsis, [[1, 3]]),
])
def test_batched_tangents_through_separated_advanced_indices(index):
    # NumPy moves the advanced axes first here; the batch axis must stay in front
    a = np.random.default_rng(0).standard_normal((5, 6, 4))
    f = lambda x: x[index]
    dd.check_rule(f, a)
    u = np.random.default_rng(1).standard_normal((2, 5, 6, 4))
    t = dd.jvp(f, (a,), (u,))[1]
    np.testing.assert_array_equal(t, np.stack([a_[index] for a_ in u]))
    np.testing.assert_array_equal(dd.jacobian(f)(a), dd.jacobian(f, chunk_size=1)(a))


def test_batched_setitem_through_separated_advanced_indices():
    def f(x):
        y = x * 1.0
        y[3, 2:, [1, 3]] = x[0, :4, [0, 1]] * 2
        return y
    dd.check_rule(f, np.random.default_rng(0).standard_normal((5, 6, 4)))


@pytest.mark.parametrize(("source", "destination"), [
    ([0, 1], [-1, 0]), ((0, 1, 2), (2, 0, 1)), ([2, 0], [0, 1]), (0, 2),
])
def test_moveaxis_takes_sequences_of_axes(source, destination):
    # it raised "too many values to unpack" for sequences
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    f = lambda x: np.moveaxis(x, source, destination)
    np.testing.assert_array_equal(dd.jvp(f, (a,), (a,))[1], np.moveaxis(a, source, destination))
    dd.check_rule(f, a)


def test_moveaxis_refuses_what_numpy_refuses():
    a = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="same number of elements"):
        dd.jvp(lambda x: np.moveaxis(x, [0, 1], [0]), (a,), (a,))
    with pytest.raises(ValueError, match="repeated axis"):
        dd.jvp(lambda x: np.moveaxis(x, [0, 0], [1, 2]), (a,), (a,))


def test_column_stack_of_scalars():
    # np.column_stack(v) of a 1-d v stacks its scalars (1, n); it raised IndexError
    v = np.array([0.5, -1.0, 2.0])
    f = lambda x: np.column_stack(x)
    np.testing.assert_array_equal(dd.jvp(f, (v,), (v,))[1], np.column_stack(v))
    dd.check_rule(f, v)
    dd.check_rule(lambda x, y: np.column_stack([x, y]), v, np.ones((3, 2)))


def _assign(index, rhs):
    def f(x):
        y = x * 1.0
        y[index] = rhs(x)
        return y
    return f


@pytest.mark.parametrize(("index", "rhs"), [
    ([0, 2, 0], lambda x: x[3]),                       # a scalar into a repeated place
    ([0, 2, 0], lambda x: x[1:] ** 2),                 # only the last write to 0 lands
    (([0, 0], ), lambda x: x[[0, 0]] + x[3]),          # y[[0, 0]] += x[3]
])
def test_reverse_mode_of_assignment_to_repeated_indices(index, rhs):
    # the tape pulled the cotangent back into every write, also the overwritten ones
    x = np.array([0.3, -1.2, 0.7, 2.0])
    f = _assign(index, rhs)
    w = np.arange(1.0, 5.0)
    s = lambda x: np.sum(w * f(x))
    np.testing.assert_allclose(dd.grad(s)(x), dd.jacobian(s)(x), rtol=0, atol=1e-15)
    dd.check_rule(f, x)


def test_reverse_mode_of_assignment_to_repeated_indices_exact():
    f = _assign([0, 2, 0], lambda x: x[3])
    s = lambda x: np.sum(np.arange(1.0, 5.0) * f(x))  # = x1 * 2 + x3 * (1 + 3 + 4)
    assert dd.grad(s)(np.ones(4)).tolist() == [0.0, 2.0, 0.0, 8.0]


def test_reverse_mode_of_assignment_to_repeated_places_2d():
    a = np.random.default_rng(0).standard_normal((3, 4))
    dd.check_rule(_assign(([0, 0, 1], [1, 1, 2]), lambda x: x[2, :3] * 3), a)
    dd.check_rule(_assign(([[0], [0]], [1, 1]), lambda x: x[2, :2]), a)
    dd.check_rule(_assign((1, [0, 0, 3]), lambda x: x[2, :3]), a)


def test_second_derivative_of_gamma_at_a_complex_point_is_refused_clearly():
    # SciPy has no complex polygamma; its error named the internal ufunc '_zeta'
    sp = pytest.importorskip("scipy.special")
    z = 1 + 0.5j
    assert abs(dd.derivative(sp.loggamma)(z) - sp.digamma(z)) < 1e-15
    for f in (sp.gamma, sp.loggamma, sp.digamma):
        with pytest.raises(TypeError, match="polygamma has no complex version"):
            dd.derivative(dd.derivative(f))(z)
    assert abs(dd.derivative(sp.digamma)(2.0) - np.pi ** 2 / 6 + 1) < 1e-15


def test_jit_of_a_gradient_through_tied_sort():
    # the tie groups' sums were scattered by assignment, not added, when dd.jit staged the
    # group ids (not an np.ndarray): jit(grad) gave [0.3, 1, 1] against grad's [0.3, 0.4, 0.4]
    w = np.array([0.3, -1.2, 2.0])
    s = lambda x: np.sum(w * np.sort(x))
    x = np.array([1.0, 2.0, 2.0])
    g = dd.jit(dd.grad(s))
    np.testing.assert_allclose(g(x), [0.3, 0.4, 0.4], rtol=1e-15)
    np.testing.assert_allclose(g(x), dd.grad(s)(x), rtol=1e-15)
    np.testing.assert_allclose(dd.jit(lambda x: dd.jacobian(np.sort)(x))(x),
                               dd.jacobian(np.sort)(x), rtol=1e-15)


def test_jit_of_a_gradient_through_assignment_to_repeated_indices():
    w = np.arange(1.0, 5.0)

    def s(x):
        y = x * 1.0
        y[np.argsort(x)[:2]] = x[[3, 3]] ** 2
        return np.sum(w * y)
    g = dd.jit(dd.grad(s))
    for x in (np.array([0.3, -1.2, 0.7, 2.0]), np.array([-0.3, 1.2, -0.7, 2.0])):
        np.testing.assert_allclose(g(x), dd.grad(s)(x), rtol=1e-15)
        np.testing.assert_allclose(g(x), dd.jacobian(s)(x), rtol=1e-15)


@pytest.mark.parametrize("f", [
    lambda a: np.sum(np.linalg.det(a)),                 # its adjoint takes an SVD (a tuple)
    lambda a: np.sum(np.linalg.qr(a)[1] ** 2),
    lambda a: np.sum(np.linalg.eigh(a + np.swapaxes(a, -1, -2))[0] ** 3),
    lambda a: np.sum(np.split(a, 3, axis=-1)[1] ** 2),
])
def test_jit_of_gradients_through_functions_of_tuples(f):
    # dd.jit's constant folding asked np.ndim of a whole tuple on its getitem: ValueError
    a = np.random.default_rng(0).standard_normal((2, 3, 3)) + 2 * np.eye(3)
    np.testing.assert_allclose(dd.jit(dd.grad(f))(a), dd.grad(f)(a), rtol=1e-13, atol=1e-14)


# (check_rule's complex step: np.cov casts complex aweights to real, and says so)
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("kw", [{}, {"ddof": 0}, {"ddof": 2},
                                {"fweights": np.array([1, 2, 1, 1, 3])}])
def test_cov_derivative_in_aweights(kw):
    # aweights were stripped (taken as constants): the derivative in them came back as 0
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 5)), rng.uniform(0.5, 2.0, 5)
    f = lambda w: np.cov(x, aweights=w, **kw)
    h = 1e-6
    fd = np.stack([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(5)], axis=-1)
    np.testing.assert_allclose(dd.jacobian(f)(w), fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(f(w), np.cov(x, aweights=w, **kw), rtol=1e-14)
    dd.check_rule(lambda x, w: np.cov(x, aweights=w, **kw), x, w)


def test_check_rule_catches_a_wrong_rule_whose_complex_step_is_refused():
    # the complex step's own step (1e-100) overwrote the five-point difference's, so the
    # forward check's floor was ~1e93: any jvp passed when the complex step was not usable
    wrong = dd.primitive(np.sin, partials=[lambda x, out: np.cos(x) * 1.0001])
    with pytest.raises(AssertionError, match="forward mode"):
        dd.check_rule(wrong, np.array([0.3, 1.0]))
    wrong_abs = dd.primitive(np.abs, partials=[lambda x, out: 1.01 * np.sign(x)])
    with pytest.raises(AssertionError, match="forward mode"):
        dd.check_rule(wrong_abs, np.array([0.3, -1.0]))


def test_check_rule_in_float32_and_float16():
    x = np.random.default_rng(0).uniform(0.2, 0.9, (2, 3))
    for dtype in (np.float32, np.float16):
        for f in (np.sin, np.exp, np.log, np.tanh, np.sqrt, np.arcsin):
            dd.check_rule(f, x.astype(dtype))
    dd.check_rule(np.sin, np.float32(0.5))
    dd.check_rule(np.linalg.inv, (3 * np.eye(3) + 0.1).astype(np.float32))


def test_check_rule_tries_smaller_steps_near_a_reordering():
    # eigenvalues of complex matrices come back in LAPACK's order, which a step of 1e-3
    # can change; the derivative is right (it converges as h**2 at smaller steps)
    rng = np.random.default_rng(42)
    a = rng.standard_normal((5, 8, 8)) + 1j * rng.standard_normal((5, 8, 8))
    dd.check_rule(lambda x: (np.linalg.eig(x)[0], np.abs(np.linalg.eig(x)[1])), a, order=1)


@pytest.mark.parametrize("f", [
    lambda a, b: np.append([a, 2.0, 3.0], b),
    lambda a, b: np.where([True, False], [a, b], b),
    lambda a, b: np.hstack([[a], b]),
    lambda a, b: np.insert(b * np.ones(3), 1, [a, b]),
    lambda a, b: np.stack([[a, 2.0], [b, b]]),
    lambda a, b: np.block([[a, b]]),
])
def test_a_list_holding_scalar_duals_is_differentiated(f):
    # np.append([a, 2.0], b) with b a Dual: the list became an object array taken for a
    # constant, so the value held a Dual and the derivative in a was 0
    y, t = dd.jvp(f, (1.0, 4.0), (1.0, 0.0))
    assert np.asarray(y).dtype == float
    np.testing.assert_array_equal(y, f(1.0, 4.0))
    np.testing.assert_array_equal(t, f(2.0, 4.0) - f(1.0, 4.0))  # linear in a
    dd.check_rule(f, 1.0, 4.0)


def test_eigh_upper_returns_numpys_eigenvectors_and_their_derivative():
    # eigh(a, "U") ran LAPACK with "L" on the symmetrised matrix: eigenvectors of other
    # signs than NumPy's, so the derivative was not that of np.linalg.eigh(a, "U")
    rng = np.random.default_rng(42)
    a, u = rng.standard_normal((2, 6, 6)), rng.standard_normal((2, 6, 6))
    for uplo in ("L", "U"):
        f = lambda m: np.linalg.eigh(m, uplo)[1]  # noqa: B023
        y, t = dd.jvp(f, (a,), (u,))
        np.testing.assert_array_equal(y, f(a))
        h = 1e-6
        np.testing.assert_allclose(t, (f(a + h * u) - f(a - h * u)) / (2 * h), atol=1e-7)
    dd.check_rule(lambda m: np.linalg.eigh(m, "U"), a[0])


@pytest.mark.parametrize("f", [
    lambda x: np.reshape(x, (4, 6), order="F"),
    lambda x: np.reshape(x, (-1, 3), order="F"),
    lambda x: np.reshape(x, shape=(24,), order="F"),
    lambda x: np.ravel(x, "F"),
    lambda x: np.ravel(x, order="C"),
])
def test_reshape_and_ravel_in_fortran_order(f):
    # order= was refused ("unexpected keyword argument")
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    y, t = dd.jvp(f, (a,), (a,))
    np.testing.assert_array_equal(y, f(a))
    np.testing.assert_array_equal(t, f(a))
    dd.check_rule(f, a)


def test_ravel_in_memory_order_is_refused():
    with pytest.raises(TypeError, match="order='K'"):
        dd.jvp(lambda x: np.ravel(x, "K"), (np.ones(3),), (np.ones(3),))
