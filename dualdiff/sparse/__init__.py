"""Sparse Jacobians and Hessians: sparsity detection, colouring, compressed passes.

``jacobian_sparsity`` traces ``f`` with a :class:`~dualdiff.sparse.tracer.Tracer` (a value
and a boolean pattern riding the rule table), ``sparse_jacobian`` colours the columns (or
rows) of the pattern and runs one batched forward pass (or one reverse pass per colour),
``sparse_hessian`` does the same for Hessians with a symmetric colouring and a batch of
Hessian-vector products.  They need SciPy (``pip install 'dualdiff[sparse]'``); importing
dualdiff does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from ..typing import ArrayLike, Function

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from scipy.sparse import csr_array, sparray, spmatrix

    from .compressed import SparseHessian, SparseJacobian

    #: a sparsity pattern: detected ("auto", "auto-each-call"), or given
    Sparsity: TypeAlias = str | ArrayLike | sparray | spmatrix


def jacobian_sparsity(f: Function, argnums: int = 0) -> Callable[..., csr_array]:
    """``x -> P``: which outputs of ``f`` depend on which inputs, at ``x``.

    ``P`` is a boolean ``scipy.sparse.csr_array`` of shape ``(f(x).size, x.size)`` (both
    flattened in C order), found by running ``f`` once on a tracer that carries ``x`` and
    the pattern.  Control flow (``if``, ``while``, ``max``, ``where``) follows ``x``, so the
    pattern holds at ``x`` and wherever the same branches are taken; there it contains every
    non-zero of the Jacobian (possibly more: a product with a constant zero still counts).

    Parameters
    ----------
    f : callable
        Returns one array (or number).
    argnums : int
        The argument whose pattern is wanted; the others are passed through as constants.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> p = dd.jacobian_sparsity(lambda x: x[1:] * x[:-1])(np.ones(4))
    >>> p.toarray().astype(int)
    array([[1, 1, 0, 0],
           [0, 1, 1, 0],
           [0, 0, 1, 1]])
    """
    from .tracer import bind_argnums, trace

    def pattern(*args):
        g, x = bind_argnums(f, args, argnums)
        return trace(g, x)[0]

    return pattern


def sparse_jacobian(f: Function, sparsity: Sparsity = "auto", argnums: int = 0,
                    check: bool = False, executor: Executor | None = None) -> SparseJacobian:
    """``x -> J`` as a ``scipy.sparse.csr_array`` of shape ``(f(x).size, x.size)``.

    The columns of the pattern are coloured so that columns of one colour share no row;
    one batched forward pass with one direction per colour (the sum of that colour's unit
    vectors) gives all of them, and a vectorised gather places them.  When the rows need
    fewer colours, a reverse pass per row colour is used instead (``.mode``).

    Parameters
    ----------
    f : callable
    sparsity : "auto", "auto-each-call", or a pattern
        ``"auto"``: detected (:func:`jacobian_sparsity`) and coloured at the first call and
        reused; when the detection read values of ``x`` (a comparison, a branch, an index
        computed from them: the pattern holds only where the same decisions are taken,
        ``.local`` is then true) it is detected again at every call.  ``"auto-each-call"``:
        detected and coloured at every call (for functions whose pattern changes with
        ``x``).  A pattern: a dense boolean array or scipy.sparse matrix of the Jacobian's
        2-d shape (else ``ValueError``).
    argnums : int
        The argument to differentiate; the others are constants (``argnums=1`` for
        ``rhs(t, y)``).
    check : bool
        Debug check (off by default): compare each result with one dense JVP along a random
        direction and raise ``ValueError`` if they differ (a pattern missing a non-zero).
    executor : concurrent.futures.Executor, optional
        Run the compressed passes (chunks of colours) as tasks of this executor (see
        :func:`~dualdiff.jacobian`); the pattern is detected and coloured in the caller.

    Returns
    -------
    callable
        With attributes ``sparsity`` (the pattern), ``colors`` (the number of colours, hence
        passes), ``mode`` (``"forward"`` or ``"reverse"``) and ``local`` (whether the pattern
        was read off decisions on values, and so is detected at every call), set once
        prepared.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> jac = dd.sparse_jacobian(lambda x: x[1:] ** 2 - x[:-1])
    >>> jac(np.array([1.0, 2.0, 3.0])).toarray()
    array([[-1.,  4.,  0.],
           [ 0., -1.,  6.]])
    >>> jac.colors, jac.mode
    (2, 'forward')
    """
    from .compressed import SparseJacobian

    return SparseJacobian(f, sparsity, argnums, check, executor)


def hessian_sparsity(f: Function) -> Callable[..., csr_array]:
    """``x -> P``: the symmetric boolean pattern (``x.size`` square) of the Hessian of scalar
    ``f`` at ``x``, as a ``scipy.sparse.csr_array``.

    Found by tracing the reverse-mode gradient of ``f``; holds at ``x`` and wherever the same
    branches are taken.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> f = lambda x: np.sum((x[1:] - x[:-1] ** 2) ** 2)
    >>> dd.hessian_sparsity(f)(np.ones(4)).toarray().astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 1, 0],
           [0, 1, 1, 1],
           [0, 0, 1, 1]])
    """
    from .compressed import _bound, hessian_pattern

    def pattern(x, *args):
        from ..core import as_plain

        return hessian_pattern(_bound(f, args), as_plain(x, "x"))[0]

    return pattern


def sparse_hessian(f: Function, sparsity: Sparsity = "auto", check: bool = False) -> SparseHessian:
    """``x -> H`` as a symmetric ``scipy.sparse.csr_array`` for a real scalar ``f``.

    The pattern is coloured symmetrically (a star colouring: every entry ``H[i, j]`` can be
    read from ``H V`` either in row ``i`` at the colour of ``j`` or in row ``j`` at the
    colour of ``i``); one batch of Hessian-vector products (forward mode over the reverse
    gradient, one direction per colour) gives ``H V``.  ``sparsity`` and ``check`` as in
    :func:`sparse_jacobian`; extra arguments of the returned function go to ``f``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> hess = dd.sparse_hessian(lambda x: np.sum(x[1:] * x[:-1] ** 2))
    >>> hess(np.array([1.0, 2.0, 3.0])).toarray()
    array([[4., 2., 0.],
           [2., 6., 4.],
           [0., 4., 0.]])
    >>> hess.colors
    3
    """
    from .compressed import SparseHessian

    return SparseHessian(f, sparsity, check)


__all__ = ["hessian_sparsity", "jacobian_sparsity", "sparse_hessian", "sparse_jacobian"]
