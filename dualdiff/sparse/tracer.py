"""Sparsity detection: a wrapper whose "tangent" is a boolean dependence pattern.

A :class:`Tracer` carries a primal value (so control flow follows ``x``) and a boolean
``scipy.sparse.csr_array`` of shape ``(value.size, n_inputs)``: row ``i`` holds the inputs
that element ``i`` (in C order) may depend on.  It rides the same dispatch and rule table as
the Dual: ``lift`` reads each primitive's *kind* and propagates the pattern accordingly, so
no derivative rule is written again.

- elementwise: the union (boolean sum) of the arguments' patterns, broadcast by selecting
  rows;
- linear (reshape, indexing, concatenate, where, sum, cumsum, ...) and custom rules whose
  jvp is linear with coefficients fixed by the branches taken (max, min, ``x[i] = v``): the
  rule's own jvp applied to *labels* ``1..n`` tells, in one call, which input each output
  element selects; two labellings must agree, else (sums) the map's structure is read off
  the rule applied to a batch of unit tangents, in chunks;
- matmul: a boolean sparse product with the constant operand's non-zeros (all ones where
  the operand is traced too);
- other custom rules (``solve``, ``det``, ...): dense, the safe default;
- piecewise constant: empty.

The pattern is a superset of the non-zeros of the Jacobian at ``x`` and at every point
where the same branches are taken (comparisons and ``max`` are evaluated on the primals).
"""

import math

import numpy as np

from ..core import PEEKING, WRAPPERS, register_wrapper, shape, strip
from ..wrapper import Wrapper
from ._scipy import require_scipy

sp = require_scipy()

#: above this many entries (outputs x inputs of one op) the structure of a linear map that
#: is not a selection is not enumerated: the op is taken as dense (a superset).
MAX_DENSE_STRUCTURE = 2**27
#: entries of unit tangents per chunk when enumerating a linear map's structure.
CHUNK_ENTRIES = 2**22

#: custom rules whose jvp is linear in the tangents with coefficients that do not depend on
#: the primal values (which elements are set): their pattern is read off the jvp at ``x``.
BRANCH_LINEAR = {"set_index"}

#: each sparsity detection in progress (by level): whether it has read values of x
_READ_VALUES: dict[int, bool] = {}


def empty(m, n):
    """A boolean sparse pattern with no entries."""
    return sp.csr_array((m, n), dtype=bool)


class Tracer(Wrapper):
    """A value and the boolean pattern of the inputs each of its elements depends on."""

    __slots__ = ("primal", "pattern", "level", "n")

    def __init__(self, primal, pattern, level, n):
        self.primal, self.pattern, self.level, self.n = primal, pattern, level, n

    @property
    def inner(self):
        # the values read (``strip``): a comparison, a branch, an index or a sort order
        # computed from them.  The pattern then holds where the same decisions are taken
        # (see ``trace``); its shape is read through ``primal`` instead, its dtype through
        # ``peek`` (Wrapper.dtype)
        if self.level in _READ_VALUES and self.pattern is not None and self.pattern.nnz:
            _READ_VALUES[self.level] = True
        return self.primal

    def peek(self):
        return self.primal

    @property
    def shape(self):
        return shape(self.primal)

    def constant(self, value):
        return Tracer(value, None, self.level, self.n)

    def _become(self, other):
        if type(other) is not Tracer:
            raise TypeError("cannot store a tape value or a Dual into a traced array")
        self.primal, self.pattern, self.level, self.n = (
            other.primal, other.pattern, other.level, other.n)

    def __repr__(self):
        nnz = 0 if self.pattern is None else self.pattern.nnz
        return f"Tracer(shape={shape(self.primal)}, nnz={nnz})"

    @staticmethod
    def lift(prim, args, params, level):
        primals, patterns, n = [], [], None
        for a in args:
            if type(a) is Tracer and a.level == level:
                primals.append(a.primal)
                patterns.append(a.pattern)
                n = a.n
            else:
                if type(a) in WRAPPERS:
                    raise TypeError("a sparsity tracer cannot carry Duals or tape values of "
                                    "an enclosing derivative: trace the innermost function")
                primals.append(a)
                patterns.append(None)
        out = prim(*primals, **params)
        if all(p is None for p in patterns):
            return Tracer(out, None, level, n)
        return Tracer(out, propagate(prim, primals, patterns, out, params, n), level, n)


register_wrapper(Tracer)
PEEKING.add(Tracer)


def _size(x):
    return math.prod(shape(x))


def broadcast_rows(pattern, s, out_shape):
    """The pattern of a value of shape ``s`` broadcast to ``out_shape``."""
    if tuple(s) == tuple(out_shape):
        return pattern
    idx = np.broadcast_to(np.arange(math.prod(s)).reshape(s), out_shape).ravel()
    return pattern[idx]


def _any_row(p):
    """The 1 x n pattern of the inputs any row of ``p`` depends on."""
    return sp.csr_array(np.asarray(p.sum(axis=0)).reshape(1, -1) > 0)


