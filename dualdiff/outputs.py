"""Checking and taking apart what a differentiated function returns."""

import numpy as np

from .core import WRAPPERS
from .rules import reshape, stack


def check_output(out, where="f"):
    """``out`` made ready for a driver: numeric, possibly tuples or lists of such.

    An object array holding Duals (what ``np.array([d1, d2])`` builds) becomes one wrapper.
    Anything else raises ``TypeError``.
    """
    if isinstance(out, (tuple, list)):
        return type(out)(check_output(o, where) for o in out)
    if type(out) in WRAPPERS or isinstance(out, (int, float, complex)):
        return out
    if isinstance(out, (np.ndarray, np.generic)) and out.dtype.kind in "biufc":
        return out
    if isinstance(out, np.ndarray) and out.dtype == object:
        return from_objects(out, where)
    raise TypeError(f"{where} must return a number or a numeric array, "
                    f"got {type(out).__name__}")


def from_objects(arr, where="f"):
    """One wrapper (or numeric array) from an object array of Duals, tape values and numbers."""
    items = list(arr.flat)
    for x in items:
        if not (type(x) in WRAPPERS or isinstance(x, (int, float, complex, np.number))):
            raise TypeError(f"{where}: an object array holding a {type(x).__name__} has no "
                            "derivative; hold only numbers, Duals and tape values")
    if not any(type(x) in WRAPPERS for x in items):
        return np.array(items).reshape(arr.shape)
    return reshape(stack(items), arr.shape)


def lift_objects(x):
    """``x``, except that an object array (of Duals, tape values and numbers) becomes one
    wrapper (or a numeric array), which the primitives can differentiate."""
    if type(x) is np.ndarray and x.dtype == object:
        return from_objects(x, "an operand")
    return x


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

