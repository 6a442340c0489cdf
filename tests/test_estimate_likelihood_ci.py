"""R's likelihood interval for a proportion (``svyciprop(method="likelihood")``) equals R.

Reference: tests/reference/intervals/ (``make_likelihood_reference.R``, R survey 4.1.1; R is
not needed to run these tests): whole-sample and domain intervals on the api designs
(clustered, stratified, two-stage, raked; with missing values) and a PPS sample, at 95 % and 90 %, to 1e-6
relative (R's glm fit stops at a deviance tolerance of 1e-8).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, as_replicate, svyprop
from fieldsurvey.estimate.likelihood_ci import likelihood_interval
from fieldsurvey.io.errors import EstimationError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "intervals" / "likelihood_reference.csv", keep_default_na=False,
                      na_values=["", "NA"], dtype={"level": str})
    ref["domain"] = ref["domain"].fillna("").astype(str)
    return ref


def designs() -> dict[str, SurveyDesign]:
    api = REF / "estimate"
    clus1 = SurveyDesign(pd.read_csv(api / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")
    apipop = pd.read_csv(REF / "api" / "apipop.csv")
    raked = clus1.rake({"stype": {"E": 4421, "H": 755, "M": 1018},
                        "sch.wide": apipop["sch.wide"].value_counts().to_dict()},
                       maxit=10, epsilon=1)  # R's rake defaults
    s_na = pd.read_csv(api / "apistrat.csv")
    s_na["aw"] = s_na["awards"].astype(object)
    s_na.loc[list(range(0, 90, 3)), "aw"] = np.nan  # R's rows 1, 4, ..., 88
    c_na = pd.read_csv(api / "apiclus1.csv")
    c_na["aw"] = c_na["awards"].astype(object)
    c_na.loc[list(range(0, 60, 3)), "aw"] = np.nan
    raked_na = SurveyDesign(c_na, ids="dnum", weights="pw", fpc="fpc").rake(
        {"stype": {"E": 4421, "H": 755, "M": 1018},
         "sch.wide": apipop["sch.wide"].value_counts().to_dict()}, maxit=10, epsilon=1)
    ms = pd.read_csv(REF / "pps" / "mu284_pps.csv")
    ms["big"] = np.where(ms["RMT85"] > 200, "yes", "no")
    ms["half"] = np.where(ms["REG"] <= 4, "a", "b")
    return {
        "clus1": clus1,
        "strat": SurveyDesign(pd.read_csv(api / "apistrat.csv"), strata="stype", weights="pw",
                              fpc="fpc"),
        "clus2": SurveyDesign(pd.read_csv(api / "apiclus2.csv"), ids=["dnum", "snum"],
                              weights="pw", fpc=["fpc1", "fpc2"]),
        "clus1_raked": raked,
        "strat_na": SurveyDesign(s_na, strata="stype", weights="pw", fpc="fpc"),
        "clus1_raked_na": raked_na,
        "mu284_brewer": SurveyDesign(ms, fpc="pi", pps="brewer"),
        "mu284_overton": SurveyDesign(ms, fpc="pi", pps="overton"),
    }


CASES = ["clus1", "strat", "clus2", "clus1_raked", "strat_na", "clus1_raked_na",
         "mu284_brewer", "mu284_overton"]


@pytest.mark.parametrize("case", CASES)
def test_likelihood_interval_matches_r(case: str, reference: pd.DataFrame) -> None:
    d = designs()[case]
    ref = reference[reference.case == case]
    checked = 0
    for (variable, conf, by), part in ref.groupby(
            [ref.variable, ref.conf, ref.domain.str.split("=").str[0]]):
        t = svyprop(str(variable), d, method="likelihood", level=float(conf),
                    by=str(by) or None)
        for r in part.itertuples():
            row = t.get(str(variable), "prop", domain=r.domain or None, level=r.level)
            # R reports expit of the glm's coefficient: the ratio to the IRLS tolerance
            assert row.estimate == pytest.approx(r.estimate, rel=1e-8)
            assert row.ci_low == pytest.approx(r.ci_low, rel=1e-6), (case, r.level, r.domain)
            assert row.ci_high == pytest.approx(r.ci_high, rel=1e-6), (case, r.level, r.domain)
            checked += 1
    assert checked == len(ref) and checked >= 1


def test_likelihood_differs_from_logit_and_is_asymmetric() -> None:
    d = designs()["clus1"]
    lik = svyprop("stype", d, method="likelihood").get("stype", "prop", level="H")
    logit = svyprop("stype", d).get("stype", "prop", level="H")
    assert lik.ci_low < lik.estimate < lik.ci_high
    assert abs(lik.ci_low - logit.ci_low) > 1e-3
    assert (lik.ci_high - lik.estimate) > (lik.estimate - lik.ci_low)


def test_likelihood_refused_for_replicate_designs(reference: pd.DataFrame) -> None:
    """R gives NA for every replicate design; the message names what works."""
    assert reference[reference.case == "clus1_jk1"].ci_low.isna().all()
    with pytest.raises(EstimationError, match="replicate") as info:
        svyprop("sch.wide", as_replicate(designs()["clus1"], "jk1"), method="likelihood")
    assert "logit" in str(info.value)


def test_degenerate_proportions_give_no_interval() -> None:
    """p = 0 or 1, or no degrees of freedom: NaN ends (R's profile fails there)."""
    w = np.ones(4)
    y = np.array([1.0, 1.0, 1.0, 1.0])
    code = np.zeros(4, dtype=np.int64)
    lo, hi = likelihood_interval(w, y, code, 1, np.array([1.0]), np.array([0.0]),
                                 np.array([3.0]), 0.95, np.array([4.0]))
    assert math.isnan(lo[0]) and math.isnan(hi[0])
    lo, hi = likelihood_interval(w, y * [1, 0, 1, 0], code, 1, np.array([0.5]),
                                 np.array([0.01]), np.array([0.0]), 0.95, np.array([4.0]))
    assert math.isnan(lo[0]) and math.isnan(hi[0])


def test_likelihood_interval_from_the_cli(reference: pd.DataFrame,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fieldsurvey.cli.main import main

    code = main(["estimate", "--data", str(REF / "estimate" / "apiclus1.csv"), "--psu", "dnum",
                 "--weights", "pw", "--fpc", "fpc", "--prop", "sch.wide", "--prop-ci",
                 "likelihood", "--format", "json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    yes = next(r for r in rows if r["level"] == "Yes")
    ref = reference[(reference.case == "clus1") & (reference.level == "Yes")
                    & (reference.domain == "") & (reference.conf == 0.95)].iloc[0]
    assert yes["ci_low"] == pytest.approx(ref.ci_low, rel=1e-6)
    assert yes["ci_high"] == pytest.approx(ref.ci_high, rel=1e-6)
