"""Pytrees: the flatten/unflatten module, ravel_pytree, structure errors, and the property that
every driver on a random pytree equals the same driver on the flattened vector."""

from collections import OrderedDict, namedtuple

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.pytree import StructureError, flatten, paths, tree_map, unflatten

# --- the module -----------------------------------------------------------------------------

Point = namedtuple("Point", "x y")


def test_flatten_order_and_round_trip():
    tree = {"b": (1.0, [2.0, None]), "a": np.ones(2), "c": Point(3.0, {"z": 4.0})}
    leaves, treedef = flatten(tree)
    assert leaves[0] is tree["a"]
    assert leaves[1:] == [1.0, 2.0, 3.0, 4.0]
    back = unflatten(treedef, leaves)
    assert list(back) == ["a", "b", "c"]
    assert back["b"] == (1.0, [2.0, None]) and isinstance(back["b"][1], list)
    assert isinstance(back["c"], Point) and back["c"].y == {"z": 4.0}
    assert treedef.num_leaves == 5


def test_dicts_of_one_key_set_have_one_structure_whatever_the_order():
    assert flatten({"a": 1.0, "b": 2.0})[1] == flatten({"b": 5.0, "a": 6.0})[1]
    assert flatten({"a": 1.0, "b": 2.0})[0] == [1.0, 2.0]
    assert flatten((1.0, 2.0))[1] != flatten([1.0, 2.0])[1]
    od = unflatten(flatten(OrderedDict(b=1.0, a=2.0))[1], [7.0, 8.0])
    assert isinstance(od, OrderedDict) and od == {"a": 7.0, "b": 8.0}


def test_none_is_a_node_without_leaves():
    leaves, treedef = flatten((None, 1.0))
    assert leaves == [1.0]
    assert unflatten(treedef, [2.0]) == (None, 2.0)


def test_wrong_number_of_leaves():
    treedef = flatten((1.0, 2.0))[1]
    with pytest.raises(ValueError, match="too many"):
        unflatten(treedef, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="too few"):
        unflatten(treedef, [1.0])


def test_paths_and_tree_map():
    treedef = flatten((1.0, {"b": 2.0, "a": [3.0]}))[1]
    assert paths(treedef, "x") == ["x[0]", "x[1]['a'][0]", "x[1]['b']"]
    assert tree_map(lambda v: v * 2, (1.0, {"b": 2.0})) == (2.0, {"b": 4.0})
    assert tree_map(lambda v: v * 2, 3.0) == 6.0


def test_ravel_pytree_round_trip_keeps_shapes_and_dtypes():
    tree = {"w": np.arange(6.0).reshape(2, 3), "b": 0.5, "s": np.float32([1.0, 2.0]), "n": None}
    flat, unravel = dd.ravel_pytree(tree)
    assert flat.shape == (9,) and flat.dtype == np.float64
    back = unravel(flat)
    assert isinstance(back["b"], float) and back["b"] == 0.5
    assert back["n"] is None
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert back["s"].dtype == np.float32
    with pytest.raises(ValueError, match=r"shape \(9,\)"):
        unravel(np.ones(8))
    assert dd.ravel_pytree(())[0].shape == (0,)


def test_unravel_takes_duals_and_tape_values():
    tree = {"w": np.array([1.0, 2.0]), "b": 3.0}
    flat, unravel = dd.ravel_pytree(tree)
    loss = lambda p: np.sum(p["w"] ** 2) * p["b"]
    g = dd.grad(lambda v: loss(unravel(v)))(flat)
    np.testing.assert_allclose(g, [5.0, 6.0, 12.0])  # flat order: b, w[0], w[1]
    np.testing.assert_allclose(dd.ravel_pytree(dd.grad(loss)(tree))[0], g, rtol=1e-15)


# --- structure errors name the path ----------------------------------------------------------


def test_tangent_leaf_of_the_wrong_shape_names_its_path():
    f = lambda a, p: a * np.sum(p["b"])
    with pytest.raises(ValueError, match=r"tangents\[1\]\['b'\]: shape \(3,\) does not match "
                                         r"\(2,\)"):
        dd.jvp(f, (1.0, {"b": np.ones(2)}), (1.0, {"b": np.ones(3)}))


