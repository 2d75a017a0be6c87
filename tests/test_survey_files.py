"""Tests of interactmodel.survey_files: reading each survey file format and text encoding.

Files are written with the formats' own writers (pandas CSV, openpyxl, pyarrow,
pyreadstat) and read back through :func:`interactmodel.survey.read_survey`, against frames
written out by hand (see ``tests/survey_cases.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from interactmodel.errors import DataError, SchemaError
from interactmodel.survey import read_survey
from tests.survey_cases import (
    BUSINESS,
    BUSINESS_CODES,
    COLUMNS,
    QUALITY,
    RECODE,
    ROWS,
    SCHEMA,
    STATE,
    STATE_CODES,
    USER_COLUMNS,
    assert_tidy_equal,
    expected_frame,
    raw_frame,
    write_text,
)


# --------------------------------------------------------------------------- good input
def test_csv_file(tmp_path):
    path = tmp_path / "survey.csv"
    raw_frame().to_csv(path, index=False)
    assert_tidy_equal(read_survey(path, schema=SCHEMA), expected_frame())


def test_csv_with_bom_and_semicolons(tmp_path):
    path = tmp_path / "survey.csv"
    raw_frame().to_csv(path, index=False, sep=";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert_tidy_equal(read_survey(str(path), schema=SCHEMA), expected_frame())


def test_tsv_file(tmp_path):
    path = tmp_path / "survey.tsv"
    raw_frame().to_csv(path, index=False, sep="\t")
    assert_tidy_equal(read_survey(path, schema=SCHEMA), expected_frame())


def test_parquet_file(tmp_path):
    path = tmp_path / "survey.parquet"
    raw_frame().to_parquet(path, engine="pyarrow")
    assert_tidy_equal(read_survey(path, schema=SCHEMA), expected_frame())


def test_xlsx_file_and_sheet_choice(tmp_path):
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="notes", index=False)
        raw_frame().to_excel(writer, sheet_name="answers", index=False)
    assert_tidy_equal(read_survey(path, schema=SCHEMA, sheet="answers"), expected_frame())
    assert_tidy_equal(read_survey(path, schema=SCHEMA, sheet=1), expected_frame())
    with pytest.raises(
        DataError, match=r"sheet='answer' is not in .*'notes', 'answers'.*Did you mean 'answers'"
    ):
        read_survey(path, schema=SCHEMA, sheet="answer")
    with pytest.raises(DataError, match=r"sheet=5: .* has 2 sheet"):
        read_survey(path, schema=SCHEMA, sheet=5)


def test_sav_value_labels_give_level_order_by_code(tmp_path):
    """No quality/frequency levels passed: SPSS value codes give the order.

    Codes are chosen so that alphabetical order differs from code order.
    """
    path = tmp_path / "survey.sav"
    quality_code = {label: i + 1 for i, label in enumerate(QUALITY)}
    state_code = {label: i + 1 for i, label in enumerate(STATE)}
    business_code = {label: i + 11 for i, label in enumerate(BUSINESS)}
    frequency_code = {**state_code, **business_code}
    frame = pd.DataFrame(
        {
            "NGO": [r[0] for r in ROWS],
            "Partner": [1.0 if r[1] == "Gov" else 2.0 for r in ROWS],
            "How_often": [float(frequency_code[r[2]]) for r in ROWS],
            "Relations": [float(quality_code[r[3]]) for r in ROWS],
            "Oblast": [r[4] for r in ROWS],
            "w": [r[5] for r in ROWS],
            # a labelled extra column with a missing value: pyreadstat's own labelling fails on it
            "sector": [1.0, np.nan, 2.0, 1.0, 2.0, 1.0],
        }
    )
    labels = {
        "Partner": {1.0: "Gov", 2.0: "Biz"},
        "How_often": {float(v): k for k, v in frequency_code.items()},
        "Relations": {float(v): k for k, v in quality_code.items()},
        "sector": {1.0: "social", 2.0: "education"},
    }
    pyreadstat.write_sav(frame, path, variable_value_labels=labels)
    columns = {**COLUMNS, "frequency": "How_often"}
    result = read_survey(path, columns=columns, recode=RECODE)
    expected = expected_frame().drop(columns="comment")
    # one SPSS variable holds both scales (codes 1-5 state, 11-15 business): one flat order
    expected["frequency"] = expected["frequency"].cat.reorder_categories(
        STATE_CODES + BUSINESS_CODES
    )
    pd.testing.assert_frame_equal(result[expected.columns], expected)
    sector = result["sector"]
    assert list(sector.cat.categories) == ["social", "education"] and sector.cat.ordered
    assert sector.isna().tolist() == [False, True, False, False, False, False]
    used = result.attrs["interactmodel_schema"]["levels"]
    assert used["quality"] == QUALITY and used["frequency"] == STATE + BUSINESS


def test_cp1251_csv_needs_encoding(tmp_path):
    """Russian labels and Kazakh ones written with the letters cp1251 has ("Жаман" = bad)."""
    path = tmp_path / "опрос.csv"
    quality = ["Очень плохо", "Жаман", "Орташа", "Хорошо"]
    frame = pd.DataFrame(
        {
            "партнёр": ["Государство", "Бизнес", "Государство"],
            "частота": ["Редко", "Часто", "Часто"],
            "качество": ["Жаман", "Хорошо", "Орташа"],
        }
    )
    frame.to_csv(path, index=False, encoding="cp1251")
    kwargs = dict(
        columns={"partner": "партнёр", "frequency": "частота", "quality": "качество"},
        levels={"quality": quality, "frequency": ["Редко", "Часто"]},
    )
    with pytest.raises(DataError, match=r"is not UTF-8 text .*encoding='cp1251'") as info:
        read_survey(path, **kwargs)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)
    result = read_survey(path, encoding="cp1251", **kwargs)
    assert result["quality"].tolist() == ["Жаман", "Хорошо", "Орташа"]
    assert list(result["quality"].cat.categories) == quality
    assert result["partner"].tolist() == ["Государство", "Бизнес", "Государство"]
    assert result["frequency"].tolist() == ["Редко", "Часто", "Часто"]


def test_kz1048_csv_with_kazakh_letters(tmp_path):
    path = tmp_path / "survey.csv"
    frame = pd.DataFrame({"partner": ["мемлекет", "бизнес"], "frequency": ["сирек", "жиі"],
                          "quality": ["Жаман", "Өте жақсы"]})  # fmt: skip
    frame.to_csv(path, index=False, encoding="kz1048")
    levels = {"quality": ["Жаман", "Өте жақсы"], "frequency": ["сирек", "жиі"]}
    with pytest.raises(DataError, match=r"not UTF-8 text .*encoding='kz1048'"):
        read_survey(path, levels=levels)
    assert read_survey(path, levels=levels, encoding="kz1048")["quality"].tolist() == [
        "Жаман",
        "Өте жақсы",
    ]


def test_kazakh_letters_in_utf8_csv(tmp_path):
    path = tmp_path / "survey.csv"
    frame = pd.DataFrame({"partner": ["мемлекет", "бизнес"], "frequency": ["сирек", "жиі"],
                          "quality": ["Жаман", "Өте жақсы"]})  # fmt: skip
    frame.to_csv(path, index=False)
    result = read_survey(
        path, levels={"quality": ["Жаман", "Өте жақсы"], "frequency": ["сирек", "жиі"]}
    )
    assert result["quality"].tolist() == ["Жаман", "Өте жақсы"]


# --------------------------------------------------------------------------- bad input
BAD_FILES = [
    ("missing.csv", None, DataError, r"file '.*missing\.csv' does not exist"),
    ("empty.csv", "", DataError, r"empty.csv' is empty: no header and no rows"),
    ("header.csv", ",".join(USER_COLUMNS) + "\n", DataError, r"the data has no rows"),
    ("text.xlsx", "not a workbook", DataError, r"could not be read as an Excel \.xlsx workbook"),
    ("text.parquet", "not parquet", DataError, r"could not be read as Parquet"),
    ("text.sav", "not spss", DataError, r"could not be read as an SPSS \.sav file"),
    ("survey.txt", "a,b\n", DataError, r"unsupported extension '\.txt'"),
    ("survey.xls", "a,b\n", DataError, r"unsupported extension '\.xls'.*Save old \.xls workbooks as \.xlsx"),
    ("ragged.csv", 'a,b\n1,"unclosed\n', DataError, r"could not be read as CSV"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "error", "message"), BAD_FILES)
def test_bad_files(tmp_path, name, text, error, message):
    path = tmp_path / name if text is None else write_text(tmp_path, name, text)
    with pytest.raises(error, match=message) as info:
        read_survey(path, schema=SCHEMA)
    if name.startswith("text"):
        assert info.value.__cause__ is not None  # the reader's own error is kept as the cause


def test_zip_named_csv(tmp_path):
    path = tmp_path / "survey.xlsx"
    raw_frame().to_excel(path, index=False, engine="openpyxl")
    csv_path = path.rename(tmp_path / "survey.csv")
    with pytest.raises(DataError, match=r"is a zip/Excel file, not CSV text"):
        read_survey(csv_path, schema=SCHEMA)


def test_bad_options(tmp_path):
    with pytest.raises(SchemaError, match=r"'encoding' only apply when reading a file"):
        read_survey(raw_frame(), schema=SCHEMA, encoding="cp1251")
    path = tmp_path / "survey.parquet"
    raw_frame().to_parquet(path)
    with pytest.raises(SchemaError, match=r"'sheet' do not apply to Parquet files"):
        read_survey(path, schema=SCHEMA, sheet=0)
    csv_path = tmp_path / "survey.csv"
    raw_frame().to_csv(csv_path, index=False)
    with pytest.raises(SchemaError, match=r"encoding='klingon' is not an encoding"):
        read_survey(csv_path, schema=SCHEMA, encoding="klingon")
    with pytest.raises(SchemaError, match=r"source must be a file path or a pandas DataFrame"):
        read_survey([1, 2], schema=SCHEMA)  # type: ignore[arg-type]
