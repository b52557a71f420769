"""Linear algebra: matrix products, ``solve``, ``det`` (primitives with their own jvp and vjp,
each with the reason), and the functions composed from them (``dot``, ``inner``, ``outer``,
``norm``, ``inv``).
"""


import numpy as np

from ..core import expand, ndim, shape, strip
from ..primitive import Custom, unbroadcast
from ..registry import implements, register
from .elementwise import absolute, multiply, sqrt
from .reductions import amax, amin, sum_p
from .structure import expand_dims, getitem_p, reshape, squeeze, swapaxes, transpose_p, where


def _mT(a):
    nd = ndim(a)
    return transpose_p(a, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _matmul_impl(a, b):
    return np.matmul(a, b)


def _matmul_jvp(primals, tangents, out, batch):
    """Bilinear: ``d(a @ b) = da @ b + a @ db``; batched tangents stack matrices in front."""
    a, b = primals
    ta, tb = tangents
    if batch is not None and ndim(a) == 1 and ndim(b) > 2:
        raise TypeError("matmul of a 1-d array with a stack of matrices is not supported with "
                        "a batch of tangents; use jacobian(..., chunk_size=1)")
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
        return [g * b if wants[0] else None, g * a if wants[1] else None]
    a2 = expand_dims(a, 0) if ndim(a) == 1 else a
    b2 = expand_dims(b, -1) if ndim(b) == 1 else b
    if ndim(a) == 1:
        g = expand_dims(g, -2)
    if ndim(b) == 1:
        g = expand_dims(g, -1)
    da = db = None
    if wants[0]:
        da = matmul(g, _mT(b2))
        da = unbroadcast(squeeze(da, -2) if ndim(a) == 1 else da, shape(a))
    if wants[1]:
        db = matmul(_mT(a2), g)
        db = unbroadcast(squeeze(db, -1) if ndim(b) == 1 else db, shape(b))
    return [da, db]


matmul = register(Custom("matmul", _matmul_impl, _matmul_jvp, _matmul_vjp, nargs=2))


def _solve_jvp(primals, tangents, out, batch):
    """``x = A^{-1} b``: ``dx = A^{-1} (db - dA x)``."""
    a, b = primals
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        term = _vec_matmul(ta, out, b, batch)
        rhs = -term if rhs is None else rhs - term
    return _solve_batched(a, rhs, b, batch)


def _vec_matmul(ta, x, b, batch):
    if ndim(b) == 1:
        return squeeze(matmul(ta, expand_dims(x, -1)), -1)
    return matmul(ta, x)


def _solve_batched(a, rhs, b, batch):
    if batch is None or ndim(b) > 1:
        return solve(a, rhs)
    # a batch of right-hand sides: solve them as the columns of one matrix
    return transpose_p(solve(a, transpose_p(rhs, axes=(1, 0))), axes=(1, 0))


def _solve_vjp(out_bar, primals, out, wants):
    """``b_bar = A^{-T} out_bar``, ``A_bar = -b_bar x^T``."""
    a, b = primals
    b_bar = solve(_mT(a), out_bar)
    a_bar = None
    if wants[0]:
        if ndim(b) == 1:
            a_bar = -expand_dims(b_bar, -1) * expand_dims(out, -2)
        else:
            a_bar = -matmul(b_bar, _mT(out))
    return [a_bar, b_bar if wants[1] else None]


solve = register(
    Custom("solve", lambda a, b: np.linalg.solve(a, b), _solve_jvp, _solve_vjp, nargs=2)
)


def _det_jvp(primals, tangents, out, batch):
    """``d det(A) = det(A) tr(A^{-1} dA)``."""
    a = primals[0]
    n = shape(a)[-1]
    diag = getitem_p(solve(a, tangents[0]), index=(Ellipsis, np.arange(n), np.arange(n)))
    return out * sum_p(diag, axis=-1)


def _det_vjp(out_bar, primals, out, wants):
    """``A_bar = out_bar det(A) A^{-T}``."""
    a = primals[0]
    return [out_bar * out * _mT(solve(a, np.eye(shape(a)[-1])))]


#: Jacobi's formula, in ``solve``; a square matrix (not a stack) only.
det = register(Custom("det", lambda a: np.linalg.det(a), _det_jvp, _det_vjp))



def dot(a, b):
    """``np.dot`` for scalars, vectors and matrices (``matmul`` beyond 0-d)."""
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    if ndim(b) > 2:
        raise TypeError("np.dot with an operand of more than 2 dimensions is not supported; "
                        "use np.matmul or np.tensordot on plain arrays")
    return matmul(a, b)


def inner(a, b):
    return multiply(a, b) if ndim(a) == 0 or ndim(b) == 0 else matmul(a, swapaxes(b, -1, -2)
                                                                       if ndim(b) > 1 else b)


def outer(a, b):
    """``np.outer`` as the broadcast product of a column and a row."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm`` for the vector norms ``ord`` in (None, 1, 2, inf, -inf) and the
    Frobenius norm of a matrix.  At zero the gradient of the 2-norm is taken as 0."""
    if ord in (None, 2, "fro") and (ord != 2 or axis is not None or ndim(x) == 1):
        s = sum_p(_abs2(x), axis=axis, keepdims=keepdims)
        # selecting (not multiplying) keeps sqrt's infinite slope at 0 out of the derivative
        return where(s == 0, 0.0, sqrt(s))
    if ndim(x) == 1 or axis is not None:
        if ord == 1:
            return sum_p(absolute(x), axis=axis, keepdims=keepdims)
        if ord == np.inf:
            return amax(absolute(x), axis=axis, keepdims=keepdims)
        if ord == -np.inf:
            return amin(absolute(x), axis=axis, keepdims=keepdims)
    raise TypeError(f"np.linalg.norm with ord={ord!r} for a {ndim(x)}-d array is not supported")


def _abs2(x):
    return absolute(x) ** 2 if np.iscomplexobj(strip(x)) else x * x


def inv(a):
    """``np.linalg.inv`` as ``solve(a, I)``."""
    return solve(a, np.eye(shape(a)[-1]))


implements(np.dot)(dot)
implements(np.inner)(inner)
implements(np.outer)(outer)
implements(np.matmul)(matmul)
implements(np.linalg.norm)(norm)
implements(np.linalg.solve)(solve)
implements(np.linalg.inv)(inv)
implements(np.linalg.det)(det)

__all__ = ["det", "dot", "inner", "inv", "matmul", "norm", "outer", "solve"]
