"""``scipy.special`` and ``scipy.stats`` on Duals and tape values, against mpmath at 50 digits.

Every ``scipy.special`` rule in the registry must have an entry in tests/reference_special.py
(checked first, so no rule goes untested); each entry is checked against ``mpmath.diff`` of its
own value, then the library against it: values, forward and reverse first derivatives, second
derivatives (nesting), batched tangents and the rest of ``dd.check_rule``.

Tolerances: derivatives to 1e-12 relative to ``max(|f'|, sum of the sizes of the terms the
derivative is made of)`` -- the terms' size is what rounding the inputs of a difference such as
``erfcx' = 2 x erfcx(x) - 2/sqrt(pi)`` or ``kl_div``'s ``1 - x/y`` moves it by
(``SCALES``); second derivatives to 1e-10 (one more level of such differences).
"""

import subprocess
import sys

import hypothesis.extra.numpy as hnp
import mpmath
import numpy as np
import pytest
from helpers import assert_close
from hypothesis import given
from hypothesis import strategies as st
from reference_special import SPECIAL, evaluate

import dualdiff as dd

sp = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")

NAMES = sorted(SPECIAL)
RTOL = 1e-12


def fn(name):
    return getattr(sp, name)


def moving(name):
    """The arguments with a derivative (the others are orders: constants)."""
    return [i for i, p in enumerate(SPECIAL[name].partials) if p is not None]


def grid(name):
    return [np.array(p, dtype=float) for p in SPECIAL[name].points]


def ref(name, args, i=None):
    out = np.empty(args[0].shape)
    for k in np.ndindex(out.shape):
        out[k] = float(evaluate(name, [a[k] for a in args], i))
    return out


#: the size of the terms a derivative is computed from, where they cancel (see the docstring)
SCALES = {
    "erfcx": lambda x: 2 * np.abs(x * sp.erfcx(x)) + 2 / np.sqrt(np.pi),
    "kl_div": lambda x, y: 1 + np.abs(x / y),
    "rel_entr": lambda x, y: np.abs(np.log(x)) + np.abs(np.log(y)) + 1,
    "log_ndtr": lambda x: np.abs(x) + 1,
    "i0e": lambda x: sp.i1e(x) + sp.i0e(x),
    "i1e": lambda x: sp.i0e(x) + sp.i1e(x),
    "ive": lambda v, x: 2 * sp.ive(v, x) + sp.ive(v + 1, x) + sp.ive(np.abs(v - 1), x),
}


def scale(name, args, i):
    s = SCALES.get(name)
    return 0.0 if s is None or i != len(args) - 1 else s(*args)


# --- the table -------------------------------------------------------------------------------


def test_import_dualdiff_does_not_import_scipy():
    code = "import sys, dualdiff; assert not any(m.startswith('scipy') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("first", ["scipy.stats", "scipy.linalg", "scipy.special",
                                   "scipy.optimize", "scipy.signal"])
