"""dd.jit and what a function reads from outside its arguments.

A replay is right only while the globals, closed-over variables and attributes that the traced
code read are what they were: each case below changes one after a trace and checks that the
next call gives the eager number.  A function that changes such state itself (a counter, a
list it appends to, a random generator it draws from) is refused with a TypeError naming it.
"""

import functools
import random
import types

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.staging import TracingError
from dualdiff.staging.free import SMALL, FreeValues

_A = 1.0
_CFG = types.ModuleType("dd_test_config")  # a user's module of settings
_CFG.scale = 2.0
_SCALES = [2.0, 3.0]
_PARAMS = {"a": 2.0}


def _f(x):
    return _A * x**2


def _helper(x):
    return _A * dd.sin(x)


def _uses_helper(x):
    return _helper(x) * x


def _uses_module(x):
    return _CFG.scale * dd.exp(x)


def _uses_list_and_dict(x):
    return _SCALES[0] * x + _PARAMS["a"] * x**3


@pytest.fixture(autouse=True)
def _restore():
    global _A
    yield
    _A = 1.0
    _CFG.scale = 2.0
    _SCALES[:] = [2.0, 3.0]
    _PARAMS.clear()
    _PARAMS["a"] = 2.0


def test_a_global_of_a_function_under_a_driver_is_checked():
    # dd.grad(f) holds f in a closure cell: f's globals are walked through it
    global _A
    g, d = dd.jit(dd.grad(_f)), dd.jit(dd.derivative(_f))
    assert g(2.0) == 4.0 and d(2.0) == 4.0
    _A = 5.0
    assert g(2.0) == 20.0 == dd.grad(_f)(2.0)
    assert d(2.0) == 20.0
    hvp = dd.jit(lambda x, v: dd.hvp(_f, x, v))
    assert hvp(1.0, 1.0) == 10.0
    _A = 0.5
    assert hvp(1.0, 1.0) == 1.0


def test_a_helper_that_reads_a_global_is_checked():
    global _A
    staged = dd.jit(dd.grad(_uses_helper))
    assert staged(0.3) == dd.grad(_uses_helper)(0.3)
    _A = 7.0
    assert staged(0.3) == dd.grad(_uses_helper)(0.3) != dd.grad(_helper)(0.3)


def test_attributes_of_a_user_module_are_checked():
    staged = dd.jit(dd.derivative(_uses_module))
    assert staged(0.5) == 2.0 * np.exp(0.5)
    _CFG.scale = 3.0
    assert staged(0.5) == 3.0 * np.exp(0.5)


def test_items_of_small_lists_and_dicts_are_checked():
    staged = dd.jit(dd.derivative(_uses_list_and_dict))
    assert staged(1.0) == 2.0 + 6.0
    _SCALES[0] = 4.0
    assert staged(1.0) == 4.0 + 6.0
    _PARAMS["a"] = 1.0
    assert staged(1.0) == 4.0 + 3.0
    assert staged.variants == 1  # each change dropped the old trace


def test_a_bound_method_and_a_callable_object_read_their_attributes():
    class Model:
        def __init__(self):
            self.rate = 2.0

        def loss(self, x):
            return self.rate * dd.sum(x**2)

        def __call__(self, x):
            return self.loss(x)

    m, x = Model(), np.array([1.0, 2.0])
    by_method, by_object = dd.jit(dd.grad(m.loss)), dd.jit(dd.grad(m))
    np.testing.assert_array_equal(by_method(x), [4.0, 8.0])
    np.testing.assert_array_equal(by_object(x), [4.0, 8.0])
    m.rate = 0.5
    np.testing.assert_array_equal(by_method(x), [1.0, 2.0])
    np.testing.assert_array_equal(by_object(x), [1.0, 2.0])


def test_a_partial_and_a_decorated_function_are_walked():
    global _A

    def power(x, p):
        return _A * x**p

    @functools.wraps(power)
    def logged(*args):
        return power(*args)

    part, wrapped = dd.jit(dd.derivative(functools.partial(power, p=2))), dd.jit(logged)
    assert part(3.0) == 6.0 and wrapped(3.0, 2) == 9.0
    _A = 2.0
    assert part(3.0) == 12.0 and wrapped(3.0, 2) == 18.0


def test_names_defined_after_jit_are_seen():
    # the walk is taken at each trace, not when dd.jit is called: a decorator at the top of
    # a module may name helpers defined below it
    ns = {"dd": dd}
    exec("@dd.jit\ndef f(x):\n    return later(x)\n", ns)
    exec("def later(x):\n    return k * x\nk = 2.0\n", ns)
    assert ns["f"](3.0) == 6.0
    ns["k"] = 5.0
    assert ns["f"](3.0) == 15.0


