"""AAPOR outcome rates (RR1–RR6, COOP1–4, REF1–3, CON1–3), unweighted and weighted, by group.

With ``IP = I + P``, ``E = IP + R + NC + O`` (known eligible) and ``U = UH + UO`` (unknown
eligibility), the AAPOR Standard Definitions (9th ed., 2016) give::

    RR1 = I / (E + U)          RR2 = IP / (E + U)
    RR3 = I / (E + e·U)        RR4 = IP / (E + e·U)
    RR5 = I / E                RR6 = IP / E
    COOP1 = I / (IP + R + O)   COOP2 = IP / (IP + R + O)
    COOP3 = I / (IP + R)       COOP4 = IP / (IP + R)
    REF1 = R / (E + U)         REF2 = R / (E + e·U)         REF3 = R / E
    CON1 = (IP+R+O) / (E + U)  CON2 = (IP+R+O) / (E + e·U)  CON3 = (IP+R+O) / E

These are the formulas of ``ropensci/outcomerate`` (R/outcomerate.R, its ``fmat`` matrix).
``e`` is the share of eligible cases among cases of unknown eligibility. Unless it is given,
it is estimated by the proportional (CASRO) rule from the cases of known eligibility,
``e = E / (E + NE)`` (AAPOR response rate calculator default), and the basis is stated in the
result. RR5/RR6, REF3 and CON3 assume that no unknown case is eligible (e = 0); report them
only when that is justified. Weighted rates use the sums of base weights in place of counts
(US Census Bureau Statistical Quality Standard D3, appendix).

A rate whose denominator is zero is NaN (``null`` in JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.io.tables import file_row
from fieldsurvey.rates.codes import CATEGORIES, disposition_categories

__all__ = [
    "COUNT_NAMES",
    "RATE_NAMES",
    "RateTable",
    "aapor_rates",
    "count_dispositions",
    "estimate_e",
    "rates_from_counts",
]

RATE_NAMES: tuple[str, ...] = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6",
    "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3",
    "CON1", "CON2", "CON3",
)  # fmt: skip
COUNT_NAMES: tuple[str, ...] = CATEGORIES
MISSING_GROUP = "(none)"

E_BASIS_PROPORTIONAL = (
    "proportional (CASRO) estimate from the cases of known eligibility, "
    "e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)"
)


def _as_matrix(counts: pd.DataFrame | Mapping[str, Any] | np.ndarray) -> np.ndarray:
    if isinstance(counts, pd.DataFrame):
        missing = [c for c in COUNT_NAMES if c not in counts.columns]
        if missing:
            raise ColumnError(
                "the counts table lacks disposition groups",
                field=", ".join(missing),
                expected=", ".join(COUNT_NAMES),
                got=", ".join(map(str, counts.columns)),
            )
        return counts[list(COUNT_NAMES)].to_numpy(dtype=float)
    if isinstance(counts, Mapping):
        return np.array([[float(counts.get(c, 0.0)) for c in COUNT_NAMES]])
    arr = np.asarray(counts, dtype=float)
    return arr.reshape(-1, len(COUNT_NAMES))


def estimate_e(counts: pd.DataFrame | Mapping[str, Any] | np.ndarray) -> np.ndarray:
    """Proportional (CASRO) eligibility rate ``E / (E + NE)`` per row of a counts table.

    Returns NaN where there is no case of known eligibility.
    """
    m = _as_matrix(counts)
    eligible = m[:, :5].sum(axis=1)
    known = eligible + m[:, 7]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known > 0, eligible / np.where(known > 0, known, 1.0), np.nan)


def rates_from_counts(
    counts: pd.DataFrame | Mapping[str, Any] | np.ndarray,
    e: float | np.ndarray | None = None,
) -> pd.DataFrame:
    """Compute every AAPOR rate from counts (or weighted sums) of the eight outcome groups.

    Parameters
    ----------
    counts
        A DataFrame with columns ``I, P, R, NC, O, UH, UO, NE`` (one row per group), a
        mapping of those names to numbers (one row), or an array with 8 columns.
    e
        Eligibility rate of unknown cases: a number in [0, 1], an array with one value per
        row, or None to estimate it per row by the proportional rule (:func:`estimate_e`).

    Returns
    -------
    pandas.DataFrame
        Columns ``RR1 … CON3`` and ``e``, one row per row of ``counts`` (same index when
        ``counts`` is a DataFrame).
    """
    m = _as_matrix(counts)
    if e is None:
        e_arr = estimate_e(m)
    else:
        e_arr = np.broadcast_to(np.asarray(e, dtype=float), (m.shape[0],)).copy()
    i, p, r, nc, o, uh, uo, _ne = m.T
    ip = i + p
    elig = ip + r + nc + o
    unk = uh + uo
    den_all = elig + unk
    # e·U only when there are unknown cases, so an undefined e does not spoil RR3 when U = 0
    eu = np.where(unk > 0, e_arr * unk, 0.0)
    den_e = elig + eu
    contact = ip + r + o
    pairs = {
        "RR1": (i, den_all), "RR2": (ip, den_all), "RR3": (i, den_e), "RR4": (ip, den_e),
        "RR5": (i, elig), "RR6": (ip, elig),
        "COOP1": (i, ip + r + o), "COOP2": (ip, ip + r + o),
        "COOP3": (i, ip + r), "COOP4": (ip, ip + r),
        "REF1": (r, den_all), "REF2": (r, den_e), "REF3": (r, elig),
        "CON1": (contact, den_all), "CON2": (contact, den_e), "CON3": (contact, elig),
    }  # fmt: skip
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, (num, den) in pairs.items():
            out[name] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    out["e"] = e_arr
    index = counts.index if isinstance(counts, pd.DataFrame) else None
    return pd.DataFrame(out, index=index)


def count_dispositions(
    codes: pd.Series | Sequence[object],
    *,
    groups: pd.Series | Sequence[object] | None = None,
    weights: pd.Series | Sequence[float] | np.ndarray | None = None,
    file: str | None = None,
    field: str = "disposition",
) -> pd.DataFrame:
    """Count (or sum the weights of) cases in each outcome group, per group if asked.

    Vectorised: one factorisation of the group keys and one ``bincount``.

    Returns
    -------
    pandas.DataFrame
        Columns ``I, P, R, NC, O, UH, UO, NE`` plus ``n`` (number of cases); one row per
        group (sorted, missing keys as ``"(none)"``), or a single row ``"overall"``.
    """
    cat = disposition_categories(codes, file=file, field=field)
    return _count(cat, groups, weights)


def _count(
    categories: np.ndarray,
    groups: pd.Series | Sequence[object] | None,
    weights: pd.Series | Sequence[float] | np.ndarray | None,
    freq: np.ndarray | None = None,
) -> pd.DataFrame:
    """Counts table from category indices (see :func:`count_dispositions`).

    ``freq``: each row stands for that many cases (a table of counts per code).
    """
    cat = categories.astype(np.int64)
    k = len(CATEGORIES)
    if groups is None:
        gcode = np.zeros(cat.size, dtype=np.int64)
        labels: pd.Index = pd.Index(["overall"])
    else:
        keys = pd.Series(groups).reset_index(drop=True)
        if keys.isna().any():
            keys = keys.astype(object).where(keys.notna(), MISSING_GROUP)
        gcode, labels = pd.factorize(keys, sort=True)
        gcode = gcode.astype(np.int64)
    ng = len(labels)
    flat = gcode * k + cat
    n = np.bincount(gcode, minlength=ng) if freq is None else \
        np.bincount(gcode, weights=freq, minlength=ng).round().astype(np.int64)
    if freq is not None:
        sums = np.bincount(flat, weights=freq, minlength=ng * k).round()
    elif weights is None:
        sums = np.bincount(flat, minlength=ng * k).astype(float)
    else:
        w = np.asarray(weights, dtype=float)
        sums = np.bincount(flat, weights=w, minlength=ng * k)
    table = pd.DataFrame(sums.reshape(ng, k), columns=list(CATEGORIES), index=labels)
    if weights is None or freq is not None:
        table = table.astype(np.int64)
    table["n"] = n
    return table


@dataclass(frozen=True)
class RateTable:
    """AAPOR rates for all cases and, when asked, for each group.

    Attributes
    ----------
    overall
        Counts (``I … NE``, ``n``), ``e`` and the rates ``RR1 … CON3`` for all cases.
    groups
        The same per group (index = group value), or None.
    by
        Name of the grouping column, or None.
    e_basis
        How ``e`` was obtained, in words (AAPOR asks that e be stated with its basis).
    weighted
        True when counts are sums of base weights.
    """

    overall: pd.Series
    groups: pd.DataFrame | None
    by: str | None
    e_basis: str
    weighted: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per group, with ``overall`` first."""
        first = self.overall.to_frame().T
        first.index = pd.Index(["overall"])
        if self.groups is None:
            return first
        return pd.concat([first, self.groups.set_axis(self.groups.index.astype(str))])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the rates and counts, ``e`` and ``e_basis``.

        With groups, an ``overall`` object and a ``groups`` object keyed by group value.
        """

        def clean(row: pd.Series) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in row.items():
                v = float(value)
                if key in (*COUNT_NAMES, "n") and not self.weighted:
                    out[str(key)] = int(v)
                else:
                    out[str(key)] = None if np.isnan(v) else v
            return out

        head: dict[str, Any] = {"weighted": self.weighted, "e_basis": self.e_basis}
        if self.groups is None:
            return {**clean(self.overall), **head}
        return {
            **head,
            "by": self.by,
            "overall": clean(self.overall),
            "groups": {str(k): clean(row) for k, row in self.groups.iterrows()},
        }


def _check_weights(w: pd.Series, name: str, file: str | None,
                   what: str = "weight") -> np.ndarray:
    values = pd.to_numeric(w, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{bad.size} row(s) have a missing, negative or non-numeric {what}",
            file=file,
            row=file_row(i),
            field=name,
            expected="a number >= 0 in every row",
            got=repr(w.iloc[i]),
            hint="Fill the base weight of every sampled case, or leave out --weighted"
            if what == "weight" else "Give the number of cases of every code (0 if none)",
        )
    return values


def _check_counts(c: pd.Series, name: str, file: str | None) -> np.ndarray:
    values = _check_weights(c, name, file, "count of cases")
    bad = np.flatnonzero(values != np.round(values))
    if bad.size:
        i = int(bad[0])
        raise InputError("a count of cases must be a whole number", file=file,
                         row=file_row(i), field=name, expected="0, 1, 2, ...",
                         got=repr(c.iloc[i]),
                         hint="Give the number of cases of each code (for weighted sums use "
                         "--weighted --weight-col)")
    return values


def aapor_rates(
    data: pd.DataFrame,
    *,
    disposition: str = "disposition",
    by: str | None = None,
    weights: str | None = None,
    e: float | None = None,
    e_by_group: bool = False,
    file: str | None = None,
    counts: str | None = None,
) -> RateTable:
    """AAPOR response, cooperation, refusal and contact rates of a case file.

    Parameters
    ----------
    data
        One row per sampled case with its final disposition code.
    disposition
        Column of AAPOR final codes (read by prefix: 2.111 counts as 2.11, i.e. R).
    by
        Optional grouping column (community, interviewer, stratum, …).
    weights
        Optional column of base weights; rates are then weighted.
    e
        Eligibility rate of the unknown cases; None estimates it by the proportional rule.
    e_by_group
        With ``by`` and an estimated e: estimate e within each group instead of once from
        all cases (the default, which is steadier for small groups).
    file
        File name used in error messages.
    counts
        Optional column of case counts: each row is a code (and group) with the number of
        cases that ended so, as the AAPOR calculator and published disposition tables
        give them. Not with ``weights``.

    Returns
    -------
    RateTable

    Raises
    ------
    ColumnError
        A named column does not exist.
    InputError
        A code is not an AAPOR final code, a weight is invalid, or e is not in [0, 1].
    """
    for col in (disposition, by, weights, counts):
        if col is not None and col not in data.columns:
            raise ColumnError(
                "the case file has no such column",
                file=file,
                field=col,
                expected=f"a column named '{col}'",
                got=", ".join(map(str, data.columns)),
                hint="Name an existing column",
            )
    if e is not None and not (0.0 <= float(e) <= 1.0):
        raise InputError(
            "e, the share of eligible cases among those of unknown eligibility, must lie "
            "between 0 and 1",
            field="e",
            got=str(e),
        )
    if counts is not None and weights is not None:
        raise InputError("a counts column and weights cannot be combined", field=counts,
                         hint="Give the weighted sums as the weight column of one row per "
                         "code, or the case counts alone")
    w = None if weights is None else _check_weights(data[weights], weights, file)
    freq = None if counts is None else _check_counts(data[counts], counts, file)
    cat = disposition_categories(data[disposition], file=file, field=disposition)
    table = _count(cat, None, w, freq)
    if e is None:
        e_overall = float(estimate_e(table)[0])
        basis = E_BASIS_PROPORTIONAL + (", from base-weighted sums" if w is not None else "")
    else:
        e_overall = float(e)
        basis = f"given: e = {float(e):g}"
    overall = pd.concat([table.iloc[0], rates_from_counts(table, e_overall).iloc[0]])
    groups = None
    if by is not None:
        gcounts = _count(cat, data[by], w, freq)
        if e is None and e_by_group:
            ge: float | None = None
            basis += ", estimated within each group"
        else:
            ge = e_overall
            if e is None:
                basis += ", pooled over all cases and applied to every group"
        groups = pd.concat([gcounts, rates_from_counts(gcounts, ge)], axis=1)
        groups.index.name = by
    return RateTable(overall=overall, groups=groups, by=by, e_basis=basis, weighted=w is not None)
