"""Tests of interactmodel.article against the numbers as printed in the article.

Every expected value below is a literal copied by hand from Zambinova & Pritvorova (2024),
DOI 10.52123/1994-2370-2024-1200 (Tables 1-3 and the English text), not read from the CSV
files under test.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from interactmodel import article
from interactmodel.errors import DataError, SchemaError

# ---------------------------------------------------------------------------------------------
# Table 1 - quality of communications with government agencies by frequency, % (as printed)
# columns: Very rarely, Once a year, Once every six months, Once a quarter, Once a month
TABLE1_PRINTED = {
    ("definitely_bad", "very_rarely"): 30,
    ("definitely_bad", "once_a_year"): 33,
    ("definitely_bad", "every_six_months"): 13,
    ("definitely_bad", "once_a_quarter"): 10,
    ("definitely_bad", "once_a_month"): 14,
    ("rather_bad", "very_rarely"): 31,
    ("rather_bad", "once_a_year"): 23,
    ("rather_bad", "every_six_months"): 18,
    ("rather_bad", "once_a_quarter"): 13,
    ("rather_bad", "once_a_month"): 15,
    ("mixed", "very_rarely"): 4,
    ("mixed", "once_a_year"): 43,
    ("mixed", "every_six_months"): 19,
    ("mixed", "once_a_quarter"): 16,
    ("mixed", "once_a_month"): 18,
    ("rather_good", "very_rarely"): 3,
    ("rather_good", "once_a_year"): 5,
    ("rather_good", "every_six_months"): 27,
    ("rather_good", "once_a_quarter"): 33,
    ("rather_good", "once_a_month"): 32,
    ("definitely_good", "very_rarely"): 2,
    ("definitely_good", "once_a_year"): 29,
    ("definitely_good", "every_six_months"): 23,
    ("definitely_good", "once_a_quarter"): 25,
    ("definitely_good", "once_a_month"): 21,
}

# Table 2 - quality of communications with the business sector by frequency, % (as printed)
# columns: Missing/ under negotiation, Single contact, There were 2-3 contacts, Annually, Regular
TABLE2_PRINTED = {
    ("definitely_bad", "none_or_negotiating"): 19,
    ("definitely_bad", "single_contact"): 14,
    ("definitely_bad", "two_three_contacts"): 32,
    ("definitely_bad", "annually"): 19,
    ("definitely_bad", "regular"): 16,
    ("rather_bad", "none_or_negotiating"): 41,
    ("rather_bad", "single_contact"): 3,
    ("rather_bad", "two_three_contacts"): 18,
    ("rather_bad", "annually"): 21,
    ("rather_bad", "regular"): 17,
    ("mixed", "none_or_negotiating"): 2,
    ("mixed", "single_contact"): 11,
    ("mixed", "two_three_contacts"): 27,
    ("mixed", "annually"): 29,
    ("mixed", "regular"): 31,
    ("rather_good", "none_or_negotiating"): 29,
    ("rather_good", "single_contact"): 31,
    ("rather_good", "two_three_contacts"): 13,
    ("rather_good", "annually"): 15,
    ("rather_good", "regular"): 12,
    ("definitely_good", "none_or_negotiating"): 9,
    ("definitely_good", "single_contact"): 41,
    ("definitely_good", "two_three_contacts"): 10,
    ("definitely_good", "annually"): 16,
    ("definitely_good", "regular"): 24,
}

PRINTED = {"state": TABLE1_PRINTED, "business": TABLE2_PRINTED}

QUALITY_PRINTED = {
    "state": [
        "Definitely strained (tense) relations",
        "Complicated relationships, but there is a tendency to improve",
        "With varying success",
        "Rather a good relationship than a bad one",
        "Definitely a good relationship",
    ],
    "business": [
        "Definitely difficult",
        "More bad than good",
        "I find it difficult to estimate, with varying success",
        "More good than bad",
        "Definitely good",
    ],
}
FREQUENCY_PRINTED = {
    "state": [
        "Very rarely",
        "Once a year",
        "Once every six months",
        "Once a quarter",
        "Once a month",
    ],
    "business": [
        "Missing/ under negotiation",
        "Single contact",
        "There were 2-3 contacts",
        "Annually",
        "Regular contacts",
    ],
}
QUALITY_CODES = ["definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good"]
FREQUENCY_CODES = {
    "state": ["very_rarely", "once_a_year", "every_six_months", "once_a_quarter", "once_a_month"],
    "business": [
        "none_or_negotiating",
        "single_contact",
        "two_three_contacts",
        "annually",
        "regular",
    ],
}
TABLE_ID = {"state": "table1", "business": "table2"}
TABLE_FN = {"state": article.table1, "business": article.table2}

# Row sums of the printed rows, computed by hand from the literals above and pinned.
ROW_SUMS = {"state": [100, 100, 100, 100, 100], "business": [100, 100, 100, 100, 100]}

# Table 3 - actions of the active part of the NGO sector, % (printed with decimal commas)
TABLE3_PRINTED = {
    ("send_mailings", "share_of_all_ngos"): "64,2",
    ("send_mailings", "receive_newsletters"): "61,8",
    ("send_mailings", "participate_in_trainings"): "35,4",
    ("send_mailings", "participate_as_co_executors"): "10,9",
    ("organise_trainings", "share_of_all_ngos"): "41,8",
    ("organise_trainings", "receive_newsletters"): "38,9",
    ("organise_trainings", "participate_in_trainings"): "36,5",
    ("organise_trainings", "participate_as_co_executors"): "12,7",
    ("initiate_co_executors", "share_of_all_ngos"): "16,3",
    ("initiate_co_executors", "receive_newsletters"): "68,9",
    ("initiate_co_executors", "participate_in_trainings"): "31,9",
    ("initiate_co_executors", "participate_as_co_executors"): "14,4",
}
TABLE3_ROW_LABELS = [
    "Send mailings",
    "They organize trainings, seminars, and other forms of active interaction",
    "Initiate the involvement of co-executors",
]
TABLE3_COLUMN_LABELS = [
    "Share in the total of NGOs",
    "Receive newsletters from other organizations",
    "Participate in trainings, seminars of other organizations",
    "Participate as co-executors in projects of other organizations",
]

REGIONS_PRINTED = [
    "Nursultan",
    "Almaty",
    "Karaganda region",
    "East Kazakhstan region",
    "Almaty region",
    "Kostanay region",
]

# Every number stated in the text: figure_id -> (value, unit, value as printed, partner).
TEXT_PRINTED: dict[str, tuple[float, str, str, str | None]] = {
    # Abstract and Methods
    "sample_size_abstract_1": (245, "count", "245", None),
    "sample_regions_abstract_1": (6, "count", "6", None),
    "sample_size_abstract_2": (245, "count", "245", None),
    "sample_regions_abstract_2": (6, "count", "6", None),
    "positive_state_to_business_ratio_abstract": (2, "ratio", "almost twice", None),
    "sample_size_methods": (245, "count", "245", None),
    "sample_regions_methods": (6, "count", "6", None),
    # Results: composition of the sector (Figure 1)
    "registered_ngos_2022": (18306, "count", "18,306", None),
    "legal_form_public_associations": (50, "percent", "50%", None),
    "legal_form_foundations": (27, "percent", "27%", None),
    "legal_form_institutions": (15, "percent", "15%", None),
    "legal_form_associations_trade_unions": (8, "percent", "8%", None),
    "region_share_nur_sultan": (36, "percent", "36%", None),
    "region_share_almaty": (19, "percent", "19%", None),
    "region_share_karaganda": (17, "percent", "17%", None),
    "region_share_east_kazakhstan": (15, "percent", "15%", None),
    "region_share_other": (13, "percent", "13%", None),
    "activity_areas_most_common": (20, "percent", "20 percent or more", None),
    "activity_charity": (13.1, "percent", "13.1%", None),
    "activity_social_entrepreneurship": (14.5, "percent", "14.5%", None),
    "target_group_children_youth": (28, "percent", "28%", None),
    "target_group_low_income": (17.3, "percent", "17.3%", None),
    "target_group_other": (10, "percent", "less than 10%", None),
    "target_group_rural_disabled": (7.5, "percent", "7.5%", None),
    # Results: interaction with the state
    "sample_size_results": (245, "count", "245", None),
    "key_partner_state_results": (41, "percent", "41%", "state"),
    "key_partner_ngo_results": (18, "percent", "About 18%", "ngo"),
    "key_partner_business_results": (6, "percent", "6%", "business"),
    "key_partner_international_results": (4.2, "percent", "4.2%", "international_foundations"),
    "positive_state_results": (56, "percent", "56%", "state"),
    "sample_size_table1_note": (245, "count", "245", None),
    "sample_regions_table1_note": (6, "count", "6", None),
    "figure3_curve_sum": (200, "percent", "200", "state"),
    "department_count": (3, "count", "three", "state"),
    "department_domestic_policy": (47, "percent", "47%", "state"),
    "department_employment_social": (22, "percent", "22%", "state"),
    "department_education": (15, "percent", "15%", "state"),
    "positive_state_sample": (73.1, "percent", "73.1%", "state"),
    "positive_state_national_report": (86.2, "percent", "86.2%", "state"),
    # Results: interaction with business (printed under the state heading)
    "positive_business_results": (34, "percent", "34%", "business"),
    "positive_business_earlier_study": (42.4, "percent", "42.4%", "business"),
    "business_no_experience_results": (28, "percent", "28%", "business"),
    "business_negative_results": (14, "percent", "14%", "business"),
    "business_mixed_results": (24, "percent", "24%", "business"),
    "sample_size_table2_note": (245, "count", "245", None),
    "sample_regions_table2_note": (6, "count", "6", None),
    "sample_size_figure4_source": (245, "count", "245", None),
    "sample_regions_figure4_source": (6, "count", "6", None),
    "mixed_business_no_contracts": (13, "percent", "13%", "business"),
    "mixed_business_two_three_contracts": (27, "percent", "27%", "business"),
    "mixed_business_annually": (29, "percent", "29%", "business"),
    "mixed_business_two_per_year": (31, "percent", "31%", "business"),
    # Results: cooperation within the NGO sector
    "association_membership_results": (50, "percent", "Every second organization", "ngo"),
    "send_mailings_results": (64.2, "percent", "64.2%", "ngo"),
    "organise_trainings_results_1": (41.8, "percent", "41.8%", "ngo"),
    "initiate_co_executors_results_1": (16.3, "percent", "16.3%", "ngo"),
    "sample_size_table3_note": (245, "count", "245", None),
    "sample_regions_table3_note": (6, "count", "6", None),
    "mailers_receive_newsletters": (61.8, "percent", "61.8%", "ngo"),
    "mailers_participate_trainings": (35.4, "percent", "35.4%", "ngo"),
    "mailers_co_executors": (10.9, "percent", "10.9%", "ngo"),
    "organise_trainings_results_2": (41.8, "percent", "41.8%", "ngo"),
    "trainers_participate_trainings": (36.5, "percent", "36.5%", "ngo"),
    "initiate_co_executors_results_2": (16.3, "percent", "16.3%", "ngo"),
    "co_executors_intersection": (14.4, "percent", "14.4%", "ngo"),
    "co_executors_attracted": (14.4, "percent", "14.4%", "ngo"),
    "stable_network_links_lower": (10, "percent", "10%", "ngo"),
    "stable_network_links_upper": (16, "percent", "16%", "ngo"),
    # Discussion
    "positive_state_discussion": (50, "percent", "more than 50%", "state"),
    # Conclusions
    "key_partner_state_conclusions": (41, "percent", "41%", "state"),
    "key_partner_ngo_conclusions": (18, "percent", "18%", "ngo"),
    "key_partner_business_conclusions": (6, "percent", "6%", "business"),
    "positive_state_conclusions": (50, "percent", "more than 50%", "state"),
    "positive_business_conclusions_32": (32, "percent", "32%", "business"),
    "positive_within_sector_conclusions": (46, "percent", "46%", "ngo"),
    "positive_state_frequent_subgroups": (50, "percent", "more than 50%", "state"),
    "positive_business_conclusions_34": (34, "percent", "34%", "business"),
    "business_no_contact_conclusions": (33.3, "percent", "almost a third", "business"),
    "business_negotiating_conclusions": (28, "percent", "28%", "business"),
    "positive_business_frequent_contacts": (33.5, "percent", "33.5%", "business"),
    "complex_business_frequent_contacts": (36.5, "percent", "36.5%", "business"),
    "association_membership_conclusions": (50, "percent", "every second organization", "ngo"),
    "send_mailings_conclusions": (64.2, "percent", "64.2%", "ngo"),
    "round_tables_conclusions": (41.8, "percent", "41.8%", "ngo"),
    "joint_projects_conclusions": (16.3, "percent", "16.3%", "ngo"),
}

SECTIONS = {
    "Abstract",
    "Methods",
    "Results: The composition and structure of the non-profit sector of Kazakhstan",
    "Results: Interaction of NGOs with the state",
    "Results: Cooperation within the NGO sector",
    "Discussion",
    "Conclusions",
}

# A few wordings pinned verbatim, including the article's typos.
WORDING_PRINTED = {
    "positive_state_to_business_ratio_abstract": (
        "The level of positive assessment of relations with the state is almost twice as high "
        "as with business."
    ),
    "region_share_karaganda": (
        "Karaganda and East Kazakhstan regions are included in the group of middle peasants "
        "(17% and 15%)."
    ),
    "mixed_business_no_contracts": "13% did not have contracts with business;",
    "mixed_business_two_per_year": "31% have two contracts per year.",
    "figure3_curve_sum": (
        'Since each curve is the sum of "rather positive" or "rather negative" ratings, the sum '
        "of the percentages is 200."
    ),
    "department_count": "Most often, contacts are implemented with three departments/departments:",
}


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return article.text_figures().set_index("figure_id")


# ---------------------------------------------------------------------------------------------
# Tables 1 and 2


@pytest.mark.parametrize("partner", ["state", "business"])
def test_every_cell_of_tables_1_and_2_is_as_printed(partner: str) -> None:
    table = TABLE_FN[partner]()
    got = {
        (str(q), str(f)): p
        for q, f, p in zip(table["quality"], table["frequency"], table["percent"], strict=True)
    }
    assert got == {key: float(value) for key, value in PRINTED[partner].items()}


@pytest.mark.parametrize("partner", ["state", "business"])
def test_table_labels_and_codes_are_as_printed(partner: str) -> None:
    table = TABLE_FN[partner]()
    by_quality = table.drop_duplicates("quality").sort_values("quality_score")
    assert by_quality["quality_label"].tolist() == QUALITY_PRINTED[partner]
    assert by_quality["quality"].astype(str).tolist() == QUALITY_CODES
    assert by_quality["quality_score"].tolist() == [1, 2, 3, 4, 5]
    by_frequency = table.drop_duplicates("frequency").sort_values("frequency_rank")
    assert by_frequency["frequency_label"].tolist() == FREQUENCY_PRINTED[partner]
    assert by_frequency["frequency"].astype(str).tolist() == FREQUENCY_CODES[partner]
    assert by_frequency["frequency_rank"].tolist() == [1, 2, 3, 4, 5]
    assert (
        dict(zip(QUALITY_CODES, QUALITY_PRINTED[partner], strict=True))
        == (article.QUALITY_LABELS[partner])
    )
    assert (
        dict(zip(FREQUENCY_CODES[partner], FREQUENCY_PRINTED[partner], strict=True))
        == (article.FREQUENCY_LABELS[partner])
    )


@pytest.mark.parametrize("partner", ["state", "business"])
def test_table_frame_follows_the_conventions(partner: str) -> None:
    table = TABLE_FN[partner]()
    assert table.columns.tolist() == [
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
    ]
    assert len(table) == 25
    assert table["quality"].cat.ordered
    assert table["quality"].cat.categories.tolist() == QUALITY_CODES
    assert table["frequency"].cat.ordered
    assert table["frequency"].cat.categories.tolist() == FREQUENCY_CODES[partner]
    assert table["partner"].cat.categories.tolist() == ["state", "business"]
    assert set(table["partner"].astype(str)) == {partner}
    assert set(table["table"]) == {TABLE_ID[partner]}
    assert set(table["source"]) == {"Table 1" if partner == "state" else "Table 2"}
    assert set(table["base"]) == {"row: NGOs giving this quality rating to this partner"}
    assert table["percent"].dtype == "float64"
    assert table["quality_score"].dtype == "int64"
    assert table["frequency_rank"].dtype == "int64"


@pytest.mark.parametrize("partner", ["state", "business"])
def test_row_sums_are_as_printed(partner: str) -> None:
    by_hand = [
        sum(PRINTED[partner][(q, f)] for f in FREQUENCY_CODES[partner]) for q in QUALITY_CODES
    ]
    assert by_hand == ROW_SUMS[partner]
    assert article.table_matrix(partner).sum(axis=1).tolist() == ROW_SUMS[partner]


@pytest.mark.parametrize("partner", ["state", "business"])
def test_table_matrix_is_the_printed_grid(partner: str) -> None:
    grid = article.table_matrix(partner)
    assert grid.index.tolist() == QUALITY_CODES
    assert grid.columns.tolist() == FREQUENCY_CODES[partner]
    assert grid.index.name == "quality"
    assert grid.columns.name == "frequency"
    for (quality, frequency), value in PRINTED[partner].items():
        assert grid.loc[quality, frequency] == value


@pytest.mark.parametrize("bad", ["State", "table1", "ngo", None, 1])
def test_table_matrix_rejects_unknown_partner(bad: object) -> None:
    with pytest.raises(DataError, match=r"partner=.* is not one of 'state', 'business'"):
        article.table_matrix(bad)  # type: ignore[arg-type]


def test_figure3_curves_follow_from_table1(figures: pd.DataFrame) -> None:
    grid = article.table_matrix("state")
    negative = grid.loc[["definitely_bad", "rather_bad"]].sum()
    positive = grid.loc[["rather_good", "definitely_good"]].sum()
    # 30+31, 33+23, 13+18, 10+13, 14+15 and 3+2, 5+29, 27+23, 33+25, 32+21, by hand.
    assert negative.tolist() == [61, 56, 31, 23, 29]
    assert positive.tolist() == [5, 34, 50, 58, 53]
    # "the sum of the percentages is 200"
    assert negative.sum() == positive.sum() == figures.loc["figure3_curve_sum", "value"] == 200


def test_figure4_quantities_follow_from_table2(figures: pd.DataFrame) -> None:
    grid = article.table_matrix("business")
    complex_ = grid.loc[["definitely_bad", "rather_bad"]].sum()
    positive = grid.loc[["rather_good", "definitely_good"]].sum()
    assert complex_.tolist() == [60, 17, 50, 40, 33]
    assert positive.tolist() == [38, 72, 23, 31, 36]
    frequent = ["annually", "regular"]
    # The Conclusions' 33.5% and 36.5% for "frequent contacts" match these means.
    assert positive[frequent].mean() == figures.loc["positive_business_frequent_contacts", "value"]
    assert complex_[frequent].mean() == figures.loc["complex_business_frequent_contacts", "value"]


def test_varying_success_breakdown_against_table2_row3(figures: pd.DataFrame) -> None:
    row = article.table_matrix("business").loc["mixed"]
    assert (
        figures.loc["mixed_business_no_contracts", "value"]
        == 13
        == (row["none_or_negotiating"] + row["single_contact"])
    )
    assert figures.loc["mixed_business_two_three_contracts", "value"] == row["two_three_contacts"]
    assert figures.loc["mixed_business_annually", "value"] == row["annually"]
    assert figures.loc["mixed_business_two_per_year", "value"] == row["regular"]
    assert "contracts" in figures.loc["mixed_business_no_contracts", "note"]


# ---------------------------------------------------------------------------------------------
# Table 3


def test_every_cell_of_table3_is_as_printed() -> None:
    table = article.table3()
    assert len(table) == 12
    for row in table.itertuples():
        printed = TABLE3_PRINTED[(str(row.action), str(row.measure))]
        assert row.percent_printed == printed
        assert row.percent == float(printed.replace(",", "."))
    assert {(str(a), str(m)) for a, m in zip(table["action"], table["measure"], strict=True)} == (
        set(TABLE3_PRINTED)
    )


def test_table3_labels_order_and_bases() -> None:
    table = article.table3()
    assert table["action"].cat.ordered
    assert table["action"].cat.categories.tolist() == list(article.TABLE3_ACTIONS)
    assert table["measure"].cat.categories.tolist() == list(article.TABLE3_MEASURES)
    actions = table.drop_duplicates("action").sort_values("action_order")
    assert actions["action_label"].tolist() == TABLE3_ROW_LABELS
    measures = table.drop_duplicates("measure").sort_values("measure_order")
    assert measures["measure_label"].tolist() == TABLE3_COLUMN_LABELS
    share = table["measure"] == "share_of_all_ngos"
    assert set(table.loc[share, "base"]) == {"all surveyed NGOs (N = 245)"}
    assert table.loc[~share, "base"].str.startswith("row: NGOs that ").all()
    mailers = table.loc[~share & (table["action"] == "send_mailings"), "base"]
    assert set(mailers) == {"row: NGOs that send mailings"}
    assert set(table["source"]) == {"Table 3"}


def test_text_figures_about_table3_equal_its_cells(figures: pd.DataFrame) -> None:
    cell_of = {
        "table3_send_mailings_share": ("send_mailings", "share_of_all_ngos"),
        "table3_organise_trainings_share": ("organise_trainings", "share_of_all_ngos"),
        "table3_initiate_co_executors_share": ("initiate_co_executors", "share_of_all_ngos"),
        "table3_send_mailings_receive_newsletters": ("send_mailings", "receive_newsletters"),
        "table3_send_mailings_participate_in_trainings": (
            "send_mailings",
            "participate_in_trainings",
        ),
        "table3_send_mailings_participate_as_co_executors": (
            "send_mailings",
            "participate_as_co_executors",
        ),
        "table3_organise_trainings_participate_in_trainings": (
            "organise_trainings",
            "participate_in_trainings",
        ),
        "table3_initiate_co_executors_participate_as_co_executors": (
            "initiate_co_executors",
            "participate_as_co_executors",
        ),
    }
    cells = article.table3().set_index(["action", "measure"])["percent"]
    linked = figures[figures["quantity"].str.startswith("table3_")]
    assert set(linked["quantity"]) == set(cell_of)
    assert len(linked) == 14
    for figure_id, row in linked.iterrows():
        assert row["value"] == cells.loc[cell_of[row["quantity"]]], figure_id
        assert row["refers_to"] == "Table 3", figure_id


# ---------------------------------------------------------------------------------------------
# Text figures


def test_every_text_figure_is_as_printed(figures: pd.DataFrame) -> None:
    assert set(figures.index) == set(TEXT_PRINTED)
    assert figures.index.is_unique
    for figure_id, (value, unit, printed, partner) in TEXT_PRINTED.items():
        row = figures.loc[figure_id]
        assert row["value"] == value, figure_id
        assert row["unit"] == unit, figure_id
        assert row["value_printed"] == printed, figure_id
        if partner is None:
            assert pd.isna(row["partner"]), figure_id
        else:
            assert row["partner"] == partner, figure_id


def test_every_text_figure_has_source_wording_and_base(figures: pd.DataFrame) -> None:
    for column in ["quantity", "section", "wording", "base", "value_printed", "qualifier"]:
        text = figures[column]
        assert text.notna().all() and (text.str.strip() != "").all(), column
    assert set(figures["section"]) <= SECTIONS
    assert all(re.fullmatch(r"[a-z0-9_]+", f) for f in figures.index)
    for figure_id, row in figures.iterrows():
        assert row["value_printed"] in row["wording"], figure_id
        assert math.isfinite(row["value"]), figure_id


def test_pinned_wordings_are_verbatim(figures: pd.DataFrame) -> None:
    for figure_id, wording in WORDING_PRINTED.items():
        assert figures.loc[figure_id, "wording"] == wording


def test_numeric_printed_values_parse_to_value(figures: pd.DataFrame) -> None:
    numeric = figures[figures["value_printed"].str.fullmatch(r"[0-9][0-9,.]*%?")]
    assert len(numeric) > 60
    for figure_id, row in numeric.iterrows():
        parsed = float(row["value_printed"].rstrip("%").replace(",", ""))
        assert parsed == row["value"], figure_id


def test_qualified_statements(figures: pd.DataFrame) -> None:
    expected = {
        "positive_state_to_business_ratio_abstract": "almost",
        "activity_areas_most_common": "at_least",
        "target_group_other": "less_than",
        "key_partner_ngo_results": "about",
        "association_membership_results": "about",
        "association_membership_conclusions": "about",
        "stable_network_links_lower": "range_lower",
        "stable_network_links_upper": "range_upper",
        "positive_state_discussion": "more_than",
        "positive_state_conclusions": "more_than",
        "positive_state_frequent_subgroups": "more_than",
        "business_no_contact_conclusions": "almost",
    }
    for figure_id, qualifier in expected.items():
        assert figures.loc[figure_id, "qualifier"] == qualifier, figure_id
    others = figures.drop(index=list(expected))
    assert set(others["qualifier"]) == {"exact"}
    assert "every second" in figures.loc["association_membership_results", "note"].lower()


def test_ambiguities_are_noted(figures: pd.DataFrame) -> None:
    for figure_id in ["positive_state_results", "positive_state_sample"]:
        assert "56%" in figures.loc[figure_id, "note"]
        assert "73.1%" in figures.loc[figure_id, "note"]
    for figure_id in ["positive_business_results", "positive_business_conclusions_32"]:
        assert "34%" in figures.loc[figure_id, "note"]
        assert "32%" in figures.loc[figure_id, "note"]
    assert "13 = 2 + 11" in figures.loc["mixed_business_no_contracts", "note"]


def test_repeated_statements_share_a_quantity(figures: pd.DataFrame) -> None:
    groups = figures.groupby("quantity")["value"]
    assert sorted(figures.loc[figures["quantity"] == "positive_share_state", "value"]) == [
        50,
        50,
        56,
        73.1,
    ]
    assert sorted(figures.loc[figures["quantity"] == "positive_share_business", "value"]) == [
        32,
        34,
        34,
    ]
    for quantity in ["key_partner_state", "key_partner_ngo", "key_partner_business"]:
        assert groups.get_group(quantity).nunique() == 1
        assert len(groups.get_group(quantity)) == 2
    sample = figures.loc[figures["quantity"] == "sample_size", "value"]
    assert len(sample) == 8 and set(sample) == {article.SAMPLE_SIZE}
    regions = figures.loc[figures["quantity"] == "sample_regions", "value"]
    assert set(regions) == {len(article.SAMPLE_REGIONS)}


def test_figure1_shares_sum_to_100(figures: pd.DataFrame) -> None:
    legal = figures[figures.index.str.startswith("legal_form_")]["value"]
    regions = figures[figures.index.str.startswith("region_share_")]["value"]
    assert sorted(legal) == [8, 15, 27, 50] and legal.sum() == 100
    assert sorted(regions) == [13, 15, 17, 19, 36] and regions.sum() == 100


# ---------------------------------------------------------------------------------------------
# Constants and regions


def test_constants() -> None:
    assert article.SAMPLE_SIZE == 245
    assert article.REGISTERED_NGOS == 18306
    assert article.PARTNERS == ("state", "business")
    assert list(article.QUALITY_LEVELS) == QUALITY_CODES
    assert {k: list(v) for k, v in article.FREQUENCY_LEVELS.items()} == FREQUENCY_CODES
    assert list(article.SAMPLE_REGIONS) == [
        "nur_sultan",
        "almaty",
        "karaganda_region",
        "east_kazakhstan_region",
        "almaty_region",
        "kostanay_region",
    ]
    assert [article.REGION_LABELS[r] for r in article.SAMPLE_REGIONS] == REGIONS_PRINTED


def test_sample_regions_as_printed() -> None:
    regions = article.sample_regions()
    assert regions["region"].astype(str).tolist() == list(article.SAMPLE_REGIONS)
    assert regions["label"].tolist() == REGIONS_PRINTED
    assert regions["label_figure4"].tolist() == ["Nur-Sultan", *REGIONS_PRINTED[1:]]
    assert regions["region_order"].tolist() == [1, 2, 3, 4, 5, 6]


# ---------------------------------------------------------------------------------------------
# datapackage.json


def _csv_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_datapackage_describes_every_csv_and_column() -> None:
    folder = article.data_dir()
    package = article.datapackage()
    paths = [resource["path"] for resource in package["resources"]]
    assert sorted(paths) == sorted(p.name for p in folder.glob("*.csv"))
    for resource in package["resources"]:
        path = folder / resource["path"]
        assert path.is_file(), resource["path"]
        frame = _csv_text(path)
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == frame.columns.tolist(), resource["name"]
        assert set(resource["schema"]["primaryKey"]) <= set(frame.columns)
        assert not frame.duplicated(resource["schema"]["primaryKey"]).any()
        for field in fields:
            assert field.get("title") and field.get("description"), field["name"]
            values = frame[field["name"]]
            present = values[values != ""]
            if field["constraints"].get("required"):
                assert len(present) == len(values), (resource["name"], field["name"])
            if field["type"] == "integer":
                assert present.str.fullmatch(r"-?[0-9]+").all(), field["name"]
            if field["type"] == "number":
                pd.to_numeric(present, errors="raise")


def test_datapackage_enums_equal_the_levels_in_the_csv() -> None:
    folder = article.data_dir()
    for resource in article.datapackage()["resources"]:
        frame = _csv_text(folder / resource["path"])
        for field in resource["schema"]["fields"]:
            enum = field["constraints"].get("enum")
            if field.get("ordered"):
                assert field["levels"] == (enum or field["levels"]), field["name"]
            if enum is None:
                continue
            values = frame[field["name"]]
            present = list(dict.fromkeys(values[values != ""]))
            assert sorted(present) == sorted(enum), (resource["name"], field["name"])


def test_datapackage_levels_match_the_codes() -> None:
    resources = {r["name"]: r for r in article.datapackage()["resources"]}
    expect = {
        ("table1_state", "quality"): QUALITY_CODES,
        ("table1_state", "frequency"): FREQUENCY_CODES["state"],
        ("table1_state", "quality_label"): QUALITY_PRINTED["state"],
        ("table1_state", "frequency_label"): FREQUENCY_PRINTED["state"],
        ("table2_business", "quality"): QUALITY_CODES,
        ("table2_business", "frequency"): FREQUENCY_CODES["business"],
        ("table2_business", "quality_label"): QUALITY_PRINTED["business"],
        ("table2_business", "frequency_label"): FREQUENCY_PRINTED["business"],
        ("table3_within_sector", "action_label"): TABLE3_ROW_LABELS,
        ("table3_within_sector", "measure_label"): TABLE3_COLUMN_LABELS,
    }
    for (name, column), levels in expect.items():
        field = next(f for f in resources[name]["schema"]["fields"] if f["name"] == column)
        assert field["ordered"] is True
        assert field["levels"] == levels == field["constraints"]["enum"]
    for name in ["table1_state", "table2_business", "table3_within_sector"]:
        percent = next(f for f in resources[name]["schema"]["fields"] if f["name"] == "percent")
        assert percent["unit"] == "percent" and percent["base"]


# ---------------------------------------------------------------------------------------------
# Fresh copies, data location, corrupted copies, light import


def test_frames_are_fresh_copies() -> None:
    first = article.table1()
    first.loc[0, "percent"] = -1.0
    first["quality_label"] = "changed"
    assert article.table1().loc[0, "percent"] == 30.0
    assert article.table1()["quality_label"].iloc[0] == "Definitely strained (tense) relations"
    grid = article.table_matrix("business")
    grid.iloc[0, 0] = -1.0
    assert article.table_matrix("business").iloc[0, 0] == 19.0
    t3 = article.table3()
    t3["percent"] = 0.0
    assert article.table3()["percent"].iloc[0] == 64.2
    text = article.text_figures()
    text.loc[0, "value"] = -1.0
    assert article.text_figures()["value"].iloc[0] == 245
    package = article.datapackage()
    package["resources"].clear()
    assert len(article.datapackage()["resources"]) == 5


def _copy_data(target: Path) -> Path:
    shutil.copytree(article.data_dir(), target)
    return target


def test_env_var_points_at_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_data(tmp_path / "data" / "article")
    monkeypatch.setenv(article.DATA_ENV_VAR, str(tmp_path / "data"))
    assert article.data_dir() == copy
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    assert article.data_dir() == copy
    assert article.table_matrix("state").loc["mixed", "once_a_year"] == 43


def test_env_var_without_data_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(article.DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(DataError, match=r"INTERACTMODEL_DATA=.* holds no article data") as info:
        article.table1()
    assert str(tmp_path / "article" / "datapackage.json") in str(info.value)
    assert str(Path(article.__file__).resolve().parents[2] / "data" / "article") in str(info.value)


def test_missing_repository_data_names_both_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(article.DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(article, "_REPO_DATA", tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"INTERACTMODEL_DATA is not set and .*nowhere"):
        article.data_dir()


def test_missing_csv_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_data(tmp_path / "article")
    (copy / "table3_within_sector.csv").unlink()
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    with pytest.raises(DataError, match=r"table3_within_sector.csv is missing from"):
        article.table3()


def test_corrupted_code_is_a_schema_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_data(tmp_path / "article")
    path = copy / "table1_state.csv"
    path.write_text(path.read_text().replace(",definitely_bad,", ",awful,", 1))
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    with pytest.raises(SchemaError, match=r"Column 'quality' of table1_state.csv holds 'awful'"):
        article.table1()


def test_mismatched_label_is_a_schema_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy_data(tmp_path / "article")
    path = copy / "table2_business.csv"
    path.write_text(path.read_text().replace("Definitely difficult", "Very difficult", 1))
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    with pytest.raises(SchemaError, match=r"Column 'quality_label' .* 'Very difficult'"):
        article.table2()


def test_non_numeric_percent_is_a_schema_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy_data(tmp_path / "article")
    path = copy / "table3_within_sector.csv"
    path.write_text(path.read_text().replace(",64.2,", ",64.2x,", 1))
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    with pytest.raises(SchemaError, match=r"Column 'percent' .* '64.2x', which are not numbers"):
        article.table3()


def test_invalid_datapackage_json_is_a_schema_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _copy_data(tmp_path / "article")
    (copy / "datapackage.json").write_text("{not json")
    monkeypatch.setenv(article.DATA_ENV_VAR, str(copy))
    with pytest.raises(SchemaError, match=r"datapackage.json is not valid JSON"):
        article.datapackage()


def test_datapackage_json_parses_with_the_standard_library() -> None:
    raw = (article.data_dir() / "datapackage.json").read_text(encoding="utf-8")
    assert json.loads(raw) == article.datapackage()


def test_import_is_light_and_lazy() -> None:
    code = (
        "import sys, interactmodel.article as a\n"
        "heavy = [m for m in ('scipy', 'statsmodels', 'pymc', 'matplotlib', 'jax') "
        "if m in sys.modules]\n"
        "print(heavy, a._read_csv.cache_info().currsize)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[] 0"
