"""A careless user of every verb: each mistake is one paragraph on stderr, exit 2, no
traceback, and no output file left behind looking complete."""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _samplekit import communities, dwellings

from fieldsurvey.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

DESIGN = """\
seed = 7
[stage1]
method = "pps_systematic"
size = "households"
n = 3
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 5
reserve = 2
"""


def _one_paragraph(capsys: pytest.CaptureFixture[str], verb: str, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"fieldsurvey {verb}: error:"), err
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def _chain_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A small sample, its dispositions and sex margins for ``fieldsurvey weights``."""
    rng = np.random.default_rng(3)
    sample_rows, case_rows = [], []
    for c in range(4):
        for line in range(1, 31):
            did = f"C{c}-{line:03d}"
            sample_rows.append({"community_id": f"C{c}", "dwelling_id": did, "line": line,
                                "released": "True", "base_weight": 10.0 + c})
            code = rng.choice(["1.1", "2.111", "3.18"], p=[.7, .2, .1])
            case_rows.append({"dwelling_id": did, "disposition": code,
                              "sex": rng.choice(["m", "f"]) if code == "1.1" else ""})
    sample, cases, margins = tmp_path / "sample.csv", tmp_path / "cases.csv", tmp_path / "m.csv"
    pd.DataFrame(sample_rows).to_csv(sample, index=False)
    pd.DataFrame(case_rows).to_csv(cases, index=False)
    margins.write_text("variable,level,total\nsex,m,700\nsex,f,660\n", encoding="utf-8")
    return sample, cases, margins


def _weights_argv(sample: Path, cases: Path, margins: Path, out: Path) -> list[str]:
    return ["weights", "--sample", str(sample), "--dispositions", str(cases),
            "--margins", str(margins), "--vars", "sex", "--out", str(out)]


@pytest.fixture()
def sample_files(tmp_path: Path) -> Path:
    comm = communities(10)
    dwellings(comm).to_parquet(tmp_path / "frame.parquet")
    (tmp_path / "d.toml").write_text(DESIGN, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------- options and output paths


@pytest.mark.parametrize(("argv", "option"), [
    (["sample", "draw", "--design", "d.toml", "--seed", "abc"], "--seed"),
    (["sample", "size", "--moe", "abc"], "--moe"),
    (["rates", "--dispositions", "c.csv", "--e", "x"], "--e"),
    (["demo", "--scale", "big"], "--scale"),
])
def test_a_bad_number_in_an_option_is_one_line(capsys: pytest.CaptureFixture[str],
                                               argv: list[str], option: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "usage:" not in err, err
    assert option in err and "--help" in err


def test_output_below_a_file_is_reported_not_a_traceback(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    blocker = tmp_path / "weights.csv"
    blocker.write_text("not a folder", encoding="utf-8")
    rc = main(_weights_argv(sample, cases, margins, blocker / "w.csv"))
    assert rc == 2
    _one_paragraph(capsys, "weights", str(blocker), "directory is needed")


def test_read_only_disk_names_the_output_not_the_temporary_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import fieldsurvey.io.atomic as atomic

    def read_only(prefix: str, suffix: str, dir: Path) -> tuple[int, str]:
        name = str(Path(dir) / f"{prefix}ab12cd34{suffix}")
        raise OSError(errno.EROFS, "Read-only file system", name)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    sample, cases, margins = _chain_files(tmp_path)
    out = tmp_path / "w.csv"
    assert main(_weights_argv(sample, cases, margins, out)) == 2
    err = _one_paragraph(capsys, "weights", f"file {out}:", "read-only")
    assert ".part" not in err and not out.exists()


# ---------------------------------------------------------------------- weights inputs


def test_weights_read_the_parquet_sample_too(tmp_path: Path) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    pd.read_csv(sample).to_parquet(tmp_path / "sample.parquet")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(_weights_argv(sample, cases, margins, a)) == 0
    assert main(_weights_argv(tmp_path / "sample.parquet", cases, margins, b)) == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(("content", "what"), [
    (PNG, "PNG image"),
    (b"SQLite format 3\x00" + bytes(100), "SQLite database"),
    (b"PK\x03\x04" + bytes(100), "Excel workbook"),
    (b"PAR1" + bytes(100), "Parquet file cannot be read"),
    (b'\xef\xbb\xbf{"weights": [1, 2]}', "JSON file"),
])
def test_weights_refuse_a_binary_file_saying_what_it_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, what: str) -> None:
    sample, _cases, margins = _chain_files(tmp_path)
    bad = tmp_path / "cases_renamed.csv"
    bad.write_bytes(content)
    out = tmp_path / "w.csv"
    assert main(_weights_argv(sample, bad, margins, out)) == 2
    _one_paragraph(capsys, "weights", str(bad), what)
    assert not out.exists()


@pytest.mark.parametrize(("option", "value", "field"), [
    ("--min-respondents", "0", "min_respondents"),
    ("--max-factor", "0.5", "max_factor"),
    ("--tol", "-1", "tol"),
    ("--max-iter", "0", "max_iter"),
    ("--trim", "-1", "trim"),
])
def test_weights_bad_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str,
                             value: str, field: str) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    out = tmp_path / "w.csv"
    assert main([*_weights_argv(sample, cases, margins, out), option, value]) == 2
    _one_paragraph(capsys, "weights", f"field '{field}'", f"Got {float(value)!s}"
                   if field in ("max_factor", "tol", "trim") else f"Got {value}")
    assert not out.exists()


def test_calibrate_bad_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "resp.csv"
    pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "sex": ["m", "f", "m", "f"]}).to_csv(data, index=False)
    margins = tmp_path / "m.csv"
    margins.write_text("variable,level,total\nsex,m,5\nsex,f,5\n", encoding="utf-8")
    out = tmp_path / "k.csv"
    assert main(["weights", "calibrate", "--data", str(data), "--weights", "w", "--margins",
                 str(margins), "--tol", "0", "--out", str(out)]) == 2
    _one_paragraph(capsys, "weights", "field 'tol'", "positive")
    assert not out.exists()


def test_weights_and_report_are_written_together(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    blocker = tmp_path / "reports"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    out = tmp_path / "w.csv"
    argv = [*_weights_argv(sample, cases, margins, out), "--report", str(blocker / "w.json")]
    assert main(argv) == 2
    _one_paragraph(capsys, "weights", str(blocker))
    assert not out.exists(), "the weights were written although their report failed"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_disk_full_while_writing_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    real = pd.DataFrame.to_csv

    def full(self: pd.DataFrame, path: object = None, *args: object, **kwargs: object) -> object:
        if isinstance(path, Path):
            path.write_bytes(b"dwelling_id,weight\nC0-001,1")  # half written, then ENOSPC
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "w.csv"
    assert main(_weights_argv(sample, cases, margins, out)) == 2
    _one_paragraph(capsys, "weights", "disk is full")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".w.csv")]


# ---------------------------------------------------------------------- sample, demo


def _sample_set(base: Path) -> dict[str, bytes]:
    return {p.name: hashlib.sha256(p.read_bytes()).digest()
            for p in sorted(base.parent.glob(base.name + ".*"))}


def test_interrupted_draw_leaves_the_previous_sample_whole(
        sample_files: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = sample_files / "s"
    argv = ["sample", "draw", "--frame", str(sample_files / "frame.parquet"),
            "--design", str(sample_files / "d.toml"), "--out", str(out)]
    assert main([*argv, "--seed", "1"]) == 0
    before = _sample_set(out)
    assert {"s.csv", "s.parquet", "s.summary.json", "s.summary.txt"} <= set(before)

    real = pd.DataFrame.to_parquet

    def ctrl_c(self: pd.DataFrame, path: object, *args: object, **kwargs: object) -> None:
        real(self, path, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", ctrl_c)
    assert main([*argv, "--seed", "2"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _sample_set(out) == before, "a new file was left beside the old ones"
    assert not [p for p in sample_files.iterdir() if p.name.endswith(".part")]


def test_demo_with_a_bad_scale_creates_nothing(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--scale", "0", "--out", str(out)]) == 2
    _one_paragraph(capsys, "demo", "field 'scale'", "Use --scale 1")
    assert not out.exists()


# ---------------------------------------------------------------------- maps, forms


def test_maps_error_is_the_only_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "maps.pdf"
    rc = main(["maps", "--frame", str(tmp_path / "missing.parquet"), "--sample",
               str(tmp_path / "s.csv"), "--out", str(out), "--font", "STSong-Light"])
    assert rc == 2
    _one_paragraph(capsys, "maps", "missing.parquet")  # no font line before the error
    assert not out.exists()


def test_gbk_yaml_form_says_to_save_as_utf8(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    form = tmp_path / "form.yaml"
    form.write_bytes("survey:\n  - name: q1\n    label: 您好\n".encode("gbk"))
    assert main(["form", "check", str(form)]) == 2
    _one_paragraph(capsys, "form", str(form), "not UTF-8", "Save the file as UTF-8")


def test_a_sample_given_as_the_frame_is_refused(sample_files: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    first = sample_files / "s"
    argv = ["sample", "draw", "--design", str(sample_files / "d.toml")]
    assert main([*argv, "--frame", str(sample_files / "frame.parquet"), "--out", str(first)]) == 0
    capsys.readouterr()
    out = sample_files / "again"
    assert main([*argv, "--frame", str(sample_files / "s.parquet"), "--out", str(out)]) == 2
    _one_paragraph(capsys, "sample", "s.parquet", "this is a sample, not a dwelling frame")
    assert not list(sample_files.glob("again*"))


def test_release_reads_a_sample_saved_again_in_gbk(sample_files: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    base = sample_files / "s"
    assert main(["sample", "draw", "--design", str(sample_files / "d.toml"), "--frame",
                 str(sample_files / "frame.parquet"), "--out", str(base)]) == 0
    gbk = sample_files / "excel.csv"
    pd.read_csv(sample_files / "s.csv", dtype=str).to_csv(gbk, index=False, encoding="gbk")
    community = pd.read_csv(gbk, dtype=str, encoding="gbk")["community_id"].iloc[0]
    capsys.readouterr()
    assert main(["sample", "release", "--sample", str(gbk), "--community", "nope",
                 "--out", str(sample_files / "r")]) == 2
    _one_paragraph(capsys, "sample", "field 'community_id'", community)  # lists the sampled ones
    assert main(["sample", "release", "--sample", str(gbk), "--community", community,
                 "--out", str(sample_files / "r")]) == 0


def test_a_directory_given_as_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.toml").write_text(DESIGN, encoding="utf-8")
    folder = tmp_path / "frame"
    folder.mkdir()
    assert main(["sample", "draw", "--design", str(tmp_path / "d.toml"), "--frame", str(folder),
                 "--out", str(tmp_path / "s")]) == 2
    _one_paragraph(capsys, "sample", str(folder), "directory")


def test_an_empty_disposition_is_called_an_empty_cell(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("dwelling_id,disposition\nA,1.1\nB,\nC,2.11\n", encoding="utf-8")
    out = tmp_path / "rates.csv"
    assert main(["rates", "--dispositions", str(cases), "--out", str(out)]) == 2
    _one_paragraph(capsys, "rates", str(cases), "row 3", "Got an empty cell")
    assert not out.exists()


def test_duplicate_form_name_hint_is_a_sentence(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    form = tmp_path / "form.yaml"
    form.write_text("survey:\n  - {type: text, name: q1, label: a}\n"
                    "  - {type: text, name: q1, label: b}\n", encoding="utf-8")
    assert main(["form", "check", str(form)]) == 2
    _one_paragraph(capsys, "form", "'q1'", "It is first used")


@pytest.fixture()
def map_files(tmp_path: Path) -> Path:
    from _reports_data import make

    frame, sample, bnd = make(n_comm=1, per=20, sample_n=3)
    frame.to_parquet(tmp_path / "frame.parquet")
    sample.to_csv(tmp_path / "sample.csv", index=False)
    bnd.to_file(tmp_path / "b.geojson")
    sample.to_parquet(tmp_path / "sample.parquet")
    return tmp_path


def _maps(files: Path, *extra: str) -> list[str]:
    return ["maps", "--frame", str(files / "frame.parquet"), "--sample", str(files / "sample.csv"),
            "--boundaries", str(files / "b.geojson"), "--font", "STSong-Light",
            "--out", str(files / "maps.pdf"), *extra]


def test_maps_refuse_a_table_given_as_a_layer(map_files: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    table = map_files / "sample.csv"
    assert main(_maps(map_files, "--compounds", str(table))) == 2
    _one_paragraph(capsys, "maps", str(table), "no geometries")
    assert not (map_files / "maps.pdf").exists()


def test_maps_misspelt_name_field(map_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_maps(map_files, "--name-field", "nmae")) == 2
    _one_paragraph(capsys, "maps", "field 'nmae'", "--name-field")
    assert not (map_files / "maps.pdf").exists()


def test_out_named_like_the_frame_does_not_replace_it(sample_files: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    frame = sample_files / "frame.parquet"
    before = frame.read_bytes()
    assert main(["sample", "draw", "--design", str(sample_files / "d.toml"), "--frame", str(frame),
                 "--out", str(sample_files / "frame")]) == 2
    _one_paragraph(capsys, "sample", str(frame), "field '--out'", "overwrite an input")
    assert frame.read_bytes() == before
    assert not (sample_files / "frame.csv").exists()


@pytest.mark.parametrize("target", ["sample", "cases", "margins"])
def test_weights_never_overwrite_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          target: str) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    victim = {"sample": sample, "cases": cases, "margins": margins}[target]
    before = victim.read_bytes()
    assert main(_weights_argv(sample, cases, margins, victim)) == 2
    _one_paragraph(capsys, "weights", str(victim), "overwrite an input")
    assert victim.read_bytes() == before


def test_rates_never_overwrite_the_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, cases, _ = _chain_files(tmp_path)
    before = cases.read_bytes()
    assert main(["rates", "--dispositions", str(cases), "--format", "csv", "--out",
                 str(cases)]) == 2
    _one_paragraph(capsys, "rates", str(cases), "overwrite an input")
    assert cases.read_bytes() == before


def test_a_negative_seed_is_a_mistake_not_a_traceback(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--seed", "-1", "--scale", "0.02", "--out", str(out)]) == 2
    _one_paragraph(capsys, "demo", "field 'seed'", "Got -1")
    assert not out.exists()
    data = tmp_path / "d.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": 1.0}).to_csv(data, index=False)
    assert main(["estimate", "--data", str(data), "--weights", "w", "--mean", "y",
                 "--replicates", "bootstrap", "--n-replicates", "5", "--seed", "-3"]) == 2
    _one_paragraph(capsys, "estimate", "field 'seed'")


def test_rates_format_follows_the_output_name(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _, cases, _ = _chain_files(tmp_path)
    out = tmp_path / "rates.json"
    assert main(["rates", "--dispositions", str(cases), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("{")
    clash = tmp_path / "rates2.json"
    assert main(["rates", "--dispositions", str(cases), "--format", "csv", "--out",
                 str(clash)]) == 2
    _one_paragraph(capsys, "rates", str(clash), "field '--format'")
    assert not clash.exists()


def test_weights_named_parquet_are_refused(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    out = tmp_path / "w.parquet"
    assert main(_weights_argv(sample, cases, margins, out)) == 2
    _one_paragraph(capsys, "weights", str(out), "written as CSV")
    assert not out.exists()


def test_maps_output_must_be_a_pdf(map_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _maps(map_files)
    png = map_files / "maps.png"
    argv[argv.index("--out") + 1] = str(png)
    assert main(argv) == 2
    _one_paragraph(capsys, "maps", str(png), "a name ending in .pdf")
    assert not png.exists()


# ------------------------------------------------------------- frame (io, frame/build)


@pytest.fixture()
def frame_files(tmp_path: Path) -> Path:
    from _framekit import communities as squares
    from _framekit import listing, write_csv, write_geojson

    write_geojson(squares(), tmp_path / "b.geojson")
    write_csv(listing(), tmp_path / "l.csv")
    return tmp_path


def _frame(files: Path, verb: str = "check", *extra: str) -> list[str]:
    return ["frame", verb, "--boundaries", str(files / "b.geojson"), "--dwellings",
            str(files / "l.csv"), *extra]


def test_frame_column_mapping_not_utf8(frame_files: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    mapping = frame_files / "map.toml"
    mapping.write_bytes('building = "栋号"\n'.encode("gbk"))
    assert main(_frame(frame_files, "check", "--columns", str(mapping))) == 2
    _one_paragraph(capsys, "frame", str(mapping), "not UTF-8", "Save it as UTF-8")


@pytest.mark.parametrize("header", ["x" * 140_000 + ",lon,lat", '"unclosed,lon,lat'])
def test_frame_listing_header_that_cannot_be_read(frame_files: Path, header: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """What a listing decoded with the wrong --listing-encoding looks like: one huge line."""
    (frame_files / "l.csv").write_text(header + "\n1,2,3\n", encoding="utf-8")
    assert main(_frame(frame_files, "check")) == 2
    _one_paragraph(capsys, "frame", "l.csv")


def test_frame_not_written_when_its_gpkg_copy_fails(frame_files: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    blocker = frame_files / "qgis"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    out = frame_files / "frame.parquet"
    assert main(_frame(frame_files, "build", "--out", str(out), "--gpkg",
                       str(blocker / "f.gpkg"))) == 2
    _one_paragraph(capsys, "frame", str(blocker))
    assert not out.exists()


def test_assign_names_the_team_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample, _, _ = _chain_files(tmp_path)
    team = tmp_path / "team.csv"
    team.write_text("id,name\nint01,张三\n", encoding="utf-8")
    out = tmp_path / "stores"
    assert main(["assign", "--sample", str(sample), "--interviewers", str(team),
                 "--out", str(out)]) == 2
    _one_paragraph(capsys, "assign", str(team), "field 'interviewer'", "Got id, name")
    assert not out.exists()


def test_estimate_output_format_and_empty_weight(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, None, 2.0]}).to_csv(data, index=False)
    out = tmp_path / "e.json"
    assert main(["estimate", "--data", str(data), "--weights", "w", "--mean", "y",
                 "--output", str(out)]) == 2
    err = _one_paragraph(capsys, "estimate", "field 'w'", "Got an empty cell")
    assert "np.float64" not in err and not out.exists()
    pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": 1.0}).to_csv(data, index=False)
    assert main(["estimate", "--data", str(data), "--weights", "w", "--mean", "y",
                 "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("[")


@pytest.mark.parametrize("content", [PNG, b"", None])
def test_export_of_a_bad_store_makes_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               content: bytes | None) -> None:
    db = tmp_path / "central.sqlite"
    if content is not None:
        db.write_bytes(content)
    out = tmp_path / "export"
    assert main(["export", "--db", str(db), "--out", str(out)]) == 2
    _one_paragraph(capsys, "export", str(db))
    assert not out.exists()


def test_export_unknown_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from _reports_data import make_store

    db = tmp_path / "central.sqlite"
    make_store(db, n_comm=1, per=4)
    out = tmp_path / "export"
    assert main(["export", "--db", str(db), "--out", str(out), "--language", "xx"]) == 2
    _one_paragraph(capsys, "export", "field 'language'", "Got 'xx'")
    assert not out.exists()


def test_assign_failure_leaves_no_empty_folder(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sample, _, _ = _chain_files(tmp_path)
    rows = pd.read_csv(sample, dtype=str)
    pd.concat([rows, rows.iloc[[0]]]).to_csv(sample, index=False)  # a dwelling twice
    team = tmp_path / "team.csv"
    team.write_text("interviewer\nint01\n", encoding="utf-8")
    out = tmp_path / "stores"
    assert main(["assign", "--sample", str(sample), "--interviewers", str(team),
                 "--out", str(out)]) == 2
    _one_paragraph(capsys, "assign", str(sample), "field 'dwelling_id'")
    assert not out.exists()


def test_frame_build_refuses_a_non_positive_dwellings_per_floor_even_for_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldsurvey.example.district import generate_district, write_district

    maps = tmp_path / "maps"
    write_district(generate_district(3, scale=0.02), maps)
    out = tmp_path / "frame.parquet"
    code = main(["frame", "build", "--boundaries", str(maps / "boundaries.geojson"),
                 "--dwellings", str(maps / "listing.csv"), "--out", str(out),
                 "--dwellings-per-floor", "-2"])
    err = capsys.readouterr().err
    assert code == 2 and "dwellings_per_floor" in err and "Traceback" not in err
    assert not out.exists()
