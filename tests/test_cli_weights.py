"""``fieldsurvey weights calibrate`` and ``fieldsurvey weights`` (the whole chain) from files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.weights import rake, read_case_file, read_margins

REF = Path(__file__).resolve().parent / "reference"


def _margins_file(path: Path, variables: list[str]) -> Path:
    pop = pd.read_csv(REF / "api" / "apipop.csv", dtype=str)
    rows = [(v, level, n) for v in variables for level, n in pop[v].value_counts().items()]
    pd.DataFrame(rows, columns=["variable", "level", "total"]).to_csv(path, index=False)
    return path


def _reference(case: str) -> np.ndarray:
    ref = pd.read_csv(REF / "weights_reference.csv", dtype={"cds": str})
    return ref.loc[ref["case"] == case, "weight"].to_numpy()


def test_calibrate_rake_equals_r(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    margins = _margins_file(tmp_path / "margins.csv", ["stype", "sch.wide"])
    out, report = tmp_path / "raked.csv", tmp_path / "report.json"
    assert main(["weights", "calibrate", "--data", str(REF / "api" / "apiclus1.csv"),
                 "--weights", "pw", "--margins", str(margins), "--method", "rake",
                 "--tol", "1e-13", "--out", str(out), "--report", str(report)]) == 0
    got = pd.read_csv(out, dtype={"cds": str})
    np.testing.assert_allclose(got["weight"], _reference("apiclus1_rake_stype_schwide"),
                               rtol=1e-8)
    assert list(got.columns)[:3] == ["cds", "stype", "sch.wide"]
    text = capsys.readouterr().out
    assert "effective n" in text and "rake" in text
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert rep["converged"] and rep["diagnostics"]["deff"] >= 1


def test_calibrate_poststratify_equals_r(tmp_path: Path) -> None:
    margins = _margins_file(tmp_path / "margins.csv", ["stype"])
    out = tmp_path / "ps.csv"
    assert main(["weights", "calibrate", "--data", str(REF / "api" / "apiclus1.csv"),
                 "--weights", "pw", "--margins", str(margins), "--method", "poststratify",
                 "--out", str(out), "--out-col", "w_ps"]) == 0
    got = pd.read_csv(out)
    np.testing.assert_allclose(got["w_ps"], _reference("apiclus1_poststratify_stype"), rtol=1e-8)


def test_calibrate_with_trim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(8)
    n = 600
    data = pd.DataFrame({"sex": rng.choice(["m", "f"], n), "age": rng.choice(["y", "o"], n),
                         "w": np.where(np.arange(n) < 6, 400.0, rng.uniform(50, 150, n))})
    data.to_csv(tmp_path / "resp.csv", index=False)
    margins = tmp_path / "m.csv"
    margins.write_text("variable,level,total\nsex,m,30000\nsex,f,30000\nage,y,20000\n"
                       "age,o,40000\n", encoding="utf-8")
    out = tmp_path / "trimmed.csv"
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--trim", "3", "--out", str(out)]) == 0
    w = pd.read_csv(out)["weight"]
    raked = rake(read_case_file(tmp_path / "resp.csv"), "w", read_margins(margins)).weights
    cap = 3 * float(np.median(raked))
    assert raked.max() > cap and w.max() <= cap * (1 + 1e-8)
    assert w.sum() == pytest.approx(60000)
    text = capsys.readouterr().out
    assert "then trimming at" in text and "warning" not in text
    q = tmp_path / "q.csv"
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--trim-quantile", "0.99", "--out", str(q)]) == 0
    assert pd.read_csv(q)["weight"].max() <= float(np.quantile(raked, 0.99)) * (1 + 1e-8)


def test_trim_too_tight_for_the_margins_warns(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # 14 high schools must carry 755: no weight can go below 53.9, whatever the cap
    margins = _margins_file(tmp_path / "margins.csv", ["stype", "sch.wide"])
    out = tmp_path / "trimmed.csv"
    assert main(["weights", "calibrate", "--data", str(REF / "api" / "apiclus1.csv"),
                 "--weights", "pw", "--margins", str(margins), "--trim", "1.6",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "warning:" in text and "too tight" in text
    assert pd.read_csv(out)["weight"].sum() == pytest.approx(6194)  # margins still met


@pytest.mark.parametrize(
    ("margins", "extra", "message"),
    [
        (("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\nsch.wide,Yes,10\n"
          "sch.wide,No,10\n"), [], "disagree on the population total"),
        ("variable,level,total\nstype,E,4421\nstype,H,755\n", [], "do not give"),
        ("variable,level,total\nstype,E,1\nstype,H,1\nstype,M,1\nstype,X,1\n", [], "empty cell"),
        ("variable,level,total\nstype,E,1\nstype,H,1\nstype,M,1\nawards,No,1\nawards,Yes,2\n",
         ["--method", "poststratify"], "one variable"),
        ("variable,total\nstype,1\n", [], "lacks required columns"),
    ],
)
def test_calibrate_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str], margins: str,
                            extra: list[str], message: str) -> None:
    m = tmp_path / "m.csv"
    m.write_text(margins, encoding="utf-8")
    out = tmp_path / "out.csv"
    code = main(["weights", "calibrate", "--data", str(REF / "api" / "apiclus1.csv"),
                 "--weights", "pw", "--margins", str(m), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))


def test_calibrate_unknown_weight_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = _margins_file(tmp_path / "m.csv", ["stype"])
    code = main(["weights", "calibrate", "--data", str(REF / "api" / "apiclus1.csv"),
                 "--weights", "wt", "--margins", str(m), "--out", str(tmp_path / "o.csv")])
    assert code == 2 and "field 'wt'" in capsys.readouterr().err


# ---------------------------------------------------------------- the whole chain from files


def _chain_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(11)
    sample_rows, case_rows = [], []
    for c in range(6):
        community = f"C{c + 1:02d}"
        for line in range(1, 31):
            did = f"{community}-{line:03d}"
            sample_rows.append({"stratum": "S1", "community_id": community, "dwelling_id": did,
                                "line": line, "released": "True", "pi_1": 0.4,
                                "pi_2": 30 / (200 + 40 * c), "pi": 0.4 * 30 / (200 + 40 * c),
                                "base_weight": (200 + 40 * c) / (0.4 * 30)})
            code = rng.choice(["1.1", "2.111", "2.24", "3.18", "4.61"], p=[.6, .15, .12, .05, .08])
            sex = rng.choice(["男", "女"]) if code == "1.1" else ""
            k = str(rng.integers(1, 4)) if code == "1.1" else ""
            case_rows.append({"dwelling_id": did, "disposition": code, "sex": sex,
                              "eligible_count": k})
    sample = tmp_path / "sample.csv"
    cases = tmp_path / "cases.csv"
    pd.DataFrame(sample_rows).to_csv(sample, index=False)
    pd.DataFrame(case_rows).to_csv(cases, index=False)
    margins = tmp_path / "margins.csv"
    margins.write_text("variable,level,total\nsex,男,5100\nsex,女,4900\n", encoding="utf-8")
    return sample, cases, margins


def test_weights_chain_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    out, report = tmp_path / "weights.csv", tmp_path / "weights.json"
    assert main(["weights", "--sample", str(sample), "--dispositions", str(cases),
                 "--class", "community", "--margins", str(margins), "--min-respondents", "20",
                 "--trim", "3.5", "--out", str(out), "--report", str(report)]) == 0
    got = pd.read_csv(out)
    assert (got["weight"] > 0).all() and (got["disposition"] == 1.1).all()
    sums = got.groupby("sex")["weight"].sum()
    assert sums["男"] == pytest.approx(5100) and sums["女"] == pytest.approx(4900)
    for col in ("base_weight", "weight_class", "f_eligibility", "f_nonresponse", "f_person",
                "f_calibration"):
        assert col in got.columns
    text = capsys.readouterr().out
    assert "Weighting classes" in text and "merged with" in text and "effective n" in text
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert rep["collapses"] and rep["diagnostics"]["factors"]
    allc = tmp_path / "all.csv"
    assert main(["weights", "--sample", str(sample), "--dispositions", str(cases),
                 "--margins", str(margins), "--out", str(allc), "--all-cases"]) == 0
    assert len(pd.read_csv(allc)) == 180


def test_weights_chain_needs_its_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample, cases, margins = _chain_files(tmp_path)
    assert main(["weights", "--sample", str(sample), "--margins", str(margins),
                 "--out", str(tmp_path / "w.csv")]) == 2
    assert "--db or --dispositions" in capsys.readouterr().err
    with open(cases, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["X-1", "1.1", "男", "1"])
    assert main(["weights", "--sample", str(sample), "--dispositions", str(cases),
                 "--margins", str(margins), "--out", str(tmp_path / "w.csv")]) == 2
    err = capsys.readouterr().err
    assert "not released dwellings of the sample" in err and "row 182" in err


def test_weights_chain_from_the_field_store(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from _storekit import make_store, sample_frame

    db = tmp_path / "central.sqlite"
    store = make_store(db, n=12)
    for i, did in enumerate(sample_frame(12)["dwelling_id"]):
        if i % 4 < 2:
            store.record_selection(did, method="random", eligible_count=1 + i % 3, chosen_line=1)
            uuid = store.start_interview(did)
            store.set_answer(uuid, "sex", ["1", "2"][(i // 4) % 2] if i < 8 else "1")
            store.complete(uuid)
        else:
            store.record_attempt(did, ["2.111", "3.18"][i % 2])
    store.close()
    sample = tmp_path / "sample.csv"
    sample_frame(12).to_csv(sample, index=False)
    margins = tmp_path / "margins.csv"
    margins.write_text("variable,level,total\nstreet,东街,1000\nsex,1,480\nsex,2,520\n",
                       encoding="utf-8")
    out = tmp_path / "w.csv"
    assert main(["weights", "--sample", str(sample), "--db", str(db), "--class", "community",
                 "--min-respondents", "2", "--margins", str(margins), "--out", str(out)]) == 0
    got = pd.read_csv(out)
    assert len(got) == 6 and got["weight"].sum() == pytest.approx(1000)
    assert got.groupby("sex")["weight"].sum().to_dict() == pytest.approx({1: 480, 2: 520})
    first = got.set_index("dwelling_id")
    assert first.loc["C1-000", "f_person"] == 1.0 and first.loc["C2-001", "f_person"] == 2.0
    assert "note:" not in capsys.readouterr().out


def test_vars_selects_margins_of_the_example_district(tmp_path: Path, repo_root: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The example district's margins (sex, age_group, sex:age_group) in both methods."""
    margins = repo_root / "maps" / "margins.csv"
    if not margins.exists():
        pytest.skip("maps/margins.csv not generated")
    rng = np.random.default_rng(3)
    n = 800
    data = pd.DataFrame({"sex": rng.choice(["male", "female"], n),
                         "age_group": rng.choice(["18-29", "30-39", "40-49", "50-59", "60-69",
                                                  "70+"], n),
                         "w": rng.uniform(100, 300, n)})
    data.to_csv(tmp_path / "resp.csv", index=False)
    cross = tmp_path / "ps.csv"
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--method", "poststratify", "--vars",
                 "sex:age_group", "--out", str(cross)]) == 0
    raked = tmp_path / "rk.csv"
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--vars", "sex,age_group", "--out", str(raked)]) == 0
    totals = read_margins(margins)
    for path in (cross, raked):
        got = pd.read_csv(path)
        sums = got.groupby("sex")["weight"].sum()
        assert sums["male"] == pytest.approx(totals["sex"]["male"])
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--method", "poststratify",
                 "--out", str(tmp_path / "x.csv")]) == 2
    assert "--vars" in capsys.readouterr().err
    assert main(["weights", "calibrate", "--data", str(tmp_path / "resp.csv"), "--weights", "w",
                 "--margins", str(margins), "--vars", "income",
                 "--out", str(tmp_path / "x.csv")]) == 2
    assert "field 'income'" in capsys.readouterr().err


