"""The ``dualdiff`` command line: ``dualdiff errors`` (or ``python -m dualdiff errors``).

It runs :func:`~dualdiff.study.errors.error_study` on a user expression (or an embedded
example), prints a short table, and writes the plot and optionally a CSV of every error. Bad
input ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ast
import csv
import math
import os
import sys
import warnings

import numpy as np

from .errors import error_study
from .expression import VARIABLES, parse_expression

__all__ = ["main"]

EXAMPLE = "sin(x)"  # the known numbers of the issue: best steps and errors at x = 1
EXAMPLE_AT = "1.0"
STEPS_HELP = (
    "step sizes: START:STOP:NUM for NUM log-spaced steps from START to STOP "
    "(default 1e-16:1:161, 10 per decade), or a comma list such as 1e-8,1e-6,1e-4"
)
MAX_STEPS = 10_000


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message):
        raise UsageError(message)


def build_parser():
    """The argument parser of the ``dualdiff`` command."""
    parser = _Parser(
        prog="dualdiff",
        description="Exact derivatives by automatic differentiation, and how finite "
        "differences compare.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    errors = commands.add_parser(
        "errors",
        help="error of finite differences against AD, by step size",
        description="Plot and tabulate the error of forward, backward, central, five-point "
        "and complex-step differences against the exact AD derivative, for every step size.",
    )
    errors.add_argument(
        "--expr",
        default=EXAMPLE,
        help=f"the function, e.g. 'sin(x)*exp(x)' or 'x*y + sin(x)' (default {EXAMPLE!r}); "
        "numbers, pi, e, variables x, y, z, + - * / ** and dualdiff's functions",
    )
    errors.add_argument(
        "--at",
        default=EXAMPLE_AT,
        help=f"the point: one number, or a comma list for x,y,z (default {EXAMPLE_AT})",
    )
    errors.add_argument(
        "--direction",
        help="the direction v for several variables, a comma list (default all ones)",
    )
    errors.add_argument("--steps", help=STEPS_HELP)
    errors.add_argument("--out", default="errors.png", help="the figure (default errors.png)")
    errors.add_argument("--csv", help="also write every error and model value to this CSV file")
    errors.add_argument("--no-plot", action="store_true", help="print the table only")
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("choose a command: errors (see dualdiff --help)")
        return run_errors(args)
    except SystemExit as exit_:  # --help and --version exit through argparse
        return exit_.code if isinstance(exit_.code, int) else 0
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as the docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UsageError, ValueError, TypeError, ArithmeticError, OSError) as err:
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"dualdiff: error: {message}", file=sys.stderr)
        return 2


def run_errors(args):
    """The ``errors`` command: study, table, figure, CSV."""
    point = parse_numbers(args.at, "--at")
    variables = VARIABLES[: point.size] if point.size <= len(VARIABLES) else None
    if variables is None:
        raise UsageError(f"--at has {point.size} values; at most {len(VARIABLES)} (x, y, z)")
    check_variables(args.expr, point.size)
    expression = parse_expression(args.expr, variables)
    steps = parse_steps(args.steps) if args.steps else None
    if not args.no_plot:
        check_image_path(args.out)
    for path in filter(None, [None if args.no_plot else args.out, args.csv]):
        check_writable(path)

    if point.size == 1:
        if args.direction is not None:
            raise UsageError("--direction is for several variables (a comma list in --at)")
        function, x, v = expression, float(point[0]), None
    else:
        v = parse_numbers(args.direction, "--direction") if args.direction else np.ones_like(point)
        if v.shape != point.shape:
            raise UsageError(f"--direction has {v.size} values but --at has {point.size}")
        if not np.any(v):
            raise UsageError(f"--direction {args.direction} is zero: give a nonzero direction")
        function, x = _vector_function(expression), point

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = error_study(function, x, v, steps, name=f"f({', '.join(variables)}) = {args.expr}")
    for note in dict.fromkeys(str(w.message) for w in caught):
        print(f"dualdiff: note: {note}", file=sys.stderr)

    print(study.summary())
    if args.csv:
        write_csv(study, args.csv)
        print(f"wrote {args.csv}")
    if not args.no_plot:
        write_plot(study, args.out)
        print(f"wrote {args.out}")
    return 0


def _vector_function(expression):
    """``p -> expression(p[0], p[1], ...)``: the expression as a function of one array."""

    def f(p):
        return expression(*(p[i] for i in range(len(expression.variables))))

    f.__name__ = expression.text
    return f


def parse_numbers(text, option):
    """A comma list of finite numbers as a float array."""
    try:
        values = np.array([float(part) for part in text.split(",")], dtype=float)
    except ValueError:
        raise UsageError(f"{option} must be numbers separated by commas, got {text!r}") from None
    if not np.all(np.isfinite(values)):
        raise UsageError(f"{option} must be finite numbers, got {text!r}")
    return values


def parse_steps(text):
    """``START:STOP:NUM`` (log-spaced) or a comma list, as positive finite steps."""
    if ":" in text:
        parts = text.split(":")
        try:
            start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise UsageError(f"--steps: expected START:STOP:NUM, got {text!r}") from None
        if len(parts) != 3 or not 0 < start < stop < math.inf or not 2 <= num <= MAX_STEPS:
            raise UsageError(f"--steps {text!r}: need 0 < START < STOP and 2 <= NUM <= {MAX_STEPS}")
        return np.logspace(math.log10(start), math.log10(stop), num)
    steps = parse_numbers(text, "--steps")
    if np.any(steps <= 0) or steps.size > MAX_STEPS:
        raise UsageError(f"--steps must be positive, at most {MAX_STEPS} of them")
    return steps


def check_variables(text, given):
    """Refuse, with the fix, an expression that uses more variables than ``--at`` gives values.

    ``--expr 'x*y' --at 1`` names ``y``, but one value in ``--at`` makes ``x`` the only
    variable: say to pass one ``--at`` value per variable. Text that does not parse is left
    to :func:`~dualdiff.study.expression.parse_expression`, which says what is wrong.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    needed = max((VARIABLES.index(name) + 1 for name in used if name in VARIABLES), default=0)
    if needed > given:
        names = ", ".join(VARIABLES[:needed])
        example = ",".join(str(k + 1) for k in range(needed))
        raise UsageError(
            f"--expr uses {names} but --at gives {given} value{'s' * (given != 1)}: pass one "
            f"--at value per variable, e.g. --at {example} for {names}"
        )


