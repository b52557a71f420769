"""Benchmarks for dualdiff against a hand-written NumPy reference and the peers
(JAX with and without ``jax.jit``, autograd, ``torch.func``).

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``); ``--quick`` is the smoke
run that CI uses, ``--only WORKLOAD`` picks workloads, ``--out`` chooses the report file.
Every timed result is also checked against the reference, so a fast wrong answer shows.
"""

from benchmarks.harness import Measurement, RunConfig
from benchmarks.run import run_benchmarks

__all__ = ["Measurement", "RunConfig", "run_benchmarks"]
