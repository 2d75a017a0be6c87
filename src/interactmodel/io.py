"""Saved fits: a folder of JSON, CSV and netCDF files that loads back exactly, with no pickle.

:func:`save` writes a fitted :class:`~interactmodel.results.MLResult` or
:class:`~interactmodel.bayes_result.BayesResult` to a folder -- ``spec.json``, ``design.json``,
``cells.csv``, ``rows.csv``, then ``estimates.json`` (ML) or ``bayes.json`` and ``posterior.nc``
(Bayes), and a ``README.txt`` saying what each is (see :data:`_FILES` and
``docs/saved-fits.md``); :func:`load` rebuilds the result from them.

Why no pickle: unpickling runs code chosen by whoever wrote the file.  Loading here reads JSON,
CSV and netCDF only and never refits: the design is rebuilt by
:func:`~interactmodel.design.build_design` from the saved cells (their counts as frequency
weights, every level order as saved) and the estimates or draws are read back bit for bit
(numbers are written with Python's shortest round-trip ``repr``).

Why formulas are checked: formulaic *evaluates* Python in formula terms (``np.log(x)``), so a
tampered ``spec.json`` could run code while the design is rebuilt.  Every term of a saved formula
is parsed (not evaluated) and may only use column names, constants, arithmetic and an
allow-list of functions (:data:`ALLOWED_FUNCTIONS`); anything else is refused before any design
is built, and :func:`save` refuses such a fit up front.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> from interactmodel.spec import OrdinalModel
>>> data = pd.DataFrame({
...     "quality": pd.Categorical(["bad", "good", "mixed", "good", "bad", "mixed"] * 5,
...                               ["bad", "mixed", "good"], ordered=True),
...     "contact": ["rare", "often", "rare", "often", "often", "rare"] * 5,
... })
>>> result = OrdinalModel("quality ~ contact").fit(data)
>>> folder = save(result, tempfile.mkdtemp() + "/fit")
>>> sorted(p.name for p in folder.iterdir())
['README.txt', 'cells.csv', 'design.json', 'estimates.json', 'rows.csv', 'spec.json']
>>> load(folder).params.equals(result.params)
True
"""

from __future__ import annotations

import ast
import csv
import json
import math
import textwrap
import warnings
from collections.abc import Mapping
from dataclasses import MISSING, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from interactmodel.errors import (
    DataError,
    FitError,
    FormulaError,
    InteractModelError,
    OutputExistsError,
    SpecificationError,
    format_values,
)
from interactmodel.outputs import staged_folder

if TYPE_CHECKING:
    from interactmodel.bayes_result import BayesResult
    from interactmodel.design import Design, ParsedFormula
    from interactmodel.priors import Prior
    from interactmodel.results import MLResult

__all__ = [
    "ALLOWED_FUNCTIONS",
    "FORMAT",
    "FORMAT_VERSION",
    "NewerFormatError",
    "SavedFitError",
    "load",
    "save",
]

#: the ``format`` entry of every ``spec.json`` written by :func:`save`
FORMAT = "interactmodel.saved-fit"
#: the format version written; :func:`load` reads every version up to this one
FORMAT_VERSION = 1

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

_ML_FILES = ("spec.json", "design.json", "cells.csv", "rows.csv", "estimates.json")
_BAYES_FILES = ("spec.json", "design.json", "cells.csv", "rows.csv", "bayes.json", "posterior.nc")
# BayesResult fields written by their own code; every other field goes to bayes.json as JSON
_BAYES_SPECIAL = ("idata", "design", "priors", "parameters")


class SavedFitError(DataError):
    """A saved-fit folder is missing, incomplete, corrupt, unsafe or cannot be written."""


class NewerFormatError(SavedFitError):
    """A saved fit was written in a newer format than this interactmodel can read."""


# =========================================================================== saving


