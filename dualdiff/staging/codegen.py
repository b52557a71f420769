"""From a trace to straight-line Python: one line per intermediate ``w_i``, guards in place.

The generated function takes the leaves of the traced call's arguments and returns the leaves
of its result.  On the way from the graph to the source:

- dead code is dropped: only what an output or a guard needs is emitted;
- common subexpressions were already shared while recording (``Graph.record``);
- symbolic zeros never reach the graph (the Duals skip them), so they cost nothing here;
- an elementwise array operation whose operand is a temporary that no later line reads
  writes its result into that operand's memory (``np.sin(w3, out=w3)``): fewer large
  allocations, the same numbers;
- a sum of scattered arrays (``index_add(a, I1) + index_add(b, I2) + ...``, the adjoint of
  ``x[1:]`` and ``x[:-1]`` read together) is accumulated in one buffer, as the hand-written
  gradient does (``g = np.zeros(n); g[I1] = a; g[I2] += b``): one allocation instead of one
  per term and per sum, the same additions in the same order (see :func:`_fuse_scatters`;
  its first two terms, when they fill the same positions, are one ufunc into the buffer);
- a large temporary that no later line, output or guard reads is written into a scratch
  array kept between calls (``np.sin(w3, out=_b1)``: see :meth:`Emitter.scratch`), so a
  replay does not pay the system's first touch of new memory for it;
- a run of exact elementwise lines on 1-d arrays of one length is one loop over chunks that
  stay in cache (:meth:`Emitter.block`);
- a long run of repeated steps on Python numbers (an unrolled loop) is written as a ``for``
  loop over its second iteration (:mod:`~dualdiff.staging.rolling`), in which a value that
  only its own iteration reads, once, is written into its reader (:func:`_inline`);
- the nan check of ``scale(p, t)`` on floats (``p * t``, but ``0`` for a zero tangent at an
  infinite slope) is made once on the outputs where its nan can only flow into them, with a
  second run, every check inline, for an output that is nan (:func:`_deferrable`);
- constants (arrays, dtypes, non-finite floats) are hoisted into the function's namespace as
  ``c1, c2, ...``; numbers are written inline;
- a primitive on Python floats calls its ``math`` implementation (``math.sin``, ``*``), on
  arrays its NumPy one: the same implementation the eager call used, without the dispatch.
  Where ``math`` refuses a value the eager call falls back to NumPy; the replay does the same
  by running the call eagerly (``MATH_ERRORS`` in :mod:`dualdiff.staging`).
"""

from __future__ import annotations

import functools
import math
import operator
import re

import numpy as np

from ..core import scale
from ..primitive import Elementwise, Primitive
from .fusion import Fused, fuse
from .rolling import find_runs
from .tracer import _ADDS, Built, Node, Tracer, _is_op, _negated, _value

_INFIX = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
    operator.floordiv: "//", operator.mod: "%", operator.pow: "**", operator.matmul: "@",
    operator.and_: "&", operator.or_: "|", operator.xor: "^", operator.lt: "<",
    operator.le: "<=", operator.gt: ">", operator.ge: ">=", operator.eq: "==",
    operator.ne: "!=",
}
_PREFIX = {operator.neg: "-", operator.pos: "+", operator.invert: "~"}
_SCALARS = (float, int)
_SIGNED = {"+": "np.add", "-": "np.subtract"}  # the ufunc of a scattered term's sign
#: the smallest array (in bytes) written into a scratch array kept between calls (see
#: Emitter.scratch); smaller ones come from the allocator's free lists, at no system cost
SCRATCH_BYTES = 1 << 16
#: the bytes of one array's chunk in a blocked run of elementwise lines (see Emitter.block):
#: a run's chunks stay in the core's cache between its lines
BLOCK_BYTES = 1 << 19
#: the smallest array (in bytes) of a blocked run: smaller runs stay in the last-level cache
#: whole, where chunks only add calls (3·10^5 float64: 30% slower blocked, 10^6: 25% faster)
BLOCK_MIN_BYTES = 1 << 22
#: the ufuncs a blocked run may hold: IEEE operations, exact element by element, so that a
#: chunk's elements are the same bits as the whole array's (NumPy's SIMD transcendental
#: loops may treat the last elements of an array apart)
_BLOCKABLE = frozenset((np.add, np.subtract, np.multiply, np.true_divide, np.negative,
                        np.square, np.sqrt, np.absolute))


class Retrace(Exception):
    """A guard saw another value than while tracing: this variant does not apply."""


def same_array(a, b):
    a = np.asarray(a)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a, b, equal_nan=a.dtype.kind in "fc")


