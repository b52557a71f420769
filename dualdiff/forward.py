"""Forward-mode drivers: ``jvp``, ``derivative``, ``jacobian``.

Each call takes a fresh level (see :mod:`dualdiff.core`), seeds Duals of that level, runs the
function once per batch of directions, and reads back the tangents of that level only.
Arguments, tangents and outputs may be pytrees (:mod:`dualdiff.pytree`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from . import parallel
from .core import as_plain, new_level, shape
from .dual import Dual, new_dual
from .outputs import (
    argnums_of,
    aux_at,
    check_output,
    inputs,
    jacobian_tree,
    primal_at,
    rows,
    sizes,
    split_aux,
    tangent_at,
    unaliased,
)
from .pytree import flatten, is_tree, match, paths, unflatten
from .rules import concatenate
from .typing import ArgNums, Derivative, Function, PyTree, Tree
from .wrapper import call

if TYPE_CHECKING:
    from concurrent.futures import Executor

#: bound on the memory of one chunk of seed tangents in ``jacobian`` (bytes).
CHUNK_BYTES = 64 * 2**20

MODES = ("forward", "reverse", "auto")


def _scalar_seeds(primals, tangents, level):
    """Duals for all-float arguments (the common scalar case), else None.

    An exactly-zero seed is a symbolic zero: no work downstream.
    """
    args = []
    for p, t in zip(primals, tangents):
        if type(p) is not float or type(t) is not float:
            return None
        args.append(new_dual(p, t if t else None, level))
    return args


def tangent_leaves(primals, tangents, name):
    """The tangents of the leaves ``primals``, checked against them: ``(leaves, batch)``.

    Each tangent has its primal's shape, or ``(k,) + shape`` for ``k`` directions (one ``k``
    for all); a mismatch is a ``ValueError`` naming the path of the first bad leaf, which
    ``name(j)`` gives (called only on error).
    """
    batch, out = False, []
    for j, (p, t) in enumerate(zip(primals, tangents)):
        try:
            t = as_plain(t, "the tangent")
        except TypeError as e:
            raise TypeError(f"{name(j)}: {e}") from None
        ps, ts = shape(p), shape(t)
        if ts == ps:
            b = None
        elif len(ts) == len(ps) + 1 and ts[1:] == ps:
            b = ts[0]
        else:
            raise ValueError(f"{name(j)}: shape {ts} does not match {ps}, nor a batch "
                             f"(k,) + {ps}")
        if batch is not False and b != batch:
            raise ValueError(f"tangents must all be unbatched or share one batch size, got "
                             f"{shape(out[0])} for the first and {ts} at {name(j)}")
        batch = b
        out.append(t)
    return out, (None if batch is False else batch)


if TYPE_CHECKING:  # the result has the aux output only with has_aux=True
    @overload
    def jvp(f: Function, primals: Sequence[PyTree], tangents: Sequence[PyTree],
            has_aux: Literal[False] = False) -> tuple[Tree, Tree]: ...
    @overload
    def jvp(f: Function, primals: Sequence[PyTree], tangents: Sequence[PyTree],
            has_aux: Literal[True]) -> tuple[Tree, Tree, Tree]: ...


def jvp(f: Function, primals: Sequence[PyTree], tangents: Sequence[PyTree],
        has_aux: bool = False) -> tuple[Tree, Tree] | tuple[Tree, Tree, Tree]:
    """Value and Jacobian-vector product of ``f`` in one forward pass.

    ``f(*primals)`` and ``J @ tangents``: the directional derivative of ``f`` at ``primals``
    along ``tangents``.  ``primals`` and ``tangents`` are tuples with one entry per argument;
    each entry may be a pytree (nested tuples, lists, dicts), the tangent of the same
    structure as its primal.  Tangents may carry one extra leading axis of ``k`` directions.
    With ``has_aux=True``, ``f`` returns ``(output, aux)`` and ``jvp`` returns
    ``(output, tangent, aux)``, as in JAX.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    >>> dd.jvp(lambda p: p["a"] * p["b"], ({"a": 2.0, "b": 3.0},), ({"a": 1.0, "b": 1.0},))
    (6.0, 5.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents must be tuples, "
                        "one entry per argument of f")
    if len(primals) != len(tangents):
        raise ValueError(f"{len(primals)} primals but {len(tangents)} tangents")
    level = new_level()
    batch = None
    args = _scalar_seeds(primals, tangents, level)
    inputs_ = ()
    if args is None:
        if any(map(is_tree, primals)) or any(map(is_tree, tangents)):
            leaves, treedef = flatten(tuple(primals))
            tleaves = match(treedef, tuple(tangents), "tangents")
            names = paths(treedef, "")
            leaves = [as_plain(p, f"primals{n}") for p, n in zip(leaves, names)]
            tleaves, batch = tangent_leaves(leaves, tleaves, lambda j: f"tangents{names[j]}")
            args = unflatten(treedef, [new_dual(p, t, level, batch)
                                       for p, t in zip(leaves, tleaves)])
        else:
            leaves = [as_plain(p, f"primals[{i}]") for i, p in enumerate(primals)]
            tleaves, batch = tangent_leaves(leaves, tangents, lambda j: f"tangents[{j}]")
            args = [new_dual(p, t, level, batch) for p, t in zip(leaves, tleaves)]
        inputs_ = [*leaves, *tleaves]  # type: ignore[assignment]
    out, aux = split_aux(call(f, args), has_aux)
    if type(out) is Dual and out.level == level and \
            type(out.primal) is float and batch is None:
        t = out._tangent  # scalars: nothing to alias
        result = out.primal, 0.0 if t is None else t
    else:
        out = check_output(out)
        if is_tree(out):
            leaves, treedef = flatten(out)
            result = (unflatten(treedef, [unaliased(primal_at(o, level), inputs_)
                                          for o in leaves]),
                      unflatten(treedef, [unaliased(tangent_at(o, level, batch), inputs_)
                                          for o in leaves]))
        else:
            result = (unaliased(primal_at(out, level), inputs_),
                      unaliased(tangent_at(out, level, batch), inputs_))
    return (*result, aux_at(aux, level)) if has_aux else result


