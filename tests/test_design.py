"""Collapsed designs, checked against brute force on the rows (parsing: test_formula.py)."""

from __future__ import annotations

import dataclasses
import doctest

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

from interactmodel import design as design_module
from interactmodel.design import build_design
from interactmodel.errors import DataError, FormulaError

QUALITY = ["definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good"]
STATE = ["very_rarely", "once_a_year", "every_six_months", "once_a_quarter", "once_a_month"]
BUSINESS = ["none_or_negotiating", "single_contact", "two_three_contacts", "annually", "regular"]


def survey(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    partner = rng.choice(["state", "business"], n)
    frequency = np.where(partner == "state", rng.choice(STATE, n), rng.choice(BUSINESS, n))
    return pd.DataFrame(
        {
            "quality": pd.Categorical(rng.choice(QUALITY, n), QUALITY, ordered=True),
            "partner": pd.Categorical(partner, ["state", "business"], ordered=True),
            "frequency": pd.Categorical(frequency, STATE + BUSINESS, ordered=True),
            "region": rng.choice(["almaty", "karaganda_region", "nur_sultan"], n),
            "size": rng.integers(1, 4, n).astype(float),
            "weight": rng.integers(0, 4, n).astype(float),
        }
    )


# --------------------------------------------------------------------------- collapsing


def test_counts_equal_a_crosstab_of_the_rows():
    data = survey()
    design = build_design("quality ~ partner + region + size", data)
    cells = design.cells
    expected = pd.crosstab(
        [data["partner"], data["region"], data["size"]], data["quality"], dropna=False
    )
    for i in range(design.n_cells):
        key = (cells["partner"][i], cells["region"][i], cells["size"][i])
        np.testing.assert_array_equal(design.counts[i], expected.loc[key].to_numpy())
    assert design.counts.sum() == len(data) == design.nobs == design.n_rows
    assert design.outcome_levels == tuple(QUALITY)


def test_fixed_columns_equal_the_row_model_matrix():
    data = survey()
    design = build_design("quality ~ partner * region + size", data)
    rows = model_matrix("1 + partner * region + size", data).drop(columns="Intercept")
    assert design.X_names == tuple(rows.columns)
    np.testing.assert_array_equal(design.X[design.row_cell], rows.to_numpy(dtype=float))
    np.testing.assert_array_equal(design.row_outcome, data["quality"].cat.codes.to_numpy())


def test_treatment_coding_first_level_is_reference():
    design = build_design("quality ~ partner + region", survey())
    assert design.X_names == (
        "partner[T.business]",
        "region[T.karaganda_region]",
        "region[T.nur_sultan]",
    )


def test_weighted_design_equals_expanded_rows():
    data = survey()
    weighted = build_design("quality ~ partner + region", data, weights="weight")
    expanded = data.loc[data.index.repeat(data["weight"].astype(int))]
    plain = build_design("quality ~ partner + region", expanded)
    pd.testing.assert_frame_equal(weighted.cells, plain.cells)
    np.testing.assert_array_equal(weighted.counts, plain.counts)
    np.testing.assert_array_equal(weighted.X, plain.X)
    assert weighted.nobs == plain.nobs == data["weight"].sum()
    assert weighted.n_rows == len(data)
    assert np.all(weighted.row_cell[data["weight"].to_numpy() == 0] == -1)


def test_weights_as_an_array_and_numeric_outcome():
    data = pd.DataFrame({"y": [1, 2, 3, 2, 1, 3], "x": [0.0, 1, 2, 0, 1, 2]})
    design = build_design("y ~ x", data, weights=np.array([1, 2, 1, 1, 1, 1]))
    assert design.outcome_levels == ("1", "2", "3")
    assert design.nobs == 7


def test_levels_give_the_order_of_a_string_outcome():
    data = pd.DataFrame({"y": ["hi", "lo", "mid", "lo"], "x": [1.0, 0, 1, 0]})
    design = build_design("y ~ x", data, levels=["lo", "mid", "hi"])
    assert design.outcome_levels == ("lo", "mid", "hi")
    np.testing.assert_array_equal(design.counts.sum(axis=0), [2, 1, 1])


def test_nominal_columns_and_overlap_with_location():
    data = survey()
    design = build_design("quality ~ partner + region", data, nominal="~ region")
    assert design.X_names == ("partner[T.business]",)
    assert design.X_nominal_names == ("region[T.karaganda_region]", "region[T.nur_sultan]")
    listed = build_design("quality ~ partner", data, nominal=["region"])
    np.testing.assert_array_equal(
        listed.X_nominal[listed.row_cell], design.X_nominal[design.row_cell]
    )


# --------------------------------------------------------------------------- blocks


def test_monotonic_blocks_per_partner_scale():
    data = survey()
    design = build_design("quality ~ mo(frequency):partner", data)
    state, business = design.mo
    assert state.name == "mo(frequency):partner[state]"
    assert state.levels == tuple(STATE) and business.levels == tuple(BUSINESS)
    assert state.n_steps == 4
    rows = design.row_cell
    is_state = (data["partner"] == "state").to_numpy()
    np.testing.assert_array_equal(state.active[rows], is_state)
    expected_rank = np.array([STATE.index(v) if v in STATE else 0 for v in data["frequency"]])
    np.testing.assert_array_equal(state.rank[rows][is_state], expected_rank[is_state])
    expected_business = np.array([BUSINESS.index(v) for v in data["frequency"][~is_state]])
    np.testing.assert_array_equal(business.rank[rows][~is_state], expected_business)
    assert np.all(state.rank[~state.active] == 0)


def test_monotonic_term_needs_an_ordered_factor():
    with pytest.raises(DataError, match=r"mo\(region\): column 'region' must be an ordered"):
        build_design("quality ~ mo(region)", survey())


def test_monotonic_block_with_one_level_is_an_error():
    data = survey()
    data["frequency"] = pd.Categorical(
        np.where(data["partner"] == "state", "very_rarely", data["frequency"].astype(str)),
        STATE + BUSINESS,
        ordered=True,
    )
    with pytest.raises(DataError, match=r"partner\[state\].*only the level\(s\) 'very_rarely'"):
        build_design("quality ~ mo(frequency):partner", data)


def test_group_blocks():
    data = survey()
    design = build_design("quality ~ partner + (1 + size | region)", data)
    (block,) = design.groups
    assert block.name == "(1 + size | region)"
    assert block.levels == ("almaty", "karaganda_region", "nur_sultan")
    assert block.Z_names == ("Intercept", "size")
    np.testing.assert_array_equal(
        np.asarray(block.levels, dtype=object)[block.index[design.row_cell]], data["region"]
    )
    np.testing.assert_array_equal(block.Z[design.row_cell, 1], data["size"])
    (no_intercept,) = build_design("quality ~ (0 + size | region)", data).groups
    assert no_intercept.Z_names == ("size",)


# --------------------------------------------------------------------------- new data


def test_transform_reproduces_the_fitted_rows():
    data = survey()
    design = build_design("quality ~ partner * region + mo(frequency):partner + (1 | region)", data)
    new = design.transform(data.drop(columns="quality"))
    np.testing.assert_array_equal(new.X, design.X[design.row_cell])
    for fitted, fresh in zip(design.mo, new.mo, strict=True):
        np.testing.assert_array_equal(fresh.rank, fitted.rank[design.row_cell])
        np.testing.assert_array_equal(fresh.active, fitted.active[design.row_cell])
    np.testing.assert_array_equal(new.groups[0].index, design.groups[0].index[design.row_cell])
    np.testing.assert_array_equal(design.outcome_codes(data), data["quality"].cat.codes)


def test_transform_rejects_unseen_levels_and_missing_columns():
    data = survey()
    design = build_design("quality ~ partner + region + (1 | region)", data)
    new = data.head(3).copy()
    new["region"] = ["almaty", "kostanay_region", "almaty"]
    with pytest.raises(DataError, match=r"'region' of newdata has level\(s\) 'kostanay_region'"):
        design.transform(new)
    with pytest.raises(DataError, match=r"lacks the column\(s\) 'region'"):
        design.transform(data.drop(columns="region"))
    only_groups = build_design("quality ~ partner + (1 | region)", data)
    assert only_groups.transform(new, allow_unseen_groups=True).groups[0].index[1] == -1


def test_transform_rejects_a_level_off_the_partner_scale():
    data = survey()
    design = build_design("quality ~ mo(frequency):partner", data)
    new = data.head(1).copy()
    new["partner"] = pd.Categorical(["business"], ["state", "business"], ordered=True)
    new["frequency"] = pd.Categorical(["once_a_month"], STATE + BUSINESS, ordered=True)
    with pytest.raises(DataError, match=r"partner\[business\].*'once_a_month'.*not on its fitted"):
        design.transform(new)


# --------------------------------------------------------------------------- bad data


def test_unknown_column_suggests_a_close_match():
    with pytest.raises(
        FormulaError, match=r"uses 'regoin', which is not a column.*did you mean 'region'"
    ):
        build_design("quality ~ partner + regoin", survey())
    with pytest.raises(
        FormulaError, match=r"uses 'Quality', which is not a column.*did you mean 'quality'"
    ):
        build_design("Quality ~ partner", survey())


def test_plain_string_outcome_asks_for_an_order():
    data = survey()
    data["quality"] = data["quality"].astype(str)
    with pytest.raises(
        DataError, match=r"order of its levels.*ambiguous.*ordered categorical.*levels="
    ):
        build_design("quality ~ partner", data)


def test_unordered_categorical_outcome_is_rejected():
    data = survey()
    data["quality"] = data["quality"].cat.as_unordered()
    with pytest.raises(DataError, match=r"is an unordered categorical"):
        build_design("quality ~ partner", data)


def test_single_observed_outcome_level():
    data = survey()
    data["quality"] = pd.Categorical(["mixed"] * len(data), QUALITY, ordered=True)
    with pytest.raises(DataError, match=r"only the level\(s\) 'mixed'.*at least two"):
        build_design("quality ~ partner", data)


def test_missing_values_are_named_with_rows():
    data = survey()
    data.loc[[2, 5], "size"] = np.nan
    with pytest.raises(DataError, match=r"'size' has 2 missing value\(s\) \(rows 3, 6\)"):
        build_design("quality ~ size", data)
    data = survey()
    data["quality"] = data["quality"].astype(object)
    data.loc[0, "quality"] = None
    with pytest.raises(DataError, match=r"'quality' has 1 missing value"):
        build_design("quality ~ partner", data, levels=QUALITY)


def test_outcome_value_outside_levels():
    data = pd.DataFrame({"y": ["lo", "hi", "huge"], "x": [0.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"value\(s\) 'huge' that are not among the levels"):
        build_design("y ~ x", data, levels=["lo", "hi"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("wieght", r"weights column 'wieght' is not in the data; did you mean 'weight'"),
        (np.ones(3), r"weights has 3 values but the data has 400 rows"),
        (-np.ones(400), r"must be finite and >= 0; rows 1, 2"),
        (np.zeros(400), r"sum to zero"),
    ],
)
def test_bad_weights(weights, message):
    with pytest.raises(DataError, match=message):
        build_design("quality ~ partner", survey(), weights=weights)


# --------------------------------------------------------------------------- contracts


def test_building_never_changes_the_input():
    data = survey()
    before = data.copy(deep=True)
    design = build_design(
        "quality ~ partner + region + mo(frequency):partner", data, weights="weight"
    )
    design.transform(data)
    pd.testing.assert_frame_equal(data, before)


def test_design_is_frozen_and_read_only():
    design = build_design("quality ~ partner", survey())
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.counts = None  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        design.counts[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        design.X[0, 0] = 5.0


def test_docstring_examples_run():
    assert doctest.testmod(design_module).failed == 0
