"""Dual numbers ``primal + tangent·ε`` (``ε² = 0``): forward mode.

A Dual's primal is a float, complex or NumPy array, or a wrapper of a lower level (nested
derivatives); its tangent has the primal's shape, or one extra leading axis holding a batch
of directions.  A ``None`` tangent is a symbolic zero: no work, and no ``0 * inf``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import rules
from .core import TRACERS, WRAPPERS, as_plain, bind, register_wrapper, shape, zeros
from .primitive import MATH_ERRORS, staged_float
from .typing import ArrayLike, Value
from .wrapper import Wrapper, binary_operator, install_operators

if TYPE_CHECKING:
    from .primitive import Unary

#: primal types that take the scalar short path (``math`` accepts both)
_REALS = (float, np.float64)


def _scalar_binary(prim, reflected=False):
    """An operator with a short path for unbatched Duals over real scalars.

    Python overhead is what a scalar dual-number library wins or loses on, so the common case
    skips the generic dispatch; it still takes its values and partials from the rule table.
    """
    generic = binary_operator(prim, reflected)
    math_fn = prim.math_fn
    px, py = prim.partials

    def op(self, other):
        a = self.primal
        if self.batch is not None or type(a) not in _REALS:
            if self.batch is None and staged_float(a):
                return _staged_binary(prim, generic, reflected, self, other)
            return generic(self, other)
        to = type(other)
        if to is Dual:
            y = other.primal
            if other.level != self.level or type(y) not in _REALS or other.batch is not None:
                return generic(self, other)
            x, tx, ty = a, self._tangent, other._tangent
        elif to in _REALS or to is int:
            if reflected:
                x, y, tx, ty = other, a, None, self._tangent
            else:
                x, y, tx, ty = a, other, self._tangent, None
        else:
            return generic(self, other)
        try:
            out = math_fn(x, y)
        except MATH_ERRORS:
            return generic(self, other)
        t = None
        if tx is not None:
            t = _scalar_term(px, tx, x, y, out)
        if ty is not None:
            t2 = _scalar_term(py, ty, x, y, out)
            t = t2 if t is None else t + t2
        return new_dual(out, t, self.level)

    op.__name__ = generic.__name__
    return op


def _staged_binary(prim, generic, reflected, self, other):
    """``prim`` of a Dual over a staging tracer of a float (``dd.jit`` tracing scalar code).

    The same rule as the generic path, without its dispatch (which is most of the time of a
    long scalar trace): the primal by ``prim`` on the tracers (recorded), each tangent term
    by :meth:`Primitive.term`, their sum.
    """
    to = type(other)
    if to is Dual:
        y = other.primal
        if other.level != self.level or other.batch is not None or not (
                type(y) is float or staged_float(y)):
            return generic(self, other)
        ty = other._tangent
    elif to is float or to is int:
        y, ty = other, None
    else:
        return generic(self, other)
    x, tx = self.primal, self._tangent
    record = TRACERS[type(x)]  # (x is the traced float: y may be a plain one)
    if reflected:
        x, y, tx, ty = y, x, ty, tx
    out = record(prim, x, y)  # prim(x, y) as the tracer's lift records it
    t = None if tx is None else prim.term(0, (x, y), out, tx)
    if ty is not None:
        t2 = prim.term(1, (x, y), out, ty)
        t = t2 if t is None else t + t2
    return new_dual(out, t, self.level)


def _scalar_term(p, t, *args):
    """``partial(*args) * t`` on the short path; a zero tangent stays zero (see core.scale)."""
    if type(p) is int:
        return t if p == 1 else -t
    r = p(*args) * t
    if r != r and type(r) is float and t == 0:
        return 0.0
    return r


def new_dual(primal, tangent, level, batch=None):
    """A Dual built without validation: the drivers' and the rules' constructor."""
    d = _new_object(Dual)
    d.primal, d._tangent, d.level, d.batch = primal, tangent, level, batch
    return d


_new_object = object.__new__


class Dual(Wrapper):
    """A dual number ``primal + tangent·ε``: arithmetic on it carries the derivative along.

    Parameters
    ----------
    primal : float, int, complex or array_like
        The value (ints are promoted to float; arrays are copied).
    tangent : same, optional
        The derivative part: the shape of ``primal``, or ``(k,) + primal.shape`` for ``k``
        directions at once.  ``None`` means zero.

    Examples
    --------
    >>> import dualdiff as dd
    >>> y = dd.sin(dd.Dual(0.0, 1.0)) * 3.0
    >>> y.primal, y.tangent
    (0.0, 3.0)
    """

    __slots__ = ("primal", "_tangent", "level", "batch")
    primal: Value
    _tangent: Value | None
    level: int
    batch: int | None

    def __init__(self, primal: ArrayLike, tangent: ArrayLike | None = None) -> None:
        if type(primal) in WRAPPERS:
            raise TypeError("the primal of a Dual must be a number or an array, not a wrapper: "
                            "use dd.derivative / dd.jvp to nest derivatives")
        self.primal = as_plain(primal, "Dual primal", copy=True)
        self.level = 0
        self.batch = None
        self._tangent = None
        if tangent is not None:
            plain = as_plain(tangent, "Dual tangent", copy=True)
            ps, ts = shape(self.primal), shape(plain)
            if ts != ps:
                if ts[1:] != ps or len(ts) != len(ps) + 1:
                    raise ValueError(f"tangent of shape {ts} matches neither the primal's shape "
                                     f"{ps} nor a batch (k,) + {ps}")
                self.batch = ts[0]
            self._tangent = plain

    def apply_unary(self, prim: Unary) -> Value:  # type: ignore[override]
        """``prim(self)``; unbatched Duals over Python floats take a short path."""
        x = self.primal
        if type(x) in _REALS and self.batch is None:
            try:
                out = prim.math_fn(x)
            except MATH_ERRORS:
                return bind(prim, (self,), {})
            t = self._tangent
            if t is not None:
                t = _scalar_term(prim.partials[0], t, x, out)
            return new_dual(out, t, self.level)
        return bind(prim, (self,), {})

    def __neg__(self):
        return self.apply_unary(rules.negative)

    @property
    def tangent(self) -> Value:
        """The derivative part (zeros when it is symbolically zero)."""
        t = self._tangent
        return zeros(self.primal, self.batch) if t is None else t

    @property
    def inner(self) -> Value:
        return self.primal

    def constant(self, value: ArrayLike) -> Dual:
        """A Dual of this level with zero tangent."""
        return new_dual(value, None, self.level, self.batch)

    def _become(self, other: Value) -> None:
        if type(other) is not Dual:
            raise TypeError("cannot store a tape value into a Dual; build the array from the "
                            "innermost value (np.zeros_like of it)")
        self.primal, self._tangent = other.primal, other._tangent
        self.level, self.batch = other.level, other.batch

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    @staticmethod
    def lift(prim, args, params, level):
        """Forward mode for one primitive: primal on the parts, tangent by the rule."""
        primals, tangents, batch, moving = [], [], None, False
        for a in args:
            if type(a) is Dual and a.level == level:
                primals.append(a.primal)
                t = a._tangent
                tangents.append(t)
                if a.batch is not None and a.batch != batch:
                    if batch is not None:
                        raise ValueError(f"tangent batches of sizes {batch} and {a.batch} meet")
                    batch = a.batch
                moving = moving or t is not None
            else:
                primals.append(a)
                tangents.append(None)
        if batch is not None:
            for a, t in zip(args, tangents):
                if t is not None and a.batch is None:
                    raise ValueError("a batched tangent meets an unbatched one at the same level")
        out = prim(*primals, **params)
        if not moving:
            return new_dual(out, None, level, batch)
        return new_dual(out, prim.jvp(primals, tangents, out, batch, **params), level, batch)


install_operators(Dual, _scalar_binary, ("add", "sub", "mul", "truediv", "pow"))
register_wrapper(Dual)
