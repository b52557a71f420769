"""Randomized differential test: random expressions of the primitives (depth <= 6), their
derivative by dualdiff against ``mpmath.diff`` of the same expression at 50 digits.

Tolerance.  A float evaluation of an expression can be wrong for two honest reasons: rounding
inside each primitive (its value and its partials), and earlier rounding errors amplified by
later steps.  The first is bounded by a relative ``RTOL = 1e-9`` of the *condition scale*
``S = sum over paths of |product of partials|`` (the derivative computed with absolute
values): each primitive's value and partial is accurate to a few ulps (test_rules.py checks
1e-12), a depth-6 tree multiplies at most a few dozen of them, and ``S`` rather than ``|f'|``
keeps a derivative that is small through cancellation (``cos x - 1`` near 0) from demanding
digits that no float evaluation has.  The second is bounded by a first-order running error
analysis done in mpmath alongside the reference (``_Analysis``): how far each intermediate
value can drift, and how much each partial moves when its inputs drift that far.  A point
where that amplified error would swamp the check (or where an argument sits at a kink or a
jump, where the derivative is a convention and not a limit) is rejected, not loosened.
"""

import mpmath
import numpy as np
import reference as ref
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from reference import REFERENCES
from strategies import expressions

import dualdiff as dd

RTOL = 1e-9
#: one rounding, in the running error analysis (an ulp: libm is accurate to about one)
ULP = 2.0**-52
#: the running error bound is first order and ignores constant factors: allow this many
AMPLIFIED = 64
#: reject a point whose intermediate values exceed this (overflow is not the subject here)
HUGE = 1e12
#: reject a point whose honest error bound exceeds this fraction of the derivative's scale
USELESS = 1e-6

#: reject a point whose derivative scale is below this (relative to the values involved):
#: mpmath.diff's own absolute error, about 10**-40 of the values at 50 digits, would show
TINY = 1e-25

EXAMPLES = 20 * settings().max_examples
# x == 0 exactly is interesting (odd/even symmetry); tiny nonzero x only tests mpmath.diff
X = st.one_of(st.just(0.0), st.floats(-3.0, -1e-3), st.floats(1e-3, 3.0))


class _Reject(Exception):
    pass


def _near(v, kink, err):
    """``v`` is within reach of ``kink`` given its possible float error ``err``."""
    return abs(v - kink) <= max(mpmath.mpf("1e-6"), 1000 * err)


def _check_kinks(name, vs, errs):
    """Reject arguments at a kink or jump: there the derivative is a convention."""
    v = vs[0]
    if name in ("absolute", "sign", "relu") and _near(v, 0, errs[0]):
        raise _Reject(f"{name} at its kink")
    if name in ("floor", "ceil", "trunc") and _near(v, mpmath.nint(v), errs[0]):
        raise _Reject(f"{name} at a jump")
    if name == "rint" and _near(v, mpmath.floor(v) + mpmath.mpf(0.5), errs[0]):
        raise _Reject("rint at a jump")
    if name in ("maximum", "minimum") and _near(v, vs[1], errs[0] + errs[1]):
        raise _Reject(f"{name} at a tie")
    if name in ("hypot", "arctan2") and _near(abs(v) + abs(vs[1]), 0, errs[0] + errs[1]):
        raise _Reject(f"{name} at the origin")
    if name == "arctan2" and vs[1] < 0 and _near(v, 0, errs[0]):
        raise _Reject("arctan2 at its branch cut")


