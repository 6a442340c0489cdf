"""``fieldsurvey estimate`` and ``weights calibrate`` with calibrated designs, and refused input.

Issue 19's table rows come out of the CLI with R's numbers (R survey 4.1.1, default raking
control for the raked rows), and issue 21's zero denominators and non-finite weights are
refused with one paragraph.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.cli.main import main

API = Path(__file__).parent / "reference" / "estimate" / "apiclus1.csv"
RAKE = "variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\nsch.wide,No,1072\nsch.wide,Yes,5122\n"
GREG = "variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\napi99,(total),3914069\n"


def rows(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["estimate", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def pick(out: list[dict], stat: str, var: str, level: str | None = None) -> dict:
    return next(r for r in out if r["statistic"] == stat and r["variable"] == var
                and r["level"] == level)


def test_issue_table_rows_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rake.csv").write_text(RAKE)
    (tmp_path / "greg.csv").write_text(GREG)
    base = ["--data", str(API), "--psu", "dnum", "--weights", "pw", "--fpc", "fpc"]
    out = rows(capsys, *base, "--rake", str(tmp_path / "rake.csv"), "--rake-control", "10,1",
               "--total", "enroll", "--mean", "enroll", "--prop", "sch.wide")
    assert pick(out, "total", "enroll")["se"] == pytest.approx(400602.71973361925, rel=1e-8)
    assert pick(out, "mean", "enroll")["se"] == pytest.approx(64.67593150365184, rel=1e-8)
    assert pick(out, "prop", "sch.wide", "Yes")["se"] < 1e-9
    out = rows(capsys, *base, "--calibrate", str(tmp_path / "greg.csv"), "--mean", "api00")
    assert pick(out, "mean", "api00")["se"] == pytest.approx(3.4417531164048385, rel=1e-8)


def test_weights_calibrate_saves_what_estimate_needs(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A margin on a continuous variable works, and estimate rebuilds the calibrated design."""
    (tmp_path / "greg.csv").write_text(GREG)
    out = tmp_path / "w.csv"
    assert main(["weights", "calibrate", "--data", str(API), "--weights", "pw", "--margins",
                 str(tmp_path / "greg.csv"), "--out", str(out)]) == 0
    spec = tmp_path / "w.calibration.json"
    assert json.loads(spec.read_text())["method"] == "calibrate"
    w = pd.read_csv(out)
    assert w["weight"].sum() == pytest.approx(6194, rel=1e-10)
    assert (w["weight"] * w["api99"]).sum() == pytest.approx(3914069, rel=1e-10)
    capsys.readouterr()
    res = rows(capsys, "--data", str(out), "--psu", "dnum", "--fpc", "fpc", "--calibration",
               str(spec), "--mean", "api00")
    assert res[0]["se"] == pytest.approx(3.4417531164048385, rel=1e-8)
    assert res[0]["estimate"] == pytest.approx(665.3090711657801, rel=1e-10)
    # the calibrated column is not a starting point: refused with the reason
    assert main(["estimate", "--data", str(out), "--psu", "dnum", "--calibration", str(spec),
                 "--weights", "weight", "--mean", "api00"]) == 2
    assert "input weights 'pw'" in capsys.readouterr().err


def test_rake_with_a_continuous_margin_is_refused(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "greg.csv").write_text(GREG)
    assert main(["weights", "calibrate", "--data", str(API), "--weights", "pw", "--margins",
                 str(tmp_path / "greg.csv"), "--out", str(tmp_path / "w.csv"),
                 "--method", "rake"]) == 2
    assert "--method calibrate" in capsys.readouterr().err


