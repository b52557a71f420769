"""Ratios of the small staged workloads to their hand-written references, finely interleaved.

    python -m benchmarks.probes.interleaved_ratios

One loop of about 5 ms of each side, alternating, 200 times; the median and the 10th and
90th percentiles of the 200 ratios. On a machine whose speed swings within seconds this
shows the spread that a few longer interleaved loops (the benchmark's) can land anywhere in.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import dualdiff as dd
from benchmarks.workloads.elementwise import g, jvp_hand
from benchmarks.workloads.jacobian import jacobian_hand_batched, make_problem
from benchmarks.workloads.scalar import X1, X2, grad_hand

ROUNDS = 200


def _loop(f, n):
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n


def pairs():
    rng = np.random.default_rng(1000)
    x, v = rng.uniform(-2.0, 2.0, 1000), rng.standard_normal(1000)
    jvp = dd.jit(lambda x, v: dd.jvp(g, (x,), (v,)))
    A, xa = make_problem(50)

    def h(x, A=A):
        return np.tanh(A @ x) + x**2

    jac = dd.jit(dd.jacobian(h))

    def f(x1, x2):
        return dd.log(x1) + x1 * x2 - dd.sin(x2)

    sg = dd.jit(lambda a, b: (dd.jvp(f, (a, b), (1.0, 0.0))[1], dd.jvp(f, (a, b), (0.0, 1.0))[1]))
    return {
        "jvp at 1e3": (lambda: jvp(x, v), lambda: jvp_hand(x, v)),
        "Jacobian n=50": (lambda: jac(xa), lambda: jacobian_hand_batched(A, xa)),
        "scalar gradient": (lambda: sg(X1, X2), lambda: grad_hand(X1, X2)),
    }


def main(rounds: int = ROUNDS) -> dict[str, float]:
    """Print the ratios; returns each workload's median."""
    medians = {}
    for name, (staged, hand) in pairs().items():
        got, want = staged(), hand()  # (the first call traces) and the numbers agree
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-14)
        n = max(1, int(0.005 / _loop(hand, 50)))
        ratios = sorted(_loop(staged, n) / _loop(hand, n) for _ in range(rounds))
        medians[name] = statistics.median(ratios)
        print(f"{name:16s} median {medians[name]:.3f}  "
              f"p10 {ratios[rounds // 10]:.3f}  p90 {ratios[9 * rounds // 10]:.3f}")
    return medians


if __name__ == "__main__":
    main()
