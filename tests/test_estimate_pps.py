"""PPS without replacement (Brewer, Overton, Hartley-Rao, exact joint probabilities) equals R.

Reference: tests/reference/pps/ (``make_pps_reference.R``, R survey 4.1.1 and sampling on
MU284; R is not needed to run these tests): totals, means, a ratio and domain totals and
means, to a relative 1e-8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, svymean, svyratio, svytotal
from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.joint import joint_inclusion

REF = Path(__file__).parent / "reference" / "pps"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "pps_reference.csv", keep_default_na=False, na_values=[""])
    ref["domain"] = ref["domain"].fillna("").astype(str)
    return ref


def suite(d: SurveyDesign) -> dict[tuple[str, str, str], tuple[float, float]]:
    t = svytotal(["RMT85", "ME84"], d) + svymean(["RMT85", "ME84"], d)
    t += svyratio("RMT85", "P85", d)
    t += svytotal("RMT85", d, by="CL") + svymean("RMT85", d, by="CL")
    return {(r.variable, r.statistic, r.domain or ""): (r.estimate, r.se) for r in t.rows}


def designs(p2bar: float) -> dict[str, SurveyDesign]:
    ms = pd.read_csv(REF / "mu284_pps.csv")
    ss = pd.read_csv(REF / "mu284_pps_strat.csv")
    joint = pd.read_csv(REF / "mu284_pps_joint.csv").to_numpy(dtype=float)
    return {
        "brewer": SurveyDesign(ms, fpc="pi", pps="brewer"),
        "overton": SurveyDesign(ms, fpc="pi", pps="overton"),
        "hr": SurveyDesign(ms, fpc="pi", pps="hr", hr_p2bar=p2bar),
        "hr_default": SurveyDesign(ms, fpc="pi", pps="hr"),
        "ppsmat_ht": SurveyDesign(ms, fpc="pi", pps="ppsmat", joint=joint),
        "ppsmat_yg": SurveyDesign(ms, pps="ppsmat", joint=joint, pps_variance="YG"),
        "overton_yg": SurveyDesign(ms, fpc="pi", pps="overton", pps_variance="YG"),
        "wr": SurveyDesign(ms.assign(w=1 / ms["pi"]), weights="w"),
        "strat_brewer": SurveyDesign(ss, strata="half", fpc="pi", pps="brewer"),
        "strat_overton": SurveyDesign(ss, strata="half", fpc="pi", pps="overton"),
        "strat_hr_default": SurveyDesign(ss, strata="half", fpc="pi", pps="hr"),
    }


CASES = ["brewer", "overton", "hr", "hr_default", "ppsmat_ht", "ppsmat_yg", "overton_yg", "wr",
         "strat_brewer", "strat_overton", "strat_hr_default"]


@pytest.mark.parametrize("case", CASES)
def test_pps_designs_match_r(case: str, reference: pd.DataFrame) -> None:
    p2bar = float(reference[reference.case == "meta"].estimate.iloc[0])
    mine = suite(designs(p2bar)[case])
    ref = reference[reference.case == case]
    assert len(ref) >= 10
    for r in ref.itertuples():
        est, se = mine[(r.variable, r.statistic, r.domain)]
        assert est == pytest.approx(r.estimate, rel=1e-8), (case, r.variable, r.domain)
        if np.isnan(r.se):  # a negative variance estimate (Overton, HR): NaN in R too
            assert np.isnan(se), (case, r.variable, r.statistic, r.domain)
        else:
            assert se == pytest.approx(r.se, rel=1e-8), (case, r.variable, r.statistic, r.domain)


def test_brewer_is_far_below_the_with_replacement_approximation(reference: pd.DataFrame) -> None:
    """Issue 19: the with-replacement SE of the RMT85 total is ~2x Brewer's on this sample."""
    d = designs(1.0)
    wr = svytotal("RMT85", d["wr"]).rows[0].se
    brewer = svytotal("RMT85", d["brewer"]).rows[0].se
    exact = svytotal("RMT85", d["ppsmat_ht"]).rows[0].se
    assert wr > 1.5 * brewer and brewer > exact


def test_ppsmat_from_the_projects_own_joint_probabilities() -> None:
    """The sampling package's joint probabilities feed ppsmat; SRS gives the SRSWOR variance."""
    rng = np.random.default_rng(4)
    big_n, n = 60, 12
    pi = np.full(big_n, n / big_n)
    joint = joint_inclusion(pi, "srs")
    pick = np.sort(rng.choice(big_n, n, replace=False))
    data = pd.DataFrame({"y": rng.normal(10, 3, n), "pi": pi[pick]})
    d = SurveyDesign(data, pps="ppsmat", joint=joint[np.ix_(pick, pick)], fpc="pi")
    srs = SurveyDesign(data.assign(N=float(big_n)), fpc="N")
    assert svytotal("y", d).rows[0].se == pytest.approx(svytotal("y", srs).rows[0].se, rel=1e-10)


def test_pps_input_errors() -> None:
    ms = pd.read_csv(REF / "mu284_pps.csv")
    with pytest.raises(DesignError, match="inclusion probabilities"):
        SurveyDesign(ms.assign(pi=ms["pi"] * 100), fpc="pi", pps="brewer")
    with pytest.raises(DesignError, match="unknown PPS method"):
        SurveyDesign(ms, fpc="pi", pps="sampford")
    with pytest.raises(DesignError, match="joint inclusion"):
        SurveyDesign(ms, fpc="pi", pps="ppsmat")
    with pytest.raises(DesignError, match="square matrix"):
        SurveyDesign(ms, fpc="pi", pps="ppsmat", joint=np.eye(3))


def test_pps_from_the_cli(reference: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fieldsurvey.cli.main import main

    args = ["estimate", "--data", str(REF / "mu284_pps.csv"), "--fpc", "pi", "--total", "RMT85",
            "--format", "json"]
    for case, extra in (("brewer", ["--pps", "brewer"]),
                        ("ppsmat_yg", ["--pps", "ppsmat", "--joint", str(REF / "mu284_pps_joint.csv"),
                                       "--pps-variance", "YG"])):
        assert main([*args, *extra]) == 0
        row = json.loads(capsys.readouterr().out)[0]
        ref = reference[(reference.case == case) & (reference.variable == "RMT85")
                        & (reference.statistic == "total") & (reference.domain == "")]
        assert row["se"] == pytest.approx(float(ref.se.iloc[0]), rel=1e-8)
    assert main([*args, "--pps", "ppsmat"]) == 2
    assert "--joint" in capsys.readouterr().err


def test_two_stage_brewer_matches_r(reference: pd.DataFrame) -> None:
    """Brewer's approximation at both stages (R: per-row FPC as probabilities)."""
    c2 = pd.read_csv(REF / "apiclus2_pps.csv")
    d = SurveyDesign(c2, ids=["dnum", "snum"], fpc=["pi1", "pi2"], pps="brewer")
    t = svytotal(["api00", "enroll"], d) + svymean(["api00", "enroll"], d)
    t += svymean("api00", d, by="stype")
    ref = reference[(reference.case == "twostage_brewer") & reference.estimate.notna()]
    assert len(ref) >= 5
    for r in ref.itertuples():
        row = t.get(r.variable, r.statistic, domain=r.domain or None)
        assert row.estimate == pytest.approx(r.estimate, rel=1e-10)
        assert row.se == pytest.approx(r.se, rel=1e-8), (r.variable, r.statistic, r.domain)
