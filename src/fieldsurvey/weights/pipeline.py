"""The whole weighting chain for a drawn sample, with the diagnostics of every step.

base → eligibility → nonresponse → person → calibration (→ trimming):

1. Base weight of each released dwelling (``base_weight`` of the sample, else 1/π).
2. Unknown-eligibility and nonresponse adjustment within weighting classes, from the final
   dispositions (:func:`~fieldsurvey.weights.nonresponse.adjust_nonresponse`).
3. Within-household selection: respondents × 1/π_respondent (``pi_respondent``) or × k
   (``eligible_count``),
   when the case data carry it, so the weights refer to persons.
4. Calibration of the respondents to the population margins (raking or post-stratification),
   then trimming if asked.

Released dwellings without any disposition are counted as 3.11 (not attempted), as the field
store does for a case with no attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, FieldsurveyError, WeightingError
from fieldsurvey.weights.base import base_weights
from fieldsurvey.weights.calibrate import CalibrationResult, poststratify, rake
from fieldsurvey.weights.diagnostics import WeightDiagnostics, weight_diagnostics
from fieldsurvey.weights.nonresponse import NonresponseResult, adjust_nonresponse
from fieldsurvey.weights.trim import trim_weights

__all__ = ["PipelineResult", "weight_sample"]

NOT_ATTEMPTED = "3.11"
CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "community": ("community", "community_id"),
    "interviewer": ("interviewer", "interviewer_id"),
}


@dataclass(frozen=True)
class PipelineResult:
    """Final weights of a sample and what each step did.

    Attributes
    ----------
    cases
        One row per released case: the sample and case columns, ``base_weight``,
        ``weight_class``, ``f_eligibility``, ``f_nonresponse``, ``f_person``,
        ``f_calibration`` and the final ``weight`` (0 for non-respondents).
    nonresponse, calibration, diagnostics
        The results of the steps.
    not_attempted
        Released cases that had no disposition (counted as 3.11).
    """

    cases: pd.DataFrame
    nonresponse: NonresponseResult
    calibration: CalibrationResult
    diagnostics: WeightDiagnostics
    not_attempted: int
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of every step."""
        return {
            "cases": len(self.cases),
            "respondents": int(self.nonresponse.cases["respondent"].sum()),
            "not_attempted": self.not_attempted,
            "classes": self.nonresponse.classes.reset_index().to_dict(orient="records"),
            "collapses": self.nonresponse.collapses.to_dict(orient="records"),
            "notes": [*self.notes, *self.nonresponse.notes, *self.calibration.notes],
            "calibration": {"method": self.calibration.method,
                            "iterations": self.calibration.iterations,
                            "max_rel_error": self.calibration.max_rel_error,
                            "cap": self.calibration.cap, "trimmed": self.calibration.trimmed},
            "diagnostics": self.diagnostics.to_dict(),
        }


def _truthy(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "t", "1.0"]).to_numpy()


def _resolve(columns: pd.Index, name: str, file: str | None) -> str:
    if name in columns:
        return name
    for col in CLASS_ALIASES.get(name, ()):
        if col in columns:
            return col
    raise ColumnError("there is no such weighting class column", file=file, field=name,
                      got=", ".join(map(str, columns)))


@dataclass(frozen=True)
class _Origin:
    """Where each merged row and column came from, to name the right file and row."""

    sample_file: str | None
    cases_file: str | None
    sample_rows: np.ndarray  # file row number of each merged row in the sample file
    case_rows: np.ndarray  # ... in the cases file (0 when the case had no row there)
    sample_columns: frozenset[str]

    def locate(self, err: FieldsurveyError) -> FieldsurveyError:
        """The error with its row (a position in the merged data) turned into a file row."""
        if err.row is None or err.file not in (self.sample_file, self.cases_file):
            return err
        pos = err.row - 2
        if not 0 <= pos < self.sample_rows.size:
            return err
        from_sample = (err.field in self.sample_columns if err.field is not None
                       else err.file == self.sample_file)
        if from_sample:
            return replace(err, file=self.sample_file, row=int(self.sample_rows[pos]))
        row = int(self.case_rows[pos])
        return replace(err, file=self.cases_file, row=row or None)


