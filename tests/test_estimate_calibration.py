"""Calibrated designs equal R survey 4.1 (rake, postStratify, calibrate), Taylor and replicate.

Reference values: tests/reference/calibration/ (``make_calibration_reference.R``; R is not
needed to run these tests). Every estimator is compared to a relative 1e-8, except:

* the SE of a proportion whose variable is a calibration margin is ~1e-13 in both (the
  residual of an indicator on itself): compared to an absolute 1e-9;
* logit intervals of those proportions: R's ``svyglm`` does not converge there ("algorithm
  did not converge"), so they are not compared;
* logit intervals under replicate weights: to 1e-6, as in test_estimate_reference.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import (
    EstimateTable,
    ReplicateDesign,
    SurveyDesign,
    as_replicate,
    svymean,
    svyprop,
    svyquantile,
    svyratio,
    svytotal,
)
from fieldsurvey.io.errors import FieldsurveyError

HERE = Path(__file__).parent / "reference"
CAL = HERE / "calibration"
API = HERE / "estimate"
RTOL = 1e-8

STYPE = {"E": 4421, "H": 755, "M": 1018}
API99_TOTAL = 3914069.0  # sum(apipop$api99), an input total like the level counts


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(CAL / "calibration_reference.csv", keep_default_na=False, na_values=[""])
    ref["domain"] = ref["domain"].fillna("").astype(str)
    ref["level"] = ref["level"].fillna("").astype(str)
    return ref


@pytest.fixture(scope="module")
def pop() -> dict[str, dict[str, float]]:
    apipop = pd.read_csv(HERE / "api" / "apipop.csv")
    return {
        "stype": {k: float(v) for k, v in STYPE.items()},
        "sch.wide": {str(k): float(v) for k, v in apipop["sch.wide"].value_counts().items()},
        "awards": {str(k): float(v) for k, v in apipop["awards"].value_counts().items()},
    }


def api(name: str) -> pd.DataFrame:
    return pd.read_csv(API / f"{name}.csv")


def api_suite(d: SurveyDesign | ReplicateDesign) -> EstimateTable:
    t = svymean(["api00", "enroll"], d) + svytotal(["enroll", "api00"], d)
    t += svyprop(["stype", "sch.wide", "awards"], d)
    t += svyratio("api.stu", "enroll", d)
    t += svyquantile("api00", d, [0.25, 0.5, 0.9]) + svyquantile("enroll", d, 0.5)
    t += svymean("api00", d, by="awards") + svytotal("enroll", d, by="awards")
    t += svymean("api00", d, by="stype")
    t += svyratio("api.stu", "enroll", d, by="awards")
    t += svyquantile("api00", d, 0.5, by="awards")
    t += svyprop("sch.wide", d, by="awards")
    return t


def rep_suite(d: ReplicateDesign) -> EstimateTable:
    t = svymean(["api00", "enroll"], d) + svytotal("enroll", d)
    t += svyprop(["stype", "awards"], d) + svyratio("api.stu", "enroll", d)
    t += svyquantile("api00", d, 0.5)
    t += svymean("api00", d, by="awards") + svytotal("enroll", d, by="awards")
    return t


def close(a: float | None, b: float, rtol: float = RTOL, atol: float = 1e-12) -> bool:
    if a is None:
        return math.isnan(b)
    if math.isnan(b) or math.isnan(a):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * abs(b) or abs(a - b) <= atol


def compare(table: EstimateTable, ref: pd.DataFrame, margins: tuple[str, ...]) -> int:
    assert len(ref) > 0
    for r in ref.itertuples():
        dom, lev = r.domain or None, r.level or None
        row = table.get(r.variable, r.statistic, domain=dom, level=lev)
        on_margin = r.statistic == "prop" and r.variable in margins
        for f in ("estimate", "se", "ci_low", "ci_high", "deff"):
            theirs = float(getattr(r, f))
            if f == "deff" and math.isnan(theirs):
                continue
            if on_margin and f.startswith("ci"):
                continue
            mine = getattr(row, f)
            rtol = RTOL
            if not table.method.startswith("taylor") and r.statistic == "prop" and f.startswith("ci"):
                rtol = 1e-6
            atol = 1e-9 if (on_margin and f == "se") else 1e-12
            assert close(mine, theirs, rtol, atol), (r.case, r.variable, r.statistic, dom, lev, f,
                                                     mine, theirs)
    return len(ref)


R_DEFAULT = {"maxit": 10, "epsilon": 1.0}
TIGHT: dict[str, Any] = {}


def _designs(pop: dict[str, dict[str, float]]) -> dict[str, Callable[[], Any]]:
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    strat = SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc")
    clus2 = SurveyDesign(api("apiclus2"), ids=["dnum", "snum"], weights="pw", fpc=["fpc1", "fpc2"])
    sw_aw = {"sch.wide": pop["sch.wide"], "awards": pop["awards"]}
    st_sw = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    greg = {"stype": pop["stype"], "api99": API99_TOTAL}
    sgreg = {"sch.wide": pop["sch.wide"], "api99": API99_TOTAL}
    return {
        "clus1_rake": lambda: clus1.rake(st_sw, **R_DEFAULT),
        "clus1_rake_tight": lambda: clus1.rake(st_sw),
        "clus1_ps": lambda: clus1.poststratify("stype", pop["stype"]),
        "clus1_greg": lambda: clus1.calibrate(greg),
        "clus1_bounded": lambda: clus1.calibrate(greg, bounds=(0.7, 1.7)),
        "clus1_logit": lambda: clus1.calibrate(greg, calfun="logit", bounds=(0.7, 1.7)),
        "clus1_rakingfun": lambda: clus1.calibrate(greg, calfun="raking"),
        "strat_rake_tight": lambda: strat.rake(sw_aw),
        "strat_ps": lambda: strat.poststratify("sch.wide", pop["sch.wide"]),
        "strat_greg": lambda: strat.calibrate(sgreg),
        "clus2_rake_tight": lambda: clus2.rake(st_sw),
        "clus2_greg": lambda: clus2.calibrate(greg),
        "clus1_rake_trim": lambda: clus1.rake(st_sw).trim(30, 40),
        "clus1_rake_trim_strict": lambda: clus1.rake(st_sw).trim(30, 40, strict=True),
        "clus1_ps_greg": lambda: clus1.poststratify("stype", pop["stype"]).calibrate(
            {"(Intercept)": 6194.0, "api99": API99_TOTAL}),
    }


MARGINS = {"rake": ("stype", "sch.wide", "awards")}


@pytest.mark.parametrize("case", [
    "clus1_rake", "clus1_rake_tight", "clus1_ps", "clus1_greg", "clus1_bounded", "clus1_logit",
    "clus1_rakingfun", "strat_rake_tight", "strat_ps", "strat_greg", "clus2_rake_tight",
    "clus2_greg", "clus1_ps_greg", "clus1_rake_trim", "clus1_rake_trim_strict",
])
def test_calibrated_taylor_designs_match_r(case: str, pop: dict, reference: pd.DataFrame) -> None:
    design = _designs(pop)[case]()
    margins = ("stype", "sch.wide", "awards")
    assert compare(api_suite(design), reference[reference.case == case], margins) >= 25


def _rep(pop: dict[str, dict[str, float]]) -> dict[str, Callable[[], ReplicateDesign]]:
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    strat = SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc")
    jk1 = as_replicate(clus1, "jk1")
    jkn = as_replicate(strat, "jkn")
    boot_cols = pd.read_csv(CAL / "clus1_boot.csv")
    data = api("apiclus1").merge(boot_cols, on="cds", validate="one_to_one")
    ref = pd.read_csv(CAL / "calibration_reference.csv")
    scale = float(ref[(ref.case == "meta") & (ref.variable == "clus1_boot")].estimate.iloc[0])
    boot = ReplicateDesign.from_columns(data, [c for c in boot_cols.columns if c.startswith("bw")],
                                        weights="pw", type="bootstrap", scale=scale)
    st_sw = {"stype": pop["stype"], "sch.wide": pop["sch.wide"]}
    greg = {"stype": pop["stype"], "api99": API99_TOTAL}
    return {
        "clus1_jk1_rake_tight": lambda: jk1.rake(st_sw),
        "clus1_jk1_rake": lambda: jk1.rake(st_sw, **R_DEFAULT),
        "clus1_jk1_ps": lambda: jk1.poststratify("stype", pop["stype"]),
        "clus1_jk1_greg": lambda: jk1.calibrate(greg),
        "clus1_jk1_logit": lambda: jk1.calibrate(greg, calfun="logit", bounds=(0.2, 5)),
        "strat_jkn_rake_tight": lambda: jkn.rake({"sch.wide": pop["sch.wide"],
                                                  "awards": pop["awards"]}),
        "strat_jkn_greg": lambda: jkn.calibrate({"sch.wide": pop["sch.wide"],
                                                 "api99": API99_TOTAL}),
        "clus1_boot_rake_tight": lambda: boot.rake(st_sw),
        "clus1_boot_greg": lambda: boot.calibrate(greg),
    }


@pytest.mark.parametrize("case", [
    "clus1_jk1_rake_tight", "clus1_jk1_rake", "clus1_jk1_ps", "clus1_jk1_greg", "clus1_jk1_logit",
    "strat_jkn_rake_tight", "strat_jkn_greg", "clus1_boot_rake_tight", "clus1_boot_greg",
])
def test_calibrated_replicate_designs_match_r(case: str, pop: dict, reference: pd.DataFrame) -> None:
    design = _rep(pop)[case]()
    margins = ("stype", "sch.wide", "awards")
    assert compare(rep_suite(design), reference[reference.case == case], margins) >= 12


def mu_suite(d: SurveyDesign | ReplicateDesign) -> EstimateTable:
    t = svytotal("RMT85", d) + svymean("RMT85", d) + svytotal("ME84", d)
    t += svyratio("RMT85", "P85", d) + svyquantile("RMT85", d, 0.5)
    t += svytotal("RMT85", d, by="CL")
    return t


@pytest.mark.parametrize("case", ["mu_greg", "mu_ps", "mu_brr_greg", "mu_fay_greg", "mu_brr_ps"])
def test_mu284_brr_fay_match_r(case: str, reference: pd.DataFrame) -> None:
    ms = pd.read_csv(CAL / "mu284_sample.csv")
    totals = pd.read_csv(CAL / "mu284_totals.csv")
    p75 = float(totals.total.iloc[0])
    big = {"big": float(totals.total.iloc[1]), "small": float(totals.total.iloc[2])}
    plain = SurveyDesign(ms, strata="REG", weights="w")
    brr = ReplicateDesign.from_columns(ms, [f"brr{i:02d}" for i in range(1, 13)], weights="w",
                                       type="brr")
    fay = ReplicateDesign.from_columns(ms, [f"fay{i:02d}" for i in range(1, 13)], weights="w",
                                       type="fay", rho=0.3)
    greg = {"(Intercept)": 284.0, "P75": p75}
    design = {
        "mu_greg": lambda: plain.calibrate(greg),
        "mu_ps": lambda: plain.poststratify("big", big),
        "mu_brr_greg": lambda: brr.calibrate(greg),
        "mu_fay_greg": lambda: fay.calibrate(greg),
        "mu_brr_ps": lambda: brr.poststratify("big", big),
    }[case]()
    assert compare(mu_suite(design), reference[reference.case == case], ()) >= 8


def test_issue_table_rows(pop: dict) -> None:
    """The four rows of issue 19's table, from the Python API (R's default raking control)."""
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    raked = clus1.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]}, maxit=10, epsilon=1)
    assert svytotal("enroll", raked).rows[0].se == pytest.approx(400602.71973361925, rel=1e-8)
    assert svymean("enroll", raked).rows[0].se == pytest.approx(64.67593150365184, rel=1e-8)
    assert svyprop("sch.wide", raked).get("sch.wide", "prop", level="Yes").se < 1e-9
    greg = clus1.calibrate({"stype": pop["stype"], "api99": API99_TOTAL})
    assert svymean("api00", greg).rows[0].se == pytest.approx(3.4417531164048385, rel=1e-8)
    assert raked.variance_method == "taylor, raked on stype, sch.wide"


def test_calibrated_weights_meet_margins(pop: dict) -> None:
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    g = clus1.calibrate({"stype": pop["stype"], "api99": API99_TOTAL}, calfun="logit",
                        bounds=(0.7, 1.7))
    w = g.weights
    assert w.sum() == pytest.approx(6194, rel=1e-9)
    assert (w * g.data["api99"]).sum() == pytest.approx(API99_TOTAL, rel=1e-7)
    ratio = w / clus1.weights
    assert ratio.min() > 0.7 - 1e-12 and ratio.max() < 1.7 + 1e-12


def test_calibration_errors_are_paragraphs(pop: dict) -> None:
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    with pytest.raises(FieldsurveyError, match=r"level\(s\) of 'stype' that the margins do not give"):
        clus1.rake({"stype": {"E": 4421, "H": 755}})
    with pytest.raises(FieldsurveyError, match="continuous total"):
        clus1.rake({"api99": API99_TOTAL})
    with pytest.raises(FieldsurveyError, match="disagree on the population total"):
        clus1.rake({"stype": pop["stype"], "sch.wide": {"No": 1.0, "Yes": 2.0}})
    with pytest.raises(FieldsurveyError, match="finite lower and upper"):
        clus1.calibrate({"stype": pop["stype"]}, calfun="logit")
    with pytest.raises(FieldsurveyError, match="did not converge"):
        clus1.calibrate({"stype": pop["stype"], "api99": API99_TOTAL}, bounds=(0.99, 1.01))


def test_domains_of_a_raked_design_are_vectorised_and_equal_the_row_projection(pop: dict) -> None:
    """The cell-table shortcut equals projecting every domain column row by row."""
    from fieldsurvey.estimate.calibration import calibrated_unit_totals

    clus2 = SurveyDesign(api("apiclus2"), ids=["dnum", "snum"], weights="pw", fpc=["fpc1", "fpc2"])
    raked = clus2.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]})
    twice = raked.poststratify("stype", pop["stype"])  # two steps: the row-by-row path
    rng = np.random.default_rng(1)
    z = rng.normal(size=raked.n)
    dom = rng.integers(-1, 4, size=raked.n)
    z = np.where(dom >= 0, z, 0.0)
    fast = calibrated_unit_totals(raked, z, dom, 4)
    assert fast.shape == (raked.n_units, 4)
    slow = calibrated_unit_totals(twice, z, dom, 4)
    # post-stratifying a raked design on a raking margin changes nothing in the weights, and the
    # projection on stype again leaves the (already stype-orthogonal) residuals nearly the same
    assert np.allclose(twice.weights, raked.weights, rtol=1e-10)
    assert np.isfinite(slow).all()


def test_quantiles_at_zero_and_one_have_se_zero_and_a_finite_interval(pop: dict) -> None:
    for design in (SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc"),
                   SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc").rake(
                       {"stype": pop["stype"], "sch.wide": pop["sch.wide"]})):
        t = svyquantile("api00", design, [0.0, 1.0], by="stype") + svyquantile("api00", design, 1.0)
        for row in t.rows:
            assert row.se == 0.0
            assert row.ci_low == row.ci_high == row.estimate
        top = svyquantile("api00", design, 1.0).rows[0]
        assert top.estimate == design.data["api00"].max()


def test_trim_bounds_is_r_trimweights(pop: dict) -> None:
    """weights.trim_bounds gives the trimmed design's weights (R: trimWeights, both modes)."""
    from fieldsurvey.weights import trim_bounds

    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    raked = clus1.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]})
    one = trim_bounds(raked.data, raked.weights, lower=30, upper=40)
    assert np.allclose(one.weights.to_numpy(), raked.trim(30, 40).weights, rtol=1e-14)
    assert not one.converged and one.notes and one.weights.max() > 40  # one pass, as R
    strict = trim_bounds(raked.data, raked.weights, lower=30, upper=40, strict=True)
    w = strict.weights.to_numpy()
    assert strict.converged and w.min() >= 30 - 1e-9 and w.max() <= 40 + 1e-9
    assert w.sum() == pytest.approx(raked.weights.sum(), rel=1e-12)


