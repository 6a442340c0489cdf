"""``sample draw`` on communities tables shaped like real frames (built here, small).

Each case reproduces what was found on real public frames: Chinese headers in GBK, sizes
with thousands separators or stored as text in a workbook, empty and unreadable sizes,
a 合计 total row at the bottom, blank rows, rows without an id, repeated rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.sampling.design import load_design
from fieldsurvey.sampling.measure import parse_measure
from fieldsurvey.sampling.pps import inclusion_probabilities
from fieldsurvey.sampling.stage1 import plan_stage1

SIZES = [1200, 85, 4300, 230, 950, 310, 15000, 60, 45, 780, 150, 2200]
DESIGN = ('seed = 3\n[stratify]\nby = "街道"\n[stage1]\nmethod = "pps_systematic"\n'
          'id = "社区代码"\nsize = "户数"\nn = {{ 东街道 = {a}, 西街道 = {b} }}\n')


def _rows() -> list[list[object]]:
    return [[f"3401{i:04d}", f"社区{i}", "东街道" if i % 2 else "西街道", s]
            for i, s in enumerate(SIZES)]


def _want(n_east: int = 2, n_west: int = 3) -> dict[str, float]:
    rows = _rows()
    out: dict[str, float] = {}
    for h, n in (("东街道", n_east), ("西街道", n_west)):
        part = [r for r in rows if r[2] == h]
        pi = inclusion_probabilities(np.array([r[3] for r in part], dtype=float), n)
        out.update({str(r[0]): float(p) for r, p in zip(part, pi, strict=True)})
    return out


def _draw(tmp_path: Path, table: Path, capsys: pytest.CaptureFixture[str],
          a: int = 2, b: int = 3) -> tuple[int, pd.DataFrame | None, str]:
    (tmp_path / "d.toml").write_text(DESIGN.format(a=a, b=b), encoding="utf-8")
    out = tmp_path / "s"
    code = main(["sample", "draw", "--communities", str(table), "--id-field", "社区代码",
                 "--design", str(tmp_path / "d.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    if code:
        return code, None, err
    return code, pd.read_csv(f"{out}.csv", dtype={"community_id": str},
                             encoding="utf-8-sig"), err


def _write_csv(path: Path, rows: list[list[object]], encoding: str = "gbk") -> Path:
    lines = ["社区代码,社区名称,街道,户数"]
    for r in rows:
        size = r[3]
        cell = f'"{size:,}"' if isinstance(size, int) else ("" if size is None else str(size))
        lines.append(f"{r[0]},{r[1]},{r[2]},{cell}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "抽样框"
    ws.append(["社区代码", "社区名称", "街道", "户数"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_gbk_csv_with_thousands_separators_draws_the_right_pi(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _write_csv(tmp_path / "社区名单.csv", _rows())
    assert b'"15,000"' in table.read_bytes()
    code, sample, err = _draw(tmp_path, table, capsys)
    assert code == 0, err
    assert sample is not None and len(sample) == 5
    want = _want()
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(want), rtol=1e-12)
    assert "34010006" in set(sample["community_id"])  # 15,000 households: certainty
    assert sample.loc[sample["community_id"] == "34010006", "certainty"].item()


def test_workbook_sizes_as_text_and_numbers_mixed(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    rows[0][3] = "1,200"          # text with a separator
    rows[2][3] = "４３００"        # full-width digits
    rows[6][3] = "15 000"         # space as separator
    rows[9][3] = "780"            # a number stored as text
    code, sample, err = _draw(tmp_path, _write_xlsx(tmp_path / "f.xlsx", rows), capsys)
    assert code == 0, err
    assert sample is not None
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)


def test_parse_measure_forms() -> None:
    cells = pd.Series(["186,880", "186 880", "1'234", "１２，３４５", "1,23,456", " 42 ",
                       "1,234.5", "1\u00a0234", 7, 2.5, None, "", "约300", "-", "12,34"],
                      dtype=object)
    m = parse_measure(cells)
    np.testing.assert_array_equal(m.values[:10], [186880, 186880, 1234, 12345, 123456, 42,
                                                  1234.5, 1234, 7, 2.5])
    assert np.isnan(m.values[10:]).all()
    assert m.missing[10:12].all() and not m.missing[12:].any()
    assert m.unreadable[12:].all() and not m.unreadable[:12].any()


@pytest.mark.parametrize("size, words", [
    ("约300", ["'约300' at row 5", "not a number", "plain number"]),
    (None, ["empty or NA (row 5)", "Fill in the sizes"]),
    (0, ["zero (0 at row 5)", "zero_size"]),
])
def test_unusable_size_is_named_by_file_row(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            size: object, words: list[str]) -> None:
    rows = _rows()
    rows[3][3] = size
    code, _, err = _draw(tmp_path, _write_xlsx(tmp_path / "f.xlsx", rows), capsys)
    assert code == 2
    assert "Traceback" not in err and "f.xlsx" in err and "户数" in err
    for w in words:
        assert w in err


def test_total_row_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*_rows(), [None, None, None, None], ["合计", None, None, sum(SIZES)]]
    code, _, err = _draw(tmp_path, _write_xlsx(tmp_path / "f.xlsx", rows), capsys)
    assert code == 2
    assert "row 15 looks like a total row" in err and "'合计'" in err
    # a total without the word, its size the sum of the others, is refused as well
    d = load_design({"stage1": {"method": "pps_systematic", "id": "c", "size": "m", "n": 2}})
    table = pd.DataFrame({"c": list("abcdef") + ["g"], "m": [10, 20, 30, 40, 5, 5, 110]})
    with pytest.raises(Exception, match="total row"):
        plan_stage1(table, d)
    # a unit in the middle as large as all the others together is a unit
    table = pd.DataFrame({"c": list("abcdefg"), "m": [10, 20, 30, 110, 40, 5, 5]})
    assert sum(p.n for p in plan_stage1(table, d)) == 2


def test_blank_rows_are_skipped_and_missing_ids_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    with_blanks = [*rows[:4], [None] * 4, [None] * 4, *rows[4:], [None] * 4]
    code, sample, err = _draw(tmp_path, _write_xlsx(tmp_path / "b.xlsx", with_blanks),
                              capsys)
    assert code == 0, err
    assert sample is not None
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)
    rows[7][0] = None
    code, _, err = _draw(tmp_path, _write_xlsx(tmp_path / "n.xlsx", rows), capsys)
    assert code == 2 and "1 rows have no community id" in err and "row 9" in err


def test_repeated_rows_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*_rows(), list(_rows()[4])]
    code, _, err = _draw(tmp_path, _write_csv(tmp_path / "d.csv", rows, "utf-8"), capsys)
    assert code == 2
    assert "'34010004' appears twice" in err and "row 6, row 14" in err
    assert "identical" in err


def test_stratum_smaller_than_its_n(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _draw(tmp_path, _write_csv(tmp_path / "d.csv", _rows()), capsys, a=7)
    assert code == 2 and "东街道" in err and "at most 6" in err and "Traceback" not in err


def test_ids_and_strata_keep_leading_zeros_without_id_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [[f"00{i:04d}", f"村{i}", "01" if i % 2 else "02", s] for i, s in enumerate(SIZES)]
    table = _write_csv(tmp_path / "v.csv", rows, "utf-8")
    (tmp_path / "d.toml").write_text(
        'seed = 1\n[stratify]\nby = "街道"\n[stage1]\nmethod = "pps_brewer"\n'
        'id = "社区代码"\nsize = "户数"\nn = { "01" = 2, "02" = 2 }\n', encoding="utf-8")
    out = tmp_path / "s"
    assert main(["sample", "draw", "--communities", str(table), "--design",
                 str(tmp_path / "d.toml"), "--out", str(out)]) == 0
    sample = pd.read_csv(f"{out}.csv", dtype=str, encoding="utf-8-sig")
    assert sample["community_id"].str.match(r"^00\d{4}$").all()
    assert set(sample["stratum"]) == {"01", "02"}
    assert main(["sample", "simulate", "--communities", str(table), "--design",
                 str(tmp_path / "d.toml"), "--runs", "50", "--out", str(tmp_path / "sim.csv")]
                ) == 0
    sim = pd.read_csv(tmp_path / "sim.csv", dtype=str, encoding="utf-8-sig")
    assert set(sim["community_id"]) == {r[0] for r in rows}
    capsys.readouterr()


def test_boundary_file_fields_by_their_own_names(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    rows = _rows()
    gdf = gpd.GeoDataFrame(
        {"村代码": [r[0] for r in rows], "村名": [r[1] for r in rows],
         "街道": [r[2] for r in rows], "户数": [r[3] for r in rows]},
        geometry=[box(117 + i * 0.01, 31, 117.009 + i * 0.01, 31.01) for i in range(len(rows))],
        crs="EPSG:4326")
    path = tmp_path / "villages.geojson"
    gdf.to_file(path, driver="GeoJSON")
    (tmp_path / "d.toml").write_text(
        DESIGN.format(a=2, b=3).replace('id = "社区代码"', 'id = "村代码"')
        .replace('method = "pps_systematic"', 'method = "pps_systematic"\nsort = ["村名"]'),
        encoding="utf-8")
    out = tmp_path / "s"
    assert main(["sample", "draw", "--communities", str(path), "--design",
                 str(tmp_path / "d.toml"), "--out", str(out)]) == 0, capsys.readouterr().err
    sample = pd.read_csv(f"{out}.csv", dtype={"community_id": str}, encoding="utf-8-sig")
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)


def test_workbook_with_title_rows_and_merged_strata(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    rows = sorted(_rows(), key=lambda r: str(r[2]))
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["某区社区抽样框（2024年12月）"])
    ws.append(["单位：户"])
    ws.append(["社区代码", "社区名称", "街道", "户数"])
    for r in rows:
        ws.append(r)
    for h in ("东街道", "西街道"):
        at = [i + 4 for i, r in enumerate(rows) if r[2] == h]
        for i in at[1:]:
            ws.cell(i, 3).value = None
        ws.merge_cells(start_row=at[0], end_row=at[-1], start_column=3, end_column=3)
    wb.save(tmp_path / "f.xlsx")
    code, sample, err = _draw(tmp_path, tmp_path / "f.xlsx", capsys)
    assert code == 0, err
    assert sample is not None and len(sample) == 5
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)
    # an empty size below the titles is named by its spreadsheet row
    ws.cell(6, 4).value = None
    wb.save(tmp_path / "g.xlsx")
    code, _, err = _draw(tmp_path, tmp_path / "g.xlsx", capsys)
    assert code == 2 and "g.xlsx" in err and "empty or NA (row 6)" in err


def test_csv_with_a_title_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _write_csv(tmp_path / "t.csv", _rows())
    table.write_bytes("某区社区名单（单位：户）\r\n".encode("gbk") + table.read_bytes())
    code, sample, err = _draw(tmp_path, table, capsys)
    assert code == 0, err
    assert sample is not None
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)
    rows = _rows()
    rows[2][3] = "约300"
    bad = _write_csv(tmp_path / "u.csv", rows)
    bad.write_bytes("某区社区名单\r\n".encode("gbk") + bad.read_bytes())
    code, _, err = _draw(tmp_path, bad, capsys)
    assert code == 2 and "'约300' at row 5" in err  # title 1, header 2, rows 3, 4, 5


def test_workbook_with_a_notes_sheet_first(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["本表由各街道填报，户数以2024年底为准。"])
    ws = wb.create_sheet("社区名单")
    ws.append(["某区社区名单"])
    ws.append(["社区代码", "社区名称", "街道", "户数"])
    for r in _rows():
        ws.append(r)
    wb.save(tmp_path / "f.xlsx")
    code, sample, err = _draw(tmp_path, tmp_path / "f.xlsx", capsys)
    assert code == 0, err
    assert sample is not None
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)
    ws.cell(7, 4).value = "约300"
    wb.save(tmp_path / "g.xlsx")
    code, _, err = _draw(tmp_path, tmp_path / "g.xlsx", capsys)
    assert code == 2 and "sheet '社区名单'" in err and "'约300' at row 7" in err


def test_frame_option_keeps_the_design_id_as_text(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = [[f"00{i:04d}", f"村{i}", "东街道" if i % 2 else "西街道", s]
            for i, s in enumerate(SIZES)]
    table = _write_csv(tmp_path / "v.csv", rows, "utf-8")
    (tmp_path / "d.toml").write_text(DESIGN.format(a=2, b=2), encoding="utf-8")
    out = tmp_path / "s"
    assert main(["sample", "draw", "--frame", str(table), "--design",
                 str(tmp_path / "d.toml"), "--out", str(out)]) == 0
    sample = pd.read_csv(f"{out}.csv", dtype=str, encoding="utf-8-sig")
    assert len(sample) == 4 and sample["community_id"].str.match(r"^00\d{4}$").all()
    capsys.readouterr()


def test_semicolon_csv_with_dots_grouping_thousands(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["社区代码;社区名称;街道;户数"]
    for r in _rows():
        lines.append(f"{r[0]};{r[1]};{r[2]};{int(str(r[3])):,}".replace(",", "."))
    table = tmp_path / "eu.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "15.000" in table.read_text(encoding="utf-8")
    code, sample, err = _draw(tmp_path, table, capsys)
    assert code == 0, err
    assert sample is not None
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(_want()),
                               rtol=1e-12)
    # decimals to three places with no whole number beside them stay decimals
    m = parse_measure(pd.Series(["1.234", "5.678", "0.250"], dtype=object))
    np.testing.assert_array_equal(m.values, [1.234, 5.678, 0.25])
    m = parse_measure(pd.Series(["845", "1.234.567", "12.500"], dtype=object))
    np.testing.assert_array_equal(m.values, [845, 1234567, 12500])
