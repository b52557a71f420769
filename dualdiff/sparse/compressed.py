"""Compressed evaluation: sparse Jacobians and Hessians from coloured batched passes."""

import functools
import math

import numpy as np

from .. import parallel
from ..core import TRACERS, as_plain, shape
from ..forward import chunk_size_for, jvp
from ..reverse import grad, vjp
from . import coloring
from ._scipy import require_scipy
from .tracer import bind_argnums, trace

sp = require_scipy()

AUTO, EACH_CALL = "auto", "auto-each-call"


def _as_pattern(sparsity, want=None, what="Jacobian", sizes="size of f(x), size of x"):
    """A user's pattern (dense bool array or scipy.sparse) as a boolean csr_array."""
    if sp.issparse(sparsity):
        p = sp.csr_array(sparsity, dtype=bool)
    else:
        a = np.asarray(sparsity)
        if a.ndim != 2:
            raise ValueError(f"sparsity must be a 2-d pattern (outputs x inputs), got an "
                             f"array of shape {a.shape}")
        p = sp.csr_array(a != 0)
    p.sum_duplicates()
    p.eliminate_zeros()
    p.sort_indices()
    if want is not None and p.shape != want:
        raise ValueError(f"the sparsity pattern has shape {p.shape} but the {what} has "
                         f"shape {want} ({sizes})")
    return p


def _seeds(colors, k):
    """The k x n seed matrix: row c is the sum of the unit vectors of colour c."""
    n = colors.size
    s = np.zeros((k, n))
    s[colors, np.arange(n)] = 1.0
    return s


def _csr(pattern, data):
    """The sparse matrix of ``pattern`` with its stored entries ``data`` (in storage order)."""
    return sp.csr_array((data, pattern.indices.copy(), pattern.indptr.copy()),
                        shape=pattern.shape)


def _entries(pattern):
    """Row and column of each stored entry of a csr pattern, in storage order."""
    return np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr)), pattern.indices


def _check_against_jvp(g, x, result, what):
    """Compare ``result @ v`` with one dense JVP along a random direction ``v``."""
    v = np.random.default_rng(0).standard_normal(np.shape(x))
    _, exact = jvp(g, (x,), (v,))
    exact = np.ravel(exact)
    got = result @ v.ravel()
    scale = np.max(np.abs(exact), initial=0.0) + np.max(np.abs(got), initial=0.0) + 1e-300
    err = np.max(np.abs(got - exact), initial=0.0)
    if not err <= 1e-8 * scale:
        raise ValueError(f"check=True: the compressed {what} differs from a dense JVP by "
                         f"{err:.3g} (scale {scale:.3g}): the sparsity pattern misses a "
                         f"non-zero (for a pattern that changes with x use "
                         f"sparsity='{EACH_CALL}')")


class _Prepared:
    """Base: the pattern, colouring and mode, computed once (or at every call)."""

    def __init__(self, f, sparsity, check):
        if not callable(f):
            raise TypeError(f"f must be callable, got {type(f).__name__}")
        self.f = f
        self.check = bool(check)
        self.sparsity = None
        self.colors = None
        self.mode = None
        self._colors = None
        #: whether the detected pattern was read off decisions on the values of x (a
        #: comparison, a branch, an index or order computed from them): it then holds where
        #: the same decisions are taken only, and is detected again at every call
        self.local = False
        if isinstance(sparsity, str):
            if sparsity not in (AUTO, EACH_CALL):
                raise ValueError(f"sparsity must be {AUTO!r}, {EACH_CALL!r} or a pattern, "
                                 f"got {sparsity!r}")
            self._detect = sparsity
            self._given = None
        else:
            self._detect = None
            self._given = _as_pattern(sparsity)
        self.__doc__ = getattr(f, "__doc__", None)

    def _prepare(self, pattern):
        raise NotImplementedError

    def _set(self, pattern, colors, take):
        """Keep the pattern, its colouring and, per stored entry, its flat position in the
        compressed products (so decompression is one ``take``)."""
        self.sparsity = pattern
        self._colors = colors
        self.colors = int(colors.max()) + 1 if colors.size else 0
        self._seeds = _seeds(colors, self.colors)
        self._take = take

    def _assemble(self, compressed, x):
        data = np.take(np.ravel(compressed), self._take) if self._take.size else np.zeros(0)
        build = functools.partial(_csr, self.sparsity)
        if type(x) in TRACERS:  # under dd.jit: the replay builds it from the entries
            return x.graph.built(build, (data,), "scipy.sparse matrix")
        return build(data)

    def _pattern_for(self, g, x):
        raise NotImplementedError

    def _ensure(self, g, x, want):
        """Prepare at the first call (or at every call); ``want()``: the expected shape."""
        if self._given is not None and self.sparsity is None:
            self._prepare(_as_pattern(self._given, want(), *self._names))
        elif self._detect == EACH_CALL or self.sparsity is None or self.local:
            pattern, self.local = self._pattern_for(g, x)
            self._prepare(pattern)
        elif self.sparsity.shape[1] != math.prod(shape(x)):
            raise ValueError(f"the sparsity pattern has shape {self.sparsity.shape} but x has "
                             f"{math.prod(shape(x))} elements")


