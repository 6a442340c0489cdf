"""The running tally of a survey: participation in it and the indicators the form declares.

This is where the demo, the report, the TUI's tally screen and ``fieldsurvey estimate``
meet, so that each figure is computed one way:

* :func:`indicator_table` estimates every indicator of a form
  (:mod:`fieldsurvey.questionnaire.indicators`) from a design over *scored* data
  (:meth:`Indicators.scored`): per rating-scale item the top-two-box share (logit
  interval), the mean and the 0-100 index (Wald); each composite index; per
  select_multiple the share choosing each option and the share choosing any (logit);
* :func:`tally` reads a field store (merged, or one device's own cases) and gives the
  AAPOR rates overall, by community and by interviewer with their counts, and the
  indicator estimates overall and by community, unweighted and design-weighted (base
  weight x the respondent-selection factor, i.e. Kish's), and with the final weights
  when a weights file is given. Every row says which weighting it used.

District-wide figures use :meth:`SurveyDesign.community_survey` (strata, communities as
PSUs, lonely PSUs ``adjust``): the numbers of
``fieldsurvey estimate --strata stratum --psu community_id --nest --lonely-psu adjust``.
A community's own figures use :func:`community_design`: the community is the population
(it was selected; its estimate is conditional on that), so it is a stratum and the
respondents are its units -- ``fieldsurvey estimate --strata community_id --by
community_id --lonely-psu adjust``. (With communities as PSUs, a community's own ratio
estimate would have a Taylor variance of exactly 0.)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import numeric_column
from fieldsurvey.estimate._core import domain_degf, logit_ci, ratio_stat
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.estimate.domains import make_domains
from fieldsurvey.estimate.estimators import rows_from
from fieldsurvey.estimate.results import COLUMNS, Estimate, EstimateTable
from fieldsurvey.estimate.satisfaction import satisfaction_index, satisfaction_items
from fieldsurvey.io.errors import InputError
from fieldsurvey.questionnaire.indicators import Indicators

__all__ = [
    "RESPONDENT_CODES",
    "WEIGHTINGS",
    "Tally",
    "community_design",
    "form_and_indicators",
    "indicator_table",
    "join_weights",
    "table_frame",
    "tally",
    "tally_design",
    "tally_full_read",
    "tally_weights",
]

#: Final dispositions of a respondent (AAPOR 1.1 complete, 1.2 partial).
RESPONDENT_CODES: tuple[str, ...] = ("1.1", "1.2")
#: The weightings a tally row can use.
WEIGHTINGS: tuple[str, ...] = ("unweighted", "design", "final")


def _prop_rows(design: Any, cols: Sequence[str], by: str | Sequence[str] | None,
               level: float) -> list[Estimate]:
    """The share with value 1 of 0/1 columns (statistic ``prop``, level ``"1"``).

    The numbers of ``svyprop`` (R's ``svymean(~factor(x))`` and ``svyciprop(method=
    "logit")``) for the level 1 only, with missing values left out (``na.rm``).
    """
    if not cols:
        return []
    doms = make_domains(design, by)
    df = domain_degf(design, doms.code, doms.count)
    rows: list[Estimate] = []
    for name in cols:
        v = numeric_column(design.data, name, design.source)
        code = doms.restrict(~np.isnan(v))
        r = ratio_stat(design, np.nan_to_num(v), None, code, doms.count)
        lo, hi = logit_ci(design, r.estimate, r.var, r.thetas, df, level)
        # a share of exactly 0 or 1 has no logit interval: it is the point itself
        edge = (r.estimate == 0) | (r.estimate == 1)
        lo, hi = np.where(edge, r.estimate, lo), np.where(edge, r.estimate, hi)
        rows += rows_from(name, "prop", doms, r.estimate, np.sqrt(r.var), lo, hi, r.deff,
                          r.n, level="1")
    return rows


def table_frame(table: EstimateTable) -> pd.DataFrame:
    """``table.to_frame()`` built without a dict per row (thousands of rows on the screen)."""
    cols = list(COLUMNS)
    out = pd.DataFrame.from_records(
        [(r.variable, r.statistic, r.domain, r.level, r.estimate, r.se, r.ci_low, r.ci_high,
          r.deff, r.n) for r in table.rows], columns=cols)
    names = list(dict.fromkeys(name for r in table.rows for name, _ in r.by
                               if name not in COLUMNS))
    for name in names:
        out[name] = [dict(r.by).get(name) for r in table.rows]
    return out


def indicator_table(design: Any, indicators: Indicators, *,
                    by: str | Sequence[str] | None = None, level: float = 0.95,
                    kinds: Sequence[str] | None = None) -> EstimateTable:
    """Estimate every declared indicator over a design built on scored data.

    Parameters
    ----------
    design
        A design whose data went through :meth:`Indicators.scored`.
    indicators
        The form's indicators.
    by
        Domain variable(s); ``None`` for the whole population.
    kinds
        Only these indicator kinds (default all).

    Returns
    -------
    EstimateTable
        Scale items: ``top2box``, ``mean_score``, ``index`` rows; composites: ``index``;
        select_multiple options and ``<name>_any``: ``prop`` rows with level ``"1"``.
    """
    cols = set(design.data.columns)
    wanted = set(kinds) if kinds is not None else None
    rows: list[Estimate] = []
    scales: dict[tuple[int, int], list[str]] = {}
    for ind in indicators.scales:
        if (wanted is None or ind.kind in wanted) and ind.name in cols and ind.scale:
            scales.setdefault(ind.scale, []).append(ind.name)
    method = "taylor"
    for scale, names in scales.items():
        t = satisfaction_items(design, names, by=by, scale=scale, missing_codes=(), level=level)
        rows += list(t)
        method = t.method
    for comp in indicators.composites:
        members = [indicators.get(n) for n in comp.items]
        if wanted is not None and not any(m.kind in wanted for m in members):
            continue
        if all(n in cols for n in comp.items):
            t = satisfaction_index(design, comp.items, name=comp.name, by=by, scale=comp.scale,
                                   missing_codes=(), min_items=comp.min_items, level=level)
            rows += list(t)
    for ind in indicators.items:
        if ind.is_scale or (wanted is not None and ind.kind not in wanted):
            continue
        names = [c for c in (ind.any_column, *ind.option_columns()) if c in cols]
        rows += _prop_rows(design, names, by, level)
    return EstimateTable(tuple(rows), method)


def join_weights(cases: pd.DataFrame, weights: pd.DataFrame, *, weight: str = "weight",
                 file: str | None = None, device: bool = False) -> pd.DataFrame:
    """``cases`` with a ``_final`` weight column from a weights file (by case or interview).

    Raises
    ------
    InputError
        A weights file for another sample: respondents with a positive weight that are
        not cases of this store (a merged store has every issued case), or no case of
        the store in the file at all.
    """
    key = "interview_uuid" if "interview_uuid" in weights.columns else "dwelling_id"
    if key not in weights.columns or weight not in weights.columns:
        raise InputError("the weights file lacks the key or weight column", file=file,
                         field=key if key not in weights.columns else weight,
                         expected=f"dwelling_id (or interview_uuid) and {weight}",
                         got=", ".join(map(str, weights.columns[:20])))
    w = pd.DataFrame({key: weights[key].astype("string"),
                      "_final": pd.to_numeric(weights[weight], errors="coerce")})
    known = cases[key].astype("string")
    positive = w[w["_final"] > 0]
    foreign = positive[~positive[key].isin(set(known.dropna()))]
    if len(positive) and (len(foreign) == len(positive) or (len(foreign) and not device)):
        raise InputError(
            f"the weights file is for another sample: {len(foreign)} of its "
            f"{len(positive)} weighted respondents are not cases of this store",
            file=file, field=key, got=f"e.g. {foreign[key].iloc[0]}",
            expected="the weights computed from this survey's sample and store",
            hint="Give the weights written by 'fieldsurvey weights' for this store (same "
            "sample, after the last merge)")
    out = cases.assign(**{key: known}).merge(w, on=key, how="left")
    return out


def community_design(data: pd.DataFrame, weights: str | None, *,
                     source: str | None = None) -> SurveyDesign:
    """The design for communities' own estimates (see the module docstring)."""
    return SurveyDesign(data, strata="community_id", weights=weights, lonely_psu="adjust",
                        source=source)


