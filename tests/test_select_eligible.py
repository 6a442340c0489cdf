"""The eligibility filter language: what it accepts, and that it never evaluates code."""

from __future__ import annotations

import pandas as pd
import pytest

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.eligible import eligible_mask

FRAME = pd.DataFrame({
    "status": ["occupied", "vacant", "occupied", None, "unknown"],
    "floor": [1, 5, 12, 3, 30],
    "type": ["商业小区", "单位小区", "无物业楼院", "商业小区", "单位小区"],
})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (None, [True] * 5),
        ("status == 'occupied'", [True, False, True, False, False]),
        ("status != 'vacant'", [True, False, True, True, True]),
        ("status in ('occupied', 'unknown')", [True, False, True, False, True]),
        ("status not in ['occupied']", [False, True, False, True, True]),
        ("floor <= 5 and status == 'occupied'", [True, False, False, False, False]),
        ("floor > 10 or type == '商业小区'", [True, False, True, True, True]),
        ("not (floor < 10)", [False, False, True, False, True]),
        ("1 < floor <= 12", [False, True, True, True, False]),
        ("status == None", [False, False, False, True, False]),
        ("status != None and floor >= -1", [True, True, True, False, True]),
    ],
)
def test_expressions(expr: str | None, expected: list[bool]) -> None:
    assert eligible_mask(FRAME, expr).tolist() == expected


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('echo hacked')",
        "status.upper() == 'X'",
        "FRAME",
        "status",
        "status == 'occupied' +",
        "floor + 1 > 3",
        "lambda: 1",
        "[x for x in status]",
        "status in floor",
        "'a' == 'b'",
        "floor < None",
        "floor > 'high'",
        "status in ('a', floor)",
        "status == ('a', 'b')",
    ],
)
def test_rejected(expr: str) -> None:
    with pytest.raises(DesignError) as exc:
        eligible_mask(FRAME, expr)
    assert exc.value.field == "stage2.eligible"


def test_unknown_column_lists_columns() -> None:
    with pytest.raises(DesignError) as exc:
        eligible_mask(FRAME, "statu == 'occupied'")
    assert exc.value.got == "statu" and "status" in (exc.value.expected or "")
