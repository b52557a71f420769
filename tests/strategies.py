"""Hypothesis strategies: each primitive's domain, arrays, broadcast shapes, batched tangents,
and random expression trees that come with an mpmath twin.

Domains stay a safe distance from singularities and kinks (those points are the business of
test_edge_cases.py) and cover the magnitudes where each function is well conditioned, so a
relative tolerance near machine precision is fair.  They are deliberately not timid: the
whole range where the *derivative* is well conditioned is included (e.g. tanh and sigmoid
far into their tails, where ``sech(x)**2`` is tiny but perfectly well determined).
"""

import operator

import hypothesis.extra.numpy as hnp
import mpmath
import numpy as np
from hypothesis import strategies as st
from reference import BINARY, PIECEWISE_CONSTANT, REFERENCES, UNARY

import dualdiff as dd

# --- how each primitive is reached through the public API ---------------------------------

#: API.md names these as ``dd.NAME``; the other rules are reached through operators or ufuncs.
API_NAMES = set(
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp exp2 expm1 log"
    " log2 log10 log1p sqrt cbrt square reciprocal absolute sign floor ceil power arctan2 hypot"
    " maximum minimum logaddexp sigmoid softplus relu".split()
)

_OPERATORS = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "negative": operator.neg,
}


def dd_function(name):
    """``dd.NAME``; for a rule that API.md does not list as ``dd.NAME``, its operator
    (``add`` is ``+``) or else its NumPy ufunc (``rint``), applied to Duals."""
    fn = getattr(dd, name, None)
    if fn is None:
        fn = _OPERATORS.get(name) or getattr(np, name)
    return fn


# --- domains ---------------------------------------------------------------------------------

NONZERO = ((-1e3, -1e-3), (1e-3, 1e3))
AWAY_FROM_KINK = ((-10.0, -1e-3), (1e-3, 10.0))
AWAY_FROM_ORIGIN = ((-10.0, -0.1), (0.1, 10.0))

#: name -> one tuple of closed intervals per argument (the domain is their union).
DOMAINS = {
    "sin": [((-10.0, 10.0),)],
    "cos": [((-10.0, 10.0),)],
    "tan": [((-1.5, 1.5),)],  # pi/2 - 1.5 = 0.07 keeps away from the pole
    "arcsin": [((-0.99, 0.99),)],
    "arccos": [((-0.99, 0.99),)],
    "arctan": [((-50.0, 50.0),)],
    "sinh": [((-20.0, 20.0),)],
    "cosh": [((-20.0, 20.0),)],
    "tanh": [((-20.0, 20.0),)],
    "arcsinh": [((-50.0, 50.0),)],
    "arccosh": [((1.01, 50.0),)],
    "arctanh": [((-0.99, 0.99),)],
    "exp": [((-50.0, 50.0),)],
    "exp2": [((-60.0, 60.0),)],
    "expm1": [((-30.0, 30.0),)],
    "log": [((1e-3, 1e3),)],
    "log2": [((1e-3, 1e3),)],
    "log10": [((1e-3, 1e3),)],
    "log1p": [((-0.9, 1e3),)],
    "sqrt": [((1e-6, 1e6),)],
    "cbrt": [NONZERO],
    "square": [((-1e3, 1e3),)],
    "reciprocal": [NONZERO],
    "absolute": [AWAY_FROM_KINK],
    "sign": [AWAY_FROM_KINK],
    "floor": [((-10.0, 10.0),)],
    "ceil": [((-10.0, 10.0),)],
    "rint": [((-10.0, 10.0),)],
    "trunc": [((-10.0, 10.0),)],
    "negative": [((-1e3, 1e3),)],
    "sigmoid": [((-40.0, 40.0),)],
    "softplus": [((-40.0, 40.0),)],
    "relu": [AWAY_FROM_KINK],
    "add": [((-1e3, 1e3),), ((-1e3, 1e3),)],
    "subtract": [((-1e3, 1e3),), ((-1e3, 1e3),)],
    "multiply": [((-1e3, 1e3),), ((-1e3, 1e3),)],
    "divide": [((-1e3, 1e3),), NONZERO],
    "power": [((0.1, 10.0),), ((-5.0, 5.0),)],
    "arctan2": [AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN],
    "hypot": [AWAY_FROM_ORIGIN, AWAY_FROM_ORIGIN],
    # Ties are allowed: the reference encodes the 0.5/0.5 convention exactly.
    "maximum": [((-10.0, 10.0),), ((-10.0, 10.0),)],
    "minimum": [((-10.0, 10.0),), ((-10.0, 10.0),)],
    "logaddexp": [((-40.0, 40.0),), ((-40.0, 40.0),)],
    "logaddexp2": [((-40.0, 40.0),), ((-40.0, 40.0),)],
    "remainder": [((-10.0, 10.0),), AWAY_FROM_KINK],
    "fmod": [((-10.0, 10.0),), AWAY_FROM_KINK],
    "copysign": [AWAY_FROM_KINK, AWAY_FROM_KINK],
    "float_power": [((0.1, 10.0),), ((-5.0, 5.0),)],
    "i0": [((-30.0, 30.0),)],
}


