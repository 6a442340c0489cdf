"""One table reader: every verb accepts, or refuses with the same paragraph, the same file.

Each verb is given the table it reads (rates: dispositions, estimate: respondents, weights
calibrate: respondents, sample draw: communities, assign: the sample, report: the weights)
written as CSV, GBK CSV, XLSX, Parquet, an XLSX named ``.csv`` and a CSV named ``.xlsx``:
each run succeeds and gives the same result as the UTF-8 CSV. A damaged Parquet, a field
store named ``.csv``, an empty file and a header naming a column twice are refused by every
verb with the paragraph :func:`fieldsurvey.io.tables.read_table` writes, word for word.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.io.errors import ColumnError, EncodingError, FieldsurveyError, InputError
from fieldsurvey.io.tables import file_row, read_table, table_format

NAMES = ("幸福里社区", "和平路社区", "东湖新村", "滨江花园社区")


# ------------------------------------------------------------------------- the reader itself


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "community_id": ["001", "002", "010", "011"],
        "name": list(NAMES),
        "disposition": ["1.1", "2.10", "3.11", "4.7"],
        "w": [1.5, 2.0, np.nan, 4.25],
        "n": [1, 2, 3, 4],
    })


WRITERS: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None]]] = {
    "csv": ("t.csv", lambda d, p: d.to_csv(p, index=False)),
    "csv_bom": ("t.csv", lambda d, p: d.to_csv(p, index=False, encoding="utf-8-sig")),
    "gbk_csv": ("t.csv", lambda d, p: d.to_csv(p, index=False, encoding="gbk")),
    "tsv": ("t.txt", lambda d, p: d.to_csv(p, index=False, sep="\t")),
    "xlsx": ("t.xlsx", lambda d, p: d.to_excel(p, index=False)),
    "parquet": ("t.parquet", lambda d, p: d.to_parquet(p, index=False)),
    "xlsx_named_csv": ("t.csv", lambda d, p: d.to_excel(p.with_suffix(".tmp.xlsx"), index=False)
                       or p.with_suffix(".tmp.xlsx").rename(p)),
    "csv_named_xlsx": ("t.xlsx", lambda d, p: d.to_csv(p, index=False)),
    "parquet_named_csv": ("t.csv", lambda d, p: d.to_parquet(p, index=False)),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_format_reads_the_same_table(tmp_path: Path, kind: str) -> None:
    name, write = WRITERS[kind]
    path = tmp_path / name
    write(_table(), path)
    text = read_table(path, text=True)
    assert list(text.columns) == list(_table().columns)
    assert text["community_id"].tolist() == ["001", "002", "010", "011"]
    assert text["name"].tolist() == list(NAMES)
    assert text["w"].isna().tolist() == [False, False, True, False]
    assert pd.to_numeric(text["w"]).tolist()[:2] == [1.5, 2.0]
    parsed = read_table(path, text=("community_id",))
    assert parsed["community_id"].tolist() == ["001", "002", "010", "011"]
    assert parsed["n"].tolist() == [1, 2, 3, 4] and parsed["w"].iloc[3] == 4.25
    expected = {"xlsx": "xlsx", "xlsx_named_csv": "xlsx", "parquet": "parquet",
                "parquet_named_csv": "parquet"}.get(kind, "csv")
    assert table_format(path) == expected


def test_text_keeps_codes_and_only_empty_cells_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,note\n2.10,NA\n007,\n", encoding="utf-8")
    got = read_table(path, text=True)
    assert got["code"].tolist() == ["2.10", "007"]
    assert got["note"].iloc[0] == "NA" and pd.isna(got["note"].iloc[1])
    numbers = read_table(path)
    assert numbers["code"].tolist() == [2.1, 7.0] and numbers["note"].isna().all()


def test_a_semicolon_csv_and_utf16_text(tmp_path: Path) -> None:
    semi = tmp_path / "semi.csv"
    semi.write_text("a;b\n1;幸福\n", encoding="utf-8")
    assert read_table(semi).to_dict("list") == {"a": [1], "b": ["幸福"]}
    u16 = tmp_path / "unicode.txt"
    u16.write_bytes("a\tb\n1\t幸福\n".encode("utf-16"))
    assert read_table(u16).to_dict("list") == {"a": [1], "b": ["幸福"]}


def test_geometry_is_dropped_from_a_geoparquet(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame({"community_id": ["01"]}, geometry=[shapely.Point(114, 30)],
                           crs="EPSG:4326")
    gdf.to_parquet(tmp_path / "g.parquet")
    assert list(read_table(tmp_path / "g.parquet", text=True).columns) == ["community_id"]


@pytest.mark.parametrize(("content", "error", "message", "row"), [
    (b"a,b\n1,2\n3,4,5\n", InputError, "the CSV table cannot be parsed", 3),
    (b"a,b\n\xd0\xd2\xb8\xa3,1\n\xff\xfe,2\n", EncodingError, "not valid GBK", 3),
    (b"a,b,a\n1,2,3\n", ColumnError, "column 'a' appears twice", 1),
    (b"", InputError, "the file is empty", None),
    (b"\xef\xbb\xbf\r\n", InputError, "the file is empty", None),
    (b"PAR1" + bytes(64), InputError, "the Parquet file cannot be read", None),
    (b"PK\x03\x04" + bytes(64), InputError, "the Excel workbook cannot be read", None),
    (b"SQLite format 3\x00" + bytes(64), InputError, "this is an SQLite database", None),
    (b"%PDF-1.4\n", InputError, "this is a PDF document", None),
    (b'{"weights": [1]}', InputError, "this is a JSON file", None),
])
def test_refusals_name_the_file_and_the_spreadsheet_row(
        tmp_path: Path, content: bytes, error: type[FieldsurveyError], message: str,
        row: int | None) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(error, match=message) as exc:
        read_table(path)
    assert exc.value.file == str(path) and exc.value.row == row


def test_a_zip_that_is_not_a_workbook_and_a_text_file_of_another_kind(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.xlsx", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="a zip archive, not an Excel workbook"):
        read_table(tmp_path / "t.xlsx")
    (tmp_path / "c.dbf").write_text("x\n1\n")
    with pytest.raises(InputError, match="unsupported table format"):
        read_table(tmp_path / "c.dbf")
    with pytest.raises(InputError, match="the sample file does not exist"):
        read_table(tmp_path / "none.csv", what="sample file")
    with pytest.raises(InputError, match="this is a directory"):
        read_table(tmp_path)


def test_file_row_is_the_spreadsheet_row() -> None:
    assert file_row(0) == 2 and file_row(9) == 11


# ------------------------------------------------------------------------- every verb


@dataclass
class Verb:
    """How one verb is given a table, and what it produced from it."""

    name: str
    table: Callable[[Path], pd.DataFrame]
    argv: Callable[[Path, Path, Path], list[str]]  # (work dir, table, output dir) -> argv
    result: Callable[[Path, str], Any]  # (output dir, stdout) -> comparable result


def _cases(work: Path) -> pd.DataFrame:
    codes = ["1.1", "1.1", "2.10", "2.20", "3.11", "4.7", "1.1", "2.111"]
    return pd.DataFrame({
        "dwelling_id": [f"D{i:03d}" for i in range(8)],
        "community": [NAMES[i % 4] for i in range(8)],
        "disposition": codes,
        "base_weight": [10.0, 12.5, 10.0, 12.5, 10.0, 12.5, 10.0, 12.5],
    })


def _respondents(work: Path) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame({
        "id": [f"{i:04d}" for i in range(40)],
        "area": [NAMES[i % 3] for i in range(40)],
        "sex": ["男" if i % 2 else "女" for i in range(40)],
        "y": rng.normal(60, 10, 40).round(2),
        "w": rng.uniform(5, 15, 40).round(3),
    })


def _communities(work: Path) -> pd.DataFrame:
    return pd.DataFrame({
        "community_id": [f"{i:03d}" for i in range(1, 9)],
        "name": [NAMES[i % 4] + str(i) for i in range(8)],
        "households": [120, 340, 90, 410, 220, 180, 260, 150],
    })


def _sample(work: Path) -> pd.DataFrame:
    return pd.DataFrame({
        "stratum": ["S1"] * 6, "community_id": ["001"] * 3 + ["002"] * 3,
        "dwelling_id": [f"00{c}-{i:04d}" for c in (1, 2) for i in range(3)],
        "line": [1, 2, 3] * 2, "replicate": [0] * 6, "released": [True] * 6,
        "address": [f"{NAMES[c]}{i + 1}号" for c in (0, 1) for i in range(3)],
        "floor": ["03", "04", "05"] * 2, "pi": [0.05] * 6, "base_weight": [20.0] * 6,
    })


@pytest.fixture(scope="module")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    from _reports_data import make_store

    d = tmp_path_factory.mktemp("report_store")
    db = d / "central.sqlite"
    _sample_frame, weights = make_store(db, n_comm=2, per=8)
    names = {cid: NAMES[k] for k, cid in enumerate(sorted(set(weights["dwelling_id"].str[:6])))}
    weights = weights.assign(community=weights["dwelling_id"].str[:6].map(names))
    return db, weights


def _rates_argv(work: Path, table: Path, out: Path) -> list[str]:
    return ["rates", "--dispositions", str(table), "--by", "community", "--weighted",
            "--format", "json", "--out", str(out / "rates.json")]


def _estimate_argv(work: Path, table: Path, out: Path) -> list[str]:
    return ["estimate", "--data", str(table), "--weights", "w", "--mean", "y", "--prop", "sex",
            "--by", "area", "--format", "json", "--output", str(out / "est.json")]


def _weights_argv(work: Path, table: Path, out: Path) -> list[str]:
    margins = work / "margins.csv"
    if not margins.exists():
        margins.write_text("variable,level,total\nsex,男,600\nsex,女,400\n", encoding="utf-8")
    return ["weights", "calibrate", "--data", str(table), "--weights", "w", "--margins",
            str(margins), "--out", str(out / "calibrated.csv")]


def _sample_argv(work: Path, table: Path, out: Path) -> list[str]:
    design = work / "design.toml"
    if not design.exists():
        design.write_text("[stage1]\nmethod = 'pps_systematic'\nsize = 'households'\nn = 3\n",
                          encoding="utf-8")
    return ["sample", "draw", "--stage", "1", "--communities", str(table), "--design",
            str(design), "--seed", "7", "--out", str(out / "stage1")]


def _assign_argv(work: Path, table: Path, out: Path) -> list[str]:
    team = work / "team.csv"
    if not team.exists():
        team.write_text("interviewer,name\nw1,王芳\nw2,李强\n", encoding="utf-8")
    return ["assign", "--sample", str(table), "--interviewers", str(team), "--by", "community",
            "--out", str(out / "field")]


def _json_file(name: str) -> Callable[[Path, str], Any]:
    return lambda out, stdout: json.loads((out / name).read_text(encoding="utf-8"))


def _calibrated(out: Path, stdout: str) -> Any:
    got = pd.read_csv(out / "calibrated.csv", dtype={"id": str})
    return list(zip(got["id"], got["weight"].round(10), strict=True))


def _stage1(out: Path, stdout: str) -> Any:
    got = pd.read_csv(out / "stage1.csv", dtype={"community_id": str}, encoding="utf-8-sig")
    return list(zip(got["community_id"], got["pi_1"].round(12), strict=True))


def _assignments(out: Path, stdout: str) -> Any:
    with sqlite3.connect(out / "field" / "central.sqlite") as con:
        return con.execute("SELECT dwelling_id, community_id, interviewer, floor, address "
                           "FROM assignments ORDER BY dwelling_id").fetchall()


VERBS: dict[str, Verb] = {
    "rates": Verb("rates", _cases, _rates_argv, _json_file("rates.json")),
    "estimate": Verb("estimate", _respondents, _estimate_argv, _json_file("est.json")),
    "weights": Verb("weights", _respondents, _weights_argv, _calibrated),
    "sample": Verb("sample", _communities, _sample_argv, _stage1),
    "assign": Verb("assign", _sample, _assign_argv, _assignments),
    "report": Verb("report", lambda work: pd.DataFrame(), lambda w, t, o: [], lambda o, s: None),
}

ACCEPTED = ("csv", "gbk_csv", "xlsx", "parquet", "xlsx_named_csv", "csv_named_xlsx")
REFUSED: dict[str, tuple[str, bytes]] = {
    "damaged_parquet": ("t.parquet", b"PAR1" + bytes(200)),
    "store_named_csv": ("t.csv", b"SQLite format 3\x00" + bytes(200)),
    "empty": ("t.csv", b""),
    "repeated_column": ("t.csv", "dwelling_id,编号,dwelling_id\nD1,1,D1\n".encode()),
}


def _run(verb: Verb, work: Path, table: Path, out: Path, capsys: pytest.CaptureFixture[str],
         report: tuple[Path, pd.DataFrame]) -> tuple[int, Any, str]:
    out.mkdir(parents=True, exist_ok=True)
    if verb.name == "report":
        db, _ = report
        argv = ["report", "--db", str(db), "--weights", str(table), "--out",
                str(out / "r.pdf"), "--date", "2026-11-21", "--lang", "en"]
    else:
        argv = verb.argv(work, table, out)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    if code != 0:
        return code, None, captured.err
    if verb.name == "report":
        summary = captured.err.strip().splitlines()[-1]
        return code, summary[summary.index(":"):], captured.err
    return code, verb.result(out, captured.out), captured.err


def _content(verb: Verb, work: Path, report: tuple[Path, pd.DataFrame]) -> pd.DataFrame:
    return report[1] if verb.name == "report" else verb.table(work)


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Each verb's result from the UTF-8 CSV, computed once (by the first test that needs it)."""
    return tmp_path_factory.mktemp("references"), {}


