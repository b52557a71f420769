"""dd.jit: traced once, replayed as generated code; guards make a stale replay impossible.

Replays compute the same operations as the eager call in the same order, so they agree with
it exactly (``==``), except where the generated code folds ``x + 0`` to ``x`` (which can only
change the sign of a zero); the assertions below use exact equality unless they say why not.
"""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from strategies import expressions

import dualdiff as dd
from dualdiff.staging import TracingError

rng = np.random.default_rng(3)
X = st.one_of(st.just(0.0), st.floats(-3.0, -1e-3), st.floats(1e-3, 3.0))


def same(a, b):
    """Equal as numbers (nan equal to nan), with the same pytree structure and types."""
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            same(u, v)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            same(a[k], b[k])
    else:
        assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))
        np.testing.assert_array_equal(a, b)


def rosen(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


# --- the drivers, staged ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(expr=expressions(max_depth=5), x=X, y=X)
def test_random_expressions_eager_and_jitted_agree(expr, x, y):
    """Every scalar driver on the random-expression generator: jitted == eager, on the traced
    point and on another one (where a guard may send it to a new trace)."""
    note(expr.text)
    drivers = {
        "value": expr.dd,
        "derivative": dd.derivative(expr.dd),
        "second": dd.derivative(dd.derivative(expr.dd)),
        "grad": dd.grad(expr.dd),
        "value_and_grad": dd.value_and_grad(expr.dd),
    }
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in drivers.items():
            staged = dd.jit(fn)
            for point in (x, y, x):
                try:
                    eager = fn(point)
                except (ValueError, ZeroDivisionError, OverflowError) as e:
                    with pytest.raises(type(e)):
                        staged(point)
                    continue
                got = staged(point)
                np.testing.assert_allclose(got, eager, rtol=0, atol=0, equal_nan=True,
                                           err_msg=f"{name} at {point!r}")


def test_gradient_hvp_jacobian_hessian_of_arrays():
    x = rng.standard_normal(7)
    v = rng.standard_normal(7)
    for fn, args in [
        (dd.grad(rosen), (x,)),
        (lambda x, v: dd.hvp(rosen, x, v), (x, v)),
        (dd.jacobian(lambda x: np.tanh(x[:, None] * x) + x**2), (x,)),
        (dd.hessian(rosen), (x,)),
        (dd.value_and_grad(lambda x: np.sum(np.exp(-x**2) * np.sin(x))), (x,)),
        (lambda x: dd.jvp(lambda z: np.log1p(z**2) * np.cos(z), (x,), (v,)), (x,)),
    ]:
        staged = dd.jit(fn)
        same(staged(*args), fn(*args))
        other = tuple(a + 0.25 for a in args)
        same(staged(*other), fn(*other))
        assert staged.variants == 1  # no value-dependent decision in these: one trace


def test_chunked_jacobian_and_matrix_code():
    A = rng.standard_normal((5, 5))
    fn = dd.jacobian(lambda x: np.tanh(A @ x) + x**2, chunk_size=2)
    staged = dd.jit(fn)
    for x in (rng.standard_normal(5), rng.standard_normal(5)):
        same(staged(x), fn(x))
    g = dd.grad(lambda a: np.sum(np.linalg.solve(a + 5 * np.eye(3), np.ones(3))))
    a = rng.standard_normal((3, 3))
    same(dd.jit(g)(a), g(a))


def test_pytrees_and_static_arguments():
    def f(params, x, n):
        w, b = params["w"], params["b"]
        for _ in range(n):
            x = np.tanh(w * x + b)
        return {"loss": np.sum(x**2), "x": (x, [x[0]])}

    staged = dd.jit(f, static_argnums=2)
    params = {"w": rng.standard_normal(3), "b": 0.5}
    x = rng.standard_normal(3)
    same(staged(params, x, 3), f(params, x, 3))
    same(staged(params, x, 4), f(params, x, 4))
    assert staged.variants == 2  # one trace per value of the static argument
    g = dd.jit(dd.grad(lambda p, x: f(p, x, 2)["loss"]))
    same(g(params, x), dd.grad(lambda p, x: f(p, x, 2)["loss"])(params, x)) \
        if _pytree_grads() else None


def _pytree_grads():
    try:
        dd.grad(lambda p: p["b"] * 2.0)({"b": 1.0})
    except (TypeError, ValueError):
        return False
    return True


# --- guards: a replay is never stale --------------------------------------------------------


def test_a_branch_that_flips_is_traced_again():
    def f(x):
        if x > 0:
            return dd.sin(x) * x
        return dd.exp(x)

    staged = dd.jit(dd.derivative(f))
    assert staged(1.0) == dd.derivative(f)(1.0)
    assert staged(-1.0) == dd.derivative(f)(-1.0) == math.exp(-1.0)
    assert staged.variants == 2
    assert staged(2.0) == dd.derivative(f)(2.0)  # the first trace, replayed
    assert staged.variants == 2


def test_a_loop_whose_length_depends_on_the_input():
    def f(x):
        n = 0
        while x < 10.0:
            x = 2.0 * x + dd.sin(x)
            n += 1
        return x

    staged = dd.jit(dd.derivative(f))
    for x in (0.5, 3.0, 0.5, 9.0, 11.0, 0.1):
        assert staged(x) == dd.derivative(f)(x), x


def test_max_and_where_ties_and_masks():
    f = dd.grad(lambda x: np.sum(np.maximum(x, 0.5) + np.where(x > 0, x**2, -x)) + np.max(x))
    staged = dd.jit(f)
    for x in ([0.5, 0.2, -1.0], [0.7, 0.7, 0.1], [-1.0, 2.0, 0.5], [0.5, 0.2, -1.0]):
        x = np.array(x)
        same(staged(x), f(x))


@pytest.mark.parametrize("name", ["sort", "argsort", "partition", "quantile", "median",
                                  "top two"])
def test_orders_are_computed_by_the_replay_not_guarded(name):
    # the adjoint of a sort indexes a constant (the seed times the weights) by the traced
    # inverse permutation: recorded, so a new order of the values is no new trace
    w = np.arange(1.0, 7.0)
    f = {"sort": lambda x: np.sum(w * np.sort(x) ** 2),
         "argsort": lambda x: np.sum(w * x[np.argsort(x)]),
         "partition": lambda x: np.sum(w[:3] * np.partition(x, 2)[:3]),
         "quantile": lambda x: np.quantile(x, 0.3) + np.percentile(x ** 2, 80.0),
         "median": lambda x: np.median(x) * x[0],
         "top two": lambda x: np.sum(np.sort(x)[-2:])}[name]
    staged, hess = dd.jit(dd.grad(f)), dd.jit(dd.hessian(f))
    for _ in range(6):
        x = rng.permutation(6) + rng.uniform(0.0, 0.5, 6)
        same(staged(x), dd.grad(f)(x))
        same(hess(x), dd.hessian(f)(x))
    same(staged(np.ones(6)), dd.grad(f)(np.ones(6)))  # ties share: a path of their own
    ties = 0 if name == "argsort" else 1  # (x[argsort(x)] is an index: ties are no branch)
    assert staged.variants == 1 + ties and hess.variants == 1


def test_sparse_jacobians_and_hessians_stage():
    pytest.importorskip("scipy")
    f = lambda x: np.diff(x) ** 2 * np.sin(x[1:])  # noqa: E731
    jac, hess = dd.sparse_jacobian(f), dd.sparse_hessian(lambda x: np.sum(f(x) * x[:-1]))
    staged_jac, staged_hess = dd.jit(jac), dd.jit(hess)
    for x in (np.linspace(0.1, 1.0, 7), np.linspace(2.0, -1.0, 7)):
        got, want = staged_jac(x), jac(x)
        assert type(got) is type(want) and got.shape == want.shape
        same(got.toarray(), want.toarray())
        same(staged_hess(x).toarray(), hess(x).toarray())
    assert staged_jac.variants == 1 and "csr(" in staged_jac.source(x)
    # the matrix is built by the replay: it can be returned, not used inside
    with pytest.raises(TracingError, match="scipy.sparse matrix can be returned"):
        dd.jit(lambda x: jac(x) @ x)(x)
    # a local pattern (read off x > 0.5): its decisions are guards of the trace, and at -x
    # the pattern is empty (no entry is traced, the matrix is still the replay's)
    g = lambda x: np.where(x > 0.5, x, 0.0) * x[0]  # noqa: E731
    staged = dd.jit(dd.sparse_jacobian(g))
    for x in (np.linspace(0.1, 1.0, 7), -np.linspace(0.1, 1.0, 7), np.linspace(1.0, 0.1, 7)):
        same(staged(x).toarray(), dd.jacobian(g)(x))


def test_abs_at_zero_and_a_python_integer_loop_count():
    def f(x, n):
        for _ in range(n):
            x = abs(x) * 0.5 + 1.0
        return x

    staged = dd.jit(dd.grad(f))
    for x, n in ((0.0, 3), (-1.0, 3), (2.0, 5), (0.0, 3)):
        assert staged(x, n) == dd.grad(f)(x, n), (x, n)


def test_variants_are_cached_and_the_oldest_evicted():
    def f(x):
        if x < 1.0:
            return x
        if x < 2.0:
            return 2.0 * x
        return 3.0 * x

    staged = dd.jit(dd.derivative(f), max_variants=2)
    assert [staged(x) for x in (0.5, 1.5, 2.5)] == [1.0, 2.0, 3.0]
    assert staged.variants == 2
    assert staged(0.5) == 1.0  # evicted, traced again: still right
    assert staged.variants == 2


def test_the_inline_dispatcher_of_arrays_checks_type_shape_and_dtype():
    # after a trace for positional arrays, the public function checks each argument's type,
    # shape and dtype inline and calls that trace; anything else takes the general path
    def f(x, y):
        return dd.sum(x * y) + x[0]

    staged = dd.jit(f)
    x, y = np.arange(3.0), np.array([1.0, -2.0, 0.5])
    assert staged(x, y) == f(x, y)
    assert "_ndarray" in staged.__code__.co_names  # (the dispatcher now)
    general, namespace = [], staged.staged._ns
    call = namespace["_call"]
    namespace["_call"] = lambda args, kwargs: general.append(args) or call(args, kwargs)
    for args in ((x, y), (x[::-1], y), (x + 1.0, y * 3.0)):  # the same signature: no trace
        assert staged(*args) == f(*args)
    assert staged.variants == 1 and not general

    class Sub(np.ndarray):
        pass

    with pytest.raises(TypeError, match="type Sub"):  # (not taken for an ndarray)
        staged(x.view(Sub), y)
    others = [(x.astype(np.float32), y), (np.arange(4.0), np.ones(4)),
              (x, [1.0, -2.0, 0.5]), (x, y.astype(complex)), (np.array([2.0]), np.array([3.0]))]
    for args in others:
        got, want = staged(*args), f(*args)
        assert np.asarray(got).dtype == np.asarray(want).dtype and got == want, args
    assert len(general) == len(others) + 1  # (each took the general path)
    assert staged(x, y) == f(x, y)  # the first signature again (the general path finds it)


def test_changed_globals_and_closures_are_seen():
    scale = [2.0]

    def make():
        c = scale[0]
        return lambda x: c * dd.sin(x)

    f = make()
    staged = dd.jit(f)
    assert staged(1.0) == 2.0 * math.sin(1.0)
    scale[0] = 3.0
    g = make()
    assert dd.jit(g)(1.0) == 3.0 * math.sin(1.0)
    global _FACTOR
    _FACTOR = 2.0
    h = dd.jit(_uses_global)
    assert h(1.0) == 2.0
    _FACTOR = 5.0
    assert h(1.0) == 5.0


_FACTOR = 1.0


def _uses_global(x):
    return _FACTOR * x


# --- the generated code ---------------------------------------------------------------------


def test_source_is_the_evaluation_trace_and_is_deterministic():
    f = lambda x1, x2: dd.log(x1) + x1 * x2 - dd.sin(x2)  # noqa: E731
    df = lambda x1, x2: dd.jvp(f, (x1, x2), (1.0, 0.0))[1]  # noqa: E731
    a, b = dd.jit(df).source(2.0, 5.0), dd.jit(df).source(2.0, 5.0)
    assert a == b
    compile(a, "<test>", "exec")
    assert a.splitlines()[0].startswith("def ") and "w1" not in a.split("\n", 1)[0]
    lines = [ln.strip() for ln in a.splitlines()[1:]]
    assert all(ln.startswith(("w", "return", "if ")) for ln in lines)
    # sin(x2) is not computed for the value alone: the tangent of x2 is zero, and what the
    # derivative needs (1/x1 + x2) is all that is left after dead code is removed
    assert "sin" not in a and "cos" not in a


def test_common_subexpressions_are_computed_once():
    f = dd.jit(lambda x: dd.jvp(lambda z: np.sin(z) * np.sin(z) + np.cos(z), (x,), (x,)))
    src = f.source(np.linspace(0, 1, 4))
    assert src.count("np.sin(") == 1
    assert src.count("np.cos(") == 1  # cos(x) for sin's derivative and for the value


# --- what cannot be staged --------------------------------------------------------------------


def test_float_of_a_traced_value_is_a_clear_type_error():
    staged = dd.jit(lambda x: math.sin(x))
    with pytest.raises(TypeError, match="float\\(\\) of a traced value"):
        staged(1.0)
    with pytest.raises(TracingError):
        staged(1.0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        dd.jit(3.0)
    with pytest.raises(TypeError, match="cannot stage an argument of type str"):
        dd.jit(lambda x: x)("a")
    with pytest.raises(TypeError, match="hashable"):
        dd.jit(lambda x, y: x, static_argnums=1)(1.0, [1.0])
    with pytest.raises(ValueError, match="max_variants"):
        dd.jit(lambda x: x, max_variants=0)
    with pytest.raises(TypeError, match="returned a str"):
        dd.jit(lambda x: "x")(1.0)


def test_jit_under_a_driver_runs_eagerly_and_is_right():
    f = dd.jit(lambda x: dd.sin(x) * x)
    assert dd.derivative(f)(0.5) == dd.derivative(lambda x: dd.sin(x) * x)(0.5)
    x = rng.standard_normal(4)
    same(dd.grad(dd.jit(rosen))(x), dd.grad(rosen)(x))


def test_a_math_domain_error_falls_back_to_numpy_rules():
    f = dd.jit(dd.derivative(lambda x: dd.sqrt(x) + dd.log(x)))
    assert f(1.0) == 1.5
    with np.errstate(all="ignore"):
        assert f(0.0) == dd.derivative(lambda x: dd.sqrt(x) + dd.log(x))(0.0)


SURFACE = {
    "sort": lambda x: np.sum(np.sort(x) * np.arange(x.size)),
    "median": lambda x: np.median(x) + np.percentile(x, 30),
    "einsum": lambda x: np.einsum("i,ij,j->", x, np.outer(x, x), x),
    "solve": lambda x: np.sum(np.linalg.solve(np.eye(x.size) * 3 + np.outer(x, x), x)),
    "eigh": lambda x: np.sum(np.linalg.eigh(np.diag(x) + 0.1 * np.outer(x, x))[0] ** 2),
    "cumsum_where": lambda x: np.sum(np.where(x > 0, np.cumsum(x), x**2)),
    "max_norm": lambda x: np.max(x) + np.linalg.norm(x),
    "roll_pad": lambda x: np.sum(np.roll(x, 2) * np.pad(x, 1)[1:-1]),
    "cov": lambda x: np.sum(np.cov(np.stack([x, x**2]))),
}


@pytest.mark.parametrize("name", sorted(SURFACE))
def test_the_numpy_surface_stages_without_value_guards(name):
    """Gradients through the wider NumPy surface replay exactly, and no value of an array is
    baked into a guard (one trace serves every input of the same shape)."""
    g = dd.grad(SURFACE[name])
    staged = dd.jit(g)
    x = np.random.default_rng(5).standard_normal(6)
    for y in (x, 1.1 * x, x + 0.3):
        same(staged(y), g(y))
    assert staged.variants == 1


def test_scipy_special_functions_stage():
    sp = pytest.importorskip("scipy.special")
    g = dd.grad(lambda x: np.sum(sp.erf(x) * sp.gammaln(x**2 + 1)))
    staged = dd.jit(g)
    x = np.linspace(-1.0, 1.0, 6)
    for y in (x, 0.5 * x):
        same(staged(y), g(y))
    assert staged.variants == 1


def test_temporaries_are_reused_and_inputs_never_written():
    f = lambda x, v: dd.jvp(lambda z: np.sin(z) * np.exp(-z**2) + np.log1p(z**2), (x,), (v,))  # noqa: E731
    staged = dd.jit(f)
    x, v = np.linspace(-1.0, 1.0, 50), np.linspace(0.5, 1.5, 50)
    x0, v0 = x.copy(), v.copy()
    src = staged.source(x, v)
    assert "out=" in src
    for a, b in ((x, v), (2 * x, v), (x, 3 * v)):
        same(staged(a, b), f(a, b))
    assert np.array_equal(x, x0) and np.array_equal(v, v0)
    y1, t1 = staged(x, v)
    y2, t2 = staged(x, v)
    assert y1 is not y2 and t1 is not t2  # each call returns arrays of its own
    assert np.array_equal(t1, t2)


def test_a_constant_result_is_never_shared_between_calls():
    A = np.arange(4.0).reshape(2, 2)
    staged = dd.jit(dd.jacobian(lambda x: A @ x))
    for _ in range(3):
        J = staged(np.ones(2))
        assert np.array_equal(J, A)
        J[0, 0] = 99.0


def _stencil(x):
    # reads overlapping slices, a strided slice and an integer position of a 2-d array
    return np.sum(np.sin(x[1:, :]) * x[:-1, :] ** 2) + np.sum(x[::2, 1:] * x[0, :-1]) + x[1, 2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_sums_of_scattered_adjoints_share_one_buffer(dtype):
    # the adjoint of x[1:] and x[:-1] read together is one zeroed buffer with the terms added
    # in the eager order, not one scattered array per term and a sum of each pair
    x = (rng.standard_normal((5, 4)) + (1j * rng.standard_normal((5, 4))
                                        if dtype is np.complex128 else 0)).astype(dtype)
    f = _stencil if dtype is not np.complex128 else (lambda x: np.real(_stencil(x)))
    grad, hvp = dd.grad(f), (lambda x, v: dd.hvp(f, x, v))
    src = dd.jit(grad).source(x)
    assert "index_add" not in src and "] += " in src
    # one buffer: its start is the constant adjoint of x[1, 2] (copied), every term added in
    assert src.count("np.zeros") + src.count(".copy()") == 1, src
    same(dd.jit(grad)(x), grad(x))
    v = np.ones_like(x)
    same(dd.jit(hvp)(x, v), hvp(x, v))
    same(dd.jit(grad)(2 * x), grad(2 * x))  # a replay, not the first call's values


def test_a_negated_scattered_term_is_subtracted():
    # the gradient of rosen adds -(2 x (100 ...)) into x[:-1]: b[I] -= y, not b[I] += -y;
    # with the first term there, both are one subtraction into the buffer
    x = np.array([np.nan, -0.0, np.inf, 1.5, -2.0, 0.0])
    staged = dd.jit(dd.grad(rosen))
    src = staged.source(x)
    assert re.search(r"np\.subtract\(w\d+, w\d+, out=w\d+\[", src), src
    assert "np.negative" in src  # (the first term still needs its -)
    assert src.count("np.negative") == 1, src
    with np.errstate(all="ignore"):
        for point in (x, rng.standard_normal(6), np.zeros(6)):
            same(staged(point), dd.grad(rosen)(point))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_scattered_terms_of_one_box_are_one_ufunc_into_the_buffer(dtype):
    # hvp of rosen: hv[:-1] = a - b is np.subtract(a, b, out=hv[:-1]), bit for bit the
    # buffer's hv[:-1] = a; hv[:-1] -= b (infinities and nans included)
    x = np.array([np.nan, -0.0, np.inf, 1.5, -2.0, 0.0, -np.inf, 1e-310], dtype)
    v = np.array([1.0, -0.0, 0.0, -1.0, np.inf, 2.0, 0.5, -3.0], dtype)
    hvp = dd.jit(lambda x, v: dd.hvp(rosen, x, v))
    assert re.search(r"np\.(add|subtract)\(w\d+, w\d+, out=w\d+\[", hvp.source(x, v))
    with np.errstate(all="ignore"):
        for point, tangent in ((x, v), (v, x), (np.zeros(8, dtype), -np.zeros(8, dtype)),
                               (rng.standard_normal(8).astype(dtype), v)):
            got, want = hvp(point, tangent), dd.hvp(rosen, point, tangent)
            assert got.dtype == want.dtype
            # (the sign of a nan is left open by IEEE; that of a zero may differ where a
            # fold drops a + 0: see the guide)
            signed = ~np.isnan(want) & (want != 0)
            np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]))
            same(got, want)


