"""Optional numexpr fusion of elementwise array code: ``dd.jit(fun, numexpr=True)``.

NumPy computes ``-(2 * x * (200 * (y - x**2)))`` one operation at a time, each a pass over
memory and (without ``out=``) a new array.  `numexpr <https://github.com/pydata/numexpr>`_
compiles such an expression once and evaluates it block by block, in several threads, with
the temporaries in cache.  :func:`fuse` finds, in a trace about to be emitted, the maximal
trees of elementwise operations that numexpr computes *with the same dtype* and replaces each
by one node whose line calls a compiled ``numexpr.NumExpr`` object:

    w10 = numexpr(w2, w3)  # 200.0 * (w2 - (w3 * w3))

What is fused, and why the rest is not:

- float64 arrays only, of one shape (no broadcasting between arrays: numexpr broadcasts as
  NumPy does, but the group stays the simplest case to reason about).  float32, integers
  and complex values stay NumPy: numexpr evaluates ``x32 * 2.0`` in double precision (its
  constants are doubles) where NumPy keeps float32, and its complex division is not
  NumPy's;
- numbers (finite Python floats, ints below 2**53, float64 scalars) are written into the
  expression as float literals: the same float64 value NumPy converts them to;
- ``+ - * /``, negation, ``square`` and ``power`` by the constant 2 (written ``x * x`` for
  a leaf, which is what NumPy computes, and is faster in numexpr than its power), ``sqrt``,
  ``abs``, comparisons, ``where``: IEEE operations,
  so the numbers are bit for bit those of the NumPy code;
- ``sin, cos, tan, arcsin, ..., exp, expm1, log, log1p, log10, log2, arctan2``: numexpr
  calls the C library's functions, NumPy its own (often SIMD) implementations: both are
  faithful, but they may round the last bit differently (on this project's test machine up
  to 1 ulp, in a third of the points for ``tanh``, ``log10`` or ``sinh``).  Results then
  agree to a few ulps of each fused transcendental, amplified as any rounding error is by
  the code after it;
- other powers stay NumPy (numexpr rewrites ``x**3`` as ``x*x*x`` and ``x**1.5`` as
  ``x*sqrt(x)``: other roundings, and ``nan`` for ``(-inf)**1.5``), and so do
  ``core.scale`` nodes (``p * t`` but 0 where ``t == 0`` meets a nan product: a product
  and a check for a nan, which the code generator may defer to the outputs, see
  ``codegen._deferrable``);
- a single arithmetic operation on leaves (``2.0 * x``) that several groups read is computed
  again in each rather than stored (an addition per element costs less than a new array);
- the first two terms of a scattered sum (``codegen._SCATTER_SUM``) on the same positions
  become one expression, evaluated straight into the zeroed buffer (:class:`FusedScatter`);
- a group must hold at least two operations (one operation gains nothing from fusion) and
  its result at least :data:`MIN_SIZE` elements: below that numexpr's fixed cost per call
  (tens of microseconds: threads, blocks) loses to NumPy;
- and, by default, a transcendental function: a group of IEEE arithmetic alone stays NumPy,
  whose SIMD loops, scratch arrays and cache-sized chunks are faster (see
  :data:`ARITHMETIC`, which fuses such groups too).

The intermediates of a group are read by nothing but the next operation of the group (use
count one: not by a guard, an output or another line), so nothing else needs them in memory.
A group's result may be written into the memory of a temporary operand that no later line
reads (numexpr's ``out=``), as the NumPy lines do with theirs.

Each group is compiled once, when the code is generated (``numexpr.NumExpr`` with the
signature of its operands); a replay calls the compiled object directly.  Measured on 1e6
float64 elements the compiled object and ``numexpr.evaluate`` (which looks the expression up
in a cache on every call) cost the same; at 2**15 to 2**16 elements the compiled object is
40 to 80 microseconds faster per call.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from .tracer import Node, Tracer, _value, uniform_number

#: the smallest fused result (elements; read when code is generated, so it may be changed).
#: Measured with the Rosenbrock gradient and HVP staged both ways, on two shared cores: at
#: 2**12 elements numexpr's fixed cost per call (threads, blocks: about 0.2 ms here) makes it
#: 15x slower than the NumPy code, at 2**14 1.4 to 1.6x, at 2**15 to 2**17 about even for the
#: gradient and up to 2.8x faster for the HVP; at 1e6 it depends on the load (see the guide).
MIN_SIZE = 2**15

#: whether a group of IEEE arithmetic alone (``+ - * /``, ``sqrt``, ``abs``, comparisons,
#: ``where``: no transcendental function) is fused (read when code is generated).  False:
#: such a group stays NumPy, whose SIMD loops compute arithmetic faster than numexpr's
#: virtual machine, and whose code works in scratch arrays and, at 10^6 elements and more,
#: in cache-sized chunks (``codegen.Emitter.block``): numexpr then has nothing to save.
#: Measured on two machines (AVX-512 and not) with the Rosenbrock gradient and HVP at 10^5
#: and 10^6: the NumPy code took 0.4x to 0.95x the time of the fused one (see the staging
#: guide).  A group that holds ``sin``, ``exp``, ... is fused whole, its arithmetic with it:
#: there numexpr's threads pay (10^6 elements of ``sin(x) exp(-x^2) + log1p(x^2)``: 0.75x
#: NumPy's time on two threads, 1.45x on one).
ARITHMETIC = False

#: the most operations and operands in one numexpr program (it numbers its registers in a
#: byte); a larger tree is cut into several calls
MAX_OPS = 64
MAX_LEAVES = 24

_INSTALL = 'dd.jit(..., numexpr=True) needs numexpr: pip install "exactdual[numexpr]"'


def load():
    """The numexpr module, imported on first use; ImportError naming the extra otherwise."""
    try:
        import numexpr
    except ImportError:
        raise ImportError(_INSTALL) from None
    return numexpr


_EXACT: dict[np.ufunc, str] = {
    np.add: "({0} + {1})", np.subtract: "({0} - {1})", np.multiply: "({0} * {1})",
    np.true_divide: "({0} / {1})", np.negative: "(-{0})", np.square: "{0}**2",
    np.sqrt: "sqrt({0})", np.absolute: "abs({0})",
}
_SQUARE = _EXACT[np.square]
_COMPARISONS: dict[np.ufunc, str] = {
    np.less: "({0} < {1})", np.less_equal: "({0} <= {1})", np.greater: "({0} > {1})",
    np.greater_equal: "({0} >= {1})", np.equal: "({0} == {1})", np.not_equal: "({0} != {1})",
}
_OPERATOR_COMPARISONS = {
    operator.lt: np.less, operator.le: np.less_equal, operator.gt: np.greater,
    operator.ge: np.greater_equal, operator.eq: np.equal, operator.ne: np.not_equal,
}
#: the functions whose last bit may differ from NumPy's (see the module's docstring)
_ROUNDED: dict[np.ufunc, str] = {uf: f"{uf.__name__}({{0}})" for uf in (
    np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh,
    np.arcsinh, np.arccosh, np.arctanh, np.exp, np.expm1, np.log, np.log1p, np.log10,
    np.log2)}
_ROUNDED[np.arctan2] = "arctan2({0}, {1})"
_ROUNDED_TEMPLATES = frozenset(_ROUNDED.values())
_TEMPLATES = {**_EXACT, **_COMPARISONS, **_ROUNDED}
_WHERE = "where({0}, {1}, {2})"
#: operations cheap enough to compute again in each expression that reads them
_CHEAP = {*_EXACT.values(), *_COMPARISONS.values(), _WHERE}

_F8 = np.dtype(np.float64)
_B1 = np.dtype(np.bool_)
_TYPES = {_F8: np.float64, _B1: bool}  # (numexpr's keys for its kinds)


class Fused:
    """The ``fn`` of a fused node: a numexpr expression of the node's ``args`` (its leaves,
    the placeholders ``{0}, {1}, ...`` of ``template``)."""

    __slots__ = ("template",)

    def __init__(self, template):
        self.template = template

    def __repr__(self):
        return f"Fused({self.template!r})"

    def compile(self, em, leaves):
        """``(callee, operands, text)``: the compiled expression on the emitter's names."""
        names = [em.expr(a) for a in leaves]
        text = self.template.format(*names)
        signature = [(n, _TYPES[_dtype(a)]) for n, a in zip(names, leaves)]
        compiled = load().NumExpr(text, signature=signature, optimization="aggressive")
        return em.hoist(functools.partial(compiled, ex_uses_vml=False), "numexpr"), names, text

    def line(self, em, node, name, position):
        """The source line of ``node`` for the emitter ``em`` (compiling the expression)."""
        run, names, text = self.compile(em, node.args)
        em.fresh.add(node.index)
        # numexpr, unlike NumPy's ufuncs, does not copy operands that overlap its output: an
        # operand whose memory another operand views (``w2`` beside ``w2[::-1]``) is no
        # ``out=``; the operand itself is (each element is read before it is written)
        alone = tuple(a for a in node.args if type(a) is Tracer and not any(
            b is not a and type(_value(b)) is np.ndarray and np.may_share_memory(
                a.value, _value(b)) for b in node.args))
        into = em.donor(Node(node.index, self, alone, {}, node.name, node.value),
                        position) or em.scratch(node, position)
        out = f", out={into}" if into is not None else ""
        return f"{name} = {run}({', '.join(names)}{out})  # {text}"