def image_extensions():
    """The file extensions matplotlib can write, such as ``png``, ``pdf`` and ``svg``."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UsageError(
            "the plot needs matplotlib: pip install 'exactdual[plot]' (or use --no-plot)"
        ) from None
    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_image_path(path):
    """Refuse, before any work, a figure path whose extension is not an image format."""
    allowed = image_extensions()
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in allowed:
        what = f"'.{extension}' is not an image format" if extension else "no file extension"
        raise UsageError(
            f"--out {path}: {what}; use one of " + ", ".join("." + e for e in allowed)
        )


def check_writable(path):
    """Refuse, before any work, an output path that cannot be written.

    The file is opened for writing (and removed again if it did not exist): permissions alone
    do not say whether, for example, ``/proc`` accepts a new file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    if not os.path.isdir(directory):
        raise UsageError(f"cannot write {path!r}: no directory {directory!r}")
    existed = os.path.exists(path)
    try:
        with open(path, "ab"):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UsageError(f"cannot write {path!r}: {reason}") from None
    if not existed:
        os.remove(path)


def write_csv(study, path):
    """One row per step: h, the exact derivative by AD, then per method the error and the
    model (truncation + rounding) with its two parts.

    The exact derivative is the same on every row (one column per component for a
    vector-valued ``f``), so that each row can be read on its own.
    """
    exact = np.atleast_1d(np.asarray(study.exact, dtype=float)).ravel()
    names = ["exact_ad"] if exact.size == 1 else [f"exact_ad_{i}" for i in range(exact.size)]
    header = ["h", *names]
    columns = [study.steps] + [np.full_like(study.steps, value) for value in exact]
    models = {m: study.model(m) for m in study.methods}
    for kind, table in (
        ("error", study.errors),
        ("model", models),
        ("truncation", study.truncation),
        ("rounding", study.rounding),
    ):
        for m in study.methods:
            header.append(f"{kind}_{m}")
            columns.append(table[m])
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in zip(*columns, strict=True):
            writer.writerow([repr(float(value)) for value in row])


def write_plot(study, path):
    """Save the figure of :func:`~dualdiff.study.plot.plot_error_study` to ``path``."""
    try:
        from .plot import plot_error_study

        figure = plot_error_study(study)
    except ImportError:
        raise UsageError(
            "the plot needs matplotlib: pip install 'exactdual[plot]' (or use --no-plot)"
        ) from None
    figure.savefig(path, dpi=120)
