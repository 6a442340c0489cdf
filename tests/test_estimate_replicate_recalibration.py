"""Re-calibrated replicate designs keep R's compressed weights and meet the margins in every
replicate.

Raking, post-stratification and calibration on the rows' auxiliary values multiply the
replicate factors of groups of rows (replicate unit x cell), so a raked bootstrap design of
many rows stores groups x replicates, not rows x replicates; every replicate's weights still
reproduce the population margins (R's rake/calibrate on a svyrep.design), and the standard
errors are those of the row-level computation (checked against R in
test_estimate_calibration.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, as_replicate, svymean


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(19)
    n, psus = 6_000, 60
    psu = rng.integers(0, psus, n)
    return pd.DataFrame({
        "psu": psu, "stratum": psu % 6, "w": rng.uniform(20, 60, n),
        "sex": rng.choice(["f", "m"], n), "age": rng.choice(["y", "m", "o"], n),
        "x": rng.gamma(2.0, 5.0, n), "y": rng.normal(50, 10, n) + psu % 7,
    })


def margins(d: pd.DataFrame) -> dict[str, dict[str, float]]:
    out = {}
    for col in ("sex", "age"):
        t = d.groupby(col)["w"].sum() * 1.05
        out[col] = {str(k): float(v) * (1.0 + 0.03 * i) for i, (k, v) in enumerate(t.items())}
        s = sum(out[col].values())
        out[col] = {k: v * float(d["w"].sum()) * 1.05 / s for k, v in out[col].items()}
    return out


def test_raked_replicates_are_compressed_and_meet_the_margins(sample: pd.DataFrame) -> None:
    d = SurveyDesign(sample, ids="psu", strata="stratum", weights="w", nest=True)
    rep = as_replicate(d, "bootstrap", replicates=40, rng=3)
    m = margins(sample)
    raked = rep.rake(m)
    assert raked.factors.shape[0] <= 60 * 6 and raked.factors.shape[1] == 40
    a = raked.analysis_weights()
    for col, targets in m.items():
        for level, total in targets.items():
            rows = (sample[col] == level).to_numpy()
            np.testing.assert_allclose(a[rows].sum(axis=0), total, rtol=1e-9)
    post = rep.poststratify("sex", m["sex"])
    a = post.analysis_weights()
    assert post.factors.shape[0] <= 60 * 2
    for level, total in m["sex"].items():
        np.testing.assert_allclose(a[(sample["sex"] == level).to_numpy()].sum(axis=0), total,
                                   rtol=1e-12)
    # the chain rake -> post-stratify keeps working on the groups
    both = rep.rake(m).poststratify("age", m["age"])
    assert np.isfinite(svymean("y", both).rows[0].se)


def test_linear_calibration_of_all_replicates_at_once(sample: pd.DataFrame) -> None:
    """The batched closed form gives each replicate the totals (continuous auxiliary too)."""
    d = SurveyDesign(sample, ids="psu", strata="stratum", weights="w", nest=True)
    rep = as_replicate(d, "jkn")
    x_total = float((sample["x"] * sample["w"]).sum()) * 0.97
    spec = {"sex": margins(sample)["sex"], "x": x_total}
    cal = rep.calibrate(spec)  # type: ignore[arg-type]
    a = cal.analysis_weights()
    np.testing.assert_allclose(sample["x"].to_numpy() @ a, x_total, rtol=1e-9)
    for level, total in spec["sex"].items():  # type: ignore[union-attr]
        np.testing.assert_allclose(a[(sample["sex"] == level).to_numpy()].sum(axis=0), total,
                                   rtol=1e-9)
    # the same g as calibrating one replicate at a time (the bounded path, bounds wide open)
    loose = rep.calibrate(spec, bounds=(-1e9, 1e9))  # type: ignore[arg-type]
    np.testing.assert_allclose(loose.analysis_weights(), a, rtol=1e-7)
    assert svymean("y", cal).rows[0].se == pytest.approx(svymean("y", loose).rows[0].se,
                                                         rel=1e-7)
