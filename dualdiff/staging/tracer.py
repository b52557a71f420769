"""The staging tracer: a value at the bottom of every level that records what is done to it.

A :class:`Tracer` carries a concrete value (tracing is concrete: every operation is computed
as it is recorded) and its node in a :class:`Graph`.  It is *not* a derivative wrapper: the
Duals and tape values of every driver run above it unchanged, and when a primitive finally
reaches plain values they are tracers, so the primitive is recorded (``Tracer.lift``).
NumPy functions, ufuncs and Python operators applied to tracers directly (by user code, or by
a rule computing a mask from primal values) are recorded too, through NumPy's protocols.

Whatever leaves the traced world as a plain Python value is a decision that the generated code
must re-check: ``bool()`` of a comparison (an ``if``, a loop condition), ``int()``/``index``
(a loop's length, a shape), ``.item()``, or an array handed to code that needs real numbers.
Each becomes a *guard*: the node and the value seen while tracing.  A replay whose guard sees
another value stops, and the function is traced again for the new path.
"""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from ..core import DISPATCH, STAGING, TRACERS, WRAPPERS, scale
from ..primitive import MATH_ERRORS, Elementwise, Primitive

#: NumPy functions whose result depends only on shapes and dtypes (part of a trace's
#: signature): computed on the concrete values and returned as plain constants.
STATIC_FUNCTIONS = {
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj, np.isscalar,
    np.may_share_memory, np.shares_memory, np.min_scalar_type, np.can_cast,
}

_current: list[Graph] = STAGING  # the graphs being traced (innermost last)


class TracingError(TypeError):
    """A function cannot be staged as it is written (the message says why and what to do)."""


def active():
    """The graph being traced, or None."""
    return _current[-1] if _current else None


class Node:
    """One call ``fn(*args, **kwargs)`` of a trace, as the code generator rewrites it (a
    fused sum, a numexpr call); its arguments may hold tracers.  The nodes a trace records
    are its tracers themselves (they have the same fields)."""

    __slots__ = ("index", "fn", "args", "kwargs", "name", "value")

    def __init__(self, index, fn, args, kwargs, name, value):
        self.index, self.fn, self.args, self.kwargs = index, fn, args, kwargs
        self.name, self.value = name, value


