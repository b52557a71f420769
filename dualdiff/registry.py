"""The one registry: every primitive, and every NumPy (or SciPy) callable dualdiff accepts.

The rule modules (:mod:`dualdiff.rules`) fill it in; the dispatch (:mod:`dualdiff.numpy_api`),
the tape, the tests and the catalogue read it.  It imports nothing of dualdiff, so any engine
module can look a primitive up by name without an import circle.
"""

#: every primitive by name; the tests walk this table.
PRIMITIVES = {}

#: NumPy array functions (``np.sum``, ``np.linalg.det``, ...) -> their implementation on
#: wrappers (a primitive or a composition of primitives).
FUNCTIONS = {}

#: ufuncs -> the primitive of the same meaning.
UFUNCS = {}

#: array functions and ufuncs whose result carries no derivative (shapes, comparisons,
#: predicates, integer results): computed on the primal values.
PRIMAL_FUNCTIONS = set()
PRIMAL_UFUNCS = set()


def register(prim):
    """Enter the primitive ``prim`` under its name; returns it."""
    PRIMITIVES[prim.name] = prim
    return prim


def implements(*np_functions):
    """Decorator: ``fn`` is what each of ``np_functions`` does on Duals and tape values."""

    def deco(fn):
        for f in np_functions:
            FUNCTIONS[f] = fn
        return fn

    return deco


def lookup(name):
    """The registered primitive ``name`` (for the engine modules below the rule table)."""
    return PRIMITIVES[name]
