"""NumPy's own functions and ufuncs on Duals (API.md, section Numbers): each listed function
returns a Dual, and its derivative (forward by ``dd.jvp`` and ``dd.jacobian`` with plain and
batched tangents, reverse by ``dd.vjp`` and ``dd.grad``) matches an independent reference.

References: the complex step ``Im f(x + i h e_j) / h`` (h = 1e-30, no subtractive
cancellation, so exact to rounding) of the plain NumPy function for the analytic ones, and
hand-written Jacobians for the piecewise ones (where, clip, maximum, minimum, norm).

Tolerance: ``|got - ref| <= 1e-12 * scale`` with ``scale`` the size of the terms that are
summed (``|J| |u|`` for ``J u``), so cancellation between terms cannot fail a correct result
and a formula off by more than a few ulps of its terms cannot pass.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import Dual

RTOL = 1e-12
H = 1e-30

_rng = np.random.default_rng(314159)
A3 = _rng.standard_normal((3, 3)) + 4 * np.eye(3)  # well conditioned
B32 = _rng.standard_normal((3, 2))
M43 = _rng.standard_normal((4, 3))
C6 = _rng.standard_normal(6)


def assert_close(got, ref, scale=None, rtol=RTOL, what=""):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    if scale is None:
        scale = np.abs(ref)
    scale = np.maximum(np.broadcast_to(scale, ref.shape), np.abs(ref))
    err = np.abs(got - ref)
    bad = ~((got == ref) | (err <= rtol * scale))
    assert not bad.any(), (
        f"{what}: {bad.sum()} element(s) off, max error {err[bad].max():.3g} "
        f"(scale {scale[bad].max():.3g})\n got {got[bad]}\n ref {ref[bad]}"
    )


def complex_step_jacobian(f, x):
    """``J[..., j] = Im f(x + i h e_j) / h`` of the plain NumPy function, shape f + x."""
    n = x.size
    cols = []
    for j in range(n):
        xc = x.astype(complex).ravel()
        xc[j] += 1j * H
        cols.append(np.imag(np.asarray(f(xc.reshape(x.shape)))) / H)
    out_shape = np.shape(f(x))
    return np.stack(cols, axis=-1).reshape(out_shape + x.shape)


def _jflat(j, x):
    return j.reshape(-1, x.size)


# --- the cases: name -> (f, x0, reference Jacobian or None for the complex step) ----------

X6 = np.array([0.7, -1.3, 2.1, 0.4, -0.2, 1.6])
X23 = X6.reshape(2, 3)
X234 = np.linspace(-1.0, 1.5, 24).reshape(2, 3, 4) + 0.05


def _diag(v):
    return np.diag(np.asarray(v, dtype=float))


def _row_norm_jacobian(x):
    j = np.zeros(x.shape[:1] + x.shape)
    for i in range(x.shape[0]):
        j[i, i] = x[i] / math.sqrt(np.sum(x[i] ** 2))
    return j


ANALYTIC = {
    # name: (f, x0, Jacobian)
    "where": (lambda x: np.where(x > 0.5, x**2, 3.0 * x), X6,
              _diag(np.where(X6 > 0.5, 2 * X6, 3.0))),
    "where_plain_branch": (lambda x: np.where(X6 > 0.0, x * x, C6), X6,
                           _diag(np.where(X6 > 0.0, 2 * X6, 0.0))),
    "clip": (lambda x: np.clip(x, -0.5, 1.0), X6,
             _diag((X6 > -0.5) & (X6 < 1.0))),
    "clip_upper_only": (lambda x: np.clip(x, None, 1.0), X6, _diag(X6 < 1.0)),
    "maximum_const": (lambda x: np.maximum(x, 0.5), X6, _diag(X6 > 0.5)),
    "maximum_const_first": (lambda x: np.maximum(0.5, x), X6, _diag(X6 > 0.5)),
    "minimum_const": (lambda x: np.minimum(x, 0.5), X6, _diag(X6 < 0.5)),
    "maximum_two": (lambda x: np.maximum(x[:3], x[3:]), X6,
                    np.hstack([_diag(X6[:3] > X6[3:]), _diag(X6[3:] > X6[:3])])),
    "minimum_two": (lambda x: np.minimum(x[:3], x[3:]), X6,
                    np.hstack([_diag(X6[:3] < X6[3:]), _diag(X6[3:] < X6[:3])])),
    "norm": (lambda x: np.linalg.norm(x), X6, X6 / math.sqrt(np.sum(X6**2))),
    "norm_ord1": (lambda x: np.linalg.norm(x, ord=1), X6, np.sign(X6)),
    "norm_ordinf": (lambda x: np.linalg.norm(x, ord=np.inf), X6,
                    np.eye(6)[np.argmax(np.abs(X6))] * np.sign(X6[np.argmax(np.abs(X6))])),
    "norm_axis1": (lambda x: np.linalg.norm(x, axis=1), X23, _row_norm_jacobian(X23)),
    "abs": (lambda x: np.abs(x), X6, _diag(np.sign(X6))),
}

COMPLEX_STEP = {
    # name: (f, x0); the reference is the complex step of f on plain arrays
    "sum": (lambda x: np.sum(x), X23),
    "sum_axis0": (lambda x: np.sum(x, axis=0), X23),
    "sum_axis1_keepdims": (lambda x: np.sum(x, axis=1, keepdims=True), X23),
    "sum_axis_tuple": (lambda x: np.sum(x, axis=(0, 2)), X234),
    "sum_negative_axis": (lambda x: np.sum(x**2, axis=-1), X234),
    "mean": (lambda x: np.mean(x), X23),
    "mean_axis0": (lambda x: np.mean(x * x, axis=0), X23),
    "mean_axis1_keepdims": (lambda x: np.mean(x, axis=1, keepdims=True), X234),
    "prod": (lambda x: np.prod(x), X6),
    "prod_2d": (lambda x: np.prod(x), X23),
    "prod_axis0": (lambda x: np.prod(x, axis=0), X23),
    "prod_axis1_keepdims": (lambda x: np.prod(x, axis=1, keepdims=True), X234),
    "prod_odd_length": (lambda x: np.prod(x[:5]), X6),
    "dot_vec_vec": (lambda x: np.dot(x, C6), X6),
    "dot_self": (lambda x: np.dot(x, x), X6),
    "dot_mat_vec": (lambda x: np.dot(M43, x[:3]), X6),
    "dot_plain_first_vec": (lambda x: np.dot(C6, x), X6),
    "dot_mat_mat": (lambda x: np.dot(x, B32), X23),
    "dot_scalar": (lambda x: np.dot(2.5, x), X6),
    "matmul": (lambda x: x @ B32, X23),
    "matmul_plain_first": (lambda x: M43 @ x.T, X23),
    "matmul_self": (lambda x: np.matmul(x, x.T), X23),
    "matmul_vec": (lambda x: x[:3] @ x[3:], X6),
    "matmul_batched_stack": (lambda x: x @ np.ones((4, 2)), X234),
    "transpose": (lambda x: np.transpose(x), X23),
    "transpose_axes": (lambda x: np.transpose(x, (2, 0, 1)), X234),
    "T": (lambda x: x.T * np.arange(6.0).reshape(3, 2), X23),
    "reshape": (lambda x: np.reshape(x, (3, 2)) * np.arange(6.0).reshape(3, 2), X23),
    "reshape_minus1": (lambda x: np.reshape(x, (-1, 4)), X234),
    "ravel": (lambda x: np.ravel(x) * np.arange(24.0), X234),
    "concatenate": (lambda x: np.concatenate([x[:2], C6, x[2:] ** 2]), X6),
    "concatenate_axis1": (lambda x: np.concatenate([x, np.ones((2, 1)), x * x], axis=1), X23),
    "concatenate_plain_first": (lambda x: np.concatenate([C6[:2], x]), X6),
    "stack": (lambda x: np.stack([x, C6, x**2]), X6),
    "stack_axis1": (lambda x: np.stack([x, x * x], axis=1), X23),
    "stack_axis_last": (lambda x: np.stack([C6.reshape(2, 3), x], axis=-1), X23),
    "cumsum": (lambda x: np.cumsum(x * x), X6),
    "cumsum_2d_flat": (lambda x: np.cumsum(x), X23),
    "cumsum_axis0": (lambda x: np.cumsum(x, axis=0), X23),
    "cumsum_axis1": (lambda x: np.cumsum(x**3, axis=1), X23),
    "diff": (lambda x: np.diff(x * x), X6),
    "diff_n2": (lambda x: np.diff(x**3, n=2), X6),
    "diff_axis0": (lambda x: np.diff(x, axis=0), X23),
    "outer": (lambda x: np.outer(x[:2], x[2:]), X6),
    "outer_plain_first": (lambda x: np.outer(C6[:4], x), X6),
    "outer_2d": (lambda x: np.outer(x, x), X23),
    "solve_vec": (lambda x: np.linalg.solve(A3, x[:3] * x[3:]), X6),
    "solve_matrix_dual": (lambda x: np.linalg.solve(A3 + np.outer(x[:3], x[3:]), C6[:3]), X6),
    "solve_both": (lambda x: np.linalg.solve(A3 + np.eye(3) * x[:3], x[3:]), X6),
    "solve_matrix_rhs": (lambda x: np.linalg.solve(A3, x.T), X23),
    "zeros_like": (lambda x: np.zeros_like(x) + 2.0 * x, X23),
    "ones_like": (lambda x: np.ones_like(x) * x, X23),
}

CASES = {**{k: (f, x, j) for k, (f, x, j) in ANALYTIC.items()},
         **{k: (f, x, None) for k, (f, x) in COMPLEX_STEP.items()}}


def reference(name):
    f, x, j = CASES[name]
    if j is None:
        j = complex_step_jacobian(f, x)
    return f, x, np.asarray(j, dtype=float).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_returns_dual_with_numpy_value(name):
    f, x, _ = reference(name)
    y = f(Dual(x, np.ones_like(x)))
    assert isinstance(y, Dual), f"{name}: got {type(y).__name__}"
    assert y.shape == np.shape(f(x))
    assert_close(y.primal, f(x), scale=np.max(np.abs(f(x))), what=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jacobian(name):
    f, x, j = reference(name)
    scale = np.max(np.abs(j)) if j.size else 1.0
    for chunk in (None, 1, 4):
        assert_close(dd.jacobian(f, chunk_size=chunk)(x), j, scale=scale,
                     what=f"{name} chunk_size={chunk}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_jvp_plain_and_batched(name, rng):
    f, x, j = reference(name)
    jf = _jflat(j, x)
    out_shape = np.shape(f(x))
    us = rng.standard_normal((3,) + x.shape)
    separate = []
    for u in us:
        y, t = dd.jvp(f, (x,), (u,))
        assert_close(y, f(x), scale=np.max(np.abs(f(x))), what=f"{name} value")
        ref = (jf @ u.ravel()).reshape(out_shape)
        assert_close(t, ref, scale=(np.abs(jf) @ np.abs(u.ravel())).reshape(out_shape),
                     what=f"{name} jvp")
        separate.append(t)
    y, tb = dd.jvp(f, (x,), (us,))
    assert np.shape(tb) == (3,) + out_shape
    sep = np.stack(separate)
    assert_close(tb, sep, scale=np.max(np.abs(sep)) if sep.size else 1.0,
                 what=f"{name} batched")


@pytest.mark.parametrize("name", sorted(CASES))
def test_reverse(name, rng):
    f, x, j = reference(name)
    jf = _jflat(j, x)
    out_shape = np.shape(f(x))
    w = rng.standard_normal(out_shape)
    y, pullback = dd.vjp(f, x)
    assert_close(y, f(x), scale=np.max(np.abs(f(x))), what=f"{name} vjp value")
    ref = (np.ravel(w) @ jf).reshape(x.shape)
    scale = (np.abs(np.ravel(w)) @ np.abs(jf)).reshape(x.shape)
    assert_close(pullback(w), ref, scale=scale, what=f"{name} vjp")
    g = dd.grad(lambda z: np.sum(f(z) * w))(x)
    assert_close(g, ref, scale=scale, what=f"{name} grad")


def test_functions_accept_plain_first_operands():
    d = Dual(X6, np.ones(6))
    for y in (np.dot(C6, d), np.concatenate([C6, d]), np.where(X6 > 0, C6, d),
              np.maximum(C6, d), np.minimum(C6, d), np.outer(C6, d), np.stack([C6, d]),
              np.linalg.solve(A3, d[:3]), C6 @ d, np.clip(C6, d - 1.0, d + 1.0)):
        assert isinstance(y, Dual), type(y)


def test_where_selects_tangents_so_an_unused_singular_branch_does_not_leak_nan():
    x = np.array([0.0, 4.0, -1.0])
    with np.errstate(all="ignore"):
        t = dd.jacobian(lambda z: np.where(z > 0, np.sqrt(np.abs(z)), 2.0 * z))(x)
    assert np.isfinite(t).all()
    np.testing.assert_array_equal(t, np.diag([2.0, 0.25, 2.0]))


def test_zeros_like_ones_like_are_constant_duals():
    d = Dual(X23, np.ones((4, 2, 3)))  # batched
    for fn, v in ((np.zeros_like, 0.0), (np.ones_like, 1.0)):
        z = fn(d)
        assert isinstance(z, Dual) and z.shape == (2, 3)
        np.testing.assert_array_equal(z.primal, np.full((2, 3), v))
        assert not np.any(z.tangent)
        # it mixes with the batched Dual it came from
        assert (z + d).tangent.shape == (4, 2, 3)


# --- ufuncs ----------------------------------------------------------------------------------

#: ufunc name -> (derivative(s), domain).  Unary: f'(x).  Binary: (df/dx, df/dy).
UNARY = {
    "sin": (np.cos, (-3, 3)),
    "cos": (lambda x: -np.sin(x), (-3, 3)),
    "tan": (lambda x: 1 / np.cos(x) ** 2, (-1.4, 1.4)),
    "arcsin": (lambda x: 1 / np.sqrt(1 - x * x), (-0.9, 0.9)),
    "arccos": (lambda x: -1 / np.sqrt(1 - x * x), (-0.9, 0.9)),
    "arctan": (lambda x: 1 / (1 + x * x), (-5, 5)),
    "sinh": (np.cosh, (-5, 5)),
    "cosh": (np.sinh, (-5, 5)),
    "tanh": (lambda x: 1 / np.cosh(x) ** 2, (-5, 5)),
    "arcsinh": (lambda x: 1 / np.sqrt(x * x + 1), (-5, 5)),
    "arccosh": (lambda x: 1 / np.sqrt(x * x - 1), (1.1, 5)),
    "arctanh": (lambda x: 1 / (1 - x * x), (-0.9, 0.9)),
    "exp": (np.exp, (-5, 5)),
    "exp2": (lambda x: np.log(2) * np.exp2(x), (-5, 5)),
    "expm1": (np.exp, (-5, 5)),
    "log": (lambda x: 1 / x, (0.1, 5)),
    "log2": (lambda x: 1 / (x * np.log(2)), (0.1, 5)),
    "log10": (lambda x: 1 / (x * np.log(10)), (0.1, 5)),
    "log1p": (lambda x: 1 / (1 + x), (-0.9, 5)),
    "sqrt": (lambda x: 0.5 / np.sqrt(x), (0.1, 5)),
    "cbrt": (lambda x: 1 / (3 * np.cbrt(x) ** 2), (0.1, 5)),
    "square": (lambda x: 2 * x, (-5, 5)),
    "conjugate": (lambda x: np.ones_like(x), (-5, 5)),  # on real inputs
    "reciprocal": (lambda x: -1 / (x * x), (0.1, 5)),
    "absolute": (np.sign, (0.1, 5)),
    "fabs": (np.sign, (0.1, 5)),
    "negative": (lambda x: -np.ones_like(x), (-5, 5)),
    "positive": (np.ones_like, (-5, 5)),
    "sign": (np.zeros_like, (0.1, 5)),
    "floor": (np.zeros_like, (0.1, 5)),
    "ceil": (np.zeros_like, (0.1, 5)),
    "rint": (np.zeros_like, (0.1, 0.4)),
    "trunc": (np.zeros_like, (0.1, 5)),
    "deg2rad": (lambda x: np.full_like(x, np.pi / 180), (-5, 5)),
    "radians": (lambda x: np.full_like(x, np.pi / 180), (-5, 5)),
    "rad2deg": (lambda x: np.full_like(x, 180 / np.pi), (-5, 5)),
    "degrees": (lambda x: np.full_like(x, 180 / np.pi), (-5, 5)),
}
# The aliases NumPy 2 added are the same ufunc objects (np.acos is np.arccos), and np.abs is
# np.absolute: they are covered by their canonical names.

BINARY = {
    "add": ((lambda x, y: np.ones_like(x), lambda x, y: np.ones_like(x)), (0.1, 3)),
    "subtract": ((lambda x, y: np.ones_like(x), lambda x, y: -np.ones_like(x)), (0.1, 3)),
    "multiply": ((lambda x, y: y, lambda x, y: x), (-3, 3)),
    "divide": ((lambda x, y: 1 / y, lambda x, y: -x / y**2), (0.1, 3)),
    "true_divide": ((lambda x, y: 1 / y, lambda x, y: -x / y**2), (0.1, 3)),
    "power": ((lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x)), (0.1, 3)),
    "arctan2": ((lambda x, y: y / (x * x + y * y), lambda x, y: -x / (x * x + y * y)),
                (-3, 3)),
    "hypot": ((lambda x, y: x / np.hypot(x, y), lambda x, y: y / np.hypot(x, y)), (-3, 3)),
    "logaddexp": ((lambda x, y: 1 / (1 + np.exp(y - x)), lambda x, y: 1 / (1 + np.exp(x - y))),
                  (-3, 3)),
    "maximum": ((lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0), (-3, 3)),
    "minimum": ((lambda x, y: (x < y) * 1.0, lambda x, y: (y < x) * 1.0), (-3, 3)),
    "fmax": ((lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0), (-3, 3)),
    "fmin": ((lambda x, y: (x < y) * 1.0, lambda x, y: (y < x) * 1.0), (-3, 3)),
    "remainder": ((lambda x, y: np.ones_like(x * y), lambda x, y: -np.floor(x / y)), (0.1, 3)),
    "mod": ((lambda x, y: np.ones_like(x * y), lambda x, y: -np.floor(x / y)), (-3, 3)),
    "fmod": ((lambda x, y: np.ones_like(x * y), lambda x, y: -np.trunc(x / y)), (-3, 3)),
    "copysign": ((lambda x, y: np.sign(x) * np.sign(y), lambda x, y: 0 * x * y), (-3, 3)),
    "logaddexp2": ((lambda x, y: 1 / (1 + np.exp2(y - x)), lambda x, y: 1 / (1 + np.exp2(x - y))),
                   (-3, 3)),
    "float_power": ((lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x)), (0.1, 3)),
    "heaviside": ((lambda x, y: 0 * x * y, lambda x, y: (x == 0) * 1.0 + 0 * y), (-3, 3)),
}

#: ufuncs whose result carries no derivative: computed on the primals, a plain result.
PREDICATES = {
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "isfinite",
    "isnan", "isinf", "signbit", "logical_and", "logical_or", "logical_not", "logical_xor",
    "floor_divide",
}

API_UFUNCS = ("sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp exp2"
              " expm1 log log2 log10 log1p sqrt cbrt square reciprocal absolute sign floor ceil"
              " power arctan2 hypot maximum minimum logaddexp").split()

ALL_UFUNCS = sorted({n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)})


def test_every_api_ufunc_has_a_reference_here():
    assert set(API_UFUNCS) <= set(UNARY) | set(BINARY)


def _points(lo, hi, shape, rng):
    return rng.uniform(lo, hi, shape)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ufunc(name, rng):
    dfn, (lo, hi) = UNARY[name]
    uf = getattr(np, name)
    x = _points(lo, hi, (2, 3), rng)
    u = rng.standard_normal((2, 3))
    y = uf(Dual(x, u))
    assert isinstance(y, Dual)
    assert_close(y.primal, uf(x), what=f"np.{name} value")
    d = dfn(x)
    assert_close(y.tangent, d * u, what=f"np.{name} jvp")
    ub = rng.standard_normal((4, 2, 3))
    assert_close(uf(Dual(x, ub)).tangent, d * ub, what=f"np.{name} batched")
    assert_close(dd.grad(lambda z: np.sum(uf(z) * u))(x), d * u, what=f"np.{name} grad")
    # scalar Duals (the float fast path) and 0-d arrays agree
    s = uf(Dual(float(x[0, 0]), 1.0))
    assert isinstance(s, Dual)
    assert_close(s.tangent, d[0, 0], what=f"np.{name} scalar")
    if name in dir(dd):
        assert_close(getattr(dd, name)(Dual(x, u)).tangent, d * u, what=f"dd.{name}")
        assert_close(getattr(dd, name)(x), uf(x), what=f"dd.{name} on arrays")


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)),
                                    ((), (2, 2)), ((4,), ())], ids=str)
def test_binary_ufunc_with_broadcasting(name, shapes, rng):
    (dfx, dfy), (lo, hi) = BINARY[name]
    uf = getattr(np, name)
    sx, sy = shapes
    out_shape = np.broadcast_shapes(sx, sy)
    while True:  # redraw until no pair is near a tie (ties are test_edge_cases.py's business)
        x = _points(lo, hi, sx, rng)
        y = _points(lo, hi, sy, rng)
        if np.all(np.abs(np.subtract(x, y)) > 0.05):
            break
    ux, uy = rng.standard_normal(sx), rng.standard_normal(sy)
    gx, gy = dfx(x, y), dfy(x, y)
    expected = gx * ux + gy * uy
    scale = np.abs(gx * ux) + np.abs(gy * uy)
    r = uf(Dual(x, ux), Dual(y, uy))
    assert isinstance(r, Dual) and r.shape == out_shape
    assert_close(r.primal, uf(x, y), what=f"np.{name} value")
    assert_close(r.tangent, expected, scale=scale, what=f"np.{name} jvp")
    # one side constant, the constant on either side (ndarray (op) Dual)
    assert_close(uf(Dual(x, ux), y).tangent, np.broadcast_to(gx * ux, out_shape),
                 what=f"np.{name}(Dual, const)")
    assert_close(uf(x, Dual(y, uy)).tangent, np.broadcast_to(gy * uy, out_shape),
                 what=f"np.{name}(const, Dual)")
    # reverse: the adjoints are summed over the broadcast axes back to each input's shape
    w = rng.standard_normal(out_shape)
    _, pull_x = dd.vjp(lambda z: uf(z, y), x)
    _, pull_y = dd.vjp(lambda z: uf(x, z), y)
    bx = np.broadcast_to(gx, out_shape) * w
    by = np.broadcast_to(gy, out_shape) * w
    assert_close(pull_x(w), _unbroadcast(bx, sx), scale=_unbroadcast(np.abs(bx), sx),
                 what=f"np.{name} vjp x")
    assert_close(pull_y(w), _unbroadcast(by, sy), scale=_unbroadcast(np.abs(by), sy),
                 what=f"np.{name} vjp y")


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


@pytest.mark.parametrize("name", ALL_UFUNCS)
def test_every_ufunc_is_differentiated_or_refused_by_name(name, rng):
    """A ufunc either has a derivative (and a reference above), is a predicate computed on
    primals, or raises TypeError naming it: it never returns a silently wrong number."""
    uf = getattr(np, name)
    canonical = uf.__name__
    if uf.nin > 2:
        pytest.skip(f"np.{name} takes {uf.nin} inputs")
    if canonical in ("vecdot", "matvec", "vecmat"):
        pytest.skip(f"np.{name} is a gufunc of vectors and matrices: see tests/test_linalg.py")
    args = [Dual(rng.uniform(0.2, 0.8, 3), np.ones(3)) for _ in range(uf.nin)]
    try:
        with np.errstate(all="ignore"):
            out = uf(*args)
    except TypeError as e:
        assert canonical in str(e), f"the TypeError for np.{name} does not name it: {e}"
        return
    if canonical in PREDICATES:
        assert not isinstance(out, Dual)
        return
    assert canonical in UNARY or canonical in BINARY or canonical == "matmul", (
        f"np.{name} is accepted on Duals but has no reference derivative in this file")
    assert isinstance(out, Dual)


def test_ufunc_keywords_and_methods():
    """Methods and keywords work (tests/test_elementwise_more.py has every mode); what would
    lose the derivative is refused by name."""
    d = Dual(X6, np.ones(6))
    with pytest.raises(TypeError, match="out="):
        np.sin(d, out=np.empty(6))
    with pytest.raises(TypeError, match="reduceat"):
        np.add.reduceat(d, [0, 2])
    assert_close(np.add.reduce(d).tangent, 6.0, what="add.reduce")
    assert_close(np.multiply.accumulate(d).primal, np.multiply.accumulate(X6),
                 what="multiply.accumulate")


@pytest.mark.parametrize("call, name", [
    # functions without a rule (np.sort, np.fft.fft, np.median, ... have rules now)
    (lambda d: np.unwrap(d), "np.unwrap"),
    (lambda d: np.histogram(d), "np.histogram"),
    (lambda d: np.polyfit(np.arange(6.0), d, 2), "np.polyfit"),
    (lambda d: np.bincount([0, 1, 1, 2, 2, 2], weights=d), "np.bincount"),
    (lambda d: np.frexp(d), "np.frexp"),
    (lambda d: np.spacing(d), "np.spacing"),
])
def test_unsupported_function_raises_type_error_naming_it(call, name):
    d = Dual(X6, np.ones(6))
    with pytest.raises(TypeError, match=name):
        call(d)


# --- properties ------------------------------------------------------------------------------


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 1), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_reductions_with_axis_and_keepdims(m, n, axis, keepdims, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, (m, n))
    u = rng.standard_normal((3, m, n))
    for fn, ref in (
        (np.sum, lambda x, u: np.sum(u, axis=axis, keepdims=keepdims)),
        (np.mean, lambda x, u: np.mean(u, axis=axis, keepdims=keepdims)),
        (np.prod, lambda x, u: np.prod(x, axis=axis, keepdims=keepdims)
         * np.sum(u / x, axis=axis, keepdims=keepdims)),
    ):
        _, t = dd.jvp(lambda z, fn=fn: fn(z, axis=axis, keepdims=keepdims), (x,), (u,))
        expected = np.stack([ref(x, ui) for ui in u])
        # prod: its tangent sums positive terms (x, u > 0 scale) so the plain relative bound
        # is measured against the sum of |terms|
        scale = np.stack([np.abs(ref(x, np.abs(ui))) for ui in u])
        assert_close(t, expected, scale=scale, what=f"{fn.__name__} axis={axis}")