def tally_design(respondents: pd.DataFrame, weighting: str, *,
                 source: str | None = None, community: bool = False) -> SurveyDesign:
    """The design of one weighting over scored respondents.

    ``unweighted``: every respondent weight 1; ``design``: base weight x the inverse of
    the respondent's selection probability (Kish; 1 when none was recorded);
    ``final``: the ``_final`` column. Respondents without a positive weight are left out.
    """
    r = respondents
    w = tally_weights(r, weighting)
    data = r.assign(_tally_w=w)
    data = data[np.isfinite(w) & (w > 0)]
    if community:
        return community_design(data, "_tally_w", source=source)
    return SurveyDesign.community_survey(data, weights="_tally_w", source=source)


@dataclass(frozen=True)
class Tally:
    """What the tally screen shows (see the module docstring)."""

    rates: pd.DataFrame          # one row per group: by (all|community|interviewer), group, n...
    estimates: pd.DataFrame      # indicator rows with ``weighting`` and ``community_id``
    indicators: Indicators
    completes: dict[str, int]    # completes (1.1) per community
    names: dict[str, str]        # community_id -> name
    min_completes: int
    weightings: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    respondents: int = 0


_RATE_COLS = ("n", "I", "P", "R", "NC", "O", "UH", "UO", "NE", "RR1", "RR3", "COOP1", "REF1",
              "CON1")


