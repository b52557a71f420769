"""Rules written by users: :func:`primitive`, :func:`register_rule`, :func:`per_direction`.

A user's rule becomes a primitive of the same kinds as the built-in ones
(:class:`~dualdiff.primitive.Elementwise` from ``partials``, a custom primitive from ``jvp``),
so forward mode, the tape, batched tangents and nesting all use it unchanged.  What this module
adds is checking: a rule is a promise the library cannot verify in general, so the promises
that can be checked cheaply are checked at definition (the number of partials) or at every use
(the shape a ``jvp`` returns, a plain number returned where a Dual came in); the rest
(linearity in the tangent, agreement with finite differences) is :func:`dualdiff.check_rule`'s.

A ``vjp`` left out is derived from the ``jvp`` by transposition: the ``jvp`` is run on tape
values standing for the tangents (at zero: it is linear in them), and one backward pass from the
cotangent gives ``Jᵀ w``, the adjoint of the linear map the ``jvp`` computed.
"""

import functools
import inspect
import numbers

import numpy as np

from .core import WRAPPERS, new_level, shape, zeros
from .numpy_api import qualified_name
from .primitive import Elementwise, Primitive
from .registry import FUNCTIONS, UFUNCS
from .tape import Tape, Var

__all__ = ["per_direction", "primitive", "register_rule", "supported"]


def per_direction(jvp):
    """Mark a ``jvp`` written for one tangent direction: a batch is then done one at a time.

    A ``jvp`` receives tangents that may carry a leading batch axis of ``k`` directions
    (``dd.jacobian`` and ``dd.hvp`` send them).  A rule written with broadcasting operations
    handles it for free (``cos(x) * t``, ``t @ A.T``, ``np.einsum('...j,ij->...i', t, A)``);
    one that is not (``A @ t``, ``np.dot(t, v)``) can be decorated with ``per_direction``
    instead: it is then called once per direction, with tangents of the primals' shapes, and
    the results are stacked.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> @per_direction
    ... def jvp(primals, tangents, out):
    ...     return A @ tangents[0]
    >>> apply_A = dd.primitive(lambda x: A @ x, jvp=jvp, linear=True)
    >>> dd.jacobian(apply_A)(np.ones(2))
    array([[1., 2.],
           [3., 4.]])
    """
    jvp.__dualdiff_per_direction__ = True
    return jvp


def _plain_where_wrapped(result, inputs):
    """Whether a rule gave a plain value although one of ``inputs`` was a Dual or tape value."""
    if result is None:
        return False
    if type(result) is np.ndarray and result.dtype == object:
        return True
    return type(result) not in WRAPPERS and any(type(a) in WRAPPERS for a in inputs)


_PLAIN_HELP = ("write the rule with NumPy or dualdiff functions on its arguments (math.*, float(), "
               ".item() and np.asarray drop the derivative)")


def _python(r):
    """A NumPy scalar as a Python one (as ``math`` returns them); anything else unchanged."""
    return r.item() if isinstance(r, np.generic) else r


def _python_scalar(fun):
    """``fun`` on Python scalars, returning a Python scalar."""
    return lambda *args: _python(fun(*args))


class UserElementwise(Elementwise):
    """An elementwise rule from a user's partial derivatives (each checked at every call)."""

    user = True

    def __init__(self, name, fun, partials):
        checked = []
        for i, p in enumerate(partials):
            if isinstance(p, numbers.Number) and not isinstance(p, bool):
                c = p
                checked.append(lambda *args, c=c: c)  # a constant: nothing to check
            elif callable(p):
                checked.append(self._checked(name, i, p))
            else:
                raise TypeError(f"{name}: partial {i} must be a callable partial(*args, out) or a "
                                f"number, got {type(p).__name__}")
        super().__init__(name, _python_scalar(fun), fun, tuple(checked))
        self.complex = False

    @staticmethod
    def _checked(name, i, p):
        def partial(*args):
            r = _python(p(*args))
            if _plain_where_wrapped(r, args):
                raise TypeError(f"{name}: partial {i} returned a plain {type(r).__name__} where "
                                f"a Dual or tape value was passed in; {_PLAIN_HELP} (a partial "
                                "that does not depend on the arguments can be given as a number)")
            return r

        return partial

    def __call__(self, *args):
        if len(args) != self.nargs:
            raise TypeError(f"{self.name} has {self.nargs} partial(s), so it takes {self.nargs} "
                            f"argument(s); got {len(args)}")
        return super().__call__(*args)


