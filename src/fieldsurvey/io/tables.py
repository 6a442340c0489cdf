"""Read every table a command is given: one reader, one set of messages, one row numbering.

Why one reader: a sample, a dispositions file, a weights file, a team list or a respondents
table reaches a survey team as a CSV saved by Excel or WPS (UTF-8, UTF-8 with the BOM Excel
adds, or GBK), as an XLSX workbook, or as the Parquet file fieldsurvey wrote itself. Every
command that reads a table (``sample``, ``assign``, ``rates``, ``weights``, ``estimate``,
``report``) reads it here, so the same file is accepted, or refused with the same paragraph,
whichever command is given it.

The format is chosen by the file's first bytes, not by its name: ``PAR1`` is Parquet,
``PK`` (a zip) an XLSX workbook, ``$FL2``/``$FL3`` an SPSS ``.sav`` file, ``<stata_dta>`` (or
an old Stata header) a Stata ``.dta`` file, ``D0 CF 11 E0`` an old ``.xls`` workbook; text
is a CSV whose encoding :func:`fieldsurvey.io.encoding.detect_encoding` tells (UTF-8, UTF-8
with BOM, GBK) and whose separator the header shows (comma, tab or semicolon). A workbook
renamed ``.csv`` is read as the workbook it is. Files that are not tables (an SQLite store,
a PDF, an image, JSON) are refused with what they are.

Row numbers
-----------
Every message about a row of a table uses **spreadsheet row numbers**: the header is row 1
and the first data row is row 2, as Excel or WPS show the file (for a CSV without line
breaks inside quoted cells this is also the line number in a text editor). Parquet, SPSS
and Stata tables are numbered the same way, as if written out with their header.
:func:`file_row` turns a 0-based position in the table read into that number.

Missing values
--------------
With ``text=True`` every column is text (codes such as ``2.10`` and ids with leading zeros
survive) and only an empty cell is missing. Otherwise numbers are parsed as numbers, the
columns named in ``text`` stay text, and empty cells as well as ``NA``/``NaN``/``null`` are
missing (pandas' defaults).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fieldsurvey.io.errors import ColumnError, EncodingError, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS_TEXT",
    "FIRST_DATA_ROW",
    "TableFormat",
    "csv_separator",
    "file_row",
    "read_table",
    "table_format",
]

TableFormat = Literal["csv", "xlsx", "xls", "parquet", "sav", "dta"]

#: The formats every command reads, as said in messages.
FORMATS_TEXT = "a table: CSV (UTF-8, UTF-8 with BOM or GBK), XLSX, Parquet, SPSS .sav or Stata .dta"

#: Spreadsheet row number of the first data row (the header is row 1).
FIRST_DATA_ROW = 2

#: Names a text table may have (a table renamed to another table's suffix is read by content).
_TABLE_SUFFIXES = frozenset({"", ".csv", ".txt", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls",
                             ".parquet", ".pq", ".sav", ".dta"})

# Leading bytes of files that are not tables: what they are and what to do.
_NOT_TABLES: tuple[tuple[bytes, str, str], ...] = (
    (b"SQLite format 3\x00", "an SQLite database (a field store?)",
     "Give a field store with --db, or the table the step needs"),
    (b"%PDF", "a PDF document", "Give the table the step needs"),
    (b"\x89PNG", "a PNG image", "Give the table the step needs"),
    (b"\xff\xd8\xff", "a JPEG image", "Give the table the step needs"),
    (b"\x1f\x8b", "a gzip archive", "Unpack it and give the table inside"),
    (b"Rar!", "a RAR archive", "Unpack it and give the table inside"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "Unpack it and give the table inside"),
)

_PARSER_LINE = re.compile(r"line (\d+)")


def file_row(position: int) -> int:
    """Spreadsheet row number (header = row 1) of the 0-based ``position`` of a data row."""
    return int(position) + FIRST_DATA_ROW


def _head(path: Path, what: str) -> bytes:
    if not path.exists():
        raise InputError(f"the {what} does not exist", file=str(path),
                         hint="Check the path and the file name")
    if path.is_dir():
        raise InputError("this is a directory, not a table file", file=str(path),
                         expected=FORMATS_TEXT, hint=f"Give the path of the {what} itself")
    with open(path, "rb") as fh:
        return fh.read(4096)


def table_format(path: str | os.PathLike[str], *, what: str = "table") -> TableFormat:
    """The format of the table at ``path``, by its first bytes.

    Raises
    ------
    InputError
        When the file does not exist, is a directory, is empty, or is not a table.
    """
    p = Path(path)
    return _format(p, _head(p, what))


def _unsupported(path: Path, what_it_is: str, hint: str) -> InputError:
    return InputError(f"unsupported table format: this is {what_it_is}", file=str(path),
                      expected=FORMATS_TEXT, hint=hint)


def _format(path: Path, head: bytes) -> TableFormat:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (
            len(head) > 3 and head[0] in (113, 114, 115) and head[1] in (1, 2) and head[2] == 1):
        return "dta"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    for magic, what_it_is, hint in _NOT_TABLES:
        if head.startswith(magic):
            raise _unsupported(path, what_it_is, hint)
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_head:
        raise InputError("the file is empty", file=str(path),
                         hint="Give a table with a header row and one row per record")
    if text_head[:1] in (b"{", b"["):
        raise _unsupported(path, "a JSON file", "Give the .csv written beside it (e.g. "
                           "weights.csv, not weights.json), or save the table as CSV")
    if text_head[:1] == b"<":
        raise _unsupported(path, "an XML or HTML file", "Save the table as CSV or XLSX")
    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        raise InputError("unsupported table format", file=str(path), expected=FORMATS_TEXT,
                         got=f"a text file named {suffix}",
                         hint="Give the table as .csv, .xlsx or .parquet")
    return "csv"


def read_table(path: str | os.PathLike[str], *, what: str = "table",
               text: bool | Collection[str] = False, sheet: str | int | None = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read a table (CSV, XLSX, Parquet, SPSS, Stata) chosen by content, into a DataFrame.

    Parameters
    ----------
    path
        The file. Its format is told by its first bytes, not its name.
    what
        What the file is to the command ("sample file", "dispositions file"); used in the
        message when it does not exist and in hints.
    text
        ``True``: every column as text, only empty cells missing. A collection of column
        names: those columns as text (when present), the others parsed.
    sheet
        The sheet of a workbook (name or 0-based index; default the first).
    encoding
        The text encoding of a CSV (default: detected).

    Returns
    -------
    pandas.DataFrame
        Column names stripped of surrounding spaces; a ``geometry`` column is dropped.
        Row ``i`` of the result is spreadsheet row :func:`file_row` ``(i)`` of the file.

    Raises
    ------
    InputError
        A missing, empty, damaged or unsupported file, or a CSV that cannot be parsed.
    EncodingError
        A CSV that is neither UTF-8 nor GBK (or not valid in the ``encoding`` given).
    ColumnError
        A header that names a column twice.
    """
    p = Path(path)
    fmt = _format(p, _head(p, what))
    if fmt == "csv":
        frame = _read_csv(p, text, encoding)
    elif fmt in ("xlsx", "xls"):
        frame = _read_workbook(p, fmt, text, sheet)
    elif fmt == "parquet":
        frame = _read_parquet(p, text)
    else:
        frame = _read_stats_file(p, fmt, text)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