class Emitter:
    def __init__(self, graph):
        self.graph = graph
        self.names = {}  # node index -> variable name
        self.namespace = {"np": np, "math": math, "_Retrace": Retrace, "_same": same_array}
        self._objects = {}  # id -> hoisted name
        self._constants = 0
        self.fresh = set()  # nodes whose arrays this code allocated (never views)
        self.last_use = {}  # node index -> position of the last line that reads it
        self.count = 0  # the variables w1, w2, ... named so far
        self.unchecked = set()  # scale nodes whose nan check is deferred to the outputs
        self.checks = {}  # the line of such a product -> its check
        self.end = -1  # the position after the last line: what lives to it leaves the call
        self.slots = []  # (shape, dtype) of each scratch array (see scratch)
        self.holder = {}  # scratch slot -> the node whose value it holds now
        self.slot_of = {}  # node index -> its scratch slot
        self.block_slots = set()  # the scratch slots that hold chunks (see block)

    # --- operands ------------------------------------------------------------------------

    def hoist(self, obj, stem=None):
        """The namespace name of a constant (``c1, c2, ...``) or a callable (its own name)."""
        key = id(obj)
        if key not in self._objects:
            if stem is None:
                self._constants += 1
                name = f"c{self._constants}"
            else:
                stem = _identifier(stem.rsplit(".", 1)[-1])  # scipy.special.erf -> erf
                name, k = stem, 1
                while name in self.namespace or name in _RESERVED or _RESERVED_NAMES.fullmatch(
                        name):
                    k += 1
                    name = f"{stem}_{k}"
            self._objects[key] = name
            self.namespace[name] = obj
        return self._objects[key]

    def expr(self, x):
        t = type(x)
        if t is Tracer:
            return self.names[x.index]
        if t is bool or x is None or x is Ellipsis:
            return repr(x)
        if t is int:
            return repr(x)
        if t is float:
            return repr(x) if math.isfinite(x) else self.hoist(x)
        if t is str:
            return repr(x)
        if t is slice:
            return f"slice({self.expr(x.start)}, {self.expr(x.stop)}, {self.expr(x.step)})"
        if t is tuple or (isinstance(x, tuple) and hasattr(x, "_fields")):
            if t is not tuple:  # a named tuple (eigh's result, ...): rebuilt as its own type
                return f"{self.hoist(t)}(" + ", ".join(self.expr(v) for v in x) + ")"
        built = _container(x, self.expr)
        return built if built is not None else self.hoist(x)

    def result(self, x):
        """The return expression: as :meth:`expr`, but a constant array is copied, so that a
        caller who writes into one result cannot change the next."""
        if type(x) is np.ndarray:
            return f"{self.hoist(x)}.copy()"
        if type(x) is Built:
            name = _identifier(getattr(x.fn, "__name__", None) or getattr(
                getattr(x.fn, "func", None), "__name__", "build"))
            return f"{self.hoist(x.fn, name)}({', '.join(self.result(p) for p in x.parts)})"
        built = _container(x, self.result)
        return built if built is not None else self.expr(x)

    def callee(self, node):
        """The name to call for ``node.fn`` (specialised to floats or arrays for primitives)."""
        fn = node.fn
        if isinstance(fn, Primitive):
            if isinstance(fn, Elementwise):
                values = [_value(a) for a in node.args]
                if all(type(v) in _SCALARS for v in values) and fn.math_fn is not None:
                    return self.hoist(fn.math_fn, fn.name)
                if any(type(v) is np.ndarray for v in values):
                    return _numpy_name(fn.np_fn) or self.hoist(fn.np_fn, fn.name)
            return self.hoist(fn.impl, fn.name)
        return _numpy_name(fn) or self.hoist(fn, _identifier(getattr(fn, "__name__", "f")))

    # --- statements ----------------------------------------------------------------------

    def line(self, node, position=None, name=None):
        if name is None:
            self.count += 1
            name = f"w{self.count}"
        self.names[node.index] = name
        fn, args, kwargs = node.fn, node.args, node.kwargs
        if isinstance(fn, Fused):  # one numexpr call (dd.jit(..., numexpr=True), see fusion.py)
            return fn.line(self, node, name, position)
        ufunc = _array_ufunc(node)
        if ufunc is not None:
            self.fresh.add(node.index)
            # a temporary no later line reads, or a scratch array: written into its memory
            out = self.donor(node, position) or self.scratch(node, position)
            if out is not None:
                parts = ", ".join(self.expr(a) for a in args)
                return f"{name} = {_numpy_name(ufunc)}({parts}, out={out})"
        if isinstance(fn, Elementwise) and not kwargs and len(args) == 2:
            # the arithmetic primitives are the operators themselves, on floats and on arrays
            # (an ndarray operand makes the operator NumPy's ufunc)
            op = _INFIX.get(fn.math_fn)
            kinds = [type(_value(a)) for a in args]
            if op and (all(k in _SCALARS for k in kinds) or np.ndarray in kinds):
                return f"{name} = {self.expr(args[0])} {op} {self.expr(args[1])}"
        if getattr(fn, "name", None) == "getitem" and type(node.value) is np.ndarray:
            return f"{name} = {self.expr(args[0])}[{self.expr(kwargs['index'])}]"
        if fn in _INFIX and not kwargs:
            return f"{name} = {self.expr(args[0])} {_INFIX[fn]} {self.expr(args[1])}"
        if fn in _PREFIX and not kwargs:
            return f"{name} = {_PREFIX[fn]}{self.expr(args[0])}"
        if fn is _SCATTER_SUM:
            # one buffer for a sum of scattered terms (see _fuse_scatters)
            self.fresh.add(node.index)
            shape, dtype = node.value.shape, node.value.dtype
            base = kwargs["base"]
            rows = self.buffer(name, shape, dtype, kwargs["indices"][0]) if base is None \
                else [f"{name} = {self.hoist(base)}.copy()"]
            terms = list(zip(args, kwargs["indices"], kwargs["signs"]))
            if base is not None:  # every term is added
                return "\n    ".join(rows + self.added(name, terms))
            if _one_box(terms, shape, dtype):
                # g[I] = a; g[I] += b is a + b written into g[I]: one pass, not a copy too
                (a, index, _), (b, _, sign) = terms[:2]
                rows.append(f"{_SIGNED[sign]}({self.expr(a)}, {self.expr(b)}, "
                            f"out={name}[{self.expr(index)}])")
                return "\n    ".join(rows + self.added(name, terms[2:]))
            term, index, _ = terms[0]
            rows.append(f"{name}[{self.expr(index)}] = {self.expr(term)}")
            return "\n    ".join(rows + self.added(name, terms[1:]))
        if fn is scale and node.index in self.unchecked and type(node.value) is np.ndarray:
            # (see _deferrable: the product, its nan check at the outputs; a new array, as
            # scale's own result is in the careful code)
            self.fresh.add(node.index)
            p, t = (self.expr(a) for a in args)
            self.checks[f"{name} = {p} * {t}"] = f"{name} = {self.hoist(scale, 'scale')}({p}, {t})"
            return f"{name} = {p} * {t}"
        if fn is scale and all(type(_value(a)) is float for a in args):
            # scale(p, t) is p * t but where a zero tangent meets an infinite slope: the
            # product is computed inline and the rule consulted only when it is nan (here,
            # or once for all at the outputs: see _deferrable)
            p, t = (self.expr(a) for a in args)
            check = f"if {name} != {name}: {name} = {self.hoist(scale, 'scale')}({p}, {t})"
            if node.index in self.unchecked:
                self.checks[f"{name} = {p} * {t}"] = check  # (for the careful variant)
                return f"{name} = {p} * {t}"
            return f"{name} = {p} * {t}\n    {check}"
        if fn is operator.getitem:
            return f"{name} = {self.expr(args[0])}[{self.expr(args[1])}]"
        parts = [self.expr(a) for a in args] + [f"{k}={self.expr(v)}" for k, v in kwargs.items()]
        return f"{name} = {self.callee(node)}({', '.join(parts)})"

    def has_nan(self, node):
        """The test that the value of ``node`` (a float or a real float array) holds a nan:
        ``w != w``, or of an array's sum (nan also where ``+inf`` and ``-inf`` meet: then
        the careful code runs for nothing, and gives the same numbers)."""
        name = self.names[node.index]
        if type(node.value) is float:
            return f"{name} != {name}"
        return f"math.isnan(np.add.reduce({name}, axis=None))"

    def added(self, name, terms):
        """The lines that add (or subtract) each ``(term, index, sign)`` into the buffer
        ``name`` at its index."""
        return [f"{name}[{self.expr(index)}] {sign}= {self.expr(term)}"
                for term, index, sign in terms]

    def buffer(self, name, shape, dtype, first):
        """The lines that make ``name`` a buffer of zeros into which a first term is written
        at the basic index ``first``: ``np.empty`` and zeros outside the box that ``first``
        covers (a pass over the whole buffer fewer than ``np.zeros``), or ``np.zeros``."""
        dt = self.hoist(dtype)
        slabs = _outside(shape, first)
        if slabs is None:
            return [f"{name} = np.zeros({shape!r}, {dt})"]
        return [f"{name} = np.empty({shape!r}, {dt})"] + [
            f"{name}[{self.expr(slab)}] = 0" for slab in slabs]

    def donor(self, node, position):
        """An operand array whose memory the result may take over, or None.

        It must be a fresh array (the result of an elementwise operation here, so never a
        view of an input or a constant), read by no later line, guard or output, and of the
        result's shape and dtype.
        """
        if position is None:
            return None
        out = node.value
        for a in node.args:
            if type(a) is Tracer and a.index in self.fresh and (
                    self.last_use.get(a.index) == position):
                v = a.value
                if v.shape == out.shape and v.dtype == out.dtype:
                    slot = self.slot_of.get(a.index)
                    if slot is not None:  # a scratch array: it never leaves the call
                        if self.last_use.get(node.index, self.end) >= self.end:
                            continue
                        self.holder[slot] = node.index
                        self.slot_of[node.index] = slot
                    self.last_use[a.index] = -1  # taken
                    return self.names[a.index]
        return None

    def scratch(self, node, position):
        """The name of a scratch array for the result of ``node`` at ``position``, or None.

        Scratch arrays are allocated once and kept between calls (a list of free sets in the
        function's namespace: a call takes one, or makes one, and gives it back before it
        returns): a large new array costs more than its pass to fill it, its pages being
        mapped and zeroed by the system on first touch (10^6 float64 elements: 1.5 to 2.5
        ms against 0.3 to 0.5 for an operation into memory already used).  Only for arrays
        of :data:`SCRATCH_BYTES` or more that no output, view of an output or guard reads
        (their memory leaves the call); a slot whose array is read no more holds the next.
        """
        v = node.value
        if position is None or v.nbytes < SCRATCH_BYTES or (
                self.last_use.get(node.index, self.end) >= self.end):
            return None
        slot = self._slot(v.shape, v.dtype, node.index, position, self.holder)
        self.slot_of[node.index] = slot
        return f"_b{slot + 1}"

    def _slot(self, shape, dtype, index, position, holder, chunk=False):
        """A scratch slot of ``shape`` and ``dtype`` for node ``index`` at ``position``:
        one that ``holder`` (slot -> the node it holds) holds a value of no more, or a new
        one.  Slots of whole arrays (:meth:`scratch`, ``holder`` is :attr:`holder`) and of
        chunks (:meth:`block`, a holder of its own) are never each other's."""
        for k, i in list(holder.items()):
            if self.last_use.get(i, -1) < position:
                del holder[k]  # read no more: free for another value
        key = (shape, dtype)
        k = next((k for k, held in enumerate(self.slots) if held == key and k not in holder
                  and k not in self.holder and (k in self.block_slots) == chunk), None)
        if k is None:
            k = len(self.slots)
            self.slots.append(key)
            if chunk:
                self.block_slots.add(k)
        holder[k] = index
        return k

    def block(self, order, start, stop):
        """The lines ``order[start:stop]`` (a run of :func:`_blocked_runs`) as one loop over
        chunks of their common length, each line applied to a chunk before the next line:
        the chunks stay in cache, where the lines one after the other would each stream
        whole arrays through memory.  A value read after the run is written chunk by chunk
        into a whole array (new, or scratch); one read only inside it lives in a scratch
        chunk.  The same operations on the same elements: the same numbers.
        """
        nodes = order[start:stop]
        length, = nodes[0].value.shape
        size = max(1, BLOCK_BYTES // nodes[0].value.itemsize)
        rows, chunk, whole = [], {}, set()
        scatter = nodes.pop() if nodes[-1].fn is _SCATTER_SUM else None
        members = nodes + ([scatter] if scatter is not None else [])
        for node in members:
            self.count += 1
            self.names[node.index] = f"w{self.count}"
            self.fresh.add(node.index)
        later = set()  # read after the loop: by what follows, or by the scatter's other terms
        if scatter is not None:
            name, v = self.names[scatter.index], scatter.value
            rows += self.buffer(name, v.shape, v.dtype, scatter.kwargs["indices"][0])
            rows.append(f"_{name} = {name}[{self.expr(scatter.kwargs['indices'][0])}]")
            for term in scatter.args[2:]:
                if type(term) is Tracer:
                    later.add(term.index)
        for node in nodes:  # (whole arrays first: none is an operand's memory)
            if self.last_use.get(node.index, -1) >= stop or node.index in later:
                whole.add(node.index)
                name = self.names[node.index]
                memory = self.scratch(node, start)
                v = node.value
                rows.append(f"{name} = {memory}" if memory is not None else
                            f"{name} = np.empty({v.shape!r}, {self.hoist(v.dtype)})")
        loop = [f"_e = min(_s + {size}, {length})"]
        inside = {node.index for node in nodes}
        outer = {}  # an array from before the run (traced or constant) -> its chunk's name
        for node in members:  # the operands from before the run: their chunks, once each
            for a in node.args[:2] if node is scatter else node.args:
                v = _value(a)
                key = a.index if type(a) is Tracer else ("c", id(a))
                if type(v) is np.ndarray and v.ndim and key not in outer and not (
                        type(a) is Tracer and a.index in inside):
                    outer[key] = f"_v{len(outer) + 1}"
                    loop.append(f"{outer[key]} = {self.expr(a)}[_s:_e]")

        def operand(a):
            if type(a) is Tracer and a.index in chunk:
                return chunk[a.index]
            key = a.index if type(a) is Tracer else ("c", id(a))
            return outer[key] if key in outer else self.expr(a)

        held = {}  # chunk slot -> the node whose chunk it holds
        for q, node in enumerate(nodes, start):
            name = self.names[node.index]
            parts = ", ".join(operand(a) for a in node.args)
            if node.index in whole:
                out = f"{name}[_s:_e]"
                chunk[node.index] = f"_{name}"
            else:
                k = self._slot((size,), node.value.dtype, node.index, q, held, chunk=True)
                out = f"_b{k + 1}[:_e - _s]"
                chunk[node.index] = name
            ufunc = _numpy_name(_array_ufunc(node))
            loop.append(f"{chunk[node.index]} = {ufunc}({parts}, out={out})")
        tail = []
        if scatter is not None:  # its first two terms into the buffer, chunk by chunk
            name = self.names[scatter.index]
            a, b = (operand(t) for t in scatter.args[:2])
            loop.append(f"{_SIGNED[scatter.kwargs['signs'][1]]}({a}, {b}, out=_{name}[_s:_e])")
            tail = self.added(name, list(zip(scatter.args, scatter.kwargs["indices"],
                                             scatter.kwargs["signs"]))[2:])
        rows.append(f"for _s in range(0, {length}, {size}):  # {self.names[nodes[0].index]} "
                    f"... {self.names[nodes[-1].index]}, {size} elements at a time (in cache)")
        rows += [f"    {x}" for x in loop] + tail
        return "\n    ".join(rows)

    def guard(self, kind, value, var):
        if kind == "bool":
            return f"if {'not ' if value else ''}{var}: raise _Retrace"
        if kind in ("int", "item"):
            return f"if {var} != {value!r}: raise _Retrace"
        return f"if not _same({var}, {self.hoist(value)}): raise _Retrace"


def _one_box(terms, shape, dtype):
    """Whether the first two ``(term, index, sign)`` of a scatter sum into a buffer of
    ``shape`` and ``dtype`` fill the same box with arrays of its shape and of that dtype:
    then ``op(a, b, out=buffer[index])`` computes the same additions as ``buffer[index] = a``
    and ``buffer[index] += b`` (no cast, no broadcast; the buffer is new, so it overlaps
    neither)."""
    if len(terms) < 2 or terms[0][1] != terms[1][1]:
        return False
    box = _box(shape, dtype, terms[0][1])
    return all(type(v) is np.ndarray and v.dtype == dtype and v.shape == box
               for v in (_value(terms[0][0]), _value(terms[1][0])))


def _box(shape, dtype, index):
    """The shape of ``buffer[index]`` for a buffer of ``shape`` and ``dtype``."""
    return np.broadcast_to(np.empty((), dtype), shape)[index].shape


def _outside(shape, index):
    """The boxes of an array of ``shape`` that the basic ``index`` (slices of step 1 and
    integers) does not cover, as index tuples of slices: for each axis, the part before and
    after the covered range, with the axes before it inside their covered ranges and the
    axes after it whole.  None for another kind of index."""
    index = index if type(index) is tuple else (index,)
    if len(index) > len(shape):
        return None
    box = []
    for k, n in enumerate(shape):
        i = index[k] if k < len(index) else slice(None)
        if type(i) is int:
            i = i + n if i < 0 else i
            if not 0 <= i < n:
                return None
            box.append((i, i + 1))
        elif type(i) is slice and i.step in (None, 1):
            a, b, _ = i.indices(n)
            box.append((a, max(a, b)))
        else:
            return None
    slabs = []
    for k, (a, b) in enumerate(box):
        inside = tuple(slice(lo, hi) for lo, hi in box[:k])
        rest = (slice(None),) * (len(shape) - k - 1)
        for lo, hi in ((0, a), (b, shape[k])):
            if hi > lo:
                slabs.append(inside + (slice(lo, hi),) + rest)
    return slabs


def _container(x, each):
    """The source of a tuple, list or dict with ``each`` for its items (None if ``x`` is no
    plain container)."""
    t = type(x)
    if t is tuple:
        inner = ", ".join(each(v) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if t is list:
        return "[" + ", ".join(each(v) for v in x) + "]"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {each(v)}" for k, v in x.items()) + "}"
    return None


_RESERVED = {"np", "math"}
_RESERVED_NAMES = re.compile(r"[wxc]\d+")  # the variables and constants of the code


def _identifier(name):
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name).strip("_") or "f"
    return name if not name[0].isdigit() else f"f_{name}"


