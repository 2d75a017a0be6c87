"""The design of a saved fit: ``design.json``, ``cells.csv`` and ``rows.csv``, written and rebuilt.

:func:`write_design` writes a fitted :class:`~interactmodel.design.Design` as its covariate cells
(one CSV row per cell: every value as text, and the weighted count of each outcome level), the
row-to-cell mapping of the data fitted, and a JSON record of the dtype and level order of every
covariate.  :func:`load_design` rebuilds the design from these files with
:func:`~interactmodel.design.build_design` (the counts as frequency weights, every level order as
saved), puts the cells back in the saved order and checks that the rebuilt design is the saved
one; a formula is first checked by :func:`~interactmodel.formula_safety.check_formula_safe`, so
no code in it is run.  :mod:`interactmodel.io` writes and reads the rest of a saved fit.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> from interactmodel.design import build_design
>>> data = pd.DataFrame({
...     "quality": pd.Categorical(["bad", "good", "good", "bad"], ["bad", "good"], ordered=True),
...     "x": [0.5, 1.5, 0.5, 1.5],
... })
>>> design = build_design("quality ~ x", data)
>>> folder = Path(tempfile.mkdtemp())
>>> write_design(design, folder)
>>> sorted(p.name for p in folder.iterdir())
['cells.csv', 'design.json', 'rows.csv']
>>> spec = {"formula": "quality ~ x", "nominal": None}
>>> load_design(folder, spec, "ml").cells.equals(design.cells)
True
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, FormulaError, SavedFitError, format_values
from interactmodel.formula_safety import check_formula_safe
from interactmodel.saved_json import corrupt, from_json, get_entry, read_json, to_json, write_json

if TYPE_CHECKING:
    from interactmodel.design import Design
    from interactmodel.formula import ParsedFormula

__all__ = ["load_design", "readonly", "write_design"]


# --------------------------------------------------------------------------- writing


def write_design(design: Design, folder: Path) -> None:
    """Write ``design.json``, ``cells.csv`` and ``rows.csv`` of ``design`` into ``folder``.

    Parameters
    ----------
    design : Design
        The design of a fitted result.  Not modified.
    folder : Path
        An existing folder (the staging folder of :func:`interactmodel.io.save`).

    Raises
    ------
    SavedFitError
        A covariate's dtype is not categorical, string, boolean, integer or float, or the
        categories of a categorical covariate are not distinct as text.
    """
    encoded = [_encode_column(design.cells[name], str(name)) for name in design.cells.columns]
    variables, cell_text = [info for info, _ in encoded], [text for _, text in encoded]
    write_json(folder / "design.json", _design_record(design, variables))
    _write_cells(folder / "cells.csv", design, variables, cell_text)
    rows = pd.DataFrame({"cell": design.row_cell, "outcome": design.row_outcome})
    rows.to_csv(folder / "rows.csv", index=False, lineterminator="\n")


def _design_record(design: Design, variables: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "outcome": design.outcome,
        "outcome_levels": list(design.outcome_levels),
        "weights": design.weights,
        "nobs": to_json(design.nobs, "nobs"),
        "n_rows": int(design.n_rows),
        "n_cells": int(design.n_cells),
        "variables": variables,
        "cells_columns": _cells_header(design.outcome_levels, variables),
        "X_names": list(design.X_names),
        "X_nominal_names": list(design.X_nominal_names),
        "mo_blocks": [block.name for block in design.mo],
        "groups": [{"name": g.name, "levels": list(g.levels)} for g in design.groups],
    }


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
            "categories": to_json(categories, f"categories of {name!r}"),
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


# --------------------------------------------------------------------------- loading


def load_design(folder: Path, spec: dict[str, Any], engine: str) -> Design:
    """Rebuild the design of the saved fit in ``folder``, exactly as it was fitted.

    Parameters
    ----------
    folder : Path
        The saved-fit folder, holding ``design.json``, ``cells.csv`` and ``rows.csv``.
    spec : dict
        The record in its ``spec.json``; its ``formula`` and ``nominal`` are used.
    engine : {"ml", "bayes"}
        The engine of the fit; a Bayesian fit has no nominal terms.

    Returns
    -------
    Design
        The design, its cells in the saved order, ``nobs`` and the row mapping as saved; every
        array read-only.

    Raises
    ------
    SavedFitError
        A file is missing or corrupt, the formula uses a function outside
        :data:`~interactmodel.formula_safety.ALLOWED_FUNCTIONS`, or the design rebuilt from the
        cells is not the saved one.
    """
    from interactmodel.formula import parse_formula

    spec_file, design_file = folder / "spec.json", folder / "design.json"
    record = read_json(folder, "design.json")
    formula = get_entry(spec, "formula", str, spec_file)
    nominal = from_json(spec.get("nominal"))
    if engine == "bayes" and nominal:
        raise corrupt(spec_file, "a Bayesian fit has nominal terms")
    try:
        parsed = parse_formula(formula)
    except FormulaError as exc:
        raise corrupt(spec_file, f"its formula cannot be parsed ({exc})") from exc
    levels = tuple(get_entry(record, "outcome_levels", list, design_file))
    variables = get_entry(record, "variables", list, design_file)
    if not all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in variables):
        raise corrupt(design_file, "an entry of 'variables' has no name")
    check_formula_safe(parsed, nominal, {v["name"] for v in variables})
    n_cells = get_entry(record, "n_cells", int, design_file)
    cells, counts = _read_cells(folder / "cells.csv", record, variables, levels, n_cells)
    row_cell, row_outcome = _read_rows(folder / "rows.csv", record, n_cells, len(levels))
    design = _rebuild_design(parsed, nominal, cells, counts, levels, record, design_file)
    return replace(
        design,
        nobs=get_entry(record, "nobs", float, design_file),
        n_rows=int(row_cell.size),
        row_cell=readonly(row_cell),
        row_outcome=readonly(row_outcome),
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
            raise corrupt(file, f"it is not readable CSV ({exc})") from exc
    header = _cells_header(levels, variables)
    if not table or table[0] != header:
        raise corrupt(file, f"its header is not {format_values(header)}")
    body = table[1:]
    if len(body) != n_cells or any(len(row) != len(header) for row in body):
        raise corrupt(file, f"it does not hold {n_cells} complete rows of {len(header)} values")
    columns = list(zip(*body, strict=True))
    if list(columns[0]) != [str(i) for i in range(n_cells)]:
        raise corrupt(file, "the 'cell' column is not 0, 1, 2, ...")
    frame = pd.DataFrame(
        {
            info["name"]: _decode_column(info, list(columns[1 + j]), file)
            for j, info in enumerate(variables)
        }
    )
    try:
        counts = np.array([[float(x) for x in row[1 + len(variables) :]] for row in body])
    except ValueError as exc:
        raise corrupt(file, f"a count is not a number ({exc})") from exc
    counts = counts.reshape(n_cells, len(levels))
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts.sum(axis=1) <= 0):
        raise corrupt(file, "counts must be finite, >= 0 and positive in every cell")
    return frame, counts


def _decode_column(info: dict[str, Any], texts: list[str], file: Path) -> Any:
    name, kind = info["name"], info.get("dtype")
    try:
        if kind == "category":
            categories = pd.Index(
                from_json(info["categories"]),
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
        raise corrupt(file, problem) from exc
    raise corrupt(file.with_name("design.json"), f"column {name!r} has unknown dtype {kind!r}")


def _read_rows(
    file: Path, record: dict[str, Any], n_cells: int, n_levels: int
) -> tuple[np.ndarray, np.ndarray]:
    n_rows = get_entry(record, "n_rows", int, file.with_name("design.json"))
    try:
        rows = pd.read_csv(file, dtype="int64", na_filter=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise corrupt(file, f"it is not a CSV of integers ({exc})") from exc
    if list(rows.columns) != ["cell", "outcome"] or len(rows) != n_rows:
        raise corrupt(file, f"it does not hold {n_rows} rows of columns 'cell', 'outcome'")
    cell, outcome = rows["cell"].to_numpy(), rows["outcome"].to_numpy()
    dropped = cell < 0
    if (
        np.any(cell >= n_cells)
        or np.any(outcome >= n_levels)
        or np.any(dropped != (outcome < 0))
        or np.any(cell < -1)
    ):
        raise corrupt(file, "a cell or outcome index is out of range")
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

    outcome = get_entry(record, "outcome", str, file)
    if outcome != parsed.outcome or outcome in cells.columns:
        raise corrupt(file, f"outcome {outcome!r} does not fit the formula {parsed.formula!r}")
    weights_name = from_json(record.get("weights"))
    frame, weights, cell_of_row = _weighted_rows(cells, counts, outcome, levels)
    use_name = isinstance(weights_name, str) and weights_name not in frame.columns
    if use_name:
        frame[weights_name] = weights
    try:
        design = build_design(
            parsed, frame, weights=weights_name if use_name else weights, nominal=nominal
        )
    except (DataError, FormulaError) as exc:
        raise corrupt(file, f"the design cannot be rebuilt from cells.csv ({exc})") from exc
    if design.n_cells != len(cells):
        raise corrupt(file.with_name("cells.csv"), "two rows describe the same covariate cell")
    order = np.empty(len(cells), dtype=np.int64)
    order[cell_of_row] = design.row_cell
    if not np.array_equal(order, np.arange(len(cells))):
        # string and numeric columns are coded by first appearance, so the rebuilt cells can come
        # out in another order than the fitted ones; put them back in the saved order
        design = _reorder_cells(design, order)
    design = replace(design, weights=weights_name)
    if design.outcome_levels != levels:
        raise corrupt(file, f"outcome_levels {levels} are not text levels")
    _check_design(design, cells, counts, record, file)
    return design


def _reorder_cells(design: Design, order: np.ndarray) -> Design:
    """The design with cell i taken from the design's cell ``order[i]``."""
    return replace(
        design,
        counts=readonly(design.counts[order]),
        X=readonly(design.X[order]),
        X_nominal=readonly(design.X_nominal[order]),
        mo=tuple(
            replace(b, rank=readonly(b.rank[order]), active=readonly(b.active[order]))
            for b in design.mo
        ),
        groups=tuple(
            replace(g, index=readonly(g.index[order]), Z=readonly(g.Z[order]))
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
        if get_entry(record, key, list, file) != value:
            raise corrupt(file, f"{key} rebuilt from the cells are {value}, not as saved")
    if not (np.array_equal(design.counts, counts) and design.cells.equals(cells)):
        raise corrupt(file, "the rebuilt cells differ from cells.csv")


def readonly(array: np.ndarray) -> np.ndarray:
    """A read-only copy of ``array``."""
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array
