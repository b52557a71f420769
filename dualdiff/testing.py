"""``check_grads``: test dualdiff's derivatives of your own function, as autograd and JAX do."""

import numpy as np

from .core import as_plain, shape
from .forward import jvp
from .reverse import vjp
from .study.finite_diff import finite_difference


def check_grads(f, x, order=1, rtol=1e-6, seed=0):
    """Check the derivatives of ``f`` at ``x`` up to ``order``; raise ``AssertionError`` if off.

    Along a random direction ``u`` and cotangent ``w``:

    - forward mode against finite differences: ``J u`` from :func:`jvp` against the five-point
      central difference of ``f`` along ``u`` (relative ``rtol``: the difference is only
      accurate to about ``1e-10``);
    - reverse against forward mode: ``<w, J u> == <Jᵀ w, u>`` (to rounding, ``1e-10``);
    - for ``order > 1``, the same checks on ``x -> J(x) u``, recursively.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.check_grads(lambda x: np.sin(x) * np.sum(x ** 2), np.array([0.3, -1.2]), order=2)
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    x = as_plain(x, "x")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(shape(x)) if shape(x) else 1.0
    y, ju = jvp(f, (x,), (u,))
    fd = finite_difference(f, x, _step(x, u), method="central4", v=None if shape(x) == () else u)
    _close(ju, fd, rtol, "forward mode (jvp) against the five-point difference")
    w = rng.standard_normal(shape(y)) if shape(y) else 1.0
    value, pullback = vjp(f, x)
    lhs, rhs = np.sum(np.conj(w) * ju), np.sum(pullback(w) * u)
    _close(lhs, rhs, 1e-10, "reverse mode: <w, J u> against <J^T w, u>",
           scale=np.sum(np.abs(w) * np.abs(ju)) + abs(rhs))
    if order > 1:
        check_grads(lambda z: jvp(f, (z,), (u,))[1], x, order - 1, rtol, seed + 1)


def _step(x, u):
    """Near the five-point difference's best step, eps^(1/5), relative to the size of x."""
    size = max(1.0, float(np.max(np.abs(x))))
    return 1e-3 * size / max(1.0, float(np.max(np.abs(u))))


def _close(got, expected, rtol, what, scale=None):
    got, expected = np.asarray(got), np.asarray(expected)
    scale = np.max(np.abs(expected)) if scale is None else scale
    err = np.max(np.abs(got - expected)) if got.size else 0.0
    if not err <= rtol * max(scale, np.finfo(float).tiny):
        raise AssertionError(f"{what}: off by {err:.3g} (relative {err / max(scale, 1e-300):.3g},"
                             f" tolerance {rtol:g})\n  got      {got}\n  expected {expected}")
