"""Timing, correctness checks and the records that the report is built from.

A *case* is one task at one size (say "HVP of Rosenbrock, n = 10^5"). It holds *entries*,
one per system, each a zero-argument callable that does the whole job and returns its
answer, and the expected answer (from the hand-written NumPy reference). Each entry is
called once untimed (warm-up; this is where ``jax.jit`` compiles), its answer is checked,
then it is timed in several repeats of an autoranged loop.
"""

from __future__ import annotations

import math
import statistics
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Roles of the rows in a table.
REFERENCE = "reference"  # hand-written NumPy: the practical limit, ratio 1
DUALDIFF = "dualdiff"
PEER = "peer"  # jax, jax.jit, autograd, torch
BASELINE = "baseline"  # other yardsticks: bare dual class, f itself, closed forms


@dataclass
class RunConfig:
    """How hard to time: ``quick`` is the CI smoke run (smallest sizes, few repeats)."""

    quick: bool = False
    repeats: int = 7
    min_time: float = 0.2  # seconds per timed repeat (autorange target)
    budget: float = 6.0  # seconds at most per entry, beyond warm-up and calibration
    memory: bool = True  # measure tracemalloc peaks where a workload asks for it

    @classmethod
    def make(cls, quick: bool = False, **overrides: Any) -> RunConfig:
        if quick:
            base = cls(quick=True, repeats=3, min_time=0.002, budget=0.5)
        else:
            base = cls()
        for key, value in overrides.items():
            if value is not None:
                setattr(base, key, value)
        return base


@dataclass
class Entry:
    """One row: a system doing the task. ``fn()`` does the whole job and returns it."""

    key: str  # stable id used by targets, e.g. "dd.hvp", "jax.jit"
    label: str  # what the table shows
    role: str
    fn: Callable[[], Any] | None
    check: bool = True  # compare the answer with the case's expected value
    memory: bool = False  # record tracemalloc peak of one call
    # Alternatively a factory of ``fn``, called (untimed) when the entry runs, so that an
    # API the library lacks fails this entry alone and not the whole case.
    make: Callable[[], Callable[[], Any]] | None = None

    def callable(self) -> Callable[[], Any]:
        if self.fn is None:
            self.fn = self.make()
        return self.fn


@dataclass
class Case:
    task: str  # table id, e.g. "rosen-hvp"
    size: int
    size_label: str
    entries: list[Entry]
    expected: Any  # NumPy answer, or None (then nothing is checked)
    rtol: float = 1e-10
    # turns an entry's raw answer into (comparable value, extra columns for the table)
    post: Callable[[Any], tuple[Any, dict]] | None = None


@dataclass
class Measurement:
    task: str
    size: int
    size_label: str
    key: str
    label: str
    role: str
    median: float = math.nan  # seconds per call
    best: float = math.nan
    first: float = math.nan  # the untimed warm-up call (includes jit compilation)
    repeats: int = 0
    number: int = 0  # calls per repeat
    error: float | None = None  # norm-wise relative error against the reference
    ok: bool = True  # answer matches (or was not checked) and nothing raised
    failure: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def timed(self) -> bool:
        return self.failure is None and math.isfinite(self.median)


def to_numpy(obj: Any) -> Any:
    """Answers of every system as NumPy arrays (tuples stay tuples)."""
    if isinstance(obj, (tuple, list)):
        return tuple(to_numpy(o) for o in obj)
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # torch tensor
        return obj.detach().cpu().numpy()
    return np.asarray(obj, dtype=float)


def _leaves(obj: Any) -> list[np.ndarray]:
    if isinstance(obj, tuple):
        out: list[np.ndarray] = []
        for o in obj:
            out.extend(_leaves(o))
        return out
    return [np.asarray(obj, dtype=float)]


def relative_error(got: Any, expected: Any) -> float:
    """max |got - expected| / max |expected|, over all parts; inf on a shape mismatch."""
    a, b = _leaves(to_numpy(got)), _leaves(to_numpy(expected))
    if len(a) != len(b):
        return math.inf
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape and x.size != y.size:
            return math.inf
        x = x.reshape(y.shape)
        same = (x == y) | (np.isnan(x) & np.isnan(y))  # inf == inf counts as equal
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.where(same, 0.0, np.abs(x - y))
        diff = np.nan_to_num(diff, nan=math.inf)
        scale = np.max(np.abs(y[np.isfinite(y)]), initial=0.0)
        err = float(np.max(diff, initial=0.0)) / max(scale, 1e-300)
        worst = max(worst, err)
    return worst


