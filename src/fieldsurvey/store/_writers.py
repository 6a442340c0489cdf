"""Writing one export table in one format, with its labels and declared missing values.

Special answers are kept as their codes in every format and declared missing where the
format can say so: every code the form declares (its special answers such as 不知道 -8 /
拒绝回答 -9, and the choices it marks missing such as 8 不了解) is a user-missing value of
the variable in SPSS (``.sav``) and a tagged missing value (``.a``, ``.b`` ... labelled)
in Stata (``.dta``); CSV, Parquet and Excel keep the codes and the codebook says what they
mean and that they are missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store._files import disk_error
from fieldsurvey.store.tables import Wide

__all__ = ["STATA_TAGS", "codebook_frames", "sav_missing", "stata_tags", "write_table"]

_XLSX_ROWS = 1_048_575
#: Letters of Stata's tagged missing values, in the order codes are given them.
STATA_TAGS = "abcdefghijklmnopqrstuvwxyz"


def stata_tags(codes: Iterable[int]) -> dict[int, str]:
    """Code -> Stata tag letter: the form's missing codes in the order given."""
    out: dict[int, str] = {}
    for code in codes:
        if code not in out and len(out) < len(STATA_TAGS):
            out[code] = STATA_TAGS[len(out)]
    return out


def sav_missing(codes: list[int], values: pd.Series) -> list[Any]:
    """SPSS user-missing declaration of ``codes`` for one variable.

    up to three discrete values, or one range plus one value (SPSS's limit). A range covers
    the negative codes when they are more than that and no substantive answer falls inside
    it.
    """
    codes = sorted(set(codes))
    if len(codes) <= 3:
        return [float(c) for c in codes]
    neg = [c for c in codes if c < 0]
    rest = [c for c in codes if c >= 0]
    lo, hi = (min(neg), max(neg)) if neg else (0, -1)
    valid = pd.to_numeric(values, errors="coerce").dropna()
    inside = valid[(valid >= lo) & (valid <= hi) & ~valid.isin(codes)]
    if neg and len(rest) <= 1 and not len(inside):
        return [{"lo": float(lo), "hi": float(hi)}, *[float(c) for c in rest]]
    raise StoreError(
        "SPSS can declare at most three missing values (or one range and one value) per "
        "variable, and these special codes cannot be covered that way",
        field=str(values.name), got=", ".join(str(c) for c in codes),
        hint="Export as dta, csv or parquet (the codebook lists the codes), or give the "
        "special answers negative codes with no answer in between")


