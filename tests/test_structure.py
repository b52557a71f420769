"""NumPy's structure functions (diagonals, triangles, tiling, padding, splitting, stacking,
in-place writes) in every mode.

Each function is affine in its array argument, so the exact, independent reference for the
directional derivative is NumPy itself: ``J u = f(u) - f(0)`` computed by NumPy on plain
arrays (``= f(u)`` when ``f`` is linear).  On top of that ``dd.check_rule`` checks reverse
against forward, a batch of tangents against separate passes, and second order.  Values and
tangents are compared at 1e-13 (only the sums of ``mean`` padding and of ``trace`` round;
every other function moves entries without arithmetic and matches exactly).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

rng = np.random.default_rng(7)
V = rng.standard_normal(4)
A = rng.standard_normal((3, 4))
T = rng.standard_normal((2, 3, 4))
C = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))

PAD = {
    f"pad {mode}": (lambda x, m=mode: np.pad(x, ((2, 5), (1, 3)), mode=m), A)
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap", "mean", "linear_ramp")
}

CASES = {
    "diag of a vector": (lambda x: np.diag(x), V),
    "diag k<0": (lambda x: np.diag(x, -2), V),
    "diag of a matrix": (lambda x: np.diag(x, 1), A),
    "diagonal axes": (lambda x: np.diagonal(x, 1, 2, 0), T),
    "diagonal offset past the end": (lambda x: np.diagonal(x, 7), A),
    "diagflat": (lambda x: np.diagflat(x, 1), A),
    "triu stack": (lambda x: np.triu(x, 1), T),
    "tril": (lambda x: np.tril(x, -1), A),
    "tril of 1-d": (lambda x: np.tril(x), V),
    "trace offset": (lambda x: np.trace(x, 1), A),
    "trace axes": (lambda x: np.trace(x, -1, 1, 2), T),
    "trace keywords": (lambda x: np.trace(x, offset=1, axis1=2, axis2=0), T),
    "tile more reps": (lambda x: np.tile(x, (2, 1, 2)), A),
    "tile int": (lambda x: np.tile(x, 2), V),
    "tile fewer reps": (lambda x: np.tile(x, 3), T),
    "repeat flat": (lambda x: np.repeat(x, 2), A),
    "repeat axis": (lambda x: np.repeat(x, [1, 0, 3], axis=0), A),
    "roll flat": (lambda x: np.roll(x, 2), A),
    "roll axes": (lambda x: np.roll(x, (1, -5), axis=(0, 1)), A),
    "roll same axis twice": (lambda x: np.roll(x, (1, 2), axis=(1, 1)), A),
    "flip": (lambda x: np.flip(x), T),
    "flip axis": (lambda x: np.flip(x, (0, 2)), T),
    "fliplr": (lambda x: np.fliplr(x), A),
    "flipud": (lambda x: np.flipud(x), A),
    "rot90": (lambda x: np.rot90(x), A),
    "rot90 k=3 axes": (lambda x: np.rot90(x, 3, axes=(2, 0)), T),
    "rot90 k=2": (lambda x: np.rot90(x, 2), A),
    "rot90 k=-4": (lambda x: np.rot90(x, -4), A),
    "append flat": (lambda x: np.append(x, [1.0, 2.0]), A),
    "append axis": (lambda x: np.append(x, x, axis=1), A),
    "insert constant": (lambda x: np.insert(x, 1, 5.0, axis=1), A),
    "insert several": (lambda x: np.insert(x, [0, 2, 2], x[0, :3]), A),
    "insert column": (lambda x: np.insert(x, 1, x[:, 0], axis=1), A),
    "insert broadcast": (lambda x: np.insert(x, slice(0, 2), x[0, :1], axis=0), A),
    "delete axis": (lambda x: np.delete(x, [0, 2], axis=1), A),
    "delete flat": (lambda x: np.delete(x, 3), A),
    "delete mask": (lambda x: np.delete(x, np.array([True, False, True]), axis=0), A),
    "split": (lambda x: np.split(x, 2, axis=1), A),
    "split at": (lambda x: np.split(x, [1, 3, 9], axis=1), A),
    "array_split": (lambda x: np.array_split(x, 3, axis=1), A),
    "hsplit": (lambda x: np.hsplit(x, 2), A),
    "hsplit 1-d": (lambda x: np.hsplit(x, 2), V),
    "vsplit": (lambda x: np.vsplit(x, 3), A),
    "dsplit": (lambda x: np.dsplit(x, [1]), T),
    "column_stack": (lambda x: np.column_stack([V, x[0], x[1]]), A),
    "dstack": (lambda x: np.dstack([x, x[::-1]]), A),
    "vstack": (lambda x: np.vstack([V, x]), A),
    "hstack 1-d": (lambda x: np.hstack([x, x[::-1]]), V),
    "block": (lambda x: np.block([[x, x[:, :1]], [np.ones((1, 4)), x[:1, :1]]]), A),
    "block 1-d": (lambda x: np.block([x, 1.0, x]), V),
    "block 3 levels": (lambda x: np.block([[[x]], [[x]]]), A),
    "atleast_3d": (lambda x: np.atleast_3d(x), V),
    "atleast_2d of 0-d": (lambda x: np.atleast_2d(x[0]), V),
    "atleast_1d several": (lambda x: np.atleast_1d(x[0], x), V),
    "broadcast_arrays": (lambda x: np.broadcast_arrays(x, V[:, None, None]), A),
    "swapaxes keywords": (lambda x: np.swapaxes(x, axis1=0, axis2=2), T),
    "rollaxis": (lambda x: np.rollaxis(x, 2, 1), T),
    "rollaxis start": (lambda x: np.rollaxis(x, 0, 3), T),
    "pad odd reflect": (lambda x: np.pad(x, ((2, 5), (1, 3)), "reflect", reflect_type="odd"), A),
    "pad odd symmetric": (lambda x: np.pad(x, ((9, 5), (1, 3)), "symmetric", reflect_type="odd"),
                          A),
    "pad wide wrap": (lambda x: np.pad(x, 7, mode="wrap"), A),
    "pad wide reflect": (lambda x: np.pad(x, ((8, 1), (0, 9)), mode="reflect"), A),
    "pad constant values": (lambda x: np.pad(x, 2, constant_values=(1, 2)), A),
    "pad ramp end values": (lambda x: np.pad(x, 2, mode="linear_ramp", end_values=(1, 2)), A),
    "pad mean stat_length": (lambda x: np.pad(x, 2, mode="mean", stat_length=((1, 2), (2, 3))),
                             A),
    "pad stack": (lambda x: np.pad(x, ((0, 0), (1, 1), (2, 0)), mode="edge"), T),
    "pad complex": (lambda x: np.pad(x, 1, mode="reflect"), C),
    "roll complex": (lambda x: np.roll(x, 1, axis=0), C),
    "diag complex": (lambda x: np.diag(x), C),
    **PAD,
}


def _flat(out):
    if isinstance(out, (list, tuple)):
        return np.concatenate([np.ravel(o) for o in out])
    return np.ravel(out)


def _quiet(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return f(*args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_tangent_against_numpy(name):
    f, x = CASES[name]
    u = rng.standard_normal(x.shape) + (1j * rng.standard_normal(x.shape) if x.dtype.kind == "c"
                                        else 0)
    y, t = dd.jvp(f, (x,), (u,))
    ref = f(x)
    assert type(y) is type(ref) or isinstance(ref, (list, tuple)) == isinstance(y, (list, tuple))
    np.testing.assert_allclose(_flat(y), _flat(ref), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(_flat(t), _flat(f(u)) - _flat(f(np.zeros_like(x))), rtol=1e-13,
                               atol=1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_rule(name):
    f, x = CASES[name]
    dd.check_rule(f, x)


def test_row_stack():
    if not hasattr(np, "row_stack"):
        pytest.skip("no np.row_stack in this NumPy")
    f = lambda x: _quiet(np.row_stack, [V, x])
    dd.check_rule(f, V)
    np.testing.assert_array_equal(dd.jvp(f, (V,), (V,))[1], np.vstack([0 * V, V]))


@pytest.mark.parametrize("f", [np.flip, np.atleast_3d, lambda x: np.tile(x, (2, 1)),
                               lambda x: np.repeat(x, 3), lambda x: np.roll(x, 1),
                               lambda x: np.block([[x, x]]), lambda x: np.insert(V, 1, x),
                               lambda x: np.append(x, V)])
def test_scalar_inputs(f):
    y, t = dd.jvp(f, (2.0,), (1.0,))
    np.testing.assert_array_equal(y, f(2.0))
    np.testing.assert_array_equal(t, f(1.0) - f(0.0))
    dd.check_rule(f, 2.0)


def test_split_returns_a_list_of_wrappers():
    pieces = np.split(dd.Dual(A, np.ones_like(A)), 2, axis=1)
    assert isinstance(pieces, list) and [type(p).__name__ for p in pieces] == ["Dual", "Dual"]
    y, t = dd.jvp(lambda x: np.split(x, [1], axis=0), (A,), (A,))
    assert [p.shape for p in y] == [p.shape for p in t] == [(1, 4), (2, 4)]


# --- pad over random widths and modes ------------------------------------------------------


@given(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap", "mean",
                        "linear_ramp"]),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=2, max_size=2),
       st.sampled_from(["even", "odd"]))
def test_pad_widths(mode, widths, reflect_type):
    kw = {"reflect_type": reflect_type} if mode in ("reflect", "symmetric") else {}
    f = lambda x: np.pad(x, widths, mode=mode, **kw)
    u = rng.standard_normal(A.shape)
    y, t = dd.jvp(f, (A,), (u,))
    np.testing.assert_allclose(y, f(A), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(t, f(u) - f(np.zeros_like(A)), rtol=1e-13, atol=1e-13)
    dd.check_rule(f, A, order=1)


@given(st.integers(-9, 9), st.integers(-2, 1))
def test_roll_shifts(shift, axis):
    f = lambda x: np.roll(x, shift, axis=axis)
    np.testing.assert_array_equal(dd.jvp(f, (T,), (T,))[1], f(T))
    np.testing.assert_array_equal(dd.vjp(f, T)[1](T), np.roll(T, -shift, axis=axis))


# --- writes into a Dual destination --------------------------------------------------------


def test_copyto_with_where():
    def f(x):
        d = np.ones_like(x)
        np.copyto(d, x ** 2, where=x > 1)
        return d

    x = np.array([0.5, 2.0, 3.0, -1.0])
    np.testing.assert_array_equal(dd.jacobian(f)(x), np.diag([0, 4.0, 6.0, 0]))
    dd.check_rule(f, x)
    np.testing.assert_array_equal(f(dd.Dual(x, np.zeros(4))).primal, [1, 4, 9, 1])


def test_copyto_broadcasts_and_checks():
    def f(x):
        d = np.zeros_like(np.ones((2, 3)) * x[0])
        np.copyto(d, x)
        return d

    dd.check_rule(f, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="zeros_like"):
        np.copyto(np.zeros(3), dd.Dual(np.ones(3), np.ones(3)))
    with pytest.raises(TypeError):  # NumPy's casting rule: complex into real
        np.copyto(dd.Dual(np.ones(3), np.ones(3)), np.ones(3) * 1j)
    with pytest.raises(ValueError):
        np.copyto(dd.Dual(np.ones(3), np.ones(3)), np.ones(2))


def test_put_along_axis_repeated_indices_last_write_wins():
    idx = np.array([[0, 0], [2, 1]])

    def f(x):
        d = np.zeros_like(x)
        np.put_along_axis(d, idx, x[:, :2] ** 2, axis=1)
        return d

    x = rng.standard_normal((2, 3))
    ref = np.zeros_like(x)
    np.put_along_axis(ref, idx, x[:, :2] ** 2, axis=1)
    np.testing.assert_array_equal(f(dd.Dual(x, np.ones_like(x))).primal, ref)
    dd.check_rule(f, x)
    # x[0, 0] is written, then overwritten by x[0, 1]: only the second write has a derivative
    assert dd.grad(lambda z: np.sum(f(z)))(x)[0, 0] == 0.0

    def flat(z):
        d = np.zeros_like(z)
        np.put_along_axis(d, np.array([4, 1, 4]), z[0] * 2, None)
        return d

    dd.check_rule(flat, x)
    ref = np.zeros_like(x)
    np.put_along_axis(ref, np.array([4, 1, 4]), x[0] * 2, None)
    np.testing.assert_array_equal(flat(dd.Dual(x, np.ones_like(x))).primal, ref)


def test_zeros_like_shape():
    d = dd.Dual(A, np.ones_like(A))
    for make in (np.zeros_like, np.ones_like, np.empty_like):
        z = make(d, shape=(2, 5))
        assert type(z) is dd.Dual and z.shape == (2, 5)
    z = np.full_like(d, 3.0, shape=(4,))
    assert z.shape == (4,) and np.all(z.primal == 3.0)

    def f(x):
        out = np.zeros_like(x, shape=(2,))
        out[0], out[1] = np.sum(x), x[0] * x[1]
        return out

    np.testing.assert_array_equal(dd.jacobian(f)(np.array([2.0, 5.0])), [[1, 1], [5, 2]])


# --- NumPy's errors -----------------------------------------------------------------------

ERRORS = [
    (lambda x: np.pad(x, 1, mode="maximum"), TypeError),
    (lambda x: np.pad(x, 1, mode="median"), TypeError),
    (lambda x: np.pad(x, 1, mode="empty"), TypeError),
    (lambda x: np.pad(x, 1, mode=lambda *a: None), TypeError),
    (lambda x: np.pad(x, 1, constant_values=x[0, 0]), TypeError),
    (lambda x: np.pad(x, -1), ValueError),
    (lambda x: np.pad(x, 1, mode="edge", end_values=2), ValueError),
    (lambda x: np.split(x, 3, axis=1), ValueError),
    (lambda x: np.array_split(x, 0), ValueError),
    (lambda x: np.diag(x[0, 0]), ValueError),
    (lambda x: np.diagonal(x, 0, 1, 1), ValueError),
    (lambda x: np.diagonal(x[0]), ValueError),
    (lambda x: np.trace(x, axis1=0, axis2=2), ValueError),
    (lambda x: np.rot90(x, axes=(0, 0)), ValueError),
    (lambda x: np.rot90(x, axes=(0, 1, 2)), ValueError),
    (lambda x: np.rot90(x, axes=(0, 5)), ValueError),
    (lambda x: np.fliplr(x[0]), ValueError),
    (lambda x: np.flipud(x[0, 0]), ValueError),
    (lambda x: np.hsplit(x[0, 0], 2), ValueError),
    (lambda x: np.vsplit(x[0], 2), ValueError),
    (lambda x: np.dsplit(x, 2), ValueError),
    (lambda x: np.block([[x], x]), ValueError),
    (lambda x: np.block([]), ValueError),
    (lambda x: np.block((x, x)), TypeError),
    (lambda x: np.tile(x, -1), ValueError),
    (lambda x: np.repeat(x, [1, 2]), ValueError),
    (lambda x: np.repeat(x, -1), ValueError),
    (lambda x: np.delete(x, 70), IndexError),
    (lambda x: np.insert(x, 70, 1.0), IndexError),
    (lambda x: np.rollaxis(x, 3), ValueError),
    (lambda x: np.flip(x, 2), ValueError),
    (lambda x: np.roll(x, 1, axis=2), ValueError),
    (lambda x: np.broadcast_arrays(x, np.ones(3)), ValueError),
    (lambda x: np.insert(x, 1, 1j), TypeError),
    (lambda x: np.put_along_axis(np.zeros_like(x), np.zeros((3, 1), int), 1j, axis=1), TypeError),
    (lambda x: np.put_along_axis(np.zeros((3, 4)), np.zeros((3, 1), int), x, axis=1), TypeError),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_numpy(k):
    f, error = ERRORS[k]
    if error is not TypeError:  # NumPy itself raises this for a plain array
        with pytest.raises(error):
            f(A)
    with pytest.raises(error):
        f(dd.Dual(A, np.ones_like(A)))


# --- float32 ------------------------------------------------------------------------------


def _dual32(x):
    """A float32 Dual built directly (the drivers promote their inputs to float64 today)."""
    from dualdiff.core import new_level  # noqa: PLC0415
    from dualdiff.dual import new_dual  # noqa: PLC0415

    x = x.astype(np.float32)
    return new_dual(x, x.copy(), new_level()), x


@pytest.mark.parametrize("name", ["diag of a vector", "diag of a matrix", "triu stack",
                                  "tile more reps", "pad mean", "pad linear_ramp",
                                  "pad odd reflect", "pad constant values", "pad reflect",
                                  "roll axes", "insert column", "flip axis", "repeat axis"])
def test_float32_kept(name):
    f, x = CASES[name]
    d, x32 = _dual32(x)
    y = f(d)
    assert y.primal.dtype == y.tangent.dtype == f(x32).dtype == np.float32
    np.testing.assert_allclose(y.primal, f(x32), rtol=1e-6)


# --- second order through the transposes (reverse over forward) ---------------------------

HVP = {
    "pad odd reflect": CASES["pad odd reflect"], "pad mean": CASES["pad mean"],
    "insert column": CASES["insert column"], "diag of a vector": CASES["diag of a vector"],
    "put_along_axis": (lambda x: _put(x), A), "tile more reps": CASES["tile more reps"],
    "rfft": (lambda x: np.imag(np.fft.rfft(x, 7, axis=0, norm="ortho")), A),
    "irfft": (lambda x: np.fft.irfft(x, 9), A),
    "hfft": (lambda x: np.fft.hfft(x, axis=0, norm="forward"), A),
}


def _put(x):
    d = np.zeros_like(x)
    np.put_along_axis(d, np.array([[0, 0, 3]]), x[:1, 1:], axis=1)
    return d


@pytest.mark.parametrize("name", sorted(HVP))
def test_hvp_against_the_dense_map(name):
    """For affine ``g``, ``F(x) = sum(c g(x)^2)`` has ``H v = 2 J^T (c J v)`` exactly; ``J`` is
    read off NumPy's ``g`` at unit vectors (``J e_j = g(e_j) - g(0)``)."""
    g, x = HVP[name]
    c = rng.uniform(0.5, 2.0, np.shape(g(x)))
    v = rng.standard_normal(x.shape)
    zero = g(np.zeros_like(x))
    jac = np.stack([np.ravel(g(e.reshape(x.shape)) - zero) for e in np.eye(x.size)], axis=1)
    ref = (2 * jac.T @ (np.ravel(c) * (jac @ np.ravel(v)))).reshape(x.shape)
    got = dd.hvp(lambda z: np.sum(c * g(z) ** 2), x, v)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.max(np.abs(ref)))
