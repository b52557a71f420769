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


def unaliased(result, inputs):
    """``result`` as an array of its own: copied if it is read-only (a broadcast view) or
    shares memory with one of the caller's arrays, so writing into it changes nothing else."""
    if isinstance(result, np.ndarray) and (not result.flags.writeable or any(
        isinstance(a, np.ndarray) and np.may_share_memory(result, a) for a in inputs
    )):
        return result.copy()
    return result
