"""Tests of interactmodel.survey: reading a user's own survey file.

Expected frames are written out by hand from the conventions (codes, level orders), never
produced by the reader itself; files are written with the formats' own writers (pandas
CSV, openpyxl, pyarrow, pyreadstat).
"""

from __future__ import annotations

import copy
import pickle
import string

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interactmodel.errors import DataError, SchemaError
from interactmodel.survey import SurveySchema, read_survey

STATE = ["Very rarely", "Once a year", "Once every six months", "Once a quarter", "Once a month"]
BUSINESS = [
    "Missing/ under negotiation",
    "Single contact",
    "There were 2-3 contacts",
    "Annually",
    "Regular contacts",
]
QUALITY = ["Definitely bad", "Rather bad", "Mixed", "Rather good", "Definitely good"]
STATE_CODES = ["very_rarely", "once_a_year", "every_six_months", "once_a_quarter", "once_a_month"]
BUSINESS_CODES = [
    "none_or_negotiating",
    "single_contact",
    "two_three_contacts",
    "annually",
    "regular",
]
QUALITY_CODES = ["definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good"]

# org, partner, frequency, quality, region, weight, comment (labels as a user writes them)
ROWS = [
    ("n01", "Gov", "Very rarely", "Definitely bad", "Almaty", 1.0, "a"),
    ("n01", "Biz", "Regular contacts", "Rather good", "Almaty", 1.0, "b"),
    ("n02", "Gov", "Once a month", "Definitely good", "Kostanay", 2.5, "c"),
    ("n02", "Biz", "Single contact", "Mixed", "Kostanay", 2.5, "d"),
    ("n03", "Gov", "Once a quarter", "Rather good", "Almaty", 0.5, "e"),
    ("n04", "Biz", "Annually", "Rather bad", "Kostanay", 1.0, "f"),
]
# the same rows in canonical codes, written by hand
EXPECTED_CODES = [
    ("n01", "state", "very_rarely", "definitely_bad", "Almaty", 1.0, "a"),
    ("n01", "business", "regular", "rather_good", "Almaty", 1.0, "b"),
    ("n02", "state", "once_a_month", "definitely_good", "Kostanay", 2.5, "c"),
    ("n02", "business", "single_contact", "mixed", "Kostanay", 2.5, "d"),
    ("n03", "state", "once_a_quarter", "rather_good", "Almaty", 0.5, "e"),
    ("n04", "business", "annually", "rather_bad", "Kostanay", 1.0, "f"),
]
USER_COLUMNS = ["NGO", "Partner", "How often", "Relations", "Oblast", "w", "comment"]
COLUMNS = dict(
    org_id="NGO", partner="Partner", frequency="How often", quality="Relations", region="Oblast",
    weight="w",
)  # fmt: skip
LEVELS = {
    "partner": ["Gov", "Biz"],
    "frequency": {"Gov": STATE, "Biz": BUSINESS},
    "quality": QUALITY,
    "region": ["Almaty", "Kostanay"],
}
RECODE = {
    "partner": {"Gov": "state", "Biz": "business"},
    "quality": dict(zip(QUALITY, QUALITY_CODES, strict=True)),
    "frequency": {
        "Gov": dict(zip(STATE, STATE_CODES, strict=True)),
        "Biz": dict(zip(BUSINESS, BUSINESS_CODES, strict=True)),
    },
}
SCHEMA = SurveySchema(columns=COLUMNS, levels=LEVELS, recode=RECODE)


def raw_frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=USER_COLUMNS)


def expected_frame() -> pd.DataFrame:
    org, partner, freq, quality, region, weight, comment = map(
        list, zip(*EXPECTED_CODES, strict=True)
    )
    return pd.DataFrame(
        {
            "org_id": pd.array(org, dtype="str"),
            "partner": pd.Categorical(partner, categories=["state", "business"], ordered=True),
            "frequency": pd.Categorical(
                freq, categories=STATE_CODES + BUSINESS_CODES, ordered=True
            ),
            "quality": pd.Categorical(quality, categories=QUALITY_CODES, ordered=True),
            "region": pd.Categorical(region, categories=["Almaty", "Kostanay"]),
            "weight": np.array(weight, dtype=float),
            "comment": comment,
        }
    )


