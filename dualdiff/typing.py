"""The types of dualdiff's public API, for annotating code that calls it.

At run time this module imports only :mod:`typing` and :mod:`numpy.typing` (which NumPy has
already loaded): the engine's classes are named for the type checker alone.

- :data:`ArrayLike`: what a function of this library accepts where it takes an array:
  numbers, nested sequences of numbers, arrays, and the values that carry derivatives
  (:class:`~dualdiff.Dual`, tape values, staged values), which are array-likes because they
  convert with ``np.asarray``.
- :data:`Value`: what a function of this library returns where it computes an array: a
  Python or NumPy scalar, an array, or (inside a driver) a value that carries a derivative.
- :data:`PyTree`: nested tuples, lists and dicts (and ``None``) of array-likes: what the
  drivers take as arguments, tangents and cotangents, and return as derivatives.
- :data:`Axis`, :data:`ArgNums`, :data:`Shape`: the usual NumPy parameters.

Examples
--------
>>> import numpy as np, dualdiff as dd
>>> from dualdiff.typing import ArrayLike, Value
>>> def loss(w: ArrayLike) -> Value:
...     return dd.sum(dd.square(w))
>>> dd.grad(loss)(np.array([1.0, 2.0]))
array([2., 4.])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .staging.tracer import Tracer
    from .wrapper import Wrapper

__all__ = [
    "ArgNums",
    "ArrayLike",
    "Axis",
    "DTypeLike",
    "Derivative",
    "F",
    "Function",
    "Partials",
    "Pullback",
    "PyTree",
    "Rule",
    "Scalar",
    "Shape",
    "Tree",
    "Value",
]

#: Python and NumPy numbers
Scalar: TypeAlias = bool | int | float | complex | np.number[Any] | np.bool_

#: anything ``np.asarray`` takes: numbers, nested sequences, arrays, and the values that
#: carry derivatives (they define ``__array__``)
ArrayLike: TypeAlias = npt.ArrayLike

#: a dtype, or what ``np.dtype`` takes
DTypeLike: TypeAlias = npt.DTypeLike

#: the result of a computation: a scalar, an array, or a value that carries a derivative
Value: TypeAlias = Union[
    float, complex, "np.number[Any]", "np.ndarray[Any, Any]", "Wrapper", "Tracer"
]

#: nested tuples, lists and dicts (and ``None``) whose leaves are array-likes (dict keys are
#: any hashable: ``Any``, as a ``Mapping``'s key type is invariant)
PyTree: TypeAlias = Union[
    "ArrayLike", "Value", Sequence["PyTree"], Mapping[Any, "PyTree"], None
]

#: an axis argument: one axis, several, or all (``None``)
Axis: TypeAlias = int | Sequence[int] | None

#: which positional arguments a driver differentiates with respect to
ArgNums: TypeAlias = int | Sequence[int]

#: an array shape
Shape: TypeAlias = int | Sequence[int]

#: a function of pytrees, as the drivers take it
Function: TypeAlias = Callable[..., PyTree]

#: what a driver returns: a pytree of the structure of the function's input (a gradient) or
#: of its output (a value, a tangent, a Jacobian), with leaves of the kinds that the function
#: computes.  That depends on the function, so to a type checker it is ``Any``: a union would
#: make every caller narrow every result before using it (typeshed's advice on union returns).
Tree: TypeAlias = Any

#: the function a driver returns (``dd.grad(f)``, ``dd.jacobian(f)``, ...)
Derivative: TypeAlias = Callable[..., Tree]

#: ``w -> wᵀ J``: a cotangent of a function's output's structure -> one of its input's
Pullback: TypeAlias = Callable[[PyTree], Tree]

#: a derivative rule given by the user: ``jvp(primals, tangents, out, **params)`` or
#: ``vjp(out_bar, primals, out, wants, **params)`` (see :func:`dualdiff.primitive`)
Rule: TypeAlias = Callable[..., PyTree]

#: the partial derivatives of an elementwise function: one ``partial_i(*args, out)`` (or a
#: constant) per argument
Partials: TypeAlias = Callable[..., "ArrayLike"] | Sequence[Callable[..., "ArrayLike"] | float]

#: the type of a function handed to a decorator that returns it (or one of its signature)
F = TypeVar("F", bound=Callable[..., Any])
