"""The command line: files written and read back, the table, one-line errors with status 2."""

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dualdiff.study.cli import main, parse_steps
from dualdiff.study.finite_diff import METHODS

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FEW_STEPS = "1e-12:1e-1:23"  # keeps the tests fast; the default is 161 steps


def _read_csv(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array(rows[1:], dtype=float)


def test_default_run_writes_png_and_csv_and_prints_the_table(tmp_path, capsys):
    png, table = tmp_path / "errors.png", tmp_path / "errors.csv"
    assert main(["errors", "--out", str(png), "--csv", str(table)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for word in ("sin(x)", "x = 1", *METHODS, "AD", "best step", "smallest error", "default"):
        assert word in out

    assert png.read_bytes()[:8] == PNG_SIGNATURE
    from matplotlib.image import imread

    assert imread(png).shape[0] > 300

    header, data = _read_csv(table)
    assert header[0] == "h" and {f"error_{m}" for m in METHODS} <= set(header)
    assert data.shape == (161, len(header))
    steps = data[:, 0]
    assert steps[0] == pytest.approx(1e-16) and steps[-1] == pytest.approx(1.0)
    central = data[:, header.index("error_central")]
    best = steps[np.nanargmin(central)]
    assert 1e-7 <= best <= 1e-4 and np.nanmin(central) < 1e-9


def test_expression_with_several_variables_and_a_direction(tmp_path, capsys):
    table = tmp_path / "e.csv"
    argv = ["errors", "--expr", "x*y + sin(x)", "--at", "1,2", "--direction", "1,0"]
    argv += ["--steps", FEW_STEPS, "--csv", str(table), "--no-plot"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "x*y + sin(x)" in out and "along v" in out
    assert f"{2 + math.cos(1.0):.6g}" in out  # d/dx (x y + sin x) at (1, 2)
    header, data = _read_csv(table)
    assert data.shape == (23, len(header))


def test_steps_as_a_comma_list(tmp_path, capsys):
    table = tmp_path / "e.csv"
    argv = ["errors", "--steps", "1e-8,1e-4", "--csv", str(table), "--no-plot"]
    assert main(argv) == 0
    _, data = _read_csv(table)
    np.testing.assert_allclose(data[:, 0], [1e-8, 1e-4])


def test_non_analytic_expression_reports_a_note_and_still_succeeds(tmp_path, capsys):
    argv = ["errors", "--expr", "abs(x) * x", "--steps", FEW_STEPS, "--no-plot"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "complex step left out" in err and "complex " not in out.split("method")[1]


BAD = [
    [],
    ["errors", "--expr", ""],
    ["errors", "--expr", "__import__('os')"],
    ["errors", "--expr", "x.real"],
    ["errors", "--at", "nan"],
    ["errors", "--at", "one"],
    ["errors", "--expr", "log(x)", "--at", "-1"],
    ["errors", "--expr", "1/x", "--at", "0"],
    ["errors", "--expr", "sqrt(x)", "--at", "0"],
    ["errors", "--out", "/nonexistent-dir/errors.png"],
    ["errors", "--csv", "/nonexistent-dir/errors.csv", "--no-plot"],
    ["errors", "--bogus"],
    ["errors", "--steps", "1:0:3"],
    ["errors", "--steps", "1e-8:1:1"],
    ["errors", "--steps", "-1,1"],
    ["errors", "--expr", "x*y", "--at", "1,2", "--direction", "1"],
    ["errors", "--at", "1", "--direction", "1"],
    ["errors", "--at", "1,2,3,4"],
    ["frobnicate"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) or "no-command" for a in BAD])
def test_bad_input_is_one_line_on_stderr_and_status_2(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default errors.png would land here, not in the repo
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dualdiff: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_out_is_refused_before_any_work(tmp_path, capsys):
    directory = tmp_path / "dir.png"
    directory.mkdir()
    assert main(["errors", "--out", str(directory)]) == 2
    assert "directory" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["errors", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--expr" in out and "START:STOP:NUM" in out


def test_parse_steps():
    steps = parse_steps("1e-16:1:161")
    assert len(steps) == 161 and steps[0] == pytest.approx(1e-16) and steps[-1] == 1.0


def test_python_dash_m_runs_and_fails_cleanly(tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    ok = subprocess.run(
        [sys.executable, "-m", "dualdiff", "errors", "--steps", FEW_STEPS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "errors.png").read_bytes()[:8] == PNG_SIGNATURE
    bad = subprocess.run(
        [sys.executable, "-m", "dualdiff", "errors", "--expr", "os.system('ls')"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


REFUSED_UP_FRONT = [
    (["--out", "/proc/x.png"], "cannot write '/proc/x.png'"),
    (["--out", "x.txt"], "'.txt' is not an image format; use one of"),
    (["--out", "noextension"], "no file extension; use one of"),
    (["--expr", "x*y", "--at", "1,2", "--direction", "0,0"], "--direction 0,0 is zero"),
    (["--expr", "y", "--at", "1"], "pass one --at value per variable, e.g. --at 1,2 for x, y"),
    (["--expr", "x**10000", "--at", "2"], "f(x) overflows at x = 2"),
]


@pytest.mark.parametrize("argv, message", REFUSED_UP_FRONT, ids=[m for _, m in REFUSED_UP_FRONT])
def test_refused_before_any_work_with_one_line_and_status_2(argv, message, capsys, monkeypatch,
                                                             tmp_path):
    monkeypatch.chdir(tmp_path)
    import dualdiff.study.cli as cli

    def no_study(*args, **kwargs):  # the check must come before the study
        raise AssertionError("the study ran before the input was refused")

    if not argv[-1].isdigit() or "--direction" in argv:
        monkeypatch.setattr(cli, "error_study", no_study)
    assert main(["errors", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err, err
    assert sorted(os.listdir(tmp_path)) == []  # nothing left behind
    if "image format" in message or "extension" in message:
        assert ".png" in err and ".pdf" in err and ".svg" in err


def test_the_allowed_extensions_are_accepted(tmp_path, capsys):
    for name in ("e.pdf", "e.SVG"):
        argv = ["errors", "--steps", FEW_STEPS, "--out", str(tmp_path / name)]
        assert main(argv) == 0
        assert (tmp_path / name).stat().st_size > 1000


def test_a_zero_derivative_prints_0_not_minus_0(capsys):
    # 2**-10000 underflows to 0: f and its derivative are zeros (the derivative a -0.0)
    assert main(["errors", "--expr", "x**-10000", "--at", "2", "--no-plot",
                 "--steps", FEW_STEPS]) == 0
    out = capsys.readouterr().out
    assert "exact derivative (AD): 0\n" in out and "-0" not in out.split("method")[0]


def test_csv_has_the_exact_derivative_and_the_models(tmp_path, capsys):
    import dualdiff as dd
    from dualdiff.study.errors import error_study

    table = tmp_path / "e.csv"
    assert main(["errors", "--steps", FEW_STEPS, "--csv", str(table), "--no-plot"]) == 0
    header, data = _read_csv(table)
    assert header[:2] == ["h", "exact_ad"]
    np.testing.assert_array_equal(data[:, 1], math.cos(1.0))
    study = error_study(dd.sin, 1.0, steps=parse_steps(FEW_STEPS))
    for m in METHODS:
        column = data[:, header.index(f"model_{m}")]
        np.testing.assert_allclose(column, study.model(m), rtol=1e-15)
        parts = [data[:, header.index(f"{kind}_{m}")] for kind in ("truncation", "rounding")]
        np.testing.assert_allclose(column, parts[0] + parts[1], rtol=1e-15)


def test_csv_of_a_vector_function_has_one_exact_column_per_component(tmp_path, capsys):
    import dualdiff as dd
    from dualdiff.study.cli import write_csv
    from dualdiff.study.errors import error_study

    study = error_study(lambda p: dd.sin(p) * 2, np.array([1.0, 2.0]), np.array([1.0, 1.0]),
                        steps=[1e-6, 1e-3])
    write_csv(study, tmp_path / "v.csv")
    header, data = _read_csv(tmp_path / "v.csv")
    assert header[1:3] == ["exact_ad_0", "exact_ad_1"]
    np.testing.assert_allclose(data[0, 1:3], 2 * np.cos([1.0, 2.0]), rtol=1e-15)
