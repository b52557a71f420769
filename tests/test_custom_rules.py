"""Rules written by users: ``dd.primitive``, ``dd.register_rule``, ``dd.per_direction``, and
the errors a bad rule gets (at definition, or at the first call that can tell)."""

import math

import numpy as np
import pytest
from helpers import assert_close

import dualdiff as dd
from dualdiff import registry

RTOL = 1e-12


@pytest.fixture
def restore_registry():
    """register_rule changes the global tables: put them back after the test."""
    saved = dict(registry.UFUNCS), dict(registry.FUNCTIONS)
    yield
    for table, old in zip((registry.UFUNCS, registry.FUNCTIONS), saved):
        table.clear()
        table.update(old)


# --- elementwise rules from partials -----------------------------------------------------------


@dd.primitive(partials=lambda x, out: np.cos(x))
def my_sin(x):
    return np.sin(x)


def test_elementwise_decorator_all_modes_and_orders():
    x = np.array([0.3, -1.2, 2.0])
    assert my_sin.__name__ == "my_sin"
    assert_close(dd.jvp(my_sin, (x,), (np.ones(3),))[1], np.cos(x), RTOL)
    assert_close(dd.grad(lambda v: np.sum(my_sin(v)))(x), np.cos(x), RTOL)
    assert_close(dd.hessian(lambda v: np.sum(my_sin(v)))(x), np.diag(-np.sin(x)), RTOL)
    third = dd.derivative(dd.derivative(dd.derivative(my_sin)))(0.7)
    assert_close(third, -math.cos(0.7), RTOL)
    assert_close(dd.jacobian(my_sin)(x), np.diag(np.cos(x)), RTOL)  # batched tangents
    assert my_sin(0.5) == math.sin(0.5)  # plain values: fun itself
    dd.check_rule(my_sin, x)


def test_binary_elementwise_with_a_constant_partial_and_broadcasting():
    # f(x, y) = x * exp(y) + 3 y: the partial in y is not constant, the one in x is exp(y)
    f = dd.primitive(lambda x, y: x * np.exp(y) + 3 * y,
                     partials=(lambda x, y, out: np.exp(y), lambda x, y, out: x * np.exp(y) + 3))
    x, y = np.array([[0.5], [1.5], [-2.0]]), np.array([0.1, -0.4, 0.7, 1.1])
    dd.check_rule(f, x, y)
    gy = dd.grad(lambda v: np.sum(f(x, v)))(y)
    assert_close(gy, np.sum(x * np.exp(y) + 3, axis=0), RTOL)
    g = dd.primitive(lambda x: 2.0 * x + 1.0, partials=2.0)  # a constant partial: a number
    assert dd.derivative(dd.derivative(g))(1.0) == 0.0
    assert dd.derivative(g)(1.0) == 2.0


def test_a_users_special_function_nests():
    """Dawson's integral from SciPy with F' = 1 - 2 x F, as a user's primitive."""
    sp = pytest.importorskip("scipy.special")
    dawsn = dd.primitive(sp.dawsn, partials=lambda x, out: 1.0 - 2.0 * x * dawsn(x))
    x = np.array([0.2, 1.0, 3.0])
    F = sp.dawsn(x)
    assert_close(dd.derivative(dd.derivative(dawsn))(1.0),
                 -2.0 * sp.dawsn(1.0) - 2.0 * (1 - 2 * sp.dawsn(1.0)), RTOL)
    assert_close(dd.grad(lambda v: np.sum(dawsn(v)))(x), 1 - 2 * x * F, RTOL)
    dd.check_rule(dawsn, x, order=3)


# --- general rules from a jvp -----------------------------------------------------------------

A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 4.0]])


def _cubic_jvp(primals, tangents, out):
    (x,), (t,) = primals, tangents
    return 3.0 * np.sum(x * x * t, axis=-1)  # the batch axis, if any, stays in front


cubic = dd.primitive(lambda x: np.sum(x**3), jvp=_cubic_jvp, name="cubic")


def test_jvp_rule_forward_reverse_batched_and_hessian():
    x = np.array([0.5, -1.0, 2.0])
    assert_close(dd.grad(cubic)(x), 3 * x**2, RTOL)  # vjp derived from the jvp
    assert_close(dd.hessian(cubic)(x), np.diag(6 * x), RTOL)
    assert_close(dd.hvp(cubic, x, np.array([0.0, 1.0, 0.0])), [0.0, -6.0, 0.0], RTOL)
    # forward over reverse with a batch of tangents through the derived vjp
    assert_close(dd.jacobian(dd.grad(cubic))(x), np.diag(6 * x), RTOL)
    dd.check_rule(cubic, x)