def save(result: MLResult | BayesResult, path: str | Path, *, force: bool = False) -> Path:
    """Write a fitted result to the folder ``path`` (JSON, CSV and netCDF; no pickle).

    Parameters
    ----------
    result : MLResult or BayesResult
        A fit from ``OrdinalModel.fit`` (either engine) or ``fit_pooled``.  Not modified.
    path : str or Path
        The folder to create.  It must not exist or be empty, unless ``force``.
    force : bool
        Replace an existing saved fit at ``path``.  A non-empty folder that is not a saved fit
        (it has no ``spec.json`` of this format) is never deleted, even with ``force``.

    Returns
    -------
    Path
        The folder written.  It is written under a temporary name and renamed when complete,
        so an error never leaves half a saved fit behind.

    Raises
    ------
    OutputExistsError
        ``path`` is a file, or a non-empty folder and ``force`` is False, or a non-empty folder
        that is not a saved fit.
    SavedFitError
        The fit cannot be saved so that :func:`load` reads it back exactly (a formula function
        outside :data:`ALLOWED_FUNCTIONS`, a covariate dtype other than categorical, string,
        boolean, integer or float, or metadata that is not JSON data).
    """
    engine = _engine_of(result)
    folder = Path(path)
    _check_target(folder, force)
    design = result.design
    nominal = result.spec.nominal if engine == "ml" else None  # type: ignore[union-attr]
    _check_formula_safe(design.formula, nominal, set(design.encoding.variables))
    with staged_folder(folder, check=lambda target: _check_target(target, force)) as staging:
        _write_all(result, engine, staging)
    return folder


def _engine_of(result: Any) -> str:
    from interactmodel.results import MLResult

    if isinstance(result, MLResult):
        return "ml"
    try:
        from interactmodel.bayes_result import BayesResult
    except ImportError:  # pragma: no cover - the Bayesian engine is part of the package
        BayesResult = ()  # type: ignore[assignment,misc]
    if isinstance(result, BayesResult):
        return "bayes"
    raise TypeError(
        f"save() takes a fitted MLResult or BayesResult (from OrdinalModel.fit), got "
        f"{type(result).__name__}"
    )


