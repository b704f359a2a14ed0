"""User expressions (schedule files) parsed against a whitelist, never evaluated.

A schedule file is data that CI runs for contributors: its expressions must not be able to run code.  SymPy's
``parse_expr`` calls ``eval`` on the transformed text, so a payload that reaches ``__globals__`` through an
attribute chain runs.  Here the text is parsed by Python's :mod:`ast` into a syntax tree, every node is checked
against a small grammar, and the SymPy expression is *built* from the tree node by node:

    expr   := number | name | expr (+ - * / **) expr | (+ -) expr | function(expr, ...)
    number := an integer or decimal literal (read exactly: ``0.008`` is 1/125; ``1e-3`` is 1/1000)
    name   := ``t``, the section's names (``ring_lambda``, ...), ``pi``, ``E``
    function := one of :data:`FUNCTIONS`, called with positional arguments only

Anything else (attributes, subscripts, strings, lambdas, comprehensions, keyword arguments, calls of
non-functions, ``^``, comparisons, ...) is rejected with :class:`ExpressionError`, one line that names the
construct and, where it helps, the fix (``t^2``: "write powers with **").  Sizes are bounded (text length,
nesting depth, literal digits, the exponent of a number raised to a number), so a file cannot make the parser
itself run for long.
"""

from __future__ import annotations

import ast

import sympy as sp

#: Functions an expression may call, with their arity.
FUNCTIONS: dict[str, tuple[object, int]] = {
    "sqrt": (sp.sqrt, 1), "exp": (sp.exp, 1), "log": (sp.log, 1), "sin": (sp.sin, 1), "cos": (sp.cos, 1),
    "tan": (sp.tan, 1), "atan": (sp.atan, 1), "sinh": (sp.sinh, 1), "cosh": (sp.cosh, 1), "tanh": (sp.tanh, 1),
    "sech": (sp.sech, 1), "erf": (sp.erf, 1), "erfinv": (sp.erfinv, 1),
}
#: Constants an expression may name.
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

MAX_LENGTH = 2000          # characters of one expression
MAX_DEPTH = 60             # nesting of the syntax tree
MAX_DIGITS = 60            # digits of one numeric literal
MAX_NUMERIC_EXPONENT = 64  # |q| for a number raised to a number p**q (10**10**10 would not finish)

_BINARY = {ast.Add: sp.Add, ast.Sub: lambda a, b: sp.Add(a, -b), ast.Mult: sp.Mul,
           ast.Div: lambda a, b: sp.Mul(a, sp.Pow(b, -1))}
_NODE_NAMES = {ast.Attribute: "attribute access (.)", ast.Subscript: "subscript ([...])",
               ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
               ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension", ast.Compare: "comparison",
               ast.BoolOp: "and/or", ast.IfExp: "if-expression", ast.List: "list", ast.Tuple: "tuple",
               ast.Dict: "dict", ast.Set: "set", ast.JoinedStr: "f-string", ast.NamedExpr: ":=",
               ast.Starred: "*-unpacking", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
               ast.Slice: "slice"}


#: Syntax-tree nodes the grammar can contain (operators are checked again when the tree is built).
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load,
                  ast.operator, ast.unaryop)


class ExpressionError(ValueError):
    """An expression outside the whitelist grammar (one line: what was found, and what is allowed)."""


def vocabulary(names=()) -> str:
    """The names an expression may use, for error messages."""
    return ", ".join(["t", *names, *FUNCTIONS, *CONSTANTS])


def parse_expression(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """The SymPy expression for ``text``; ``symbols`` maps each allowed variable name (``t``, ...) to its Symbol.

    Raises :class:`ExpressionError` (one line) for anything outside the grammar above."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"expected a non-empty expression string, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression of {len(text)} characters; at most {MAX_LENGTH}")
    if "\x00" in text:
        raise ExpressionError("expression contains a NUL character")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not an expression: {exc.msg}" + _hint(text)) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("not an expression (too deeply nested)") from None
    for node in ast.walk(tree):  # outermost first: the message names the construct the author wrote
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} is not allowed in an expression; allowed: numbers, names, "
                                  "+ - * / **, function calls")
    return _Builder(text.strip(), symbols).build(tree.body, 0)


def _hint(text: str) -> str:
    return " (write powers with **, not ^)" if "^" in text else ""


class _Builder:
    def __init__(self, source: str, symbols: dict[str, sp.Symbol]):
        self.source = source
        self.symbols = symbols

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return self._power(left, right)
            if type(node.op) in _BINARY:
                return _BINARY[type(node.op)](left, right)
            if isinstance(node.op, ast.BitXor):
                raise ExpressionError("'^' is not a power: write powers with ** (t**2)")
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed; use + - * / **")
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} is not allowed in an expression; allowed: numbers, names, + - * / **, "
                              "function calls")

    def _number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "string" if isinstance(value, (str, bytes)) else type(value).__name__
            raise ExpressionError(f"{kind} literal {ast.get_source_segment(self.source, node) or value!r} is not "
                                  "allowed; only real numbers")
        literal = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        if sum(ch.isdigit() for ch in literal) > MAX_DIGITS:
            raise ExpressionError(f"numeric literal with more than {MAX_DIGITS} digits")
        if isinstance(value, int):
            return sp.Integer(value)
        try:  # the literal as written, exactly: 0.008 -> 1/125, 1e-3 -> 1/1000
            return sp.Rational(literal)
        except (TypeError, ValueError):
            raise ExpressionError(f"numeric literal {literal!r} is not a finite real number") from None

    def _name(self, name: str) -> sp.Expr:
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function: call it, as in {name}(t)")
        raise ExpressionError(f"unknown name {name!r}; allowed: {vocabulary(n for n in self.symbols if n != 't')}")

    def _power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if base.is_number and exponent.is_number:
            q = abs(exponent)
            if q.is_real and q > MAX_NUMERIC_EXPONENT:
                raise ExpressionError(f"a number raised to a power larger than {MAX_NUMERIC_EXPONENT} in absolute "
                                      "value; write the number directly")
        return sp.Pow(base, exponent)

    def _call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only named functions can be called, as in exp(t); "
                                  f"allowed functions: {', '.join(FUNCTIONS)}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r}; allowed functions: {', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{name}() takes positional arguments only")
        fn, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            raise ExpressionError(f"{name}() takes {arity} argument{'s' if arity != 1 else ''}, "
                                  f"got {len(node.args)}")
        return fn(*(self.build(a, depth + 1) for a in node.args))