def _dense_over(row, m):
    """``m`` copies of the 1 x n pattern ``row``: each output depends on all of it."""
    return row if m == 1 else sp.csr_array(row[np.zeros(m, dtype=np.int64)])


def union(patterns, m, n):
    """The boolean sum of patterns (None: empty)."""
    total = None
    for p in patterns:
        if p is not None:
            total = p if total is None else total + p
    return empty(m, n) if total is None else total.astype(bool)


def propagate(prim, primals, patterns, out, params, n):
    """The pattern of ``prim(*primals)`` from those of its arguments."""
    m = _size(out)
    kind = prim.kind
    if kind == "zero":
        return None
    if kind == "elementwise":
        os = shape(out)
        return union([None if p is None else broadcast_rows(p, shape(x), os)
                      for x, p in zip(primals, patterns)], m, n)
    if kind == "linear" or prim.name in BRANCH_LINEAR:
        return _through_jvp(prim, primals, patterns, out, params, n)
    declared = DECLARED.get(prim.name)
    if declared is not None:
        return declared(primals, patterns, out, n, **params)
    return _dense_over(union([None if p is None else _any_row(p) for p in patterns], 1, n), m)


def _through_jvp(prim, primals, patterns, out, params, n):
    """Pattern of an op whose jvp is a fixed linear map ``L``: ``L``'s structure times the
    stacked argument patterns (a row selection when ``L`` selects)."""
    moving = [i for i, p in enumerate(patterns) if p is not None]
    sizes = [_size(primals[i]) for i in moving]
    offsets = np.cumsum([0] + sizes)
    stacked = patterns[moving[0]] if len(moving) == 1 else sp.vstack(
        [patterns[i] for i in moving], format="csr")
    m = _size(out)
    dtype = np.result_type(*[strip(primals[i]) for i in moving], float)

    def apply(flat, batch=None):
        """``L`` applied to the stacked flat tangent ``flat`` (with a leading batch)."""
        tangents = [None] * len(primals)
        for j, i in enumerate(moving):
            piece = flat[..., offsets[j]:offsets[j + 1]]
            s = shape(primals[i])
            t = piece.reshape(s if batch is None else (batch,) + s)
            if batch is None and type(primals[i]) is not np.ndarray:
                t = t[()]  # a NumPy scalar: it indexes like the primal
                t = float(t) if type(primals[i]) is float else t
            tangents[i] = t
        r = prim.jvp(primals, tangents, out, batch, **params)
        if r is None:
            return np.zeros((m,) if batch is None else (batch, m))
        r = np.asarray(r)
        return r.reshape((m,) if batch is None else (batch, m))

    total = int(offsets[-1])
    labels = np.arange(1, total + 1, dtype=float)
    sel = _selection(apply, labels, dtype)
    if sel is not None:
        extended = sp.vstack([stacked, empty(1, n)], format="csr")
        return extended[np.where(sel > 0, sel - 1, total)]
    if m * total > MAX_DENSE_STRUCTURE:
        return _dense_over(_any_row(stacked), m)
    if m < total and hasattr(prim, "vjp"):
        # fewer outputs than inputs (a reduction): the rule's transpose, once per output
        wants = [p is not None for p in patterns]
        os = shape(out)

        def pull(i):
            bar = np.zeros(m)
            bar[i] = 1.0
            bar = bar.reshape(os) if type(out) is np.ndarray else bar[0].item()
            bars = prim.vjp(bar, primals, out, wants, **params)
            return np.concatenate([
                np.zeros(sizes[j]) if bars[k] is None else
                np.broadcast_to(np.asarray(bars[k]), shape(primals[k])).ravel()
                for j, k in enumerate(moving)])

        rows = sp.csr_array(np.stack([pull(i) != 0 for i in range(m)]))
        return (rows.astype(np.int8) @ stacked.astype(np.int8)).astype(bool)
    return (_structure(apply, total, m) @ stacked).astype(bool)


def _selection(apply, labels, dtype):
    """For each output, the 1-based input it selects (0: none), if the map is a selection."""
    cplx = dtype.kind == "c"
    total = len(labels)
    first = _recover(apply(labels * (1 + 1j) if cplx else labels), total)
    if first is None:
        return None
    perm = np.random.default_rng(0).permutation(len(labels)) + 1.0
    second = _recover(apply(perm * (1 + 1j) if cplx else perm), total)
    lookup = np.concatenate([[0.0], perm])
    if second is None or not np.array_equal(lookup[first], second.astype(float)):
        return None
    return first


def _recover(r, total):
    """Labels ``0..total`` carried unchanged (up to conjugation, or the real or imaginary
    part), else None."""
    r = np.asarray(r)
    if r.dtype.kind == "c":
        r = np.maximum(np.abs(r.real), np.abs(r.imag))
    if not np.all(np.isfinite(r)):
        return None
    k = np.rint(r)
    if not np.array_equal(k, r) or np.any(k < 0) or np.any(k > total):
        return None
    return k.astype(np.int64)


