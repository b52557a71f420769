"""Colourings: valid on every pattern, few colours on stencils and bands, fast at 10^5."""

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sp = pytest.importorskip("scipy.sparse")
from scipy.optimize._numdiff import group_columns  # noqa: E402

from dualdiff.sparse import coloring  # noqa: E402


def banded(n, offsets):
    return sp.csr_array(sp.diags_array([np.ones(n)] * len(offsets), offsets=offsets,
                                       shape=(n, n)), dtype=bool)


def laplacian_2d(n):
    t = sp.diags_array([np.ones(n)] * 3, offsets=[-1, 0, 1], shape=(n, n))
    return sp.csr_array(sp.kronsum(t, t), dtype=bool)


@st.composite
def patterns(draw):
    m = draw(st.integers(1, 30))
    n = draw(st.integers(1, 30))
    density = draw(st.floats(0.0, 0.5))
    seed = draw(st.integers(0, 2**31))
    return sp.random_array((m, n), density=density, rng=seed, format="csr").astype(bool)


@given(patterns())
def test_every_colouring_is_valid(p):
    for order in coloring.ORDERS:
        c = coloring.color_graph(coloring.conflict_graph(p), (order,))[0]
        assert coloring.is_column_coloring(p, c)
    assert coloring.is_column_coloring(p, coloring.color_columns(p))
    assert coloring.is_row_coloring(p, coloring.color_rows(p))
    s = p[:, : min(p.shape)][: min(p.shape)]
    s = s + s.T + sp.eye_array(s.shape[0], dtype=bool)
    assert coloring.is_symmetric_coloring(s, coloring.color_symmetric(s))


def test_the_checks_reject_invalid_colourings():
    p = banded(5, [0, 1])
    assert not coloring.is_column_coloring(p, np.zeros(5, int))
    assert not coloring.is_column_coloring(p, np.array([0, 1, 0]))  # wrong length
    assert not coloring.is_row_coloring(p, np.zeros(5, int))
    t = banded(5, [-1, 0, 1])
    assert not coloring.is_symmetric_coloring(t, np.array([0, 1, 0, 1, 0]))
    assert coloring.is_symmetric_coloring(t, np.array([0, 1, 2, 0, 1]))


def test_few_colours_on_bands_and_stencils():
    assert coloring.color_columns(banded(1000, [-1, 0, 1])).max() + 1 == 3
    assert coloring.color_symmetric(banded(1000, [-1, 0, 1])).max() + 1 == 3
    assert coloring.color_columns(banded(1000, [-2, -1, 0, 1, 2])).max() + 1 == 5
    lap = laplacian_2d(30)
    k = coloring.color_columns(lap).max() + 1
    assert 5 <= k <= group_columns(lap.toarray()).max() + 1


def test_colours_1e5_stencil_columns_fast():
    lap = laplacian_2d(316)  # 99,856 columns
    start = time.process_time()  # CPU time: the shared machine's load inflates wall time
    c = coloring.color_columns(lap)
    elapsed = time.process_time() - start
    assert coloring.is_column_coloring(lap, c)
    assert c.max() + 1 <= 8
    assert elapsed < 2.0  # about 0.5 s of CPU; generous against a loaded machine


def test_unknown_order():
    with pytest.raises(ValueError, match="unknown vertex order"):
        coloring.color_columns(banded(3, [0]), orders=("best",))


@given(patterns())
def test_star_colourings_are_valid(p):
    s = p[:, : min(p.shape)][: min(p.shape)]
    s = coloring._csr_bool(s + s.T)
    off = coloring._csr_bool(s - sp.eye_array(s.shape[0], dtype=bool).multiply(s))
    for order in coloring.ORDERS:
        c = coloring.star_greedy(off, coloring._ORDERINGS[order](off))
        assert coloring.is_symmetric_coloring(s + sp.eye_array(s.shape[0], dtype=bool), c)


def test_star_colouring_beats_distance_2_on_a_star_and_a_grid():
    # a star graph: distance-2 needs one colour per vertex, a star colouring two
    n = 20
    star = sp.lil_array((n, n), dtype=bool)
    star[0, :] = True
    star[:, 0] = True
    star = sp.csr_array(star)
    assert coloring.color_columns(star).max() + 1 == n
    assert coloring.color_symmetric(star).max() + 1 == 2
    lap = laplacian_2d(30)  # the greedy distance-2 colouring takes 7 here
    assert coloring.color_symmetric(lap).max() + 1 == 5 < coloring.color_columns(lap).max() + 1
