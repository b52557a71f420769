"""NumPy's own functions on wrappers: the ufunc and array-function tables.

A NumPy function that is not listed raises ``TypeError`` naming it: it never returns a
wrong number (for example a derivative silently dropped).
"""

import sys

import numpy as np

from . import rules, scipy_hook
from .core import strip
from .objects import lift_objects
from .registry import (
    FUNCTIONS,
    PRIMAL_FUNCTIONS,
    PRIMAL_UFUNCS,
    PRIMITIVES,
    UFUNCS,
)

UFUNCS.update({getattr(np, name): prim for name, prim in PRIMITIVES.items()
               if isinstance(getattr(np, name, None), np.ufunc)})
UFUNCS.update({
    np.true_divide: rules.divide,
    np.positive: lambda x: x,
    np.fabs: rules.absolute,
    np.fmax: rules.maximum,
    np.fmin: rules.minimum,
})

PRIMAL_UFUNCS.update({
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.isfinite, np.isnan, np.isinf, np.signbit, np.logical_and, np.logical_or,
    np.logical_not, np.logical_xor, np.floor_divide,
})

PRIMAL_FUNCTIONS.update({
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.nonzero,
    np.count_nonzero, np.isclose, np.allclose, np.array_equal, np.round,
    np.around, np.searchsorted, np.result_type, np.iscomplexobj,
    np.isrealobj, np.isscalar, np.any, np.all,
})


def _lift_all(args):
    """Object arrays of wrappers (``np.array([d1, d2])``) as one wrapper each."""
    if isinstance(args, (list, tuple)):
        return type(args)(_lift_all(a) for a in args)
    return lift_objects(args)


scipy_hook.install()


def qualified_name(fn):
    """``np.sum``, ``np.linalg.det``, ``scipy.special.struve``: the name a user would type."""
    name = getattr(fn, "__name__", repr(fn))
    if isinstance(fn, np.ufunc):
        special = sys.modules.get("scipy.special")
        if special is not None and getattr(special, name, None) is fn:
            return f"scipy.special.{name}"
        return f"np.{name}"
    module = getattr(fn, "__module__", None) or "numpy"
    public = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    prefix = ".".join(public) or module
    return f"{prefix.replace('numpy', 'np', 1) if prefix.startswith('numpy') else prefix}.{name}"


def _strip_all(args):
    if isinstance(args, (list, tuple)):
        return type(args)(_strip_all(a) for a in args)
    return strip(args)


def ufunc(uf, method, inputs, kwargs):
    """Dispatch ``ufunc(*inputs)`` on wrappers."""
    if method != "__call__" or kwargs.get("out") is not None:
        raise TypeError(f"np.{uf.__name__}.{method} (or out=) is not supported on Duals")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if uf in PRIMAL_UFUNCS:
        return uf(*_strip_all(inputs), **kwargs)
    if kwargs:
        raise TypeError(f"np.{uf.__name__} with {sorted(kwargs)} is not supported on Duals")
    prim = UFUNCS.get(uf)
    if prim is None:
        scipy_hook.ensure()  # SciPy's ufunc rules, if SciPy was loaded behind the hook's back
        prim = UFUNCS.get(uf)
    if prim is None:
        raise TypeError(f"{qualified_name(uf)} is not supported on Duals (no derivative rule; "
                        "add one with dd.register_rule)")
    return prim(*_lift_all(inputs))


def function(func, args, kwargs):
    """Dispatch a NumPy array function (``np.sum``, ...) on wrappers."""
    if func in PRIMAL_FUNCTIONS:
        return func(*_strip_all(args), **{k: _strip_all(v) for k, v in kwargs.items()})
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise TypeError(f"{qualified_name(func)} is not supported on Duals (no derivative rule; "
                        "add one with dd.register_rule)")
    try:
        return impl(*_lift_all(args), **kwargs)
    except TypeError as e:
        if "unexpected keyword" in str(e):
            raise TypeError(f"np.{func.__name__}: {e}") from None
        raise
