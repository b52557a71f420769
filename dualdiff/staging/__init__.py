"""Staging: trace a function once, replay generated straight-line code (:func:`jit`).

The first call of ``dd.jit(fun)`` for a given *signature* (the structure of the arguments,
each leaf's type, shape and dtype, and the values of the static arguments) runs ``fun`` on
:class:`~dualdiff.staging.tracer.Tracer` values at the bottom of every level.  Everything above
them runs unchanged: the Duals, tape values and nestings of ``jvp``, ``grad``, ``hvp``,
``jacobian``, ``hessian``, ... so the whole derivative program is captured down to its plain
``math``/NumPy operations (:mod:`~dualdiff.staging.codegen` writes it out as Python).

Every value-dependent decision taken while tracing is a guard in the generated code; a replay
whose guard fails raises internally and the function is traced again for the new path, kept
beside the others (at most ``max_variants`` per signature, the oldest evicted).  A replay is
therefore never silently stale.  What staging assumes, as JAX's ``jit`` does: ``fun`` is pure
(no Python state kept between calls, randomness through its arguments, no in-place mutation of
the arrays it closes over).  What ``fun`` reads from outside its arguments (globals,
closed-over variables, attributes, found by walking its code and the functions it reaches:
:mod:`~dualdiff.staging.free`) is checked on every call, a changed value meaning a new
trace; a function that changes such state while traced is a ``TypeError``.
"""

from __future__ import annotations

import functools
import gc
import numbers
from collections.abc import Callable, Sequence
from typing import overload

import numpy as np

from ..core import WRAPPERS
from ..primitive import MATH_ERRORS
from ..typing import F
from .codegen import Retrace, build
from .free import FreeValues, random_states
from .fusion import load as load_numexpr
from .tracer import Built, Graph, Tracer, TracingError, _current

__all__ = ["jit", "Staged", "TracingError"]


@overload
def jit(fun: F, static_argnums: int | Sequence[int] = (), *, max_variants: int = 8,
        numexpr: bool = False) -> F: ...
@overload
def jit(fun: None = None, static_argnums: int | Sequence[int] = (), *,
        max_variants: int = 8, numexpr: bool = False) -> Callable[[F], F]: ...