def test_scipy_imported_after_dualdiff_gets_its_rules(first):
    # scipy.stats imports scipy.special and scipy.linalg on its way: their rules load when
    # each finishes, the rules of scipy.stats when it has (it used to be loaded half-done,
    # an ImportError of `import dualdiff; import scipy.stats`)
    code = (
        f"import numpy as np, dualdiff as dd\nimport {first}\n"
        "from scipy.stats import norm\nfrom scipy.special import erf\n"
        "from scipy.linalg import expm\n"
        "assert dd.derivative(lambda x: norm.logpdf(x))(0.5) == -0.5\n"
        "assert abs(dd.derivative(erf)(0.0) - 2 / np.pi ** 0.5) < 1e-15\n"
        "assert dd.grad(lambda a: np.trace(expm(a)))(np.zeros((2, 2))).tolist() == "
        "[[1.0, 0.0], [0.0, 1.0]]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_scipy_nothing_changes():
    """With SciPy unimportable, dualdiff imports and works, and NumPy's messages stay."""
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "import numpy as np, dualdiff as dd\n"
        "assert dd.grad(lambda x: np.sum(np.sin(x)))(np.ones(2)).shape == (2,)\n"
        "assert float(dd.derivative(np.sinc)(0.0)) == 0.0\n"
        "try:\n    np.spacing(dd.Dual(0.5, 1.0))\nexcept TypeError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "np.spacing is not supported on Duals" in out.stdout


def test_every_special_rule_has_a_reference():
    from dualdiff.registry import PRIMITIVES  # noqa: PLC0415

    table = {n.removeprefix("scipy.special.") for n, p in PRIMITIVES.items()
             if n.startswith("scipy.special.") and p.kind == "elementwise"}
    assert table, "no scipy.special rule is registered although scipy.special is imported"
    assert table == set(SPECIAL), (f"rules without a reference: {sorted(table - set(SPECIAL))};"
                                   f" references without a rule: {sorted(set(SPECIAL) - table)}")


@pytest.mark.parametrize("name", NAMES)
def test_reference_is_right(name):
    """The hand-written partials against ``mpmath.diff`` of the value, at 50 digits."""
    r = SPECIAL[name]
    for args in zip(*r.points):
        with mpmath.workdps(50):
            xs = [mpmath.mpf(a) for a in args]
            for i in moving(name):
                f = lambda t, i=i, xs=xs: r.value(*(t if j == i else x for j, x in enumerate(xs)))
                num, ana = mpmath.diff(f, xs[i]), r.partials[i](*xs)
                assert abs(num - ana) <= mpmath.mpf(10) ** -30 * max(1, abs(ana)), (name, args)


# --- values, forward and reverse -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_reverse_against_mpmath(name):
    args = grid(name)
    f = fn(name)
    want = ref(name, args)
    for i in moving(name):
        part = ref(name, args, i)
        t = np.linspace(0.5, 1.5, args[i].size)
        xs = [dd.Dual(a, t) if j == i else a for j, a in enumerate(args)]
        out = f(*xs)
        assert_close(out.primal, want, RTOL, what=f"scipy.special.{name} value", inputs=args)
        assert_close(out.tangent, part * t, RTOL, scale=scale(name, args, i) * t,
                     what=f"{name}: forward d/dx{i}", inputs=args)
        g = dd.grad(lambda v, i=i: np.sum(f(*(v if j == i else a for j, a in enumerate(args)))))
        assert_close(g(args[i]), part, RTOL, scale=scale(name, args, i),
                     what=f"{name}: reverse d/dx{i}", inputs=args)


@pytest.mark.parametrize("name", NAMES)
def test_scalar_floats(name):
    """A Python-float Dual (the scalar path), one point of the grid."""
    args = [float(p[1]) for p in SPECIAL[name].points]
    i = moving(name)[-1]
    d = dd.derivative(lambda v: fn(name)(*(v if j == i else a for j, a in enumerate(args))))
    want = float(evaluate(name, args, i))
    assert_close(d(args[i]), want, RTOL, scale=scale(name, [np.array(a) for a in args], i),
                 what=f"{name}: dd.derivative", inputs=[np.array(a) for a in args])


@pytest.mark.parametrize("name", NAMES)
def test_second_and_third_derivatives_against_mpmath(name):
    """Partials written with the library's own functions nest: d2 and d3 against mpmath."""
    r = SPECIAL[name]
    i = moving(name)[-1]
    for args in list(zip(*r.points))[1:4]:
        def f(v, args=args):
            return fn(name)(*(v if j == i else a for j, a in enumerate(args)))

        with mpmath.workdps(50):
            xs = [mpmath.mpf(a) for a in args]
            g = lambda t, xs=xs: r.value(*(t if j == i else x for j, x in enumerate(xs)))
            d2, d3 = mpmath.diff(g, xs[i], 2), mpmath.diff(g, xs[i], 3)
        got2 = dd.derivative(dd.derivative(f))(args[i])
        got3 = dd.derivative(dd.derivative(dd.derivative(f)))(args[i])
        # reverse over forward and reverse over reverse for the second derivative as well
        rof = dd.grad(lambda v: dd.derivative(f)(v))(args[i])
        ror = dd.grad(dd.grad(f))(args[i])
        for got, want, what in ((got2, d2, "d2"), (rof, d2, "grad of d"), (ror, d2, "grad of grad"),
                                (got3, d3, "d3")):
            assert_close(got, float(want), 1e-10, scale=1e-10 * max(1.0, abs(float(d2))),
                         what=f"{name} {what} at {args}")


@pytest.mark.parametrize("name", NAMES)
def test_check_rule(name):
    """Complex step / five-point difference, reverse vs forward, batched, second order."""
    args = [np.array(p[1:4], dtype=float) for p in SPECIAL[name].points]
    i = moving(name)[-1]
    f = lambda v: fn(name)(*(v if j == i else a for j, a in enumerate(args)))  # noqa: E731
    dd.check_rule(f, args[i])


@pytest.mark.parametrize("name", [n for n in NAMES if len(SPECIAL[n].partials) == 2
                                  and SPECIAL[n].partials[0] is not None])
def test_binary_broadcasting_and_both_arguments(name):
    a, b = (np.array(p, dtype=float) for p in SPECIAL[name].points)
    x, y = a[:3].reshape(3, 1), b[:4] if b.size >= 4 else b
    dd.check_rule(fn(name), x, y)
    gx = dd.grad(lambda v: np.sum(fn(name)(v, y)))(x)
    xb, yb = np.broadcast_arrays(x, y)
    assert_close(gx, ref(name, [xb, yb], 0).sum(axis=1, keepdims=True), RTOL,
                 what=f"{name}: grad in x summed over the broadcast axis")


@pytest.mark.parametrize("name", ["iv", "jv", "kv", "yv", "ive", "polygamma", "spherical_jn"])
def test_derivative_in_the_order_is_refused(name):
    with pytest.raises(TypeError, match=f"scipy.special.{name}: the order"):
        dd.derivative(lambda v: fn(name)(v, 1.5))(1.0)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfcx", "ndtr", "log_ndtr"])
def test_complex_inputs(name):
    z = np.array([0.3 + 0.4j, -1.1 + 0.2j])
    dd.check_rule(fn(name), z, order=1)


def test_float32():
    """float32 inputs: derivatives right to float32 precision (the dtypes of a Dual's parts
    follow the engine's policy, not these rules)."""
    x = np.array([0.1, 0.7], dtype=np.float32)
    for name in ("erf", "expit", "gammaln", "i0e"):
        out = fn(name)(dd.Dual(x, np.ones(2, dtype=np.float32)))
        want = ref(name, [x.astype(float)], 0)
        assert_close(out.tangent, want, 1e-6, what=f"{name} float32 forward")
        assert_close(dd.grad(lambda v, name=name: np.sum(fn(name)(v)))(x), want, 1e-6,
                     what=f"{name} float32 reverse")


def test_psi_is_digamma_and_sinc():
    x = np.array([0.0, 1e-9, 0.3, 2.5])
    assert_close(dd.derivative(sp.psi)(0.7), float(mpmath.psi(1, 0.7)), RTOL)
    with mpmath.workdps(50):
        d1 = [float(mpmath.diff(lambda t: mpmath.sinc(mpmath.pi * t), mpmath.mpf(a))) for a in x]
        d2 = [float(mpmath.diff(lambda t: mpmath.sinc(mpmath.pi * t), mpmath.mpf(a), 2))
              for a in x]
    assert_close(dd.jvp(np.sinc, (x,), (np.ones(4),))[1], d1, RTOL, scale=1e-16)
    assert_close([dd.derivative(dd.derivative(np.sinc))(a) for a in x], d2, 1e-10)
    dd.check_rule(np.sinc, x)


def test_messages_name_the_real_function():
    x = dd.Dual(np.array([0.5, 1.0]), np.ones(2))
    with pytest.raises(TypeError, match=r"^scipy\.special\.struve is not supported on Duals "
                       r"\(no derivative rule; add one with dd\.register_rule\)"):
        sp.struve(1.0, x)
    with pytest.raises(TypeError, match=r"^np\.spacing is not supported"):
        np.spacing(x)  # (np.i0 has a rule now: see test_elementwise_more.py)


# --- logsumexp, softmax, log_softmax ---------------------------------------------------------


def test_logsumexp_value_and_gradient_are_stable():
    a = np.array([1000.0, 1000.0, -1000.0, 999.0])
    lse = sp.logsumexp
    v, g = dd.value_and_grad(lse)(a)
    e = np.exp(a - 1000.0)
    assert_close(v, 1000.0 + np.log(e.sum()), RTOL)
    assert_close(g, e / e.sum(), RTOL, scale=1e-300)
    # far below: exp underflows everywhere without the shift
    v, g = dd.value_and_grad(lse)(a - 3000.0)
    assert_close(v, -2000.0 + np.log(e.sum()), RTOL)
    assert_close(g, e / e.sum(), RTOL, scale=1e-300)
    assert np.all(np.isfinite(dd.hessian(lse)(a)))


def test_logsumexp_keywords_against_scipy_and_mpmath():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4)) * 30
    b = rng.uniform(0.1, 2.0, size=(4,))
    for kw in ({}, {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": (0, 1)}, {"b": b},
               {"b": b, "axis": -1}):
        got = sp.logsumexp(dd.Dual(a, np.ones_like(a)), **kw)
        want = sp.logsumexp(a, **kw)
        assert np.shape(got.primal) == np.shape(want), kw
        assert_close(got.primal, want, RTOL, what=f"logsumexp {kw}")
        dd.check_rule(lambda x, kw=kw: sp.logsumexp(x, **kw), a)
    # its gradient is the softmax (mpmath reference, all elements)
    with mpmath.workdps(50):
        e = [mpmath.exp(mpmath.mpf(x)) for x in a.ravel()]
        total = sum(e)
        soft = np.array([float(x / total) for x in e]).reshape(a.shape)
        value = float(mpmath.log(total))
    v, g = dd.value_and_grad(sp.logsumexp)(a)
    assert_close(v, value, RTOL)
    assert_close(g, soft, RTOL, scale=1e-300)
    # b in the differentiated arguments too
    dd.check_rule(lambda x, w: sp.logsumexp(x, b=w, axis=1), a, b)


def test_logsumexp_return_sign():
    a = np.array([2.0, 1.0, 0.5])
    b = np.array([-1.0, 0.5, 0.25])
    (v, s) = sp.logsumexp(dd.Dual(a, np.ones(3)), b=b, return_sign=True)
    vw, sw = sp.logsumexp(a, b=b, return_sign=True)
    assert s == sw == -1.0
    assert_close(v.primal, vw, RTOL)
    dd.check_rule(lambda x: sp.logsumexp(x, b=b, return_sign=True)[0], a)


def test_softmax_and_log_softmax_are_stable():
    x = np.array([[1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4 + 2.0, -1e4]])
    for axis in (None, 0, 1, -1):
        for f in (sp.softmax, sp.log_softmax):
            got = f(dd.Dual(x, np.ones_like(x)), axis=axis)
            assert_close(got.primal, f(x, axis=axis), RTOL, scale=1e-300,
                         what=f"{f.__name__} axis={axis}")
            assert np.all(np.isfinite(got.tangent))
            dd.check_rule(lambda v, f=f, axis=axis: f(v, axis=axis), x / 1e3)
    # the derivative of log_softmax at large inputs: I - softmax, exactly
    J = dd.jacobian(lambda v: sp.log_softmax(v))(x[0])
    assert_close(J, np.eye(3) - sp.softmax(x[0])[None, :], RTOL, scale=1.0)


def test_functions_imported_before_and_after_are_routed():
    """``from scipy.special import logsumexp`` works after ``import dualdiff``, also when
    scipy.special itself was imported first (its modules are routed at ``import dualdiff``)."""
    from scipy.special import logsumexp  # noqa: PLC0415

    assert dd.grad(logsumexp)(np.zeros(4)).tolist() == [0.25] * 4
    for first in ("import scipy.special, scipy.stats", ""):
        code = (f"{first}\nimport numpy as np, dualdiff as dd\n"
                "from scipy.special import logsumexp\nfrom scipy.stats import norm\n"
                "print(dd.grad(logsumexp)(np.zeros(2)), dd.grad(norm.logpdf)(1.0))")
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True)
        assert out.stdout.split() == ["[0.5", "0.5]", "-1.0"], (first, out.stdout)


