"""PPS designs of several stages, and of clusters, do what R's survey 4.1.1 does.

Reference: tests/reference/pps/ (``make_pps_multistage_reference.R``; R is not needed to run
these tests). R takes several stages of ids only with Brewer's approximation; Overton,
Hartley-Rao and ppsmat stop with "Multistage PPS sampling not supported", which is said
here with R's words. Figures to a relative 1e-8.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, svymean, svyratio, svytotal
from fieldsurvey.io.errors import DesignError

REF = Path(__file__).parent / "reference" / "pps"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "pps_multistage_reference.csv", keep_default_na=False,
                      na_values=[""])
    ref["domain"] = ref["domain"].fillna("").astype(str)
    return ref


@pytest.fixture(scope="module")
def errors() -> dict[str, str]:
    e = pd.read_csv(REF / "pps_multistage_errors.csv")
    return dict(zip(e["case"], e["message"], strict=True))


@pytest.fixture(scope="module")
def clus2() -> pd.DataFrame:
    c2 = pd.read_csv(REF / "apiclus2_pps.csv")
    return c2.assign(half=c2["dnum"] % 2)


def design(case: str, c2: pd.DataFrame) -> SurveyDesign:
    two = {"ids": ["dnum", "snum"], "fpc": ["pi1", "pi2"]}
    one = {"ids": "dnum", "fpc": "pi1"}
    return {
        "twostage_brewer": lambda: SurveyDesign(c2, **two, pps="brewer"),
        "strat_twostage_brewer": lambda: SurveyDesign(c2, **two, strata="half", pps="brewer"),
        "cluster_brewer": lambda: SurveyDesign(c2, **one, pps="brewer"),
        "cluster_overton": lambda: SurveyDesign(c2, **one, pps="overton"),
        "cluster_hr": lambda: SurveyDesign(c2, **one, pps="hr"),
        "strat_cluster_overton": lambda: SurveyDesign(c2, **one, strata="half", pps="overton"),
        "strat_cluster_hr_yg": lambda: SurveyDesign(c2, **one, strata="half", pps="hr",
                                                    pps_variance="YG"),
    }[case]()  # type: ignore[no-untyped-call]


CASES = ["twostage_brewer", "strat_twostage_brewer", "cluster_brewer", "cluster_overton",
         "cluster_hr", "strat_cluster_overton", "strat_cluster_hr_yg"]


@pytest.mark.parametrize("case", CASES)
def test_multistage_and_cluster_pps_match_r(case: str, reference: pd.DataFrame,
                                            clus2: pd.DataFrame) -> None:
    d = design(case, clus2)
    t = svytotal(["api00", "api.stu"], d) + svymean(["api00", "api.stu"], d)
    t += svyratio("api00", "api.stu", d)
    ref = reference[reference.case == case]
    if (ref.domain != "").any():
        t += svymean("api00", d, by="stype") + svytotal("api.stu", d, by="stype")
    assert len(ref) >= 5
    for r in ref.itertuples():
        stat = "ratio" if r.statistic == "ratio" else r.statistic
        row = t.get(str(r.variable), stat, domain=r.domain or None)
        assert row.estimate == pytest.approx(r.estimate, rel=1e-10), (case, r.variable)
        assert row.se == pytest.approx(r.se, rel=1e-8), (case, r.variable, r.statistic, r.domain)


@pytest.mark.parametrize(("case", "pps"), [("overton", "overton"), ("hr", "hr"),
                                           ("hr_psum", "hr"), ("ppsmat", "ppsmat")])
def test_several_stages_refused_with_rs_words(case: str, pps: str, errors: dict[str, str],
                                              clus2: pd.DataFrame) -> None:
    kw: dict[str, object] = {"hr_p2bar": 0.1} if case == "hr_psum" else {}
    if pps == "ppsmat":
        kw["joint"] = np.eye(len(clus2))
    with pytest.raises(DesignError) as info:
        SurveyDesign(clus2, ids=["dnum", "snum"], fpc=["pi1", "pi2"], pps=pps, **kw)  # type: ignore[arg-type]
    text = str(info.value)
    assert errors[case] in text
    assert "brewer" in text  # names the alternative
    if pps == "ppsmat":  # R's ppsmat message has no "with this method"
        assert "with this method" not in text


def test_brewer_yates_grundy_and_population_sizes_refused(errors: dict[str, str],
                                                          clus2: pd.DataFrame) -> None:
    with pytest.raises(DesignError) as info:
        SurveyDesign(clus2, ids=["dnum", "snum"], fpc=["pi1", "pi2"], pps="brewer",
                     pps_variance="YG")
    assert errors["brewer_yg"] in str(info.value)
    sizes = clus2.assign(n1=757.0, n2=100.0)
    with pytest.raises(DesignError) as info:
        SurveyDesign(sizes, ids=["dnum", "snum"], fpc=["n1", "n2"], pps="brewer")
    assert errors["brewer_popsize"] in str(info.value)


def test_multistage_refusal_from_the_cli(clus2: pd.DataFrame, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from fieldsurvey.cli.main import main

    path = tmp_path / "c2.csv"
    clus2.to_csv(path, index=False)
    code = main(["estimate", "--data", str(path), "--psu", "dnum,snum", "--fpc", "pi1,pi2",
                 "--pps", "overton", "--mean", "api00"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Multistage PPS sampling not supported" in err and "Traceback" not in err
    assert main(["estimate", "--data", str(path), "--psu", "dnum,snum", "--fpc", "pi1,pi2",
                 "--pps", "brewer", "--mean", "api00", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["estimate"] > 0 and not math.isnan(row["se"])


def test_hartley_rao_with_a_sum_per_stratum_matches_r() -> None:
    """R's HR(psum, strata): the population's sum(pi^2)/n of each stratum (HT and YG)."""
    ref = pd.read_csv(REF / "pps_hr_reference.csv", keep_default_na=False, na_values=["", "NA"])
    meta = ref[ref.case == "meta"].set_index("variable")["estimate"]
    p2 = {1: float(meta["p2bar_1"]), 2: float(meta["p2bar_2"])}
    ss = pd.read_csv(REF / "mu284_pps_strat.csv")
    for case, variance in (("strat_hr_psum", "HT"), ("strat_hr_psum_yg", "YG")):
        d = SurveyDesign(ss, strata="half", fpc="pi", pps="hr", hr_p2bar=p2,
                         pps_variance=variance)  # type: ignore[arg-type]
        t = svytotal(["RMT85", "ME84"], d) + svymean(["RMT85", "ME84"], d)
        for r in ref[ref.case == case].itertuples():
            row = t.get(str(r.variable), str(r.statistic))
            assert row.estimate == pytest.approx(r.estimate, rel=1e-10)
            if math.isnan(r.se):  # a negative HT variance estimate: NaN in R too
                assert math.isnan(row.se)
            else:
                assert row.se == pytest.approx(r.se, rel=1e-8), (case, r.variable)
    with pytest.raises(DesignError, match="not given for a stratum"):
        SurveyDesign(ss, strata="half", fpc="pi", pps="hr", hr_p2bar={1: 0.2})
    # one number for every stratum (R gives NA here: it looks the number up by stratum)
    one = SurveyDesign(ss, strata="half", fpc="pi", pps="hr", hr_p2bar=p2[1], pps_variance="YG")
    assert np.isfinite(svytotal("RMT85", one).rows[0].se)
