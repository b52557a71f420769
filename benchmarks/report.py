"""RESULTS.md (machine, versions, command, headline, targets, tables, profiles) and the
log-log scaling plot."""

from __future__ import annotations

import cProfile
import io
import math
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.harness import DUALDIFF, PEER, REFERENCE, Measurement, format_time
from benchmarks.targets import Verdict
from benchmarks.workloads import TASKS

REPO = Path(__file__).resolve().parent.parent

# The dualdiff row that the headline and the plot follow, per task.
MAIN_KEY = {
    "scalar-grad": "dd.jvp",
    "logistic": "dd.derivative",
    "jvp": "dd.jvp",
    "jacobian": "dd.jacobian",
    "rosen-grad": "dd.grad",
    "rosen-hvp": "dd.hvp",
    "newton": "dd",
    "sparse-jac": "dd.sparse_jacobian",
    "sparse-hess": "dd.sparse_hessian",
}
PLOTTED = ("jvp", "jacobian", "rosen-grad", "rosen-hvp")


# ---------------------------------------------------------------- machine and versions


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info() -> dict[str, str]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    info = {
        "CPU": cpu.group(1).strip() if cpu else platform.processor() or "unknown",
        "cores": f"{os.cpu_count()} logical, {usable} usable by this process",
        "memory": f"{int(mem.group(1)) / 2**20:.1f} GiB" if mem else "unknown",
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
    }
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        info["load average (1, 5, 15 min) when the run ended"] = load
    except OSError:  # pragma: no cover
        pass
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS"):
        info[var] = os.environ.get(var, "(unset)")
    return info