def assert_tidy_equal(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Canonical columns exactly; extra columns by value (each format types text its own way)."""
    canonical = [c for c in expected.columns if c != "comment"]
    pd.testing.assert_frame_equal(result[canonical], expected[canonical])
    assert list(result.columns) == list(expected.columns)
    assert result["comment"].astype(str).tolist() == expected["comment"].tolist()


# --------------------------------------------------------------------------- good input
def test_dataframe_source_gives_tidy_frame_and_leaves_input_alone():
    raw = raw_frame()
    before = copy.deepcopy(raw)
    result = read_survey(raw, schema=SCHEMA)
    pd.testing.assert_frame_equal(raw, before)
    assert_tidy_equal(result, expected_frame())
    assert result.attrs["interactmodel_schema"]["columns"] == COLUMNS


def test_failed_read_leaves_input_alone():
    raw = raw_frame()
    raw.loc[2, "w"] = -1.0
    before = copy.deepcopy(raw)
    with pytest.raises(DataError, match="negative"):
        read_survey(raw, schema=SCHEMA)
    pd.testing.assert_frame_equal(raw, before)


def test_recorded_schema_reads_the_same_frame_again():
    first = read_survey(raw_frame(), schema=SCHEMA)
    again = read_survey(
        raw_frame(), schema=SurveySchema.from_dict(first.attrs["interactmodel_schema"])
    )
    pd.testing.assert_frame_equal(first, again)


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


def test_tidy_frame_reads_back_unchanged_from_its_categoricals():
    """A frame already in the conventions needs no schema: its categoricals carry the orders."""
    tidy = expected_frame()
    tidy.index = [10, 11, 12, 13, 14, 15]
    result = read_survey(tidy)
    pd.testing.assert_frame_equal(result, expected_frame())
    parquet_like = expected_frame()
    parquet_like["frequency"] = parquet_like["frequency"].astype(str)  # order lost
    with pytest.raises(SchemaError, match=r"levels\['frequency'\] is needed"):
        read_survey(parquet_like)


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


def test_labels_match_ignoring_case_and_spaces():
    raw = raw_frame()
    raw["Relations"] = [
        "  definitely BAD",
        "rather good ",
        "DEFINITELY GOOD",
        "mixed",
        "Rather Good",
        "rather bad",
    ]
    raw["Partner"] = ["gov", " BIZ", "Gov", "Biz", "GOV", "biz"]
    assert_tidy_equal(read_survey(raw, schema=SCHEMA), expected_frame())


def test_label_matching_two_levels_loosely_is_an_error():
    raw = raw_frame()
    raw["Relations"] = ["Bad", "good", "Good", "GOOD", "Bad", "Bad"]
    levels = {**LEVELS, "quality": ["Bad", "good", "Good"]}
    with pytest.raises(
        DataError, match=r"'GOOD' in rows 4 match more than one of levels\['quality'\]"
    ):
        read_survey(raw, columns=COLUMNS, levels=levels)
    # exact spellings are never ambiguous
    raw["Relations"] = ["Bad", "good", "Good", "Good", "Bad", "Bad"]
    result = read_survey(raw, columns=COLUMNS, levels=levels)
    assert result["quality"].tolist() == ["Bad", "good", "Good", "Good", "Bad", "Bad"]


def test_flat_frequency_scale_and_optional_columns_absent():
    raw = raw_frame()[["Partner", "Relations", "comment"]].assign(often=["rare", "often"] * 3)
    result = read_survey(
        raw,
        columns={"partner": "Partner", "quality": "Relations", "frequency": "often"},
        levels={"quality": QUALITY, "frequency": ["rare", "often"]},
    )
    assert list(result.columns) == ["org_id", "partner", "frequency", "quality", "comment"]
    assert result["org_id"].tolist() == [f"row-{i}" for i in range(1, 7)]
    assert list(result["partner"].cat.categories) == ["Biz", "Gov"]  # sorted when not given
    assert list(result["frequency"].cat.categories) == ["rare", "often"]


def test_numeric_codes_in_csv_match_numeric_levels(tmp_path):
    path = tmp_path / "codes.csv"
    pd.DataFrame({"org_id": ["007", "008", "009"], "partner": [1, 2, 1], "frequency": [3, 1, 2],
                  "quality": [1, 5, 3]}).to_csv(path, index=False)  # fmt: skip
    result = read_survey(
        path, levels={"quality": [1, 2, 3, 4, 5], "frequency": [1, 2, 3]}, partner_levels=[1, 2]
    )
    assert result["org_id"].tolist() == ["007", "008", "009"]  # leading zeros kept
    assert result["quality"].tolist() == ["1", "5", "3"]
    assert result["frequency"].cat.categories.tolist() == ["1", "2", "3"]


# --------------------------------------------------------------------------- schema
def test_schema_toml_round_trip(tmp_path):
    schema = SurveySchema(
        columns={**COLUMNS, "region": None},
        levels={**LEVELS, "quality": ['say "bad"', "back\\slash", "tab\there", "Өте жақсы"]},
        recode={"partner": RECODE["partner"], "frequency": RECODE["frequency"]},
    )
    path = schema.to_file(tmp_path / "schema.toml")
    assert SurveySchema.from_file(path) == schema
    assert SurveySchema.from_file(schema.to_file(tmp_path / "schema.json")) == schema
    assert pickle.loads(pickle.dumps(schema)) == schema
    assert hash(SurveySchema.from_file(path)) == hash(schema)


def test_hand_written_toml_schema_file(tmp_path):
    path = tmp_path / "schema.toml"
    path.write_text(
        '[columns]\norg_id = "NGO"\npartner = "Partner"\nfrequency = "How often"\n'
        'quality = "Relations"\nregion = "Oblast"\nweight = "w"\n\n'
        '[levels]\npartner = ["Gov", "Biz"]\nregion = ["Almaty", "Kostanay"]\n'
        f"quality = {QUALITY!r}\n\n"
        f"[levels.frequency]\nGov = {STATE!r}\nBiz = {BUSINESS!r}\n\n"
        '[recode.partner]\nGov = "state"\nBiz = "business"\n\n[recode.quality]\n'
        + "".join(f'"{k}" = "{v}"\n' for k, v in RECODE["quality"].items())
        + "\n[recode.frequency.Gov]\n"
        + "".join(f'"{k}" = "{v}"\n' for k, v in RECODE["frequency"]["Gov"].items())
        + "\n[recode.frequency.Biz]\n"
        + "".join(f'"{k}" = "{v}"\n' for k, v in RECODE["frequency"]["Biz"].items()),
        encoding="utf-8",
    )
    assert SurveySchema.from_file(path) == SCHEMA
    assert_tidy_equal(read_survey(raw_frame(), schema=path), expected_frame())


def test_schema_is_frozen_and_copies_its_input():
    levels = {"quality": ["bad", "good"]}
    schema = SurveySchema(levels=levels)
    levels["quality"].append("great")
    assert schema.levels["quality"] == ("bad", "good")
    with pytest.raises(TypeError):
        schema.levels["quality"] = ("x",)  # type: ignore[index]
    with pytest.raises(AttributeError):
        schema.levels = {}  # type: ignore[misc]


def test_explicit_arguments_override_schema():
    raw = raw_frame().rename(columns={"Relations": "Q"})
    result = read_survey(raw, schema=SCHEMA, columns={"quality": "Q"})
    assert_tidy_equal(result, expected_frame())


# --------------------------------------------------------------------------- bad input
def _write_text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _with(column, values):
    raw = raw_frame()
    raw[column] = values
    return raw


BAD_FRAMES = [
    pytest.param(
        raw_frame().rename(columns={"Relations": "Relation"}), SchemaError,
        r"columns\['quality'\] = 'Relations' is not a column of the data\. The data's columns are "
        r"'NGO', .*Did you mean 'Relation'\?",
        id="missing-mapped-column",
    ),
    pytest.param(
        _with("Relations", ["Definitely bad", "Rather god", "Mixed", "Rather god", "Mixed", "Mixed"]),
        SchemaError,
        r"column 'Relations' \(quality\): the value\(s\) 'Rather god' in rows 2, 4 are not in the "
        r"level order .*Close levels: 'Rather god' -> 'Rather good'.*\(worst\.\.best\)",
        id="unknown-level-typo",
    ),
    pytest.param(
        _with("Relations", ["Definitely bad", "Terrible", "Mixed", "Mixed", "Mixed", "Mixed"]),
        SchemaError, r"'Terrible' in rows 2 are not in the level order levels\['quality'\]",
        id="order-leaves-out-a-value",
    ),
    pytest.param(
        _with("Relations", ["Mixed"] * 6), DataError,
        r"column 'Relations' \(quality\): every row has the rating 'mixed'; an ordinal model "
        r"needs at least two",
        id="single-quality-category",
    ),
    pytest.param(
        _with("Relations", ["Mixed", None, "Mixed", np.nan, "Rather bad", "Mixed"]), DataError,
        r"column 'Relations' \(quality\) is empty in rows 2, 4 \(2 of 6 rows\)",
        id="nan-in-required-column",
    ),
    pytest.param(
        _with("Partner", ["Gov", "Biz", "  ", "Biz", "Gov", "Biz"]), DataError,
        r"column 'Partner' \(partner\) is empty in rows 3 ",
        id="blank-in-required-column",
    ),
    pytest.param(
        _with("w", [1.0, -2.0, 1.0, 1.0, 1.0, 1.0]), DataError,
        r"column 'w' \(weight\): the weights -2\.0 in rows 2 are negative.*drop those rows",
        id="negative-weight",
    ),
    pytest.param(
        _with("w", [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]), DataError,
        r"the weights 0\.0 in rows 2, 5 are zero.*drop those rows",
        id="zero-weight",
    ),
    pytest.param(
        _with("w", ["1", "one", "1,5", "1", "1", "1"]), DataError,
        r"the weights 'one', '1,5' in rows 2, 3 are not numbers",
        id="non-numeric-weight",
    ),
    pytest.param(
        _with("w", [1.0, np.inf, 1.0, 1.0, 1.0, 1.0]), DataError,
        r"the weights inf in rows 2 are infinite", id="infinite-weight",
    ),
    pytest.param(
        _with("NGO", ["n01", "n01", "n02", "n02", "n01", "n04"]), DataError,
        r"column 'NGO' \(org_id\): the \(org_id, partner\) pairs \('n01', 'state'\) occur more "
        r"than once, in rows 1, 5",
        id="duplicate-org-partner",
    ),
    pytest.param(
        _with("How often", ["Very rarely", "Regular contacts", "Annually", "Single contact",
                            "Once a quarter", "Annually"]),  # fmt: skip
        DataError,
        r"rows 3 have partner 'state' but the frequency value\(s\) 'Annually' of the 'Biz' scale",
        id="frequency-from-other-partners-scale",
    ),
    pytest.param(
        _with("Partner", ["Gov", "Biz", "Gov", "NGO", "Gov", "Biz"]), SchemaError,
        r"column 'Partner' \(partner\): the value\(s\) 'NGO' in rows 4 are not in the level order",
        id="unknown-partner",
    ),
    pytest.param(
        raw_frame().assign(quality=1), SchemaError,
        r"the data has a column named 'quality' but columns= maps that canonical name to another",
        id="canonical-name-clash",
    ),
    pytest.param(
        raw_frame().iloc[:0], DataError, r"the data has no rows", id="no-rows",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "error", "message"), BAD_FRAMES)
def test_bad_frames(raw, error, message):
    before = copy.deepcopy(raw)
    with pytest.raises(error, match=message):
        read_survey(raw, schema=SCHEMA)
    pd.testing.assert_frame_equal(raw, before)


def test_required_column_missing_and_not_mapped():
    raw = raw_frame().rename(columns={"Relations": "Quality "})
    columns = {k: v for k, v in COLUMNS.items() if k != "quality"}
    with pytest.raises(SchemaError, match=r"no column for quality: .*Did you mean 'Quality '\?"):
        read_survey(raw, columns=columns, levels=LEVELS)


def test_quality_order_must_be_given():
    with pytest.raises(SchemaError, match=r"levels\['quality'\] is needed.*'Definitely bad'"):
        read_survey(raw_frame(), columns=COLUMNS, levels={"frequency": LEVELS["frequency"]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": {"quality": ["bad", "good", "bad"]}}, r"levels\['quality'\] has duplicated levels 'bad'"),
        ({"levels": {"quality": "bad, good"}}, r"levels\['quality'\] must be a list"),
        ({"levels": {"qualty": ["a"]}}, r"levels has the unknown key 'qualty'. Did you mean 'quality'"),
        ({"columns": {"quality": "Q", "partner": "Q"}}, r"maps 'partner', 'quality' to the same column 'Q'"),
        ({"recode": {"quality": {"Superb": "superb"}}}, r"recode\['quality'\] recodes 'Superb', which are not levels"),
    ],
)  # fmt: skip
def test_bad_schema(kwargs, message):
    with pytest.raises(SchemaError, match=message):
        read_survey(raw_frame(), schema=SCHEMA, **kwargs)


def test_partner_scales_sharing_labels_need_recode():
    raw = raw_frame()
    raw["How often"] = ["rare", "often", "often", "rare", "rare", "often"]
    levels = {**LEVELS, "frequency": {"Gov": ["rare", "often"], "Biz": ["rare", "often"]}}
    with pytest.raises(SchemaError, match=r"the code\(s\) 'rare', 'often' stand for more than one"):
        read_survey(raw, columns=COLUMNS, levels=levels)
    recode = {
        "frequency": {p: {"rare": f"{p}_rare", "often": f"{p}_often"} for p in ("Gov", "Biz")}
    }
    result = read_survey(raw, columns=COLUMNS, levels=levels, recode=recode)
    assert result["frequency"].cat.categories.tolist() == [
        "Gov_rare",
        "Gov_often",
        "Biz_rare",
        "Biz_often",
    ]
    assert result["frequency"].tolist()[:2] == ["Gov_rare", "Biz_often"]


def test_per_partner_recode_must_be_keyed_like_the_scales():
    recode = {**RECODE, "frequency": {"Government": RECODE["frequency"]["Gov"]}}
    with pytest.raises(SchemaError, match=r"recode\['frequency'\] has codes for 'Government'"):
        read_survey(raw_frame(), columns=COLUMNS, levels=LEVELS, recode=recode)


def test_partner_without_frequency_scale():
    levels = {**LEVELS, "partner": ["Gov", "Biz"], "frequency": {"Gov": STATE}}
    with pytest.raises(
        SchemaError, match=r"rows 2, 4, 6 have partner\(s\) 'Biz' with no frequency scale"
    ):
        read_survey(raw_frame(), columns=COLUMNS, levels=levels)


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
    path = tmp_path / name if text is None else _write_text(tmp_path, name, text)
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


def test_bad_schema_file(tmp_path):
    with pytest.raises(SchemaError, match=r"cannot be parsed"):
        read_survey(raw_frame(), schema=_write_text(tmp_path, "s.toml", "[columns\n"))
    with pytest.raises(SchemaError, match=r"unknown section\(s\) 'colums'"):
        read_survey(raw_frame(), schema=_write_text(tmp_path, "s.json", '{"colums": {}}'))
    with pytest.raises(SchemaError, match=r"use \.toml or \.json"):
        SurveySchema.from_file(_write_text(tmp_path, "s.yaml", "a: 1"))


# --------------------------------------------------------------------------- property
CANONICAL = {"org_id", "partner", "frequency", "quality", "region", "weight"}
_NA_WORDS = {"na", "nan", "null", "none", "n/a", "true", "false"}
label = st.text(string.ascii_letters + string.digits + " -Өқ", min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and s[0].isalpha() and s.casefold() not in _NA_WORDS
)


@st.composite
def surveys(draw):
    """A random valid schema and a frame that satisfies it, plus the expected tidy frame."""
    n_partners = draw(st.integers(1, 3))
    n_freq = draw(st.lists(st.integers(2, 4), min_size=n_partners, max_size=n_partners))
    n_quality = draw(st.integers(2, 5))
    names = draw(st.lists(label, min_size=n_partners + sum(n_freq) + n_quality, unique=True,
                          max_size=n_partners + sum(n_freq) + n_quality))  # fmt: skip
    partners, rest = names[:n_partners], names[n_partners:]
    scales = {}
    for partner, size in zip(partners, n_freq, strict=True):
        scales[partner], rest = rest[:size], rest[size:]
    quality = rest
    optional = draw(st.sets(st.sampled_from(["org_id", "region", "weight"])))
    columns = draw(st.lists(label, min_size=4 + len(optional), max_size=4 + len(optional),
                            unique_by=str.casefold).filter(lambda c: not set(c) & CANONICAL))  # fmt: skip
    roles = ["partner", "frequency", "quality", *sorted(optional)]
    mapping = dict(zip(roles, columns, strict=False))
    extra = columns[len(roles)]
    per_partner = draw(st.booleans())
    n_rows = draw(st.integers(2, 12))
    row_partner = draw(st.lists(st.sampled_from(partners), min_size=n_rows, max_size=n_rows))
    row_freq = [draw(st.sampled_from(scales[p])) for p in row_partner]
    row_quality = draw(st.lists(st.sampled_from(quality), min_size=n_rows, max_size=n_rows))
    row_quality[:2] = quality[:2]  # at least two observed categories
    data = {mapping["partner"]: row_partner, mapping["frequency"]: row_freq,
            mapping["quality"]: row_quality}  # fmt: skip
    freq_levels = scales if per_partner else [lab for p in partners for lab in scales[p]]
    expected = {
        "org_id": [f"id{i}" for i in range(n_rows)] if "org_id" in optional
        else [f"row-{i + 1}" for i in range(n_rows)],
        "partner": pd.Categorical(row_partner, categories=partners, ordered=True),
        "frequency": pd.Categorical(row_freq, categories=[lab for p in partners for lab in scales[p]], ordered=True),
        "quality": pd.Categorical(row_quality, categories=quality, ordered=True),
    }  # fmt: skip
    if "org_id" in optional:
        data[mapping["org_id"]] = expected["org_id"]
    if "region" in optional:
        regions = draw(st.lists(label, min_size=1, max_size=3, unique=True))
        row_region = draw(st.lists(st.sampled_from(regions), min_size=n_rows, max_size=n_rows))
        data[mapping["region"]] = row_region
        expected["region"] = pd.Categorical(row_region, categories=sorted(set(row_region)))
    if "weight" in optional:
        weight_values = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)
        weights = draw(st.lists(weight_values, min_size=n_rows, max_size=n_rows))
        data[mapping["weight"]] = weights
        expected["weight"] = np.array(weights, dtype=float)
    data[extra] = list(range(n_rows))
    expected["org_id"] = pd.array(expected["org_id"], dtype="str")
    expected[extra] = np.arange(n_rows, dtype=np.int64)
    schema = SurveySchema(
        columns=mapping,
        levels={"partner": partners, "frequency": freq_levels, "quality": quality},
    )
    return pd.DataFrame(data), schema, pd.DataFrame(expected)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(surveys())
def test_csv_round_trip_property(tmp_path, survey):
    frame, schema, expected = survey
    path = tmp_path / "roundtrip.csv"
    frame.to_csv(path, index=False)
    result = read_survey(path, schema=schema)
    pd.testing.assert_frame_equal(result, expected)
    pd.testing.assert_frame_equal(read_survey(frame, schema=schema), expected)
