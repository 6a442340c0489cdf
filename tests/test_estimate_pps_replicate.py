"""Replicate weights of PPS designs: what R's ``as.svrepdesign`` makes, and what it refuses.

Reference: tests/reference/pps/ (``make_pps_replicate_reference.R``, R survey 4.1.1; R is not
needed to run these tests). Brewer designs: JK1 / JKn when R's FPC (n_h / pi) is one value
(per stratum), BRR and Fay on two PSUs per stratum, to a relative 1e-8; subbootstrap ignores
pi (the replicates of the design with weights 1/pi). Overton, Hartley-Rao and ppsmat designs
and Brewer designs whose pi vary where R needs one FPC are refused, naming what to use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, as_replicate, svymean, svytotal
from fieldsurvey.io.errors import DesignError

REF = Path(__file__).parent / "reference"
PPS = REF / "pps"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(PPS / "pps_replicate_reference.csv", keep_default_na=False,
                      na_values=[""])
    ref["domain"] = ref["domain"].fillna("").astype(str)
    return ref


@pytest.fixture(scope="module")
def r_errors() -> pd.DataFrame:
    return pd.read_csv(PPS / "pps_replicate_errors.csv", keep_default_na=False)


def replicate_case(case: str) -> tuple[object, str, str]:
    api = REF / "estimate"
    if case == "clus1_brewer_jk1":
        c1 = pd.read_csv(api / "apiclus1.csv").assign(pi=15 / 757)
        return as_replicate(SurveyDesign(c1, ids="dnum", fpc="pi", pps="brewer"), "jk1"), \
            "api00", "stype"
    if case == "strat_brewer_jkn":
        st = pd.read_csv(api / "apistrat.csv")
        st["pi"] = 1 / st["pw"]
        d = SurveyDesign(st, strata="stype", fpc="pi", pps="brewer")
        return as_replicate(d, "jkn"), "api00", "sch.wide"
    if case == "clus2_brewer_jk1":
        c2 = pd.read_csv(PPS / "apiclus2_pps.csv").assign(pi1c=40 / 757)
        d = SurveyDesign(c2, ids=["dnum", "snum"], fpc=["pi1c", "pi2"], pps="brewer")
        return as_replicate(d, "jk1"), "api00", "stype"
    pairs = pd.read_csv(PPS / "mu284_pps_pairs.csv")
    d = SurveyDesign(pairs, strata="REG", fpc="pi", pps="brewer")
    rho = 0.3 if case.endswith("fay") else 0.0
    return as_replicate(d, "brr", fay_rho=rho), "RMT85", "CL"


CASES = ["clus1_brewer_jk1", "strat_brewer_jkn", "clus2_brewer_jk1", "pairs_brewer_brr",
         "pairs_brewer_fay"]


@pytest.mark.parametrize("case", CASES)
def test_brewer_replicates_match_r(case: str, reference: pd.DataFrame) -> None:
    d, y, by = replicate_case(case)
    t = svytotal(y, d) + svymean(y, d) + svymean(y, d, by=by)  # type: ignore[arg-type]
    ref = reference[reference.case == case]
    assert len(ref) >= 4
    for r in ref.itertuples():
        row = t.get(y, str(r.statistic), domain=r.domain or None)
        assert row.estimate == pytest.approx(r.estimate, rel=1e-10)
        assert row.se == pytest.approx(r.se, rel=1e-8), (case, r.statistic, r.domain)


def test_subbootstrap_ignores_pi_as_r_does() -> None:
    """R: the same replicate weights as the design with weights 1/pi (same random draws)."""
    ms = pd.read_csv(PPS / "mu284_pps.csv")
    pps = as_replicate(SurveyDesign(ms, fpc="pi", pps="brewer"), "subbootstrap",
                       replicates=40, rng=11)
    plain = as_replicate(SurveyDesign(ms.assign(w=1 / ms["pi"]), weights="w"), "subbootstrap",
                         replicates=40, rng=11)
    np.testing.assert_allclose(pps.analysis_weights(), plain.analysis_weights(), rtol=1e-12)
    se = svytotal("RMT85", pps).rows[0].se
    assert np.isfinite(se) and se > 0
    # on a design with an FPC, subbootstrap is the bootstrap without it
    c1 = pd.read_csv(REF / "estimate" / "apiclus1.csv")
    with_fpc = SurveyDesign(c1, ids="dnum", weights="pw", fpc="fpc")
    without = SurveyDesign(c1, ids="dnum", weights="pw")
    np.testing.assert_allclose(
        as_replicate(with_fpc, "subbootstrap", replicates=30, rng=5).analysis_weights(),
        as_replicate(without, "bootstrap", replicates=30, rng=5).analysis_weights())


def test_brewer_with_varying_pi_refused_as_r(r_errors: pd.DataFrame) -> None:
    ms = pd.read_csv(PPS / "mu284_pps.csv")
    ss = pd.read_csv(PPS / "mu284_pps_strat.csv")
    said = {(r.case, r.type.lower()): r.message for r in r_errors.itertuples()}
    for case, d, types in (
        ("brewer", SurveyDesign(ms, fpc="pi", pps="brewer"), ("jk1", "bootstrap")),
        ("strat_brewer", SurveyDesign(ss, strata="half", fpc="pi", pps="brewer"),
         ("jkn", "bootstrap")),
    ):
        for t in types:
            assert said[(case, t)]  # R refuses too
            with pytest.raises(DesignError) as info:
                as_replicate(d, t)  # type: ignore[arg-type]
            text = str(info.value)
            # R names the stratum by its code ("stratum1"); the words before it are R's
            assert said[(case, t)].rstrip("0123456789") in text and "subbootstrap" in text
        assert said[(case, "subbootstrap")] == ""
        as_replicate(d, "subbootstrap", replicates=10, rng=1)
    assert said[("strat_brewer", "brr")] == ""
    with pytest.raises(DesignError, match="two PSUs"):  # 10 PSUs per stratum: pairs
        as_replicate(SurveyDesign(ss.iloc[:-1], strata="half", fpc="pi", pps="brewer"), "brr")


@pytest.mark.parametrize("pps", ["overton", "hr", "ppsmat"])
def test_overton_hr_ppsmat_replicates_refused(pps: str, r_errors: pd.DataFrame) -> None:
    """R's as.svrepdesign stops on these for every type; the message says what to use."""
    stops = r_errors[r_errors.case == pps]
    assert (stops.message != "").all()
    ms = pd.read_csv(PPS / "mu284_pps.csv")
    joint = pd.read_csv(PPS / "mu284_pps_joint.csv").to_numpy(dtype=float)
    d = SurveyDesign(ms, fpc="pi", pps=pps, joint=joint if pps == "ppsmat" else None)
    for t in ("jk1", "bootstrap", "subbootstrap"):
        with pytest.raises(DesignError) as info:
            as_replicate(d, t)  # type: ignore[arg-type]
        text = str(info.value)
        assert f"pps={pps!r}" in text and "brewer" in text and "variance" in text


