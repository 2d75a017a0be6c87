"""Saved fits: a folder of JSON, CSV and netCDF files that loads back exactly, with no pickle.

:func:`save` writes a fitted :class:`~interactmodel.results.MLResult` or
:class:`~interactmodel.bayes_result.BayesResult` to a folder -- ``spec.json``, ``design.json``,
``cells.csv``, ``rows.csv``, then ``estimates.json`` (ML) or ``bayes.json`` and ``posterior.nc``
(Bayes), and a ``README.txt`` saying what each is (see :data:`_FILES` and
``docs/saved-fits.md``); :func:`load` rebuilds the result from them.

Why no pickle: unpickling runs code chosen by whoever wrote the file.  Loading here reads JSON,
CSV and netCDF only and never refits: the design is rebuilt by
:func:`~interactmodel.design.build_design` from the saved cells (their counts as frequency
weights, every level order as saved; :mod:`interactmodel.saved_design` writes and reads
``design.json``, ``cells.csv`` and ``rows.csv``) and the estimates or draws are read back bit for
bit (numbers are written with Python's shortest round-trip ``repr``; see
:mod:`interactmodel.saved_json`).

Why formulas are checked: formulaic *evaluates* Python in formula terms (``np.log(x)``), so a
tampered ``spec.json`` could run code while the design is rebuilt.  Every term of a saved formula
is parsed (not evaluated) and may only use column names, constants, arithmetic and an
allow-list of functions (:data:`ALLOWED_FUNCTIONS`, defined in
:mod:`interactmodel.formula_safety`); anything else is refused before any design is built, and
:func:`save` refuses such a fit up front.

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

import json
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
    FitError,
    FormulaError,
    InteractModelError,
    NewerFormatError,
    OutputExistsError,
    SavedFitError,
    SpecificationError,
    format_values,
)
from interactmodel.formula_safety import ALLOWED_FUNCTIONS, check_formula_safe
from interactmodel.outputs import staged_folder
from interactmodel.saved_design import load_design, readonly, write_design
from interactmodel.saved_json import corrupt, from_json, get_entry, read_json, to_json, write_json

if TYPE_CHECKING:
    from interactmodel.bayes_result import BayesResult
    from interactmodel.design import Design
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

_ML_FILES = ("spec.json", "design.json", "cells.csv", "rows.csv", "estimates.json")
_BAYES_FILES = ("spec.json", "design.json", "cells.csv", "rows.csv", "bayes.json", "posterior.nc")
# BayesResult fields written by their own code; every other field goes to bayes.json as JSON
_BAYES_SPECIAL = ("idata", "design", "priors", "parameters")


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
    check_formula_safe(design.formula, nominal, set(design.encoding.variables))
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
    write_json(folder / "spec.json", _spec_record(result, engine))
    write_design(result.design, folder)
    if engine == "ml":
        write_json(folder / "estimates.json", _estimates_record(result))
    else:
        write_json(folder / "bayes.json", _bayes_record(result))
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
        "levels": None if levels is None else to_json(list(levels), "spec.levels"),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "library_versions": libraries,
    }


def _estimates_record(result: MLResult) -> dict[str, Any]:
    params, cov = result._params_array, result._cov_array
    return {
        "outcome_levels": list(result.outcome_levels),
        "parameters": [
            {"name": name, "kind": kind, "estimate": to_json(value, name)}
            for name, kind, value in zip(result.names, result.kinds, params, strict=True)
        ],
        "cov": to_json(cov, "cov"),
        "loglik": to_json(result.loglik, "loglik"),
        "nobs": to_json(result.nobs, "nobs"),
        "converged": bool(result.converged),
        "n_iter": int(result.n_iter),
        "max_abs_gradient": to_json(result.max_abs_gradient, "max_abs_gradient"),
        "hessian_condition": to_json(result.hessian_condition, "hessian_condition"),
        "message": str(result.message),
        "ridge": to_json(float(result._problem.ridge), "ridge"),
    }


def _bayes_record(result: BayesResult) -> dict[str, Any]:
    priors = result.priors
    table = result.parameters
    rows = [
        [to_json(list(v) if isinstance(v, tuple) else v, "parameters") for v in row]
        for row in table.itertuples(index=False, name=None)
    ]
    others = {
        f.name: to_json(getattr(result, f.name), f.name)
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


# --------------------------------------------------------------------------- priors as JSON


def _prior_json(prior: Prior, where: str) -> dict[str, Any]:
    from interactmodel.priors import Prior

    if not isinstance(prior, Prior):
        raise SavedFitError(f"cannot save {where}: {prior!r} is not an interactmodel.priors.Prior")
    return {"dist": prior.dist, "params": to_json(prior.params, where)}


def _priors_json(priors: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {str(k): _prior_json(p, f"{where}[{k!r}]") for k, p in priors.items()}


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
    spec = read_json(folder, "spec.json")
    engine = _check_header(spec, folder)
    for name in _ML_FILES if engine == "ml" else _BAYES_FILES:
        if not (folder / name).is_file():
            raise SavedFitError(
                f"{folder} has no {name}, so the saved fit is incomplete; save the fit again "
                "(every file listed in README.txt is needed)"
            )
    design = load_design(folder, spec, engine)
    if engine == "ml":
        return _load_ml(folder, spec, design)
    return _load_bayes(folder, design)


def _check_header(spec: dict[str, Any], folder: Path) -> str:
    file = folder / "spec.json"
    if spec.get("format") != FORMAT:
        raise corrupt(file, f"its format is {spec.get('format')!r}, not {FORMAT!r}")
    version = spec.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise corrupt(file, f"format_version {version!r} is not a version number")
    if version > FORMAT_VERSION:
        written = spec.get("interactmodel_version", "a newer version")
        raise NewerFormatError(
            f"{folder} was saved in format version {version} by interactmodel {written}; this "
            f"interactmodel reads format versions up to {FORMAT_VERSION}. Upgrade interactmodel "
            "(pip install -U interactmodel) to load it"
        )
    engine = spec.get("engine")
    if engine not in ("ml", "bayes"):
        raise corrupt(file, f"engine {engine!r} is not 'ml' or 'bayes'")
    return str(engine)


# --------------------------------------------------------------------------- ML


def _priors_from_json(value: Any, file: Path) -> dict[str, Prior]:
    if not isinstance(value, dict):
        raise corrupt(file, f"priors {value!r:.60} is not an object of priors")
    return {key: _prior_from_json(item, file) for key, item in value.items()}


def _prior_from_json(item: Any, file: Path) -> Prior:
    from interactmodel.priors import Prior

    if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
        raise corrupt(file, f"the prior {item!r:.60} has no 'dist' and 'params'")
    try:
        return Prior(str(item.get("dist")), **from_json(item["params"]))
    except (SpecificationError, TypeError) as exc:
        raise corrupt(file, f"a prior is invalid ({exc})") from exc


def _load_ml(folder: Path, spec: dict[str, Any], design: Design) -> MLResult:
    from interactmodel.engines.ml import parameter_names, problem_from_design
    from interactmodel.results import MLResult
    from interactmodel.spec import OrdinalModel

    spec_file, file = folder / "spec.json", folder / "estimates.json"
    priors = spec.get("priors")
    levels = from_json(spec.get("levels"))
    try:
        model = OrdinalModel(
            get_entry(spec, "formula", str, spec_file),
            link=get_entry(spec, "link", str, spec_file),
            nominal=from_json(spec.get("nominal")),
            priors=None if priors is None else _priors_from_json(priors, spec_file),
            levels=None if levels is None else tuple(levels),
        )
    except (FormulaError, SpecificationError) as exc:
        raise corrupt(spec_file, f"the model cannot be rebuilt ({exc})") from exc
    record = read_json(folder, "estimates.json")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the fit already warned about unobserved levels
            problem, observed = problem_from_design(design, model.link)
    except (FormulaError, FitError, InteractModelError) as exc:
        raise corrupt(file, f"the likelihood cannot be rebuilt ({exc})") from exc
    ridge = get_entry(record, "ridge", float, file)
    if ridge:
        problem = replace(problem, ridge=ridge)
    outcome_levels = tuple(get_entry(record, "outcome_levels", list, file))
    named = parameter_names(design, observed)
    params, cov, names, kinds = _ml_arrays(record, file)
    if outcome_levels != observed or names != tuple(n for n, _ in named):
        raise corrupt(file, "the parameter names do not fit the design rebuilt from cells.csv")
    return MLResult(
        spec=model,
        design=design,
        outcome_levels=outcome_levels,
        names=names,
        kinds=kinds,
        loglik=get_entry(record, "loglik", float, file),
        nobs=get_entry(record, "nobs", float, file),
        converged=get_entry(record, "converged", bool, file),
        n_iter=get_entry(record, "n_iter", int, file),
        max_abs_gradient=get_entry(record, "max_abs_gradient", float, file),
        hessian_condition=get_entry(record, "hessian_condition", float, file),
        message=get_entry(record, "message", str, file),
        _params_array=readonly(params),
        _cov_array=readonly(cov),
        _problem=problem,
    )


def _ml_arrays(
    record: dict[str, Any], file: Path
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    parameters = get_entry(record, "parameters", list, file)
    try:
        names = tuple(str(p["name"]) for p in parameters)
        kinds = tuple(str(p["kind"]) for p in parameters)
        params = np.array([float(from_json(p["estimate"])) for p in parameters], dtype=float)
        cov = np.array(from_json(record["cov"]), dtype=float)
    except (KeyError, TypeError, ValueError) as exc:
        raise corrupt(file, f"the estimates are malformed ({exc!r})") from exc
    n = len(names)
    if cov.shape != (n, n) or not set(kinds) <= {"threshold", "nominal", "location"}:
        raise corrupt(file, f"cov is not {n} x {n} or a parameter kind is unknown")
    return params.reshape(n), cov, names, kinds


# --------------------------------------------------------------------------- Bayes


def _load_bayes(folder: Path, design: Design) -> BayesResult:
    from interactmodel.bayes_result import BayesResult

    file = folder / "bayes.json"
    record = read_json(folder, "bayes.json")
    priors = _priorset_from_json(get_entry(record, "priors", dict, file), file)
    parameters = _parameters_from_json(get_entry(record, "parameters", dict, file), file)
    others = get_entry(record, "result", dict, file)
    idata = _read_posterior(folder / "posterior.nc", design, parameters)
    kwargs: dict[str, Any] = {}
    for f in fields(BayesResult):
        if f.name in _BAYES_SPECIAL:
            continue
        if f.name in others:
            kwargs[f.name] = others[f.name]
        elif f.default is MISSING and f.default_factory is MISSING:
            raise corrupt(file, f"the result entry {f.name!r} is missing")
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
        raise corrupt(file, f"the priors are incomplete ({exc!r})") from exc


def _parameters_from_json(record: dict[str, Any], file: Path) -> pd.DataFrame:
    columns, rows = record.get("columns"), record.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise corrupt(file, "the parameter table has no 'columns' and 'rows'")
    if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
        raise corrupt(file, "a row of the parameter table has the wrong length")
    # as parameter_table builds it: a frame from tuples, the index column holding tuples
    tuples = [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows]
    return pd.DataFrame(tuples, columns=columns)


def _read_posterior(file: Path, design: Design, parameters: pd.DataFrame) -> Any:
    import arviz as az

    try:
        with az.rc_context({"data.load": "eager"}):  # read it all now: no open file handle
            idata = az.from_netcdf(str(file), engine="h5netcdf")
    except (OSError, ValueError, KeyError) as exc:
        raise corrupt(file, f"it is not a readable netCDF InferenceData ({exc})") from exc
    if "posterior" not in idata.groups():
        raise corrupt(file, "it has no posterior group")
    missing = sorted(set(parameters.get("variable", [])) - set(idata.posterior.data_vars))
    if missing:
        raise corrupt(file, f"the posterior lacks the variable(s) {format_values(missing)}")
    observed = getattr(idata, "observed_data", None)
    if (
        observed is not None
        and "cell" in observed.dims
        and observed.sizes["cell"] != (design.n_cells)
    ):
        raise corrupt(
            file,
            f"its observed counts have {observed.sizes['cell']} cells, the design {design.n_cells}",
        )
    return idata
