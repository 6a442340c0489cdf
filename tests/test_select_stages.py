"""The multi-stage driver: columns, probabilities, reproducibility, two phases, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _samplekit import communities, design, dwellings

from fieldsurvey.io.errors import ColumnError, DesignError
from fieldsurvey.io.schema import SAMPLE_COLUMNS
from fieldsurvey.sampling.design import load_design
from fieldsurvey.sampling.kish import KISH_TABLES
from fieldsurvey.sampling.stage1 import plan_stage1
from fieldsurvey.sampling.stage2 import draw_within, within_probabilities
from fieldsurvey.sampling.stages import BOOKKEEPING_COLUMNS, draw_sample


@pytest.fixture(scope="module")
def comm() -> pd.DataFrame:
    return communities(24)


@pytest.fixture(scope="module")
def frame(comm: pd.DataFrame) -> pd.DataFrame:
    return dwellings(comm)


def test_columns_and_probabilities(frame: pd.DataFrame) -> None:
    s = draw_sample(frame, design())
    n = len(SAMPLE_COLUMNS)
    assert tuple(s.columns[:n]) == SAMPLE_COLUMNS
    assert tuple(s.columns[n: n + 4]) == BOOKKEEPING_COLUMNS
    for col in ("address", "building", "unit", "floor", "door", "lon", "lat", "status",
                "households", "street", "name"):
        assert col in s.columns
    main = s[s["released"]]
    assert np.allclose(main["pi"], main["pi_1"] * main["pi_2"])
    assert np.allclose(main["base_weight"], 1 / main["pi"])
    assert (main["release_batch"] == 0).all() and (main["replicate"] == 0).all()
    reserve = s[~s["released"]]
    assert reserve["pi_2"].isna().all() and reserve["release_batch"].isna().all()
    assert set(s["status"]) == {"occupied"}
    assert set(s["kish_table"]) <= set(KISH_TABLES)
    assert s.groupby("stratum")["community_id"].nunique().sum() == 6
    for _cid, part in s.groupby("community_id"):
        N = int(part["eligible_n"].iloc[0])
        rel = part[part["released"]]
        assert len(rel) == min(8, N)
        assert np.allclose(rel["pi_2"], min(8, N) / N)
        assert part["line"].tolist() == list(range(1, len(part) + 1))
        assert rel["order"].is_monotonic_increasing  # main sample in geographic order
        assert part.loc[~part["released"], "replicate"].tolist() == list(
            range(1, len(part) - len(rel) + 1))


def test_same_seed_same_sample_and_frame_row_order_irrelevant(frame: pd.DataFrame) -> None:
    a = draw_sample(frame, design())
    b = draw_sample(frame.iloc[::-1].reset_index(drop=True), design())
    pd.testing.assert_frame_equal(a, b)
    c = draw_sample(frame, design(), seed=99)
    assert c.attrs["seed"] == 99 and not a["dwelling_id"].equals(c["dwelling_id"])
    fresh = draw_sample(frame, design(seed=None))
    again = draw_sample(frame, design(seed=None), seed=fresh.attrs["seed"])
    pd.testing.assert_frame_equal(fresh, again)


def test_two_phase_equals_one_shot(comm: pd.DataFrame, frame: pd.DataFrame) -> None:
    one = draw_sample(frame, design())
    stage1 = draw_sample(comm, design(), stage=1)
    assert stage1["dwelling_id"].isna().all() and stage1.attrs["stage"] == 1
    assert set(stage1["community_id"]) == set(one["community_id"])
    assert np.allclose(stage1["base_weight"], 1 / stage1["pi_1"])
    assert "certainty" in stage1.columns and "households" in stage1.columns
    from_frame = draw_sample(frame, design(), stage=1)
    assert from_frame["community_id"].tolist() == stage1["community_id"].tolist()
    # only the selected communities were listed: the frame holds nothing else
    listed = frame[frame["community_id"].isin(stage1["community_id"])]
    two = draw_sample(listed, design(), stage=2, selected=stage1)
    pd.testing.assert_frame_equal(one, two, check_dtype=False)
    # one-shot with the communities table for stage 1: same sample
    both = draw_sample(frame, design(), communities=comm)
    pd.testing.assert_frame_equal(one, both)
    # a community that is on the list but was never listed cannot be drawn from
    unlisted = pd.concat([comm, comm.iloc[[0]].assign(community_id="C999", households=9000)])
    with pytest.raises(DesignError, match="C999"):
        draw_sample(frame, design(), communities=unlisted)


def test_stage1_only_design(comm: pd.DataFrame) -> None:
    s = draw_sample(comm, design(stage2=None))
    assert len(s) == 6 and s["pi_2"].isna().all() and np.allclose(s["pi"], s["pi_1"])
    for _, part in s.groupby("stratum"):
        assert part["line"].tolist() == list(range(1, len(part) + 1))


@pytest.mark.parametrize("method", ["srs", "systematic", "pps_systematic", "pps_brewer"])
def test_stage1_methods_sum_of_pi(comm: pd.DataFrame, method: str) -> None:
    d = design(stage1={"method": method, "n": 7})
    d.pop("stage2")
    s = draw_sample(comm, d)
    assert len(s) == 7
    if method in ("srs", "systematic"):
        counts = comm.groupby("type").size()
        for h, part in s.groupby("stratum"):
            assert np.allclose(part["pi_1"], len(part) / counts[h])


def test_take_all_and_single_unit_strata(comm: pd.DataFrame) -> None:
    d = design(stage1={"method": "take_all", "n": None})
    d["stage1"].pop("n")
    d.pop("stage2")
    s = draw_sample(comm, d)
    assert len(s) == len(comm) and (s["pi_1"] == 1).all()
    one = comm.copy()
    one.loc[0, "type"] = "单一"
    d2 = design(stage1={"n": {"单一": 1, "示范类": 2, "强基类": 2}})
    d2.pop("stage2")
    s2 = draw_sample(one, d2)
    single = s2[s2["stratum"] == "单一"]
    assert len(single) == 1 and single["pi_1"].iloc[0] == 1.0 and single["certainty"].all()


def test_certainty_units_in_the_driver() -> None:
    comm = communities(10, size_range=(10, 20))
    comm.loc[3, "households"] = 5000
    d = design(stratify=None, stage1={"n": 3}, stage2=None)
    s = draw_sample(comm, d)
    assert "C003" in set(s["community_id"])
    assert s.loc[s["community_id"] == "C003", "certainty"].all()
    assert len(s) == 3
    (plan,) = plan_stage1(comm, load_design(d))
    assert plan.pi.sum() == pytest.approx(3) and plan.pi.max() == 1.0


def test_n_equal_to_N_and_larger(comm: pd.DataFrame) -> None:
    d = design(stage1={"n": len(comm)})
    d.pop("stage2")
    s = draw_sample(comm, d)
    assert len(s) == len(comm) and np.allclose(s["pi_1"], 1)
    d = design(stage1={"n": len(comm) + 1})
    with pytest.raises(DesignError) as exc:
        draw_sample(comm, d, stage=1)
    assert exc.value.field == "stage1.n"
    d = design(stage1={"n": {"示范类": 13, "强基类": 1}})
    with pytest.raises(DesignError) as exc:
        draw_sample(comm, d, stage=1)
    assert exc.value.field == "stage1.n.示范类" and "示范类" in exc.value.message


def test_take_all_dwellings_and_short_reserve() -> None:
    comm = communities(4, size_range=(5, 6))  # 5 dwellings each
    frame = dwellings(comm, vacancy=0.0)
    s = draw_sample(frame, design(stratify=None, stage1={"n": 4, "method": "srs"},
                                  stage2={"m": 8, "reserve": 3}))
    assert (s["released"]).all() and (s["pi_2"] == 1).all() and len(s) == 20
    s = draw_sample(frame, design(stratify=None, stage1={"n": 4, "method": "srs"},
                                  stage2={"m": 3, "reserve": 4}))
    assert s.groupby("community_id")["released"].agg(["sum", "size"]).eq([3, 5]).all().all()


def test_segmentation_of_large_communities() -> None:
    comm = communities(6, size_range=(40, 41))
    comm.loc[2, "households"] = 700
    frame = dwellings(comm, vacancy=0.0)
    d = design(stratify=None, stage1={"method": "take_all"},
               stage2={"m": 10, "reserve": 5, "segment_size": 100, "eligible": None})
    d["stage1"].pop("n")
    d["stage2"].pop("eligible")
    s = draw_sample(frame, d)
    big = s[s["community_id"] == "C002"]
    small = s[s["community_id"] != "C002"]
    assert small["segment"].isna().all() and (small["pi_segment"] == 1).all()
    seg = int(big["segment"].iloc[0])
    assert 1 <= seg <= 7 and big["segment"].nunique() == 1
    seg_n = int(big["segment_n"].iloc[0])
    assert 100 <= seg_n < 200 and big["order"].max() - big["order"].min() < seg_n
    rel = big[big["released"]]
    assert np.allclose(rel["pi_2"], (seg_n / 700) * 10 / seg_n)
    assert np.allclose(within_probabilities(700, 10, 100), 10 / 700)


def test_released_prefix_probability_is_m_prime_over_n() -> None:
    """Releasing m' of the random-order sample gives pi = m'/N (also inside segments)."""
    rng = np.random.default_rng(4)
    for method in ("systematic", "srs"):
        w = draw_within(23, 5, 6, method, None, rng, reps=40_000)
        for m_prime in (5, 8, 11):
            freq = np.bincount(w.positions[:, :m_prime].ravel(), minlength=23) / 40_000
            z = (freq - m_prime / 23) / np.sqrt(m_prime / 23 * (1 - m_prime / 23) / 40_000)
            assert np.abs(z).max() < 4.5


def test_stratified_allocations_through_driver(comm: pd.DataFrame) -> None:
    for alloc, extra in [("proportional", {}), ("equal", {}), ("power", {"power": 0.3}),
                         ("neyman", {"sd": "households"}),
                         ("neyman", {"sd": {"示范类": 1.0, "强基类": 3.0}})]:
        d = design(stage1={"n": 8, "allocation": alloc, **extra})
        s = draw_sample(comm, d, stage=1)
        assert len(s) == 8
    d = design(stage1={"n": 8, "allocation": "neyman", "sd": {"示范类": 1.0, "强基类": 3.0}})
    s = draw_sample(comm, d, stage=1)
    assert s.groupby("stratum").size().to_dict() == {"强基类": 6, "示范类": 2}


def test_respondent_none_leaves_no_table(frame: pd.DataFrame) -> None:
    s = draw_sample(frame, design(respondent={"method": "none"}))
    assert s["kish_table"].isna().all()


def test_kish_tables_in_proportion() -> None:
    comm = communities(40, size_range=(100, 101))
    frame = dwellings(comm, vacancy=0.0)
    d = design(stratify=None, stage1={"method": "take_all"}, stage2={"m": 24, "reserve": 0})
    d["stage1"].pop("n")
    s = draw_sample(frame, d)
    shares = s["kish_table"].value_counts() / len(s)
    assert shares["A"] == pytest.approx(2 / 12) and shares["B1"] == pytest.approx(1 / 12)


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        (lambda c, f: f.assign(households=f["households"].where(f["community_id"] != "C001")),
         DesignError, "households"),
        (lambda c, f: f.assign(households=np.where(f["community_id"] == "C001", 0,
                                                   f["households"])), DesignError, "households"),
        (lambda c, f: f.assign(households=np.where(f.index == 3, -5, f["households"])),
         DesignError, "households"),
        (lambda c, f: f.drop(columns=["order"]), ColumnError, "stage2.order"),
        (lambda c, f: f.drop(columns=["type"]), ColumnError, "stratify.by"),
        (lambda c, f: f.assign(community_id=None), DesignError, "community_id"),
    ],
)
def test_frame_errors(comm: pd.DataFrame, frame: pd.DataFrame, change, error, field) -> None:
    with pytest.raises(error) as exc:
        draw_sample(change(comm, frame), design())
    assert exc.value.field == field


def test_more_errors(comm: pd.DataFrame, frame: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="unknown column"):
        draw_sample(frame, design(stage2={"eligible": "statu == 'occupied'"}))
    stage1 = draw_sample(comm, design(), stage=1)
    missing = frame[frame["community_id"] != stage1["community_id"].iloc[0]]
    with pytest.raises(DesignError, match="no dwellings in the frame"):
        draw_sample(missing, design(), stage=2, selected=stage1)
    with pytest.raises(DesignError, match="stage-1 sample"):
        draw_sample(frame, design(), stage=2)
    with pytest.raises(ColumnError):
        draw_sample(frame, design(), stage=2, selected=stage1.drop(columns=["pi_1"]))
    dup = pd.concat([comm, comm.iloc[:1]])
    with pytest.raises(DesignError, match="twice"):
        draw_sample(dup, design(), stage=1)
    with pytest.raises(DesignError, match="stage must be"):
        draw_sample(comm, design(), stage=3)


def test_bad_seed_is_a_design_error(comm: pd.DataFrame) -> None:
    with pytest.raises(DesignError) as exc:
        draw_sample(comm, design(stage2=None), seed=-4)
    assert exc.value.field == "seed"


def test_ties_in_order_do_not_depend_on_row_order(frame: pd.DataFrame) -> None:
    flat = frame.assign(order=frame["order"] // 4)  # four dwellings share each position
    a = draw_sample(flat, design())
    b = draw_sample(flat.sample(frac=1.0, random_state=3), design())
    assert a["dwelling_id"].tolist() == b["dwelling_id"].tolist()


def test_communities_without_eligible_dwellings_are_reported(frame: pd.DataFrame) -> None:
    from fieldsurvey.sampling.output import sample_summary, summary_text

    s = draw_sample(frame, design(stage2={"eligible": "status == 'demolished'"}))
    assert len(s) == 0 and len(s.attrs["no_eligible"]) == 6
    text = summary_text(sample_summary(s))
    assert "WARNING: 6 selected communities have no eligible dwelling" in text
