"""Second order: Hessian-vector products by reverse-on-forward, and full Hessians."""

from .core import as_plain, shape
from .forward import jacobian, jvp
from .reverse import grad


def hvp(f, x, v):
    """``H(x) v`` for a scalar-valued ``f``, without forming ``H``.

    Forward mode gives the directional derivative ``g(x) = ∇f(x)·v`` (a Dual whose parts are
    tape values); the tape differentiates it: ``∇g(x) = H(x) v``.  Costs a small constant
    times one evaluation of ``f``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.hvp(lambda x: np.sum(x**3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    x = as_plain(x, "x")
    v = as_plain(v, "v")
    if shape(v) != shape(x):
        raise ValueError(f"v has shape {shape(v)} but x has shape {shape(x)}")

    def directional(xv):
        return jvp(f, (xv,), (v,))[1]

    return grad(directional)(x)


def hessian(f, chunk_size=None):
    """``x -> H(x)``, of shape ``x.shape + x.shape``: forward mode over the reverse gradient.

    Each pass pushes a batch of unit directions through ``grad(f)``: that is ``H`` applied to
    those directions (the same product ``hvp`` computes), several columns at a time.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.hessian(lambda x: x[0] * x[1] ** 2)(np.array([1.0, 2.0]))
    array([[0., 4.],
           [4., 2.]])
    """
    return jacobian(grad(f), chunk_size=chunk_size)
