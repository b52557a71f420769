"""Reverse-mode drivers: ``grad``, ``value_and_grad``, ``vjp``, ``jacrev``.

Each call records ``f`` on a fresh :class:`~dualdiff.tape.Tape` (a level of its own, so it
nests with every other driver) and runs one backward pass per cotangent, or per chunk of
cotangents: a chunk is one backward pass over Duals whose tangents carry the cotangents as
a batch (the backward pass is linear in its seed).  Arguments, cotangents and outputs may be
pytrees (:mod:`dualdiff.pytree`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from . import parallel
from .core import TRACERS, WRAPPERS, as_plain, new_level, peek, shape, zeros
from .dual import new_dual
from .forward import JacobianTask, check_chunk_size, chunk_size_for, forward_jacobian
from .outputs import (
    argnums_of,
    aux_at,
    check_output,
    inputs,
    jacobian_tree,
    rows,
    sizes,
    split_aux,
    tangent_at,
    unaliased,
    value_at,
)
from .pytree import (
    LEAF,
    flatten,
    is_tree,
    match,
    paths,
    ravel_pytree,  # noqa: F401 (exported beside the drivers)
    unflatten,
)
from .rules import (
    concatenate,
    ravel,
    real,
    stop_gradient,  # noqa: F401 (exported beside the drivers)
)
from .tape import Tape, Var
from .typing import ArgNums, Derivative, Function, Pullback, PyTree, Tree
from .wrapper import call

if TYPE_CHECKING:
    from concurrent.futures import Executor


class _Recording:
    """``f`` run once on a tape: the inputs' plain leaves, their nodes, the output and aux."""

    __slots__ = ("xs", "treedef", "rebuild", "tape", "leaves", "out", "aux", "_flat")

    def __init__(self, f, args, kwargs, nums, single, has_aux):
        self.xs, self.treedef, self.rebuild = inputs(args, nums, single)
        self.tape = tape = Tape(new_level())
        vs = [tape.leaf(x) for x in self.xs]
        self.leaves = [v.index for v in vs]  # f may rebind them (``x[0] = ...``); inputs stay
        out, aux = split_aux(call(f, self.rebuild(vs), kwargs), has_aux)
        self.out = check_output(out)
        self.aux = aux_at(aux, tape.level)
        self._flat = None

    def value(self, out):
        return unaliased(value_at(out, self.tape.level), self.xs)

    def flat_output(self):
        """All output leaves as one vector on the tape (recorded at the first need)."""
        if self._flat is None:
            parts = [ravel(o) for o in flatten(self.out)[0]]
            self._flat = parts[0] if len(parts) == 1 else concatenate(parts) if parts else None
        return self._flat

    def pull(self, out, seed):
        """The adjoints of the inputs, as input-shaped leaves, when ``out`` has adjoint
        ``seed``."""
        tape = self.tape
        moved = type(out) is Var and out.tape is tape
        grads = tape.backward(out.index, seed, self.leaves) if moved else [None] * len(self.xs)
        return [_as_input(g, x, seed) for g, x in zip(grads, self.xs)]

    def tree(self, grads):
        return grads[0] if self.treedef is LEAF else unflatten(self.treedef, grads)


def _is_complex(v):
    """Whether ``v`` (a number, array or wrapper) is complex; cheap for floats and arrays."""
    t = type(v)
    if t is float:
        return False
    if t is np.ndarray:
        return v.dtype.kind == "c"
    return np.iscomplexobj(peek(v))


def _as_input(g, x, seed):
    """An adjoint shaped and typed like its input ``x`` (zeros where nothing flowed).

    The adjoint of a real input is real: the real part, when ``f`` is complex inside.
    """
    if g is None:
        return zeros(x, None)
    g = unaliased(g, [x, seed])
    if _is_complex(g) and not _is_complex(x):
        g = real(g)
    if type(g) not in WRAPPERS and type(g) not in TRACERS and isinstance(x, float):
        return float(g)
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype != x.dtype and (
            g.dtype.kind == x.dtype.kind == "f"):
        return g.astype(x.dtype)  # a float32 input has a float32 adjoint (as in JAX)
    return g


def _one(value, s=()):
    """The seed 1 (ones of shape ``s``) in the output's precision: float32 stays float32."""
    dt = getattr(peek(value), "dtype", None)
    if dt is None or dt.kind != "f" or dt.itemsize >= 8:
        return 1.0 if s == () else np.ones(s)
    return dt.type(1) if s == () else np.ones(s, dtype=dt)