_UFUNC_OF = {operator.add: np.add, operator.sub: np.subtract, operator.mul: np.multiply,
             operator.truediv: np.true_divide, operator.neg: np.negative}


def _array_ufunc(node):
    """The ufunc computing ``node`` when it is an elementwise operation on arrays with a
    fresh array result (a candidate for ``out=``), else None."""
    if type(node.value) is not np.ndarray or node.kwargs:
        return None
    fn = node.fn
    if isinstance(fn, Elementwise):
        uf = fn.np_fn
    elif isinstance(fn, np.ufunc):
        uf = fn
    else:
        uf = _UFUNC_OF.get(fn)
    if not isinstance(uf, np.ufunc) or uf.nout != 1 or _numpy_name(uf) is None:
        return None
    if not any(type(_value(a)) is np.ndarray for a in node.args):
        return None
    return uf


def _numpy_name(fn):
    """``np.sin``, ``np.linalg.solve``, ``np.add.reduce``: a readable name NumPy resolves."""
    if isinstance(fn, np.ufunc):
        return f"np.{fn.__name__}" if getattr(np, fn.__name__, None) is fn else None
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc) and getattr(np, owner.__name__, None) is owner:
        return f"np.{owner.__name__}.{fn.__name__}"
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None)
    if name and module.startswith("numpy"):
        for path in (f"np.{name}", f"np.linalg.{name}", f"np.fft.{name}"):
            obj = np
            for part in path.split(".")[1:]:
                obj = getattr(obj, part, None)
            if obj is fn:
                return path
    return None


