"""dualdiff: exact derivatives of plain Python and NumPy code.

Forward mode with dual numbers (:class:`Dual`, :func:`jvp`, :func:`derivative`,
:func:`jacobian`), reverse mode with a small tape (:func:`grad`, :func:`vjp`), and both
nested (:func:`hvp`, :func:`hessian`).
"""

from .dual import Dual
from .forward import derivative, jacfwd, jacobian, jvp
from .reverse import grad, value_and_grad, vjp
from .rules import (
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cbrt,
    ceil,
    clip,
    concatenate,
    cos,
    cosh,
    cumsum,
    diff,
    divide,
    dot,
    exp,
    exp2,
    expm1,
    floor,
    hypot,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    maximum,
    mean,
    minimum,
    multiply,
    negative,
    norm,
    ones_like,
    outer,
    power,
    prod,
    reciprocal,
    relu,
    reshape,
    rint,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    sqrt,
    square,
    stack,
    subtract,
    sum,
    tan,
    tanh,
    transpose,
    trunc,
    where,
    zeros_like,
)
from .second_order import hessian, hvp
from .study import ErrorStudy, error_study, finite_difference, plot_error_study
from .testing import check_grads

abs = absolute  # noqa: A001

__all__ = [
    "Dual", "jvp", "derivative", "jacobian", "jacfwd", "grad", "value_and_grad", "vjp", "hvp",
    "hessian", "check_grads", "finite_difference", "error_study", "ErrorStudy", "plot_error_study",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "square", "reciprocal", "absolute", "abs", "sign", "floor", "ceil", "rint", "trunc",
    "power",
    "arctan2", "hypot", "maximum", "minimum", "logaddexp", "sigmoid", "softplus", "relu",
    "add", "subtract", "multiply", "divide", "negative",
    "sum", "mean", "prod", "dot", "transpose", "reshape", "concatenate", "stack", "where",
    "clip", "cumsum", "diff", "outer", "norm", "zeros_like", "ones_like",
]
