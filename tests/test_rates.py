"""AAPOR dispositions and rates: formulas, worked examples, prefix codes, groups, weights."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.rates import (
    CATEGORIES,
    DISPOSITIONS,
    RATE_NAMES,
    aapor_rates,
    count_dispositions,
    disposition_categories,
    estimate_e,
    lookup_disposition,
    normalise_code,
    rates_from_counts,
)

# ---------------------------------------------------------------- worked examples (shared data)


def _examples(shared_data: Path) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    with open(shared_data / "rates" / "aapor_examples_counts.csv", encoding="utf-8") as fh:
        counts = {r["example_id"]: r for r in csv.DictReader(fh)}
    with open(shared_data / "rates" / "aapor_examples_expected.csv", encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    return counts, expected


def test_every_worked_example_matches(shared_data: Path) -> None:
    counts, expected = _examples(shared_data)
    checked = 0
    for row in expected:
        if row["rate"] not in RATE_NAMES:  # LOC1/LOC2 are outcomerate's own, not AAPOR
            continue
        c = counts[row["example_id"]]
        got = rates_from_counts({k: float(c[k]) for k in CATEGORIES}, float(c["e"]))
        value = float(got[row["rate"]].iloc[0])
        if row["rounding"] == "exact" or row["expected"]:
            exact = float(Fraction(row["expected"]))
            assert value == pytest.approx(exact, abs=1e-12), row
        if row["rounding"] == "3dp":
            assert round(value, 3) == pytest.approx(float(row["expected_decimal"])), row
        else:
            assert value == pytest.approx(float(row["expected_decimal"]), abs=5e-7), row
        checked += 1
    assert checked == 16 + 16 + 2  # x1 and readme: every AAPOR rate; OMB: RR3 twice


def test_readme_e_is_the_proportional_estimate(shared_data: Path) -> None:
    counts, _ = _examples(shared_data)
    c = counts["outcomerate_readme_freq"]
    e = estimate_e({k: float(c[k]) for k in CATEGORIES})
    assert e[0] == pytest.approx(float(c["e"]))
    # and estimated e gives the README's printed RR3
    got = rates_from_counts({k: float(c[k]) for k in CATEGORIES})
    assert round(float(got["RR3"].iloc[0]), 3) == 0.370


def test_formulas_match_outcomerate_fmat(shared_data: Path) -> None:
    """Every AAPOR rate equals num/den built from outcomerate's 0/1 matrix, on random counts."""
    with open(shared_data / "rates" / "outcomerate_fmat.csv", encoding="utf-8-sig") as fh:
        fmat = list(csv.DictReader(fh))
    rng = np.random.default_rng(7)
    counts = pd.DataFrame(rng.integers(1, 50, size=(20, 8)), columns=list(CATEGORIES))
    e = rng.uniform(0, 1, size=20)
    got = rates_from_counts(counts, e)
    cols = ["I", "P", "R", "NC", "O", "UH", "UO", "NE"]
    for rate in RATE_NAMES:
        num = next(r for r in fmat if r["side"] == "NUM" and r["rate"] == rate)
        den = next(r for r in fmat if r["side"] == "DEN" and r["rate"] == rate)

        def total(row: dict[str, str]) -> np.ndarray:
            s = sum(int(row[c]) * counts[c].to_numpy(dtype=float) for c in cols)
            return s + e * (int(row["eUH"]) * counts["UH"] + int(row["eUO"]) * counts["UO"]).to_numpy()

        np.testing.assert_allclose(got[rate], total(num) / total(den), rtol=1e-13, err_msg=rate)


def test_zero_denominator_is_nan_and_e_without_unknowns_is_harmless() -> None:
    got = rates_from_counts({"NE": 3})
    assert got[list(RATE_NAMES)].isna().all(axis=None)
    only_known = rates_from_counts({"I": 2, "R": 2})  # no NE: e = 1, no unknowns anyway
    assert only_known["RR3"].iloc[0] == 0.5
    no_known = rates_from_counts({"I": 0, "UH": 2, "NE": 0})
    assert np.isnan(no_known["e"].iloc[0]) and no_known["RR1"].iloc[0] == 0.0