class UserRule(Primitive):
    """A rule from a user's ``jvp`` (and optional ``vjp``), checked at every call."""

    kind = "custom"
    nargs = None
    user = True
    complex = False

    def __init__(self, name, fun, jvp, vjp, linear):
        self.name = name
        self.impl = fun
        self._jvp = jvp
        self._vjp = vjp
        self.linear = linear

    # --- forward ----------------------------------------------------------------------------

    def jvp(self, primals, tangents, out, batch, **params):
        if batch is not None and getattr(self._jvp, "__dualdiff_per_direction__", False):
            from .rules import stack  # noqa: PLC0415 (the rule table imports this module late)

            rows = [self._one_jvp(primals, [None if t is None else t[j] for t in tangents],
                                  out, None, params) for j in range(batch)]
            return stack([zeros(out, None) if r is None else r for r in rows])
        return self._one_jvp(primals, tangents, out, batch, params)

    def _one_jvp(self, primals, tangents, out, batch, params):
        r = _python(self._jvp(tuple(primals), tuple(tangents), out, **params))
        want = shape(out) if batch is None else (batch,) + shape(out)
        if r is None:
            return None
        if shape(r) != want:
            extra = (f" (the output's shape {shape(out)} after the leading batch axis of {batch} "
                     "tangents: see dd.per_direction)") if batch is not None else ""
            raise ValueError(f"{self.name}: jvp returned shape {shape(r)}, expected {want}{extra}")
        self._check_plain(r, "jvp", tangents, primals)
        return r

    def _check_plain(self, r, which, linear_in, others):
        if _plain_where_wrapped(r, linear_in) or (
                not self.linear and _plain_where_wrapped(r, others)):
            raise TypeError(f"{self.name}: {which} returned a plain {type(r).__name__} where a "
                            f"Dual or tape value was passed in; {_PLAIN_HELP} (a rule that does "
                            "not depend on the primal values is declared with linear=True)")

    # --- reverse ----------------------------------------------------------------------------

    def vjp(self, out_bar, primals, out, wants, **params):
        if self._vjp is None:
            return self._transposed_jvp(out_bar, primals, out, wants, params)
        r = self._vjp(out_bar, tuple(primals), out, **params)
        if not isinstance(r, (tuple, list)) or len(r) != len(primals):
            got = f"{len(r)} adjoints" if isinstance(r, (tuple, list)) else type(r).__name__
            raise ValueError(f"{self.name}: vjp must return a tuple of {len(primals)} adjoint(s), "
                             f"one per argument (None for none); got {got}")
        adjoints = []
        for i, (a, x, w) in enumerate(zip(r, primals, wants)):
            if not w or a is None:
                adjoints.append(None)
                continue
            if shape(a) != shape(x):
                raise ValueError(f"{self.name}: vjp returned an adjoint of shape {shape(a)} for "
                                 f"argument {i}, expected its shape {shape(x)}")
            self._check_plain(a, "vjp", (out_bar,), primals)
            adjoints.append(a)
        return adjoints

    def _transposed_jvp(self, out_bar, primals, out, wants, params):
        """``Jᵀ w`` by one backward pass through the ``jvp`` recorded in its tangents."""
        tape = Tape(new_level())
        tangents = [tape.leaf(zeros(x, None)) if w else None for x, w in zip(primals, wants)]
        r = self._one_jvp(primals, tangents, out, None, params)
        if type(r) is not Var or r.tape is not tape:
            return [None] * len(primals)
        leaves = [t.index for t in tangents if t is not None]
        grads = iter(tape.backward(r.index, out_bar, leaves))
        return [next(grads) if t is not None else None for t in tangents]


def _entry(fun, partials, jvp, vjp, name, linear):
    if partials is not None and jvp is not None:
        raise TypeError(f"{name}: give partials (elementwise) or jvp, not both")
    if partials is None and jvp is None:
        raise TypeError(f"{name}: a rule needs partials (elementwise) or a jvp")
    if partials is not None:
        if vjp is not None:
            raise TypeError(f"{name}: an elementwise rule derives its vjp from its partials; "
                            "give a jvp to give a vjp too")
        if not isinstance(partials, (tuple, list)):
            partials = (partials,)
        n = _arity(fun)
        if n is not None and n != len(partials):
            raise ValueError(f"{name}: partials has {len(partials)} entr"
                             f"{'y' if len(partials) == 1 else 'ies'} but {name} takes {n} "
                             "argument(s): give one partial per argument")
        return UserElementwise(name, fun, tuple(partials))
    for what, f in (("jvp", jvp), ("vjp", vjp)):
        if f is not None and not callable(f):
            raise TypeError(f"{name}: {what} must be callable, got {type(f).__name__}")
    return UserRule(name, fun, jvp, vjp, linear)


def _arity(fun):
    """The number of positional arguments of ``fun``, or None when it cannot be told."""
    if isinstance(fun, np.ufunc):
        return fun.nin
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = [p.kind for p in params]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    return sum(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
               and p.default is inspect.Parameter.empty for k, p in zip(kinds, params))