def _walk(x, out):
    t = type(x)
    if t is Tracer:
        out.append(x.index)
    elif t is Built:
        _walk(x.parts, out)
    elif t in (tuple, list):
        for v in x:
            _walk(v, out)
    elif t is dict:
        for v in x.values():
            _walk(v, out)


#: the ``fn`` of a node that :func:`_fuse_scatters` made; the emitter writes it out inline
_SCATTER_SUM = object()


def _is_add(node):
    """``node`` is ``a + b`` of a traced ``b`` and a traced or constant array ``a``."""
    return _is_op(node.fn, _ADDS) and not node.kwargs and len(node.args) == 2 and type(
        node.args[1]) is Tracer and type(node.args[0]) in (Tracer, np.ndarray)


def _basic_scatter(node, shape, dtype):
    """``(term, index)`` if ``node`` is ``index_add(term, index)`` of a basic index (slices
    and integers: no repeated positions) into an array of this shape and dtype, else None."""
    if getattr(node.fn, "name", None) != "index_add" or type(node.value) is not np.ndarray:
        return None
    if node.value.shape != shape or node.value.dtype != dtype:
        return None
    index = node.kwargs["index"]
    index = index if type(index) is tuple else (index,)
    if not all(type(i) in (slice, int) or i is None or i is Ellipsis for i in index):
        return None
    term = node.args[0]
    if type(_value(term)) is not np.ndarray:
        return None
    return term, node.kwargs["index"]