def test_a_scattered_term_read_elsewhere_is_not_fused_away():
    # the gradient is returned beside one of its scattered terms, which must stay whole
    def f(x):
        g = dd.grad(lambda x: np.sum(x[1:] ** 2) + np.sum(x[:-1] ** 3))(x)
        return g, dd.grad(lambda x: np.sum(x[1:] ** 2))(x)

    x = np.linspace(0.5, 2.0, 6)
    staged = dd.jit(f)
    same(staged(x), f(x))
    same(staged(x + 1), f(x + 1))


def test_a_factor_of_ones_is_folded_and_other_factors_kept():
    # the adjoint of sum is a constant array of ones times each term: x * ones is x exactly
    # (nan, inf and signed zeros included); a factor that is not all ones stays
    ones, twos = np.ones(4), np.full(4, 2.0)
    x = np.array([np.nan, -0.0, np.inf, 1.5])
    f1, f2 = dd.jit(lambda x: x * ones), dd.jit(lambda x: ones * x * twos)
    assert "c1" not in f1.source(x) and "*" not in f1.source(x)
    same(f1(x), x * ones)
    same(f2(x), ones * x * twos)
    assert f2.source(x).count("*") == 1
    f3 = dd.jit(lambda x: x * np.ones((3, 4)))  # broadcasting to a larger shape: kept
    same(f3(x), x * np.ones((3, 4)))
    f4 = dd.jit(lambda x: x * np.ones(4))  # a float32 input times float64 ones is float64
    same(f4(x.astype(np.float32)), x.astype(np.float32) * np.ones(4))
    assert f4(x.astype(np.float32)).dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True),
       y=st.floats(allow_nan=True, allow_infinity=True))