def _join(sample: pd.DataFrame, cases: pd.DataFrame, sample_file: str | None,
          cases_file: str | None) -> tuple[pd.DataFrame, int, _Origin]:
    for frame, cols, file in ((sample, ("dwelling_id",), sample_file),
                              (cases, ("dwelling_id", "disposition"), cases_file)):
        for col in cols:
            if col not in frame.columns:
                raise ColumnError("a required column is missing", file=file, field=col,
                                  got=", ".join(map(str, frame.columns)))
    sample = sample.assign(_sample_row=np.arange(len(sample)) + 2)
    cases = cases.assign(_case_row=np.arange(len(cases)) + 2)
    if "released" in sample.columns:
        sample = sample[_truthy(sample["released"])]
    ids = sample["dwelling_id"].astype(str)
    dup = cases["dwelling_id"].astype(str).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise WeightingError("a case appears twice", file=cases_file, row=i + 2,
                             field="dwelling_id", got=str(cases["dwelling_id"].iloc[i]),
                             hint="Give one final disposition per case")
    unknown = ~cases["dwelling_id"].astype(str).isin(set(ids))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise WeightingError(
            f"{int(unknown.sum())} case(s) are not released dwellings of the sample",
            file=cases_file, row=i + 2, field="dwelling_id", got=str(cases["dwelling_id"].iloc[i]),
            hint="Check that the cases and the sample belong to the same survey",
        )
    extra = [c for c in cases.columns if c not in sample.columns or c == "dwelling_id"]
    right = cases[extra].assign(dwelling_id=cases["dwelling_id"].astype(str))
    merged = sample.assign(dwelling_id=ids).merge(right, on="dwelling_id", how="left",
                                                  validate="one_to_one")
    missing = merged["disposition"].isna()
    merged.loc[missing, "disposition"] = NOT_ATTEMPTED
    origin = _Origin(sample_file, cases_file, merged["_sample_row"].to_numpy(dtype=np.int64),
                     merged["_case_row"].fillna(0).to_numpy(dtype=np.int64),
                     frozenset(map(str, sample.columns)) - {"_sample_row"})
    merged = merged.drop(columns=["_sample_row", "_case_row"]).reset_index(drop=True)
    return merged, int(missing.sum()), origin


def _person_factor(data: pd.DataFrame, resp: np.ndarray, respondent_prob: Sequence[str],
                   eligible: Sequence[str], file: str | None) -> tuple[np.ndarray, str | None]:
    """1/π_respondent for the respondents, from the first column that any respondent fills."""
    rows = data.loc[resp]
    for names, kind in ((respondent_prob, "p"), (eligible, "k")):
        for col in names:
            if col not in rows.columns or rows[col].isna().all():
                continue
            missing = rows[col].isna().to_numpy()
            if missing.any():
                i = int(np.flatnonzero(resp)[np.flatnonzero(missing)[0]])
                raise WeightingError(
                    f"{int(missing.sum())} respondent(s) have no within-household selection "
                    f"probability while others have one", file=file, row=i + 2, field=col,
                    got=f"case {data['dwelling_id'].iloc[i]}",
                    hint="Record the respondent selection of every interview (eligible "
                    "members and chosen line)",
                )
            try:
                if kind == "p":
                    w = base_weights(rows, stages=[col], file=file)
                else:
                    w = base_weights(rows.assign(_one=1.0), stages=["_one"], eligible=col,
                                     file=file)
            except FieldsurveyError as err:  # a row of the respondents -> a row of the data
                if err.row is None:
                    raise
                raise replace(err, row=int(np.flatnonzero(resp)[err.row - 2]) + 2) from None
            return w.to_numpy(), None
    return np.ones(int(resp.sum())), ("no respondent selection probability given: the weights "
                                      "are household weights")