def _fuse_scatters(nodes, needed, uses):
    """Rewrite left-deep sums of basic scatters into one ``_SCATTER_SUM`` node each.

    ``((index_add(a, I1) + index_add(b, I2)) + index_add(c, I3))``, each intermediate read
    only by the next sum, is element by element ``((a + b) + c)`` over the positions each term
    covers, and ``0`` elsewhere: one zeroed buffer with ``[I1] = a``, ``[I2] += b``,
    ``[I3] += c`` computes the same additions in the same order (exactly, but for the sign of
    a zero, as in :func:`~dualdiff.staging.tracer._fold`).  A constant first term (the
    folded adjoint of a constant seed) is the buffer's starting value instead of zeros.
    Returns ``{index: new node}`` for the sums rewritten; their intermediates drop out of
    ``needed``.
    """
    fused = {}
    for node in nodes:
        if type(node.value) is not np.ndarray or node.index not in needed or not _is_add(node):
            continue
        shape, dtype = node.value.shape, node.value.dtype
        if dtype.kind not in "fc":
            continue
        right = node.args[1]
        if uses.get(right.index) != 1:
            continue
        tail = _basic_scatter(right, shape, dtype)
        if tail is None:
            continue
        base = None
        if type(node.args[0]) is np.ndarray:  # a constant first term (a folded adjoint)
            if node.args[0].shape != shape or not np.can_cast(node.args[0].dtype, dtype,
                                                               "safe"):
                continue
            # (a real constant added to complex terms: converted once, the same values)
            base, terms, indices, signs = node.args[0].astype(dtype), [], [], []
        else:
            left = node.args[0]
            if uses.get(left.index) != 1:
                continue
            if left.index in fused:
                head = fused.pop(left.index)
                base = head.kwargs["base"]
                terms, indices = list(head.args), list(head.kwargs["indices"])
                signs = list(head.kwargs["signs"])
            else:
                first = _basic_scatter(left, shape, dtype)
                if first is None:
                    continue
                terms, indices, signs = [first[0]], [first[1]], ["+"]
            needed.discard(left.index)
        needed.discard(right.index)
        _add_term(terms, indices, signs, tail, uses, needed)
        fused[node.index] = Node(node.index, _SCATTER_SUM, tuple(terms), {
            "indices": tuple(indices), "signs": tuple(signs), "shape": shape, "dtype": dtype,
            "base": base}, "scatter_sum", node.value)
    return fused


def _add_term(terms, indices, signs, scatter, uses, needed):
    """Append a ``(term, index)`` to a scatter sum after its first term; a term ``-y`` read
    nowhere else is ``y`` subtracted: ``b[I] += -y`` is ``b[I] -= y`` exactly (IEEE defines
    ``x - y`` as ``x + (-y)``), one pass over the term fewer."""
    term, index = scatter
    inner = _negated(term)
    if inner is not None and uses.get(term.index) == 1:
        needed.discard(term.index)
        term, sign = inner, "-"
    else:
        sign = "+"
    terms.append(term)
    indices.append(index)
    signs.append(sign)


