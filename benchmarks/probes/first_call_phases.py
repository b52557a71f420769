"""Where the first call of ``dd.jit(dd.derivative(logistic, 1000 steps))`` spends its time.

    python -m benchmarks.probes.first_call_phases

Wall-clock timers around the code generator's passes, averaged over 6 first calls, each of
a new ``dd.jit`` made by the benchmark's own entry (``logistic_case``, ``"dd.jit"``); the
rest of the first call is the trace itself.
"""

from __future__ import annotations

import collections
import time

import dualdiff
import dualdiff.staging as staging
import dualdiff.staging.codegen as codegen
from benchmarks.peers import Systems
from benchmarks.workloads.scalar import logistic_case

PASSES = ("_live", "_deferrable", "find_runs", "_lines", "_loop", "_compiled", "generate")
CALLS = 6


def main(calls: int = CALLS) -> dict[str, float]:
    """Print the mean time of each phase (ms); returns them."""
    spent: dict[str, float] = collections.defaultdict(float)
    entry = next(e for e in logistic_case(Systems(dd=dualdiff), 1000).entries
                 if e.key == "dd.jit")

    def timed(module, name):
        fn = getattr(module, name)

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t

        setattr(module, name, wrapper)
        return fn

    originals = [(codegen, n, timed(codegen, n)) for n in PASSES]
    originals.append((staging, "build", timed(staging, "build")))
    try:
        for _ in range(calls):
            first = entry.make()  # (a new dd.jit each time: untimed)
            t = time.perf_counter()
            first()
            spent["first call"] += time.perf_counter() - t
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
    spent["trace (first call - build)"] = spent["first call"] - spent["build"]
    means = {name: s / calls * 1e3 for name, s in spent.items()}
    for name, ms in means.items():
        print(f"{name:28s} {ms:7.1f} ms")
    return means


if __name__ == "__main__":
    main()
