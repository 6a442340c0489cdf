"""The tally's indicator estimates, every item and community in a few array passes.

:func:`indicator_frame` gives the rows :func:`fieldsurvey.estimate.tally.indicator_table`
gives over the tally's two designs (the district: strata x community PSUs; each community:
a stratum whose respondents are the units), with the same arithmetic, but without one
estimator call per item and domain:

* every statistic is a ratio mean of a column over the rows where it is not missing
  (top-two-box 0/1, score, composite score, select_multiple 0/1), estimated as
  :func:`fieldsurvey.estimate._core.ratio_stat` does, column by column in numpy;
* the district's variances of all columns come from one call of
  :func:`fieldsurvey.estimate.taylor.variance` on their PSU totals;
* a community's variance is its own stratum's term of that formula (the other strata
  hold no respondent of the domain, so they add exact zeros): ``n_h / (n_h - 1)`` times
  the sum of squared deviations of the linearised values from their stratum mean over
  the community's respondents (deviation from 0 for a community of one respondent, the
  ``adjust`` rule), for all communities at once with ``np.bincount``.

``tests/test_tally_fast.py`` checks the rows against ``indicator_table``'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fieldsurvey.estimate import taylor
from fieldsurvey.estimate._columns import numeric_column
from fieldsurvey.estimate._core import domain_degf, logit_ci
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.estimate.domains import make_domains
from fieldsurvey.estimate.satisfaction import item_scores
from fieldsurvey.questionnaire.indicators import Indicators

__all__ = ["indicator_frame", "scored"]


def _numeric(col: pd.Series) -> np.ndarray:
    if col.dtype == np.float64:
        return col.to_numpy()
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def scored(frame: pd.DataFrame, ind: Indicators) -> pd.DataFrame:
    """:meth:`Indicators.scored` on arrays: the same columns, values and missing values.

    Scale items: special and missing codes and values off the scale become NaN, a
    descending scale is turned round; select_multiple: choice columns 0/1 (NaN when the
    question was not answered or got a special answer) and ``<name>_any``. Built column by
    column in numpy and joined once (the pandas version costs a frame copy and a dozen
    pandas operations per column; ``tests/test_tally_fast.py`` checks they agree).
    """
    new: dict[str, np.ndarray] = {}
    for it in ind.items:
        if it.is_scale:
            if it.name not in frame.columns:
                continue
            assert it.scale is not None
            lo, hi = it.scale
            v = _numeric(frame[it.name])
            if it.missing:
                v = np.where(np.isin(v, np.asarray(it.missing, dtype=np.float64)), np.nan, v)
            with np.errstate(invalid="ignore"):
                v = np.where((v >= lo) & (v <= hi), v, np.nan)
            new[it.name] = lo + hi - v if it.direction == "descending" else v
            continue
        cols = [c for c in (*it.option_columns(), *([f"{it.name}_{it.none}"] if it.none else []))
                if c in frame.columns]
        if not cols:
            continue
        block = np.column_stack([_numeric(frame[c]) for c in cols])
        block = np.where((block == 0.0) | (block == 1.0), block, np.nan)
        answered = ~np.isnan(block).any(axis=1)
        for j, c in enumerate(cols):
            new[c] = np.where(answered, block[:, j], np.nan)
        opts = [j for j, c in enumerate(cols) if c in set(it.option_columns())]
        if opts:
            chose = (np.nansum(block[:, opts], axis=1) > 0).astype(np.float64)
            new[it.any_column] = np.where(answered, chose, np.nan)
    if not new:
        return frame.copy()
    rest = frame.drop(columns=[c for c in new if c in frame.columns])
    return pd.concat([rest, pd.DataFrame(new, index=frame.index)], axis=1)


@dataclass
class _Column:
    """One estimated column: values (0 where missing) and which rows count."""

    y: np.ndarray
    keep: np.ndarray


@dataclass
class _Row:
    """Output rows of one statistic: which column, how its figures are made."""

    variable: str
    statistic: str
    column: int
    kind: str            # "prop" (logit CI), "mean" (Wald CI), "index" (mean on 0-100)
    level: str | None = None
    lo: float = 0.0      # index: the scale's low end and 100 / (hi - lo)
    z: float = 1.0


def _columns(design: SurveyDesign, ind: Indicators, kinds: Sequence[str] | None
             ) -> tuple[list[_Column], list[_Row]]:
    """The columns to estimate and the rows they give, in ``indicator_table``'s order."""
    data = design.data
    cols = set(data.columns)
    wanted = set(kinds) if kinds is not None else None
    columns: list[_Column] = []
    rows: list[_Row] = []

    def add(v: np.ndarray) -> int:
        ok = ~np.isnan(v)
        columns.append(_Column(np.where(ok, v, 0.0), ok))
        return len(columns) - 1

    scales: dict[tuple[int, int], list[str]] = {}
    for it in ind.scales:
        if (wanted is None or it.kind in wanted) and it.name in cols and it.scale:
            scales.setdefault(it.scale, []).append(it.name)
    top = 2
    for (lo, hi), names in scales.items():
        points = f"{hi - top + 1}-{hi}"
        for name in names:
            v = item_scores(design, name, (lo, hi), ())
            ok = ~np.isnan(v)
            t2b = add(np.where(ok, (np.nan_to_num(v) >= hi - top + 1).astype(np.float64),
                               np.nan))
            m = add(v)
            rows += [_Row(name, "top2box", t2b, "prop", points),
                     _Row(name, "mean_score", m, "mean"),
                     _Row(name, "index", m, "index", lo=float(lo), z=100.0 / (hi - lo))]
    for comp in ind.composites:
        members = [ind.get(n) for n in comp.items]
        if wanted is not None and not any(m.kind in wanted for m in members):
            continue
        if not all(n in cols for n in comp.items):
            continue
        lo, hi = comp.scale
        total = np.zeros(design.n)
        answered = np.zeros(design.n)
        for name in comp.items:
            v = item_scores(design, name, comp.scale, ())
            ok = ~np.isnan(v)
            total += np.where(ok, (np.nan_to_num(v) - lo) * 100.0 / (hi - lo), 0.0)
            answered += ok
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(answered >= comp.min_items, total / answered, np.nan)
        rows.append(_Row(comp.name, "index", add(score), "mean"))
    for it in ind.items:
        if it.is_scale or (wanted is not None and it.kind not in wanted):
            continue
        for name in (c for c in (it.any_column, *it.option_columns()) if c in cols):
            rows.append(_Row(name, "prop", add(numeric_column(data, name, design.source)),
                             "prop", "1"))
    return columns, rows


