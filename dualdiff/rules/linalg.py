"""Linear algebra: ``np.dot``, ``np.matmul`` and ``np.linalg``.

Primitives (each with the reason it is one):

- ``matmul``, ``solve``: BLAS and LAPACK speed; their rules are products and solves again.
- ``det``, ``logdet`` (for ``slogdet``): Jacobi's formula ``d det A = tr(adj(A) dA)`` is exact
  where an expansion in entries would cancel.
- ``eigh``, ``eigvalsh``, ``eig``, ``eigvals``, ``svd``, ``svdvals``, ``cholesky``, ``qr``,
  ``pinv``: LAPACK computes them; no finite composition of other primitives does.  A
  decomposition with several results is one primitive whose value packs them into one array
  (eigenvalues as an extra row above the eigenvectors, ...); the NumPy-named function unpacks
  it with indexing, which is linear, so each result carries its own derivative.

The decompositions' rules are given as a jvp written with this library's generic functions
(so they nest for second order and accept a batch of tangents); their vjp is the transpose
of that linear map, obtained by running the jvp on a tape of its own and pulling the
cotangent back (:func:`transposed`).  One formula serves both modes.

Every rule works on stacks of matrices (leading batch dimensions), as NumPy does.  Adjoints
use JAX's pairing ``<a, b> = Re sum(a b)``; the adjoint of a real input is real.

Gauges and conventions (tested):

- ``eigh``: eigenvectors as LAPACK returns them (for real input a sign per column that does
  not change under a small perturbation; for complex input a phase per column).  Their
  derivative keeps each column of unit length with ``Im(v_i^H dv_i) = 0``.  Eigenvalues within
  ``8 n eps max|w|`` of each other have no eigenvector derivative: ``ValueError`` (use
  ``eigvalsh`` for the eigenvalues alone: they are differentiated at any spectrum, as
  ``diag(V^H dA V)`` for the eigenvectors NumPy returned).  Only the ``UPLO`` triangle of the
  input is read, as in NumPy, so only it has a derivative.
- ``eig``: eigenvectors of unit length with their largest entry real (LAPACK's gauge, kept
  along the derivative); repeated eigenvalues raise ``ValueError``.
- ``svd``: for real input the signs LAPACK returns; for complex input the phase of each pair
  ``(u_i, v_i)`` moves with ``u_i`` only (``Im(v_i^H dv_i) = 0``).  Repeated singular values,
  and zero ones where ``U`` or ``V`` has more rows than columns, raise ``ValueError``;
  ``full_matrices=True`` for a non-square matrix is refused (the extra columns are any basis
  of a complement: they have no derivative).
- ``qr``: ``mode="complete"`` of a tall matrix is refused for the same reason; a wide matrix
  factors its leading square block and ``R``'s remaining columns are ``Q^H A_2``.
- ``det``: the adjugate ``adj(A)^T`` (from the SVD) is its gradient, at singular matrices
  too; under a nested derivative ``det A A^{-T}`` through ``solve`` (``A`` invertible).
- ``slogdet``: the sign of a real determinant is piecewise constant (derivative 0); of a
  complex one ``exp(i arg det)``, differentiated.
- ``norm``: 0 at a zero vector (the gradient of every norm is taken as 0 there); ``ord=0``
  counts nonzeros (derivative 0).
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np

from ..core import WRAPPERS, expand, ndim, new_level, normalize_axis, peek, shape, strip
from ..primitive import Custom, unbroadcast
from ..registry import PRIMAL_FUNCTIONS, UFUNCS, implements, register
from ..typing import ArrayLike, Axis, Value
from .contractions import canonical_subscripts, cross, einsum_p, real_adjoint, tensordot
from .elementwise import absolute, conj, exp, imag, multiply, real, sqrt
from .reductions import amax, amin, sum_p
from .structure import (
    concatenate,
    expand_dims,
    getitem_p,
    moveaxis,
    reshape,
    squeeze,
    swapaxes,
    transpose_p,
    where,
    zeros_like,
)


def _result(name, fields):
    """A tuple with NumPy's field names (``res.eigenvalues``) that, like a plain tuple, is
    built from one iterable (so tree maps over outputs rebuild it)."""
    attrs = {f: property(itemgetter(i)) for i, f in enumerate(fields.split())}
    attrs["__slots__"] = ()
    attrs["__repr__"] = lambda self: f"{name}({', '.join(map(repr, self))})"
    return type(name, (tuple,), attrs)


SlogdetResult = _result("SlogdetResult", "sign logabsdet")
EighResult = _result("EighResult", "eigenvalues eigenvectors")
EigResult = _result("EigResult", "eigenvalues eigenvectors")
SVDResult = _result("SVDResult", "U S Vh")
QRResult = _result("QRResult", "Q R")


# --- helpers on stacks of matrices -----------------------------------------------------


def _mT(a):
    nd = ndim(a)
    return transpose_p(a, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _is_complex(x):
    return np.iscomplexobj(peek(x))


def _mH(a):
    """The conjugate transpose of (a stack of) matrices."""
    return conj(_mT(a)) if _is_complex(a) else _mT(a)


def _real_dtype(x):
    return np.finfo(np.result_type(peek(x), np.float16)).dtype


def _const(x, arr):
    """A constant (mask, identity) in ``x``'s real precision: float32 stays float32."""
    return np.asarray(arr, dtype=_real_dtype(x))


def _eye(x, n=None):
    return _const(x, np.eye(shape(x)[-1] if n is None else n))


def _diag(x):
    n = shape(x)[-1]
    return getitem_p(x, index=(Ellipsis, np.arange(n), np.arange(n)))


def _diag_embed(v):
    return expand_dims(v, -1) * _eye(v)


