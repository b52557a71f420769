"""Forward-mode drivers: ``jvp``, ``derivative``, ``jacobian``.

Each call takes a fresh level (see :mod:`dualdiff.core`), seeds Duals of that level, runs the
function once per batch of directions, and reads back the tangents of that level only.
"""

import math

import numpy as np

from . import rules
from .core import as_plain, new_level, shape, zeros
from .dual import Dual, new_dual
from .outputs import check_output, tree_map, unaliased
from .wrapper import call, reraise

#: bound on the memory of one chunk of seed tangents in ``jacobian`` (bytes).
CHUNK_BYTES = 64 * 2**20


def primal_at(out, level):
    """The primal of ``out`` with the perturbation of ``level`` removed."""
    return out.primal if type(out) is Dual and out.level == level else out


def tangent_at(out, level, batch=None):
    """The tangent of ``out`` along the perturbation of ``level`` (zero if it does not move)."""
    if type(out) is Dual and out.level == level:
        return out.tangent
    return zeros(out, batch)


def _batch_of(primal, tangent, i):
    ps, ts = shape(primal), shape(tangent)
    if ts == ps:
        return None
    if len(ts) == len(ps) + 1 and ts[1:] == ps:
        return ts[0]
    raise ValueError(f"tangent {i} has shape {ts}, which matches neither its primal's shape "
                     f"{ps} nor a batch (k,) + {ps}")


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


def jvp(f, primals, tangents):
    """Value and Jacobian-vector product of ``f`` in one forward pass.

    ``f(*primals)`` and ``J @ tangents``: the directional derivative of ``f`` at ``primals``
    along ``tangents``.  Tangents may carry one extra leading axis of ``k`` directions.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents must be tuples, "
                        "one entry per argument of f")
    if len(primals) != len(tangents):
        raise ValueError(f"{len(primals)} primals but {len(tangents)} tangents")
    level = new_level()
    batch = None
    args = _scalar_seeds(primals, tangents, level)
    if args is None:
        primals = [as_plain(p, f"primal {i}") for i, p in enumerate(primals)]
        tangents = [as_plain(t, f"tangent {i}") for i, t in enumerate(tangents)]
        batches = {_batch_of(p, t, i) for i, (p, t) in enumerate(zip(primals, tangents))}
        if len(batches) > 1:
            raise ValueError(f"tangents must all be unbatched or share one batch size, "
                             f"got sizes {sorted(batches, key=str)}")
        batch = batches.pop() if batches else None
        args = [new_dual(p, t, level, batch) for p, t in zip(primals, tangents)]
    try:  # (call(f, args) inlined: the scalar path is hot)
        out = f(*args)
    except (ValueError, SystemError) as e:
        reraise(e)
    if type(out) is Dual and out.level == level and type(out.primal) is float and batch is None:
        t = out._tangent  # scalars: nothing to alias
        return out.primal, 0.0 if t is None else t
    out = check_output(out)
    inputs = [*primals, *tangents]
    return (tree_map(lambda o: unaliased(primal_at(o, level), inputs), out),
            tree_map(lambda o: unaliased(tangent_at(o, level, batch), inputs), out))


def derivative(f):
    """``x -> f'(x)`` for scalar ``x``, the result shaped like ``f(x)``; nests for ``f''``.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.derivative(dd.sin)(0.0)
    1.0
    >>> dd.derivative(dd.derivative(lambda x: x**3))(2.0)
    12.0
    """

    def df(x, *args):
        x = as_plain(x, "x")
        if shape(x) != ():
            raise ValueError(f"derivative needs a scalar x, got shape {shape(x)}; use "
                             "dd.jacobian or dd.jvp for arrays")
        level = new_level()
        out = check_output(call(f, (new_dual(x, 1.0, level, None), *args)))
        return tree_map(lambda o: tangent_at(o, level), out)

    return df


def chunk_size_for(n):
    """Directions per pass keeping a chunk of ``n``-long seed tangents within CHUNK_BYTES."""
    return max(1, min(n, CHUNK_BYTES // (16 * max(n, 1))))


def jacobian(f, chunk_size=None):
    """``x -> J``, with ``J.shape == shape(f(x)) + shape(x)``, by forward mode.

    Unit tangents are seeded per input: ``chunk_size=1`` runs ``f`` once per input (column by
    column); the default runs several columns per pass as a batch of tangents, sized so that a
    chunk of seeds stays within :data:`CHUNK_BYTES` whatever ``n``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.jacobian(lambda x: x**2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
            raise TypeError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
        chunk_size = int(chunk_size)

    def jac(x, *args):
        x = as_plain(x, "x")
        xs = shape(x)
        n = math.prod(xs)
        k = chunk_size or chunk_size_for(n)
        # unit seeds in the input's precision (float32 stays float32), real for complex x
        seed_dtype = np.finfo(x.dtype).dtype if isinstance(x, np.ndarray) else np.float64
        level = new_level()
        blocks, out_shape = [], None
        for start in range(0, n, k):
            m = min(k, n - start)
            seeds = np.zeros((m, n), dtype=seed_dtype)
            seeds[np.arange(m), start + np.arange(m)] = 1.0
            if k == 1:
                out = call(f, (new_dual(x, seeds.reshape(xs), level, None), *args))
            else:
                out = call(f, (new_dual(x, seeds.reshape((m,) + xs), level, m), *args))
            out = check_output(out)
            if isinstance(out, (tuple, list)):
                raise TypeError("jacobian needs f to return one array, not a tuple")
            out_shape = shape(out)
            t = tangent_at(out, level, None if k == 1 else m)
            blocks.append(rules.reshape(t, (m, -1)))
        if not blocks:
            out_shape = shape(f(x, *args))
            return np.zeros(out_shape + xs)
        cols = blocks[0] if len(blocks) == 1 else rules.concatenate(blocks, axis=0)
        return rules.reshape(rules.transpose(cols), out_shape + xs)

    return jac


jacfwd = jacobian
