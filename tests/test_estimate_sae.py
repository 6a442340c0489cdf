"""Fay-Herriot EBLUPs and MSEs: the R formulas (tests/reference/sae/) and a simulation.

The R script maximises the restricted likelihood with ``optimize`` (tolerance 1e-12), an
independent route from fieldsurvey's Fisher scoring; the two agree to 1e-6 relative (the
optimiser's own precision). The simulation draws area effects and sampling errors from the
model and checks that the Prasad-Rao MSE, averaged over areas and replicates, is within 10 %
of the empirical MSE of the EBLUP (300 replicates here; 2,000 in
``benchmarks/bench_estimate.py --fay-herriot``), and that the EBLUP beats the direct
estimates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign
from fieldsurvey.estimate.sae import fay_herriot, fh_simulation, small_area_table
from fieldsurvey.io.errors import EstimationError

REF = Path(__file__).parent / "reference" / "sae"


@pytest.fixture(scope="module")
def areas() -> pd.DataFrame:
    return pd.read_csv(REF / "fh_areas.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF / "fh_reference.csv")


@pytest.mark.parametrize("case", ["linear", "arcsin"])
def test_fay_herriot_matches_the_r_formulas(case: str, areas: pd.DataFrame,
                                            reference: pd.DataFrame) -> None:
    ref = reference[reference.case == case].set_index("area")
    x = areas[["x1", "x2"]].to_numpy()
    if case == "linear":
        fit = fay_herriot(areas["y"].to_numpy(), areas["psi"].to_numpy(), x)
    else:
        fit = fay_herriot(areas["p"].to_numpy(), areas["vp"].to_numpy(), x, transform="arcsin")
    assert fit.converged
    assert fit.sigma2_u == pytest.approx(float(ref.sigma2_u.iloc[0]), rel=1e-6)
    assert fit.beta == pytest.approx(ref[["beta0", "beta1", "beta2"]].iloc[0].to_numpy(), rel=1e-6)
    mine = pd.Series(fit.eblup, index=areas["area"]).loc[ref.index]
    assert mine.to_numpy() == pytest.approx(ref.eblup.to_numpy(), rel=1e-6)
    mse = pd.Series(fit.mse, index=areas["area"]).loc[ref.index]
    assert mse.to_numpy() == pytest.approx(ref.mse.to_numpy(), rel=1e-6)


def test_mse_estimate_is_within_ten_percent_of_the_empirical_mse() -> None:
    res = fh_simulation(replicates=300, areas=40, seed=11)
    assert abs(res["mse_estimate"] / res["mse_empirical"] - 1) < 0.10, res
    assert res["mse_empirical"] < res["direct_mse"]


def test_errors_are_paragraphs() -> None:
    with pytest.raises(EstimationError, match="more areas"):
        fay_herriot(np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([[1.0], [2.0]]))
    with pytest.raises(EstimationError, match="finite"):
        fay_herriot(np.ones(5), np.ones(5), np.array([1.0, np.nan, 2, 3, 4]))


def test_small_area_table_from_a_design(tmp_path: Path) -> None:
    """Direct community means from the design, then EBLUPs labelled as model-based."""
    rng = np.random.default_rng(5)
    n_area, per = 24, 25
    area = np.repeat(np.arange(n_area), per)
    x = rng.uniform(0, 1, n_area)
    mu = 50 + 20 * x + rng.normal(0, 3, n_area)
    data = pd.DataFrame({"community_id": area, "y": mu[area] + rng.normal(0, 15, area.size),
                         "w": 10.0})
    aux = pd.DataFrame({"community_id": np.arange(n_area), "x": x})
    design = SurveyDesign(data, weights="w")
    table = small_area_table(design, "y", "community_id", aux)
    stats = {r.statistic for r in table.rows}
    assert stats == {"mean", "eblup"}
    direct = [r for r in table.rows if r.statistic == "mean"]
    model = [r for r in table.rows if r.statistic == "eblup"]
    assert len(direct) == len(model) == n_area
    assert np.mean([m.se for m in model]) < np.mean([d.se for d in direct])
    assert "fay-herriot" in table.method


def test_sae_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fieldsurvey.cli.main import main

    rng = np.random.default_rng(8)
    area = np.repeat(np.arange(20), 20)
    x = rng.uniform(0, 1, 20)
    pd.DataFrame({"community_id": area, "y": 40 + 30 * x[area] + rng.normal(0, 12, area.size),
                  "w": 5.0}).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"community_id": np.arange(20), "x": x}).to_csv(tmp_path / "aux.csv", index=False)
    base = ["estimate", "--data", str(tmp_path / "r.csv"), "--weights", "w", "--mean", "y",
            "--sae", "fay-herriot", "--area", "community_id", "--aux", str(tmp_path / "aux.csv")]
    assert main([*base, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["statistic"] == "eblup" for r in rows) == 20
    # communities as PSUs: a domain mean within one PSU has no design variance -> refused
    assert main([*base, "--psu", "community_id"]) == 2
    assert "no sampling variance" in capsys.readouterr().err
