"""The workloads. Each module's ``cases(systems, quick)`` yields ``(task, size,
builder)``; a builder makes the :class:`~benchmarks.harness.Case` only when it is run, so
the big arrays of one size are freed before the next is built."""

from benchmarks.workloads import elementwise, jacobian, newton, rosenbrock, scalar, sparse

WORKLOADS = {
    "scalar": scalar,
    "elementwise": elementwise,
    "jacobian": jacobian,
    "rosenbrock": rosenbrock,
    "newton": newton,
    "sparse": sparse,
}

TASKS = {
    "scalar-grad": ("scalar", "gradient of ln x1 + x1*x2 - sin x2 at (2, 5)"),
    "logistic": ("scalar", "derivative through the logistic map l <- 4 l (1 - l)"),
    "jvp": ("elementwise", "elementwise JVP of sin(x) exp(-x^2) + log1p(x^2), float64"),
    "jacobian": ("jacobian", "dense Jacobian of tanh(A x) + x^2, n x n"),
    "rosen-grad": ("rosenbrock", "gradient of Rosenbrock"),
    "rosen-hvp": ("rosenbrock", "Hessian-vector product of Rosenbrock"),
    "newton": ("newton", "SciPy trust-ncg solve of Rosenbrock, whole solve"),
    "sparse-jac": ("sparse", "sparse Jacobian of the 2-D Brusselator, 2 N^2 inputs"),
    "sparse-hess": ("sparse", "sparse Hessian of the extended Rosenbrock"),
}

__all__ = ["TASKS", "WORKLOADS"]
