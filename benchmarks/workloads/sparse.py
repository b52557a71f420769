"""Workload 6: sparse Jacobians and Hessians (issue 10).

Three problems: the 2-D Brusselator right-hand side (periodic 5-point Laplacian, two
species, 2 N^2 unknowns; the SciML benchmark), the extended Rosenbrock function (a
tridiagonal Hessian) and the area of a minimal surface on an N x N grid (a 2-D stencil
Hessian).  The references are their Jacobian and Hessians written by hand with scipy.sparse.

``cases`` feeds the common harness (``python -m benchmarks --only sparse``); answers are
compared through a few fixed probe directions (``J @ V``), which works alike for sparse and
dense answers.  ``python -m benchmarks.workloads.sparse`` runs the issue's own report
(colours, detection and colouring time, ratios to one ``f``, dense and SciPy's coloured
finite differences, the stiff BDF solve, the sparse Hessians) and writes
benchmarks/SPARSE.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.harness import BASELINE, DUALDIFF, PEER, REFERENCE, Case, Entry  # noqa: E402

BRUSSELATOR_SIZES = (8, 16, 32, 64, 128)
DENSE_UP_TO = 64  # dense dd.jacobian is timed up to this N (8192 columns)
ROSENBROCK_N = 10**5
SURFACE_SIZES = (32, 100)


# --- the problems ------------------------------------------------------------------------


def brusselator(n):
    """The 2-D Brusselator right-hand side ``rhs(t, y)`` on an n x n periodic grid, and y0.

    Two species u, v (2 n^2 unknowns), the 5-point Laplacian with diffusion alpha = 0.1 on
    the unit square (grid step 1/n), and the SciML forcing: a disc switched on at t >= 1.1.
    """
    xs = np.linspace(0.0, 1.0, n, endpoint=False)
    gx, gy = np.meshgrid(xs, xs, indexing="ij")
    up, down = np.roll(np.arange(n), -1), np.roll(np.arange(n), 1)
    alpha = 0.1 * n * n
    disc = (gx - 0.3) ** 2 + (gy - 0.6) ** 2 <= 0.1**2

    def lap(w):
        return w[up, :] + w[down, :] + w[:, up] + w[:, down] - 4.0 * w

    def rhs(t, y):
        u = y[: n * n].reshape(n, n)
        v = y[n * n:].reshape(n, n)
        forcing = np.where(disc & (t >= 1.1), 5.0, 0.0)
        du = 1.0 + u * u * v - 4.4 * u + alpha * lap(u) + forcing
        dv = 3.4 * u - u * u * v + alpha * lap(v)
        return np.concatenate([du.ravel(), dv.ravel()])

    u0 = 22.0 * (gy * (1 - gy)) ** 1.5
    v0 = 27.0 * (gx * (1 - gx)) ** 1.5
    rhs.alpha = alpha
    return rhs, np.concatenate([u0.ravel(), v0.ravel()])


def brusselator_jacobian_hand(n, y):
    """The Brusselator's Jacobian written by hand (scipy.sparse): the reference."""
    import scipy.sparse as sp

    alpha = 0.1 * n * n
    u, v = y[: n * n], y[n * n:]
    shift = sp.diags_array([np.ones(n - 1), np.ones(n - 1), [1.0], [1.0]],
                           offsets=[1, -1, n - 1, -(n - 1)], shape=(n, n))
    lap = sp.kronsum(shift, shift) - 4.0 * sp.eye_array(n * n)
    duu = sp.diags_array(2 * u * v - 4.4) + alpha * lap
    dvv = sp.diags_array(-u * u) + alpha * lap
    return sp.csr_array(sp.block_array([[duu, sp.diags_array(u * u)],
                                        [sp.diags_array(3.4 - 2 * u * v), dvv]]))


