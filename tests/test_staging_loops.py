"""dd.jit on loops: rolled back into ``for`` loops, nan checks of ``scale`` at the outputs.

The generated code computes the same operations in the same order as the eager call, so the
assertions are exact (``==``, nan equal to nan).
"""

import math

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.staging import rolling


def logistic(x, n):
    for _ in range(n):
        x = 4.0 * x * (1.0 - x)
    return x


def same(a, b):
    np.testing.assert_array_equal(a, b)


def test_a_long_loop_is_rolled_and_gives_the_same_numbers():
    staged = dd.jit(dd.derivative(lambda x: logistic(x, 1000)))
    eager = dd.derivative(lambda x: logistic(x, 1000))
    for x in (0.3, 0.1, 0.7, 0.0, 1.0, 0.5):
        same(staged(x), eager(x))
    source = staged.source(0.3)
    assert source.count("for _ in range(") == 1
    assert len(source.splitlines()) < 60  # 8000 lines unrolled
    assert staged.variants == 1
    compile(source, "<test>", "exec")
    again = dd.jit(dd.derivative(lambda x: logistic(x, 1000)))
    assert again.source(0.7) == source  # deterministic (and the same code for every x)


def test_short_programs_stay_straight_line():
    staged = dd.jit(dd.derivative(lambda x: logistic(x, 5)))
    assert "for " not in staged.source(0.3)
    same(staged(0.3), dd.derivative(lambda x: logistic(x, 5))(0.3))


def test_a_value_read_once_in_its_iteration_is_written_into_its_reader():
    source = dd.jit(dd.derivative(lambda x: logistic(x, 1000))).source(0.3)
    body = source.split("for _ in range(")[1].split("\n    w")[0]
    assert "(w10 * (4.0 * w14)) - (w8 * w14)" in body  # w9, w12, w13: no names of their own
    assert len(body.splitlines()) == 5


def test_a_value_is_not_written_into_a_reader_that_sees_a_later_operand():
    # u reads y, which is written again before u's reader: u keeps its line (else its
    # reader would compute 3 * (y + 1) - (y + 1) instead of 3 * y - (y + 1))
    def f(y, s):
        for _ in range(300):
            u = y * 3.0
            y = y + 1.0
            s = s + (u - y) * 0.5
        return s

    staged = dd.jit(f)
    for point in ((0.25, 0.0), (-1.5, 2.0)):
        same(staged(*point), f(*point))
    body = staged.source(0.25, 0.0).split("for _ in range(")[1]
    assert "(w" in body  # (the rest is written into the sum: s + ((u - y) * 0.5))
    g = dd.jit(dd.grad(f, argnums=(0, 1)))
    assert g(0.25, 0.0) == dd.grad(f, argnums=(0, 1))(0.25, 0.0)


def test_a_value_that_the_code_after_the_loop_reads_keeps_its_name():
    # u is read once in each iteration, but the last iteration's u is read after the loop
    def f(y):
        s = 0.0
        for _ in range(300):
            y = y * 0.25 + 1.0
            u = y * 0.5
            s = s - u * 3.0
        return s + u * u

    for fn in (f, dd.derivative(f)):
        staged = dd.jit(fn)
        for x in (0.3, 0.3, -3.0):  # (the first call traces, the others replay)
            same(staged(x), fn(x))


def test_loops_of_hessian_vector_products_and_second_derivatives():
    def f(x):
        return logistic(dd.sin(x), 200)

    h = dd.jit(lambda x, v: dd.hvp(f, x, v))
    d2 = dd.jit(dd.derivative(dd.derivative(f)))
    for x in (0.3, 1.1):
        same(h(x, 1.0), dd.hvp(f, x, 1.0))
        same(d2(x), dd.derivative(dd.derivative(f))(x))
    assert "for _ in range(" in d2.source(0.3)


def test_what_follows_a_run_reads_an_earlier_iteration():
    # the middle state is returned too: the loop must end before it is overwritten
    def f(x):
        mid = None
        for i in range(600):
            x = 4.0 * x * (1.0 - x)
            if i == 299:
                mid = x
        return x, mid

    staged = dd.jit(lambda x: dd.jvp(f, (x,), (1.0,)))
    for x in (0.3, 0.2):
        got, want = staged(x), dd.jvp(f, (x,), (1.0,))
        for a, b in zip(got, want):
            for u, v in zip(a, b):
                same(u, v)


def test_a_recurrence_that_reads_two_steps_back():
    def f(x):
        a, b = x, 0.5 * x
        for _ in range(400):
            a, b = b, dd.sin(b) + 0.5 * a  # a is b two steps back
        return b

    staged = dd.jit(dd.derivative(f))
    for x in (0.3, -1.2):
        same(staged(x), dd.derivative(f)(x))