@pytest.mark.parametrize("kind", ACCEPTED)
@pytest.mark.parametrize("verb_name", sorted(VERBS))
def test_every_verb_accepts_every_format_alike(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], verb_name: str, kind: str,
        report_store: tuple[Path, pd.DataFrame],
        references: tuple[Path, dict[str, Any]]) -> None:
    verb = VERBS[verb_name]
    data = _content(verb, tmp_path, report_store)
    ref_dir, results = references
    if verb_name not in results:
        work = ref_dir / verb_name
        work.mkdir()
        reference = work / "reference.csv"
        data.to_csv(reference, index=False)
        code, results[verb_name], err = _run(verb, work, reference, work / "out", capsys,
                                             report_store)
        assert code == 0, err
    want = results[verb_name]
    name, write = WRITERS[kind]
    given = tmp_path / "given" / name
    given.parent.mkdir()
    write(data, given)
    code, got, err = _run(verb, tmp_path, given, tmp_path / "out_given", capsys, report_store)
    assert code == 0, err
    assert got == want


@pytest.mark.parametrize("kind", sorted(REFUSED))
@pytest.mark.parametrize("verb_name", sorted(VERBS))
def test_every_verb_refuses_a_bad_table_with_the_same_paragraph(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], verb_name: str, kind: str,
        report_store: tuple[Path, pd.DataFrame]) -> None:
    verb = VERBS[verb_name]
    name, content = REFUSED[kind]
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(FieldsurveyError) as exc:
        read_table(bad)
    code, _, err = _run(verb, tmp_path, bad, tmp_path / "out", capsys, report_store)
    assert code == 2
    assert err == f"fieldsurvey {verb_name}: error: {exc.value.paragraph()}\n"
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))


def test_the_same_paragraph_names_the_row_in_every_verb(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        report_store: tuple[Path, pd.DataFrame]) -> None:
    bad = tmp_path / "t.csv"
    bad.write_bytes("dwelling_id,名称\nD1,幸福\nD2,和平,多余\n".encode())
    seen = set()
    for verb in VERBS.values():
        code, _, err = _run(verb, tmp_path, bad, tmp_path / "out", capsys, report_store)
        assert code == 2
        seen.add(err.split(": error: ", 1)[1])
    assert len(seen) == 1
    (paragraph,) = seen
    assert paragraph.startswith(f"file {bad}, row 3: the CSV table cannot be parsed")


def test_a_renamed_workbook_is_not_taken_for_text(tmp_path: Path) -> None:
    _cases(tmp_path).to_excel(tmp_path / "book.xlsx", index=False)
    shutil.copy(tmp_path / "book.xlsx", tmp_path / "cases.csv")
    assert read_table(tmp_path / "cases.csv", text=True).equals(
        read_table(tmp_path / "book.xlsx", text=True))
