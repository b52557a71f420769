"""Derivative rules raise no floating-point warnings of their own.

Where the function itself is quiet (NumPy computes it without a warning), its derivative must
be too: an overflow on the way to a partial of 0 is dualdiff's business, not the user's.
"""

import warnings

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.rules import PRIMITIVES

UNARY = sorted(name for name, p in PRIMITIVES.items()
               if p.kind in ("elementwise", "zero") and getattr(p, "nargs", 1) == 1)
POINTS = np.array([-1e200, -800.0, -30.0, -1.0, -1e-300, 0.0, 1e-300, 0.5, 30.0, 800.0, 1e200])


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args)


def _value_is_quiet(f, x):
    try:
        _quiet(f, np.array([x]))
    except RuntimeWarning:
        return False  # the value itself overflows or leaves the domain: NumPy's own warning
    return True


CASES = [(name, x) for name in UNARY for x in POINTS if _value_is_quiet(PRIMITIVES[name], x)]


@pytest.mark.parametrize("name, x", CASES)
def test_no_warning_where_the_function_is_quiet(name, x):
    f = PRIMITIVES[name]
    a = np.array([x])
    _quiet(dd.jvp, f, (a,), (np.ones(1),))
    _quiet(dd.grad(lambda z: np.sum(f(z))), a)
    _quiet(dd.derivative(f), float(x))
