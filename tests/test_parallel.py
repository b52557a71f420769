"""executor=: the passes of a Jacobian as tasks of a real process pool and a real Dask cluster.

The pool and the cluster are started once for this module (two worker processes each) and
always shut down by their fixtures. The functions differentiated here live at module level,
so the standard library's pickle can send them.
"""

import concurrent.futures as cf
import os
import signal
import time

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.parallel import TASKS_PER_WORKER, chunk_size_for, map_ordered, workers

A = np.random.default_rng(11).standard_normal((9, 9))


def f_vec(x):
    return np.tanh(A @ x) + x**2 * np.sin(x)


def f_scalar(x):
    return np.sum(np.exp(-x**2) * np.cos(A @ x))


def f_tree(params, x):
    return {"y": np.tanh(params["w"] * x + params["b"]), "s": np.sum(params["w"] * x)}


def f_fails(x):
    if x[0] > 100:  # only the first column's pass moves x[0]... never: it raises below
        return x
    raise ValueError("simulated failure in f")


def f_slow(x):
    time.sleep(0.2)
    return x * 2.0


def _bad(item):
    if item == 2:
        raise KeyError("two")
    return item * 10


@pytest.fixture(scope="module")
def pool():
    with cf.ProcessPoolExecutor(2) as ex:
        yield ex


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


X = np.linspace(-1.0, 1.0, 9)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 4])
def test_jacobian_through_a_process_pool_equals_the_serial_call_bit_for_bit(pool, chunk_size):
    serial = dd.jacobian(f_vec, chunk_size=chunk_size or 2)(X)
    got = dd.jacobian(f_vec, chunk_size=chunk_size or 2, executor=pool)(X)
    assert np.array_equal(got, serial)
    if chunk_size is None:
        # the executor's own sizing: the same numbers (elementwise code and A @ x per column)
        np.testing.assert_array_equal(dd.jacobian(f_vec, executor=pool)(X),
                                      dd.jacobian(f_vec, chunk_size=1)(X))


def test_jacrev_hessian_and_pytrees_through_a_pool(pool):
    np.testing.assert_array_equal(dd.jacrev(f_vec, chunk_size=3, executor=pool)(X),
                                  dd.jacrev(f_vec, chunk_size=3)(X))
    np.testing.assert_array_equal(dd.hessian(f_scalar, chunk_size=2, executor=pool)(X),
                                  dd.hessian(f_scalar, chunk_size=2)(X))
    params = {"w": X[:3] + 2.0, "b": 0.5}
    got = dd.jacobian(f_tree, chunk_size=1, executor=pool)(params, X[:3])
    want = dd.jacobian(f_tree, chunk_size=1)(params, X[:3])
    assert got.keys() == want.keys()
    for k in want:
        for leaf in want[k]:
            np.testing.assert_array_equal(got[k][leaf], want[k][leaf])


def test_through_a_dask_cluster(dask_executor):
    np.testing.assert_array_equal(dd.jacobian(f_vec, chunk_size=2, executor=dask_executor)(X),
                                  dd.jacobian(f_vec, chunk_size=2)(X))
    # Dask pickles closures (cloudpickle), so a lambda is fine there
    g = lambda x: np.cumsum(x) * x  # noqa: E731
    np.testing.assert_array_equal(dd.jacobian(g, chunk_size=3, executor=dask_executor)(X),
                                  dd.jacobian(g, chunk_size=3)(X))


def test_a_closure_for_a_process_pool_is_a_clear_type_error(pool):
    c = 3.0
    with pytest.raises(TypeError, match="cannot be sent to the process pool.*module level"):
        dd.jacobian(lambda x: c * x, executor=pool)(X)


def test_a_failing_task_names_its_columns_and_cancels_the_rest(pool):
    msg = r"simulated failure in f \(in the task for columns 0\.\.1"
    with pytest.raises(ValueError, match=msg):
        dd.jacobian(f_fails, chunk_size=2, executor=pool)(X)


def test_map_ordered_keeps_order_and_reports_the_failing_item():
    with cf.ThreadPoolExecutor(2) as ex:
        assert map_ordered(ex, lambda i: i * i, list(range(7)), str) == [i * i for i in range(7)]
        with pytest.raises(KeyError, match="in the task for item 2"):
            map_ordered(ex, _bad, [0, 1, 2, 3], lambda i: f"item {i}")


def test_keyboard_interrupt_cancels_pending_tasks():
    with cf.ThreadPoolExecutor(1) as ex:
        started = []

        def task(i):
            started.append(i)
            if i == 0:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
            return i

        with pytest.raises(KeyboardInterrupt):
            map_ordered(ex, task, list(range(20)), str)
        time.sleep(0.6)
        assert len(started) < 20  # the rest were cancelled, not run


def test_sizing_rule_and_the_executor_is_never_shut_down(pool):
    assert workers(pool) == 2
    assert chunk_size_for(1000, pool) == -(-1000 // (TASKS_PER_WORKER * 2))
    assert chunk_size_for(1000, pool, chunk_size=7) == 7
    assert chunk_size_for(3, pool) == 1
    dd.jacobian(f_vec, executor=pool)(X)
    assert pool.submit(int, "5").result() == 5  # still usable


def test_bad_executor():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        dd.jacobian(f_vec, executor="pool")(X)


def f_stencil(x):
    return x**2 - np.concatenate([x[1:], x[:1]]) * np.sin(x)


def test_sparse_jacobian_through_a_pool(pool):
    pytest.importorskip("scipy")
    x = np.linspace(0.1, 1.0, 30)
    serial = dd.sparse_jacobian(f_stencil)(x)
    got = dd.sparse_jacobian(f_stencil, executor=pool)(x)
    assert (got != serial).nnz == 0 and got.shape == serial.shape
    np.testing.assert_array_equal(got.toarray(), dd.jacobian(f_stencil)(x))
