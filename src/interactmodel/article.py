"""The article's published tables and text figures, with their sources.

Zambinova Z., Pritvorova T. (2024), "Network interactions of the non-profit sector of
Kazakhstan within the framework of intersectoral partnership", DOI 10.52123/1994-2370-2024-1200:
a survey of 245 NGOs in 6 regions of Kazakhstan rating the quality of their relationships with
state agencies (Table 1) and businesses (Table 2) by contact frequency, plus actions inside the
NGO sector (Table 3) and numbers stated in the text.

The numbers live in ``data/article/`` as CSV files described by a Frictionless
``datapackage.json``; this module reads them lazily, checks them against the codes below and
returns tidy frames of ordered categoricals. Every call returns a fresh copy, so callers may
modify what they get.

Tables 1 and 2 hold *row* percentages: each printed row is a quality rating and gives the
distribution of contact frequency within it, P(frequency | quality).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from interactmodel.errors import DataError, SchemaError, format_values

__all__ = [
    "DATA_ENV_VAR",
    "FREQUENCY_LABELS",
    "FREQUENCY_LEVELS",
    "PARTNERS",
    "QUALITY_LABELS",
    "QUALITY_LEVELS",
    "REGION_LABELS",
    "REGISTERED_NGOS",
    "SAMPLE_REGIONS",
    "SAMPLE_SIZE",
    "TABLE3_ACTIONS",
    "TABLE3_MEASURES",
    "data_dir",
    "datapackage",
    "sample_regions",
    "table1",
    "table2",
    "table3",
    "table_matrix",
    "text_figures",
]

PARTNERS: tuple[str, ...] = ("state", "business")

QUALITY_LEVELS: tuple[str, ...] = (
    "definitely_bad",
    "rather_bad",
    "mixed",
    "rather_good",
    "definitely_good",
)

# Two different frequency scales, one per partner; they are never merged.
FREQUENCY_LEVELS: dict[str, tuple[str, ...]] = {
    "state": ("very_rarely", "once_a_year", "every_six_months", "once_a_quarter", "once_a_month"),
    "business": (
        "none_or_negotiating",
        "single_contact",
        "two_three_contacts",
        "annually",
        "regular",
    ),
}

# Labels exactly as printed (Table 1 for the state, Table 2 for business).
QUALITY_LABELS: dict[str, dict[str, str]] = {
    "state": {
        "definitely_bad": "Definitely strained (tense) relations",
        "rather_bad": "Complicated relationships, but there is a tendency to improve",
        "mixed": "With varying success",
        "rather_good": "Rather a good relationship than a bad one",
        "definitely_good": "Definitely a good relationship",
    },
    "business": {
        "definitely_bad": "Definitely difficult",
        "rather_bad": "More bad than good",
        "mixed": "I find it difficult to estimate, with varying success",
        "rather_good": "More good than bad",
        "definitely_good": "Definitely good",
    },
}

FREQUENCY_LABELS: dict[str, dict[str, str]] = {
    "state": {
        "very_rarely": "Very rarely",
        "once_a_year": "Once a year",
        "every_six_months": "Once every six months",
        "once_a_quarter": "Once a quarter",
        "once_a_month": "Once a month",
    },
    "business": {
        "none_or_negotiating": "Missing/ under negotiation",
        "single_contact": "Single contact",
        "two_three_contacts": "There were 2-3 contacts",
        "annually": "Annually",
        "regular": "Regular contacts",
    },
}

SAMPLE_REGIONS: tuple[str, ...] = (
    "nur_sultan",
    "almaty",
    "karaganda_region",
    "east_kazakhstan_region",
    "almaty_region",
    "kostanay_region",
)

# As printed in the notes to Tables 1-3 (the Figure 4 source line prints "Nur-Sultan").
REGION_LABELS: dict[str, str] = {
    "nur_sultan": "Nursultan",
    "almaty": "Almaty",
    "karaganda_region": "Karaganda region",
    "east_kazakhstan_region": "East Kazakhstan region",
    "almaty_region": "Almaty region",
    "kostanay_region": "Kostanay region",
}

TABLE3_ACTIONS: tuple[str, ...] = ("send_mailings", "organise_trainings", "initiate_co_executors")
TABLE3_MEASURES: tuple[str, ...] = (
    "share_of_all_ngos",
    "receive_newsletters",
    "participate_in_trainings",
    "participate_as_co_executors",
)

SAMPLE_SIZE = 245
SOURCE_CITATION = (
    "Zambinova Z., Pritvorova T. (2024). Network interactions of the non-profit sector of "
    "Kazakhstan within the framework of intersectoral partnership."
)
SOURCE_DOI = "10.52123/1994-2370-2024-1200"
REGISTERED_NGOS = 18306

DATA_ENV_VAR = "INTERACTMODEL_DATA"

# src/interactmodel/article.py -> repository root -> data/article (editable installs).
_REPO_DATA = Path(__file__).resolve().parents[2] / "data" / "article"

_TABLE_FILES = {"state": "table1_state.csv", "business": "table2_business.csv"}
_TABLE_IDS = {"state": "table1", "business": "table2"}

_TABLE_COLUMNS = (
    "table",
    "source",
    "partner",
    "quality",
    "quality_score",
    "quality_label",
    "frequency",
    "frequency_rank",
    "frequency_label",
    "percent",
    "base",
)
_TABLE3_COLUMNS = (
    "table",
    "source",
    "action",
    "action_order",
    "action_label",
    "measure",
    "measure_order",
    "measure_label",
    "percent",
    "percent_printed",
    "base",
)
_TEXT_COLUMNS = (
    "figure_id",
    "quantity",
    "value",
    "unit",
    "qualifier",
    "value_printed",
    "section",
    "refers_to",
    "wording",
    "base",
    "partner",
    "category",
    "citation",
    "note",
)
_TEXT_OPTIONAL = ("refers_to", "partner", "category", "citation", "note")
_REGION_COLUMNS = ("region", "region_order", "label", "label_figure4", "source")


def data_dir() -> Path:
    """Return the folder that holds the article's data files.

    The environment variable ``INTERACTMODEL_DATA`` wins when set: it may point at a copy of
    the repository's ``data/`` folder (the files are then read from its ``article/``
    subfolder) or at a copy of ``data/article/`` itself. Otherwise the repository's
    ``data/article/`` beside ``src/`` is used, which is where an editable install finds it.

    Returns
    -------
    pathlib.Path
        A folder containing ``datapackage.json`` and the CSV files it lists.

    Raises
    ------
    DataError
        If neither place holds ``datapackage.json``; the message names both places.

    Examples
    --------
    >>> from interactmodel.article import data_dir
    >>> (data_dir() / "datapackage.json").is_file()
    True
    """
    setting = os.environ.get(DATA_ENV_VAR, "")
    if setting:
        root = Path(setting).expanduser()
        for candidate in (root / "article", root):
            if (candidate / "datapackage.json").is_file():
                return candidate
        raise DataError(
            f"{DATA_ENV_VAR}={setting!r} holds no article data: neither "
            f"{root / 'article' / 'datapackage.json'} nor {root / 'datapackage.json'} exists. "
            f"Point {DATA_ENV_VAR} at a copy of the repository's data/ or data/article/ folder, "
            f"or unset it to use the repository copy at {_REPO_DATA}."
        )
    if (_REPO_DATA / "datapackage.json").is_file():
        return _REPO_DATA
    raise DataError(
        f"The article data were not found: {DATA_ENV_VAR} is not set and {_REPO_DATA} has no "
        f"datapackage.json. Install interactmodel from its repository (pip install -e .) or "
        f"set {DATA_ENV_VAR} to a folder holding a copy of data/article/."
    )


@functools.cache
def _read_csv(path: Path) -> pd.DataFrame:
    """Read one CSV as text, once per path; callers must copy before changing anything."""
    if not path.is_file():
        raise DataError(
            f"Article data file {path.name} is missing from {path.parent}; restore it from the "
            f"repository's data/article/ folder."
        )
    # Everything as text first, so numbers and codes are converted and checked explicitly.
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@functools.cache
def _read_text(path: Path) -> str:
    """Read one text file, once per path."""
    if not path.is_file():
        raise DataError(
            f"Article data file {path.name} is missing from {path.parent}; restore it from the "
            f"repository's data/article/ folder."
        )
    return path.read_text(encoding="utf-8")


def _load(filename: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Return a fresh copy of one article CSV after checking its columns."""
    path = data_dir() / filename
    frame = _read_csv(path).copy(deep=True)
    if tuple(frame.columns) != columns:
        raise SchemaError(
            f"{path} has columns {format_values(frame.columns, limit=20)}; expected "
            f"{format_values(columns, limit=20)}. Restore the file from the repository."
        )
    return frame


