"""Respondent selection within the household: the Kish grid and exact random choice.

Eligible persons are listed males oldest to youngest, then females oldest to youngest,
and numbered 1..k (Kish 1949, JASA 44:380; SRC/NES convention). Each sample line carries
one of eight tables, in the proportions A 2, B1 1, B2 1, C 2, D 2, E1 1, E2 1, F 2 (of 12);
the row for k eligible persons gives the line of the respondent:

======  ==  ==  ==  ==  ==  ===
table   1   2   3   4   5   6+
======  ==  ==  ==  ==  ==  ===
A       1   1   1   1   1   1
B1      1   1   1   1   2   2
B2      1   1   1   2   2   2
C       1   1   2   2   3   3
D       1   2   2   3   4   4
E1      1   2   3   3   3   5
E2      1   2   3   4   5   5
F       1   2   3   4   5   6
======  ==  ==  ==  ==  ==  ===

Averaged over the tables, the grid gives every person probability 1/k for k = 1..4 and 6;
for k = 5 lines 3 and 5 get 1/4 and the others 1/6; for k > 6 lines 1..6 get 1/6 and
later lines cannot be chosen. That marginal probability is what the grid method returns.
Exact random choice draws uniformly among the k persons and returns 1/k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import InputError
from fieldsurvey.sampling.rng import RandomState, resolve_rng

__all__ = [
    "KISH_SHARES",
    "KISH_TABLES",
    "KishSelection",
    "assign_kish_tables",
    "kish_line",
    "kish_probability",
    "kish_select",
    "order_roster",
]

KISH_TABLES: dict[str, tuple[int, ...]] = {
    "A": (1, 1, 1, 1, 1, 1),
    "B1": (1, 1, 1, 1, 2, 2),
    "B2": (1, 1, 1, 2, 2, 2),
    "C": (1, 1, 2, 2, 3, 3),
    "D": (1, 2, 2, 3, 4, 4),
    "E1": (1, 2, 3, 3, 3, 5),
    "E2": (1, 2, 3, 4, 5, 5),
    "F": (1, 2, 3, 4, 5, 6),
}
#: Share of each table, in twelfths.
KISH_SHARES: dict[str, int] = {"A": 2, "B1": 1, "B2": 1, "C": 2, "D": 2, "E1": 1, "E2": 1, "F": 2}
#: The 12 slots of one rotation, in Kish's proportions.
ROTATION: tuple[str, ...] = tuple(t for t, s in KISH_SHARES.items() for _ in range(s))

_MALE = {"m", "male", "man", "男", "1"}
_FEMALE = {"f", "female", "woman", "女", "2"}


@dataclass(frozen=True)
class KishSelection:
    """The chosen respondent."""

    index: int
    """Position (0-based) of the respondent in the roster as given."""
    line: int
    """1-based number of the respondent among the eligible persons in Kish order."""
    eligible: int
    """Number of eligible persons k."""
    probability: float
    """Conditional probability that this person is the respondent, given the household."""
    method: str
    """``kish`` (paper grid) or ``random`` (exact random choice)."""
    table: str | None = None
    """The Kish table used (grid method)."""
    order: tuple[int, ...] = ()
    """Roster positions of the eligible persons in Kish order."""


def kish_line(table: str, k: int) -> int:
    """Line chosen by ``table`` for ``k`` eligible persons (1-based)."""
    if table not in KISH_TABLES:
        raise InputError("unknown Kish table", field="kish_table",
                         expected=" ".join(KISH_TABLES), got=repr(table))
    if k < 1:
        raise InputError("the household has no eligible person", field="roster")
    return KISH_TABLES[table][min(k, 6) - 1]


def kish_probability(line: int, k: int) -> float:
    """Probability, over the table assignment, that the grid chooses ``line`` among ``k``."""
    col = min(k, 6) - 1
    return sum(s for t, s in KISH_SHARES.items() if KISH_TABLES[t][col] == line) / 12.0


def assign_kish_tables(lines: np.ndarray, offset: int, rotation: Sequence[str]) -> np.ndarray:
    """Table letters for sample lines (1-based): slot (offset + line - 1) mod 12 of a rotation.

    With a random ``offset`` and a rotation in Kish's proportions, every line gets each
    table with exactly its share, and any 12 consecutive lines carry the full set.
    """
    rot = np.asarray(rotation, dtype=object)
    return rot[(offset + np.asarray(lines, dtype=np.int64) - 1) % rot.size]


def _sex(value: Any, row: int) -> int:
    text = str(value).strip().lower()
    if text in _MALE:
        return 0
    if text in _FEMALE:
        return 1
    raise InputError("the roster gives a sex that is neither male nor female", row=row,
                     field="sex", expected="male/female, m/f, 男/女 or 1/2", got=repr(value))


def order_roster(roster: Sequence[Mapping[str, Any]] | pd.DataFrame,
                 min_age: int = 18) -> tuple[int, ...]:
    """Roster positions of the eligible persons: males oldest first, then females.

    A person is eligible when ``eligible`` is true if that key is present, else when
    ``age >= min_age``. Ties keep roster order.
    """
    rows: list[Mapping[Any, Any]] = (
        list(roster.to_dict("records")) if isinstance(roster, pd.DataFrame) else list(roster))
    keys = []
    for i, person in enumerate(rows):
        age = person.get("age")
        if age is None or (isinstance(age, float) and np.isnan(age)):
            raise InputError("the roster has a person without an age", row=i + 1, field="age",
                             hint="Record the age (or mark the person eligible)")
        try:
            age_n = float(age)
        except (TypeError, ValueError) as exc:
            raise InputError("the age is not a number", row=i + 1, field="age",
                             got=repr(age)) from exc
        elig = person.get("eligible")
        ok = bool(elig) if elig is not None else age_n >= min_age
        if ok:
            keys.append((_sex(person.get("sex"), i + 1), -age_n, i))
    return tuple(i for _, _, i in sorted(keys))


def kish_select(
    roster: Sequence[Mapping[str, Any]] | pd.DataFrame,
    table: str | None = None,
    *,
    method: str = "kish",
    rng: RandomState = None,
    min_age: int = 18,
) -> KishSelection:
    """Select the respondent from a household roster.

    Parameters
    ----------
    roster
        One mapping (or DataFrame row) per household member with ``sex`` and ``age``
        (and optionally ``eligible``).
    table
        The Kish table letter of the sample line (needed for ``method="kish"``).
    method
        ``"kish"``: the paper grid; ``"random"``: exact uniform choice among the eligible.
    rng
        Seed or generator for ``method="random"`` (log the seed to reproduce the choice).
    min_age
        Youngest eligible age.

    Returns
    -------
    KishSelection
        The chosen person, their line, k and the conditional probability of selection.

    Raises
    ------
    InputError
        For an empty household, a bad age or sex, or an unknown table.
    """
    order = order_roster(roster, min_age)
    k = len(order)
    if k == 0:
        raise InputError("the household has no eligible person", field="roster",
                         hint=f"Nobody is aged {min_age} or over; record it as not eligible")
    if method == "kish":
        if table is None:
            raise InputError("the Kish grid needs the table letter of the sample line",
                             field="kish_table")
        line = kish_line(table, k)
        return KishSelection(index=order[line - 1], line=line, eligible=k,
                             probability=kish_probability(line, k), method=method,
                             table=table, order=order)
    if method == "random":
        line = int(resolve_rng(rng).integers(k)) + 1
        return KishSelection(index=order[line - 1], line=line, eligible=k, probability=1.0 / k,
                             method=method, table=table, order=order)
    raise InputError("unknown respondent selection method", field="respondent.method",
                     expected="kish | random", got=repr(method))
