"""Tests of scenario files: parsing, validation messages, population composition."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interactmodel import article
from interactmodel.errors import ScenarioError
from interactmodel.scenario import (
    Move,
    Scenario,
    SetDistribution,
    composition,
    largest_remainder,
    load_scenario,
    registry_region_shares,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "models" / "scenarios").glob("*.toml"))

# The registry's shares as printed in the article (Figure 1 text): Nur-Sultan 36%, Almaty 19%,
# Karaganda 17%, East Kazakhstan 15%, other regions 13% (split equally by default).
PRINTED_SHARES = {
    "nur_sultan": 0.36,
    "almaty": 0.19,
    "karaganda_region": 0.17,
    "east_kazakhstan_region": 0.15,
    "almaty_region": 0.065,
    "kostanay_region": 0.065,
}


def _minimal(**changes):
    data = {
        "name": "test",
        "partner": "state",
        "baseline": {"distribution": {"very_rarely": 0.5, "once_a_year": 0.5}},
        "interventions": [
            {"type": "move", "from": "once_a_year", "to": "once_a_quarter", "share": 0.3}
        ],
    }
    data.update(changes)
    return data


def _with_intervention(**fields):
    base = {"type": "move", "from": "once_a_year", "to": "once_a_quarter", "share": 0.3}
    base.update(fields)
    return _minimal(interventions=[{k: v for k, v in base.items() if v is not None}])


# --------------------------------------------------------------------------- files


def test_three_documented_examples_ship():
    assert len(EXAMPLES) >= 3
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith("#"), f"{path.name} must open with a comment block explaining it"
        scenario = load_scenario(path)
        assert scenario.policies, path.name
        assert scenario.path == str(path)
        assert scenario.description


def test_example_state_quarterly_contact_reads_as_written():
    scenario = load_scenario(REPO / "models/scenarios/state_quarterly_contact.toml")
    assert scenario.partner == "state"
    assert scenario.population_size == article.REGISTERED_NGOS == 18306
    assert scenario.baseline_source == "fit"
    first = scenario.policies[0]
    assert first.name == "yearly_to_quarterly"
    assert first.interventions == (Move("once_a_year", "once_a_quarter", 0.3, None),)


def test_regional_example_has_regions_and_other_split():
    scenario = load_scenario(REPO / "models/scenarios/state_regional_programme.toml")
    assert scenario.region_shares["almaty_region"] == pytest.approx(0.13 * 0.6)
    assert scenario.region_shares["kostanay_region"] == pytest.approx(0.13 * 0.4)
    assert scenario.baseline_source == "article"
    assert set(scenario.baseline_by_region) == {"nur_sultan"}
    move = scenario.policies[0].interventions[0]
    assert move.regions == ("karaganda_region", "east_kazakhstan_region")


def test_default_population_is_the_registry_with_other_regions_split_equally():
    scenario = Scenario.from_dict(_minimal())
    assert scenario.population_size == 18306
    assert dict(scenario.region_shares) == pytest.approx(PRINTED_SHARES)
    assert tuple(scenario.region_shares) == article.SAMPLE_REGIONS
    assert dict(registry_region_shares()) == pytest.approx(PRINTED_SHARES)


def test_given_region_shares_and_top_level_interventions():
    data = _minimal(population={"size": 100, "region_shares": {"almaty": 0.25, "nur_sultan": 0.75}})
    scenario = Scenario.from_dict(data)
    assert scenario.region_shares["almaty"] == 0.25
    assert scenario.region_shares["kostanay_region"] == 0.0
    assert scenario.region_shares_source == "given"
    assert scenario.policy_names == ("test",)


def test_from_dict_does_not_change_its_input():
    data = _minimal(population={"other_regions": {"almaty_region": 1.0}})
    before = copy.deepcopy(data)
    Scenario.from_dict(data)
    assert data == before


def test_set_distribution_fills_missing_levels_with_zero():
    data = _minimal(
        interventions=[{"type": "set", "distribution": {"once_a_month": 1}, "regions": "almaty"}]
    )
    (intervention,) = Scenario.from_dict(data).policies[0].interventions
    assert isinstance(intervention, SetDistribution)
    assert intervention.regions == ("almaty",)
    assert dict(intervention.distribution) == {
        "very_rarely": 0.0,
        "once_a_year": 0.0,
        "every_six_months": 0.0,
        "once_a_quarter": 0.0,
        "once_a_month": 1.0,
    }


def test_a_policy_list_and_a_policy_without_interventions():
    data = _minimal(
        interventions=None,
        policies=[
            {"name": "nothing", "interventions": []},
            {"name": "move", "interventions": _minimal()["interventions"]},
        ],
    )
    del data["interventions"]
    scenario = Scenario.from_dict(data)
    assert scenario.policy_names == ("nothing", "move")
    assert scenario.policies[0].interventions == ()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            _with_intervention(**{"from": "once_a_week"}),
            r"interventions\[0\]\.from: unknown contact level 'once_a_week' for partner 'state'.*"
            r"use one of 'very_rarely'",
        ),
        (
            _with_intervention(to="regular"),
            r"interventions\[0\]\.to: unknown contact level 'regular'.*on the business scale",
        ),
        (_with_intervention(share=-0.1), r"interventions\[0\]\.share: is negative \(-0\.1\)"),
        (_with_intervention(share=30), r"interventions\[0\]\.share: is above 1.*0\.3 for 30%"),
        (_with_intervention(share="30%"), r"interventions\[0\]\.share: must be a number"),
        (_with_intervention(to="once_a_year"), r"interventions\[0\]\.to: equals from"),
        (_with_intervention(share=None), r"interventions\[0\]\.share: is missing"),
        (_with_intervention(type="shift"), r"interventions\[0\]\.type: unknown intervention type"),
        (
            _with_intervention(regions=["almaty", "astana"]),
            r"interventions\[0\]\.regions\[1\]: unknown region 'astana'.*'nur_sultan'",
        ),
        (_with_intervention(shares=0.3), r"interventions\[0\]\.shares: unknown key 'shares'"),
        (
            _minimal(
                interventions=[
                    {"type": "set", "distribution": {"very_rarely": 0.5, "once_a_month": 0.4}}
                ]
            ),
            r"interventions\[0\]\.distribution: shares sum to 0\.9, not 1; make them add up to 1",
        ),
        (
            _minimal(baseline={"distribution": {"very_rarely": 1.2, "once_a_year": -0.2}}),
            r"baseline\.distribution\.very_rarely: is above 1",
        ),
        (
            _minimal(baseline={"distribution": {"very_rarely": 0.7, "once_a_year": 0.31}}),
            r"baseline\.distribution: shares sum to 1\.01, not 1",
        ),
        (
            _minimal(baseline={"distribution": {"very_rarely": 1.0, "once_a_year": -0.0001}}),
            r"baseline\.distribution\.once_a_year: is negative",
        ),
        (
            _minimal(baseline={"by_region": {"astana": {"very_rarely": 1.0}}}),
            r"baseline\.by_region\.astana: unknown region 'astana'",
        ),
        (_minimal(baseline={"source": "survey"}), r"baseline\.source: unknown source 'survey'"),
        (
            _minimal(population={"region_shares": {"nur_sultan": 0.5, "almaty": 0.4}}),
            r"population\.region_shares: shares sum to 0\.9, not 1",
        ),
        (
            _minimal(population={"region_shares": {"nur_sultan": 0.5, "shymkent": 0.5}}),
            r"population\.region_shares\.shymkent: unknown region 'shymkent'",
        ),
        (
            _minimal(population={"other_regions": {"almaty": 1.0}}),
            r"population\.other_regions\.almaty: 'almaty' cannot stand in for the registry's "
            r"'other regions'",
        ),
        (_minimal(population={"size": 0}), r"population\.size: must be a whole number >= 1"),
        (
            _minimal(partner="ngo"),
            r"partner: unknown partner 'ngo'; use one of 'state', 'business'",
        ),
        (_minimal(colour="red"), r"colour: unknown key 'colour'"),
        (
            _minimal(policies=[{"name": "baseline", "interventions": []}]),
            r"interventions: is given next to \[\[policies\]\]",
        ),
    ],
)
def test_bad_scenarios_name_the_key_and_the_fix(data, match):
    with pytest.raises(ScenarioError, match=match):
        Scenario.from_dict(data)


def test_bad_policy_key_path_and_reserved_name():
    data = {
        "partner": "business",
        "policies": [
            {"name": "ok", "interventions": []},
            {
                "name": "bad",
                "interventions": [
                    {"type": "move", "from": "annually", "to": "monthly", "share": 0.5}
                ],
            },
        ],
    }
    with pytest.raises(ScenarioError, match=r"policies\[1\]\.interventions\[0\]\.to: unknown"):
        Scenario.from_dict(data)
    data["policies"] = [{"name": "baseline"}]
    with pytest.raises(ScenarioError, match=r"policies\[0\]\.name: 'baseline' is taken"):
        Scenario.from_dict(data)


def test_missing_partner():
    with pytest.raises(ScenarioError, match="partner: is missing; set partner to one of"):
        Scenario.from_dict({"name": "x"})


def test_file_errors(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("partner = state\n")
    with pytest.raises(ScenarioError, match="is not valid TOML"):
        load_scenario(broken)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'partner = "state"\n[[interventions]]\ntype = "move"\nfrom = "once_a_year"\n'
        'to = "once_a_quarter"\nshare = -0.3\n'
    )
    with pytest.raises(ScenarioError, match=r"interventions\[0\]\.share: is negative"):
        load_scenario(bad)


# --------------------------------------------------------------------------- composition


def test_largest_remainder_by_hand():
    assert largest_remainder(10, [0.5, 0.25, 0.25]).tolist() == [5, 3, 2]
    assert largest_remainder(7, [1 / 3] * 3).tolist() == [3, 2, 2]
    assert largest_remainder(18306, list(PRINTED_SHARES.values())).tolist() == [
        6590,  # 6590.16
        3478,  # 3478.14
        3112,  # 3112.02
        2746,  # 2745.9
        1190,  # 1189.89
        1190,  # 1189.89
    ]


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(0, 100_000),
    weights=st.lists(st.floats(0, 1), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_largest_remainder_adds_up_and_stays_within_one(total, weights):
    shares = np.array(weights) / sum(weights)
    counts = largest_remainder(total, shares)
    assert counts.sum() == total
    assert np.all(np.abs(counts - total * shares) < 1 + 1e-9)


def test_composition_by_hand():
    data = {
        "partner": "state",
        "population": {"size": 1000, "region_shares": {"nur_sultan": 0.6, "almaty": 0.4}},
        "baseline": {
            "distribution": {"very_rarely": 0.5, "once_a_year": 0.3, "once_a_month": 0.2},
            "by_region": {"almaty": {"once_a_year": 1.0}},
        },
        "policies": [
            {"name": "none", "interventions": []},
            {
                "name": "two_moves",
                "interventions": [
                    {"type": "move", "from": "once_a_year", "to": "once_a_quarter", "share": 0.25},
                    {"type": "move", "from": "once_a_quarter", "to": "once_a_month", "share": 0.5},
                ],
            },
            {
                "name": "set_almaty",
                "interventions": [
                    {"type": "set", "distribution": {"every_six_months": 1}, "regions": ["almaty"]}
                ],
            },
        ],
    }
    cells = composition(Scenario.from_dict(data))
    assert cells.shape == (4, 6, 5)
    # baseline: Nur-Sultan 600 = 300 / 180 / 0 / 0 / 120; Almaty 400 all once a year
    assert cells[0, 0].tolist() == [300, 180, 0, 0, 120]
    assert cells[0, 1].tolist() == [0, 400, 0, 0, 0]
    assert cells[0, 2:].sum() == 0
    np.testing.assert_array_equal(cells[1], cells[0])
    # 25% of yearly to quarterly (45 and 100), then half of quarterly to monthly (23 and 50)
    assert cells[2, 0].tolist() == [300, 135, 0, 22, 143]
    assert cells[2, 1].tolist() == [0, 300, 0, 50, 50]
    assert cells[3, 0].tolist() == cells[0, 0].tolist()
    assert cells[3, 1].tolist() == [0, 0, 400, 0, 0]
    assert (cells.sum(axis=(1, 2)) == 1000).all()


def test_composition_needs_a_baseline_when_the_source_is_the_fit():
    data = _minimal(baseline={"source": "fit"})
    with pytest.raises(ScenarioError, match="comes from baseline.source = 'fit'"):
        composition(Scenario.from_dict(data))