def _matrix(a):
    """NumPy's error for an argument that is not a (stack of) matrices."""
    if ndim(a) < 2:
        raise np.linalg.LinAlgError(f"{ndim(a)}-dimensional array given. Array must be at "
                                    "least two-dimensional")


def _square(a):
    """NumPy's error for an argument that is not a (stack of) square matrices."""
    _matrix(a)
    if shape(a)[-1] != shape(a)[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


def transposed(jvp):
    """The vjp of a rule whose ``jvp`` is linear in the tangents: the jvp runs on a tape of its
    own (a fresh level: the primals, perhaps wrappers of lower levels, are constants to it)
    and the cotangent is pulled back through it.  The result is again written in primitives,
    so it nests like any other rule."""

    def vjp(out_bar, primals, out, wants, **params):
        from ..tape import Tape, Var  # noqa: PLC0415 (the tape imports the rule table)

        tape = Tape(new_level())
        leaves = [tape.leaf(np.zeros(shape(x), dtype=peek(x).dtype)) if w else None
                  for x, w in zip(primals, wants)]
        t = jvp(primals, leaves, out, None, **params)
        if type(t) is not Var or t.tape is not tape:
            return [None] * len(primals)
        grads = iter(tape.backward(t.index, out_bar, [v.index for v in leaves if v is not None]))
        return [real_adjoint(next(grads), x) if w else None for x, w in zip(primals, wants)]

    return vjp


def _decomposition(name, impl, jvp):
    return register(Custom(name, impl, jvp, transposed(jvp)))


def _gap_inverse(w, what):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it.

    Values closer than ``8 n eps max|w|`` (the rounding of the computed values) would give a
    meaningless (or infinite) derivative: a ``ValueError`` says so instead."""
    wp = strip(w)
    n = wp.shape[-1]
    gaps = np.where(np.eye(n, dtype=bool), np.inf, np.abs(wp[..., None, :] - wp[..., :, None]))
    tol = 8 * n * np.finfo(wp.dtype).eps * np.max(np.abs(wp), axis=-1, initial=0.0)
    if n > 1 and np.any(np.min(gaps, axis=(-2, -1)) <= tol):
        raise ValueError(f"{what}: repeated (or nearly repeated) values, where the "
                         f"{'vectors' if 'eig' in what else 'singular vectors'} have no "
                         "derivative; see the gauge conventions in dualdiff.rules.linalg")
    eye = _eye(w)
    d = expand_dims(w, -2) - expand_dims(w, -1)
    return (1 - eye) / (d + eye)


# --- products ------------------------------------------------------------------------------


def _matmul_impl(a, b):
    return np.matmul(a, b)


def _matmul_subscripts(a, b):
    sa = "n" if ndim(a) == 1 else "...mn"
    sb = "n" if ndim(b) == 1 else "...np"
    so = "..." + ("m" if ndim(a) > 1 else "") + ("p" if ndim(b) > 1 else "")
    return canonical_subscripts(f"{sa},{sb}->{so}", [shape(a), shape(b)])


def _matmul_jvp(primals, tangents, out, batch):
    """Bilinear: ``d(a @ b) = da @ b + a @ db``; batched tangents stack matrices in front."""
    a, b = primals
    ta, tb = tangents
    if batch is not None and ndim(a) == 1 and ndim(b) > 2:
        # a vector against a stack: the batch axis has no place in matmul's broadcasting
        return einsum_p.jvp(primals, tangents, out, batch, subscripts=_matmul_subscripts(a, b))
    total = None
    nd = ndim(out) + (1 if ndim(b) == 1 else 0)
    if ta is not None:
        if batch is not None and ndim(a) >= 2:
            ta = expand(ta, ndim(a), nd)
        total = matmul(ta, b)
    if tb is not None:
        if batch is not None and ndim(b) == 1 and ndim(a) <= 2:
            # a batch of vectors is a matrix of rows: one matrix product, (a @ tb.T).T
            term = matmul(tb, _mT(a) if ndim(a) == 2 else a)
        elif batch is not None and ndim(b) == 1:
            term = squeeze(matmul(a, expand(expand_dims(tb, -1), 2, nd)), -1)
        else:
            if batch is not None:
                tb = expand(tb, ndim(b), nd)
            term = matmul(a, tb)
        total = term if total is None else total + term
    return total


def _matmul_vjp(out_bar, primals, out, wants):
    """Transposes of ``a @ b`` in each argument, with NumPy's 1-d promotion undone."""
    a, b = primals
    g = out_bar
    if ndim(a) == 1 and ndim(b) == 1:
        return [real_adjoint(g * b, a) if wants[0] else None,
                real_adjoint(g * a, b) if wants[1] else None]
    a2 = expand_dims(a, 0) if ndim(a) == 1 else a
    b2 = expand_dims(b, -1) if ndim(b) == 1 else b
    if ndim(a) == 1:
        g = expand_dims(g, -2)
    if ndim(b) == 1:
        g = expand_dims(g, -1)
    da = db = None
    if wants[0]:
        da = matmul(g, _mT(b2))
        da = real_adjoint(unbroadcast(squeeze(da, -2) if ndim(a) == 1 else da, shape(a)), a)
    if wants[1]:
        db = matmul(_mT(a2), g)
        db = real_adjoint(unbroadcast(squeeze(db, -1) if ndim(b) == 1 else db, shape(b)), b)
    return [da, db]


matmul = register(Custom("matmul", _matmul_impl, _matmul_jvp, _matmul_vjp, nargs=2))


def _letters(n, start=0):
    return "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[start:start + n]


def dot(a: ArrayLike, b: ArrayLike) -> Value:
    """``np.dot``: a product for scalars, ``matmul`` up to matrices, and for N-d arrays the sum
    over the last axis of ``a`` and the second-to-last of ``b`` (one einsum)."""
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return multiply(a, b)
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    j = -1 if nb == 1 else -2
    if shape(a)[-1] != shape(b)[j]:
        raise ValueError(f"shapes {shape(a)} and {shape(b)} not aligned: {shape(a)[-1]} (dim "
                         f"{na - 1}) != {shape(b)[j]} (dim {nb + j})")
    la, lb = list(_letters(na)), list(_letters(nb, na))
    lb[j] = la[-1]
    out = la[:-1] + [c for i, c in enumerate(lb) if i != nb + j]
    return einsum_p(a, b, subscripts="".join(la) + "," + "".join(lb) + "->" + "".join(out))


def inner(a, b):
    """``np.inner``: the sum over the last axes, ``out.shape = a.shape[:-1] + b.shape[:-1]``."""
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return multiply(a, b)
    if shape(a)[-1] != shape(b)[-1]:
        raise ValueError(f"shapes {shape(a)} and {shape(b)} not aligned for np.inner")
    if na <= 2 and nb <= 2:
        return matmul(a, swapaxes(b, -1, -2) if nb > 1 else b)
    la, lb = _letters(na), _letters(nb - 1, na) + _letters(1, na - 1)
    return einsum_p(a, b, subscripts=f"{la},{lb}->{la[:-1]}{lb[:-1]}")


def outer(a: ArrayLike, b: ArrayLike) -> Value:
    """``np.outer`` as the broadcast product of a column and a row."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def multi_dot(arrays, *, out=None):
    """``np.linalg.multi_dot``: the chain of ``matmul`` (first and last may be vectors)."""
    if out is not None:
        raise TypeError("np.linalg.multi_dot(..., out=) is not supported on Duals")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    for i, x in enumerate(arrays):
        ok = (1, 2) if i in (0, len(arrays) - 1) else (2,)
        if ndim(x) not in ok:
            raise ValueError(f"{ndim(x)}-dimensional array given. Array must be "
                             "two-dimensional")
    r = arrays[0]
    for x in arrays[1:]:
        r = matmul(r, x)
    return r


def matrix_power(a, n):
    """``np.linalg.matrix_power``: repeated squaring with ``matmul``; ``n < 0`` through
    ``inv``; ``n = 0`` the identity (derivative 0)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError("exponent must be an integer")
    _square(a)
    if n == 0:
        return zeros_like(a) + _eye(a)
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


# --- solve, inv, det ----------------------------------------------------------------------


def _solve_jvp(primals, tangents, out, batch):
    """``x = A^{-1} b``: ``dx = A^{-1} (db - dA x)``; a 1-d ``b`` is one vector for every
    matrix of a stack (NumPy 2), solved as a column."""
    a, b = primals
    ta, tb = tangents
    vec = ndim(b) == 1
    nd = ndim(out) + vec
    x = expand_dims(out, -1) if vec else out
    rhs = None
    if tb is not None:
        rhs = expand_dims(tb, -1) if vec else tb
        if batch is not None:
            rhs = expand(rhs, ndim(b) + vec, nd)
    if ta is not None:
        if batch is not None:
            ta = expand(ta, ndim(a), nd)
        term = matmul(ta, x)
        rhs = -term if rhs is None else rhs - term
    r = solve(a, rhs)
    return squeeze(r, -1) if vec else r


def _solve_vjp(out_bar, primals, out, wants):
    """``b_bar = A^{-T} out_bar``, ``A_bar = -b_bar x^T``, each summed over the stack axes
    its argument was broadcast along."""
    a, b = primals
    vec = ndim(b) == 1
    g = expand_dims(out_bar, -1) if vec else out_bar
    x = expand_dims(out, -1) if vec else out
    b_bar = solve(_mT(a), g)
    a_bar = unbroadcast(-matmul(b_bar, _mT(x)), shape(a)) if wants[0] else None
    if wants[1]:
        b_bar = unbroadcast(squeeze(b_bar, -1) if vec else b_bar, shape(b))
    return [real_adjoint(a_bar, a), real_adjoint(b_bar, b) if wants[1] else None]


solve = register(
    Custom("solve", lambda a, b: np.linalg.solve(a, b), _solve_jvp, _solve_vjp, nargs=2)
)


def inv(a):
    """``np.linalg.inv`` as ``solve(a, I)`` (stacks too)."""
    _square(a)
    return solve(a, _eye(a))


def _trace_solve(a, t):
    """``tr(A^{-1} t)`` for each matrix of the stack (and each direction of a batch)."""
    return sum_p(_diag(solve(a, t)), axis=(-1,))


def _times_inv_T(a, g):
    """``g A^{-T}`` for a scalar ``g`` per matrix: the adjoint of ``t -> g tr(A^{-1} t)``."""
    return [real_adjoint(reshape(g, shape(g) + (1, 1)) * _mT(inv(a)), a)]


def _adjugate(a):
    """``adj(A) = det(A) A^{-1}`` of a plain (stack of) matrices, from the SVD
    ``A = U S V^H``: ``det(U) det(V^H) V diag(prod_{j != i} s_j) U^H``, with no division, so
    it is exact to rounding at singular matrices too (``rank n - 1``: not zero)."""
    u, s, vh = np.linalg.svd(a)
    one = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([one, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([one, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = before * after  # prod_{j != i} s_j
    phase = np.linalg.det(u) * np.linalg.det(vh)
    vs = np.conj(np.swapaxes(vh, -1, -2)) * others[..., None, :]
    return phase[..., None, None] * (vs @ np.conj(np.swapaxes(u, -1, -2)))


def _det_jvp(primals, tangents, out, batch):
    """Jacobi's formula ``d det A = tr(adj(A) dA)``: through the adjugate for a plain ``A``
    (right at singular matrices), as ``det A tr(A^{-1} dA)`` through ``solve`` when ``A`` is
    itself differentiated (a nested derivative: ``A`` invertible)."""
    a, t = primals[0], tangents[0]
    if type(a) in WRAPPERS:
        return out * _trace_solve(a, t)
    return sum_p(_mT(_adjugate(a)) * t, axis=(-2, -1))


def _det_vjp(out_bar, primals, out, wants):
    """``A_bar = out_bar adj(A)^T``."""
    a = primals[0]
    if type(a) in WRAPPERS:
        return _times_inv_T(a, out_bar * out)
    g = reshape(out_bar, shape(out_bar) + (1, 1))
    return [real_adjoint(g * _mT(_adjugate(a)), a)]


#: Jacobi's formula (see its jvp); stacks too.
det = register(Custom("det", lambda a: np.linalg.det(a), _det_jvp, _det_vjp))


def _logdet_impl(a):
    sign, logabs = np.linalg.slogdet(a)
    return logabs + 1j * np.angle(sign) if np.iscomplexobj(sign) else logabs


#: ``log det A`` (``log|det A|`` for real A; the complex logarithm of a complex determinant):
#: ``d log det A = tr(A^{-1} dA)``, without the overflow of ``det``.
logdet = register(Custom(
    "logdet", _logdet_impl,
    lambda primals, tangents, out, batch: _trace_solve(primals[0], tangents[0]),
    lambda out_bar, primals, out, wants: _times_inv_T(primals[0], out_bar),
))


def slogdet(a):
    """``np.linalg.slogdet``: ``(sign, log|det a|)``.  A real sign is piecewise constant
    (derivative 0); a complex one is ``exp(i arg det a)`` and is differentiated."""
    _square(a)
    ld = logdet(a)
    if _is_complex(a):
        return SlogdetResult((exp(1j * imag(ld)), real(ld)))
    return SlogdetResult((np.linalg.slogdet(strip(a))[0], ld))


# --- Hermitian eigenproblems ------------------------------------------------------------


def _hermitian(a, uplo):
    """The Hermitian matrix LAPACK reads from the ``uplo`` triangle of ``a`` (and the real
    part of its diagonal): linear in ``a``, so only that triangle gets a derivative."""
    if uplo not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    n = shape(a)[-1]
    strict = np.tril(np.ones((n, n)), -1) if uplo == "L" else np.triu(np.ones((n, n)), 1)
    t = a * _const(a, strict)
    d = a * _eye(a)
    if _is_complex(a):
        d = real(d)
    return t + _mH(t) + d


def _eigh_impl(a, uplo="L"):
    # LAPACK with NumPy's own UPLO: the same eigenvectors (signs included) as np.linalg.eigh
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return np.concatenate([w[..., None, :].astype(v.dtype), v], axis=-2)


def _eig_parts(p, hermitian):
    w = getitem_p(p, index=(Ellipsis, 0, slice(None)))
    v = getitem_p(p, index=(Ellipsis, slice(1, None), slice(None)))
    return (real(w) if hermitian and _is_complex(w) else w), v


def _rotated(v, t):
    """``V^H t V``: the perturbation in the eigenbasis."""
    return matmul(_mH(v), matmul(t, v))


def _real_diag(c):
    d = _diag(c)
    return real(d) if _is_complex(d) else d


def _eigh_jvp(primals, tangents, out, batch, uplo="L"):
    """``A = V diag(w) V^H``, ``C = V^H dA V``: ``dw = diag C``, ``dV = V (F o C)`` with
    ``F[i, j] = 1 / (w_j - w_i)`` (zero diagonal: the gauge ``Im v_i^H dv_i = 0``)."""
    w, v = _eig_parts(out, True)
    c = _rotated(v, tangents[0])
    dv = matmul(v, _gap_inverse(w, "eigh") * c)
    return concatenate([expand_dims(_real_diag(c), -2), dv], axis=-2)


eigh_p = _decomposition("eigh", _eigh_impl, _eigh_jvp)


def _eigvalsh_jvp(primals, tangents, out, batch):
    """``dw = diag(V^H dA V)`` for the eigenvectors NumPy returns (at a repeated eigenvalue
    the derivative along them: their sum over the repeated ones is the derivative of the sum)."""
    _, v = _eig_parts(eigh_p(primals[0]), True)
    return _real_diag(_rotated(v, tangents[0]))


eigvalsh_p = _decomposition("eigvalsh", lambda a: np.linalg.eigvalsh(a), _eigvalsh_jvp)


def eigh(a, UPLO="L"):  # noqa: N803 (NumPy's name)
    """``np.linalg.eigh``: ``(w, V)`` with ``A = V diag(w) V^H``, read from the ``UPLO``
    triangle.  Distinct eigenvalues only (see the module's conventions).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> g = dd.grad(lambda a: np.linalg.eigh(a)[0][1])(a)
    >>> w, v = np.linalg.eigh(a)
    >>> bool(np.allclose(g, np.tril(2 * np.outer(v[:, 1], v[:, 1]) - np.diag(v[:, 1] ** 2))))
    True
    """
    _square(a)
    w, v = _eig_parts(eigh_p(_hermitian(a, UPLO), uplo=UPLO.upper()), True)
    return EighResult((w, v))


def eigvalsh(a, UPLO="L"):  # noqa: N803
    """``np.linalg.eigvalsh``: ``dw_i = v_i^H dA v_i`` (any spectrum, see the conventions)."""
    _square(a)
    return eigvalsh_p(_hermitian(a, UPLO))


# --- general eigenproblems ----------------------------------------------------------------


def _eig_impl(a):
    w, v = np.linalg.eig(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eig_jvp(primals, tangents, out, batch):
    """``A = V diag(w) V^{-1}``, ``C = V^{-1} dA V``: ``dw = diag C``, ``dV = V (F o C) +
    V diag(alpha)``, where ``alpha`` keeps LAPACK's gauge: unit columns, largest entry real."""
    w, v = _eig_parts(out, False)
    c = matmul(inv(v), matmul(tangents[0], v))
    r = matmul(v, _gap_inverse(w, "eig") * c)
    return concatenate([expand_dims(_diag(c), -2), r + v * expand_dims(_gauge(v, r), -2)],
                       axis=-2)


def _gauge(v, r):
    """``alpha_i = -Re(v_i^H r_i) - i Im(r_ki / v_ki)`` at ``k`` the largest entry of ``v_i``:
    the column keeps unit length and a real largest entry."""
    if not _is_complex(v):
        return -sum_p(v * r, axis=(-2,))
    vp = strip(v)
    n = vp.shape[-2]
    k = np.argmax(np.abs(vp), axis=-2)
    mask = _const(v, np.arange(n)[:, None] == k[..., None, :])
    rk = sum_p(r * mask, axis=(-2,))
    vk = sum_p(v * mask, axis=(-2,))
    return -real(sum_p(conj(v) * r, axis=(-2,))) - 1j * imag(rk / vk)


eig_p = _decomposition("eig", _eig_impl, _eig_jvp)


def _eigvals_jvp(primals, tangents, out, batch):
    """``dw = diag(V^{-1} dA V)``."""
    _, v = _eig_parts(eig_p(primals[0]), False)
    return _diag(matmul(inv(v), matmul(tangents[0], v)))


eigvals_p = _decomposition("eigvals", lambda a: np.linalg.eigvals(a), _eigvals_jvp)


def eig(a):
    """``np.linalg.eig``: ``(w, V)`` with ``A V = V diag(w)``; diagonalisable with distinct
    eigenvalues (complex results where NumPy gives them)."""
    _square(a)
    w, v = _eig_parts(eig_p(a), False)
    return EigResult((w, v))


def eigvals(a):
    """``np.linalg.eigvals``: ``dw = diag(V^{-1} dA V)``."""
    _square(a)
    return eigvals_p(a)


# --- singular values --------------------------------------------------------------------


def _svd_impl(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    lead = s.shape[:-1]
    return np.concatenate([u.reshape(lead + (-1,)), s.astype(u.dtype),
                           vh.reshape(lead + (-1,))], axis=-1)


def _svd_parts(p, m, n):
    k = min(m, n)
    lead = tuple(shape(p)[:-1])
    u = reshape(getitem_p(p, index=(Ellipsis, slice(0, m * k))), lead + (m, k))
    s = getitem_p(p, index=(Ellipsis, slice(m * k, m * k + k)))
    vh = reshape(getitem_p(p, index=(Ellipsis, slice(m * k + k, None))), lead + (k, n))
    return u, (real(s) if _is_complex(s) else s), vh


def _flat(x):
    return reshape(x, tuple(shape(x)[:-2]) + (-1,))


def _svd_jvp(primals, tangents, out, batch):
    """``A = U S V^H``, ``P = U^H dA V``: ``ds = Re diag P``,
    ``dU = U (F o (P S + S P^H)) + (I - U U^H) dA V S^{-1}``,
    ``dV = V (F o (S P + P^H S)) + (I - V V^H) dA^H U S^{-1}``, ``F[i, j] = 1/(s_j^2 - s_i^2)``;
    for complex input ``dU`` also gets ``U diag(i Im(P_ii) / s_i)`` (the gauge)."""
    m, n = shape(primals[0])[-2:]
    k = min(m, n)
    u, s, vh = _svd_parts(out, m, n)
    t = tangents[0]
    v = _mH(vh)
    p = _rotated_svd(u, t, v)
    ph = _mH(p)
    f = _gap_inverse(s * s, "svd")
    row, col = expand_dims(s, -2), expand_dims(s, -1)
    du = matmul(u, f * (p * row + col * ph))
    dv = matmul(v, f * (col * p + ph * row))
    cplx = _is_complex(out)
    if m != n or cplx:
        sp = strip(s)
        if np.any(sp <= 8 * max(m, n) * np.finfo(sp.dtype).eps * np.max(sp, axis=-1,
                                                                       keepdims=True)):
            raise ValueError("svd: a zero singular value, where the singular vectors of a "
                             "non-square (or complex) matrix have no derivative")
    if cplx:
        du = du + u * expand_dims(1j * imag(_diag(p)) / s, -2)
    if m > k:
        du = du + (matmul(t, v) - matmul(u, p)) / row
    if n > k:
        dv = dv + (matmul(_mH(t), u) - matmul(v, ph)) / row
    return concatenate([_flat(du), _real_diag(p), _flat(_mH(dv))], axis=-1)


def _rotated_svd(u, t, v):
    return matmul(_mH(u), matmul(t, v))


svd_p = _decomposition("svd", _svd_impl, _svd_jvp)


def _svdvals_jvp(primals, tangents, out, batch):
    """``ds = Re diag(U^H dA V)`` (any simple singular value)."""
    m, n = shape(primals[0])[-2:]
    u, _, vh = _svd_parts(svd_p(primals[0]), m, n)
    return _real_diag(_rotated_svd(u, tangents[0], _mH(vh)))


svdvals_p = _decomposition("svdvals", lambda a: np.linalg.svd(a, compute_uv=False),
                           _svdvals_jvp)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``np.linalg.svd``: ``A = U diag(S) Vh``.  Distinct singular values (nonzero where
    ``U`` or ``V`` is not square); ``full_matrices=True`` only for square matrices (the
    extra columns of a non-square one have no derivative): pass ``full_matrices=False``."""
    _matrix(a)
    if hermitian:
        _square(a)
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return svdvals(a)
    m, n = shape(a)[-2:]
    if full_matrices and m != n:
        raise ValueError("np.linalg.svd(a, full_matrices=True) of a non-square matrix: the "
                         "extra columns of U or Vh are any basis of a complement and have no "
                         "derivative; pass full_matrices=False")
    return SVDResult(_svd_parts(svd_p(a), m, n))


def _hermitian_svd(a, compute_uv):
    """NumPy's ``svd(a, hermitian=True)``, composed from ``eigh`` (lower triangle): the
    eigenvalues by decreasing magnitude, ``S = |w|``, ``U = V`` and ``Vh = (V sign(w))^H``
    (reordered by a constant permutation matrix, which multiplies exactly)."""
    w, v = eigh(a)
    wp = strip(w)
    sign = np.sign(wp)
    order = np.argsort(np.abs(wp), axis=-1)[..., ::-1]
    perm = _const(w, np.arange(wp.shape[-1])[:, None] == order[..., None, :])
    s = sum_p(expand_dims(w * _const(w, sign), -1) * perm, axis=(-2,))
    if not compute_uv:
        return s
    u = matmul(v, perm)
    signs = _const(w, np.take_along_axis(sign, order, axis=-1))
    return SVDResult((u, s, _mH(u * expand_dims(signs, -2))))


def svdvals(x, /):
    """``np.linalg.svdvals``: ``ds_i = Re(u_i^H dA v_i)``."""
    _matrix(x)
    return svdvals_p(x)


# --- Cholesky, QR, pseudo-inverse, least squares ----------------------------------------


def _cholesky_jvp(primals, tangents, out, batch):
    """``A = L L^H``: ``dL = L Phi(L^{-1} dA L^{-H})``, ``Phi`` the lower triangle with half
    the diagonal."""
    l = out  # noqa: E741
    x = _mH(solve(l, _mH(solve(l, tangents[0]))))
    n = shape(l)[-1]
    return matmul(l, x * _const(l, np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)))


cholesky_p = _decomposition("cholesky", lambda a: np.linalg.cholesky(a), _cholesky_jvp)


def cholesky(a, /, *, upper=False):
    """``np.linalg.cholesky``: ``L`` with ``A = L L^H`` from the lower triangle (``upper``:
    ``L^H``, from the upper triangle)."""
    _square(a)
    l = cholesky_p(_hermitian(a, "U" if upper else "L"))  # noqa: E741
    return _mH(l) if upper else l


def _qr_impl(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, r], axis=-2)


def _qr_jvp(primals, tangents, out, batch):
    """``A = Q R`` (``m >= n``), ``B = dA R^{-1}``, ``M = Q^H B``: ``dQ = Q Om + B - Q M``,
    ``dR = (M - Om) R`` with ``Om`` the skew-Hermitian matrix of ``M``'s strict lower
    triangle (and ``i Im diag M``, keeping ``R``'s diagonal real)."""
    m = shape(primals[0])[-2]
    q = getitem_p(out, index=(Ellipsis, slice(0, m), slice(None)))
    r = getitem_p(out, index=(Ellipsis, slice(m, None), slice(None)))
    b = _mH(solve(_mH(r), _mH(tangents[0])))
    mm = matmul(_mH(q), b)
    n = shape(r)[-1]
    low = mm * _const(r, np.tril(np.ones((n, n)), -1))
    om = low - _mH(low)
    if _is_complex(mm):
        om = om + 1j * _diag_embed(imag(_diag(mm)))
    return concatenate([matmul(q, om) + b - matmul(q, mm), matmul(mm - om, r)], axis=-2)


qr_p = _decomposition("qr", _qr_impl, _qr_jvp)


def qr(a, mode="reduced"):
    """``np.linalg.qr`` (``mode`` ``"reduced"``, ``"r"``, or ``"complete"`` where it equals
    the reduced one).  ``R`` of full rank."""
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    _matrix(a)
    m, n = shape(a)[-2:]
    if mode == "raw":
        raise TypeError("np.linalg.qr(mode='raw') is not supported on Duals (Householder "
                        "reflectors); use mode='reduced'")
    if mode == "complete" and m > n:
        raise ValueError("np.linalg.qr(mode='complete') of a tall matrix: the extra columns of "
                         "Q are any basis of a complement and have no derivative; use "
                         "mode='reduced'")
    if m >= n:
        p = qr_p(a)
        q = getitem_p(p, index=(Ellipsis, slice(0, m), slice(None)))
        r = getitem_p(p, index=(Ellipsis, slice(m, None), slice(None)))
    else:
        q, r = qr(getitem_p(a, index=(Ellipsis, slice(None), slice(0, m))))
        rest = getitem_p(a, index=(Ellipsis, slice(None), slice(m, None)))
        r = concatenate([r, matmul(_mH(q), rest)], axis=-1)
    return r if mode == "r" else QRResult((q, r))


def _pinv_jvp(primals, tangents, out, batch, **options):
    """``X = A^+``: ``dX = -X dA X + X X^H dA^H (I - A X) + (I - X A) dA^H X^H X`` (where the
    rank does not change)."""
    a, x, t = primals[0], out, tangents[0]
    th, xh = _mH(t), _mH(x)
    m, n = shape(a)[-2:]
    return (-matmul(x, matmul(t, x))
            + matmul(matmul(x, xh), matmul(th, _eye(a, m) - matmul(a, x)))
            + matmul(_eye(a, n) - matmul(x, a), matmul(th, matmul(xh, x))))


pinv_p = _decomposition("pinv", lambda a, **options: np.linalg.pinv(a, **options), _pinv_jvp)


def pinv(a, rcond=None, hermitian=False, **kwargs):
    """``np.linalg.pinv``: differentiated where the rank is locally constant."""
    _matrix(a)
    options = dict(kwargs, hermitian=hermitian)
    if rcond is not None:
        options["rcond"] = rcond
    return pinv_p(a, **options)


def lstsq(a, b, rcond=None):
    """``np.linalg.lstsq`` of full rank: ``x = A^+ b``, the residual sums ``|b - A x|^2``
    (when ``m > n``), the rank (an integer) and the singular values."""
    _, _, rank, _ = np.linalg.lstsq(strip(a), strip(b), rcond=rcond)
    m, n = shape(a)
    if rank < min(m, n):
        raise ValueError(f"np.linalg.lstsq: the matrix has rank {rank} < {min(m, n)}; the "
                         "least-squares solution is differentiated for full rank only")
    x = matmul(pinv(a), b)
    if m > n:
        r = b - matmul(a, x)
        res = sum_p(_abs2(r), axis=(0,))
        if ndim(b) == 1:
            res = reshape(res, (1,))
    else:
        res = np.empty(0, dtype=_real_dtype(a))
    return x, res, rank, svdvals(a)


# --- norms ------------------------------------------------------------------------------


def _abs2(x):
    return real(x) ** 2 + imag(x) ** 2 if _is_complex(x) else x * x


def _abs(x):
    """``|x|``; for complex ``x`` with slope 0 at 0 (selected, so no ``inf`` leaks)."""
    if not _is_complex(x):
        return absolute(x)
    s = _abs2(x)
    return where(s == 0, 0.0, sqrt(s))


def _two_norm(x, axis, keepdims):
    s = sum_p(_abs2(x), axis=axis, keepdims=keepdims)
    # selecting (not multiplying) keeps sqrt's infinite slope at 0 out of the derivative
    return where(s == 0, 0.0, sqrt(s))


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002 (NumPy's name)
    if ord is None or ord == 2:
        return _two_norm(x, axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == 0:
        count = np.sum(strip(x) != 0, axis=axis, keepdims=keepdims).astype(_real_dtype(x))
        return x.constant(count) if type(x) in WRAPPERS else count
    ax = _abs(x)
    if ord == np.inf:
        return amax(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return amin(ax, axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum_p(ax, axis=axis, keepdims=keepdims)
    s = sum_p(ax ** ord, axis=axis, keepdims=keepdims)
    return where(s == 0, 0.0, s ** (1.0 / ord))


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002
    r, c = axes
    if ord in (None, "fro"):
        return _two_norm(x, axes, keepdims)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(ndim(x)) if i not in axes]
        s = svdvals_p(transpose_p(x, axes=tuple(rest) + (r, c)))
        if ord == "nuc":
            out = sum_p(s, axis=(-1,))
        else:
            out = getitem_p(s, index=(Ellipsis, 0 if ord == 2 else -1))
        return reshape(out, _kept_shape(x, axes)) if keepdims else out
    if ord in (1, -1, np.inf, -np.inf):
        inner_ax, outer_ax = (r, c) if ord in (1, -1) else (c, r)
        sums = sum_p(_abs(x), axis=(inner_ax,), keepdims=True)
        pick = amax if ord in (1, np.inf) else amin
        out = pick(sums, axis=(outer_ax,), keepdims=True)
        return out if keepdims else squeeze(out, axes)
    raise ValueError("Invalid norm order for matrices.")


def _kept_shape(x, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape(x)))


def norm(x: ArrayLike, ord: float | str | None = None, axis: Axis = None,  # noqa: A002
         keepdims: bool = False) -> Value:
    """``np.linalg.norm``: vector norms (``ord`` any number, ``inf``, ``-inf``, 0) along one
    axis; matrix norms (``'fro'``, ``'nuc'``, 1, -1, 2, -2, ``inf``, ``-inf``) over two.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda a: np.linalg.norm(a, "nuc"))(np.diag([2.0, -3.0]))
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    nd = ndim(x)
    if axis is None:
        if ord is None:
            out = _two_norm(x, None, False)
            return reshape(out, (1,) * nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    axes = normalize_axis(axis, nd)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError("Duplicate axes given.")
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """``np.linalg.vector_norm``: the vector norm over ``axis`` (all axes by default, or a
    tuple of them, taken as one flattened vector)."""
    nd = ndim(x)
    axes = normalize_axis(axis, nd)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    rest = [i for i in range(nd) if i not in axes]
    moved = transpose_p(x, axes=tuple(rest) + axes)
    flat = reshape(moved, tuple(shape(x)[i] for i in rest) + (-1,))
    out = _vector_norm(flat, ord, (len(rest),), False)
    return reshape(out, _kept_shape(x, axes)) if keepdims else out


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    """``np.linalg.matrix_norm``: the matrix norm of each matrix of a stack."""
    _matrix(x)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def matrix_transpose(x, /):
    """``np.matrix_transpose``: swap the last two axes."""
    _matrix(x)
    return _mT(x)


def vecdot(x1, x2, /, *, axis=-1):
    """``np.linalg.vecdot``: ``sum(conj(x1) * x2, axis)``."""
    if _is_complex(x1):
        x1 = conj(x1)
    a, b = moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)
    return einsum_p(a, b, subscripts=canonical_subscripts(
        "...i,...i->...", [shape(a), shape(b)]))


def _offset_diagonal(x, offset):
    """``x``'s diagonal ``offset`` over its last two axes (an index: linear)."""
    m, n = shape(x)[-2:]
    k = max(0, min(m + min(offset, 0), n - max(offset, 0)))
    rows = np.arange(k) + max(-offset, 0)
    return getitem_p(x, index=(Ellipsis, rows, rows + offset))


def diagonal(x, /, *, offset=0):
    """``np.linalg.diagonal``: the diagonal of each matrix of a stack."""
    _matrix(x)
    return _offset_diagonal(x, offset)


def trace(x, /, *, offset=0, dtype=None):
    """``np.linalg.trace``: the sum of each matrix's diagonal ``offset``."""
    _matrix(x)
    out = sum_p(_offset_diagonal(x, offset), axis=(-1,))
    return out if dtype is None else out.astype(dtype)


def linalg_outer(x1, x2, /):
    """``np.linalg.outer``: of two vectors only."""
    if ndim(x1) != 1 or ndim(x2) != 1:
        raise ValueError("Input arrays must be one-dimensional, but they are "
                         f"x1.ndim={ndim(x1)} and x2.ndim={ndim(x2)}.")
    return outer(x1, x2)


def linalg_cross(x1, x2, /, *, axis=-1):
    """``np.linalg.cross``: of 3-vectors only."""
    if shape(x1)[axis] != 3 or shape(x2)[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, but "
                         f"they are {shape(x1)[axis]} and {shape(x2)[axis]} dimensional "
                         "instead.")
    return cross(x1, x2, axis=axis)


def linalg_tensordot(x1, x2, /, *, axes=2):
    return tensordot(x1, x2, axes=axes)


def cond(x, p=None):
    """``np.linalg.cond``: ``s_max / s_min`` for ``p`` in (None, 2, -2, its inverse for -2),
    else ``norm(x, p) norm(inv(x), p)``."""
    _matrix(x)
    if p in (None, 2, -2):
        s = svdvals_p(x)
        big = getitem_p(s, index=(Ellipsis, 0))
        small = getitem_p(s, index=(Ellipsis, -1))
        return small / big if p == -2 else big / small
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


def tensorinv(a, ind=2):
    """``np.linalg.tensorinv``: ``inv`` of ``a`` reshaped to a square matrix."""
    s = tuple(shape(a))
    rows, cols = s[:ind], s[ind:]
    n = int(np.prod(rows))
    if n != int(np.prod(cols)):
        raise ValueError("Invalid ind argument.")
    return reshape(inv(reshape(a, (n, n))), cols + rows)


def tensorsolve(a, b, axes=None):
    """``np.linalg.tensorsolve``: ``solve`` of ``a`` reshaped to a square matrix."""
    if axes is not None:
        nd = ndim(a)
        moved = [i % nd for i in axes]
        a = transpose_p(a, axes=tuple(i for i in range(nd) if i not in moved) + tuple(moved))
    s = tuple(shape(a))
    out_shape = s[ndim(b):]
    n = int(np.prod(shape(b)))
    if int(np.prod(out_shape)) != n:
        raise np.linalg.LinAlgError("Input arrays must satisfy the requirement "
                                    "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    return reshape(solve(reshape(a, (n, n)), reshape(b, (n,))), out_shape)


def matvec(x1, x2, /):
    """``np.matvec``: ``x1 @ x2`` for stacks of matrices and vectors."""
    return einsum_p(x1, x2, subscripts=canonical_subscripts(
        "...ij,...j->...i", [shape(x1), shape(x2)]))


def vecmat(x1, x2, /):
    """``np.vecmat``: ``conj(x1) @ x2`` for stacks of vectors and matrices."""
    if _is_complex(x1):
        x1 = conj(x1)
    return einsum_p(x1, x2, subscripts=canonical_subscripts(
        "...i,...ij->...j", [shape(x1), shape(x2)]))


implements(np.dot)(dot)
implements(np.inner)(inner)
implements(np.outer)(outer)
implements(np.matmul, np.linalg.matmul)(matmul)
implements(np.linalg.norm)(norm)
implements(np.linalg.solve)(solve)
implements(np.linalg.inv)(inv)
implements(np.linalg.det)(det)
implements(np.linalg.slogdet)(slogdet)
implements(np.linalg.eigh)(eigh)
implements(np.linalg.eigvalsh)(eigvalsh)
implements(np.linalg.eig)(eig)
implements(np.linalg.eigvals)(eigvals)
implements(np.linalg.svd)(svd)
implements(np.linalg.cholesky)(cholesky)
implements(np.linalg.qr)(qr)
implements(np.linalg.pinv)(pinv)
implements(np.linalg.lstsq)(lstsq)
implements(np.linalg.matrix_power)(matrix_power)
implements(np.linalg.multi_dot)(multi_dot)
implements(np.linalg.cond)(cond)
implements(np.linalg.tensorinv)(tensorinv)
implements(np.linalg.tensorsolve)(tensorsolve)
for _name, _fn in [("svdvals", svdvals), ("vector_norm", vector_norm),
                   ("matrix_norm", matrix_norm), ("matrix_transpose", matrix_transpose),
                   ("vecdot", vecdot), ("diagonal", diagonal), ("trace", trace),
                   ("outer", linalg_outer), ("cross", linalg_cross),
                   ("tensordot", linalg_tensordot)]:
    if hasattr(np.linalg, _name):  # NumPy 2
        implements(getattr(np.linalg, _name))(_fn)
if hasattr(np, "matrix_transpose"):
    implements(np.matrix_transpose)(matrix_transpose)
for _name, _fn in [("vecdot", vecdot), ("matvec", matvec), ("vecmat", vecmat)]:
    if isinstance(getattr(np, _name, None), np.ufunc):  # NumPy 2 gufuncs
        UFUNCS[getattr(np, _name)] = _fn
PRIMAL_FUNCTIONS.add(np.linalg.matrix_rank)

__all__ = [
    "cholesky", "cond", "det", "diagonal", "dot", "eig", "eigh", "eigvals", "eigvalsh", "inner",
    "inv", "logdet",
    "lstsq", "matmul", "matrix_norm", "matrix_power", "matvec", "multi_dot", "norm", "outer",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensorinv", "tensorsolve", "trace",
    "transposed", "vecdot", "vecmat", "vector_norm",
]
