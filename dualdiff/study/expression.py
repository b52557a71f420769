"""Safe user expressions such as ``"sin(x) * exp(x)"``, for the command line.

The text is parsed with :mod:`ast` and evaluated by walking the tree against a whitelist:
real numbers, the constants ``pi`` and ``e``, the variables, ``+ - * / **``, unary ``-``/``+``
and calls of dualdiff's elementwise functions, looked up as ``getattr(dualdiff, name)`` at call
time so that floats, complex numbers and Duals all go through. Nothing reaches ``eval`` or
``exec``; anything else is refused with a :class:`ValueError` that says what is allowed.
"""

from __future__ import annotations

import ast
import math
import numbers

__all__ = ["Expression", "parse_expression"]

VARIABLES = ("x", "y", "z")
CONSTANTS = {"pi": math.pi, "e": math.e}
UNARY = (
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp exp2 expm1 "
    "log log2 log10 log1p sqrt cbrt square reciprocal absolute abs sign floor ceil sigmoid "
    "softplus relu"
).split()
BINARY = "power arctan2 hypot maximum minimum logaddexp".split()
ALIASES = {"abs": "absolute"}  # the Python builtin's name, for dualdiff's function

MAX_LENGTH = 1000  # characters: bounds the parser's time and recursion
MAX_NODES = 500
MAX_DEPTH = 100
MAX_EXPONENT = 1e4  # |literal exponent|: x**1e9 is a typo or an attack, not a derivative

_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: _power(a, b),
}
_UNARY_OPERATORS = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a}


def _power(a, b):
    """``a ** b``; on two floats NumPy's ``power`` (NaN, not complex, for ``(-8.0) ** 0.5``)."""
    if isinstance(a, float) and isinstance(b, float):
        import dualdiff

        return dualdiff.power(a, b)
    return a**b


def _allowed(variables):
    """The sentence appended to every refusal."""
    names = ", ".join(variables)
    return (
        f"allowed: numbers, pi, e, the variables {names}, + - * / **, unary - and +, "
        f"and calls of {', '.join(UNARY + BINARY)}"
    )


class Expression:
    """A parsed, checked expression; call it with one value per variable.

    Attributes
    ----------
    text : str
        The expression as given.
    variables : tuple of str
        The variable names, in the order the values are passed.

    Examples
    --------
    >>> expr = parse_expression("x*y + 2**3", variables=("x", "y"))
    >>> expr(2.0, 0.5)
    9.0
    """

    def __init__(self, text, tree, variables):
        self.text = text
        self.variables = tuple(variables)
        self._tree = tree

    def __call__(self, *values):
        if len(values) != len(self.variables):
            raise TypeError(
                f"{self.text!r} takes {len(self.variables)} value(s) "
                f"({', '.join(self.variables)}), got {len(values)}"
            )
        return _evaluate(self._tree, dict(zip(self.variables, values, strict=True)))

    @property
    def __name__(self):
        return self.text

    def __repr__(self):
        return f"Expression({self.text!r}, variables={self.variables!r})"


def parse_expression(text, variables=("x",)):
    r"""Parse ``text`` into an :class:`Expression` over ``variables``, refusing anything else.

    Parameters
    ----------
    text : str
        For example ``"sin(x) * exp(x)"`` or ``"x*y + sin(x)"``.
    variables : sequence of str
        The names that may appear, a prefix of ``("x", "y", "z")`` by default ``("x",)``.

    Returns
    -------
    Expression

    Raises
    ------
    ValueError
        Empty or malformed text, or anything outside the whitelist (attributes, other names,
        strings, subscripts, comprehensions, lambdas, keyword arguments, complex numbers, ...).

    Examples
    --------
    >>> parse_expression("-x**2 + 1")(3.0)
    -8.0
    >>> parse_expression("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown function '__import__'; allowed: ...
    """
    variables = _check_variables(variables)
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("the expression is empty; " + _allowed(variables))
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ValueError(f"cannot parse {text.strip()!r}: {_reason(err)}") from err
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ValueError(f"the expression is too large ({nodes} nodes, at most {MAX_NODES})")
    _check(tree.body, variables, depth=0)
    return Expression(text.strip(), tree.body, variables)


