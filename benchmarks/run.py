"""The benchmark runner: ``python -m benchmarks`` or ``python benchmarks/run.py``.

    python -m benchmarks                      # full run (minutes), writes benchmarks/RESULTS.md
    python -m benchmarks --quick              # smoke run: smallest sizes, few repeats
    python -m benchmarks --only jacobian      # one workload (repeat --only for several)
    python -m benchmarks --peers jax,torch    # choose peers; --peers none for none

On machines where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (see the environment notes),
time the matmul-heavy Jacobian with both unset for that command alone:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402
from benchmarks.harness import Measurement, RunConfig, run_case  # noqa: E402
from benchmarks.peers import ALL_PEERS, Systems, load_systems  # noqa: E402
from benchmarks.targets import Verdict, judge_all  # noqa: E402
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
    return RunResult(measurements, verdicts, systems, profiles,
                     time.perf_counter() - t_start)


def _command(argv: list[str]) -> str:
    if __package__ in (None, ""):
        head = "python benchmarks/run.py"
    else:
        head = "python -m benchmarks"
    return " ".join([head] + [shlex.quote(a) for a in argv])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: smallest size of each workload, few short repeats")
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
    args = p.parse_args(argv)

    peers = () if args.peers.strip().lower() in ("", "none") else tuple(
        x.strip() for x in args.peers.split(",") if x.strip())
    out = args.out
    if out is None and not args.quick:
        out = HERE / "RESULTS.md"
    cfg = RunConfig.make(args.quick, repeats=args.repeats, min_time=args.min_time)
    import os

    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("OPENBLAS_L2_SIZE"):
        print("note: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set; they can slow NumPy's "
              "matmul. For timing, run with both unset: "
              "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE " + _command(argv))
    result = run_benchmarks(quick=args.quick, only=args.only, peers=peers, cfg=cfg,
                            profile_misses=not args.no_profile and not args.quick)

    print()
    print(report.headline_table(result.measurements))
    print()
    print(report.targets_table(result.verdicts))
    bad = [m for m in result.measurements if not m.ok]
    for m in bad:
        print(f"PROBLEM: {m.task} {m.size_label} {m.label}: "
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
                             result.elapsed)
        print(f"\nwrote {out}" + (f" and {plot}" if plot else ""))
    nonfinite = [m for m in result.measurements if m.ok and not math.isfinite(m.median)]
    return 1 if bad or nonfinite else 0


if __name__ == "__main__":
    raise SystemExit(main())
