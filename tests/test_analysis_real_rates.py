"""``fieldsurvey rates`` on a per-case disposition file of the kind other tools write.

R's ``outcomerate`` (ropensci) codes each case with the AAPOR outcome group (``I``, ``P``,
``R``, ``NC``, ``O``, ``UH``, ``UO``, ``NE``) rather than a numeric final code, and so do the
AAPOR calculator's tables. The case file is rebuilt here from the committed counts of
outcomerate's example data ``middleearth`` (region x code: cases and the sum of the survey
weights, which is all the rates depend on), and every rate is compared with outcomerate's
own figures (``tests/reference/rates/make_outcomerate_reference.R``) to 1e-12.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.rates import RATE_NAMES

REF = Path(__file__).parent / "reference" / "rates"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF / "outcomerate_reference.csv")


def case_file(tmp: Path, *, weighted: bool, lower: bool = False) -> Path:
    """One row per case (unweighted) or per region x code with the weight sum (weighted)."""
    counts = pd.read_csv(REF / "middleearth_counts.csv")
    if weighted:
        rows = counts.rename(columns={"weight": "svywt"})[["region", "code", "svywt"]]
    else:
        rows = counts.loc[counts.index.repeat(counts["cases"]), ["region", "code"]]
    rows = rows.sample(frac=1.0, random_state=1)  # cases in no particular order
    if lower:
        rows["code"] = rows["code"].str.lower()
    path = tmp / ("weighted.csv" if weighted else "cases.csv")
    rows.to_csv(path, index=False)
    return path


def run_rates(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict[str, object]]:
    """The rates as JSON: {"overall": {...}} and one entry per group with --by."""
    assert main(["rates", *argv, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    if "groups" not in payload:
        return {"overall": payload}
    return {"overall": payload["overall"], **payload["groups"]}


def check(by_group: dict[str, dict[str, object]], ref: pd.DataFrame) -> int:
    compared = 0
    for group, part in ref.groupby("group"):
        got = by_group[str(group)]
        for rate, value in zip(part["rate"], part["value"], strict=True):
            if rate not in ("e", *RATE_NAMES):
                continue  # outcomerate's LOC1/LOC2 are not AAPOR rates
            assert float(got[rate]) == pytest.approx(value, rel=1e-12, abs=1e-15), (group, rate)
            compared += 1
    return compared


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_group_letters_match_outcomerate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         reference: pd.DataFrame, weighted: bool) -> None:
    path = case_file(tmp_path, weighted=weighted, lower=weighted)
    kind = "weighted" if weighted else "unweighted"
    w = ["--weighted", "--weight-col", "svywt"] if weighted else []
    base = ["--dispositions", str(path), "--disposition-col", "code", *w]
    n = check(run_rates(capsys, *base), reference[reference["case"] == kind])
    n += check(run_rates(capsys, *base, "--e", "0.8"),
               reference[reference["case"] == f"{kind}_e0.8"])
    n += check(run_rates(capsys, *base, "--by", "region", "--e-by-group"),
               reference[reference["case"] == f"{kind}_by_region"])
    assert n == 17 * 2 + 17 * 5


def test_group_letters_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = case_file(tmp_path, weighted=False)
    overall = run_rates(capsys, "--dispositions", str(path), "--disposition-col", "code")["overall"]
    assert [overall[c] for c in ("I", "P", "R", "NC", "O", "UH", "UO", "NE")] == \
        [760, 339, 59, 288, 1, 0, 173, 71]


def test_unknown_word_refused_with_the_groups_named(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.csv"
    path.write_text("code\nI\nNC\nUnlocated\n", encoding="utf-8")
    assert main(["rates", "--dispositions", str(path), "--disposition-col", "code"]) == 2
    err = capsys.readouterr().err
    assert "row 4" in err and "'Unlocated'" in err and "I, P, R, NC, O, UH, UO or NE" in err


def test_table_of_counts_per_code(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  reference: pd.DataFrame) -> None:
    """One row per region x code with its number of cases (--count-col), as the AAPOR
    calculator takes a disposition table: the same rates as one row per case."""
    counts = pd.read_csv(REF / "middleearth_counts.csv")[["region", "code", "cases"]]
    path = tmp_path / "table.csv"
    counts.to_csv(path, index=False)
    base = ["--dispositions", str(path), "--disposition-col", "code", "--count-col", "cases"]
    got = run_rates(capsys, *base)
    assert got["overall"]["n"] == 1691 and got["overall"]["I"] == 760
    n = check(got, reference[reference["case"] == "unweighted"])
    n += check(run_rates(capsys, *base, "--by", "region", "--e-by-group"),
               reference[reference["case"] == "unweighted_by_region"])
    assert n == 17 * 6
    counts["cases"] = counts["cases"].astype(float)
    counts.loc[3, "cases"] = 2.5
    counts.to_csv(path, index=False)
    assert main(["rates", *base]) == 2
    err = capsys.readouterr().err
    assert "whole number" in err and "row 5" in err and "'2.5'" in err


def test_wide_table_of_group_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Counts of the eight outcome groups per survey, with each survey's e, as published
    (outcomerate's test vector and README; OMB ICR 202202-0920-014 Attachment 14)."""
    rows = [("outcomerate_x1", 5, 3, 2, 1, 2, 1, 1, 1, 0.5),
            ("outcomerate_readme", 4, 2, 1, 1, 1, 1, 1, 1, 0.9),
            ("omb_a", 300, 0, 0, 0, 5, 150, 0, 0, 0.9),
            ("omb_b", 300, 0, 0, 0, 5, 100, 0, 0, 0.9)]
    path = tmp_path / "counts.csv"
    pd.DataFrame(rows, columns=["survey", "I", "P", "R", "NC", "O", "UH", "UO", "NE", "e"]).to_csv(
        path, index=False)
    got = run_rates(capsys, "--dispositions", str(path))
    expected = {"outcomerate_x1": {"RR1": 1 / 3, "RR2": 8 / 15, "RR3": 5 / 14, "RR4": 4 / 7,
                                   "RR5": 5 / 13, "RR6": 8 / 13, "COOP1": 5 / 12},
                "outcomerate_readme": {"RR1": 4 / 11, "RR6": 6 / 9},
                "omb_a": {"RR3": 300 / 440}, "omb_b": {"RR3": 300 / 395}}
    for survey, rates in expected.items():
        for rate, value in rates.items():
            assert got[survey][rate] == pytest.approx(value, rel=1e-12), (survey, rate)
    assert got["omb_a"]["n"] == 455 and got["omb_a"]["e"] == 0.9


def test_codes_written_with_their_labels(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """'2.24 家中无人' (as fieldsurvey and CATI systems print a code with its label)."""
    path = tmp_path / "d.csv"
    pd.DataFrame({"disposition": ["1.1 完成访问", "1.1 Complete interview", "2.111 户级拒访",
                                  "2.24 家中无人", "3.18 找不到地址", "4.61 常规空置住房"]}).to_csv(
        path, index=False)
    overall = run_rates(capsys, "--dispositions", str(path))["overall"]
    assert [overall[c] for c in ("I", "R", "NC", "UH", "NE")] == [2, 1, 1, 1, 1]
