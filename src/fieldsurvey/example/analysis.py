"""The standard analysis of a resident survey: rates, weights and the headline estimates.

This is the analyst's path through the library after fieldwork, in one place so that
``fieldsurvey demo`` and the PDF report compute the same numbers the same way:

1. :func:`case_table` — one row per released case from the merged store, with the
   respondent's answers and the calibration variables (``sex``, ``age_group``) derived
   from them;
2. :func:`final_weights` — base weight × unknown-eligibility × nonresponse (within
   communities, collapsed when small) × respondent selection (Kish probability),
   then raked to the population's sex and age-group margins and trimmed;
3. :func:`headline_estimates` — the design-based estimates of the example questionnaire
   (:mod:`fieldsurvey.estimate`, Taylor linearisation, strata = sampling strata,
   PSU = community, with-replacement approximation at stage 1, lonely PSUs ``adjust``):
   satisfaction per area and overall (top-two-box, mean, 0–100 index), participation in
   community affairs, the ranking of the 31 needs, each overall and by community type.

The questionnaire's item names (``d1``…``d12``, ``d0``; ``b1``; ``c1``…``c11``) are those of
the shipped example form; other forms pass their own item lists.
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
    "SATISFACTION_ITEMS",
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
#: Satisfaction items of the example form: 12 areas and overall (d0).
SATISFACTION_ITEMS: tuple[str, ...] = tuple(f"d{i}" for i in range(1, 13)) + ("d0",)
#: Need categories of the example form (select_multiple, one per category).
NEED_QUESTIONS: tuple[str, ...] = tuple(f"c{i}" for i in range(1, 12))
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
    need = (sex.isna() | age.isna()) & cases["chosen_line"].notna() if "chosen_line" in cases else None
    if need is not None and need.any():
        with FieldStore.open(store, readonly=True) as st:
            for i in np.flatnonzero(need.to_numpy()):
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
                       satisfaction: Sequence[str] = SATISFACTION_ITEMS,
                       needs: Sequence[str] = NEED_QUESTIONS,
                       participation: str = "b1") -> Headline:
    """Satisfaction, participation and needs estimates, overall and by ``by``.

    Parameters
    ----------
    weighted
        The weighted cases (the ``cases`` of :func:`final_weights`' result), with the
        answers, ``stratum``, ``community_id`` and ``weight``.
    form
        The questionnaire, for the labels of the items (optional).
    """
    from fieldsurvey.estimate import SurveyDesign, satisfaction_summary, svymean

    resp = respondents_of(weighted).copy()
    domains = [by] if by in resp.columns else []
    # participation: anything but "none of these" (b1_0) in the select_multiple
    none_col = f"{participation}_0"
    numeric: list[str] = []
    if none_col in resp.columns:
        flag = pd.to_numeric(resp[none_col], errors="coerce")
        resp["participated"] = (1 - flag).where(flag.isin([0, 1]))
        numeric.append("participated")
    need_cols = [c for q in needs for c in resp.columns
                 if c.startswith(f"{q}_") and c[len(q) + 1:].isdigit() and c[len(q) + 1:] != "0"]
    for c in need_cols:
        resp[c] = pd.to_numeric(resp[c], errors="coerce").astype(float)
    items = [c for c in satisfaction if c in resp.columns]
    for c in items:
        resp[c] = pd.to_numeric(resp[c], errors="coerce").astype(float)
    design = SurveyDesign.community_survey(resp)
    frames = []
    if items:
        frames.append(satisfaction_summary(design, items, by=domains or None).to_frame())
    means = [*numeric, *need_cols]
    if means:
        frames.append(svymean(means, design).to_frame())
        if domains:
            frames.append(svymean(means, design, by=domains).to_frame())
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if form is not None and len(table):
        table["label"] = [_label(form, v) for v in table["variable"]]
    return Headline(table=table, respondents=len(resp),
                    weighted_total=float(np.sum(resp["weight"])))


def _label(form: Any, variable: str) -> str:
    """Chinese label of an item or of one option of a select_multiple (``c3_2``)."""
    name, _, code = variable.partition("_")
    try:
        q = form.question(name)
    except KeyError:  # not a question of the form (derived variables)
        return {"participated": "过去12个月参加过社区活动", "satisfaction_index": "综合满意度指数"}.get(
            variable, variable)
    if code and q.choice_list:
        for c in form.choice_lists[q.choice_list].choices:
            if c.name == code:
                return c.label.get("zh")
    return q.label.get("zh")
