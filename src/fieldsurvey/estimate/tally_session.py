"""The tally of a store kept up to date: read once, then only what a sync or merge changed.

:class:`TallySession` is what the TUI's tally screen holds (and what :func:`.tally.tally`
runs once). Its first :meth:`~TallySession.compute` reads the store's tally columns with
:class:`fieldsurvey.store.tally_reads.TallyReader` (the indicator questions' answers and
the case fields, not every answer), scores them by the form's indicators and estimates
with :func:`fieldsurvey.estimate.tally_stats.indicator_frame`; a later call re-reads only
the cases with newer events, and when nothing was written returns the figures it has.
The figures are those of :func:`.tally.tally_full_read` (the plain path, one estimator
call per design: ``tests/test_tally_fast.py`` compares them).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate.tally import (
    RESPONDENT_CODES,
    Tally,
    _rates,
    form_and_indicators,
    join_weights,
    tally_weights,
)
from fieldsurvey.questionnaire.indicators import Indicators

__all__ = ["TallySession"]


def _fast_estimates(resp: pd.DataFrame, ind: Indicators, weighting: str, level: float,
                    source: str | None, communities: Collection[str] | None = None,
                    previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """What :func:`_estimates` gives, from :func:`.tally_stats.indicator_frame`.

    On a refresh only ``communities`` are estimated again, the others' rows taken from
    ``previous``.
    """
    from fieldsurvey.estimate.tally_stats import indicator_frame

    out = indicator_frame(resp, ind, tally_weights(resp, weighting), level=level,
                          source=source, communities=communities, previous=previous)
    out["weighting"] = weighting
    out["community_id"] = out["community_id"].astype("string").fillna("")
    return out


def _read_columns(ind: Indicators) -> tuple[list[str], dict[str, list[str]]]:
    """The questions (scales) and choice columns (select_multiple) the tally reads."""
    scales = [i.name for i in ind.items if i.is_scale]
    multiples = {i.name: [c for c, _ in i.options] + ([i.none] if i.none else [])
                 for i in ind.items if not i.is_scale}
    return scales, multiples


class TallySession:
    """The tally of one store, computed again as the store changes (the tally screen's).

    The first :meth:`compute` reads the store's tally columns
    (:class:`fieldsurvey.store.tally_reads.TallyReader`); later ones re-read only the
    cases written since (a sync, a merge) and, when nothing was written, reuse the
    figures already computed. The parameters are :func:`tally`'s.
    """

    def __init__(self, store: str | os.PathLike[str], *, form: Any = None,
                 weights: str | os.PathLike[str] | None = None, weight: str = "weight",
                 min_completes: int = 10, level: float = 0.95,
                 indicators: Indicators | None = None) -> None:
        self.path = Path(store)
        self.form = form
        self.weights = weights
        self.weight = weight
        self.min_completes = min_completes
        self.level = level
        self.indicators = indicators
        self._reader: Any = None
        self._last: Tally | None = None
        self._cases: pd.DataFrame | None = None
        self._resp: pd.DataFrame | None = None
        self._notes: list[str] = []
        # the communities whose cases the last read changed (None: everything read)
        self._touched: set[str] | None = None

    def _read(self) -> bool:
        """Read (or re-read what changed); True when the data changed."""
        from fieldsurvey.store.tally_reads import TallyReader

        if self.indicators is None:
            self.indicators = form_and_indicators(self.path, self.form)[1]
        if self._reader is None:
            scales, multiples = _read_columns(self.indicators)
            self._reader = TallyReader(self.path, scales, multiples)
            got = self._reader.read()
        else:
            got = self._reader.refresh()
            if got is None:
                return False
        cases = got.frame
        self._touched = None
        if got.changed_ids is not None and self._cases is not None:
            ids = set(got.changed_ids)
            self._touched = {str(c) for frame in (self._cases, cases) for c in
                             frame.loc[frame["dwelling_id"].isin(ids), "community_id"]}
        cases = cases[cases["released"].isna() | (cases["released"].fillna(0) != 0)]
        self._notes = list(got.notes)
        if self.weights is not None:
            from fieldsurvey.weights.io import read_case_file

            device = any("one device's store" in n for n in self._notes)
            cases = join_weights(cases, read_case_file(Path(self.weights)), weight=self.weight,
                                 file=str(self.weights), device=device)
        changed = set(got.changed_ids) if self._touched is not None and got.changed_ids \
            is not None else None
        self._resp = self._respondents(cases, changed)
        self._cases = cases
        return True

    def _respondents(self, cases: pd.DataFrame, changed: set[str] | None) -> pd.DataFrame:
        """The respondents among ``cases``, scored.

        After a read of the ``changed`` cases only those are scored again (scoring is row
        by row), the others kept.
        """
        from fieldsurvey.estimate.tally_stats import scored

        assert self.indicators is not None
        disp = cases["disposition"].astype("string")
        rc = cases[disp.isin(RESPONDENT_CODES).to_numpy()].reset_index(drop=True)
        old = self._resp
        if changed is not None and old is not None:
            new = rc["dwelling_id"].isin(changed).to_numpy()
            at = pd.Index(old["dwelling_id"]).get_indexer(rc["dwelling_id"][~new])
            fresh = scored(rc[new].reset_index(drop=True), self.indicators)
            if (at >= 0).all() and list(fresh.columns) == list(old.columns):
                fresh["community_id"] = fresh["community_id"].astype("string")
                both = pd.concat([old.take(at), fresh], ignore_index=True)
                place = np.concatenate([np.flatnonzero(~new), np.flatnonzero(new)])
                return both.take(np.argsort(place, kind="stable")).reset_index(drop=True)
        resp = scored(rc, self.indicators)
        resp["community_id"] = resp["community_id"].astype("string")
        return resp

    def compute(self, only: Sequence[str] | None = None) -> Tally:
        """The tally now: rates, and the estimates of ``only`` these weightings (all).

        Raises
        ------
        StoreError, QuestionnaireError, InputError, EstimationError
        """
        changed = self._read()
        assert self._cases is not None and self._resp is not None
        assert self.indicators is not None
        weightings: tuple[str, ...] = ("unweighted", "design")
        if self.weights is not None:
            weightings += ("final",)
        wanted = [w for w in weightings if only is None or w in only]
        last = self._last
        if not changed and last is not None:
            have = set(last.estimates["weighting"]) if not last.estimates.empty else set()
            todo = [w for w in wanted if w not in have]
            if not todo:
                return last
            frames = [last.estimates] if not last.estimates.empty else []
            frames += self._estimate(todo)
            est = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            self._last = dataclasses.replace(last, estimates=est)
            return self._last
        frames = self._estimate(wanted, last)
        est = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        cases = self._cases
        disp = cases["disposition"].astype("string")
        completes = cases[disp == "1.1"].groupby(cases["community_id"].astype(str)).size()
        named = cases.dropna(subset=["name"]).drop_duplicates("community_id") \
            if "name" in cases.columns else cases.iloc[:0]
        names = dict(zip(named["community_id"].astype(str), named["name"].astype(str),
                         strict=True)) if len(named) else {}
        self._last = Tally(rates=_rates(cases), estimates=est, indicators=self.indicators,
                           completes={str(k): int(v) for k, v in completes.items()},
                           names=names, min_completes=self.min_completes,
                           weightings=weightings, notes=tuple(self._notes),
                           respondents=len(self._resp))
        return self._last

    def _estimate(self, weightings: Sequence[str], last: Tally | None = None
                  ) -> list[pd.DataFrame]:
        """The estimates of ``weightings``.

        On a refresh after a read of some cases only their communities (and the district)
        are estimated again, the rest taken from ``last``.
        """
        assert self._resp is not None and self.indicators is not None
        if not len(self._resp):
            return []
        out = []
        for w in weightings:
            previous = None
            if last is not None and self._touched is not None and not last.estimates.empty:
                previous = last.estimates[last.estimates["weighting"] == w]
            out.append(_fast_estimates(self._resp, self.indicators, w, self.level,
                                       str(self.path), self._touched,
                                       previous if previous is not None and len(previous)
                                       else None))
        return out
