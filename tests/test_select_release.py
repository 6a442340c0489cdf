"""Reserve release: next replicates, updated probabilities, history, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _samplekit import communities, design, dwellings

from fieldsurvey.io.errors import ColumnError, DesignError
from fieldsurvey.sampling.release import release_reserve
from fieldsurvey.sampling.stages import draw_sample


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    comm = communities(12, size_range=(60, 90))
    return draw_sample(dwellings(comm), design(stage2={"m": 8, "reserve": 5}))


def test_release_updates_probabilities(sample: pd.DataFrame) -> None:
    a, b = sample["community_id"].unique()[:2]
    one = release_reserve(sample, {a: 2, b: 1})
    assert one.attrs["release_batch"] == 1
    part = one[one["community_id"] == a]
    rel = part[part["released"]]
    N = int(part["eligible_n"].iloc[0])
    assert len(rel) == 10 and np.allclose(rel["pi_2"], 10 / N)
    assert np.allclose(rel["base_weight"], 1 / (rel["pi_1"] * 10 / N))
    assert part.loc[part["release_batch"] == 1, "replicate"].tolist() == [1, 2]
    # other communities are untouched; the input is not modified
    other = one[~one["community_id"].isin([a, b])]
    pd.testing.assert_frame_equal(other, sample[~sample["community_id"].isin([a, b])])
    assert sample["released"].sum() == one["released"].sum() - 3
    two = release_reserve(one, [a], count=3)
    part = two[two["community_id"] == a]
    assert part["released"].all() and part["release_batch"].max() == 2
    assert sorted(part["release_batch"].dropna().unique().tolist()) == [0, 1, 2]
    assert np.allclose(part["pi_2"], 13 / N)


def test_release_errors(sample: pd.DataFrame) -> None:
    a = sample["community_id"].iloc[0]
    with pytest.raises(DesignError, match="only 5 reserve"):
        release_reserve(sample, {a: 6})
    with pytest.raises(DesignError, match="not in the sample"):
        release_reserve(sample, ["nowhere"])
    with pytest.raises(DesignError):
        release_reserve(sample, {a: 0})
    with pytest.raises(DesignError):
        release_reserve(sample, [])
    with pytest.raises(ColumnError):
        release_reserve(sample.drop(columns=["segment_n"]), [a])


def test_release_from_the_csv_file(sample: pd.DataFrame, tmp_path) -> None:
    from fieldsurvey.sampling.output import read_sample, write_sample

    write_sample(sample, tmp_path / "s")
    back = read_sample(tmp_path / "s.csv")
    assert back.attrs["seed"] == sample.attrs["seed"]
    a = sample["community_id"].iloc[0]
    got = release_reserve(back, {a: 1})
    want = release_reserve(sample, {a: 1})
    assert np.allclose(got["pi"].fillna(-1), want["pi"].fillna(-1))
    assert got["release_batch"].fillna(-1).tolist() == want["release_batch"].fillna(-1).tolist()