def _run(fn: Callable[[], Any], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - t0


def calibrate(fn: Callable[[], Any], cfg: RunConfig) -> tuple[float, int]:
    """Like ``timeit``'s autorange: grow the loop count until one loop lasts ``min_time``.

    Returns (loop time, calls per loop); that loop is the first timed repeat. The garbage
    collector stays on (a library that makes reference cycles pays for them).
    """
    number = 1
    t = _run(fn, number)
    while t < cfg.min_time:
        grow = cfg.min_time / max(t, 1e-7) * 1.1
        number = max(number * 2, int(number * min(grow, 100.0)))
        t = _run(fn, number)
    return t, number


def measure(fn: Callable[[], Any], cfg: RunConfig) -> tuple[list[float], int]:
    """Per-call times of ``repeats`` timed loops of one callable (see :func:`calibrate`)."""
    t, number = calibrate(fn, cfg)
    times = [t / number]
    for _ in range(_repeats(t, cfg) - 1):
        times.append(_run(fn, number) / number)
    return times, number


def _repeats(loop_time: float, cfg: RunConfig) -> int:
    if loop_time * cfg.repeats > cfg.budget:  # slow entries: fewer repeats, but always 3
        return max(3, int(cfg.budget / loop_time))
    return cfg.repeats


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes traced by tracemalloc during one call (NumPy data buffers included)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return max(peak - base, 0)


def _fail(m: Measurement, exc: Exception) -> None:
    m.ok = False
    m.failure = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    m.extra["traceback"] = traceback.format_exc(limit=6)


def run_case(case: Case, cfg: RunConfig, log: Callable[[str], None] = print) -> list[Measurement]:
    """Warm up, check and time every entry of a case.

    The timed repeats are interleaved (one loop of each entry per round), so that a change
    in the load of a shared machine falls on all systems alike and the ratios stay fair.
    """
    out: list[Measurement] = []
    live: list[tuple[Measurement, Callable[[], Any], int, list[float], int]] = []
    for entry in case.entries:
        m = Measurement(case.task, case.size, case.size_label, entry.key, entry.label, entry.role)
        out.append(m)
        try:
            fn = entry.callable()
            t0 = time.perf_counter()
            answer = fn()
            m.first = time.perf_counter() - t0
            if case.post is not None:
                answer, extra = case.post(answer)
                m.extra.update(extra)
            if entry.check and case.expected is not None:
                m.error = relative_error(answer, case.expected)
                m.ok = m.error <= case.rtol
            t, number = calibrate(fn, cfg)
            live.append((m, fn, number, [t / number], _repeats(t, cfg)))
        except Exception as exc:  # a failing system is reported, never fatal to the run
            _fail(m, exc)
    for round_ in range(1, max((r for *_, r in live), default=0)):
        for m, fn, number, times, repeats in live:
            if round_ < repeats and m.failure is None:
                try:
                    times.append(_run(fn, number) / number)
                except Exception as exc:
                    _fail(m, exc)
    mem = {e.key for e in case.entries if e.memory and cfg.memory}
    for m, fn, number, times, _ in live:
        if m.failure is not None:
            continue
        m.median, m.best = statistics.median(times), min(times)
        m.repeats, m.number = len(times), number
        if m.key in mem:
            try:
                m.extra["peak_bytes"] = peak_memory(fn)
            except Exception as exc:
                _fail(m, exc)
    for m in out:
        status = "" if m.ok else ("  FAILED: " + m.failure if m.failure else "  WRONG ANSWER")
        err = "" if m.error is None else f"  err {m.error:.1e}"
        log(f"  {case.task:<11} {case.size_label:>7}  {m.label:<40} "
            f"{format_time(m.median):>10}{err}{status}")
    return out


def memory_bandwidth(n: int = 10**7, repeats: int = 10) -> tuple[float, float]:
    """``(seconds, GB/s)`` of the fastest of ``repeats`` NumPy copies of ``n`` float64.

    The rate counts the bytes read and the bytes written (2 x 8 n): memory-bound NumPy code
    (the references, ``f`` itself) scales with it, Python overhead does not, so it tells a
    reader which kind of machine (and load) a run had.
    """
    a = np.ones(n)
    b = np.empty_like(a)
    np.copyto(b, a)  # touch both buffers first
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return best, 2 * a.nbytes / best / 1e9


def format_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
