"""Regressions found by running other projects' test suites through an adapter (hunter)."""

import numpy as np
import pytest

import dualdiff as dd


@pytest.mark.parametrize("index", [
    (3, slice(2, None), [1, 3]),          # an integer and an array separated by a slice
    ([0, 2], slice(None), [1, 3]),        # two arrays separated by a slice
    ([[0], [2]], slice(None), [1, 3]),    # broadcast arrays separated by a slice
    (1, Ellipsis, [[1, 3]]),
])
def test_batched_tangents_through_separated_advanced_indices(index):
    # NumPy moves the advanced axes first here; the batch axis must stay in front
    a = np.random.default_rng(0).standard_normal((5, 6, 4))
    f = lambda x: x[index]
    dd.check_rule(f, a)
    u = np.random.default_rng(1).standard_normal((2, 5, 6, 4))
    t = dd.jvp(f, (a,), (u,))[1]
    np.testing.assert_array_equal(t, np.stack([a_[index] for a_ in u]))
    np.testing.assert_array_equal(dd.jacobian(f)(a), dd.jacobian(f, chunk_size=1)(a))


def test_batched_setitem_through_separated_advanced_indices():
    def f(x):
        y = x * 1.0
        y[3, 2:, [1, 3]] = x[0, :4, [0, 1]] * 2
        return y
    dd.check_rule(f, np.random.default_rng(0).standard_normal((5, 6, 4)))