def value_and_grad(f: Function, argnums: ArgNums = 0,
                   has_aux: bool = False) -> Callable[..., tuple[Tree, Tree]]:
    """``x -> (f(x), ∇f(x))`` for a real scalar-valued ``f``, by one backward pass.

    ``argnums`` (an int, or a tuple for a tuple of gradients) picks the arguments to
    differentiate, as in JAX; the others, and keyword arguments, are passed through as
    constants.  An argument may be a pytree; its gradient has the same structure.  Any output
    of size 1 is a scalar (shape ``()``, ``(1,)``, ``(1, 1)``).  With ``has_aux=True``, ``f``
    returns ``(value, aux)`` and the function returns ``((value, aux), gradient)``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    >>> dd.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    nums, single = argnums_of(argnums)

    def vg(*args, **kwargs):
        r = _Recording(f, args, kwargs, nums, single, has_aux)
        out = r.out
        if type(out) is not Var and is_tree(out):
            raise TypeError(f"grad needs f to return a scalar, got a {type(out).__name__}; "
                            "use dd.vjp or dd.jacobian for pytree outputs")
        s = shape(out)
        if s != () and math.prod(s) != 1:
            raise ValueError(f"grad needs f to return a scalar, got shape {s}; "
                             "use dd.vjp or dd.jacobian for vector outputs")
        value = r.value(out)
        if np.iscomplexobj(peek(value)):
            raise TypeError("grad needs a real-valued f; for complex outputs use dd.vjp")
        g = r.tree(r.pull(out, _one(value, s)))
        return ((value, r.aux) if has_aux else value), g

    return vg


def grad(f: Function, argnums: ArgNums = 0, has_aux: bool = False) -> Derivative:
    """``x -> ∇f(x)`` (the structure and shapes of ``x``) for a real scalar-valued ``f``.

    Reverse mode.  ``argnums`` picks the arguments to differentiate, as in JAX; with
    ``has_aux=True`` the function returns ``(gradient, aux)``.  See :func:`value_and_grad`.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> dd.grad(lambda p: p["w"] * p["b"])({"w": 2.0, "b": 3.0})
    {'b': 2.0, 'w': 3.0}
    """
    vg = value_and_grad(f, argnums, has_aux)

    def g(*args, **kwargs):
        value, gradient = vg(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return g


if TYPE_CHECKING:  # the result has the aux output only with has_aux=True
    @overload
    def vjp(f: Function, x: PyTree, *args: PyTree,
            has_aux: Literal[False] = False) -> tuple[Tree, Pullback]: ...
    @overload
    def vjp(f: Function, x: PyTree, *args: PyTree,
            has_aux: Literal[True]) -> tuple[Tree, Pullback, Tree]: ...


def vjp(f: Function, x: PyTree, *args: PyTree,
        has_aux: bool = False) -> tuple[Tree, Pullback] | tuple[Tree, Pullback, Tree]:
    """``(f(x), pullback)`` with ``pullback(w) = wᵀ J``: reverse mode for any output.

    ``x`` may be a pytree (``pullback`` returns its structure), and so may the output
    (``w`` then has the output's structure).  Further arguments are constants.  The pullback
    may be called many times (one backward pass each).  For a real ``x`` the adjoint is real
    (its real part when ``f`` is complex inside), as in JAX.  With ``has_aux=True`` it
    returns ``(f(x), pullback, aux)``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> y, pullback = dd.vjp(lambda x: x * np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> pullback(np.array([1.0, 1.0]))
    array([1., 2.])
    """
    r = _Recording(f, (x, *args), {}, (0,), True, has_aux)
    out = r.out
    tree_out = is_tree(out)
    out_leaves, out_def = flatten(out) if tree_out else ([out], LEAF)
    out_shapes = [shape(o) for o in out_leaves]

    def pullback(w):
        if tree_out:
            ws = match(out_def, w, "cotangent")
            names = paths(out_def, "cotangent")
        else:
            ws, names = [w], ["cotangent"]
        ws = [as_plain(c, n) for c, n in zip(ws, names)]
        for c, s, n in zip(ws, out_shapes, names):
            if shape(c) != s:
                raise ValueError(f"{n}: shape {shape(c)} does not match the output's shape {s}")
        if not tree_out:
            return r.tree(r.pull(out, ws[0]))
        if not ws:
            return r.tree([zeros(x, None) for x in r.xs])
        seed = ravel(ws[0]) if len(ws) == 1 else concatenate([ravel(c) for c in ws])
        return r.tree(r.pull(r.flat_output(), seed))

    value = (unflatten(out_def, [r.value(o) for o in out_leaves]) if tree_out
             else r.value(out))
    return (value, pullback, r.aux) if has_aux else (value, pullback)


def reverse_jacobian(r, chunk_size, executor=None, task=None):
    """The Jacobian from the recording ``r``: rows (chunks of them) through one tape.

    With an ``executor`` the chunks of rows are its tasks: each records ``f`` on a tape of
    its own (``task``, a picklable :class:`JacrevTask`) and pulls its rows back.
    """
    out_leaves, out_def = flatten(r.out)
    if any(np.iscomplexobj(peek(value_at(o, r.tape.level))) for o in out_leaves):
        raise TypeError("jacrev needs real outputs (the adjoint of a complex output is not "
                        "a row of J); use dd.jacfwd for complex outputs")
    out_shapes = [shape(o) for o in out_leaves]
    in_shapes = [shape(x) for x in r.xs]
    m, n = sum(sizes(out_shapes)), sum(sizes(in_shapes))
    serial_k = chunk_size or chunk_size_for(max(m, n))
    if executor is None:
        blocks = reverse_rows(r, range(0, m, serial_k), serial_k, m)
    else:
        k = parallel.chunk_size_for(m, executor, chunk_size, cap=serial_k)
        task.k, task.m = k, m
        results = parallel.map_ordered(
            executor, task, [(s,) for s in range(0, m, k)],
            lambda starts: f"rows {starts[0]}..{min(starts[-1] + k, m) - 1} of the Jacobian")
        blocks = [b for bs in results for b in bs]
    J = (np.zeros((m, n)) if not blocks else blocks[0] if len(blocks) == 1
         else concatenate(blocks, axis=0))
    return jacobian_tree(J, out_def, out_shapes, r.treedef, in_shapes)


def reverse_rows(r, starts, k, m):
    """The rows ``start .. start + k - 1`` of the Jacobian for each of ``starts``, by backward
    passes through the recording ``r`` (a chunk of rows is one pass over batched Duals)."""
    blocks = []
    target = r.flat_output() if m else None
    for start in starts:
        c = min(k, m - start)
        if c == 1:
            e = np.zeros(m)
            e[start] = 1.0
            blocks.append(rows(r.pull(target, e), 1))
        else:
            level = new_level()
            seeds = np.zeros((c, m))
            seeds[np.arange(c), start + np.arange(c)] = 1.0
            adjoints = r.pull(target, new_dual(np.zeros(m), seeds, level, c))
            blocks.append(rows([tangent_at(a, level, c) for a in adjoints], c))
    return blocks


class JacrevTask:
    """What one executor task of :func:`jacrev` runs: record ``f``, pull some rows back."""

    def __init__(self, f, args, kwargs, nums, single, has_aux):
        self.f, self.args, self.kwargs = f, args, kwargs
        self.nums, self.single, self.has_aux = nums, single, has_aux
        self.k = self.m = None

    def __call__(self, starts):
        r = _Recording(self.f, self.args, self.kwargs, self.nums, self.single, self.has_aux)
        return reverse_rows(r, starts, self.k, self.m)


def jacobian_by_mode(f, argnums, chunk_size, has_aux, mode, executor=None):
    """:func:`~dualdiff.jacobian` for ``mode`` "reverse" or "auto" (see there)."""
    nums, single = argnums_of(argnums)
    chunk_size = check_chunk_size(chunk_size)
    parallel.check_executor(executor)

    def jac(*args, **kwargs):
        if executor is not None:
            parallel.check_picklable(executor, f, "f")
        r = _Recording(f, args, kwargs, nums, single, has_aux)
        if mode == "auto":
            out_leaves = flatten(r.out)[0]
            m = sum(sizes([shape(o) for o in out_leaves]))
            complex_out = any(np.iscomplexobj(peek(value_at(o, r.tape.level)))
                              for o in out_leaves)
            if complex_out or m >= sum(sizes([shape(x) for x in r.xs])):
                task = None if executor is None else JacobianTask(f, args, kwargs, nums,
                                                                  single, has_aux)
                J, aux = forward_jacobian(f, r.xs, r.treedef, r.rebuild, kwargs, chunk_size,
                                          has_aux, executor, task)
                return (J, aux) if has_aux else J
        task = None if executor is None else JacrevTask(f, args, kwargs, nums, single, has_aux)
        J = reverse_jacobian(r, chunk_size, executor, task)
        return (J, r.aux) if has_aux else J

    return jac


def jacrev(f: Function, argnums: ArgNums = 0, chunk_size: int | None = None,
           has_aux: bool = False, executor: Executor | None = None) -> Derivative:
    """``x -> J`` by reverse mode: ``f`` is recorded once and rows are pulled back through
    that one tape, ``chunk_size`` rows per backward pass (the default as many as fit in
    :data:`~dualdiff.forward.CHUNK_BYTES`; ``1``: one pass per row).

    Same conventions as :func:`~dualdiff.jacobian` (``argnums``, pytrees, ``has_aux``,
    keywords), as ``jax.jacrev``; the outputs must be real.  Cheaper than forward mode when
    ``f`` has fewer outputs than inputs.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jacrev(lambda x: np.array([np.sum(x), x[0] * x[1]]))(np.array([2.0, 3.0]))
    array([[1., 1.],
           [3., 2.]])
    """
    return jacobian_by_mode(f, argnums, chunk_size, has_aux, "reverse", executor)
