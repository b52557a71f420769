"""dd.jit's ``out=`` reuse of temporaries and views of them: a temporary whose memory a view
still reads (``w[::-1]``, ``w[1:]``, a reshape, an output that is a view) is nobody's output
buffer until that view's last use."""

import numpy as np
import pytest

import dualdiff as dd

x = np.linspace(0.0, 1.0, 1001)


def reversed_view_read_later(x):
    w = x * 2.0 + 1.0
    v = w[::-1]
    u = (w * 3.0 - 1.0) * w  # w's last direct read: it would take this result
    return u + v


def view_of_a_view(x):
    w = dd.sin(x) * 2.0
    v = w.reshape(7, 143).T[1:]
    u = dd.exp(w) * 3.0
    return u.reshape(7, 143).T[1:] + v


def a_view_returned(x):
    w = x * 2.0 + 1.0
    return w[1:], dd.sqrt(w) * 3.0


@pytest.mark.parametrize("f", [reversed_view_read_later, view_of_a_view, a_view_returned])
def test_views_of_temporaries_keep_their_memory(f):
    staged = dd.jit(f)
    for point in (x, x[::-1].copy()):  # the trace, then a replay
        got, want = staged(point), f(point)
        for a, b in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            np.testing.assert_array_equal(a, b)


def test_a_temporary_without_views_is_still_reused():
    src = dd.jit(lambda x: dd.exp(x * 2.0) * 3.0).source(x)
    assert "out=" in src
