"""Sphinx configuration: the dualdiff documentation, built from the repository.

``python -m sphinx -W -n -b html docs docs/_build/html`` (warnings are errors, references are
checked). Three pages are generated here at build time, so they cannot drift: the API
reference (from ``dualdiff.__all__``), the catalogue of supported functions (from the rule
registry, :func:`dualdiff.supported`), and the tutorials (the notebooks, with their saved
outputs).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import dualdiff  # noqa: E402

project = "dualdiff"
author = "the dualdiff developers"
release = version = dualdiff.__version__
copyright = "2026, the dualdiff developers"  # noqa: A001

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
nb_execution_mode = "off"  # the notebooks carry their outputs; the test suite runs them
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autosummary_generate = True
autodoc_typehints = "none"
html_theme = "alabaster"
html_title = f"dualdiff {release}"
suppress_warnings = ["myst.header"]
nitpick_ignore_regex = [
    # NumPy-style type descriptions in docstrings ("array_like", "callable", "optional", ...)
    (r"py:class", r".*"),
]


def _undocumented():
    return [n for n in dualdiff.__all__
            if not (getattr(getattr(dualdiff, n), "__doc__", None) or "").strip()]


def _write_api():
    missing = _undocumented()
    if missing:
        raise RuntimeError(f"public names without a docstring: {', '.join(missing)}")
    names = sorted(dualdiff.__all__, key=str.lower)
    lines = ["API reference", "=============", "",
             "Every public name of :mod:`dualdiff` (``dualdiff.__all__``), generated from the",
             "docstrings. ``import dualdiff as dd`` and call them as ``dd.NAME``.", "",
             ".. currentmodule:: dualdiff", "", ".. autosummary::", "   :toctree: generated", ""]
    lines += [f"   {n}" for n in names]
    (HERE / "api.rst").write_text("\n".join(lines) + "\n")


def _write_catalogue():
    from dualdiff.catalogue import markdown  # noqa: PLC0415

    text = ["# The catalogue of supported functions", "",
            "Generated from the rule registry by `dd.supported()` when these pages are built:",
            "every function dualdiff differentiates, and in which modes.", "", markdown()]
    (HERE / "catalogue.md").write_text("\n".join(text) + "\n")


def _copy_tutorials():
    out = HERE / "tutorials"
    out.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(nb, out / nb.name)


_write_api()
_write_catalogue()
_copy_tutorials()
