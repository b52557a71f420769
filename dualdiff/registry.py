"""The one registry: every primitive, and every NumPy (or SciPy) callable dualdiff accepts.

The rule modules (:mod:`dualdiff.rules`) fill it in; the dispatch (:mod:`dualdiff.numpy_api`),
the tape, the tests and the catalogue read it.  It imports nothing of dualdiff, so any engine
module can look a primitive up by name without an import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    import numpy as np

    from .primitive import Primitive

P = TypeVar("P", bound="Primitive")
#: (unbounded: the rule table also registers functions that mypy sees only as ``function``)
F = TypeVar("F")

#: every primitive by name; the tests walk this table.
PRIMITIVES: dict[str, Primitive] = {}

#: NumPy array functions (``np.sum``, ``np.linalg.det``, ...) -> their implementation on
#: wrappers (a primitive or a composition of primitives).
FUNCTIONS: dict[Callable[..., object], Callable[..., object]] = {}

#: ufuncs -> the primitive of the same meaning.
UFUNCS: dict[np.ufunc, Callable[..., object]] = {}

#: array functions and ufuncs whose result carries no derivative (shapes, comparisons,
#: predicates, integer results): computed on the primal values.
PRIMAL_FUNCTIONS: set[Callable[..., object]] = set()
PRIMAL_UFUNCS: set[np.ufunc] = set()


def register(prim: P) -> P:
    """Enter the primitive ``prim`` under its name; returns it."""
    PRIMITIVES[prim.name] = prim
    return prim


def implements(*np_functions: Callable[..., object]) -> Callable[[F], F]:
    """Decorator: ``fn`` is what each of ``np_functions`` does on Duals and tape values."""

    def deco(fn: F) -> F:
        for f in np_functions:
            FUNCTIONS[f] = cast("Callable[..., object]", fn)
        return fn

    return deco


def lookup(name: str) -> Primitive:
    """The registered primitive ``name`` (for the engine modules below the rule table)."""
    return PRIMITIVES[name]
