"""``fieldsurvey frame build|check|summary``: outputs, tables, and bad inputs (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _framekit import (
    communities,
    faulty_communities,
    faulty_listing,
    listing,
    write_csv,
    write_geojson,
)

from fieldsurvey.cli.main import main


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "b": write_geojson(faulty_communities(), tmp_path / "b.geojson"),
        "l": write_csv(faulty_listing(), tmp_path / "l.csv"),
        "out": tmp_path / "out" / "frame.parquet",
        "report": tmp_path / "out" / "qa.json",
    }


def _build(f: dict[str, Path], *extra: str) -> list[str]:
    return ["frame", "build", "--boundaries", str(f["b"]), "--dwellings", str(f["l"]),
            "--out", str(f["out"]), "--report", str(f["report"]), *extra]


def test_build_writes_frame_report_and_table(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gpkg = files["out"].with_suffix(".gpkg")
    assert main(_build(files, "--gpkg", str(gpkg))) == 0
    out = capsys.readouterr().out
    assert "outside_boundaries" in out and "X-outside (row 17, C2)" in out
    assert files["out"].exists() and gpkg.exists()
    report = json.loads(files["report"].read_text(encoding="utf-8"))
    assert {c["check"] for c in report["checks"]} >= {"coverage", "vacancy", "duplicate_point"}


def test_summary(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_build(files)) == 0
    capsys.readouterr()
    assert main(["frame", "summary", "--frame", str(files["out"])]) == 0
    out = capsys.readouterr().out
    c1 = next(line for line in out.splitlines() if line.startswith("C1 "))
    assert "东风社区" in c1 and "70.0%" in c1
    assert "5 communities" in out


def test_check_prints_table_and_signals_errors(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["frame", "check", "--boundaries", str(files["b"]), "--dwellings", str(files["l"])]
    assert main(args) == 1
    assert "duplicate_id" in capsys.readouterr().out
    assert not files["out"].parent.exists()


def test_check_clean_listing_exits_zero(tmp_path: Path) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    l = write_csv(listing(), tmp_path / "l.csv")
    assert main(["frame", "check", "--boundaries", str(b), "--dwellings", str(l)]) == 0


def test_columns_mapping_on_the_command_line(tmp_path: Path) -> None:
    df = listing().rename(columns={"building": "栋号", "lon": "X经", "lat": "Y纬"})
    l = write_csv(df, tmp_path / "l.csv")
    b = write_geojson(communities(), tmp_path / "b.geojson")
    mapping = tmp_path / "m.toml"
    mapping.write_text('building = "栋号"\n', encoding="utf-8")
    out = tmp_path / "f.parquet"
    args = ["frame", "build", "--boundaries", str(b), "--dwellings", str(l), "--out", str(out),
            "--columns", "lon=X经", "--columns", "Y纬=lat", "--columns", str(mapping)]
    assert main(args) == 0 and out.exists()


def test_strict_fails_with_exit_2_and_no_frame(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_build(files, "--strict")) == 2
    err = capsys.readouterr().err
    assert "strict" in err and err.count("\n") == 1
    assert not files["out"].exists() and files["report"].exists()


def _bad_case(tmp_path: Path, case: str) -> tuple[Path, Path, list[str]]:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    l = write_csv(listing(), tmp_path / "l.csv")
    extra: list[str] = []
    if case == "truncated":
        b.write_bytes(b.read_bytes()[:200])
    elif case == "not_geographic":
        b = tmp_path / "b.csv"
        b.write_text("community_id,name\nC1,x\n", encoding="utf-8")
    elif case == "no_prj":
        b = tmp_path / "b.shp"
        communities().to_file(b)
        b.with_suffix(".prj").unlink()
    elif case == "no_id_field":
        extra = ["--id-field", "社区编码"]
    elif case == "no_coords_no_community":
        l = write_csv(listing()[["dwelling_id", "building"]], tmp_path / "l2.csv")
    elif case == "bad_text":
        l.write_bytes(listing().to_csv(index=False).encode("gbk") + b"X,\xff\xff\n")
    elif case == "empty":
        l.write_bytes(b"")
    elif case == "duplicate_ids":
        b = write_geojson(communities().assign(community_id=["C1", "C1", "C3", "C4"]), tmp_path / "d.geojson")
    return b, l, extra


@pytest.mark.parametrize(("case", "words"), [
    ("truncated", "cannot read"),
    ("not_geographic", "no geometries"),
    ("no_prj", "--crs"),
    ("no_id_field", "community_id, name, street, type, households"),
    ("no_coords_no_community", "no coordinate columns and no community column"),
    ("bad_text", "not valid GBK"),
    ("empty", "empty"),
    ("duplicate_ids", "more than once"),
])
def test_bad_inputs_exit_2_with_one_paragraph_and_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, words: str
) -> None:
    b, l, extra = _bad_case(tmp_path, case)
    capsys.readouterr()  # drop warnings printed while making the bad files
    out = tmp_path / "res" / "frame.parquet"
    report = tmp_path / "res" / "qa.json"
    code = main(["frame", "build", "--boundaries", str(b), "--dwellings", str(l), "--out", str(out),
                 "--report", str(report), "--gpkg", str(tmp_path / "res" / "f.gpkg"), *extra])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("fieldsurvey frame: error: ") and words in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not (tmp_path / "res").exists() or not any((tmp_path / "res").iterdir())


def test_out_must_be_parquet(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = _build(files)
    args[args.index("--out") + 1] = str(files["out"].with_suffix(".csv"))
    assert main(args) == 2 and ".parquet" in capsys.readouterr().err


def test_summary_of_a_non_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    path = tmp_path / "x.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    assert main(["frame", "summary", "--frame", str(path)]) == 2
    assert "not a fieldsurvey frame" in capsys.readouterr().err


def test_crs_flag_fills_a_missing_prj(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    b = tmp_path / "b.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        communities("EPSG:4548").to_file(b)
    b.with_suffix(".prj").unlink()
    l = write_csv(listing(), tmp_path / "l.csv")
    out = tmp_path / "f.parquet"
    args = ["frame", "build", "--boundaries", str(b), "--dwellings", str(l), "--out", str(out),
            "--crs", "EPSG:4548"]
    assert main(args) == 0 and out.exists()
    assert "outside_boundaries      info" in capsys.readouterr().out
