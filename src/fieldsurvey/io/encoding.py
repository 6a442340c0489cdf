"""Detect and check the text encoding of listings and shapefile attributes.

Files reach a survey team in three encodings: UTF-8 (with or without the byte-order
mark Excel adds) and GBK from older Chinese Windows software. Detection order:

1. a UTF-8 BOM -> ``utf-8-sig``;
2. valid UTF-8 -> ``utf-8``;
3. valid GB18030 (a superset of GBK and GB2312) whose non-ASCII bytes come in pairs,
   as Chinese text does -> ``gb18030``;
4. otherwise the file is reported: it is not valid in any encoding we can tell apart,
   so the user must name it (``encoding=`` / ``--encoding``).

A Latin-1/cp1252 text is often byte-valid GBK by accident, but its accented letters
are isolated high bytes; rule 3 rejects it because the runs of high bytes have odd
length. When an encoding is given (or detected) and a byte sequence is not valid in
it, :class:`~fieldsurvey.io.errors.EncodingError` names the row.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from fieldsurvey.io.errors import EncodingError

__all__ = ["decode_text", "detect_encoding", "normalise_encoding"]

_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "936": "gb18030"}


def normalise_encoding(name: str, *, file: str | Path | None = None) -> str:
    """Canonical Python codec name for a user's encoding; GBK and GB2312 read as GB18030."""
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise EncodingError(
            "unknown text encoding",
            file=file,
            field="encoding",
            expected="an encoding such as UTF-8, GBK or cp1252",
            got=repr(name),
            hint="Give one of those names",
        ) from None


def _looks_like_cjk_pairs(data: bytes) -> bool:
    runs = _HIGH_RUN.findall(data[:2_000_000])
    if not runs:
        return True
    odd = sum(1 for r in runs if len(r) % 2)
    return odd <= 0.02 * len(runs)


def detect_encoding(data: bytes, *, file: str | Path | None = None) -> str:
    """Return the codec of ``data`` (``utf-8-sig``, ``utf-8`` or ``gb18030``).

    Raises
    ------
    EncodingError
        If the bytes are neither UTF-8 nor Chinese text in GBK/GB18030.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as utf_err:
        first_bad = utf_err.start
    try:
        data.decode("gb18030")
        if _looks_like_cjk_pairs(data):
            return "gb18030"
    except UnicodeDecodeError as gbk_err:
        if gbk_err.start > first_bad and _looks_like_cjk_pairs(data[: gbk_err.start]):
            # GBK up to a point, then bytes that are not: name that row
            raise EncodingError(
                "the text looks like GBK, but part of it is not valid GBK",
                file=file,
                row=_row_of(data, gbk_err.start),
                expected="GBK text throughout (as detected)",
                got=f"the bytes {data[gbk_err.start:gbk_err.start + 4]!r} at byte {gbk_err.start}",
                hint="Fix or re-type that row, or give the file's real encoding with --encoding",
            ) from None
    raise EncodingError(
        "the text is neither UTF-8 nor GBK, so its encoding cannot be detected",
        file=file,
        row=_row_of(data, first_bad),
        expected="UTF-8, UTF-8 with BOM or GBK text",
        got=f"the bytes {data[first_bad:first_bad + 4]!r}",
        hint="Save the file as UTF-8, or name its encoding (for example --encoding cp1252)",
    )


def _row_of(data: bytes, offset: int, *, header_rows: int = 1) -> int | None:
    """1-based data row of a byte offset (the header line is row 0)."""
    line = data.count(b"\n", 0, offset) + 1
    return max(line - header_rows, 0) or None


def decode_text(
    data: bytes, encoding: str | None = None, *, file: str | Path | None = None
) -> tuple[str, str]:
    """Decode ``data`` with ``encoding`` (detected when None); return (text, codec).

    Raises
    ------
    EncodingError
        When a byte sequence is not valid in the encoding; the message gives the row.
    """
    codec = detect_encoding(data, file=file) if encoding is None else normalise_encoding(
        encoding, file=file
    )
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"the text is not valid {codec.upper()}",
            file=file,
            row=_row_of(data, exc.start),
            expected=f"text in {codec.upper()}" + (" (as given)" if encoding else " (as detected)"),
            got=f"the bytes {data[exc.start:exc.start + 4]!r} at byte {exc.start}",
            hint="Fix or re-save that row, or give the file's real encoding with --encoding",
        ) from None