class Graph:
    """The record of one trace: inputs, nodes in execution order, guards."""

    def __init__(self):
        self.nodes = []
        self.inputs = []
        self.guards = []  # (node index, kind, value seen)
        self._cse = {}

    def __enter__(self):
        _current.append(self)
        return self

    def __exit__(self, *exc):
        _current.pop()

    def release(self):
        """Drop the record: the nodes, their tracers and the values they hold are then freed
        at once (by reference counts) instead of by a pass of the cyclic collector."""
        self.nodes, self.inputs, self.guards, self._cse = [], [], [], {}

    def input(self, value):
        t = self._add(None, (), {}, "input", value)
        self.inputs.append(t)
        return t

    def _add(self, fn, args, kwargs, name, value):
        node = Tracer(value, self, len(self.nodes), fn, args, kwargs, name)
        self.nodes.append(node)
        return node

    def record(self, fn, args, kwargs, name=None):
        """Compute ``fn`` on the concrete values and record it; returns tracers of the result.

        Identical calls on identical operands (common subexpressions, such as ``sin(x)`` for
        the value and ``cos(x)`` twice for two derivatives) are recorded once.
        """
        if not kwargs and len(args) == 2:
            a, b = args
            ta, tb = type(a), type(b)
            if ta is not Tracer or tb is not Tracer:  # (folds need a constant)
                c = b if ta is Tracer else a
                tc = type(c)
                if ta is np.ndarray or tb is np.ndarray or (
                        (tc is float or tc is int) and (c == 0 or c == 1)):
                    folded = _fold(fn, a, b)
                    if folded is not None:
                        return folded
                if tc is float:
                    merged = _merge_factors(self, fn, a, b)
                    if merged is not None:
                        return merged
            if ((type(a) is Tracer and a.name in _NEG_NAMES) or (
                    type(b) is Tracer and b.name in _NEG_NAMES)) and (
                    _is_negation(a) or _is_negation(b)):
                if _is_op(fn, _MULS):
                    moved = _negation_out(self, fn, a, b)
                    if moved is not None:
                        return moved
                elif _is_op(fn, _ADDS):
                    moved = _subtraction(self, a, b)
                    if moved is not None:
                        return moved
        elif not kwargs and len(args) == 1 and _is_op(fn, _NEGS):
            inner = _negated(args[0])
            if inner is not None:
                return inner  # -(-x) is x
        return self._new(fn, args, kwargs, name)

    def _new(self, fn, args, kwargs, name):
        """:meth:`record` once no fold or move applies: the shared node of an identical
        call, or a new one."""
        known = _FIDS.get(id(fn)) or _identify(fn)
        two = not kwargs and len(args) == 2
        if two:  # the hot case written out: scalar code records little else
            a, b = args
            try:
                key = (known[0], a.index if type(a) is Tracer else _operand_key(a),
                       b.index if type(b) is Tracer else _operand_key(b))
            except (_NoKey, TypeError):
                key = None
        else:
            key = _key(known[0], args, kwargs)
        if key is not None:
            hit = self._cse.get(key)
            if hit is not None:
                return hit
        if two:
            va = a.value if type(a) is Tracer else _concrete(a)
            vb = b.value if type(b) is Tracer else _concrete(b)
            value = None
            if known[1] is not None and type(va) is float and type(vb) is float:
                try:  # (as _float_call)
                    value = known[1](va, vb)
                except MATH_ERRORS:
                    pass
            if value is None:
                value = fn(va, vb)
        elif kwargs:
            value = fn(*_concrete(args), **_concrete(kwargs))
        else:
            values = [a.value if type(a) is Tracer else _concrete(a) for a in args]
            value = _float_call(known[1], values)
            if value is None:
                value = fn(*values)
        name = name or getattr(fn, "__name__", "call")
        kwargs = kwargs or _NO_KWARGS
        if type(value) in _PLAIN:  # the common cases first (_add, written out)
            out = Tracer(value, self, len(self.nodes), fn, args, kwargs, name)
            self.nodes.append(out)
        else:
            out = self.wrap(fn, args, kwargs, name, value)
        if key is not None:
            self._cse[key] = out
        return out

    def wrap(self, fn, args, kwargs, name, value):
        if isinstance(value, tuple) and not isinstance(value, np.ndarray):
            carrier = self._add(fn, args, kwargs, name, value)
            return type(value)(*(self.record(operator.getitem, (carrier, i), {}, "getitem")
                                 for i in range(len(value)))) if hasattr(value, "_fields") \
                else tuple(self.record(operator.getitem, (carrier, i), {}, "getitem")
                           for i in range(len(value)))
        if isinstance(value, list):
            carrier = self._add(fn, args, kwargs, name, value)
            return [self.record(operator.getitem, (carrier, i), {}, "getitem")
                    for i in range(len(value))]
        if not _numeric(value):
            raise TracingError(
                f"dd.jit: {name} returned a {type(value).__name__} while tracing; only numbers "
                "and arrays can be staged (call it outside the jitted function)")
        return self._add(fn, args, kwargs, name, value)

    def built(self, fn, parts, what):
        """An output that ``fn`` builds from the traced ``parts`` (see :class:`Built`)."""
        return Built(fn, tuple(parts), what)

    def guard(self, tracer, kind, value):
        self.guards.append((tracer.index, kind, value))
        return value


def _float_call(math_fn, values):
    """``math_fn(*values)``, the ``math`` function of an elementwise primitive (what its own
    dispatch would reach on Python floats, and what the replay calls), when every value is a
    Python float; None where that does not apply or ``math`` refuses the values (then the
    primitive itself decides)."""
    if math_fn is not None:
        for v in values:
            if type(v) is not float:
                return None
        try:
            return math_fn(*values)
        except MATH_ERRORS:
            return None
    return None


def _fold(fn, a, b):
    """``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x`` on scalars: ``x`` itself.

    These come from constant zero (or unit) tangents meeting traced values.  Exact, but for
    the sign of a zero: ``-0.0 + 0.0`` is ``0.0`` where the folded code keeps ``-0.0``.
    """
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return _fold_array(fn, a, b)
    for x, c, right in ((a, b, True), (b, a, False)):
        if type(c) in (float, int) and (c == 0 or c == 1) and type(x) is Tracer:
            op = _operator(fn)
            if op not in _FOLDABLE or not (type(x.value) is float or np.ndim(x.value) == 0):
                return None  # (getitem of a tuple: not arithmetic)
            if c == 0 and (op is operator.add or (op is operator.sub and right)):
                return x
            if c == 1 and op is operator.mul:
                return x
    return None


