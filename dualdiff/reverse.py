"""Reverse-mode drivers: ``grad``, ``value_and_grad``, ``vjp``.

Each call records ``f`` on a fresh :class:`~dualdiff.tape.Tape` (a level of its own, so it
nests with every other driver) and runs one backward pass per cotangent.
"""

import numpy as np

from .core import WRAPPERS, as_plain, new_level, shape, zeros
from .outputs import check_output, unaliased
from .tape import Tape, Var


def _record(f, x, args):
    """Run ``f`` on a fresh tape; returns ``x``, the tape, the input's node and ``f(x)``."""
    x = as_plain(x, "x")
    tape = Tape(new_level())
    xv = tape.leaf(x)
    leaf = xv.index  # f may rebind xv (``x[0] = ...``); the input stays this node
    out = check_output(f(xv, *args))
    if isinstance(out, (tuple, list)):
        raise TypeError("reverse mode needs f to return one number or array, not a tuple")
    return x, tape, leaf, out


def _pull(tape, leaf, x, out, seed):
    """The adjoint of the input node ``leaf`` when ``out`` has adjoint ``seed``."""
    if not (type(out) is Var and out.tape is tape):
        return zeros(x, None)
    (g,) = tape.backward(out.index, seed, [leaf])
    if g is None:
        return zeros(x, None)
    g = unaliased(g, [x, seed])
    if type(g) not in WRAPPERS and shape(x) == () and isinstance(x, float):
        return float(np.real(g)) if not np.iscomplexobj(g) else complex(g)
    return g


def _value(out, tape):
    return out.value if type(out) is Var and out.tape is tape else out


def value_and_grad(f):
    """``x -> (f(x), ∇f(x))`` for a real scalar-valued ``f``, by one backward pass.

    Examples
    --------
    >>> import dualdiff as dd
    >>> dd.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """

    def vg(x, *args):
        x, tape, leaf, out = _record(f, x, args)
        if shape(out) != ():
            raise ValueError(f"grad needs f to return a scalar, got shape {shape(out)}; "
                             "use dd.vjp or dd.jacobian for vector outputs")
        value = _value(out, tape)
        if np.iscomplexobj(np.asarray(_strip_value(value))):
            raise TypeError("grad needs a real-valued f; for complex outputs use dd.vjp")
        return value, _pull(tape, leaf, x, out, 1.0)

    return vg


def _strip_value(v):
    from .core import strip  # noqa: PLC0415

    return strip(v)


def grad(f):
    """``x -> ∇f(x)`` (the shape of ``x``) for a real scalar-valued ``f``: reverse mode.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> dd.grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    array([2., 4.])
    """

    def g(x, *args):
        return value_and_grad(f)(x, *args)[1]

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
    x, tape, leaf, out = _record(f, x, args)

    def pullback(w):
        w = as_plain(w, "cotangent")
        if shape(w) != shape(out):
            raise ValueError(f"cotangent of shape {shape(w)} does not match the output's "
                             f"shape {shape(out)}")
        return _pull(tape, leaf, x, out, w)

    return _value(out, tape), pullback