# ---------------------------------------------------------------------------- CSV


def _decode(path: Path, encoding: str | None) -> str:
    from fieldsurvey.io.encoding import decode_text

    data = path.read_bytes()
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": UTF-16 with its byte-order mark, tab-separated
        return data.decode("utf-16", errors="replace")
    try:
        return decode_text(data, encoding, file=str(path))[0]
    except EncodingError as exc:
        # io.encoding counts data rows (header = 0, and None for the header line); a table's
        # messages count spreadsheet rows (header = 1)
        if exc.field == "encoding":
            raise
        raise replace(exc, row=1 if exc.row is None else exc.row + 1) from None


def csv_separator(header: str, suffix: str = "") -> str:
    """The separator of a CSV whose header row is ``header``: comma, tab, semicolon or ``|``.

    A ``.tsv``/``.tab`` file is tab-separated; otherwise a header with no comma but tabs,
    semicolons or vertical bars (registries' ``.dsv`` exports) is split on the most frequent
    of them, and any other is comma-separated.
    """
    if suffix in (".tsv", ".tab"):
        return "\t"
    counts = {sep: header.count(sep) for sep in (",", "\t", ";", "|")}
    if counts[","] == 0 and max(counts.values()) > 0:
        return max(counts, key=lambda s: counts[s])
    return ","


def _check_header(names: Sequence[str], path: Path, sheet: str | None = None) -> None:
    seen: set[str] = set()
    for name in names:
        key = name.strip()
        if key and key in seen:
            raise ColumnError(f"column '{key}' appears twice in the header", file=str(path),
                              sheet=sheet, row=1, field=key,
                              hint="Rename or delete one of the two columns")
        seen.add(key)


def _read_csv(path: Path, text: bool | Collection[str], encoding: str | None) -> pd.DataFrame:
    import pandas as pd

    content = _decode(path, encoding)
    first = content.split("\n", 1)[0]
    sep = csv_separator(first, path.suffix.lower())
    header = next(csv.reader([first.lstrip("\ufeff")], delimiter=sep), [])
    _check_header(header, path)
    kw: dict[str, Any]
    if text is True:
        kw = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    elif text:
        wanted = set(text)
        kw = {"dtype": {name: str for name in header if name.strip() in wanted}}
    else:
        kw = {}
    try:
        frame: pd.DataFrame = pd.read_csv(io.StringIO(content), sep=sep, **kw)
        return frame
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=str(path),
                         hint="Give a table with a header row and one row per record") from None
    except pd.errors.ParserError as exc:
        message = str(exc).strip()
        line = _PARSER_LINE.search(message)
        raise InputError("the CSV table cannot be parsed (a row has the wrong number of "
                         "fields, or an unclosed quote)", file=str(path),
                         row=int(line.group(1)) if line else None, got=message[:200],
                         hint="Open the file, fix that row (quotes, stray separators) and "
                         "save it again") from None


