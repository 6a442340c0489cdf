"""Kish tables: Kish's proportions, the grid, the exact random choice and probabilities."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.io.errors import InputError
from fieldsurvey.sampling.kish import (
    KISH_SHARES,
    KISH_TABLES,
    ROTATION,
    assign_kish_tables,
    kish_line,
    kish_probability,
    kish_select,
    order_roster,
)

ROSTER = [
    {"name": "妻", "sex": "女", "age": 44},
    {"name": "夫", "sex": "男", "age": 46},
    {"name": "子", "sex": "m", "age": 19},
    {"name": "女儿", "sex": "female", "age": 16},
    {"name": "祖母", "sex": 2, "age": 71},
]


def test_tables_are_kish_1949() -> None:
    assert KISH_TABLES["E1"] == (1, 2, 3, 3, 3, 5) and KISH_TABLES["B2"] == (1, 1, 1, 2, 2, 2)
    assert sum(KISH_SHARES.values()) == 12 and Counter(ROTATION) == Counter(KISH_SHARES)


@pytest.mark.parametrize("k", range(1, 9))
def test_marginal_probabilities(k: int) -> None:
    probs = {}
    for line in range(1, k + 1):
        probs[line] = Fraction(sum(s for t, s in KISH_SHARES.items()
                                   if KISH_TABLES[t][min(k, 6) - 1] == line), 12)
        assert kish_probability(line, k) == pytest.approx(float(probs[line]))
    if k in (1, 2, 3, 4, 6):
        assert all(p == Fraction(1, k) for p in probs.values())
    elif k == 5:
        assert probs == {1: Fraction(1, 6), 2: Fraction(1, 6), 3: Fraction(1, 4),
                         4: Fraction(1, 6), 5: Fraction(1, 4)}
    else:  # beyond six persons only lines 1..6 can be chosen
        assert all(probs[i] == Fraction(1, 6) for i in range(1, 7))
        assert all(probs[i] == 0 for i in range(7, k + 1))
    assert sum(probs.values()) == 1


def test_roster_order_males_then_females_oldest_first() -> None:
    order = order_roster(ROSTER)  # the 16-year-old is not eligible
    assert [ROSTER[i]["name"] for i in order] == ["夫", "子", "祖母", "妻"]
    assert order_roster(ROSTER, min_age=15) == (1, 2, 4, 0, 3)
    frame = pd.DataFrame(ROSTER)
    frame["eligible"] = [True, False, True, True, False]
    assert order_roster(frame) == (2, 0, 3)


def test_grid_selection_and_probability() -> None:
    sel = kish_select(ROSTER, "D")  # k = 4, table D row 4 -> line 3 -> 祖母
    assert (sel.line, sel.eligible, ROSTER[sel.index]["name"]) == (3, 4, "祖母")
    assert sel.probability == 0.25 and sel.table == "D" and sel.method == "kish"
    for table in KISH_TABLES:
        s = kish_select(ROSTER, table)
        assert s.line == kish_line(table, 4)


def test_random_choice_is_uniform_and_reproducible() -> None:
    rng = np.random.default_rng(7)
    picks = Counter(kish_select(ROSTER, method="random", rng=rng).line for _ in range(4000))
    assert set(picks) == {1, 2, 3, 4}
    for count in picks.values():
        assert abs(count / 4000 - 0.25) < 4 * (0.25 * 0.75 / 4000) ** 0.5
    a = kish_select(ROSTER, method="random", rng=123)
    b = kish_select(ROSTER, method="random", rng=123)
    assert a == b and a.probability == 0.25


def test_assignment_keeps_proportions() -> None:
    rng = np.random.default_rng(3)
    rotation = rng.permutation(np.array(ROTATION, dtype=object))
    letters = assign_kish_tables(np.arange(1, 25), 5, rotation)
    assert Counter(letters) == Counter({t: 2 * s for t, s in KISH_SHARES.items()})
    # over a random offset, one line gets each table with exactly Kish's share
    per_offset = Counter(assign_kish_tables(np.array([4]), o, rotation)[0] for o in range(12))
    assert per_offset == Counter(KISH_SHARES)


@pytest.mark.parametrize(
    ("roster", "table", "field"),
    [
        ([], "A", "roster"),
        ([{"sex": "男", "age": 12}], "A", "roster"),
        ([{"sex": "x", "age": 40}], "A", "sex"),
        ([{"sex": "男"}], "A", "age"),
        ([{"sex": "男", "age": "forty"}], "A", "age"),
        ([{"sex": "男", "age": 40}], "G", "kish_table"),
        ([{"sex": "男", "age": 40}], None, "kish_table"),
    ],
)
def test_bad_rosters(roster: list, table: str | None, field: str) -> None:
    with pytest.raises(InputError) as exc:
        kish_select(roster, table)
    assert exc.value.field == field


def test_unknown_method() -> None:
    with pytest.raises(InputError):
        kish_select(ROSTER, "A", method="birthday")
