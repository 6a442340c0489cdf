"""Geographic order: Hilbert curve over buildings, natural order of unit/floor/door."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fieldsurvey.frame.order import geographic_order, hilbert_index, natural_key, natural_ranks


def test_natural_order_of_door_numbers() -> None:
    doors = ["10-101", "2-301", "2-30", "1", "B", "a", "9", "10", "二单元"]
    assert sorted(doors, key=natural_key) == ["1", "2-30", "2-301", "9", "10", "10-101", "a", "B", "二单元"]
    ranks = natural_ranks(pd.Series(["10-101", "2-301", None, "2-301"], dtype="str"))
    assert ranks.tolist() == [1, 0, 2, 0]


def test_hilbert_index_visits_a_4x4_grid_in_curve_order() -> None:
    # the order-2 Hilbert curve, cell by cell
    path = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 2), (0, 3), (1, 3), (1, 2),
            (2, 2), (2, 3), (3, 3), (3, 2), (3, 1), (2, 1), (2, 0), (3, 0)]
    x = np.array([p[0] for p in path], dtype=float)
    y = np.array([p[1] for p in path], dtype=float)
    assert hilbert_index(x, y, (0, 0, 3, 3), order=2).tolist() == list(range(16))
    assert hilbert_index(np.array([np.nan]), np.array([1.0]), (0, 0, 3, 3), order=2)[0] == 16


def test_hilbert_neighbours_stay_close() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1000, 2000), rng.uniform(0, 1000, 2000)
    h = hilbert_index(x, y, (0, 0, 1000, 1000))
    o = np.argsort(h)
    step = np.hypot(np.diff(x[o]), np.diff(y[o]))
    assert np.median(step) < 40  # random order would give ~520 m


def _frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["community_id", "building", "unit", "floor", "door", "x", "y"])
    df["compound"] = None
    df["source_row"] = np.arange(1, len(df) + 1)
    return df


def test_order_within_community_by_building_then_natural_doors() -> None:
    df = _frame([
        ("A", "1", "1", "3", "10-101", 10.0, 10.0),
        ("A", "1", "1", "3", "2-301", 10.0, 10.0),
        ("A", "2", "1", "1", "101", 900.0, 10.0),
        ("A", "1", "2", "1", "101", 10.0, 10.0),
        ("A", "1", "1", "10", "1001", 10.0, 10.0),
        ("B", "7", "1", "1", "101", 500.0, 500.0),
        ("A", None, None, None, None, np.nan, np.nan),
    ])
    perm, order = geographic_order(df, (0, 0, 1000, 1000))
    assert df.iloc[perm]["community_id"].tolist() == ["A"] * 6 + ["B"]
    assert order.tolist() == [1, 0, 4, 3, 2, 0, 5]
    # building 1 at (10,10) comes before building 2 at (900,10) on the curve; no position last
    assert df.iloc[perm]["door"].tolist()[:5] == ["2-301", "10-101", "1001", "101", "101"]


def test_buildings_follow_the_curve_not_their_names() -> None:
    rng = np.random.default_rng(1)
    pos = rng.uniform(0, 1000, (50, 2))
    df = _frame([("A", f"B{i}", "1", "1", "101", *pos[i]) for i in range(50)])
    perm, order = geographic_order(df, (0, 0, 1000, 1000))
    xy = pos[perm]
    walk = np.hypot(*np.diff(xy, axis=0).T).sum()
    by_name = np.hypot(*np.diff(pos, axis=0).T).sum()
    assert walk < 0.5 * by_name
    assert sorted(order.tolist()) == list(range(50))