class _Analysis:
    """Evaluate an expression in mpmath with, per node: value ``v``, condition scale ``s``
    (the derivative with absolute values), and error bounds for the float value (``ev``) and
    the float derivative (``ed``) propagated from the rounding of every earlier node."""

    def __init__(self, expr, x):
        with mpmath.workdps(ref.DPS):
            self.biggest = mpmath.mpf(1)
            self.v, self.s, self.ev, self.ed = self._walk(expr, mpmath.mpf(x))

    def _walk(self, e, x):
        if e.name is None:
            v = x if e.const is None else mpmath.mpf(e.const)
            return v, mpmath.mpf(1 if e.const is None else 0), mpmath.mpf(0), mpmath.mpf(0)
        kids = [self._walk(c, x) for c in e.children]
        vs = [k[0] for k in kids]
        errs = [k[2] for k in kids]
        _check_kinks(e.name, vs, errs)
        r = REFERENCES[e.name]
        v = r.value(*vs)
        if not mpmath.isfinite(v) or abs(v) > HUGE:
            raise _Reject(f"{e.name} value {v} too large")
        self.biggest = max(self.biggest, abs(v))
        s = ev = ed = mpmath.mpf(0)
        for i, p in enumerate(r.partials):
            ki = kids[i]
            if not (ki[1] or ki[2] or ki[3]):
                continue  # an exact constant: its partial (0 ** y's log 0...) is never used
            pv = p(*vs)
            if not mpmath.isfinite(pv):
                raise _Reject(f"{e.name} has an infinite partial")
            # how far this partial moves when each input drifts by its error bound
            drift = mpmath.mpf(0)
            for j, err in enumerate(errs):
                if err:
                    for sgn in (1, -1):
                        moved = [u + sgn * err if k == j else u for k, u in enumerate(vs)]
                        drift = max(drift, abs(p(*moved) - pv))
            s += abs(pv) * ki[1]
            ev += abs(pv) * ki[2]
            ed += abs(pv) * ki[3] + drift * ki[1]
        ev += ULP * abs(v)
        ed += ULP * s
        return v, s, ev, ed


def _analyse(expr, x):
    try:
        return _Analysis(expr, x)
    except _Reject as why:
        note(f"rejected: {why}")
        assume(False)
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        note(f"rejected: mpmath raised {err!r}")
        assume(False)


def _check(expr, x, got, what):
    a = _analyse(expr, x)
    with mpmath.workdps(ref.DPS):
        want = mpmath.diff(expr.mp, mpmath.mpf(x))
    scale = max(abs(want), a.s)
    if scale and scale < TINY * a.biggest:
        note(f"rejected: derivative scale {scale} too small for the reference")
        assume(False)
    tol = RTOL * scale + AMPLIFIED * a.ed
    if AMPLIFIED * a.ed > USELESS * scale:
        note(f"rejected: rounding error {a.ed} amplified beyond use")
        assume(False)
    got = float(np.asarray(got))
    err = abs(mpmath.mpf(got) - want)
    assert err <= tol, (
        f"{what} of {expr.text} at x = {x!r}: expected {float(want)!r}, got {got!r}"
        f" (error {float(err):.3g}, tolerance {float(tol):.3g}:"
        f" {RTOL:g} x condition scale {float(a.s):.3g} + amplified rounding {float(a.ed):.3g})"
    )
    return a


@settings(max_examples=EXAMPLES)
@given(expr=expressions(), x=X)
def test_derivative_matches_mpmath_diff(expr, x):
    note(f"expression: {expr.text}, x = {x!r}")
    got = dd.derivative(expr.dd)(x)
    a = _check(expr, x, got, "dd.derivative")
    value = expr.dd(x)
    value = float(np.asarray(getattr(value, "primal", value)))
    tol = RTOL * max(abs(a.v), 1e-300) + AMPLIFIED * a.ev
    assert abs(mpmath.mpf(value) - a.v) <= tol, (
        f"value of {expr.text} at x = {x!r}: expected {float(a.v)!r}, got {value!r}"
    )


@settings(max_examples=EXAMPLES // 2)
@given(expr=expressions(), x=X)
def test_grad_matches_mpmath_diff(expr, x):
    """Reverse mode over the same expressions (a constant expression has gradient 0)."""
    note(f"expression: {expr.text}, x = {x!r}")
    got = dd.grad(expr.dd)(x)
    _check(expr, x, got, "dd.grad")
