"""The tape: reverse mode.

A :class:`Var` wraps a value and its place on a :class:`Tape`; each primitive applied to it
appends a node ``(primitive, input values, output, parameters, parents)``.  The backward pass
walks the nodes once in reverse order (no recursion, so loops of any length work) and
accumulates adjoints ``x_bar_i = sum_j vjp_j(out_bar_j)`` with the table's vjp rules.  Those
rules are written with the generic functions, so a backward pass over Duals or over the Vars
of an outer tape is itself differentiable.
"""

import numpy as np

from .core import WRAPPERS, peek, register_wrapper
from .registry import lookup
from .wrapper import Wrapper


class Tape:
    """The record of one reverse-mode call; nodes are in creation (topological) order."""

    __slots__ = ("level", "nodes")

    def __init__(self, level):
        self.level = level
        self.nodes = []

    def leaf(self, value):
        """A new input or constant: a Var with no parents."""
        self.nodes.append(None)
        return Var(value, self, len(self.nodes) - 1)

    def backward(self, index, seed, leaves):
        """Adjoints of the nodes ``leaves`` given ``seed``, the adjoint of node ``index``."""
        grads = {index: seed}
        nodes = self.nodes
        for i in range(index, -1, -1):
            g = grads.get(i)
            node = nodes[i]
            if g is None or node is None:
                continue
            del grads[i]
            prim, values, out, params, parents = node
            wants = [False] * len(values)
            for pos, _ in parents:
                wants[pos] = True
            adjoints = prim.vjp(g, values, out, wants, **params)
            for pos, j in parents:
                a = adjoints[pos]
                if a is not None:
                    if type(a) is not float and _complex(a) and not _complex(values[pos]):
                        # JAX's pairing <a, b> = Re sum(a b): a real input's adjoint is real
                        a = lookup("real")(a)
                    grads[j] = a if j not in grads else grads[j] + a
        return [grads.get(i) for i in leaves]


class Var(Wrapper):
    """A value recorded on a tape (the reverse-mode wrapper)."""

    __slots__ = ("value", "tape", "index", "level")

    def __init__(self, value, tape, index):
        self.value = value
        self.tape = tape
        self.index = index
        self.level = tape.level

    @property
    def inner(self):
        return self.value

    def constant(self, value):
        return self.tape.leaf(value)

    def _become(self, other):
        if type(other) is not Var:
            raise TypeError("cannot store a Dual into a tape value; build the array from the "
                            "innermost value (np.zeros_like of it)")
        self.value, self.tape, self.index, self.level = (
            other.value, other.tape, other.index, other.level)

    def __repr__(self):
        return f"Var({self.value!r})"

    @staticmethod
    def lift(prim, args, params, level):
        """Reverse mode for one primitive: compute on the values, record a node."""
        values, parents, tape = [], [], None
        for i, a in enumerate(args):
            if type(a) is Var and a.level == level:
                values.append(a.value)
                parents.append((i, a.index))
                tape = a.tape
            else:
                values.append(a)
        out = prim(*values, **params)
        if prim.kind == "zero":
            return out
        if prim.needs_values:
            tape.nodes.append((prim, values, out, params, parents))
        else:
            # a linear op's transpose needs only shapes: let the arrays go
            tape.nodes.append((prim, [_shape_only(v) for v in values], None, params, parents))
        return Var(out, tape, len(tape.nodes) - 1)


class _ShapeOnly:
    """What a linear op's transpose reads of an input: its shape and dtype (whether it is
    complex), and nothing to keep alive."""

    __slots__ = ("shape", "ndim", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.ndim = len(shape)
        self.dtype = dtype


def _complex(x):
    """Whether ``x`` (a value, a wrapper of one, or a stand-in) is complex."""
    t = type(x)
    if t is float or t is np.float64:
        return False
    if t is np.ndarray or t is _ShapeOnly:
        return x.dtype.kind == "c"
    if t in WRAPPERS:
        return _complex(peek(x))
    return t is complex or np.iscomplexobj(x)


def _shape_only(x):
    x = peek(x)
    return _ShapeOnly(x.shape, x.dtype) if type(x) is np.ndarray else x


register_wrapper(Var)
