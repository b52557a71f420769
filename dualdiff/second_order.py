"""Second order: Hessian-vector products, and full Hessians."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .core import as_plain
from .forward import jacobian, jvp, tangent_leaves
from .pytree import flatten, is_tree, match, paths
from .reverse import grad
from .typing import ArgNums, Derivative, Function, PyTree, Tree

if TYPE_CHECKING:
    from concurrent.futures import Executor


def hvp(f: Function, x: PyTree, v: PyTree) -> Tree:
    """``H(x) v`` for a scalar-valued ``f``, without forming ``H``.

    ``x`` may be a pytree and ``v`` then has its structure.  For one vector, forward mode
    gives the directional derivative ``g(x) = ∇f(x)·v`` (a Dual whose parts are tape values)
    and the tape differentiates it: ``∇g(x) = H(x) v`` (reverse-on-forward).  ``v`` may carry
    a leading batch axis (``V`` of shape ``(k,) + x.shape``, on every leaf): the ``k``
    products come from one pass of forward mode over the reverse gradient, with the ``k``
    directions as a batch of tangents, and have shape ``(k,) + x.shape``.  Costs a small
    constant times one evaluation of ``f`` (times ``k`` in arithmetic, not in passes).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.hvp(lambda x: np.sum(x**3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    >>> dd.hvp(lambda x: np.sum(x**3), np.array([1.0, 2.0]), np.eye(2))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    if is_tree(x) or is_tree(v):
        xs, treedef = flatten(x)
        names = paths(treedef, "")
        xs = [as_plain(a, f"x{n}") for a, n in zip(xs, names)]
        _, batch = tangent_leaves(xs, match(treedef, v, "v"), lambda j: f"v{names[j]}")
    else:
        x = as_plain(x, "x")
        _, batch = tangent_leaves([x], [v], lambda j: "v")
    if batch is not None:
        return jvp(grad(f), (x,), (v,))[1]

    def directional(xv):
        return jvp(f, (xv,), (v,))[1]

    return grad(directional)(x)


def hessian(f: Function, chunk_size: int | None = None, argnums: ArgNums = 0,
            executor: Executor | None = None) -> Derivative:
    """``x -> H(x)``, of shape ``x.shape + x.shape``: forward mode over the reverse gradient.

    Each pass pushes a batch of unit directions through ``grad(f)``: that is ``H`` applied to
    those directions (the same product ``hvp`` computes), several columns at a time.
    ``argnums`` and pytrees as in :func:`~dualdiff.jacobian` (``argnums=(0, 1)`` gives the
    blocks ``((H00, H01), (H10, H11))``, as ``jax.hessian``); keyword arguments go to ``f``.
    ``executor=`` runs the passes (chunks of columns) as tasks of a
    :class:`concurrent.futures.Executor`, as in :func:`~dualdiff.jacobian`.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.hessian(lambda x: x[0] * x[1] ** 2)(np.array([1.0, 2.0]))
    array([[0., 4.],
           [4., 2.]])
    """
    return jacobian(GradOf(f, argnums), argnums=argnums, chunk_size=chunk_size,
                    executor=executor)


class GradOf:
    """``grad(f, argnums)`` as a module-level object: it pickles whenever ``f`` does, so the
    passes of :func:`hessian` can be sent to a process pool."""

    def __init__(self, f, argnums):
        self.f, self.argnums = f, argnums
        self.__qualname__ = f"grad of {getattr(f, '__qualname__', type(f).__name__)}"

    def __call__(self, *args, **kwargs):
        return grad(self.f, self.argnums)(*args, **kwargs)
