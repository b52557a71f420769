"""The drivers as JAX users call them: argnums, has_aux, keywords, size-1 outputs, real
adjoints of real inputs, jacrev, batched hvp, stop_gradient, jacobian modes, check_grads."""

import numpy as np
import pytest

import dualdiff as dd


def f3(x, y, z):
    return np.sum(np.sin(x) * y**2) * z


X, Y, Z = np.array([0.3, -1.1]), np.array([2.0, 0.5]), 1.5


class Counting:
    """``f`` that counts its calls."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.f(*args, **kwargs)


def close(a, b, rtol=1e-14):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


# --- argnums -------------------------------------------------------------------------------


def test_grad_with_a_tuple_of_argnums_equals_the_single_grads():
    both = dd.grad(f3, argnums=(0, 1))(X, Y, Z)
    assert isinstance(both, tuple) and len(both) == 2
    close(both[0], dd.grad(f3, argnums=0)(X, Y, Z))
    close(both[1], dd.grad(f3, argnums=1)(X, Y, Z))
    close(both[1], 2 * np.sin(X) * Y * Z)
    close(dd.grad(f3, argnums=-1)(X, Y, Z), np.sum(np.sin(X) * Y**2))


@pytest.mark.parametrize("driver", [dd.jacobian, dd.jacfwd, dd.jacrev])
def test_jacobian_argnums(driver):
    f = lambda x, y: np.sin(x) * y
    Jx, Jy = driver(f, argnums=(0, 1))(X, Y)
    close(Jx, np.diag(np.cos(X) * Y))
    close(Jy, np.diag(np.sin(X)))
    close(driver(f, argnums=1)(X, Y), Jy)


def test_hessian_argnums_gives_the_blocks():
    f = lambda x, y: np.sum(x**2 * y)
    (hxx, hxy), (hyx, hyy) = dd.hessian(f, argnums=(0, 1))(X, Y)
    close(hxx, np.diag(2 * Y))
    close(hxy, np.diag(2 * X))
    close(hyx, np.diag(2 * X))
    close(hyy, np.zeros((2, 2)))
    close(dd.hessian(f, argnums=1)(X, Y), hyy)


@pytest.mark.parametrize("make", [
    lambda f, a: dd.grad(f, argnums=a), lambda f, a: dd.value_and_grad(f, argnums=a),
    lambda f, a: dd.jacobian(f, argnums=a), lambda f, a: dd.jacrev(f, argnums=a),
    lambda f, a: dd.hessian(f, argnums=a),
])
def test_argnums_errors_say_which(make):
    with pytest.raises(TypeError, match="argnums 3 is out of range: f was given 3"):
        make(f3, 3)(X, Y, Z)
    with pytest.raises(TypeError, match="argnums 5 is out of range"):
        make(f3, (0, 5))(X, Y, Z)
    with pytest.raises(TypeError, match="argument 1 must be a number"):
        make(f3, (0, 1))(X, "two", Z)
    with pytest.raises(TypeError, match="argnums must be"):
        make(f3, 1.5)
    with pytest.raises(TypeError, match="argnums must be"):
        make(f3, True)


# --- keywords --------------------------------------------------------------------------------


def test_keywords_pass_through_undifferentiated():
    f = lambda x, scale=1.0: np.sum(x**2) * scale
    close(dd.grad(f)(X, scale=2.0), 4 * X)
    assert dd.value_and_grad(f)(X, scale=3.0)[0] == pytest.approx(3 * np.sum(X**2))
    g = lambda x, scale=1.0: x**2 * scale
    close(dd.jacobian(g)(X, scale=2.0), np.diag(4 * X))
    close(dd.jacrev(g)(X, scale=2.0), np.diag(4 * X))
    close(dd.jacobian(g, mode="auto")(X, scale=2.0), np.diag(4 * X))
    close(dd.hessian(f)(X, scale=2.0), 4 * np.eye(2))
    assert dd.derivative(lambda x, p=1: x**p)(2.0, p=3) == 12.0


# --- has_aux -----------------------------------------------------------------------------


def with_aux(x):
    y = np.sum(x**2)
    return y, {"value": y, "first": x[0], "note": "text"}


def _check_aux(aux):
    assert aux["note"] == "text"
    assert type(aux["value"]) in (float, np.float64)  # undifferentiated: a plain value
    assert aux["value"] == pytest.approx(np.sum(X**2))
    assert aux["first"] == X[0]


def test_has_aux_round_trips_through_every_driver():
    g, aux = dd.grad(with_aux, has_aux=True)(X)
    close(g, 2 * X)
    _check_aux(aux)
    (v, aux), g = dd.value_and_grad(with_aux, has_aux=True)(X)
    assert v == pytest.approx(np.sum(X**2))
    _check_aux(aux)
    y, t, aux = dd.jvp(with_aux, (X,), (np.ones(2),), has_aux=True)
    assert t == pytest.approx(2 * np.sum(X))
    _check_aux(aux)
    y, pullback, aux = dd.vjp(with_aux, X, has_aux=True)
    close(pullback(1.0), 2 * X)
    _check_aux(aux)
    for jac in (dd.jacobian, dd.jacrev, lambda f, **k: dd.jacobian(f, mode="auto", **k)):
        J, aux = jac(with_aux, has_aux=True)(X)
        close(J, 2 * X)
        _check_aux(aux)


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match="pair"):
        dd.grad(lambda x: x**2, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="length 3"):
        dd.jacobian(lambda x: (x, x, x), has_aux=True)(np.ones(2))


# --- outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_grad_takes_any_output_of_size_one(shape):
    f = lambda x: np.reshape(np.sum(x**3), shape)
    close(dd.grad(f)(X), 3 * X**2)
    value, g = dd.value_and_grad(f)(X)
    assert np.shape(value) == shape


def test_grad_of_a_bool_is_a_type_error():
    with pytest.raises(TypeError, match="bool"):
        dd.grad(lambda x: np.allclose(x, 1.0))(X)
    with pytest.raises(TypeError, match="bool"):
        dd.grad(lambda x: x > 0)(1.0)
    with pytest.raises(TypeError, match="bool"):
        dd.jacobian(lambda x: x > 0)(X)
    with pytest.raises(TypeError, match="scalar"):
        dd.grad(lambda x: (x, x))(1.0)


def test_the_adjoint_of_a_real_input_is_real():
    # issue 15, wrong number 6: the real part, as in JAX and autograd
    g = dd.vjp(lambda x: x * (1 + 2j), 1.0)[1](1.0)
    assert g == 1.0 and isinstance(g, float)
    g = dd.vjp(lambda x: x * (1 + 2j), X)[1](np.ones(2))
    assert g.dtype == np.float64
    close(g, np.ones(2))
    # a real-valued f through complex intermediates: Re((c x)^2) = Re(c^2) x^2
    c = 1 + 2j
    g = dd.grad(lambda x: np.sum(np.real((c * x) ** 2)))(X)
    assert g.dtype == np.float64
    close(g, 2 * np.real(c**2) * X)
    # a complex input keeps its complex adjoint
    assert dd.vjp(lambda z: z * c, 1j)[1](1.0) == c


# --- jacrev, jacobian packing and modes ----------------------------------------------------


def test_jacobian_packs_every_leaf_into_one_pass():
    f = Counting(lambda p: p["a"] * np.sum(p["b"]) + p["c"][0])
    tree = {"a": np.ones(3), "b": np.arange(2.0), "c": (2.0, None)}
    J = dd.jacobian(f)(tree)
    assert f.calls == 1  # six inputs in three leaves: one batched pass, not one per leaf
    close(J["a"], np.eye(3))
    close(J["b"], np.ones((3, 2)))
    close(J["c"][0], np.ones(3))
    assert J["c"][1] is None
    f.calls = 0
    dd.jacobian(f, chunk_size=4)(tree)
    assert f.calls == 2


def test_jacrev_records_the_tape_once():
    A = np.arange(12.0).reshape(4, 3) / 10
    f = Counting(lambda x: np.tanh(A @ x) * x[0])
    x = np.array([0.2, -0.4, 0.9])
    want = dd.jacfwd(f)(x)
    for chunk in (None, 1, 3):
        f.calls = 0
        close(dd.jacrev(f, chunk_size=chunk)(x), want)
        assert f.calls == 1


def test_jacrev_nests_and_needs_real_outputs():
    f = lambda x: np.sin(x) * x[0]
    x = np.array([0.5, 1.5])
    close(dd.jacobian(dd.jacrev(f))(x), dd.jacobian(dd.jacobian(f))(x), rtol=1e-13)
    close(dd.jacrev(dd.grad(lambda x: np.sum(x**3)))(x), np.diag(6 * x))
    with pytest.raises(TypeError, match="real outputs"):
        dd.jacrev(lambda x: x * 1j)(x)
    close(dd.jacobian(lambda x: x * 1j, mode="auto")(x), np.eye(2) * 1j)


def test_jacobian_mode_auto_picks_by_size():
    wide = Counting(lambda x: np.sum(x**2, keepdims=True))  # 1 output, 5 inputs: reverse
    close(dd.jacobian(wide, mode="auto")(np.ones(5)), 2 * np.ones((1, 5)))
    assert wide.calls == 1
    tall = Counting(lambda x: np.concatenate([x, x**2]))  # 4 outputs, 2 inputs: forward
    close(dd.jacobian(tall, mode="auto")(np.ones(2)), np.vstack([np.eye(2), 2 * np.eye(2)]))
    assert tall.calls == 2  # the recording that measured the sizes, then one forward pass
    close(dd.jacobian(tall, mode="reverse")(np.ones(2)), dd.jacfwd(tall)(np.ones(2)))
    with pytest.raises(ValueError, match="mode"):
        dd.jacobian(tall, mode="sideways")


def test_zero_inputs_and_constant_outputs():
    close(dd.jacrev(lambda x: np.ones(2))(np.ones(3)), np.zeros((2, 3)))
    assert dd.jacrev(lambda x: x)(np.ones(0)).shape == (0, 0)
    assert dd.jacobian(lambda x: np.sum(x) + np.ones(2))(np.ones(0)).shape == (2, 0)


# --- hvp with a batch of vectors ------------------------------------------------------------


def test_hvp_with_a_batch_of_vectors_in_one_pass():
    f = Counting(lambda x: np.sum(x**3) + x[0] * x[1])
    x = np.array([1.0, 2.0, -1.0])
    V = np.array([[1.0, 0, 0], [0, 1.0, 0], [0.5, 0.5, 2.0], [0, 0, 0]])
    HV = dd.hvp(f, x, V)
    assert f.calls == 1
    H = dd.hessian(f)(x)
    close(HV, V @ H)
    close(dd.hvp(f, x, V[2]), H @ V[2])
    with pytest.raises(ValueError, match=r"v: shape \(2,\) does not match \(3,\)"):
        dd.hvp(f, x, np.ones(2))


# --- stop_gradient -------------------------------------------------------------------------


def test_stop_gradient_in_every_mode():
    f = lambda x: x**2 * dd.stop_gradient(x)
    assert dd.stop_gradient(3.0) == 3.0
    assert dd.grad(f)(3.0) == 18.0
    assert dd.derivative(f)(3.0) == 18.0
    assert dd.hessian(f)(3.0) == 6.0
    assert dd.derivative(dd.derivative(f))(3.0) == 6.0
    close(dd.jacobian(lambda x: x * dd.stop_gradient(x))(X), np.diag(X))
    close(dd.jacrev(lambda x: x * dd.stop_gradient(x))(X), np.diag(X))
    tree = dd.stop_gradient({"a": X, "b": (1.0,)})
    assert tree["b"] == (1.0,)
    g = dd.grad(lambda p: np.sum(p["a"] * dd.stop_gradient(p)["a"]))({"a": X})
    close(g["a"], X)


# --- check_grads -----------------------------------------------------------------------------

RNG = np.random.default_rng(3)
W1, W2 = RNG.standard_normal((6, 3)), RNG.standard_normal(6)


def relu_net(x):
    return W2 @ dd.relu(W1 @ x)


def _near_kink(distance):
    """A point where the first hidden unit's input is ``distance`` from ReLU's kink."""
    x = np.array([0.3, -0.2, 0.5])
    pre = W1 @ x
    return x - W1[0] * (pre[0] - distance) / np.sum(W1[0] ** 2)


def test_check_grads_on_a_relu_network_next_to_a_kink():
    x = _near_kink(3e-4)  # the five-point stencil of the first step straddles the kink
    assert abs((W1 @ x)[0] - 3e-4) < 1e-12
    dd.check_grads(relu_net, x)
    dd.check_grads(lambda p: relu_net(p["x"]), {"x": x}, order=2)


def test_check_grads_at_a_kink_says_so():
    with pytest.raises(AssertionError, match="f has a kink within .* of x along this direction"):
        dd.check_grads(relu_net, _near_kink(0.0))


def test_check_grads_reports_errors_step_and_check(monkeypatch):
    from dualdiff import rules

    monkeypatch.setattr(rules.sin, "partials", (lambda x, out: 1.001 * rules.cos(x),))
    with pytest.raises(AssertionError) as info:
        dd.check_grads(lambda p: np.sum(np.sin(p[0]) * p[1]), (np.array([0.3, 1.1]), 2.0))
    message = str(info.value)
    assert "order 1: forward mode" in message
    assert "relative" in message and "off by" in message and "step h =" in message
    assert "kink" not in message


_M = np.eye(4) * 3.0


@pytest.mark.parametrize("f", [
    lambda x: np.linalg.det(np.outer(x, x) + _M) * x,
    lambda x: np.linalg.solve(np.outer(x, x) + _M, x**2),
    lambda x: np.linalg.inv(np.outer(x, x) + _M).ravel(),
    lambda x: np.max(x) * x,
    lambda x: np.where(x > 2, np.sqrt(x), x**2),
    lambda x: x[np.array([0, 0, 1, 3])] * x[1:2],
    lambda x: np.cumsum(x**2),
    lambda x: np.linalg.norm(x) * x,
    lambda x: np.prod(x) * x,
    lambda x: np.var(x) * x + np.std(x),
    lambda x: np.stack([x, x**2]).T.ravel(),
    lambda x: np.mean(np.reshape(x, (2, 2)), axis=0) * x[:2],
], ids=["det", "solve", "inv", "max", "where", "indexing", "cumsum", "norm", "prod", "var",
        "stack", "mean"])
def test_jacrev_chunks_equal_forward_mode(f):
    """A chunk of rows is one backward pass over batched Duals: every rule's vjp takes them."""
    x = np.array([2.5, 1.5, 2.2, 3.1])
    want = dd.jacfwd(f)(x)
    for chunk in (None, 1, 3):
        close(dd.jacrev(f, chunk_size=chunk)(x), want, rtol=1e-13)

