"""Greedy colourings of sparsity patterns, vectorised with NumPy and scipy.sparse.

Columns ``j`` and ``k`` of a pattern ``P`` *conflict* when some row holds both (distance-2 in
the bipartite graph of ``P``): columns of one colour are structurally orthogonal, so one
forward pass along the sum of their unit vectors gives all of them.  Rows are coloured the
same way on ``Pᵀ`` (reverse passes).  A symmetric pattern (a Hessian) is coloured so that
every entry can be read directly from ``H V``: here with the distance-2 colouring of the
adjacency graph, which is a star colouring (every path on four vertices uses at least three
colours; a tridiagonal pattern gets 3 colours).

The greedy colouring is computed in several vertex orders (natural, largest-first,
smallest-last, incidence-degree) and the one with fewest colours kept.  The orders are
vectorised; smallest-last and incidence-degree are computed in batches (all vertices of the
current minimum degree, or of the current maximum incidence, at once, ties in natural
order; after :data:`MAX_BATCHES` batches the rest form one batch).  The best is then
coloured again in the order of its colour classes, last class first (Culberson's iterated
greedy), which cannot need more colours and often needs fewer.
"""

import numpy as np

from ._scipy import require_scipy

sp = require_scipy()

#: the batched orderings put all remaining vertices in one batch after this many batches.
MAX_BATCHES = 64

#: the star colouring is tried, in these orders, when the distance-2 colouring needs more
#: than STAR_BELOW colours (no star colouring of a graph with an edge beats 2; of a path, 3).
STAR_ORDERS = ("natural", "smallest_last")
STAR_BELOW = 3

#: rounds of iterated greedy after the best order.
ITERATED_GREEDY = 3

ORDERS = ("natural", "largest_first", "smallest_last", "incidence_degree")


def _csr_bool(p):
    p = sp.csr_array(p, dtype=bool)
    p.sum_duplicates()
    p.eliminate_zeros()
    return p


def conflict_graph(pattern):
    """Adjacency (n x n, no diagonal) of the columns of ``pattern`` that share a row."""
    p = _csr_bool(pattern).astype(np.int32)
    g = (p.T @ p).tocsr()
    g.setdiag(0)
    g.eliminate_zeros()
    g = sp.csr_array(g, dtype=bool)
    g.sort_indices()
    return g


