"""Tests of interactmodel.survey_schema: the survey schema, its checks and its files."""

from __future__ import annotations

import pickle

import pytest

from interactmodel.errors import SchemaError
from interactmodel.survey import read_survey
from interactmodel.survey_schema import SurveySchema
from tests import survey_cases as cases


def test_schema_toml_round_trip(tmp_path):
    schema = SurveySchema(
        columns={**cases.COLUMNS, "region": None},
        levels={**cases.LEVELS, "quality": ['say "bad"', "back\\slash", "tab\there", "Өте жақсы"]},
        recode={"partner": cases.RECODE["partner"], "frequency": cases.RECODE["frequency"]},
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
        f"quality = {cases.QUALITY!r}\n\n"
        f"[levels.frequency]\nGov = {cases.STATE!r}\nBiz = {cases.BUSINESS!r}\n\n"
        '[recode.partner]\nGov = "state"\nBiz = "business"\n\n[recode.quality]\n'
        + "".join(f'"{k}" = "{v}"\n' for k, v in cases.RECODE["quality"].items())
        + "\n[recode.frequency.Gov]\n"
        + "".join(f'"{k}" = "{v}"\n' for k, v in cases.RECODE["frequency"]["Gov"].items())
        + "\n[recode.frequency.Biz]\n"
        + "".join(f'"{k}" = "{v}"\n' for k, v in cases.RECODE["frequency"]["Biz"].items()),
        encoding="utf-8",
    )
    assert SurveySchema.from_file(path) == cases.SCHEMA
    cases.assert_tidy_equal(read_survey(cases.raw_frame(), schema=path), cases.expected_frame())


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
    raw = cases.raw_frame().rename(columns={"Relations": "Q"})
    result = read_survey(raw, schema=cases.SCHEMA, columns={"quality": "Q"})
    cases.assert_tidy_equal(result, cases.expected_frame())


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
        read_survey(cases.raw_frame(), schema=cases.SCHEMA, **kwargs)


def test_bad_schema_file(tmp_path):
    with pytest.raises(SchemaError, match=r"cannot be parsed"):
        read_survey(cases.raw_frame(), schema=cases.write_text(tmp_path, "s.toml", "[columns\n"))
    with pytest.raises(SchemaError, match=r"unknown section\(s\) 'colums'"):
        read_survey(
            cases.raw_frame(), schema=cases.write_text(tmp_path, "s.json", '{"colums": {}}')
        )
    with pytest.raises(SchemaError, match=r"use \.toml or \.json"):
        SurveySchema.from_file(cases.write_text(tmp_path, "s.yaml", "a: 1"))