def test_per_direction_and_linear():
    @dd.per_direction
    def jvp(primals, tangents, out):
        return A @ tangents[0]

    apply = dd.primitive(lambda x: A @ x, jvp=jvp, linear=True, name="apply_A")
    x = np.array([1.0, 2.0, 3.0])
    assert_close(dd.jacobian(apply)(x), A, RTOL)
    assert_close(dd.vjp(apply, x)[1](np.array([1.0, -2.0])), A.T @ [1.0, -2.0], RTOL)
    dd.check_rule(apply, x)
    # the same rule written for a batch axis directly: broadcasting on the right
    apply2 = dd.primitive(lambda x: A @ x, jvp=lambda p, t, out: t[0] @ A.T, linear=True)
    assert_close(dd.jacobian(apply2)(x), A, RTOL)


def test_derived_vjp_equals_a_hand_written_one():
    def f(x, y):
        return np.sin(x) * np.sum(y**2)

    def jvp(p, t, out):
        (x, y), (tx, ty) = p, t
        r = 0.0
        if tx is not None:
            r = r + np.cos(x) * tx * np.sum(y**2)
        if ty is not None:
            r = r + np.sin(x) * 2.0 * np.sum(y * ty, axis=-1)
        return r

    def vjp(w, p, out):
        x, y = p
        return np.sum(w) * 0 + w * np.cos(x) * np.sum(y**2), 2.0 * w * np.sin(x) * y

    derived = dd.primitive(f, jvp=jvp, name="derived")
    given = dd.primitive(f, jvp=jvp, vjp=vjp, name="given")
    x, y = 0.7, np.array([1.0, -2.0, 0.5])
    for argnums in (0, 1, (0, 1)):
        a = dd.grad(derived, argnums=argnums)(x, y)
        b = dd.grad(given, argnums=argnums)(x, y)
        for u, v in zip(*((a, b) if argnums == (0, 1) else ((a,), (b,)))):
            assert_close(u, v, RTOL)
    assert_close(dd.grad(derived, argnums=1)(x, y), 2 * np.sin(x) * y, RTOL)
    # second order through the derived vjp (reverse over reverse, forward over reverse)
    h = dd.hessian(lambda v: derived(x, v))(y)
    assert_close(h, 2 * np.sin(x) * np.eye(3), RTOL)
    dd.check_rule(derived, x, y)
    dd.check_rule(given, x, y)


def test_leibniz_rule_through_scipy_quad():
    integrate = pytest.importorskip("scipy.integrate")

    def moment(a, k=0):
        """int_0^1 t^(2k) exp(-a t^2) dt (compiled code: QUADPACK)."""
        return integrate.quad(lambda t: t ** (2 * k) * math.exp(-a * t * t), 0.0, 1.0,
                              epsabs=1e-14, epsrel=1e-14)[0]

    # d/da of the integral is the integral of d/da of the integrand (Leibniz)
    moment = dd.primitive(moment, jvp=lambda p, t, out, k=0: -moment(p[0], k=k + 1) * t[0])
    a = 0.8
    assert_close(dd.derivative(moment)(a), -moment(a, k=1), 1e-12)
    assert_close(dd.derivative(dd.derivative(moment))(a), moment(a, k=2), 1e-12)
    assert_close(dd.grad(moment)(a), -moment(a, k=1), 1e-12)
    # closed form: moment(a, 0) = sqrt(pi / a) erf(sqrt a) / 2
    sp = pytest.importorskip("scipy.special")
    F = lambda b: np.sqrt(math.pi / b) * sp.erf(np.sqrt(b)) / 2  # noqa: E731
    assert_close(dd.derivative(moment)(a), dd.derivative(F)(a), 1e-12)


# --- register_rule ----------------------------------------------------------------------------


def test_register_rule_for_a_numpy_ufunc(restore_registry):
    uf = np.float_power
    dd.register_rule(uf, partials=(lambda x, y, out: y * np.float_power(x, y - 1.0),
                                   lambda x, y, out: out * np.log(x)))
    x, y = np.array([0.5, 2.0]), np.array([1.5, -0.5])
    dd.check_rule(uf, x, y)
    assert_close(dd.grad(lambda v: np.sum(np.float_power(v, y)))(x), y * x ** (y - 1), RTOL)
    assert any(e.name == "np.float_power" and e.kind == "user" for e in dd.supported())


def test_register_rule_for_a_numpy_function(restore_registry):
    sp = pytest.importorskip("scipy.special")
    dd.register_rule(np.i0, partials=lambda x, out: sp.i1(x))
    x = np.array([0.5, -2.0, 3.0])
    assert_close(dd.jvp(np.i0, (x,), (np.ones(3),))[1], sp.i1(x), RTOL)
    dd.check_rule(np.i0, x)


def test_register_rule_for_a_scipy_ufunc_and_the_message_before(restore_registry):
    sp = pytest.importorskip("scipy.special")
    x = np.array([0.5, 2.0, 4.0])
    with pytest.raises(TypeError, match=r"scipy\.special\.struve is not supported"):
        dd.grad(lambda v: np.sum(sp.struve(1.0, v)))(x)

    def order(v, x, out):
        raise TypeError("struve: the order is a constant")

    # DLMF 11.4.23: H_v' = H_{v-1} - (v / x) H_v
    dd.register_rule(sp.struve, partials=(order, lambda v, x, out: sp.struve(v - 1.0, x)
                                          - v / x * sp.struve(v, x)))
    dd.check_rule(lambda v: sp.struve(1.0, v), x)
    with pytest.raises(TypeError, match="the order is a constant"):
        dd.derivative(lambda v: sp.struve(v, 1.0))(1.0)


