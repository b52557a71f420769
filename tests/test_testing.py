"""dd.check_grads: passes on correct derivatives, catches a wrong rule in either mode."""

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import rules


def logistic_loss(w):
    X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3]])
    y = np.array([1.0, 0.0, 1.0])
    z = X @ w
    return np.sum(dd.softplus(z) - y * z)


@pytest.mark.parametrize("f, x", [
    (np.sin, 0.7),
    (lambda x: np.tanh(x) * np.sum(x ** 2), np.array([0.3, -1.2, 2.0])),
    (logistic_loss, np.array([0.1, -0.4])),
    (lambda x: np.linalg.solve(np.eye(2) * 3 + np.outer(x, x), x), np.array([0.5, 1.0])),
])
@pytest.mark.parametrize("order", [1, 2])
def test_correct_derivatives_pass(f, x, order):
    dd.check_grads(f, x, order=order)


def test_a_wrong_partial_is_caught(monkeypatch):
    monkeypatch.setattr(rules.sin, "partials", (lambda x, out: 1.001 * rules.cos(x),))
    with pytest.raises(AssertionError, match="forward mode"):
        dd.check_grads(np.sin, np.array([0.3, 1.1]))


def test_a_wrong_transpose_is_caught(monkeypatch):
    right = rules.transpose_p.transpose
    wrong = lambda *args, **params: [1.001 * right(*args, **params)[0]]
    monkeypatch.setattr(rules.transpose_p, "transpose", wrong)
    x = np.arange(24.0).reshape(2, 3, 4) / 24
    with pytest.raises(AssertionError, match="reverse mode"):
        dd.check_grads(lambda x: np.sin(np.transpose(x, (1, 2, 0))), x)


def test_second_order_error_is_caught(monkeypatch):
    # the first derivative of sin is right, but cos's partial (sin's second derivative) is off
    monkeypatch.setattr(rules.cos, "partials", (lambda x, out: -1.001 * rules.sin(x),))
    dd.check_grads(np.sin, 0.7, order=1)
    with pytest.raises(AssertionError):
        dd.check_grads(np.sin, 0.7, order=2)


def test_bad_order():
    with pytest.raises(ValueError, match="order"):
        dd.check_grads(np.sin, 0.7, order=0)
