"""Read a measure-of-size column as a statistician's frame holds it, and name what is wrong.

Real frames carry the size (households, population) as numbers, as text numbers ("186880"),
with thousands separators ("186,880", "186 880", "186'880", "186，880" with a full-width
comma, full-width digits, the Indian "1,86,880", dots in a text column that groups by
dots) or, in a workbook, a mix of numbers and text cells. All of these are the same
number. Anything else ("约300", "n/a", "-") is not read as a number: it is reported by
file row so that a size is never silently misread or turned into a zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Measure", "parse_measure"]

# a whole number grouped by threes with one separator used throughout, optional decimals
_GROUPED = r"[+]?\d{1,3}(?:(?P<sep>[,' _’])\d{3})(?:(?P=sep)\d{3})*(?:\.\d+)?"
# Indian grouping (lakh, crore): 1,23,456
_INDIAN = r"[+]?\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?"
_SEPARATORS = r"[,' _’]"


def _dot_grouped(column: pd.Series) -> np.ndarray:
    """Cells grouped by dots ("1.234", "12.500") in a column where dots group thousands.

    Dots group thousands (as in German, Spanish, Portuguese, Indonesian tables) when some
    cell has two dot groups ("1.234.567"), or when every dotted cell has groups of three
    and plain whole numbers ("845") stand beside them -- a column of decimals written to
    three places would have no plain whole numbers.
    """
    full = column.astype("string").str.normalize("NFKC").str.strip()
    is_text = np.array([isinstance(v, str) for v in column], dtype=bool)
    grouped: np.ndarray = np.array(full.str.fullmatch(r"\d{1,3}(?:\.\d{3})+").fillna(False)
                                   .to_numpy(dtype=bool)) & is_text
    if not grouped.any():
        return grouped
    several = full.str.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}").fillna(False).to_numpy(bool)
    dotted = full.str.contains(".", regex=False).fillna(False).to_numpy(bool)
    whole = full.str.fullmatch(r"\d+").fillna(False).to_numpy(bool)
    if several.any() or (whole.any() and not (dotted & ~grouped).any()):
        return grouped
    return np.zeros(len(full), dtype=bool)


@dataclass(frozen=True)
class Measure:
    """A size column read as numbers."""

    values: np.ndarray
    """float64 values; NaN where the cell is empty or not a number."""
    unreadable: np.ndarray
    """True where the cell holds text that is not a number (as opposed to empty)."""

    @property
    def missing(self) -> np.ndarray:
        """True where the cell is empty."""
        out: np.ndarray = np.isnan(self.values) & ~self.unreadable
        return out


def parse_measure(column: pd.Series) -> Measure:
    """Numbers of a measure-of-size column (see the module docstring).

    Parameters
    ----------
    column
        The column as read (numbers, text, or a mix).

    Returns
    -------
    Measure
        The values (NaN where empty or unreadable) and which cells were unreadable text.
    """
    n = len(column)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype):
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64,
                                                                  na_value=np.nan)
        return Measure(values, np.zeros(n, dtype=bool))
    dots = _dot_grouped(column)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, copy=True,
                                                             na_value=np.nan)
    values[dots] = np.nan  # "1.234" is 1234 in this column: read below
    empty = column.isna().to_numpy()
    left = np.isnan(values) & ~empty
    unreadable = np.zeros(n, dtype=bool)
    if left.any():
        text = (column[left].astype(str).str.normalize("NFKC")
                .str.replace("\u00a0", " ").str.replace("\u202f", " ")
                .str.replace("\u2009", " ").str.strip())
        blank = (text == "").to_numpy()
        grouped = (text.str.fullmatch(_GROUPED).fillna(False).to_numpy(dtype=bool)
                   | text.str.fullmatch(_INDIAN).fillna(False).to_numpy(dtype=bool))
        dotted = dots[left]
        cleaned = text.where(~grouped, text.str.replace(_SEPARATORS, "", regex=True))
        cleaned = cleaned.where(~dotted, text.str.replace(".", "", regex=False))
        got = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, copy=True,
                                                               na_value=np.nan)
        got[blank] = np.nan
        values[left] = got
        unreadable[np.flatnonzero(left)[np.isnan(got) & ~blank]] = True
    return Measure(values, unreadable)
