"""The benchmark runner: ``python -m benchmarks`` or ``python benchmarks/run.py``.

    python -m benchmarks                      # 3 full runs (each its own process, minutes
                                              # each), medians and spreads in RESULTS.md
    python -m benchmarks --runs 1             # one full run, in this process
    python -m benchmarks --quick              # smoke run: smallest sizes, few repeats
    python -m benchmarks --only jacobian      # one workload (repeat --only for several)
    python -m benchmarks --peers jax,torch    # choose peers; --peers none for none

A target counts as met only if it holds in every run. Each run records the memory bandwidth
(a NumPy copy of 10^7 floats) at its start and end, beside its results.

On machines where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (see the environment notes),
time the matmul-heavy Jacobian with both unset for that command alone:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    PEER,
    Measurement,
    RunConfig,
    memory_bandwidth,
    run_case,
)
from benchmarks.peers import ALL_PEERS, Systems, load_systems  # noqa: E402
from benchmarks.targets import Verdict, combine, judge_all  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

HERE = Path(__file__).resolve().parent
ALIASES = {"1": "scalar", "2": "elementwise", "3": "jacobian", "4": "rosenbrock", "5": "newton",
           "jvp": "elementwise", "rosen": "rosenbrock", "newton-cg": "newton"}


@dataclass
class RunResult:
    measurements: list[Measurement]
    verdicts: list[Verdict]
    systems: Systems
    profiles: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    # one dict per run: started, elapsed, load and memory bandwidth at its start and end
    runs: list[dict] = field(default_factory=list)


def _conditions() -> dict:
    """Load average and memory bandwidth now."""
    seconds, rate = memory_bandwidth()
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not Unix
        load = math.nan
    return {"load": load, "copy_seconds": seconds, "bandwidth": rate}


def resolve_workloads(only: list[str] | None) -> list[str]:
    if not only:
        return list(WORKLOADS)
    names = []
    for item in only:
        for name in item.split(","):
            name = ALIASES.get(name.strip().lower(), name.strip().lower())
            if name not in WORKLOADS:
                raise SystemExit(f"unknown workload {name!r}; choose from "
                                 f"{', '.join(WORKLOADS)} (or 1-5)")
            if name not in names:
                names.append(name)
    return names


def _rebuild_entry(systems: Systems, quick: bool, spec):
    task, size, key = spec
    for workload in WORKLOADS.values():
        for t, s, build in workload.cases(systems, quick):
            if (t, s) == (task, size):
                case = build()
                entry = next((e for e in case.entries if e.key == key), None)
                return None if entry is None else entry.callable()
    return None


def run_benchmarks(quick: bool = False, only: list[str] | None = None,
                   peers: tuple[str, ...] | None = ALL_PEERS, cfg: RunConfig | None = None,
                   profile_misses: bool | None = None, log=print) -> RunResult:
    """Run the chosen workloads and judge the targets; in-process API used by the tests."""
    t_start = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    before = _conditions()
    cfg = cfg or RunConfig.make(quick)
    systems = load_systems(peers, log=log)
    measurements: list[Measurement] = []
    for name in resolve_workloads(only):
        log(f"== {name}")
        for _task, _size, build in WORKLOADS[name].cases(systems, quick):
            case = build()
            measurements += run_case(case, cfg, log=log)
            del case
    verdicts = judge_all(measurements)
    profiles: dict[str, str] = {}
    if profile_misses is None:
        profile_misses = not quick
    if profile_misses:
        done = set()
        for v in verdicts:
            if v.status != "FAIL" or v.profile is None or v.profile in done:
                continue
            done.add(v.profile)
            task, size, key = v.profile
            log(f"profiling {key} on {task} n={size} (missed: {v.target})")
            fn = _rebuild_entry(systems, quick, v.profile)
            if fn is None:
                continue
            title = f"{key} on {task}, n = {size} (missed: {v.target})"
            try:
                profiles[title] = report.profile_text(fn)
            except Exception as exc:
                profiles[title] = f"profiling failed: {type(exc).__name__}: {exc}"
    after = _conditions()
    elapsed = time.perf_counter() - t_start
    run = {"started": started, "elapsed": elapsed, "before": before, "after": after}
    return RunResult(measurements, verdicts, systems, profiles, elapsed, [run])


# ---------------------------------------------------------------- several runs, one report


def _to_json(result: RunResult) -> dict:
    return {
        "measurements": [dataclasses.asdict(m) for m in result.measurements],
        "verdicts": [dataclasses.asdict(v) for v in result.verdicts],
        "versions": result.systems.versions,
        "skipped": result.systems.skipped,
        "profiles": result.profiles,
        "elapsed": result.elapsed,
        "runs": result.runs,
    }


def _plain(obj):
    """NumPy scalars (a ``numpy.bool``, a ``numpy.float64``) as Python ones, for JSON."""
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def _from_json(data: dict) -> RunResult:
    ms = [Measurement(**m) for m in data["measurements"]]
    vs = []
    for v in data["verdicts"]:
        v["profile"] = tuple(v["profile"]) if v["profile"] is not None else None
        vs.append(Verdict(**v))
    systems = Systems(versions=data["versions"], skipped=data["skipped"])
    return RunResult(ms, vs, systems, data["profiles"], data["elapsed"], data["runs"])


def combine_runs(results: list[RunResult]) -> RunResult:
    """One result from several: per row the median of the runs' medians (their values in
    ``extra["run_medians"]``, in run order, NaN where a run lacks the row), the best of the
    bests; per target :func:`~benchmarks.targets.combine` (met only if met in every run)."""
    if len(results) == 1:
        return results[0]
    rows: dict[tuple, list[Measurement | None]] = {}
    for i, r in enumerate(results):
        for m in r.measurements:
            rows.setdefault((m.task, m.size, m.key), [None] * len(results))[i] = m
    combined = []
    for per_run in rows.values():
        present = [m for m in per_run if m is not None]
        first = present[0]
        timed = [m for m in present if m.timed]
        medians = [m.median if m is not None and m.timed else math.nan for m in per_run]
        out = dataclasses.replace(first, extra=dict(first.extra))
        out.extra["run_medians"] = medians
        failed = next((m for m in present if m.failure is not None), None)
        out.failure = failed.failure if failed is not None else None
        out.ok = all(m.ok for m in present)
        if any(m.error is not None for m in present):
            out.error = max(m.error for m in present if m.error is not None)
        if timed and out.failure is None:
            out.median = statistics.median(m.median for m in timed)
            out.best = min(m.best for m in timed)
            out.repeats = sum(m.repeats for m in timed)
        peaks = [m.extra["peak_bytes"] for m in present if "peak_bytes" in m.extra]
        if peaks:
            out.extra["peak_bytes"] = statistics.median(peaks)
        combined.append(out)
    verdicts = combine([r.verdicts for r in results])
    systems = results[0].systems
    profiles = {}
    for r in results:
        profiles.update(r.profiles)
    return RunResult(combined, verdicts, systems, profiles, sum(r.elapsed for r in results),
                     [run for r in results for run in r.runs])


def run_in_processes(runs: int, child_argv: list[str], log=print) -> RunResult:
    """``runs`` full runs, one after the other, each in a fresh Python process."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            path = Path(tmp) / f"run{i}.json"
            log(f"=== run {i + 1} of {runs} (a separate process)")
            cmd = [sys.executable, "-m", "benchmarks", "--child", str(path), *child_argv]
            done = subprocess.run(cmd, cwd=HERE.parent)
            if done.returncode not in (0, 1) or not path.exists():
                raise SystemExit(f"run {i + 1} failed (exit status {done.returncode})")
            results.append(_from_json(json.loads(path.read_text())))
    return combine_runs(results)


