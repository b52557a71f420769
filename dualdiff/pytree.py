"""Pytrees: nested tuples, lists and dicts (and ``None``) whose leaves are numbers or arrays.

Every driver takes its arguments, tangents, cotangents and outputs apart with :func:`flatten`
and builds its results back with :func:`unflatten`, as JAX does.  A *leaf* is anything that
is not a tuple, list, dict or ``None`` (numbers, arrays, Duals, tape values); ``None`` is a
node with no leaves.  Dicts are taken in sorted key order (insertion order when the keys do
not sort), so two dicts with the same keys have the same structure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .typing import ArrayLike, PyTree, Tree

#: the node types; subclasses (named tuples, OrderedDict) are nodes too
NODES = (tuple, list, dict)


def is_tree(x):
    """Whether ``x`` is a node (the drivers' one check for the common case of a plain leaf)."""
    return isinstance(x, NODES) or x is None


class TreeDef:
    """The structure of a pytree: its node types, dict keys and where the leaves go."""

    __slots__ = ("kind", "keys", "children", "num_leaves")

    def __init__(self, kind, keys, children):
        self.kind, self.keys, self.children = kind, keys, children
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind is other.kind
                and self.keys == other.keys and self.children == other.children)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as its children

    def __repr__(self):
        return f"TreeDef({_show(self)})"


LEAF = TreeDef(None, None, ())


def _show(d):
    if d.kind is None:
        return "*"
    if d.kind is type(None):
        return "None"
    if d.keys is not None:
        return "{" + ", ".join(f"{k!r}: {_show(c)}" for k, c in zip(d.keys, d.children)) + "}"
    inner = ", ".join(_show(c) for c in d.children)
    return f"[{inner}]" if issubclass(d.kind, list) else f"({inner})"


def _items(x):
    keys = list(x)
    try:
        keys = sorted(keys)
    except TypeError:
        pass
    return tuple(keys), [x[k] for k in keys]


def flatten(tree):
    """``(leaves, treedef)``: the leaves of ``tree`` in order, and its structure.

    Examples
    --------
    >>> from dualdiff.pytree import flatten, unflatten
    >>> leaves, treedef = flatten({"b": (1.0, 2.0), "a": [3.0, None]})
    >>> leaves
    [3.0, 1.0, 2.0]
    >>> unflatten(treedef, [x * 10 for x in leaves])
    {'a': [30.0, None], 'b': (10.0, 20.0)}
    """
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(x, leaves):
    if x is None:
        return TreeDef(type(None), None, ())
    if isinstance(x, dict):
        keys, values = _items(x)
        return TreeDef(type(x), keys, tuple(_flatten(v, leaves) for v in values))
    if isinstance(x, (tuple, list)):
        return TreeDef(type(x), None, tuple(_flatten(v, leaves) for v in x))
    leaves.append(x)
    return LEAF


def unflatten(treedef, leaves):
    """The pytree of structure ``treedef`` holding ``leaves`` (an iterable, used in order)."""
    it = iter(leaves)
    out = _build(treedef, it)
    if next(it, _END) is not _END:
        raise ValueError(f"too many leaves for the structure {_show(treedef)}")
    return out


_END = object()


def _build(d, it):
    if d.kind is None:
        x = next(it, _END)
        if x is _END:
            raise ValueError("too few leaves for the structure")
        return x
    if d.kind is type(None):
        return None
    children = [_build(c, it) for c in d.children]
    if d.keys is not None:
        pairs = zip(d.keys, children)
        return dict(pairs) if d.kind is dict else d.kind(pairs)
    if d.kind is tuple or d.kind is list:
        return d.kind(children)
    if hasattr(d.kind, "_fields"):  # a named tuple
        return d.kind(*children)
    return d.kind(children)


def tree_map(fn, tree):
    """``fn`` applied to every leaf of ``tree``; same structure."""
    if not is_tree(tree):
        return fn(tree)
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(x) for x in leaves])


