"""NumPy's own functions on wrappers: the ufunc and array-function tables.

A NumPy function that is not listed raises ``TypeError`` naming it: it never returns a
wrong number (for example a derivative silently dropped).
"""

import sys

import numpy as np

from . import rules, scipy_hook
from .core import WRAPPERS, ndim, normalize_axis, peek, shape, strip
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
    np.count_nonzero, np.isclose, np.allclose, np.array_equal, np.searchsorted,
    np.result_type, np.iscomplexobj,
    np.isrealobj, np.isscalar, np.any, np.all,
    # indices, bins and tests of values: their results do not vary smoothly with the values
    np.lexsort, np.digitize, np.flatnonzero, np.isin, np.isneginf, np.isposinf, np.iscomplex,
    np.isreal, np.array_equiv, np.may_share_memory, np.shares_memory,
})


def _lift_all(args, lists=True):
    """Object arrays of wrappers (``np.array([d1, d2])``) as one wrapper each, and so a list
    of numbers and scalar wrappers (``np.append([x, 2.0], y)``: else NumPy would make it an
    object array that the primitives take for a constant)."""
    if isinstance(args, (list, tuple)):
        lifted = type(args)(_lift_all(a, lists) for a in args)
        if lists and type(args) is list and _scalars_with_wrappers(lifted):
            return lift_objects(np.array(lifted, dtype=object))
        return lifted
    return lift_objects(args)


def _scalars_with_wrappers(items):
    kinds = [type(x) in WRAPPERS and shape(x) == () for x in items]
    return any(kinds) and all(
        k or isinstance(x, (int, float, complex, np.number)) for k, x in zip(kinds, items))


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


def _has_objects(args):
    for a in args:
        t = type(a)
        if (t is np.ndarray and a.dtype == object) or t is list or t is tuple:
            return True
    return False


def _strip_all(args):
    if isinstance(args, (list, tuple)):
        return type(args)(_strip_all(a) for a in args)
    return strip(args)


def ufunc(uf, method, inputs, kwargs):
    """Dispatch ``ufunc(*inputs)`` and the ufunc methods (``reduce``, ``accumulate``,
    ``outer``, ``at``) on wrappers, with the keywords ``out=``, ``where=``, ``dtype=`` and
    ``keepdims=``.  The methods are written from the primitives, so they get every mode."""
    if method == "__call__" and not kwargs:  # the common case, kept short
        prim = UFUNCS.get(uf)
        if prim is not None:
            return prim(*(_lift_all(inputs) if _has_objects(inputs) else inputs))
    name = uf.__name__
    kwargs = dict(kwargs)
    out = kwargs.pop("out", None)
    if isinstance(out, tuple):
        if len(out) != 1:
            raise TypeError(f"np.{name}: out= must hold one array")
        out = out[0]
    inputs = _lift_all(inputs)
    if uf in PRIMAL_UFUNCS:
        kw = {k: _strip_all(v) for k, v in kwargs.items()}
        if out is not None:
            _check_plain_out(out, name)
            kw["out"] = out
        return getattr(uf, method)(*_strip_all(inputs), **kw)
    prim = UFUNCS.get(uf)
    if prim is None:
        scipy_hook.ensure()  # SciPy's ufunc rules, if SciPy was loaded behind the hook's back
        prim = UFUNCS.get(uf)
    if prim is None:
        raise TypeError(f"{qualified_name(uf)} is not supported on Duals (no derivative rule; "
                        "add one with dd.register_rule)")
    method_impl = _METHODS.get(method)
    if method_impl is None:
        raise TypeError(f"np.{name}.{method} is not supported on Duals; write it with "
                        f"np.{name} and indexing")
    if method == "at":
        if out is not None or kwargs:
            raise TypeError(f"np.{name}.at takes no keywords")
        return _at(uf, prim, *inputs)
    where = kwargs.pop("where", True)
    dtype = kwargs.pop("dtype", None)
    for k in ("casting", "order", "subok"):
        kwargs.pop(k, None)  # NumPy's defaults are the only meaning on wrappers
    if dtype is not None:
        inputs = [_cast(x, dtype, name) for x in inputs]
    if where is not True and method == "accumulate":
        raise TypeError(f"np.{name}.accumulate() got an unexpected keyword argument 'where'")
    if where is not True and method == "reduce":
        # the masked-out entries become the identity (or initial=), selected, as in NumPy
        fill = kwargs.get("initial", uf.identity)
        if fill is None:
            raise ValueError(f"reduction operation '{name}' does not have an identity, so to "
                             "use a where mask one has to specify 'initial'")
        mask = np.broadcast_to(np.asarray(strip(where), dtype=bool), shape(inputs[0]))
        inputs = [rules.where(mask, inputs[0], fill)]
        where = True
    try:
        r = method_impl(uf, prim, *inputs, **kwargs)
    except TypeError as e:
        if "unexpected keyword" in str(e) or "positional argument" in str(e):
            raise TypeError(f"np.{name}.{method}: {e}") from None
        raise
    if where is not True:
        # where the mask is false NumPy leaves the output as it was: what out= held (zeros
        # here without out=, where NumPy leaves whatever the new memory held)
        r = rules.where(strip(where), r, 0.0 if out is None else out)
    return _into(out, r, name)


def _cast(x, dtype, name):
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise TypeError(f"np.{name} with dtype={dt} would drop the derivative; use a floating "
                        "dtype")
    if type(x) in WRAPPERS:
        return x.astype(dt)
    return np.asarray(x, dtype=dt)