def primitive(fun=None, *, partials=None, jvp=None, vjp=None, name=None, linear=False):
    """Make ``fun`` a primitive of dualdiff with the derivative rule you give.

    The result calls ``fun`` on plain values and carries derivatives through Duals, tape
    values, batched tangents and every nesting of them, exactly like a built-in rule.

    Parameters
    ----------
    fun : callable
        Computes the value on plain floats and arrays (it may call compiled code).
    partials : callable or tuple of callables, optional
        For an elementwise (broadcasting) ``fun``: one ``partial_i(*args, out)`` per positional
        argument, giving ``∂fun/∂args[i]`` elementwise (``out`` is ``fun(*args)``).  A partial
        that does not depend on the arguments may be a number.
    jvp : callable, optional
        For any ``fun``: ``jvp(primals, tangents, out, **params)`` returns ``J · tangents``.
        It must be linear in ``tangents``; a tangent is ``None`` for a zero direction, and may
        carry a leading batch axis of ``k`` directions (write it with broadcasting operations,
        or decorate it with :func:`per_direction`).  Keyword arguments of the call are
        ``params``: constants, passed to ``fun`` and to the rules.
    vjp : callable, optional
        ``vjp(out_bar, primals, out, **params)`` returns one adjoint per argument (``None``
        for none).  Derived from ``jvp`` by transposition when missing.
    name : str, optional
        Used in error messages and the catalogue (default ``fun.__name__``).
    linear : bool
        Declares that the rules do not depend on the primal values (``fun`` is linear), so
        that they may return plain arrays when only the primals are Duals.

    Rules written with NumPy or dualdiff functions of their arguments nest to any order.  Use
    :func:`dualdiff.check_rule` to test a rule.  Without ``fun``, returns a decorator.

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> @dd.primitive(partials=lambda x, out: np.cos(x))
    ... def my_sin(x):
    ...     return np.sin(x)
    >>> dd.derivative(my_sin)(0.0)
    1.0
    >>> dd.derivative(dd.derivative(my_sin))(0.0)   # the partial nests
    -0.0
    """
    if fun is None:
        return lambda f: primitive(f, partials=partials, jvp=jvp, vjp=vjp, name=name,
                                   linear=linear)
    if not callable(fun):
        raise TypeError(f"primitive needs a callable, got {type(fun).__name__}")
    label = name or getattr(fun, "__name__", None) or repr(fun)
    prim = _entry(fun, partials, jvp, vjp, label, linear)

    @functools.wraps(fun)
    def call(*args, **params):
        if params:
            if isinstance(prim, Elementwise):
                raise TypeError(f"{label}: an elementwise rule takes positional arguments only "
                                "(bind constants with a lambda or functools.partial)")
            moving = sorted(k for k, v in params.items() if type(v) in WRAPPERS)
            if moving:
                raise TypeError(f"{label}: keyword arguments are constants, but {moving} "
                                "carry derivatives; pass them positionally")
        return prim(*args, **params)

    call.primitive = prim
    return call


def register_rule(existing, *, partials=None, jvp=None, vjp=None, linear=False):
    """Give a NumPy function or ufunc, or a SciPy ufunc, a derivative rule.

    Afterwards plain calls of ``existing`` on Duals and tape values (``np.foo(x)``,
    ``scipy.special.struve(1.0, x)``) use the rule, in every mode.  The arguments are those
    of :func:`primitive`; a rule registered for a function that already has one replaces it.

    Examples
    --------
    Dawson's integral has ``F'(x) = 1 - 2 x F(x)``:

    >>> import numpy as np, scipy.special, dualdiff as dd
    >>> _ = dd.register_rule(scipy.special.dawsn, partials=lambda x, out: 1.0 - 2.0 * x * out)
    >>> dd.derivative(scipy.special.dawsn)(0.0)
    1.0
    """
    if isinstance(existing, np.ufunc):
        table = UFUNCS
    elif hasattr(existing, "_implementation"):
        table = FUNCTIONS
    else:
        raise TypeError(f"register_rule takes a NumPy function or ufunc or a SciPy ufunc, got "
                        f"{existing!r}; for a function of your own use dd.primitive")
    call = primitive(existing, partials=partials, jvp=jvp, vjp=vjp,
                     name=qualified_name(existing), linear=linear)
    # the ufunc dispatch passes positional inputs only; array functions may take keywords
    table[existing] = call.primitive if table is UFUNCS else call
    return existing


def supported(scipy=True):
    """The catalogue: every supported function with its flags (see :mod:`dualdiff.catalogue`).

    Generated from the registry each call, so it lists rules added since (yours included).
    ``scipy=True`` loads SciPy's rules first where SciPy is installed.

    Examples
    --------
    >>> import dualdiff as dd
    >>> entry = {e.name: e for e in dd.supported()}["np.linalg.solve"]
    >>> entry.forward, entry.reverse, entry.second_order
    (True, True, True)
    """
    from .catalogue import supported as catalogue  # noqa: PLC0415 (python -m dualdiff.catalogue)

    return catalogue(scipy)
