"""Loops back from a trace: runs of repeated steps become ``for`` loops in the generated code.

Tracing unrolls a Python loop: 1000 steps of ``l = 4 l (1 - l)`` with their tangents are 7000
operations to emit, each the same as the one seven steps before it but for the names it
reads.  Straight-line code for them replays fast per line, but ``compile()`` of it takes tens
of milliseconds, and its frame has a slot per name.  :func:`find_runs` finds such runs among
the nodes to emit, and the code generator writes each run as its first iteration followed by
a ``for`` loop over the second, renamed so that every iteration writes the names of the
first one:

.. code-block:: python

    w8 = 4.0 * w4            # iteration 1, as traced
    ...
    w14 = w12 - w13
    for _ in range(997):     # iterations 2 to 998
        w8 = 4.0 * w11       # w11 and w14: the previous iteration's values
        ...
        w14 = w12 - w13

Two nodes are the same step when they call the same function on operands of the same types,
with the same constants, the same guards, and traced operands at the same distances (in
emitted nodes) behind them.  The period of a run is found among the distances between
equal steps.  A run is rolled only where that is exact:

- its nodes compute Python numbers (array code keeps its straight lines: its buffers are
  reused across lines, ``out=``, and its cost is in NumPy, not in the interpreter);
- the loop body reads the current iteration, or the previous one at most (a value of an
  earlier iteration would be another name in every iteration), or invariants: values from
  before the run that many steps read (a parameter of the loop, computed once);
- a value of the previous iteration that the body overwrites before reading it is copied at
  the top of the body (``_w5 = w5``);
- what follows the run reads only its last iteration (by the first iteration's names).

Rolling changes no operation and no order of operations: the numbers are the same.
"""

from __future__ import annotations

import math

from .tracer import Tracer

#: traces with fewer nodes to emit stay straight-line (readable as the trace itself)
MIN_NODES = 256
#: the fewest lines a loop must save to be written
MIN_SAVED = 64
#: a value read this often is a loop invariant (when it is computed before the loop)
INVARIANT_READS = 16
#: candidate periods tried for each stretch of the trace (the most frequent distances)
_CANDIDATES = 6
_SCALARS = frozenset((float, int, complex, bool))


def find_runs(order, reads, uses, guards, read_after, marked=frozenset()):
    """``[(start, period, iterations), ...]`` in ``order`` (the nodes to emit), sorted.

    ``reads`` maps a node index to the indices of the nodes it reads, ``uses`` to how often
    it is read; ``guards`` a node index to its guards; ``read_after`` holds the node indices
    read after the last node (the outputs and the guards of inputs); ``marked`` the nodes
    that are written otherwise than their kind (a step of a run is either marked or not).
    """
    n = len(order)
    if n < MIN_NODES:
        return []
    position = {node.index: q for q, node in enumerate(order)}
    # a value read by many steps (a loop's parameter, computed once: the trace shares it)
    # is the same name in every iteration: steps see it where it is, not how far back
    invariant = {position[i] for i, k in uses.items() if k >= INVARIANT_READS and i in position}
    steps, last_read = _steps(order, position, reads, guards, marked, invariant)
    for i in read_after:
        if i in position:
            last_read[position[i]] = n

    def where(q):  # the positions node q reads, and which of them are invariants (asked for
        # the loop bodies only)
        return [(position[i], position[i] in invariant) for i in reads[order[q].index]
                if i in position]

    runs = []
    _find(steps, where, last_read, 0, n, runs)
    return sorted(runs)


def _steps(order, position, reads, guards, marked, invariant):
    """Per node: the number of its kind of step, or a negative number of its own for a node
    that is no step of a loop; and per node the position of its last reader (or its own).

    A kind is the function, the type of the result, the constants, the guards and the
    distances back to the traced operands: two nodes of a kind are written alike but for
    their names.  (The operands' own types follow: in a run they are of a kind too.)
    """
    steps = []
    last_read = list(range(len(order)))
    copysign = math.copysign
    scalars = _SCALARS
    ids = {}  # a kind -> a small number (compared much faster)
    for q, node in enumerate(order):
        key = None
        if type(node.value) in scalars and not node.kwargs:
            key = [id(node.fn), type(node.value), node.index in marked]
            for a in node.args:
                t = type(a)
                if t is Tracer:
                    j = position.get(a.index)
                    if j is None:  # an input (or a node not emitted): the same name each time
                        key.append(("x", a.index))
                    elif type(a.value) in scalars:
                        key.append(("at", j) if j in invariant else q - j)
                        last_read[j] = q  # (q grows: the last assignment is the last reader)
                    else:
                        key = None
                        break
                elif t is float:
                    key.append((a, copysign(1.0, a)))  # (-0.0 is not 0.0; nan is not nan)
                elif t is int or t is bool:
                    key.append((t, a))
                else:
                    key = None
                    break
        if key is None:
            for i in reads[node.index]:
                j = position.get(i)
                if j is not None:
                    last_read[j] = q
            steps.append(-1 - q)
            continue
        if guards:
            g = guards.get(node.index)
            if g:
                if any(kind == "array" for kind, _ in g):
                    steps.append(-1 - q)
                    continue
                key.append(tuple(g))
        key = tuple(key)
        kind = ids.get(key)
        if kind is None:
            kind = ids[key] = len(ids)
        steps.append(kind)
    return steps, last_read


def _find(steps, reads, last_read, lo, hi, runs):
    """The best run in ``steps[lo:hi]`` (most lines saved), then those on either side."""
    best = _best_run(steps, reads, last_read, lo, hi)
    if best is None:
        return
    s, p, k = best
    runs.append(best)
    _find(steps, reads, last_read, lo, s, runs)
    _find(steps, reads, last_read, s + k * p, hi, runs)


def _best_run(steps, reads, last_read, lo, hi):
    if hi - lo < MIN_SAVED + 2:
        return None
    seen, distances = {}, {}
    for q in range(lo, hi):
        c = steps[q]
        j = seen.get(c)
        if j is not None:
            distances[q - j] = distances.get(q - j, 0) + 1
        seen[c] = q
    candidates = sorted(distances, key=lambda d: (-distances[d], d))[:_CANDIDATES]
    best, best_saved = None, MIN_SAVED - 1
    for p in candidates:
        if distances[p] <= best_saved:  # a run of period p saves at most this many lines
            break
        i = lo
        while i + p < hi:
            if steps[i] != steps[i + p]:
                i += 1
                continue
            j = i
            while j + p < hi and steps[j] == steps[j + p]:
                j += 1
            # the nodes at positions i .. j + p - 1 repeat with period p
            run = _exact(reads, last_read, i, p, (j + p - i) // p)
            if run is not None and (run[2] - 1) * p > best_saved:
                best, best_saved = run, (run[2] - 1) * p
            i = j + 1
    return best


def _exact(reads, last_read, s, p, k):
    """``(s, p, k')`` with the most iterations ``k' <= k`` that roll exactly, or None."""
    if k < 3:
        return None
    for q in range(s + p, s + 2 * p):
        for j, fixed in reads(q):
            # the body reads this iteration, the previous one, or invariants from before it
            if (j >= s) == fixed:
                return None
    while k >= 3:
        end = s + k * p
        # what follows the run reads its last iteration only
        if all(last_read[j] < end for j in range(s, end - p)):
            return s, p, k
        k -= 1
    return None
