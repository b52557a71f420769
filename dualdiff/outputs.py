"""Checking and taking apart what a differentiated function returns."""

import numpy as np

from .core import WRAPPERS


def check_output(out, where="f"):
    """Raise ``TypeError`` unless ``out`` is numeric (possibly a tuple or list of such)."""
    if isinstance(out, (tuple, list)):
        for o in out:
            check_output(o, where)
        return
    if type(out) in WRAPPERS or isinstance(out, (int, float, complex)):
        return
    if isinstance(out, (np.ndarray, np.generic)) and out.dtype.kind in "biufc":
        return
    raise TypeError(f"{where} must return a number or a numeric array, "
                    f"got {type(out).__name__}")


def tree_map(fn, out):
    """Apply ``fn`` to each leaf of nested tuples and lists."""
    if isinstance(out, (tuple, list)):
        return type(out)(tree_map(fn, o) for o in out)
    return fn(out)
