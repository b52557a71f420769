"""``check_grads``: test dualdiff's derivatives of your own function, as autograd and JAX do."""

from __future__ import annotations

import numpy as np

from .core import as_plain, shape
from .forward import jvp
from .outputs import check_output
from .pytree import flatten, is_tree, ravel_pytree
from .reverse import vjp
from .typing import ArrayLike, Function, PyTree


def check_grads(f: Function, x: PyTree, order: int = 1, rtol: float = 1e-6,
                seed: int = 0) -> None:
    """Check the derivatives of ``f`` at ``x`` up to ``order``; raise ``AssertionError`` if off.

    ``x`` and ``f``'s output may be pytrees (taken as one vector each, by
    :func:`~dualdiff.ravel_pytree`).  Along a random direction ``u`` and cotangent ``w``:

    - **forward** mode against finite differences: ``J u`` from :func:`jvp` against the
      five-point central difference of ``f`` along ``u`` (relative ``rtol``), at the step
      ``h = 1e-3`` (relative to the size of ``x``) and, if that disagrees, at steps 8, 64,
      512 and 4096 times smaller: a kink of ``f`` near ``x`` (a ReLU switching within the
      stencil) spoils the larger steps only.  If every step disagrees, the differences are
      examined: if they do not converge as the step shrinks, or the one-sided differences
      disagree, ``f`` is not smooth at ``x`` along ``u``; a nearby direction is tried, and if
      that fails too the message says that ``f`` has a kink there, rather than reporting a
      bare mismatch;
    - **reverse** against forward mode: ``<w, J u> == <Jᵀ w, u>`` (to rounding, ``1e-10``);
    - for ``order > 1``, the same checks on ``x -> J(x) u``, recursively.

    A failure names the check, the order, the relative and absolute error, the tolerance and
    the step.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.check_grads(lambda x: np.sin(x) * np.sum(x ** 2), np.array([0.3, -1.2]), order=2)
    >>> dd.check_grads(lambda p: {"y": p["w"] * np.tanh(p["b"])}, {"w": 2.0, "b": np.ones(2)})
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if is_tree(x):
        z, unravel = ravel_pytree(x)
        g = lambda v: _as_vector(f(unravel(v)))
    else:
        z, g = as_plain(x, "x"), lambda v: _as_vector(f(v))
    rng = np.random.default_rng(seed)
    for level in range(1, order + 1):
        u = _check_once(g, z, rtol, rng, f"order {level}")
        g = _along(g, u)


def _along(g, u):
    return lambda z: jvp(g, (z,), (u,))[1]


def _as_vector(out):
    """A pytree output as one vector (a single leaf as it is)."""
    from .rules import concatenate, ravel  # noqa: PLC0415

    leaves = flatten(check_output(out))[0]
    if len(leaves) == 1:
        return leaves[0]
    return concatenate([ravel(o) for o in leaves]) if leaves else np.zeros(0)


def _direction(z, rng):
    return rng.standard_normal(shape(z)) if shape(z) else 1.0


def _check_once(g, z, rtol, rng, what):
    """The forward and reverse checks of one order; returns the direction used."""
    u = _direction(z, rng)
    y, ju = jvp(g, (z,), (u,))
    failure = _forward_check(g, z, u, y, ju, rtol, what)
    if failure is not None and failure[0]:  # a kink along u: try nearby directions
        for _ in range(2):
            u2 = u + 0.3 * _direction(z, rng)
            y, ju2 = jvp(g, (z,), (u2,))
            if _forward_check(g, z, u2, y, ju2, rtol, what) is None:
                u, ju, failure = u2, ju2, None
                break
    if failure is not None:
        raise AssertionError(failure[1])
    w = rng.standard_normal(shape(y)) if shape(y) else 1.0
    pullback = vjp(g, z)[1]
    lhs, rhs = np.sum(np.conj(w) * ju), np.sum(pullback(w) * u)
    _close(lhs, rhs, 1e-10, f"{what}: reverse mode: <w, J u> against <J^T w, u>",
           scale=np.sum(np.abs(w) * np.abs(ju)) + abs(rhs))
    return u


#: the steps of the forward check, as fractions of the first one
_SHRINK = (1.0, 1 / 8, 1 / 64, 1 / 512, 1 / 4096)


def _forward_check(g, z, u, y, ju, rtol, what):
    """None if ``J u`` agrees with a five-point difference at one of the steps, else
    ``(kink, message)``."""
    h0 = _step(z, u)
    estimates, errors = [], []
    for r in _SHRINK:
        h = h0 * r
        fd = _difference(g, z, u, h)
        # the difference's rounding error, relative to the derivative's scale
        noise = 1e3 * np.finfo(float).eps * max(np.max(np.abs(y), initial=0.0), 1e-300) / h
        scale = max(np.max(np.abs(fd), initial=0.0), noise / rtol)
        err = np.max(np.abs(np.asarray(ju) - fd), initial=0.0)
        if err <= rtol * max(scale, np.finfo(float).tiny):
            return None
        estimates.append(fd)
        errors.append((err, scale, h))
    hs = h0 * _SHRINK[-1]
    plus = (np.asarray(g(z + hs * u)) - np.asarray(y)) / hs
    minus = (np.asarray(y) - np.asarray(g(z - hs * u))) / hs
    size = max(np.max(np.abs(plus), initial=0.0), np.max(np.abs(minus), initial=0.0), 1e-300)
    one_sided = np.max(np.abs(plus - minus), initial=0.0) > 1e-2 * size
    changes = [np.max(np.abs(a - b), initial=0.0) for a, b in zip(estimates, estimates[1:])]
    converged = changes[-1] <= 10 * rtol * max(np.max(np.abs(estimates[-1]), initial=0.0),
                                               1e-300)
    err, scale, h = errors[-1]
    head = (f"{what}: forward mode (jvp) against the five-point difference along a random "
            f"direction: off by {err:.3g} (relative {err / max(scale, 1e-300):.3g}, tolerance "
            f"{rtol:g}) at the step h = {h:.3g}, and at every larger step down from {h0:.3g}")
    detail = f"\n  jvp        {np.asarray(ju)}\n  difference {estimates[-1]}"
    if one_sided or not converged:
        why = ("the one-sided differences disagree" if one_sided else
               "the difference does not converge as the step shrinks")
        return True, (f"{head}.\n  f has a kink within {2 * hs:.1g} of x along this "
                      f"direction ({why}: forward {plus}, backward {minus}), and along "
                      f"nearby directions too: its derivative is not defined there; check at "
                      f"a point away from it{detail}")
    hint = ""
    first = next((i for i, c in enumerate(changes) if c > 10 * rtol * scale), None)
    if first is not None:
        hint = (f"\n  (the difference changed between the steps {h0 * _SHRINK[first]:.3g} "
                f"and {h0 * _SHRINK[first + 1]:.3g}: f may have a kink within "
                f"{2 * h0 * _SHRINK[first]:.1g} of x)")
    return False, head + hint + detail


def _difference(g, z, u, h):
    """The five-point central difference of ``g`` at ``z`` along ``u`` with step ``h``."""
    at = lambda s: np.asarray(g(z + s * h * u))
    return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h)


def _step(x, u):
    """Near the five-point difference's best step, eps^(1/5), relative to the size of x."""
    size = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    return 1e-3 * size / max(1.0, float(np.max(np.abs(u), initial=0.0)))


