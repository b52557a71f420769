"""Reverse-mode drivers: ``grad``, ``value_and_grad``, ``vjp``.

Each call records ``f`` on a fresh :class:`~dualdiff.tape.Tape` (a level of its own, so it
nests with every other driver) and runs one backward pass per cotangent.
"""

import numpy as np

from .core import WRAPPERS, as_plain, new_level, shape, strip, zeros
from .outputs import check_output, unaliased
from .tape import Tape, Var
from .wrapper import call


def _record(f, args, argnums):
    """Run ``f(*args)`` on a fresh tape with the arguments ``argnums`` as its inputs.

    Returns those arguments (as plain values), the tape, their nodes and ``f``'s output.
    """
    args = list(args)
    xs = [as_plain(args[i], f"argument {i}") for i in argnums]
    tape = Tape(new_level())
    leaves = []
    for i, x in zip(argnums, xs):
        args[i] = tape.leaf(x)
        leaves.append(args[i].index)  # f may rebind it (``x[0] = ...``); the input stays put
    out = check_output(call(f, args))
    if isinstance(out, (tuple, list)):
        raise TypeError("reverse mode needs f to return one number or array, not a tuple")
    return xs, tape, leaves, out


def _pull(tape, leaves, xs, out, seed):
    """The adjoints of the input nodes ``leaves`` when ``out`` has adjoint ``seed``."""
    moved = type(out) is Var and out.tape is tape
    grads = tape.backward(out.index, seed, leaves) if moved else [None] * len(leaves)
    return [_as_input(g, x, seed) for g, x in zip(grads, xs)]


def _as_input(g, x, seed):
    """An adjoint shaped and typed like its input ``x`` (zeros where nothing flowed)."""
    if g is None:
        return zeros(x, None)
    g = unaliased(g, [x, seed])
    if type(g) not in WRAPPERS and isinstance(x, float):
        return float(np.real(g)) if not np.iscomplexobj(g) else complex(g)
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype != x.dtype and (
            g.dtype.kind == x.dtype.kind == "f"):
        return g.astype(x.dtype)  # a float32 input has a float32 adjoint (as in JAX)
    return g


def _value(out, tape):
    return out.value if type(out) is Var and out.tape is tape else out


def _one(value):
    """The seed 1 in the output's precision (float32 adjoints stay float32)."""
    dt = getattr(strip(value), "dtype", None)
    return dt.type(1) if dt is not None and dt.kind == "f" and dt.itemsize < 8 else 1.0


def _argnums(argnums):
    if isinstance(argnums, int):
        return (argnums,), True
    argnums = tuple(argnums)
    if not argnums or not all(isinstance(i, int) for i in argnums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return argnums, False


def value_and_grad(f, argnums=0):
    """``x -> (f(x), ∇f(x))`` for a real scalar-valued ``f``, by one backward pass.

    ``argnums`` (an int, or a tuple for a tuple of gradients) picks the arguments to
    differentiate, as in JAX; the others are passed through as constants.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    >>> dd.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    nums, single = _argnums(argnums)

    def vg(*args):
        if max(nums) >= len(args):
            raise TypeError(f"argnums {argnums!r} but f was given {len(args)} argument(s)")
        xs, tape, leaves, out = _record(f, args, nums)
        if shape(out) != ():
            raise ValueError(f"grad needs f to return a scalar, got shape {shape(out)}; "
                             "use dd.vjp or dd.jacobian for vector outputs")
        value = _value(out, tape)
        if np.iscomplexobj(np.asarray(strip(value))):
            raise TypeError("grad needs a real-valued f; for complex outputs use dd.vjp")
        grads = _pull(tape, leaves, xs, out, _one(value))
        return value, grads[0] if single else tuple(grads)

    return vg


def grad(f, argnums=0):
    """``x -> ∇f(x)`` (the shape of ``x``) for a real scalar-valued ``f``: reverse mode.

    ``argnums`` picks the arguments to differentiate, as in JAX.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    vg = value_and_grad(f, argnums)

    def g(*args):
        return vg(*args)[1]

    return g


def vjp(f, x, *args):
    """``(f(x), pullback)`` with ``pullback(w) = wᵀ J``: reverse mode for any output shape.

    The pullback may be called many times (one backward pass each).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> y, pullback = dd.vjp(lambda x: x * np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> pullback(np.array([1.0, 1.0]))
    array([1., 2.])
    """
    (x,), tape, leaves, out = _record(f, (x, *args), (0,))

    def pullback(w):
        w = as_plain(w, "cotangent")
        if shape(w) != shape(out):
            raise ValueError(f"cotangent of shape {shape(w)} does not match the output's "
                             f"shape {shape(out)}")
        return _pull(tape, leaves, [x], out, w)[0]

    return _value(out, tape), pullback
