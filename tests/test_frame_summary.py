"""``frame summary`` fits 80 columns with names, cut by display width; ``--wide`` shows all
(issue 20 item 5)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from _framekit import communities, listing, write_csv, write_geojson

from fieldsurvey.cli.frame import fit, text_width
from fieldsurvey.cli.main import main


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def test_fit_counts_wide_characters() -> None:
    assert text_width("东风社区ab") == 10
    assert fit("乌鲁木齐市天山区东门街道社区", 14) == "乌鲁木齐市天… "
    assert text_width(fit("乌鲁木齐市天山区东门街道社区", 14)) == 14
    assert fit("C1", 5) == "C1   "


def test_summary_fits_80_columns_and_wide_shows_everything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = communities()
    b["community_id"] = ["650102001001001", "650102001001002", "650102001001003", "C4"]
    b["name"] = ["乌鲁木齐市天山区东门街道幸福路社区", "向阳社区", "Xiangyang Road Community", "和平"]
    lst = listing()
    lst["community_id"] = lst["community_id"].map(dict(zip(["C1", "C2", "C3"], b["community_id"], strict=False)))
    out = tmp_path / "f.parquet"
    assert main(["frame", "build", "--boundaries", str(write_geojson(b, tmp_path / "b.geojson")),
                 "--dwellings", str(write_csv(lst, tmp_path / "l.csv")), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["frame", "summary", "--frame", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(_width(line) <= 80 for line in lines)
    rows = lines[1:5]
    assert len({_width(r) for r in rows}) == 1  # columns line up whatever the names
    assert "乌鲁木齐市天…" in lines[1] and "65010200100…" in lines[1]
    assert main(["frame", "summary", "--frame", str(out), "--wide"]) == 0
    wide = capsys.readouterr().out.splitlines()
    assert "乌鲁木齐市天山区东门街道幸福路社区" in wide[1] and "650102001001001" in wide[1]
    assert len({_width(r) for r in wide[1:5]}) == 1