@dataclass
class _Stats:
    """Per (column, domain) arrays (columns x domains)."""

    est: np.ndarray
    var: np.ndarray
    deff: np.ndarray
    n: np.ndarray


def _deff(var: np.ndarray, ss: np.ndarray, big_w: np.ndarray, nobs: np.ndarray) -> np.ndarray:
    """``_core``'s design effect: var over the SRS variance (NaN when W < n)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = nobs / (nobs - 1) * ss / big_w
        vsrs = s2 * big_w**2 * (big_w - nobs) / (big_w * nobs)
        out = var / vsrs
    return np.where(big_w < nobs, np.nan, out)


def _district(design: SurveyDesign, columns: list[_Column]) -> _Stats:
    """Whole-population ratio means of every column (``ratio_stat`` with one domain)."""
    w = design.weights
    k = len(columns)
    est, big_ws, n, nobs = np.empty(k), np.empty(k), np.empty(k, np.int64), np.empty(k)
    ss = np.empty(k)
    t = np.empty((design.n_units, k))
    present = np.empty((design.n_units, k), dtype=bool)
    for j, c in enumerate(columns):
        keep = c.keep
        wk = np.where(keep, w, 0.0)
        y = c.y
        big_w = float(wk.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            e = float(np.einsum("i,i->", wk, y)) / big_w
            u = np.where(keep, (y - e) / big_w, 0.0)
        wu = wk * u
        tj, pj = taylor.unit_totals(design, wu, np.where(keep, 0, -1), 1)
        t[:, j] = tj[:, 0]
        present[:, j] = True if pj is None else pj[:, 0]
        est[j], big_ws[j] = e, big_w
        n[j] = int(keep.sum())
        nobs[j] = float(np.count_nonzero(keep & (w != 0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = u - float(wu.sum()) / big_w
            np.multiply(dev, dev, out=dev)
            ss[j] = float(np.einsum("i,i->", wk, dev))
    var = taylor.variance(design, t, present) if k else np.empty(0)
    deff = _deff(var, ss, big_ws, nobs)
    return _Stats(est[:, None], var[:, None], deff[:, None], n[:, None])


def _communities(w: np.ndarray, columns: list[_Column], dom: np.ndarray,
                 count: int) -> _Stats:
    """Each community's ratio means, the community a stratum of its respondents.

    ``w``, the columns and ``dom`` (codes ``0..count-1``) hold the rows of the communities
    estimated only. All columns at once: the (column, community) sums are one
    ``np.bincount`` over the columns laid end to end, which adds each group's rows in row
    order, as one ``np.bincount`` per column would.
    """
    k, n = len(columns), len(dom)
    if not k:
        empty = np.empty((0, count))
        return _Stats(empty, empty, empty, np.empty((0, count), dtype=np.int64))
    y = np.stack([c.y for c in columns])                 # columns x rows
    keep = np.stack([c.keep for c in columns])
    key = (np.arange(k)[:, None] * count + dom[None, :]).ravel()
    size = k * count
    col = np.repeat(np.arange(k), n).reshape(k, n)

    def sums(v: np.ndarray) -> np.ndarray:
        return np.bincount(key, weights=v.ravel(), minlength=size).reshape(k, count)

    wk = np.where(keep, w[None, :], 0.0)
    big_w = sums(wk)
    big_y = sums(wk * y)
    nj = np.bincount(key[keep.ravel()], minlength=size).reshape(k, count).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = big_y / big_w
        u = np.where(keep, (y - est[col, dom[None, :]]) / big_w[col, dom[None, :]], 0.0)
    z = wk * u
    npsu = np.bincount(dom, minlength=count).astype(np.float64)  # respondents per community
    lonely = npsu == 1
    centre = sums(z) / npsu[None, :]
    centre[:, lonely] = 0.0
    dev = z - centre[col, dom[None, :]]
    np.multiply(dev, dev, out=dev)
    scale = np.where(lonely, 1.0, npsu / np.maximum(npsu - 1, 1))
    var = np.where(nj > 0, sums(dev) * scale[None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ubar = sums(wk * u) / big_w
        du = u - ubar[col, dom[None, :]]
        ssd = sums(wk * du * du)
    nobs = np.bincount(key[(keep & (w != 0)[None, :]).ravel()], minlength=size).reshape(
        k, count).astype(np.float64)
    return _Stats(est, var, _deff(var, ssd, big_w, nobs), nj)


def _frame(rows: list[_Row], st: _Stats, df: np.ndarray, labels: Sequence[str | None],
           keys: Sequence[object], level: float, design: SurveyDesign) -> pd.DataFrame:
    """The estimate rows (``table_frame`` columns), statistic by statistic, domain inside."""
    from scipy.stats import norm

    q = norm.ppf(0.5 + level / 2)
    count = len(labels)
    k = len(rows)
    col = np.array([r.column for r in rows], dtype=np.int64)
    e = st.est[col]                       # rows x domains
    var = st.var[col]
    se = np.sqrt(var)
    lo, hi = np.empty_like(e), np.empty_like(e)
    kind = np.array([r.kind for r in rows], dtype=object)
    prop = kind == "prop"
    if prop.any():  # one logit interval call for every share (one t quantile per df)
        dfs = np.broadcast_to(df, e.shape)[prop].ravel()
        pl, ph = logit_ci(design, e[prop].ravel(), var[prop].ravel(), None, dfs, level)
        lo[prop], hi[prop] = pl.reshape(-1, count), ph.reshape(-1, count)
    mean = kind == "mean"
    lo[mean], hi[mean] = e[mean] - q * se[mean], e[mean] + q * se[mean]
    index = kind == "index"
    if index.any():
        base = np.array([r.lo for r in rows])[index][:, None]
        z = np.array([r.z for r in rows])[index][:, None]
        ei = (e[index] - base) * z
        lo[index], hi[index] = ei - q * se[index] * z, ei + q * se[index] * z
        e[index], se[index] = ei, se[index] * z
    frame = pd.DataFrame({
        "variable": np.repeat(np.array([r.variable for r in rows], dtype=object), count),
        "statistic": np.repeat(np.array([r.statistic for r in rows], dtype=object), count),
        "domain": np.tile(np.array(list(labels), dtype=object), k),
        "level": np.repeat(np.array([r.level for r in rows], dtype=object), count),
        "estimate": e.ravel(), "se": se.ravel(), "ci_low": lo.ravel(), "ci_high": hi.ravel(),
        "deff": st.deff[col].ravel(), "n": st.n[col].ravel().astype(np.int64),
        "community_id": np.tile(np.array(list(keys), dtype=object), k),
    })
    return frame


def indicator_frame(respondents: pd.DataFrame, indicators: Indicators, weights: np.ndarray, *,
                    level: float = 0.95, source: str | None = None,
                    kinds: Sequence[str] | None = None,
                    communities: Collection[str] | None = None,
                    previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The district's and every community's indicator rows for one weighting.

    Parameters
    ----------
    respondents
        Scored respondents (:meth:`Indicators.scored`) with ``community_id`` (text) and
        ``stratum``.
    weights
        One weight per respondent; rows without a finite positive weight are left out.
    communities, previous
        A refresh: ``previous`` is this function's result before some respondents
        changed, and ``communities`` the communities they belong (or belonged) to. Only
        the district and those communities are estimated again (a community's figures
        depend on its own respondents only); the other communities' rows are taken from
        ``previous``. The result is the full computation's, in its order.

    Returns
    -------
    pandas.DataFrame
        ``fieldsurvey.estimate.results.COLUMNS`` plus ``community_id`` (``""`` for the
        district) and ``variance``: the district's rows first, then the communities'.
    """
    w = np.asarray(weights, dtype=float)
    data = respondents.assign(_tally_w=w)[np.isfinite(w) & (w > 0)]
    design = SurveyDesign.community_survey(data, weights="_tally_w", source=source)
    columns, rows = _columns(design, indicators, kinds)
    whole = make_domains(design, None)
    df = domain_degf(design, whole.code, 1)
    district = _frame(rows, _district(design, columns), df, [None], [""], level, design)
    doms = make_domains(design, "community_id")
    keys = [str(dict(k).get("community_id")) for k in doms.keys]
    old = _previous_communities(previous, district, communities, keys)
    pick = np.ones(doms.count, dtype=bool) if old is None else \
        np.isin(np.asarray(keys, dtype=object), list(communities or ()))
    frames = [district]
    if pick.any():
        # each community a stratum of its respondents: degrees of freedom n_d - 1
        remap = np.where(pick, np.cumsum(pick) - 1, -1)
        code = np.where(doms.code >= 0, remap[np.maximum(doms.code, 0)], -1)
        at = code >= 0
        count = int(pick.sum())
        sub = [_Column(c.y[at], c.keep[at]) for c in columns]
        st = _communities(design.weights[at], sub, code[at], count)
        df_c = np.asarray(np.bincount(code[at], minlength=count) - 1, dtype=np.float64)
        frames.append(_frame(rows, st, df_c, [lb for lb, p in zip(doms.labels, pick,
                                                                    strict=True) if p],
                             [k for k, p in zip(keys, pick, strict=True) if p], level, design))
    out = pd.concat(frames, ignore_index=True)
    out["variance"] = design.variance_method
    if old is not None:
        out = _spliced(out, old, keys, len(rows), int(pick.sum()))
    return out