def _structure(apply, total, m):
    """The boolean structure (m x total) of the linear map, from unit tangents in chunks."""
    k = max(1, CHUNK_ENTRIES // max(m, total, 1))
    blocks = []
    for start in range(0, total, k):
        b = min(k, total - start)
        seeds = np.zeros((b, total))
        seeds[np.arange(b), start + np.arange(b)] = 1.0
        blocks.append(sp.csr_array(apply(seeds, b).T != 0))
    return sp.hstack(blocks, format="csr")


# --- declared patterns of custom rules ---------------------------------------------------


def _nonzero_structure(a, traced):
    """What an operand of a product contributes: all ones if traced, else its non-zeros."""
    v = np.asarray(strip(a))
    return np.ones(v.shape) if traced else (v != 0).astype(float)


def _matmul_pattern(primals, patterns, out, n):
    """``a @ b``: each output's inputs are those of the operand entries it multiplies by a
    non-zero (of the other operand, all taken non-zero when it is traced too)."""
    a, b = primals
    pa, pb = patterns
    wa, wb = _nonzero_structure(a, pa is not None), _nonzero_structure(b, pb is not None)
    m = _size(out)
    if wa.ndim > 2 or wb.ndim > 2:
        return _through_jvp(_Bilinear(wa, wb), primals, patterns, out, {}, n)
    a2 = wa.reshape(1, -1) if wa.ndim == 1 else wa
    b2 = wb.reshape(-1, 1) if wb.ndim == 1 else wb
    rows = a2.shape[0]
    cols = b2.shape[1]
    terms = []
    if pa is not None:
        # out[i, j] <- a[i, k] where b[k, j] != 0: kron(I_rows, b2.T) on a's C order
        terms.append(sp.kron(sp.eye_array(rows), sp.csr_array(b2.T), format="csr") @ pa)
    if pb is not None:
        # out[i, j] <- b[k, j] where a[i, k] != 0: kron(a2, I_cols) on b's C order
        terms.append(sp.kron(sp.csr_array(a2), sp.eye_array(cols), format="csr") @ pb)
    return union(terms, m, n)


class _Bilinear:
    """``matmul`` with the operands' structures as coefficients, linear in the tangents."""

    kind = "linear"
    name = "matmul-structure"

    def __init__(self, wa, wb):
        self.wa, self.wb = wa, wb

    def jvp(self, primals, tangents, out, batch):
        from ..rules.linalg import matmul

        return matmul.jvp((self.wa, self.wb), tangents, out, batch)


def _reduction_pattern(primals, patterns, out, n, **params):
    """``max``/``min``: which entry attains the extremum depends on the values, so the
    pattern is that of the sum over the same axes (every entry it may be), valid at every
    ``x`` and not only where the same entries win."""
    from ..rules.reductions import sum_p

    return _through_jvp(sum_p, primals, patterns, out, params, n)


#: custom rules with a declared pattern: ``pattern(primals, patterns, out, n, **params)``.
DECLARED = {"matmul": _matmul_pattern, "amax": _reduction_pattern,
            "amin": _reduction_pattern}


# --- the driver ---------------------------------------------------------------------------


def bind_argnums(f, args, argnums):
    """``x -> f(*args with args[argnums] = x)`` and the chosen argument itself."""
    if isinstance(argnums, bool) or not isinstance(argnums, (int, np.integer)):
        raise TypeError(f"argnums must be an int, got {argnums!r}")
    if not -len(args) <= argnums < len(args):
        raise TypeError(f"argnums {argnums} but f was given {len(args)} argument(s)")
    i = int(argnums) % len(args)
    rest = list(args)

    def g(x):
        rest[i] = x
        return f(*rest)

    return g, args[i]


def trace(g, x):
    """``(pattern, output shape, local)``: the boolean pattern (size of ``g(x)`` x size of
    ``x``) of ``g`` at ``x``, and whether ``g`` read values of ``x`` on the way (compared
    them, branched or indexed on them: the pattern is then valid where the same decisions
    are taken, not at every ``x``)."""
    from ..core import as_plain, new_level
    from ..outputs import check_output

    x = as_plain(x, "x")
    if np.iscomplexobj(x):
        raise TypeError("sparsity detection needs a real x")
    n = _size(x)
    level = new_level()
    identity = sp.eye_array(n, dtype=bool, format="csr")
    _READ_VALUES[level] = False
    try:
        out = g(Tracer(x, identity, level, n))
    finally:
        local = _READ_VALUES.pop(level)
    out = check_output(out)
    if isinstance(out, (tuple, list)):
        raise TypeError("sparse Jacobians need f to return one array, not a tuple")
    m = _size(out)
    if type(out) is Tracer and out.level == level and out.pattern is not None:
        p = out.pattern
    else:
        p = empty(m, n)
    p = sp.csr_array(p, dtype=bool)
    p.sum_duplicates()
    p.eliminate_zeros()
    return p, shape(out), local


__all__ = ["Tracer", "bind_argnums", "trace"]