def test_replicate_design_raked_from_the_cli(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rake.csv").write_text(RAKE)
    out = rows(capsys, "--data", str(API), "--psu", "dnum", "--weights", "pw", "--fpc", "fpc",
               "--replicates", "jk1", "--rake", str(tmp_path / "rake.csv"), "--mean", "enroll")
    ref = pd.read_csv(Path(__file__).parent / "reference" / "calibration" /
                      "calibration_reference.csv")
    r = ref[(ref.case == "clus1_jk1_rake_tight") & (ref.variable == "enroll")
            & (ref.statistic == "mean")]
    assert out[0]["se"] == pytest.approx(float(r.se.iloc[0]), rel=1e-8)


def test_zero_denominator_and_infinite_weight_are_refused(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    d = pd.read_csv(API)
    d["zero"] = 0.0
    d.to_csv(tmp_path / "z.csv", index=False)
    for extra in ([], ["--by", "stype"], ["--replicates", "jk1"]):
        assert main(["estimate", "--data", str(tmp_path / "z.csv"), "--psu", "dnum", "--weights",
                     "pw", "--ratio", "api00/zero", *extra]) == 2
        err = capsys.readouterr().err
        assert "denominator 'zero' is zero" in err and "Traceback" not in err
    d["pw"] = d["pw"].astype(float)
    d.loc[3, "pw"] = float("inf")
    d.to_csv(tmp_path / "inf.csv", index=False)
    assert main(["estimate", "--data", str(tmp_path / "inf.csv"), "--psu", "dnum", "--weights",
                 "pw", "--mean", "api00"]) == 2
    err = capsys.readouterr().err
    assert "row 5" in err and "finite" in err  # d.loc[3]: spreadsheet row 5


def test_negative_replicate_weight_is_refused(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    d = pd.read_csv(API)
    for k in range(5):
        d[f"rw{k}"] = d["pw"] * (1 + 0.1 * k)
    d.loc[7, "pw"] = -3.0
    d.to_csv(tmp_path / "rw.csv", index=False)
    assert main(["estimate", "--data", str(tmp_path / "rw.csv"), "--weights", "pw",
                 "--repweights", "rw*", "--rep-type", "bootstrap", "--mean", "api00"]) == 2
    assert "negative" in capsys.readouterr().err
    d.loc[7, "pw"] = 30.0
    d.loc[2, "rw3"] = -1.0
    d.to_csv(tmp_path / "rw.csv", index=False)
    assert main(["estimate", "--data", str(tmp_path / "rw.csv"), "--weights", "pw",
                 "--repweights", "rw*", "--rep-type", "bootstrap", "--mean", "api00"]) == 2
    err = capsys.readouterr().err
    assert "replicate weight is negative" in err and "row 4" in err  # position 2 below the header


def test_trimmed_calibration_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """weights calibrate --trim-lower/--trim-upper --trim-strict, then estimate --calibration:
    R's trimWeights(rake(...), lower=30, upper=40, strict=TRUE) mean of api00 and its SE."""
    (tmp_path / "rake.csv").write_text(RAKE)
    out = tmp_path / "t.csv"
    assert main(["weights", "calibrate", "--data", str(API), "--weights", "pw", "--margins",
                 str(tmp_path / "rake.csv"), "--out", str(out), "--trim-lower", "30",
                 "--trim-upper", "40", "--trim-strict"]) == 0
    w = pd.read_csv(out)["weight"]
    assert w.min() >= 30 - 1e-9 and w.max() <= 40 + 1e-9
    capsys.readouterr()
    res = rows(capsys, "--data", str(out), "--psu", "dnum", "--fpc", "fpc", "--calibration",
               str(tmp_path / "t.calibration.json"), "--mean", "api00")
    ref = pd.read_csv(Path(__file__).parent / "reference" / "calibration" /
                      "calibration_reference.csv")
    r = ref[(ref.case == "clus1_rake_trim_strict") & (ref.variable == "api00")
            & (ref.statistic == "mean") & ref.domain.isna()]
    assert res[0]["estimate"] == pytest.approx(float(r.estimate.iloc[0]), rel=1e-9)
    assert res[0]["se"] == pytest.approx(float(r.se.iloc[0]), rel=1e-8)


def test_jkn_replicate_columns_with_rscales(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--rep-type jkn --rscales: JKn columns from a file give R's JKn SE (strat_jkn)."""
    from fieldsurvey.estimate import SurveyDesign, as_replicate

    strat = pd.read_csv(Path(__file__).parent / "reference" / "estimate" / "apistrat.csv")
    rep = as_replicate(SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc"), "jkn")
    a = rep.analysis_weights()
    cols = [f"jk{i:03d}" for i in range(a.shape[1])]
    data = pd.concat([strat, pd.DataFrame(a, columns=cols)], axis=1)
    data.to_csv(tmp_path / "jkn.csv", index=False)
    rscales = ",".join(f"{v:.17g}" for v in rep.rscales)
    out = rows(capsys, "--data", str(tmp_path / "jkn.csv"), "--weights", "pw", "--repweights",
               "jk*", "--rep-type", "jkn", "--rscales", rscales, "--scale", "1", "--mean", "api00")
    ref = pd.read_csv(Path(__file__).parent / "reference" / "estimate" / "estimate_reference.csv")
    r = ref[(ref.case == "strat_jkn") & (ref.variable == "api00") & (ref.statistic == "mean")
            & ref.domain.isna()]
    assert out[0]["se"] == pytest.approx(float(r.se.iloc[0]), rel=1e-8)
    assert main(["estimate", "--data", str(tmp_path / "jkn.csv"), "--weights", "pw",
                 "--repweights", "jk*", "--rep-type", "jkn", "--rscales", "1,2",
                 "--mean", "api00"]) == 2
    assert "--rscales" in capsys.readouterr().err


def test_bounded_logit_calibration_round_trip(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """weights calibrate --calfun logit --bounds, then estimate --calibration: R's
    calibrate(..., calfun="logit", bounds=c(0.7, 1.7)) mean of api00 and its SE."""
    (tmp_path / "greg.csv").write_text(GREG)
    out = tmp_path / "w.csv"
    assert main(["weights", "calibrate", "--data", str(API), "--weights", "pw", "--margins",
                 str(tmp_path / "greg.csv"), "--out", str(out), "--calfun", "logit",
                 "--bounds", "0.7,1.7"]) == 0
    w = pd.read_csv(out)
    g = w["weight"] / w["pw"]
    assert g.min() > 0.7 and g.max() < 1.7
    capsys.readouterr()
    res = rows(capsys, "--data", str(out), "--psu", "dnum", "--fpc", "fpc", "--calibration",
               str(tmp_path / "w.calibration.json"), "--mean", "api00")
    ref = pd.read_csv(Path(__file__).parent / "reference" / "calibration" /
                      "calibration_reference.csv")
    r = ref[(ref.case == "clus1_logit") & (ref.variable == "api00") & (ref.statistic == "mean")
            & ref.domain.isna()]
    assert res[0]["se"] == pytest.approx(float(r.se.iloc[0]), rel=1e-8)
    assert main(["weights", "calibrate", "--data", str(API), "--weights", "pw", "--margins",
                 str(tmp_path / "greg.csv"), "--out", str(tmp_path / "x.csv"), "--calfun",
                 "logit", "--bounds", "2,3"]) == 2
    assert "--bounds" in capsys.readouterr().err


def test_cli_choice_lists_agree_with_the_package() -> None:
    import fieldsurvey.cli.estimate as cli
    from fieldsurvey.estimate import LONELY_PSU_RULES, REPLICATE_TYPES

    assert cli.LONELY_PSU_RULES == LONELY_PSU_RULES
    assert cli.REPLICATE_TYPES == REPLICATE_TYPES
