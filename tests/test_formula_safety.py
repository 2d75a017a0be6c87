"""The formula check of saved fits (interactmodel.formula_safety): a formula read from a saved
fit may use column names, constants, arithmetic and allowed functions only, so loading a
tampered folder never runs code; save() refuses what load() would refuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from interactmodel.design import build_design
from interactmodel.errors import SavedFitError
from interactmodel.formula import parse_formula
from interactmodel.formula_safety import ALLOWED_FUNCTIONS, check_formula_safe
from interactmodel.io import load, save
from interactmodel.spec import OrdinalModel
from tests.saved_fits import FORMULA


def _set_formula(folder: Path, formula: str) -> None:
    spec = json.loads((folder / "spec.json").read_text())
    spec["formula"] = formula
    (folder / "spec.json").write_text(json.dumps(spec))


# --------------------------------------------------------------------------- through load and save


def test_malicious_formula_is_not_run(ml_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    attack = f"np.save({str(marker)!r}, x)"
    # premise: formulaic evaluates such a term when a design is built from it
    frame = pd.DataFrame({"y": pd.Categorical(["a", "b", "a"], ordered=True), "x": [1.0, 2, 3]})
    build_design(f"y ~ x + {attack}", frame)
    assert Path(f"{marker}.npy").exists()
    Path(f"{marker}.npy").unlink()

    _set_formula(ml_copy, f"{FORMULA} + {attack}")
    with pytest.raises(SavedFitError, match=r"uses 'np.save'.*nothing was loaded"):
        load(ml_copy)
    assert not Path(f"{marker}.npy").exists()


@pytest.mark.parametrize(
    ("term", "named"),
    [
        ("{x.__class__}", "x.__class__"),
        ("{__import__('os').system('true')}", "__import__"),
        ("{(lambda: 1)()}", "Lambda"),
        ("{open('f', 'w')}", "open"),
        ("{[v for v in x]}", "ListComp"),
    ],
)
def test_unsafe_terms_are_refused(ml_copy: Path, term: str, named: str) -> None:
    _set_formula(ml_copy, f"{FORMULA} + {term}")
    with pytest.raises(SavedFitError, match=f"uses .*{named}"):
        load(ml_copy)


def test_save_refuses_a_formula_load_would_refuse(
    survey_data: pd.DataFrame, tmp_path: Path
) -> None:
    fitted = OrdinalModel("quality ~ contact + np.fabs(x)").fit(survey_data)
    with pytest.raises(SavedFitError, match=r"uses 'np.fabs'.*ALLOWED_FUNCTIONS"):
        save(fitted, tmp_path / "fit")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- the check itself


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ np.log(x) + C(g, contr.treatment) + {x ** 2} + I(x > 0)",
        "y ~ numpy.sqrt(x) + np.where(x > 0, 1, 0) + log(x + 1)",
        "y ~ x + (1 + x | g)",
    ],
)
def test_allowed_terms_pass(formula: str) -> None:
    assert check_formula_safe(parse_formula(formula), None, {"x", "g"}) is None


@pytest.mark.parametrize(
    ("formula", "nominal", "named"),
    [
        ("y ~ x + {z + 1}", None, "'z'"),  # a name that is not a column
        ("y ~ x + {x[0]}", None, "'Subscript'"),
        ("y ~ x + {b'a'}", None, "\"b'a'\""),  # a constant that is not a number or text
        ("y ~ x + (1 + {x.real} | g)", None, "'x.real'"),  # group-level slopes are checked
        ("y ~ x", "~ eval('1')", "'eval'"),  # nominal terms as a formula
        ("y ~ x", ["x", "{os}"], "'os'"),  # nominal terms as a list
    ],
)
def test_unsafe_parts_are_named(formula: str, nominal: str | list[str] | None, named: str) -> None:
    expected = re.escape(f"of {formula!r} uses {named}, which a saved fit may not evaluate")
    with pytest.raises(SavedFitError, match=expected):
        check_formula_safe(parse_formula(formula), nominal, {"x", "g"})


def test_unparseable_terms_are_refused() -> None:
    with pytest.raises(SavedFitError, match=r"the formula terms 'x \+' cannot be parsed"):
        check_formula_safe(parse_formula("y ~ x"), "~ x +", {"x"})


def test_allowed_functions_are_reexported_by_io() -> None:
    from interactmodel import io

    assert io.ALLOWED_FUNCTIONS is ALLOWED_FUNCTIONS
    assert "ALLOWED_FUNCTIONS" in io.__all__