def test_weights_chain_saves_the_calibration_for_estimate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """weights writes weights.calibration.json; estimate --calibration re-rakes from
    w_precalibration, so its SE equals the raked design built in Python."""
    from fieldsurvey.estimate import SurveyDesign, svymean

    sample, cases, margins = _chain_files(tmp_path)
    out = tmp_path / "weights.csv"
    assert main(["weights", "--sample", str(sample), "--dispositions", str(cases),
                 "--margins", str(margins), "--out", str(out)]) == 0
    spec = tmp_path / "weights.calibration.json"
    assert json.loads(spec.read_text(encoding="utf-8"))["input_weights"] == "w_precalibration"
    got = pd.read_csv(out)
    got["y"] = np.arange(len(got)) % 7
    got.to_csv(out, index=False)
    capsys.readouterr()
    assert main(["estimate", "--data", str(out), "--psu", "community_id", "--calibration",
                 str(spec), "--mean", "y", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    raked = SurveyDesign(got, ids="community_id", weights="w_precalibration").rake(
        {"sex": {"男": 5100.0, "女": 4900.0}})
    ref = svymean("y", raked).rows[0]
    assert raked.weights == pytest.approx(got["weight"].to_numpy(), rel=1e-8)
    assert row["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert row["se"] == pytest.approx(ref.se, rel=1e-12)
