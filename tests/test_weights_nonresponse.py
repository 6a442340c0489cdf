"""Unknown-eligibility and nonresponse adjustment, class collapsing, and the whole chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.io.errors import ColumnError, InputError, WeightingError
from fieldsurvey.weights import adjust_nonresponse
from fieldsurvey.weights.pipeline import weight_sample


def _class(rows: list[tuple[str, float]], cls: str) -> pd.DataFrame:
    return pd.DataFrame({"c": cls, "disposition": [r[0] for r in rows],
                         "base_weight": [r[1] for r in rows]})


def test_hand_computed_factors_with_given_e() -> None:
    rows = [("1.1", 10), ("1.2", 10), ("2.11", 20), ("2.24", 10), ("3.18", 10), ("3.21", 30),
            ("4.61", 5)]
    d = _class(rows, "A")
    r = adjust_nonresponse(d, classes="c", min_respondents=1, max_factor=4, e=0.5)
    w_e, w_u, w_ne, w_r = 50.0, 40.0, 5.0, 20.0
    f_el = (w_e + 0.5 * w_u) / w_e
    f_nr = w_e / w_r
    np.testing.assert_allclose(r.weights, [10 * f_el * f_nr, 10 * f_el * f_nr, 0, 0, 0, 0, 0])
    assert r.weights.sum() == pytest.approx(w_e + 0.5 * w_u)
    assert r.cases["w_eligibility"].iloc[6] == pytest.approx(w_ne + 0.5 * w_u)  # NE: (1-e)·W_U
    assert r.classes.loc["A", "factor"] == pytest.approx(f_el * f_nr)
    assert r.collapses.empty and r.report() == "No weighting class was collapsed."


def test_estimated_e_equals_spreading_unknowns_over_known_cases() -> None:
    rng = np.random.default_rng(5)
    codes = rng.choice(["1.1", "2.11", "2.24", "3.11", "3.21", "4.53"], 400)
    d = pd.DataFrame({"c": rng.choice(["A", "B"], 400), "disposition": codes,
                      "base_weight": rng.uniform(5, 15, 400)})
    r = adjust_nonresponse(d, classes="c", min_respondents=1, max_factor=100)
    for cls, g in d.groupby("c"):
        w = g["base_weight"]
        unknown = g["disposition"].str.startswith("3")
        f = w.sum() / w[~unknown].sum()  # classic: spread the unknowns over all known cases
        assert r.cases.loc[g.index[~unknown], "f_eligibility"].to_numpy() == pytest.approx(f)
        eligible = g["disposition"].str[0].isin(["1", "2"])
        assert r.weights[g.index].sum() == pytest.approx(w[eligible].sum() * f)
        assert r.weights[g.index].sum() == pytest.approx(
            w[eligible].sum() + r.classes.loc[cls, "e"] * w[unknown].sum())


def test_collapsing_follows_the_stated_order_and_is_reported() -> None:
    d = pd.concat([
        _class([("1.1", 1.0)] * 30 + [("2.11", 1.0)] * 10, "A"),
        _class([("1.1", 1.0)] * 5 + [("2.24", 1.0)] * 5, "B"),     # too few respondents
        _class([("1.1", 1.0)] * 25 + [("2.11", 1.0)] * 5, "C"),
        _class([("1.1", 1.0)] * 21 + [("2.11", 1.0)] * 60, "D"),   # factor 81/21 > 3
    ], ignore_index=True)
    r = adjust_nonresponse(d, classes="c", order=["A", "B", "C", "D"], min_respondents=20,
                           max_factor=3.0)
    steps = r.collapses[["class", "into", "result"]].to_numpy().tolist()
    assert steps == [["B", "C", "B+C"], ["D", "B+C", "B+C+D"]]
    assert "merged with C" in r.report() and "respondents < 20" in r.report()
    assert list(r.classes.index) == ["A", "B+C+D"]
    assert r.classes.loc["B+C+D", "members"] == 3
    assert set(r.cases.loc[d["c"] == "D", "weight_class"]) == {"B+C+D"}
    # another order gives another neighbour
    r2 = adjust_nonresponse(d, classes="c", order=["B", "A", "D", "C"], min_respondents=20,
                            max_factor=3.0)
    assert r2.collapses.iloc[0][["class", "into"]].tolist() == ["B", "A"]


def test_single_class_failing_is_kept_with_a_note() -> None:
    d = _class([("1.1", 1.0)] * 3 + [("2.11", 1.0)] * 2, "A")
    r = adjust_nonresponse(d, classes="c", min_respondents=20)
    assert r.notes and "still fails" in r.notes[0]
    assert r.weights.sum() == pytest.approx(5.0)


def test_nonresponse_errors() -> None:
    d = _class([("2.11", 1.0), ("2.24", 1.0)], "A")
    with pytest.raises(WeightingError, match="no respondent"):
        adjust_nonresponse(d, classes="c")
    d = _class([("1.1", 1.0), ("2.24", 1.0)], "A")
    with pytest.raises(ColumnError):
        adjust_nonresponse(d, classes="community")
    with pytest.raises(WeightingError, match="does not list every class"):
        adjust_nonresponse(pd.concat([d, _class([("1.1", 1.0)], "B")]), classes="c", order=["A"])
    d.loc[1, "c"] = None
    with pytest.raises(WeightingError, match="no weighting class") as exc:
        adjust_nonresponse(d, classes="c")
    assert exc.value.row == 3
    with pytest.raises(InputError):
        adjust_nonresponse(_class([("7.1", 1.0)], "A"), classes="c")
    with pytest.raises(WeightingError, match="missing or negative"):
        adjust_nonresponse(_class([("1.1", -1.0)], "A"), classes="c")


# ---------------------------------------------------------------- the whole chain


def _sample_and_cases(seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for ci, community in enumerate(["C01", "C02", "C03", "C04"]):
        for line in range(1, 41):
            rows.append({"stratum": "S1" if ci < 2 else "S2", "community_id": community,
                         "dwelling_id": f"{community}-{line:03d}", "line": line,
                         "released": "True" if line <= 36 else "False",
                         "pi_1": 0.5, "pi_2": 0.1 * (1 + ci % 2), "pi": 0.05 * (1 + ci % 2),
                         "base_weight": 1 / (0.05 * (1 + ci % 2))})
    sample = pd.DataFrame(rows)
    released = sample[sample["released"] == "True"]
    codes = rng.choice(["1.1", "2.111", "2.24", "3.18", "4.61"], len(released),
                       p=[0.65, 0.12, 0.1, 0.05, 0.08])
    cases = pd.DataFrame({"dwelling_id": released["dwelling_id"].to_numpy(), "disposition": codes})
    cases = cases.iloc[:-3]  # three released dwellings never worked
    resp = cases["disposition"] == "1.1"
    cases["sex"] = np.where(resp, rng.choice(["m", "f"], len(cases)), None)
    cases["n_eligible"] = np.where(resp, rng.integers(1, 4, len(cases)).astype(str), None)
    return sample, cases


def test_weight_sample_chain() -> None:
    sample, cases = _sample_and_cases()
    margins = {"sex": {"m": 4000.0, "f": 4200.0}}
    res = weight_sample(sample, cases, weight_class="community", margins=margins,
                        min_respondents=15)
    out = res.cases
    assert len(out) == 4 * 36 and res.not_attempted == 3
    assert (out.loc[out["dwelling_id"].isin(cases["dwelling_id"].iloc[-3:]), "disposition"]
            == "3.11").sum() == 0  # the last listed ones were worked...
    assert (out["disposition"] == "3.11").sum() == 3  # ...and three unworked count as 3.11
    resp = out["category"] == "I"
    assert (out.loc[~resp, "weight"] == 0).all() and (out.loc[resp, "weight"] > 0).all()
    sums = out.loc[resp].groupby("sex")["weight"].sum()
    assert sums["m"] == pytest.approx(4000) and sums["f"] == pytest.approx(4200)
    # weight = base × eligibility × nonresponse × k × calibration
    prod = (out["base_weight"] * out["f_eligibility"] * out["f_nonresponse"] * out["f_person"]
            * out["f_calibration"])
    np.testing.assert_allclose(out.loc[resp, "weight"], prod[resp], rtol=1e-12)
    np.testing.assert_allclose(out.loc[resp, "f_person"],
                               out.loc[resp, "n_eligible"].astype(float))
    d = res.diagnostics
    assert d.n_positive == int(resp.sum()) and d.deff >= 1
    assert set(d.factors["step"]) == {"eligibility", "nonresponse", "person", "calibration"}
    summary = res.to_dict()
    assert summary["respondents"] == int(resp.sum()) and summary["classes"]


def test_weight_sample_trim_and_errors() -> None:
    sample, cases = _sample_and_cases()
    margins = {"sex": {"m": 4000.0, "f": 4200.0}}
    res = weight_sample(sample, cases, margins=margins, min_respondents=15, trim=2.0)
    w = res.cases["weight"][res.cases["weight"] > 0]
    assert w.max() <= res.calibration.cap * (1 + 1e-8)
    bad = pd.concat([cases, cases.iloc[[0]]])
    with pytest.raises(WeightingError, match="appears twice"):
        weight_sample(sample, bad, margins=margins)
    stray = pd.concat([cases, pd.DataFrame({"dwelling_id": ["C01-040"], "disposition": ["1.1"]})])
    with pytest.raises(WeightingError, match="not released dwellings"):
        weight_sample(sample, stray, margins=margins)
    with pytest.raises(ColumnError):
        weight_sample(sample, cases.drop(columns="disposition"), margins=margins)


def test_person_factor_all_or_none() -> None:
    sample, cases = _sample_and_cases()
    margins = {"sex": {"m": 4000.0, "f": 4200.0}}
    res = weight_sample(sample, cases.drop(columns="n_eligible"), margins=margins,
                        min_respondents=15)
    assert res.notes and "household weights" in res.notes[0]
    assert (res.cases.loc[res.cases["category"] == "I", "f_person"] == 1.0).all()
    partial = cases.copy()
    first = partial.index[partial["disposition"] == "1.1"][0]
    partial.loc[first, "n_eligible"] = None
    with pytest.raises(WeightingError, match="no within-household selection") as exc:
        weight_sample(sample, partial, margins=margins, min_respondents=15)
    assert exc.value.field == "n_eligible" and exc.value.row == first + 2


def test_collapsing_within_strata() -> None:
    d = pd.concat([
        _class([("1.1", 1.0)] * 30, "A"),
        _class([("1.1", 1.0)] * 5 + [("2.24", 1.0)] * 5, "B"),   # too few, stratum 1
        _class([("1.1", 1.0)] * 25, "C"),                         # stratum 2
        _class([("1.1", 1.0)] * 4, "D"),                          # too few, alone in stratum 3
    ], ignore_index=True)
    d["stratum"] = d["c"].map({"A": "s1", "B": "s1", "C": "s2", "D": "s3"})
    r = adjust_nonresponse(d, classes="c", within="stratum", min_respondents=20)
    assert r.collapses[["class", "into"]].to_numpy().tolist() == [["B", "A"]]
    assert list(r.classes.index) == ["A+B", "C", "D"]
    assert any("D still fails" in n and "within stratum s3" in n for n in r.notes)
    free = adjust_nonresponse(d, classes="c", min_respondents=20)  # without: B joins C
    assert free.collapses.iloc[0][["class", "into"]].tolist() == ["D", "C"]
    d.loc[0, "stratum"] = "s2"
    with pytest.raises(WeightingError, match="several values of 'stratum'"):
        adjust_nonresponse(d, classes="c", within="stratum")


def test_chain_errors_name_the_file_and_row_of_the_mistake() -> None:
    sample, cases = _sample_and_cases()
    cases = cases.iloc[::-1].reset_index(drop=True)  # another order than the sample's
    margins = {"sex": {"m": 4000.0, "f": 4200.0}}
    k = int(cases.index[cases["disposition"] == "1.1"][3])
    bad = cases.copy()
    bad.loc[k, "sex"] = None
    with pytest.raises(WeightingError, match="no value of 'sex'") as exc:
        weight_sample(sample, bad, margins=margins, min_respondents=15,
                      sample_file="sample.csv", cases_file="cases.csv")
    assert (exc.value.file, exc.value.row) == ("cases.csv", k + 2)
    bad_sample = sample.drop(columns="base_weight")
    j = int(bad_sample.index[bad_sample["dwelling_id"] == "C03-010"][0])
    bad_sample.loc[j, "pi"] = 0.0
    with pytest.raises(WeightingError, match="outside") as exc:
        weight_sample(bad_sample, cases, margins=margins, min_respondents=15,
                      sample_file="sample.csv", cases_file="cases.csv")
    assert (exc.value.file, exc.value.row, exc.value.field) == ("sample.csv", j + 2, "pi")