_FOLDABLE = (operator.add, operator.sub, operator.mul)


def _operator(fn):
    """The operator an arithmetic primitive is (``fn`` itself for another callable)."""
    name = getattr(fn, "name", None) if not isinstance(fn, type(operator.add)) else None
    return fn if name is None else _PRIM_OPS.get(name)


def _fold_array(fn, a, b):
    """``x * c`` for a constant array ``c`` of one number: ``x * number`` (see
    :func:`_constant_factor`), ``x`` itself for 1."""
    if _operator(fn) is operator.mul or fn is np.multiply:  # (the ufunc, on ``ones * x``)
        for x, c in ((a, b), (b, a)):
            if type(x) is Tracer and type(c) is np.ndarray:
                factor = _constant_factor(x, c)
                if factor is None or factor == 1:  # (1: x itself, exactly)
                    return None if factor is None else x
                return x.graph.record(fn, (x, factor) if x is a else (factor, x), {})
    return None


def _merge_factors(graph, fn, a, b):
    """``(p * y) * c`` recorded as ``y * (p * c)`` for a power of two ``p >= 2`` and a
    constant ``c`` with ``1 <= |c|`` and ``p * c`` finite, on float64 values (else None).

    Exact: ``p * y`` is exact but where it overflows, and then ``|y * (p * c)|`` overflows
    too (``|c| >= 1``), to the same infinity; otherwise both sides are the one rounding of
    ``p * c * y`` (subnormals included: doubling one is exact).  Chains of constant factors
    come from the rules (``2 * x`` of a square's partial, times the constant of the sum).
    """
    x, c = (a, b) if type(b) is float else (b, a)
    if type(x) is not Tracer or type(c) is not float:
        return None
    xa = x.args
    if len(xa) != 2 or (type(xa[0]) is not float and type(xa[1]) is not float):
        return None  # (no constant factor to merge: the common case, so decided first)
    if not 1.0 <= abs(c) < math.inf or not _is_op(fn, _MULS) or x.kwargs or not _is_op(
            x.fn, _MULS):
        return None
    for y, p in (x.args, x.args[::-1]):
        if type(p) is float and p >= 2.0 and math.frexp(p)[0] == 0.5 and type(y) is Tracer:
            v = y.value
            if type(v) is float or (type(v) is np.ndarray and v.dtype == np.float64):
                pc = p * c
                if math.isfinite(pc):
                    return graph.record(fn, (y, pc), {})
    return None


def uniform_number(c):
    """The element of the non-empty array ``c`` if every element holds it bit for bit (so
    signed zeros apart, and one nan), else None."""
    flat = c.reshape(-1)
    if not flat.size or c.dtype.itemsize not in (1, 2, 4, 8):
        return None
    bits = flat.view(f"u{c.dtype.itemsize}")
    return flat[0] if (bits == bits[0]).all() else None


def _value(a):
    """The concrete value of an operand (a tracer's, or the constant itself)."""
    return a.value if type(a) is Tracer else a


def _constant_factor(x, c):
    """The number that every element of the constant array ``c`` holds, bit for bit, when
    ``x * c`` has ``x``'s shape and dtype (else None): ``x * c`` is then ``x * number``
    exactly, element by element, and ``x`` itself for 1 (nan and signed zeros included).

    Such arrays are seeds: the adjoint of ``sum`` broadcast back to the summed shape, times
    the constants of the summand (``100 * ones``).  A scalar factor saves reading the array
    on every replay; any other array is recorded as it is.
    """
    v = x.value
    if type(v) is not np.ndarray or c.size > v.size or c.dtype.kind not in "fiu":
        return None
    if np.broadcast_shapes(v.shape, c.shape) != v.shape or np.result_type(v, c) != v.dtype:
        return None
    first = uniform_number(c)
    if first is None:
        return None
    # (float64 and int64 as Python numbers, written into the code: the product keeps the
    # array's dtype, as with the array; other dtypes keep their type: NumPy scalars are not
    # weak, so the product's dtype is the array's again)
    if c.dtype == np.float64:
        return float(first)
    return int(first) if c.dtype == np.int64 else first


