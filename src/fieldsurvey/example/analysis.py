"""The standard analysis of a resident survey: rates, weights and the headline estimates.

This is the analyst's path through the library after fieldwork, in one place so that
``fieldsurvey demo`` and the PDF report compute the same numbers the same way:

1. :func:`case_table` — one row per released case from the merged store, with the
   respondent's answers and the calibration variables (``sex``, ``age_group``) derived
   from them;
2. :func:`final_weights` — base weight × unknown-eligibility × nonresponse (within
   communities, collapsed when small) × respondent selection (Kish probability),
   then raked to the population's sex and age-group margins and trimmed;
3. :func:`headline_estimates` — the design-based estimates of the indicators the
   questionnaire declares (:mod:`fieldsurvey.questionnaire.indicators`, estimated by
   :func:`fieldsurvey.estimate.tally.indicator_table`; Taylor linearisation, strata =
   sampling strata, PSU = community, with-replacement approximation at stage 1, lonely
   PSUs ``adjust``): satisfaction per item (top-two-box, mean, 0–100 index) and the
   composite index, participation in community affairs, the share naming each need,
   each overall and by community type. The PDF report uses the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "AGE_GROUPS",
    "Headline",
    "case_table",
    "final_weights",
    "headline_estimates",
]

#: Age groups of the population margins (``maps/margins.csv``).
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("18-29", 18, 29), ("30-39", 30, 39), ("40-49", 40, 49),
    ("50-59", 50, 59), ("60-69", 60, 69), ("70+", 70, 200),
)
RESPONDENT_CODES = ("1.1", "1.2")


def case_table(store: str | Path, *, reference_year: int, min_age: int = 18) -> pd.DataFrame:
    """One row per case of a merged store with answers, ``sex`` and ``age_group``.

    The respondent's sex is ``a1`` (1 male, 2 female) and the age is computed from the
    year of birth (``a2``) at ``reference_year``. When an interview broke off before
    those questions, or they got a special answer, the selected person's sex and age
    are taken from the household roster recorded for the respondent selection, so
    every respondent can be calibrated (the column ``calibration_source`` says which).
    """
    from fieldsurvey.store.store import FieldStore
    from fieldsurvey.weights.io import read_store_cases

    cases = read_store_cases(store, answers=True)
    sex = (cases["a1"].astype("string").map({"1": "male", "2": "female"})
           if "a1" in cases.columns else pd.Series(pd.NA, index=cases.index, dtype="string"))
    age = (reference_year - pd.to_numeric(cases["a2"], errors="coerce")
           if "a2" in cases.columns else pd.Series(np.nan, index=cases.index))
    age = age.where((age >= 0) & (age < 130))
    # A year of birth gives the age to within a year; respondents are adults by design,
    # so "17" from a 2009 birth year at reference year 2026 is an 18-year-old.
    age = age.where(~((age >= min_age - 1) & (age < min_age)), float(min_age))
    source = pd.Series("answers", index=cases.index, dtype="string")
    need = ((sex.isna() | age.isna()) & cases["chosen_line"].notna()
            if "chosen_line" in cases else None)
    if need is not None and need.any():
        with FieldStore.open(store, readonly=True) as st:
            for i in map(int, np.flatnonzero(need.to_numpy())):
                row = cases.iloc[i]
                line = int(row["chosen_line"])
                person = next((m for m in st.roster(str(row["dwelling_id"]))
                               if m["line"] == line), None)
                if person is None:
                    continue
                if pd.isna(sex.iloc[i]) and person.get("sex") in ("male", "female"):
                    sex.iloc[i] = person["sex"]
                if pd.isna(age.iloc[i]) and person.get("age") is not None:
                    age.iloc[i] = float(person["age"])
                source.iloc[i] = "roster"
    cases["sex"] = sex
    cases["age"] = age
    cases["calibration_source"] = source
    if len(cases):
        bins = [g[1] - 1 for g in AGE_GROUPS] + [AGE_GROUPS[-1][2]]
        cases["age_group"] = pd.cut(age, bins, labels=[g[0] for g in AGE_GROUPS]).astype("string")
    return cases


def final_weights(sample: pd.DataFrame, cases: pd.DataFrame,
                  margins: Mapping[str, Mapping[Any, float]], *,
                  variables: Sequence[str] = ("sex", "age_group"),
                  trim: float | None = 3.5) -> Any:
    """Final weights (see the module docstring); returns the weights pipeline's result."""
    from fieldsurvey.weights.pipeline import weight_sample

    chosen = {k: v for k, v in margins.items() if k in variables}
    return weight_sample(sample, cases, weight_class="community", margins=chosen,
                         method="rake", trim=trim)


