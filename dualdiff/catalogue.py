"""The catalogue: every function dualdiff supports, generated from the registry.

:func:`supported` walks the tables of :mod:`dualdiff.registry` (the ufuncs, the NumPy array
functions, the primitives behind ``dd.NAME``, the SciPy functions routed at import and the
functions computed on values only) and says for each what it supports.  The README's
catalogue is this module's output: ``python -m dualdiff.catalogue --markdown`` prints it,
``--write README.md`` rewrites the README's block in place, and a test fails when the two
differ, so the list cannot drift from the code.

Flags.  *forward*, *reverse* and *batched*: every rule serves all three (the rule kinds of
:mod:`dualdiff.primitive` derive them from one rule).  *second order*: rules are written with
the library's own functions, so they nest; for a user's rule it is whatever the rule does
(``None``: check it with :func:`dualdiff.check_rule`).  *complex*: for an elementwise rule,
whether its value and partials accept complex numbers (probed on a complex point); linear
operations always; other rules only where declared (``complex = True`` on the
implementation), so the flag never claims more than is known.  Functions computed on values
only (``np.argsort``, comparisons) carry no derivative: their flags are all ``False``.
"""

import sys
from dataclasses import dataclass

import numpy as np

from .numpy_api import qualified_name
from .primitive import Elementwise, Linear, Primitive
from .registry import FUNCTIONS, PRIMAL_FUNCTIONS, PRIMAL_UFUNCS, PRIMITIVES, UFUNCS
from .scipy_hook import ROUTED


@dataclass(frozen=True)
class Supported:
    """One supported function: its name as a user types it, and what it supports."""

    name: str
    #: "rule" (a primitive), "composite" (written from primitives), "user" (a user's rule),
    #: "value only" (no derivative: computed on the values)
    kind: str
    forward: bool
    reverse: bool
    batched: bool
    complex: bool
    second_order: bool | None

    @property
    def namespace(self):
        """``np``, ``np.linalg``, ``scipy.special``, ``dd``, ... (the name without its last
        part)."""
        return self.name.rsplit(".", 1)[0]


_PROBE = 0.6 + 0.3j


def _complex_ok(prim):
    """Whether an elementwise rule's value and partials accept a complex point."""
    if getattr(prim, "complex", None) is not None:
        return bool(prim.complex)
    if prim.kind == "zero":
        return False
    args = [np.array([_PROBE])] * prim.nargs
    try:
        with np.errstate(all="ignore"):
            out = prim.np_fn(*args)
            if not np.iscomplexobj(out):
                return False
            for p in prim.partials:
                if type(p) is not int:
                    p(*args, out)
    except (TypeError, ValueError):
        return False
    return True


def _entry(name, impl):
    prim = impl if isinstance(impl, Primitive) else getattr(impl, "primitive", None)
    if prim is not None and getattr(prim, "user", False):
        return Supported(name, "user", True, True, True, bool(getattr(prim, "complex", False)),
                         None)
    if isinstance(prim, Elementwise) or (prim is not None and prim.kind == "zero"):
        return Supported(name, "rule", True, True, True, _complex_ok(prim), True)
    if isinstance(prim, Linear):
        return Supported(name, "rule", True, True, True, True, True)
    kind = "rule" if prim is not None else "composite"
    return Supported(name, kind, True, True, True, bool(getattr(impl, "complex", False)), True)


def _name(fn, impl):
    """The name a user types: SciPy's rules carry it (``scipy.special.digamma``, whose ufunc
    is named ``psi``)."""
    own = getattr(impl, "name", "")
    return own if own.startswith("scipy.") else qualified_name(fn)


def _value_only(name):
    return Supported(name, "value only", False, False, False, False, False)


def _load_scipy():
    """Load SciPy's rules where SciPy is installed (the catalogue lists what *can* be used)."""
    from . import scipy_hook  # noqa: PLC0415

    for module in scipy_hook.RULES:
        try:
            __import__(module)
        except ImportError:
            return
    scipy_hook.ensure()


