"""``fieldsurvey sample``: draw (one-shot and two-phase), release, size, simulate."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _samplekit import communities, dwellings

from fieldsurvey.cli.main import main

DESIGN = """\
seed = 20261121
[stratify]
by = "type"
[stage1]
method = "pps_systematic"
size = "households"
n = { 示范类 = 2, 强基类 = 3 }
sort = ["street", "community_id"]
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 6
reserve = 3
[respondent]
method = "kish"
"""


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    comm = communities(16)
    comm.to_csv(tmp_path / "communities.csv", index=False, encoding="utf-8-sig")
    dwellings(comm).to_parquet(tmp_path / "frame.parquet")
    (tmp_path / "d.toml").write_text(DESIGN, encoding="utf-8")
    return tmp_path


def test_draw_is_byte_identical_and_two_phase_agrees(files: Path, capsys) -> None:
    args = ["sample", "draw", "--frame", str(files / "frame.parquet"), "--design",
            str(files / "d.toml")]
    assert main([*args, "--out", str(files / "a")]) == 0
    out = capsys.readouterr().out
    assert "stratum 示范类" in out and "expected interviews 30" in out
    assert main([*args, "--out", str(files / "b")]) == 0
    for ext in (".csv", ".parquet", ".summary.json", ".summary.txt"):
        assert (files / f"a{ext}").read_bytes() == (files / f"b{ext}").read_bytes()
    raw = (files / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "示范类".encode() in raw
    summary = json.loads((files / "a.summary.json").read_text("utf-8"))
    assert summary["seed"] == 20261121 and summary["dwellings_released"] == 30
    assert summary["weights"]["min"] <= summary["weights"]["max"]

    assert main(["sample", "draw", "--stage", "1", "--communities",
                 str(files / "communities.csv"), "--design", str(files / "d.toml"),
                 "--out", str(files / "s1")]) == 0
    assert main(["sample", "draw", "--stage", "2", "--frame", str(files / "frame.parquet"),
                 "--selected", str(files / "s1.csv"), "--design", str(files / "d.toml"),
                 "--out", str(files / "s2")]) == 0
    assert (files / "s2.csv").read_bytes() == raw
    assert main([*args, "--communities", str(files / "communities.csv"), "--out",
                 str(files / "both")]) == 0
    assert (files / "both.csv").read_bytes() == raw
    # --seed overrides the design's
    assert main([*args, "--seed", "7", "--out", str(files / "c")]) == 0
    assert (files / "c.csv").read_bytes() != raw


def test_release_keeps_history(files: Path, capsys) -> None:
    base = files / "s"
    assert main(["sample", "draw", "--frame", str(files / "frame.parquet"), "--design",
                 str(files / "d.toml"), "--out", str(base)]) == 0
    first = pd.read_parquet(files / "s.parquet")["community_id"].iloc[0]
    assert main(["sample", "release", "--sample", str(files / "s.parquet"), "--community",
                 first, "--count", "2", "--note", "两户拒访"]) == 0
    assert main(["sample", "release", "--sample", str(files / "s.parquet"), "--community",
                 first]) == 0
    s = pd.read_parquet(files / "s.parquet")
    part = s[s["community_id"] == first]
    assert part["released"].sum() == 9 and part["release_batch"].max() == 2
    history = json.loads((files / "s.releases.json").read_text("utf-8"))
    assert [h["batch"] for h in history] == [1, 2] and history[0]["note"] == "两户拒访"
    assert history[0]["communities"] == {first: 2}
    csv = pd.read_csv(files / "s.csv", encoding="utf-8-sig", dtype={"community_id": str})
    assert csv["released"].sum() == s["released"].sum()
    capsys.readouterr()
    assert main(["sample", "release", "--sample", str(files / "s.parquet"), "--community",
                 first, "--count", "5"]) == 2
    assert "reserve dwellings left" in capsys.readouterr().err
    (files / "s.releases.json").write_text("{not json", encoding="utf-8")
    other = next(c for c in s["community_id"].unique() if c != first)
    assert main(["sample", "release", "--sample", str(files / "s.parquet"), "--community",
                 other, "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert "release history is not readable" in err and "Traceback" not in err
    # a new draw under the same name: the old draw's releases no longer apply
    assert main(["sample", "draw", "--frame", str(files / "frame.parquet"), "--design",
                 str(files / "d.toml"), "--out", str(base)]) == 0
    assert not (files / "s.releases.json").exists()


def test_size_prints_arithmetic(capsys) -> None:
    assert main(["sample", "size", "--moe", "0.05", "--icc", "0.05", "--per-community", "25",
                 "--eligibility", "0.9", "--response", "0.6", "--population", "100000"]) == 0
    out = capsys.readouterr().out
    assert "deff = 1 + (b - 1) rho" in out and "=> 842 interviews" in out
    assert main(["sample", "size", "--moe", "0.05", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["interviews"] == 385
    assert main(["sample", "size", "--moe", "2"]) == 2
    assert "moe" in capsys.readouterr().err


def test_simulate(files: Path, capsys) -> None:
    report = files / "sim.csv"
    assert main(["sample", "simulate", "--design", str(files / "d.toml"), "--frame",
                 str(files / "frame.parquet"), "--runs", "300", "--seed", "1", "--out",
                 str(report)]) == 0
    out = capsys.readouterr().out
    assert "largest |z|" in out and "sum of pi = 2.000000" in out
    table = pd.read_csv(report, encoding="utf-8-sig")
    assert {"pi", "frequency", "z", "dwelling_id"} <= set(table.columns)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample", "draw", "--design", "{d}", "--communities", "{c}"], "dwelling frame"),
        (["sample", "draw", "--design", "{d}", "--stage", "2", "--frame", "{f}"],
         "--selected"),
        (["sample", "draw", "--design", "{d}"], "nothing to draw from"),
        (["sample", "draw", "--design", "{x}", "--frame", "{f}"], "does not exist"),
        (["sample", "draw", "--design", "{bad}", "--frame", "{f}"], "stage1.n"),
        (["sample", "release", "--sample", "{x}", "--community", "C1"], "does not exist"),
    ],
)
def test_user_errors_are_one_paragraph(files: Path, capsys, argv: list[str],
                                       message: str) -> None:
    (files / "bad.toml").write_text("[stage1]\nmethod = 'srs'\nn = 0\n", encoding="utf-8")
    subs = {"{d}": files / "d.toml", "{c}": files / "communities.csv",
            "{f}": files / "frame.parquet", "{x}": files / "missing.toml",
            "{bad}": files / "bad.toml"}
    argv = [str(subs.get(a, a)) for a in argv]
    assert main([*argv, "--out", str(files / "o")] if argv[1] == "draw" else argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (files / "o.csv").exists()


def test_stage1_from_a_real_shapefile(shared_data: Path, tmp_path: Path) -> None:
    """506 Boston tracts (NAD27 shapefile), PPS by owner-occupied units."""
    import numpy as np

    from fieldsurvey.sampling.pps import inclusion_probabilities
    from fieldsurvey.sampling.readers import read_communities

    shp = shared_data / "boundaries" / "boston_tracts_nad27" / "boston_tracts.shp"
    (tmp_path / "d.toml").write_text(
        "[stage1]\nmethod = 'pps_systematic'\nsize = 'units'\nn = 30\nsort = ['TOWN']\n",
        encoding="utf-8")
    assert main(["sample", "draw", "--stage", "1", "--communities", str(shp), "--id-field",
                 "poltract", "--design", str(tmp_path / "d.toml"), "--seed", "5", "--out",
                 str(tmp_path / "boston")]) == 0
    s = pd.read_csv(tmp_path / "boston.csv", encoding="utf-8-sig", dtype={"community_id": str})
    assert len(s) == 30 and s["community_id"].is_unique
    table = read_communities(shp, id_field="poltract")
    pi = pd.Series(inclusion_probabilities(table["units"].to_numpy(float), 30),
                   index=table["community_id"])
    np.testing.assert_allclose(s["pi_1"], pi.loc[s["community_id"]].to_numpy(), rtol=1e-12)
    assert "TOWN" in s.columns and s["TOWN"].is_monotonic_increasing


def test_tables_in_gbk_and_xlsx(tmp_path: Path) -> None:
    from fieldsurvey.sampling.readers import read_table

    comm = communities(5)
    comm.to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    comm.to_excel(tmp_path / "c.xlsx", index=False)
    for name in ("gbk.csv", "c.xlsx"):
        got = read_table(tmp_path / name)
        assert got["type"].tolist() == comm["type"].tolist()
        assert got["community_id"].tolist() == comm["community_id"].tolist()
    (tmp_path / "c.dbf").write_bytes(b"x")
    from fieldsurvey.io.errors import InputError

    with pytest.raises(InputError, match="unsupported"):
        read_table(tmp_path / "c.dbf")
