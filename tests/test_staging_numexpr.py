"""``dd.jit(fun, numexpr=True)``: elementwise float64 array code fused into numexpr calls.

The fused code must compute what the NumPy code computes: bit for bit for ``+ - * /``,
``sqrt``, ``abs``, ``where`` and comparisons (IEEE operations in both), to a few ulps where
numexpr's transcendental functions (the C library's) round differently from NumPy's.
"""

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from strategies import expressions

import dualdiff as dd
from dualdiff.staging import fusion

pytest.importorskip("numexpr")

N = fusion.MIN_SIZE + 7  # large enough to be fused (and not a power of two)
rng = np.random.default_rng(14)


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.fixture(autouse=True)
def arithmetic(monkeypatch):
    """Groups of IEEE arithmetic alone fused too (by default they stay NumPy: see
    ``fusion.ARITHMETIC``): most tests here check the fusion of exactly such groups, bit for
    bit.  The tests of the default switch it back."""
    monkeypatch.setattr(fusion, "ARITHMETIC", True)


def jvp_of_g(x, v):  # (sin, exp and log1p: groups fused by default)
    return dd.jvp(lambda x: np.sin(x) * np.exp(-x**2) + np.log1p(x**2), (x,), (v,))


def identical(a, b):
    """The same numbers: nan where nan, and the sign of every zero."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    if a.dtype.kind in "fc":
        for part in (np.real, np.imag):
            assert np.array_equal(np.signbit(part(a)), np.signbit(part(b)))


def fused_lines(source):
    return [line for line in source.splitlines() if "numexpr" in line]


def test_rosenbrock_gradient_and_hvp_are_bit_identical():
    x, v = rng.uniform(-2, 2, N), rng.standard_normal(N)
    grad = dd.jit(dd.grad(rosen), numexpr=True)
    hvp = dd.jit(lambda x, v: dd.hvp(rosen, x, v), numexpr=True)
    assert fused_lines(grad.source(x)) and fused_lines(hvp.source(x, v))
    for _ in range(2):  # the trace, then a replay
        identical(grad(x), dd.grad(rosen)(x))
        identical(hvp(x, v), dd.hvp(rosen, x, v))
    x2 = rng.uniform(-2, 2, N)  # another point: the same compiled code, no new trace
    identical(grad(x2), dd.grad(rosen)(x2))
    assert grad.variants == 1


def test_the_source_shows_each_expression_and_is_deterministic():
    x = rng.uniform(-2, 2, N)
    first = dd.jit(dd.grad(rosen), numexpr=True).source(x)
    assert first == dd.jit(dd.grad(rosen), numexpr=True).source(x)
    lines = fused_lines(first)
    assert "(w3 * w3)" in first and all("  # " in line for line in lines)
    compile(first, "<source>", "exec")
    # fewer lines than the NumPy code: the intermediates live inside the expressions
    assert first.count("\n") < dd.jit(dd.grad(rosen)).source(x).count("\n")


def test_decorator_form_and_positional_static_arguments():
    @dd.jit(numexpr=True)
    def f(x, y):
        return (x * y + 2.0) * (x - y) / (y * y + 1.0)

    g = dd.jit(lambda x, k: (x + k) * x - k, 1, numexpr=True)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    identical(f(x, y), (x * y + 2.0) * (x - y) / (y * y + 1.0))
    identical(g(x, 3), (x + 3) * x - 3)
    assert fused_lines(f.source(x, y)) and fused_lines(g.source(x, 3))


def test_signed_zeros_infinities_and_nan_go_through_exactly():
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-308, -1e308, 5e-324])
    x = np.resize(special, N) * np.resize([1.0, -1.0, 1.0], N)
    y = np.resize(special[::-1], N)

    def f(x, y):
        return dd.where(x > y, (x - y) * -0.0, x / y + dd.sqrt(dd.abs(y)) * x) - x * y

    with np.errstate(all="ignore"):
        staged = dd.jit(f, numexpr=True)
        identical(staged(x, y), f(x, y))
        assert fused_lines(staged.source(x, y))


def test_scale_nodes_are_left_to_numpy():
    # jvp of sqrt at 0 in direction 0: the tangent is 0 (not inf * 0); core.scale decides it
    # over the whole array, which numexpr would not reproduce to the sign of a zero
    x = np.abs(rng.standard_normal(N))
    x[::5] = 0.0
    t = rng.standard_normal(N)
    t[::3] = 0.0
    t[1::7] = -0.0

    def f(x, t):
        return dd.jvp(lambda u: dd.sqrt(u) * 3.0 + u * u, (x,), (t,))[1]

    with np.errstate(all="ignore"):
        staged = dd.jit(f, numexpr=True)
        identical(staged(x, t), f(x, t))
        assert "scale(" in staged.source(x, t)


def test_transcendental_functions_agree_to_a_few_ulps():
    x = rng.uniform(0.1, 2.0, N)

    def f(x):
        return dd.sum(dd.exp(-x) * dd.sin(3.0 * x) + dd.log1p(x * x) * dd.tanh(x) - dd.cosh(x))

    jitted, eager = dd.jit(dd.grad(f), numexpr=True), dd.grad(f)
    assert any("exp(" in line for line in fused_lines(jitted.source(x)))
    # numexpr calls the C library's exp, sin, tanh, ... NumPy its own SIMD versions: each may
    # round the last bit differently.  The gradient's terms (of size up to cosh(2) < 4) cancel
    # in places, so the bound is a few ulps of the terms, not of the result
    want = eager(x)
    np.testing.assert_allclose(jitted(x), want, rtol=8 * np.finfo(float).eps,
                               atol=8 * np.finfo(float).eps * 4.0)
    assert np.mean(jitted(x) == want) > 0.5  # most points are bit for bit NumPy's


_ROUNDED_NAMES = ("sin", "cos", "tan", "arc", "sinh", "cosh", "tanh", "exp", "log", "power")


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions(max_depth=4))
def test_random_expressions_on_arrays_agree_with_eager(expr):
    """The random-expression generator on large arrays: value, gradient of the sum, jvp."""
    note(expr.text)
    x = np.linspace(-3.0, 3.0, N)
    t = np.cos(np.arange(N))

    def value(x):
        return expr.dd(x) + 0.0 * x  # (an array even where expr is a constant)

    drivers = {
        "value": value,
        "grad": dd.grad(lambda x: dd.sum(value(x))),
        "jvp": lambda x, t: dd.jvp(value, (x,), (t,))[1],
    }
    exact = not any(name in expr.text for name in _ROUNDED_NAMES)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in drivers.items():
            args = (x, t) if name == "jvp" else (x,)
            eager = fn(*args)
            got = dd.jit(fn, numexpr=True)(*args)
            if exact:  # + - * / square sqrt abs where: the IEEE operations of NumPy
                np.testing.assert_array_equal(got, eager, err_msg=name)
            else:
                # ulps of the fused transcendentals, amplified by the rest of the code: on
                # the scale of the largest value (differences of large terms can be small)
                finite = np.isfinite(eager)
                np.testing.assert_array_equal(np.isfinite(got), finite, err_msg=name)
                scale = np.max(np.abs(eager[finite]), initial=1.0)
                np.testing.assert_allclose(got[finite], eager[finite], rtol=1e-9,
                                           atol=1e-11 * scale, err_msg=name)


def test_float32_complex_integer_and_small_inputs_stay_numpy():
    def f(x):
        return (x * x + 2.0) * (x - 1.0)

    x = rng.standard_normal(N)
    for arg in (x.astype(np.float32), x + 1j * x[::-1], x[:1000]):
        staged = dd.jit(f, numexpr=True)
        assert not fused_lines(staged.source(arg)), arg.dtype
        identical(staged(arg), f(arg))
    ints = np.arange(N)  # integer arithmetic: numexpr's ints are not NumPy's int64 rules
    assert not fused_lines(dd.jit(f, numexpr=True).source(ints))
    identical(dd.jit(f, numexpr=True)(ints), f(ints))


def test_broadcast_operands_and_mixed_dtypes_stay_numpy():
    x = rng.standard_normal((N // 64 + 1, 64))
    row = rng.standard_normal(64)
    x32 = rng.standard_normal(x.shape).astype(np.float32)

    def f(x, y):
        return (x * y + 1.0) * (x - y)

    for y in (row, x32):
        # x * y and x - y (broadcast, or float64 with float32) are NumPy's; the chain on
        # their float64 results of one shape is fused
        staged = dd.jit(f, numexpr=True)
        lines = fused_lines(staged.source(x, y))
        assert lines and all("x2" not in line for line in lines)
        identical(staged(x, y), f(x, y))


def test_outputs_and_guarded_values_are_not_fused_away():
    x = rng.uniform(-1, 1, N)

    def f(x):
        y = (x * 2.0 + 1.0) * x
        if dd.sum(y) > 0:  # a guard on y
            return y, (y - 3.0) * y
        return y, (y + 3.0) * y

    staged = dd.jit(f, numexpr=True)
    for point in (x, 0.01 * x - 0.25, x):  # the branch flips: a second trace, then the first again
        got = staged(point)
        want = f(point)
        identical(got[0], want[0])
        identical(got[1], want[1])
    assert staged.variants == 2


def test_a_fused_result_that_takes_an_operand_buffer_leaves_the_inputs_alone():
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    keep_x, keep_y = x.copy(), y.copy()

    def f(x, y):
        s = dd.sin(x)  # a temporary read once: the fused call writes its result there
        return (s * y + s) * 2.0 - y

    staged = dd.jit(f, numexpr=True)
    assert "out=" in staged.source(x, y)
    for _ in range(2):
        identical(staged(x, y), f(x, y))
    identical(x, keep_x)
    identical(y, keep_y)


def test_without_numexpr_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numexpr", None)  # import numexpr raises ImportError
    with pytest.raises(ImportError, match=r'pip install "exactdual\[numexpr\]"') as info:
        dd.jit(lambda x: x * 2.0, numexpr=True)
    assert "\n" not in str(info.value)
    x = rng.standard_normal(N)
    identical(dd.jit(lambda x: (x * 2.0 + 1.0) * x)(x), (x * 2.0 + 1.0) * x)  # the default


def test_numexpr_is_imported_only_when_asked_for():
    code = ("import sys, numpy as np, dualdiff as dd\n"
            f"x = np.ones({N})\n"
            "dd.jit(lambda x: (x * 2.0 + 1.0) * x)(x)\n"
            "assert 'numexpr' not in sys.modules\n"
            "dd.jit(lambda x: (x * 2.0 + 1.0) * x, numexpr=True)(x)\n"
            "assert 'numexpr' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def _root():
    import pathlib

    return pathlib.Path(dd.__file__).resolve().parent.parent


def test_an_operand_that_a_view_reads_is_no_numexpr_output():
    # numexpr, unlike NumPy's ufuncs, does not buffer operands that overlap its output
    x = np.linspace(0.0, 1.0, N)

    def f(x):
        w = (x * 2.0 + 1.0) * x
        return ((w * 3.0 - 1.0) * w + w[::-1]) * 0.5, w[1:] * 2.0 + 1.0

    staged = dd.jit(f, numexpr=True)
    source = staged.source(x)
    assert fused_lines(source)
    for point in (x, x[::-1].copy()):
        for a, b in zip(staged(point), f(point)):
            identical(a, b)


def test_a_traced_float_is_a_scalar_operand_and_nonfinite_constants_stay_numpy():
    x = rng.standard_normal(N)

    def f(x, a):
        return (x * a + 1.0) * (x - a)

    staged = dd.jit(f, numexpr=True)
    lines = fused_lines(staged.source(x, 2.5))
    assert lines and "x2" in lines[0]
    with np.errstate(over="ignore"):
        for a in (2.5, -0.0, 1e300):  # one trace for every float
            identical(staged(x, a), f(x, a))
    assert staged.variants == 1

    def g(x):
        return (x * np.inf + 1.0) * x  # inf is no literal numexpr would read back

    with np.errstate(all="ignore"):
        staged = dd.jit(g, numexpr=True)
        identical(staged(x), g(x))
        assert all("inf" not in line for line in fused_lines(staged.source(x)))


def test_a_cheap_operation_read_by_several_expressions_is_computed_in_each():
    x = rng.standard_normal(N)

    def f(x):
        y = x * 2.0
        return (y + 1.0) * x, (y - x) * y

    staged = dd.jit(f, numexpr=True)
    source = staged.source(x)
    body = source.splitlines()[1:-1]
    assert len(body) == 2 and all("numexpr" in line for line in body)  # no line for y
    assert source.count("(x1 * 2.0)") == 3
    for a, b in zip(staged(x), f(x)):
        identical(a, b)

    def g(x):  # y is also read by a comparison that stays NumPy (its result is a mask)
        y = x * 2.0
        return (y + 1.0) * x, dd.where(y > 1.0, x, -x)

    staged = dd.jit(g, numexpr=True)
    assert re.search(r"= (x1 \* 2\.0|np\.multiply\(x1, 2\.0, out=_b1\))", staged.source(x))
    for a, b in zip(staged(x), g(x)):
        identical(a, b)


def test_the_first_scattered_term_is_evaluated_into_the_result():
    x = rng.uniform(-2, 2, N)
    source = dd.jit(dd.grad(rosen), numexpr=True).source(x)
    assert "out=w5[(slice(None, -1, None),)])" in source
    n = fusion.MIN_SIZE // 2  # below the size that is fused: the NumPy scatter
    small = dd.jit(dd.grad(rosen), numexpr=True).source(x[:n])
    assert not fused_lines(small) and small == dd.jit(dd.grad(rosen)).source(x[:n])


def test_columns_strided_views_and_two_scatters():
    x = rng.uniform(-2, 2, (N + 1, 2))
    v = rng.standard_normal(x.shape)

    def f(x):
        return rosen(x[:, 0]) + rosen(x[::-1, 1] * 2.0) + dd.sum(x[::3, 0] * x[::3, 1])

    grad = dd.jit(dd.grad(f), numexpr=True)
    hvp = dd.jit(lambda x, v: dd.hvp(f, x, v), numexpr=True)
    assert fused_lines(grad.source(x)) and fused_lines(hvp.source(x, v))
    identical(grad(x), dd.grad(f)(x))
    identical(hvp(x, v), dd.hvp(f, x, v))


def test_by_default_arithmetic_alone_stays_numpy_and_transcendental_groups_are_fused(
        monkeypatch):
    monkeypatch.setattr(fusion, "ARITHMETIC", False)
    x, v = rng.uniform(-2, 2, N), rng.standard_normal(N)
    for fun, args in ((dd.grad(rosen), (x,)), (lambda x, v: dd.hvp(rosen, x, v), (x, v))):
        fused, plain = dd.jit(fun, numexpr=True), dd.jit(fun)
        assert fused.source(*args) == plain.source(*args)  # the same code, the same numbers
        identical(fused(*args), fun(*args))
    staged = dd.jit(jvp_of_g, numexpr=True)
    source = staged.source(x, v)
    expressions = [line.split("#")[1] for line in fused_lines(source) if "#" in line]
    # each fused expression holds a transcendental function; the rest is NumPy
    assert expressions and all(re.search(r"(sin|cos|exp|log1p)\(", e) for e in expressions)
    assert "np.square(" in source or "np.multiply(" in source
    for a, b in zip(staged(x, v), jvp_of_g(x, v)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)  # (libm's last bits)


def test_a_scattered_sum_whose_first_terms_are_not_fused_is_written_as_without_numexpr(
        monkeypatch):
    # _sum_first_terms rewrites g[I] = a; g[I] += b as g[I] = (a + b); when a + b is not fused
    # after all (arithmetic alone), the sum is undone: one ufunc into the buffer, no copy
    monkeypatch.setattr(fusion, "ARITHMETIC", False)

    def f(x):  # Rosenbrock's gradient (a scattered sum) beside a transcendental group
        return dd.grad(rosen)(x), np.sin(x) * np.exp(x)

    x = rng.uniform(-2, 2, N)
    staged = dd.jit(f, numexpr=True)
    source = staged.source(x)
    assert fused_lines(source)
    assert re.search(r"np\.(add|subtract)\(\w+, \w+, out=\w+\[\(slice\(None, -1, None\),\)\]\)",
                     source), source
    (g, y), (g0, y0) = staged(x), f(x)
    identical(g, g0)
    np.testing.assert_allclose(y, y0, rtol=1e-15)