def _lines(em, order, guards, start, stop, names=None):
    """The lines of ``order[start:stop]`` with their guards (``names``: the variable each
    node writes, if not a new one)."""
    out = []
    for position in range(start, stop):
        node = order[position]
        out.append(em.line(node, position, names and names[position - start]))
        for kind, value in guards.get(node.index, ()):
            out.append(em.guard(kind, value, em.names[node.index]))
    return out


def _loop(em, order, guards, start, period, iterations, reads, uses):
    """A run of repeated steps (see :mod:`~dualdiff.staging.rolling`) after its first
    iteration: ``for`` over the second one, written in the first one's names.

    Returns ``(fast, plain)``: the loop with each value that only its own iteration reads,
    once, written into the expression that reads it (:func:`_inline`: fewer names to store
    and load per step, the same operations on the same operands), and the loop line by line
    (the one the careful variant puts its nan checks into).
    """
    first = [em.names[node.index] for node in order[start:start + period]]
    copies = {}
    rows = []
    for o in range(period):
        node = order[start + period + o]
        # the previous iteration's value of a step at or before this one is overwritten (or
        # being written) by now: the body reads a copy taken at its top
        prev = order[start + o]
        copies[prev.index] = em.names[prev.index] = f"_{first[o]}"
        rows.append(_lines(em, order, guards, start + period + o, start + period + o + 1,
                           [first[o]]))
    for o, node in enumerate(order[start:start + period]):
        em.names[node.index] = first[o]
    last = start + (iterations - 1) * period
    for o, node in enumerate(order[last:last + period]):
        em.names[node.index] = first[o]  # what follows reads the last iteration
    second = order[start + period:start + 2 * period]
    final = order[last:last + period]
    body = {node.index: o for o, node in enumerate(second)}
    readers = [None] * period  # the one reader, in the same iteration, of each step
    for o, node in enumerate(second):
        for i in reads[node.index]:
            k = body.get(i)
            if k is not None and k < o:
                readers[k] = o if readers[k] is None else -1
    for o in range(period):  # (read once, and never by the next iteration or after the loop)
        if not (uses.get(second[o].index) == 1 == uses.get(final[o].index)):
            readers[o] = None
    out = []
    for body_rows in (_inline(rows, first, readers), [x for r in rows for x in r]):
        used = [c for c in copies.values() if any(re.search(rf"\b{c}\b", x) for x in body_rows)]
        lines = [f"for _ in range({iterations - 1}):  # {first[0]} ... {first[-1]} again, "
                 f"{iterations - 1} times (a loop of the traced code)"]
        lines += [f"    {x}".replace("\n    ", "\n        ")
                  for x in [f"{c} = {c[1:]}" for c in used] + body_rows]
        out.append("\n    ".join(lines))
    return tuple(out)


_NAME = re.compile(r"\b_?w\d+\b")


def _substitute(text, name, expression):
    """``(text with each word ``name`` replaced by ``expression``, the count)``."""
    return re.subn(rf"\b{name}\b", lambda _: expression, text)


def _inline(rows, names, readers):
    """The lines of a loop body (``rows[o]``: those of step ``o``, which writes ``names[o]``)
    with each step whose ``readers[o]`` is the one later step that reads it written into
    that step's expression, in parentheses.

    Exact: the same operations on the same operands (Python evaluates an expression's
    operands before it stores its result, and these are operations on numbers, without side
    effects); a step is written into its reader only where no step between them writes a
    name that it reads, and only single lines take part (not a step with a guard or an
    inline nan check, which read its name).
    """
    rhs = {}
    for o, r in enumerate(rows):
        if len(r) == 1 and "\n" not in r[0] and r[0].startswith(f"{names[o]} = "):
            rhs[o] = r[0][len(names[o]) + 3:]
    written = {name: o for o, name in enumerate(names)}  # name -> the step that writes it
    inlined = set()
    for o in range(len(rows)):
        b = readers[o]
        if b is None or b < 0 or o not in rhs or b not in rhs:
            continue
        reads = [t for t in _NAME.findall(rhs[o]) if t in written]
        if any(o < written[t] < b for t in reads):
            continue  # (the reader would see a later value)
        text, count = _substitute(rhs[b], names[o], f"({rhs[o]})")
        if count != 1:
            continue
        rhs[b] = text
        del written[names[o]]
        inlined.add(o)
    out = []
    for o, r in enumerate(rows):
        if o not in inlined:
            out += [f"{names[o]} = {rhs[o]}"] if o in rhs else r
    return out


def _blocked_runs(order, guards):
    """``[(start, stop), ...]``: the runs of three or more consecutive lines of ``order``
    that :meth:`Emitter.block` writes as one loop over chunks: each an exact ufunc
    (:data:`_BLOCKABLE`) with a real 1-d result of one length, at least four chunks and
    :data:`BLOCK_MIN_BYTES` long, unguarded, whose array operands all have that shape
    (numbers and 0-d arrays broadcast).
    """
    runs, start, length = [], None, None
    for q, node in enumerate(order + [None]):
        n = _block_length(node, guards) if node is not None else None
        if n is not None and n == length:
            continue
        if start is not None and q - start >= 3:
            # a scatter sum right after it whose first two terms fill one box of the run's
            # length joins it: they are written into the buffer chunk by chunk
            stop = q + 1 if node is not None and _scattered_after(node, length) else q
            runs.append((start, stop))
            if stop > q:
                start, length = None, None
                continue
        start, length = (q, n) if n is not None else (None, None)
    return runs