@pytest.mark.parametrize("case", ["cattotal_clus1", "cattotal_rake", "cattotal_jk1"])
def test_total_of_a_categorical_variable_matches_r(case: str, pop: dict,
                                                   reference: pd.DataFrame) -> None:
    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    design: Any = {
        "cattotal_clus1": clus1,
        "cattotal_rake": clus1.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]}),
        "cattotal_jk1": as_replicate(clus1, "jk1"),
    }[case]
    t = svytotal(["stype", "awards"], design)
    assert compare(t, reference[reference.case == case], ()) >= 2


def test_replicates_of_a_calibrated_design_are_refused(pop: dict) -> None:
    from fieldsurvey.io.errors import DesignError

    clus1 = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    raked = clus1.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]})
    with pytest.raises(DesignError, match="re-calibrate the replicates"):
        as_replicate(raked, "jk1")


def test_satisfaction_and_svyby_work_on_a_raked_design(pop: dict) -> None:
    from fieldsurvey.estimate import satisfaction_index, svyby

    clus2 = SurveyDesign(api("apiclus2"), ids=["dnum", "snum"], weights="pw",
                         fpc=["fpc1", "fpc2"])
    raked = clus2.rake({"stype": pop["stype"], "sch.wide": pop["sch.wide"]})
    t = satisfaction_index(raked, ["s1", "s2"], by="stype")
    assert len(t.rows) >= 3 and all(np.isfinite(r.se) and r.se > 0 for r in t.rows)
    assert t.method.startswith("taylor, raked on")
    by = svyby("api00", "stype", raked, svymean)
    assert by.rows[0].se == svymean("api00", raked, by="stype").rows[0].se
