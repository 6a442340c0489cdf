"""Selection algorithms: thousands of seeded draws against the reported probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.allocate import allocate, allocation_weights, check_table
from fieldsurvey.sampling.pps import (
    brewer_draw,
    brewer_joint,
    inclusion_probabilities,
    pps_systematic_draw,
)
from fieldsurvey.sampling.simulate import z_scores
from fieldsurvey.sampling.srs import srs_draw, srs_probabilities
from fieldsurvey.sampling.systematic import systematic_draw

RUNS = 20_000
SIZES = np.array([5, 10, 40, 3, 8, 12, 25, 7, 1, 60, 14, 9], dtype=float)


def indicator(samples: np.ndarray, N: int) -> np.ndarray:
    ind = np.zeros((samples.shape[0], N), dtype=bool)
    ind[np.arange(samples.shape[0])[:, None], samples] = True
    return ind


def check_frequencies(samples: np.ndarray, pi: np.ndarray, n: int) -> None:
    ind = indicator(samples, pi.size)
    assert (ind.sum(axis=1) == n).all(), "every sample has exactly n distinct units"
    z = z_scores(ind.mean(axis=0), pi, samples.shape[0])
    assert np.abs(z).max() < 4.5, z
    assert abs(np.mean(z**2) - 1) < 1.2


def test_inclusion_probabilities_certainty_iterates() -> None:
    pi = inclusion_probabilities(SIZES, 5)
    assert pi.sum() == pytest.approx(5)
    # 60 and 40 are certain; after removing them 25 is not (3 * 25 / 94 < 1)
    assert pi[9] == 1 and pi[2] == 1 and pi[6] < 1
    assert pi[6] == pytest.approx(3 * 25 / (SIZES.sum() - 100))
    # 60 becomes certain only once 100 is taken out: 3 * 60 / 200 < 1 but 2 * 60 / 100 > 1
    second = inclusion_probabilities(np.array([100.0, 60, 20, 10, 10]), 3)
    assert second.tolist() == [1.0, 1.0, 0.5, 0.25, 0.25]
    assert inclusion_probabilities(SIZES, 12).tolist() == [1.0] * 12
    assert inclusion_probabilities(np.array([0.0, 2, 2]), 2).tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError):
        inclusion_probabilities(np.array([0.0, 2, 2]), 3)
    with pytest.raises(ValueError):
        inclusion_probabilities(np.array([np.nan, 2]), 1)


@pytest.mark.parametrize("n", [1, 4, 7])
def test_pps_systematic_frequencies(n: int) -> None:
    pi = inclusion_probabilities(SIZES, n)
    samples = pps_systematic_draw(pi, np.random.default_rng(n), RUNS)
    check_frequencies(samples, pi, n)


@pytest.mark.parametrize("n", [2, 4, 7])
def test_brewer_frequencies(n: int) -> None:
    pi = inclusion_probabilities(SIZES, n)
    samples = brewer_draw(pi, np.random.default_rng(10 + n), RUNS)
    check_frequencies(samples, pi, n)


def test_brewer_joint_probabilities_exact_and_positive() -> None:
    pi = inclusion_probabilities(SIZES, 4)
    joint = brewer_joint(pi)
    n = 4
    assert np.allclose(np.diag(joint), pi)
    assert np.allclose(joint, joint.T)
    # sum_j pi_ij (j != i) = (n - 1) pi_i for a fixed-size design
    assert np.allclose(joint.sum(axis=1) - pi, (n - 1) * pi)
    assert (joint > 0).all(), "Brewer's method gives every pair a positive probability"
    ind = indicator(brewer_draw(pi, np.random.default_rng(5), 40_000), pi.size).astype(float)
    emp = ind.T @ ind / ind.shape[0]
    se = np.sqrt(joint * (1 - joint) / ind.shape[0]) + 1e-12
    assert (np.abs(emp - joint) / se).max() < 4.5


def test_pps_systematic_has_zero_joint_probabilities() -> None:
    """The contrast that motivates Brewer: adjacent small units are never drawn together."""
    pi = np.array([0.3, 0.3, 0.4, 0.5, 0.5])
    ind = indicator(pps_systematic_draw(pi, np.random.default_rng(1), 5000), 5)
    assert not (ind[:, 0] & ind[:, 1]).any()


def test_srs_and_systematic_frequencies() -> None:
    rng = np.random.default_rng(3)
    for N, n in [(10, 3), (13, 5), (7, 7), (9, 1)]:
        pi = srs_probabilities(N, n)
        check_frequencies(srs_draw(N, n, rng, RUNS), pi, n)
        check_frequencies(systematic_draw(N, n, rng, RUNS), pi, n)
        single = systematic_draw(N, n, rng)
        assert single.shape == (1, n) and (np.diff(single[0]) > 0).all()
    assert srs_draw(10, 3, rng).shape == (1, 3)
    # varying population per replication (segments of different sizes)
    draws = systematic_draw(np.array([5, 6, 7]), 5, rng, 3)
    assert (draws < np.array([5, 6, 7])[:, None]).all()
    with pytest.raises(ValueError):
        srs_draw(3, 4, rng)


def test_systematic_fractional_interval_spreads() -> None:
    got = systematic_draw(10, 4, np.random.default_rng(0), 1000)
    gaps = np.diff(got, axis=1)
    assert set(np.unique(gaps)) <= {2, 3}


def test_allocations() -> None:
    units = np.array([10, 20, 30, 40])
    size = np.array([100.0, 300, 200, 400])
    prop = allocate(10, allocation_weights("proportional", units, size), units)
    assert prop.tolist() == [1, 3, 2, 4]
    assert allocate(8, allocation_weights("equal", units, size), units).tolist() == [2, 2, 2, 2]
    ney = allocate(10, allocation_weights("neyman", units, None, np.array([4, 1, 1, 1])), units)
    assert ney.tolist() == [3, 1, 3, 3] or ney.sum() == 10
    pw = allocation_weights("power", units, size, power=0.5)
    assert np.allclose(pw, np.sqrt(size))
    # capacity is respected and the rest redistributed; minimum per stratum kept
    capped = allocate(12, np.array([100.0, 1, 1]), np.array([3, 20, 20]), minimum=2)
    assert capped.tolist()[0] == 3 and capped.sum() == 12 and capped.min() >= 2
    assert allocate(5, np.array([0.0, 0.0]), np.array([5, 5])).sum() == 5
    with pytest.raises(DesignError, match="larger than"):
        allocate(11, np.ones(2), np.array([5, 5]))
    with pytest.raises(DesignError) as exc:
        allocate(3, np.ones(4), np.array([5, 5, 5, 5]), minimum=1)
    assert exc.value.field == "stage1.minimum"


def test_largest_remainder_is_deterministic_and_exact() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        w = rng.random(5)
        cap = rng.integers(1, 10, 5)
        n = int(rng.integers(1, cap.sum() + 1))
        got = allocate(n, w, cap, minimum=0)
        assert got.sum() == n and (got <= cap).all() and (got >= 0).all()


def test_table_checks_name_the_stratum() -> None:
    labels = ["a", "b"]
    assert check_table({"a": 1, "b": 2}, labels, np.array([3, 3])).tolist() == [1, 2]
    with pytest.raises(DesignError) as exc:
        check_table({"a": 1, "b": 4}, labels, np.array([3, 3]))
    assert exc.value.field == "stage1.n.b" and "'b'" in exc.value.message
    with pytest.raises(DesignError) as exc:
        check_table({"a": 1, "c": 1}, labels, np.array([3, 3]))
    assert exc.value.field == "stage1.n.c"
    with pytest.raises(DesignError, match="no entry"):
        check_table({"a": 1}, labels, np.array([3, 3]))


@pytest.mark.parametrize("method", ["srs", "systematic", "pps_systematic", "pps_brewer",
                                    "take_all"])
def test_joint_probabilities_against_simulation(method: str) -> None:
    from fieldsurvey.sampling.joint import joint_inclusion
    from fieldsurvey.sampling.stage1 import StratumPlan, draw_stratum

    N = SIZES.size
    n = N if method == "take_all" else 5
    if method.startswith("pps"):
        pi = inclusion_probabilities(SIZES, n)
    else:
        pi = np.full(N, n / N)
    joint = joint_inclusion(pi, method)
    assert np.allclose(np.diag(joint), pi) and np.allclose(joint, joint.T)
    assert np.allclose(joint.sum(axis=1) - pi, (n - 1) * pi)  # fixed sample size
    plan = StratumPlan(label="h", rows=np.arange(N), n=n, pi=pi)
    runs = 30_000
    ind = indicator(draw_stratum(plan, method, np.random.default_rng(8), runs), N).astype(float)
    emp = ind.T @ ind / runs
    se = np.sqrt(joint * (1 - joint) / runs) + 1e-12
    assert (np.abs(emp - joint) / se).max() < 5
    if method == "pps_brewer":
        assert (joint > 0).all()
    if method == "systematic":
        assert (joint == 0).any()  # units closer than the interval are never drawn together


def test_joint_probabilities_by_stratum() -> None:
    import pandas as pd

    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.stage1 import joint_probabilities

    table = pd.DataFrame({"community_id": [f"C{i}" for i in range(SIZES.size)],
                          "households": SIZES, "type": ["a", "b"] * 6})
    d = load_design({"stratify": {"by": "type"},
                     "stage1": {"method": "pps_brewer", "size": "households",
                                "n": {"a": 2, "b": 3}}})
    got = joint_probabilities(table, d)
    assert set(got) == {"a", "b"} and got["a"].shape == (6, 6)
    assert list(got["b"].index) == ["C1", "C11", "C3", "C5", "C7", "C9"]  # id order
    assert np.allclose(got["b"].to_numpy().sum(axis=1) - np.diag(got["b"]),
                       2 * np.diag(got["b"]))