def _command(argv: list[str]) -> str:
    if __package__ in (None, ""):
        head = "python benchmarks/run.py"
    else:
        head = "python -m benchmarks"
    return " ".join([head] + [shlex.quote(a) for a in argv])


def _without(argv: list[str], options: dict[str, bool]) -> list[str]:
    """``argv`` without the given options (``name -> takes a value``)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in options:
            skip = options[name] and "=" not in a
            continue
        out.append(a)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: smallest size of each workload, few short repeats")
    p.add_argument("--runs", type=int, default=None,
                   help="full runs, each in its own process (default 3; --quick: 1 in this "
                        "process); a target is met only if it holds in every run")
    p.add_argument("--only", action="append", metavar="WORKLOAD",
                   help=f"run only this workload ({', '.join(WORKLOADS)}, or 1-5); repeatable")
    p.add_argument("--out", type=Path, default=None,
                   help="markdown report (default benchmarks/RESULTS.md; quick: none)")
    p.add_argument("--plot", type=Path, default=None,
                   help="log-log PNG of workloads 2-4 (default: scaling.png beside --out)")
    p.add_argument("--peers", default=",".join(ALL_PEERS),
                   help="comma-separated peers to compare (default: all installed); 'none'")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per entry")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds per timed repeat (the loop count is autoranged to reach it)")
    p.add_argument("--no-profile", action="store_true",
                   help="do not profile dualdiff where it misses a target")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    peers = () if args.peers.strip().lower() in ("", "none") else tuple(
        x.strip() for x in args.peers.split(",") if x.strip())
    runs = args.runs if args.runs is not None else (1 if args.quick or args.child else 3)
    if runs < 1:
        p.error("--runs must be at least 1")
    out = args.out
    if out is None and not args.quick and args.child is None:
        out = HERE / "RESULTS.md"
    cfg = RunConfig.make(args.quick, repeats=args.repeats, min_time=args.min_time)

    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("OPENBLAS_L2_SIZE"):
        print("note: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set; they can slow NumPy's "
              "matmul. For timing, run with both unset: "
              "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE " + _command(argv))
    if runs > 1 and args.child is None:
        child = _without(argv, {"--runs": True, "--out": True, "--plot": True})
        result = run_in_processes(runs, child)
    else:
        result = run_benchmarks(quick=args.quick, only=args.only, peers=peers, cfg=cfg,
                                profile_misses=not args.no_profile and not args.quick)
    if args.child is not None:
        args.child.write_text(json.dumps(_to_json(result), default=_plain))

    print()
    print(report.headline_table(result.measurements))
    print()
    print(report.targets_table(result.verdicts))
    bad = [m for m in result.measurements if not m.ok]
    for m in bad:
        what = "peer failed (not counted against dualdiff)" if m.role == PEER else "PROBLEM"
        print(f"{what}: {m.task} {m.size_label} {m.label}: "
              f"{m.failure or f'wrong answer (rel. error {m.error:.2e})'}")
    if out is not None:
        plot = args.plot or out.with_name("scaling.png")
        plot = report.scaling_plot(result.measurements, plot) if any(
            m.task in report.PLOTTED for m in result.measurements) else None
        settings = (f"median and min of {cfg.repeats} repeats (3 or more for entries slower "
                    f"than {cfg.budget:g} s in all), each an autoranged loop of at least "
                    f"{cfg.min_time:g} s, per-call time = loop time / calls; the repeats of the "
                    "systems in one case are interleaved (one loop of each per round), so load "
                    "from other processes falls on all alike; gc enabled")
        report.write_results(out, result.measurements, result.verdicts,
                             result.systems.versions, result.systems.skipped,
                             _command(argv), args.quick, settings, result.profiles, plot,
                             result.elapsed, runs=result.runs)
        print(f"\nwrote {out}" + (f" and {plot}" if plot else ""))
    ours = [m for m in bad if m.role != PEER]
    nonfinite = [m for m in result.measurements if m.ok and not math.isfinite(m.median)]
    return 1 if ours or nonfinite else 0


if __name__ == "__main__":
    raise SystemExit(main())