def derivative(f: Function) -> Derivative:
    """``x -> f'(x)`` for scalar ``x``, the result shaped like ``f(x)``; nests for ``f''``.

    Further positional and keyword arguments go to ``f`` undifferentiated.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.derivative(dd.sin)(0.0)
    1.0
    >>> dd.derivative(dd.derivative(lambda x: x**3))(2.0)
    12.0
    """

    def df(x, *args, **kwargs):
        x = as_plain(x, "x")
        if shape(x) != ():
            raise ValueError(f"derivative needs a scalar x, got shape {shape(x)}; use "
                             "dd.jacobian or dd.jvp for arrays")
        level = new_level()
        out = check_output(call(f, (new_dual(x, 1.0, level, None), *args), kwargs))
        if is_tree(out):
            leaves, treedef = flatten(out)
            return unflatten(treedef, [tangent_at(o, level) for o in leaves])
        return tangent_at(out, level)

    return df


def chunk_size_for(n):
    """Directions per pass keeping a chunk of ``n``-long seed tangents within CHUNK_BYTES."""
    return max(1, min(n, CHUNK_BYTES // (16 * max(n, 1))))


def check_chunk_size(chunk_size):
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
            raise TypeError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
        chunk_size = int(chunk_size)
    return chunk_size


def _seed_dtype(xs):
    """The real dtype of the unit seeds: the inputs' own low precision when they share one
    (float32 and complex64 give float32 seeds, float16 float16), else float64."""
    kinds = {np.finfo(np.result_type(x)).dtype if np.result_type(x).kind in "fc"
             else np.dtype(np.float64) for x in xs}
    return kinds.pop() if len(kinds) == 1 else np.float64


def forward_jacobian(f, xs, treedef, rebuild, kwargs, chunk_size, has_aux, executor=None,
                     task=None):
    """The Jacobian of ``f`` with respect to the leaves ``xs``: ``(tree, aux)``.

    All leaves are packed into one vector of ``n`` inputs: each pass seeds a chunk of unit
    directions across every leaf at once (never a pass per leaf).  With an ``executor`` the
    chunks are its tasks (``task``, a picklable :class:`JacobianTask`, runs them), gathered
    in order: the same blocks as the serial loop, so the same result bit for bit.
    """
    in_shapes = [shape(x) for x in xs]
    n = sum(sizes(in_shapes))
    if executor is None:
        k = chunk_size or chunk_size_for(n)
        blocks, out_def, out_shapes, aux = jacobian_passes(
            f, xs, rebuild, kwargs, has_aux, range(0, n, k), k, n)
    else:
        k = parallel.chunk_size_for(n, executor, chunk_size, cap=chunk_size_for(n))
        task.k, task.n = k, n
        results = parallel.map_ordered(
            executor, task, [(s,) for s in range(0, n, k)],
            lambda starts: f"columns {starts[0]}..{min(starts[-1] + k, n) - 1} of the Jacobian")
        blocks = [b for r in results for b in r[0]]
        out_def, out_shapes, aux = results[-1][1:] if results else (None, None, None)
    if not blocks:
        out, aux = split_aux(f(*rebuild(xs), **kwargs), has_aux)
        out_leaves, out_def = flatten(check_output(out))
        out_shapes = [shape(o) for o in out_leaves]
        blocks = [np.zeros((0, sum(sizes(out_shapes))))]
    cols = blocks[0] if len(blocks) == 1 else concatenate(blocks, axis=0)
    return jacobian_tree(cols, out_def, out_shapes, treedef, in_shapes, transposed=True), aux


def jacobian_passes(f, xs, rebuild, kwargs, has_aux, starts, k, n):
    """The forward passes for the chunks of ``k`` directions beginning at ``starts``:
    ``(blocks, output structure, output shapes, aux)``."""
    in_shapes = [shape(x) for x in xs]
    level = new_level()
    blocks, out_def, out_shapes, aux = [], None, None, None
    dtype = _seed_dtype(xs)
    for start in starts:
        m = min(k, n - start)
        seeds = np.zeros((m, n), dtype=dtype)
        seeds[np.arange(m), start + np.arange(m)] = 1.0
        batch = None if k == 1 else m
        duals, at = [], 0
        for x, s, size in zip(xs, in_shapes, sizes(in_shapes)):
            t = seeds[:, at:at + size]
            duals.append(new_dual(x, t.reshape(s if batch is None else (m,) + s), level, batch))
            at += size
        out, aux = split_aux(call(f, rebuild(duals), kwargs), has_aux)
        out_leaves, out_def = flatten(check_output(out))
        out_shapes = [shape(o) for o in out_leaves]
        blocks.append(rows([tangent_at(o, level, batch) for o in out_leaves], m))
    return blocks, out_def, out_shapes, aux_at(aux, level)


class JacobianTask:
    """What one executor task runs: the forward passes of some chunks, from the arguments.

    A module-level class, so that it pickles whenever ``f`` and the arguments do; the worker
    takes the arguments apart itself (``rebuild`` is a closure and does not travel).
    """

    def __init__(self, f, args, kwargs, nums, single, has_aux):
        self.f, self.args, self.kwargs = f, args, kwargs
        self.nums, self.single, self.has_aux = nums, single, has_aux
        self.k = self.n = None

    def __call__(self, starts):
        xs, _, rebuild = inputs(self.args, self.nums, self.single)
        return jacobian_passes(self.f, xs, rebuild, self.kwargs, self.has_aux, starts,
                               self.k, self.n)


def jacobian(f: Function, chunk_size: int | None = None, argnums: ArgNums = 0,
             has_aux: bool = False, mode: Literal["forward", "reverse", "auto"] = "forward",
             executor: Executor | None = None) -> Derivative:
    """``x -> J``, with ``J.shape == shape(f(x)) + shape(x)``, by forward mode.

    Unit tangents are seeded per input: ``chunk_size=1`` runs ``f`` once per input (column by
    column); the default runs several columns per pass as a batch of tangents, sized so that a
    chunk of seeds stays within :data:`CHUNK_BYTES` whatever ``n``.

    As in JAX, ``argnums`` (an int or a tuple of ints) picks the arguments to differentiate;
    arguments and outputs may be pytrees, and the Jacobian of an output tree with respect to
    an input tree is an output-structured tree whose leaves are input-structured trees of
    arrays of shape ``out_leaf.shape + in_leaf.shape``.  The leaves of an input tree are
    packed into one vector, so a pass seeds directions across all of them.  With
    ``has_aux=True``, ``f`` returns ``(output, aux)`` and the function returns
    ``(J, aux)``.  Keyword arguments go to ``f`` undifferentiated.

    ``mode="reverse"`` computes the same Jacobian by :func:`~dualdiff.jacrev`;
    ``mode="auto"`` records ``f`` on the tape once and uses reverse mode when ``f`` has fewer
    outputs than inputs, else forward mode.  ``jacfwd`` is this function, forward by default.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jacobian(lambda x: x**2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> dd.jacobian(lambda t, y: -t * y, argnums=1)(0.5, np.array([1.0, 2.0]))
    array([[-0.5, -0. ],
           [-0. , -0.5]])
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    if mode != "forward":
        from .reverse import jacobian_by_mode  # noqa: PLC0415 (reverse imports forward's)

        return jacobian_by_mode(f, argnums, chunk_size, has_aux, mode, executor)
    nums, single = argnums_of(argnums)
    chunk_size = check_chunk_size(chunk_size)
    parallel.check_executor(executor)

    def jac(*args, **kwargs):
        xs, treedef, rebuild = inputs(args, nums, single)
        task = None
        if executor is not None:
            parallel.check_picklable(executor, f, "f")
            task = JacobianTask(f, args, kwargs, nums, single, has_aux)
        J, aux = forward_jacobian(f, xs, treedef, rebuild, kwargs, chunk_size, has_aux,
                                  executor, task)
        return (J, aux) if has_aux else J

    return jac


#: the same function (API.md): its default mode is forward, as ``jax.jacfwd``.
jacfwd = jacobian
