"""What Duals and tape values have in common: Python operators, array methods and NumPy's
protocols (``__array_ufunc__``, ``__array_function__``), all routed to the primitives."""

from __future__ import annotations

import itertools
import numbers
import operator
import sys
import sysconfig
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import numpy_api, rules
from .core import DISPATCH, WRAPPERS, bind, is_duck_array, peek, shape, strip
from .objects import lift_objects
from .typing import ArrayLike, Axis, DTypeLike, Shape, Value

_OPERAND_TYPES = (numbers.Number, np.ndarray, np.generic)


def _operand(other):
    return type(other) in DISPATCH or isinstance(other, _OPERAND_TYPES) or is_duck_array(other)


def binary_operator(prim, reflected=False):
    """The Python operator for ``prim`` (``NotImplemented`` for foreign operand types).

    As with a NumPy array, a list operand is an array (``d * [a, b]`` is elementwise); an
    object array of Duals (``np.array([d1, d2])``) becomes one wrapper first: otherwise NumPy
    would build an array of wrappers inside the wrapper, which no driver can read.
    """

    def op(self, other):
        t = type(other)
        if t is not float and t is not int and t not in WRAPPERS:
            other = _as_operand(other)
            if other is NotImplemented:
                return NotImplemented
        return prim(other, self) if reflected else prim(self, other)

    op.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    return op


def _as_operand(other):
    t = type(other)
    if t is np.ndarray:
        return lift_objects(other)
    if t is list or t is tuple:
        return lift_objects(np.asarray(other))
    return other if _operand(other) else NotImplemented


def _compare(name):
    cmp = getattr(operator, name.strip("_"))

    def op(self, other):
        """Comparisons look at primals only: they steer control flow, carry no derivative."""
        return cmp(strip(self), strip(other))

    op.__name__ = name
    return op


#: Python's binary operators (by the stem of their dunder names) and their primitives.
OPERATORS = {"add": rules.add, "sub": rules.subtract, "mul": rules.multiply,
             "truediv": rules.divide, "pow": rules.power, "matmul": rules.matmul,
             "mod": rules.remainder}


def install_operators(cls, make, stems=tuple(OPERATORS)):
    """Give ``cls`` the operators ``stems`` (both sides), each built by ``make(prim, reflected)``.

    Like NumPy, ``x ** 2`` is ``square(x)``: one product, in the value and the derivative.
    """
    for stem in stems:
        setattr(cls, f"__{stem}__", make(OPERATORS[stem], False))
        setattr(cls, f"__r{stem}__", make(OPERATORS[stem], True))
    power = cls.__pow__

    def __pow__(self, other):
        if type(other) in (int, float) and other == 2:
            return rules.square(self)
        return power(self, other)

    cls.__pow__ = __pow__


def _foreign_caller():
    """``package.module.function`` of the library code that asked for a plain number, or None
    when the caller is the user's own code."""
    try:
        frame = sys._getframe(3)  # past this function, the error and the conversion
    except ValueError:  # called from the top of the stack: no library in between
        return None
    name = frame.f_globals.get("__name__", "")
    top = name.partition(".")[0]
    if top in ("dualdiff", "__main__") or not _is_library(frame):
        return None
    outer = frame
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == top:
        outer, frame = frame, frame.f_back
    # the public module: scipy.integrate._quadpack_py.quad is scipy.integrate.quad
    parts = outer.f_globals.get("__name__", "").split(".")
    public = [p for p in itertools.takewhile(lambda p: not p.startswith("_"), parts)]
    return ".".join(public + [outer.f_code.co_name])


def _is_library(frame):
    path = frame.f_code.co_filename
    return any(path.startswith(p) for p in _LIBRARY_PATHS)


