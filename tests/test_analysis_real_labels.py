"""Value labels and special-answer codes of real analysis files reach ``fieldsurvey estimate``.

Real respondent files carry their codes' meaning with them: SPSS ``.sav`` and Stata ``.dta``
value labels (``1 = 男``) and missing declarations (SPSS user-missing, Stata ``.a``), or, for
CSV and Parquet written by ``fieldsurvey export``, ``codebook_values.csv`` beside the table
(-8 不知道, -9 拒绝回答, 8 不了解 marked ``missing = yes``). The same answers in any of these
forms must give the same figures (special answers left out, as R after
``haven::zap_missing`` or Stata after ``mvdecode``), and categories and domains are shown by
their labels (as ``haven::as_factor`` and Stata's ``svy: proportion`` do).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from fieldsurvey.cli.main import main

SEX = {1: "男", 2: "女"}
SAT = {1: "非常不满意", 2: "不太满意", 3: "一般", 4: "比较满意", 5: "非常满意",
       8: "不了解", -8: "不知道", -9: "拒绝回答"}


def respondents() -> pd.DataFrame:
    """60 respondents in 6 communities of 2 strata, a 1-5 item with special answers."""
    rng = np.random.default_rng(7)
    n = 60
    sat = rng.integers(1, 6, n).astype(float)
    sat[[3, 17, 40]] = -8
    sat[[9, 33]] = -9
    sat[[5, 25, 51]] = 8
    return pd.DataFrame({
        "社区": np.repeat(np.arange(1, 7), 10),
        "层": np.repeat([1, 2], 30),
        "权重": np.round(rng.uniform(20, 80, n), 3),
        "性别": rng.integers(1, 3, n).astype(float),
        "满意度": sat,
    })


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[pd.DataFrame, str]:
    assert main(["estimate", *argv, "--format", "csv"]) == 0
    cap = capsys.readouterr()
    return pd.read_csv(io.StringIO(cap.out), keep_default_na=False, na_values=[""]), cap.err


DESIGN = ["--psu", "社区", "--strata", "层", "--weights", "权重"]
STATS = ["--mean", "满意度", "--prop", "满意度", "--by", "性别"]


@pytest.fixture
def expected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> pd.DataFrame:
    """The figures with the special answers removed by hand, codes shown."""
    d = respondents()
    d.loc[d["满意度"].isin([8, -8, -9]), "满意度"] = np.nan
    path = tmp_path / "clean.csv"
    d.to_csv(path, index=False)
    return run(capsys, "--data", str(path), *DESIGN, *STATS)[0]


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["domain"] = out["domain"].str.replace("性别=1", "性别=男").str.replace("性别=2", "性别=女")
    lv = out["level"].map(lambda v: SAT.get(int(float(v))) if pd.notna(v) else v)
    out["level"] = lv
    return out


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got["domain"].astype(object).fillna("")) == \
        list(want["domain"].astype(object).fillna(""))
    assert [str(v) for v in got["level"].astype(object).fillna("")] == \
        [str(v) for v in want["level"].astype(object).fillna("")]
    for col in ("estimate", "se", "ci_low", "ci_high", "n"):
        assert np.allclose(got[col], want[col], rtol=1e-12, equal_nan=True), col


def test_sav_labels_and_user_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     expected: pd.DataFrame) -> None:
    path = tmp_path / "resp.sav"
    pyreadstat.write_sav(respondents(), str(path),
                         variable_value_labels={"性别": SEX, "满意度": SAT},
                         missing_ranges={"满意度": [-9, -8, 8]})
    got, _ = run(capsys, "--data", str(path), *DESIGN, *STATS)
    same(got, labelled(expected))
    assert set(got["domain"]) == {"性别=男", "性别=女"}
    codes, _ = run(capsys, "--data", str(path), *DESIGN, *STATS, "--codes")
    same(codes, expected)


def test_dta_labels_and_tagged_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       expected: pd.DataFrame) -> None:
    d = respondents()
    path = tmp_path / "resp.dta"
    pyreadstat.write_dta(d, str(path), variable_value_labels={"性别": SEX, "满意度": SAT},
                         missing_user_values={"满意度": ["a", "b", "c"]}, version=15)
    # Stata keeps user-missing as .a/.b/.c only when the values are tagged: do as export does
    sat = d["满意度"].astype(object)
    sat[d["满意度"] == -8] = "a"
    sat[d["满意度"] == -9] = "b"
    sat[d["满意度"] == 8] = "c"
    d["满意度"] = sat
    pyreadstat.write_dta(d, str(path), variable_value_labels={"性别": SEX, "满意度": SAT},
                         missing_user_values={"满意度": ["a", "b", "c"]}, version=15)
    got, _ = run(capsys, "--data", str(path), *DESIGN, *STATS)
    same(got, labelled(expected))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_codebook_beside_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          expected: pd.DataFrame, fmt: str) -> None:
    d = respondents()
    path = tmp_path / f"interviews.{fmt}"
    if fmt == "csv":
        d.to_csv(path, index=False)
    else:
        d.to_parquet(path, index=False)
    rows = [("性别", k, v, "no", "") for k, v in SEX.items()]
    tags = {-8: ".a", -9: ".b", 8: ".c"}
    rows += [("满意度", k, v, "yes" if k in tags else "no", tags.get(k, ""))
             for k, v in SAT.items()]
    pd.DataFrame(rows, columns=["variable", "code", "label", "missing", "stata"]).to_csv(
        tmp_path / "codebook_values.csv", index=False)
    got, err = run(capsys, "--data", str(path), *DESIGN, *STATS)
    same(got, labelled(expected))
    assert "left out as missing: 满意度 8" in err


def test_missing_codes_flag_for_a_plain_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            expected: pd.DataFrame) -> None:
    path = tmp_path / "plain.csv"
    respondents().to_csv(path, index=False)
    got, err = run(capsys, "--data", str(path), *DESIGN, *STATS, "--missing-codes=-8,-9,8")
    same(got, expected)
    assert "满意度 8" in err
    # the design's own columns are never touched by --missing-codes
    got, _ = run(capsys, "--data", str(path), *DESIGN, "--total", "权重",
                 "--missing-codes=-8,-9,8")
    assert got["n"].iloc[0] == 60


def test_codebook_file_named_and_bad_codebook_refused(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.csv"
    respondents().to_csv(path, index=False)
    bad = tmp_path / "book.csv"
    bad.write_text("name,value\n满意度,-8\n", encoding="utf-8")
    assert main(["estimate", "--data", str(path), *DESIGN, "--mean", "满意度",
                 "--codebook", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "codebook lacks columns" in err and "variable, code, label" in err


def test_table_columns_line_up_with_chinese(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "resp.sav"
    pyreadstat.write_sav(respondents(), str(path), variable_value_labels={"性别": SEX})
    assert main(["estimate", "--data", str(path), *DESIGN, "--prop", "性别"]) == 0
    lines = capsys.readouterr().out.splitlines()
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    start = {width(line[: line.index("0.")]) for line in lines[2:4]}
    assert len(start) == 1  # the estimate column starts at the same screen column


def test_margins_in_words_rake_a_coded_sav(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Census margins say 男/女; the .sav holds 1/2 labelled so: the raking uses the labels
    and gives the figures of the same data held as words."""
    d = respondents()
    d.loc[d["满意度"].isin([8, -8, -9]), "满意度"] = np.nan
    margins = tmp_path / "margins.csv"
    pd.DataFrame({"variable": ["性别", "性别"], "level": ["男", "女"],
                  "total": [1480.0, 1620.0]}).to_csv(margins, index=False)
    sav = tmp_path / "coded.sav"
    pyreadstat.write_sav(d, str(sav), variable_value_labels={"性别": SEX})
    words = tmp_path / "words.csv"
    d.assign(性别=d["性别"].map(SEX)).to_csv(words, index=False)
    stats = ["--rake", str(margins), "--mean", "满意度", "--total", "满意度"]
    got, err = run(capsys, "--data", str(sav), *DESIGN, *stats)
    assert "性别: codes read as their value labels" in err
    want, _ = run(capsys, "--data", str(words), *DESIGN, *stats)
    same(got, want)


