"""Whole designs drawn thousands of times: empirical frequencies agree with the reported pi."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _samplekit import communities, design, dwellings

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.simulate import simulate_design
from fieldsurvey.sampling.stages import draw_sample


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    comm = communities(10, size_range=(15, 60))
    return comm, dwellings(comm, vacancy=0.15)


def assert_agrees(sim, n_units: int) -> None:
    assert len(sim.units) == n_units
    z = sim.units["z"].to_numpy()
    assert np.isfinite(z).all()
    # thousands of units: |z| beyond 5 would be a real bias, not chance
    assert sim.max_abs_z < 5.0, sim.units.loc[np.abs(z).argmax()]
    if n_units >= 100:
        assert abs(np.mean(z**2) - 1) < 0.6
    for h, n in sim.n.items():
        assert sim.sum_pi[h] == pytest.approx(n)


@pytest.mark.parametrize("method", ["srs", "systematic", "pps_systematic", "pps_brewer"])
def test_stage1_methods(small, method: str) -> None:
    comm = communities(60, size_range=(5, 400))
    d = design(stage1={"method": method, "n": 5}, stage2=None)
    sim = simulate_design(comm, d, runs=4000, seed=1)
    assert_agrees(sim, len(comm))
    assert sim.units["pi"].sum() == pytest.approx(5)


@pytest.mark.parametrize(
    ("stage1", "stage2"),
    [
        ("pps_systematic", "systematic"),
        ("pps_brewer", "srs"),
        ("systematic", "systematic"),
    ],
)
def test_two_stage_designs(small, stage1: str, stage2: str) -> None:
    comm, frame = small
    d = design(stage1={"method": stage1, "n": 4},
               stage2={"method": stage2, "m": 6, "reserve": 3, "segment_size": 12})
    sim = simulate_design(frame, d, runs=3000, seed=2)
    eligible = int((frame["status"] == "occupied").sum())
    assert_agrees(sim, eligible)
    # the expected number of dwellings equals the sum of the dwellings' pi
    assert sim.units["pi"].sum() == pytest.approx(sim.units["frequency"].sum(), rel=0.03)


def test_simulation_matches_the_real_draw(small) -> None:
    """The pi reported by draw_sample is the pi the simulation checks."""
    comm, frame = small
    d = design(stage1={"n": 4}, stage2={"m": 6, "reserve": 3, "segment_size": 12})
    sim = simulate_design(frame, d, runs=10, seed=0).units.set_index("dwelling_id")
    s = draw_sample(frame, d)
    main = s[s["released"]].set_index("dwelling_id")
    assert np.allclose(main["pi"], sim.loc[main.index, "pi"])


def test_runs_must_be_positive(small) -> None:
    with pytest.raises(DesignError):
        simulate_design(small[0], design(stage2=None), runs=0)


def test_a_wrong_probability_is_caught(small, monkeypatch) -> None:
    """The check has power: pi reported 15 % too high in stage 2 is flagged."""
    import fieldsurvey.sampling.simulate as sim_module

    comm, frame = small
    d = design(stage1={"n": 4}, stage2={"m": 6, "reserve": 3})
    ok = simulate_design(frame, d, runs=3000, seed=3)
    assert ok.consistent and ok.min_p_adjusted >= 0.001
    real = sim_module.within_probabilities
    monkeypatch.setattr(sim_module, "within_probabilities",
                        lambda N, m, s: np.minimum(1.0, real(N, m, s) * 1.15))
    bad = simulate_design(frame, d, runs=3000, seed=3)
    assert not bad.consistent and bad.max_abs_z > 5
    assert (bad.units["p_value"] <= 1).all()