# ---------------------------------------------------------------- disposition codes


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("1.1", "I"), (1.1, "I"), ("1.10", "I"), ("1.2", "P"), ("1.000", "I"),
        ("2.111", "R"), ("2.1113", "R"), ("2.11", "R"), ("2.110", "R"), (2.12, "R"),
        ("2.23", "NC"), ("2.24", "NC"), ("2.25", "NC"),
        ("2.31", "O"), ("2.333", "O"), ("2.36", "O"), ("2.9", "O"),
        ("3.11", "UH"), ("3.17", "UH"), ("3.18", "UH"), ("3.21", "UO"), ("3.90", "UO"),
        ("4.10", "NE"), ("4.51", "NE"), ("4.612", "NE"), ("4.7", "NE"), (" 4.9 ", "NE"),
    ],
)  # fmt: skip
def test_codes_read_by_prefix(code: object, category: str) -> None:
    found = lookup_disposition(code)
    assert found is not None and found.category == category


@pytest.mark.parametrize("bad", ["5.1", "abc", "", None, float("nan"), "2..1", "0.1", "1.1a"])
def test_invalid_codes(bad: object) -> None:
    assert lookup_disposition(bad) is None


def test_normalise_code() -> None:
    assert normalise_code("2.110") == "2.11"
    assert normalise_code(1.0) == "1"
    assert normalise_code(np.float64(2.24)) == "2.24"
    assert normalise_code(4) == "4"


def test_scheme_has_both_labels_and_valid_categories() -> None:
    for code, d in DISPOSITIONS.items():
        assert d.code == code and d.category in CATEGORIES
        assert d.label_en and d.label_zh and any("\u4e00" <= ch <= "\u9fff" for ch in d.label_zh)
    assert DISPOSITIONS["2.111"].label_zh.startswith("户级拒访")
    assert DISPOSITIONS["1.1"].respondent and DISPOSITIONS["3.21"].eligible is None
    assert DISPOSITIONS["4.61"].eligible is False and DISPOSITIONS["2.24"].eligible is True
    # in-person codes of FIELDWORK.md §3 are all there
    for code in ("1.1", "1.2", "2.11", "2.111", "2.112", "2.12", "2.23", "2.24", "2.25", "2.31",
                 "2.32", "2.33", "2.331", "2.332", "2.333", "2.36", "3.11", "3.17", "3.18",
                 "3.21", "3.9", "4.1", "4.51", "4.52", "4.53", "4.61", "4.62", "4.63", "4.7",
                 "4.8", "4.9"):
        assert code in DISPOSITIONS