def jit(fun: F | None = None, static_argnums: int | Sequence[int] = (), *,
        max_variants: int = 8, numexpr: bool = False) -> F | Callable[[F], F]:
    """Stage ``fun``: trace it once per signature, then replay generated code.

    Parameters
    ----------
    fun : callable
        A pure function of numbers, arrays and pytrees (tuples, lists, dicts) of them; it may
        itself be a derivative (``dd.grad(f)``, ``lambda x, v: dd.hvp(f, x, v)``).
    static_argnums : int or tuple of int
        Positional arguments that are not traced: their (hashable) values are part of the
        signature, so each value gets a trace of its own.
    max_variants : int
        Traces kept per signature (one per path through the function's branches).
    numexpr : bool
        Fuse each chain of elementwise float64 array operations (at least two, on at least
        2**15 elements) that holds a transcendental function into one multithreaded call of
        a compiled ``numexpr`` expression (needs ``pip install "exactdual[numexpr]"``).
        numexpr's ``sin``, ``exp``, ``log``, ``tanh``, ... are the C library's, which may
        round the last bit differently from NumPy's; its ``+ - * /``, ``sqrt``, ``abs``,
        ``where`` and comparisons give NumPy's numbers bit for bit.  Chains of that
        arithmetic alone, float32, integer and complex arrays, small arrays and everything
        else stay NumPy (see :mod:`dualdiff.staging.fusion` and its ``ARITHMETIC``).

    Returns
    -------
    function
        A function with the signature of ``fun``; ``.source(*args)`` returns the generated
        code for those arguments, ``.variants`` the number of traces cached.

    Notes
    -----
    The first call runs ``fun`` while recording every primitive (the evaluation trace of
    forward mode: ``w1 = ln x1``, ``w2 = x1 x2``, ... with their tangents beside them), then
    compiles the trace with :func:`compile`: floats go through ``math`` and the operators,
    arrays through NumPy; shared subexpressions are computed once and dead code is dropped.
    A long run of repeated scalar steps (a Python loop, unrolled by the trace) is written
    back as a ``for`` loop, exactly (:mod:`dualdiff.staging.rolling`); the nan checks of the
    zero-tangent rule ``scale`` are made once on the outputs where a nan can only reach
    them, an output that is nan meaning a second run with every check inline.
    Floating-point warnings of array code are silenced in replays (the eager rules silence the
    ones that their conventions decide).

    Examples
    --------
    >>> import dualdiff as dd
    >>> f = lambda x1, x2: dd.log(x1) + x1 * x2 - dd.sin(x2)
    >>> df = dd.jit(lambda x1, x2: dd.jvp(f, (x1, x2), (1.0, 0.0))[1])
    >>> df(2.0, 5.0), df(1.0, 3.0)
    (5.5, 4.0)
    >>> df.variants
    1
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums, max_variants=max_variants,
                                 numexpr=numexpr)
    if not callable(fun):
        raise TypeError(f"jit needs a callable, got {type(fun).__name__}")
    return Staged(fun, static_argnums, max_variants, numexpr).function()


class Variant:
    """One trace: the compiled replay, its source, and the output structure."""

    __slots__ = ("run", "source")

    def __init__(self, run, source):
        self.run, self.source = run, source


class Staged:
    """A staged function (see :func:`jit`)."""

    def __init__(self, fun, static_argnums, max_variants, numexpr=False):
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        static_argnums = tuple(static_argnums)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in static_argnums):
            raise TypeError(f"static_argnums must be ints, got {static_argnums!r}")
        if not isinstance(max_variants, int) or max_variants < 1:
            raise ValueError(f"max_variants must be a positive integer, got {max_variants!r}")
        if numexpr:
            load_numexpr()  # ImportError naming the extra, now rather than at the first call
        self.fun = fun
        self.numexpr = bool(numexpr)
        self.static_argnums = frozenset(static_argnums)
        self.max_variants = max_variants
        self._public = None
        self._cache = {}
        self._free = None  # what fun reads from outside, as of its newest trace

    @property
    def variants(self):
        """The number of traces cached (over all signatures)."""
        return sum(len(v) for v in self._cache.values())

    def function(self):
        """The staged function users call: a plain function (the cheapest thing to call) with
        ``.source``, ``.variants`` and ``.__wrapped__``.

        Its code is generated too: once a signature of positional Python floats and arrays
        has a trace, the code is replaced by a dispatcher for it that checks the argument
        types, shapes and dtypes inline and calls the newest trace directly (scalar code and
        small arrays are where the cost of a call is the cost).
        """
        # (the namespace is dualdiff's, so free.FreeValues does not walk it as user code)
        self._ns = ns = {"__name__": __name__, "_call": self._call, "_fun": self.fun,
                         "_run": _no_trace, "_free": self._free, "_current": _current,
                         "_Retrace": Retrace, "_MATH_ERRORS": MATH_ERRORS}
        exec(compile("def staged(*args, **kwargs):\n    return _call(args, kwargs)\n",
                     "<dd.jit dispatch>", "exec"), ns)
        staged = ns.pop("staged")
        functools.update_wrapper(staged, self.fun)
        staged.source = self.source
        staged.variants = 0
        staged.staged = self
        self._public = staged
        return staged

    def _dispatch(self, key, variant):
        """Point the public function's fast path at ``variant``, a trace for ``key``: the
        signature of positional Python floats and arrays alone (no pytree, no static or
        keyword argument), checked inline (type, shape, dtype) before the trace is called."""
        ns = self._ns
        ns["_run"], ns["_free"], ns["_ndarray"] = variant.run, self._free, np.ndarray
        n = len(key)
        xs = [f"x{i + 1}" for i in range(n)]
        unpack = f"{', '.join(xs)}{',' if n == 1 else ''} = args"
        checks = []
        for k, (x, sig) in enumerate(zip(xs, key)):
            if sig is float:
                checks.append(f"type({x}) is float")
            else:  # (a builtin dtype is one object: another one takes the general path)
                ns[f"_dtype{k}"] = np.dtype(sig[1])
                checks.append(f"type({x}) is _ndarray and {x}.shape == {sig[0]!r} and "
                              f"{x}.dtype is _dtype{k}")
        if self._free is not None:
            checks += self._free.inline(ns)
        source = (
            "def staged(*args, **kwargs):\n"
            f"    if not kwargs and len(args) == {n} and not _current:\n"
            f"        {unpack}\n"
            f"        if {' and '.join(checks) or 'True'}:\n"
            "            try:\n"
            f"                return _run({', '.join(xs)})\n"
            "            except _Retrace:\n"
            "                pass\n"
            "            except _MATH_ERRORS:\n"
            "                return _fun(*args)\n"
            "    return _call(args, kwargs)\n")
        scratch = dict(ns)
        exec(compile(source, "<dd.jit dispatch>", "exec"), scratch)
        self._public.__code__ = scratch["staged"].__code__


    def _call(self, args, kwargs):
        leaves = []
        try:
            key = self._signature(args, kwargs, leaves)
        except _Unstageable:
            return self.fun(*args, **kwargs)  # wrappers in the arguments: run eagerly
        if _current:
            return self.fun(*args, **kwargs)  # inside another trace: inline
        self._forget_if_changed()
        variants = self._cache.get(key)
        if variants:
            for variant in reversed(variants):
                try:
                    return variant.run(*leaves)
                except Retrace:
                    continue
                except MATH_ERRORS:
                    return self.fun(*args, **kwargs)  # math refused a value: NumPy's rules
        return self._new_variant(key, args, kwargs)[1]

    def _forget_if_changed(self):
        """Drop every trace if a value that ``fun`` reads from outside has changed."""
        if self._free is not None and not self._free.unchanged():
            self._forget()

    def _forget(self):
        self._cache.clear()
        self._free = None
        self._ns["_run"], self._ns["_free"] = _no_trace, None
        self._public.variants = 0

    def _keep(self, key, variant):
        variants = self._cache.setdefault(key, [])
        variants.append(variant)
        if len(variants) > self.max_variants:
            del variants[0]  # the oldest
        if self._public is not None:
            self._public.variants = self.variants
        if _positional(key) and not self.static_argnums:
            self._dispatch(key, variants[-1])

    def source(self, *args, **kwargs):
        """The generated code of the trace for these arguments (a new trace if need be)."""
        leaves = []
        key = self._signature(args, kwargs, leaves)
        self._forget_if_changed()
        for variant in reversed(self._cache.get(key, ())):
            try:
                variant.run(*leaves)
            except Retrace:
                continue
            return variant.source
        return self._new_variant(key, args, kwargs)[0].source

    # --- tracing ---------------------------------------------------------------------------

    def _new_variant(self, key, args, kwargs):
        """``(variant, result)``: a new trace for ``key``, compiled and cached."""
        # a trace makes tens of thousands of objects that all live until it is compiled and
        # are then freed by reference counts: the cyclic collector would walk them again and
        # again (a third of the time of a long scalar trace) and find nothing to free.  It is
        # paused until the variant is in place (a collection that the process's allocations
        # have made due then runs at its next allocation)
        collecting = gc.isenabled()
        gc.disable()
        try:
            for _attempt in range(2):
                # what fun reads from outside, as it is before this trace (the checks of
                # the variants already cached have just passed, so it is theirs too)
                self._free = FreeValues.of(self.fun)
                drawn = random_states(self._free)
                variant, result = self._trace(args, kwargs)
                changed = (self._free.changes() if self._free is not None else []) + drawn()
                if not changed:
                    break
                # once more, for a function that sets up a global on its first call; the
                # traces cached before may have read what it changed
                self._forget()
            else:
                raise TracingError(
                    f"dd.jit: the function changed {', '.join(changed)} while it was "
                    "traced (twice), which a replay would not do: "
                    "staging needs a pure function (pass state and random numbers in as "
                    "arguments, return the new state)")
            self._keep(key, variant)
        finally:
            if collecting:
                gc.enable()
        return variant, result

    def _trace(self, args, kwargs):
        graph = Graph()
        try:
            with graph:
                targs = [a if i in self.static_argnums else _map(graph.input, a)
                         for i, a in enumerate(args)]
                out = self.fun(*targs, **kwargs)
            _check_output(out)
            name = getattr(self.fun, "__name__", "staged")
            name = name if name.isidentifier() else "staged"
            run, source = build(graph, out, name, numexpr=self.numexpr)
            arrays = any(type(n.value) is np.ndarray for n in graph.nodes)
            result = _values(out)
        finally:
            graph.release()  # (on an error too: the trace's cycles go by reference counts)
        if arrays:
            run = _quiet(run)
        return Variant(run, source), result

    def _signature(self, args, kwargs, leaves):
        sig = []
        for i, a in enumerate(args):
            t = type(a)
            if t is float:  # the common cases first: they cost one test each
                sig.append(t)
                leaves.append(a)
            elif t is np.ndarray and a.dtype.kind in "fc" and i not in self.static_argnums:
                sig.append((a.shape, a.dtype.str))
                leaves.append(a)
            elif i in self.static_argnums:
                try:
                    hash(a)
                except TypeError:
                    raise TypeError(f"static argument {i} must be hashable, got "
                                    f"{type(a).__name__}") from None
                sig.append(("static", a))
            else:
                _leaf_signature(a, sig, leaves)
        if kwargs:
            try:
                sig.append(tuple(sorted(kwargs.items())))
                hash(sig[-1])
            except TypeError:
                raise TypeError("keyword arguments of a jitted function are static: they must "
                                "be hashable") from None
        return tuple(sig)


def _positional(key):
    """Whether the signature ``key`` is of positional Python floats and arrays alone (each
    argument one entry: a float, or ``(shape, dtype)``; see :meth:`Staged._signature`)."""
    return bool(key) and all(k is float or (
        type(k) is tuple and len(k) == 2 and type(k[0]) is tuple and type(k[1]) is str)
        for k in key)


def _no_trace(*args):
    raise Retrace  # (no trace for the fast path yet: take the general one)


class _Unstageable(Exception):
    pass


def _leaf_signature(x, sig, leaves):
    t = type(x)
    if t is float or t is int or t is complex:
        sig.append(t)
        leaves.append(x)
    elif t is np.ndarray:
        if x.dtype.kind not in "biufc":
            raise TypeError(f"dd.jit cannot stage an array of dtype {x.dtype}")
        sig.append((x.shape, x.dtype.str))
        leaves.append(x)
    elif t is tuple or t is list:
        sig.append((t, len(x)))
        for v in x:
            _leaf_signature(v, sig, leaves)
    elif t is dict:
        keys = sorted(x)
        sig.append((dict, tuple(keys)))
        for k in keys:
            _leaf_signature(x[k], sig, leaves)
    elif x is None:
        sig.append(None)
    elif isinstance(x, np.generic) and x.dtype.kind in "biufc":
        sig.append(("generic", x.dtype.str))
        leaves.append(x)
    elif t is bool:
        sig.append(("bool", x))  # a flag: static
    elif t in WRAPPERS or t is Tracer:
        raise _Unstageable
    else:
        raise TypeError(f"dd.jit cannot stage an argument of type {t.__name__}; pass it in "
                        "static_argnums or close over it")


def _map(fn, x):
    """``fn`` on the numeric leaves of a pytree (the same walk as ``_leaf_signature``)."""
    t = type(x)
    if t is tuple or t is list:
        return t(_map(fn, v) for v in x)
    if t is dict:
        return {k: _map(fn, x[k]) for k in sorted(x)}
    if x is None or t is bool:
        return x
    return fn(x)


def _values(out):
    """The traced result with each tracer replaced by its value (the first call's answer)."""
    t = type(out)
    if t is Tracer:
        return out.value
    if t is np.ndarray:
        return out.copy()  # a constant of the generated code: never handed out itself
    if t is Built:
        return out.fn(*(_values(p) for p in out.parts))
    if isinstance(out, (tuple, list)):
        return type(out)(_values(v) for v in out) if not hasattr(out, "_fields") else \
            type(out)(*(_values(v) for v in out))
    if t is dict:
        return {k: _values(v) for k, v in out.items()}
    return out


def _check_output(out):
    """An output pytree must hold numbers, arrays and tracers only."""
    t = type(out)
    if t is Built:
        _check_output(out.parts)
    elif isinstance(out, (tuple, list)):
        for v in out:
            _check_output(v)
    elif t is dict:
        for v in out.values():
            _check_output(v)
    elif t in WRAPPERS:
        raise TracingError("dd.jit: the function returned a Dual or tape value; stage a "
                           "function of plain values (for example dd.jit(dd.grad(f)))")
    elif t is np.ndarray and out.dtype == object:
        raise TracingError("dd.jit: an object array cannot be staged; build the result with "
                           "np.stack")
    elif not (out is None or t is Tracer or isinstance(out, (numbers.Number, np.generic,
                                                              np.ndarray))):
        raise TracingError(f"dd.jit: the function returned a {t.__name__}; return numbers, "
                           "arrays or pytrees of them")


def _quiet(run):
    def quiet(*leaves):
        with np.errstate(all="ignore"):
            return run(*leaves)

    return quiet
