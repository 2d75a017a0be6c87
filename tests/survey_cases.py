"""The example survey shared by the tests of the survey modules.

Six ratings by four NGOs of two partners (``Gov`` and ``Biz``, each with its own frequency
scale), in the labels a user writes, with the schema that maps them onto the canonical
columns and the tidy frame it should give, written out by hand from the conventions (codes,
level orders), never produced by the reader itself. Used by ``test_survey.py``,
``test_survey_schema.py`` and ``test_survey_files.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from interactmodel.survey_schema import SurveySchema

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


def write_text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
