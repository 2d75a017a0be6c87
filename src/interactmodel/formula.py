"""Model formulas: ``outcome ~ fixed terms + mo(x):g + (1 + z | group)``, parsed and checked.

:func:`parse_formula` splits a Wilkinson formula into its outcome column, the ordinary
fixed-effect terms (a formulaic right-hand side), the monotonic ``mo()`` terms and the
group-level terms, and rejects what a collapsed design cannot represent (a removed intercept,
a transform that depends on the whole column, nested grouping factors) with a message that
says what to write instead.  :mod:`interactmodel.design` builds the matrices from the result.

Examples
--------
>>> parsed = parse_formula("quality ~ partner + mo(frequency):partner + (1 | region)")
>>> parsed.fixed_rhs
'partner'
>>> parsed.mo_terms
(MonotonicTerm(variable='frequency', by='partner'),)
>>> [term.label for term in parsed.group_terms]
['(1 | region)']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interactmodel.errors import FormulaError

__all__ = ["GroupTerm", "MonotonicTerm", "ParsedFormula", "parse_formula"]

# Transforms whose result depends on the whole column (a mean, a spline basis, ...).  The
# design is built on unique cells, not rows, so these would silently give other numbers.
_STATEFUL = ("bs", "cc", "cr", "cs", "center", "poly", "scale", "standardize", "lag", "hashed")
_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_MO = rf"mo\(\s*(?P<x>{_NAME})\s*\)"
_MO_ALONE = re.compile(rf"^{_MO}$")
_MO_BY_RIGHT = re.compile(rf"^{_MO}\s*:\s*(?P<by>{_NAME})$")
_MO_BY_LEFT = re.compile(rf"^(?P<by>{_NAME})\s*:\s*{_MO}$")


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class MonotonicTerm:
    """``mo(variable)`` or ``mo(variable):by`` -- a monotonic effect of an ordered factor."""

    variable: str
    by: str | None = None

    @property
    def label(self) -> str:
        return f"mo({self.variable})" + (f":{self.by}" if self.by else "")


@dataclass(frozen=True)
class GroupTerm:
    """``(1 | group)`` or ``(1 + x | group)``: group-level intercepts (and slopes)."""

    group: str
    slopes: tuple[str, ...] = ()
    intercept: bool = True

    @property
    def label(self) -> str:
        lhs = " + ".join((["1"] if self.intercept else ["0"]) + list(self.slopes))
        return f"({lhs} | {self.group})"


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into its outcome column, ordinary fixed-effect terms (a formulaic
    right-hand side, "" if none), ``mo()`` terms and group-level terms."""

    formula: str
    outcome: str
    fixed_rhs: str = ""
    mo_terms: tuple[MonotonicTerm, ...] = ()
    group_terms: tuple[GroupTerm, ...] = ()


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` where it is not inside parentheses or brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                raise FormulaError(f"unbalanced ')' at position {i + 1} in {text!r}")
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise FormulaError(f"unbalanced '(' in {text!r}: add the missing ')'")
    parts.append(text[start:])
    return parts


def _strip_name(text: str, what: str, formula: str) -> str:
    name = text.strip()
    if name.startswith("`") and name.endswith("`") and len(name) > 2:
        return name[1:-1]
    if not re.fullmatch(_NAME, name):
        raise FormulaError(
            f"{what} {name!r} in formula {formula!r} must be a column name; "
            "create the column in the data frame first"
        )
    return name


def _parse_group(term: str, formula: str) -> GroupTerm:
    inner = term[1:-1]
    pieces = _split_top_level(inner, "|")
    if len(pieces) != 2 or "||" in inner:
        raise FormulaError(
            f"group term {term!r} must look like (1 | group) or (1 + x | group); "
            "'||' (uncorrelated effects) is not supported"
        )
    lhs, group = pieces
    if ":" in group or "/" in group:
        raise FormulaError(
            f"group {group.strip()!r} in {term!r}: nested or crossed grouping factors are not "
            "supported; make one column that combines them and use (1 | combined)"
        )
    group_name = _strip_name(group, "grouping factor", formula)
    tokens = [t.strip() for t in _split_top_level(lhs, "+")]
    if "" in tokens:
        raise FormulaError(f"empty term in group term {term!r}")
    intercept = not any(t in ("0", "-1") for t in tokens)
    slopes = [t for t in tokens if t not in ("0", "1", "-1")]
    if not intercept and not slopes:
        raise FormulaError(f"group term {term!r} has no intercept and no slopes")
    return GroupTerm(group_name, tuple(slopes), intercept)


def _parse_mo(term: str, formula: str) -> MonotonicTerm:
    for pattern in (_MO_ALONE, _MO_BY_RIGHT, _MO_BY_LEFT):
        match = pattern.match(term)
        if match:
            by = match.groupdict().get("by")
            return MonotonicTerm(match["x"], by)
    raise FormulaError(
        f"monotonic term {term!r} in {formula!r} is not supported; write mo(x) or mo(x):g "
        "(one ordered factor x, optionally by one categorical g), e.g. mo(frequency):partner"
    )


def _check_fixed_term(term: str, formula: str) -> None:
    if "|" in term:
        raise FormulaError(
            f"term {term!r} in {formula!r}: write group-level terms in parentheses, "
            "e.g. (1 | region)"
        )
    if re.fullmatch(r"0|-\s*1|.*[^\w.\s]\s*-\s*1|.*\s-\s*1", term):
        raise FormulaError(
            f"term {term!r} in {formula!r} removes the intercept; in a cumulative-link model "
            "the thresholds take the intercept's place and every factor already gets "
            "treatment coding, so drop the '0'/'- 1'"
        )
    for name in _STATEFUL:
        if re.search(rf"(^|[^\w.]){name}\(", term):
            raise FormulaError(
                f"term {term!r} uses the transform {name}(), which depends on the whole "
                "column; the design is built on unique covariate cells, so compute that "
                "column in the data frame first and use it by name"
            )


def parse_formula(formula: str) -> ParsedFormula:
    """Parse ``outcome ~ rhs`` into fixed, monotonic and group-level parts.

    Parameters
    ----------
    formula : str
        Wilkinson formula, e.g. ``"quality ~ mo(frequency):partner + region + (1 | org)"``.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    FormulaError
        If the formula has no single ``~``, an empty term, an unsupported ``mo()`` or group
        term, or removes the intercept.

    Examples
    --------
    >>> parse_formula("y ~ x + mo(f):g + (1 | r)").fixed_rhs
    'x'
    """
    if not isinstance(formula, str):
        raise FormulaError(f"formula must be a string like 'quality ~ frequency', got {formula!r}")
    sides = _split_top_level(formula, "~")
    if len(sides) != 2 or not sides[0].strip():
        raise FormulaError(
            f"formula {formula!r} must have one '~' with the ordered outcome on its left, "
            "e.g. 'quality ~ frequency + partner'"
        )
    outcome = _strip_name(sides[0], "outcome", formula)
    fixed: list[str] = []
    mo_terms: list[MonotonicTerm] = []
    group_terms: list[GroupTerm] = []
    for raw in _split_top_level(sides[1], "+"):
        term = raw.strip()
        if not term:
            raise FormulaError(f"empty term (a stray '+') in formula {formula!r}")
        if term == "1":
            continue  # the thresholds are the intercept
        if term.startswith("(") and term.endswith(")") and "|" in term:
            group_terms.append(_parse_group(term, formula))
        elif re.search(r"(^|[^\w.])mo\(", term):
            mo_terms.append(_parse_mo(term, formula))
        else:
            _check_fixed_term(term, formula)
            fixed.append(term)
    if len(set(mo_terms)) != len(mo_terms):
        raise FormulaError(f"a mo() term appears twice in {formula!r}")
    fixed_rhs = " + ".join(fixed)
    if fixed_rhs:
        _formulaic_formula(fixed_rhs, formula)
    return ParsedFormula(formula, outcome, fixed_rhs, tuple(mo_terms), tuple(group_terms))


def _formulaic_formula(rhs: str, formula: str) -> Any:
    from formulaic import Formula

    try:
        return Formula("1 + " + rhs)
    except Exception as exc:  # formulaic raises several parser error types
        raise FormulaError(f"cannot parse the terms {rhs!r} of formula {formula!r}: {exc}") from exc


def _rhs_variables(rhs: str, formula: str) -> list[str]:
    """Data columns an ordinary right-hand side refers to, in order of appearance."""
    if not rhs.strip():
        return []
    found = {str(v) for v in _formulaic_formula(rhs, formula).required_variables}
    found |= set(re.findall(r"Q\(\s*['\"](.+?)['\"]\s*\)", rhs))
    return sorted(found, key=lambda name: _position(rhs, name))


def _position(text: str, name: str) -> int:
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)
    return match.start() if match else len(text)


def _nominal_rhs(nominal: str | Sequence[str] | None) -> str:
    if nominal is None:
        return ""
    if isinstance(nominal, str):
        text = nominal.strip()
        if text.startswith("~"):
            text = text[1:]
        return text.strip()
    names = list(nominal)
    if not all(isinstance(n, str) for n in names):
        raise FormulaError(
            f"nominal must be a formula like '~ contact' or a list of names, got {nominal!r}"
        )
    return " + ".join(names)
