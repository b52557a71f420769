"""``np.fft`` in every mode, for every ``norm``, on real and complex inputs, with ``n``/``s``
padding and truncation, on stacks (axes other than the last).

The transforms are linear, so two references are exact and independent of dualdiff's rules:
the tangent is NumPy's transform of the tangent, and the adjoint is the dense transpose built
from NumPy's transform of each unit vector, under the library's pairing
``<a, b> = Re sum(a b)``: for a complex input ``x_bar_j = <w, f(e_j)> - i <w, f(i e_j)>``, for
a real one the first term alone.  Tolerances are 1e-12 relative to the largest entry: both
sides are sums of a few dozen well-scaled terms.  ``dd.check_rule`` then checks forward
against the complex step or a five-point difference, reverse against forward, a batch of
tangents against separate passes, and second order.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd

rng = np.random.default_rng(3)
R = rng.standard_normal((3, 5))
C = rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))
S = rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))
NORMS = [None, "backward", "ortho", "forward"]

#: functions accepting real or complex input
BOTH = {
    "fft": lambda a, norm: np.fft.fft(a, norm=norm),
    "fft n pad axis 0": lambda a, norm: np.fft.fft(a, 7, axis=0, norm=norm),
    "fft n truncate": lambda a, norm: np.fft.fft(a, 3, norm=norm),
    "ifft": lambda a, norm: np.fft.ifft(a, norm=norm),
    "ifft n pad axis 0": lambda a, norm: np.fft.ifft(a, 7, axis=0, norm=norm),
    "fft2": lambda a, norm: np.fft.fft2(a, norm=norm),
    "fft2 s": lambda a, norm: np.fft.fft2(a, s=(2, 8), norm=norm),
    "ifft2 s": lambda a, norm: np.fft.ifft2(a, s=(4, 3), norm=norm),
    "fftn": lambda a, norm: np.fft.fftn(a, norm=norm),
    "fftn one axis": lambda a, norm: np.fft.fftn(a, axes=(0,), norm=norm),
    "fftn repeated axis": lambda a, norm: np.fft.fftn(a, s=(4, 6), axes=(1, 1), norm=norm),
    "ifftn s": lambda a, norm: np.fft.ifftn(a, s=(5, 2), axes=(0, 1), norm=norm),
    "irfft": lambda a, norm: np.fft.irfft(a, norm=norm),
    "irfft odd n": lambda a, norm: np.fft.irfft(a, 5, norm=norm),
    "irfft n pads the half": lambda a, norm: np.fft.irfft(a, 12, axis=0, norm=norm),
    "irfft n truncates the half": lambda a, norm: np.fft.irfft(a, 3, norm=norm),
    "irfft2": lambda a, norm: np.fft.irfft2(a, norm=norm),
    "irfftn s": lambda a, norm: np.fft.irfftn(a, s=(4, 5), axes=(0, 1), norm=norm),
    "hfft": lambda a, norm: np.fft.hfft(a, norm=norm),
    "hfft n axis 0": lambda a, norm: np.fft.hfft(a, 7, axis=0, norm=norm),
    "fftshift": lambda a, norm: np.fft.fftshift(a),
    "ifftshift axes": lambda a, norm: np.fft.ifftshift(a, axes=1),
    "fftshift axis 0": lambda a, norm: np.fft.fftshift(a, axes=0),
}

#: functions of a real signal
REAL = {
    "rfft": lambda a, norm: np.fft.rfft(a, norm=norm),
    "rfft n pad axis 0": lambda a, norm: np.fft.rfft(a, 8, axis=0, norm=norm),
    "rfft n truncate": lambda a, norm: np.fft.rfft(a, 3, norm=norm),
    "rfft2": lambda a, norm: np.fft.rfft2(a, norm=norm),
    "rfftn s": lambda a, norm: np.fft.rfftn(a, s=(5, 4), axes=(0, 1), norm=norm),
    "rfftn axes": lambda a, norm: np.fft.rfftn(a, axes=(1, 0), norm=norm),
    "ihfft": lambda a, norm: np.fft.ihfft(a, norm=norm),
    "ihfft n": lambda a, norm: np.fft.ihfft(a, 6, norm=norm),
}

CASES = [(name, norm, x) for name in BOTH for norm in NORMS for x in ("real", "complex")] + [
    (name, norm, "real") for name in REAL for norm in NORMS]
INPUTS = {"real": R, "complex": C}


def _f(name, norm):
    g = {**BOTH, **REAL}[name]
    return lambda a: g(a, norm)


def _dense_adjoint(f, x, w):
    """``J^T w`` from NumPy's ``f`` on unit vectors (real and imaginary for complex ``x``)."""
    out = np.zeros(x.shape, dtype=x.dtype)
    for j in np.ndindex(x.shape):
        e = np.zeros(x.shape, dtype=x.dtype)
        e[j] = 1
        out[j] = np.sum(np.real(w * f(e)))
        if x.dtype.kind == "c":
            out[j] -= 1j * np.sum(np.real(w * f(1j * e)))
    return out


