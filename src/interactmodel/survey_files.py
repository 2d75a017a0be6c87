"""Read a survey file into a raw DataFrame, whatever its format and text encoding.

The formats are CSV/TSV text (UTF-8 by default, or any encoding Python knows, such as
``cp1251``), Parquet, Excel ``.xlsx`` and SPSS ``.sav``/``.zsav`` (value labels become
ordered categoricals, in the order of their codes). :func:`load_survey_frame` picks the
reader by the file's extension and turns every failure of a parser into a
:class:`~interactmodel.errors.DataError` that names the file and the fix (a binary file
named ``.csv``, text that is not UTF-8, a missing sheet). The frame it returns is not
validated yet: that is :func:`interactmodel.survey.read_survey`'s work.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from interactmodel.errors import DataError, SchemaError, format_values
from interactmodel.survey_schema import _did_you_mean

__all__ = ["load_survey_frame"]


def _reader_failed(path: Path, kind: str, exc: Exception) -> DataError:
    # parsers end some messages with a newline; keep ours on one line
    said = " ".join(str(exc).split())
    return DataError(
        f"file {str(path)!r} could not be read as {kind} ({type(exc).__name__}: {said}). "
        f"Fix: check that the file really is {kind} (open it in the program that made it "
        f"and save it again with the right format), or give it the extension of its format."
    )


def _csv_encoding(encoding: str | None) -> str:
    if encoding is None:
        return "utf-8-sig"  # also strips the byte-order mark Excel puts before the header
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise SchemaError(
            f"encoding={encoding!r} is not an encoding Python knows. "
            f"Fix: use a name such as 'utf-8' or 'cp1251'."
        ) from exc
    return "utf-8-sig" if name == "utf-8" else encoding


def _sniff_sep(path: Path, encoding: str) -> str:
    """Comma unless the header line has no comma but semicolons or tabs (Excel exports)."""
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline()
    if "," in header:
        return ","
    return max((";", "\t"), key=header.count) if (";" in header or "\t" in header) else ","


#: how binary formats begin, and what to do with a file in one that is named as text
_MAGIC = (
    (b"PK\x03\x04", "a zip/Excel file", "rename it to .xlsx, or export it from Excel as CSV"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"$FL2", "an SPSS .sav file", "rename it to .sav"),
    (b"$FL3", "an SPSS .zsav file", "rename it to .zsav"),
)


def _refuse_binary(path: Path, head: bytes, encoding: str) -> None:
    """A binary file named .csv/.tsv would otherwise be blamed on its text encoding."""
    for magic, kind, fix in _MAGIC:
        if head.startswith(magic):
            raise DataError(f"file {str(path)!r} is {kind}, not CSV text. Fix: {fix}.")
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))  # NULs are normal there
    if b"\x00" in head and not wide:
        raise DataError(
            f"file {str(path)!r} holds NUL bytes, so it is a binary file or UTF-16 text, not "
            f"CSV in {encoding!r}. Fix: for UTF-16 text (Excel's 'Unicode text') pass "
            f"encoding='utf-16'; otherwise save it as CSV, or give it the extension of its format."
        )


def _read_csv(
    path: Path, *, encoding: str | None, sep: str | None, text_columns: set[str]
) -> pd.DataFrame:
    enc = _csv_encoding(encoding)
    try:
        with path.open("rb") as handle:
            _refuse_binary(path, handle.read(4096), enc)
        sep = sep or (_sniff_sep(path, enc) if path.suffix.lower() == ".csv" else "\t")
        header = pd.read_csv(path, nrows=0, sep=sep, encoding=enc)
        dtype = {col: str for col in header.columns if col in text_columns}
        return pd.read_csv(path, sep=sep, encoding=enc, dtype=dtype)
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        where = f"the byte 0x{exc.object[exc.start]:02x}"
        if encoding is None:
            raise DataError(
                f"file {str(path)!r} is not UTF-8 text ({where} cannot be decoded). "
                f"Fix: pass the file's encoding: encoding='cp1251' for CSV files saved by "
                f"Excel on a Russian or Kazakh Windows (encoding='kz1048' if it has Kazakh "
                f"letters such as 'қ', 'ө')."
            ) from exc
        raise DataError(
            f"file {str(path)!r} is not valid {encoding} text ({where}). "
            f"Fix: pass the encoding the file was saved in (e.g. 'utf-8' or 'cp1251')."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            f"file {str(path)!r} is empty: no header and no rows. Fix: check the file."
        ) from exc
    except Exception as exc:  # the parser's own errors never reach the user raw
        raise _reader_failed(path, "CSV", exc) from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as exc:
        raise _reader_failed(path, "Parquet", exc) from exc


def _read_excel(path: Path, *, sheet: str | int | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise _reader_failed(path, "an Excel .xlsx workbook", exc) from exc
    with book:
        names = [str(name) for name in book.sheet_names]
        chosen: str | int = 0 if sheet is None else sheet
        if isinstance(chosen, int) and not 0 <= chosen < len(names):
            raise DataError(
                f"sheet={sheet!r}: workbook {str(path)!r} has {len(names)} sheet(s) "
                f"{format_values(names)} (numbered from 0). Fix: pass a sheet name or number."
            )
        if isinstance(chosen, str) and chosen not in names:
            raise DataError(
                f"sheet={sheet!r} is not in workbook {str(path)!r}; its sheets are "
                f"{format_values(names)}.{_did_you_mean(chosen, names)}"
            )
        try:
            return pd.read_excel(book, sheet_name=chosen)
        except Exception as exc:
            raise _reader_failed(path, "an Excel .xlsx workbook", exc) from exc


def _value_labelled(values: pd.Series, labels: Mapping[Any, str]) -> pd.Series:
    """SPSS codes -> ordered categorical of their labels, ordered by code.

    pyreadstat's own ``apply_value_formats`` is not used: with pandas 3 it fails on any
    missing value and its unordered categories are sorted by text, losing the code order.
    A column with unlabelled codes or repeated labels keeps its labels as plain values,
    so nothing is silently put in a made-up order.
    """
    order = [labels[code] for code in sorted(labels)]
    observed = values.dropna()
    if len(set(order)) < len(order) or not observed.isin(list(labels)).all():
        return values.map(lambda v: labels.get(v, v))
    return pd.Series(
        pd.Categorical(values.map(labels), categories=order, ordered=True),
        index=values.index,
        name=values.name,
    )


def _read_sav(path: Path, *, encoding: str | None) -> pd.DataFrame:
    import pyreadstat  # only SPSS users pay for the import

    try:
        frame, meta = pyreadstat.read_sav(path, encoding=encoding)
        labelled = {
            col: _value_labelled(frame[col], labels)
            for col, labels in meta.variable_value_labels.items()
            if col in frame.columns
        }
    except Exception as exc:
        raise _reader_failed(path, "an SPSS .sav file", exc) from exc
    return frame.assign(**labelled) if labelled else frame


_FORMATS = {
    ".csv": ("CSV", {"encoding", "sep"}),
    ".tsv": ("tab-separated text", {"encoding", "sep"}),
    ".parquet": ("Parquet", set()),
    ".xlsx": ("Excel", {"sheet"}),
    ".sav": ("SPSS", {"encoding"}),
    ".zsav": ("SPSS", {"encoding"}),
}


def load_survey_frame(
    source: pd.DataFrame | str | os.PathLike[str], options: dict[str, Any], text_columns: set[str]
) -> pd.DataFrame:
    """The survey as the file holds it, or ``source`` itself when it is a DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv``, ``.tsv``, ``.parquet``, ``.xlsx``, ``.sav`` or ``.zsav`` file (the
        reader is chosen by the extension), or a DataFrame, returned as it is.
    options : dict
        ``sheet``, ``encoding`` and ``sep`` as passed to
        :func:`~interactmodel.survey.read_survey`; ``None`` means not given. Options that
        do not apply to the format are an error.
    text_columns : set of str
        Columns of a CSV/TSV file read as text, so ``"007"`` keeps its zeros.

    Returns
    -------
    pandas.DataFrame
        The raw, unvalidated frame.

    Raises
    ------
    DataError
        The file does not exist, has an unsupported extension, or cannot be read.
    SchemaError
        ``source`` is neither a path nor a DataFrame, or an option does not apply.

    Examples
    --------
    >>> raw = pd.DataFrame({"quality": ["bad", "good"]})
    >>> load_survey_frame(raw, {"sheet": None, "encoding": None, "sep": None}, set()) is raw
    True
    """
    given = {k for k, v in options.items() if v is not None}
    if isinstance(source, pd.DataFrame):
        if given:
            raise SchemaError(
                f"{format_values(sorted(given))} only apply when reading a file; "
                f"source is a DataFrame. Fix: drop those arguments."
            )
        return source
    if not isinstance(source, str | os.PathLike):
        raise SchemaError(
            f"source must be a file path or a pandas DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"file {str(path)!r} does not exist (working directory {os.getcwd()!r}). "
            f"Fix: check the path.{_did_you_mean(path.name, _siblings(path))}"
        )
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder, not a file. Fix: give the survey file.")
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        hint = " Save old .xls workbooks as .xlsx." if suffix == ".xls" else ""
        raise DataError(
            f"file {str(path)!r} has the unsupported extension {suffix!r}; read_survey "
            f"reads {format_values(list(_FORMATS))}.{hint} Fix: save the survey in one of "
            f"those formats, or read it with pandas and pass the DataFrame."
        )
    kind, allowed = _FORMATS[suffix]
    if given - allowed:
        raise SchemaError(
            f"{format_values(sorted(given - allowed))} do not apply to {kind} files. "
            f"Fix: drop those arguments."
        )
    if kind in ("CSV", "tab-separated text"):
        return _read_csv(
            path, encoding=options["encoding"], sep=options["sep"], text_columns=text_columns
        )
    if kind == "Parquet":
        return _read_parquet(path)
    if kind == "Excel":
        return _read_excel(path, sheet=options["sheet"])
    return _read_sav(path, encoding=options["encoding"])


def _siblings(path: Path) -> list[str]:
    parent = path.parent
    return [p.name for p in parent.iterdir()] if parent.is_dir() else []
