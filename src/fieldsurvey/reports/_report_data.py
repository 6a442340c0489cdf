"""Gather what the analysis report needs: cases with dispositions, respondents with weights.

* cases: one row per issued case of the merged store with its final AAPOR disposition,
  community, interviewer and community attributes (``fieldsurvey.weights.io.read_store_cases``);
* respondents: one row per interview (``fieldsurvey.store.export.answers_frame``) joined to
  the final weights written by ``fieldsurvey weights`` (by ``dwelling_id``, or
  ``interview_uuid`` when the weights file has it) and to the community attributes;
* the design: strata = the sample's strata, PSUs = communities, the final weights
  (R: ``svydesign(ids=~community_id, strata=~stratum, weights=~weight)``), lonely PSUs
  handled by the ``adjust`` rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, InputError

__all__ = ["ReportData", "load_report_data"]

_ATTRS = ("type", "name", "street")


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

    def design(self) -> Any:
        """The Taylor design over the respondents (strata x community PSUs, final weights)."""
        from fieldsurvey.estimate import SurveyDesign

        return SurveyDesign.community_survey(self.respondents, weights=self.weight,
                                             source=self.weights_file)


def _read_weights(path: Path, weight: str) -> pd.DataFrame:
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
    if out[key].duplicated().any():
        dup = out.loc[out[key].duplicated(), key].iloc[0]
        raise InputError("a case appears twice in the weights file", file=str(path),
                         field=key, got=str(dup), hint="Keep one row per case")
    return out


def load_report_data(db: str | os.PathLike[str], weights: str | os.PathLike[str], *,
                     weight: str = "weight", form: Any = None, lang: str = "zh") -> ReportData:
    """Read the merged store and the weights; join them.

    Raises
    ------
    InputError, ColumnError, StoreError
        Missing or unreadable files, a weights file without the key or weight column,
        invalid weights, or no respondent with a positive weight.
    """
    from fieldsurvey.store.export import answers_frame
    from fieldsurvey.weights.io import read_store_cases

    db_p, w_p = Path(db), Path(weights)
    for p, what in ((db_p, "field store"), (w_p, "weights file")):
        if not p.is_file():
            raise InputError(f"the {what} does not exist", file=str(p),
                             hint="Check the path" if what != "field store" else
                             "Give the merged store (central.sqlite) from 'fieldsurvey merge'")
    cases = read_store_cases(db_p)
    if "released" in cases.columns:
        cases = cases[cases["released"].map(lambda v: v is None or bool(v))]
    wide = answers_frame(db_p, form, language=lang)
    answers = wide.frame
    w = _read_weights(w_p, weight)
    key = "interview_uuid" if "interview_uuid" in w.columns else "dwelling_id"
    resp = answers.assign(**{key: answers[key].astype("string")}).merge(w, on=key, how="inner")
    resp = resp[resp["_w"] > 0].rename(columns={"_w": weight} if weight != "_w" else {})
    notes = []
    unweighted = len(answers) - len(resp)
    if unweighted:
        notes.append(f"{unweighted} interview(s) without a positive weight were left out")
    absent = int(((w["_w"] > 0) & ~w[key].astype("string").isin(answers[key].astype("string")))
                 .sum())
    if absent:
        notes.append(f"{absent} weighted respondent(s) of the weights file are not in this store "
                     "(a device's store instead of the merged central.sqlite?)")
    if resp.empty:
        raise InputError("no interview of the store has a positive weight in the weights file",
                         file=str(w_p), field=key,
                         hint="Give the weights computed from this store ('fieldsurvey weights "
                         "--db STORE')")
    attrs = [c for c in _ATTRS if c in cases.columns and c not in resp.columns]
    if attrs:
        resp = resp.merge(cases[["dwelling_id", *attrs]].drop_duplicates("dwelling_id"),
                          on="dwelling_id", how="left")
    return ReportData(cases=cases.reset_index(drop=True), respondents=resp.reset_index(drop=True),
                      weight=weight, variable_labels=dict(wide.variable_labels),
                      value_labels={k: dict(v) for k, v in wide.value_labels.items()},
                      db=str(db_p), weights_file=str(w_p), notes=tuple(notes))
