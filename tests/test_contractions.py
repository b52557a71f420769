"""einsum (one primitive) and the products written with it: tensordot, vdot, inner and dot of
any rank, kron, cross.  Values against NumPy; every mode through dd.check_rule."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.core import new_level
from dualdiff.dual import new_dual
from dualdiff.rules import einsum_p

RNG = np.random.default_rng(20)


def r(*s):
    return RNG.standard_normal(s)


def value(f, *args):
    return dd.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


def c(*s):
    return RNG.standard_normal(s) + 1j * RNG.standard_normal(s)


EINSUMS = [
    ("ij,jk->ik", (3, 4), (4, 2)),
    ("ij,jk", (3, 4), (4, 2)),                      # implicit output
    ("...ij,...jk->...ik", (2, 3, 4), (4, 2)),      # ellipsis, broadcast stacks
    ("...ij,...jk", (5, 1, 3, 4), (2, 4, 3)),       # implicit output with ellipsis
    ("ii->i", (3, 3)),                              # diagonal
    ("ii", (3, 3)),                                 # trace
    ("iij->ji", (2, 2, 3)),                         # diagonal inside a tensor
    ("ij->", (2, 3)),                               # full sum
    ("ij->j", (2, 3)),
    ("i,j->ij", (3,), (2,)),                        # outer
    ("ij,ij->ij", (1, 3), (2, 3)),                  # a length-1 axis broadcast
    ("bA,Ab", (2, 3), (3, 2)),                      # upper-case labels, implicit order
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),       # three operands
    ("i,i,i,i->", (3,), (3,), (3,), (3,)),          # four
    (",ij->ij", (), (2, 3)),                        # a 0-d operand
    ("ji", (2, 3)),                                 # a transpose
]


@pytest.mark.parametrize("spec", EINSUMS, ids=[s[0] for s in EINSUMS])
def test_einsum_values_and_every_mode(spec):
    subs, *shapes = spec
    ops = [r(*s) if s else float(r(1)[0]) for s in shapes]
    f = lambda *xs: np.einsum(subs, *xs)  # noqa: E731
    y = dd.jvp(f, tuple(ops), tuple(np.zeros_like(np.asarray(o)) for o in ops))[0]
    np.testing.assert_allclose(y, np.einsum(subs, *ops), rtol=1e-13)
    dd.check_rule(f, *ops)


def test_einsum_complex_operands_use_no_conjugate():
    a, b = c(3, 4), c(4, 2)
    dd.check_rule(lambda a, b: np.einsum("ij,jk->ik", a, b), a, b)
    # a real operand against a complex one: its adjoint is real (JAX's rule)
    x = r(3, 4)
    g = dd.grad(lambda x: np.real(np.sum(np.einsum("ij,jk->ik", x, b))))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.real(np.broadcast_to(b.sum(1), (3, 4))), rtol=1e-14)


def test_einsum_optimize_and_sublist_form():
    a, b, d = r(2, 3), r(3, 4), r(4, 2)
    for opt in (False, True, "greedy", "optimal"):
        got = dd.jvp(lambda a, opt=opt: np.einsum("ij,jk,kl->il", a, b, d, optimize=opt),
                     (a,), (a,))
        np.testing.assert_allclose(got[1], a @ b @ d, rtol=1e-13)
    f = lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2])  # noqa: E731
    np.testing.assert_allclose(dd.jvp(f, (a, b), (a, b))[1], 2 * a @ b, rtol=1e-13)
    dd.check_rule(f, a, b)
    dd.check_rule(lambda a: np.einsum(a, [Ellipsis, 0], [Ellipsis]), r(2, 3))


def test_einsum_gradient_closed_form():
    a, b = r(3, 4), r(4, 3)
    ga, gb = dd.grad(lambda a, b: np.einsum("ij,ji", a, b), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, b.T, rtol=1e-15)
    np.testing.assert_allclose(gb, a.T, rtol=1e-15)
    g = dd.grad(lambda a: np.einsum("ii", a))(r(3, 3))
    np.testing.assert_array_equal(g, np.eye(3))


def test_einsum_float32_keeps_its_dtype():
    # the drivers' own promotion of float32 inputs is not this rule's business: the rule is
    # checked on float32 Duals and a float32 cotangent directly
    a = r(3, 3).astype(np.float32)
    out = np.einsum("ij,jk", new_dual(a, a, new_level()), a)
    assert out.primal.dtype == out.tangent.dtype == np.float32
    ga, gb = einsum_p.vjp(a, [a, a], a @ a, [True, True], subscripts="ij,jk->ik")
    assert ga.dtype == gb.dtype == np.float32
    np.testing.assert_allclose(ga, a @ a.T, rtol=1e-6)


def test_einsum_errors():
    d = dd.Dual(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="do not broadcast"):
        np.einsum("ij,ij->ij", d, np.ones((3, 3)))
    with pytest.raises(ValueError, match="operand"):
        np.einsum("ij,jk->ik", d)
    with pytest.raises(ValueError, match="not in any operand"):
        np.einsum("ij->k", d)
    with pytest.raises(ValueError, match="invalid subscript"):
        np.einsum("i1->i", d)
    with pytest.raises(TypeError, match="dtype"):
        np.einsum("ij->", d, dtype=np.float32)


@pytest.mark.parametrize("axes, sa, sb", [
    (2, (2, 3, 4), (3, 4, 5)),
    (1, (3, 4), (4,)),
    (0, (2,), (3,)),
    (([0, 2], [1, 0]), (2, 3, 4), (4, 2, 5)),
    ((1, 0), (3, 4), (4, 2)),
])
def test_tensordot(axes, sa, sb):
    a, b = r(*sa), r(*sb)
    f = lambda a, b: np.tensordot(a, b, axes=axes)  # noqa: E731
    np.testing.assert_allclose(dd.jvp(f, (a, b), (a, b))[0], np.tensordot(a, b, axes), rtol=1e-13)
    dd.check_rule(f, a, b)
    if axes != 0:
        with pytest.raises(ValueError):
            np.tensordot(dd.Dual(a, a), np.ones((7, 7, 7)), axes=axes)


def test_vdot_conjugates_its_first_argument():
    a, b = c(2, 3), c(6)
    np.testing.assert_allclose(dd.jvp(np.vdot, (a, b), (a, b))[0], np.vdot(a, b), rtol=1e-14)
    dd.check_rule(np.vdot, a, b)
    dd.check_rule(np.vdot, r(2, 3), r(3, 2))


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), (4, 3)),
    ((2, 3, 4), (5, 4)), ((4,), (2, 3, 4)), ((2, 2, 3), (2, 2, 3)), ((), (2, 3)),
])
def test_inner_of_any_rank(sa, sb):
    a, b = (r(*sa) if sa else 1.5), r(*sb)
    got = dd.jvp(np.inner, (a, b), (a, b))[0]
    np.testing.assert_allclose(got, np.inner(a, b), rtol=1e-13)
    dd.check_rule(np.inner, a, b)


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)),
    ((2, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)), ((2, 3), (5, 3, 2)), ((), (2, 3)),
])
def test_dot_of_any_rank(sa, sb):
    a, b = (r(*sa) if sa else 1.5), r(*sb)
    got = dd.jvp(np.dot, (a, b), (a, b))[0]
    np.testing.assert_allclose(got, np.dot(a, b), rtol=1e-13)
    dd.check_rule(np.dot, a, b)


def test_dot_shape_mismatch_is_numpys_error():
    with pytest.raises(ValueError, match="not aligned"):
        np.dot(dd.Dual(r(2, 3, 4), r(2, 3, 4)), r(5, 3, 2))


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 2)), ((3,), (2,)), ((2,), (2, 3)),
                                    ((2, 1, 2), (3, 2))])
def test_kron(sa, sb):
    a, b = r(*sa), r(*sb)
    np.testing.assert_allclose(dd.jvp(np.kron, (a, b), (a, b))[0], np.kron(a, b), rtol=1e-14)
    dd.check_rule(np.kron, a, b)


@pytest.mark.parametrize("sa, sb, kw", [
    ((3,), (3,), {}), ((4, 3), (3,), {}), ((2, 1, 3), (4, 3), {}),
    ((3, 4), (3, 4), {"axisa": 0, "axisb": 0, "axisc": 0}),
    ((3, 4), (4, 3), {"axisa": 0, "axisc": 0}),
    ((4, 3), (4, 3), {"axis": 1}),
])
def test_cross(sa, sb, kw):
    a, b = r(*sa), r(*sb)
    f = lambda a, b: np.cross(a, b, **kw)  # noqa: E731
    np.testing.assert_allclose(dd.jvp(f, (a, b), (a, b))[0], np.cross(a, b, **kw), rtol=1e-14)
    dd.check_rule(f, a, b)


@pytest.mark.filterwarnings("ignore:.*2-dimensional vectors.*:DeprecationWarning")
def test_cross_of_two_vectors():
    for sa, sb in (((2,), (2,)), ((4, 2), (3,)), ((3,), (4, 2))):
        a, b = r(*sa), r(*sb)
        with np.errstate(all="ignore"):
            expected = np.cross(a, b)
        np.testing.assert_allclose(dd.jvp(np.cross, (a, b), (a, b))[0], expected, rtol=1e-14)
        dd.check_rule(np.cross, a, b)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        np.cross(dd.Dual(r(4), r(4)), r(4))


# --- random contractions ----------------------------------------------------------------


@st.composite
def contractions(draw):
    """Random einsum calls: 1-3 operands over the labels a-d (repeats allowed: diagonals),
    lengths 1-3 (so length-1 axes broadcast), with ``...`` and an implicit or explicit output."""
    size = {c: draw(st.integers(1, 3)) for c in "abcd"}
    use_ell = draw(st.booleans())
    ell = draw(st.lists(st.integers(1, 2), max_size=2)) if use_ell else []
    subs, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from("abcd"), max_size=3))
        text, shape = "".join(labels), [size[c] for c in labels]
        if use_ell:
            k = draw(st.integers(0, len(ell)))
            own = [draw(st.sampled_from([1, n])) for n in ell[len(ell) - k:]]
            text, shape = "..." + text, own + shape
        subs.append(text)
        shapes.append(tuple(shape))
    used = sorted(set("".join(subs)) - {"."})
    if draw(st.booleans()):
        out = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        spec = ",".join(subs) + "->" + ("..." if use_ell else "") + out
    else:
        spec = ",".join(subs)
    return spec, shapes


@settings(max_examples=40, deadline=None)
@given(contractions(), st.integers(0, 2**32 - 1))
def test_random_einsum_against_numpy_and_every_mode(case, seed):
    spec, shapes = case
    rng = np.random.default_rng(seed)
    ops = [rng.standard_normal(s) for s in shapes]
    f = lambda *xs: np.einsum(spec, *xs)  # noqa: E731
    np.testing.assert_allclose(value(f, *ops), np.einsum(spec, *ops), rtol=1e-12, atol=1e-14)
    dd.check_rule(f, *ops, order=1)


@st.composite
def matmul_shapes(draw):
    """Two operands of ``matmul``: vectors or stacks of matrices with broadcasting stacks."""
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    stack = draw(st.lists(st.integers(1, 3), max_size=2))

    def operand(core):
        if draw(st.booleans()):
            return (k,)
        lead = stack[len(stack) - draw(st.integers(0, len(stack))):]
        return tuple(draw(st.sampled_from([1, s])) for s in lead) + core

    return operand((m, k)), operand((k, n))


@settings(max_examples=40, deadline=None)
@given(matmul_shapes(), st.integers(0, 2**32 - 1))
def test_random_matmul_broadcasting_and_every_mode(shapes, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(value(np.matmul, a, b), a @ b, rtol=1e-13)
    dd.check_rule(np.matmul, a, b, order=1)