# ---------------------------------------------------------------------------- binary tables


def _as_text(frame: pd.DataFrame, columns: bool | Collection[str]) -> pd.DataFrame:
    """Turn columns into text as a CSV reads them (``3.0`` -> ``"3"``, missing kept missing).

    The text columns get pandas' ``str`` dtype, as :func:`pandas.read_csv` gives them, so a
    table reads the same from every format.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if columns is False:
        return frame
    wanted = None if columns is True else {str(c) for c in columns}
    out = frame.copy()
    for name in frame.columns:
        if wanted is not None and str(name).strip() not in wanted:
            continue
        values = frame[name]
        if isinstance(values.dtype, pd.StringDtype):
            out[name] = values.astype("str")
            continue
        if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(
                values.dtype):
            # Arrow writes the shortest text that reads back as the number, ``2.0`` as ``2``,
            # ten times faster than Python's repr; NaN is missing, as in a CSV
            cast = pc.cast(pa.array(values, from_pandas=True), pa.string())
            text = pd.Series(cast.to_numpy(zero_copy_only=False), index=frame.index,
                             dtype=object).astype("str")
        else:
            text = values.astype("str")  # missing values stay missing
        out[name] = text
    return out


def _read_parquet(path: Path, text: bool | Collection[str]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError("the Parquet file cannot be read (damaged or truncated)",
                         file=str(path), got=str(exc).strip()[:200],
                         hint="Write it again, or give the CSV version") from None
    if "geometry" in table.column_names:
        table = table.drop_columns(["geometry"])
    return _as_text(table.to_pandas(), text)


def _read_workbook(path: Path, fmt: str, text: bool | Collection[str],
                   sheet: str | int | None) -> pd.DataFrame:
    import pandas as pd

    if fmt == "xlsx":
        try:
            with zipfile.ZipFile(path) as zf:
                is_workbook = "xl/workbook.xml" in zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise InputError("the Excel workbook cannot be read (damaged or truncated)",
                             file=str(path), expected="a complete .xlsx file",
                             hint="Open it in Excel or WPS and save it again") from None
        if not is_workbook:
            raise _unsupported(path, "a zip archive, not an Excel workbook",
                               "Unpack it and give the table inside")
    dtype: Any = str if text is True else (
        {name: str for name in text} if text else None)
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=dtype,
                              engine="openpyxl" if fmt == "xlsx" else "xlrd")
    except (ValueError, KeyError, IndexError) as exc:
        message = str(exc).strip()
        if sheet is not None and ("not found" in message or "out of range" in message
                                  or isinstance(exc, IndexError | KeyError)):
            raise InputError("the workbook has no such sheet", file=str(path),
                             sheet=str(sheet), got=message[:200],
                             hint="Name one of the workbook's sheets") from None
        raise InputError("the Excel workbook cannot be read (damaged or truncated)",
                         file=str(path), got=message[:200],
                         hint="Open it in Excel or WPS and save it again") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("the Excel workbook cannot be read (damaged or truncated)",
                         file=str(path), got=str(exc).strip()[:200],
                         hint="Open it in Excel or WPS and save it again") from None
    _check_workbook_header(path, fmt, frame, sheet)
    frame = frame.drop(columns=[c for c in frame.columns if c == "geometry"])
    return _as_text(frame, text)


def _check_workbook_header(path: Path, fmt: str, frame: pd.DataFrame,
                           sheet: str | int | None) -> None:
    """Refuse a repeated column name (pandas reads a second ``x`` as ``x.1``)."""
    names = [str(c) for c in frame.columns]
    suspects = [n for n in names if re.search(r"\.\d+$", n) and n.rsplit(".", 1)[0] in names]
    if not suspects:
        return
    header: list[str] = names
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            ws = book.worksheets[sheet] if isinstance(sheet, int) else (
                book[sheet] if sheet is not None else book.worksheets[0])
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            header = [str(v) for v in first if v is not None]
        finally:
            book.close()
    else:
        header = [n.rsplit(".", 1)[0] if n in suspects else n for n in names]
    _check_header(header, path, None if sheet is None else str(sheet))


def _read_stats_file(path: Path, fmt: str, text: bool | Collection[str]) -> pd.DataFrame:
    import pandas as pd

    try:
        if fmt == "sav":
            frame = pd.read_spss(path, convert_categoricals=False)
        else:
            frame = pd.read_stata(path, convert_categoricals=False)
    except (ValueError, OSError, ImportError) as exc:
        kind = "SPSS .sav" if fmt == "sav" else "Stata .dta"
        raise InputError(f"the {kind} file cannot be read (damaged or truncated)",
                         file=str(path), got=str(exc).strip()[:200],
                         hint="Write it again, or give the CSV version") from None
    return _as_text(frame, text)