_MULS = (operator.mul, np.multiply, "multiply")
_ADDS = (operator.add, np.add, "add")
_NEGS = (operator.neg, np.negative, "negative")


def _is_op(fn, ops):
    return fn is ops[0] or fn is ops[1] or (isinstance(fn, Primitive) and fn.name == ops[2])


def _real(v):
    return type(v) is float or (type(v) is np.ndarray and v.dtype.kind == "f")


def _negation_out(graph, fn, a, b):
    """``(-x) * y`` recorded as ``-(x * y)`` on real values (exact: rounding is symmetric).

    Reverse rules negate adjoints and tangents (``d(-x)``, ``d(1 - x)``); moving the negation
    outwards lets two of them cancel (``-(-z)`` is ``z``, see :meth:`Graph.record`), so a
    chain such as ``-(2 * ((-v) * c))`` costs one product per factor and no negations.
    """
    for k, x in enumerate((a, b)):
        inner = _negated(x)
        if inner is not None:
            other = b if k == 0 else a
            if not (_real(_concrete(other)) or type(other) is int):
                return None
            product = graph.record(fn, (inner, other) if k == 0 else (other, inner), {})
            return graph.record(operator.neg, (product,), {}, "neg")
    return None


def _is_negation(x):
    # (the name first: it is the label record() gave the node, so the test is cheap)
    return type(x) is Tracer and x.name in _NEG_NAMES and _is_op(x.fn, _NEGS)


_NEG_NAMES = frozenset(("neg", "negative"))


def _negated(x):
    """``y`` if ``x`` is the tracer of ``-y`` on real values of one type, else None."""
    if type(x) is Tracer and _is_op(x.fn, _NEGS) and len(x.args) == 1 and _real(
            x.value):
        y = x.args[0]
        if type(y) is Tracer and type(y.value) is type(x.value):
            return y
    return None


def _subtraction(graph, a, b):
    """``x + (-y)`` as ``x - y``, ``(-x) + y`` as ``y - x``, ``(-x) + (-y)`` as ``-(x + y)``:
    exact on real values (IEEE addition is commutative and ``x - y`` is ``x + (-y)``), but
    for the sign of a zero in the last form, as in :func:`_fold`."""
    na, nb = _negated(a), _negated(b)
    if na is None and nb is None:
        return None
    for v in (a, b):
        if not (_real(v.value) if type(v) is Tracer else type(v) is float):
            return None
    va, vb = _concrete(a), _concrete(b)
    if type(va) is not type(vb) or (type(va) is np.ndarray and va.shape != vb.shape):
        return None
    if na is not None and nb is not None:
        return graph.record(operator.neg, (graph.record(operator.add, (na, nb), {}, "add"),),
                            {}, "neg")
    if nb is not None:
        return graph.record(operator.sub, (a, nb), {}, "sub")
    return graph.record(operator.sub, (b, na), {}, "sub")


_PRIM_OPS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul}
_CANONICAL = {**_PRIM_OPS, "divide": operator.truediv}


_NUMBERS = (float, int, complex, np.ndarray, np.float64, np.bool_)
_PLAIN = frozenset((float, np.ndarray))
_NO_KWARGS: dict = {}  # the keywords of most nodes (shared: nodes are never changed)
#: id of a primitive (or of an operator, or ``scale``: functions that live as long) ->
#: ``(the id its calls are keyed by, its function on floats or None)`` (see _key)
_FIDS: dict[int, tuple] = {}


def _identify(fn):
    """``fn``'s entry of :data:`_FIDS` (made for a primitive; not kept for another callable,
    which may die and leave its id to another)."""
    if not isinstance(fn, Primitive):
        return (id(fn), None)
    floats = fn.math_fn if isinstance(fn, Elementwise) else None
    # (the arithmetic primitives and Python's operators compute the same thing: one key)
    known = _FIDS[id(fn)] = (id(_CANONICAL.get(fn.name, fn)), floats)
    return known


def _numeric(v):
    return type(v) in _NUMBERS or isinstance(v, (numbers.Number, np.generic))


