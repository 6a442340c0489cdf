"""``fieldsurvey estimate``: flags, formats, file types, column names and user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.estimate import SurveyDesign, svymean, svyratio

REF = Path(__file__).parent / "reference" / "estimate"
CLUS2 = REF / "apiclus2.csv"
KEYS = ["variable", "statistic", "domain", "level", "estimate", "se", "ci_low", "ci_high", "deff", "n"]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["estimate", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(
        capsys, "--data", str(CLUS2), "--psu", "dnum,snum", "--fpc", "fpc1,fpc2",
        "--mean", "api00", "--total", "enroll", "--prop", "sch.wide", "--ratio", "api.stu/enroll",
        "--quantile", "api00:0.5", "--by", "stype", "--lonely-psu", "adjust",
    )
    assert all(list(r) == KEYS for r in rows)
    assert {r["statistic"] for r in rows} == {"mean", "total", "prop", "ratio", "quantile"}
    assert len(rows) == 3 * (1 + 1 + 2 + 1 + 1)
    d = SurveyDesign(pd.read_csv(CLUS2), ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    api = svymean("api00", d, by="stype").get("api00", domain="stype=E")
    mine = next(r for r in rows if r["statistic"] == "mean" and r["domain"] == "stype=E")
    assert mine["estimate"] == api.estimate and mine["se"] == api.se and mine["n"] == api.n
    q = next(r for r in rows if r["statistic"] == "quantile" and r["domain"] == "stype=H")
    assert q["level"] == "0.5" and q["deff"] is None


def test_repeated_and_comma_lists(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "--data", str(CLUS2), "--psu", "dnum", "--weights", "pw",
                    "--mean", "api00,api99", "--mean", "enroll", "--quantile", "api00:0.25,api00:0.75")
    assert [(r["variable"], r["statistic"], r["level"]) for r in rows] == [
        ("api00", "mean", None), ("api99", "mean", None), ("enroll", "mean", None),
        ("api00", "quantile", "0.25"), ("api00", "quantile", "0.75"),
    ]


def test_csv_table_and_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["estimate", "--data", str(CLUS2), "--psu", "dnum", "--weights", "pw", "--mean", "api00",
            "--by", "stype"]
    assert main([*args, "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "stype=E" in out and "taylor standard errors" in out
    target = tmp_path / "out" / "est.csv"
    assert main([*args, "--format", "csv", "--output", str(target)]) == 0
    frame = pd.read_csv(target)
    assert list(frame.columns) == KEYS and len(frame) == 3
    assert capsys.readouterr().out == ""


def test_chinese_columns_gbk_and_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(CLUS2).rename(columns={"stype": "学校类型", "api00": "成绩"})
    gbk = tmp_path / "学校.csv"
    data.to_csv(gbk, index=False, encoding="gbk")
    pq = tmp_path / "schools.parquet"
    data.to_parquet(pq)
    outs = []
    for path in (gbk, pq):
        rows = run_json(capsys, "--data", str(path), "--psu", "dnum,snum", "--fpc", "fpc1,fpc2",
                        "--mean", "成绩", "--by", "学校类型")
        outs.append(rows)
        assert rows[0]["variable"] == "成绩" and rows[0]["domain"] == "学校类型=E"
    assert outs[0] == outs[1]


def test_replicates_flag(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "--data", str(REF / "apistrat.csv"), "--strata", "stype", "--weights",
                    "pw", "--fpc", "fpc", "--ratio", "api.stu/enroll", "--replicates", "jkn")
    d = SurveyDesign(pd.read_csv(REF / "apistrat.csv"), strata="stype", weights="pw", fpc="fpc")
    assert rows[0]["estimate"] == svyratio("api.stu", "enroll", d)[0].estimate
    boot = run_json(capsys, "--data", str(REF / "apistrat.csv"), "--strata", "stype", "--weights",
                    "pw", "--mean", "api00", "--replicates", "bootstrap", "--n-replicates", "20",
                    "--seed", "3")
    again = run_json(capsys, "--data", str(REF / "apistrat.csv"), "--strata", "stype", "--weights",
                     "pw", "--mean", "api00", "--replicates", "bootstrap", "--n-replicates", "20",
                     "--seed", "3")
    assert boot == again


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--psu", "dnum", "--mean", "api01"], "column 'api01' is not in the data"),
        (["--psu", "dnum", "--ratio", "api.stu"], "NUM/DEN"),
        (["--psu", "dnum", "--quantile", "api00:1.5"], "COL:P"),
        (["--psu", "dnum"], "nothing to estimate"),
        (["--psu", "dnum", "--strata", "stype", "--mean", "api00"], "not nested"),
        (["--psu", "dnum", "--mean", "stype"], "must hold numbers"),
        (["--psu", "dnum", "--mean", "api00", "--level", "95"], "confidence level"),
    ],
)
def test_user_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--data", str(CLUS2), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_lonely_psu_fail_names_the_stratum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(REF / "apiclus1.csv")
    path = tmp_path / "c1.csv"
    data.to_csv(path, index=False)
    args = ["estimate", "--data", str(path), "--psu", "dnum", "--strata", "lstr", "--weights", "pw",
            "--mean", "api00"]
    assert main(args) == 2
    assert "stratum 3 has only one PSU" in capsys.readouterr().err
    assert main([*args, "--lonely-psu", "certainty"]) == 0


def test_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "data.json"
    odd.write_text("{}")
    assert main(["estimate", "--data", str(odd), "--mean", "x"]) == 2
    assert "unsupported table format" in capsys.readouterr().err
    assert main(["estimate", "--data", str(tmp_path / "none.csv"), "--mean", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["estimate", "--data", str(empty), "--mean", "x"]) == 2
    assert "empty" in capsys.readouterr().err
    target = tmp_path / "est.json"
    assert main(["estimate", "--data", str(CLUS2), "--psu", "dnum", "--mean", "nope",
                 "--output", str(target)]) == 2
    assert not target.exists() and not list(tmp_path.glob(".est.json*"))


def test_replicate_weight_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(REF / "apistrat.csv").merge(pd.read_csv(REF / "boot_strat_repweights.csv"),
                                                  on="cds")
    path = tmp_path / "rep.parquet"
    data.to_parquet(path)
    ref = pd.read_csv(REF / "estimate_reference.csv")
    scale = ref[ref.case == "meta"].estimate.iloc[0]
    want = ref[(ref.case == "strat_boot_columns") & (ref.statistic == "mean")
               & (ref.variable == "api00") & ref.domain.isna()].iloc[0]
    rows = run_json(capsys, "--data", str(path), "--weights", "pw", "--repweights", "rw*",
                    "--rep-type", "bootstrap", "--rep-scale", str(scale), "--mean", "api00")
    assert abs(rows[0]["se"] / want.se - 1) < 1e-8
    assert main(["estimate", "--data", str(path), "--repweights", "zz*", "--mean", "api00"]) == 2
    assert "no column matches" in capsys.readouterr().err
    assert main(["estimate", "--data", str(path), "--repweights", "rw01", "--psu", "dnum",
                 "--mean", "api00"]) == 2
    assert "replaces" in capsys.readouterr().err