def test_a_loop_with_a_branch_in_it():
    def f(x):
        for _ in range(300):
            x = x * 1.7 if x < 1.0 else x * 0.55  # a guard in every step
        return x

    staged = dd.jit(dd.derivative(f))
    for x in (0.3, 0.9, 2.0, 0.3):
        same(staged(x), dd.derivative(f)(x))
    assert staged.variants >= 2


def test_a_loop_that_ends_on_a_value():
    def f(x):
        y = x
        while y < 100.0:  # the trip count depends on x: a guard per test
            y = y * 1.01 + 0.1 * dd.sin(x)
        return y

    staged = dd.jit(dd.derivative(f))
    for x in (1.0, 2.0, 1.0, 50.0):
        same(staged(x), dd.derivative(f)(x))


_OPS = {
    "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "sin": lambda a, b: dd.sin(a + b),
    "tanh": lambda a, b: dd.tanh(a) * b,
    "cos": lambda a, b: dd.cos(a) - 0.5 * b,
}


@settings(max_examples=40, deadline=None)
@given(step=st.lists(st.tuples(st.sampled_from(sorted(_OPS)), st.integers(0, 3),
                               st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=5),
       n=st.integers(30, 200), x=st.floats(-2.0, 2.0), y=st.floats(-2.0, 2.0))
def test_random_loops_eager_and_jitted_agree(step, n, x, y):
    """A random step over three state variables, repeated ``n`` times: every driver gives
    the same numbers jitted and eager (the long ones are rolled)."""
    note(step)

    def f(x, y):
        c = 0.5 * dd.sin(x * y)  # computed once, read by every step: an invariant
        s = [x, y, 0.25 * x, c]
        for _ in range(n):
            for op, i, j, k in step:
                s[k] = 0.9 * dd.tanh(_OPS[op](s[i], s[j]))
        return s[0] + s[1] * s[2]

    with np.errstate(all="ignore"):
        for driver in (dd.grad(f, argnums=(0, 1)),
                       lambda x, y: dd.jvp(f, (x, y), (1.0, -0.5))):
            staged = dd.jit(driver)
            for point in ((x, y), (y, x)):
                got, want = staged(*point), driver(*point)
                np.testing.assert_array_equal(np.asarray(got, dtype=float),
                                              np.asarray(want, dtype=float))


def test_runs_are_found_only_where_exact():
    assert rolling.MIN_NODES > 100  # the teaching examples stay straight-line


# --- nan checks of scale, deferred to the outputs ------------------------------------------


def test_a_zero_tangent_at_an_infinite_slope_is_zero_after_a_loop(monkeypatch):
    # at y = 1e5 the slope y**3 * 1e300 overflows to inf: times the zero tangent of x it is
    # 0 by the rule, nan as a plain product; the replay sees the nan at the output and runs
    # the careful variant, which gives the eager numbers
    from dualdiff.staging import codegen

    runs = []
    careful = codegen._Careful.__call__
    monkeypatch.setattr(codegen._Careful, "__call__",
                        lambda self, *a: runs.append(a) or careful(self, *a))

    def f(x, y):
        s = x
        for _ in range(100):
            s = 0.5 * s + 0.25 * x  # 0.25 * x: an invariant of the loop
        return s * (y * y * y * 1e300)

    staged = dd.jit(lambda x, y, tx, ty: dd.jvp(f, (x, y), (tx, ty)))
    source = staged.source(0.5, 2.0, 0.0, 1.0)
    assert "careful(" in source and "for _ in range(" in source
    for args in ((0.5, 2.0, 0.0, 1.0), (0.5, 1e5, 0.0, 1.0), (0.3, 1e5, 1.0, 1.0)):
        got, want = staged(*args), dd.jvp(f, args[:2], args[2:])
        same(got[0], want[0])
        same(got[1], want[1])
    assert len(runs) == 1  # (only (0.5, 1e5, 0, 1) meets inf * 0)
    assert dd.jvp(f, (0.5, 1e5), (0.0, 1.0))[1] == math.inf  # (not nan)


def test_a_product_that_meets_a_comparison_keeps_its_check():
    # the tangent is compared: a nan there would take another branch, so it is checked inline
    def g(y, ty):
        t = dd.jvp(dd.sqrt, (y,), (ty,))[1]
        return t * 2.0 if t >= 0.0 else t * 3.0

    staged = dd.jit(g)
    source = staged.source(0.0, 0.0)
    assert "scale(" in source and "careful(" not in source
    for args in ((0.0, 0.0), (4.0, 1.0), (0.0, 0.0)):
        same(staged(*args), g(*args))


def test_array_products_are_checked_once_at_the_outputs(monkeypatch):
    # the JVP of sqrt(x) * exp(x) + x on arrays: both scale products (the tangent times the
    # slopes) are plain products, and one reduction of the tangent output checks for a nan;
    # at x = 0 with a zero tangent the slope of sqrt is infinite: the careful variant runs
    # and gives the eager numbers, element by element (here the sign of each zero too)
    from dualdiff.staging import codegen

    runs = []
    careful = codegen._Careful.__call__
    monkeypatch.setattr(codegen._Careful, "__call__",
                        lambda self, *a: runs.append(a) or careful(self, *a))

    def f(x):
        return np.sqrt(x) * np.exp(x) + x

    staged = dd.jit(lambda x, v: dd.jvp(f, (x,), (v,)))
    x, v = np.array([0.5, 2.0, 3.0]), np.array([1.0, -1.0, 0.5])
    source = staged.source(x, v)
    assert "scale(" not in source.split("careful(")[0].split("if math.isnan")[0]
    assert "math.isnan(np.add.reduce(" in source
    cases = [(x, v), (np.array([0.0, 2.0, 0.0]), np.array([0.0, -1.0, -0.0])),
             (np.array([0.0, 1.0, 4.0]), np.array([1.0, 0.0, 0.0])), (x * 2.0, v)]
    for args in cases:
        for got, want in zip(staged(*args), dd.jvp(f, args[:1], args[1:])):
            same(got, want)
    assert len(runs) == 1  # (only the second case meets 0 * inf)
    assert staged(*cases[2])[1][0] == np.inf  # (an infinite slope times 1: no nan, no check)


def test_an_array_product_that_meets_a_reduction_keeps_its_check():
    # a sum is not elementwise (a nan and -inf + inf look alike to it): checked inline
    def g(x, v):
        return dd.jvp(lambda x: np.sum(np.sqrt(x)), (x,), (v,))

    staged = dd.jit(g)
    x, v = np.array([0.0, 4.0]), np.array([0.0, 1.0])
    assert "scale(" in staged.source(x, v)
    for args in ((x, v), (np.array([1.0, 4.0]), v)):
        for got, want in zip(staged(*args), g(*args)):
            same(got, want)


def test_a_nan_that_is_the_answer_takes_the_careful_code_and_stays_nan():
    def g(x, v):  # log of a negative number: nan in the value and the tangent
        return dd.jvp(lambda x: np.log(x) * np.sqrt(x), (x,), (v,))

    staged = dd.jit(g)
    x, v = np.array([-1.0, 4.0]), np.array([1.0, 1.0])
    with np.errstate(all="ignore"):
        for args in ((x, v), (-x, v)):
            for got, want in zip(staged(*args), g(*args)):
                same(got, want)


def test_scale_of_arrays_is_decided_per_element():
    # a nan product where a zero tangent meets an infinite slope is 0; every other element
    # keeps its product, the sign of a zero included (batched directions stay independent)
    from dualdiff.core import scale

    with np.errstate(invalid="ignore"):
        got = scale(np.array([np.inf, -1.0, np.inf]), np.array([0.0, 0.0, 1.0]))
        assert np.isnan(scale(np.array([np.nan, 1.0]), np.array([1.0, 0.0]))[0])
    assert got.tolist() == [0.0, 0.0, np.inf]
    assert not np.signbit(got[0]) and np.signbit(got[1])


@pytest.mark.parametrize("name", sorted(
    __import__("dualdiff.staging.codegen", fromlist=["_"])._NAN_KEEPING_NAMES))
def test_the_operations_a_deferred_check_passes_through_keep_a_nan(name):
    from dualdiff.registry import PRIMITIVES

    prim = PRIMITIVES[name]
    args = (math.nan,) * prim.nargs
    assert math.isnan(prim.math_fn(*args)), name
    for k in range(prim.nargs):  # nan with any other operand
        for other in (0.0, 1.0, math.inf, -math.inf):
            mixed = [other] * prim.nargs
            mixed[k] = math.nan
            try:
                assert math.isnan(prim.math_fn(*mixed)), (name, mixed)
            except (ValueError, OverflowError, ZeroDivisionError):
                pass  # math refuses the other operand: the replay falls back to NumPy
    # on arrays (deferred checks of array code): a nan element, whatever the other operand
    others = np.array([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, 1e308, 5e-324])
    for k in range(prim.nargs):
        arrays = [others] * prim.nargs
        arrays[k] = np.full(others.shape, math.nan)
        with np.errstate(all="ignore"):
            assert np.isnan(prim.np_fn(*arrays)).all(), (name, k)


def test_a_trace_is_freed_when_it_is_compiled_without_the_cyclic_collector():
    import collections
    import gc
    import weakref

    from dualdiff.core import strip

    refs = collections.deque()  # (not a list: dd.jit refuses a function that changes one)

    def f(x):
        y = dd.sin(x) * 2.0
        v = strip(y)  # a tracer while staging: its value is the intermediate array
        refs.append(weakref.ref(getattr(v, "value", v)))
        return dd.sum(y)

    staged = dd.jit(dd.grad(f))
    enabled = gc.isenabled()
    gc.disable()
    try:
        g = staged(np.linspace(0.0, 1.0, 1000))
        assert refs and refs[0]() is None  # freed by reference counts alone
    finally:
        if enabled:
            gc.enable()
    same(g, dd.grad(f)(np.linspace(0.0, 1.0, 1000)))
