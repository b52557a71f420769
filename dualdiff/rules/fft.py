"""``np.fft``: the discrete Fourier transforms, which are linear.

Three primitives carry every function of ``np.fft`` (primitives, not composites: written from
the other primitives a transform would be a dense ``O(n^2)`` product instead of NumPy's
``O(n log n)`` FFT).  Each has NumPy's transform as its implementation (so values are NumPy's
to the last bit) and its transpose written with the same primitives (so derivatives of any
order nest):

- ``fft_c2c``: ``fftn``/``ifftn`` over ``axes``, with the lengths ``s`` (NumPy truncates or
  zero-pads the input to ``s`` first).  The DFT matrix is symmetric, so under the library's
  pairing ``<a, b> = Re sum(a b)`` (JAX's: bilinear, no conjugate) the transpose of a
  transform is the same transform (same direction, same ``norm``) followed by the transpose
  of the truncation or padding, which is padding or truncation back to the input's lengths.
  The adjoint of a real input is the real part.
- ``rfft``: the first ``n // 2 + 1`` bins of the transform of a real signal.  Its transpose
  places the cotangent in those bins of a length-``n`` zero spectrum, transforms it with the
  forward transform (the truncation is all the Hermitian half does: no weighting) and takes
  the real part.
- ``irfft``: the real signal of length ``n`` whose spectrum has the given half.  It reads
  only the real part of the DC bin (and of the Nyquist bin for even ``n``), and every other
  bin twice (``Y_k`` and its mirror ``conj Y_k``); so its transpose is the unscaled inverse
  transform of the cotangent, cut to ``n // 2 + 1`` bins and weighted by 1 at DC and Nyquist
  and 2 elsewhere, times the ``norm`` scale.

``hfft`` and ``ihfft`` are ``irfft`` and ``rfft`` of the conjugate with the ``norm`` direction
swapped, exactly as NumPy writes them; the ``2`` and ``n`` forms loop over axes as NumPy does;
``fftshift``/``ifftshift`` are ``roll``.
"""

import numpy as np

from ..core import normalize_axis, peek, shape
from ..primitive import Linear
from ..registry import implements, register
from .elementwise import conj, multiply, real
from .structure import _real_dtype, getitem_p, index_add_p, roll

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward","ortho" or "forward".')
    return norm


def _resize(v, axes, sizes):
    """``v`` truncated or zero-padded (at the end) to ``sizes`` along ``axes``."""
    s = shape(v)
    cut = tuple(slice(0, sizes[axes.index(i)]) if i in axes and sizes[axes.index(i)] < n
                else slice(None) for i, n in enumerate(s))
    if any(c != slice(None) for c in cut):
        v = getitem_p(v, index=cut)
        s = shape(v)
    want = tuple(sizes[axes.index(i)] if i in axes else n for i, n in enumerate(s))
    if want != s:
        v = index_add_p(v, index=tuple(slice(0, n) for n in s), shape=want)
    return v


def _real_input(primals):
    return not np.iscomplexobj(peek(primals[0]))


def _lengths(primals, axes):
    return tuple(np.shape(peek(primals[0]))[a] for a in axes)


def _shift(params, primals, out, batch):
    if "axes" in params:
        return {**params, "axes": tuple(a + 1 for a in params["axes"])}
    return {**params, "axis": params["axis"] + 1}


def _c2c_transpose(out_bar, primals, out, wants, s, axes, inverse, norm):
    g = _resize(fft_c2c(out_bar, s=tuple(shape(out_bar)[a] for a in axes), axes=axes,
                        inverse=inverse, norm=norm), axes, _lengths(primals, axes))
    return [real(g) if _real_input(primals) else g]


fft_c2c = register(
    Linear(
        "fft_c2c",
        lambda x, s, axes, inverse, norm: (np.fft.ifftn if inverse else np.fft.fftn)(
            x, s=s, axes=axes, norm=norm),
        _c2c_transpose,
        _shift,
    )
)


def _rfft_transpose(out_bar, primals, out, wants, n, axis, norm):
    full = _resize(out_bar, (axis,), (n,))
    spectrum = fft_c2c(full, s=(n,), axes=(axis,), inverse=False, norm=norm)
    return [_resize(real(spectrum), (axis,), _lengths(primals, (axis,)))]