def test_a_dict_tangent_for_a_tuple_primal():
    with pytest.raises(ValueError, match=r"tangents\[0\]: structure \{'a': \*\} does not match "
                                         r"\(\*, \*\)"):
        dd.jvp(lambda t: t[0], ((1.0, 2.0),), ({"a": 1.0},))
    # also a TypeError, as in JAX
    assert issubclass(StructureError, TypeError)


def test_cotangent_and_hvp_vector_mismatches_name_their_paths():
    _, pullback = dd.vjp(lambda x: {"y": x * 2, "z": (x, x)}, np.ones(2))
    with pytest.raises(ValueError, match=r"cotangent\['z'\]\[1\]: shape \(3,\) does not match"):
        pullback({"y": np.ones(2), "z": (np.ones(2), np.ones(3))})
    with pytest.raises(ValueError, match=r"cotangent: structure"):
        pullback({"y": np.ones(2)})
    with pytest.raises(ValueError, match=r"v\['b'\]: shape \(2, 3\) does not match \(\)"):
        dd.hvp(lambda p: p["a"] * p["b"], {"a": 1.0, "b": 2.0},
               {"a": 1.0, "b": np.ones((2, 3))})
    with pytest.raises(ValueError, match="batch"):
        dd.hvp(lambda p: p["a"] * p["b"], {"a": 1.0, "b": 2.0},
               {"a": np.ones(2), "b": np.ones(3)})


def test_a_non_numeric_leaf_names_its_path():
    with pytest.raises(TypeError, match=r"argument 0\['b'\]\[1\]"):
        dd.grad(lambda p: p["a"])({"a": 1.0, "b": (1.0, "x")})
    with pytest.raises(TypeError, match=r"primals\[0\]\[1\]"):
        dd.jvp(lambda t: t[0], ((1.0, "x"),), ((1.0, 1.0),))


def test_a_tuple_of_same_shaped_arrays_is_never_stacked():
    x = (np.ones(2), np.full(2, 2.0))
    g = dd.grad(lambda t: np.sum(t[0] * t[1]))(x)
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_array_equal(g[0], x[1])
    y, t = dd.jvp(lambda t: [t[0], t[1] * 2], (x,), (x,))
    assert isinstance(y, list) and isinstance(t, list)


def test_jacobian_of_a_dict_output_wrt_a_tuple_input_is_a_dict_of_tuples():
    f = lambda t: {"s": t[0] * t[1], "v": t[0] ** 2}
    x = (np.array([1.0, 2.0]), 3.0)
    for jac in (dd.jacobian, dd.jacrev):
        J = jac(f)(x)
        assert set(J) == {"s", "v"} and isinstance(J["s"], tuple)
        np.testing.assert_array_equal(J["s"][0], np.diag([3.0, 3.0]))
        np.testing.assert_array_equal(J["s"][1], [1.0, 2.0])
        np.testing.assert_array_equal(J["v"][0], np.diag([2.0, 4.0]))
        np.testing.assert_array_equal(J["v"][1], [0.0, 0.0])
        assert J["s"][0].shape == (2, 2) and J["s"][1].shape == (2,)


def test_a_list_output_gives_a_list_of_rows_scipy_can_stack():
    f = lambda x: [x[0] * x[1], dd.sin(x[0])]
    J = dd.jacobian(f)(np.array([1.0, 2.0]))
    assert isinstance(J, list)
    np.testing.assert_allclose(np.asarray(J), [[2.0, 1.0], [np.cos(1.0), 0.0]], rtol=1e-15)


# --- every driver on random pytrees equals the driver on the flat vector ---------------------

_leaf = st.one_of(
    st.floats(-2.0, 2.0),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
               elements=st.floats(-2.0, 2.0)),
)
_tree = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.lists(inner, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from("abcd"), inner, min_size=1, max_size=3),
        st.tuples(inner, st.none()),
    ),
    max_leaves=5,
)


def _vec(tree):
    """The leaves of a tree of Duals, tape values or arrays as one vector."""
    leaves = flatten(tree)[0]
    return dd.concatenate([dd.reshape(x, (-1,)) for x in leaves])