def _scattered_after(node, length):
    """Whether ``node`` is a scatter sum into a new buffer whose first two terms are one
    ufunc into a box of ``length`` elements (:func:`_one_box`)."""
    if node.fn is not _SCATTER_SUM or node.kwargs["base"] is not None:
        return False
    terms = list(zip(node.args, node.kwargs["indices"], node.kwargs["signs"]))
    shape, dtype = node.value.shape, node.value.dtype
    return _one_box(terms, shape, dtype) and _box(shape, dtype, terms[0][1]) == (length,)


def _block_length(node, guards):
    """The length of ``node``'s 1-d result if it can be a line of a blocked run, else
    None."""
    v = node.value
    if type(v) is not np.ndarray or v.ndim != 1 or v.dtype.kind != "f" or (
            node.index in guards) or _array_ufunc(node) not in _BLOCKABLE:
        return None
    if v.size < 4 * max(1, BLOCK_BYTES // v.itemsize) or v.nbytes < BLOCK_MIN_BYTES:
        return None
    for a in node.args:
        w = _value(a)
        if type(w) is np.ndarray and w.ndim and w.shape != v.shape:
            return None
        if type(w) is not np.ndarray and type(w) not in (float, int):
            return None
    return v.shape[0]


def _views_keep_bases(order, reads, last_use):
    """A line that reads a view (``w3[::-1]``, a reshape) reads its base's memory too: the
    base lives, and is no operation's ``out=``, until the view's last use (views of views
    included: the walk goes backwards).  Whether a result is a view of an operand is the same
    on every replay (it follows from shapes and indices); the trace's values tell.  (Inputs
    are never an ``out=``: only the lines' own results are looked at.)"""
    values = {node.index: node.value for node in order}
    for node in reversed(order):
        end = last_use.get(node.index)
        if end is None or type(node.value) is not np.ndarray:
            continue
        for i in reads[node.index]:
            base = values.get(i)
            if type(base) is np.ndarray and np.may_share_memory(node.value, base):
                last_use[i] = max(last_use.get(i, -1), end)


def generate(graph, outputs, name="staged", checks="deferred", numexpr=False):
    """``(source, namespace)`` of a function of the input leaves that returns ``outputs``.

    ``outputs`` is a pytree of tracers and constants.  ``checks="deferred"`` writes the nan
    checks of ``scale`` on floats once, at the outputs, where they can be (see
    :func:`_deferrable`); ``"inline"`` writes each after its product.
    """
    em = Emitter(graph)
    nodes = graph.nodes
    kept = []  # the nodes the result reads
    _walk(outputs, kept)
    reads, uses, arrays = _live(nodes, kept + [i for i, _, _ in graph.guards])
    needed = set(reads)
    fused = _fuse_scatters(nodes, needed, uses) if arrays else None
    if fused:
        nodes = [fused.get(node.index, node) for node in nodes]
        for i, node in fused.items():
            reads[i] = _reads(node)
    if numexpr:
        nodes = fuse(nodes, needed, uses)
        for node in nodes:
            if node.index in needed and node.fn is not None:
                reads[node.index] = _reads(node)
    guards = {}
    for i, kind, value in graph.guards:
        guards.setdefault(i, []).append((kind, value))
    params = []
    for k, node in enumerate(graph.inputs):
        em.names[node.index] = f"x{k + 1}"
        params.append(f"x{k + 1}")
    em.count = len(params)  # (w1, ... wk are not used: the inputs are x1, ... xk)
    body = []
    for node in graph.inputs:  # a guard on an input itself (``if n > 0`` on a traced int)
        for kind, value in guards.get(node.index, ()):
            body.append(em.guard(kind, value, em.names[node.index]))
    top = len(body)
    order = [node for node in nodes if node.index in needed and node.fn is not None]
    em.end = len(order)
    if arrays:  # (for out=: see donor)
        for position, node in enumerate(order):
            for i in reads[node.index]:
                em.last_use[i] = position
    for i in kept:
        em.last_use[i] = len(order)  # outputs live on
    for i in guards:
        em.last_use[i] = max(em.last_use.get(i, -1), len(order))
    if arrays:
        _views_keep_bases(order, reads, em.last_use)
    checked = []
    if checks == "deferred":
        em.unchecked, checked = _deferrable(order, reads, guards, kept)
    runs = find_runs(order, reads, uses, guards, kept + [node.index for node in graph.inputs],
                     em.unchecked)
    blocks = _blocked_runs(order, guards) if arrays else []
    position = 0
    for start, period, iterations in sorted(runs + [(a, b - a, 0) for a, b in blocks]):
        if iterations:  # a loop rolled back (scalar steps)
            body += _lines(em, order, guards, position, start + period)  # (iteration 1 too)
            body.append(_loop(em, order, guards, start, period, iterations, reads, uses))
            position = start + iterations * period
        else:  # a blocked run of elementwise array lines
            body += _lines(em, order, guards, position, start)
            body.append(em.block(order, start, start + period))
            position = start + period
    body += _lines(em, order, guards, position, len(order))
    if em.slots:  # (see Emitter.scratch)
        held = ", ".join(f"_b{k + 1}" for k in range(len(em.slots))) + ","
        em.namespace["_pool"] = []
        em.namespace["_scratch"] = functools.partial(_scratch, tuple(em.slots))
        body.insert(top, f"{held} = _pool.pop() if _pool else _scratch()  # scratch arrays")
        body.append(f"_pool.append(({held}))  # (for the next call)")
    ret = f"return {em.result(outputs)}"
    head = f"def {name}({', '.join(params)}):\n"

    def source(lines, plain=False):  # (a loop is (fast, plain): see _loop)
        return head + "".join(f"    {b[plain] if type(b) is tuple else b}\n"
                              for b in lines + [ret])

    if checked:
        em.namespace["careful"] = _Careful(_with_checks(source(body, plain=True), em.checks),
                                           em.namespace, name)
        test = " or ".join(em.has_nan(graph.nodes[i]) for i in checked)
        body.append(f"if {test}:  # a nan: maybe a 0 * inf product, which scale() makes 0\n"
                    f"        return careful({', '.join(params)})  # (every check inline)")
    return source(body), em.namespace


def _scratch(slots):
    """A new set of scratch arrays of these ``(shape, dtype)``."""
    return tuple(np.empty(shape, dtype) for shape, dtype in slots)


def _with_checks(source, checks):
    """``source`` with each product line in ``checks`` followed by its nan check."""
    out = []
    for line in source.splitlines():
        code = line.lstrip()
        check = checks.get(code)
        out.append(line if check is None else f"{line}\n{line[:len(line) - len(code)]}{check}")
    return "\n".join(out) + "\n"


def build(graph, outputs, name="staged", checks="deferred", numexpr=False):
    """``(run, source)``: the generated function of the input leaves, compiled."""
    source, namespace = generate(graph, outputs, name, checks, numexpr)
    return _compiled(source, namespace, name, f"<dd.jit {name}>"), source


def _compiled(source, namespace, name, filename):
    """The function ``name`` that ``source`` defines, run in ``namespace``."""
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


class _Careful:
    """The same code with every nan check of ``scale`` inline (its source written with the
    fast one), compiled when first needed."""

    def __init__(self, source, namespace, name):
        self.source, self.namespace, self.name, self.run = source, namespace, name, None

    def __call__(self, *leaves):
        if self.run is None:
            self.run = _compiled(self.source, dict(self.namespace), self.name,
                                 f"<dd.jit {self.name}, checked>")
        return self.run(*leaves)


def _live(nodes, roots):
    """``(reads, uses, arrays)`` of the nodes that ``roots`` (the outputs and the guarded
    nodes) need: ``reads`` maps each to the indices of the nodes it reads, ``uses`` each to
    how often it is read (a root counts twice, so that what it reads is never fused away),
    and ``arrays`` tells whether one of them but the inputs is an array.

    One sweep backwards: a node's readers come after it (it is recorded before them), so
    when the sweep reaches it, it is needed exactly when something has read it.
    """
    count = [0] * len(nodes)
    for i in roots:
        count[i] += 2
    reads = {}
    arrays = False
    for i in range(len(nodes) - 1, -1, -1):
        if not count[i]:
            continue
        node = nodes[i]
        deps = reads[i] = _reads(node)
        for d in deps:
            count[d] += 1
        if not arrays and type(node.value) is np.ndarray and node.fn is not None:
            arrays = True
    return reads, {i: count[i] for i in reads}, arrays


def _reads(node):
    deps = []
    for a in node.args:
        t = type(a)
        if t is Tracer:
            deps.append(a.index)
        elif t is tuple or t is list or t is dict:
            _walk(a, deps)
    if node.kwargs:
        _walk(list(node.kwargs.values()), deps)
    return deps


#: float operations whose result is nan when an operand is nan (IEEE 754), whatever the
#: other operand: a nan from an unchecked ``scale`` reaches the outputs through them
_NAN_KEEPING = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
                operator.pos, scale}
