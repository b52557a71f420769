"""Smoke test of the benchmark runner (benchmarks/): its quick mode, in-process, in seconds.

Every workload must produce finite timings, and everything dualdiff returns while being
timed must agree with the hand-written NumPy reference: the benchmark checks what it times.
The peers (jax, autograd, torch) are optional: without them these tests still pass, and
where one is installed its adapters are smoke-tested too.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is a package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import report, run  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    DUALDIFF,
    PEER,
    REFERENCE,
    Case,
    Entry,
    Measurement,
    RunConfig,
    relative_error,
    run_case,
)
from benchmarks.targets import judge_all  # noqa: E402
from benchmarks.workloads import TASKS, elementwise, jacobian, rosenbrock, scalar  # noqa: E402


def _quiet(*_args, **_kwargs):
    pass


@pytest.fixture(scope="module")
def quick_run():
    return run.run_benchmarks(quick=True, peers=(), log=_quiet)


def test_quick_run_covers_every_workload_with_finite_timings(quick_run):
    ms = quick_run.measurements
    assert {m.task for m in ms} == set(TASKS)
    for m in ms:
        assert m.failure is None, f"{m.task} {m.label}: {m.failure}"
        assert math.isfinite(m.median) and m.median > 0, (m.task, m.label)
        assert math.isfinite(m.best) and 0 < m.best <= m.median, (m.task, m.label)
        assert m.repeats >= 3 and m.number >= 1
    for task in TASKS:
        roles = {m.role for m in ms if m.task == task}
        assert REFERENCE in roles and DUALDIFF in roles, task


def test_dualdiff_agrees_with_the_numpy_reference(quick_run):
    dd_rows = [m for m in quick_run.measurements if m.role == DUALDIFF]
    assert len(dd_rows) >= 10
    for m in dd_rows:
        assert m.error is not None, (m.task, m.label)
        assert m.ok, f"{m.task} {m.size_label} {m.label}: rel. error {m.error:.2e}"


def test_quick_run_is_seconds(quick_run):
    assert quick_run.elapsed < 60


def test_report_and_plot(quick_run, tmp_path):
    verdicts = judge_all(quick_run.measurements)
    assert all(v.status == "n/a" for v in verdicts if "1e6" in v.target)  # sizes not run
    plot = None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pass
    else:
        plot = report.scaling_plot(quick_run.measurements, tmp_path / "scaling.png")
        assert plot.stat().st_size > 10_000
    out = tmp_path / "RESULTS.md"
    report.write_results(out, quick_run.measurements, verdicts, quick_run.systems.versions,
                         quick_run.systems.skipped, "python -m benchmarks --quick", True,
                         "test", {}, plot, quick_run.elapsed)
    text = out.read_text()
    for needle in ("## Machine", "## Headline", "## Targets", "× NumPy ref", "dd.hvp",
                   "- numpy:", "skipped"):
        assert needle in text
    assert "WRONG" not in text and "failed" not in text


def test_command_line_quick_only(tmp_path, capsys):
    out = tmp_path / "r.md"
    code = run.main(["--quick", "--peers", "none", "--only", "1", "--out", str(out)])
    assert code == 0
    assert "scalar-grad" in out.read_text()
    assert "| target |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run.main(["--quick", "--only", "nosuchworkload"])


# ---------------------------------------------------------------- the references themselves


def test_references_are_right():
    assert scalar.grad_hand(2.0, 5.0) == pytest.approx((5.5, 2 - math.cos(5.0)), rel=1e-15)
    assert scalar.grad_bare(2.0, 5.0) == pytest.approx(scalar.grad_hand(2.0, 5.0), rel=1e-15)
    for n in (1, 10, 100):
        d = scalar.logistic(scalar.BareDual(0.3, 1.0), n).t
        assert scalar.logistic_derivative_hand(0.3, n) == pytest.approx(d, rel=1e-10)

    x = np.linspace(-2.0, 2.0, 41)
    v = np.cos(3 * x)
    h = 1e-6
    fd = (elementwise.g(x + h * v) - elementwise.g(x - h * v)) / (2 * h)
    y, dy = elementwise.jvp_hand(x, v)
    np.testing.assert_allclose(y, elementwise.g(x), rtol=1e-15)
    np.testing.assert_allclose(dy, fd, rtol=1e-7, atol=1e-9)

    A, x = jacobian.make_problem(20)
    np.testing.assert_allclose(jacobian.jacobian_hand_batched(A, x),
                               jacobian.jacobian_closed_form(A, x), rtol=1e-13, atol=1e-15)

    from scipy.optimize import rosen, rosen_der, rosen_hess_prod

    x, v = rosenbrock.problem(50)
    assert rosenbrock.rosen(x) == pytest.approx(rosen(x), rel=1e-14)
    np.testing.assert_allclose(rosenbrock.rosen_grad_hand(x), rosen_der(x), rtol=1e-13)
    np.testing.assert_allclose(rosenbrock.rosen_hvp_hand(x, v), rosen_hess_prod(x, v),
                               rtol=1e-12, atol=1e-10)


# ---------------------------------------------------------------- the harness is honest


def test_wrong_answers_and_failures_are_reported_not_hidden():
    def boom():
        raise RuntimeError("no rule")

    case = Case("jvp", 3, "3", [
        Entry("numpy", "ref", REFERENCE, lambda: np.ones(3)),
        Entry("dd.jvp", "wrong", DUALDIFF, lambda: np.array([1.0, 1.0, 1.5])),
        Entry("jax", "raises", PEER, boom),
        Entry("torch", "late failure", PEER, None, make=boom),
    ], expected=np.ones(3))
    ref, wrong, raised, late = run_case(case, RunConfig.make(True), log=_quiet)
    assert ref.ok and ref.error == 0.0
    assert not wrong.ok and wrong.error == pytest.approx(0.5)
    assert not raised.ok and "RuntimeError: no rule" in raised.failure
    assert not late.ok and late.failure.startswith("RuntimeError")
    assert relative_error((1.0, np.inf), (1.0, np.inf)) == 0.0
    assert relative_error(np.zeros(2), np.zeros(3)) == math.inf


def _m(task, size, key, role, median, ok=True):
    return Measurement(task, size, str(size), key, key, role, median=median, best=median,
                       ok=ok, error=0.0 if ok else 1.0)


def test_targets_pass_fail_and_wrong_answers():
    ms = [_m("scalar-grad", 2, "bare", "baseline", 1.0),
          _m("scalar-grad", 2, "dd.jvp", DUALDIFF, 2.5),
          _m("scalar-grad", 2, "jax.jit", PEER, 2.0),
          _m("jvp", 10**6, "numpy", REFERENCE, 1.0),
          _m("jvp", 10**6, "dd.jvp", DUALDIFF, 1.2, ok=False)]
    verdicts = {v.target: v for v in judge_all(ms)}
    assert verdicts["scalar gradient (2 x dd.jvp) <= 3x the bare __slots__ dual"].status == "PASS"
    ahead = verdicts["scalar gradient ahead of every peer (jitted JAX included)"]
    assert ahead.status == "FAIL" and "jax.jit" in ahead.measured
    wrong = verdicts["jvp at 1e6 <= 1.3x the hand-written NumPy JVP"]
    assert wrong.status == "FAIL" and "WRONG" in wrong.measured
    assert verdicts["grad of Rosenbrock at 1e6 <= 5x f"].status == "n/a"


# ---------------------------------------------------------------- peers, where installed


@pytest.mark.parametrize("peer", ["jax", "autograd", "torch", "mygrad", "advect"])
def test_peer_adapters_when_installed(peer):
    pytest.importorskip(peer)
    res = run.run_benchmarks(quick=True, peers=(peer,), log=_quiet,
                             only=["scalar", "elementwise", "jacobian", "rosenbrock"],
                             cfg=RunConfig.make(True, repeats=3, min_time=1e-4))
    rows = [m for m in res.measurements if m.role == PEER]
    assert rows, f"no {peer} rows"
    for m in rows:
        if m.key == "advect.stage" and m.task == "rosen-hvp":
            continue  # advect 0.3.1 cannot stage hvp through np.sum: reported, not hidden
        assert m.ok and math.isfinite(m.median), f"{m.task} {m.label}: {m.failure or m.error}"
    keys = {m.key for m in rows}
    if peer == "autograd" and res.systems.autograd_plain:
        assert {"autograd", "autograd.np"} <= keys  # through autograd.numpy and on plain np.*
    if peer == "mygrad":  # reverse mode only: gradients, no JVP, HVP or Jacobian rows
        assert {m.task for m in rows} == {"scalar-grad", "logistic", "rosen-grad"}
    if peer == "advect":
        assert {"advect", "advect.stage"} <= keys


def test_advect_is_skipped_with_one_line_before_python_3_12():
    from benchmarks.peers import load_systems

    lines = []
    s = load_systems(("advect",), log=lines.append)
    if sys.version_info >= (3, 12):
        pytest.skip("this Python can run advect")
    assert s.advect is None and len(lines) == 1
    assert "needs Python >= 3.12" in lines[0] and "README" in lines[0]


# ---------------------------------------------------------------- several runs


def test_memory_bandwidth_is_a_plausible_rate():
    from benchmarks.harness import memory_bandwidth

    seconds, rate = memory_bandwidth(n=10**5, repeats=3)
    assert 0 < seconds < 1 and 0.1 < rate < 1e4  # GB/s
    assert rate == pytest.approx(2 * 8 * 10**5 / seconds / 1e9)


def _fake_run(bare, dd_jvp, ref, dd_hvp):
    ms = [_m("scalar-grad", 2, "bare", "baseline", bare),
          _m("scalar-grad", 2, "dd.jvp", DUALDIFF, dd_jvp),
          _m("rosen-hvp", 10**6, "numpy", REFERENCE, ref),
          _m("rosen-hvp", 10**6, "dd.hvp", DUALDIFF, dd_hvp)]
    cond = {"load": 1.0, "copy_seconds": 0.01, "bandwidth": 16.0}
    return run.RunResult(ms, judge_all(ms), run.Systems(), {}, 1.0,
                         [{"started": "t", "elapsed": 1.0, "before": cond, "after": cond}])


def test_several_runs_give_medians_spreads_and_targets_met_only_in_every_run(tmp_path):
    runs = [_fake_run(1.0, 2.0, 1.0, 3.0), _fake_run(1.0, 2.9, 2.0, 6.0),
            _fake_run(1.0, 3.5, 1.0, 3.5)]
    combined = run.combine_runs(runs)
    rows = {m.key: m for m in combined.measurements}
    assert rows["dd.jvp"].median == 2.9 and rows["dd.jvp"].extra["run_medians"] == [2.0, 2.9, 3.5]
    verdicts = {v.target: v for v in combined.verdicts}
    scalar = verdicts["scalar gradient (2 x dd.jvp) <= 3x the bare __slots__ dual"]
    assert scalar.status == "MIXED" and scalar.passes == 2 and scalar.runs == 3
    assert scalar.values == [2.0, 2.9, 3.5] and scalar.value == 2.9
    hvp = verdicts["hvp of Rosenbrock at 1e6 <= 4x the hand-written HVP"]
    assert hvp.status == "PASS" and hvp.values == [3.0, 3.0, 3.5]
    assert verdicts["jvp at 1e6 <= 1.3x the hand-written NumPy JVP"].status == "n/a"
    # the ratio cells pair the rows run by run: hvp / numpy = 3, 3, 3.5 -> median 3 (3-3.5)
    table = report.headline_table(combined.measurements)
    assert "3x (3x-3.5x)" in table
    out = tmp_path / "R.md"
    report.write_results(out, combined.measurements, combined.verdicts, {}, {}, "cmd", False,
                         "test", {}, None, 3.0, runs=combined.runs)
    text = out.read_text()
    assert "**3 full runs**" in text and "16.0 / 16.0 GB/s" in text
    assert "2 of 3" in text and "**not met** (held in some runs only)" in text
    assert "**Targets that really hold** (in all 3 runs): hvp of Rosenbrock at 1e6 <= 4x" in text


def test_runs_in_separate_processes_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "r.md"
    code = run.main(["--quick", "--runs", "2", "--peers", "none", "--only", "1", "--out",
                     str(out)])
    assert code == 0
    text = out.read_text()
    assert "**2 full runs**" in text and "## Runs: load and memory bandwidth" in text
    assert text.count("GB/s |") == 2 and "held in" in text


def test_probes_run_and_check_their_numbers(capsys):
    """benchmarks/probes: the first-call phases add up, and the ratio probe times staged
    code that agrees with the hand-written references."""
    from benchmarks.probes import first_call_phases, interleaved_ratios

    phases = first_call_phases.main(calls=1)
    assert 0 < phases["generate"] <= phases["build"] < phases["first call"]
    assert phases["find_runs"] < phases["generate"]
    import dualdiff.staging.codegen as codegen

    assert codegen.find_runs.__module__ == "dualdiff.staging.rolling"  # the timers are gone
    medians = interleaved_ratios.main(rounds=3)
    assert set(medians) == {"jvp at 1e3", "Jacobian n=50", "scalar gradient"}
    assert all(math.isfinite(r) and r > 0 for r in medians.values())
    assert "median" in capsys.readouterr().out