def _gather(indptr, indices, vertices):
    """The concatenated neighbour lists of ``vertices`` and, for each, its source vertex."""
    starts = indptr[vertices]
    lens = indptr[vertices + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    offsets = np.repeat(np.cumsum(lens) - lens, lens)
    pos = np.repeat(starts, lens) + (np.arange(total) - offsets)
    return indices[pos], np.repeat(vertices, lens)


def adjacency_lists(graph):
    """``graph``'s CSR arrays as Python lists, for :func:`greedy`'s loop."""
    return graph.indptr.tolist(), graph.indices.tolist()


def greedy(graph, order, lists=None):
    """The sequential greedy colouring of ``graph`` in ``order`` (colours 0, 1, ...): each
    vertex takes the smallest colour none of its neighbours earlier in the order has.

    The one loop over vertices runs on Python lists (a few set operations per vertex),
    which at 10^5 vertices of a stencil is faster than any vectorised rounds scheme.
    ``lists``: :func:`adjacency_lists` of ``graph``, when already made.
    """
    ptr, ind = lists or adjacency_lists(graph)
    colors = [-1] * graph.shape[0]
    for v in np.asarray(order).tolist():
        used = {colors[u] for u in ind[ptr[v]:ptr[v + 1]]}
        c = 0
        while c in used:
            c += 1
        colors[v] = c
    return np.array(colors, dtype=np.int64)


def _order_by(keys):
    """Vertices sorted by ``keys`` (ascending), ties in their natural order (which keeps
    the locality of stencils and bands)."""
    return np.argsort(keys, kind="stable")


def natural(graph):
    """Vertices in their own order."""
    return np.arange(graph.shape[0])


def largest_first(graph):
    """Vertices by decreasing degree."""
    return _order_by(-np.diff(graph.indptr))


def smallest_last(graph):
    """Batched smallest-last: repeatedly remove every vertex of minimum remaining degree;
    the vertices removed last come first."""
    n = graph.shape[0]
    indptr, indices = graph.indptr.astype(np.int64), graph.indices.astype(np.int64)
    degree = np.diff(indptr).astype(np.int64)
    batch = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for b in range(MAX_BATCHES):
        if not alive.any():
            break
        live = np.flatnonzero(alive)
        take = live if b == MAX_BATCHES - 1 else live[degree[live] == degree[live].min()]
        batch[take] = b
        alive[take] = False
        nbrs, _ = _gather(indptr, indices, take)
        degree -= np.bincount(nbrs, minlength=n)
    return _order_by(-batch)


def incidence_degree(graph):
    """Batched incidence-degree: from a vertex of largest degree, repeatedly take every
    vertex with the most neighbours already ordered."""
    n = graph.shape[0]
    indptr, indices = graph.indptr.astype(np.int64), graph.indices.astype(np.int64)
    incidence = np.zeros(n, dtype=np.int64)
    batch = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    degree = np.diff(indptr)
    for b in range(MAX_BATCHES):
        if not alive.any():
            break
        live = np.flatnonzero(alive)
        if b == 0:
            take = live[[np.argmax(degree)]] if n else live
        elif b == MAX_BATCHES - 1:
            take = live
        else:
            take = live[incidence[live] == incidence[live].max()]
        batch[take] = b
        alive[take] = False
        nbrs, _ = _gather(indptr, indices, take)
        incidence += np.bincount(nbrs, minlength=n)
    return _order_by(batch)


_ORDERINGS = {"natural": natural, "largest_first": largest_first, "smallest_last": smallest_last,
              "incidence_degree": incidence_degree}


def color_graph(graph, orders=ORDERS, lower_bound=0):
    """The best greedy colouring of ``graph`` over the vertex ``orders``: (colours, order).

    An order equal to one already tried is skipped; the search stops once a colouring
    reaches ``lower_bound`` colours (it cannot be beaten).
    """
    best, tried = None, []
    lists = adjacency_lists(graph)
    for name in orders:
        if name not in _ORDERINGS:
            raise ValueError(f"unknown vertex order {name!r}; choose from {ORDERS}")
        order = _ORDERINGS[name](graph)
        if any(np.array_equal(order, t) for t in tried):
            continue
        tried.append(order)
        c = greedy(graph, order, lists)
        k = int(c.max()) + 1 if c.size else 0
        if best is None or k < best[0]:
            best = (k, c, name)
        if k <= lower_bound:
            break
    if best is None:
        raise ValueError("orders must name at least one vertex order")
    k, c, name = best
    # iterated greedy (Culberson): colouring again with the colour classes contiguous, the
    # last class first, never needs more colours and often fewer
    for _ in range(ITERATED_GREEDY):
        if k <= lower_bound:
            break
        again = greedy(graph, np.argsort(-c, kind="stable"), lists)
        k_again = int(again.max()) + 1
        if k_again >= k:
            break
        k, c, name = k_again, again, name + "+iterated"
    return c, name


def color_columns(pattern, orders=ORDERS):
    """Colours of the columns of ``pattern``: no two columns of one colour share a row.

    Examples
    --------
    >>> import numpy as np
    >>> from dualdiff.sparse.coloring import color_columns
    >>> color_columns(np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool)).tolist()
    [0, 1, 0, 1]
    """
    p = _csr_bool(pattern)
    widest = int(np.diff(p.indptr).max()) if p.shape[0] else 0
    return color_graph(conflict_graph(p), orders, lower_bound=widest)[0]


def color_rows(pattern, orders=ORDERS):
    """Colours of the rows of ``pattern``: no two rows of one colour share a column."""
    return color_columns(_csr_bool(pattern).T, orders)


def is_symmetric(pattern):
    """Whether a square pattern equals its transpose (then rows colour like columns)."""
    p = _csr_bool(pattern)
    return p.shape[0] == p.shape[1] and (p != p.T).nnz == 0


def star_greedy(graph, order, lists=None):
    """A greedy star colouring of ``graph`` in ``order``: proper, and no path on four
    vertices has only two colours (so ``H V`` gives every entry of ``H`` directly).

    Vertex ``v`` avoids the colours of its neighbours ``w``; of every ``x`` two steps away
    through ``w`` when ``x`` already has another neighbour of ``w``'s colour (path v-w-x-y);
    and of every neighbour ``x`` of ``w`` when ``w``'s colour appears twice around ``v``
    (path u-v-w-x).  Each vertex keeps the count of its neighbours' colours, so the work is
    about the sum of squared degrees.
    """
    ptr, ind = lists or adjacency_lists(graph)
    n = graph.shape[0]
    colors = [-1] * n
    around = [{} for _ in range(n)]  # colour -> number of coloured neighbours
    for v in np.asarray(order).tolist():
        nbrs = [w for w in ind[ptr[v]:ptr[v + 1]] if w != v]
        forbidden = set()
        classes = {}
        for w in nbrs:
            cw = colors[w]
            if cw < 0:
                continue
            forbidden.add(cw)
            classes[cw] = classes.get(cw, 0) + 1
        for w in nbrs:
            cw = colors[w]
            if cw < 0:
                continue
            twice = classes[cw] > 1
            for x in ind[ptr[w]:ptr[w + 1]]:
                cx = colors[x]
                if x == v or x == w or cx < 0:
                    continue
                if twice or around[x].get(cw, 0) > 1:
                    forbidden.add(cx)
        c = 0
        while c in forbidden:
            c += 1
        colors[v] = c
        for w in nbrs:
            a = around[w]
            a[c] = a.get(c, 0) + 1
    return np.array(colors, dtype=np.int64)


def color_symmetric(pattern, orders=ORDERS):
    """A star colouring of a symmetric pattern, from which ``H V`` gives every entry
    directly: the fewer colours of the greedy star colouring and of the distance-2
    colouring of the adjacency graph (itself a star colouring), over ``orders``."""
    p = _csr_bool(pattern)
    p = _csr_bool(p + p.T)
    best = color_columns(p, orders)
    if best.size and int(best.max()) + 1 > STAR_BELOW:
        g = _csr_bool(p - sp.eye_array(p.shape[0], dtype=bool).multiply(p))
        lists = adjacency_lists(g)
        for name in [o for o in orders if o in STAR_ORDERS]:
            c = star_greedy(g, _ORDERINGS[name](g), lists)
            if c.max() < best.max():
                best = c
    return best


# --- validity ----------------------------------------------------------------------------


def _row_color_counts(p, colors):
    """For each stored entry (i, j) of ``p``: how many entries of row i have colour c[j]."""
    rows = np.repeat(np.arange(p.shape[0]), np.diff(p.indptr))
    k = int(colors.max()) + 1 if colors.size else 1
    keys = rows * k + colors[p.indices]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return rows, counts[inverse]


def is_column_coloring(pattern, colors):
    """Whether no row of ``pattern`` holds two columns of one colour."""
    p = _csr_bool(pattern)
    colors = np.asarray(colors)
    if colors.shape != (p.shape[1],) or (colors.size and colors.min() < 0):
        return False
    return bool(np.all(_row_color_counts(p, colors)[1] == 1))


def is_row_coloring(pattern, colors):
    """Whether no column of ``pattern`` holds two rows of one colour."""
    return is_column_coloring(_csr_bool(pattern).T, colors)


def symmetric_sources(pattern, colors):
    """For a symmetric colouring: per stored entry (i, j) of ``pattern`` (CSR order), whether
    it is read from row i of ``H V`` (column c[j]), else from row j (column c[i]); and whether
    every entry can be read at all (the colouring is valid)."""
    p = _csr_bool(pattern)
    p.sort_indices()
    colors = np.asarray(colors)
    rows, counts = _row_color_counts(p, colors)
    direct = counts == 1
    # the mirrored entry (j, i): its position in CSR order of the symmetric pattern
    t = sp.csr_array((np.arange(p.nnz) + 1, p.indices, p.indptr), shape=p.shape).T.tocsr()
    t.sort_indices()
    mirror = t.data - 1
    if not np.array_equal(t.indices, p.indices) or not np.array_equal(t.indptr, p.indptr):
        return direct, False
    ok = direct | direct[mirror]
    # a diagonal entry is only readable directly
    return direct, bool(np.all(ok) and np.all(direct[rows == p.indices]))


def is_symmetric_coloring(pattern, colors):
    """Whether every entry of the symmetric ``pattern`` can be read directly from ``H V``."""
    p = _csr_bool(pattern)
    colors = np.asarray(colors)
    if colors.shape != (p.shape[1],) or p.shape[0] != p.shape[1]:
        return False
    return symmetric_sources(p, colors)[1]
