"""Property-based tests (hypothesis): collapsing rows to cells changes nothing.

* The maximum-likelihood fit of the rows equals the fit of the collapsed counts given as
  frequency weights, whatever the order of the rows and however a count is split into rows.
* ``build_design``'s cell counts equal a brute-force tally of the rows, cell by cell.
* The survey reader reads a random valid survey back from Parquet (the CSV round trip is in
  tests/test_survey.py, whose strategy is reused here).

Examples are few (20-30) and each property runs in a few seconds; ``deadline=None`` because
the first example pays for imports.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interactmodel.design import build_design
from interactmodel.spec import OrdinalModel
from interactmodel.survey import read_survey
from tests.test_survey import surveys

OUTCOME = ["low", "mid", "high", "top"]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- collapsing the fit


@st.composite
def cell_counts(draw):
    """Cells of a factor ``g`` and a number ``x`` with a count of every outcome level.

    Every cell has every outcome at least once, so no predictor separates the outcome and
    the maximum-likelihood estimate is finite and unique.
    """
    n_groups = draw(st.integers(2, 3))
    xs = draw(st.lists(st.sampled_from([-1.0, 0.0, 0.5, 2.0]), min_size=2, max_size=3, unique=True))
    n_levels = draw(st.integers(3, 4))
    cells = [(f"g{i}", x) for i in range(n_groups) for x in xs]
    counts = draw(
        st.lists(
            st.lists(st.integers(1, 4), min_size=n_levels, max_size=n_levels),
            min_size=len(cells),
            max_size=len(cells),
        )
    )
    rows = [
        (g, x, OUTCOME[k], count)
        for (g, x), per_level in zip(cells, counts, strict=True)
        for k, count in enumerate(per_level)
    ]
    return pd.DataFrame(rows, columns=["g", "x", "quality", "count"]), OUTCOME[:n_levels]


def _outcome(frame: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    return frame.assign(quality=pd.Categorical(frame["quality"], levels, ordered=True))


def _split(count: int, cuts: list[float]) -> list[float]:
    """``count`` as several positive parts (multiples of 1/4, so their sum is exact)."""
    edges = sorted({round(c * count * 4) / 4 for c in cuts if 0 < round(c * count * 4) < 4 * count})
    bounds = [0.0, *edges, float(count)]
    return [hi - lo for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _fit(frame: pd.DataFrame, link: str, weights: str | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a convergence warning would make the property vacuous
        return OrdinalModel("quality ~ g + x", link=link).fit(frame, weights=weights)


@SETTINGS
@given(
    data=cell_counts(),
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.floats(0, 1)),
    link=st.sampled_from(["logit", "probit", "cloglog"]),
)
def test_fit_of_rows_equals_fit_of_collapsed_counts(data, seed, cuts, link):
    collapsed, levels = data
    collapsed = _outcome(collapsed, levels)
    rng = np.random.default_rng(seed)
    rows = collapsed.loc[collapsed.index.repeat(collapsed["count"])].drop(columns="count")
    rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)
    pieces = []
    for record in collapsed.itertuples(index=False):
        for part in _split(record.count, cuts):
            pieces.append({"g": record.g, "x": record.x, "quality": record.quality, "w": part})
    split = _outcome(pd.DataFrame(pieces), levels)
    split = split.iloc[rng.permutation(len(split))].reset_index(drop=True)

    reference = _fit(collapsed, link, weights="count")
    for other in (_fit(rows, link), _fit(split, link, weights="w")):
        assert list(other.params.index) == list(reference.params.index)
        np.testing.assert_allclose(other.params, reference.params, rtol=0, atol=1e-8)
        assert other.loglik == pytest.approx(reference.loglik, rel=0, abs=1e-8)
        assert other.nobs == reference.nobs == collapsed["count"].sum()


# --------------------------------------------------------------------------- cell counts


@st.composite
def weighted_frames(draw):
    """Rows with a text factor, a categorical, an integer, a weight (some 0) and an outcome."""
    n = draw(st.integers(2, 40))
    levels = ["a", "b", "c"]

    def column(elements):
        return draw(st.lists(elements, min_size=n, max_size=n))

    frame = pd.DataFrame(
        {
            "y": pd.Categorical(column(st.sampled_from(levels)), levels, ordered=True),
            "text": pd.array(column(st.sampled_from(["p", "q", "Q"])), dtype="string"),
            "cat": pd.Categorical(column(st.sampled_from(["u", "v"])), ["v", "u", "w"]),
            "k": np.array(column(st.integers(-2, 2)), dtype=np.int64),
            "w": np.array(column(st.sampled_from([0.0, 0.5, 1.0, 3.0])), dtype=float),
        }
    )
    # keep at least two outcome levels with positive weight, as a fit needs
    frame.loc[0, ["y", "w"]] = ["a", 1.0]
    frame.loc[1, ["y", "w"]] = ["c", 2.0]
    return frame


@SETTINGS
@given(frame=weighted_frames())
def test_design_counts_equal_a_brute_force_tally(frame):
    before = frame.copy(deep=True)
    design = build_design("y ~ text + cat + k", frame, weights="w")
    pd.testing.assert_frame_equal(frame, before)
    variables = ["text", "cat", "k"]

    def key(values) -> tuple:
        return tuple(str(v) for v in values)

    tally: dict[tuple, np.ndarray] = {}
    for row in frame.itertuples(index=False):
        if row.w > 0:
            cell = tally.setdefault(key([row.text, row.cat, row.k]), np.zeros(3))
            cell[["a", "b", "c"].index(row.y)] += row.w
    found = {
        key(values): design.counts[i]
        for i, values in enumerate(design.cells[variables].itertuples(index=False))
    }
    assert found.keys() == tally.keys()
    for cell, counts in tally.items():
        np.testing.assert_array_equal(found[cell], counts)
    assert design.nobs == frame["w"].sum()
    # each kept row points at the cell with its own values; rows of weight 0 point nowhere
    for i, row in enumerate(frame.itertuples(index=False)):
        if row.w > 0:
            assert key(design.cells[variables].iloc[design.row_cell[i]]) == key(
                [row.text, row.cat, row.k]
            )
        else:
            assert design.row_cell[i] == -1


# --------------------------------------------------------------------------- survey reader


@SETTINGS
@given(surveys())
def test_parquet_round_trip_property(tmp_path, survey):
    frame, schema, expected = survey
    path = tmp_path / "roundtrip.parquet"
    frame.to_parquet(path, index=False)
    before = frame.copy(deep=True)
    result = read_survey(path, schema=schema)
    pd.testing.assert_frame_equal(result, expected)
    pd.testing.assert_frame_equal(frame, before)