def paths(treedef, root):
    """The path of every leaf, as the user would index it: ``root[1]['b']``."""
    out = []
    _paths(treedef, root, out)
    return out


def _paths(d, prefix, out):
    if d.kind is None:
        out.append(prefix)
    elif d.keys is not None:
        for k, c in zip(d.keys, d.children):
            _paths(c, f"{prefix}[{k!r}]", out)
    else:
        for i, c in enumerate(d.children):
            _paths(c, f"{prefix}[{i}]", out)


class StructureError(ValueError, TypeError):
    """Two pytrees that should match do not (a ``ValueError``; a ``TypeError`` as in JAX)."""


def match(treedef, other, root):
    """The leaves of ``other``, checked to have the structure ``treedef``.

    Raises :class:`StructureError` naming the path of the first place where they differ.
    """
    leaves, d = flatten(other)
    if d != treedef:
        raise StructureError(f"{_first_difference(treedef, d, root)}")
    return leaves


def _first_difference(want, got, prefix):
    if want.kind is None or got.kind is None or want.kind is not got.kind \
            or want.keys != got.keys or len(want.children) != len(got.children):
        return f"{prefix}: structure {_show(got)} does not match {_show(want)}"
    keys = want.keys or range(len(want.children))
    for k, a, b in zip(keys, want.children, got.children):
        if a != b:
            return _first_difference(a, b, f"{prefix}[{k!r}]")
    return prefix


def ravel_pytree(tree: PyTree) -> tuple[np.ndarray[Any, Any], Callable[[ArrayLike], Tree]]:
    """``(flat, unravel)``: every leaf of ``tree`` in one 1-d array, and the way back.

    ``unravel(v)`` splits a vector of the same length into a tree of ``tree``'s structure,
    with leaves of the original shapes (and dtypes, for plain arrays).  It is built from
    slicing and reshaping, so it also takes Duals and tape values: ``dd.grad(lambda v:
    loss(unravel(v)))`` is the gradient of ``loss`` as one vector, which is what SciPy's
    optimizers want.  As ``jax.flatten_util.ravel_pytree``.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> flat, unravel = dd.ravel_pytree({"w": np.ones((2, 2)), "b": 0.5})
    >>> flat
    array([0.5, 1. , 1. , 1. , 1. ])
    >>> unravel(np.arange(5.0))
    {'b': 0.0, 'w': array([[1., 2.],
           [3., 4.]])}
    """
    from .core import as_plain  # noqa: PLC0415 (core imports the rule table)

    raw, treedef = flatten(tree)
    leaves = [as_plain(x, p) for x, p in zip(raw, paths(treedef, "tree"))]
    shapes = [np.shape(x) for x in leaves]
    sizes = [int(np.prod(s)) for s in shapes]
    # the dtype the caller gave (float32 stays float32), ints promoted as everywhere
    dtypes = [np.result_type(r) if isinstance(r, np.ndarray) and r.dtype.kind in "fc"
              else np.result_type(x) for r, x in zip(raw, leaves)]
    scalars = [isinstance(x, (float, complex)) for x in leaves]
    flat = (np.concatenate([np.ravel(x) for x in leaves]) if leaves
            else np.zeros(0))
    n = flat.size

    def unravel(v):
        from .core import WRAPPERS, shape  # noqa: PLC0415
        from .rules import reshape  # noqa: PLC0415

        if type(v) not in WRAPPERS:
            v = np.asarray(v)
        if shape(v) != (n,):
            raise ValueError(f"unravel needs a vector of shape ({n},), got shape {shape(v)}")
        out, start = [], 0
        for s, size, dt, scalar in zip(shapes, sizes, dtypes, scalars):
            if scalar:
                x = v[start]
                x = x if type(x) in WRAPPERS else x.item()
            else:
                x = reshape(v[start:start + size], s)
                if type(x) not in WRAPPERS and x.dtype != dt and x.dtype.kind == dt.kind:
                    x = x.astype(dt)
            out.append(x)
            start += size
        return unflatten(treedef, out)

    return flat, unravel
