"""Duals over Dask arrays: forward mode stays lazy, and .compute() gives NumPy's numbers.

A Dask callback counts the tasks that run: building the JVP must run none of them.
"""

import numpy as np
import pytest

import dualdiff as dd

da = pytest.importorskip("dask.array")
from dask.callbacks import Callback  # noqa: E402


class Count(Callback):
    def __init__(self):
        super().__init__()
        self.tasks = 0

    def _pretask(self, key, dsk, state):
        self.tasks += 1


FUNCTIONS = {
    "elementwise": lambda z: np.sin(z) * np.exp(-(z**2)) + np.log1p(z**2),
    "reductions": lambda z: np.sum(np.sin(z) * z**2) + np.max(z) + np.mean(z**2, axis=0),
    "matmul": lambda z: np.tanh(np.outer(z, z) @ z),
    "structure": lambda z: np.concatenate([z[:3], z[::-1]]) * 2.0,
    "where": lambda z: np.where(z > 0.5, np.sqrt(z), -z),
    "branch point": lambda z: np.sqrt(z - 0.1),  # sqrt at 0: a zero tangent stays zero
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jvp_over_dask_arrays_is_lazy_and_equals_numpy(name):
    f = FUNCTIONS[name]
    x = da.linspace(0.1, 1.0, 12, chunks=4)
    v = da.linspace(-1.0, 1.0, 12, chunks=4)
    with Count() as c:
        y, t = dd.jvp(f, (x,), (v,))
    assert c.tasks == 0, "nothing is computed before .compute()"
    assert isinstance(y, da.Array) and isinstance(t, da.Array)
    # chunked reductions and products add in another order than NumPy: a few ulps
    rtol = 1e-14 if name in ("matmul", "reductions") else 1e-15
    with np.errstate(divide="ignore"):
        ye, te = dd.jvp(f, (x.compute(),), (v.compute(),))
        np.testing.assert_allclose(y.compute(), ye, rtol=rtol, atol=0)
        np.testing.assert_allclose(t.compute(), te, rtol=rtol, atol=0)


def test_a_dual_of_dask_arrays_and_matrix_code():
    a = da.from_array(np.random.default_rng(0).standard_normal((6, 6)), chunks=3)
    x = da.ones(6, chunks=3)
    d = dd.Dual(x, da.arange(6.0, chunks=3))
    with Count() as c:
        out = np.sum(np.tanh(a @ d) ** 2)
    assert c.tasks == 0 and isinstance(out.tangent, da.Array)
    ref = dd.Dual(x.compute(), np.arange(6.0))
    ref_out = np.sum(np.tanh(a.compute() @ ref) ** 2)
    np.testing.assert_allclose(out.tangent.compute(), ref_out.tangent, rtol=1e-14)


def test_integer_dask_arrays_are_promoted_lazily():
    x = da.arange(5, chunks=2)
    y, t = dd.jvp(lambda z: z * z, (x,), (da.ones(5, chunks=2),))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(t.compute(), 2.0 * np.arange(5))
