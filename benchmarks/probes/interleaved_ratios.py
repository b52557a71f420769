"""Ratios of the small staged workloads to their hand-written references, finely interleaved.

    python -m benchmarks.probes.interleaved_ratios

One loop of about 5 ms of each side, alternating, 200 times; the median and the 10th and
90th percentiles of the 200 ratios. On a machine whose speed swings within seconds this
shows the spread that a few longer interleaved loops (the benchmark's) can land anywhere in.
"""

from __future__ import annotations

import statistics

import dualdiff
from benchmarks.harness import REFERENCE, _run, relative_error
from benchmarks.peers import Systems
from benchmarks.workloads import elementwise, jacobian, scalar

ROUNDS = 200


def pairs():
    """``{workload: (staged, hand-written, case)}``: the benchmark's own entries (``dd.jit``
    and the reference of its case), so the probe times exactly what ``python -m benchmarks``
    does."""
    s = Systems(dd=dualdiff)
    cases = {"jvp at 1e3": elementwise.jvp_case(s, 1000),
             "Jacobian n=50": jacobian.jacobian_case(s, 50),
             "scalar gradient": scalar.scalar_grad_case(s)}
    out = {}
    for name, case in cases.items():
        entries = {e.key: e for e in case.entries}
        hand = next(e for e in case.entries if e.role == REFERENCE)
        out[name] = (entries["dd.jit"].callable(), hand.callable(), case)
    return out


def main(rounds: int = ROUNDS) -> dict[str, float]:
    """Print the ratios; returns each workload's median."""
    medians = {}
    for name, (staged, hand, case) in pairs().items():
        hand()
        error = relative_error(staged(), case.expected)  # (the first call traces)
        if not error <= case.rtol:
            raise AssertionError(f"{name}: dd.jit is off the reference by {error:.1e}")
        n = max(1, int(0.005 * 50 / _run(hand, 50)))
        ratios = sorted(_run(staged, n) / _run(hand, n) for _ in range(rounds))
        medians[name] = statistics.median(ratios)
        print(f"{name:16s} median {medians[name]:.3f}  "
              f"p10 {ratios[rounds // 10]:.3f}  p90 {ratios[9 * rounds // 10]:.3f}")
    return medians


if __name__ == "__main__":
    main()
