"""dd.jit's scratch arrays: large temporaries written into arrays kept between calls.

What a replay returns must never be (or view) one of them, concurrent calls must not share
them, and a call that stops early (a failed guard) must leave the next ones right.
"""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from strategies import expressions

import dualdiff as dd
from dualdiff.staging import codegen

rng = np.random.default_rng(11)
N = 3 * codegen.SCRATCH_BYTES // 8  # float64 arrays above the threshold


def rosen(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def identical(a, b):
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            identical(u, v)
    else:
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b)
        np.testing.assert_array_equal(a, b)


def replay(staged, *args):
    """The generated code itself on ``args``: a replay with no way back to the eager call
    (which a replay takes where ``math`` raises, and which would hide a broken line)."""
    (variants,) = staged.staged._cache.values()
    return variants[-1].run(*args)


def copied(r):
    return type(r)(copied(v) for v in r) if isinstance(r, (tuple, list)) else np.copy(r)


CASES = {
    "grad": (dd.grad(rosen), 1),
    "hvp": (lambda x, v: dd.hvp(rosen, x, v), 2),
    "jvp": (lambda x, v: dd.jvp(lambda z: np.sin(z) * np.exp(-z * z) + np.log1p(z * z),
                                (x,), (v,)), 2),
    "value_and_grad": (dd.value_and_grad(lambda x: np.sum(np.tanh(x) * np.cos(x) ** 2)), 1),
    # results that are views of temporaries, and a temporary returned beside its uses
    "view": (lambda x: (np.sin(x) * x)[1:], 1),
    "transposed": (lambda x: (np.exp(x) * 2.0).reshape(3, -1).T, 1),
    "returned and read": (lambda x: ((y := np.cos(x) * x), np.sum(y * y)), 1),
}


@pytest.mark.parametrize("name", CASES)
def test_a_result_never_shares_memory_with_a_later_call(name):
    fn, arity = CASES[name]
    first = [rng.standard_normal(N) for _ in range(arity)]
    second = [rng.standard_normal(N) for _ in range(arity)]
    staged = dd.jit(fn)
    staged(*first)  # (the trace)
    r1 = replay(staged, *first)  # a replay ...
    kept = copied(r1)
    r2 = replay(staged, *second)  # ... and the next one, in the same scratch arrays
    identical(r1, kept)
    identical(r1, fn(*first))
    identical(r2, fn(*second))
    if name in ("grad", "hvp", "jvp"):
        assert "_pool.pop()" in staged.source(*first)  # (these do use scratch arrays)