def _check_variables(variables):
    """The variable names, each one of :data:`VARIABLES`."""
    variables = tuple(variables)
    if not variables or any(v not in VARIABLES for v in variables):
        raise ValueError(f"variables must be taken from {VARIABLES}, got {variables}")
    return variables


def _reason(err):
    """The useful part of a parser error."""
    if isinstance(err, SyntaxError):
        return f"{err.msg} (column {err.offset})" if err.offset else err.msg
    return "the expression is nested too deeply" if isinstance(err, RecursionError) else str(err)


def _check(node, variables, depth):
    """Refuse every node outside the whitelist, with what is allowed."""
    if depth > MAX_DEPTH:
        raise ValueError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    refuse = lambda what: ValueError(f"{what} is not allowed; {_allowed(variables)}")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise refuse(f"the constant {value!r}")
        if not (isinstance(value, float) or abs(value) < 10**300) or not math.isfinite(value):
            raise refuse(f"the number {value!r:.40}")
    elif isinstance(node, ast.Name):
        if node.id not in variables and node.id not in CONSTANTS:
            if node.id in VARIABLES:
                raise refuse(f"the variable {node.id!r} (here: {', '.join(variables)})")
            raise refuse(f"the name {node.id!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise refuse(f"the operator {type(node.op).__name__}")
        if isinstance(node.op, ast.Pow):
            _check_exponent(node.right, variables)
        _check(node.left, variables, depth + 1)
        _check(node.right, variables, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY_OPERATORS:
            raise refuse(f"the operator {type(node.op).__name__}")
        _check(node.operand, variables, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, variables, refuse)
        for arg in node.args:
            _check(arg, variables, depth + 1)
    else:
        raise refuse(f"{_describe(node)}")


def _check_call(node, variables, refuse):
    """A call must name a whitelisted function, positionally, with the right arity."""
    if not isinstance(node.func, ast.Name):
        raise refuse(f"calling anything but a function name ({_describe(node.func)})")
    name = node.func.id
    if name not in UNARY and name not in BINARY:
        raise ValueError(f"unknown function {name!r}; {_allowed(variables)}")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise refuse(f"keyword or starred arguments in {name}()")
    arity = 1 if name in UNARY else 2
    if len(node.args) != arity:
        raise ValueError(f"{name}() takes {arity} argument(s), got {len(node.args)}")


def _check_exponent(node, variables):
    """Refuse literal exponents so large that ``**`` would only overflow (``9**9**9``)."""
    value = _literal(node)
    if value is not None and abs(value) > MAX_EXPONENT:
        raise ValueError(f"the exponent {value:g} is too large (at most {MAX_EXPONENT:g})")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exponent = _literal(node.left), _literal(node.right)
        if base is not None and exponent is not None and abs(base) > 1:
            if exponent * math.log(abs(base)) > math.log(MAX_EXPONENT):
                raise ValueError("the exponent is too large: a tower of powers overflows")


def _literal(node):
    """The value of a (signed) numeric literal, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPERATORS:
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, numbers.Real):
        return sign * float(node.value)
    return None


def _describe(node):
    """A readable name for a refused node: 'attribute access', 'a subscript', ..."""
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "a subscript",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a generator expression",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
        ast.NamedExpr: "the := operator",
        ast.JoinedStr: "an f-string",
    }
    return names.get(type(node), f"the syntax {type(node).__name__}")


def _evaluate(node, env):
    """Walk the checked tree; numbers become floats so ``**`` can never build huge integers."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, env), _evaluate(node.right, env)
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        return _UNARY_OPERATORS[type(node.op)](_evaluate(node.operand, env))
    import dualdiff

    function = getattr(dualdiff, ALIASES.get(node.func.id, node.func.id))
    return function(*(_evaluate(arg, env) for arg in node.args))