def codebook_frames(wide: Wide, tags: dict[int, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codebook.

    variables (name, question key, label) and values (variable, code, label, whether the
    code is a missing value, its Stata tag).
    """
    var = pd.DataFrame({"variable": list(wide.variable_labels),
                        "question": [wide.questions.get(c, c) for c in wide.variable_labels],
                        "label": list(wide.variable_labels.values())})
    rows = []
    for c, labels in wide.value_labels.items():
        missing = set(wide.special_columns.get(c, ()))
        for k, v in labels.items():
            is_missing = k in missing
            rows.append({"variable": c, "code": k, "label": v,
                         "missing": "yes" if is_missing else "no",
                         "stata": f".{tags[int(k)]}" if is_missing and int(k) in tags else ""})
    val = pd.DataFrame(rows, columns=["variable", "code", "label", "missing", "stata"])
    return var, val


def _for_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Plain numpy/object columns for pyreadstat (nullable ints -> float, bools -> 0/1)."""
    out: dict[str, pd.Series] = {}
    for c in df.columns:
        s = df[c]
        if (isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iub") \
                or s.dtype == bool or s.dtype.kind in "if":
            out[c] = s.astype("float64")
        else:
            vals = s.astype(object).to_numpy()
            if all(v is None or isinstance(v, bool | np.bool_) or
                   (isinstance(v, float) and np.isnan(v)) for v in vals):
                out[c] = pd.Series([np.nan if v is None or isinstance(v, float) else float(v)
                                    for v in vals], index=df.index, dtype="float64")
            else:
                out[c] = pd.Series(["" if v is None or (isinstance(v, float) and np.isnan(v))
                                    else str(v) for v in vals], index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index)


def _naive_times(df: pd.DataFrame) -> pd.DataFrame:
    """Time-zone aware columns as naive UTC (Excel, SPSS and Stata have no time zones)."""
    aware = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    if not aware:
        return df
    df = df.copy()
    for c in aware:
        df[c] = df[c].dt.tz_convert("UTC").dt.tz_localize(None)
    return df


def _for_parquet(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns that mix types become text, so Arrow gets one type per column."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            vals = out[c].to_numpy()
            kinds = {type(v) for v in vals if v is not None and not
                     (isinstance(v, float) and np.isnan(v))}
            if len(kinds) > 1:
                out[c] = [None if v is None else str(v) for v in vals]
    return out


def _nearly_full(path: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


def write_table(df: pd.DataFrame, path: Path, fmt: str, wide: Wide | None, bom: bool,
                tags: dict[int, str]) -> None:
    """Write ``df`` to ``path`` (a new file) in ``fmt``.

    labels and missing values from ``wide`` (the interviews table) in SPSS and Stata. Any
    failure of the writer is one :class:`StoreError` naming the file.
    """
    if fmt == "xlsx" and len(df) > _XLSX_ROWS:
        raise StoreError("the table has more rows than an Excel sheet holds", file=str(path),
                         got=f"{len(df)} rows", hint="Export as csv or parquet instead")
    if fmt in ("xlsx", "sav", "dta"):
        df = _naive_times(df)
    if fmt == "csv":
        df.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
    elif fmt == "parquet":
        _for_parquet(df).to_parquet(path, index=False)
    elif fmt == "xlsx":
        df.to_excel(path, index=False, engine="openpyxl")
    else:
        _write_stats(df, path, fmt, wide, tags)


def _write_stats(df: pd.DataFrame, path: Path, fmt: str, wide: Wide | None,
                 tags: dict[int, str]) -> None:
    import pyreadstat

    plain = _for_stats(df)
    labels = dict(wide.variable_labels) if wide else {}
    vlabels: dict[str, dict[Any, str]] = {k: dict(v) for k, v in
                                          (wide.value_labels.items() if wide else ())}
    col_labels: list[str | None] = [labels.get(c, c) for c in plain.columns]
    numeric = {c: v for c, v in (wide.special_columns.items() if wide else ())
               if c in plain.columns and plain[c].dtype.kind == "f"}
    try:
        if fmt == "sav":
            missing = {c: sav_missing(v, plain[c]) for c, v in numeric.items() if v}
            pyreadstat.write_sav(plain, str(path), column_labels=col_labels,
                                 variable_value_labels=vlabels, missing_ranges=missing)
            return
        long = [c for c in plain.columns if len(c) > 32]
        if long:
            raise StoreError("Stata variable names have at most 32 characters",
                             file=str(path), field=long[0], got=f"{len(long)} longer name(s)",
                             hint="Shorten the question names in the form, or export as sav, "
                             "parquet or csv")
        user: dict[str, list[str]] = {}
        for c, codes in numeric.items():
            here = {code: tags[code] for code in codes if code in tags}
            if not here:
                continue
            col = plain[c].astype(object)
            hit = plain[c].isin(list(here))
            col[hit] = plain[c][hit].map(lambda v, h=here: h[int(v)])
            plain[c] = col
            user[c] = sorted(set(here.values()))
            if c in vlabels:
                vlabels[c] = {here.get(int(k), k) if isinstance(k, int | float) else k: v
                              for k, v in vlabels[c].items()}
        pyreadstat.write_dta(plain, str(path), version=15,
                             column_labels=[(x or "")[:80] for x in col_labels],
                             variable_value_labels=vlabels, missing_user_values=user)
    except StoreError:
        raise
    except Exception as exc:  # pyreadstat's ReadstatError and OSError: one paragraph
        full = disk_error(exc) or "no space" in str(exc).lower() or _nearly_full(path)
        raise StoreError(
            f"the {'SPSS' if fmt == 'sav' else 'Stata'} file could not be written"
            + (" because the disk is full" if full else ""),
            file=str(path), got=f"{type(exc).__name__}: {exc}",
            hint="Free some space and export again (the previous export is kept until the "
            "new one is complete)" if full else
            "Export as csv or parquet instead, and report this file's questionnaire to the "
            "developers") from exc
