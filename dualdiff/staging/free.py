"""What a staged function reads from outside its arguments, and the check that it is unchanged.

A trace bakes in every value that ``fun`` reads from outside its arguments: a global number,
a closed-over scale, an attribute of ``self``, an element of a small global list.  A replay
is only right while those are the objects they were when the trace was taken, so
:class:`FreeValues` records them and :meth:`FreeValues.unchanged` checks them on every call
(a few identity tests; a failed one means a new trace).

What is recorded is found by walking the code, transitively, from ``fun``:

* the closure cells of every function reached (``dd.grad(f)`` holds ``f`` in one), and the
  function that a decorator wraps (``__wrapped__``);
* of user code (a function whose module is not one of the libraries in :data:`LIBRARIES`):
  each global that its code (nested functions, lambdas and comprehensions included) names,
  and the attributes it names of a user module or of a plain object among those globals
  (``config.scale``, ``self.rate`` for a bound method or a callable object; class attributes,
  and the methods and properties it calls through ``self``, walked in turn);
* the functions among all those values, walked in turn (a helper that reads a global);
* lists and dicts of at most :data:`SMALL` items: their items, by identity (``scale[0] = 3.0``
  rebinds an item, which is seen); larger containers are checked by identity alone.

Arrays changed in place are not seen (hashing them would cost a pass over their data on every
call); nor is state reached through calls that are not Python functions.  That is the
documented assumption of staging, as of ``jax.jit``: the function is pure.

:meth:`FreeValues.changes` also serves while tracing: a function that rebinds what it reads
(a call counter, a cache of its last input), or draws numbers from a random generator it
does not get as an argument, changes it during the trace, and would replay without doing
so.  :func:`random_states` records the generators to compare.
"""

from __future__ import annotations

import functools
import operator
import sys
import types

import numpy as np

__all__ = ["FreeValues", "random_states", "LIBRARIES", "SMALL"]

#: Top-level packages whose functions are not walked for globals (only for closure cells,
#: where they keep user functions): their module state is not the user's program.
LIBRARIES = frozenset({"dualdiff", "numpy", "scipy", "jax", "jaxlib", "dask", "numexpr",
                       "mpmath", "matplotlib", "pandas", "_pytest", "pytest", "hypothesis"}
                      ) | frozenset(sys.stdlib_module_names)

#: Lists and dicts of at most this many items are checked item by item.
SMALL = 64

MISSING = object()
_NOT_WALKED = (type, types.ModuleType, types.BuiltinFunctionType, np.ufunc, np.ndarray,
               np.generic, float, int, complex, bool, str, bytes, tuple, type(None))


def _library(module):
    return isinstance(module, str) and module.partition(".")[0] in LIBRARIES


_NAMES: dict[types.CodeType, frozenset[str]] = {}


def _names(code):
    """Every name that ``code`` and the code nested in it (functions, lambdas,
    comprehensions) looks up as a global or an attribute."""
    names = _NAMES.get(code)
    if names is None:
        found = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                found |= _names(const)
        names = _NAMES[code] = frozenset(found)
    return names


def cell_contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return MISSING


