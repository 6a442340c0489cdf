"""Read the case files and margin files that rates and weighting work from.

Tables are read by :func:`fieldsurvey.io.tables.read_table` (CSV in UTF-8, UTF-8 with BOM
or GBK, XLSX, Parquet); every column is read as text so that codes such as ``2.10`` or ids
with leading zeros survive unchanged.
A margins file has one row per level of each calibration variable::

    variable,level,total
    sex,male,51234
    sex,female,50766
    age,18-29,20001
    ...

A variable named ``a:b`` is the cross-classification of columns ``a`` and ``b`` (levels
written ``x:y``), for post-stratification on cells.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, WeightingError
from fieldsurvey.io.tables import file_row, read_table

__all__ = ["level_codes", "level_keys", "margins_from_frame", "read_case_file", "read_margins",
           "read_store_cases"]

Margins = dict[str, dict[str, float]]


def read_case_file(path: str | os.PathLike[str], *, what: str = "case file") -> pd.DataFrame:
    """Read a table of cases with every column as text (only empty cells are missing).

    Any table :func:`fieldsurvey.io.tables.read_table` reads: CSV in UTF-8, UTF-8 with BOM
    or GBK, XLSX or Parquet (such as ``sample.parquet``), told apart by content. Files that
    are not tables (a store, an image, JSON) are refused with what they are.
    """
    return read_table(path, what=what, text=True)


def level_keys(values: pd.Series) -> pd.Series:
    """Values of a calibration variable as text keys (``1.0`` -> ``"1"``), NA kept as NA."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype(float)
        integral = np.isfinite(num) & (num == np.round(num))
        out = num.astype(object)
        out[integral] = num[integral].astype(np.int64).astype(str)
        out[~integral] = num[~integral].astype(str)
        return pd.Series(out, index=values.index, dtype=object).where(values.notna(), None)
    text = values.astype(object).where(values.notna(), None)
    return text.map(_text_key)


_INTEGRAL = re.compile(r"^-?\d+\.0+$")


def _text_key(value: object) -> str | None:
    """Text of a level, with ``"2.0"`` read as ``"2"`` (but ``"02"`` kept)."""
    if value is None:
        return None
    text = str(value).strip()
    return text.split(".")[0] if _INTEGRAL.match(text) else text


def level_codes(data: pd.DataFrame, variable: str) -> tuple[np.ndarray, list[str]]:
    """Codes of each row's level of ``variable`` (``a:b`` = cross of columns a and b).

    Returns ``(codes, keys)``: ``keys[codes[i]]`` is row i's level as text (see
    :func:`level_keys`); ``codes[i]`` is -1 when a part is missing. Only the distinct
    values are turned into text, so this stays fast for millions of rows.
    """
    parts = variable.split(":")
    if len(parts) == 1:
        c, uniques = pd.factorize(data[variable], use_na_sentinel=True)
        return c.astype(np.int64), [str(v) for v in level_keys(pd.Series(uniques, dtype=object))]
    codes = np.zeros(len(data), dtype=np.int64)
    keys: list[str] = [""]
    for k, col in enumerate(parts):
        c, uniques = pd.factorize(data[col], use_na_sentinel=True)
        ukeys = [str(v) for v in level_keys(pd.Series(uniques, dtype=object))]
        c = c.astype(np.int64)
        missing = (c < 0) | (codes < 0)
        combined = codes * max(len(ukeys), 1) + np.where(c < 0, 0, c)
        combined[missing] = -1
        codes, uniq = pd.factorize(combined, use_na_sentinel=False)
        codes = codes.astype(np.int64)
        new_keys = []
        for u in uniq:
            if u < 0:
                new_keys.append("")
                continue
            left, right = divmod(int(u), max(len(ukeys), 1))
            new_keys.append(ukeys[right] if k == 0 else f"{keys[left]}:{ukeys[right]}")
        keys = new_keys
        neg = np.flatnonzero(np.asarray(uniq) < 0)
        if neg.size:
            codes[codes == neg[0]] = -1
    return codes, keys


