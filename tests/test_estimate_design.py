"""SurveyDesign: structure, user errors, missing values, domains and hand-checked variances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import (
    SurveyDesign,
    svyby,
    svymean,
    svyprop,
    svyquantile,
    svyratio,
    svytotal,
)
from fieldsurvey.io.errors import ColumnError, DesignError, EstimationError

REF = Path(__file__).parent / "reference" / "estimate"


@pytest.fixture(scope="module")
def strat() -> pd.DataFrame:
    return pd.read_csv(REF / "apistrat.csv")


@pytest.fixture(scope="module")
def clus2() -> pd.DataFrame:
    return pd.read_csv(REF / "apiclus2.csv")


def small() -> pd.DataFrame:
    """Two strata of two PSUs with two respondents each."""
    return pd.DataFrame({
        "h": [1, 1, 1, 1, 2, 2, 2, 2],
        "psu": [1, 1, 2, 2, 3, 3, 4, 4],
        "w": [2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 4.0, 4.0],
        "y": [1.0, 3.0, 2.0, 6.0, 5.0, 7.0, 4.0, 8.0],
        "N": [10, 10, 10, 10, 20, 20, 20, 20],
    })


def test_total_variance_by_hand() -> None:
    d = SurveyDesign(small(), ids="psu", strata="h", weights="w", fpc="N")
    t = svytotal("y", d)[0]
    # PSU totals of w*y: stratum 1: 8, 24; stratum 2: 12, 48
    v1 = (1 - 2 / 10) * 2 / 1 * ((8 - 16) ** 2 + (24 - 16) ** 2)
    v2 = (1 - 2 / 20) * 2 / 1 * ((12 - 30) ** 2 + (48 - 30) ** 2)
    assert t.estimate == 92
    assert np.isclose(t.se**2, v1 + v2, rtol=1e-14)
    assert t.n == 8


def test_domain_keeps_all_psus() -> None:
    data = small()
    data["d"] = ["a", "b", "a", "a", "b", "b", "a", "b"]
    d = SurveyDesign(data, ids="psu", strata="h", weights="w")
    by = svytotal("y", d, by="d")
    assert [r.domain for r in by] == ["d=a", "d=b"]
    # the domain total equals the total of y * 1{domain} over the whole design
    data["ya"] = np.where(data.d == "a", data.y, 0.0)
    whole = svytotal("ya", SurveyDesign(data, ids="psu", strata="h", weights="w"))[0]
    assert np.isclose(by[0].estimate, whole.estimate) and np.isclose(by[0].se, whole.se, rtol=1e-13)
    assert svyby("y", "d", d, svytotal)[1] == by[1]
    data["x"] = data["y"] + 1
    dx = SurveyDesign(data, ids="psu", strata="h", weights="w")
    assert svyby("y", "d", dx, svyratio, denominator="x") == svyratio("y", "x", dx, by="d")
    assert svyby("y", "d", dx, svyquantile, quantiles=0.5)[0].statistic == "quantile"


def test_missing_values_are_dropped_like_na_rm(strat: pd.DataFrame) -> None:
    data = strat.copy()
    data.loc[[3, 50, 120], "api00"] = np.nan
    d = SurveyDesign(data, strata="stype", weights="pw", fpc="fpc")
    m = svymean("api00", d)[0]
    assert m.n == 197
    # same as estimating over the domain "api00 present"
    data["has"] = data["api00"].notna()
    dom = svymean("api00", SurveyDesign(data, strata="stype", weights="pw", fpc="fpc"), by="has")
    assert np.isclose(dom.get("api00", domain="has=True").se, m.se, rtol=1e-13)
    with pytest.raises(EstimationError, match="missing values") as err:
        svymean("api00", d, na_rm=False)
    assert err.value.row == 5  # data.loc[3]: spreadsheet row 5 (header = row 1)


def test_ratio_uses_complete_pairs(clus2: pd.DataFrame) -> None:
    d = SurveyDesign(clus2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    r = svyratio("api.stu", "enroll", d)[0]
    assert r.variable == "api.stu/enroll" and r.n == int(clus2[["api.stu", "enroll"]].notna().all(axis=1).sum())
    with pytest.raises(EstimationError, match="pair"):
        svyratio(["api.stu", "api00"], "enroll", d)


def test_two_by_variables_in_r_order(strat: pd.DataFrame) -> None:
    d = SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc")
    t = svymean("api00", d, by=["stype", "sch.wide"])
    assert [r.domain for r in t][:4] == ["stype=E, sch.wide=No", "stype=H, sch.wide=No",
                                         "stype=M, sch.wide=No", "stype=E, sch.wide=Yes"]
    assert t[0].by == (("stype", "E"), ("sch.wide", "No"))


def test_chinese_and_dotted_column_names(strat: pd.DataFrame) -> None:
    data = strat.rename(columns={"stype": "学校类型", "api00": "成绩"})
    d = SurveyDesign(data, strata="学校类型", weights="pw", fpc="fpc")
    t = svymean("成绩", d, by="学校类型") + svyprop("sch.wide", d)
    assert t[0].domain == "学校类型=E"
    assert t.get("sch.wide", "prop", level="Yes").estimate > 0.5


def test_prop_levels_sum_to_one(strat: pd.DataFrame) -> None:
    d = SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc")
    t = svyprop("awards", d)
    assert [r.level for r in t] == ["No", "Yes"]
    assert np.isclose(sum(r.estimate for r in t), 1.0)
    assert all(r.ci_low < r.estimate < r.ci_high for r in t)


def test_numeric_levels_are_labelled_as_integers() -> None:
    data = small()
    data["g"] = [1.0, 2.0, 2.0, 1.0, np.nan, 2.0, 1.0, 1.0]
    d = SurveyDesign(data, ids="psu", strata="h", weights="w")
    t = svyprop("g", d)
    assert [r.level for r in t] == ["1", "2"] and t[0].n == 7


def test_weights_from_fpc_when_absent(clus2: pd.DataFrame) -> None:
    d = SurveyDesign(clus2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    n_d = clus2.groupby("dnum")["snum"].transform("nunique")
    expected = 757 / 40 * clus2["fpc2"] / n_d
    np.testing.assert_allclose(d.weights, expected, rtol=1e-12)
    assert SurveyDesign(clus2, ids="dnum").weights.tolist() == [1.0] * len(clus2)


def test_fpc_as_fractions_equals_population_sizes(strat: pd.DataFrame) -> None:
    data = strat.copy()
    n_h = data.groupby("stype")["cds"].transform("size")
    data["frac"] = n_h / data["fpc"]
    a = svymean("api00", SurveyDesign(data, strata="stype", weights="pw", fpc="fpc"))[0]
    b = svymean("api00", SurveyDesign(data, strata="stype", weights="pw", fpc="frac"))[0]
    assert np.isclose(a.se, b.se, rtol=1e-12)


def test_quantile_rule_is_r_math_rule() -> None:
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 1.0, 1.0], "id": [1, 2, 3, 4]})
    d = SurveyDesign(data, ids="id", weights="w")
    q = svyquantile("y", d, [0.25, 0.5, 0.6, 1.0])
    # cumulative shares .25 .5 .75 1: exact hits take the lower value, otherwise the next
    assert [r.estimate for r in q] == [1.0, 2.0, 3.0, 4.0]
    assert q[0].deff is None and q[0].level == "0.25"


def test_nest_and_not_nested_error(shared_data: Path) -> None:
    nh = pd.read_csv(shared_data / "frames" / "nhanes2.csv")
    with pytest.raises(DesignError, match="not nested") as err:
        SurveyDesign(nh, ids="psuid", strata="stratid", weights="finalwgt")
    assert "nest" in str(err.value)
    d = SurveyDesign(nh, ids="psuid", strata="stratid", weights="finalwgt", nest=True)
    assert d.n_psu == 62 and d.degf() == 31


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ids": "dnumx"}, "not in the data"),
        ({"ids": "dnum", "lonely_psu": "drop"}, "unknown lonely-PSU rule"),
        ({"ids": ["dnum", "snum"], "fpc": "fpc1"}, "every stage"),
        ({"ids": ["dnum", "snum"], "fpc": ["fpc1", "bad_fpc"]}, "mixes population sizes"),
        ({"ids": ["dnum", "snum"], "fpc": ["fpc1", "small_fpc"]}, "more than 100%"),
        ({"ids": ["dnum", "snum"], "fpc": ["vary_fpc", "fpc2"]}, "varies within a stratum"),
        ({"ids": "dnum", "weights": "neg_w"}, "not negative"),
        ({"ids": "hole_id"}, "missing value in the cluster id"),
        ({"ids": "one"}, "only one primary sampling unit"),
        ({"ids": "dnum", "strata": ["stype", "snum", "cds"]}, "more strata columns"),
    ],
)
def test_design_errors(clus2: pd.DataFrame, kwargs: dict, message: str) -> None:
    data = clus2.copy()
    data["bad_fpc"] = 0.5
    data["small_fpc"] = 1.0
    data["vary_fpc"] = data["fpc1"]
    data.loc[data.index[7], "vary_fpc"] = 800
    data["neg_w"] = data["pw"]
    data.loc[data.index[9], "neg_w"] = -1.0
    data["hole_id"] = data["dnum"].astype(float)
    data.loc[data.index[4], "hole_id"] = np.nan
    data["one"] = 1
    with pytest.raises((DesignError, ColumnError), match=message) as err:
        SurveyDesign(data, source="resp.csv", **kwargs)
    assert "resp.csv" in str(err.value) or "lonely" in message or "strata columns" in message


def test_text_in_numeric_column_names_the_row(strat: pd.DataFrame) -> None:
    data = strat.copy()
    data["api00"] = data["api00"].astype(str)
    data.loc[10, "api00"] = "n/a"
    d = SurveyDesign(data, strata="stype", weights="pw", source="f.csv")
    with pytest.raises(EstimationError) as err:
        svymean("api00", d)
    assert err.value.row == 12 and "'n/a'" in str(err.value)  # loc[10]: file row 12


def test_lonely_stratum_in_a_domain_is_not_lonely(strat: pd.DataFrame) -> None:
    # one school of stratum H in the domain: R (adjust.domain.lonely = FALSE) still centres
    data = strat.copy()
    data["dom"] = (data["stype"] != "H") | (data.index == data.index[data.stype == "H"][0])
    d = SurveyDesign(data, strata="stype", weights="pw", fpc="fpc")
    t = svymean("api00", d, by="dom")
    assert np.isfinite(t.get("api00", domain="dom=True").se)


def test_community_survey_design_is_the_stated_svydesign() -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame({
        "stratum": np.repeat(["A", "A", "B", "C"], 5),  # C has one community: lonely PSU
        "community_id": np.repeat(["1", "2", "3", "4"], 5),
        "weight": rng.uniform(10, 30, 20), "y": rng.normal(size=20)})
    explicit = SurveyDesign(data, ids="community_id", strata="stratum", weights="weight",
                            nest=True, lonely_psu="adjust")
    got = svymean("y", SurveyDesign.community_survey(data)).to_frame()
    assert got[["estimate", "se"]].to_numpy() == pytest.approx(
        svymean("y", explicit).to_frame()[["estimate", "se"]].to_numpy(), rel=1e-12)
    unknown = data.assign(stratum=data["stratum"].where(data.index != 0))  # one unknown
    design = SurveyDesign.community_survey(unknown)
    assert design.strata == [] and design.ids == ["community_id"]