def _key(fid, args, kwargs):
    """A hashable identity of a call of the function keyed ``fid`` (see :data:`_FIDS`), or
    None when an operand cannot be compared cheaply."""
    try:
        if kwargs:
            return (fid, *map(_operand_key, args),
                    *(_operand_key(kv) for kv in sorted(kwargs.items())))
        key = [fid]
        for a in args:  # (tracers first: the common case)
            key.append(a.index if type(a) is Tracer else _operand_key(a))
        return tuple(key)
    except (_NoKey, TypeError):
        return None


class _NoKey(Exception):
    pass


def _operand_key(a):
    t = type(a)
    if t is Tracer:
        return a.index
    if t is float:  # (a zero by its sign, every nan as one)
        return ("float", a) if a != 0 and a == a else ("float", a.hex() if a == a else "nan")
    if t in (int, bool, complex, str, type(None), type(Ellipsis)):
        return (t.__name__, repr(a))
    if t is slice:
        return ("slice", _operand_key(a.start), _operand_key(a.stop), _operand_key(a.step))
    if t in (tuple, list):
        return (t.__name__, tuple(_operand_key(x) for x in a))
    if isinstance(a, np.dtype):
        return ("dtype", str(a))
    if isinstance(a, type):
        return ("type", id(a))
    if t is np.ndarray:
        return ("a", id(a))  # the same constant object (arrays are kept alive by the nodes)
    raise _NoKey


def _concrete(x):
    t = type(x)
    if t is Tracer:
        return x.value
    if t is float or t is int:
        return x
    if t is tuple:
        return tuple(_concrete(v) for v in x)
    if t is list:
        return [_concrete(v) for v in x]
    if t is dict:
        return {k: _concrete(v) for k, v in x.items()}
    return x


def _has_tracer(x):
    t = type(x)
    if t is Tracer:
        return True
    if t in (tuple, list):
        return any(_has_tracer(v) for v in x)
    if t is dict:
        return any(_has_tracer(v) for v in x.values())
    return False


def _has_wrapper(xs):
    return any(type(x) in WRAPPERS or (type(x) in (tuple, list) and _has_wrapper(x)) for x in xs)


def _binary(op, name, reflected=False):
    def method(self, other):
        if type(other) in WRAPPERS:
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        return self.graph.record(op, args, {}, name)

    return method


def _unary(op, name):
    def method(self):
        return self.graph.record(op, (self,), {}, name)

    return method