def _previous_communities(previous: pd.DataFrame | None, district: pd.DataFrame,
                          communities: Collection[str] | None, keys: Sequence[str]
                          ) -> pd.DataFrame | None:
    """The rows of ``previous`` a refresh keeps (``None``: estimate every community).

    Kept: the rows of communities not in ``communities`` that still have respondents,
    when ``previous`` holds the same statistics as the district's rows now (a question
    answered for the first time adds rows: then everything is estimated).
    """
    if previous is None or communities is None or previous.empty:
        return None
    cid = previous["community_id"].to_numpy(dtype=object, na_value="")
    k = len(district)
    stats = ["variable", "statistic", "level"]
    if (cid[:k] != "").any() or (cid[k:] == "").any() or not previous.iloc[:k][stats].astype(
            str).reset_index(drop=True).equals(district[stats].astype(str)):
        return None
    gone = pd.Index(list(communities)).union(
        pd.Index(cid[k:]).unique().difference(pd.Index(keys)))
    keep = ~pd.Index(cid[k:]).isin(gone)
    cols = [c for c in previous.columns if c != "weighting"]
    kept: pd.DataFrame = previous.iloc[k:].loc[keep, cols]
    return kept.assign(community_id=cid[k:][keep])


def _spliced(fresh: pd.DataFrame, old: pd.DataFrame, keys: Sequence[str], k: int,
             count: int) -> pd.DataFrame:
    """The district and the re-estimated communities of ``fresh`` with ``old``'s others.

    In the full computation's order: the district's ``k`` rows, then statistic by
    statistic, each community in the order of ``keys``. ``fresh``'s community rows come
    as ``k`` blocks of ``count``; ``old``'s as ``k`` blocks of the communities it kept.
    """
    pos = pd.Series(np.arange(len(keys)), index=pd.Index(keys))
    blocks = [fresh.iloc[k:], old]
    stat = [np.repeat(np.arange(k), count),
            np.repeat(np.arange(k), len(old) // k if k else 0)]
    body = pd.concat(blocks, ignore_index=True)
    order = np.concatenate(stat) * len(keys) + pos.reindex(
        body["community_id"].astype(str).to_numpy()).to_numpy()
    body = body.iloc[np.argsort(order, kind="stable")]
    return pd.concat([fresh.iloc[:k], body[fresh.columns]], ignore_index=True)
