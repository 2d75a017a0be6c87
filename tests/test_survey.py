"""Tests of interactmodel.survey: validating a survey into the tidy frame of ordered categoricals.

Expected frames are written out by hand from the conventions (codes, level orders), never
produced by the reader itself (see ``tests/survey_cases.py``). The readers of each file
format are tested in ``test_survey_files.py``, the schema in ``test_survey_schema.py``.
"""

from __future__ import annotations

import copy
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interactmodel.errors import DataError, SchemaError
from interactmodel.survey import SurveySchema, read_survey
from tests.survey_cases import (
    COLUMNS,
    LEVELS,
    QUALITY,
    RECODE,
    SCHEMA,
    STATE,
    assert_tidy_equal,
    expected_frame,
    raw_frame,
)


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


# --------------------------------------------------------------------------- bad input
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