def _interval(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def domain(name, arg=0):
    """Floats in the domain of argument ``arg`` of primitive ``name``."""
    intervals = DOMAINS[name][arg]
    return st.one_of(*(_interval(lo, hi) for lo, hi in intervals))


def points(name):
    """A tuple of scalar floats, one per argument of ``name``."""
    return st.tuples(*(domain(name, i) for i in range(REFERENCES[name].arity)))


# --- arrays, shapes, tangents -----------------------------------------------------------------

# At most 9 elements: every element costs a 50-digit reference evaluation.
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
    hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=2),
)


def arrays(elements, shape=SHAPES):
    return hnp.arrays(np.float64, shape, elements=elements)


def array_points(name):
    """A tuple of float64 arrays of one common small shape, one per argument of ``name``."""

    @st.composite
    def build(draw):
        s = draw(SHAPES)
        return tuple(
            draw(arrays(domain(name, i), s)) for i in range(REFERENCES[name].arity)
        )

    return build()


def broadcast_shapes():
    """Pairs of mutually broadcastable shapes (always including the (3, 1) with (4,) case)."""
    drawn = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
    return st.one_of(st.just(((3, 1), (4,))), drawn.map(lambda b: b.input_shapes))


TANGENT_ELEMENTS = st.floats(-2.0, 2.0, allow_subnormal=False)


def tangents(shape):
    """A tangent for a primal of ``shape``."""
    return arrays(TANGENT_ELEMENTS, shape)


def batched_tangents(shape, max_batch=3):
    """A tangent with an extra leading axis of 1..max_batch directions; one is often zero."""

    @st.composite
    def build(draw):
        k = draw(st.integers(1, max_batch))
        t = draw(arrays(TANGENT_ELEMENTS, (k,) + tuple(shape)))
        if k > 1 and draw(st.booleans()):
            t[draw(st.integers(0, k - 1))] = 0.0
        return t

    return build()


# --- random expression trees ------------------------------------------------------------------
#
# A tree is built bottom-up from the primitives.  Each argument that has a restricted domain
# goes through a *guard*: a small expression, itself made of primitives, that maps any real
# input into that domain away from its singular points (1 + u**2 for log, 0.9*tanh(u) for
# arcsin, ...).  The guards are part of the expression, so they are differentiated and checked
# too.  Each node knows how to evaluate itself with dualdiff and with mpmath.


class Expr:
    """A random expression of one variable ``x``: a leaf (``x`` or a constant) or a primitive
    applied to sub-expressions, optionally written as an operator (``a + b``)."""

    __slots__ = ("name", "children", "op", "const", "text")

    def __init__(self, name=None, children=(), op=None, const=None):
        self.name, self.children, self.op, self.const = name, tuple(children), op, const
        if name is None:
            self.text = "x" if const is None else repr(const)
        elif op is None:
            self.text = f"{name}({', '.join(c.text for c in self.children)})"
        else:
            a, b = self.children
            self.text = f"({a.text} {op} {b.text})"

    def __repr__(self):
        return f"Expr({self.text})"

    def dd(self, x):
        """Evaluate with dualdiff (``dd.NAME`` or the operator) at ``x``."""
        if self.name is None:
            return x if self.const is None else self.const
        args = [c.dd(x) for c in self.children]
        if self.op is not None:
            return _OPERATOR_FNS[self.op](*args)
        return dd_function(self.name)(*args)

    def mp(self, x):
        """Evaluate with mpmath (at the working precision) at the mpf ``x``."""
        if self.name is None:
            return x if self.const is None else mpmath.mpf(self.const)
        return REFERENCES[self.name].value(*(c.mp(x) for c in self.children))

    def depth(self):
        return 1 + max((c.depth() for c in self.children), default=-1)


_OPERATOR_FNS = {
    "+": lambda u, v: u + v,
    "-": lambda u, v: u - v,
    "*": lambda u, v: u * v,
    "/": lambda u, v: u / v,
    "**": lambda u, v: u**v,
}