def weight_sample(
    sample: pd.DataFrame,
    cases: pd.DataFrame,
    *,
    weight_class: str = "community",
    margins: Mapping[str, Mapping[Any, float]],
    method: Literal["rake", "poststratify"] = "rake",
    order: Sequence[object] | None = None,
    within: str | None = None,
    min_respondents: int = 20,
    max_factor: float = 3.0,
    e: float | None = None,
    trim: float | None = None,
    trim_quantile: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    respondent_prob: Sequence[str] = ("pi_respondent", "pi_person"),
    eligible: Sequence[str] = ("eligible_count", "n_eligible"),
    sample_file: str | None = None,
    cases_file: str | None = None,
) -> PipelineResult:
    """Final weights from a sample, its final dispositions and population margins.

    Parameters
    ----------
    sample
        The drawn sample (``schema.SAMPLE_COLUMNS``); only released rows are weighted.
    cases
        One row per worked case: ``dwelling_id``, ``disposition`` (final AAPOR code) and,
        for respondents, the calibration variables and optionally ``pi_respondent``
        (or ``pi_person``) or ``eligible_count`` (or ``n_eligible``).
    weight_class
        Weighting class column (``community`` means ``community_id`` when that is the name).
    margins, method, trim, trim_quantile, tol, max_iter
        Calibration (see :func:`~fieldsurvey.weights.calibrate.rake`), and trimming at a
        multiple of the median weight or at a quantile of the weights (at most one).
    order, within, min_respondents, max_factor, e
        Class collapsing and eligibility (see :func:`adjust_nonresponse`).
    respondent_prob, eligible
        Candidate columns (first found is used) of the respondent's within-household
        selection probability, else of the number of eligible persons; neither: household
        weights.

    Returns
    -------
    PipelineResult
    """
    data, not_attempted, origin = _join(sample, cases, sample_file, cases_file)
    try:
        if "base_weight" in data.columns and data["base_weight"].notna().all():
            w0 = pd.to_numeric(data["base_weight"], errors="coerce")
            if w0.isna().any() or (w0 <= 0).any():
                i = int(np.flatnonzero((w0.isna() | (w0 <= 0)).to_numpy())[0])
                raise WeightingError("a base weight is not a positive number", file=sample_file,
                                     row=i + 2, field="base_weight",
                                     got=repr(data["base_weight"][i]))
            data["base_weight"] = w0.to_numpy(dtype=float)
        else:
            data["base_weight"] = base_weights(data, file=sample_file).to_numpy()
        cls = _resolve(data.columns, weight_class, sample_file)
        nr = adjust_nonresponse(data, weights="base_weight", disposition="disposition", classes=cls,
                                order=order, within=within, min_respondents=min_respondents,
                                max_factor=max_factor,
                                e=e, file=cases_file)
        resp = nr.cases["respondent"].to_numpy()
        f_person = np.ones(len(data))
        f_person[resp], person_note = _person_factor(data, resp, respondent_prob, eligible,
                                                     cases_file)
        w_nr = nr.weights.to_numpy()
        w_person = w_nr * f_person
        if method == "poststratify":
            if len(margins) != 1:
                raise WeightingError("post-stratification takes one variable (cross-classify as "
                                     "a:b)", field="margins", got=", ".join(map(str, margins)))
            (var, totals), = margins.items()
            cal = poststratify(data, w_person, var, totals, file=cases_file)
        else:
            cal = rake(data, w_person, margins, tol=tol, max_iter=max_iter, file=cases_file)
        if trim is not None or trim_quantile is not None:
            cal = trim_weights(data, cal.weights.to_numpy(), cap=trim, quantile=trim_quantile,
                               margins=margins, method=method, tol=tol, file=cases_file)
        final = cal.weights.to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            f_cal = np.where(w_person > 0, final / np.where(w_person > 0, w_person, 1.0), np.nan)
        out = data.copy()
        out["weight_class"] = nr.cases["weight_class"].to_numpy()
        out["category"] = nr.cases["category"].to_numpy()
        out["f_eligibility"] = nr.cases["f_eligibility"].to_numpy()
        out["f_nonresponse"] = nr.cases["f_nonresponse"].to_numpy()
        out["w_nonresponse"] = w_nr
        out["f_person"] = np.where(resp, f_person, np.nan)
        out["w_precalibration"] = w_person  # what estimate --calibration re-calibrates
        out["f_calibration"] = f_cal
        out["weight"] = final
        if not (final[resp] > 0).any():
            raise WeightingError("no respondent has a positive weight", file=cases_file)
        diag = weight_diagnostics(
            final[resp], data=data.loc[resp], margins=margins,
            classes=out["weight_class"].to_numpy()[resp],
            factors={
                "eligibility": out["f_eligibility"].to_numpy()[resp],
                "nonresponse": out["f_nonresponse"].to_numpy()[resp],
                "person": f_person[resp],
                "calibration": f_cal[resp],
            },
        )
        return PipelineResult(cases=out, nonresponse=nr, calibration=cal, diagnostics=diag,
                              not_attempted=not_attempted,
                              notes=(person_note,) if person_note else ())
    except FieldsurveyError as err:
        raise origin.locate(err) from None