class Tracer:
    """A staged value: its concrete value while tracing, and the node of the trace that
    computes it (the tracer is that node: ``index`` in the graph's nodes, ``fn``, ``args``,
    ``kwargs`` and ``name`` of the call; one object per recorded call)."""

    __slots__ = ("value", "graph", "index", "fn", "args", "kwargs", "name")
    #: below the level of every driver call: Duals and tape values are unwrapped first
    level = 0
    __array_priority__ = 500  # below the wrappers' (they unwrap first), above ndarray's
    __hash__ = None  # type: ignore[assignment]  # unhashable, as arrays are

    def __init__(self, value, graph, index, fn, args, kwargs, name):
        self.value, self.graph, self.index = value, graph, index
        self.fn, self.args, self.kwargs, self.name = fn, args, kwargs, name

    @property
    def node(self):
        """The node of the trace that computes this value: the tracer itself."""
        return self

    # --- the rule table: a primitive on tracers is recorded as one call -------------------

    @staticmethod
    def lift(prim, args, params, level):
        return _graph(args).record(prim, args, params, prim.name)

    def apply_unary(self, prim):
        return self.graph.record(prim, (self,), {}, prim.name)

    # --- what NumPy and Python see ----------------------------------------------------------

    @property
    def shape(self):
        v = self.value
        return () if type(v) is float else np.shape(v)

    @property
    def ndim(self):
        return np.ndim(self.value)

    @property
    def size(self):
        return int(np.size(self.value))

    @property
    def dtype(self):
        return np.asarray(self.value).dtype

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self.value)))

    def __repr__(self):
        return f"Tracer(w{self.index}: {self.value!r})"

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _has_wrapper(inputs):
            return NotImplemented
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        if kwargs.get("out") is not None or method == "at":
            raise TracingError(f"dd.jit: np.{name} into an output buffer cannot be staged; use "
                               "its return value")
        return self.graph.record(fn, inputs, kwargs, name)

    def __array_function__(self, func, types, args, kwargs):
        if any(t in WRAPPERS for t in types):
            return NotImplemented
        if func in STATIC_FUNCTIONS:
            return func(*_concrete(args), **_concrete(kwargs))
        return self.graph.record(func, args, kwargs, func.__name__)

    def __array__(self, dtype=None, copy=None):
        # the values leave the trace (foreign code, np.asarray): guard them exactly
        value = np.asarray(self.value, dtype=dtype)
        self.graph.guard(self, "array", value.copy())
        return value

    def __bool__(self):
        return self.graph.guard(self, "bool", bool(self.value))

    def __index__(self):
        return self.graph.guard(self, "int", operator.index(self.value))

    def __int__(self):
        return self.graph.guard(self, "int", int(self.value))

    def __float__(self):
        raise TracingError(
            "dd.jit: float() of a traced value would bake this call's number into the staged "
            "code; use dd/NumPy functions on it (dd.sin, np.exp, ...), or pass the argument in "
            "static_argnums if the function really depends on its exact value")

    __complex__ = __float__

    def item(self, *index):
        v = self.value if not index else np.asarray(self.value).item(*index)
        v = v.item() if hasattr(v, "item") else v
        if isinstance(v, (bool, int)):
            return self.graph.guard(self if not index else self[index], "item", v)
        raise TracingError("dd.jit: .item() of a float would bake this call's number into the "
                           "staged code; keep it an array (x[()] or x.reshape(()))")

    def tolist(self):
        raise TracingError("dd.jit: .tolist() leaves the trace; keep the values as an array")

    def __getitem__(self, index):
        return self.graph.record(operator.getitem, (self, index), {}, "getitem")

    def __setitem__(self, index, value):
        raise TracingError("dd.jit: assigning into a traced array in place cannot be staged; "
                           "build a new array (np.where, np.concatenate, or a Dual buffer)")

    # array methods: NumPy's functions of the same name
    def reshape(self, *shape):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape)

    def astype(self, dtype, **kw):
        return self.graph.record(np.ndarray.astype if type(self.value) is np.ndarray
                                 else _astype_scalar, (self, dtype), kw, "astype")

    def sum(self, *a, **kw):
        return np.sum(self, *a, **kw)

    def mean(self, *a, **kw):
        return np.mean(self, *a, **kw)

    def max(self, *a, **kw):
        return np.max(self, *a, **kw)

    def min(self, *a, **kw):
        return np.min(self, *a, **kw)

    def prod(self, *a, **kw):
        return np.prod(self, *a, **kw)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def ravel(self):
        return np.ravel(self)

    flatten = ravel

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def copy(self):
        return np.copy(self)

    def conjugate(self):
        return np.conjugate(self)

    conj = conjugate

    def dot(self, other):
        return np.dot(self, other)

    @property
    def T(self):
        return np.transpose(self)

    @property
    def real(self):
        return np.real(self)

    @property
    def imag(self):
        return np.imag(self)

    __add__ = _binary(operator.add, "add")
    __radd__ = _binary(operator.add, "add", True)
    __sub__ = _binary(operator.sub, "sub")
    __rsub__ = _binary(operator.sub, "sub", True)
    __mul__ = _binary(operator.mul, "mul")
    __rmul__ = _binary(operator.mul, "mul", True)
    __truediv__ = _binary(operator.truediv, "truediv")
    __rtruediv__ = _binary(operator.truediv, "truediv", True)
    __floordiv__ = _binary(operator.floordiv, "floordiv")
    __rfloordiv__ = _binary(operator.floordiv, "floordiv", True)
    __mod__ = _binary(operator.mod, "mod")
    __rmod__ = _binary(operator.mod, "mod", True)
    __pow__ = _binary(operator.pow, "pow")
    __rpow__ = _binary(operator.pow, "pow", True)
    __matmul__ = _binary(operator.matmul, "matmul")
    __rmatmul__ = _binary(operator.matmul, "matmul", True)
    __and__ = _binary(operator.and_, "and")
    __rand__ = _binary(operator.and_, "and", True)
    __or__ = _binary(operator.or_, "or")
    __ror__ = _binary(operator.or_, "or", True)
    __xor__ = _binary(operator.xor, "xor")
    __lt__ = _binary(operator.lt, "lt")
    __le__ = _binary(operator.le, "le")
    __gt__ = _binary(operator.gt, "gt")
    __ge__ = _binary(operator.ge, "ge")
    __eq__ = _binary(operator.eq, "eq")
    __ne__ = _binary(operator.ne, "ne")
    __neg__ = _unary(operator.neg, "neg")
    __pos__ = _unary(operator.pos, "pos")
    __abs__ = _unary(operator.abs, "abs")
    __invert__ = _unary(operator.invert, "invert")


