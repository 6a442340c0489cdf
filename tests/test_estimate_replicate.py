"""Replicate designs: weights as R builds them, Rao-Wu bootstrap, BRR/Fay, columns, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import ReplicateDesign, SurveyDesign, as_replicate, svymean, svytotal
from fieldsurvey.io.errors import ColumnError, DesignError

REF = Path(__file__).parent / "reference" / "estimate"


@pytest.fixture(scope="module")
def strat() -> pd.DataFrame:
    return pd.read_csv(REF / "apistrat.csv")


@pytest.fixture(scope="module")
def clus1() -> pd.DataFrame:
    return pd.read_csv(REF / "apiclus1.csv")


@pytest.fixture(scope="module")
def nhanes(shared_data: Path) -> SurveyDesign:
    nh = pd.read_csv(shared_data / "frames" / "nhanes2.csv")
    return SurveyDesign(nh, ids="psuid", strata="stratid", weights="finalwgt", nest=True)


def test_jk1_weights(clus1: pd.DataFrame) -> None:
    rep = as_replicate(SurveyDesign(clus1, ids="dnum", weights="pw", fpc="fpc"), "jk1")
    assert rep.replicates == 15 and rep.type == "jk1"
    assert np.allclose(np.diag(rep.factors), 0) and np.isclose(rep.factors[0, 1], 15 / 14)
    assert np.isclose(rep.scale, (757 - 15) / 757 * 14 / 15)


def test_jkn_weights(strat: pd.DataFrame) -> None:
    rep = as_replicate(SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc"), "jkn")
    assert rep.replicates == 200
    n_h = strat.groupby("stype").size()
    fpc_h = strat.groupby("stype")["fpc"].first()
    expected = sorted(((fpc_h - n_h) / fpc_h * (n_h - 1) / n_h).repeat(n_h.to_numpy()))
    assert np.allclose(sorted(rep.rscales), expected)


def test_rao_wu_bootstrap_without_fpc(strat: pd.DataFrame) -> None:
    d = SurveyDesign(strat, strata="stype", weights="pw")
    rep = as_replicate(d, "bootstrap", replicates=400, rng=42)
    again = as_replicate(d, "bootstrap", replicates=400, rng=42)
    assert np.array_equal(rep.factors, again.factors)
    # factor = n_h / (n_h - 1) x draws, n_h - 1 draws per stratum and replicate
    stype = strat["stype"].to_numpy()
    for h in ("E", "H", "M"):
        n_h = int((stype == h).sum())
        counts = rep.factors[stype == h] * (n_h - 1) / n_h
        assert np.allclose(counts, np.round(counts))
        assert np.allclose(counts.sum(axis=0), n_h - 1)
    assert np.isclose(rep.scale, 1 / 399)
    taylor = svymean("api00", d)[0].se
    boot = svymean("api00", rep)[0].se
    assert abs(boot / taylor - 1) < 0.15


def test_rao_wu_bootstrap_with_fpc(strat: pd.DataFrame) -> None:
    d = SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc")
    rep = as_replicate(d, "bootstrap", replicates=300, rng=np.random.default_rng(7))
    # E[factor] = 1, and the FPC shrinks the spread by sqrt(1 - f)
    assert abs(rep.factors.mean() - 1) < 0.02
    f = 100 / strat.loc[strat.stype == "E", "fpc"].iloc[0]
    lam = np.sqrt(1 - f)
    e_rows = rep.factors[(strat.stype == "E").to_numpy()]
    counts = (e_rows - 1 + lam) / (lam * 100 / 99)
    assert np.allclose(counts, np.round(counts))
    taylor = svymean("api00", d)[0].se
    assert abs(svymean("api00", rep)[0].se / taylor - 1) < 0.2


def test_brr_totals_equal_taylor_without_fpc(nhanes: SurveyDesign) -> None:
    brr = as_replicate(nhanes, "brr")
    assert brr.replicates == 32  # Sylvester order 2^5 > 31 strata
    assert set(np.unique(brr.factors)) == {0.0, 2.0}
    taylor = svytotal(["highbp", "zinc"], nhanes)
    for r, t in zip(svytotal(["highbp", "zinc"], brr), taylor, strict=True):
        assert np.isclose(r.se, t.se, rtol=1e-12)
    fay = as_replicate(nhanes, "brr", fay_rho=0.5)
    assert fay.type == "fay" and set(np.unique(fay.factors)) == {0.5, 1.5}
    assert np.isclose(svytotal("highbp", fay)[0].se, taylor[0].se, rtol=1e-12)
    # means: close to the linearisation, not equal
    assert abs(svymean("zinc", brr)[0].se / svymean("zinc", nhanes)[0].se - 1) < 0.05


def test_wrong_replicate_type_for_design(strat: pd.DataFrame, clus1: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="JK1 cannot"):
        as_replicate(SurveyDesign(strat, strata="stype", weights="pw"), "jk1")
    with pytest.raises(DesignError, match="needs a stratified"):
        as_replicate(SurveyDesign(clus1, ids="dnum", weights="pw"), "jkn")
    with pytest.raises(DesignError, match="two PSUs per stratum"):  # 7, 7 and 1 PSUs
        as_replicate(SurveyDesign(clus1, ids="dnum", strata="lstr", weights="pw",
                                  lonely_psu="adjust"), "brr")
    with pytest.raises(DesignError, match="unknown replicate type"):
        as_replicate(SurveyDesign(clus1, ids="dnum", weights="pw"), "jk2")  # type: ignore[arg-type]


def test_from_columns_defaults_and_errors(strat: pd.DataFrame) -> None:
    d = SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc")
    rep = as_replicate(d, "jkn")
    analysis = rep.factors[rep.row_unit] * rep.weights[:, None]
    cols = [f"r{i}" for i in range(analysis.shape[1])]
    data = pd.concat([strat, pd.DataFrame(analysis, columns=cols)], axis=1)
    back = ReplicateDesign.from_columns(data, cols, weights="pw", type="jkn", rscales=rep.rscales)
    assert np.isclose(svymean("api00", back)[0].se, svymean("api00", rep)[0].se, rtol=1e-12)
    with pytest.raises(DesignError, match="rscales"):
        ReplicateDesign.from_columns(data, cols, weights="pw", type="jkn")
    brr_like = ReplicateDesign.from_columns(data, cols[:4], weights="pw", type="brr")
    assert np.isclose(brr_like.scale, 1 / 4)
    jk1 = ReplicateDesign.from_columns(data, cols[:10], weights="pw", type="jk1")
    assert np.isclose(jk1.scale, 9 / 10)
    with pytest.raises(ColumnError):
        ReplicateDesign.from_columns(data, ["nope"], weights="pw")
    holes = data.copy()
    holes.loc[3, "r2"] = np.nan
    with pytest.raises(DesignError, match="missing replicate weight") as err:
        ReplicateDesign.from_columns(holes, cols, weights="pw", type="bootstrap")
    assert err.value.row == 5  # the file row: header row 1, position 3


def test_mse_centres_on_the_estimate(clus1: pd.DataFrame) -> None:
    d = SurveyDesign(clus1, ids="dnum", weights="pw")
    a = as_replicate(d, "jk1")
    b = as_replicate(d, "jk1", mse=True)
    se_a, se_b = svymean("api00", a)[0].se, svymean("api00", b)[0].se
    assert se_b >= se_a and np.isclose(se_a, se_b, rtol=1e-2)


def test_replicate_domains_match_subset_definition(strat: pd.DataFrame) -> None:
    rep = as_replicate(SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc"), "jkn")
    by = svymean("api00", rep, by="sch.wide")
    assert [r.domain for r in by] == ["sch.wide=No", "sch.wide=Yes"]
    assert all(np.isfinite(r.se) and r.se > 0 for r in by)
