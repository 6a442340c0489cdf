"""Stage-1 PPS probabilities on real public frames against R, through the API and the CLI.

``tests/reference/sampling/real_frames.json`` was made by ``real_frames.R`` beside it
(R ``sampling::inclusionprobabilities`` per stratum on MU284, swissmunicipalities,
belgianmunicipalities and apipop); R is not needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.sampling.design import load_design
from fieldsurvey.sampling.stage1 import plan_stage1

REFERENCE = Path(__file__).parent / "reference" / "sampling" / "real_frames.json"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def _table(frame: dict) -> pd.DataFrame:
    return pd.DataFrame({"unit": [str(i) for i in frame["id"]], "size": frame["size"],
                         "stratum": frame["stratum"]})


def _design(case: dict, method: str = "pps_systematic") -> dict:
    n = {h: s["n"] for h, s in case["strata"].items()}
    stage1: dict = {"method": method, "id": "unit", "size": "size"}
    if list(n) == ["all"]:
        return {"seed": 7, "stage1": {**stage1, "n": n["all"]}}
    return {"seed": 7, "stratify": {"by": "stratum"}, "stage1": {**stage1, "n": n}}


def test_reference_made_by_r(reference: dict) -> None:
    assert reference["sampling_version"] == "2.9"
    assert len(reference["cases"]) == 8
    # the cases include iterated certainty units (a second and later round)
    assert max(s["certainty"] for c in reference["cases"] for s in c["strata"].values()) >= 9


@pytest.mark.parametrize("method", ["pps_systematic", "pps_brewer"])
def test_plan_equals_r_on_real_frames(reference: dict, method: str) -> None:
    for case in reference["cases"]:
        table = _table(reference["frames"][case["frame"]])
        plans = {p.label: p for p in plan_stage1(table, load_design(_design(case, method)))}
        for h, want in case["strata"].items():
            plan = plans[h]
            assert plan.n == want["n"]
            if h != "all":
                in_h = np.flatnonzero(table["stratum"].to_numpy() == h)
            else:
                in_h = np.arange(len(table))
            got = pd.Series(plan.pi, index=plan.rows).loc[in_h].to_numpy()
            np.testing.assert_allclose(got, want["pik"], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{case['name']} stratum {h}")
            assert int((got >= 1).sum()) == want["certainty"]


def test_cli_draw_carries_r_probabilities(reference: dict, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in reference["cases"] if c["name"] == "swiss_POPTOT_by_REG")
    table = _table(reference["frames"][case["frame"]])
    table.to_csv(tmp_path / "swiss.csv", index=False)
    n = ", ".join(f'"{h}" = {s["n"]}' for h, s in case["strata"].items())
    (tmp_path / "d.toml").write_text(
        'seed = 11\n[stratify]\nby = "stratum"\n[stage1]\nmethod = "pps_systematic"\n'
        f'id = "unit"\nsize = "size"\nn = {{ {n} }}\n', encoding="utf-8")
    out = tmp_path / "s"
    args = ["sample", "draw", "--communities", str(tmp_path / "swiss.csv"), "--id-field",
            "unit", "--design", str(tmp_path / "d.toml"), "--out", str(out)]
    assert main(args) == 0
    sample = pd.read_csv(f"{out}.csv", dtype={"community_id": str}, encoding="utf-8-sig")
    want = {}
    for h, s in case["strata"].items():
        ids = table.loc[table["stratum"] == h, "unit"]
        want.update(dict(zip(ids, s["pik"], strict=True)))
    assert len(sample) == sum(s["n"] for s in case["strata"].values())
    assert sample["community_id"].is_unique
    np.testing.assert_allclose(sample["pi_1"], sample["community_id"].map(want), rtol=1e-12)
    np.testing.assert_allclose(sample["base_weight"] * sample["pi"], 1.0, rtol=1e-12)
    certain = {u for u, p in want.items() if p >= 1}
    assert certain <= set(sample["community_id"])  # every certainty unit is in
    assert (sample.loc[sample["community_id"].isin(certain), "certainty"]).all()
    # the same seed gives the same file, byte for byte
    again = tmp_path / "t"
    assert main([*args[:-1], str(again)]) == 0
    assert Path(f"{out}.csv").read_bytes() == Path(f"{again}.csv").read_bytes()
    capsys.readouterr()


@pytest.mark.parametrize("method", ["pps_systematic", "pps_brewer"])
def test_selection_frequencies_match_r_probabilities(reference: dict, method: str) -> None:
    from fieldsurvey.sampling.simulate import simulate_design

    case = next(c for c in reference["cases"] if c["name"] == "MU284_P85_by_REG")
    table = _table(reference["frames"]["MU284"])
    runs = 4000
    sim = simulate_design(table, _design(case, method), runs=runs, seed=20261202)
    want = np.empty(len(table))
    for h, s in case["strata"].items():
        want[np.flatnonzero(table["stratum"].to_numpy() == h)] = s["pik"]
    units = sim.units.set_index("community_id").loc[table["unit"]]
    np.testing.assert_allclose(units["pi"], want, rtol=1e-12)
    freq = units["frequency"].to_numpy()
    assert (freq[want >= 1] == 1).all()
    # every unit within 5 binomial standard deviations, and the whole frame by chi-square
    sd = np.sqrt(want * (1 - want) / runs)
    inner = want < 1
    assert np.all(np.abs(freq[inner] - want[inner]) <= 5 * sd[inner])
    chi2 = float(np.sum((freq[inner] - want[inner]) ** 2 / (sd[inner] ** 2)))
    from scipy.stats import chi2 as chi2_dist

    assert chi2_dist.sf(chi2, inner.sum()) > 1e-4
    assert sim.consistent
