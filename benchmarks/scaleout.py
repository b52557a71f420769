"""Scale-out benchmark (issue 11): Jacobian passes as executor tasks, and JVPs over Dask.

    python -m benchmarks.scaleout            # writes benchmarks/SCALEOUT.md
    python -m benchmarks.scaleout --quick    # smaller problem, for a smoke run

1. An expensive ``f``: a simulation loop (explicit Euler steps of a nonlinear reaction
   network) costing tens of milliseconds per call, with ``n`` inputs.  Its Jacobian is timed
   serially, with a ``ProcessPoolExecutor(2)`` and with a 2-worker Dask ``LocalCluster``,
   all with the same chunks of directions, in one run (interleaved, best of repeats).
2. The overhead per task of each executor: a task that does nothing, submitted and gathered
   as the Jacobian's tasks are.
3. A model of the speedup at 10, 100 and 1000 workers from those measurements:
   ``T(p) = T_serial / min(p, tasks) + tasks * overhead / p_submit`` (the submitting process
   pays the overhead of every task), and where it stops paying.
4. A JVP of ``10**8`` elements over Dask arrays in chunks of ``10**6``: its peak memory
   (tracemalloc, which counts NumPy's buffers) against the chunk size and the array size.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import math
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

import dualdiff as dd

HERE = Path(__file__).resolve().parent
STEPS = 3000  # Euler steps per call of f: about 20-30 ms at n = 128


def simulate(p):
    """``n`` species decaying and reacting pairwise for STEPS explicit Euler steps."""
    y = np.ones_like(p)
    for _ in range(STEPS):
        y = y + 0.001 * (-p * y + np.roll(y, 1) * np.tanh(p) - 0.1 * y * y)
    return y


def noop(item):
    return item


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def task_overhead(executor, tasks=64):
    """Seconds per task of submitting and gathering a task that does nothing."""
    from dualdiff.parallel import map_ordered  # noqa: PLC0415

    map_ordered(executor, noop, list(range(8)), str)  # warm the workers
    t0 = time.perf_counter()
    map_ordered(executor, noop, list(range(tasks)), str)
    return (time.perf_counter() - t0) / tasks


def dask_jvp_memory(n, chunk):
    import dask  # noqa: PLC0415
    import dask.array as da  # noqa: PLC0415

    x = da.random.random(n, chunks=chunk)
    v = da.ones(n, chunks=chunk)
    f = lambda z: np.sum(np.sin(z) * np.exp(-z * z) + np.log1p(z * z))  # noqa: E731
    tracemalloc.start()
    t0 = time.perf_counter()
    y, t = dd.jvp(f, (x,), (v,))
    with dask.config.set(scheduler="threads", num_workers=2):
        yv, tv = dask.compute(y, t)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"n": n, "chunk": chunk, "seconds": seconds, "value": float(yv),
            "tangent": float(tv), "peak_mb": peak / 2**20,
            "array_mb": n * 8 / 2**20, "chunk_mb": chunk * 8 / 2**20}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaleout")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 16 if args.quick else 128
    repeats = 1 if args.quick else 3
    p = np.linspace(0.5, 1.5, n)
    one_f = best(lambda: simulate(p), repeats)
    k = 8 if args.quick else 16  # directions per task: n / k tasks
    rows, overheads = [], {}
    serial = dd.jacobian(simulate, chunk_size=k)
    reference = serial(p)
    t_serial = best(lambda: serial(p), repeats)
    rows.append(("serial", t_serial, 1.0, True))
    with cf.ProcessPoolExecutor(2) as pool:
        jac = dd.jacobian(simulate, chunk_size=k, executor=pool)
        same = np.array_equal(jac(p), reference)
        t = best(lambda: jac(p), repeats)
        rows.append(("ProcessPoolExecutor(2)", t, t_serial / t, same))
        overheads["ProcessPoolExecutor(2)"] = task_overhead(pool)
    try:
        import distributed  # noqa: PLC0415

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=40) as cluster, \
                distributed.Client(cluster) as client:
            ex = client.get_executor(pure=False)  # (pure=True would reuse results)
            jac = dd.jacobian(simulate, chunk_size=k, executor=ex)
            same = np.array_equal(jac(p), reference)
            t = best(lambda: jac(p), repeats)
            rows.append(("Dask LocalCluster(2 workers)", t, t_serial / t, same))
            overheads["Dask LocalCluster(2 workers)"] = task_overhead(ex)
    except ImportError:
        rows.append(("Dask LocalCluster: dask/distributed not installed", math.nan, math.nan,
                     False))
    tasks = math.ceil(n / k)
    per_task = t_serial / tasks
    mem = dask_jvp_memory(10**6 if args.quick else 10**8, 10**5 if args.quick else 10**6)
    lines = [
        "# Scale-out: Jacobian passes as executor tasks, JVPs over Dask",
        "",
        f"`python -m benchmarks.scaleout{' --quick' if args.quick else ''}`, one run, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, dualdiff "
        f"{dd.__version__}. Times are the best of {repeats}.",
        "",
        f"`f`: {STEPS} explicit Euler steps of a reaction network with n = {n} inputs; one "
        f"call takes {one_f * 1e3:.1f} ms. The Jacobian is {n} directions in {tasks} tasks "
        f"of {k} (one batched forward pass each, {per_task * 1e3:.0f} ms serially).",
        "",
        "| how | Jacobian time | speedup | equal to serial bit for bit |",
        "| --- | --- | --- | --- |",
    ]
    for name, t, speedup, same in rows:
        lines.append(f"| {name} | {t:.3f} s | {speedup:.2f}x | {same} |")
    lines += ["", "Overhead per task (submit and gather a task that does nothing):", ""]
    for name, o in overheads.items():
        lines.append(f"- {name}: {o * 1e3:.2f} ms")
    o = max(overheads.values()) if overheads else math.nan
    lines += [
        "",
        "## A model of more workers",
        "",
        "With `T1` the serial time of one task and `c` the overhead per task paid by the "
        "submitting process, `p` workers and `N` tasks take about `ceil(N / p) T1 + N c`: the "
        "work divides, the submission does not. The speedup is "
        "`N T1 / (ceil(N / p) T1 + N c)`, which stops growing at `p = N` and is capped by "
        "`T1 / c` however many tasks. Here `T1` = "
        f"{per_task * 1e3:.0f} ms and `c` = {o * 1e3:.2f} ms (the slower executor):",
        "",
        "| workers | tasks = workers | speedup (model) |",
        "| --- | --- | --- |",
    ]
    for workers in (10, 100, 1000):
        total = workers * per_task
        model = total / (per_task + workers * o)
        lines.append(f"| {workers} | {workers} | {model:.0f}x |")
    lines += [
        "",
        f"It pays while a task's work exceeds its overhead many times over: with "
        f"`T1 / c` = {per_task / o:.0f} here, a thousand workers would want each task to "
        "carry at least a few milliseconds of `f`; a cheaper `f` wants bigger chunks "
        "(`chunk_size=`) or no executor at all.",
        "",
        "## A JVP over Dask arrays",
        "",
        f"`dd.jvp` of `sum(sin(x) exp(-x^2) + log1p(x^2))` with n = {mem['n']:.0e} elements "
        f"in chunks of {mem['chunk']:.0e} ({mem['chunk_mb']:.0f} MB each; the array is "
        f"{mem['array_mb']:.0f} MB): {mem['seconds']:.1f} s on Dask's threaded scheduler, "
        f"peak traced memory (tracemalloc: NumPy's buffers included) {mem['peak_mb']:.0f} MB, "
        "bounded by the chunks in flight and their temporaries, not by the array.",
    ]
    out = HERE / ("SCALEOUT-quick.md" if args.quick else "SCALEOUT.md")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