def margins_from_frame(frame: pd.DataFrame, *, file: str | None = None) -> Margins:
    """Turn a ``variable, level, total`` table into ``{variable: {level: total}}``, checked."""
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("variable", "level", "total") if c not in cols]
    if missing:
        raise ColumnError(
            "the margins table lacks required columns",
            file=file,
            field=", ".join(missing),
            expected="columns variable, level, total",
            got=", ".join(map(str, frame.columns)),
        )
    if frame.empty:
        raise WeightingError("the margins table has no rows", file=file,
                             hint="Give one row per level of each calibration variable")
    margins: Margins = {}
    for i, (var, level, total) in enumerate(
        zip(frame[cols["variable"]], frame[cols["level"]], frame[cols["total"]], strict=True)
    ):
        row = file_row(i)
        if pd.isna(var) or pd.isna(level) or not str(var).strip() or not str(level).strip():
            raise WeightingError("a margin row has an empty variable or level", file=file,
                                 row=row, hint="Fill both, or delete the row")
        try:
            value = float(str(total).strip())
        except ValueError:
            raise WeightingError("a population total is not a number", file=file, row=row,
                                 field="total", got=repr(total)) from None
        if not np.isfinite(value) or value < 0:
            raise WeightingError("a population total must be a finite number >= 0", file=file,
                                 row=row, field="total", got=repr(total))
        var_s, level_s = str(var).strip(), level_keys(pd.Series([level])).iloc[0]
        bucket = margins.setdefault(var_s, {})
        if level_s in bucket:
            raise WeightingError(
                f"level '{level_s}' of variable '{var_s}' is given twice", file=file, row=row,
                hint="Give each level once",
            )
        bucket[level_s] = value
    return margins


def read_margins(path: str | os.PathLike[str]) -> Margins:
    """Read a margins table (``variable, level, total``) into ``{variable: {level: total}}``."""
    return margins_from_frame(read_case_file(path, what="margins file"), file=str(path))


def read_store_cases(path: str | os.PathLike[str], *, answers: bool = False,
                     notes: list[str] | None = None,
                     keep: Sequence[str] = ()) -> pd.DataFrame:
    """One row per case of a (merged) field store with its final disposition.

    Columns: the sample columns of the assignments (``community_id``, ``stratum``,
    ``pi_1``, ``pi_2``, ``pi``, ``base_weight``, …), ``interviewer``, community attributes,
    the respondent selection (``eligible_count``, ``pi_respondent``), the main interview and
    ``disposition`` (the final AAPOR code by the store's rule) with its ``category``.
    With ``answers=True`` the respondent's answers to the questionnaire (one column per
    question, personal-data questions left out) are added from the case's main interview,
    so that calibration variables such as sex or age group are at hand.

    ``keep`` names answers the caller needs even when the store cannot tell they hold no
    personal data (a question of no pinned form is treated as free text and left out):
    the calibration variables of a weighting, for instance.

    ``notes``, when given, receives a warning if the file is one device's store (its
    interviewer's cases only) rather than the merged central store.
    """
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store import FieldStore

    path = Path(path)
    if not path.exists():
        raise StoreError("the field store does not exist", file=str(path),
                         hint="Give the merged store, e.g. central.sqlite")
    store = FieldStore.open(path, readonly=True)
    try:
        cases = store.cases()
        meta = store.meta
        if notes is not None and meta.get("role") == "device":
            who = f" of interviewer {meta['interviewer']}" if meta.get("interviewer") else ""
            notes.append(f"{path} is one device's store{who}: these figures cover its "
                         f"{len(cases)} case(s) only, not the survey; give the merged central "
                         "store (fieldsurvey merge DEVICE_STORES --into central.sqlite)")
        if answers and len(cases) and cases["interview_uuid"].notna().any():
            from fieldsurvey.store.export import answers_frame

            wide = answers_frame(store, pii="drop", safe_text=tuple(keep)).frame
            extra = [c for c in wide.columns if c not in cases.columns]
            if extra:
                cases = cases.merge(wide[["interview_uuid", *extra]], on="interview_uuid",
                                    how="left")
    finally:
        store.close()
    if cases.empty:
        raise StoreError("the field store has no cases", file=str(path),
                         hint="Assign the sample (fieldsurvey assign) and merge the devices")
    return cases.reset_index(drop=True)
