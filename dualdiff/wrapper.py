"""What Duals and tape values have in common: Python operators, array methods and NumPy's
protocols (``__array_ufunc__``, ``__array_function__``), all routed to the primitives."""

import numbers
import operator

import numpy as np

from . import numpy_api, rules
from .core import DISPATCH, bind, is_duck_array, shape, strip
from .objects import lift_objects

_OPERAND_TYPES = (numbers.Number, np.ndarray, np.generic)


def _operand(other):
    return type(other) in DISPATCH or isinstance(other, _OPERAND_TYPES) or is_duck_array(other)


def binary_operator(prim, reflected=False):
    """The Python operator for ``prim`` (``NotImplemented`` for foreign operand types).

    An object array of Duals (``np.array([d1, d2])``) becomes one wrapper first: otherwise
    NumPy would build an array of wrappers inside the wrapper, which no driver can read.
    """
    if reflected:

        def op(self, other):
            if not _operand(other):
                return NotImplemented
            return prim(lift_objects(other) if type(other) is np.ndarray else other, self)

    else:

        def op(self, other):
            if not _operand(other):
                return NotImplemented
            return prim(self, lift_objects(other) if type(other) is np.ndarray else other)

    op.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    return op


def _compare(name):
    cmp = getattr(operator, name.strip("_"))

    def op(self, other):
        """Comparisons look at primals only: they steer control flow, carry no derivative."""
        return cmp(strip(self), strip(other))

    op.__name__ = name
    return op


#: Python's binary operators (by the stem of their dunder names) and their primitives.
OPERATORS = {"add": rules.add, "sub": rules.subtract, "mul": rules.multiply,
             "truediv": rules.divide, "pow": rules.power, "matmul": rules.matmul}


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


class Wrapper:
    """Base of :class:`~dualdiff.dual.Dual` and :class:`~dualdiff.tape.Var`.

    Subclasses provide ``inner`` (the wrapped value one level down), ``level``,
    ``lift(prim, args, params, level)`` and ``constant(value)``.
    """

    __slots__ = ()
    __array_priority__ = 1000

    def apply_unary(self, prim):
        return bind(prim, (self,), {})

    def __neg__(self):
        return rules.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return rules.absolute(self)

    __lt__ = _compare("__lt__")
    __le__ = _compare("__le__")
    __gt__ = _compare("__gt__")
    __ge__ = _compare("__ge__")
    __eq__ = _compare("__eq__")
    __ne__ = _compare("__ne__")
    __hash__ = None

    def __bool__(self):
        return bool(strip(self))

    def __float__(self):
        raise TypeError(
            f"float() of a {type(self).__name__} would drop its derivative; use .primal for the "
            "value (to build an array of Duals, start from np.zeros_like(x) of a Dual x)"
        )

    __complex__ = __int__ = __index__ = __float__

    def __array__(self, dtype=None, copy=None):
        """An object array of Duals (so ``np.array([d1, d2])`` works); never plain numbers.

        Drivers turn a returned object array back into one Dual; NumPy's functions on it run
        element by element, through these same wrappers (correct, if slow: prefer
        ``np.stack``).
        """
        if dtype is not None and np.dtype(dtype) != object:
            raise TypeError(
                f"a {type(self).__name__} cannot be converted to a {np.dtype(dtype)} array: "
                "that would drop its derivative. To build an array of Duals use np.stack or "
                "np.zeros_like(x) of a Dual x; take .primal for the value"
            )
        arr = np.empty(self.shape, dtype=object)
        if arr.ndim == 0:
            arr[()] = self
        else:
            for index in np.ndindex(arr.shape):
                arr[index] = self[index]
        return arr

    # --- arrays ---------------------------------------------------------------------------

    @property
    def shape(self):
        return shape(self.inner)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return np.asarray(strip(self)).dtype

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d value")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d value")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index):
        return rules.getitem(self, index)

    def __setitem__(self, index, value):
        self._become(rules.setitem(self, index, value))

    @property
    def T(self):
        return rules.transpose(self)

    def transpose(self, *axes):
        return rules.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def reshape(self, *shape):
        return rules.reshape(self, shape[0] if len(shape) == 1 else shape)

    def ravel(self):
        return rules.ravel(self)

    def flatten(self):
        return rules.ravel(self)

    def sum(self, axis=None, keepdims=False):
        return rules.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return rules.mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return rules.prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return rules.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return rules.min(self, axis=axis, keepdims=keepdims)

    # order and statistics (more below: ``var``, ``std``, ``cumsum``, ``cumprod``, ``ptp``,
    # ``take`` forward to the functions of the same names)

    def sort(self, axis=-1, kind=None, order=None):
        """In place, as ``ndarray.sort``: this wrapper becomes its sorted self."""
        self._become(rules.sort(self, axis=axis, kind=kind, order=order))

    def argsort(self, axis=-1, kind=None, order=None):
        return np.argsort(strip(self), axis=axis, kind=kind, order=order)

    def argmax(self, axis=None, keepdims=False):
        return np.argmax(strip(self), axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return np.argmin(strip(self), axis=axis, keepdims=keepdims)

    def dot(self, other):
        return rules.dot(self, other)

    def copy(self):
        return rules.reshape(self, self.shape)

    # --- NumPy protocols ------------------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return numpy_api.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return numpy_api.function(func, args, kwargs)


install_operators(Wrapper, binary_operator)


def _elementwise_method(prim):
    def method(self, *others):
        return prim(self, *others)

    method.__name__ = prim.name
    return method


# NumPy's ufuncs on object arrays call the method of the ufunc's name on each element
for _prim in rules.PRIMITIVES.values():
    if _prim.kind in ("elementwise", "zero") and not hasattr(Wrapper, _prim.name):
        setattr(Wrapper, _prim.name, _elementwise_method(_prim))


def _array_method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = f"As ``ndarray.{fn.__name__}``: ``np.{fn.__name__}(self, ...)``."
    return method


# ndarray methods whose signature is that of the NumPy function without its first argument
for _fn in (rules.var, rules.std, rules.cumsum, rules.cumprod, rules.ptp, rules.take):
    setattr(Wrapper, _fn.__name__, _array_method(_fn))