def test_a_closed_over_variable_rebound_by_the_caller():
    scale = 2.0

    def f(x):
        return scale * x

    staged = dd.jit(f)
    assert staged(1.0) == 2.0
    scale = 3.0
    assert staged(1.0) == 3.0
    assert staged(np.ones(2)).tolist() == [3.0, 3.0]
    scale = 4.0  # noqa: F841  (read by f)
    assert staged(np.ones(2)).tolist() == [4.0, 4.0]  # the array fast path checks it too


def test_a_jitted_function_inside_another_is_walked():
    global _A
    inner = dd.jit(_f)
    outer = dd.jit(dd.grad(lambda x: inner(x) + x))
    assert outer(1.0) == 3.0
    _A = 3.0
    assert outer(1.0) == 7.0


# --- functions that change state while traced: refused ---------------------------------------

_CALLS = 0


def _counts(x):
    global _CALLS
    _CALLS += 1
    return x * _CALLS


def test_a_function_that_keeps_state_is_refused():
    with pytest.raises(TracingError, match="global '_CALLS'"):
        dd.jit(_counts)(1.0)
    assert issubclass(TracingError, TypeError)
    history = []

    def logs(x):
        history.append(x)
        return x * 2.0

    with pytest.raises(TypeError, match="contents of the closed-over variable 'history'"):
        dd.jit(logs)(1.0)
    n = 0

    def nonlocal_counter(x):
        nonlocal n
        n += 1
        return x + n

    with pytest.raises(TypeError, match="closed-over variable 'n'"):
        dd.jit(nonlocal_counter)(1.0)

    class Running:
        def __init__(self):
            self.total = 0.0

        def add(self, x):
            self.total = self.total + x
            return self.total

    with pytest.raises(TypeError, match="attribute 'total' of the Running"):
        dd.jit(Running().add)(1.0)


def test_random_numbers_drawn_while_traced_are_refused():
    with pytest.raises(TypeError, match="np.random's global generator"):
        dd.jit(lambda x: x * np.random.rand())(1.0)
    with pytest.raises(TypeError, match="Python's random module"):
        dd.jit(lambda x: x * random.random())(1.0)
    gen = np.random.default_rng(0)
    with pytest.raises(TypeError, match="closed-over variable 'gen'"):
        dd.jit(lambda x: x * gen.standard_normal())(1.0)
    # randomness through the arguments is staged
    staged = dd.jit(lambda x, noise: x * noise)
    assert staged(2.0, 0.25) == 0.5 and staged(2.0, 0.5) == 1.0 and staged.variants == 1


def test_state_set_up_on_the_first_call_is_allowed():
    table = {}

    def f(x):
        if "c" not in table:  # a lazy set-up: changes state on the first call only
            table["c"] = 3.0
        return table["c"] * x

    staged = dd.jit(dd.derivative(f))
    assert staged(1.0) == 3.0 and staged(2.0) == 3.0 and staged.variants == 1


def test_the_walk_stops_at_libraries_and_large_containers():
    big = list(range(SMALL + 1))
    free = FreeValues.of(lambda x: big[0] * np.sin(x) + dd.sin(x))
    labels = [label for *_, label in free.cells]
    assert labels == ["the closed-over variable 'big' of "
                      "test_the_walk_stops_at_libraries_and_large_containers.<locals>.<lambda>"]
    assert not free.containers and not free.slots  # np and dd are modules of libraries
    assert FreeValues.of(np.sin) is None and FreeValues.of(dd.grad(np.sum)) is not None


def test_a_change_made_while_tracing_drops_the_traces_taken_before():
    state = {"mode": 1.0}

    def f(x, flag):
        if flag and state["mode"] == 1.0:
            state["mode"] = 2.0  # set once, by the path of flag=True only
        return state["mode"] * x

    staged = dd.jit(f, static_argnums=1)
    assert staged(1.0, False) == 1.0
    assert staged(1.0, True) == 2.0
    assert staged(1.0, False) == 2.0 == f(1.0, False)  # not the trace taken under mode 1


def test_class_attributes_and_properties_are_checked():
    class Layer:
        GAIN = 2.0

        def __init__(self):
            self._w = 1.0

        @property
        def w(self):
            return self._w * self.GAIN

        def __call__(self, x):
            return self.w * dd.sum(x**2)

    layer, x = Layer(), np.array([1.0, 3.0])
    staged = dd.jit(dd.grad(layer))
    np.testing.assert_array_equal(staged(x), [4.0, 12.0])
    Layer.GAIN = 0.5
    np.testing.assert_array_equal(staged(x), [1.0, 3.0])
    layer._w = 4.0
    np.testing.assert_array_equal(staged(x), [4.0, 12.0])
