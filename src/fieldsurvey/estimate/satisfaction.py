"""Satisfaction statistics for Likert items, with design-based SEs and CIs.

For a k-point item scored lo..hi (5-point: 1 非常不满意 ... 5 非常满意) and the answers
that count (codes such as 8 不了解, -8 不知道, -9 拒绝回答 are missing):

* ``top2box``: the share answering one of the ``top`` highest points (4 + 5), a
  proportion with the logit interval of ``svyciprop``;
* ``mean_score``: the weighted mean score (Wald interval);
* ``index``: the mean put on 0-100, 100 (mean - lo) / (hi - lo); a linear map of the mean,
  so its SE and interval are the mean's times 100 / (hi - lo) and its deff the mean's.

The composite index over several items (:func:`satisfaction_index`) scores every
respondent 100 (x - lo) / (hi - lo) on each answered item, averages the answered items
(a respondent needs ``min_items`` of them, by default half, rounded up) and estimates the
weighted mean of that score. :func:`satisfaction_summary` gives every item's three
statistics and the composite index, for the whole population and for each domain.
Every answer missing for one statistic leaves that respondent out of that statistic only,
as ``na.rm=TRUE`` (the PSUs stay in the design).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fieldsurvey.estimate._columns import as_names, numeric_column
from fieldsurvey.estimate._core import Design, domain_degf, logit_ci, ratio_stat
from fieldsurvey.estimate.domains import make_domains
from fieldsurvey.estimate.estimators import method_of, rows_from
from fieldsurvey.estimate.results import Estimate, EstimateTable
from fieldsurvey.io.errors import EstimationError
from fieldsurvey.io.tables import file_row

__all__ = ["MISSING_CODES", "satisfaction_index", "satisfaction_items", "satisfaction_summary"]

MISSING_CODES: tuple[float, ...] = (8, -8, -9)


def item_scores(
    design: Design, item: str, scale: tuple[int, int], missing_codes: Sequence[float]
) -> np.ndarray:
    """The item's answers as floats, NaN for missing codes; other values off the scale fail."""
    lo, hi = scale
    v = numeric_column(design.data, item, design.source)
    v = np.where(np.isin(v, np.asarray(missing_codes, dtype=np.float64)), np.nan, v)
    bad = ~np.isnan(v) & ((v < lo) | (v > hi) | (v != np.round(v)))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise EstimationError(
            f"answer off the {lo}-{hi} scale in item '{item}'",
            file=design.source,
            row=file_row(row),
            field=item,
            expected=f"a whole number from {lo} to {hi}, or a missing code {tuple(missing_codes)}",
            got=f"{v[row]:g}",
            hint="Recode the value, or add it to missing_codes",
        )
    return v


def _check_scale(scale: tuple[int, int], top: int) -> None:
    lo, hi = scale
    if not hi > lo or not 1 <= top <= hi - lo:
        raise EstimationError("invalid satisfaction scale", field="scale",
                              expected="lo < hi and 1 <= top <= hi - lo", got=f"{scale}, top={top}")


def satisfaction_items(
    design: Design,
    items: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    top: int = 2,
    missing_codes: Sequence[float] = MISSING_CODES,
    level: float = 0.95,
) -> EstimateTable:
    """Top-box share, mean score and 0-100 index of every item (see the module docstring).

    Returns
    -------
    EstimateTable
        Per item and domain three rows: statistics ``top2box`` (``level`` names the
        points counted, e.g. ``"4-5"``), ``mean_score`` and ``index``.
    """
    _check_scale(scale, top)
    lo, hi = scale
    doms = make_domains(design, by)
    df = domain_degf(design, doms.code, doms.count)
    z = 100.0 / (hi - lo)
    from scipy.stats import norm

    q = norm.ppf(0.5 + level / 2)
    points = f"{hi - top + 1}-{hi}" if top > 1 else f"{hi}"
    rows: list[Estimate] = []
    for item in as_names(items):
        v = item_scores(design, item, scale, missing_codes)
        code = doms.restrict(~np.isnan(v))
        vv = np.nan_to_num(v)
        r = ratio_stat(design, (vv >= hi - top + 1).astype(np.float64), None, code, doms.count)
        se = np.sqrt(r.var)
        lo_ci, hi_ci = logit_ci(design, r.estimate, r.var, r.thetas, df, level)
        rows += rows_from(item, "top2box", doms, r.estimate, se, lo_ci, hi_ci, r.deff, r.n, points)
        m = ratio_stat(design, vv, None, code, doms.count)
        mse = np.sqrt(m.var)
        rows += rows_from(item, "mean_score", doms, m.estimate, mse, m.estimate - q * mse,
                          m.estimate + q * mse, m.deff, m.n)
        idx = (m.estimate - lo) * z
        rows += rows_from(item, "index", doms, idx, mse * z, idx - q * mse * z, idx + q * mse * z,
                          m.deff, m.n)
    return EstimateTable(tuple(rows), method_of(design))


def satisfaction_index(
    design: Design,
    items: Sequence[str],
    *,
    name: str = "satisfaction_index",
    by: str | Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    missing_codes: Sequence[float] = MISSING_CODES,
    min_items: int | None = None,
    level: float = 0.95,
) -> EstimateTable:
    """Composite 0-100 index over several items (statistic ``index``, variable ``name``).

    Parameters
    ----------
    min_items
        Answered items a respondent needs to be scored (default: half the items, rounded up).
    """
    names = as_names(items)
    if not names:
        raise EstimationError("no satisfaction items given", field="items")
    _check_scale(scale, 1)
    lo, hi = scale
    need = math.ceil(len(names) / 2) if min_items is None else int(min_items)
    if not 1 <= need <= len(names):
        raise EstimationError("min_items must be between 1 and the number of items",
                              field="min_items", got=str(min_items))
    total = np.zeros(design.n)
    answered = np.zeros(design.n)
    for item in names:
        v = item_scores(design, item, scale, missing_codes)
        ok = ~np.isnan(v)
        total += np.where(ok, (np.nan_to_num(v) - lo) * 100.0 / (hi - lo), 0.0)
        answered += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(answered >= need, total / answered, np.nan)
    doms = make_domains(design, by)
    code = doms.restrict(~np.isnan(score))
    m = ratio_stat(design, np.nan_to_num(score), None, code, doms.count)
    from scipy.stats import norm

    q = norm.ppf(0.5 + level / 2)
    se = np.sqrt(m.var)
    rows = rows_from(name, "index", doms, m.estimate, se, m.estimate - q * se,
                     m.estimate + q * se, m.deff, m.n)
    return EstimateTable(tuple(rows), method_of(design))


def satisfaction_summary(
    design: Design,
    items: Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    top: int = 2,
    missing_codes: Sequence[float] = MISSING_CODES,
    min_items: int | None = None,
    index_name: str = "satisfaction_index",
    level: float = 0.95,
) -> EstimateTable:
    """Every item's top-box, mean and index plus the composite index: overall, then by domain."""
    kw = {"scale": scale, "missing_codes": missing_codes, "level": level}
    table = satisfaction_items(design, items, top=top, **kw)  # type: ignore[arg-type]
    table += satisfaction_index(design, items, name=index_name, min_items=min_items, **kw)  # type: ignore[arg-type]
    if by:
        table += satisfaction_items(design, items, by=by, top=top, **kw)  # type: ignore[arg-type]
        table += satisfaction_index(design, items, name=index_name, by=by, min_items=min_items,
                                    **kw)  # type: ignore[arg-type]
    return table