def test_first_scipy_ufunc_at_the_dispatch_loads_the_rules():
    """With the import hook taken away, the first SciPy ufunc reaching the dispatch loads them."""
    code = ("import sys, dualdiff as dd\n"
            "from dualdiff import scipy_hook\n"
            "sys.meta_path[:] = [f for f in sys.meta_path if type(f) is not scipy_hook._Finder]\n"
            "import scipy.special as sp\n"
            "assert 'dualdiff.rules.special' not in sys.modules\n"
            "print(dd.derivative(sp.expit)(0.0))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "0.25"


def test_plain_calls_are_scipy_itself():
    a = np.array([1.0, 2.0])
    assert sp.logsumexp(a) == sp.logsumexp.__dualdiff_original__(a)
    assert sp.logsumexp.__name__ == "logsumexp" and "Compute the log" in sp.logsumexp.__doc__
    assert type(sp.softmax(a)) is np.ndarray


# --- scipy.stats end to end ------------------------------------------------------------------


def _mp_norm_logpdf(x, m, s):
    return -((x - m) ** 2) / (2 * s**2) - mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2


def _mp_gamma_logpdf(x, a, s):
    return (a - 1) * mpmath.log(x / s) - x / s - mpmath.loggamma(a) - mpmath.log(s)


def _mp_beta_logpdf(x, a, b):
    return (a - 1) * mpmath.log(x) + (b - 1) * mpmath.log(1 - x) - mpmath.log(mpmath.beta(a, b))


def _mp_grad(f, params):
    with mpmath.workdps(50):
        ps = [mpmath.mpf(p) for p in params]
        return np.array([float(mpmath.diff(lambda t, i=i: f(*(t if j == i else q for j, q in
                                                            enumerate(ps))), ps[i]))
                         for i in range(len(ps))])


# check_rule tries the complex step first: SciPy's plain logpdf casts a complex point to real
# (and warns); the step then disagrees with the five-point difference and is not used
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("case", ["norm", "gamma", "beta"])
def test_stats_logpdf_gradient_in_the_parameters(case):
    data = {"norm": 1.3, "gamma": 2.2, "beta": 0.3}[case]
    params = {"norm": (0.4, 2.0), "gamma": (2.5, 1.5), "beta": (2.0, 3.5)}[case]
    call = {
        "norm": lambda p: stats.norm.logpdf(data, loc=p[0], scale=p[1]),
        "gamma": lambda p: stats.gamma.logpdf(data, p[0], scale=p[1]),
        "beta": lambda p: stats.beta(p[0], p[1]).logpdf(data),  # frozen
    }[case]
    mp = {"norm": lambda m, s: _mp_norm_logpdf(mpmath.mpf(data), m, s),
          "gamma": lambda a, s: _mp_gamma_logpdf(mpmath.mpf(data), a, s),
          "beta": lambda a, b: _mp_beta_logpdf(mpmath.mpf(data), a, b)}[case]
    p = np.array(params)
    v, g = dd.value_and_grad(call)(p)
    assert_close(v, float(mp(*map(mpmath.mpf, params))), RTOL)
    assert_close(g, _mp_grad(mp, params), RTOL)
    assert_close(dd.jacobian(call)(p), g, RTOL)
    dd.check_rule(call, p)


def test_stats_norm_pdf_cdf_jacobian_and_support():
    x = np.array([-1.0, 0.2, 2.5])
    J = dd.jacobian(lambda m: stats.norm.cdf(x, loc=m, scale=1.5))(0.3)
    assert_close(J, -stats.norm.pdf(x, 0.3, 1.5), RTOL)
    dd.check_rule(lambda v: stats.norm.pdf(v, 0.3, 1.5), x)
    dd.check_rule(lambda v: stats.norm.logcdf(v, 0.3, 1.5), x)
    # outside the support and with invalid parameters: SciPy's values, zero derivative
    y = np.array([-0.5, 0.5, 1.5])
    out = stats.gamma.logpdf(dd.Dual(y, np.ones(3)), 2.0)
    assert out.primal[0] == -np.inf and out.tangent[0] == 0
    assert_close(out.primal[1:], stats.gamma.logpdf(y[1:], 2.0), RTOL)
    bad = stats.norm.logpdf(dd.Dual(1.0, 1.0), 0.0, -1.0)
    assert np.isnan(bad.primal)


def test_logsumexp_and_softmax_on_a_stack_of_matrices():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(2, 3, 4)) * 50
    for kw in ({"axis": -1}, {"axis": (1, 2), "keepdims": True}, {"axis": 0}):
        got = sp.logsumexp(dd.Dual(a, np.ones_like(a)), **kw)
        assert_close(got.primal, sp.logsumexp(a, **kw), RTOL, what=f"logsumexp {kw}")
        # d/dt logsumexp(a + t) = 1 along the all-ones direction
        assert_close(got.tangent, np.ones_like(got.primal), RTOL)
    dd.check_rule(lambda x: sp.softmax(x, axis=1), a / 50)
    g = dd.grad(lambda x: np.sum(sp.logsumexp(x, axis=-1)))(a)
    assert_close(g, sp.softmax(a, axis=-1), RTOL, scale=1e-300)


