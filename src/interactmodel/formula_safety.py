"""The check that a formula read from a saved fit cannot run code when a design is built from it.

formulaic *evaluates* Python in formula terms (``np.log(x)``, ``{x ** 2}``), so a tampered
``spec.json`` could run code while :func:`interactmodel.io.load` rebuilds the design.
:func:`check_formula_safe` parses every Python term of a formula, of its nominal terms and of
its group-level slopes (formulaic's parser, then Python's :mod:`ast`; nothing is evaluated) and
accepts only column names, constants, lists, arithmetic, comparisons and calls of
:data:`ALLOWED_FUNCTIONS`.  :func:`interactmodel.io.save` applies the same check, so every
folder it writes can be loaded.

Examples
--------
>>> from interactmodel.formula import parse_formula
>>> check_formula_safe(parse_formula("y ~ np.log(x) + C(g)"), None, {"x", "g"})
>>> check_formula_safe(parse_formula("y ~ x + np.save('f', x)"), None, {"x"})
... # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
SavedFitError: the formula term "np.save('f', x)" of ... uses 'np.save', ...
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from interactmodel.errors import SavedFitError, format_values

if TYPE_CHECKING:
    from interactmodel.formula import ParsedFormula

__all__ = ["ALLOWED_FUNCTIONS", "check_formula_safe"]

#: functions a saved formula term may call (formulaic's names); nothing else is evaluated
ALLOWED_FUNCTIONS: dict[str, frozenset[str]] = {
    "": frozenset(
        {"C", "I", "Q", "log", "log2", "log10", "exp", "exp2", "exp10"}
        | {"Treatment", "Sum", "Helmert", "Diff"}
    ),
    "np": frozenset(
        {"abs", "absolute", "sign", "sqrt", "square", "cbrt", "power", "exp", "exp2", "expm1"}
        | {"log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan"}
        | {"sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor", "ceil", "round"}
        | {"rint", "trunc", "clip", "minimum", "maximum", "where"}
    ),
    "contr": frozenset({"treatment", "sum", "helmert", "diff", "poly", "SAS"}),
}
_MODULE_ALIASES = {"np": "np", "numpy": "np", "contr": "contr"}
_SAFE_NODES = (
    ast.Expression, ast.Call, ast.keyword, ast.Name, ast.Attribute, ast.Load, ast.Constant,
    ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.operator,
    ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip


def check_formula_safe(
    parsed: ParsedFormula, nominal: str | tuple[str, ...] | list[str] | None, variables: set[str]
) -> None:
    """Refuse formula terms that would make formulaic evaluate anything but allowed functions.

    Parameters
    ----------
    parsed : ParsedFormula
        The formula, from :func:`interactmodel.formula.parse_formula`; its fixed-effect terms and
        the slopes of its group terms are checked.
    nominal : str, tuple of str, list of str or None
        The nominal terms (``"~ x + z"``, ``"x + z"`` or a sequence of terms), checked too.
    variables : set of str
        The column names a term may refer to.

    Raises
    ------
    SavedFitError
        A term uses a name other than a column, an allowed function or ``np``/``numpy``/
        ``contr``; calls a function outside :data:`ALLOWED_FUNCTIONS`; or uses syntax other
        than constants, lists, tuples, arithmetic, comparisons and boolean operators (no
        attribute access besides ``np.<allowed>``, no lambdas, comprehensions or subscripts).
        Also raised when the terms cannot be parsed.
    """
    parts = [parsed.fixed_rhs, _nominal_text(nominal)]
    parts += [" + ".join(term.slopes) for term in parsed.group_terms]
    for rhs in parts:
        if rhs.strip():
            for expression in _python_factors(rhs):
                bad = _unsafe_parts(expression, variables)
                if bad:
                    raise SavedFitError(
                        f"the formula term {expression!r} of {parsed.formula!r} uses "
                        f"{format_values(bad)}, which a saved fit may not evaluate (allowed: "
                        "column names, constants, arithmetic and the functions of "
                        "interactmodel.io.ALLOWED_FUNCTIONS); nothing was loaded or saved. "
                        "Compute such a column in the data frame and refit"
                    )


def _nominal_text(nominal: str | tuple[str, ...] | list[str] | None) -> str:
    if nominal is None:
        return ""
    if isinstance(nominal, str):
        return nominal.strip().removeprefix("~").strip()
    return " + ".join(nominal)


def _python_factors(rhs: str) -> list[str]:
    from formulaic import Formula
    from formulaic.parser.types import Factor

    try:
        formula = Formula("1 + " + rhs)  # parses only; evaluation happens in model_matrix
    except Exception as exc:  # formulaic raises several parser error types
        raise SavedFitError(f"the formula terms {rhs!r} cannot be parsed: {exc}") from exc
    return [
        str(factor.expr)
        for term in formula
        for factor in term.factors
        if factor.eval_method == Factor.EvalMethod.PYTHON
    ]


def _unsafe_parts(expression: str, variables: set[str]) -> list[str]:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return [expression]
    bad: list[str] = []
    roots = set(_MODULE_ALIASES)
    for node in ast.walk(tree):
        if not isinstance(node, _SAFE_NODES):
            bad.append(type(node).__name__)
        elif isinstance(node, ast.Call) and not _allowed_callee(node.func):
            bad.append(ast.unparse(node.func))
        elif isinstance(node, ast.Attribute) and not _allowed_attribute(node):
            bad.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Name) and node.id not in variables | roots | ALLOWED_FUNCTIONS[""]
        ):
            bad.append(node.id)
        elif isinstance(node, ast.Constant) and not isinstance(
            node.value, str | int | float | bool | type(None)
        ):
            bad.append(repr(node.value))
    return list(dict.fromkeys(bad))


def _allowed_attribute(node: ast.Attribute) -> bool:
    if not isinstance(node.value, ast.Name) or node.value.id not in _MODULE_ALIASES:
        return False
    return node.attr in ALLOWED_FUNCTIONS[_MODULE_ALIASES[node.value.id]]


def _allowed_callee(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ALLOWED_FUNCTIONS[""]
    return isinstance(func, ast.Attribute) and _allowed_attribute(func)