rfft_p = register(
    Linear(
        "rfft",
        lambda x, n, axis, norm: np.fft.rfft(x, n=n, axis=axis, norm=norm),
        _rfft_transpose,
        _shift,
    )
)


def _irfft_weights(n, axis, nd, norm):
    """``c_k`` times the norm scale of ``irfft``: 1 at DC (and Nyquist for even n), else 2."""
    c = np.full(n // 2 + 1, 2.0)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    scale = {None: 1 / n, "backward": 1 / n, "ortho": 1 / np.sqrt(n), "forward": 1.0}[norm]
    return (c * scale).reshape((-1,) + (1,) * (nd - axis - 1))


def _irfft_transpose(out_bar, primals, out, wants, n, axis, norm):
    z = fft_c2c(out_bar, s=(n,), axes=(axis,), inverse=True, norm="forward")  # unscaled
    z = getitem_p(z, index=(slice(None),) * axis + (slice(0, n // 2 + 1),))
    weights = _irfft_weights(n, axis, len(shape(out_bar)), norm)
    z = multiply(z, weights.astype(_real_dtype(out)))
    z = _resize(z, (axis,), _lengths(primals, (axis,)))
    return [real(z) if _real_input(primals) else z]


irfft_p = register(
    Linear(
        "irfft",
        lambda x, n, axis, norm: np.fft.irfft(x, n=n, axis=axis, norm=norm),
        _irfft_transpose,
        _shift,
    )
)


# --- NumPy's functions --------------------------------------------------------------------


def _no_out(out):
    if out is not None:
        raise TypeError("np.fft with out= is not supported on Duals; use the returned value")


def _one(a, n, axis, default=None):
    (axis,) = normalize_axis(axis, len(shape(a)))
    if n is None:
        n = shape(a)[axis] if default is None else default(shape(a)[axis])
    return int(n), axis


def fft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.fft``: ``Y_k = sum_j x_j exp(-2 pi i j k / n)`` (scaled by ``norm``).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> f = lambda x: np.real(np.fft.fft(x)[1])  # d/dx_j = cos(2 pi j / 4)
    >>> bool(np.allclose(dd.grad(f)(np.zeros(4)), [1.0, 0.0, -1.0, 0.0]))
    True
    """
    _no_out(out)
    n, axis = _one(a, n, axis)
    return fft_c2c(a, s=(n,), axes=(axis,), inverse=False, norm=_check_norm(norm))


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.ifft``: ``x_j = (1/n) sum_k Y_k exp(2 pi i j k / n)`` (``norm="backward"``)."""
    _no_out(out)
    n, axis = _one(a, n, axis)
    return fft_c2c(a, s=(n,), axes=(axis,), inverse=True, norm=_check_norm(norm))


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.rfft``: the ``n // 2 + 1`` non-negative frequency bins of a real signal."""
    _no_out(out)
    n, axis = _one(a, n, axis)
    return rfft_p(a, n=n, axis=axis, norm=_check_norm(norm))


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.irfft``: the real signal of length ``n`` (default ``2 (m - 1)``) with the
    half-spectrum ``a``.

    Only the real part of the DC (and, for even ``n``, the Nyquist) bin is read, so the
    adjoint there is real; every other bin stands for itself and its mirror image.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda y: np.sum(np.fft.irfft(y, 4)))(np.array([1.0 + 1j, 0.0, 0.0]))
    array([1.-0.j, 0.-0.j, 0.-0.j])
    """
    _no_out(out)
    n, axis = _one(a, n, axis, lambda m: 2 * (m - 1))
    return irfft_p(a, n=n, axis=axis, norm=_check_norm(norm))


def _swap(norm):
    return {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}[
        _check_norm(norm)]


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.hfft``: the real spectrum of a Hermitian signal, ``irfft(conj(a))`` with the
    norm direction swapped."""
    _no_out(out)
    n, axis = _one(a, n, axis, lambda m: 2 * (m - 1))
    return irfft_p(conj(a), n=n, axis=axis, norm=_swap(norm))


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """``np.fft.ihfft``: ``conj(rfft(a))`` with the norm direction swapped."""
    _no_out(out)
    n, axis = _one(a, n, axis)
    return conj(rfft_p(a, n=n, axis=axis, norm=_swap(norm)))


def _cook(a, s, axes, invreal=False):
    """NumPy's defaults for ``s`` and ``axes`` of the ``n``-dimensional transforms."""
    sh, nd = shape(a), len(shape(a))
    shapeless = s is None
    if axes is not None:
        axes = list(normalize_axis(tuple(axes), nd)) if len(tuple(axes)) else []
    if s is None:
        s = list(sh) if axes is None else [sh[i] for i in axes]
    s = [None if n is None else int(n) for n in s]
    if axes is None:
        axes = list(normalize_axis(tuple(range(-len(s), 0)), nd)) if s else []
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if invreal and shapeless:
        s[-1] = (sh[axes[-1]] - 1) * 2
    s = [sh[i] if n in (None, -1) else n for n, i in zip(s, axes)]
    return s, axes


def _c2c_nd(a, s, axes, inverse, norm):
    if len(set(axes)) < len(axes):  # an axis transformed twice: one axis at a time
        for n, i in reversed(list(zip(s, axes))):
            a = fft_c2c(a, s=(n,), axes=(i,), inverse=inverse, norm=norm)
        return a
    return fft_c2c(a, s=tuple(s), axes=tuple(axes), inverse=inverse, norm=norm)


def fftn(a, s=None, axes=None, norm=None, out=None):
    """``np.fft.fftn``: the transform over ``axes`` (all by default) at the lengths ``s``."""
    _no_out(out)
    s, axes = _cook(a, s, axes)
    return _c2c_nd(a, s, axes, False, _check_norm(norm)) if axes else a


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """``np.fft.ifftn``: the inverse transform over ``axes``."""
    _no_out(out)
    s, axes = _cook(a, s, axes)
    return _c2c_nd(a, s, axes, True, _check_norm(norm)) if axes else a


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """``np.fft.fft2``: ``fftn`` over the last two axes."""
    return fftn(a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """``np.fft.ifft2``: ``ifftn`` over the last two axes."""
    return ifftn(a, s, axes, norm, out)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """``np.fft.rfftn``: ``rfft`` over the last of ``axes``, then ``fft`` over the others."""
    _no_out(out)
    s, axes = _cook(a, s, axes)
    if not axes:
        raise ValueError("at least 1 axis must be transformed")
    a = rfft_p(a, n=s[-1], axis=axes[-1], norm=_check_norm(norm))
    return _c2c_nd(a, s[:-1], axes[:-1], False, norm) if len(axes) > 1 else a


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """``np.fft.irfftn``: ``ifft`` over all but the last of ``axes`` (in NumPy's order), then
    ``irfft`` over the last (default length ``2 (m - 1)``)."""
    _no_out(out)
    s, axes = _cook(a, s, axes, invreal=True)
    if not axes:
        raise ValueError("at least 1 axis must be transformed")
    norm = _check_norm(norm)
    for n, i in zip(s[:-1], axes[:-1]):
        a = fft_c2c(a, s=(n,), axes=(i,), inverse=True, norm=norm)
    return irfft_p(a, n=s[-1], axis=axes[-1], norm=norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """``np.fft.rfft2``: ``rfftn`` over the last two axes."""
    return rfftn(a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """``np.fft.irfft2``: ``irfftn`` over the last two axes."""
    return irfftn(a, s, axes, norm, out)


def _shifts(x, axes, sign):
    axes = normalize_axis(axes, len(shape(x)))
    return roll(x, [sign * (shape(x)[a] // 2) for a in axes], axes) if axes else x


def fftshift(x, axes=None):
    """``np.fft.fftshift``: the zero frequency to the centre (a ``roll`` by ``n // 2``).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jvp(np.fft.fftshift, (np.arange(4.0),), (np.arange(4.0),))[1]
    array([2., 3., 0., 1.])
    """
    return _shifts(x, axes, 1)


def ifftshift(x, axes=None):
    """``np.fft.ifftshift``: the inverse of ``fftshift`` (a ``roll`` by ``-(n // 2)``)."""
    return _shifts(x, axes, -1)


for _name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
              "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift"):
    implements(getattr(np.fft, _name))(globals()[_name])

__all__ = ["fft_c2c", "irfft_p", "rfft_p"]
