"""Sparsity detection and compressed Jacobians and Hessians against dense references."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sp = pytest.importorskip("scipy.sparse")
import dualdiff as dd  # noqa: E402
from benchmarks.workloads.sparse import (  # noqa: E402
    brusselator,
    brusselator_jacobian_hand,
    minimal_surface,
    rosenbrock,
    rosenbrock_hessian_hand,
)
from dualdiff.sparse import coloring  # noqa: E402

RNG = np.random.default_rng(7)


def assert_superset(pattern, dense_jac):
    nz = np.abs(np.reshape(dense_jac, pattern.shape)) > 0
    assert not np.any(nz & ~pattern.toarray()), "the pattern misses a non-zero"


def check_problem(f, x, points=3):
    """Pattern is a superset of the Jacobian's non-zeros at x and random points near it (same
    branches), and the compressed Jacobian equals the dense one there."""
    jac = dd.sparse_jacobian(f)
    p = dd.jacobian_sparsity(f)(x)
    for k in range(points):
        y = x if k == 0 else x + 1e-3 * RNG.standard_normal(x.shape)
        dense = np.reshape(dd.jacobian(f)(y), p.shape)
        assert_superset(p, dense)
        got = jac(y)
        assert isinstance(got, sp.csr_array)
        np.testing.assert_allclose(got.toarray(), dense, rtol=1e-14, atol=1e-14)
    colors = jac._colors
    if jac.mode == "forward":
        assert coloring.is_column_coloring(jac.sparsity, colors)
    else:
        assert coloring.is_row_coloring(jac.sparsity, colors)
    return jac


UNARY = [np.sin, lambda v: np.exp(np.sin(v)), np.tanh, np.square, np.cos,
         lambda v: v * v * v, np.arctan]


@given(st.lists(st.tuples(st.integers(0, len(UNARY) - 1), st.integers(-3, 3)), min_size=1,
                max_size=6), st.integers(2, 12))
def test_random_elementwise_chains(steps, n):
    def f(x):
        y = x
        for u, shift in steps:
            y = UNARY[u](y) + 0.5 * np.roll(np.arange(n) * 1.0, shift) * y[np.roll(np.arange(n),
                                                                                  shift)]
        return y

    check_problem(f, RNG.uniform(-1, 1, n))


def test_stencil_brusselator():
    rhs, y0 = brusselator(6)
    jac = check_problem(lambda y: rhs(0.0, y), y0)
    assert jac.sparsity.nnz == 6 * 2 * 36
    hand = brusselator_jacobian_hand(6, y0)
    np.testing.assert_allclose(jac(y0).toarray(), hand.toarray(), rtol=1e-14, atol=1e-12)
    assert_superset(jac.sparsity, hand.toarray())
    assert jac.colors <= 12


@pytest.mark.parametrize("offsets", [(0,), (-1, 0, 1), (-2, 0, 3)])
def test_banded_matrix_products(offsets):
    n = 15
    a = sp.diags_array([RNG.standard_normal(n) for _ in offsets], offsets=offsets,
                       shape=(n, n)).toarray()
    jac = check_problem(lambda x: a @ np.sin(x) + x @ a.T, RNG.standard_normal(n))
    # banded: at least one colour per band; the greedy reaches it on contiguous bands
    assert len(offsets) <= jac.colors <= (len(offsets) if len(offsets) < 3 else 5)
    m = RNG.standard_normal((n, 3))
    check_problem(lambda x: (a @ x.reshape(n, 3)).ravel(), m.ravel())
    check_problem(lambda x: (x.reshape(3, n) @ a).ravel(), m.ravel())


def test_block_diagonal_batches():
    # a batch of small independent systems: one block per row of x
    w = RNG.standard_normal((4, 4))

    def f(x):
        x = x.reshape(10, 4)
        return (np.tanh(x @ w) * np.sum(x**2, axis=1, keepdims=True)).ravel()

    jac = check_problem(f, RNG.standard_normal(40))
    assert jac.colors == 4
    assert jac.sparsity.nnz == 10 * 16


def test_where_and_max_branches_follow_x():
    def f(x):
        return np.concatenate([np.where(x > 0, x**2, 3.0), np.max(x[:3])[None],
                               np.maximum(x[1:], x[:-1])])

    x = np.array([1.0, -2.0, 3.0, -0.5])
    p = dd.jacobian_sparsity(f)(x)
    check_problem(f, x)
    # where follows x's comparison; the max may be any of x[:3] (its pattern is the sum's)
    assert p[[1]].nnz == 0 and p[[4]].toarray().tolist() == [[True, True, True, False]]
    y = np.array([-1.0, 2.0, -3.0, 0.5])  # other branches: re-detected each call
    jac = dd.sparse_jacobian(f, sparsity="auto-each-call")
    np.testing.assert_allclose(jac(x).toarray(), dd.jacobian(f)(x))
    np.testing.assert_allclose(jac(y).toarray(), dd.jacobian(f)(y))
    stale = dd.sparse_jacobian(f)
    stale(x)
    with pytest.raises(ValueError, match="misses a non-zero"):
        dd.sparse_jacobian(f, sparsity=stale.sparsity, check=True)(y)
    # "auto" saw the comparison x > 0: the pattern is local, so it is detected again
    assert stale.local
    np.testing.assert_allclose(stale(y).toarray(), dd.jacobian(f)(y))
    np.testing.assert_allclose(stale(x).toarray(), dd.jacobian(f)(x))


@pytest.mark.parametrize("name", ["branch", "where", "mask", "argmax", "max", "sort",
                                  "maximum", "plain"])
def test_auto_is_right_at_every_call_when_the_pattern_follows_x(name):
    # a pattern read off decisions on the values (a branch, a comparison, an index from
    # argmax) holds where the same decisions are taken: "auto" detects it again at every
    # call.  max, sort and maximum have patterns that hold at every x (detected once)
    f = {"branch": lambda x: np.diff(x) ** 2 if x[0] > 0 else x[1:] * x[0],
         "where": lambda x: np.where(x > 0.5, x, 0.0),
         "mask": lambda x: np.sum(x[x > 0.5]) * x,
         "argmax": lambda x: x[np.argmax(x)] * x,
         "max": lambda x: np.max(x.reshape(2, 3), axis=1),
         "sort": lambda x: np.sort(x)[:3] * x[:3],
         "maximum": lambda x: np.maximum(x[:-1], x[1:]),
         "plain": lambda x: np.sin(x[1:]) * x[:-1] + np.cumsum(x)[1:]}[name]
    x = np.linspace(0.1, 1.0, 6)
    jac = dd.sparse_jacobian(f)
    hess = dd.sparse_hessian(lambda x: np.sum(f(x) ** 2))
    for point in (x, -x[::-1], x[::-1], np.roll(x, 2) - 0.4):
        np.testing.assert_allclose(jac(point).toarray(), dd.jacobian(f)(point), rtol=1e-14)
        np.testing.assert_allclose(hess(point).toarray(),
                                   dd.hessian(lambda x: np.sum(f(x) ** 2))(point),
                                   rtol=1e-13, atol=1e-14)
    assert jac.local == (name in ("branch", "where", "mask", "argmax"))
    smooth = dd.sparse_hessian(lambda x: np.sum(np.exp(x[1:]) * x[:-1]))
    smooth(x)
    assert not smooth.local  # (its reverse pass reads dtypes and shapes only)


def test_if_statements_and_in_place_updates():
    def f(x):
        y = np.zeros_like(x)
        y[1:] = x[1:] * x[:-1]
        if x[0] > 0:
            y[0] = np.exp(x[-1])
        return np.cumsum(y[::-1])[::-1]

    check_problem(f, np.array([1.0, 2.0, 3.0, 4.0]))
    check_problem(f, np.array([-1.0, 2.0, 3.0, 4.0]))


def test_reductions_and_reshapes():
    def f(x):
        m = x.reshape(4, 5)
        return np.concatenate([m.sum(axis=0), m.T.ravel()[::3], np.mean(m, axis=1),
                               np.floor(m[0]) * 0.0 + m[1]])

    jac = check_problem(f, RNG.standard_normal(20))
    assert jac.sparsity[:5].sum() == 20


def test_reverse_mode_when_rows_need_fewer_colours():
    # few outputs, each depending on a dense row: rows need 1 colour per row, columns many
    def f(x):
        return np.stack([np.sum(x[:10] ** 2), np.sum(np.sin(x[10:]))])

    jac = check_problem(f, RNG.standard_normal(20))
    assert jac.mode == "reverse" and jac.colors == 1


def test_given_pattern_and_bad_shapes():
    f = lambda x: x[1:] * x[:-1]  # noqa: E731
    x = RNG.standard_normal(5)
    pattern = np.eye(4, 5, dtype=bool) | np.eye(4, 5, k=1, dtype=bool)
    for given_pattern in (pattern, sp.csr_array(pattern), sp.coo_matrix(pattern)):
        jac = dd.sparse_jacobian(f, sparsity=given_pattern, check=True)
        np.testing.assert_allclose(jac(x).toarray(), dd.jacobian(f)(x))
        assert jac.colors == 2
    with pytest.raises(ValueError, match=r"\(5, 5\).*\(4, 5\)"):
        dd.sparse_jacobian(f, sparsity=np.eye(5, dtype=bool))(x)
    with pytest.raises(ValueError, match="2-d"):
        dd.sparse_jacobian(f, sparsity=np.ones(3, dtype=bool))(x)
    with pytest.raises(ValueError, match="auto-each-call"):
        dd.sparse_jacobian(f, sparsity="always")
    with pytest.raises(TypeError, match="argnums"):
        dd.sparse_jacobian(f, argnums=2)(x)
    with pytest.raises(TypeError, match="argnums"):
        dd.jacobian_sparsity(f, argnums=(0,))(x)
    with pytest.raises(ValueError, match="misses a non-zero"):
        dd.sparse_jacobian(f, sparsity=np.eye(4, 5, dtype=bool), check=True)(x)


def test_argnums_and_constant_outputs():
    def rhs(t, y, k):
        return k * y * t

    jac = dd.sparse_jacobian(rhs, argnums=1)
    np.testing.assert_allclose(jac(2.0, np.ones(3), 3.0).toarray(), 6.0 * np.eye(3))
    p = dd.jacobian_sparsity(lambda x: np.ones(3))(np.ones(2))
    assert p.shape == (3, 2) and p.nnz == 0
    np.testing.assert_array_equal(dd.sparse_jacobian(lambda x: np.ones(3))(np.ones(2))
                                  .toarray(), np.zeros((3, 2)))
    j = dd.sparse_jacobian(lambda x: np.sum(x))(np.ones(3))
    np.testing.assert_array_equal(j.toarray(), np.ones((1, 3)))


def test_dense_default_for_custom_rules_without_a_pattern():
    a = np.eye(3) + 0.1

    def f(x):
        return np.linalg.solve(a, x[:3]) + x[3]

    p = dd.jacobian_sparsity(f)(RNG.standard_normal(5))
    assert p.toarray().tolist() == [[True] * 4 + [False]] * 3


# --- Hessians --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 10, 50])
def test_rosenbrock_hessian(n):
    x = RNG.uniform(-1, 1, n)
    hess = dd.sparse_hessian(rosenbrock, check=True)
    got = hess(x)
    dense = dd.hessian(rosenbrock)(x)
    np.testing.assert_allclose(got.toarray(), dense, rtol=1e-13, atol=1e-11)
    np.testing.assert_allclose(got.toarray(), rosenbrock_hessian_hand(x).toarray(),
                               rtol=1e-13, atol=1e-11)
    assert hess.colors <= 3
    assert coloring.is_symmetric_coloring(hess.sparsity, hess._colors)
    assert_superset(dd.hessian_sparsity(rosenbrock)(x), dense)


def test_minimal_surface_hessian():
    f = minimal_surface(6)
    x = RNG.standard_normal(36)
    hess = dd.sparse_hessian(f)
    dense = dd.hessian(f)(x)
    np.testing.assert_allclose(hess(x).toarray(), dense, rtol=1e-12, atol=1e-12)
    assert_superset(hess.sparsity, dense)
    assert hess.colors < 36 // 2
    assert coloring.is_symmetric_coloring(hess.sparsity, hess._colors)


def test_hessian_given_pattern_and_extra_arguments():
    f = lambda x, c: c * np.sum(x[1:] * x[:-1])  # noqa: E731
    x = RNG.standard_normal(6)
    tri = np.eye(6, k=1, dtype=bool) | np.eye(6, k=-1, dtype=bool)
    hess = dd.sparse_hessian(f, sparsity=tri, check=True)
    np.testing.assert_allclose(hess(x, 2.0).toarray(), 2.0 * tri)
    with pytest.raises(ValueError, match=r"\(5, 5\) but the Hessian has shape \(6, 6\)"):
        dd.sparse_hessian(f, sparsity=np.eye(5, dtype=bool))(x, 2.0)


def test_import_error_without_scipy():
    code = ("import sys; sys.modules['scipy'] = None; sys.modules['scipy.sparse'] = None\n"
            "import numpy as np, dualdiff as dd\n"
            "try:\n    dd.sparse_jacobian(np.sin)(np.ones(2))\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ("dualdiff's sparse Jacobians and Hessians need SciPy: "
                   "pip install 'dualdiff[sparse]'")


def test_large_reductions_are_traced_without_dense_work():
    # a sum over 10^5 elements: one transpose of the rule, not 10^5 unit tangents
    p = dd.hessian_sparsity(rosenbrock)(np.ones(10**5))
    assert p.nnz == 3 * 10**5 - 2
    q = dd.jacobian_sparsity(lambda x: np.sum(x.reshape(100, 1000) ** 2, axis=1))(
        np.ones(10**5))
    assert q.shape == (100, 10**5) and q.nnz == 10**5
    assert (q[[3]].indices // 1000 == 3).all()


def test_hessian_through_branches_products_and_reductions():
    a = sp.diags_array([np.ones(7), np.ones(8)], offsets=[-1, 0]).toarray()[:, :8]

    def f(x):
        y = np.where(x > 0, x**3, np.sin(x))
        return np.sum(y * x[np.arange(8) - 2]) + np.max(x[:3]) * x[-1] + np.sum((a @ x) ** 2)

    for x in (RNG.standard_normal(8), -np.abs(RNG.standard_normal(8))):
        hess = dd.sparse_hessian(f, check=True)
        dense = dd.hessian(f)(x)
        np.testing.assert_allclose(hess(x).toarray(), dense, rtol=1e-13, atol=1e-13)
        assert_superset(hess.sparsity, dense)
        assert coloring.is_symmetric_coloring(hess.sparsity, hess._colors)


def test_stacked_and_traced_matrix_products():
    w = np.triu(RNG.standard_normal((3, 3)))

    def f(x):
        s = x.reshape(2, 3, 3)
        return np.concatenate([(s @ w).ravel(), (s[0] @ s[1]).ravel(), s[1] @ x[:3]])

    jac = check_problem(f, RNG.standard_normal(18))
    p = jac.sparsity.toarray()
    assert p[:18].sum() == 2 * 3 * 6  # s @ triangular w: 1 + 2 + 3 inputs per row of 3
