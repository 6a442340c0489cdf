"""``fieldsurvey rates``: formats, groups, e, weights, and users' mistakes."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.rates import CATEGORIES, RATE_NAMES

CODE_OF = {"I": "1.1", "P": "1.2", "R": "2.111", "NC": "2.24", "O": "2.31", "UH": "3.18",
           "UO": "3.21", "NE": "4.61"}


def _write_cases(path: Path, counts: dict[str, int], community: str = "C01") -> None:
    with open(path, "a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if fh.tell() == 0:
            w.writerow(["dwelling_id", "community_id", "interviewer", "disposition", "base_weight"])
        for cat, n in counts.items():
            for i in range(n):
                w.writerow([f"{community}-{cat}-{i}", community, "iv1", CODE_OF[cat], "2.5"])


def test_json_reproduces_the_outcomerate_example(tmp_path: Path, shared_data: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with open(shared_data / "rates" / "aapor_examples_counts.csv", encoding="utf-8") as fh:
        ex = next(r for r in csv.DictReader(fh) if r["example_id"] == "outcomerate_test_x1")
    with open(shared_data / "rates" / "aapor_examples_expected.csv", encoding="utf-8") as fh:
        expected = {r["rate"]: r["expected"] for r in csv.DictReader(fh)
                    if r["example_id"] == "outcomerate_test_x1"}
    f = tmp_path / "cases.csv"
    _write_cases(f, {k: int(ex[k]) for k in CATEGORIES})
    assert main(["rates", "--dispositions", str(f), "--e", ex["e"], "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    for rate in RATE_NAMES:
        assert got[rate] == pytest.approx(float(Fraction(expected[rate])), abs=1e-12), rate
    for cat in CATEGORIES:
        assert got[cat] == int(ex[cat])
    assert got["e"] == 0.5 and got["e_basis"] == "given: e = 0.5"


def test_by_community_json_has_overall_and_groups(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cases.csv"
    _write_cases(f, {"I": 6, "R": 2, "UH": 2, "NE": 1}, "C01")
    _write_cases(f, {"I": 3, "NC": 3, "NE": 1}, "C02")
    assert main(["rates", "--dispositions", str(f), "--by", "community", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["by"] == "community_id" and set(got["groups"]) == {"C01", "C02"}
    assert got["overall"]["I"] == 9 and got["groups"]["C02"]["NC"] == 3
    e = 14 / 16
    assert got["overall"]["e"] == pytest.approx(e)
    assert got["groups"]["C01"]["RR3"] == pytest.approx(6 / (8 + e * 2))
    for key in (*RATE_NAMES, "e", *CATEGORIES):
        assert key in got["overall"] and key in got["groups"]["C01"]


def test_csv_and_weighted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cases.csv"
    _write_cases(f, {"I": 2, "R": 2}, "C01")
    out = tmp_path / "rates.csv"
    assert main(["rates", "--dispositions", str(f), "--by", "interviewer", "--weighted",
                 "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["interviewer"] for r in rows] == ["overall", "iv1"]
    assert float(rows[0]["I"]) == 5.0 and float(rows[0]["RR1"]) == 0.5


def test_table_shows_every_rate_and_states_e(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cases.csv"
    _write_cases(f, {"I": 5, "P": 1, "R": 2, "NC": 1, "UH": 1, "NE": 1})
    assert main(["rates", "--dispositions", str(f), "--by", "community"]) == 0
    text = capsys.readouterr().out
    for name in (*RATE_NAMES, "NE", "C01", "overall"):
        assert name in text
    assert "known eligibility" in text and "RR5/RR6" in text


def test_gbk_file_and_prefix_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "gbk.csv"
    f.write_bytes("社区,disposition\n东城,1.1\n东城,2.1113\n西城,4.612\n".encode("gbk"))
    assert main(["rates", "--dispositions", str(f), "--by", "社区", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["groups"]["东城"]["R"] == 1 and got["groups"]["西城"]["NE"] == 1


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("disposition\n1.1\n9.1\n", [], "row 3, field 'disposition'"),
        ("code\n1.1\n", [], "field 'disposition'"),
        ("disposition\n1.1\n", ["--by", "stratum"], "no such grouping column"),
        ("disposition\n1.1\n", ["--e", "2"], "between 0 and 1"),
        ("disposition,base_weight\n1.1,x\n", ["--weighted"], "field 'base_weight'"),
        ("disposition\n", [], "no cases"),
        ("", [], "empty"),
    ],
)
def test_user_mistakes_exit_2_with_a_paragraph(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               content: str, extra: list[str], message: str) -> None:
    f = tmp_path / "cases.csv"
    f.write_text(content, encoding="utf-8")
    out = tmp_path / "out.json"
    code = main(["rates", "--dispositions", str(f), "--format", "json", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not out.exists()


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rates", "--dispositions", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _store(tmp_path: Path) -> Path:
    from _storekit import make_store

    path = tmp_path / "central.sqlite"
    store = make_store(path, n=8)
    store.record_attempt("C1-000", "2.24")
    store.record_attempt("C1-000", "1.1")  # the most informative outcome wins
    store.record_attempt("C1-002", "1.1")
    store.record_attempt("C1-002", "2.24")
    store.record_attempt("C2-001", "2.111")
    store.record_attempt("C2-003", "4.61")
    store.close()
    return path


def test_rates_from_the_field_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _store(tmp_path)
    assert main(["rates", "--db", str(db), "--by", "community", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["by"] == "community_id"
    c1, c2 = got["groups"]["C1"], got["groups"]["C2"]
    assert (c1["I"], c1["UH"], c2["R"], c2["NE"], c2["UH"]) == (2, 2, 1, 1, 2)
    assert main(["rates", "--db", str(db), "--by", "interviewer", "--weighted",
                 "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["weighted"] and got["groups"]["w1"]["I"] == 40.0


def test_rates_from_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rates", "--db", str(tmp_path / "central.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unreleased_reserve_lines_are_left_out(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cases.csv"
    f.write_text("disposition,released\n1.1,True\n2.111,True\n3.11,False\n", encoding="utf-8")
    assert main(["rates", "--dispositions", str(f), "--format", "json"]) == 0
    captured = capsys.readouterr()
    got = json.loads(captured.out)
    assert got["n"] == 2 and got["UH"] == 0 and got["RR1"] == 0.5
    assert "1 reserve line(s) not released" in captured.err


def test_attempt_history_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "attempts.csv"
    f.write_text("dwelling_id,disposition\nD1,2.24\nD2,1.1\nD1,1.1\n", encoding="utf-8")
    assert main(["rates", "--dispositions", str(f)]) == 2
    err = capsys.readouterr().err
    assert "row 4, field 'dwelling_id'" in err and "final disposition per case" in err


def test_error_row_counts_unreleased_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cases.csv"
    f.write_text("disposition,released\n3.11,False\n1.1,True\n9.9,True\n", encoding="utf-8")
    assert main(["rates", "--dispositions", str(f)]) == 2
    assert "row 4, field 'disposition'" in capsys.readouterr().err