def test_agrees_with_responserates_code_table(shared_data: Path) -> None:
    """Every code of leeper/responserates' codes.tsv in groups 1–3 resolves to its category.

    That table files every 4.x code under ``uo``; AAPOR's Standard Definitions (and
    FIELDWORK.md) make 4.x "not eligible", so we count them as NE and check that instead.
    """
    with open(shared_data / "rates" / "aapor_disposition_codes.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) > 100
    for row in rows:
        found = lookup_disposition(row["code"])
        assert found is not None, row
        if row["code"].startswith("4"):
            assert row["final"] == "uo" and found.category == "NE"
        else:
            assert found.category == row["final"].upper(), row


def test_disposition_categories_error_names_row_and_value() -> None:
    with pytest.raises(InputError) as exc:
        disposition_categories(pd.Series(["1.1", "2.24", "9.9", None]), file="cases.csv")
    err = exc.value
    assert err.row == 4 and err.field == "disposition" and "'9.9'" in str(err.got)
    assert "2 case(s)" in err.message and err.file == "cases.csv"


# ---------------------------------------------------------------- case files, groups, weights


def _cases() -> pd.DataFrame:
    rows = [
        ("A", "1.1", 10.0), ("A", "1.2", 10.0), ("A", "2.111", 20.0), ("A", "2.24", 10.0),
        ("A", "3.18", 10.0), ("A", "4.61", 10.0), ("B", "1.1", 5.0), ("B", "1.1", 5.0),
        ("B", "2.12", 5.0), ("B", "2.31", 5.0), ("B", "3.21", 5.0), ("B", "3.11", 5.0),
        ("B", "4.53", 5.0), ("C", "1.100", 1.0),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["community", "disposition", "base_weight"])


def test_counts_by_group_and_overall() -> None:
    d = _cases()
    t = count_dispositions(d["disposition"], groups=d["community"])
    assert list(t.index) == ["A", "B", "C"]
    assert t.loc["A", ["I", "P", "R", "NC", "O", "UH", "UO", "NE"]].tolist() == [1, 1, 1, 1, 0, 1, 0, 1]
    assert t.loc["B", ["I", "R", "O", "UH", "UO", "NE"]].tolist() == [2, 1, 1, 1, 1, 1]
    assert t["n"].sum() == len(d)


def test_aapor_rates_overall_and_by_group_equal_direct_formulas() -> None:
    d = _cases()
    table = aapor_rates(d, by="community")
    I, P, R, NC, O, UH, UO, NE = 4, 1, 2, 1, 1, 2, 1, 2
    e = (I + P + R + NC + O) / (I + P + R + NC + O + NE)
    assert table.overall["e"] == pytest.approx(e)
    assert table.overall["RR1"] == pytest.approx(I / (I + P + R + NC + O + UH + UO))
    assert table.overall["RR3"] == pytest.approx(I / (I + P + R + NC + O + e * (UH + UO)))
    assert table.overall["COOP4"] == pytest.approx((I + P) / (I + P + R))
    assert table.overall["CON1"] == pytest.approx((I + P + R + O) / (I + P + R + NC + O + UH + UO))
    a = table.groups.loc["A"]  # pooled e applied to the group
    assert a["e"] == pytest.approx(e)
    assert a["RR2"] == pytest.approx(2 / 5) and a["RR4"] == pytest.approx(2 / (4 + e * 1))
    assert "pooled" in table.e_basis and "known eligibility" in table.e_basis
    own = aapor_rates(d, by="community", e_by_group=True)
    assert own.groups.loc["A", "e"] == pytest.approx(4 / 5)
    assert "within each group" in own.e_basis


def test_weighted_rates_use_weight_sums() -> None:
    d = _cases()
    t = aapor_rates(d, weights="base_weight", e=0.5)
    w_i = 10 + 5 + 5 + 1
    den = (10 + 10 + 20 + 10) + (5 + 5 + 5 + 5) + 1 + 0.5 * (10 + 5 + 5)
    assert t.weighted and t.overall["RR3"] == pytest.approx(w_i / den)
    assert t.e_basis == "given: e = 0.5"


def test_group_rates_vectorised_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    codes = rng.choice(["1.1", "1.2", "2.11", "2.24", "2.31", "3.11", "3.21", "4.61"], 3000)
    d = pd.DataFrame({"disposition": codes, "g": rng.integers(0, 40, 3000),
                      "w": rng.uniform(1, 3, 3000)})
    t = aapor_rates(d, by="g", weights="w", e_by_group=True)
    for g in (0, 17, 39):
        one = aapor_rates(d[d["g"] == g], weights="w")
        pd.testing.assert_series_equal(t.groups.loc[g, one.overall.index], one.overall,
                                       check_names=False, rtol=1e-12)


def test_missing_group_value_is_its_own_group() -> None:
    d = _cases()
    d.loc[0, "community"] = None
    t = aapor_rates(d, by="community")
    assert "(none)" in t.groups.index and t.groups.loc["(none)", "n"] == 1


def test_to_dict_keys() -> None:
    d = _cases()
    flat = aapor_rates(d).to_dict()
    for key in (*RATE_NAMES, "e", *CATEGORIES):
        assert key in flat
    assert isinstance(flat["I"], int) and flat["e_basis"]
    grouped = aapor_rates(d, by="community").to_dict()
    assert set(grouped["groups"]) == {"A", "B", "C"} and grouped["by"] == "community"
    assert grouped["overall"]["RR1"] == flat["RR1"]
    assert grouped["groups"]["C"]["REF1"] == 0.0


def test_bad_inputs() -> None:
    d = _cases()
    with pytest.raises(ColumnError):
        aapor_rates(d, by="interviewer")
    with pytest.raises(InputError, match="between 0 and 1"):
        aapor_rates(d, e=1.5)
    d.loc[3, "base_weight"] = -1
    with pytest.raises(InputError) as exc:
        aapor_rates(d, weights="base_weight", file="x.csv")
    assert exc.value.row == 5 and exc.value.field == "base_weight"


def test_rates_and_weights_import_no_presentation_code() -> None:
    import subprocess
    import sys

    code = ("import sys, fieldsurvey.rates, fieldsurvey.weights, fieldsurvey.weights.pipeline;"
            "print(','.join(m for m in ('rich', 'textual', 'geopandas', 'fieldsurvey.cli') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