def _check_codes(frame: pd.DataFrame, column: str, levels: tuple[str, ...], filename: str) -> None:
    """Raise SchemaError when ``column`` holds a value outside ``levels``."""
    bad = frame.loc[~frame[column].isin(levels), column]
    if len(bad):
        raise SchemaError(
            f"Column {column!r} of {filename} holds {format_values(bad)}, which are not among "
            f"{format_values(levels)}. Restore the file from the repository."
        )


def _to_number(frame: pd.DataFrame, column: str, filename: str, kind: str) -> pd.Series:
    """Convert a text column to numbers, naming the file and column when that fails."""
    converted = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.loc[converted.isna(), column]
    if len(bad):
        raise SchemaError(
            f"Column {column!r} of {filename} holds {format_values(bad)}, which are not numbers. "
            "Restore the file from the repository."
        )
    return converted.astype(kind)


def _ordered(values: pd.Series, levels: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical(values, categories=list(levels), ordered=True)


def _check_partner(partner: object) -> str:
    if not isinstance(partner, str) or partner not in PARTNERS:
        raise DataError(
            f"partner={partner!r} is not one of {format_values(PARTNERS)}; pass 'state' for "
            "Table 1 or 'business' for Table 2."
        )
    return partner


def _partner_table(partner: str) -> pd.DataFrame:
    filename = _TABLE_FILES[partner]
    frame = _load(filename, _TABLE_COLUMNS)
    frequency_levels = FREQUENCY_LEVELS[partner]
    _check_codes(frame, "partner", (partner,), filename)
    _check_codes(frame, "quality", QUALITY_LEVELS, filename)
    _check_codes(frame, "frequency", frequency_levels, filename)
    # Labels and ranks must agree with the codes, or a copied file has been edited.
    expected = (
        frame["quality"].map(QUALITY_LABELS[partner]),
        frame["frequency"].map(FREQUENCY_LABELS[partner]),
        frame["quality"].map({q: str(i + 1) for i, q in enumerate(QUALITY_LEVELS)}),
        frame["frequency"].map({f: str(i + 1) for i, f in enumerate(frequency_levels)}),
    )
    columns = ("quality_label", "frequency_label", "quality_score", "frequency_rank")
    for column, wanted in zip(columns, expected, strict=True):
        mismatch = frame.loc[frame[column] != wanted, column]
        if len(mismatch):
            raise SchemaError(
                f"Column {column!r} of {filename} holds {format_values(mismatch)}, which do not "
                "match the codes beside them. Restore the file from the repository."
            )
    if frame.duplicated(["quality", "frequency"]).any() or len(frame) != 25:
        raise SchemaError(
            f"{filename} must hold each of the 25 quality x frequency cells once; it has "
            f"{len(frame)} rows. Restore the file from the repository."
        )
    frame["partner"] = _ordered(frame["partner"], PARTNERS)
    frame["quality"] = _ordered(frame["quality"], QUALITY_LEVELS)
    frame["frequency"] = _ordered(frame["frequency"], frequency_levels)
    frame["quality_score"] = _to_number(frame, "quality_score", filename, "int64")
    frame["frequency_rank"] = _to_number(frame, "frequency_rank", filename, "int64")
    frame["percent"] = _to_number(frame, "percent", filename, "float64")
    return frame.sort_values(["quality", "frequency"], ignore_index=True)


def table1() -> pd.DataFrame:
    """Return Table 1 (NGO relationships with state agencies) as a long frame.

    One row per printed cell: the percent of NGOs giving a quality rating to the state that
    are in contact with it at a given frequency (row percentages, P(frequency | quality)).

    Returns
    -------
    pandas.DataFrame
        25 rows; columns ``table``, ``source``, ``partner``, ``quality`` (ordered categorical
        of :data:`QUALITY_LEVELS`), ``quality_score`` (1-5), ``quality_label`` (as printed),
        ``frequency`` (ordered categorical of ``FREQUENCY_LEVELS["state"]``),
        ``frequency_rank`` (1-5), ``frequency_label`` (as printed), ``percent`` (as printed)
        and ``base``. A fresh copy on every call.

    Examples
    --------
    >>> from interactmodel.article import table1
    >>> t = table1()
    >>> t.shape
    (25, 11)
    >>> float(t.loc[t["quality"].eq("mixed") & t["frequency"].eq("once_a_year"), "percent"].item())
    43.0
    """
    return _partner_table("state")


def table2() -> pd.DataFrame:
    """Return Table 2 (NGO relationships with businesses) as a long frame.

    Same columns as :func:`table1`; ``frequency`` uses the business scale,
    ``FREQUENCY_LEVELS["business"]``, which is a different scale from the state's.

    Returns
    -------
    pandas.DataFrame
        25 rows, one per printed cell. A fresh copy on every call.

    Examples
    --------
    >>> from interactmodel.article import table2
    >>> list(table2()["frequency"].cat.categories)[:2]
    ['none_or_negotiating', 'single_contact']
    """
    return _partner_table("business")


def table_matrix(partner: str) -> pd.DataFrame:
    """Return Table 1 or Table 2 as printed: a 5 x 5 grid of percents.

    Parameters
    ----------
    partner : {"state", "business"}
        ``"state"`` for Table 1, ``"business"`` for Table 2.

    Returns
    -------
    pandas.DataFrame
        Index ``quality`` (codes, worst to best), columns ``frequency`` (that partner's codes,
        in printed order), values the printed percents. Each row sums to 100.

    Raises
    ------
    DataError
        If ``partner`` is not ``"state"`` or ``"business"``.

    Examples
    --------
    >>> from interactmodel.article import table_matrix
    >>> table_matrix("state").sum(axis=1).tolist()
    [100.0, 100.0, 100.0, 100.0, 100.0]
    """
    partner = _check_partner(partner)
    long = _partner_table(partner)
    grid = long.assign(
        quality=long["quality"].astype(str), frequency=long["frequency"].astype(str)
    ).pivot(index="quality", columns="frequency", values="percent")
    grid = grid.reindex(index=list(QUALITY_LEVELS), columns=list(FREQUENCY_LEVELS[partner]))
    grid.index.name = "quality"
    grid.columns.name = "frequency"
    return grid


def table3() -> pd.DataFrame:
    """Return Table 3 (actions inside the NGO sector) as a long frame.

    The first column of the printed table ("Share in the total of NGOs") is a percent of all
    surveyed NGOs; the other three are percents of the NGOs doing the row's action. The
    ``base`` column says which.

    Returns
    -------
    pandas.DataFrame
        12 rows; columns ``table``, ``source``, ``action`` (ordered categorical of
        :data:`TABLE3_ACTIONS`), ``action_order``, ``action_label``, ``measure`` (ordered
        categorical of :data:`TABLE3_MEASURES`), ``measure_order``, ``measure_label``,
        ``percent`` (float), ``percent_printed`` (the printed string, decimal comma) and
        ``base``. A fresh copy on every call.

    Examples
    --------
    >>> from interactmodel.article import table3
    >>> t = table3()
    >>> float(t.loc[0, "percent"]), t.loc[0, "percent_printed"]
    (64.2, '64,2')
    """
    filename = "table3_within_sector.csv"
    frame = _load(filename, _TABLE3_COLUMNS)
    _check_codes(frame, "action", TABLE3_ACTIONS, filename)
    _check_codes(frame, "measure", TABLE3_MEASURES, filename)
    frame["action"] = _ordered(frame["action"], TABLE3_ACTIONS)
    frame["measure"] = _ordered(frame["measure"], TABLE3_MEASURES)
    frame["action_order"] = _to_number(frame, "action_order", filename, "int64")
    frame["measure_order"] = _to_number(frame, "measure_order", filename, "int64")
    frame["percent"] = _to_number(frame, "percent", filename, "float64")
    return frame.sort_values(["action", "measure"], ignore_index=True)


def text_figures() -> pd.DataFrame:
    """Return every number stated in the article's text, one row per statement.

    A number printed in two places has two rows sharing ``quantity``. ``value_printed`` is the
    number's own text and occurs in ``wording``; ``qualifier`` says whether it is exact,
    "about", "almost", a bound ("more than", "less than", "or more") or one end of a range.

    Returns
    -------
    pandas.DataFrame
        Columns ``figure_id``, ``quantity``, ``value`` (float), ``unit`` ("percent", "count"
        or "ratio"), ``qualifier``, ``value_printed``, ``section``, ``refers_to``,
        ``wording``, ``base``, ``partner``, ``category``, ``citation``, ``note``; the last
        five and ``refers_to`` are missing where they do not apply. A fresh copy on every call.

    Examples
    --------
    >>> from interactmodel.article import text_figures
    >>> figures = text_figures().set_index("figure_id")
    >>> row = figures.loc["key_partner_state_results"]
    >>> float(row["value"]), row["unit"], row["partner"]
    (41.0, 'percent', 'state')
    """
    filename = "text_figures.csv"
    frame = _load(filename, _TEXT_COLUMNS)
    _check_codes(frame, "unit", ("percent", "count", "ratio"), filename)
    frame["value"] = _to_number(frame, "value", filename, "float64")
    for column in _TEXT_OPTIONAL:
        frame[column] = frame[column].mask(frame[column] == "")
    return frame


def sample_regions() -> pd.DataFrame:
    """Return the six regions of the survey, in the order printed in the table notes.

    Returns
    -------
    pandas.DataFrame
        Columns ``region`` (categorical of :data:`SAMPLE_REGIONS`), ``region_order``,
        ``label`` (as printed in the notes to Tables 1-3), ``label_figure4`` (as printed
        under Figure 4) and ``source``.

    Examples
    --------
    >>> from interactmodel.article import sample_regions
    >>> sample_regions()["label"].tolist()[:2]
    ['Nursultan', 'Almaty']
    """
    filename = "sample_regions.csv"
    frame = _load(filename, _REGION_COLUMNS)
    _check_codes(frame, "region", SAMPLE_REGIONS, filename)
    frame["region"] = pd.Categorical(frame["region"], categories=list(SAMPLE_REGIONS))
    frame["region_order"] = _to_number(frame, "region_order", filename, "int64")
    return frame.sort_values("region", ignore_index=True)


def datapackage() -> dict[str, Any]:
    """Return the parsed ``datapackage.json`` describing the article data.

    Returns
    -------
    dict
        A fresh parse on every call: field types, ordered levels, units and bases of every
        CSV file.

    Examples
    --------
    >>> from interactmodel.article import datapackage
    >>> [r["name"] for r in datapackage()["resources"]][:2]
    ['table1_state', 'table2_business']
    """
    path = data_dir() / "datapackage.json"
    try:
        parsed: dict[str, Any] = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{path} is not valid JSON ({exc}); restore it from the repository."
        ) from exc
    return parsed
