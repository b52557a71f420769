"""Every elementwise primitive against the 50-digit mpmath reference.

Parametrised over the union of the reference table and dualdiff's own rule table, so a rule
added to ``dualdiff.rules`` without an entry in reference.py / strategies.py fails here.

Tolerances.  Values: relative 1e-12 measured against ``max(|f|, sum_i |x_i df/dx_i|)``, the
size of the change that rounding the inputs by one relative unit causes: an evaluation
accurate to a few ulps of its inputs always passes, and where ``f`` is well conditioned this
is a plain relative tolerance.  Derivatives: plain relative 1e-12 (every partial is well
conditioned on the domains in strategies.py, so a formula that loses more than a few digits
there is a bug, not noise).  ``DERIVATIVE_RTOL`` lists any rule that needs more, with why.
"""

import mpmath
import numpy as np
import pytest
import reference as ref
from helpers import EPS, assert_close, primal, tangent
from hypothesis import given
from hypothesis import strategies as st
from reference import REFERENCES
from strategies import (
    API_NAMES,
    DOMAINS,
    array_points,
    arrays,
    batched_tangents,
    broadcast_shapes,
    dd_function,
    domain,
    points,
    tangents,
)

import dualdiff as dd

RTOL = 1e-12

#: per-rule derivative tolerances looser than RTOL, each with its reason.  (Empty on purpose:
#: every partial is well conditioned on its domain.)
DERIVATIVE_RTOL: dict[str, float] = {}


def _table():
    """dualdiff's rule table: name -> primitive, restricted to the elementwise kinds."""
    from dualdiff import rules  # noqa: PLC0415

    table = getattr(rules, "PRIMITIVES", {})
    # scipy.special's rules ("scipy.special.erf") are walked the same way by test_special.py
    # against tests/reference_special.py
    return {n: p for n, p in table.items() if getattr(p, "kind", None) in ("elementwise", "zero")
            and not n.startswith("scipy.")}


NAMES = sorted(set(REFERENCES) | set(_table()))
UNARY = [n for n in NAMES if n not in REFERENCES or REFERENCES[n].arity == 1]
BINARY = [n for n in NAMES if n in REFERENCES and REFERENCES[n].arity == 2]
UFUNCS = [n for n in NAMES if n in REFERENCES and REFERENCES[n].ufunc]


def reference(name):
    if name not in REFERENCES or name not in DOMAINS:
        pytest.fail(
            f"dualdiff.rules has primitive {name!r} but tests/reference.py or "
            f"tests/strategies.py DOMAINS has no entry for it: add its mpmath reference and domain"
        )
    return REFERENCES[name]


def drtol(name):
    return DERIVATIVE_RTOL.get(name, RTOL)


def _vals(name, args):
    """Reference values, partials and condition scales at (broadcast) arrays."""
    return ref.evaluate_arrays(name, *args)


# --- the table itself -------------------------------------------------------------------------


def test_every_rule_in_the_table_has_a_reference():
    table = _table()
    assert table, "dualdiff.rules.PRIMITIVES has no elementwise or zero-derivative rule"
    missing = sorted(set(table) - set(REFERENCES))
    assert not missing, f"rules without an mpmath reference in tests/reference.py: {missing}"
    no_domain = sorted(set(REFERENCES) - set(DOMAINS))
    assert not no_domain, f"references without a domain in tests/strategies.py: {no_domain}"


def test_every_reference_is_a_rule_and_public():
    table = _table()
    for name, r in REFERENCES.items():
        assert name in table, f"{name} is not an elementwise rule in dualdiff.rules.PRIMITIVES"
        if name in API_NAMES:
            assert callable(getattr(dd, name, None)), f"dd.{name} is missing (API.md lists it)"
        if r.ufunc:
            assert isinstance(getattr(np, name), np.ufunc), f"np.{name} is not a ufunc"
    assert API_NAMES <= set(REFERENCES), sorted(API_NAMES - set(REFERENCES))


def test_rule_arity_matches_reference():
    for name, prim in _table().items():
        nargs = getattr(prim, "nargs", None)
        if name in REFERENCES and nargs is not None:
            assert nargs == REFERENCES[name].arity, name


# --- the reference checks itself --------------------------------------------------------------


def _grid(name):
    """Deterministic points spread over the domain of each argument (ends included)."""
    per_arg = [
        [lo + (hi - lo) * k / 6 for lo, hi in DOMAINS[name][i] for k in range(7)]
        for i in range(REFERENCES[name].arity)
    ]
    if len(per_arg) == 1:
        return [(x,) for x in per_arg[0]]
    # the two arguments' grids may differ in length: pair them up both ways round
    return list(zip(per_arg[0], per_arg[1][::-1], strict=False)) + list(
        zip(per_arg[0], per_arg[1], strict=False)
    )


