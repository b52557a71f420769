"""Workload 5: a whole Newton-CG solve of Rosenbrock (n = 1000) with SciPy.

``scipy.optimize.minimize(rosen, x0, jac=..., hessp=..., method="trust-ncg")`` is timed
end to end, with each system providing the gradient and the Hessian-vector product (``f``
is the same NumPy function for all). Arrays cross to and from each peer inside the
callbacks, as they must when a user plugs JAX or PyTorch into SciPy. The start point is
random in [0, 2]^n, which takes about 50 iterations; a start far from the valley takes
thousands, since Newton steps move the information one coordinate at a time.
"""

from __future__ import annotations

import numpy as np

from benchmarks import native
from benchmarks.harness import DUALDIFF, PEER, REFERENCE, Case, Entry
from benchmarks.peers import Systems
from benchmarks.workloads.rosenbrock import rosen, rosen_grad_hand, rosen_hvp_hand

SIZE = 1000
QUICK_SIZE = 100
METHOD = "trust-ncg"


def solve(jac, hessp, x0):
    from scipy.optimize import minimize

    return minimize(rosen, x0, jac=jac, hessp=hessp, method=METHOD)


def post(res):
    return res.x, {"nit": int(res.nit), "nhev": int(res.nhev), "success": bool(res.success)}


def newton_case(s: Systems, n: int) -> Case:
    x0 = np.random.default_rng(3000 + n).uniform(0.0, 2.0, n)
    entries = [Entry("numpy", "hand-written NumPy grad + HVP", REFERENCE,
                     lambda: solve(rosen_grad_hand, rosen_hvp_hand, x0))]
    if s.dd is not None:
        dd = s.dd

        def make_dd():
            gd = dd.grad(rosen)
            return lambda: solve(gd, lambda x, p: dd.hvp(rosen, x, p), x0)

        entries.append(Entry("dd", "dualdiff: dd.grad + dd.hvp", DUALDIFF, None, make=make_dd))

        def make_jit():
            gd = dd.jit(dd.grad(rosen))
            hd = dd.jit(lambda x, p: dd.hvp(rosen, x, p))
            return lambda: solve(gd, hd, x0)

        entries.append(Entry("dd.jit", "dualdiff: dd.jit of dd.grad and dd.hvp", DUALDIFF, None,
                             make=make_jit))
    if s.jax is not None:
        jax, jnp = s.jax, s.jnp

        def f_j(x):
            return rosen(x, jnp)

        g = jax.grad(f_j)

        def hvp_j(x, v):
            return jax.jvp(g, (x,), (v,))[1]

        gj, hj = jax.jit(g), jax.jit(hvp_j)
        entries += [
            Entry("jax", "jax grad + jvp(grad) (no jit)", PEER,
                  lambda: solve(lambda x: np.asarray(g(x)),
                                lambda x, p: np.asarray(hvp_j(x, p)), x0)),
            Entry("jax.jit", "jax.jit grad + jvp(grad)", PEER,
                  lambda: solve(lambda x: np.asarray(gj(x)),
                                lambda x, p: np.asarray(hj(x, p)), x0)),
        ]
    if s.autograd is not None:
        anp = s.anp
        ga = s.autograd.grad(lambda x: rosen(x, anp))
        ha = s.autograd.hessian_vector_product(lambda x: rosen(x, anp))
        entries.append(Entry("autograd", "autograd grad + hessian_vector_product", PEER,
                             lambda: solve(ga, ha, x0)))
    if s.torch is not None:
        torch = s.torch
        gt = torch.func.grad(lambda x: rosen(x, torch))

        def jac_t(x):
            return gt(torch.from_numpy(x)).numpy()

        def hessp_t(x, p):
            return torch.func.jvp(gt, (torch.from_numpy(x),), (torch.from_numpy(p),))[1].numpy()

        entries.append(Entry("torch", "torch.func grad + jvp(grad)", PEER,
                             lambda: solve(jac_t, hessp_t, x0)))
    for key, (label, jac, hessp) in native.newton_pairs(s, rosen).items():
        entries.append(Entry(key, label, PEER, lambda jac=jac, hessp=hessp: solve(jac, hessp, x0)))
    expected = solve(rosen_grad_hand, rosen_hvp_hand, x0).x
    return Case("newton", n, str(n), entries, expected, rtol=1e-6, post=post)


def cases(s: Systems, quick: bool):
    n = QUICK_SIZE if quick else SIZE
    yield "newton", n, lambda: newton_case(s, n)