def test_weights_calibrate_a_coded_sav_to_margins_in_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """weights calibrate reads the labelled codes as the margins name them, and estimate
    --calibration on its output (labels) and on the .sav (codes) gives the same figures."""
    d = respondents()
    sav = tmp_path / "coded.sav"
    pyreadstat.write_sav(d, str(sav), variable_value_labels={"性别": SEX, "满意度": SAT},
                         missing_ranges={"满意度": [-9, -8, 8]})
    margins = tmp_path / "margins.csv"
    pd.DataFrame({"variable": ["性别", "性别"], "level": ["女", "男"],
                  "total": [1620.0, 1480.0]}).to_csv(margins, index=False)
    out = tmp_path / "cal.csv"
    assert main(["weights", "calibrate", "--data", str(sav), "--weights", "权重", "--margins",
                 str(margins), "--out", str(out)]) == 0
    assert "codes read as their value labels" in capsys.readouterr().out
    cal = pd.read_csv(out)
    assert set(cal["性别"]) == {"男", "女"}
    assert cal.groupby("性别")["weight"].sum().to_dict() == pytest.approx({"女": 1620, "男": 1480})
    spec = str(out.with_name("cal.calibration.json"))
    a, _ = run(capsys, "--data", str(out), "--psu", "社区", "--strata", "层", "--calibration", spec,
               "--mean", "满意度", "--missing-codes=-8,-9,8")
    b, _ = run(capsys, "--data", str(sav), "--psu", "社区", "--strata", "层", "--calibration", spec,
               "--mean", "满意度")
    same(a, b)