class FusedScatter(Fused):
    """The ``fn`` of a scattered sum (``codegen._SCATTER_SUM``) whose first term is a fused
    expression: evaluated straight into its positions of the zeroed buffer (numexpr's
    ``out=`` a view), the other terms added as before.  The same numbers as writing the term
    into a temporary and copying it over, without the temporary and the copy.  ``args`` are
    the expression's ``count`` leaves, then the other terms."""

    __slots__ = ("count",)

    def __init__(self, template, count):
        super().__init__(template)
        self.count = count

    def line(self, em, node, name, position):
        run, names, text = self.compile(em, node.args[:self.count])
        em.fresh.add(node.index)
        first, *indices = node.kwargs["indices"]
        terms = node.args[self.count:]
        signs = node.kwargs.get("signs") or ("+",) * (len(terms) + 1)
        rows = em.buffer(name, node.value.shape, node.value.dtype, first) + [
            f"{run}({', '.join(names)}, out={name}[{em.expr(first)}])  # {text}"]
        return "\n    ".join(rows + em.added(name, list(zip(terms, indices, signs[1:]))))


def _into_scatters(nodes, fused, needed, uses, scatter_sum):
    """Scattered sums whose first term is a fused expression read by nothing else, as
    :class:`FusedScatter` nodes (the expression's own node leaves ``needed``)."""
    out = []
    for node in nodes:
        first = node.args[0] if node.fn is scatter_sum else None
        if type(first) is Tracer and node.kwargs["base"] is None and (
                first.index in fused) and uses.get(first.index) == 1:
            term = fused[first.index]
            needed.discard(term.index)
            node = Node(node.index, FusedScatter(term.fn.template, len(term.args)),
                              (*term.args, *node.args[1:]), node.kwargs, node.name, node.value)
        out.append(node)
    return out


