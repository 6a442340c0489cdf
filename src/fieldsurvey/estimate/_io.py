"""Read a respondent table for estimation with :func:`fieldsurvey.io.tables.read_table`.

CSV (UTF-8, BOM or GBK), XLSX, Parquet, SPSS ``.sav`` or Stata ``.dta``, told apart by
content. Column names are kept exactly as in the file (``api.stu``, ``sch.wide``, Chinese
names); numbers are parsed as numbers, empty cells (and ``NA``) are missing values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fieldsurvey.io.tables import read_table

__all__ = ["read_respondents"]


def read_respondents(path: str | Path) -> pd.DataFrame:
    """Read the respondents' table (one row per respondent) from ``path``.

    Raises
    ------
    InputError
        A missing, empty, damaged or unsupported file, or one that cannot be parsed.
    """
    return read_table(path, what="respondents table")
