"""The kinds of primitive, and how each kind turns its one rule into forward and reverse mode.

A primitive is a callable: on plain numbers and arrays it computes (``math`` for Python
scalars, NumPy for arrays); when an argument is a wrapper it hands over to
:func:`~dualdiff.core.bind`.  Forward mode asks it for ``jvp(primals, tangents, out, batch)``
(``None`` tangents are symbolic zeros, ``batch`` the size of the leading batch axis or
``None``); reverse mode asks for ``vjp(out_bar, primals, out, wants)``, a list with one adjoint
per argument (``None`` where ``wants`` is false).  Both are derived from one rule:

- :class:`Elementwise`: the partial derivative of each argument.
  Forward ``out_dot = sum_i partial_i * x_dot_i``; reverse ``x_bar_i = unbroadcast(partial_i *
  out_bar)``.
- :class:`Linear`: the operation is linear in its arguments, so forward applies the operation
  itself to the tangents (shifted past the batch axis by ``batched``); reverse applies its
  ``transpose``.
- :class:`Custom`: the few operations whose jvp and vjp are given separately (matrix products,
  ``solve``, ``max``), each with its reason in rules.py.
- :class:`Piecewise`: piecewise-constant operations (``floor``, ``sign``): zero derivative,
  so no vjp: the tape does not record them.

Rules are written with the generic functions of this library, so they work on floats, arrays
and wrappers alike: that is what makes derivatives of derivatives work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .core import DISPATCH, STAGING, TRACERS, bind, expand, fit, ndim, scale, shape, zeros
from .registry import lookup
from .typing import ArrayLike, Value

if TYPE_CHECKING:
    from .wrapper import Wrapper

MATH_ERRORS = (ValueError, OverflowError, ZeroDivisionError)


class Primitive:
    """Base class: a named operation with a NumPy implementation."""

    kind = "custom"
    #: how many array arguments it takes (None: any number); parameters go by keyword.
    nargs: int | None = 1
    #: (some set by the rule table for the catalogue: the NumPy ufunc, complex support)
    ufunc: np.ufunc | None
    complex: bool
    #: whether the reverse rule reads the primal values (or only their shapes).
    needs_values = True

    def __init__(self, name, impl):
        self.name = name
        self.impl = impl

    def __call__(self, *args: ArrayLike, **params: object) -> Value:
        if self.nargs is not None and len(args) != self.nargs:
            raise TypeError(f"{self.name} takes {self.nargs} array argument(s), got {len(args)} "
                            "(parameters go by keyword)")
        for a in args:
            if type(a) in DISPATCH:
                return bind(self, args, params)
        if STAGING and params and _holds_tracer(params):
            # a constant indexed by traced positions (the adjoint of a sort): recorded, so
            # that the replay computes the positions instead of guarding on them
            return STAGING[-1].record(self, args, params, self.name)
        return self.impl(*args, **params)

    def __repr__(self):
        return f"<primitive {self.name}>"


def _holds_tracer(params):
    """Whether a parameter (or an item of a tuple or list parameter) is a staging tracer."""
    for v in params.values():
        if type(v) in TRACERS or (type(v) in (tuple, list) and any(
                type(u) in TRACERS for u in v)):
            return True
    return False


class Piecewise(Primitive):
    """Piecewise constant: derivative zero wherever it exists (and taken as zero elsewhere).

    Forward mode gets a symbolic zero tangent; the tape records no node for it at all.
    """

    kind = "zero"

    def jvp(self, primals, tangents, out, batch, **params):
        return None


def _numpy_scalar(np_fn, args):
    """NumPy semantics (inf, nan, signed zeros) for scalar inputs that ``math`` refuses."""
    with np.errstate(all="ignore"):
        r = np_fn(*(float(a) if type(a) is int else a for a in args))
    return complex(r) if np.iscomplexobj(r) else float(r)


class Elementwise(Primitive):
    """An elementwise (broadcasting) function given by its partial derivatives.

    Each partial is ``partial(*primals, out)``, or the constants ``1`` and ``-1`` for the linear
    ones (``add``, ``subtract``, ``negative``), which then cost no multiplication.
    """

    kind = "elementwise"

    def __init__(self, name, math_fn, np_fn, partials, cmath_fn=None, bounded=False):
        self.name = name
        self.math_fn = math_fn
        self.np_fn = np_fn
        self.cmath_fn = cmath_fn
        self.partials = partials
        self.nargs = len(partials)
        self.needs_values = not all(type(p) is int for p in partials)
        #: partials finite, and computed without overflow, at finite inputs: no ``0 * inf``
        #: to guard against and no floating-point state to set on arrays
        self.bounded = bounded

    def impl(self, *args):
        if type(args[0]) is np.ndarray:
            return self.np_fn(*args)
        kinds = {type(a) for a in args}
        if np.ndarray in kinds:
            return self.np_fn(*args)
        if kinds <= {float, int}:
            try:
                return self.math_fn(*args)
            except MATH_ERRORS:
                return _numpy_scalar(self.np_fn, args)
        if kinds <= {float, int, complex}:
            if self.cmath_fn is not None:
                try:
                    return self.cmath_fn(*args)
                except MATH_ERRORS:
                    pass
            return _numpy_scalar(self.np_fn, args)
        return self.np_fn(*args)

    def __call__(self, *args: ArrayLike) -> Value:  # type: ignore[override]
        if len(args) != self.nargs:
            raise TypeError(f"{self.name} takes {self.nargs} argument(s), got {len(args)}")
        for a in args:
            if type(a) in DISPATCH:
                return bind(self, args, {})
        return self.impl(*args)

    def term(self, i, primals, out, t):
        """``partial_i * t``, where ``t`` is a tangent (forward) or an adjoint (reverse)."""
        p = self.partials[i]
        if type(p) is int:
            return t if p == 1 else -t
        if (type(out) is float or staged_float(out)) and type(t) is not np.ndarray:
            return scale(p(*primals, out), t)
        if self.bounded and (type(t) is np.ndarray or staged_array(t)):
            return p(*primals, out) * t
        # a partial may divide by zero where a convention (or ``scale``) then decides: that is
        # not the user's floating-point error, so NumPy is not to warn or raise about it
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return scale(p(*primals, out), t)

    def jvp(self, primals, tangents, out, batch):
        total = None
        nd = ndim(out) if batch is not None else 0
        for i, t in enumerate(tangents):
            if t is None:
                continue
            if batch is not None:
                t = expand(t, ndim(primals[i]), nd)
            term = self.term(i, primals, out, t)
            total = term if total is None else total + term
        if batch is None and (type(out) is float or staged_float(out)):
            return total
        return fit(total, out, batch)

    def vjp(self, out_bar, primals, out, wants):
        return [
            unbroadcast(self.term(i, primals, out, out_bar), shape(x)) if w else None
            for i, (x, w) in enumerate(zip(primals, wants))
        ]


def staged_float(t):
    """Whether ``t`` is a staging tracer of a Python float (it takes the float branches)."""
    return type(t) in TRACERS and type(t.value) is float


def staged_array(t):
    """Whether ``t`` is a staging tracer of an array (it takes the branches an array takes)."""
    return type(t) in TRACERS and type(t.value) is np.ndarray


class Unary(Elementwise):
    """An elementwise function of one argument (its own call: the scalar path is hot)."""

    if TYPE_CHECKING:  # the result is of the argument's kind (NumPy's scalar for a 0-d array)
        @overload  # type: ignore[override]
        def __call__(self, x: Wrapper) -> Wrapper: ...
        @overload
        def __call__(self, x: float) -> float: ...
        @overload
        def __call__(self, x: complex) -> complex: ...
        @overload
        def __call__(self, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | np.number[Any]: ...
        @overload
        def __call__(self, x: ArrayLike) -> Value: ...

    def __call__(self, x: ArrayLike) -> Value:
        tx = type(x)
        if tx is float or tx is int:
            try:
                return self.math_fn(x)
            except MATH_ERRORS:
                return _numpy_scalar(self.np_fn, (x,))
        if tx in DISPATCH:
            return x.apply_unary(self)  # type: ignore[union-attr]  # (a wrapper or tracer)
        return self.impl(x)


def unbroadcast(g, s):
    """Sum ``g`` over the axes that broadcasting added to a value of shape ``s``."""
    gs = shape(g)
    if gs == s:
        return g
    lead = len(gs) - len(s)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(s) if n == 1 and gs[lead + i] != 1
    )
    r = lookup("sum")(g, axis=axes) if axes else g
    return r if s == () else lookup("reshape")(r, shape=s)


class Linear(Primitive):
    """Linear in its (array) arguments: forward applies the op itself to the tangents.

    ``batched(params, primals, batch)`` returns the parameters that apply the op to tangents
    carrying a leading batch axis; ``transpose(out_bar, primals, out, wants, **params)`` is
    the adjoint map.
    """

    kind = "linear"
    needs_values = False

    def __init__(self, name, impl, transpose, batched, broadcasts=False, nargs=1):
        self.name = name
        self.nargs = nargs
        self.impl = impl
        self.transpose = transpose
        self.batched = batched
        self.broadcasts = broadcasts

    def jvp(self, primals, tangents, out, batch, **params):
        like = next((t for t in tangents if t is not None), None)
        ts = [zeros(x, batch, like) if t is None else t for x, t in zip(primals, tangents)]
        if batch is not None:
            if self.broadcasts:
                nd = ndim(out)
                ts = [expand(t, ndim(x), nd) for x, t in zip(primals, ts)]
            params = self.batched(params, primals, out, batch)
        return self(*ts, **params)

    def vjp(self, out_bar, primals, out, wants, **params):
        return self.transpose(out_bar, primals, out, wants, **params)


class Custom(Primitive):
    """An operation with its jvp and vjp given explicitly (see each use for the reason)."""

    def __init__(self, name, impl, jvp, vjp, nargs=1):
        self.name = name
        self.nargs = nargs
        self.impl = impl
        self._jvp = jvp
        self._vjp = vjp

    def jvp(self, primals, tangents, out, batch, **params):
        return self._jvp(primals, tangents, out, batch, **params)

    def vjp(self, out_bar, primals, out, wants, **params):
        return self._vjp(out_bar, primals, out, wants, **params)

