"""Assertions shared by the property tests: closeness with a stated scale, and messages that
say which primitive, at which input, expected what and got what."""

import numpy as np

EPS = np.finfo(float).eps
UNDERFLOW = 4 * np.finfo(float).smallest_subnormal


def assert_close(got, expected, rtol, *, scale=None, what="", inputs=()):
    """``|got - expected| <= rtol * max(|expected|, scale)`` elementwise (infinities must match).

    ``scale`` (an array or number) is the magnitude the error is naturally measured against
    when ``expected`` itself can be small through cancellation (a condition number times the
    size of the terms); without it this is a plain relative tolerance.  Shapes must match
    exactly, and a nan anywhere fails.
    """
    got_arr = np.asarray(got, dtype=float)
    exp_arr = np.asarray(expected, dtype=float)
    assert got_arr.shape == exp_arr.shape, (
        f"{what}: shape {got_arr.shape}, expected {exp_arr.shape}"
    )
    size = np.abs(exp_arr) if scale is None else np.maximum(np.abs(exp_arr), scale)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got_arr - exp_arr)
        # (a result that underflows is rounded to an absolute 2**-1074, not a relative unit:
        # two orders of the same terms may differ by a few such units)
        ok = (got_arr == exp_arr) | (err <= rtol * size) | (err <= UNDERFLOW)
    if ok.all():
        return
    bad = np.argwhere(~ok)
    idx = tuple(bad[0])
    if inputs:
        shown = ", ".join(
            repr(float(a[idx])) for a in np.broadcast_arrays(*(np.asarray(a) for a in inputs))
        )
    else:
        shown = "?"
    with np.errstate(all="ignore"):
        rel = err[idx] / size[idx] if size[idx] else np.inf
    raise AssertionError(
        f"{what}: {len(bad)} of {ok.size} element(s) off; first at index {idx}, input ({shown}):"
        f" expected {exp_arr[idx]!r}, got {got_arr[idx]!r} (error {err[idx]:.3g},"
        f" {rel:.3g} of the scale, tolerance {rtol:g})"
    )


def primal(d):
    """The primal of a Dual (or a plain value unchanged)."""
    return getattr(d, "primal", d)


def tangent(d):
    """The tangent of a Dual; a plain result has a zero tangent."""
    t = getattr(d, "tangent", None)
    return np.zeros(np.shape(d)) if t is None else t