#: intervals where the unary rules' derivatives are well conditioned (away from zeros of the
#: derivative, where a relative tolerance means nothing), for the property test
DOMAINS = {
    "erf": (-6.0, 6.0), "erfc": (-6.0, 6.0), "erfinv": (-0.999, 0.999),
    "erfcinv": (1e-3, 1.999), "erfcx": (-3.0, 50.0), "ndtr": (-8.0, 8.0),
    "ndtri": (1e-6, 1 - 1e-6), "log_ndtr": (-30.0, 8.0), "gammaln": (0.1, 60.0),
    "loggamma": (0.1, 60.0), "digamma": (0.1, 60.0), "expit": (-40.0, 40.0),
    "logit": (1e-3, 1 - 1e-3), "log_expit": (-40.0, 40.0), "entr": (1e-3, 50.0),
    "i0": (1e-3, 10.0), "i1": (-10.0, 10.0), "i0e": (1e-3, 50.0), "i1e": (-50.0, 50.0),
}


@pytest.mark.parametrize("name", sorted(DOMAINS))
@given(data=st.data())
def test_property_forward_and_reverse_against_mpmath(name, data):
    lo, hi = DOMAINS[name]
    x = data.draw(hnp.arrays(np.float64, data.draw(st.integers(1, 4)),
                             elements=st.floats(lo, hi)))
    part = ref(name, [x], 0)
    _, t = dd.jvp(fn(name), (x,), (np.ones_like(x),))
    assert_close(t, part, RTOL, scale=scale(name, [x], 0), what=f"{name} forward", inputs=[x])
    g = dd.grad(lambda v: np.sum(fn(name)(v)))(x)
    assert_close(g, part, RTOL, scale=scale(name, [x], 0), what=f"{name} reverse", inputs=[x])
