"""The speed targets of issues 2, 3 and 5, checked against one run's measurements, and the
verdict over several runs.

A target is judged only where everything it needs was measured (a quick run or a missing
peer leaves it "n/a"), and a dualdiff answer that disagrees with the reference fails it
whatever its speed. Over several runs (separate processes, see ``--runs``) a target is met
only if it holds in every run: :func:`combine` gives the median and the spread of its ratio.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.harness import PEER, Measurement

Spec = tuple[str, int, str]  # (task, size, key)


@dataclass
class Verdict:
    target: str
    source: str
    measured: str
    status: str  # "PASS", "FAIL", "n/a"; over several runs also "MIXED"
    profile: Spec | None = None  # what to profile when it fails
    value: float = math.nan  # the ratio itself, for the median and spread over runs
    values: list[float] = field(default_factory=list)  # one per run (combined verdicts)
    passes: int = 0  # runs in which it held (combined verdicts)
    runs: int = 1


@dataclass
class Target:
    source: str
    text: str
    judge: Callable[[dict], tuple[str, bool, float] | None]  # None: not measured
    profile: Spec | None = None

    def __call__(self, index: dict) -> Verdict:
        try:
            got = self.judge(index)
        except _Missing:
            got = None
        if got is None:
            return Verdict(self.text, self.source, "not measured in this run", "n/a")
        measured, passed, value = got
        return Verdict(self.text, self.source, measured, "PASS" if passed else "FAIL",
                       None if passed else self.profile, value, [value], int(passed))


class _Missing(Exception):
    pass


def _get(index: dict, spec: Spec) -> Measurement:
    m = index.get(spec)
    if m is None or not m.timed:
        raise _Missing(spec)
    return m


def _wrong(m: Measurement) -> str:
    return "" if m.ok else " (WRONG ANSWER)"


def ratio(num: Spec, den: Spec, limit: float, what: str = "") -> Callable:
    """num / den <= limit."""

    def judge(index):
        a, b = _get(index, num), _get(index, den)
        r = a.median / b.median
        return f"{r:.2f}x {what}".rstrip() + _wrong(a), (r <= limit and a.ok), r

    return judge


def speedup(slow: Spec, fast: Spec, limit: float) -> Callable:
    """slow / fast >= limit."""

    def judge(index):
        a, b = _get(index, slow), _get(index, fast)
        r = a.median / b.median
        return f"{r:.1f}x faster" + _wrong(b), (r >= limit and b.ok), r

    return judge


def ahead(spec: Spec, peers: tuple[str, ...] | None = None) -> Callable:
    """spec is faster than every listed peer (all peers measured at that case if None)."""

    def judge(index):
        m = _get(index, spec)
        task, size, _ = spec
        rivals = [p for (t, s, _k), p in index.items()
                  if t == task and s == size and p.role == PEER and p.timed
                  and (peers is None or p.key in peers)]
        if not rivals:
            return None
        best = min(rivals, key=lambda p: p.median)
        r = m.median / best.median
        return f"{r:.2f}x the fastest ({best.key})" + _wrong(m), r < 1.0 and m.ok, r

    return judge


def growth(task: str, key: str, small: int, big: int, limit: float, field: str) -> Callable:
    """value(big) / value(small) <= limit, for time ("median") or memory ("peak_bytes")."""

    def judge(index):
        a, b = _get(index, (task, big, key)), _get(index, (task, small, key))
        if field == "median":
            va, vb = a.median, b.median
        else:
            if field not in a.extra or field not in b.extra:
                return None
            va, vb = a.extra[field], b.extra[field]
        r = va / vb
        return f"x{r:.1f} for x{big // small} in n", r <= limit, r

    return judge


def first_call(spec: Spec, limit: float) -> Callable:
    """The first call of ``spec`` (its warm-up: tracing and compiling) takes <= limit s."""

    def judge(index):
        m = _get(index, spec)
        return f"{m.first * 1e3:.0f} ms" + _wrong(m), (m.first <= limit and m.ok), m.first

    return judge


I2, I3, I5, I14 = "issue 2", "issue 3", "issue 5", "issue 14"
NOJIT = ("jax", "autograd", "autograd.np")  # autograd on plain np.* is autograd too
TARGETS = [
    Target(I2, "scalar gradient (2 x dd.jvp) <= 3x the bare __slots__ dual",
           ratio(("scalar-grad", 2, "dd.jvp"), ("scalar-grad", 2, "bare"), 3.0),
           ("scalar-grad", 2, "dd.jvp")),
    Target(I5, "scalar gradient ahead of every peer (jitted JAX included)",
           ahead(("scalar-grad", 2, "dd.jvp")), ("scalar-grad", 2, "dd.jvp")),
    Target(I5, "logistic map, 1000 steps: ahead of every peer",
           ahead(("logistic", 1000, "dd.derivative")), ("logistic", 1000, "dd.derivative")),
    Target(I5, "jvp at 1e3: ahead of every peer",
           ahead(("jvp", 10**3, "dd.jvp")), ("jvp", 10**3, "dd.jvp")),
    Target(I2, "jvp at 1e6 <= 1.3x the hand-written NumPy JVP",
           ratio(("jvp", 10**6, "dd.jvp"), ("jvp", 10**6, "numpy"), 1.3),
           ("jvp", 10**6, "dd.jvp")),
    Target(I5, "jvp at 1e6: ahead of autograd and JAX without jit",
           ahead(("jvp", 10**6, "dd.jvp"), NOJIT), ("jvp", 10**6, "dd.jvp")),
    Target(I2, "jacobian n=50 <= 10x the batched NumPy reference",
           ratio(("jacobian", 50, "dd.jacobian"), ("jacobian", 50, "numpy"), 10.0),
           ("jacobian", 50, "dd.jacobian")),
    Target(I5, "jacobian n=50: ahead of every peer",
           ahead(("jacobian", 50, "dd.jacobian")), ("jacobian", 50, "dd.jacobian")),
    Target(I2, "jacobian n=800 <= 1.5x the batched NumPy reference",
           ratio(("jacobian", 800, "dd.jacobian"), ("jacobian", 800, "numpy"), 1.5),
           ("jacobian", 800, "dd.jacobian")),
    Target(I5, "jacobian n=800: ahead of autograd and JAX without jit",
           ahead(("jacobian", 800, "dd.jacobian"), NOJIT), ("jacobian", 800, "dd.jacobian")),
    Target(I2, "default chunks >= 10x faster than chunk_size=1 at n=200",
           speedup(("jacobian", 200, "dd.jacobian.chunk1"), ("jacobian", 200, "dd.jacobian"),
                   10.0), ("jacobian", 200, "dd.jacobian")),
    Target(I3, "grad of Rosenbrock at 1e6 <= 5x f",
           ratio(("rosen-grad", 10**6, "dd.grad"), ("rosen-grad", 10**6, "f"), 5.0, "f"),
           ("rosen-grad", 10**6, "dd.grad")),
    Target(I5, "grad of Rosenbrock at 1e6 <= 1.3x the hand-written gradient",
           ratio(("rosen-grad", 10**6, "dd.grad"), ("rosen-grad", 10**6, "numpy"), 1.3),
           ("rosen-grad", 10**6, "dd.grad")),
    Target(I5, "grad of Rosenbrock at 1e6: ahead of autograd and JAX without jit",
           ahead(("rosen-grad", 10**6, "dd.grad"), NOJIT), ("rosen-grad", 10**6, "dd.grad")),
    Target(I3, "hvp of Rosenbrock at 1e6 <= 10x f",
           ratio(("rosen-hvp", 10**6, "dd.hvp"), ("rosen-hvp", 10**6, "f"), 10.0, "f"),
           ("rosen-hvp", 10**6, "dd.hvp")),
    Target(I3, "hvp of Rosenbrock at 1e6 <= 4x the hand-written HVP",
           ratio(("rosen-hvp", 10**6, "dd.hvp"), ("rosen-hvp", 10**6, "numpy"), 4.0),
           ("rosen-hvp", 10**6, "dd.hvp")),
    Target(I5, "hvp of Rosenbrock at 1e6 <= 1.3x the hand-written HVP",
           ratio(("rosen-hvp", 10**6, "dd.hvp"), ("rosen-hvp", 10**6, "numpy"), 1.3),
           ("rosen-hvp", 10**6, "dd.hvp")),
    Target(I3, "hvp of Rosenbrock at 1e6: ahead of autograd and JAX without jit",
           ahead(("rosen-hvp", 10**6, "dd.hvp"), NOJIT), ("rosen-hvp", 10**6, "dd.hvp")),
    Target(I3, "hvp time grows linearly (1e5 -> 1e6: at most x15)",
           growth("rosen-hvp", "dd.hvp", 10**5, 10**6, 15.0, "median")),
    Target(I3, "hvp peak memory grows linearly (1e5 -> 1e6: at most x15)",
           growth("rosen-hvp", "dd.hvp", 10**5, 10**6, 15.0, "peak_bytes")),
    # staging (dd.jit): ratios to each benchmark's own hand-written reference
    Target(I14, "dd.jit scalar gradient <= 3x the hand-written floats",
           ratio(("scalar-grad", 2, "dd.jit"), ("scalar-grad", 2, "hand"), 3.0),
           ("scalar-grad", 2, "dd.jit")),
    Target(I14, "dd.jit logistic map, 1000 steps <= 1.5x the hand-written loop",
           ratio(("logistic", 1000, "dd.jit"), ("logistic", 1000, "hand"), 1.5),
           ("logistic", 1000, "dd.jit")),
    Target(I14, "dd.jit logistic map, 1000 steps: first call (trace + compile) <= 50 ms",
           first_call(("logistic", 1000, "dd.jit"), 0.05)),
    Target(I14, "dd.jit jvp at 1e3 <= 1.5x the hand-written JVP",
           ratio(("jvp", 10**3, "dd.jit"), ("jvp", 10**3, "numpy"), 1.5),
           ("jvp", 10**3, "dd.jit")),
    Target(I14, "dd.jit jacobian n=50 <= 1.2x the batched NumPy reference",
           ratio(("jacobian", 50, "dd.jit"), ("jacobian", 50, "numpy"), 1.2),
           ("jacobian", 50, "dd.jit")),
    Target(I14, "dd.jit grad of Rosenbrock at 1e6 <= 1.3x the hand-written gradient",
           ratio(("rosen-grad", 10**6, "dd.jit"), ("rosen-grad", 10**6, "numpy"), 1.3),
           ("rosen-grad", 10**6, "dd.jit")),
    Target(I14, "dd.jit hvp of Rosenbrock at 1e6 <= 1.5x the hand-written HVP",
           ratio(("rosen-hvp", 10**6, "dd.jit"), ("rosen-hvp", 10**6, "numpy"), 1.5),
           ("rosen-hvp", 10**6, "dd.jit")),
    Target(I14, "dd.jit Newton-CG solve, n=1000 <= 2x the hand-written one",
           ratio(("newton", 1000, "dd.jit"), ("newton", 1000, "numpy"), 2.0),
           ("newton", 1000, "dd.jit")),
    # with numexpr installed: dd.jit(..., numexpr=True) below the hand-written NumPy
    Target(I14, "dd.jit numexpr grad of Rosenbrock at 1e6 < 1x the hand-written gradient",
           ratio(("rosen-grad", 10**6, "dd.jit numexpr"), ("rosen-grad", 10**6, "numpy"),
                 1.0), ("rosen-grad", 10**6, "dd.jit numexpr")),
    Target(I14, "dd.jit numexpr hvp of Rosenbrock at 1e6 < 1x the hand-written HVP",
           ratio(("rosen-hvp", 10**6, "dd.jit numexpr"), ("rosen-hvp", 10**6, "numpy"),
                 1.0), ("rosen-hvp", 10**6, "dd.jit numexpr")),
]


def judge_all(measurements: list[Measurement]) -> list[Verdict]:
    index = {(m.task, m.size, m.key): m for m in measurements}
    return [t(index) for t in TARGETS]


def combine(runs: list[list[Verdict]]) -> list[Verdict]:
    """One verdict per target over several runs: met ("PASS") only if it held in every run.

    ``measured`` shows the median ratio and its spread (smallest to largest over the runs);
    a target that held in some runs only is "MIXED", which is not met.
    """
    out = []
    for per_run in zip(*runs, strict=True):
        first = per_run[0]
        judged = [v for v in per_run if v.status != "n/a"]
        if not judged:
            out.append(Verdict(first.target, first.source, "not measured in any run", "n/a",
                               runs=len(per_run)))
            continue
        values = [v.value for v in judged]
        passes = sum(v.status == "PASS" for v in judged)
        if passes == len(per_run):
            status = "PASS"
        elif passes == 0:
            status = "FAIL"
        else:
            status = "MIXED"
        mid = statistics.median(values)
        spread = f"{min(values):.3g} to {max(values):.3g}"
        measured = f"median {mid:.3g} ({spread}); " + "; ".join(v.measured for v in judged)
        if len(judged) < len(per_run):
            measured += f"; not measured in {len(per_run) - len(judged)} run(s)"
        profile = next((v.profile for v in judged if v.profile is not None), None)
        out.append(Verdict(first.target, first.source, measured, status, profile, mid,
                           values, passes, len(per_run)))
    return out