@pytest.mark.parametrize(("name", "norm", "kind"), CASES)
def test_against_numpy(name, norm, kind):
    f, x = _f(name, norm), INPUTS[kind]
    u = rng.standard_normal(x.shape) + (1j * rng.standard_normal(x.shape) if kind == "complex"
                                        else 0)
    y, t = dd.jvp(f, (x,), (u,))
    scale = np.max(np.abs(f(x)))
    np.testing.assert_allclose(y, f(x), rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(t, f(u), rtol=0, atol=1e-12 * np.max(np.abs(f(u))))
    w = rng.standard_normal(np.shape(y)) + 1j * rng.standard_normal(np.shape(y))
    if np.isrealobj(y):
        w = w.real
    grad = dd.grad(lambda z: np.sum(np.real(w * f(z))))(x)
    ref = _dense_adjoint(f, x, w)
    assert np.iscomplexobj(grad) == (kind == "complex")  # the adjoint of a real input is real
    np.testing.assert_allclose(grad, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


@pytest.mark.parametrize(("name", "norm", "kind"), CASES)
def test_check_rule(name, norm, kind):
    dd.check_rule(_f(name, norm), INPUTS[kind])


@pytest.mark.parametrize("axes", [(0,), (1,), (0, 2), (2, 0, 1), None])
@pytest.mark.parametrize("fn", ["fftn", "ifftn", "irfftn", "hfft", "fftshift"])
def test_stacks(fn, axes):
    if fn == "hfft":
        f = lambda a: np.fft.hfft(a, axis=axes[0] if axes else -1, norm="ortho")
    elif fn == "fftshift":
        f = lambda a: np.fft.fftshift(a, axes=axes)
    else:
        f = lambda a: getattr(np.fft, fn)(a, axes=axes)
    dd.check_rule(f, S)
    dd.check_rule(f, np.ascontiguousarray(S.real), order=1)
    np.testing.assert_allclose(dd.jvp(f, (S,), (S,))[1], f(S), rtol=1e-13, atol=1e-13)


@given(st.sampled_from(["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]), st.integers(1, 9),
       st.integers(-2, 1), st.sampled_from(NORMS))
def test_lengths_axes_norms(fn, n, axis, norm):
    """Padding and truncation to any length, on either axis, in every norm."""
    f = lambda a: getattr(np.fft, fn)(a, n, axis=axis, norm=norm)
    x = R if fn in ("rfft", "ihfft") else C
    u = rng.standard_normal(x.shape) * (1 if x is R else 1 + 1j)
    np.testing.assert_allclose(dd.jvp(f, (x,), (u,))[1], f(u), rtol=1e-13, atol=1e-13)
    dd.check_rule(f, x, order=1)


def test_rfft_on_stack_axis_0():
    f = lambda a: np.fft.rfftn(a, axes=(2, 0), norm="forward")
    dd.check_rule(f, S.real)


def test_hessian_of_a_power_spectrum():
    """The power of the half spectrum is a quadratic form ``x^T Q x``: its Hessian is ``2 Q``,
    exactly, with ``Q`` read off NumPy's function at unit vectors."""
    x = rng.standard_normal(6)
    def f(z):
        y = np.fft.rfft(z, norm="ortho")
        return np.sum(np.real(y) ** 2 + np.imag(y) ** 2)

    h = dd.hessian(f)(x)
    e = np.eye(6)
    fi = [f(e[i]) for i in range(6)]
    q = np.array([[(f(e[i] + e[j]) - fi[i] - fi[j]) / 2 for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(h, 2 * q, rtol=1e-12, atol=1e-12)


def test_dispatch_and_errors():
    d = dd.Dual(R, np.ones_like(R))
    assert type(np.fft.fft(d)) is dd.Dual  # np.fft dispatches through __array_function__
    with pytest.raises(ValueError, match="norm"):
        np.fft.fft(d, norm="bad")
    with pytest.raises(ValueError):
        np.fft.fft(R, norm="bad")
    with pytest.raises(ValueError):
        np.fft.fft(d, 0)
    with pytest.raises(ValueError):
        np.fft.fftn(d, s=(2, 3, 4), axes=(0, 1))
    with pytest.raises(ValueError):
        np.fft.fft(d, axis=2)
    with pytest.raises(TypeError):
        np.fft.rfft(dd.Dual(C, np.ones_like(C)))
    with pytest.raises(TypeError, match="out="):
        np.fft.fft(d, out=np.zeros(R.shape, complex))


def test_float32_kept():
    from dualdiff.core import new_level  # noqa: PLC0415
    from dualdiff.dual import new_dual  # noqa: PLC0415
    from dualdiff.rules import PRIMITIVES  # noqa: PLC0415

    x = R.astype(np.float32)
    d = new_dual(x, x.copy(), new_level())
    for f in (np.fft.fft, np.fft.rfft, np.fft.ihfft, np.fft.fft2, np.fft.fftshift):
        y = f(d)
        assert y.primal.dtype == y.tangent.dtype == f(x).dtype
    y = np.fft.irfft(np.fft.rfft(d))
    assert y.primal.dtype == y.tangent.dtype == np.float32
    # the transposes keep the single precision, and give a real adjoint to a real input
    w = np.ones((3, 3), np.complex64)
    (g,) = PRIMITIVES["rfft"].transpose(w, [x], None, [True], n=5, axis=1, norm=None)
    assert g.dtype == np.float32
    out = np.fft.irfft(w, 5, axis=1, norm="ortho")
    (g,) = PRIMITIVES["irfft"].transpose(x, [w], out, [True], n=5, axis=1, norm="ortho")
    assert g.dtype == np.complex64
    (g,) = PRIMITIVES["fft_c2c"].transpose(w, [x[:, :3]], None, [True], s=(3,), axes=(1,),
                                           inverse=True, norm="forward")
    assert g.dtype == np.float32