# --- bad rules --------------------------------------------------------------------------------


def test_partials_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"partials has 2 entries but f takes 1 argument"):
        dd.primitive(lambda x: x, partials=(lambda x, out: 1.0, lambda x, out: 1.0), name="f")
    with pytest.raises(ValueError, match=r"partials has 1 entry but np.hypot takes 2"):
        dd.register_rule(np.hypot, partials=lambda x, y, out: x / out)
    with pytest.raises(TypeError, match=r"partial 0 must be a callable"):
        dd.primitive(lambda x: x, partials=("cos",))
    with pytest.raises(TypeError, match="partials .* or jvp, not both"):
        dd.primitive(np.sin, partials=np.cos, jvp=lambda p, t, o: t[0])
    with pytest.raises(TypeError, match="needs partials"):
        dd.primitive(np.sin)
    with pytest.raises(TypeError, match="NumPy function or ufunc"):
        dd.register_rule(math.sin, partials=math.cos)


def test_jvp_returning_the_wrong_shape():
    bad = dd.primitive(lambda x: np.sum(x), jvp=lambda p, t, out: t[0], name="total")
    with pytest.raises(ValueError, match=r"total: jvp returned shape \(3,\), expected \(\)"):
        dd.jvp(bad, (np.ones(3),), (np.ones(3),))
    # a jvp that ignores the batch axis: named with the batch
    rows = dd.primitive(lambda x: A @ x, jvp=lambda p, t, out: A @ t[0][..., 0], linear=True,
                        name="rows")
    with pytest.raises(ValueError, match=r"rows: jvp returned shape \(2,\), expected \(3, 2\) "
                       r"\(the output's shape \(2,\) after the leading batch axis of 3"):
        dd.jacobian(rows)(np.ones(3))


def test_a_jvp_that_is_not_linear_is_named_by_check_rule():
    square_t = dd.primitive(np.sin, jvp=lambda p, t, out: np.cos(p[0]) * t[0] ** 2,
                            name="square_t")
    with pytest.raises(AssertionError, match=r"not linear in the tangent \(scaling test\)"):
        dd.check_rule(square_t, np.array([0.3, 1.0]))
    shifted = dd.primitive(np.sin, jvp=lambda p, t, out: np.cos(p[0]) * t[0] + 1e-3)
    with pytest.raises(AssertionError, match=r"not linear .*off by"):
        dd.check_rule(shifted, np.array([0.3, 1.0]))


def test_a_plain_float_where_a_dual_was_passed():
    drops = dd.primitive(np.sin, partials=lambda x, out: np.cos(getattr(x, "primal", x)),
                         name="drops")
    assert_close(dd.derivative(drops)(0.3), math.cos(0.3), RTOL)  # first order: fine
    with pytest.raises(TypeError, match=r"drops: partial 0 returned a plain float(64)? where a "
                       r"Dual or tape value was passed in"):
        dd.derivative(dd.derivative(drops))(0.3)
    drops_jvp = dd.primitive(np.sin, jvp=lambda p, t, out: math.cos(getattr(p[0], "primal", p[0]))
                             * t[0], name="drops_jvp")
    with pytest.raises(TypeError, match=r"drops_jvp: jvp returned a plain .* linear=True"):
        dd.derivative(dd.derivative(drops_jvp))(0.3)


def test_bad_vjp_and_keyword_duals():
    f = dd.primitive(lambda x, y: x * y, jvp=lambda p, t, out: 0.0, vjp=lambda w, p, out: (w,),
                     name="f")
    with pytest.raises(ValueError, match=r"f: vjp must return a tuple of 2 adjoint\(s\).*got 1"):
        dd.grad(f)(1.0, 2.0)
    g = dd.primitive(lambda x: 2 * x, jvp=lambda p, t, out: 2 * t[0],
                     vjp=lambda w, p, out: (np.ones(5),), name="g")
    with pytest.raises(ValueError, match=r"g: vjp returned an adjoint of shape \(5,\) for "
                       r"argument 0, expected its shape \(2,\)"):
        dd.grad(lambda v: np.sum(g(v)))(np.ones(2))
    h = dd.primitive(lambda x, scale=1.0: scale * x, jvp=lambda p, t, out, scale=1.0: scale * t[0])
    assert dd.derivative(lambda v: h(v, scale=3.0))(1.0) == 3.0
    with pytest.raises(TypeError, match=r"keyword arguments are constants, but \['scale'\]"):
        dd.derivative(lambda v: h(1.0, scale=v))(1.0)
    e = dd.primitive(np.sin, partials=lambda x, out: np.cos(x))
    with pytest.raises(TypeError, match="positional arguments only"):
        e(1.0, out=None)
    with pytest.raises(TypeError, match="has 1 partial"):
        e(dd.Dual(1.0, 1.0), 2.0)
