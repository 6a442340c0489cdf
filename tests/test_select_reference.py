"""Stage-1 probabilities against R sampling::inclusionprobabilities and a published frame.

``tests/reference/sampling/inclusionprobabilities.json`` was made by the R script beside
it (R 4.2.2, sampling 2.9); R is not needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.design import load_design
from fieldsurvey.sampling.pps import inclusion_probabilities
from fieldsurvey.sampling.stage1 import plan_stage1
from fieldsurvey.sampling.stages import draw_sample

REFERENCE = Path(__file__).parent / "reference" / "sampling" / "inclusionprobabilities.json"
N_H = {"North": 2, "South": 3, "East": 3, "West": 2}


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_reference_was_made_by_r(reference: dict) -> None:
    assert reference["sampling_version"] == "2.9"
    assert (REFERENCE.parent / "inclusionprobabilities.R").is_file()


def test_equal_to_r_inclusionprobabilities(reference: dict) -> None:
    sizes = np.array(reference["sizes"], dtype=float)
    for case in reference["cases"]:
        got = inclusion_probabilities(sizes, case["n"])
        np.testing.assert_allclose(got, case["pik"], rtol=1e-12, atol=1e-15)
        assert got.sum() == pytest.approx(case["n"])


def test_equal_to_r_through_the_design(reference: dict) -> None:
    sizes = reference["sizes"]
    table = pd.DataFrame({"community_id": [f"R{i:02d}" for i in range(len(sizes))],
                          "households": sizes})
    for case in reference["cases"]:
        d = load_design({"stage1": {"method": "pps_systematic", "size": "households",
                                    "n": case["n"]}})
        (plan,) = plan_stage1(table, d)
        got = np.empty(len(sizes))
        got[plan.rows] = plan.pi
        np.testing.assert_allclose(got, case["pik"], rtol=1e-12)


def psu_design(**stage1: object) -> dict:
    return {"seed": 1, "stratify": {"by": "region"},
            "stage1": {"method": "pps_systematic", "id": "cluster",
                       "size": "number_households_census", "n": N_H, "zero_size": "exclude",
                       **stage1}}


@pytest.fixture(scope="module")
def psu_frame(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "frames" / "psu_frame.csv", encoding="utf-8-sig")


def test_psu_frame_probabilities(psu_frame: pd.DataFrame, shared_data: Path,
                                 reference: dict) -> None:
    published = pd.read_csv(shared_data / "frames" / "psu_sample.csv")
    plans = plan_stage1(psu_frame, load_design(psu_design()))
    pi = pd.Series(0.0, index=psu_frame["cluster"])
    for plan in plans:
        assert plan.n == N_H[plan.label]
        assert plan.pi.sum() == pytest.approx(plan.n)
        pi.iloc[plan.rows] = plan.pi
    np.testing.assert_allclose(pi.loc[published["cluster"]].to_numpy(),
                               published["psu_prob"].to_numpy(), rtol=1e-12)
    for ref in reference["psu_frame"].values():
        np.testing.assert_allclose(pi.loc[ref["cluster"]].to_numpy(), ref["pik"], rtol=1e-12)


@pytest.mark.parametrize("method", ["pps_systematic", "pps_brewer"])
def test_psu_frame_draw(psu_frame: pd.DataFrame, method: str) -> None:
    sample = draw_sample(psu_frame, psu_design(method=method))
    assert sample.groupby("stratum")["community_id"].size().to_dict() == N_H
    sizes = psu_frame.set_index("cluster")["number_households_census"]
    totals = psu_frame.groupby("region")["number_households_census"].sum()
    expect = [N_H[h] * sizes[c] / totals[h]
              for h, c in zip(sample["stratum"], sample["community_id"], strict=True)]
    np.testing.assert_allclose(sample["pi_1"], expect, rtol=1e-12)
    assert (sample["base_weight"] * sample["pi"]).round(12).eq(1).all()


def test_psu_frame_zero_sizes_are_an_error_by_default(psu_frame: pd.DataFrame) -> None:
    with pytest.raises(DesignError) as exc:
        draw_sample(psu_frame, psu_design(zero_size="error"))
    assert "49" in exc.value.paragraph() and "59" in exc.value.paragraph()
    assert exc.value.field == "number_households_census"