def test_only_large_temporaries_are_scratch_arrays(monkeypatch):
    small = rng.standard_normal(codegen.SCRATCH_BYTES // 16)
    assert "_pool" not in dd.jit(dd.grad(rosen)).source(small)
    monkeypatch.setattr(codegen, "SCRATCH_BYTES", 1 << 62)  # (the knob: no scratch at all)
    x = rng.standard_normal(N)
    staged = dd.jit(dd.grad(rosen))
    assert "_pool" not in staged.source(x)
    identical(staged(x), dd.grad(rosen)(x))


def test_concurrent_calls_each_take_their_own_scratch():
    staged = dd.jit(lambda x, v: dd.hvp(rosen, x, v))
    points = [(rng.standard_normal(N), rng.standard_normal(N)) for _ in range(12)]
    expected = [dd.hvp(rosen, x, v) for x, v in points]
    staged(*points[0])
    errors = []

    def work(k):
        try:
            for _ in range(5):
                for j in range(k, len(points), 3):
                    identical(staged(*points[j]), expected[j])
        except AssertionError as e:  # (reported by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_a_call_that_fails_a_guard_leaves_the_next_calls_right():
    def f(x):
        y = np.sin(x) * x  # a scratch temporary, taken before the guard below
        if np.sum(y) > np.sum(x):
            return y * 2.0 + x
        return y * 3.0 - x

    staged = dd.jit(f)
    a = rng.standard_normal(N)
    b = -a
    points = [a, b, a, a, b, b, a]
    for p in points:
        identical(staged(p), f(p))
    assert staged.variants == (1 if (np.sum(np.sin(a) * a) > np.sum(a)) == (
        np.sum(np.sin(b) * b) > np.sum(b)) else 2)


@settings(max_examples=25, deadline=None)
@given(expr=expressions(max_depth=4), seed=st.integers(0, 2**16))
def test_random_array_expressions_agree_eager_and_jitted(expr, seed):
    note(expr.text)
    r = np.random.default_rng(seed)
    x, y, v = r.uniform(-3, 3, N), r.uniform(-3, 3, N), r.standard_normal(N)
    drivers = {
        "value": expr.dd,
        "jvp": lambda x: dd.jvp(expr.dd, (x,), (v,)),
        "grad": dd.grad(lambda x: np.sum(expr.dd(x))),
    }
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in drivers.items():
            note(name)
            staged = dd.jit(fn)
            staged(x)
            rx = staged(x)
            kept = copied(rx)
            ry = staged(y)
            identical(rx, kept)
            identical(rx, fn(x))
            identical(ry, fn(y))


# --- blocked runs: elementwise lines over cache-sized chunks --------------------------------

@pytest.fixture
def small_blocks(monkeypatch):
    """Chunks of 8 float64 (16 float32), so that arrays of a hundred elements are blocked,
    with a shorter last chunk."""
    monkeypatch.setattr(codegen, "BLOCK_BYTES", 64)
    monkeypatch.setattr(codegen, "BLOCK_MIN_BYTES", 256)
    monkeypatch.setattr(codegen, "SCRATCH_BYTES", 64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_blocked_run_gives_the_numbers_of_the_whole_arrays(small_blocks, dtype):
    special = np.array([np.nan, -0.0, np.inf, 1.5, -2.0, 0.0, -np.inf, 1e-310], dtype)
    x = np.concatenate([special, rng.standard_normal(93).astype(dtype)])
    v = np.concatenate([special[::-1], rng.standard_normal(93).astype(dtype)])
    for fn, args in ((dd.grad(rosen), (x,)), (lambda x, v: dd.hvp(rosen, x, v), (x, v)),
                     (lambda x, v: dd.jvp(lambda z: (z * z - 3.0 * z) / (1.0 + z * z),
                                          (x,), (v,)), (x, v))):
        staged = dd.jit(fn)
        with np.errstate(all="ignore"):
            assert "elements at a time (in cache)" in staged.source(*args)
            first = replay(staged, *args)
            kept = copied(first)
            again = replay(staged, *(a[::-1].copy() for a in args))
            identical(first, kept)
            identical(first, fn(*args))
            identical(again, fn(*(a[::-1].copy() for a in args)))


def test_only_exact_one_dimensional_lines_are_blocked(small_blocks, monkeypatch):
    x = rng.standard_normal(101)
    src = dd.jit(lambda x: np.sin(x) * x + np.cos(x) * 2.0).source(x)
    assert "elements at a time" not in src  # (sin, cos: NumPy's SIMD loops end arrays apart)
    m = rng.standard_normal((12, 9))
    assert "elements at a time" not in dd.jit(lambda m: (m * m + 1.0) * m - m).source(m)
    src = dd.jit(lambda x: ((x * x + 1.0) * x - x) / 3.0).source(x)
    assert "elements at a time" in src
    identical(dd.jit(lambda x: ((x * x + 1.0) * x - x) / 3.0)(x), ((x * x + 1.0) * x - x) / 3.0)
    monkeypatch.setattr(codegen, "BLOCK_MIN_BYTES", 8 * 102)  # (arrays that stay in cache)
    assert "elements at a time" not in dd.jit(lambda x: ((x * x + 1.0) * x - x) / 3.0).source(x)


@settings(max_examples=25, deadline=None)
@given(expr=expressions(max_depth=4), seed=st.integers(0, 2**16), n=st.integers(33, 80))
def test_random_expressions_blocked_agree_with_eager(expr, seed, n):
    note(expr.text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(codegen, "BLOCK_BYTES", 64)
        mp.setattr(codegen, "BLOCK_MIN_BYTES", 256)
        mp.setattr(codegen, "SCRATCH_BYTES", 64)
        r = np.random.default_rng(seed)
        x, v = r.uniform(-3, 3, n), r.standard_normal(n)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for fn in (lambda x: dd.jvp(expr.dd, (x,), (v,)),
                       dd.grad(lambda x: np.sum(expr.dd(x)))):
                staged = dd.jit(fn)
                staged(x)
                identical(replay(staged, x), fn(x))
                identical(replay(staged, -x), fn(-x))