class SparseJacobian(_Prepared):
    """The prepared function returned by :func:`sparse_jacobian`."""

    _names = ("Jacobian", "size of f(x), size of x")

    def __init__(self, f, sparsity, argnums, check, executor=None):
        super().__init__(f, sparsity, check)
        self.argnums = argnums
        self.executor = parallel.check_executor(executor)

    def _pattern_for(self, g, x):
        pattern, _, local = trace(g, x)
        return pattern, local

    def _prepare(self, pattern):
        col = coloring.color_columns(pattern)
        # a symmetric pattern's rows colour as its columns: no reverse mode can do better
        row = col if coloring.is_symmetric(pattern) else coloring.color_rows(pattern)
        kc = int(col.max()) + 1 if col.size else 0
        kr = int(row.max()) + 1 if row.size else 0
        rows, cols = _entries(pattern)
        m, n = pattern.shape
        if kr < kc:
            self.mode = "reverse"
            self._set(pattern, row, row[rows] * n + cols)  # entry (i, j) at [c[i], j]
        else:
            self.mode = "forward"
            self._set(pattern, col, col[cols] * m + rows)  # entry (i, j) at [c[j], i]

    def __call__(self, *args):
        g, x = bind_argnums(self.f, args, self.argnums)
        x = as_plain(x, "x")
        self._ensure(g, x, lambda: (math.prod(shape(g(x))), math.prod(shape(x))))
        if self.executor is not None:
            compressed = self._passes_on_executor(args)
        elif self.mode == "forward":
            compressed = _forward_passes(g, x, self._seeds)
        else:
            compressed = _reverse_passes(g, x, self._seeds)
        result = self._assemble(compressed, x)
        if self.check:
            _check_against_jvp(g, x, result, "Jacobian")
        return result


    def _passes_on_executor(self, args):
        """The compressed passes as executor tasks: the colours (rows of the seed matrix) in
        chunks, gathered in order (the same blocks as the serial loop)."""
        parallel.check_picklable(self.executor, self.f, "f")
        seeds = self._seeds
        k = seeds.shape[0]
        if k == 0:
            return np.zeros(0)
        n = seeds.shape[1]
        step = parallel.chunk_size_for(k, self.executor, cap=chunk_size_for(n))
        task = _ColourTask(self.f, args, self.argnums, self.mode)
        starts = list(range(0, k, step))
        blocks = parallel.map_ordered(
            self.executor, task, [seeds[s:s + step] for s in starts],
            lambda block: f"{len(block)} colours of the sparse Jacobian")
        return np.concatenate(blocks, axis=0)


class _ColourTask:
    """One executor task of a sparse Jacobian: the passes of some colours, from the arguments
    (a module-level class, so it pickles whenever ``f`` and the arguments do)."""

    def __init__(self, f, args, argnums, mode):
        self.f, self.args, self.argnums, self.mode = f, args, argnums, mode

    def __call__(self, seeds):
        g, x = bind_argnums(self.f, self.args, self.argnums)
        x = as_plain(x, "x")
        if self.mode == "forward":
            return _forward_passes(g, x, seeds)
        return _reverse_passes(g, x, seeds)


def _forward_passes(g, x, seeds):
    """``(J Sᵀ)ᵀ`` (k x m) for the k x n seed matrix S, in batched chunks."""
    xs = shape(x)
    n = math.prod(xs)
    k = seeds.shape[0]
    if k == 0:
        return np.zeros(0)
    step = chunk_size_for(n)
    blocks = []
    for start in range(0, k, step):
        b = min(step, k - start)
        _, t = jvp(g, (x,), (seeds[start:start + b].reshape((b,) + xs),))
        blocks.append(np.reshape(t, (b, -1)))
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=0)


def _reverse_passes(g, x, seeds):
    """``S J`` (k x n) for the k x m seed matrix S of the row colours: one tape, k
    pullbacks."""
    out, pullback = vjp(g, x)
    os = np.shape(out)
    if not seeds.shape[0]:
        return np.zeros(0)
    return np.stack([np.ravel(pullback(s.reshape(os))) for s in seeds])


class SparseHessian(_Prepared):
    """The prepared function returned by :func:`sparse_hessian`."""

    _names = ("Hessian", "size of x, size of x")

    def _pattern_for(self, g, x):
        return hessian_pattern(g, x)

    def _prepare(self, pattern):
        if pattern.shape[0] != pattern.shape[1]:
            raise ValueError(f"a Hessian pattern must be square, got shape {pattern.shape}")
        pattern = _as_pattern(pattern + pattern.T)
        c = coloring.color_symmetric(pattern)
        direct = coloring.symmetric_sources(pattern, c)[0]
        rows, cols = _entries(pattern)
        n = pattern.shape[0]
        # entry (i, j) from row i of H V at colour c[j], else from row j at colour c[i]
        self._set(pattern, c, np.where(direct, c[cols] * n + rows, c[rows] * n + cols))
        self.mode = "forward-over-reverse"

    def __call__(self, x, *args):
        g = _bound(self.f, args)
        x = as_plain(x, "x")
        n = math.prod(shape(x))
        self._ensure(g, x, lambda: (n, n))
        result = self._assemble(_forward_passes(grad(g), x, self._seeds), x)
        if self.check:
            _check_against_jvp(grad(g), x, result, "Hessian")
        return result


def _bound(f, args):
    return (lambda x: f(x, *args)) if args else f


def hessian_pattern(g, x):
    """``(pattern, local)``: the Hessian pattern of scalar ``g`` at ``x`` (the traced pattern
    of ``∇g``, symmetrised), and whether it was read off decisions on values (see
    :func:`~dualdiff.sparse.tracer.trace`)."""
    p, _, local = trace(grad(g), x)
    return _as_pattern(p + p.T), local