def _rates(cases: pd.DataFrame) -> pd.DataFrame:
    from fieldsurvey.rates import aapor_rates

    # only the columns the rates read (a copy of every answer column costs more than them)
    cases = cases[[c for c in ("disposition", "community_id", "interviewer")
                   if c in cases.columns]]
    frames = []
    overall = None
    for by in ("community_id", "interviewer"):
        if by not in cases.columns:
            continue
        table = aapor_rates(cases.assign(**{by: cases[by].astype("string").fillna("—")}),
                            disposition="disposition", by=by)
        overall = table.overall if overall is None else overall  # the same for every by
        g = table.groups
        if g is None:
            continue
        df = g.reindex(columns=list(_RATE_COLS)).reset_index(names="group")
        df.insert(0, "by", by)
        frames.append(df)
    if overall is None:
        overall = aapor_rates(cases, disposition="disposition").overall
    frames.insert(0, pd.DataFrame([{"by": "all", "group": "", **{k: overall.get(k, np.nan)
                                                                 for k in _RATE_COLS}}]))
    out = pd.concat(frames, ignore_index=True)
    out["group"] = out["group"].astype(str)
    return out


def _estimates(resp: pd.DataFrame, ind: Indicators, weighting: str, level: float,
               source: str | None) -> pd.DataFrame:
    """The indicator rows of one weighting (by ``indicator_table``, one call per design)."""
    frames = []
    for by in (None, "community_id"):
        design = tally_design(resp, weighting, source=source, community=by is not None)
        t = indicator_table(design, ind, by=by, level=level)
        f = table_frame(t)
        if by is None:
            f["community_id"] = ""
        f["variance"] = t.method
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["weighting"] = weighting
    out["community_id"] = out["community_id"].astype("string").fillna("")
    return out


def tally_weights(respondents: pd.DataFrame, weighting: str) -> np.ndarray:
    """The weight of each respondent under a weighting (see :func:`tally_design`)."""
    r = respondents
    if weighting == "unweighted":
        return np.ones(len(r))
    if weighting == "design":
        base = pd.to_numeric(r["base_weight"], errors="coerce") if "base_weight" in r \
            else pd.Series(1.0, index=r.index)
        # no selection recorded (one eligible person, or none listed yet): probability 1
        pr = pd.to_numeric(r["pi_respondent"], errors="coerce").fillna(1.0) \
            if "pi_respondent" in r else pd.Series(1.0, index=r.index)
        return (base / pr.where(pr > 0)).to_numpy(float)
    if weighting == "final":
        return pd.to_numeric(r["_final"], errors="coerce").to_numpy(float)
    raise ValueError(weighting)