def _dtype(a):
    v = _value(a)
    return v.dtype if type(v) is np.ndarray else _F8  # (a traced Python float)


def _literal(x):
    """A float literal for a number NumPy converts to float64 exactly so, else None."""
    t = type(x)
    if t is float or t is np.float64 or (t is np.ndarray and x.shape == () and x.dtype == _F8):
        x = float(x)
        return repr(x) if np.isfinite(x) else None
    if t is int and abs(x) <= 2**53:
        return repr(float(x))
    return None


def _uniform(c):
    """The literal of a constant float64 array whose elements are all one number (the
    broadcast seed of a sum: ``100 * ones``), else None.  Read where the array would be, it
    is the same number at each position, to the sign of a zero."""
    if c.size == 0 or c.dtype != _F8:
        return None
    first = uniform_number(c)
    if first is None or not np.isfinite(first):
        return None
    return repr(float(first))


def _template(node, where_p, array_ufunc):
    """``(template, operands, kinds)`` when numexpr computes ``node`` with NumPy's dtype:
    ``template`` holds ``{k}`` for the ``k``-th operand, ``kinds`` their dtypes."""
    v = node.value
    if type(v) is not np.ndarray or v.dtype not in (_F8, _B1):
        return None
    fn, args = node.fn, node.args
    if fn is where_p and set(node.kwargs) == {"cond"} and len(args) == 2:
        fmt, operands, kinds = _WHERE, (node.kwargs["cond"], *args), (
            _B1, _F8, _F8)
        result = _F8
    else:
        uf = _OPERATOR_COMPARISONS.get(fn) if not node.kwargs else None
        uf = uf or array_ufunc(node)
        if uf is np.power and len(args) == 2 and _literal(args[1]) == "2.0":
            uf, args = np.square, args[:1]
        fmt = _TEMPLATES.get(uf)
        if fmt is None or len(args) != uf.nin:
            return None
        operands, kinds = args, (_F8,) * len(args)
        result = _B1 if uf in _COMPARISONS else _F8
    if v.dtype != result:
        return None
    parts = []
    for a, kind in zip(operands, kinds):
        value = _value(a)
        if type(value) is np.ndarray and value.shape == v.shape and value.dtype == kind:
            uniform = _uniform(a) if a is value else None  # (a constant array)
            parts.append(a if uniform is None else uniform)
        elif type(a) is Tracer and type(value) is float and kind is _F8:
            parts.append(a)  # a traced Python float: a scalar operand
        elif type(a) is not Tracer and kind is _F8 and _literal(a) is not None:
            parts.append(_literal(a))
        else:
            return None
    return fmt, parts


