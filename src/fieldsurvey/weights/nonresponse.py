"""Unknown-eligibility and nonresponse adjustment within weighting classes.

Within a weighting class c (a community, a stratum, …) with base-weight sums ``W_R`` over
respondents (I and P by default), ``W_N`` over eligible nonrespondents (R, NC, O), so
``W_E = W_R + W_N`` over known eligible cases, ``W_NE`` over ineligible and ``W_U`` over cases of
unknown eligibility (UH, UO), and ``e_c`` the eligible share of the unknown cases:

1. **Unknown eligibility.** The unknowns' weight is spread over the cases of known eligibility:
   eligible cases × ``(W_E + e_c·W_U) / W_E``, ineligible × ``(W_NE + (1 − e_c)·W_U) / W_NE``;
   unknown cases then weigh 0. With e estimated in the class by the weighted proportional rule
   ``e_c = W_E / (W_E + W_NE)`` both factors equal ``W / (W_E + W_NE)``.
2. **Nonresponse.** The eligible weight is carried by the respondents:
   respondents × ``(W_E + e_c·W_U) / W_R``; eligible nonrespondents then weigh 0.

So each respondent's total factor is ``(W_E + e_c·W_U) / W_R`` (Valliant, Dever & Kreuter 2018,
§13.5; FIELDWORK.md §2 step 10).

**Collapsing.** A class with fewer than ``min_respondents`` respondents, no case of known
eligibility, or a total factor above ``max_factor`` is merged with its neighbour in the stated
order (the next class; the previous one for the last), the class with the fewest respondents
first, until every class passes or has no neighbour left (optionally only neighbours in the
same stratum: ``within``). Every merge is recorded in
``NonresponseResult.collapses``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, WeightingError
from fieldsurvey.rates.codes import CATEGORIES, disposition_categories

__all__ = ["NonresponseResult", "adjust_nonresponse"]

_SUMS = ("n", "n_respondents", "W_R", "W_N", "W_U", "W_NE")


@dataclass(frozen=True)
class NonresponseResult:
    """Nonresponse-adjusted weights, with the classes and the collapsing that made them.

    Attributes
    ----------
    weights
        Adjusted weight per case: positive for respondents, 0 for every other case.
    cases
        Per case: ``weight_class`` (final class), ``category`` (I … NE), ``respondent``,
        ``f_eligibility``, ``w_eligibility`` (weight after step 1), ``f_nonresponse``,
        ``weight``.
    classes
        Per final class: ``members``, counts, weight sums, ``e``, ``f_eligibility``,
        ``f_nonresponse`` and ``factor`` (their product for respondents).
    collapses
        One row per merge: ``step, class, into, result, reason``.
    notes
        Anything the analyst should know (e.g. a class still failing the limits).
    """

    weights: pd.Series
    cases: pd.DataFrame
    classes: pd.DataFrame
    collapses: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def report(self) -> str:
        """The collapsing, in words (one line per merge)."""
        if self.collapses.empty:
            lines = ["No weighting class was collapsed."]
        else:
            lines = [
                f"step {r.step}: class {r['class']} ({r.reason}) merged with {r.into} -> {r.result}"
                for _, r in self.collapses.iterrows()
            ]
        return "\n".join([*lines, *self.notes])


def _class_stats(sums: pd.DataFrame, e: float | None) -> pd.DataFrame:
    t = sums.copy()
    w_e = t["W_R"] + t["W_N"]
    known = w_e + t["W_NE"]
    with np.errstate(invalid="ignore", divide="ignore"):
        t["e"] = float(e) if e is not None else np.where(known > 0, w_e / known, np.nan)
        eu = np.where(t["W_U"] > 0, t["e"] * t["W_U"], 0.0)
        t["f_eligibility"] = np.where(w_e > 0, (w_e + eu) / w_e, np.nan)
        t["f_ineligible"] = np.where(
            t["W_NE"] > 0, (t["W_NE"] + np.where(t["W_U"] > 0, (1 - t["e"]) * t["W_U"], 0.0))
            / t["W_NE"], 1.0)
        t["f_nonresponse"] = np.where(t["W_R"] > 0, w_e / t["W_R"], np.nan)
        t["factor"] = np.where(t["W_R"] > 0, (w_e + eu) / t["W_R"], np.inf)
    return t


def _failure(row: pd.Series, min_respondents: int, max_factor: float) -> str | None:
    if row["n_respondents"] < min_respondents:
        return f"{int(row['n_respondents'])} respondents < {min_respondents}"
    if row["W_R"] + row["W_N"] + row["W_NE"] <= 0:
        return "no case of known eligibility"
    if not np.isfinite(row["e"]) and row["W_U"] > 0:
        return "e cannot be estimated"
    if row["factor"] > max_factor:
        return f"factor {row['factor']:.3g} > {max_factor:g}"
    return None


def _home(data: pd.DataFrame, codes: np.ndarray, labels: list[str], within: str | None,
          file: str | None) -> dict[str, str]:
    """The ``within`` value (e.g. stratum) of each class; one per class, or an error."""
    if within is None:
        return dict.fromkeys(labels, "")
    values = data[within].astype(str).to_numpy()
    pairs = pd.DataFrame({"c": codes, "v": values}).drop_duplicates()
    spread = pairs.groupby("c")["v"].nunique()
    if (spread > 1).any():
        bad = labels[int(spread.index[spread.to_numpy() > 1][0])]
        raise WeightingError(
            f"weighting class {bad} lies in several values of '{within}', so collapsing "
            f"cannot keep within {within}", file=file, field=within, got=bad,
            hint="Use classes nested in the strata (e.g. communities within strata)",
        )
    first = pairs.drop_duplicates("c").set_index("c")["v"]
    return {labels[int(str(c))]: str(v) for c, v in first.items()}


def adjust_nonresponse(
    data: pd.DataFrame,
    *,
    weights: str = "base_weight",
    disposition: str = "disposition",
    classes: str | None = None,
    order: Sequence[object] | None = None,
    within: str | None = None,
    min_respondents: int = 20,
    max_factor: float = 3.0,
    e: float | None = None,
    respondents: Sequence[str] = ("I", "P"),
    file: str | None = None,
) -> NonresponseResult:
    """Adjust base weights for unknown eligibility and nonresponse within weighting classes.

    Parameters
    ----------
    data
        One row per sampled case with its base weight and final AAPOR disposition.
    weights, disposition
        Column names of the base weight and the final disposition code.
    classes
        Column of the weighting class (e.g. ``community_id``); None for one class.
    order
        The order in which classes are neighbours for collapsing (default: sorted values).
        Put similar classes next to each other (e.g. communities of one street).
    within
        Optional column (e.g. ``stratum``) that classes never cross when collapsing: each
        class lies in one value of it, and neighbours are looked for only there. A class
        that fails and has no neighbour left is kept, with a note.
    min_respondents, max_factor
        A class with fewer respondents, or a larger total adjustment factor, is collapsed.
    e
        Eligible share of unknown-eligibility cases; None estimates it within each class by
        the weighted proportional rule.
    respondents
        Outcome groups counted as respondents (default complete and partial interviews).

    Returns
    -------
    NonresponseResult

    Raises
    ------
    ColumnError, InputError, WeightingError
        Missing columns, invalid codes or weights, an order that misses classes, or no
        respondent at all.
    """
    for col in (weights, disposition, classes, within):
        if col is not None and col not in data.columns:
            raise ColumnError("the case data have no such column", file=file, field=col,
                              got=", ".join(map(str, data.columns)))
    if e is not None and not 0 <= e <= 1:
        raise WeightingError("e must lie between 0 and 1", field="e", got=str(e))
    if not min_respondents >= 1:
        raise WeightingError("the smallest number of respondents in a class must be at least 1",
                             field="min_respondents", got=str(min_respondents),
                             hint="Use e.g. --min-respondents 20")
    if not (np.isfinite(max_factor) and max_factor >= 1):
        raise WeightingError("the largest nonresponse adjustment factor must be at least 1",
                             field="max_factor", got=str(max_factor),
                             hint="Use e.g. --max-factor 3 (a class whose factor is larger is "
                             "collapsed with a neighbour)")
    w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WeightingError(f"{int(bad.sum())} base weight(s) are missing or negative",
                             file=file, row=i + 2, field=weights, got=repr(data[weights].iloc[i]))
    cat = disposition_categories(data[disposition], file=file, field=disposition)
    names = np.array(CATEGORIES)
    resp_idx = [CATEGORIES.index(c) for c in respondents]
    is_resp = np.isin(cat, resp_idx)
    is_unknown = np.isin(cat, [CATEGORIES.index("UH"), CATEGORIES.index("UO")])
    is_ne = cat == CATEGORIES.index("NE")
    is_nonresp = ~(is_resp | is_unknown | is_ne)

    if classes is None:
        keys = pd.Series(["all"] * len(data), index=data.index, dtype=object)
    else:
        keys = data[classes]
        if keys.isna().any():
            i = int(np.flatnonzero(keys.isna().to_numpy())[0])
            raise WeightingError("a case has no weighting class", file=file, row=i + 2,
                                 field=classes, hint="Fill the class of every case")
    codes, uniques = pd.factorize(keys.astype(str), sort=True)
    labels = [str(u) for u in uniques]
    if order is not None:
        stated = [str(o) for o in order]
        missing = [lab for lab in labels if lab not in stated]
        if missing:
            raise WeightingError("the collapsing order does not list every class",
                                 field="order", got=", ".join(missing[:10]),
                                 hint="List every class once, neighbours next to each other")
        seq = [lab for lab in dict.fromkeys(stated) if lab in labels]
    else:
        seq = labels
    nk = len(labels)
    home = _home(data, codes, labels, within, file)
    if within is not None:  # classes of one stratum next to each other, stated order kept
        seq = sorted(seq, key=lambda lab: home[lab])

    def sums_of(mask: np.ndarray, weighted: bool = True) -> np.ndarray:
        return np.bincount(codes[mask], weights=w[mask] if weighted else None, minlength=nk)

    base = pd.DataFrame({
        "n": np.bincount(codes, minlength=nk),
        "n_respondents": sums_of(is_resp, weighted=False),
        "W_R": sums_of(is_resp), "W_N": sums_of(is_nonresp),
        "W_U": sums_of(is_unknown), "W_NE": sums_of(is_ne),
    }, index=labels).loc[seq]
    if base["W_R"].sum() <= 0:
        raise WeightingError("there is no respondent with a positive weight, so nonresponse "
                             "cannot be adjusted", file=file, field=disposition)

    groups: list[list[str]] = [[lab] for lab in seq]
    collapses: list[tuple[int, str, str, str, str]] = []
    notes: list[str] = []
    stuck: set[str] = set()
    while True:
        names_now = ["+".join(g) for g in groups]
        sums = pd.DataFrame([base.loc[g, list(_SUMS)].sum() for g in groups], index=names_now)
        stats = _class_stats(sums, e)
        fails = [(i, _failure(stats.iloc[i], min_respondents, max_factor))
                 for i in range(len(groups)) if names_now[i] not in stuck]
        fails = [(i, r) for i, r in fails if r is not None]
        if not fails:
            break
        i, reason = min(fails, key=lambda f: (stats.iloc[f[0]]["n_respondents"], f[0]))
        same = [k for k in (i + 1, i - 1)
                if 0 <= k < len(groups) and home[groups[k][0]] == home[groups[i][0]]]
        if not same:
            stuck.add(names_now[i])
            where = f" within {within} {home[groups[i][0]]}" if within is not None else ""
            notes.append(f"class {names_now[i]} still fails the limits ({reason}) and has no "
                         f"neighbour left{where}; it is kept")
            continue
        j = same[0]
        a, b = sorted((i, j))
        merged = groups[a] + groups[b]
        collapses.append((len(collapses) + 1, "+".join(groups[i]), "+".join(groups[j]),
                          "+".join(merged), str(reason)))
        groups[a:b + 1] = [merged]

    final_of = {lab: k for k, g in enumerate(groups) for lab in g}
    case_class = np.array([final_of[lab] for lab in labels])[codes]
    f_el = stats["f_eligibility"].to_numpy()[case_class]
    f_ne = stats["f_ineligible"].to_numpy()[case_class]
    f_nr = stats["f_nonresponse"].to_numpy()[case_class]
    f_step1 = np.select([is_unknown, is_ne], [0.0, f_ne], default=f_el)
    w1 = w * np.nan_to_num(f_step1, nan=0.0)
    f_step2 = np.where(is_resp, f_nr, np.where(is_nonresp, 0.0, 1.0))
    final = np.where(is_resp, w1 * np.nan_to_num(f_step2, nan=0.0), 0.0)

    class_names = np.array(stats.index, dtype=object)
    cases = pd.DataFrame({
        "weight_class": class_names[case_class],
        "category": names[cat],
        "respondent": is_resp,
        "f_eligibility": f_step1,
        "w_eligibility": w1,
        "f_nonresponse": np.where(is_resp | is_nonresp, f_step2, np.nan),
        "weight": final,
    }, index=data.index)
    table = stats.drop(columns=["f_ineligible"]).copy()
    table.insert(0, "members", [len(g) for g in groups])
    table.index.name = "weight_class"
    coll = pd.DataFrame(collapses, columns=["step", "class", "into", "result", "reason"])
    return NonresponseResult(weights=pd.Series(final, index=data.index, name="weight"),
                             cases=cases, classes=table, collapses=coll, notes=tuple(notes))