@pytest.mark.parametrize("name", NAMES)
def test_reference_is_right(name):
    """The reference against NumPy (values) and ``mpmath.diff`` (the hand-written partials),
    so that a typo in reference.py shows up here and not as a mysterious library failure."""
    r = reference(name)
    for args in _grid(name):
        want, _, scale = _vals(name, args)
        if r.ufunc:
            got = getattr(np, name)(*args)
            assert_close(got, want, 1e-13, scale=scale, what=f"np.{name} vs mpmath", inputs=args)
        with mpmath.workdps(ref.DPS):
            xs = [mpmath.mpf(a) for a in args]
            for i, p in enumerate(r.partials):
                if name in ("maximum", "minimum") and abs(xs[0] - xs[1]) < 1e-10:
                    continue  # at (or within a difference step of) the kink at a tie
                if name in ref.PIECEWISE_CONSTANT:
                    step = mpmath.mpf(10) ** -20
                    if r.value(xs[i] - step) != r.value(xs[i] + step):
                        continue  # at a jump
                def f(t, i=i, xs=xs):
                    return r.value(*(t if j == i else x for j, x in enumerate(xs)))

                step = mpmath.mpf(10) ** -20
                if name in ref.JUMPS and abs(f(xs[i] - step) - f(xs[i] + step)) > 1e-10:
                    continue  # at a jump

                num = mpmath.diff(f, xs[i])
                ana = p(*xs)
                assert abs(num - ana) <= mpmath.mpf(10) ** -30 * max(1, abs(ana)), (name, i, args)


# --- (1) scalar values and (2) scalar derivatives ---------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_scalar(name, data):
    """``dd.NAME(x)`` on floats, ``dd.derivative`` (unary) and ``dd.jvp`` partials (binary)."""
    r = reference(name)
    args = data.draw(points(name))
    fn = dd_function(name)
    want, parts, scale = _vals(name, args)
    assert_close(fn(*args), want, RTOL, scale=scale, what=f"dd.{name} value", inputs=args)
    np_args = [np.float64(a) for a in args]
    assert_close(
        fn(*np_args), want, RTOL, scale=scale, what=f"dd.{name} on np.float64", inputs=args
    )
    if r.arity == 1:
        got = dd.derivative(fn)(*args)
        assert_close(got, parts[0], drtol(name), what=f"dd.derivative(dd.{name})", inputs=args)
        return
    for i in range(r.arity):
        seed = tuple(1.0 if j == i else 0.0 for j in range(r.arity))
        out, out_dot = dd.jvp(fn, args, seed)
        assert_close(out, want, RTOL, scale=scale, what=f"dd.jvp({name}) value", inputs=args)
        assert_close(out_dot, parts[i], drtol(name), what=f"d{name}/dx{i} by jvp", inputs=args)


# --- (3) arrays, through dd.NAME and through the NumPy ufunc ----------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_array(name, data):
    """A Dual array at one argument (plain arrays at the others), via ``dd.NAME`` and
    ``np.NAME``; for binary rules also ``dd.jvp`` with tangents on both arguments."""
    r = reference(name)
    xs = data.draw(array_points(name))
    ts = [data.draw(tangents(np.shape(x))) for x in xs]
    want, parts, scale = _vals(name, xs)
    fns = [(dd_function(name), f"dd.{name}")]
    if r.ufunc:
        fns.append((getattr(np, name), f"np.{name}"))
    for fn, label in fns:
        for i in range(r.arity):
            args = [dd.Dual(x, ts[i]) if j == i else x for j, x in enumerate(xs)]
            out = fn(*args)
            what = f"{label}(Dual array at x{i})"
            assert_close(primal(out), want, RTOL, scale=scale, what=f"{what} value", inputs=xs)
            assert_close(
                tangent(out), parts[i] * ts[i], drtol(name), what=f"{what} tangent", inputs=xs
            )
    if r.arity == 2:
        out, out_dot = dd.jvp(dd_function(name), xs, ts)
        terms = [p * t for p, t in zip(parts, ts, strict=True)]
        # px*tx + py*ty may cancel: measure the error against the size of the terms.
        assert_close(
            out_dot, terms[0] + terms[1], drtol(name), scale=np.abs(terms[0]) + np.abs(terms[1]),
            what=f"dd.jvp({name}) with both tangents", inputs=xs,
        )


# --- (4) reverse mode -------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_grad_of_sum(name, data):
    """``dd.grad(lambda x: np.sum(dd.NAME(x)))`` is the elementwise derivative."""
    reference(name)
    xs = data.draw(array_points(name))
    fn = dd_function(name)
    _, parts, _ = _vals(name, xs)
    for i in range(len(xs)):
        def f(v, i=i):
            return np.sum(fn(*(v if j == i else x for j, x in enumerate(xs))))

        got = dd.grad(f)(xs[i])
        assert_close(got, parts[i], drtol(name), what=f"dd.grad(sum({name})) in x{i}", inputs=xs)