def fuse(nodes, needed, uses, min_size=None):
    """``nodes`` with each group of elementwise float64 operations numexpr computes as NumPy
    does replaced by one node of :class:`Fused`; the group's intermediates leave ``needed``.

    ``uses`` counts the reads of each node (outputs and guards count two, so they are never
    fused away).  A node is written into its reader's expression when both are in numexpr's
    table, of one shape, and either that reader is its only one, or it is a single operation
    on leaves, not a transcendental one, that only such readers read: it is then computed again
    in each (an addition per element costs less than a new array, which costs a page fault
    per 4 KiB).
    """
    from ..rules.structure import where_p
    from .codegen import _SCATTER_SUM, _array_ufunc

    min_size = MIN_SIZE if min_size is None else min_size  # (read now: tests change it)
    nodes, sums = _sum_first_terms(nodes, needed, uses, min_size, _SCATTER_SUM)
    table = {}
    for node in nodes:
        if node.index in needed and node.fn is not None:
            t = _template(node, where_p, _array_ufunc)
            if t is not None:
                table[node.index] = (*t, node.value.shape)
    readers = {}  # index -> the nodes of the table that read it (once per read)
    for i, (_, parts, shape) in table.items():
        for part in parts:
            if type(part) is Tracer and part.index in table and part.value.shape == shape:
                readers.setdefault(part.index, []).append(i)
    size = {}  # index -> (operations, leaves) of the tree a member heads
    inner = set()  # members written into their readers' expressions
    for node in nodes:
        if node.index not in table:
            continue
        ops, leaves = 1, set()
        for part in table[node.index][1]:
            if type(part) is Tracer and node.index in readers.get(part.index, ()):
                j = part.index
                o, lv = size[j]
                alone = uses.get(j) == 1
                cheap = o == 1 and table[j][0] in _CHEAP and len(readers[j]) == uses.get(j)
                if (alone or cheap) and ops + o <= MAX_OPS and len(leaves | lv) <= MAX_LEAVES:
                    ops += o
                    leaves |= lv
                    inner.add(j)
                    continue
            if type(part) is not str:
                leaves.add(_leaf_key(part))
        size[node.index] = (ops, leaves)
    fused, covered = {}, set()
    for node in nodes:
        i = node.index
        if i not in table or i in inner:
            continue
        v = node.value
        if v.dtype != _F8 or v.size < min_size or size[i][0] < 2:
            continue
        if not ARITHMETIC and not any(table[m][0] in _ROUNDED_TEMPLATES
                                      for m in _members(i, table, inner)):
            continue  # (IEEE arithmetic alone: NumPy's own loops are faster, see ARITHMETIC)
        leaves, keys = [], {}
        text = _render(i, table, inner, leaves, keys)
        covered.update(_members(i, table, inner))
        fused[i] = Node(i, Fused(text), tuple(leaves), {}, "numexpr", v)
    nodes = _unfused_sums(nodes, sums, fused, needed)
    if not fused:
        return nodes
    # an intermediate leaves the code when every line that read it is now in an expression
    # (a member of an unfused tree, too small or too short, is emitted by NumPy)
    for j in inner:
        if all(r in covered for r in readers[j]):
            needed.discard(j)
    nodes = [fused.get(node.index, node) for node in nodes]
    return _into_scatters(nodes, fused, needed, uses, _SCATTER_SUM)


