"""float32 and float16 inputs keep their dtype in primals, tangents and adjoints (as NumPy and
JAX); integers and bools become float64."""

import numpy as np
import pytest

import dualdiff as dd

FUNCTIONS = {
    "sin": np.sin,
    "polynomial": lambda x: x**3 + 2 * x - 0.5,
    "maximum": lambda x: np.maximum(x, 1.0),
    "indexing": lambda x: x[1:] * x[0],
    "sum of squares": lambda x: np.sum(x**2),
    "relu": dd.relu,
    "exp": np.exp,
    "abs": np.abs,
    "reciprocal": lambda x: 1 / x,
    "sqrt": np.sqrt,
    "mean": np.mean,
    "prod": np.prod,
    "matmul": lambda x: x @ x,
    "where": lambda x: np.where(x > 1, x, -x),
    "sigmoid": dd.sigmoid,
    "sinc": np.sinc,
    "mod": lambda x: x % 0.7,
    "stack": lambda x: np.stack([x, 2 * x]),
    "cumsum": np.cumsum,
    "clip": lambda x: np.clip(x, 0.6, 1.7),
    "setitem": lambda x: _set(x),
    "add.reduce": np.add.reduce,
    "astype round trip": lambda x: x.astype(np.float64).astype(x.dtype) * 2,
}


def _set(x):
    out = dd.zeros(3, like=x)
    out[0] = x[1] * x[2]
    out[2] = np.sin(x[0])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_low_precision_is_kept_in_every_mode(name, dtype):
    f = FUNCTIONS[name]
    x = np.array([0.5, 1.5, 2.0], dtype=dtype)
    y, t = dd.jvp(f, (x,), (np.ones_like(x),))
    j = dd.jacobian(f)(x)
    j1 = dd.jacobian(f, chunk_size=1)(x)
    g = dd.vjp(f, x)[1](np.ones_like(np.asarray(y)))
    for what, v in [("value", y), ("tangent", t), ("jacobian", j), ("jacobian by columns", j1),
                    ("vjp", g)]:
        assert np.asarray(v).dtype == dtype, f"{name}: {what} is {np.asarray(v).dtype}"
    # and the numbers are those of float64, to the precision of the dtype
    j64 = dd.jacobian(f)(x.astype(np.float64))
    np.testing.assert_allclose(j.astype(np.float64), j64, rtol=10 * np.finfo(dtype).eps,
                               atol=10 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_second_order_keeps_the_dtype(dtype):
    x = np.array([0.5, 1.5], dtype=dtype)
    f = lambda x: np.sum(x**3) + x[0] * x[1]
    h = dd.hessian(f)(x)
    assert h.dtype == dtype
    np.testing.assert_allclose(h, [[3.0, 1.0], [1.0, 9.0]], rtol=np.finfo(dtype).eps * 4)
    assert dd.hvp(f, x, np.ones(2, dtype)).dtype == dtype
    assert dd.grad(f)(x).dtype == dtype


def test_scalars():
    g = dd.grad(lambda x: x * x)(np.float32(2.0))
    assert type(g) is np.float32 and g == 4.0
    y, t = dd.jvp(np.sin, (np.float32(0.5),), (np.float32(1.0),))
    assert np.asarray(y).dtype == np.float32 and np.asarray(t).dtype == np.float32
    assert type(dd.grad(lambda x: x * x)(3)) is float  # ints become float64


# (a Python list is a pytree of numbers, as in JAX: see test_pytrees.py)
@pytest.mark.parametrize("x", [np.array([1, 2, 3]), np.array([True, False, True])],
                         ids=["int", "bool"])
def test_ints_and_bools_become_float64(x):
    assert dd.jacobian(lambda z: z * 2.0)(x).dtype == np.float64
    assert dd.grad(lambda z: np.sum(z * 1.5))(x).dtype == np.float64


def test_complex64_is_kept():
    z = np.array([1 + 2j, 3 - 1j], dtype=np.complex64)
    y, t = dd.jvp(lambda z: z * z, (z,), (np.ones(2, np.complex64),))
    assert y.dtype == np.complex64 and t.dtype == np.complex64


def test_adjoint_has_the_input_dtype_whatever_the_cotangent():
    x = np.array([0.5, 1.5], np.float32)
    for f in (np.i0, np.sin, lambda x: x * np.float64(2.0)):
        g = dd.vjp(f, x)[1](np.ones(2))  # a float64 cotangent
        assert g.dtype == np.float32


def test_float_power_computes_in_float64_as_numpy():
    x = np.array([0.5, 1.5], np.float32)
    y, t = dd.jvp(lambda x: np.float_power(x, 2.0), (x,), (np.ones(2, np.float32),))
    assert y.dtype == np.float64 == np.float_power(x, 2.0).dtype and t.dtype == np.float64