def _astype_scalar(x, dtype, **kw):
    return np.asarray(x).astype(dtype, **kw)[()]


def _record_opaque(fn, *args):
    """An engine helper that looks at values (``core.scale``), or a primitive (the short
    path of :mod:`dualdiff.dual` on traced floats), recorded as one call."""
    a = args[0]
    graph = a.graph if type(a) is Tracer else _graph(args)
    if fn is scale:
        p, t = args
        if type(p) is not Tracer or type(t) is not Tracer:  # (a constant side: a fold?)
            folded = _fold_scale(p, t)
            if folded is not None:
                return folded
        if ((type(p) is Tracer and p.name in _NEG_NAMES) or (
                type(t) is Tracer and t.name in _NEG_NAMES)) and (
                _is_negation(p) or _is_negation(t)):
            # scale(p, -y) is -scale(p, y), but for the sign of the zero it gives where
            # y == 0 meets an infinite p (as in _fold): a tangent -dx times a slope
            moved = _negation_out(graph, fn, *args)
            if moved is not None:
                return moved
        return graph.record(fn, args, _NO_KWARGS, "scale")
    if isinstance(fn, Primitive):
        return graph.record(fn, args, _NO_KWARGS, fn.name)  # (what Tracer.lift records)
    return graph.record(fn, args, _NO_KWARGS, getattr(fn, "__name__", "call"))


def _graph(args):
    """The graph of the first tracer among ``args``."""
    for a in args:
        if type(a) is Tracer:
            return a.graph
    raise TypeError("no tracer among the operands")


def _fold_scale(p, t):
    """``scale(p, t)`` when one side is a constant number: the product, folded where exact.

    ``scale`` is ``p * t`` except that a zero tangent stays zero where ``p`` is infinite (or
    nan); with a finite constant ``p``, or a nonzero finite constant ``t``, that exception
    cannot arise; a constant zero ``t`` gives zero whatever ``p``.
    """
    pv = p.value if type(p) is Tracer else p
    if type(t) in (float, int) and (type(pv) is float or np.ndim(pv) == 0):
        if t == 0:
            return 0.0
        if t == 1:
            return p
        if math.isfinite(t):
            return p * t
    if type(p) in (float, int) and math.isfinite(p):
        return t if p == 1 else p * t
    return None


class Built:
    """A result that is not an array, built by ``fn`` from traced arrays (``parts``): the
    scipy.sparse matrix of ``dd.sparse_jacobian`` from its stored entries.  A staged function
    may return it (the replay calls ``fn`` on the parts' values); inside the traced function
    it cannot be used, which is a :class:`TracingError` naming it."""

    __slots__ = ("fn", "parts", "what")

    def __init__(self, fn, parts, what):
        self.fn, self.parts, self.what = fn, parts, what

    def _refuse(self, *args, **kwargs):
        raise TracingError(
            f"dd.jit: the {self.what} can be returned by a staged function but not used inside "
            "it (its entries are not known until the replay): return it, and use it outside")

    def __getattr__(self, name):
        self._refuse()

    __array__ = __matmul__ = __rmatmul__ = __add__ = __radd__ = __sub__ = __rsub__ = _refuse
    __mul__ = __rmul__ = __truediv__ = __neg__ = __getitem__ = __len__ = __iter__ = _refuse
    __bool__ = __float__ = __eq__ = _refuse
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self):
        return f"<the {self.what} of a staged function>"


DISPATCH.add(Tracer)
TRACERS[Tracer] = _record_opaque
for _op in (*_CANONICAL.values(), operator.neg, operator.pos, operator.floordiv, operator.mod,
            operator.pow, operator.matmul, operator.lt, operator.le, operator.gt, operator.ge,
            operator.eq, operator.ne, operator.getitem, scale):
    _FIDS[id(_op)] = (id(_op), None)  # (they live as long as the primitives)
