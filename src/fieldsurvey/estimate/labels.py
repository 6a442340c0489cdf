"""Value labels and missing-value codes of an analysis file, applied to data and results.

A respondent file reaches the analyst with its codes explained elsewhere: an SPSS ``.sav``
or Stata ``.dta`` carries value labels (``1 = 男``) and declares some codes missing (SPSS
user-missing, Stata ``.a``-``.z``; the readers already turn those into missing values), and
``fieldsurvey export`` writes CSV or Parquet with ``codebook_values.csv`` beside them listing
every variable's codes, labels and which codes are special answers (-8 不知道, -9 拒绝回答).
Estimates of such a file must

* leave special answers out of means, totals, proportions and domains (as R does after
  ``haven::zap_missing`` or Stata after ``mvdecode``), and
* show the categories of ``--prop``, a categorical ``--total`` and ``--by`` domains by
  their labels (as ``haven::as_factor`` and Stata's ``svy: proportion`` do).

:class:`Codebook` holds both for a file; :func:`drop_missing_codes` and
:func:`label_estimates` apply them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import level_label
from fieldsurvey.estimate.results import EstimateTable

__all__ = ["Codebook", "code_text", "drop_missing_codes", "label_estimates", "labels_for_margins"]


def code_text(value: object) -> str:
    """A code as text: integral numbers without ``.0`` (``1.0`` and ``"1.0"`` -> ``"1"``)."""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        f = float(value)
        return str(int(f)) if np.isfinite(f) and f.is_integer() else repr(f)
    text = str(value).strip()
    try:
        f = float(text)
    except ValueError:
        return text
    return str(int(f)) if np.isfinite(f) and f.is_integer() and "e" not in text.lower() else text


@dataclass(frozen=True)
class Codebook:
    """Value labels and missing codes per column (codes as :func:`code_text`).

    Attributes
    ----------
    labels
        ``{column: {code: label}}``.
    missing
        ``{column: {code, ...}}``: codes that are special answers, not values.
    source
        Where they came from, for messages (``nhanes.sav``, ``codebook_values.csv``).
    """

    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    missing: Mapping[str, frozenset[str]] = field(default_factory=dict)
    source: str = ""

    def __bool__(self) -> bool:
        return bool(self.labels) or bool(self.missing)

    @classmethod
    def from_values_table(cls, table: pd.DataFrame, source: str = "") -> Codebook:
        """From ``codebook_values.csv``: columns variable, code, label and (optional) missing."""
        labels: dict[str, dict[str, str]] = {}
        missing: dict[str, set[str]] = {}
        flags = (table["missing"].astype(str).str.strip().str.lower()
                 if "missing" in table.columns else pd.Series("no", index=table.index))
        for var, code, label, flag in zip(table["variable"], table["code"], table["label"],
                                          flags, strict=True):
            if pd.isna(var) or pd.isna(code):
                continue
            key = code_text(code)
            if not pd.isna(label) and str(label).strip():
                labels.setdefault(str(var), {})[key] = str(label)
            if flag in ("yes", "true", "1", "y"):
                missing.setdefault(str(var), set()).add(key)
        return cls(labels, {k: frozenset(v) for k, v in missing.items()}, source)

    def with_missing_codes(self, columns: Iterable[str], codes: Iterable[object]) -> Codebook:
        """The codebook with ``codes`` also missing in every one of ``columns``."""
        extra = frozenset(code_text(c) for c in codes)
        if not extra:
            return self
        missing = dict(self.missing)
        for col in columns:
            missing[col] = missing.get(col, frozenset()) | extra
        return Codebook(self.labels, missing, self.source)


def drop_missing_codes(data: pd.DataFrame, book: Codebook,
                       columns: Iterable[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Set the missing codes of ``columns`` to missing; return the data and counts per column.

    Only the analysis columns are touched (never the design's weights, strata or clusters).
    """
    out = data
    counts: dict[str, int] = {}
    for col in dict.fromkeys(columns):
        codes = book.missing.get(col)
        if not codes or col not in data.columns:
            continue
        s = data[col]
        if pd.api.types.is_numeric_dtype(s.dtype):
            numeric = [float(c) for c in codes if _is_number(c)]
            hit = s.isin(numeric).to_numpy()
        else:
            found = [u for u in s.dropna().unique() if code_text(u) in codes]
            hit = s.isin(found).to_numpy()
        n = int(hit.sum())
        if n:
            if out is data:
                out = data.copy()
            out[col] = s.mask(hit)
            counts[col] = n
    return out, counts


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labelled(book: Codebook, column: str, value: Any) -> Any:
    labels = book.labels.get(column)
    if not labels or value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    key = code_text(value)
    label = labels.get(key)
    if label is None:
        return value
    if sum(1 for v in labels.values() if v == label) > 1:
        return f"{key} {label}"  # two codes share the label: keep them apart
    return label


def label_estimates(table: EstimateTable, book: Codebook) -> EstimateTable:
    """Show categories and domains by their value labels (codes without a label stay)."""
    if not book.labels:
        return table
    rows = []
    for r in table.rows:
        new: dict[str, Any] = {}
        if r.by:
            by = tuple((var, _labelled(book, var, val)) for var, val in r.by)
            if by != r.by:
                new["by"] = by
                new["domain"] = ", ".join(f"{var}={level_label(val)}" for var, val in by)
        if r.level is not None and r.statistic in ("prop", "total") and r.variable in book.labels:
            lab = _labelled(book, r.variable, r.level)
            if lab != r.level:
                new["level"] = str(lab)
        rows.append(replace(r, **new) if new else r)
    return EstimateTable(tuple(rows), table.method)


def labels_for_margins(data: pd.DataFrame, book: Codebook,
                       margins: Mapping[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Columns whose margins name value labels (男, 女) rather than codes (1, 2), relabelled.

    A margins file is written from census tables, in words; a ``.sav`` holds codes with
    labels. A categorical margin whose levels are all labels of the column (and not all its
    codes) gets the column's codes replaced by their labels. Returns the data and the
    columns relabelled.
    """
    out = data
    done: list[str] = []
    for var, levels in margins.items():
        labels = book.labels.get(str(var))
        if not labels or not isinstance(levels, Mapping) or str(var) not in data.columns:
            continue
        wanted = {str(k).strip() for k in levels}
        if wanted <= set(labels) or not wanted <= set(labels.values()):
            continue
        col = data[str(var)]
        mapping = {v: labels.get(code_text(v), v) for v in col.dropna().unique()}
        if out is data:
            out = data.copy()
        out[str(var)] = col.map(mapping).astype(object)
        done.append(str(var))
    return out, done
