"""Gather what the analysis report needs: cases with dispositions, respondents with weights.

* cases: one row per released case of the merged store with its final AAPOR disposition,
  community, interviewer and community attributes (``fieldsurvey.weights.io.read_store_cases``);
* respondents: the main interview of every case whose final disposition is a complete or a
  partial interview (AAPOR 1.1, 1.2) (``fieldsurvey.store.export.answers_frame``), joined
  to the final weights written by ``fieldsurvey weights`` (by ``dwelling_id``, or
  ``interview_uuid`` when the weights file has it) and to the community attributes; other
  interviews (broken off, not the case's final outcome) are counted, not weighted;
* the questionnaire's indicators (:mod:`fieldsurvey.questionnaire.indicators`) and the
  respondents' answers scored by them;
* the design: strata = the sample's strata, PSUs = communities, the final weights
  (R: ``svydesign(ids=~community_id, strata=~stratum, weights=~weight)``), lonely PSUs
  handled by the ``adjust`` rule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.reports._report_text import t

__all__ = ["ReportData", "load_report_data"]

_ATTRS = ("type", "name", "street")
RESPONDENT_CODES = ("1.1", "1.2")


@dataclass(frozen=True)
class ReportData:
    """Inputs of the report, joined and checked."""

    cases: pd.DataFrame
    respondents: pd.DataFrame
    weight: str
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[Any, str]]
    db: str
    weights_file: str
    notes: tuple[str, ...] = field(default=())
    indicators: Any = None
    form: Any = None
    #: what the weights sum to: "persons" (respondents weighted for their selection
    #: within the household) or "households"
    unit: str = "persons"
    unfinished: int = 0
    margins: Mapping[str, Mapping[Any, float]] | None = None

    def design(self) -> Any:
        """The Taylor design over the respondents (strata x community PSUs, final weights).

        Raked to the calibration margins when they are given (the SEs then carry the
        calibration, as R's ``rake``).
        """
        from fieldsurvey.estimate import SurveyDesign

        design = SurveyDesign.community_survey(self.respondents, weights=self.weight,
                                               source=self.weights_file)
        return design.rake(self.margins) if self.margins else design


def _read_weights(path: Path, weight: str, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    from fieldsurvey.weights.io import read_case_file

    w = read_case_file(path, what="weights file")  # CSV, XLSX or Parquet, by content
    key = "interview_uuid" if "interview_uuid" in w.columns else "dwelling_id"
    for col in (key, weight):
        if col not in w.columns:
            raise ColumnError("the weights file lacks a column the report needs", file=str(path),
                              field=col, expected=f"dwelling_id and {weight}",
                              got=", ".join(map(str, w.columns[:20])),
                              hint="Give the file written by 'fieldsurvey weights', or name "
                              "the weight column with --weight-col")
    vals = pd.to_numeric(w[weight], errors="coerce")
    bad = vals.isna() | ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError("a weight is missing, negative or not a number", file=str(path),
                         row=row, field=weight, got=repr(w[weight].iloc[row - 2]),
                         hint="Weights are positive numbers (0 for non-respondents)")
    out = pd.DataFrame({key: w[key].astype("string"), "_w": vals.to_numpy(float)})
    for col in keep:
        if col not in w.columns:
            raise ColumnError("the weights file lacks a calibration variable", file=str(path),
                              field=col, expected=", ".join(keep),
                              got=", ".join(map(str, w.columns[:20])),
                              hint="Give the weights file written by 'fieldsurvey weights' with "
                              "these margins, or leave the margins out")
        out[col] = w[col].astype("string").to_numpy()
    out.attrs["columns"] = tuple(map(str, w.columns))
    if out[key].duplicated().any():
        dup = out.loc[out[key].duplicated(), key].iloc[0]
        raise InputError("a case appears twice in the weights file", file=str(path),
                         field=key, got=str(dup), hint="Keep one row per case")
    return out


def _unit(w: pd.DataFrame, cases: pd.DataFrame) -> str:
    """Persons when the weights carry the respondent's selection within the household."""
    if {"f_person", "f_calibration"} & set(w.attrs.get("columns", ())):
        return "persons"
    if "pi_respondent" in cases.columns:
        pr = pd.to_numeric(cases["pi_respondent"], errors="coerce")
        if bool((pr < 1).any()):
            return "persons"
    return "households"


def load_report_data(db: str | os.PathLike[str], weights: str | os.PathLike[str], *,
                     weight: str = "weight", form: Any = None, lang: str = "zh",
                     margins: Mapping[str, Mapping[Any, float]] | None = None) -> ReportData:
    """Read the merged store and the weights; join them.

    Raises
    ------
    InputError, ColumnError, StoreError, QuestionnaireError
        Missing or unreadable files, a weights file without the key or weight column,
        invalid weights, weights for another sample, or a questionnaire whose indicator
        declaration is wrong.
    """
    from fieldsurvey.estimate.tally import form_and_indicators
    from fieldsurvey.store.export import answers_frame
    from fieldsurvey.weights.io import read_store_cases

    db_p, w_p = Path(db), Path(weights)
    for p, what in ((db_p, "field store"), (w_p, "weights file")):
        if not p.is_file():
            raise InputError(f"the {what} does not exist", file=str(p),
                             hint="Check the path" if what != "field store" else
                             "Give the merged store (central.sqlite) from 'fieldsurvey merge'")
    store_notes: list[str] = []
    cases = read_store_cases(db_p, notes=store_notes)
    if "released" in cases.columns:
        cases = cases[cases["released"].map(lambda v: v is None or bool(v))]
    loaded, indicators = form_and_indicators(db_p, form)
    wide = answers_frame(db_p, loaded, language=lang)
    answers = wide.frame
    if margins:
        # the margins of single variables that the weights file carries (a crossed margin
        # such as sex:age_group is implied by them when raking)
        from fieldsurvey.weights.io import read_case_file

        have = set(map(str, read_case_file(w_p).columns))
        usable = {k: v for k, v in margins.items() if ":" not in str(k) and str(k) in have}
        if not usable:
            raise ColumnError("the weights file has none of the calibration variables",
                              file=str(w_p), field=", ".join(map(str, margins)),
                              expected="columns named as the margins' variables (e.g. sex, "
                              "age_group)", got=", ".join(sorted(have))[:200],
                              hint="Give the weights file written by 'fieldsurvey weights' with "
                              "these margins, or leave the margins out")
        margins = usable
    w = _read_weights(w_p, weight, tuple(margins or ()))
    key = "interview_uuid" if "interview_uuid" in w.columns else "dwelling_id"
    final = cases[cases["disposition"].astype("string").isin(RESPONDENT_CODES)]
    main = set(final["interview_uuid"].dropna().astype(str))
    is_resp = answers["interview_uuid"].astype(str).isin(main)
    unfinished = int((~is_resp).sum())
    answers = answers[is_resp]
    issued = set(cases[key].dropna().astype(str)) if key in cases.columns else \
        set(answers[key].astype(str))
    positive = w[w["_w"] > 0]
    foreign = positive[~positive[key].astype(str).isin(issued)]
    device = any("one device's store" in n for n in store_notes)
    if len(positive) and (len(foreign) == len(positive) or (len(foreign) and not device)):
        raise InputError(
            f"the weights file is for another sample: {len(foreign)} of its "
            f"{len(positive)} weighted respondents are not cases of this store",
            file=str(w_p), field=key, got=f"e.g. {foreign[key].iloc[0]}",
            expected="the weights computed from this survey's sample and store",
            hint="Give the weights written by 'fieldsurvey weights' for this store (same "
            "sample, after the last merge)")
    answers = answers.drop(columns=[c for c in (margins or ()) if c in answers.columns])
    resp = answers.assign(**{key: answers[key].astype("string")}).merge(w, on=key, how="inner")
    resp = resp[resp["_w"] > 0].rename(columns={"_w": weight} if weight != "_w" else {})
    notes = []
    if unfinished:
        notes.append(t("note_unfinished", lang, k=unfinished))
    unweighted = len(answers) - len(resp)
    if unweighted:
        notes.append(t("note_unweighted", lang, k=unweighted))
    absent = int((~positive[key].astype(str).isin(set(answers[key].astype(str)))).sum())
    if device and absent:
        notes.append(t("note_device", lang, k=absent))
    if resp.empty:
        raise InputError("no interview of the store has a positive weight in the weights file",
                         file=str(w_p), field=key,
                         hint="Give the weights computed from this store ('fieldsurvey weights "
                         "--db STORE')")
    attrs = [c for c in _ATTRS if c in cases.columns and c not in resp.columns]
    extra = [c for c in ("pi_respondent",) if c in cases.columns and c not in resp.columns]
    if attrs or extra:
        resp = resp.merge(cases[["dwelling_id", *attrs, *extra]].drop_duplicates("dwelling_id"),
                          on="dwelling_id", how="left")
    if indicators is not None:
        resp = indicators.scored(resp)
    return ReportData(cases=cases.reset_index(drop=True), respondents=resp.reset_index(drop=True),
                      weight=weight, variable_labels=dict(wide.variable_labels),
                      value_labels={k: dict(v) for k, v in wide.value_labels.items()},
                      db=str(db_p), weights_file=str(w_p), notes=tuple(notes),
                      indicators=indicators, form=loaded, unit=_unit(w, cases),
                      unfinished=unfinished, margins=margins)
