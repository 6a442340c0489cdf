"""Terminal tables that fit 80 columns with Chinese names (cells counted, not characters)."""

from __future__ import annotations

import pandas as pd

from fieldsurvey.cli._tables import cells, fit, progress_lines


def test_cells_and_fit_count_wide_characters() -> None:
    assert cells("社区") == 4 and cells("abc") == 3 and cells("ａ") == 2
    cut = fit("滨江花园社区", 9)
    assert cells(cut) == 9 and cut.startswith("滨江花园") and "…" in cut
    assert fit("湖光社区", 9) == "湖光社区 "  # padded to 9 cells
    assert fit("12", 5, right=True) == "   12"


def _table(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "community_id": [f"3401990010{k:02d}" for k in range(n)] + ["(all)"],
        "interviewer": ["int01"] * n + ["(all)"],
        **{c: [123] * (n + 1) for c in ("issued", "attempted", "completed", "partial",
                                         "refused", "non_contact", "other", "unknown",
                                         "ineligible", "not_attempted")},
        "response_rate": [0.7434] * (n + 1),
    })


def test_progress_fits_80_columns_with_names() -> None:
    t = _table(3)
    names = {"340199001000": "经济技术开发区第一工业园区社区", "340199001001": "东关社区",
             "340199001002": "Riverside Garden Community Neighbourhood"}
    lines = progress_lines(t, names)
    assert max(cells(line) for line in lines) <= 80
    assert lines[1].startswith("经济技术开发区") and "…" in lines[1]
    assert lines[2].startswith("东关社区 ")
    assert "74.3" in lines[1] and lines[-1].startswith("all")
    wide = progress_lines(t, names, wide=True)
    assert "经济技术开发区第一工业园区社区 340199001000" in wide[1]  # nothing cut
    assert max(cells(line) for line in wide) > 80
    # every row's numbers start at the same cell
    pos = {cells(line[: line.index(" 123 ")]) for line in lines[1:]}
    assert len(pos) == 1