def _call(uf, prim, *inputs):
    if uf.nin != len(inputs):
        raise TypeError(f"np.{uf.__name__} takes {uf.nin} argument(s), got {len(inputs)}")
    return prim(*inputs)


def _binary_only(uf, method):
    if uf.nin != 2:
        raise ValueError(f"{method} only supported for binary functions")


def _reduce(uf, prim, x, axis=0, keepdims=False, initial=None):
    _binary_only(uf, "reduce")
    axes = normalize_axis(axis, ndim(x))
    fast = _REDUCTIONS.get(uf)
    if fast is not None and initial is None:
        return fast(x, axis=axes, keepdims=keepdims)
    # any other binary ufunc: applied along the axis, left to right (as NumPy)
    if len(axes) > 1:
        raise ValueError(f"reduction operation '{uf.__name__}' is not reorderable, so at most "
                         "one axis may be specified")
    items = list(rules.moveaxis(x, axes[0], 0)) if shape(x)[axes[0]] else []
    if initial is not None:
        items.insert(0, initial)
    if not items:
        raise ValueError(f"zero-size array to reduction operation {uf.__name__} which has no "
                         "identity")
    acc = items[0]
    for item in items[1:]:
        acc = prim(acc, item)
    if keepdims:
        acc = rules.expand_dims(acc, axes[0])
    return acc


def _accumulate(uf, prim, x, axis=0):
    _binary_only(uf, "accumulate")
    (axis,) = normalize_axis(axis, ndim(x))
    if uf is np.add:
        return rules.cumsum(x, axis=axis)
    items = list(rules.moveaxis(x, axis, 0))
    acc, outs = items[0], [items[0]]
    for item in items[1:]:
        acc = prim(acc, item)
        outs.append(acc)
    return rules.moveaxis(rules.stack(outs), 0, axis)


def _outer(uf, prim, a, b):
    _binary_only(uf, "outer")
    return prim(rules.reshape(a, shape(a) + (1,) * ndim(b)), b)


def _at(uf, prim, a, indices, b=None):
    """``np.ufunc.at(a, indices, b)``: unbuffered, in place, so repeated indices apply
    again.  ``a`` must be able to hold derivatives (a Dual or tape value)."""
    if type(a) not in WRAPPERS:
        raise TypeError(
            f"np.{uf.__name__}.at writes derivatives into a plain NumPy array, which holds "
            "plain numbers only; create it from the input instead: np.zeros_like(x) or "
            "dd.zeros(n, like=x)")
    index = indices if isinstance(indices, tuple) else (indices,)
    index = tuple(np.asarray(i) if isinstance(i, list) else i for i in index)
    if uf is np.add or uf is np.subtract:
        b = b if uf is np.add else rules.negative(b)
        r = a + rules.index_add_p(rules.broadcast_to(b, np.shape(peek(a)[index])),
                                  index=rules.structure._index(index), shape=shape(a))
    else:
        # every other ufunc: element by element, in order (slow, but exactly NumPy's meaning)
        r = a
        positions = np.broadcast_arrays(*(np.arange(np.shape(peek(a))[k])[i]
                                          for k, i in enumerate(index)))
        flat = [p.reshape(-1) for p in positions] if positions else []
        n = flat[0].size if flat else 1
        bs = None if b is None else rules.reshape(
            rules.broadcast_to(b, np.shape(positions[0]) + np.shape(peek(a))[len(index):]),
            (n,) + np.shape(peek(a))[len(index):])
        for k in range(n):
            at = tuple(int(p[k]) for p in flat)
            v = prim(r[at]) if b is None else prim(r[at], bs[k])
            r = rules.setitem(r, at, v)
    a._become(r)


def _into(out, r, name):
    """The result, written into ``out`` when given (which must be able to hold it)."""
    if out is None:
        return r
    if type(out) in WRAPPERS:
        if shape(r) != shape(out):
            r = rules.broadcast_to(r, shape(out))
        if type(r) not in WRAPPERS:
            r = out.constant(np.array(r, dtype=np.result_type(peek(out), r)))
        out._become(r)
        return out
    if type(r) in WRAPPERS:
        _check_plain_out(out, name, r)
    np.copyto(out, r)
    return out


def _check_plain_out(out, name, r=None):
    if r is not None or type(out) in WRAPPERS:
        raise TypeError(
            f"np.{name}(..., out=...) into a plain NumPy array: it holds plain numbers, so the "
            "derivative would be lost; create out from the input (np.zeros_like(x) or "
            "dd.zeros(n, like=x)), or use the return value")


_METHODS = {"__call__": _call, "reduce": _reduce, "accumulate": _accumulate,
            "outer": _outer, "at": _at}

_REDUCTIONS = {np.add: rules.sum, np.multiply: rules.prod, np.maximum: rules.max,
               np.minimum: rules.min}


def function(func, args, kwargs):
    """Dispatch a NumPy array function (``np.sum``, ...) on wrappers."""
    if func in PRIMAL_FUNCTIONS:
        return func(*_strip_all(args), **{k: _strip_all(v) for k, v in kwargs.items()})
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise TypeError(f"{qualified_name(func)} is not supported on Duals (no derivative rule; "
                        "add one with dd.register_rule)")
    try:
        # (np.block reads the nesting of its lists: they stay lists)
        lifted = _lift_all(args, func is not np.block) if _has_objects(args) else args
        return impl(*lifted, **kwargs)
    except TypeError as e:
        if "unexpected keyword" in str(e):
            raise TypeError(f"np.{func.__name__}: {e}") from None
        raise