_NAN_KEEPING_NAMES = {"add", "subtract", "multiply", "divide", "negative", "sin", "cos",
                      "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "expm1", "log1p",
                      "arctan", "arcsin", "arccos", "arcsinh"}


def _keeps_nan(fn):
    """Whether ``fn`` on floats is nan when an operand is nan (see :data:`_NAN_KEEPING`)."""
    if isinstance(fn, Elementwise):
        return fn.name in _NAN_KEEPING_NAMES
    return fn in _NAN_KEEPING


def _real(v):
    """Whether ``v`` is a float or an array of real floats (see :func:`_deferrable`)."""
    return type(v) is float or (type(v) is np.ndarray and v.dtype.kind == "f")


def _on_reals(node):
    """Whether ``node`` computes a float or a real float array from such values and ints
    alone (no keywords)."""
    if node.kwargs or not _real(node.value):
        return False
    for a in node.args:
        if type(a) is Tracer:
            a = a.value
        if not _real(a) and type(a) is not int:
            return False
    return True


def _deferrable(order, reads, guards, outputs):
    """``(unchecked, checked)``: the ``scale`` nodes whose nan check can wait for the
    outputs, and the outputs to check.

    ``scale(p, t)`` is ``p * t`` but ``0`` where ``t == 0`` meets an infinite ``p``: the
    product differs from it only where it is nan (element by element, on arrays).  Where
    that nan can only flow into operations that keep a nan (``+ - * /``, ``sin``, ...:
    :data:`_NAN_KEEPING`, on floats and real float arrays: elementwise, so a nan element
    makes every element it reaches nan) and so into an output (never into a guard, a
    comparison, a reduction, an index, ``max``, ``**``), the product is computed
    unchecked: an output that holds a nan then means a replay with every check inline
    (:class:`_Careful`), which gives the exact numbers; no nan means no ``scale`` was
    needed.  A loop then pays one check per output instead of one per product, array code
    one reduction per checked output instead of a call and a reduction per product.
    """
    unsafe = set()  # nodes a nan in which may not reach the outputs (as a nan)
    unchecked = set()
    keeps = {}  # id of a node's function -> _keeps_nan (the nodes keep the functions alive)
    for node in reversed(order):  # a node's readers come after it: they are decided first
        i = node.index
        if i not in unsafe and i not in guards and _real(node.value):
            fn = node.fn
            if fn is scale and _on_reals(node):
                unchecked.add(i)
            keep = keeps.get(id(fn))
            if keep is None:
                keep = keeps[id(fn)] = _keeps_nan(fn)
            if keep and _on_reals(node):
                continue
        unsafe.update(reads[i])
    if not unchecked:
        return set(), []
    tainted = set(unchecked)
    for node in order:
        if node.index not in tainted:
            for d in reads[node.index]:
                if d in tainted:
                    tainted.add(node.index)
                    break
    checked = list(dict.fromkeys(i for i in outputs if i in tainted))
    return unchecked, checked