def rosenbrock(x):
    """The extended (chained) Rosenbrock function: a tridiagonal Hessian."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian_hand(x):
    """Its Hessian by hand, tridiagonal (scipy.sparse)."""
    import scipy.sparse as sp

    d = np.zeros_like(x)
    d[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    d[1:] += 200.0
    off = -400.0 * x[:-1]
    return sp.csr_array(sp.diags_array([off, d, off], offsets=[-1, 0, 1]))


def minimal_surface(n):
    """The area of the surface z over an n x n grid of the unit square (interior values
    are the unknowns; the boundary is z = 0): a 2-D stencil Hessian."""
    h = 1.0 / (n + 1)

    def area(z):
        w = np.concatenate([np.zeros((n, 1)), z.reshape(n, n), np.zeros((n, 1))], axis=1)
        w = np.concatenate([np.zeros((1, n + 2)), w, np.zeros((1, n + 2))], axis=0)
        zx = (w[1:, 1:] - w[:-1, 1:]) / h
        zy = (w[1:, 1:] - w[1:, :-1]) / h
        return h * h * np.sum(np.sqrt(1.0 + zx * zx + zy * zy))

    return area


def surface_point(n):
    g = np.linspace(0, 1, n + 2)[1:-1]
    gx, gy = np.meshgrid(g, g, indexing="ij")
    return (np.sin(np.pi * gx) * np.sin(2 * np.pi * gy)).ravel()


# --- harness cases -----------------------------------------------------------------------


def _probe(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 3))


def _through(v):
    """Compare answers (sparse or dense, any shape) through ``J @ V``."""
    def post(answer):
        a = answer if hasattr(answer, "tocsr") else np.reshape(answer, (-1, v.shape[0]))
        return np.asarray(a @ v), {}
    return post


def _prepared(make, f, x):
    """A factory of the timed call: prepared (first call, untimed) when the entry runs."""
    def prepare():
        fn = make(f)
        fn(x)
        return lambda: fn(x)
    return prepare


def jacobian_case(s, n):
    from scipy.optimize._numdiff import approx_derivative, group_columns

    rhs, y = brusselator(n)
    f = lambda y: rhs(0.0, y)  # noqa: E731
    v = _probe(y.size)
    entries = [
        Entry("scipy.hand", "hand-written scipy.sparse Jacobian", REFERENCE,
              lambda: brusselator_jacobian_hand(n, y)),
        Entry("f", "f itself (NumPy)", BASELINE, lambda: f(y), check=False),
    ]
    if s.dd is not None:
        dd = s.dd

        entries.append(Entry("dd.sparse_jacobian", "dualdiff: prepared dd.sparse_jacobian",
                             DUALDIFF, None, make=_prepared(dd.sparse_jacobian, f, y)))
        if n <= 16:
            entries.append(Entry("dd.jacobian", "dualdiff: dense dd.jacobian", DUALDIFF, None,
                                 make=lambda: lambda: dd.jacobian(f)(y)))
    pattern = brusselator_jacobian_hand(n, y) != 0
    groups = group_columns(pattern)
    entries.append(Entry("scipy.fd", "SciPy approx_derivative 2-point, coloured",
                         PEER, lambda: approx_derivative(f, y, method="2-point",
                                                         sparsity=(pattern, groups)),
                         check=False))
    return Case("sparse-jac", n, f"N={n}", entries, brusselator_jacobian_hand(n, y) @ v,
                rtol=1e-12, post=_through(v))


def hessian_case(s, n):
    x = np.random.default_rng(1).uniform(-1, 1, n)
    v = _probe(n)
    entries = [Entry("scipy.hand", "hand-written scipy.sparse Hessian", REFERENCE,
                     lambda: rosenbrock_hessian_hand(x))]
    if s.dd is not None:
        dd = s.dd

        entries += [
            Entry("dd.sparse_hessian", "dualdiff: prepared dd.sparse_hessian", DUALDIFF,
                  None, make=_prepared(dd.sparse_hessian, rosenbrock, x)),
            Entry("dd.hvp", "dualdiff: one dd.hvp", BASELINE,
                  lambda: dd.hvp(rosenbrock, x, v[:, 0]), check=False),
        ]
    return Case("sparse-hess", n, f"{n:.0e}", entries, rosenbrock_hessian_hand(x) @ v,
                rtol=1e-12, post=_through(v))


def cases(s, quick: bool):
    for n in BRUSSELATOR_SIZES[:1] if quick else BRUSSELATOR_SIZES:
        yield "sparse-jac", n, lambda n=n: jacobian_case(s, n)
    n = 1000 if quick else ROSENBROCK_N
    yield "sparse-hess", n, lambda n=n: hessian_case(s, n)


# --- the issue's report ------------------------------------------------------------------


def _time(fn, min_time=0.2, repeats=5):
    """Median seconds per call of ``fn`` over ``repeats`` autoranged repeats."""
    fn()
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / repeats or number >= 1 << 20:
            break
        number *= 2
    times = [elapsed / number]
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return float(np.median(times))


def _once(fn, clock=time.perf_counter):
    start = clock()
    out = fn()
    return out, clock() - start


def _rel(a, b):
    """max |a - b| / max |b| (sparse or dense; a sparse answer stays sparse)."""
    import scipy.sparse as sp

    if sp.issparse(a) or sp.issparse(b):
        d = abs(sp.csr_array(a) - sp.csr_array(b))
        return float(d.max() / abs(sp.csr_array(b)).max())
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def brusselator_row(n):
    """The issue's columns for the Brusselator at one N."""
    from scipy.optimize._numdiff import approx_derivative, group_columns

    import dualdiff as dd
    from dualdiff.sparse import coloring

    rhs, y = brusselator(n)

    def f(y):
        return rhs(0.0, y)

    ref = brusselator_jacobian_hand(n, y)
    # CPU time: on the loaded machine, wall time of a one-off call is mostly waiting
    pattern, t_detect = _once(lambda: dd.jacobian_sparsity(f)(y), time.process_time)
    _, t_color = _once(lambda: (coloring.color_columns(pattern), coloring.color_rows(pattern)),
                       time.process_time)
    jac = dd.sparse_jacobian(f)
    jac(y)
    t_f = _time(lambda: f(y))
    t_sparse = _time(lambda: jac(y))
    groups = group_columns(pattern)
    t_fd = _time(lambda: approx_derivative(f, y, method="2-point", sparsity=(pattern, groups)))
    fd = approx_derivative(f, y, method="2-point", sparsity=(pattern, groups))
    t_dense = None
    if n <= DENSE_UP_TO:
        dense_jac = dd.jacobian(f)
        if n == DENSE_UP_TO:  # tens of seconds: one call
            t_dense = _once(lambda: dense_jac(y))[1]
        else:
            t_dense = _time(lambda: dense_jac(y), min_time=0.5, repeats=3)
    return dict(N=n, inputs=2 * n * n, colors=jac.colors, mode=jac.mode,
                scipy_colors=int(groups.max()) + 1, detect=t_detect, color=t_color,
                f=t_f, sparse=t_sparse, dense=t_dense, fd=t_fd,
                err=_rel(jac(y), ref), fd_err=_rel(fd, ref))