def library_versions(extra: dict[str, str]) -> dict[str, str]:
    import scipy

    v = {"numpy": np.__version__, "scipy": scipy.__version__}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        v["numpy BLAS"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:
        pass
    try:
        from threadpoolctl import threadpool_info

        v["BLAS threads"] = ", ".join(
            f"{p.get('internal_api')} {p.get('architecture', '')} x{p.get('num_threads')}"
            for p in threadpool_info())
    except Exception:
        pass
    try:
        import matplotlib

        v["matplotlib"] = matplotlib.__version__
    except Exception:
        pass
    v.update(extra)
    return v


# ---------------------------------------------------------------- tables


def _ratio(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.3g}x" if x < 100 else f"{x:.0f}x"


def _ratios(m: Measurement, other: Measurement) -> list[float]:
    """``m / other`` per run (paired run by run), or the one ratio of a single run."""
    a = m.extra.get("run_medians", [m.median])
    b = other.extra.get("run_medians", [other.median])
    if len(a) != len(b):
        a, b = [m.median], [other.median]
    return [x / y for x, y in zip(a, b) if math.isfinite(x) and math.isfinite(y) and y > 0]


def _ratio_cell(m: Measurement, other: Measurement | None) -> str:
    """A ratio of median times; over several runs its median and (smallest-largest)."""
    if other is None or not m.timed or not other.timed:
        return "-"
    r = _ratios(m, other)
    if not r:
        return "-"
    if len(r) == 1:
        return _ratio(r[0])
    return f"{_ratio(statistics.median(r))} ({_ratio(min(r))}-{_ratio(max(r))})"


def _time_cell(m: Measurement) -> str:
    """The median time; over several runs the median of the runs' medians and their range."""
    medians = [t for t in m.extra.get("run_medians", []) if math.isfinite(t)]
    if len(medians) < 2:
        return format_time(m.median)
    return f"{format_time(m.median)} ({format_time(min(medians))}-{format_time(max(medians))})"


def _by_case(ms: list[Measurement]) -> dict[tuple[str, int], list[Measurement]]:
    out: dict[tuple[str, int], list[Measurement]] = {}
    for m in ms:
        out.setdefault((m.task, m.size), []).append(m)
    return out


def _fastest_peer(rows: list[Measurement]) -> Measurement | None:
    peers = [m for m in rows if m.role == PEER and m.timed]
    return min(peers, key=lambda m: m.median) if peers else None


def _find(rows: list[Measurement], key: str) -> Measurement | None:
    return next((m for m in rows if m.key == key), None)


def _notes(m: Measurement) -> str:
    bits = []
    if m.failure:
        bits.append(f"**failed**: `{m.failure}`")
    elif not m.ok:
        bits.append("**WRONG ANSWER**")
    if "peak_bytes" in m.extra:
        bits.append(f"peak {m.extra['peak_bytes'] / 2**20:.1f} MiB")
    if "nit" in m.extra:
        bits.append(f"{m.extra['nit']} iterations, {m.extra['nhev']} HVPs"
                    + ("" if m.extra.get("success") else ", not converged"))
    return "; ".join(bits)


def task_table(task: str, ms: list[Measurement]) -> str:
    with_f = task.startswith("rosen")
    head = ["size", "system", "median", "min", "× NumPy ref", "× fastest peer"]
    if with_f:
        head.append("× f")
    head += ["rel. error", "first call", "notes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (_t, _size), rows in sorted(_by_case([m for m in ms if m.task == task]).items()):
        ref = next((m for m in rows if m.role == REFERENCE and m.timed), None)
        best = _fastest_peer(rows)
        f = _find(rows, "f")
        for m in rows:
            name = f"**{m.label}**" if m.role == DUALDIFF else m.label
            cells = [m.size_label, name, _time_cell(m), format_time(m.best),
                     _ratio_cell(m, ref), _ratio_cell(m, best)]
            if with_f:
                cells.append(_ratio_cell(m, f))
            cells += ["-" if m.error is None else f"{m.error:.1e}", format_time(m.first),
                      _notes(m)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def headline_table(ms: list[Measurement]) -> str:
    lines = ["| task | size | dualdiff | × NumPy ref | fastest peer | × fastest peer |",
             "|---|---|---|---|---|---|"]
    for (task, _size), rows in sorted(_by_case(ms).items(),
                                      key=lambda kv: (list(TASKS).index(kv[0][0]), kv[0][1])):
        m = _find(rows, MAIN_KEY[task])
        if m is None:
            continue
        ref = next((r for r in rows if r.role == REFERENCE and r.timed), None)
        best = _fastest_peer(rows)
        if not m.timed:
            dd = f"failed: `{m.failure}`"
        else:
            dd = _time_cell(m) + ("" if m.ok else " **WRONG**")
        lines.append("| " + " | ".join([
            task, m.size_label, dd, _ratio_cell(m, ref),
            f"{best.key} {format_time(best.median)}" if best else "-",
            _ratio_cell(m, best),
        ]) + " |")
    return "\n".join(lines)


WHY_AHEAD = {
    "jax.jit": "XLA compiles the whole traced function: elementwise chains fuse into one "
               "loop over memory (no temporaries), Python runs once at trace time, and the "
               "CPU backend may use both cores",
    "torch": "ATen kernels run multithreaded (intra-op threads) and `jacfwd` vmaps all "
             "directions into one batched pass",
    "jax": "JAX without jit still dispatches each primitive to compiled XLA kernels",
    "autograd": "autograd wraps NumPy; its per-operation overhead is a thin box around NumPy",
    "autograd.np": "autograd >= 1.9 on plain np.* code: the same boxes around NumPy as "
                   "through autograd.numpy",
    "advect": "advect differentiates plain NumPy code too, tracing it on every call",
    "advect.stage": "`ad.stage` traces the function once (untimed, like jit's compilation) "
                    "and each call replays the staged program without tracing Python again",
    "mygrad": "mygrad records the operations on its Tensor and runs one backward pass",
}


def peers_ahead(ms: list[Measurement]) -> str:
    """Cases where some peer beats dualdiff's main entry, with the usual reason."""
    lines = []
    for (task, _size), rows in sorted(_by_case(ms).items(),
                                      key=lambda kv: (list(TASKS).index(kv[0][0]), kv[0][1])):
        m = _find(rows, MAIN_KEY[task])
        if m is None or not m.timed:
            continue
        ahead = sorted((p for p in rows if p.role == PEER and p.timed and p.median < m.median),
                       key=lambda p: p.median)
        if ahead:
            lines.append(f"- {task} {m.size_label}: " + ", ".join(
                f"{p.key} ({_ratio(m.median / p.median)} faster)" for p in ahead))
    if not lines:
        return "No peer is ahead of dualdiff in any case measured."
    keys = dict.fromkeys(k for line in lines
                         for k in re.findall(r"([\w.]+) \(", line))
    why = [f"- **{k}**: {WHY_AHEAD[k]}." for k in keys if k in WHY_AHEAD]
    return "\n".join(lines + ["", "Why, in general:"] + why)


def targets_table(verdicts: list[Verdict]) -> str:
    """One row per target; over several runs also how many runs it held in."""
    several = any(v.runs > 1 for v in verdicts)
    if not several:
        lines = ["| target | from | measured | result |", "|---|---|---|---|"]
    else:
        lines = ["| target | from | median (smallest to largest) | held in | result | "
                 "each run |", "|---|---|---|---|---|---|"]
    for v in verdicts:
        result = {"PASS": "pass" if not several else "**met** (every run)",
                  "FAIL": "**FAIL**", "MIXED": "**not met** (held in some runs only)",
                  }.get(v.status, v.status)
        if not several:
            lines.append(f"| {v.target} | {v.source} | {v.measured} | {result} |")
        elif v.status == "n/a":
            lines.append(f"| {v.target} | {v.source} | - | - | n/a | {v.measured} |")
        else:
            mid, low, high = statistics.median(v.values), min(v.values), max(v.values)
            each = v.measured.split("; ", 1)[1] if "; " in v.measured else v.measured
            lines.append(f"| {v.target} | {v.source} | {mid:.3g} ({low:.3g} to {high:.3g}) | "
                         f"{v.passes} of {v.runs} | {result} | {each} |")
    return "\n".join(lines)


def runs_table(runs: list[dict]) -> str:
    """Each run's start, length, load and memory bandwidth (at its start and its end)."""
    lines = ["| run | started | whole run | load (1 min) start, end | NumPy copy of 1e7 "
             "floats, start / end | memory bandwidth (read + write), start / end |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(runs, 1):
        b, a = r["before"], r["after"]
        lines.append(
            f"| {i} | {r['started']} | {r['elapsed']:.0f} s | {b['load']:.2f}, {a['load']:.2f} "
            f"| {b['copy_seconds'] * 1e3:.2f} ms / {a['copy_seconds'] * 1e3:.2f} ms "
            f"| {b['bandwidth']:.1f} / {a['bandwidth']:.1f} GB/s |")
    return "\n".join(lines)


# ---------------------------------------------------------------- profiles


def profile_text(fn: Callable[[], object], seconds: float = 1.0, top: int = 15) -> str:
    """cProfile of repeated calls of ``fn`` (at least ``seconds``), top entries by own time."""
    fn()  # warm-up
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    calls = max(1, min(10_000, int(seconds / one)))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    buf.write("By own time (tottime):\n")
    stats.sort_stats("tottime").print_stats(top)
    buf.write("By cumulative time (cumtime):\n")
    stats.sort_stats("cumulative").print_stats(top // 2 + 2)
    text = buf.getvalue()
    for prefix in sorted({str(REPO) + "/", sys.prefix + "/", sys.base_prefix + "/"},
                         key=len, reverse=True):
        text = text.replace(prefix, "")
    text = re.sub(r"^.*(function calls|Ordered by|List reduced).*$\n", "", text, flags=re.M)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return f"{calls} calls profiled\n" + text.strip("\n")


# ---------------------------------------------------------------- plot


def scaling_plot(ms: list[Measurement], path: Path) -> Path | None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("skipping the plot: matplotlib is not installed")
        return None
    fig = Figure(figsize=(12, 9), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, task in zip(axes, PLOTTED, strict=True):
        rows = [m for m in ms if m.task == task and m.timed]
        keys = list(dict.fromkeys(m.key for m in rows))
        for key in keys:
            pts = sorted((m.size, m.median, m) for m in rows if m.key == key)
            if not pts:
                continue
            m0 = pts[0][2]
            style = {DUALDIFF: dict(lw=2.2, marker="o"), REFERENCE: dict(lw=2, ls="--",
                     marker="s", color="black")}.get(m0.role, dict(lw=1, marker="."))
            ax.loglog([p[0] for p in pts], [p[1] for p in pts], label=m0.label, **style)
        sizes = sorted({m.size for m in rows})
        if sizes:
            ax.set_xticks(sizes, [f"{s:.0e}" if s >= 10_000 else str(s) for s in sizes])
            ax.minorticks_off()
        ax.set_title(TASKS[task][1], fontsize=10)
        ax.set_xlabel("n")
        ax.set_ylabel("median time per call [s]")
        ax.grid(True, which="both", alpha=0.3)
        if rows:
            ax.legend(fontsize=7)
    fig.suptitle("dualdiff benchmarks: time against size (log-log)")
    fig.savefig(path, dpi=100)
    return path


# ---------------------------------------------------------------- the whole report


def write_results(path: Path, ms: list[Measurement], verdicts: list[Verdict],
                  versions: dict[str, str], skipped: dict[str, str], command: str,
                  quick: bool, settings: str, profiles: dict[str, str],
                  plot: Path | None, elapsed: float, runs: list[dict] | None = None) -> None:
    info = machine_info()
    runs = runs or []
    several = len(runs) > 1
    versions = library_versions(versions)
    out = ["# dualdiff benchmarks", ""]
    out += [f"Command: `{command}`  ",
            f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}; whole run {elapsed:.0f} s"
            + (" (**quick smoke run**: smallest sizes, few repeats; not for quoting)"
               if quick else ""), "",
            f"Timing: {settings}. Warm-up call excluded (this is where `jax.jit` compiles; its "
            "time is the *first call* column). Every answer is checked against the "
            "hand-written reference (norm-wise relative error), so a fast wrong answer shows.",
            ""]
    if several:
        out += [f"**{len(runs)} full runs**, each in its own Python process, one after the "
                "other. Every time below is the median of the runs' medians, with the smallest "
                "and largest run in brackets; every ratio is formed within each run (the two "
                "rows timed interleaved, under the same load) and shown as the median over the "
                "runs with (smallest-largest). A target is met only if it held in every run.",
                ""]
    if runs:
        out += ["## Runs: load and memory bandwidth", "",
                "The memory bandwidth is that of a NumPy copy of 10^7 float64 (80 MB read, "
                "80 MB written; fastest of 10), measured at the start and the end of each run. "
                "Memory-bound NumPy code (the references, `f` itself) scales with it and "
                "Python overhead does not, so ratios against NumPy move with it from one "
                "machine (or load) to the next.", "", runs_table(runs), ""]
    out += ["## Machine", ""] + [f"- {k}: {v}" for k, v in info.items()] + [""]
    out += ["## Libraries", ""] + [f"- {k}: {v}" for k, v in versions.items()]
    out += [f"- {k}: skipped, {v}" for k, v in skipped.items()] + [""]
    out += ["## Headline: dualdiff against the NumPy reference and the fastest peer", "",
            "Ratios are of median times (lower is better for dualdiff; < 1x against the "
            "fastest peer means dualdiff is ahead of all of them).", "",
            headline_table(ms), ""]
    out += ["## Targets (issues 2, 3, 5)", "", targets_table(verdicts), ""]
    if several:
        held = [v.target for v in verdicts if v.status == "PASS"]
        missed = [v.target for v in verdicts if v.status in ("FAIL", "MIXED")]
        out += [f"**Targets that really hold** (in all {len(runs)} runs): "
                + ("; ".join(held) if held else "none") + ".", "",
                "**Not met** (failed in at least one run): "
                + ("; ".join(missed) if missed else "none") + ".", ""]
    out += ["## Where a peer is ahead of dualdiff", "", peers_ahead(ms), "",
            "Where dualdiff misses a target, its profile is at the end of this file."
            if profiles else "", ""]
    for task, (workload, title) in TASKS.items():
        if not any(m.task == task for m in ms):
            continue
        out += [f"## {title} (`--only {workload}`)", "", task_table(task, ms), ""]
    if plot is not None:
        out += ["## Scaling", "", f"![time against size]({plot.name})", ""]
    if profiles:
        out += ["## Profiles of the missed targets", "",
                "cProfile of the dualdiff call, top entries by own time (tottime); "
                "cProfile's overhead inflates Python-heavy code, so read shares, not "
                "absolute times.", ""]
        for title, text in profiles.items():
            out += [f"### {title}", "", "```", text, "```", ""]
    path.write_text("\n".join(out).rstrip() + "\n")