def test_pps_replicates_from_the_cli(reference: pd.DataFrame, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fieldsurvey.cli.main import main

    base = ["estimate", "--data", str(PPS / "mu284_pps_pairs.csv"), "--strata", "REG",
            "--fpc", "pi", "--pps", "brewer", "--total", "RMT85", "--format", "json"]
    assert main([*base, "--replicates", "brr"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    ref = reference[(reference.case == "pairs_brewer_brr") & (reference.statistic == "total")]
    assert row["se"] == pytest.approx(float(ref.se.iloc[0]), rel=1e-8)
    assert main([*base, "--replicates", "subbootstrap", "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["se"] > 0
    assert main([*base, "--replicates", "jkn"]) == 2
    err = capsys.readouterr().err
    assert "More distinct fpc values than strata" in err and "Traceback" not in err


def test_multistage_rescaled_bootstrap_agrees_with_r() -> None:
    """R's mrbbootstrap on two-stage Brewer designs: random replicates, so the SEs from 4,000
    replicates are compared with R's from 4,000 (Monte Carlo error about 1.5 %): within 6 %."""
    ref = pd.read_csv(PPS / "pps_mrb_reference.csv")
    c2 = pd.read_csv(PPS / "apiclus2_pps.csv")
    c2["half"] = c2["dnum"] % 2
    for case, strata in (("twostage_brewer", None), ("strat_twostage_brewer", "half")):
        d = SurveyDesign(c2, ids=["dnum", "snum"], strata=strata, fpc=["pi1", "pi2"],
                         pps="brewer")
        rep = as_replicate(d, "mrbbootstrap", replicates=int(ref.replicates.iloc[0]), rng=19)
        assert rep.factors.shape == (len(c2), 4000)  # per school: both stages resampled
        t = svytotal(["api00", "api.stu"], rep) + svymean(["api00", "api.stu"], rep)
        for r in ref[ref.case == case].itertuples():
            row = t.get(str(r.variable), str(r.statistic))
            assert row.estimate == pytest.approx(r.estimate, rel=1e-10)
            assert row.se == pytest.approx(r.se, rel=0.06), (case, r.variable, r.statistic)
        # the Taylor two-stage Brewer SE of the total is of the same size
        taylor = svytotal("api00", d).rows[0].se
        assert 0.85 < t.get("api00", "total").se / taylor < 1.2


def test_mrb_bootstrap_without_fpc_uses_the_first_stage() -> None:
    c1 = pd.read_csv(REF / "estimate" / "apiclus1.csv")
    d = SurveyDesign(c1, ids="dnum", weights="pw")
    rep = as_replicate(d, "mrbbootstrap", replicates=3000, rng=4)
    assert rep.factors.shape == (15, 3000)
    assert abs(rep.factors.mean() - 1) < 0.02
    # half-sampling with lambda = sqrt(n*/(n - n*)): about the with-replacement SE
    ratio = svytotal("api00", rep).rows[0].se / svytotal("api00", d).rows[0].se
    assert 0.9 < ratio < 1.1
