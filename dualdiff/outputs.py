"""What every driver shares: choosing the arguments to differentiate (``argnums``), taking
them and ``f``'s output apart as pytrees, auxiliary outputs, and assembling Jacobians."""

import math

import numpy as np

from .core import TRACERS, WRAPPERS, as_plain, is_duck_array, zeros
from .dual import Dual
from .objects import from_objects, lift_objects  # noqa: F401 (the drivers' names)
from .pytree import LEAF, TreeDef, flatten, is_tree, paths, unflatten
from .rules import concatenate, reshape, transpose

# --- arguments -----------------------------------------------------------------------------


def argnums_of(argnums):
    """``(tuple of ints, single)`` from an ``argnums`` of int or tuple of ints."""
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return (int(argnums),), True
    if isinstance(argnums, (tuple, list)) and argnums and all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in argnums):
        return tuple(int(i) for i in argnums), False
    raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def inputs(args, nums, single):
    """The arguments ``nums`` of ``args`` taken apart: ``(leaves, treedef, rebuild)``.

    ``leaves`` are the plain values (ints promoted); ``rebuild(new_leaves)`` is the full
    argument list with the selected arguments rebuilt from ``new_leaves``.  One check for the
    common case of a single plain argument.
    """
    n = len(args)
    for i in nums:
        if not -n <= i < n:
            raise TypeError(f"argnums {i} is out of range: f was given {n} positional "
                            f"argument(s)")
    if single and not is_tree(args[nums[0]]):
        i = nums[0]

        def rebuild_one(leaves):
            new = list(args)
            new[i] = leaves[0]
            return new

        return [as_plain(args[i], f"argument {i}")], LEAF, rebuild_one
    parts = [flatten(args[i]) for i in nums]
    leaves = [as_plain(x, name) for (xs, d), i in zip(parts, nums)
              for x, name in zip(xs, paths(d, f"argument {i}"))]
    treedef = parts[0][1] if single else TreeDef(tuple, None, tuple(d for _, d in parts))

    def rebuild(new_leaves):
        new = list(args)
        tree = unflatten(treedef, new_leaves)
        if single:
            new[nums[0]] = tree
        else:
            for i, t in zip(nums, tree):
                new[i] = t
        return new

    return leaves, treedef, rebuild


def split_aux(out, has_aux, where="f"):
    """``(output, aux)``; ``aux`` is None unless ``has_aux``."""
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"with has_aux=True, {where} must return a pair (output, aux), got "
                        f"{type(out).__name__}" + (f" of length {len(out)}"
                                                   if isinstance(out, (tuple, list)) else ""))
    return out[0], out[1]


# --- what f returns --------------------------------------------------------------------------


def check_output(out, where="f"):
    """``out`` made ready for a driver: a number, a numeric array or a pytree of them.

    An object array holding Duals (what ``np.array([d1, d2])`` builds) becomes one wrapper.
    A bool, ``None`` or anything else that is not numeric raises ``TypeError``: it has no
    derivative, and a zero would be a silently wrong answer.
    """
    if type(out) in WRAPPERS or type(out) is float or type(out) in TRACERS:
        return out
    if out is None:
        raise TypeError(f"{where} returned None (NoneType); a derivative needs a number, an "
                        "array or a pytree of them (is a `return` missing?)")
    if is_tree(out):
        leaves, treedef = flatten(out)
        return unflatten(treedef, [check_leaf(x, where) for x in leaves])
    return check_leaf(out, where)


def check_leaf(out, where="f"):
    """One leaf of an output, checked (see :func:`check_output`)."""
    if type(out) in WRAPPERS or type(out) in TRACERS:
        return out
    if isinstance(out, (bool, np.bool_)) or (
            isinstance(out, np.ndarray) and out.dtype.kind == "b"):
        raise TypeError(f"{where} returned a bool, which has no derivative; return the number "
                        "it is computed from")
    if isinstance(out, (int, float, complex)):
        return out
    if isinstance(out, (np.ndarray, np.generic)) and out.dtype.kind in "iufc":
        return out
    if isinstance(out, np.ndarray) and out.dtype == object:
        return from_objects(out, where)
    if is_duck_array(out) and np.dtype(out.dtype).kind in "iufc":
        return out  # a Dask array (lazy): the driver hands it back as it is
    raise TypeError(f"{where} must return a number, a numeric array or a pytree of them, "
                    f"got {type(out).__name__}")


def unaliased(result, inputs):
    """``result`` as an array of its own: copied if it is read-only (a broadcast view) or
    shares memory with one of the caller's arrays, so writing into it changes nothing else."""
    if isinstance(result, np.ndarray) and (not result.flags.writeable or any(
        isinstance(a, np.ndarray) and np.may_share_memory(result, a) for a in inputs
    )):
        return result.copy()
    return result


def primal_at(out, level):
    """The primal of ``out`` with the perturbation of ``level`` removed."""
    return out.primal if type(out) is Dual and out.level == level else out


def tangent_at(out, level, batch=None):
    """The tangent of ``out`` along the perturbation of ``level`` (zero if it does not move)."""
    if type(out) is Dual and out.level == level:
        return out.tangent
    return zeros(out, batch)


def value_at(out, level):
    """``out`` with the wrapping of ``level`` (a Dual's or a tape's) removed."""
    return out.inner if type(out) in WRAPPERS and out.level == level else out


def aux_at(aux, level):
    """``aux`` passed back undifferentiated: the wrapping of ``level`` removed."""
    if aux is None:
        return None
    if not is_tree(aux):
        return value_at(aux, level)
    leaves, treedef = flatten(aux)
    return unflatten(treedef, [value_at(a, level) for a in leaves])


# --- Jacobians -----------------------------------------------------------------------------


def sizes(shapes):
    return [math.prod(s) for s in shapes]


def rows(leaves, batch):
    """Batched tangents (or adjoints) of several leaves as one ``(batch, total size)`` block."""
    parts = [reshape(t, (batch, -1)) for t in leaves]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros((batch, 0))
    return concatenate(parts, axis=1)


def jacobian_tree(J, out_def, out_shapes, in_def, in_shapes, transposed=False):
    """The Jacobian as JAX lays it out, from the 2-d ``J`` of shape (outputs, inputs).

    An output-structured tree whose leaves are input-structured trees of arrays of shape
    ``out_leaf.shape + in_leaf.shape``.  ``transposed``: ``J`` is given as (inputs, outputs).
    """
    if transposed:
        J = transpose(J)
    if len(out_shapes) == 1 and len(in_shapes) == 1:
        leaf = reshape(J, out_shapes[0] + in_shapes[0])
        return unflatten(out_def, [unflatten(in_def, [leaf])])
    out_ends = np.cumsum([0] + sizes(out_shapes))
    in_ends = np.cumsum([0] + sizes(in_shapes))
    per_output = []
    for a, b, os in zip(out_ends[:-1], out_ends[1:], out_shapes):
        blocks = [reshape(J[a:b, c:d], os + s)
                  for c, d, s in zip(in_ends[:-1], in_ends[1:], in_shapes)]
        per_output.append(unflatten(in_def, blocks))
    return unflatten(out_def, per_output)
