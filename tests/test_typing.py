"""The public API is typed: every callable in ``dualdiff.__all__`` is annotated completely,
and ``python -m mypy`` (configured in pyproject.toml) passes on the package."""

import ast
import importlib.util
import inspect
import pathlib
import subprocess
import sys

import pytest

import dualdiff as dd
from dualdiff.primitive import Primitive
from dualdiff.rules import elementwise

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: engine hooks on the public classes that the dispatch calls (core.bind), not users
ENGINE_HOOKS = {"lift"}


def _methods(cls):
    """The public methods and properties of ``cls`` and its bases within dualdiff."""
    seen = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("dualdiff"):
            continue
        for attr, member in vars(klass).items():
            if (attr.startswith("_") and attr != "__init__") or attr in ENGINE_HOOKS:
                continue
            if isinstance(member, property):
                seen[attr] = member.fget
            elif isinstance(member, staticmethod | classmethod):
                seen[attr] = member.__func__
            elif inspect.isfunction(member):
                seen[attr] = member
    return seen


def public_callables():
    """``(label, function)`` for everything in ``dd.__all__`` that users call."""
    out = []
    for name in dd.__all__:
        obj = getattr(dd, name)
        if isinstance(obj, Primitive):
            # the elementwise functions are Primitive objects: what is called is the class's
            out.append((f"{name} ({type(obj).__name__}.__call__)", type(obj).__call__))
        elif inspect.isclass(obj):
            out.extend((f"{name}.{attr}", fn) for attr, fn in _methods(obj).items())
        elif callable(obj):
            out.append((name, obj))
    return out


def missing_annotations(fn):
    """The parameters (and ``return``) of ``fn`` that have no annotation."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_walk_sees_every_kind_of_public_name():
    labels = dict(public_callables())
    assert "grad" in labels and "Dual.__init__" in labels and "Dual.tangent" in labels
    assert "sin (Unary.__call__)" in labels and "add (Elementwise.__call__)" in labels
    assert "ErrorStudy.summary" in labels and "sum" in labels
    # the check itself finds a missing annotation
    assert missing_annotations(lambda x, y: x) == ["x", "y", "return"]

    def half(x: float, y) -> float:
        return x

    assert missing_annotations(half) == ["y"]


@pytest.mark.parametrize("label, fn", public_callables(), ids=lambda v: v if type(v) is str else "")
def test_public_callable_is_annotated(label, fn):
    assert missing_annotations(fn) == [], f"{label}: no annotation for {missing_annotations(fn)}"


def test_mypy_sees_the_computed_elementwise_names():
    """mypy reads only literal ``__all__`` lists: rules/__init__.py names elementwise's for it."""
    tree = ast.parse((ROOT / "dualdiff" / "rules" / "__init__.py").read_text())
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module == "elementwise":
                    named.update(a.name for a in stmt.names)
    assert named == set(elementwise.__all__), (
        "dualdiff/rules/__init__.py: the TYPE_CHECKING import from .elementwise must list "
        f"elementwise.__all__ (missing {sorted(set(elementwise.__all__) - named)}, "
        f"extra {sorted(named - set(elementwise.__all__))})"
    )


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (CI installs it: the `test` extra)")
def test_mypy_passes():
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


MISUSE = '''\
import numpy as np
import dualdiff as dd
dd.grad(1)
y, pullback = dd.vjp(dd.sin, 1.0, has_aux=True)
dd.jacobian(dd.sin, mode="sideways")
dd.sum(np.ones(3), axis="x")
dd.jit(3)
dd.sin(1.0).shape
'''


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (CI installs it: the `test` extra)")
def test_mypy_rejects_misuse_of_the_public_signatures(tmp_path):
    """The signatures are strict enough to catch wrong calls (not ``Any`` everywhere)."""
    path = tmp_path / "dualdiff_misuse.py"
    path.write_text(MISUSE)
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", str(path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    # (by the file's name: mypy's cache may report the path of an earlier run's same file)
    lines = {int(line.split(":")[1]) for line in r.stdout.splitlines()
             if line.split(":")[0].endswith(path.name) and ": error:" in line}
    assert lines == {3, 4, 5, 6, 7, 8}, r.stdout