def test_negations_moved_out_of_products_and_sums_give_the_same_numbers(x, y):
    # (-x) * y is recorded as -(x * y), x + (-y) as x - y, -(-x) as x: exact on reals
    def f(x, y):
        a = (-x) * y + x * np.negative(-y)
        b = x + (-y)
        c = (-x) + y
        return a, b, c, 2.0 * (-(3.0 * (-x)))

    staged = dd.jit(f)
    same(staged(x, y), f(x, y))
    with np.errstate(all="ignore"):  # (inf * 0 and overflow: the same nan and inf either way)
        expected = f(np.array([x, -0.0, 1.5]), np.array([y, 0.0, -2.5]))
    xs, ys = np.array([x, -0.0, 1.5]), np.array([y, 0.0, -2.5])
    same(staged(xs, ys), expected)
    assert "-" not in dd.jit(lambda x: np.negative(-x)).source(1.0).split("\n", 1)[1]


@settings(max_examples=80, deadline=None)
@given(data=st.data(), shape=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_a_scatter_buffer_is_zeroed_exactly_outside_its_first_term(data, shape):
    # np.empty, zeros outside the box the first term covers, the term: np.zeros' values
    from dualdiff.staging.codegen import _outside

    index = []
    for n in shape[:data.draw(st.integers(1, len(shape)))]:
        if data.draw(st.booleans()):
            index.append(data.draw(st.integers(-n, n - 1)))
        else:
            index.append(slice(data.draw(st.none() | st.integers(-n - 1, n + 1)),
                               data.draw(st.none() | st.integers(-n - 1, n + 1))))
    index = tuple(index)
    buffer = np.full(shape, np.nan)
    for slab in _outside(tuple(shape), index):
        buffer[slab] = 0
    buffer[index] = 1.0
    expected = np.zeros(shape)
    expected[index] = 1.0
    same(buffer, expected)
    assert _outside((4,), (slice(None, None, 2),)) is None  # a step: np.zeros instead


def test_a_constant_array_of_one_number_is_a_scalar_factor():
    # x * full(100.0) is x * 100.0 element by element: the array is not read on replay
    x = np.array([np.nan, -0.0, np.inf, 1.5, -2.0])
    for c in (np.full(5, 100.0), np.full(5, -0.0), np.full(5, np.nan), np.full(5, 3)):
        staged = dd.jit(lambda x, c=c: x * c)
        # (a finite number is written into the code; nan is a named constant, a scalar)
        assert ("c1" in staged.source(x)) == bool(np.isnan(c[0])), staged.source(x)
        same(staged(x), x * c)
        same(staged(x[::-1].copy()), x[::-1] * c)
    x32 = x.astype(np.float32)
    staged = dd.jit(lambda x: x * np.full(5, 2.5, np.float32))
    assert staged(x32).dtype == np.float32
    same(staged(x32), x32 * np.full(5, 2.5, np.float32))
    mixed = np.array([0.0, -0.0, 0.0, 0.0, 0.0])  # equal as numbers, not bit for bit: kept
    staged = dd.jit(lambda x: x * mixed)
    assert "c1" in staged.source(x)
    same(staged(x), x * mixed)
    wider = np.full((3, 5), 2.0)  # broadcasting to a larger shape: kept
    staged = dd.jit(lambda x: x * wider)
    same(staged(x), x * wider)


@settings(max_examples=60, deadline=None)
@given(y=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
       c=st.sampled_from([1.0, -1.0, 100.0, -3.5, 1e300, 0.5, 0.1, -0.75]),
       p=st.sampled_from([2.0, 4.0, 3.0]))
def test_a_power_of_two_factor_merges_into_a_constant_exactly(y, c, p):
    # (p * y) * c is y * (p * c) for p a power of two and |c| >= 1: the same number always
    # (overflow and subnormals included); otherwise the two products stay
    ys = np.array([y, 1e308, -1e308, 5e-324, -0.0, 2.5])
    f = dd.jit(lambda y: (p * y) * c)
    with np.errstate(all="ignore"):
        same(f(ys), (p * ys) * c)
        same(dd.jit(lambda y: (p * y) * c)(y), (p * y) * c)
    merged = p in (2.0, 4.0) and abs(c) >= 1.0 and np.isfinite(p * c)
    products = [line for line in f.source(ys).splitlines() if "*" in line or "multiply" in line]
    assert (len(products) == 1) == merged, f.source(ys)