def _check_target(folder: Path, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputExistsError(
            f"{folder} exists and is not a folder; nothing was written. Choose another path "
            "for the saved fit"
        )
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    if not force:
        raise OutputExistsError(
            f"{folder} already exists and is not empty; nothing was written. Pass force=True "
            "(--force on the command line) to replace it, or choose another folder"
        )
    if not _is_saved_fit(folder):
        raise OutputExistsError(
            f"{folder} is not empty and is not a saved fit (no spec.json with format "
            f"{FORMAT!r}); force=True only replaces a saved fit, so nothing was written. "
            "Choose another folder, or empty this one yourself"
        )


def _is_saved_fit(folder: Path) -> bool:
    try:
        spec = json.loads((folder / "spec.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(spec, dict) and spec.get("format") == FORMAT


def _write_all(result: Any, engine: str, folder: Path) -> None:
    design = result.design
    _write_json(folder / "spec.json", _spec_record(result, engine))
    encoded = [_encode_column(design.cells[name], str(name)) for name in design.cells.columns]
    variables, cell_text = [info for info, _ in encoded], [text for _, text in encoded]
    _write_json(folder / "design.json", _design_record(design, variables))
    _write_cells(folder / "cells.csv", design, variables, cell_text)
    rows = pd.DataFrame({"cell": design.row_cell, "outcome": design.row_outcome})
    rows.to_csv(folder / "rows.csv", index=False, lineterminator="\n")
    if engine == "ml":
        _write_json(folder / "estimates.json", _estimates_record(result))
    else:
        _write_json(folder / "bayes.json", _bayes_record(result))
        try:
            result.idata.to_netcdf(str(folder / "posterior.nc"), engine="h5netcdf")
        except (TypeError, ValueError) as exc:
            raise SavedFitError(
                f"cannot write the posterior to netCDF: {exc}; the InferenceData holds "
                "something netCDF cannot store (e.g. an attribute that is None or a dict)"
            ) from exc
    (folder / "README.txt").write_text(_readme(engine), encoding="utf-8")


def _spec_record(result: Any, engine: str) -> dict[str, Any]:
    from importlib import metadata

    from interactmodel import __version__

    if engine == "ml":
        spec = result.spec
        formula, link, nominal, levels = spec.formula, spec.link, spec.nominal, spec.levels
        priors = None if spec.priors is None else _priors_json(spec.priors, "spec.priors")
    else:
        formula, link, nominal, levels = result.design.formula.formula, result.link, None, None
        priors = _priors_json(result.priors.given, "priors")
    libraries = {}
    for name in ("numpy", "pandas", "formulaic", "arviz", "xarray"):
        try:
            libraries[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover
            libraries[name] = "not installed"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "interactmodel_version": __version__,
        "engine": engine,
        "formula": formula,
        "link": link,
        "nominal": list(nominal) if isinstance(nominal, tuple) else nominal,
        "priors": priors,
        "levels": None if levels is None else _to_json(list(levels), "spec.levels"),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "library_versions": libraries,
    }


def _design_record(design: Design, variables: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "outcome": design.outcome,
        "outcome_levels": list(design.outcome_levels),
        "weights": design.weights,
        "nobs": _to_json(design.nobs, "nobs"),
        "n_rows": int(design.n_rows),
        "n_cells": int(design.n_cells),
        "variables": variables,
        "cells_columns": _cells_header(design.outcome_levels, variables),
        "X_names": list(design.X_names),
        "X_nominal_names": list(design.X_nominal_names),
        "mo_blocks": [block.name for block in design.mo],
        "groups": [{"name": g.name, "levels": list(g.levels)} for g in design.groups],
    }


def _estimates_record(result: MLResult) -> dict[str, Any]:
    params, cov = result._params_array, result._cov_array
    return {
        "outcome_levels": list(result.outcome_levels),
        "parameters": [
            {"name": name, "kind": kind, "estimate": _to_json(value, name)}
            for name, kind, value in zip(result.names, result.kinds, params, strict=True)
        ],
        "cov": _to_json(cov, "cov"),
        "loglik": _to_json(result.loglik, "loglik"),
        "nobs": _to_json(result.nobs, "nobs"),
        "converged": bool(result.converged),
        "n_iter": int(result.n_iter),
        "max_abs_gradient": _to_json(result.max_abs_gradient, "max_abs_gradient"),
        "hessian_condition": _to_json(result.hessian_condition, "hessian_condition"),
        "message": str(result.message),
        "ridge": _to_json(float(result._problem.ridge), "ridge"),
    }


def _bayes_record(result: BayesResult) -> dict[str, Any]:
    priors = result.priors
    table = result.parameters
    rows = [
        [_to_json(list(v) if isinstance(v, tuple) else v, "parameters") for v in row]
        for row in table.itertuples(index=False, name=None)
    ]
    others = {
        f.name: _to_json(getattr(result, f.name), f.name)
        for f in fields(result)
        if f.name not in _BAYES_SPECIAL
    }
    return {
        "priors": {
            "thresholds": _prior_json(priors.thresholds, "thresholds"),
            **{
                key: [_prior_json(p, key) for p in getattr(priors, key)]
                for key in ("b", "b_mo", "simplex", "sd", "cor")
            },
            "given": _priors_json(priors.given, "priors.given"),
        },
        "parameters": {"columns": [str(c) for c in table.columns], "rows": rows},
        "result": others,
    }


_FILES = {
    "spec.json": "the model: formula, link, nominal terms, priors, outcome levels, engine, "
    "interactmodel version, format name and version",
    "design.json": "how to rebuild the design: dtype and level order of every covariate, outcome "
    "levels, the columns of cells.csv, total weight (nobs)",
    "cells.csv": "one row per covariate cell: 'cell' (0-based), the covariate values and "
    "'count[<level>]', the weighted number of responses in each outcome level",
    "rows.csv": "the cell and outcome level (0-based position in design.json outcome_levels) of "
    "each row of the data fitted; -1 for rows of zero weight",
    "estimates.json": "(ML) parameter names, kinds (threshold, nominal, location) and estimates; "
    "covariance matrix in parameter order; log-likelihood, nobs, convergence diagnostics",
    "bayes.json": "(Bayes) resolved prior of every parameter, the parameter table (name, kind, "
    "posterior variable and index, prior), sampler settings, seed, diagnostics, timings",
    "posterior.nc": "(Bayes) the ArviZ InferenceData, netCDF4/HDF5: groups posterior, "
    "sample_stats, log_likelihood, observed_data, constant_data, ...",
}


def _readme(engine: str) -> str:
    names = _ML_FILES if engine == "ml" else _BAYES_FILES
    text = [
        f"A fitted model saved by interactmodel: format {FORMAT!r}, version {FORMAT_VERSION} "
        "(docs/saved-fits.md in the package).",
        "",
        "    import interactmodel",
        "    result = interactmodel.load('<this folder>')",
        "",
        "Every file is plain JSON, CSV or netCDF, readable without interactmodel (json, csv, "
        "xarray.open_dataset(path, group='posterior')). Loading runs no code from these files: "
        "there is no pickle, and formulas are parsed and checked, not executed. Numbers have "
        "full precision (shortest round-trip decimals); the non-finite values JSON lacks are "
        'written {"float": "nan"}, {"float": "inf"} or {"float": "-inf"}.',
        "",
    ]
    wrap: dict[str, Any] = {"width": 78, "break_on_hyphens": False, "break_long_words": False}
    lines = [ln for paragraph in text for ln in textwrap.wrap(paragraph, **wrap) or [""]]
    for name in names:
        lines += textwrap.wrap(
            _FILES[name], initial_indent=f"{name:<15}", subsequent_indent=" " * 15, **wrap
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON values


def _to_json(value: Any, where: str) -> Any:
    """Plain JSON data; floats exactly (repr), non-finite floats as {"float": "nan"}."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return [_to_json(v, where) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_to_json(v, where) for v in value]
    if isinstance(value, Mapping):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise SavedFitError(
                f"cannot save {where}: its keys {format_values(bad)} are not strings"
            )
        return {k: _to_json(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise SavedFitError(
        f"cannot save {where}: a {type(value).__name__} ({value!r:.60}) is not plain JSON data "
        "(strings, numbers, booleans, lists, dicts)"
    )


def _from_json(value: Any) -> Any:
    """Inverse of :func:`_to_json` (lists stay lists)."""
    if isinstance(value, dict):
        if set(value) == {"float"} and value["float"] in ("nan", "inf", "-inf"):
            return float(value["float"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _write_json(path: Path, record: dict[str, Any]) -> None:
    text = json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _prior_json(prior: Prior, where: str) -> dict[str, Any]:
    from interactmodel.priors import Prior

    if not isinstance(prior, Prior):
        raise SavedFitError(f"cannot save {where}: {prior!r} is not an interactmodel.priors.Prior")
    return {"dist": prior.dist, "params": _to_json(prior.params, where)}


def _priors_json(priors: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {str(k): _prior_json(p, f"{where}[{k!r}]") for k, p in priors.items()}


# --------------------------------------------------------------------------- cells


def _encode_column(series: pd.Series, name: str) -> tuple[dict[str, Any], list[str]]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        labels = [str(c) for c in categories]
        if len(set(labels)) != len(labels):
            raise SavedFitError(
                f"cannot save column {name!r}: its categories {format_values(categories)} "
                "are not distinct as text; give them distinct names"
            )
        info = {
            "name": name,
            "dtype": "category",
            "categories": _to_json(categories, f"categories of {name!r}"),
            "categories_dtype": str(dtype.categories.dtype),
            "ordered": bool(dtype.ordered),
        }
        return info, [labels[code] for code in series.cat.codes.to_numpy()]
    info = {"name": name, "dtype": str(dtype)}
    values = series.tolist()
    if pd.api.types.is_bool_dtype(dtype):
        return info, [str(bool(v)) for v in values]
    if pd.api.types.is_integer_dtype(dtype):
        return info, [str(int(v)) for v in values]
    if pd.api.types.is_float_dtype(dtype):
        return info, [repr(float(v)) for v in values]
    if isinstance(dtype, pd.StringDtype) or all(isinstance(v, str) for v in values):
        return info, list(values)
    raise SavedFitError(
        f"cannot save column {name!r} of dtype {dtype}: a saved fit keeps categorical, string, "
        "boolean, integer and float covariates; convert the column and refit"
    )


def _cells_header(outcome_levels: tuple[str, ...], variables: list[dict[str, Any]]) -> list[str]:
    return ["cell", *(v["name"] for v in variables), *(f"count[{lv}]" for lv in outcome_levels)]


def _write_cells(
    path: Path, design: Design, variables: list[dict[str, Any]], texts: list[list[str]]
) -> None:
    counts = [[repr(float(c)) for c in row] for row in design.counts.tolist()]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_cells_header(design.outcome_levels, variables))
        for i in range(design.n_cells):
            writer.writerow([str(i), *(column[i] for column in texts), *counts[i]])


# =========================================================================== loading


def load(path: str | Path) -> MLResult | BayesResult:
    """Read a fit written by :func:`save`; reads JSON, CSV and netCDF only, never refits.

    Parameters
    ----------
    path : str or Path
        The saved-fit folder.

    Returns
    -------
    MLResult or BayesResult
        Bit-identical to the saved result: the same ``params``, ``summary()`` and
        ``predict_proba()``.

    Raises
    ------
    SavedFitError
        The folder or one of its files is missing, a file is corrupt or inconsistent with the
        others, or the formula uses a function outside :data:`ALLOWED_FUNCTIONS`.
    NewerFormatError
        The folder was written in a newer format (upgrade interactmodel to read it).
    """
    folder = Path(path)
    if not folder.exists():
        raise SavedFitError(f"no saved fit at {folder}: the folder does not exist")
    if not folder.is_dir():
        raise SavedFitError(f"{folder} is a file, not a saved-fit folder (written by save())")
    spec = _read_json(folder, "spec.json")
    engine = _check_header(spec, folder)
    for name in _ML_FILES if engine == "ml" else _BAYES_FILES:
        if not (folder / name).is_file():
            raise SavedFitError(
                f"{folder} has no {name}, so the saved fit is incomplete; save the fit again "
                "(every file listed in README.txt is needed)"
            )
    design = _load_design(folder, spec, engine)
    if engine == "ml":
        return _load_ml(folder, spec, design)
    return _load_bayes(folder, design)


def _corrupt(file: Path, problem: str) -> SavedFitError:
    return SavedFitError(
        f"{file} is corrupt: {problem}; the saved fit cannot be read, save the fit again"
    )


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    file = folder / name
    if not file.is_file():
        raise SavedFitError(
            f"{folder} has no {name}, so it is not a complete saved fit; pass the folder "
            "that save() wrote (it holds spec.json, design.json, cells.csv, ...)"
        )
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(file, f"it is not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise _corrupt(file, f"it holds a JSON {type(record).__name__}, not an object")
    return record


def _get(record: Mapping[str, Any], key: str, kind: Any, file: Path) -> Any:
    if key not in record:
        raise _corrupt(file, f"the entry {key!r} is missing")
    value = _from_json(record[key])
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _corrupt(file, f"the entry {key!r} is {value!r:.60}, not of the expected type")
    return value


def _check_header(spec: dict[str, Any], folder: Path) -> str:
    file = folder / "spec.json"
    if spec.get("format") != FORMAT:
        raise _corrupt(file, f"its format is {spec.get('format')!r}, not {FORMAT!r}")
    version = spec.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _corrupt(file, f"format_version {version!r} is not a version number")
    if version > FORMAT_VERSION:
        written = spec.get("interactmodel_version", "a newer version")
        raise NewerFormatError(
            f"{folder} was saved in format version {version} by interactmodel {written}; this "
            f"interactmodel reads format versions up to {FORMAT_VERSION}. Upgrade interactmodel "
            "(pip install -U interactmodel) to load it"
        )
    engine = spec.get("engine")
    if engine not in ("ml", "bayes"):
        raise _corrupt(file, f"engine {engine!r} is not 'ml' or 'bayes'")
    return str(engine)


# --------------------------------------------------------------------------- formula safety


def _nominal_text(nominal: str | tuple[str, ...] | list[str] | None) -> str:
    if nominal is None:
        return ""
    if isinstance(nominal, str):
        return nominal.strip().removeprefix("~").strip()
    return " + ".join(nominal)


def _check_formula_safe(
    parsed: ParsedFormula, nominal: str | tuple[str, ...] | list[str] | None, variables: set[str]
) -> None:
    """Refuse formula terms that would make formulaic evaluate anything but allowed functions."""
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


# --------------------------------------------------------------------------- the design


def _load_design(folder: Path, spec: dict[str, Any], engine: str) -> Design:
    from interactmodel.design import parse_formula

    spec_file, design_file = folder / "spec.json", folder / "design.json"
    record = _read_json(folder, "design.json")
    formula = _get(spec, "formula", str, spec_file)
    nominal = _from_json(spec.get("nominal"))
    if engine == "bayes" and nominal:
        raise _corrupt(spec_file, "a Bayesian fit has nominal terms")
    try:
        parsed = parse_formula(formula)
    except FormulaError as exc:
        raise _corrupt(spec_file, f"its formula cannot be parsed ({exc})") from exc
    levels = tuple(_get(record, "outcome_levels", list, design_file))
    variables = _get(record, "variables", list, design_file)
    if not all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in variables):
        raise _corrupt(design_file, "an entry of 'variables' has no name")
    _check_formula_safe(parsed, nominal, {v["name"] for v in variables})
    n_cells = _get(record, "n_cells", int, design_file)
    cells, counts = _read_cells(folder / "cells.csv", record, variables, levels, n_cells)
    row_cell, row_outcome = _read_rows(folder / "rows.csv", record, n_cells, len(levels))
    design = _rebuild_design(parsed, nominal, cells, counts, levels, record, design_file)
    return replace(
        design,
        nobs=_get(record, "nobs", float, design_file),
        n_rows=int(row_cell.size),
        row_cell=_readonly(row_cell),
        row_outcome=_readonly(row_outcome),
    )


def _read_cells(
    file: Path,
    record: dict[str, Any],
    variables: list[dict[str, Any]],
    levels: tuple[str, ...],
    n_cells: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    with open(file, newline="", encoding="utf-8") as handle:
        try:
            table = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _corrupt(file, f"it is not readable CSV ({exc})") from exc
    header = _cells_header(levels, variables)
    if not table or table[0] != header:
        raise _corrupt(file, f"its header is not {format_values(header)}")
    body = table[1:]
    if len(body) != n_cells or any(len(row) != len(header) for row in body):
        raise _corrupt(file, f"it does not hold {n_cells} complete rows of {len(header)} values")
    columns = list(zip(*body, strict=True))
    if list(columns[0]) != [str(i) for i in range(n_cells)]:
        raise _corrupt(file, "the 'cell' column is not 0, 1, 2, ...")
    frame = pd.DataFrame(
        {
            info["name"]: _decode_column(info, list(columns[1 + j]), file)
            for j, info in enumerate(variables)
        }
    )
    try:
        counts = np.array([[float(x) for x in row[1 + len(variables) :]] for row in body])
    except ValueError as exc:
        raise _corrupt(file, f"a count is not a number ({exc})") from exc
    counts = counts.reshape(n_cells, len(levels))
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts.sum(axis=1) <= 0):
        raise _corrupt(file, "counts must be finite, >= 0 and positive in every cell")
    return frame, counts


def _decode_column(info: dict[str, Any], texts: list[str], file: Path) -> Any:
    name, kind = info["name"], info.get("dtype")
    try:
        if kind == "category":
            categories = pd.Index(
                _from_json(info["categories"]),
                dtype=pd.api.types.pandas_dtype(info["categories_dtype"]),
            )
            dtype = pd.CategoricalDtype(categories, ordered=bool(info["ordered"]))
            position = {str(c): i for i, c in enumerate(categories)}
            codes = [position[t] for t in texts]
            return pd.Categorical.from_codes(codes, dtype=dtype)
        dtype = pd.api.types.pandas_dtype(kind)
        if pd.api.types.is_bool_dtype(dtype):
            truth = {"True": True, "False": False}
            return pd.Series([truth[t] for t in texts], dtype=dtype)
        if pd.api.types.is_integer_dtype(dtype):
            return pd.Series([int(t) for t in texts], dtype=dtype)
        if pd.api.types.is_float_dtype(dtype):
            return pd.Series([float(t) for t in texts], dtype=dtype)
        if isinstance(dtype, pd.StringDtype) or dtype == np.dtype(object):
            return pd.Series(texts, dtype=dtype)
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"column {name!r} does not fit its dtype in design.json ({exc!r})"
        raise _corrupt(file, problem) from exc
    raise _corrupt(file.with_name("design.json"), f"column {name!r} has unknown dtype {kind!r}")


def _read_rows(
    file: Path, record: dict[str, Any], n_cells: int, n_levels: int
) -> tuple[np.ndarray, np.ndarray]:
    n_rows = _get(record, "n_rows", int, file.with_name("design.json"))
    try:
        rows = pd.read_csv(file, dtype="int64", na_filter=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise _corrupt(file, f"it is not a CSV of integers ({exc})") from exc
    if list(rows.columns) != ["cell", "outcome"] or len(rows) != n_rows:
        raise _corrupt(file, f"it does not hold {n_rows} rows of columns 'cell', 'outcome'")
    cell, outcome = rows["cell"].to_numpy(), rows["outcome"].to_numpy()
    dropped = cell < 0
    if (
        np.any(cell >= n_cells)
        or np.any(outcome >= n_levels)
        or np.any(dropped != (outcome < 0))
        or np.any(cell < -1)
    ):
        raise _corrupt(file, "a cell or outcome index is out of range")
    return cell, outcome


def _weighted_rows(
    cells: pd.DataFrame, counts: np.ndarray, outcome: str, levels: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One frequency-weighted row per (cell, outcome) with a positive count."""
    cell, level = np.nonzero(counts > 0)
    frame = cells.iloc[cell].reset_index(drop=True)
    dtype = pd.CategoricalDtype(list(levels), ordered=True)
    frame[outcome] = pd.Categorical.from_codes(level, dtype=dtype)
    return frame, counts[cell, level], cell


def _rebuild_design(
    parsed: ParsedFormula,
    nominal: Any,
    cells: pd.DataFrame,
    counts: np.ndarray,
    levels: tuple[str, ...],
    record: dict[str, Any],
    file: Path,
) -> Design:
    from interactmodel.design import build_design

    outcome = _get(record, "outcome", str, file)
    if outcome != parsed.outcome or outcome in cells.columns:
        raise _corrupt(file, f"outcome {outcome!r} does not fit the formula {parsed.formula!r}")
    weights_name = _from_json(record.get("weights"))
    frame, weights, cell_of_row = _weighted_rows(cells, counts, outcome, levels)
    use_name = isinstance(weights_name, str) and weights_name not in frame.columns
    if use_name:
        frame[weights_name] = weights
    try:
        design = build_design(
            parsed, frame, weights=weights_name if use_name else weights, nominal=nominal
        )
    except (DataError, FormulaError) as exc:
        raise _corrupt(file, f"the design cannot be rebuilt from cells.csv ({exc})") from exc
    if design.n_cells != len(cells):
        raise _corrupt(file.with_name("cells.csv"), "two rows describe the same covariate cell")
    order = np.empty(len(cells), dtype=np.int64)
    order[cell_of_row] = design.row_cell
    if not np.array_equal(order, np.arange(len(cells))):
        # string and numeric columns are coded by first appearance, so the rebuilt cells can come
        # out in another order than the fitted ones; put them back in the saved order
        design = _reorder_cells(design, order)
    design = replace(design, weights=weights_name)
    if design.outcome_levels != levels:
        raise _corrupt(file, f"outcome_levels {levels} are not text levels")
    _check_design(design, cells, counts, record, file)
    return design


def _reorder_cells(design: Design, order: np.ndarray) -> Design:
    """The design with cell i taken from the design's cell ``order[i]``."""
    return replace(
        design,
        counts=_readonly(design.counts[order]),
        X=_readonly(design.X[order]),
        X_nominal=_readonly(design.X_nominal[order]),
        mo=tuple(
            replace(b, rank=_readonly(b.rank[order]), active=_readonly(b.active[order]))
            for b in design.mo
        ),
        groups=tuple(
            replace(g, index=_readonly(g.index[order]), Z=_readonly(g.Z[order]))
            for g in design.groups
        ),
        cells=design.cells.iloc[order].reset_index(drop=True),
    )


def _check_design(
    design: Design, cells: pd.DataFrame, counts: np.ndarray, record: dict[str, Any], file: Path
) -> None:
    expected = {
        "X_names": list(design.X_names),
        "X_nominal_names": list(design.X_nominal_names),
        "mo_blocks": [b.name for b in design.mo],
        "groups": [{"name": g.name, "levels": list(g.levels)} for g in design.groups],
    }
    for key, value in expected.items():
        if _get(record, key, list, file) != value:
            raise _corrupt(file, f"{key} rebuilt from the cells are {value}, not as saved")
    if not (np.array_equal(design.counts, counts) and design.cells.equals(cells)):
        raise _corrupt(file, "the rebuilt cells differ from cells.csv")


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------- ML


def _priors_from_json(value: Any, file: Path) -> dict[str, Prior]:
    if not isinstance(value, dict):
        raise _corrupt(file, f"priors {value!r:.60} is not an object of priors")
    return {key: _prior_from_json(item, file) for key, item in value.items()}


def _prior_from_json(item: Any, file: Path) -> Prior:
    from interactmodel.priors import Prior

    if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
        raise _corrupt(file, f"the prior {item!r:.60} has no 'dist' and 'params'")
    try:
        return Prior(str(item.get("dist")), **_from_json(item["params"]))
    except (SpecificationError, TypeError) as exc:
        raise _corrupt(file, f"a prior is invalid ({exc})") from exc


def _load_ml(folder: Path, spec: dict[str, Any], design: Design) -> MLResult:
    from interactmodel.engines.ml import parameter_names, problem_from_design
    from interactmodel.results import MLResult
    from interactmodel.spec import OrdinalModel

    spec_file, file = folder / "spec.json", folder / "estimates.json"
    priors = spec.get("priors")
    levels = _from_json(spec.get("levels"))
    try:
        model = OrdinalModel(
            _get(spec, "formula", str, spec_file),
            link=_get(spec, "link", str, spec_file),
            nominal=_from_json(spec.get("nominal")),
            priors=None if priors is None else _priors_from_json(priors, spec_file),
            levels=None if levels is None else tuple(levels),
        )
    except (FormulaError, SpecificationError) as exc:
        raise _corrupt(spec_file, f"the model cannot be rebuilt ({exc})") from exc
    record = _read_json(folder, "estimates.json")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the fit already warned about unobserved levels
            problem, observed = problem_from_design(design, model.link)
    except (FormulaError, FitError, InteractModelError) as exc:
        raise _corrupt(file, f"the likelihood cannot be rebuilt ({exc})") from exc
    ridge = _get(record, "ridge", float, file)
    if ridge:
        problem = replace(problem, ridge=ridge)
    outcome_levels = tuple(_get(record, "outcome_levels", list, file))
    named = parameter_names(design, observed)
    params, cov, names, kinds = _ml_arrays(record, file)
    if outcome_levels != observed or names != tuple(n for n, _ in named):
        raise _corrupt(file, "the parameter names do not fit the design rebuilt from cells.csv")
    return MLResult(
        spec=model,
        design=design,
        outcome_levels=outcome_levels,
        names=names,
        kinds=kinds,
        loglik=_get(record, "loglik", float, file),
        nobs=_get(record, "nobs", float, file),
        converged=_get(record, "converged", bool, file),
        n_iter=_get(record, "n_iter", int, file),
        max_abs_gradient=_get(record, "max_abs_gradient", float, file),
        hessian_condition=_get(record, "hessian_condition", float, file),
        message=_get(record, "message", str, file),
        _params_array=_readonly(params),
        _cov_array=_readonly(cov),
        _problem=problem,
    )


def _ml_arrays(
    record: dict[str, Any], file: Path
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    parameters = _get(record, "parameters", list, file)
    try:
        names = tuple(str(p["name"]) for p in parameters)
        kinds = tuple(str(p["kind"]) for p in parameters)
        params = np.array([float(_from_json(p["estimate"])) for p in parameters], dtype=float)
        cov = np.array(_from_json(record["cov"]), dtype=float)
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(file, f"the estimates are malformed ({exc!r})") from exc
    n = len(names)
    if cov.shape != (n, n) or not set(kinds) <= {"threshold", "nominal", "location"}:
        raise _corrupt(file, f"cov is not {n} x {n} or a parameter kind is unknown")
    return params.reshape(n), cov, names, kinds


# --------------------------------------------------------------------------- Bayes


def _load_bayes(folder: Path, design: Design) -> BayesResult:
    from interactmodel.bayes_result import BayesResult

    file = folder / "bayes.json"
    record = _read_json(folder, "bayes.json")
    priors = _priorset_from_json(_get(record, "priors", dict, file), file)
    parameters = _parameters_from_json(_get(record, "parameters", dict, file), file)
    others = _get(record, "result", dict, file)
    idata = _read_posterior(folder / "posterior.nc", design, parameters)
    kwargs: dict[str, Any] = {}
    for f in fields(BayesResult):
        if f.name in _BAYES_SPECIAL:
            continue
        if f.name in others:
            kwargs[f.name] = others[f.name]
        elif f.default is MISSING and f.default_factory is MISSING:
            raise _corrupt(file, f"the result entry {f.name!r} is missing")
    return BayesResult(idata=idata, design=design, priors=priors, parameters=parameters, **kwargs)


def _priorset_from_json(record: dict[str, Any], file: Path) -> Any:
    from interactmodel.priors import PriorSet

    try:
        return PriorSet(
            thresholds=_prior_from_json(record["thresholds"], file),
            **{
                key: tuple(_prior_from_json(p, file) for p in record[key])
                for key in ("b", "b_mo", "simplex", "sd", "cor")
            },
            given=_priors_from_json(record["given"], file),
        )
    except (KeyError, TypeError) as exc:
        raise _corrupt(file, f"the priors are incomplete ({exc!r})") from exc


def _parameters_from_json(record: dict[str, Any], file: Path) -> pd.DataFrame:
    columns, rows = record.get("columns"), record.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise _corrupt(file, "the parameter table has no 'columns' and 'rows'")
    if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
        raise _corrupt(file, "a row of the parameter table has the wrong length")
    # as parameter_table builds it: a frame from tuples, the index column holding tuples
    tuples = [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows]
    return pd.DataFrame(tuples, columns=columns)


def _read_posterior(file: Path, design: Design, parameters: pd.DataFrame) -> Any:
    import arviz as az

    try:
        with az.rc_context({"data.load": "eager"}):  # read it all now: no open file handle
            idata = az.from_netcdf(str(file), engine="h5netcdf")
    except (OSError, ValueError, KeyError) as exc:
        raise _corrupt(file, f"it is not a readable netCDF InferenceData ({exc})") from exc
    if "posterior" not in idata.groups():
        raise _corrupt(file, "it has no posterior group")
    missing = sorted(set(parameters.get("variable", [])) - set(idata.posterior.data_vars))
    if missing:
        raise _corrupt(file, f"the posterior lacks the variable(s) {format_values(missing)}")
    observed = getattr(idata, "observed_data", None)
    if (
        observed is not None
        and "cell" in observed.dims
        and observed.sizes["cell"] != (design.n_cells)
    ):
        raise _corrupt(
            file,
            f"its observed counts have {observed.sizes['cell']} cells, the design {design.n_cells}",
        )
    return idata