def bdf_rows(n, log, t_end=11.5):
    from scipy.integrate import solve_ivp

    import dualdiff as dd

    rhs, y0 = brusselator(n)
    pattern = dd.jacobian_sparsity(rhs, argnums=1)(0.0, y0)
    variants = [("no jac (dense finite differences)", {}),
                ("jac_sparsity (SciPy coloured finite differences)", {"jac_sparsity": pattern}),
                ("jac=dd.sparse_jacobian(rhs, argnums=1)",
                 {"jac": dd.sparse_jacobian(rhs, argnums=1)})]
    rows = []
    for label, extra in variants:
        sol, t = _once(lambda extra=extra: solve_ivp(rhs, (0.0, t_end), y0, method="BDF",
                                                     rtol=1e-6, atol=1e-8, **extra))
        rows.append(dict(label=label, time=t, njev=sol.njev, nfev=sol.nfev, nlu=sol.nlu,
                         success=sol.success, end=sol.y[:, -1]))
        log(rows[-1]["label"], t, sol.njev)
    ref = rows[-1]["end"]
    for r in rows:
        r["diff"] = float(np.max(np.abs(r["end"] - ref)) / np.max(np.abs(ref)))
    return rows


def hessian_rows(log):
    import dualdiff as dd

    problems = [("extended Rosenbrock", ROSENBROCK_N, rosenbrock,
                 np.random.default_rng(1).uniform(-1, 1, ROSENBROCK_N),
                 rosenbrock_hessian_hand)]
    for n in SURFACE_SIZES:
        problems.append((f"minimal surface {n}x{n}", n * n, minimal_surface(n),
                         surface_point(n), None))
    rows = []
    for name, size, f, x, hand in problems:
        hess = dd.sparse_hessian(f)
        _, t_prepare = _once(lambda hess=hess, x=x: hess(x))
        t_sparse = _time(lambda hess=hess, x=x: hess(x))
        v = np.random.default_rng(2).standard_normal(size)
        t_hvp = _time(lambda f=f, x=x, v=v: dd.hvp(f, x, v))
        t_f = _time(lambda f=f, x=x: f(x))
        h = hess(x)
        check = _rel(h @ v, dd.hvp(f, x, v))
        err = _rel(h, hand(x)) if hand is not None else None
        rows.append(dict(name=name, n=size, colors=hess.colors, nnz=h.nnz, prepare=t_prepare,
                         sparse=t_sparse, hvp=t_hvp, f=t_f, err=err, hvp_err=check))
        log(rows[-1])
    return rows


def _ms(t):
    return "—" if t is None else f"{t * 1e3:.3g} ms"


def _ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.3g}×"


def brusselator_table(bru):
    lines = [
        "| N | inputs | colours (dd) | colours (SciPy group_columns) | detection | colouring "
        "| f | sparse J | sparse / f | dense dd.jacobian | dense / sparse | SciPy FD "
        "| sparse / FD | error dd | error FD |",
        "|" + "---|" * 15,
    ]
    for r in bru:
        lines.append(
            f"| {r['N']} | {r['inputs']} | {r['colors']} ({r['mode']}) | {r['scipy_colors']} "
            f"| {_ms(r['detect'])} | {_ms(r['color'])} | {_ms(r['f'])} | {_ms(r['sparse'])} "
            f"| {_ratio(r['sparse'], r['f'])} | {_ms(r['dense'])} "
            f"| {_ratio(r['dense'], r['sparse'])} | {_ms(r['fd'])} "
            f"| {_ratio(r['sparse'], r['fd'])} | {r['err']:.1e} | {r['fd_err']:.1e} |")
    return lines