_LIBRARY_PATHS = tuple({sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib")})


class ConversionError(TypeError):
    """A Dual or tape value was asked for a plain number (``float(d)``, ``np.float64(d)``,
    compiled code such as ``scipy.integrate.quad``): that would drop its derivative."""

    def __init__(self, wrapper, what):
        cls = type(wrapper).__name__
        attr = "primal" if cls == "Dual" else "value"
        cls = cls if cls == "Dual" else f"tape value ({cls})"
        self.foreign = _foreign_caller()
        if self.foreign is not None:
            msg = (f"{self.foreign} needs plain numbers ({what.format(cls)}): it is not "
                   "differentiable by dualdiff. It would need a derivative rule of its own "
                   f"(a dualdiff primitive for {self.foreign}); to use it on the value alone, "
                   f"pass .{attr}")
        else:
            msg = (f"{what.format(cls)} would drop its derivative; use .{attr} for the value "
                   "(to build an array of them use np.stack([...]), or start from "
                   "np.zeros_like(x) of the input x, or dd.zeros(shape, like=x))")
        super().__init__(msg)
        self.cls = cls

    def explained(self, error):
        """The error to show for ``error``, which NumPy or compiled code raised because of
        this one (NumPy's "setting an array element with a sequence", or a SystemError)."""
        if isinstance(error, ValueError) and self.foreign is None:
            return TypeError(
                f"a {self.cls} was stored into a plain NumPy array (as in out = np.zeros(n); "
                "out[i] = value): that array holds plain numbers, so the derivative would be "
                "lost. Create the array from the input instead, so that it can hold "
                "derivatives: out = np.zeros_like(x) (x the input of the function), or "
                "out = dd.zeros(n, like=x)"
            )
        return TypeError(str(self))


def call(f, args, kwargs=None):
    """``f(*args, **kwargs)`` for a driver, with the errors NumPy and compiled code raise
    *because of* a refused conversion replaced by that conversion's own explanation."""
    try:
        return f(*args, **kwargs) if kwargs else f(*args)
    except (ValueError, SystemError) as e:
        reraise(e)


def reraise(e):
    """Raise ``e``, or the explanation of the refused conversion that caused it."""
    cause = e.__cause__ or e.__context__
    if not isinstance(cause, ConversionError) or not (
            isinstance(e, SystemError) or "array element with a sequence" in str(e)):
        raise e
    raise cause.explained(e).with_traceback(e.__traceback__) from None


class Wrapper:
    """Base of :class:`~dualdiff.dual.Dual` and :class:`~dualdiff.tape.Var`.

    Subclasses provide ``inner`` (the wrapped value one level down), ``level``,
    ``lift(prim, args, params, level)`` and ``constant(value)``.
    """

    __slots__ = ()
    __array_priority__ = 1000

    if TYPE_CHECKING:  # installed by install_operators (below the class): their types
        level: int

        @property
        def inner(self) -> Value: ...

        def _become(self, other: Value) -> None: ...
        def __add__(self, other: ArrayLike) -> Wrapper: ...
        def __radd__(self, other: ArrayLike) -> Wrapper: ...
        def __sub__(self, other: ArrayLike) -> Wrapper: ...
        def __rsub__(self, other: ArrayLike) -> Wrapper: ...
        def __mul__(self, other: ArrayLike) -> Wrapper: ...
        def __rmul__(self, other: ArrayLike) -> Wrapper: ...
        def __truediv__(self, other: ArrayLike) -> Wrapper: ...
        def __rtruediv__(self, other: ArrayLike) -> Wrapper: ...
        def __pow__(self, other: ArrayLike) -> Wrapper: ...
        def __rpow__(self, other: ArrayLike) -> Wrapper: ...
        def __matmul__(self, other: ArrayLike) -> Wrapper: ...
        def __rmatmul__(self, other: ArrayLike) -> Wrapper: ...
        def __lt__(self, other: ArrayLike) -> bool | np.ndarray[Any, Any]: ...
        def __le__(self, other: ArrayLike) -> bool | np.ndarray[Any, Any]: ...
        def __gt__(self, other: ArrayLike) -> bool | np.ndarray[Any, Any]: ...
        def __ge__(self, other: ArrayLike) -> bool | np.ndarray[Any, Any]: ...

    def apply_unary(self, prim: Callable[[Value], Value]) -> Value:
        return bind(prim, (self,), {})

    def __neg__(self) -> Value:
        return rules.negative(self)

    def __pos__(self) -> Wrapper:
        return self

    def __abs__(self) -> Value:
        return rules.absolute(self)

    __lt__ = _compare("__lt__")
    __le__ = _compare("__le__")
    __gt__ = _compare("__gt__")
    __ge__ = _compare("__ge__")
    __eq__ = _compare("__eq__")
    __ne__ = _compare("__ne__")
    __hash__ = None  # type: ignore[assignment]  # unhashable, as arrays are

    def __bool__(self) -> bool:
        return bool(strip(self))

    def __float__(self) -> float:
        raise ConversionError(self, "float() of a {}")

    def __complex__(self):
        raise ConversionError(self, "complex() of a {}")

    def __int__(self):
        raise ConversionError(self, "int() of a {}")

    def __index__(self):
        raise ConversionError(self, "using a {} as an integer (an index, a size, range())")

    def __array__(self, dtype: DTypeLike | None = None,
                  copy: bool | None = None) -> np.ndarray[Any, Any]:
        """An object array of Duals (so ``np.array([d1, d2])`` works); never plain numbers.

        Drivers turn a returned object array back into one Dual; NumPy's functions on it run
        element by element, through these same wrappers (correct, if slow: prefer
        ``np.stack``).
        """
        if dtype is not None and np.dtype(dtype) != object:
            raise ConversionError(self, f"converting a {{}} to {np.dtype(dtype)}")
        arr = np.empty(self.shape, dtype=object)
        if arr.ndim == 0:
            arr[()] = self
        else:
            for index in np.ndindex(arr.shape):
                arr[index] = self[index]
        return arr

    def __format__(self, spec):
        """Formats the value (so ``f"{loss:.3f}"`` works inside a differentiated function)."""
        v = strip(self)
        if type(v) is np.ndarray and v.ndim == 0:
            v = v[()]
        return format(v, spec)

    def __round__(self, ndigits=None):
        """As Python's ``round``: an ``int`` for a scalar without ``ndigits`` (its slope is 0
        anyway); else the rounded value (``np.round``), whose derivative is 0."""
        if ndigits is None and self.shape == ():
            return round(strip(self).item() if type(strip(self)) is np.ndarray else strip(self))
        return rules.around(self, decimals=0 if ndigits is None else int(ndigits))

    def __floordiv__(self, other):
        """``x // y``: piecewise constant, so a plain value (as ``np.floor_divide``)."""
        return strip(self) // strip(other)

    def __rfloordiv__(self, other):
        return strip(other) // strip(self)

    # --- arrays ---------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return shape(self.inner)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.asarray(peek(self)).dtype

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d value")
        return self.shape[0]

    def __iter__(self) -> Iterator[Value]:
        if not self.shape:
            raise TypeError("iteration over a 0-d value")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index: object) -> Value:
        return rules.getitem(self, index)

    def __setitem__(self, index: object, value: ArrayLike) -> None:
        self._become(rules.setitem(self, index, value))

    @property
    def T(self) -> Value:
        return rules.transpose(self)

    def transpose(self, *axes: int | Sequence[int] | None) -> Value:
        return rules.transpose(self, axes[0] if len(axes) == 1 else (axes or None))  # type: ignore[arg-type]

    def reshape(self, *shape: Shape) -> Value:
        return rules.reshape(self, shape[0] if len(shape) == 1 else shape)  # type: ignore[arg-type]

    def ravel(self) -> Value:
        return rules.ravel(self)

    def flatten(self) -> Value:
        return rules.ravel(self)

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Value:
        return rules.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Value:
        return rules.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Axis = None, keepdims: bool = False) -> Value:
        return rules.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Value:
        return rules.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Value:
        return rules.min(self, axis=axis, keepdims=keepdims)

    # order and statistics (more below: ``var``, ``std``, ``cumsum``, ``cumprod``, ``ptp``,
    # ``take`` forward to the functions of the same names)

    def sort(self, axis: int | None = -1, kind: str | None = None,
             order: str | Sequence[str] | None = None) -> None:
        """In place, as ``ndarray.sort``: this wrapper becomes its sorted self."""
        self._become(rules.sort(self, axis=axis, kind=kind, order=order))

    def argsort(self, axis: int | None = -1, kind: str | None = None,
                order: str | Sequence[str] | None = None) -> np.ndarray[Any, Any]:
        return np.argsort(strip(self), axis=axis, kind=kind, order=order)  # type: ignore[arg-type]

    def argmax(self, axis: int | None = None,
               keepdims: bool = False) -> np.ndarray[Any, Any] | np.intp:
        return np.argmax(strip(self), axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None,
               keepdims: bool = False) -> np.ndarray[Any, Any] | np.intp:
        return np.argmin(strip(self), axis=axis, keepdims=keepdims)

    def dot(self, other: ArrayLike) -> Value:
        return rules.dot(self, other)

    def copy(self) -> Value:
        return rules.reshape(self, self.shape)

    def squeeze(self, axis: int | Sequence[int] | None = None) -> Value:
        return rules.squeeze(self, axis)

    def conj(self) -> Value:
        return rules.conj(self)

    conjugate = conj

    @property
    def real(self) -> Value:
        return rules.real(self)

    @property
    def imag(self) -> Value:
        return rules.imag(self)

    def astype(self, dtype: DTypeLike, copy: bool = True) -> Value:
        """The value cast to ``dtype``, derivative included (float32, complex, ...); a cast to
        an integer or bool type is piecewise constant and gives a plain array."""
        dt = np.dtype(dtype)
        if dt.kind not in "fc":
            return strip(self).astype(dt) if type(strip(self)) is np.ndarray else dt.type(
                strip(self))
        return rules.astype(self, dtype=dt)

    def item(self, *index: int) -> Value:
        """The single element as a scalar wrapper (``float(d.item())`` still refuses)."""
        if index:
            return self[index[0] if len(index) == 1 else index].item()  # type: ignore[union-attr]
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return rules.getitem(rules.reshape(self, (1,)), 0)

    def tolist(self) -> Value | list[Any]:
        """Nested lists of scalar wrappers, as ``ndarray.tolist`` gives nested floats."""
        if self.shape == ():
            return self.item()
        return [x.tolist() for x in self]  # type: ignore[union-attr]  # (elements: wrappers)

    # --- NumPy protocols ------------------------------------------------------------------

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: object,
                        **kwargs: object) -> object:
        return numpy_api.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable[..., object], types: object,
                           args: tuple[object, ...], kwargs: dict[str, object]) -> object:
        return numpy_api.function(func, args, kwargs)


install_operators(Wrapper, binary_operator)


def _elementwise_method(prim):
    def method(self: Wrapper, *others: ArrayLike) -> Value:
        return prim(self, *others)

    method.__name__ = prim.name
    return method


# NumPy's ufuncs on object arrays call the method of the ufunc's name on each element
for _prim in rules.PRIMITIVES.values():
    if _prim.kind in ("elementwise", "zero") and not hasattr(Wrapper, _prim.name):
        setattr(Wrapper, _prim.name, _elementwise_method(_prim))


def _array_method(fn):
    def method(self: Wrapper, *args: object, **kwargs: object) -> Value:
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = f"As ``ndarray.{fn.__name__}``: ``np.{fn.__name__}(self, ...)``."
    return method


# ndarray methods whose signature is that of the NumPy function without its first argument
for _fn in (rules.var, rules.std, rules.cumsum, rules.cumprod, rules.ptp, rules.take):
    setattr(Wrapper, _fn.__name__, _array_method(_fn))
