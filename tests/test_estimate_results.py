"""Result rows and tables: frozen, concatenable, DataFrame and JSON forms."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from fieldsurvey.estimate import Estimate, EstimateTable
from fieldsurvey.estimate.results import COLUMNS


def table() -> EstimateTable:
    a = Estimate("api00", "mean", 650.0, 9.5, 631.4, 668.6, 1.2, 200)
    b = Estimate("api00", "quantile", 652.0, 12.0, 630.0, 680.0, None, 200, "类型=E", "0.5",
                 by=(("类型", "E"),))
    c = Estimate("stype", "prop", 0.5, float("nan"), float("nan"), float("nan"), None, 10, None, "E")
    return EstimateTable((a, b, c))


def test_rows_are_frozen() -> None:
    t = table()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t[0].estimate = 1.0  # type: ignore[misc]
    assert len(t) == 3 and list(t)[1].level == "0.5"
    assert isinstance(t[1:], EstimateTable) and len(t[1:]) == 2


def test_get_and_concat() -> None:
    t = table()
    assert t.get("api00", "quantile", domain="类型=E").estimate == 652.0
    with pytest.raises(KeyError):
        t.get("api00", domain="nowhere")
    both = t + EstimateTable((), "jk1")
    assert len(both) == 3 and both.method == "mixed"


def test_frame_has_columns_and_by_variables() -> None:
    f = table().to_frame()
    assert list(f.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert f.loc[1, "类型"] == "E" and f.loc[0, "n"] == 200


def test_json_rows_with_nulls() -> None:
    rows = json.loads(table().to_json())
    assert [list(r) for r in rows] == [list(COLUMNS)] * 3
    assert rows[2]["se"] is None and rows[1]["deff"] is None and rows[1]["domain"] == "类型=E"
    assert "类型" in table().to_json()  # not \\u-escaped
    assert math.isclose(rows[0]["estimate"], 650.0)