def bdf_table(bdf):
    lines = ["| jac | wall time | Jacobian evaluations | rhs evaluations | LU "
             "| end state vs dd | success |", "|---|---|---|---|---|---|---|"]
    for r in bdf:
        lines.append(f"| {r['label']} | {r['time']:.3g} s | {r['njev']} | {r['nfev']} "
                     f"| {r['nlu']} | {r['diff']:.1e} | {r['success']} |")
    return lines


def hessian_table(hes):
    lines = ["| problem | n | colours | nnz | prepare (first call) | sparse H | one hvp "
             "| sparse H / hvp | f | error vs hand | Hv check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in hes:
        err = "—" if r["err"] is None else f"{r['err']:.1e}"
        lines.append(f"| {r['name']} | {r['n']} | {r['colors']} | {r['nnz']} "
                     f"| {_ms(r['prepare'])} | {_ms(r['sparse'])} | {_ms(r['hvp'])} "
                     f"| {_ratio(r['sparse'], r['hvp'])} | {_ms(r['f'])} | {err} "
                     f"| {r['hvp_err']:.1e} |")
    return lines


def header(command, elapsed):
    import scipy

    import dualdiff as dd

    return [
        "# Sparse Jacobians and Hessians: measured (issue 10)", "",
        f"Command: `{command}` ({elapsed:.0f} s). Machine: {platform.machine()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy "
        f"{scipy.__version__}, dualdiff {getattr(dd, '__version__', 'worktree')}.", "",
        "**The machine is shared (2 cores, several agents running tests and benchmarks at the "
        "same time) and noisy: absolute times swing by 2-5x between runs.** Each ratio below "
        "comes from one run, its two timings taken back to back, so it is more trustworthy "
        "than any absolute time; still, read them as ±30%.", "",
    ]


def sections(bru, bdf, hes):
    lines = []
    if bru:
        lines += [
            "## 1. 2-D Brusselator Jacobian (2N² inputs, periodic 5-point Laplacian)", "",
            "Prepared `dd.sparse_jacobian(f)` (pattern and colouring at the first call, timed "
            "apart); SciPy: `approx_derivative(f, y, method='2-point', sparsity=(pattern, "
            "group_columns(pattern)))`, the same pattern, its own grouping prepared once. "
            "Errors are max-abs relative to the hand-written Jacobian. Detection and "
            "colouring (columns and rows, all vertex orders) are CPU times of one call; the "
            "rest are wall-clock medians.", "",
            *brusselator_table(bru), "",
            "Detection + colouring per input (flat if linear in N²): " + ", ".join(
                f"N={r['N']}: {(r['detect'] + r['color']) / r['inputs'] * 1e6:.3g} µs"
                for r in bru), ""]
    if bdf:
        lines += ["## 2. Stiff solve: solve_ivp(BDF), Brusselator N = 32, t in [0, 11.5]", "",
                  "rtol=1e-6, atol=1e-8. The end-state difference is relative to the "
                  "dd.sparse_jacobian solve.", "", *bdf_table(bdf), ""]
    if hes:
        lines += ["## 3. Sparse Hessians", "",
                  "Prepared `dd.sparse_hessian(f)` (one batch of Hessian-vector products, "
                  "one direction per colour) against one `dd.hvp`.", "",
                  *hessian_table(hes), ""]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, BRUSSELATOR_SIZES)))
    parser.add_argument("--no-bdf", action="store_true", help="skip the stiff solve")
    parser.add_argument("--append", metavar="TITLE",
                        help="append the tables under this heading instead of a new file")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "SPARSE.md"))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    log = lambda *a: print(*a, flush=True)  # noqa: E731
    bru = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        bru.append(brusselator_row(n))
        log(bru[-1])
    bdf = [] if args.no_bdf else bdf_rows(32, log)
    hes = hessian_rows(log)
    command = "python -m benchmarks.workloads.sparse" + "".join([
        f" --sizes {args.sizes}" if args.sizes != parser.get_default("sizes") else "",
        " --no-bdf" if args.no_bdf else "",
        f" --append '{args.append}'" if args.append else ""])
    body = sections(bru, bdf, hes)
    out = Path(args.out)
    if args.append:
        text = out.read_text().rstrip("\n") + "\n\n" + "\n".join(
            [f"## {args.append}", "", f"Command: `{command}` "
             f"({time.perf_counter() - start:.0f} s).", "",
             *[("#" + line if line.startswith("## ") else line) for line in body]])
    else:
        text = "\n".join(header(command, time.perf_counter() - start) + body)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