def supported(scipy=True):
    """Every function dualdiff supports on Duals and tape values, generated from the registry.

    Parameters
    ----------
    scipy : bool
        Load SciPy's rules first, if SciPy is installed (default), so that its functions are
        listed; with ``False`` only the rules already loaded are.

    Returns
    -------
    list of Supported
        Sorted by name; each has ``name`` (``"np.sin"``, ``"np.linalg.solve"``,
        ``"scipy.special.erf"``, ``"dd.sigmoid"``), ``kind`` (``"rule"``, ``"composite"``,
        ``"user"`` or ``"value only"``) and the flags ``forward``, ``reverse``, ``batched``,
        ``complex`` and ``second_order`` (``None`` for a user's rule: see
        :func:`dualdiff.check_rule`).

    Examples
    --------
    >>> from dualdiff.catalogue import supported
    >>> sin = {e.name: e for e in supported()}["np.sin"]
    >>> sin.kind, sin.forward, sin.reverse, sin.batched, sin.complex, sin.second_order
    ('rule', True, True, True, True, True)
    """
    if scipy:
        _load_scipy()
    import dualdiff  # noqa: PLC0415 (the package imports this module)

    entries = {}
    for table in (UFUNCS, FUNCTIONS):
        for fn, impl in table.items():
            name = _name(fn, impl)
            entries[name] = _entry(name, impl)
    for name, impl in ROUTED.items():
        entries.setdefault(name, _entry(name, impl))
    implementations = {id(v) for v in FUNCTIONS.values()} | {id(p) for p in PRIMITIVES.values()}
    for name in dualdiff.__all__:
        obj = getattr(dualdiff, name, None)
        if id(obj) in implementations and isinstance(obj, Primitive | type(supported)):
            entries[f"dd.{name}"] = _entry(f"dd.{name}", obj)
    for fn in (*PRIMAL_UFUNCS, *PRIMAL_FUNCTIONS):
        entries.setdefault(qualified_name(fn), _value_only(qualified_name(fn)))
    return [entries[k] for k in sorted(entries)]


# --- the README's block --------------------------------------------------------------------

BEGIN = "<!-- catalogue: generated by `python -m dualdiff.catalogue --write README.md` -->"
END = "<!-- end of catalogue -->"


def _mark(flag):
    return {True: "yes", False: "no", None: "user"}[flag]


def markdown(entries=None):
    """The catalogue as Markdown: one table per namespace, one row per set of flags (the
    README's block, markers included).  Users' rules are left out: it describes the library.
    """
    entries = supported() if entries is None else entries
    entries = [e for e in entries if e.kind != "user"]
    groups = {}
    for e in entries:
        key = "functions without a derivative" if e.kind == "value only" else e.namespace
        groups.setdefault(key, []).append(e)
    lines = [BEGIN, ""]
    for key in sorted(groups, key=lambda k: (k == "functions without a derivative", k)):
        rows = groups[key]
        lines.append(f"**{key}** ({len(rows)})")
        lines.append("")
        if key == "functions without a derivative":
            lines.append(", ".join(f"`{e.name}`" for e in rows))
            lines.append("")
            continue
        lines.append("| functions | kind | forward | reverse | batched | complex | second order |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        same = {}
        for e in rows:
            flags = (e.kind, e.forward, e.reverse, e.batched, e.complex, e.second_order)
            same.setdefault(flags, []).append(e.name.rsplit(".", 1)[1])
        for (kind, *flags), names in sorted(same.items(), key=lambda kv: kv[1][0]):
            marks = " | ".join(_mark(f) for f in flags)
            lines.append(f"| {' '.join(names)} | {kind} | {marks} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_block(text, block):
    """``text`` with its catalogue block (between the markers) replaced by ``block``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("no catalogue block (the markers BEGIN ... END) in the text")
    return text[:start] + block + text[end + len(END) + 1:]


def main(argv=None):
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m dualdiff.catalogue",
                                     description="The functions dualdiff supports.")
    parser.add_argument("--markdown", action="store_true", help="print the Markdown tables")
    parser.add_argument("--write", metavar="README", help="rewrite the catalogue block of a file")
    args = parser.parse_args(argv)
    block = markdown()
    if args.write:
        with open(args.write, encoding="utf-8") as f:
            text = f.read()
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(replace_block(text, block))
    elif args.markdown:
        sys.stdout.write(block)
    else:
        for e in supported():
            flags = [k for k in ("forward", "reverse", "batched", "complex", "second_order")
                     if getattr(e, k)]
            print(f"{e.name:40} {e.kind:11} {' '.join(flags)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
