"""Scale-out on an existing engine: the independent passes of a driver as executor tasks.

A forward-mode Jacobian is a set of independent passes of ``f``, one per chunk of tangent
directions (or one per colour of a sparse Jacobian, or per chunk of rows of a reverse one).
With ``executor=`` (any :class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor`` on
one machine, ``dask.distributed.Client(...).get_executor()`` on a cluster, Ray's or MPI's
executors) those passes become its tasks.  This module is the one place that submits them:

- **sizing** (:func:`task_ranges`): about :data:`TASKS_PER_WORKER` tasks per worker, so that
  uneven tasks still keep every worker busy, and never more tasks than directions.  A task
  costs the executor a fixed overhead (pickling ``f`` and its arguments, a round trip; about
  1 ms for a local process pool, a few ms for Dask, measured in benchmarks/): it pays when one
  pass of ``f`` costs much more than that.  ``chunk_size=`` overrides the sizing.
- **order and identity**: results are gathered in submission order and assembled exactly as
  the serial call assembles its chunks, so with the same ``chunk_size`` the result is the
  serial one bit for bit.
- **failures**: a task that raises re-raises in the caller, its message naming the task's
  index range; the tasks not yet started are cancelled.  ``KeyboardInterrupt`` cancels them
  too.  Nothing waits forever on a failed task.
- **ownership**: the executor is the user's; it is never shut down here.
"""

from __future__ import annotations

import math
import os
import pickle
from concurrent.futures import Executor, ProcessPoolExecutor

#: tasks per worker: enough to balance uneven tasks, few enough that overhead stays small
TASKS_PER_WORKER = 4


def check_executor(executor):
    """``executor`` itself, checked: ``None`` or a :class:`concurrent.futures.Executor`."""
    if executor is not None and not isinstance(executor, Executor) and not (
            callable(getattr(executor, "submit", None))):
        raise TypeError("executor must be a concurrent.futures.Executor (for example "
                        "ProcessPoolExecutor(), or dask.distributed.Client().get_executor()), "
                        f"got {type(executor).__name__}")
    return executor


def workers(executor):
    """How many tasks ``executor`` runs at once (its worker count; the CPU count if unknown)."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 (a client that cannot say: fall back below)
            pass
    return os.cpu_count() or 1


def chunk_size_for(n, executor, chunk_size=None, cap=None):
    """Directions per task: ``chunk_size`` if given, else about ``TASKS_PER_WORKER`` tasks per
    worker (and at most ``cap``, the serial memory bound of one chunk)."""
    if chunk_size is not None:
        return chunk_size
    k = max(1, math.ceil(n / (TASKS_PER_WORKER * workers(executor))))
    return k if cap is None else max(1, min(k, cap))


def check_picklable(executor, fn, what):
    """A clear error, before anything is submitted, when a process pool cannot pickle ``fn``.

    Only the standard library's process pool is checked here: Dask (cloudpickle) and thread
    pools send what ``pickle`` cannot, and their own errors stand.
    """
    if not isinstance(executor, ProcessPoolExecutor):
        return
    try:
        pickle.dumps(fn)
    except Exception as e:  # noqa: BLE001 (pickle raises several types)
        name = getattr(fn, "__qualname__", type(fn).__name__)
        raise TypeError(
            f"{what} {name!r} cannot be sent to the process pool: {e}. Define it at module "
            "level (with everything it closes over picklable), or use an executor that "
            "pickles closures, such as dask.distributed's (cloudpickle)") from None


def map_ordered(executor, task, items, describe):
    """``[task(item) for item in items]``, the calls run as tasks of ``executor``, in order.

    ``describe(item)`` names an item in an error message (``"columns 64..127"``).  The first
    task to fail (in order) re-raises here, with that name added to its message; the tasks
    not yet started are cancelled, as they are on ``KeyboardInterrupt``.
    """
    futures = []
    try:
        for item in items:
            futures.append(executor.submit(task, item))
        results = []
        for item, future in zip(items, futures):
            try:
                results.append(future.result())
            except Exception as e:
                _name_task(e, describe(item))
                raise
        return results
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _name_task(e, where):
    note = f"(in the task for {where})"
    if e.args and isinstance(e.args[0], str) and note not in e.args[0]:
        e.args = (f"{e.args[0]} {note}",) + e.args[1:]
    elif not e.args:
        e.args = (note,)
    if hasattr(e, "add_note"):
        e.add_note(note)
