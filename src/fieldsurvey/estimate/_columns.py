"""Read design and analysis columns from a respondent table, with errors a user can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate._groups import codes_of
from fieldsurvey.io.errors import ColumnError, EstimationError
from fieldsurvey.io.tables import file_row

__all__ = ["analysis_column", "as_names", "categorical_column", "level_label", "numeric_column",
           "require_columns"]


def as_names(spec: str | Sequence[str] | None) -> list[str]:
    """A column name or a sequence of names as a list (``None`` -> empty list)."""
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    return list(spec)


def require_columns(data: pd.DataFrame, names: Sequence[str], source: str | None) -> None:
    """Raise :class:`ColumnError` naming the first column that is not in ``data``."""
    for name in names:
        if name not in data.columns:
            shown = ", ".join(map(str, list(data.columns)[:30]))
            raise ColumnError(
                f"column '{name}' is not in the data",
                file=source,
                field=name,
                expected="one of the file's columns",
                got=shown + (f" and {len(data.columns) - 30} more"
                             if len(data.columns) > 30 else ""),
                hint="Column names are used exactly as in the file (case, dots and Chinese "
                "included)",
            )


def numeric_column(data: pd.DataFrame, name: str, source: str | None) -> np.ndarray:
    """The column as float64, missing values as NaN; text that is not a number is an error."""
    require_columns(data, [name], source)
    col = data[name]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if col.dtype == np.float64:
        return col.to_numpy()
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    conv = pd.to_numeric(col, errors="coerce")
    bad = conv.isna() & col.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise EstimationError(
            f"column '{name}' must hold numbers",
            file=source,
            row=file_row(pos),
            field=name,
            expected="a number or an empty cell",
            got=repr(col.iloc[pos]),
            hint="Clean the column, or estimate it as a proportion (--prop) if it is categorical",
        )
    return conv.to_numpy(dtype=np.float64, na_value=np.nan)


def analysis_column(data: pd.DataFrame, name: str, source: str | None) -> np.ndarray:
    """A variable to estimate: numbers, finite, and not missing for every respondent.

    An infinite value (``inf`` in a CSV, a division by zero in a spreadsheet) would turn the
    estimate into inf and its SE into NaN; a column with no value at all has nothing to
    estimate. Both are refused naming the column (and the row of the first infinite value).
    """
    y = numeric_column(data, name, source)
    inf = np.isinf(y)
    if inf.any():
        pos = int(np.flatnonzero(inf)[0])
        raise EstimationError(
            f"column '{name}' holds {int(inf.sum())} infinite value(s)", file=source,
            row=file_row(pos), field=name, expected="a finite number or an empty cell",
            got=str(data[name].iloc[pos]),
            hint="An infinite value usually comes from a division by zero when the column was "
            "computed; fix it, or leave the cell empty if the value is unknown",
        )
    if y.size and np.isnan(y).all():
        raise EstimationError(
            f"column '{name}' has no value for any respondent (every cell is empty or a "
            "missing code)", file=source, field=name, expected="at least one number",
            hint="Check the column name, and that its special-answer codes are not all it holds",
        )
    return y


def level_label(value: object) -> str:
    """A category as text: integral floats without ``.0`` (``1.0`` -> ``"1"``)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def categorical_column(data: pd.DataFrame, name: str,
                       source: str | None) -> tuple[np.ndarray, list[Any]]:
    """Codes 0..k-1 of the column's sorted distinct values (-1 for missing) and those values."""
    require_columns(data, [name], source)
    col = data[name]
    if pd.api.types.is_integer_dtype(col.dtype) and not col.hasnans:
        dense, distinct = codes_of(col)  # integers in a compact range: coded in sorted order
        return dense, [u.item() if hasattr(u, "item") else u for u in distinct]
    try:
        codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    except TypeError:  # values of mixed types: sort them as text
        codes, uniques = pd.factorize(col.map(lambda v: v if pd.isna(v) else str(v)), sort=True)
    return np.asarray(codes, dtype=np.int64), list(uniques)
