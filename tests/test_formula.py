"""Formula parsing (interactmodel.formula): the parts of a formula, and bad formulas explained."""

from __future__ import annotations

import doctest

import pytest

from interactmodel import formula as formula_module
from interactmodel.errors import FormulaError
from interactmodel.formula import GroupTerm, MonotonicTerm, parse_formula


def test_parse_splits_fixed_monotonic_and_group_terms():
    parsed = parse_formula(
        "quality ~ partner + size:region + mo(frequency):partner + region:mo(frequency)"
        " + (1 | region) + (1 + size | org)"
    )
    assert parsed.outcome == "quality"
    assert parsed.fixed_rhs == "partner + size:region"
    assert parsed.mo_terms == (
        MonotonicTerm("frequency", "partner"),
        MonotonicTerm("frequency", "region"),
    )
    assert parsed.group_terms == (GroupTerm("region"), GroupTerm("org", ("size",), True))


def test_parse_group_term_without_intercept_and_plain_mo():
    parsed = parse_formula("y ~ mo(x) + (0 + z | g)")
    assert parsed.mo_terms == (MonotonicTerm("x"),)
    assert parsed.group_terms == (GroupTerm("g", ("z",), False),)
    assert parsed.fixed_rhs == ""
    assert parse_formula("y ~ 1").fixed_rhs == ""


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("quality partner", r"must have one '~'"),
        ("~ partner", r"must have one '~'"),
        ("quality ~ partner +", r"empty term \(a stray '\+'\)"),
        ("quality ~ 0 + partner", r"removes the intercept.*drop the '0'"),
        ("quality ~ partner - 1", r"removes the intercept"),
        ("quality ~ mo(frequency) * partner", r"write mo\(x\) or mo\(x\):g"),
        ("quality ~ (1 || region)", r"'\|\|' \(uncorrelated effects\) is not supported"),
        ("quality ~ (1 | region:partner)", r"make one column that combines them"),
        ("quality ~ partner | region", r"write group-level terms in parentheses"),
        ("quality ~ scale(size)", r"transform scale\(\).*compute that column"),
        ("quality ~ (partner", r"unbalanced '\('"),
        ("log(quality) ~ partner", r"outcome 'log\(quality\)'.*must be a column name"),
    ],
)
def test_bad_formulas_are_explained(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_docstring_examples_run():
    assert doctest.testmod(formula_module).failed == 0
