"""More of NumPy's elementwise functions: every mode through ``dd.check_rule`` (forward
against the complex step or a five-point difference, reverse against forward, batched against
separate passes, second order), closed-form references, and the conventions at the points
where a derivative does not exist."""

import math

import numpy as np
import pytest
from scipy import special

import dualdiff as dd

RNG = np.random.default_rng(7)
V = np.array([0.3, -1.7, 2.2, 0.9])
M = np.array([[0.4, -1.3, 2.6], [1.1, 0.7, -0.2]])
Z = np.array([3.0 + 4.0j, -1.0 + 0.5j, 0.2 - 2.0j])


def both(f, *args, **kw):
    """check_rule of ``f`` on vectors and matrices."""
    dd.check_rule(f, *args, **kw)


# --- complex parts and abs of complex input ---------------------------------------------


@pytest.mark.parametrize("f", [np.real, np.imag, np.conj, np.conjugate, dd.real, dd.imag,
                               dd.conj, np.abs, np.absolute, dd.abs, np.angle],
                         ids=lambda f: getattr(f, "__name__", str(f)))
@pytest.mark.parametrize("x", [Z, Z.reshape(3, 1) * Z, complex(Z[0])], ids=str)
def test_complex_functions_in_every_mode(f, x):
    dd.check_rule(f, x)


@pytest.mark.parametrize("f", [np.real, np.imag, np.conj, np.abs, np.angle],
                         ids=lambda f: f.__name__)
def test_complex_functions_on_real_input(f):
    dd.check_rule(f, V)


def test_abs_of_complex_matches_jax():
    # JAX: jvp(abs)(z; t) = Re(conj(z) t) / |z|;  grad(abs)(z) = conj(z) / |z|
    z = 3.0 + 4.0j
    assert dd.grad(abs)(z) == pytest.approx(0.6 - 0.8j, abs=1e-15)
    _, t = dd.jvp(np.abs, (Z,), (np.ones(3) * 1j,))
    np.testing.assert_allclose(t, np.real(np.conj(Z) * 1j) / np.abs(Z), rtol=1e-15)
    # the gradient of |z|^2 is 2 conj(z) through abs, as through z * conj(z)
    np.testing.assert_allclose(dd.grad(lambda z: np.sum(np.abs(z) ** 2))(Z), 2 * np.conj(Z),
                               rtol=1e-14)
    np.testing.assert_allclose(dd.grad(lambda z: np.sum(np.real(z * np.conj(z))))(Z),
                               2 * np.conj(Z), rtol=1e-14)


def test_abs_of_complex_at_zero_is_zero():
    _, t = dd.jvp(np.abs, (np.array([0j, 1j]),), (np.array([1.0 + 1j, 1.0]),))
    np.testing.assert_array_equal(t, [0.0, 0.0])
    assert dd.grad(abs)(0j) == 0


def test_real_imag_conj_closed_forms():
    w = np.array([1.0, -2.0, 0.5])
    assert np.allclose(dd.vjp(np.real, Z)[1](w), w)
    assert np.allclose(dd.vjp(np.imag, Z)[1](w), -1j * w)
    assert np.allclose(dd.vjp(np.conj, Z)[1](w + 1j), np.conj(w + 1j))
    _, t = dd.jvp(lambda z: np.imag(z * z), (Z,), (np.ones(3),))
    np.testing.assert_allclose(t, np.imag(2 * Z), rtol=1e-15)


def test_angle_closed_form():
    # d angle(z) / dt along t: Im(t / z)
    t = np.array([1.0, 1j, 0.5 - 0.5j])
    _, dt = dd.jvp(np.angle, (Z,), (t,))
    np.testing.assert_allclose(dt, np.imag(t / Z), rtol=1e-14)
    assert dd.angle(Z[0], deg=True) == pytest.approx(np.angle(Z[0], deg=True))
    _, dt = dd.jvp(lambda z: np.angle(z, deg=True), (Z,), (t,))
    np.testing.assert_allclose(dt, np.degrees(np.imag(t / Z)), rtol=1e-14)
    # real input: 0 or pi, slope 0
    y, dt = dd.jvp(np.angle, (V,), (np.ones(4),))
    np.testing.assert_array_equal(y, np.angle(V))
    np.testing.assert_array_equal(dt, 0.0)


# --- functions of one real argument -------------------------------------------------------

