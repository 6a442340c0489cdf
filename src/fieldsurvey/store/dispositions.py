"""The final disposition of a case, derived from its contact attempts by a stated rule.

A case (one sampled dwelling) is visited several times; each attempt records an AAPOR
outcome code (see :mod:`fieldsurvey.rates.codes`). The final code is **the most
informative outcome, not simply the last one**:

1. a supervisor's override (with its reason), when there is one; else
2. the highest-ranked outcome among the attempts and the case's interviews, by class::

       rank  class                                       codes
       8     complete interview                          1.1  (or an interview completed)
       7     partial interview                           1.2  (or an interview closed as partial)
       6     refusal or break-off                        2.1x
       5     other eligible non-interview                2.3x, 2.9, 2
       4     not eligible                                4.x
       3     non-contact                                 2.2x
       2     housing unit, eligibility unknown           3.2x ... 3.9
       1     unknown if housing unit                     3.1x, 3
       0     no attempt at all                           -> 3.11 (not attempted)

   Ties within a class go to the latest attempt (by the hybrid clock), so 2.24 "no one
   home" followed by 2.25 "respondent away" ends as 2.25.

Why this order: an interview settles the case; a refusal or another contact with the
household shows the dwelling is an occupied eligible unit, which outranks a later
"vacant" finding (the conservative choice AAPOR recommends: it does not inflate the
response rate); an established ineligibility (vacant, business, no eligible person)
explains any number of unanswered doors, so it outranks non-contacts; a non-contact at a
known housing unit is more than "could not find / could not reach the address".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.rates.codes import lookup_disposition, normalise_code

__all__ = [
    "NOT_ATTEMPTED",
    "Final",
    "check_outcome",
    "final_disposition",
    "final_dispositions",
    "outcome_rank",
]

#: Code given to a case without any attempt.
NOT_ATTEMPTED = "3.11"


def outcome_rank(code: str) -> int:
    """The rank of an AAPOR code in the rule above (higher = more informative)."""
    c = normalise_code(code) or ""
    if c.startswith("1.2"):
        return 7
    if c.startswith("1"):
        return 8
    if c.startswith("2.1"):
        return 6
    if c.startswith("2.2"):
        return 3
    if c.startswith("2"):
        return 5
    if c.startswith("4"):
        return 4
    if c.startswith("3.1") or c == "3":
        return 1
    if c.startswith("3"):
        return 2
    return -1


def check_outcome(code: object, *, field: str = "outcome") -> str:
    """Return ``code`` normalised, or raise :class:`StoreError` if it is not an AAPOR code."""
    norm = normalise_code(code)
    if norm is None or lookup_disposition(norm) is None:
        raise StoreError(
            "not an AAPOR disposition code",
            field=field,
            expected="a code such as 1.1, 2.111, 2.24, 3.18 or 4.61",
            got=repr(code),
            hint="Pick the outcome from the list of AAPOR outcomes (fieldsurvey.rates.codes)",
        )
    return norm


@dataclass(frozen=True)
class Final:
    """A case's final disposition.

    the code, its AAPOR class letter and where it came from (``override``, ``attempt``,
    ``interview`` or ``none``).
    """

    code: str
    category: str
    source: str


def final_disposition(
    attempts: Iterable[tuple[int, str]],
    interviews: Iterable[tuple[int, str]] = (),
    override: str | None = None,
) -> Final:
    """The final disposition of one case.

    Parameters
    ----------
    attempts
        ``(hlc, code)`` of each attempt.
    interviews
        ``(hlc, code)`` of each closed interview (``1.1`` complete, ``1.2`` partial).
    override
        A supervisor's code, which wins.
    """
    if override:
        return Final(override, _category(override), "override")
    best: tuple[int, int, str, str] | None = None
    for source, items in (("attempt", attempts), ("interview", interviews)):
        for hlc, code in items:
            key = (outcome_rank(code), int(hlc), code, source)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None:
        return Final(NOT_ATTEMPTED, _category(NOT_ATTEMPTED), "none")
    return Final(best[2], _category(best[2]), best[3])


def _category(code: str) -> str:
    found = lookup_disposition(code)
    return found.category if found is not None else "UH"


def final_dispositions(
    cases: pd.Series,
    outcomes: pd.DataFrame,
    overrides: pd.DataFrame,
) -> pd.DataFrame:
    """Vectorised :func:`final_disposition` for many cases.

    Parameters
    ----------
    cases
        The dwelling ids of all cases.
    outcomes
        Columns ``dwelling_id, hlc, code, source`` (attempts and closed interviews).
    overrides
        Columns ``dwelling_id, code, reason`` (rows with a null code are ignored).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``cases``: ``dwelling_id, disposition, category, disposition_source,
        override_reason``.
    """
    out = pd.DataFrame({"dwelling_id": cases.astype(object).to_numpy()})
    codes = pd.Series(NOT_ATTEMPTED, index=out["dwelling_id"], dtype=object)
    source = pd.Series("none", index=out["dwelling_id"], dtype=object)
    if len(outcomes):
        o = outcomes.copy()
        uniq = pd.unique(o["code"])
        ranks = {c: outcome_rank(c) for c in uniq}
        o["rank"] = o["code"].map(ranks).astype(np.int64)
        o = o.sort_values(["dwelling_id", "rank", "hlc"], kind="mergesort")
        best = o.drop_duplicates("dwelling_id", keep="last").set_index("dwelling_id")
        best = best[best.index.isin(codes.index)]
        codes.loc[best.index] = best["code"].to_numpy()
        source.loc[best.index] = best["source"].to_numpy()
    reason = pd.Series(None, index=out["dwelling_id"], dtype=object)
    if len(overrides):
        ov = overrides[overrides["code"].notna()].set_index("dwelling_id")
        ov = ov[ov.index.isin(codes.index)]
        codes.loc[ov.index] = ov["code"].to_numpy()
        source.loc[ov.index] = "override"
        reason.loc[ov.index] = ov["reason"].to_numpy()
    cats = {c: _category(c) for c in pd.unique(codes.to_numpy())}
    out["disposition"] = codes.to_numpy()
    out["category"] = codes.map(cats).to_numpy()
    out["disposition_source"] = source.to_numpy()
    out["override_reason"] = reason.to_numpy()
    return out
