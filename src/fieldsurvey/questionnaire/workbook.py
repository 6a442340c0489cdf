"""The cells of a workbook as text, sheet by sheet: what the XLSForm reader reads.

Why a module of its own: reading an ``.xlsx`` (openpyxl) or legacy ``.xls`` (xlrd) into
rows of text is one job, apart from what the columns mean (:mod:`.xlsform`). A cell's
text is what Excel shows: whole numbers without ``.0``, dates as ISO dates, and on the
settings sheet a number in its cell's number format (``2026.10`` stays ``2026.10``; with
the General format a :class:`NumberText` says the trailing zeros may be lost). Empty rows
are dropped, and a sheet stops after a long run of them (sheets that claim 1,048,576
rows).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError

__all__ = ["NumberText", "read_workbook"]

MAX_EMPTY_RUN = 1000  # stop reading after this many empty rows (sheets claiming 1,048,576 rows)


class NumberText(str):
    """A number cell's text; ``ambiguous`` when trailing zeros may have been lost."""

    ambiguous = False


def _formatted(value: Any, number_format: str | None) -> Any:
    """A float cell as the text Excel shows for its number format.

    ``0.00`` keeps ``2026.10``; with the General format trailing zeros may be lost.
    """
    if not isinstance(value, float) or value.is_integer():
        return value
    fmt = (number_format or "General").split(";")[0]
    if "." in fmt and set(fmt.split(".")[1]) <= set("0#"):
        decimals = len(fmt.split(".")[1])
        return NumberText(f"{value:.{decimals}f}")
    out = NumberText(repr(value))
    out.ambiguous = True
    return out


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, NumberText):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_workbook(path: Path) -> dict[str, list[tuple[int, list[str | None]]]]:
    """The non-empty rows of every sheet: sheet name (lower case) -> [(row number, cells)]."""
    sheets: dict[str, list[tuple[int, list[str | None]]]] = {}
    suffix = path.suffix.lower()
    try:
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            for sh in book.sheets():
                rows = ((i + 1, sh.row_values(i)) for i in range(sh.nrows))
                sheets[sh.name.strip().lower()] = _collect(rows)
        else:
            import openpyxl

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    title = ws.title.strip().lower()
                    if title == "settings":  # keep the text of numbers such as 2026.10
                        rows = (
                            (i, [_formatted(c.value, getattr(c, "number_format", None))
                                 for c in r])
                            for i, r in enumerate(ws.iter_rows(), start=1)
                        )
                    else:
                        rows = (
                            (i, list(r))
                            for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                        )
                    sheets[title] = _collect(rows)
            finally:
                wb.close()
    except QuestionnaireError:
        raise
    except (OSError, KeyError, ValueError, TypeError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _unreadable(path, exc) from None
    except Exception as exc:  # xlrd.XLRDError, zipfile.BadZipFile and similar
        if type(exc).__module__.split(".")[0] in ("xlrd", "zipfile", "openpyxl"):
            raise _unreadable(path, exc) from None
        raise
    return sheets


def _unreadable(path: Path, exc: Exception) -> QuestionnaireError:
    return QuestionnaireError(
        "the workbook cannot be read",
        file=str(path),
        got=f"{type(exc).__name__}: {exc}",
        hint="Save it again from Excel/LibreOffice as .xlsx",
    )


def _collect(rows: Iterator[tuple[int, list[Any]]]) -> list[tuple[int, list[str | None]]]:
    out: list[tuple[int, list[str | None]]] = []
    empty = 0
    for number, values in rows:
        cells = [_cell(v) for v in values]
        if any(c is not None for c in cells):
            out.append((number, cells))
            empty = 0
        else:
            empty += 1
            if empty >= MAX_EMPTY_RUN:
                break
    return out