UNARY = {
    "deg2rad": (np.deg2rad, lambda x: np.full_like(x, math.pi / 180)),
    "radians": (np.radians, lambda x: np.full_like(x, math.pi / 180)),
    "rad2deg": (np.rad2deg, lambda x: np.full_like(x, 180 / math.pi)),
    "degrees": (np.degrees, lambda x: np.full_like(x, 180 / math.pi)),
    "sinc": (np.sinc, lambda x: (np.cos(np.pi * x) - np.sinc(x)) / x),
    "i0": (np.i0, special.i1),
    "fix": (np.fix, np.zeros_like),
    "round": (np.round, np.zeros_like),
    "around": (np.around, np.zeros_like),
    "nan_to_num": (np.nan_to_num, np.ones_like),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [V, M, 0.7], ids=["vector", "matrix", "scalar"])
def test_unary_in_every_mode(name, x):
    fn, d = UNARY[name]
    dd.check_rule(fn, x)
    y, t = dd.jvp(fn, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(y, fn(x), rtol=1e-15)
    np.testing.assert_allclose(t, d(np.asarray(x)), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(dd.grad(lambda z: np.sum(fn(z)))(x), d(np.asarray(x)),
                               rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", ["sinc", "i0", "deg2rad"])
def test_dd_names(name):
    fn = getattr(dd, name)
    np.testing.assert_allclose(fn(V), getattr(np, name)(V), rtol=1e-15)
    dd.check_rule(fn, V)


def test_sinc_at_zero_to_every_order():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...: the derivatives at 0 are
    # 0, -pi^2/3, 0, pi^4/5
    f = dd.sinc
    expected = [1.0, 0.0, -math.pi**2 / 3, 0.0, math.pi**4 / 5]
    for k, want in enumerate(expected):
        assert f(0.0) == pytest.approx(want, abs=1e-13), k
        f = dd.derivative(f)
    assert dd.hessian(lambda x: np.sum(np.sinc(x)))(np.zeros(2))[0, 0] == pytest.approx(
        -math.pi**2 / 3)
    dd.check_rule(np.sinc, np.array([0.0, 0.5, -1.0]))


def test_i0_higher_derivatives():
    # I0'' = I1' = (I0 + I2) / 2;  I0''' = (3 I1 + I3) / 4
    x = np.array([0.0, 0.5, -3.0, 12.0])
    h = dd.derivative(dd.derivative(np.i0))
    np.testing.assert_allclose([h(v) for v in x], (special.iv(0, x) + special.iv(2, x)) / 2,
                               rtol=1e-14)
    h3 = dd.derivative(h)
    np.testing.assert_allclose([h3(v) for v in x], (3 * special.iv(1, x) + special.iv(3, x)) / 4,
                               rtol=1e-14)


def test_nan_to_num_selects():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    y, t = dd.jvp(np.nan_to_num, (x,), (np.ones(5),))
    np.testing.assert_array_equal(y, np.nan_to_num(x))
    np.testing.assert_array_equal(t, [1.0, 0.0, 0.0, 0.0, 1.0])
    g = dd.grad(lambda z: np.sum(np.nan_to_num(z, nan=1.0, posinf=5.0)))(x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 1.0])
    z = np.array([complex(1.0, np.nan), complex(np.inf, 2.0)])
    _, t = dd.jvp(np.nan_to_num, (z,), (np.array([1 + 1j, 1 + 1j]),))
    np.testing.assert_array_equal(t, [1.0, 1j])


def test_round_decimals_and_python_round():
    y, t = dd.jvp(lambda x: np.round(x, 1), (V,), (np.ones(4),))
    np.testing.assert_array_equal(y, np.round(V, 1))
    np.testing.assert_array_equal(t, 0.0)
    d = dd.Dual(2.5, 1.0)
    assert round(d) == 2 and type(round(d)) is int  # as Python: an int (the slope is 0)
    r = round(dd.Dual(2.345, 1.0), 2)
    assert isinstance(r, dd.Dual) and r.primal == round(2.345, 2) and r.tangent == 0.0


# --- functions of two arguments -----------------------------------------------------------

# (no x / y an integer: 2.7 % 0.9 sits on a jump of mod, where check_rule rightly objects)
X2, Y2 = np.array([2.7, -3.1, 5.3, 0.4]), np.array([1.3, 0.95, -2.2, 1.7])

BINARY = {
    "remainder": (np.remainder, lambda x, y: (np.ones_like(x), -np.floor(x / y))),
    "mod": (np.mod, lambda x, y: (np.ones_like(x), -np.floor(x / y))),
    "%": (lambda x, y: x % y, lambda x, y: (np.ones_like(x), -np.floor(x / y))),
    "fmod": (np.fmod, lambda x, y: (np.ones_like(x), -np.trunc(x / y))),
    "copysign": (np.copysign, lambda x, y: (np.sign(x) * np.sign(y), 0 * x)),
    "logaddexp2": (np.logaddexp2,
                   lambda x, y: (2**x / (2**x + 2**y), 2**y / (2**x + 2**y))),
    "float_power": (np.float_power,
                    lambda x, y: (y * np.abs(x) ** (y - 1), np.abs(x) ** y * np.log(np.abs(x)))),
    "heaviside": (np.heaviside, lambda x, y: (0 * x, (x == 0) * 1.0)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_in_every_mode(name):
    fn, d = BINARY[name]
    x, y = (np.abs(X2), Y2) if name == "float_power" else (X2, Y2)
    dd.check_rule(fn, x, y)
    dd.check_rule(fn, x.reshape(4, 1), y[:3])  # broadcasting
    dd.check_rule(lambda a: fn(a, 1.5), x)
    dd.check_rule(lambda b: fn(2.5, b), y)
    dx, dy = d(x, y)
    _, t = dd.jvp(fn, (x, y), (np.ones(4), np.zeros(4)))
    np.testing.assert_allclose(t, dx, rtol=1e-14)
    _, t = dd.jvp(fn, (x, y), (np.zeros(4), np.ones(4)))
    np.testing.assert_allclose(t, dy, rtol=1e-14)
    # scalar Duals (the float fast path)
    _, t = dd.jvp(fn, (float(x[0]), float(y[0])), (1.0, 0.0))
    assert t == pytest.approx(dx[0], rel=1e-14)


def test_mod_operator_on_tape_values_and_floats():
    g = dd.grad(lambda x: x % 1.5 + 7.0 % x)(4.0)
    assert g == pytest.approx(1.0 - np.floor(7.0 / 4.0))
    assert dd.derivative(lambda x: x % 2.0)(5.5) == 1.0


def test_heaviside_h0_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    g = dd.grad(lambda h: np.sum(np.heaviside(x, h)))(0.5)
    assert g == 1.0
    y, t = dd.jvp(lambda h: np.heaviside(x, h), (0.5,), (1.0,))
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(t, [0.0, 1.0, 0.0])


def test_ldexp():
    n = np.array([3, -2, 0, 10])
    y, t = dd.jvp(lambda x: np.ldexp(x, n), (X2,), (np.ones(4),))
    np.testing.assert_array_equal(y, np.ldexp(X2, n))
    np.testing.assert_array_equal(t, np.ldexp(1.0, n))
    dd.check_rule(lambda x: np.ldexp(x, n), X2)
    assert dd.derivative(lambda x: np.ldexp(x, 3))(1.5) == 8.0
    assert dd.grad(lambda x: np.sum(np.ldexp(x, n)))(X2).tolist() == np.ldexp(1.0, n).tolist()
    with pytest.raises(TypeError, match="ldexp"):  # as NumPy: the exponents are integers
        np.ldexp(dd.Dual(X2, np.ones(4)), dd.Dual(X2, np.ones(4)))


def test_remainder_by_zero_is_nan_as_numpy():
    with np.errstate(all="ignore"):
        y, _ = dd.jvp(lambda x: np.remainder(x, 0.0), (X2,), (np.ones(4),))
        assert np.all(np.isnan(y)) and np.all(np.isnan(np.remainder(X2, 0.0)))


# --- select and piecewise ---------------------------------------------------------------


def test_select_selects_derivatives():
    def f(x):
        return np.select([x < 0, x < 1], [np.sqrt(-x), x**2], default=np.log(x))

    x = np.array([-4.0, 0.5, 3.0, 0.0])
    with np.errstate(all="ignore"):
        g = dd.grad(lambda z: np.sum(f(z)))(x)
    # the unused branches (sqrt of a positive, log of a negative) leave no nan behind
    np.testing.assert_allclose(g, [-0.25, 1.0, 1.0 / 3.0, 0.0], rtol=1e-15)
    dd.check_rule(f, np.array([-4.0, 0.5, 3.0]))
    with pytest.raises(ValueError, match="same length"):
        np.select([V < 0], [dd.Dual(V), V])


def test_piecewise_selects_derivatives():
    fs = [lambda z: np.sqrt(-z), lambda z: z**3, 2.0]
    x = np.array([-4.0, 0.5, 3.0, -1.0])

    def f(x):
        return np.piecewise(x, [x < 0, (x >= 0) & (x < 1)], fs)

    with np.errstate(all="ignore"):
        g = dd.grad(lambda z: np.sum(f(z)))(x)
    np.testing.assert_allclose(g, [-0.25, 3 * 0.25, 0.0, -0.5], rtol=1e-15)
    np.testing.assert_allclose(dd.jvp(f, (x,), (np.ones(4),))[0], np.piecewise(x, [
        x < 0, (x >= 0) & (x < 1)], fs))
    dd.check_rule(f, x)
    # the "otherwise" function, and a matrix
    h = lambda x: np.piecewise(x, [x > 0], [np.sin, np.cos])
    dd.check_rule(h, M)
    np.testing.assert_allclose(dd.jvp(h, (M,), (M,))[0], np.piecewise(M, [M > 0],
                                                                       [np.sin, np.cos]))
    with pytest.raises(ValueError):
        np.piecewise(dd.Dual(V), [V > 0], [np.sin, np.cos, np.tan])


# --- conventions ------------------------------------------------------------------------


def test_conventions_at_jumps():
    # remainder and fmod at a jump: the slopes of the pieces (1 in x)
    assert dd.derivative(lambda x: np.remainder(x, 1.0))(2.0) == 1.0
    assert dd.derivative(lambda y: np.fmod(6.0, y))(3.0) == -2.0
    # copysign at x = 0: 0, as abs
    assert dd.derivative(lambda x: np.copysign(x, -1.0))(0.0) == 0.0
    assert dd.derivative(lambda x: np.copysign(x, -1.0))(2.0) == -1.0
    # heaviside in x: 0 everywhere (at 0 too)
    assert dd.derivative(lambda x: np.heaviside(x, 0.5))(0.0) == 0.0
    # arctan2 (and angle) at the origin: 0
    assert dd.jvp(np.arctan2, (0.0, 0.0), (1.0, 1.0))[1] == 0.0
    assert dd.grad(np.angle)(0j) == 0


# --- ufunc methods and keywords -----------------------------------------------------------

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])

METHODS = {
    "add.reduce": lambda x: np.add.reduce(x),
    "add.reduce axis=None": lambda x: np.add.reduce(x, axis=None),
    "add.reduce axis=1 keepdims": lambda x: np.add.reduce(x, axis=1, keepdims=True),
    "add.reduce initial": lambda x: np.add.reduce(x, axis=1, initial=2.0),
    "multiply.reduce": lambda x: np.multiply.reduce(x, axis=1),
    "maximum.reduce": lambda x: np.maximum.reduce(x, axis=0),
    "minimum.reduce keepdims": lambda x: np.minimum.reduce(x, axis=(0, 1), keepdims=True),
    "subtract.reduce": lambda x: np.subtract.reduce(x, axis=1),
    "hypot.reduce": lambda x: np.hypot.reduce(x, axis=0),
    "logaddexp.reduce initial": lambda x: np.logaddexp.reduce(x, axis=1, initial=0.5),
    "add.accumulate": lambda x: np.add.accumulate(x, axis=1),
    "multiply.accumulate": lambda x: np.multiply.accumulate(x),
    "multiply.accumulate axis=1": lambda x: np.multiply.accumulate(x, axis=-1),
    "maximum.accumulate": lambda x: np.maximum.accumulate(x, axis=1),
    "subtract.outer": lambda x: np.subtract.outer(x[0], x[1]),
    "multiply.outer": lambda x: np.multiply.outer(x, x[0]),
    "power.outer": lambda x: np.power.outer(np.abs(x[0]), x[1]),
    "where=": lambda x: np.sin(x, where=x > 0, out=np.zeros_like(x)),
    "add.reduce where=": lambda x: np.add.reduce(x, axis=1, where=A > 0),
    "maximum.reduce where= initial": lambda x: np.maximum.reduce(x, where=A < 2, initial=-5.0),
    "dtype=complex": lambda x: np.abs(np.multiply(x, 1j, dtype=complex)),
}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_ufunc_methods_in_every_mode(name):
    f = METHODS[name]
    y, _ = dd.jvp(f, (A,), (np.ones_like(A),))
    np.testing.assert_allclose(y, f(A), rtol=1e-15)
    assert np.shape(y) == np.shape(f(A))
    dd.check_rule(f, A)


def test_multiply_accumulate_at_zero():
    # d/dx_j prod_{i<=k} x_i, with a zero among the x: no division by x
    x = np.array([2.0, 0.0, 3.0, 5.0])
    j = dd.jacobian(np.multiply.accumulate)(x)
    expected = np.array([[1, 0, 0, 0], [0, 2, 0, 0], [0, 6, 0, 0], [0, 30, 0, 0]], float)
    np.testing.assert_array_equal(j, expected)


def test_ufunc_at():
    idx = np.array([0, 2, 0])

    def f(x):
        a = np.zeros_like(x)
        np.add.at(a, idx, x[:3] ** 2)
        return a

    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(dd.jacobian(f)(x),
                               [[2, 0, 6, 0], [0, 0, 0, 0], [0, 4, 0, 0], [0, 0, 0, 0]])
    dd.check_rule(f, x)

    def g(x):
        a = x * 1.0
        np.multiply.at(a, [1, 1, 3], x[0])
        np.negative.at(a, [2])
        np.subtract.at(a, (np.array([0]),), 2.0)
        return a

    ref = x.copy()
    np.multiply.at(ref, [1, 1, 3], x[0])
    np.negative.at(ref, [2])
    np.subtract.at(ref, (np.array([0]),), 2.0)
    np.testing.assert_allclose(dd.jvp(g, (x,), (x,))[0], ref)
    dd.check_rule(g, x)
    with pytest.raises(TypeError, match="zeros_like"):
        dd.grad(lambda x: np.add.at(np.zeros(4), [0], x[0]))(x)


def test_ufunc_out_into_a_dual():
    def f(x):
        out = np.zeros_like(x)
        r = np.multiply(x, x, out=out)
        assert r is out
        np.sin(out, out=out)
        np.add(out, 1.0, out=(out,))
        return out

    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(dd.jacobian(f)(x), np.diag(2 * x * np.cos(x**2)), rtol=1e-15)
    np.testing.assert_allclose(dd.grad(lambda x: np.sum(f(x)))(x), 2 * x * np.cos(x**2))
    with pytest.raises(TypeError, match="zeros_like"):
        dd.grad(lambda x: np.sum(np.sin(x, out=np.zeros(2))))(x)
    # a comparison into a plain out is fine (no derivative)
    b = np.zeros(2, dtype=bool)
    np.greater(dd.Dual(x, np.ones(2)), 0, out=b)
    np.testing.assert_array_equal(b, x > 0)


def test_ufunc_method_errors_follow_numpy():
    d = dd.Dual(A, np.ones_like(A))
    with pytest.raises(ValueError, match="only supported for binary"):
        np.sin.reduce(d)
    with pytest.raises(ValueError, match="not reorderable"):
        np.subtract.reduce(d, axis=(0, 1))
    with pytest.raises(TypeError, match="reduceat"):
        np.add.reduceat(d, [0, 1])
    with pytest.raises(ValueError, match="initial"):
        np.maximum.reduce(d, where=A > 0)
    with pytest.raises(TypeError, match="where"):
        np.add.accumulate(d, where=A > 0)
    with pytest.raises(TypeError, match="drop the derivative"):
        np.add(d, 1, dtype=int)


@pytest.mark.parametrize("name, args", [
    ("angle", (Z,)), ("around", (V,)), ("copysign", (X2, Y2)), ("deg2rad", (V,)),
    ("degrees", (V,)), ("fix", (V,)), ("float_power", (np.abs(X2), Y2)), ("fmod", (X2, Y2)),
    ("heaviside", (np.array([0.0, 1.0, -2.0, 0.0]), Y2)), ("i0", (V,)), ("logaddexp2", (X2, Y2)),
    ("mod", (X2, Y2)), ("nan_to_num", (np.array([np.nan, 1.0]),)), ("rad2deg", (V,)),
    ("radians", (V,)), ("remainder", (X2, Y2)), ("sinc", (V,)),
])
def test_dd_name_agrees_with_numpy(name, args):
    fn, ref = getattr(dd, name), getattr(np, name)
    np.testing.assert_allclose(fn(*args), ref(*args), rtol=1e-15)
    duals = [dd.Dual(a, np.ones_like(a)) for a in args]
    np.testing.assert_allclose(fn(*duals).tangent, ref(*duals).tangent, rtol=1e-15)
    if name == "heaviside":  # (a jump in x at 0: the difference checks the slope in h)
        dd.check_rule(lambda h: fn(args[0], h), args[1])
    elif name != "nan_to_num":  # (a nan input: no finite-difference reference)
        dd.check_rule(fn, *args)


def test_user_value_errors_pass_through():
    def f(x):
        try:
            float(x)
        except TypeError:
            raise ValueError("my own message") from None

    with pytest.raises(ValueError, match="my own message"):
        dd.grad(f)(1.0)