# --- (5) batched tangents ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_batched_tangents_equal_separate_passes(name, data):
    reference(name)
    xs = data.draw(array_points(name))
    s = np.shape(xs[0])
    t0 = data.draw(batched_tangents(s))
    k = t0.shape[0]
    ts = [t0] + [data.draw(arrays(st.floats(-2.0, 2.0), (k,) + s)) for _ in xs[1:]]
    fn = dd_function(name)
    out = fn(*(dd.Dual(x, t) for x, t in zip(xs, ts, strict=True)))
    assert np.shape(tangent(out)) == (k,) + s, f"batched tangent shape of {name}"
    _, parts, _ = _vals(name, xs)
    for j in range(k):
        single = fn(*(dd.Dual(x, t[j]) for x, t in zip(xs, ts, strict=True)))
        terms = [p * t[j] for p, t in zip(parts, ts, strict=True)]
        size = sum(np.abs(term) for term in terms)
        # Same arithmetic per direction: equal up to the last bits of a sum of len(xs) terms.
        assert_close(
            tangent(out)[j], tangent(single), 4 * EPS, scale=size,
            what=f"{name}: batched direction {j} vs a separate pass", inputs=xs,
        )
        assert_close(
            tangent(out)[j], sum(terms), drtol(name), scale=size,
            what=f"{name}: batched direction {j} vs reference", inputs=xs,
        )
        if all(not np.any(t[j]) for t in ts):
            assert np.all(tangent(out)[j] == 0), f"{name}: a zero direction must stay exactly 0"


# --- (6) broadcasting -------------------------------------------------------------------------


def _unbroadcast(g, s):
    lead = g.ndim - len(s)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(i for i, n in enumerate(s) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(s) if axes else g.reshape(s)


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_broadcasting(name, data):
    sx, sy = data.draw(broadcast_shapes())
    x = data.draw(arrays(domain(name, 0), sx))
    y = data.draw(arrays(domain(name, 1), sy))
    tx, ty = data.draw(tangents(sx)), data.draw(tangents(sy))
    _check_broadcasting(name, x, y, tx, ty)


@pytest.mark.parametrize("name", BINARY)
def test_broadcasting_3x1_with_4(name, rng):
    """The case named in the brief, on every run (hypothesis need not draw it)."""

    def sample(arg, shape):
        intervals = DOMAINS[name][arg]
        lo, hi = intervals[rng.integers(len(intervals))]
        return rng.uniform(lo, hi, size=shape)

    x, y = sample(0, (3, 1)), sample(1, (4,))
    _check_broadcasting(name, x, y, rng.normal(size=(3, 1)), rng.normal(size=(4,)))


def _check_broadcasting(name, x, y, tx, ty):
    sx, sy = np.shape(x), np.shape(y)
    fn = dd_function(name)
    out_shape = np.broadcast_shapes(sx, sy)
    want, (px, py), scale = _vals(name, (x, y))
    where = f"{name} broadcast {sx} with {sy}"

    # forward, one direction
    out, out_dot = dd.jvp(fn, (x, y), (tx, ty))
    assert np.shape(out) == out_shape and np.shape(out_dot) == out_shape, where
    assert_close(out, want, RTOL, scale=scale, what=f"{where}: value")
    terms = px * tx, py * ty
    assert_close(
        out_dot, terms[0] + terms[1], drtol(name), scale=np.abs(terms[0]) + np.abs(terms[1]),
        what=f"{where}: tangent",
    )

    # forward, a batch of two directions
    bx = np.stack([tx, np.zeros(sx)])
    by = np.stack([np.zeros(sy), ty])
    out = fn(dd.Dual(x, bx), dd.Dual(y, by))
    assert np.shape(tangent(out)) == (2,) + out_shape, where
    for j, term in enumerate(terms):
        assert_close(
            tangent(out)[j], np.broadcast_to(term, out_shape), drtol(name),
            what=f"{where}: batched direction {j}",
        )

    # reverse: the adjoint is summed over the broadcast axes
    gx = dd.grad(lambda v: np.sum(fn(v, y)))(x)
    gy = dd.grad(lambda v: np.sum(fn(x, v)))(y)
    for got, p, s, label in ((gx, px, sx, "x"), (gy, py, sy, "y")):
        assert np.shape(got) == s, f"{where}: grad in {label} has shape {np.shape(got)}, want {s}"
        assert_close(
            got, _unbroadcast(p, s), drtol(name), scale=_unbroadcast(np.abs(p), s),
            what=f"{where}: grad in {label}",
        )