def tally(store: str | os.PathLike[str], *, form: Any = None,
          weights: str | os.PathLike[str] | None = None, weight: str = "weight",
          min_completes: int = 10, level: float = 0.95,
          indicators: Indicators | None = None,
          only: Sequence[str] | None = None) -> Tally:
    """Rates and indicator estimates of a store (see the module docstring).

    Parameters
    ----------
    store
        A merged ``central.sqlite`` or one device's store (its own cases).
    form
        The questionnaire (a Form or a path); default: the one pinned in the store.
    weights
        Optional final weights file (``fieldsurvey weights``): adds ``final`` rows.
    min_completes
        Communities with fewer completes are flagged (``small``) for greying out.
    only
        Estimate only these weightings (of ``unweighted``, ``design``, ``final``); the
        screen computes the one it shows. ``Tally.weightings`` still lists all available.

    Raises
    ------
    StoreError, QuestionnaireError, InputError, EstimationError
    """
    from fieldsurvey.estimate.tally_session import TallySession

    return TallySession(store, form=form, weights=weights, weight=weight,
                        min_completes=min_completes, level=level,
                        indicators=indicators).compute(only)


def tally_full_read(store: str | os.PathLike[str], *, form: Any = None,
                    weights: str | os.PathLike[str] | None = None, weight: str = "weight",
                    min_completes: int = 10, level: float = 0.95,
                    indicators: Indicators | None = None,
                    only: Sequence[str] | None = None) -> Tally:
    """:func:`tally` the slow, plain way (the reference the fast path is tested against).

    Every case and answer read (``read_store_cases``), one estimator call per design.
    """
    from fieldsurvey.weights.io import read_store_cases

    path = Path(store)
    notes: list[str] = []
    cases = read_store_cases(path, answers=True, notes=notes)
    if "released" in cases.columns:
        cases = cases[cases["released"].map(lambda v: v is None or bool(v))]
    if indicators is None:
        indicators = form_and_indicators(path, form)[1]
    weightings: tuple[str, ...] = ("unweighted", "design")
    device = any("one device's store" in n for n in notes)
    if weights is not None:
        from fieldsurvey.weights.io import read_case_file

        cases = join_weights(cases, read_case_file(Path(weights)), weight=weight,
                             file=str(weights), device=device)
        weightings += ("final",)
    disp = cases["disposition"].astype("string")
    resp = indicators.scored(cases[disp.isin(RESPONDENT_CODES)].reset_index(drop=True))
    resp["community_id"] = resp["community_id"].astype("string")
    frames = [_estimates(resp, indicators, w, level, str(path)) for w in weightings
              if len(resp) and (only is None or w in only)]
    est = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    completes = cases[disp == "1.1"].groupby(cases["community_id"].astype(str)).size()
    names = {}
    if "name" in cases.columns:
        named = cases.dropna(subset=["name"]).drop_duplicates("community_id")
        names = dict(zip(named["community_id"].astype(str), named["name"].astype(str),
                         strict=True))
    return Tally(rates=_rates(cases), estimates=est, indicators=indicators,
                 completes={str(k): int(v) for k, v in completes.items()}, names=names,
                 min_completes=min_completes, weightings=weightings, notes=tuple(notes),
                 respondents=len(resp))


def _pinned_form(st: Any) -> tuple[str, bytes] | None:
    """The file name and bytes of the one form pinned in a store (None if not one)."""
    import importlib

    if hasattr(st, "forms"):
        pinned = st.forms()
        get = st.form_file
    else:  # the store's read functions as plain functions over its connection
        queries = importlib.import_module("fieldsurvey.store.queries")
        pinned = queries.forms(st.connection)

        def get(form_id: str, version: str) -> tuple[str, bytes]:
            name, content = queries.form_file(st.connection, form_id, version)
            return str(name), bytes(content)
    if len(pinned) != 1:
        return None
    name, content = get(pinned[0]["form_id"], pinned[0]["version"])
    return str(name), bytes(content)


def form_and_indicators(store: str | os.PathLike[str], form: Any = None) -> tuple[Any, Indicators]:
    """The questionnaire (given, or pinned in the store) and the indicators it declares."""
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.questionnaire.indicators import read_indicators

    if form is None:
        import tempfile

        from fieldsurvey.store import FieldStore

        with FieldStore.open(Path(store), readonly=True, check=False) as st:
            got = _pinned_form(st)
        if got is None:
            return None, Indicators(())
        name, content = got
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / Path(name).name
            p.write_bytes(content)
            loaded = load_form(p)
            return loaded, read_indicators(loaded)
    if isinstance(form, str | os.PathLike):
        form = load_form(Path(form))
    return form, read_indicators(form)