@dataclass(frozen=True)
class Headline:
    """The headline estimates: one tidy table (the estimate rows) plus labels."""

    table: pd.DataFrame
    respondents: int
    weighted_total: float

    def get(self, variable: str, statistic: str, domain: str = "") -> pd.Series:
        """The row of one estimate (overall when ``domain`` is empty)."""
        t = self.table
        rows = t[(t["variable"] == variable) & (t["statistic"] == statistic)
                 & (t["domain"].fillna("") == domain)]
        if rows.empty:
            raise KeyError((variable, statistic, domain))
        return rows.iloc[0]


def respondents_of(weighted: pd.DataFrame) -> pd.DataFrame:
    """The respondents (final disposition 1.1 or 1.2) with a positive weight."""
    disp = weighted["disposition"].astype("string")
    return weighted[disp.isin(RESPONDENT_CODES) & (weighted["weight"] > 0)].reset_index(drop=True)


def headline_estimates(weighted: pd.DataFrame, *, form: Any = None, by: str = "type",
                       margins: Mapping[str, Mapping[Any, float]] | None = None) -> Headline:
    """The form's declared indicators, overall and by ``by`` (see the module docstring).

    Parameters
    ----------
    weighted
        The weighted cases (the ``cases`` of :func:`final_weights`' result), with the
        answers, ``stratum``, ``community_id`` and ``weight``.
    form
        The questionnaire (default: the example form); its indicator declaration says
        which items are estimated and how the composite index is made
        (:mod:`fieldsurvey.questionnaire.indicators`).
    margins
        The calibration margins the final weights were raked to: the design is raked to
        them (:meth:`SurveyDesign.rake`), so the standard errors carry the calibration
        (the ``variance`` column says so); without them the weights are taken as fixed.
    """
    from fieldsurvey.estimate import SurveyDesign
    from fieldsurvey.estimate.tally import indicator_table
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.questionnaire.indicators import read_indicators

    if form is None:
        from fieldsurvey.example.demo import demo_form_path

        form = load_form(demo_form_path())
    ind = read_indicators(form)
    resp = ind.scored(respondents_of(weighted))
    domains = [by] if by in resp.columns else []
    des = SurveyDesign.community_survey(resp)
    if margins:
        des = des.rake(margins)
    tables = [indicator_table(des, ind)]
    if domains:
        tables.append(indicator_table(des, ind, by=domains))
    method = str(getattr(des, "variance_method", tables[0].method))
    frames = [t.to_frame().assign(variance=method) for t in tables]
    table = pd.concat(frames, ignore_index=True)
    table["label"] = [_label(form, v) for v in table["variable"]]
    return Headline(table=table, respondents=len(resp),
                    weighted_total=float(np.sum(resp["weight"])))


def _label(form: Any, variable: str) -> str:
    """Chinese label of an item or of one option of a select_multiple (``c3_2``)."""
    name, _, code = variable.partition("_")
    if code == "any":
        return "过去12个月参加过至少一项社区活动"
    try:
        q = form.question(name)
    except KeyError:  # not a question of the form (derived variables)
        if variable.endswith("_any"):
            return "过去12个月参加过至少一项社区活动"
        return {"satisfaction_index": "综合满意度指数"}.get(variable, variable)
    if code and q.choice_list:
        for c in form.choice_lists[q.choice_list].choices:
            if c.name == code:
                return str(c.label.get("zh"))
    return str(q.label.get("zh"))
