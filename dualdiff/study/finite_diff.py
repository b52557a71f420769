"""Finite-difference derivatives: the baseline that automatic differentiation is measured against.

Every method approximates the directional derivative ``D_v f(x) = d/dt f(x + t v)`` at ``t = 0``
from a few values of ``f`` (``v = 1`` for scalar ``x``). They differ in their truncation order
``p`` (error ``~ h**p``) and in how much rounding error the subtraction amplifies.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..typing import ArrayLike, Function, Value

__all__ = ["METHODS", "ComplexStepError", "default_step", "finite_difference"]

METHODS = ("forward", "backward", "central", "central4", "complex")

# Truncation order p of each method: the error behaves like C * h**p for small h.
ORDERS = {"forward": 1, "backward": 1, "central": 2, "central4": 4, "complex": 2}

# (offset k, weight w) pairs: D_h f = sum(w * f(x + k h v)) / h for the real-step methods.
_STENCILS = {
    "forward": ((1, 1.0), (0, -1.0)),
    "backward": ((0, 1.0), (-1, -1.0)),
    "central": ((1, 0.5), (-1, -0.5)),
    "central4": ((2, -1 / 12), (1, 8 / 12), (-1, -8 / 12), (-2, 1 / 12)),
}

_EPS = float(np.finfo(float).eps)


class ComplexStepError(ValueError):
    """The complex step cannot be used: ``f`` is not a real analytic function of ``x``."""


def finite_difference(f: Function, x: ArrayLike, h: float, method: str = "central",
                      v: ArrayLike | None = None) -> Value:
    r"""Finite-difference derivative of ``f`` at ``x`` with step ``h``, along ``v`` for arrays.

    With ``g(t) = f(x + t v)`` (``v = 1`` for scalar ``x``) the methods estimate ``g'(0)``:

    ============  =====================================================  ==========
    method        formula                                                truncation
    ============  =====================================================  ==========
    ``forward``   :math:`(g(h) - g(0)) / h`                              :math:`O(h)`
    ``backward``  :math:`(g(0) - g(-h)) / h`                             :math:`O(h)`
    ``central``   :math:`(g(h) - g(-h)) / 2h`                            :math:`O(h^2)`
    ``central4``  :math:`(-g(2h) + 8g(h) - 8g(-h) + g(-2h)) / 12h`       :math:`O(h^4)`
    ``complex``   :math:`\operatorname{Im} g(ih) / h`                    :math:`O(h^2)`
    ============  =====================================================  ==========

    The complex step subtracts nothing, so it has no cancellation and works for tiny ``h``
    (``1e-20``); it needs ``f`` real-valued on real input and analytic (no ``abs``, ``np.real``,
    comparisons, ``float()``), otherwise the imaginary part is lost.

    Parameters
    ----------
    f : callable
        ``f(x)`` returning a number or an array (then the result is the array of differences).
    x : float or array_like
        The point. For the complex step it must be real.
    h : float
        The step, finite and ``> 0``.
    method : {"forward", "backward", "central", "central4", "complex"}
    v : float or array_like, optional
        The direction; required when ``x`` is an array, and of the same shape.

    Returns
    -------
    float or complex or numpy.ndarray
        The estimate, with the shape of ``f(x)``.

    Raises
    ------
    ValueError
        ``h <= 0`` or not finite, an unknown method, a direction of the wrong shape, or a
        complex step on a function that drops the imaginary part (:class:`ComplexStepError`).
    TypeError
        ``h`` or ``x`` is not a number, ``f`` returns something that is not numeric.

    Examples
    --------
    >>> import math
    >>> round(finite_difference(math.exp, 0.0, 1e-5), 8)
    1.0
    >>> import cmath
    >>> abs(finite_difference(cmath.sin, 1.0, 1e-20, method="complex") - math.cos(1.0)) < 1e-16
    True
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    h = _check_step(h)
    method = _check_method(method)
    x, v = _check_point(x, v)
    if method == "complex":
        return _complex_step(f, x, h, v, check=True)
    return _real_step(f, x, h, method, v)


def default_step(method, x=0.0, v=None):
    r"""The rule-of-thumb step of a method: where its truncation and rounding errors balance.

    For a method of order ``p`` the total error ``C_t h**p + C_r eps / h`` is smallest near
    ``h = eps**(1/(p+1))`` in units of the scale of ``x``:
    ``h = eps**(1/(p+1)) * max(1, |x|) / |v|`` (max-norms for arrays). The complex step has no
    rounding term and uses ``1e-20`` times that scale.

    Examples
    --------
    >>> float(default_step("forward", 1.0))  # sqrt(eps)
    1.4901161193847656e-08
    >>> round(default_step("central", 100.0), 10)  # eps**(1/3) * 100
    0.0006055454
    """
    method = _check_method(method)
    x, v = _check_point(x, v)
    scale = max(1.0, float(np.max(np.abs(x)))) / max(float(np.max(np.abs(v))), np.finfo(float).tiny)
    if method == "complex":
        return 1e-20 * scale
    return _EPS ** (1.0 / (ORDERS[method] + 1)) * scale


