"""Read a respondent table for estimation: CSV (UTF-8, BOM or GBK), Parquet, XLSX, SPSS, Stata.

Column names are kept exactly as in the file (``api.stu``, ``sch.wide``, Chinese names);
numbers are parsed as numbers, empty cells (and ``NA``) are missing values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fieldsurvey.io.errors import EncodingError, InputError

__all__ = ["SUFFIXES", "read_respondents"]

SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xlsm", ".sav", ".dta")


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    last: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, sep=sep, encoding=encoding)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty", file=str(path),
                             hint="Give a table with a header row") from None
        except pd.errors.ParserError as exc:
            raise InputError("the file is not a readable CSV table", file=str(path),
                             got=str(exc).strip(), hint="Check the separators and quotes") from None
    raise EncodingError("the file is neither UTF-8 nor GBK text", file=str(path), got=str(last),
                        hint="Save it as CSV UTF-8")


def read_respondents(path: str | Path) -> pd.DataFrame:
    """Read the respondents' table (one row per respondent) from ``path``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    InputError
        An unsupported format, or a file that cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError("unsupported table format", file=str(path),
                         expected=", ".join(SUFFIXES), got=suffix or "no extension")
    try:
        if suffix in (".csv", ".txt"):
            data = _read_csv(path, ",")
        elif suffix == ".tsv":
            data = _read_csv(path, "\t")
        elif suffix == ".parquet":
            data = pd.read_parquet(path)
            data = pd.DataFrame(data.drop(columns=["geometry"], errors="ignore"))
        elif suffix in (".xlsx", ".xlsm"):
            data = pd.read_excel(path)
        elif suffix == ".sav":
            data = pd.read_spss(path, convert_categoricals=False)
        else:
            data = pd.read_stata(path, convert_categoricals=False)
    except (InputError, FileNotFoundError):
        raise
    except (ValueError, OSError, ImportError) as exc:
        raise InputError("the table cannot be read", file=str(path), got=str(exc).strip()[:300],
                         hint=f"Check that the file is a complete {suffix[1:].upper()} file") from exc
    data.columns = [str(c).strip() for c in data.columns]
    return data
