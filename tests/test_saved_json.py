"""The JSON values of saved fits (interactmodel.saved_json): floats bit for bit, the non-finite
floats JSON lacks, and clear errors for what is not JSON data or not the expected entry."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from interactmodel.errors import SavedFitError
from interactmodel.saved_json import from_json, get_entry, read_json, to_json, write_json


def test_values_round_trip_through_a_file(tmp_path: Path) -> None:
    values = [0.1, 1 / 3, np.float32(0.2), np.int64(7), np.bool_(True), np.nan, np.inf, -np.inf]
    record = {"values": to_json(np.array(values[:2]), "a") + to_json(values[2:], "b")}
    write_json(tmp_path / "r.json", record)
    back = from_json(read_json(tmp_path, "r.json")["values"])
    assert back[:5] == [0.1, 1 / 3, float(np.float32(0.2)), 7, True]
    assert math.isnan(back[5]) and back[6:] == [math.inf, -math.inf]
    assert [type(v) for v in back[3:5]] == [int, bool]


def test_what_is_not_json_data_is_refused() -> None:
    with pytest.raises(SavedFitError, match=r"cannot save seeds: its keys 1 are not strings"):
        to_json({1: 2}, "seeds")
    with pytest.raises(SavedFitError, match=r"cannot save meta\['f'\]: a set .* is not plain"):
        to_json({"f": {1}}, "meta")


def test_entries_are_checked(tmp_path: Path) -> None:
    file = tmp_path / "r.json"
    record = {"n": 3, "flag": True, "x": 2}
    assert get_entry(record, "x", float, file) == 2.0
    with pytest.raises(SavedFitError, match=r"r.json is corrupt: the entry 'flag' is True, not"):
        get_entry(record, "flag", int, file)
    with pytest.raises(SavedFitError, match="the entry 'm' is missing"):
        get_entry(record, "m", int, file)


def test_read_json_needs_an_object(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps([1, 2]))
    with pytest.raises(SavedFitError, match="r.json is corrupt: it holds a JSON list, not an obj"):
        read_json(tmp_path, "r.json")
    with pytest.raises(SavedFitError, match="has no other.json, so it is not a complete saved"):
        read_json(tmp_path, "other.json")
