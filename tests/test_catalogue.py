"""``dd.supported()``: generated from the registry, its claims checked, and the README's
catalogue block equal to it (so the documentation cannot drift from the code)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import catalogue, registry
from dualdiff.numpy_api import qualified_name
from dualdiff.primitive import Elementwise

README = Path(__file__).parent.parent / "README.md"


def test_every_registered_function_is_listed():
    names = {e.name for e in dd.supported()}
    for table in (registry.UFUNCS, registry.FUNCTIONS):
        for fn, impl in table.items():
            assert catalogue._name(fn, impl) in names, fn
    for fn in (*registry.PRIMAL_UFUNCS, *registry.PRIMAL_FUNCTIONS):
        assert qualified_name(fn) in names, fn
    for expected in ("np.sin", "np.linalg.solve", "dd.sigmoid", "scipy.special.erf",
                     "scipy.special.digamma", "scipy.special.logsumexp", "np.argsort",
                     "scipy.stats.rv_continuous.logpdf"):
        assert expected in names, expected
    entries = dd.supported()
    assert [e.name for e in entries] == sorted(e.name for e in entries)


def test_flags():
    by = {e.name: e for e in dd.supported()}
    assert by["np.argsort"].kind == "value only" and not by["np.argsort"].forward
    assert by["np.sin"].complex and not by["np.absolute"].complex  # |z| is not analytic
    assert by["scipy.special.erf"].complex and not by["scipy.special.erfinv"].complex
    assert by["np.mean"].kind == "composite" and by["np.mean"].second_order


def _complex_claims():
    out = []
    for table in (registry.UFUNCS,):
        for fn, impl in table.items():
            if isinstance(impl, Elementwise) and catalogue._complex_ok(impl):
                out.append(pytest.param(impl, id=catalogue._name(fn, impl)))
    return out


@pytest.mark.parametrize("prim", _complex_claims())
def test_every_complex_claim_holds(prim):
    """Where the catalogue says complex, the rule passes check_rule on complex points."""
    z = [np.array([0.6 + 0.3j, -0.4 + 0.8j]), np.array([1.1 - 0.2j, 0.7 + 0.5j])]
    dd.check_rule(prim, *z[: prim.nargs], order=2)


def test_a_new_rule_appears(monkeypatch):
    monkeypatch.setitem(registry.UFUNCS, np.float_power, registry.UFUNCS[np.power])
    assert "np.float_power" in {e.name for e in dd.supported()}


def test_the_readme_block_is_the_generated_catalogue():
    text = README.read_text(encoding="utf-8")
    start, end = text.find(catalogue.BEGIN), text.find(catalogue.END)
    assert start >= 0 and end > start, "README.md has no catalogue block"
    have = text[start:end + len(catalogue.END) + 1]
    want = catalogue.markdown()
    assert have == want, ("README.md's catalogue differs from the rule table: run "
                          "`python -m dualdiff.catalogue --write README.md`")


def test_the_command_line(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "dualdiff.catalogue", *a],  # noqa: E731
                                    check=True, capture_output=True, text=True)
    out = run("--markdown")
    assert out.stdout == catalogue.markdown() and not out.stderr
    assert "np.linalg.solve" in run().stdout
    f = tmp_path / "doc.md"
    f.write_text(f"# title\n\n{catalogue.BEGIN}\nold\n{catalogue.END}\n\n## after\n")
    run("--write", str(f))
    text = f.read_text()
    assert text == f"# title\n\n{catalogue.markdown()}\n## after\n"
    with pytest.raises(ValueError, match="no catalogue block"):
        catalogue.replace_block("no markers", "x")


def test_supported_without_scipy_does_not_import_it():
    code = ("import sys, dualdiff as dd; e = dd.supported(scipy=False); "
            "assert not any(m.startswith('scipy') for m in sys.modules); "
            "assert not any(x.name.startswith('scipy') for x in e); print(len(e))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    assert int(out.stdout) > 50