A = np.random.default_rng(1).standard_normal((64, 64)) / 6


def F(v):
    """A vector function of a vector (its output half as long, rounded up)."""
    n = v.shape[0]
    return np.sin(v[: (n + 1) // 2]) * np.sum(v**2) + A[: (n + 1) // 2, :n] @ np.tanh(v)


def L(v):
    return np.sum(np.cos(v) * v) + np.sum(v) ** 2 + v @ (A[: v.shape[0], : v.shape[0]] @ v)


def _matrix(J, out_tree, in_tree):
    """A Jacobian tree (output tree of input trees) as one 2-d array."""
    out_leaves, in_leaves = flatten(out_tree)[0], flatten(in_tree)[0]
    blocks = flatten(J)[0]
    k = len(in_leaves)
    rows = []
    for i, o in enumerate(out_leaves):
        rows.append([np.reshape(blocks[i * k + j], (np.size(o), np.size(x)))
                     for j, x in enumerate(in_leaves)])
    return np.block(rows)


def _flat(tree):
    return dd.ravel_pytree(tree)[0]


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@given(_tree, st.integers(0, 2**32 - 1))
def test_drivers_on_trees_equal_drivers_on_the_flat_vector(tree, seed):
    rng = np.random.default_rng(seed)
    v, unravel = dd.ravel_pytree(tree)
    n = v.size
    u = rng.standard_normal(n)
    f, l = (lambda t: F(_vec(t))), (lambda t: L(_vec(t)))

    # jvp, with one direction and with a batch of three
    y, t = dd.jvp(f, (tree,), (unravel(u),))
    _close(t, dd.jvp(F, (v,), (u,))[1])
    U = rng.standard_normal((3, n))
    batched = [unravel(row) for row in U]
    tangent = unflatten(flatten(tree)[1], [np.stack(parts) for parts in
                                            zip(*(flatten(b)[0] for b in batched))])
    _close(dd.jvp(f, (tree,), (tangent,))[1], dd.jvp(F, (v,), (U,))[1])

    # grad and value_and_grad: the gradient has the tree's structure
    g = dd.grad(l)(tree)
    assert flatten(g)[1] == flatten(tree)[1]
    _close(_flat(g), dd.grad(L)(v))
    value, g2 = dd.value_and_grad(l)(tree)
    assert value == pytest.approx(L(v), rel=1e-13)
    _close(_flat(g2), _flat(g))

    # vjp of an output that is itself a tree (the input's structure, sliced)
    m = (n + 1) // 2
    out_tree = lambda t: unravel(dd.concatenate([F(_vec(t)), _vec(t)[m:]]))
    _, pullback = dd.vjp(out_tree, tree)
    w = rng.standard_normal(n)
    Fw = lambda x: dd.concatenate([F(x), x[m:]])
    _close(_flat(pullback(unravel(w))), dd.vjp(Fw, v)[1](w))

    # Jacobians: forward, reverse, auto; one leaf out, a tree in
    J = dd.jacobian(F)(v)
    _close(_matrix(dd.jacobian(f)(tree), y, tree), J)
    _close(_matrix(dd.jacrev(f)(tree), y, tree), J)
    _close(_matrix(dd.jacobian(f, mode="auto")(tree), y, tree), J)
    _close(_matrix(dd.jacobian(f, chunk_size=2)(tree), y, tree), J)
    _close(_matrix(dd.jacrev(f, chunk_size=2)(tree), y, tree), J)

    # a tree out and a tree in
    Jw = dd.jacobian(Fw)(v)
    _close(_matrix(dd.jacobian(out_tree)(tree), tree, tree), Jw)
    _close(_matrix(dd.jacrev(out_tree)(tree), tree, tree), Jw)

    # second order
    H = dd.hessian(L)(v)
    _close(_matrix(dd.hessian(l)(tree), tree, tree), H)
    _close(_flat(dd.hvp(l, tree, unravel(u))), H @ u)
    hv = dd.hvp(l, tree, tangent)
    _close(np.concatenate([np.reshape(x, (3, -1)) for x in flatten(hv)[0]], axis=1), U @ H)

    # check_grads takes the tree too
    dd.check_grads(f, tree, order=2)