def _check_step(h):
    """Return ``h`` as a float after checking it is a finite number ``> 0``."""
    if isinstance(h, bool) or not isinstance(h, numbers.Real):
        raise TypeError(f"the step h must be a real number, got {type(h).__name__}")
    h = float(h)
    if not np.isfinite(h):
        raise ValueError(f"the step h must be finite, got {h}")
    if h <= 0:
        raise ValueError(f"the step h must be > 0, got {h}")
    return h


def _check_method(method):
    """Return the method name after checking it is one of :data:`METHODS`."""
    if method not in METHODS:
        allowed = ", ".join(repr(m) for m in METHODS)
        raise ValueError(f"unknown method {method!r}; choose one of {allowed}")
    return method


def _check_point(x, v):
    """Return ``(x, v)`` as new arrays (never the caller's), with ``v`` checked against ``x``."""
    x_arr = np.array(x)  # a copy: the caller's array is never touched
    if x_arr.dtype.kind not in "biufc":
        raise TypeError(f"x must be a number or a numeric array, got {type(x).__name__}")
    x_arr = x_arr.astype(np.result_type(x_arr.dtype, float))
    if v is None:
        if x_arr.ndim > 0:
            raise ValueError(
                f"x is an array of shape {x_arr.shape}: pass a direction v of the same shape"
            )
        v_arr = np.array(1.0)
    else:
        v_arr = np.array(v)
        if v_arr.dtype.kind not in "biuf":
            raise TypeError(f"the direction v must be real and numeric, got dtype {v_arr.dtype}")
        v_arr = v_arr.astype(float)
        if v_arr.shape != x_arr.shape:
            raise ValueError(
                f"the direction v has shape {v_arr.shape} but x has shape {x_arr.shape}"
            )
    if not (np.all(np.isfinite(x_arr)) and np.all(np.isfinite(v_arr))):
        raise ValueError("x and v must be finite")
    if not np.any(v_arr):
        raise ValueError("the direction v is zero: give a nonzero direction to differentiate along")
    return x_arr, v_arr


def _evaluate(f, point):
    """``f(point)`` as a numeric array; a scalar point is passed as a Python number."""
    arg = point.item() if point.ndim == 0 else point.copy()
    out = np.asarray(f(arg))
    if out.dtype.kind not in "biufc":
        raise TypeError(f"f must return numbers or numeric arrays, got dtype {out.dtype}")
    return out


def _unwrap(out):
    """A 0-d result as a Python number, otherwise the array."""
    return out.item() if out.ndim == 0 else out


def _real_step(f, x, h, method, v):
    """The real-step stencils of :data:`_STENCILS`, without argument checks."""
    total = 0.0
    for k, w in _STENCILS[method]:
        total = total + w * _evaluate(f, x + (k * h) * v)
    return _unwrap(total / h)


def _complex_step(f, x, h, v, check):
    """``Im f(x + i h v) / h``; with ``check``, refuse functions that lose the imaginary part."""
    if np.iscomplexobj(x):
        raise ComplexStepError("the complex step needs a real point x; use another method")
    try:
        out = _evaluate(f, x + 1j * h * v)
    except TypeError as err:
        raise ComplexStepError(
            f"f does not accept complex input, so the complex step cannot be used ({err})"
        ) from err
    estimate = np.imag(out) / h
    if check and not np.any(estimate):
        _check_zero_imaginary(f, x, v, out)
    return _unwrap(estimate)


def _check_zero_imaginary(f, x, v, out):
    """Raise when an all-zero complex step contradicts a clearly nonzero central difference.

    For an analytic f an exactly real ``f(x + ih v)`` means every odd derivative vanishes: f
    is even about x, and ``f(x + h v) - f(x - h v)`` is rounding noise even for a large h. So
    the imaginary part counts as lost when that difference exceeds 100 ulps of ``f(x)`` at a
    large probe step (or, if f is undefined there, at the balanced step).
    """
    value = _evaluate(f, x)
    if np.iscomplexobj(value) and np.any(np.imag(value)):
        raise ComplexStepError("the complex step needs f real-valued on real input")
    change = 0.0
    for h in (default_step("central", x, v), 1e-2 * default_step("complex", x, v) / 1e-20):
        with np.errstate(all="ignore"):
            central = np.asarray(_real_step(f, x, h, "central", v))
        if np.all(np.isfinite(central)):
            change = max(change, h * float(np.max(np.abs(central), initial=0.0)))
    if change > 100 * _EPS * float(np.max(np.abs(value), initial=0.0)):
        kind = "a real" if not np.iscomplexobj(out) else "a zero imaginary part in its"
        raise ComplexStepError(
            f"f returned {kind} result at x + ih·v although f is not constant there: "
            "f drops the imaginary part (abs, np.real, float(), comparisons or real-only "
            "functions); use another method"
        )
    if not np.iscomplexobj(out):
        warnings.warn(
            "f returned a real result for complex input; the complex step is 0 here, which "
            "agrees with a central difference but may hide a lost imaginary part",
            RuntimeWarning,
            stacklevel=4,
        )