def _close(got, expected, rtol, what, scale=None):
    got, expected = np.asarray(got), np.asarray(expected)
    scale = np.max(np.abs(expected)) if scale is None else scale
    err = np.max(np.abs(got - expected)) if got.size else 0.0
    if not err <= rtol * max(scale, np.finfo(float).tiny):
        raise AssertionError(f"{what}: off by {err:.3g} (relative {err / max(scale, 1e-300):.3g},"
                             f" tolerance {rtol:g})\n  got      {got}\n  expected {expected}")


def check_rule(f: Function, *args: ArrayLike, rtol: float = 1e-9, order: int = 2, seed: int = 0,
               batch: int = 3) -> None:
    """Check every mode of the derivative of ``f`` at ``args``; raise ``AssertionError`` if off.

    Meant for a rule (built in, or your own from :func:`dualdiff.primitive`) or any function
    built from rules.  Each positional argument is differentiated; bind the others with a
    ``lambda``.  Outputs may be tuples or lists of arrays, real or complex.  Along random
    tangents ``u`` (complex for complex arguments) and cotangents ``w``:

    - **forward**: ``J u`` from :func:`jvp` against the complex step
      ``Im f(x + i h u) / h`` (exact to rounding, so the tolerance is ``rtol``) where ``f`` is
      analytic with real arguments (the complex step then agrees with a five-point difference
      to ``1e-6``), else against the five-point central difference (tolerance ``1e-6``, the
      difference's own accuracy), retried at steps 8 to 4096 times smaller if it disagrees
      (a kink or a reordering near ``x`` spoils the larger steps only);
    - **reverse**: ``<w, J u> == <Jᵀ w, u>`` with JAX's pairing ``<a, b> = Re sum(a b)``;
    - **batched**: a batch of ``batch`` tangents in one pass equals separate passes (exactly,
      up to the rounding of a different summation order);
    - **second order** (``order >= 2``): the same checks on ``args -> J(args) u``, whose
      forward mode is forward-over-forward and whose reverse mode is reverse-on-forward.

    Errors are measured against the largest magnitude of the reference.  For float32 (and
    float16) arguments the references are computed in double precision and the tolerances
    are at least 100 times the arguments' rounding unit.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.check_rule(np.sin, np.array([0.3, 1.2]))
    >>> dd.check_rule(np.linalg.solve, np.eye(2) + 0.1, np.array([1.0, 2.0]))
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if not args:
        raise TypeError("check_rule(f, *args) needs at least one argument to differentiate")
    args = tuple(as_plain(a, f"argument {i}") for i, a in enumerate(args))
    rng = np.random.default_rng(seed)
    g = _as_real_vector(f)
    name = getattr(f, "__name__", repr(f))
    for level in range(1, order + 1):
        us = tuple(_random_like(a, rng) for a in args)
        _check_level(g, args, us, rng, rtol, batch, f"{name}, order {level}")
        g = _directional(g, us)


def _directional(g, us):
    return lambda *xs: jvp(g, xs, us)[1]


def _check_level(g, args, us, rng, rtol, batch, what):
    y, ju = jvp(g, args, us)
    _check_linear(g, args, us, ju, rng, what)
    # float32 (float16) arguments: the references in double precision, the tolerances
    # scaled to the arguments' own rounding
    eps = _eps(args)
    wide = tuple(np.asarray(a, dtype=np.result_type(a, np.float64)) for a in args)
    ref, how, tol, floor = _reference(g, wide, us, y, ju, rtol)
    tol = max(tol, 100 * eps)
    _close(ju, ref, tol, f"{what}: forward mode (jvp) against the {how}",
           scale=max(np.max(np.abs(ref), initial=0.0), floor))
    w = rng.standard_normal(np.shape(y))
    grads = _pullback(g, args, w)
    lhs = float(np.sum(w * ju))
    rhs = float(sum(np.sum(np.real(b * u)) for b, u in zip(grads, us)))
    rev_tol = max(1e-10 if tol == rtol else max(1e-10, rtol), 100 * eps)
    # both sides 0 up to rounding (a vanishing second derivative): noise of the size of the
    # values involved, 1e3 ulps of them per unit of w and u, is admitted
    noise = 1e3 * np.finfo(float).eps * float(np.sum(np.abs(w))) * max(
        [1.0] + [float(np.max(np.abs(a), initial=0.0)) for a in (*args, *us)]) ** 2
    scale = max(float(np.sum(np.abs(w) * np.abs(ju))) + abs(rhs), noise / rev_tol)
    _close(lhs, rhs, rev_tol, f"{what}: reverse mode: <w, J u> against <J^T w, u>",
           scale=scale)
    if batch:
        more = [tuple(_random_like(a, rng) for a in args) for _ in range(batch - 1)]
        stacked = tuple(np.stack([u, *(m[i] for m in more)]) for i, u in enumerate(us))
        together = jvp(g, args, stacked)[1]
        apart = np.stack([ju] + [jvp(g, args, m)[1] for m in more])
        _close(together, apart, max(1e-12, 100 * eps), f"{what}: a batch of {batch} tangents "
               "against separate passes", scale=np.max(np.abs(apart), initial=0.0))


def _eps(args):
    """The rounding unit of the least precise floating argument (0 if none)."""
    return max([0.0] + [float(np.finfo(np.asarray(a).dtype).eps) for a in args
                        if np.issubdtype(np.asarray(a).dtype, np.inexact)])


def _check_linear(g, args, us, ju, rng, what):
    """The jvp is linear in the tangent: ``J (c u) = c J u`` and ``J (u + v) = J u + J v``.

    First, so that a rule that is not linear (``t ** 2``) is named as such, not as a mismatch
    with the finite difference.  Tolerance ``1e-8``: a linear jvp can lose digits to
    cancellation inside (softmax's ``t - <s, t>``), a non-linear one is off by order one.
    """
    c = 2.5  # exact in binary: c * u rounds no differently from u
    scaled = jvp(g, args, tuple(c * u for u in us))[1]
    # a jvp that is 0 up to rounding (a second derivative of a linear map) is noise of the
    # size of the values it is computed from (1e3 ulps of them): the tolerance admits that
    floor = 1e3 * np.finfo(float).eps / 1e-8 * max(
        [1.0] + [float(np.max(np.abs(a), initial=0.0)) for a in (*args, *us)])
    size = max(np.max(np.abs(ju), initial=0.0), floor)
    lin_tol = max(1e-8, 100 * _eps(args))
    _close(scaled, c * np.asarray(ju), lin_tol, f"{what}: the jvp is not linear in the tangent "
           f"(scaling test): jvp at {c} u against {c} times jvp at u", scale=c * size)
    vs = tuple(_random_like(a, rng) for a in args)
    jv = jvp(g, args, vs)[1]
    both = jvp(g, args, tuple(u + v for u, v in zip(us, vs)))[1]
    _close(both, np.asarray(ju) + np.asarray(jv), lin_tol, f"{what}: the jvp is not linear in the "
           "tangent (sum test): jvp at u + v against jvp at u plus jvp at v",
           scale=size + np.max(np.abs(jv), initial=0.0))


def _pullback(g, args, w):
    from .reverse import grad  # noqa: PLC0415 (reverse imports nothing of this module)

    s = lambda *xs: np.sum(w * g(*xs))
    out = grad(s, argnums=tuple(range(len(args))))(*args)
    return out


def _as_real_vector(f):
    """``f`` with its outputs (any tree of real or complex arrays) as one real vector."""
    from .rules import concatenate, imag, ravel, real  # noqa: PLC0415

    def leaves(out):
        if isinstance(out, (tuple, list)):
            for o in out:
                yield from leaves(o)
        else:
            yield out

    def g(*xs):
        parts = []
        for o in leaves(f(*xs)):
            o = ravel(o)
            if np.iscomplexobj(_strip(o)):
                parts += [real(o), imag(o)]
            else:
                parts.append(o)
        return parts[0] if len(parts) == 1 else concatenate(parts)

    return g


def _strip(x):
    from .core import strip  # noqa: PLC0415

    return strip(x)


def _random_like(a, rng):
    s = shape(a)
    u = rng.standard_normal(s)
    if np.iscomplexobj(a):
        u = u + 1j * rng.standard_normal(s)
    return float(u) if s == () and not np.iscomplexobj(a) else u


def _reference(g, args, us, y, ju, rtol):
    """The reference directional derivative: ``(value, description, tolerance, floor)``.

    ``floor`` is the smallest scale an error is measured against: for the five-point
    difference the rounding of ``f``'s values divided by the step.  If the five-point
    difference disagrees with ``ju``, the steps 8, 64, 512 and 4096 times smaller are tried
    too (as :func:`check_grads` does): a kink, or a reordering of eigenvalues, near ``x``
    spoils the larger steps only, while a wrong derivative disagrees at every step (the
    first step's difference is then the one reported).
    """
    fd, h = _five_point(g, args, us)
    if not any(np.iscomplexobj(a) for a in args):
        try:
            with np.errstate(all="ignore"):
                step = 1e-100  # (not h: the five-point difference's step sets the floor)
                cs = np.imag(np.asarray(g(*(a + 1j * step * u for a, u in zip(args, us))))) / step
        except (TypeError, ValueError):
            cs = None
        if cs is not None and np.shape(cs) == np.shape(fd) and np.all(np.isfinite(cs)):
            scale = max(np.max(np.abs(fd), initial=0.0), 1e-300)
            if np.max(np.abs(cs - fd), initial=0.0) <= 1e-6 * scale:
                return cs, "complex step", rtol, 0.0
    tol = max(rtol, 1e-6)
    floor = lambda h: 1e3 * np.finfo(float).eps * max(np.max(np.abs(y), initial=0.0), 1.0) / h
    first = fd, h
    for shrink in _SHRINK[1:]:
        scale = max(np.max(np.abs(fd), initial=0.0), floor(h) / tol)
        if np.max(np.abs(np.asarray(ju) - fd), initial=0.0) <= tol * scale:
            break
        fd, h = _five_point(g, args, us, shrink)
    else:
        fd, h = first
    return fd, "five-point difference", tol, floor(h) / tol


def _five_point(g, args, us, shrink=1.0):
    size = max([1.0] + [float(np.max(np.abs(a), initial=0.0)) for a in args])
    norm = max([1e-300] + [float(np.max(np.abs(u), initial=0.0)) for u in us])
    h = 1e-3 * size / norm * shrink
    at = lambda s: np.asarray(g(*(a + s * h * u for a, u in zip(args, us))))
    return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h), h