def _leaf_key(a):
    return ("t", a.index) if type(a) is Tracer else ("c", id(a))


def _render(i, table, inner, leaves, keys):
    """The template of the tree headed by ``i``, its leaves numbered in order of appearance."""
    fmt, parts, _ = table[i]
    out = []
    for part in parts:
        if type(part) is str:
            out.append(part)
        elif type(part) is Tracer and part.index in inner:
            out.append(_render(part.index, table, inner, leaves, keys))
        else:
            key = _leaf_key(part)
            if key not in keys:
                keys[key] = len(leaves)
                leaves.append(part)
            out.append(f"{{{keys[key]}}}")
    if fmt == _SQUARE and out[0].startswith("{"):
        # the square of a leaf as a product: numexpr's power is slower, the value the same
        # (x * x is what NumPy's square computes)
        return f"({out[0]} * {out[0]})"
    return fmt.format(*out)


def _members(i, table, inner):
    yield i
    for part in table[i][1]:  # (a member computed again in several trees: once per tree)
        if type(part) is Tracer and part.index in inner:
            yield from _members(part.index, table, inner)


def _sum_first_terms(nodes, needed, uses, min_size, scatter_sum):
    """Each scattered sum ``g[I] = a; g[I] += b; ...`` whose first two terms fill the same
    positions, rewritten as ``g[I] = a + b; ...``: the same addition, now a line that the
    trees of ``a`` and ``b`` can join (one numexpr call instead of two, and no pass that
    copies ``a``)."""
    out, sums = list(nodes), {}
    fresh = max(node.index for node in nodes) + 1
    for node in nodes:
        if node.fn is not scatter_sum or node.index not in needed or (
                node.kwargs["base"] is not None):
            continue
        (a, b, *rest), (i, j, *others) = node.args, node.kwargs["indices"]
        signs = node.kwargs.get("signs") or ("+",) * len(node.args)  # (b[I] -= y: a "-")
        if i != j or not all(type(t) is Tracer and uses.get(t.index) == 1 and type(
                t.value) is np.ndarray and t.value.dtype == _F8 for t in (a, b)):
            continue
        if a.value.shape != b.value.shape or a.value.size < min_size:
            continue
        op = np.add if signs[1] == "+" else np.subtract
        total = Tracer(op(a.value, b.value), a.graph, fresh, op, (a, b), {}, op.__name__)
        fresh += 1
        needed.add(total.index)
        uses[total.index] = 1
        later = max(a.index, b.index)
        out.insert(next(k for k, n in enumerate(out) if n.index == later) + 1, total)
        # (by identity: == of a tracer would be a traced comparison)
        out[next(k for k, n in enumerate(out) if n is node)] = Node(
            node.index, scatter_sum, (total, *rest),
            {**node.kwargs, "indices": (i, *others), "signs": ("+", *signs[2:])}, node.name,
            node.value)
        sums[total.index] = node
    return out, sums


def _unfused_sums(nodes, sums, fused, needed):
    """``nodes`` with each scattered sum rewritten by :func:`_sum_first_terms` whose new first
    term ``a + b`` is not fused (too short, or IEEE arithmetic alone) as it was: the code
    generator writes ``a + b`` straight into the buffer itself (one ufunc with ``out=``), where
    the rewritten sum would add into a temporary and copy it over."""
    undone = {i: node for i, node in sums.items() if i not in fused}
    if not undone:
        return nodes
    for i in undone:
        needed.discard(i)
    by_index = {node.index: node for node in undone.values()}
    return [by_index.get(node.index, node) for node in nodes if node.index not in undone]
