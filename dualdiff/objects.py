"""Object arrays of Duals and tape values (what ``np.array([d1, d2])`` builds), as one wrapper.

Below the wrappers' NumPy protocols (which lift object-array operands) and the drivers (which
lift object-array outputs); it needs only the rule table.
"""

import numpy as np

from .core import WRAPPERS
from .rules import reshape, stack


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
