"""The error study: finite differences against the exact AD derivative, step size by step size.

A difference quotient of order ``p`` makes a truncation error ``~ C_t h**p`` that shrinks with
the step ``h`` and a rounding error ``~ C_r eps (|f| + |x| |f'|) / h`` that grows as ``h``
shrinks: the values of ``f`` agree in more and more digits and the subtraction cancels them,
leaving their rounding errors, both those of the computed values (``eps |f|``) and those of the
rounded arguments (``x + h`` is not exact, nor are the arguments formed inside ``f``, and ``f``
turns an argument error ``delta`` into ``f' delta``). The sum is a V on log-log axes whose
bottom, near ``h = eps**(1/(p+1))``, is the best a method can do: about ``sqrt(eps)`` for the
forward difference and ``eps**(2/3)`` for the central one. The complex step subtracts nothing
and, like automatic differentiation, reaches ``eps``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..typing import ArrayLike, Function
from .finite_diff import (
    _STENCILS,
    METHODS,
    _check_point,
    _complex_step,
    _evaluate,
    _real_step,
    default_step,
    finite_difference,
)

__all__ = ["ErrorStudy", "error_study"]

EPS = float(np.finfo(float).eps)

# Truncation model C * h**p * |g^(p+1)| from the first omitted Taylor term: (order of the
# derivative, constant C, power p).
TRUNCATION = {
    "forward": (2, 1 / 2, 1),
    "backward": (2, 1 / 2, 1),
    "central": (3, 1 / 6, 2),
    "central4": (5, 1 / 30, 4),
    "complex": (3, 1 / 6, 2),
}

# Rounding model (see error_study's docstring): each computed value of f is off by a random
# error of typical size u c / sqrt(3) (u = eps/2; c = sqrt(|f|**2 + sum_i (x_i df/dx_i)**2) counts
# the rounding of the value and of its arguments), and the stencil adds them in quadrature:
# u c sqrt(sum w_k**2 / 3) / h. The quotient itself is rounded too: u |f'|, the complex step's
# only rounding (it cancels nothing).
ROUNDING_WEIGHT = {
    m: math.sqrt(sum(w * w for _, w in stencil) / 3) for m, stencil in _STENCILS.items()
}

# The complex step must agree with AD or with a central difference at its balanced step
# (error ~ eps**(2/3)) to far better than this, relative, or f is not analytic on complex input.
CONSISTENCY = 1e-6


@dataclass(frozen=True, repr=False)
class ErrorStudy:
    """Errors of the finite differences of ``f`` at ``x`` (along ``v``) for many step sizes.

    Norms are max-norms, so a vector-valued ``f`` is judged by its worst component.

    Attributes
    ----------
    function_name : str
        What was differentiated, as shown in titles and tables.
    x, v : float or numpy.ndarray
        The point and the direction (``v`` is ``1.0`` for scalar ``x`` without a direction).
    steps : numpy.ndarray
        The step sizes ``h``, ascending.
    value : float or numpy.ndarray
        ``f(x)``.
    exact : float or numpy.ndarray
        The directional derivative by automatic differentiation, the reference for every error.
    higher : dict
        ``k -> |g^(k)(0)|`` for ``g(t) = f(x + t v)`` and ``k = 1 ... 5``, by nested AD.
    errors, relative_errors : dict
        ``method -> array``: ``|D_h f - exact|`` per step, and the same divided by ``|exact|``
        (all NaN when the exact derivative is zero). NaN where ``f`` failed at a shifted point.
    best_step, best_error : dict
        ``method -> h`` of the smallest error (the smallest such ``h`` on ties) and that error.
    truncation, rounding : dict
        ``method -> array``: the model errors ``C_t h**p |g^(p+1)|`` and
        ``C_r eps c / h + eps |g'| / 2`` (see :func:`error_study`).
    rounding_scale : float
        ``c = sqrt(|f|**2 + sum_i (x_i df/dx_i)**2)`` (the largest over the components of
        ``f``): what relative roundings of ``eps/2`` in the value of ``f`` and in its arguments
        add up to.
    default_step, default_error : dict
        ``method ->`` the rule-of-thumb step of :func:`~dualdiff.study.finite_diff.default_step` and
        the error there.
    ad_error, ad_relative_error : float
        AD's own error, measured against ``ad_reference`` (NaN when there is no reference).
    ad_reference : str
        What AD was compared with: a given value, or the complex step at ``h = 1e-20``.
    """

    function_name: str
    x: object
    v: object
    steps: np.ndarray
    value: object
    exact: float | complex | np.ndarray
    higher: dict
    errors: dict
    relative_errors: dict
    best_step: dict
    best_error: dict
    truncation: dict
    rounding: dict
    default_step: dict
    default_error: dict
    ad_error: float
    ad_relative_error: float
    ad_reference: str
    directional: bool = field(default=False)
    rounding_scale: float = field(default=math.nan)

    @property
    def methods(self) -> tuple[str, ...]:
        """The finite-difference methods in this study, in the order of :data:`METHODS`."""
        return tuple(self.errors)

    @property
    def label(self) -> str:
        """``"<function> at x = <point>"`` (and the direction when there is one)."""
        text = f"{self.function_name} at x = {format_point(self.x)}"
        if self.directional:
            text += f" along v = {format_point(self.v)}"
        return text

    def __repr__(self) -> str:
        best = ", ".join(f"{m}: {self.best_step[m]:.0e}" for m in self.methods)
        return f"ErrorStudy({self.label}, {len(self.steps)} steps, best steps {{{best}}})"

    def model(self, method: str) -> np.ndarray:
        """The model of the total error of ``method``: truncation plus rounding, per step."""
        return self.truncation[method] + self.rounding[method]

    def model_best_step(self, method: str) -> float:
        """The step in :attr:`steps` where the model of ``method`` is smallest (NaN if none)."""
        model = self.model(method)
        if np.all(np.isnan(model)):
            return math.nan
        return float(self.steps[int(np.nanargmin(model))])

    @property
    def rounding_floor(self) -> float:
        """``2 eps max(|f'|, tiny)``: an error this small is the rounding of the result itself.

        A method whose error is at most this is exact to rounding: a few units in the last
        place of the derivative, as AD's own.
        """
        scale = float(np.max(np.abs(self.exact), initial=0.0))
        return 2 * EPS * scale if scale > 0 else 2 * EPS

    def exact_range(self, method: str) -> tuple[float, float] | None:
        """``(smallest h, largest h)`` of the steps where ``method`` is exact to rounding.

        ``None`` unless its error is at most :attr:`rounding_floor` at three steps or more (one
        lucky step where the rounding errors cancel is no range). The complex step of a smooth
        ``f`` is exact to rounding at every step below about ``sqrt(eps)``: there its "best
        step" is arbitrary, and the largest step of the range is the one that says something.
        """
        reached = self.steps[self.errors[method] <= self.rounding_floor]
        if reached.size < 3:
            return None
        return float(reached[0]), float(reached[-1])

    def summary(self) -> str:
        """A plain-text table: per method the best step, its error and the default step's.

        A method that is exact to rounding over a range of steps (see :meth:`exact_range`)
        shows the largest step of that range, as ``<= h``.
        """
        lines = [
            f"{self.label}",
            f"exact derivative (AD): {format_point(self.exact)}",
            f"{'method':<10} {'best step':>10} {'smallest error':>15} "
            f"{'default step':>13} {'error there':>12}",
        ]
        for m in self.methods:
            exact = self.exact_range(m)
            step = f"<= {exact[1]:.1e}" if exact else f"{self.best_step[m]:.1e}"
            lines.append(
                f"{m:<10} {step:>10} {self.best_error[m]:>15.2e} "
                f"{self.default_step[m]:>13.1e} {self.default_error[m]:>12.2e}"
            )
        lines.append(
            f"{'AD':<10} {'-':>10} {self.ad_error:>15.2e} {'-':>13} {'-':>12}"
            f"   (error against {self.ad_reference})"
        )
        return "\n".join(lines)


def error_study(f: Function, x: ArrayLike, v: ArrayLike | None = None,
                steps: ArrayLike | None = None, *, reference: ArrayLike | None = None,
                name: str | None = None, methods: Sequence[str] = METHODS) -> ErrorStudy:
    r"""Measure every finite-difference method against AD over a range of step sizes.

    For each step ``h`` and method, the error is :math:`\|D_h f(x) - D_v f(x)\|_\infty` with
    the exact derivative :math:`D_v f(x)` from :func:`dualdiff.derivative` (scalar ``x``) or
    :func:`dualdiff.jvp` (along ``v``). The models use :math:`g(t) = f(x + t v)`, whose
    higher derivatives come from nested :func:`dualdiff.derivative`:

    ==========  ==========================  ===========================================
    method      truncation                  rounding, :math:`u = \varepsilon / 2`
    ==========  ==========================  ===========================================
    forward     :math:`h |g''| / 2`         :math:`\sqrt{2/3}\; u c / h + u |g'|`
    backward    :math:`h |g''| / 2`         :math:`\sqrt{2/3}\; u c / h + u |g'|`
    central     :math:`h^2 |g'''| / 6`      :math:`\sqrt{1/6}\; u c / h + u |g'|`
    central4    :math:`h^4 |g^{(5)}| / 30`  :math:`\sqrt{65/216}\; u c / h + u |g'|`
    complex     :math:`h^2 |g'''| / 6`      :math:`u |g'|`
    ==========  ==========================  ===========================================

    **The rounding model.** A real-step method computes :math:`\sum_k w_k \hat f(x_k) / h` at
    the points :math:`x_k = \operatorname{fl}(x + k h v)`. Each computed value is modelled as
    the exact value at a slightly wrong argument, slightly wrong (a mixed forward-backward
    error, as for any well-implemented ``f``):
    :math:`\hat f(x_k) = f(x_k \circ (1 + \delta))\,(1 + \eta)` with relative errors
    :math:`\delta_i, \eta` of size up to :math:`u`. The argument error :math:`\delta` stands
    both for the rounding of :math:`x + k h v` itself, which the division by the nominal ``h``
    does not see, and for that of the arguments ``f`` forms inside (the :math:`50x` of
    :math:`\sin 50x`); ``f`` turns it into :math:`\sum_i \partial_i f\, x_i \delta_i`. Taking
    the errors independent and uniform on :math:`[-u, u]` (standard deviation
    :math:`u/\sqrt 3`), each value is off by about

    .. math::

        \frac{u\,c}{\sqrt 3}, \qquad
        c = \Big(|f|^2 + \sum_i \Big(x_i \frac{\partial f}{\partial x_i}\Big)^2\Big)^{1/2}
        = \sqrt{f^2 + (x f')^2} \text{ for scalar } x

    (the largest over the components of a vector-valued ``f``; for array ``x`` the partial
    derivatives come from :func:`dualdiff.jacobian`; ``c`` is
    :attr:`ErrorStudy.rounding_scale`). The stencil adds these in quadrature and divides by
    ``h``, :math:`u\,c \sqrt{\sum_k w_k^2 / 3} / h`: the root-mean-square rounding error, the
    left arm of the V. The quotient itself is rounded too, :math:`u |g'|`. A worst-case bound
    (:math:`u\,c_1 \sum_k |w_k| / h` with :math:`c_1 = |f| + \sum_i |x_i \partial_i f|`) would
    sit a factor 3 to 5 above the measured errors and put the predicted best steps too far
    right; the root-mean-square model runs through them. The argument part matters when
    :math:`|x f'| \gg |f|`: for :math:`\sin 50x` at 1, :math:`|x f'| \approx 48` against
    :math:`|f| \approx 0.26`, and a model with :math:`|f|` alone sits some 60 times below the
    measured errors. Minimising truncation plus rounding gives the model's best steps, for
    example :math:`h^* = (\sqrt{2/3}\, \varepsilon c / |g''|)^{1/2}` (forward) and
    :math:`h^* = (\tfrac{3}{2} \sqrt{1/6}\, \varepsilon c / |g'''|)^{1/3}` (central); see
    :meth:`ErrorStudy.model_best_step`.

    The study measures :func:`~dualdiff.study.finite_diff.finite_difference` as users call it,
    dividing by the nominal ``h``. The exact-step trick of Numerical Recipes (divide by
    :math:`(x + h) - x` instead) removes only the rounding of :math:`x + h`, not that of the
    arguments formed inside ``f``: for :math:`\sin 50x` the rounding arm would still be about
    30 times the value-only model.

    AD's own error cannot be measured against itself: it is measured against ``reference`` when
    given (say an analytic derivative), otherwise against the complex step at ``h = 1e-20``
    (whose truncation error is ``~1e-40`` and which shares no code with AD), otherwise it is
    NaN; AD is then exact up to the rounding of the operations, ``~ eps |f'|``.

    Parameters
    ----------
    f : callable
        A function of one argument written with dualdiff's functions (``dd.sin``, ...), so AD,
        real and complex points all go through it.
    x : float or array_like
        The point.
    v : float or array_like, optional
        The direction, required for array ``x``.
    steps : array_like, optional
        Positive finite step sizes. Default: ``numpy.logspace(-16, 0, 161)``, 10 per decade.
    reference : float or array_like, optional
        The true derivative, if known, to measure AD's error against.
    name : str, optional
        The function's name for titles (default: ``f.__name__``).
    methods : sequence of str, optional
        A subset of :data:`~dualdiff.study.finite_diff.METHODS`. The complex step is left out,
        with a warning, when ``f`` does not carry the imaginary part through.

    Returns
    -------
    ErrorStudy

    Examples
    --------
    >>> import dualdiff as dd
    >>> study = error_study(dd.sin, 1.0)
    >>> 1e-10 <= study.best_step["forward"] <= 1e-6
    True
    >>> bool(study.best_error["central"] < 1e-9)
    True
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x_arr, v_arr = _check_point(x, v)
    methods = _check_methods(methods)
    hs = _check_steps(steps)
    directional = v is not None
    value = _value_at(f, x_arr)
    exact = _exact(f, x_arr, v_arr, directional)
    scale = float(np.max(np.abs(exact), initial=0.0))
    higher = _higher_derivatives(f, x_arr, v_arr, directional, exact)
    if "complex" in methods and not _complex_step_works(f, x_arr, v_arr, exact):
        methods = tuple(m for m in methods if m != "complex")

    c = _rounding_scale(f, x_arr, value)
    errors, truncation, rounding, best_step, best_error = {}, {}, {}, {}, {}
    default_steps, default_errors = {}, {}
    for m in methods:
        errors[m] = _readonly([_error(f, x_arr, h, m, v_arr, exact) for h in hs])
        order, const, power = TRUNCATION[m]
        truncation[m] = _readonly(const * hs**power * higher[order])
        quotient = np.full_like(hs, EPS / 2 * scale)  # the rounding of D_h itself
        if m == "complex":
            rounding[m] = _readonly(quotient)
        else:
            rounding[m] = _readonly(EPS / 2 * ROUNDING_WEIGHT[m] * c / hs + quotient)
        best_step[m], best_error[m] = _best(hs, errors[m])
        default_steps[m] = default_step(m, x_arr, v_arr)
        default_errors[m] = _error(f, x_arr, default_steps[m], m, v_arr, exact)
    ad_error, ad_reference = _ad_error(f, x_arr, v_arr, exact, reference, "complex" in methods)

    return ErrorStudy(
        function_name=name if name is not None else _name_of(f),
        x=_public(x_arr),
        v=_public(v_arr),
        steps=hs,
        value=_public(value),
        exact=_public(exact),
        higher=higher,
        errors=errors,
        relative_errors={m: _relative(e, scale) for m, e in errors.items()},
        best_step=best_step,
        best_error=best_error,
        truncation=truncation,
        rounding=rounding,
        default_step=default_steps,
        default_error=default_errors,
        ad_error=ad_error,
        ad_relative_error=ad_error / scale if scale > 0 else math.nan,
        ad_reference=ad_reference,
        directional=directional,
        rounding_scale=c,
    )


def _check_methods(methods):
    """The requested methods, validated, in the canonical order."""
    methods = tuple(methods)
    for m in methods:
        if m not in METHODS:
            allowed = ", ".join(repr(k) for k in METHODS)
            raise ValueError(f"unknown method {m!r}; choose from {allowed}")
    if not methods:
        raise ValueError("methods is empty: choose at least one method")
    return tuple(m for m in METHODS if m in methods)


def _check_steps(steps: ArrayLike | None) -> np.ndarray:
    """Sorted, unique, positive, finite steps as a read-only float array."""
    if steps is None:
        return _readonly(np.logspace(-16, 0, 161))
    arr = np.array(steps, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError("steps is empty: give at least one step size")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("every step size must be finite and > 0")
    return _readonly(np.unique(arr))


def _value_at(f, x):
    """``f(x)``, refusing a point outside the function's domain."""
    try:
        with np.errstate(all="ignore"):
            value = _evaluate(f, x)
    except OverflowError as err:  # Python floats raise where NumPy gives inf
        raise _overflow(x) from err
    except (ArithmeticError, ValueError) as err:
        raise ValueError(f"f cannot be evaluated at x = {format_point(x)}: {err}") from err
    if np.any(np.isinf(value)):
        raise _overflow(x)
    if not np.all(np.isfinite(value)):
        raise ValueError(
            f"f(x) is not finite at x = {format_point(x)}: choose a point in f's domain"
        )
    return value


def _overflow(x):
    """The error for an ``f`` whose value at ``x`` is beyond the largest float."""
    return ValueError(
        f"f(x) overflows at x = {format_point(x)}: |f(x)| exceeds the largest float "
        f"{np.finfo(float).max:.3g}; choose a point where f is smaller"
    )


def _exact(f, x, v, directional):
    """The directional derivative by AD: ``dd.derivative`` for scalars, else ``dd.jvp``."""
    import dualdiff as dd

    with np.errstate(all="ignore"):
        if directional or x.ndim > 0:
            exact = np.asarray(dd.jvp(f, (_arg(x),), (_arg(v),))[1])
        else:
            exact = np.asarray(dd.derivative(f)(x.item()))
    if exact.dtype.kind not in "biufc":
        raise TypeError(f"the AD derivative is not numeric (dtype {exact.dtype})")
    if np.any(np.isinf(exact)):
        raise ValueError(
            f"the derivative of f overflows at x = {format_point(x)}: it exceeds the largest "
            f"float {np.finfo(float).max:.3g}"
        )
    if not np.all(np.isfinite(exact)):
        raise ValueError(f"f has no finite derivative at x = {format_point(x)}")
    return exact


def _rounding_scale(f, x, value):
    """``c = max_j sqrt(|f_j|**2 + sum_i (x_i df_j/dx_i)**2)``, the rounding scale of error_study.

    The partial derivatives come from one forward pass (scalar ``x``) or from
    :func:`dualdiff.jacobian`. If they cannot be taken, the argument part is left out, with a
    warning, and ``c = |f|``.
    """
    import dualdiff as dd

    size = np.abs(value).astype(float)
    try:
        with np.errstate(all="ignore"):
            if x.ndim == 0:
                partial = np.asarray(dd.jvp(f, (x.item(),), (1.0,))[1])
                parts = np.abs(partial * x.item())[..., None]
            else:
                jac = np.asarray(dd.jacobian(f)(x.copy())).reshape(size.shape + (x.size,))
                parts = np.abs(jac * x.ravel())
            parts = np.concatenate([size[..., None], parts], axis=-1)
            # the 2-norm over the last axis, scaled first so that squares cannot overflow
            big = np.max(parts, axis=-1, keepdims=True)
            big = np.where(big > 0, big, 1.0)
            total = big[..., 0] * np.sqrt(np.sum((parts / big) ** 2, axis=-1))
        if not np.all(np.isfinite(total)):
            raise ValueError("a partial derivative is not finite")
    except (TypeError, ValueError, ArithmeticError, NotImplementedError) as err:
        warnings.warn(
            f"the rounding model needs the partial derivatives of f ({err}); it counts only "
            "the rounding of the values of f",
            RuntimeWarning,
            stacklevel=3,
        )
        total = size
    return float(np.max(total, initial=0.0))


def _higher_derivatives(f, x, v, directional, exact):
    """``k -> |g^(k)(0)|`` (max-norm) for ``g(t) = f(x + t v)``, ``k = 1..5``, by nested AD."""
    import dualdiff as dd

    if directional or x.ndim > 0:
        t0 = 0.0

        def g(t):
            return f(t * _arg(v) + _arg(x))
    else:
        g, t0 = f, x.item()
    norms = {1: float(np.max(np.abs(exact), initial=0.0))}
    derivative = dd.derivative(g)
    try:
        for k in range(2, 6):
            derivative = dd.derivative(derivative)
            with np.errstate(all="ignore"):
                norms[k] = float(np.max(np.abs(np.asarray(derivative(t0))), initial=0.0))
    except (TypeError, ValueError, ArithmeticError, NotImplementedError) as err:
        warnings.warn(
            f"the truncation models need derivatives of f up to order 5, but order {k} "
            f"failed ({err}); those models are left out (NaN)",
            RuntimeWarning,
            stacklevel=3,
        )
        norms.update({j: math.nan for j in range(k, 6)})
    return norms


def _complex_step_works(f, x, v, exact):
    """Whether ``f`` carries the complex step; if not, warn and say why.

    The complex step at ``h = 1e-20`` must agree with AD or with a central difference (whose
    error is ~eps**(2/3)); agreeing with neither means f is not analytic on complex input.
    """
    if np.iscomplexobj(x):
        reason = "x is complex"
    else:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                step = finite_difference(f, x, default_step("complex", x, v), "complex", v)
                central = _real_step(f, x, default_step("central", x, v), "central", v)
            gaps = [_gap(step, exact, exact), _gap(step, central, central)]
            if not min(gaps) > CONSISTENCY:  # NaN: leave it to the per-step errors
                return True
            reason = (
                f"it disagrees with AD and with the central difference (relative "
                f"{min(gaps):.1e}), so f is not analytic on complex input here (abs, sign, "
                "comparisons, max/min or real-only steps)"
            )
        except (ValueError, TypeError, ArithmeticError) as err:
            reason = str(err)
    warnings.warn(f"complex step left out: {reason}", RuntimeWarning, stacklevel=3)
    return False


def _gap(a, b, scale):
    """``|a - b| / (1 + |scale|)`` in the max-norm."""
    diff = np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0)
    return float(diff / (1.0 + np.max(np.abs(scale), initial=0.0)))


def _difference(f, x, h, method, v):
    """One finite difference without argument checks (they were done once up front)."""
    if method == "complex":
        return _complex_step(f, x, h, v, check=False)
    return _real_step(f, x, h, method, v)


def _error(f, x, h, method, v, exact):
    """``|D_h f - exact|`` (max-norm); NaN if ``f`` fails at a shifted point."""
    try:
        with np.errstate(all="ignore"):
            estimate = np.asarray(_difference(f, x, h, method, v))
            return float(np.max(np.abs(estimate - exact), initial=0.0))
    except (ArithmeticError, ValueError):  # e.g. a math domain error at x - h
        return math.nan


def _best(steps, errors):
    """The (step, error) with the smallest error; NaNs if every error is NaN."""
    if np.all(np.isnan(errors)):
        return math.nan, math.nan
    i = int(np.nanargmin(errors))
    return float(steps[i]), float(errors[i])


def _ad_error(f, x, v, exact, reference, complex_ok):
    """AD's error and what it was measured against (see :func:`error_study`)."""
    if reference is not None:
        ref = np.asarray(reference)
        if ref.shape != exact.shape:
            raise ValueError(
                f"reference has shape {ref.shape} but the derivative has shape {exact.shape}"
            )
        return float(np.max(np.abs(exact - ref), initial=0.0)), "the given reference"
    if complex_ok:
        h = default_step("complex", x, v)  # 1e-20 in the units of x
        ref = np.asarray(_difference(f, x, h, "complex", v))
        if np.all(np.isfinite(ref)):
            error = float(np.max(np.abs(exact - ref), initial=0.0))
            return error, f"the complex step at h = {h:.0e}"
    return math.nan, "no reference: f is not complex-step safe; AD is exact up to rounding"


def _relative(errors, scale):
    """Errors divided by the exact derivative's norm; all NaN when it is zero."""
    if scale == 0:
        return _readonly(np.full_like(errors, math.nan))
    return _readonly(errors / scale)


def _readonly(values):
    """A float array that cannot be modified in place."""
    arr = np.array(values, dtype=float)
    arr.setflags(write=False)
    return arr


def _arg(a):
    """A 0-d array as a Python number, other arrays as copies: what ``f`` is given."""
    return a.item() if a.ndim == 0 else a.copy()


def _public(a):
    """A 0-d array as a Python number, other arrays read-only."""
    if a.ndim == 0:
        return a.item()
    a = a.copy()
    a.setflags(write=False)
    return a


def _name_of(f):
    """A printable name for ``f``: its ``__name__`` (or ``name``) unless it is a lambda."""
    for attribute in ("__name__", "name"):
        name = getattr(f, attribute, None)
        if isinstance(name, str) and name and name != "<lambda>":
            return name
    return "f"


def format_point(a):
    """A short text for a point or derivative, at most ~6 significant digits per entry."""
    arr = np.asarray(a)
    if arr.dtype.kind in "fc":
        arr = arr + 0.0  # -0.0 + 0.0 is 0.0: a zero prints as 0, never -0
    if arr.ndim == 0:
        return f"{arr.item():.6g}"
    return np.array2string(
        arr, separator=", ", threshold=8, formatter={"all": lambda value: f"{value:.6g}"}
    )