class FreeValues:
    """The free values of a function, as they are now (see the module docstring).

    ``slots`` holds ``(namespace, name, object, label)``: a global, a module attribute or an
    instance attribute; ``cells`` holds ``(cell, object, label)``; ``containers`` holds
    ``(container, items, label)`` for small lists and dicts (``items`` the values of a list,
    the ``(keys, values)`` of a dict); ``generators`` the random generators met.
    """

    __slots__ = ("slots", "cells", "containers", "generators", "_seen")

    @classmethod
    def of(cls, fun):
        """The free values of ``fun``, or None if it has none."""
        self = cls()
        self.slots, self.cells, self.containers, self.generators = [], [], [], []
        self._seen = set()
        self._callable(fun)
        del self._seen
        return self if (self.slots or self.cells or self.containers) else None

    # --- the walk ----------------------------------------------------------------------------

    def _callable(self, obj):
        if id(obj) in self._seen:
            return
        self._seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            self._function(obj, None)
        elif isinstance(obj, types.MethodType):
            self._function(obj.__func__, obj.__self__)
        elif isinstance(obj, functools.partial):
            for value in (obj.func, *obj.args, *obj.keywords.values()):
                self._value(value, "an argument of a functools.partial", frozenset())
        else:
            call = type(obj).__dict__.get("__call__") if callable(obj) else None
            if isinstance(call, types.FunctionType):  # a callable object of a Python class
                self._function(call, obj)
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None:
            self._value(wrapped, "a wrapped function", frozenset())

    def _function(self, fn, owner):
        code = fn.__code__
        names = _names(code)
        for var, cell in zip(code.co_freevars, fn.__closure__ or ()):
            if id(cell) in self._seen:
                continue  # (nested functions share the cells of the scope they close over)
            self._seen.add(id(cell))
            value = cell_contents(cell)
            label = f"the closed-over variable {var!r} of {fn.__qualname__}"
            self.cells.append((cell, value, label))
            self._value(value, label, names)
        if owner is not None and not _library(type(owner).__module__):
            self._attributes(owner, names, f"attribute {{!r}} of the {type(owner).__name__}")
        g = fn.__globals__
        if _library(g.get("__name__")):
            return  # a library's own state (the dispatchers of dd.jit are in its namespace)
        for name in names:
            value = g.get(name, MISSING)
            if value is MISSING:
                continue  # a builtin, or an attribute name
            label = f"the global {name!r}"
            if isinstance(value, types.ModuleType):
                if not _library(value.__name__):
                    self._attributes(value, names, f"{{!r}} of the module {value.__name__}")
                continue
            if isinstance(value, type):
                continue  # a class: its attributes are read through instances, see _value
            if self._slot(g, name, value, label):
                self._value(value, label, names)

    def _slot(self, namespace, name, value, label, owner=None):
        """Record ``namespace[name]`` once (keyed by ``owner`` if given: a class's
        ``__dict__`` is a new mappingproxy at each access); whether it was new."""
        key = (id(namespace if owner is None else owner), name)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.slots.append((namespace, name, value, label))
        return True

    def _attributes(self, obj, names, label):
        """The attributes among ``names`` of a module or an object; of an object also the
        methods among them (``self.loss(x)`` in ``__call__`` reads what ``loss`` reads)."""
        d = getattr(obj, "__dict__", None)
        if type(d) is not dict:
            return
        for name in names & d.keys():
            value = d[name]
            if isinstance(value, (types.ModuleType, type)):
                continue
            if self._slot(d, name, value, label.format(name)):
                self._value(value, label.format(name), frozenset())
        if isinstance(obj, types.ModuleType):
            return
        for name in names - d.keys():  # read through the class: methods, class attributes
            klass = next((k for k in type(obj).__mro__ if name in k.__dict__), None)
            if klass is None or _library(klass.__module__):
                continue
            found = klass.__dict__[name]
            if isinstance(found, property):
                found = found.fget
            if isinstance(found, types.FunctionType):
                if (id(found), id(obj)) not in self._seen:
                    self._seen.add((id(found), id(obj)))
                    self._function(found, obj)
            elif not isinstance(found, (staticmethod, classmethod, type, types.ModuleType)):
                self._slot(klass.__dict__, name, found,
                           f"the class attribute {klass.__name__}.{name}", owner=klass)

    def _value(self, value, label, names):
        """Walk into a free value: a function, a small container, a plain object."""
        t = type(value)
        if t is list and len(value) <= SMALL:
            self.containers.append((value, tuple(value), label))
        elif t is dict and len(value) <= SMALL:
            self.containers.append((value, (tuple(value), tuple(value.values())), label))
        elif isinstance(value, (np.random.Generator, np.random.RandomState)):
            self.generators.append((value, label))
        elif isinstance(value, _NOT_WALKED) or value is MISSING:
            pass
        elif callable(value):
            self._callable(value)
        elif names and id(value) not in self._seen and not _library(t.__module__):
            self._seen.add(id(value))  # a plain object: the attributes the code names
            self._attributes(value, names, f"attribute {{!r}} of {label}")

    # --- the checks --------------------------------------------------------------------------

    def _changed(self):
        """The labels of the free values that are no longer what they were, lazily."""
        for d, name, seen, label in self.slots:
            if d.get(name, MISSING) is not seen:
                yield label
        for cell, seen, label in self.cells:
            if cell_contents(cell) is not seen:
                yield label
        for c, items, label in self.containers:
            if not _same_items(c, items):
                yield f"the contents of {label}"

    def unchanged(self):
        """Whether every free value is the object it was (items of small containers too)."""
        return next(self._changed(), None) is None

    def containers_unchanged(self):
        return all(_same_items(c, items) for c, items, _ in self.containers)

    def changes(self):
        """Labels of the free values that are no longer what they were."""
        return list(self._changed())

    def inline(self, ns):
        """The checks of :meth:`unchanged` as Python expressions for generated code, their
        objects put in ``ns``."""
        if any(seen is MISSING for _, seen, _ in self.cells):
            return ["_free.unchanged()"]
        out = []
        for k, (d, name, seen, _) in enumerate(self.slots):
            ns[f"_ns{k}"], ns[f"_seen{k}"] = d, seen
            out.append(f"_ns{k}.get({name!r}, _MISSING) is _seen{k}")
        for k, (cell, seen, _) in enumerate(self.cells):
            ns[f"_cell{k}"], ns[f"_cseen{k}"] = cell, seen
            out.append(f"_cell{k}.cell_contents is _cseen{k}")
        if self.containers:
            out.append("_free.containers_unchanged()")
        ns["_MISSING"] = MISSING
        return out


def _same_items(c, items):
    """Whether the small list or dict ``c`` holds the objects ``items`` (see ``_value``)."""
    is_ = operator.is_
    if type(c) is list:
        return len(c) == len(items) and all(map(is_, c, items))
    keys, values = items
    return len(c) == len(keys) and all(map(is_, c, keys)) and all(map(is_, c.values(), values))


def random_states(free):
    """A function that lists the random generators whose state changed since this call:
    NumPy's global one, Python's ``random`` (if imported), and the generators among
    ``free``'s values (a trace that draws from one would replay the same numbers)."""
    reads = [("np.random's global generator", np.random.get_state)]
    rnd = sys.modules.get("random")
    if rnd is not None:
        reads.append(("Python's random module", rnd.getstate))
    for gen, label in (free.generators if free is not None else ()):
        if isinstance(gen, np.random.Generator):
            reads.append((label, lambda g=gen: g.bit_generator.state))
        else:
            reads.append((label, gen.get_state))
    states = [(label, read, read()) for label, read in reads]

    def changes():
        return [label for label, read, before in states if not _same_state(read(), before)]

    return changes


def _same_state(a, b):
    """Equality of two states of a generator: tuples and dicts of numbers and arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if type(a) is tuple and type(b) is tuple and any(type(v) in (np.ndarray, dict) for v in a):
        return len(a) == len(b) and all(map(_same_state, a, b))
    return a == b  # (Python's random: a tuple of ints, compared in C)
