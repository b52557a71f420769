"""dualdiff: exact derivatives of plain Python and NumPy code.

Forward mode with dual numbers (:class:`Dual`, :func:`jvp`, :func:`derivative`,
:func:`jacobian`), reverse mode with a small tape (:func:`grad`, :func:`vjp`), and both
nested (:func:`hvp`, :func:`hessian`).
"""

__version__ = "0.2.0"

from .custom import per_direction, primitive, register_rule, supported
from .dual import Dual
from .forward import derivative, jacfwd, jacobian, jvp
from .reverse import grad, jacrev, ravel_pytree, stop_gradient, value_and_grad, vjp  # noqa: I001 (pytrees, drivers)
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
    conj,
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
    imag,
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
    real,
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
from .rules.elementwise import (
    angle,
    around,
    copysign,
    deg2rad,
    degrees,
    empty,
    fix,
    float_power,
    fmod,
    heaviside,
    i0,
    ldexp,
    logaddexp2,
    mod,
    nan_to_num,
    ones,
    rad2deg,
    radians,
    remainder,
    sinc,
    zeros,
)
from .rules.reductions import cumprod, cumulative_prod, cumulative_sum, std, var
from .rules.statistics import (
    average,
    convolve,
    corrcoef,
    correlate,
    cov,
    gradient,
    interp,
    median,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmedian,
    nanmin,
    nanpercentile,
    nanprod,
    nanquantile,
    nanstd,
    nansum,
    nanvar,
    partition,
    percentile,
    polyval,
    ptp,
    quantile,
    sort,
    take,
    take_along_axis,
    trapezoid,
)
from .second_order import hessian, hvp
from .sparse import hessian_sparsity, jacobian_sparsity, sparse_hessian, sparse_jacobian
from .staging import jit
from .study import ErrorStudy, error_study, finite_difference, plot_error_study
from .testing import check_grads, check_rule

abs = absolute  # noqa: A001

# The public names, one block per area (each block sorted; add to your area's block).
__all__ = [
    # numbers and drivers
    "Dual", "derivative", "grad", "hessian", "hvp", "jacfwd", "jacobian", "jvp",
    "value_and_grad", "vjp",
    # checking derivatives
    "check_grads", "check_rule",
    # the error study
    "ErrorStudy", "error_study", "finite_difference", "plot_error_study",
    # elementwise functions
    "abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "cbrt", "ceil", "conj", "cos", "cosh", "divide", "exp", "exp2", "expm1", "floor",
    "hypot", "imag", "log", "log10", "log1p", "log2", "logaddexp", "maximum", "minimum",
    "multiply", "negative", "power", "real", "reciprocal", "relu", "rint", "sigmoid", "sign",
    "sin", "sinh", "softplus", "sqrt", "square", "subtract", "tan", "tanh", "trunc",
    # array functions
    "clip", "concatenate", "cumsum", "diff", "dot", "mean", "norm", "ones_like", "outer",
    "prod", "reshape", "stack", "sum", "transpose", "where", "zeros_like",
    # pytrees and more drivers
    "jacrev", "ravel_pytree", "stop_gradient",
    # sparse Jacobians and Hessians (need SciPy: the `sparse` extra)
    "hessian_sparsity", "jacobian_sparsity", "sparse_hessian", "sparse_jacobian",
    # staging
    "jit",
    # your own rules and the catalogue
    "per_direction", "primitive", "register_rule", "supported",
    # order, selection, scans and statistics
    "average", "convolve", "corrcoef", "correlate", "cov", "cumprod", "cumulative_prod",
    "cumulative_sum", "gradient", "interp", "median", "nancumprod", "nancumsum", "nanmax",
    "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd",
    "nansum", "nanvar", "partition", "percentile", "polyval", "ptp", "quantile", "sort", "std",
    "take", "take_along_axis", "trapezoid", "var",
    # more elementwise functions (issue 15)
    "angle", "around", "copysign", "deg2rad", "degrees", "fix", "float_power", "fmod",
    "heaviside", "i0", "ldexp", "logaddexp2", "mod", "nan_to_num", "rad2deg", "radians",
    "remainder", "sinc",
    # buffers that hold derivatives (issue 15)
    "empty", "ones", "zeros",
]