def _apply(name, *children, op=None):
    """The node ``name(children...)``; ``op`` renders a binary primitive as an operator."""
    return Expr(name, children, op)


def _const(c):
    return Expr(const=c)


X = Expr()

# Constants exactly representable in binary, so the float and mpmath expressions agree; none
# is an integer or a half-integer (the jumps of floor, rint, ...).
CONSTANTS = (0.375, 0.75, 1.625, -0.625, -1.25, 2.375)


def _positive(u, draw):
    """Guards onto [1, inf) (or [0.5, inf)), away from the singular point 0."""
    kind = draw(st.sampled_from(["1+sq", "hypot", "cosh", "exp"]))
    if kind == "1+sq":
        op = draw(st.sampled_from([None, "+"]))
        return _apply("add", _const(1.0), _apply("square", u), op=op)
    if kind == "hypot":
        return _apply("hypot", u, _const(1.0))
    if kind == "cosh":
        return _apply("cosh", _bounded(u))
    return _apply("exp", _bounded(u))


def _bounded(u):
    """Onto (-pi, pi): keeps exp, sinh, cosh and friends from overflowing."""
    return _apply("multiply", _const(2.0), _apply("arctan", u))


def _unit(u):
    """Onto [-0.9, 0.9]: away from the ends of arcsin, arccos, arctanh."""
    return _apply("multiply", _const(0.9), _apply("tanh", u))


def _guard(name, u, draw):
    """The argument of unary ``name``, moved into its domain."""
    if name in ("log", "log2", "log10", "sqrt", "reciprocal"):
        return _positive(u, draw)
    if name == "cbrt":
        p = _positive(u, draw)
        return _apply("negative", p) if draw(st.booleans()) else p
    if name == "log1p":
        return _apply("square", u)
    if name == "arccosh":
        return _apply("add", _const(1.25), _apply("square", u))
    if name in ("arcsin", "arccos", "arctanh"):
        return _unit(u)
    if name == "tan":
        return _apply("tanh", u)
    if name in ("exp", "exp2", "expm1", "sinh", "cosh"):
        return _bounded(u)
    return u


#: the binary primitives, with the operator that may stand for them
_OPERATOR_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}


def _binary(name, a, b, draw):
    op = _OPERATOR_SYMBOLS.get(name) if draw(st.booleans()) else None
    if name == "divide":
        d = _positive(b, draw)
        return _apply(name, a, _apply("negative", d) if draw(st.booleans()) else d, op=op)
    if name in ("power", "float_power"):
        if draw(st.booleans()) and name == "power":
            # Any base, small integer exponent: x**2, x**3 are real for negative x too.
            return _apply(name, a, _const(draw(st.sampled_from([2.0, 3.0]))), op=op)
        base = _apply("add", _const(0.5), _apply("square", a))
        expo = _apply("multiply", _const(2.0), _apply("tanh", b))
        return _apply(name, base, expo, op=op)
    return _apply(name, a, b, op=op)


PIECEWISE_CONSTANT = sorted(PIECEWISE_CONSTANT)
#: binary rules in random expressions: not those with jumps or kinks in the middle of their
#: domain (remainder, fmod, copysign), which the expression checks would have to steer around
EXPRESSION_BINARY = [n for n in BINARY if n not in ("remainder", "fmod", "copysign")]
SMOOTH_UNARY = [n for n in UNARY if n not in PIECEWISE_CONSTANT]


@st.composite
def expressions(draw, max_depth=6):
    """A random expression of ``x`` of depth at most ``max_depth`` (guards not counted)."""
    if max_depth == 0 or draw(st.integers(0, 9)) < 2:
        return X if draw(st.integers(0, 5)) else _const(draw(st.sampled_from(CONSTANTS)))
    if draw(st.integers(0, 2)):
        # Piecewise-constant rules make the whole subtree's derivative 0: keep them rare.
        rare = draw(st.integers(0, 19)) == 0
        name = draw(st.sampled_from(PIECEWISE_CONSTANT if rare else SMOOTH_UNARY))
        u = draw(expressions(max_depth - 1))
        return _apply(name, _guard(name, u, draw))
    name = draw(st.sampled_from(EXPRESSION_BINARY))
    a = draw(expressions(max_depth - 1))
    b = draw(expressions(max_depth - 1))
    return _binary(name, a, b, draw)


__all__ = [
    "DOMAINS",
    "Expr",
    "array_points",
    "arrays",
    "batched_tangents",
    "broadcast_shapes",
    "domain",
    "expressions",
    "points",
    "tangents",
]

