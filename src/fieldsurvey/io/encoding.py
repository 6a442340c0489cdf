"""Detect and check the text encoding of listings and shapefile attributes.

Files reach a survey team in a few encodings: UTF-8 (with or without the byte-order
mark Excel adds), GBK from older Chinese Windows software, Big5 from Hong Kong and
Taiwan. Detection order:

1. a UTF-8 BOM -> ``utf-8-sig``;
2. valid UTF-8 -> ``utf-8``;
3. valid GB18030 (a superset of GBK and GB2312) whose non-ASCII bytes come in pairs,
   as Chinese text does -> ``gb18030``, unless the same bytes read clearly better as
   Big5 (see :func:`cjk_score`) -> ``big5hkscs``; valid Big5 that reads as Chinese ->
   ``big5hkscs`` (Hong Kong and Taiwan files; HKSCS is a superset of Big5);
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
from dataclasses import dataclass
from pathlib import Path

from fieldsurvey.io.errors import EncodingError

__all__ = [
    "DbfEncoding",
    "cjk_score",
    "dbf_encoding",
    "dbf_text_fields",
    "decode_text",
    "detect_encoding",
    "normalise_encoding",
    "suspicious_text",
]

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


def _cjk_in_words(text: str) -> bool:
    """Whether the non-ASCII characters of ``text`` mostly stand beside each other.

    Chinese words do; accented Latin letters read as GBK come out as lone characters
    between ASCII letters (``Alto da Na玢o``). This catches GBK text whose characters'
    second bytes are ASCII (traditional and rare characters: ``0x40``-``0x7E``), which
    breaks the runs of high bytes :func:`_looks_like_cjk_pairs` counts.
    """
    sample = text[:_SAMPLE]
    high = [i for i, c in enumerate(sample) if ord(c) >= 0x80]
    if len(high) < 4:
        return False
    at = set(high)
    together = sum(1 for i in high if i - 1 in at or i + 1 in at)
    return together >= 0.9 * len(high)


def detect_encoding(data: bytes, *, file: str | Path | None = None,
                    option: str = "--encoding") -> str:
    """Return the codec of ``data`` (``utf-8-sig``, ``utf-8``, ``gb18030`` or ``big5hkscs``).

    ``option`` is the command-line option that names the encoding of this input
    (``--listing-encoding`` for listings); every hint names it.

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
        text = data.decode("gb18030")
        if _looks_like_cjk_pairs(data) or _cjk_in_words(text):
            return _gbk_or_big5(data)
        if _plausible_big5(data):  # Big5 trail bytes may be ASCII: runs of odd length
            return "big5hkscs"
    except UnicodeDecodeError as gbk_err:
        if _plausible_big5(data):
            return "big5hkscs"
        if gbk_err.start > first_bad and _looks_like_cjk_pairs(data[: gbk_err.start]):
            # GBK up to a point, then bytes that are not: name that row
            raise EncodingError(
                "the text looks like GBK, but part of it is not valid GBK",
                file=file,
                row=_row_of(data, gbk_err.start),
                expected="GBK text throughout (as detected)",
                got=f"the bytes {data[gbk_err.start:gbk_err.start + 4]!r} at byte {gbk_err.start}",
                hint=f"Fix or re-type that row, or give the file's real encoding with {option}",
            ) from None
    raise EncodingError(
        "the text is neither UTF-8 nor GBK, so its encoding cannot be detected",
        file=file,
        row=_row_of(data, first_bad),
        expected="UTF-8, UTF-8 with BOM, GBK or Big5 text",
        got=f"the bytes {data[first_bad:first_bad + 4]!r}",
        hint=f"Save the file as UTF-8, or name its encoding (for example {option} cp1252)",
    )


def _row_of(data: bytes, offset: int, *, header_rows: int = 1) -> int | None:
    """1-based data row of a byte offset (the header line is row 0)."""
    line = data.count(b"\n", 0, offset) + 1
    return max(line - header_rows, 0) or None


def decode_text(
    data: bytes, encoding: str | None = None, *, file: str | Path | None = None,
    option: str = "--encoding",
) -> tuple[str, str]:
    """Decode ``data`` with ``encoding`` (detected when None); return (text, codec).

    Raises
    ------
    EncodingError
        When a byte sequence is not valid in the encoding; the message gives the row.
    """
    codec = detect_encoding(data, file=file, option=option) if encoding is None else \
        normalise_encoding(encoding, file=file)
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
            hint=f"Fix or re-save that row, or give the file's real encoding with {option}",
        ) from None


# --- telling GBK from Big5, and finding text that was decoded wrongly -------------------
#
# GBK and Big5 are both double-byte encodings whose byte ranges overlap, so most Big5
# text is also *valid* GBK (and the reverse): validity alone cannot choose. Decoded
# in the right encoding, text consists mostly of the frequent characters each standard
# puts first (GB 2312 level 1, lead bytes B0-D7; Big5 level 1, lead bytes A4-C6);
# decoded in the wrong one, the characters scatter over the whole table (rare
# characters, symbols, private-use code points). :func:`cjk_score` measures that.

_SAMPLE = 200_000
_DECODINGS = ("utf-8", "gb18030", "big5hkscs")


def _valid(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _char_weight(ch: str, codec: str) -> float:
    o = ord(ch)
    if o < 0x80:
        return 1.0
    if 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
        return 0.8  # CJK and full-width punctuation
    if 0xE000 <= o <= 0xF8FF or o == 0xFFFD:
        return 0.0  # private use, replacement character
    try:
        if codec == "gb18030":
            b = ch.encode("gb2312")
            return 1.0 if 0xB0 <= b[0] <= 0xD7 else 0.15
        if codec == "big5hkscs":
            b = ch.encode("big5")
            return 1.0 if 0xA4 <= b[0] <= 0xC6 else 0.15
    except UnicodeEncodeError:
        pass
    if 0x4E00 <= o <= 0x9FFF:
        return 0.3
    if codec == "big5hkscs" and 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF:
        return 0.4  # HKSCS characters outside the basic block
    return 0.0


def cjk_score(text: str, codec: str) -> float:
    """Plausibility (0-1) of ``text`` as decoded with ``codec``.

    The mean weight of its non-ASCII characters (1 for the frequent characters of that standard,
    less for rare
    ones, 0 for symbols and private-use code points). 1.0 for pure ASCII.
    """
    chars = [c for c in text if ord(c) >= 0x80]
    if not chars:
        return 1.0
    weights = {c: _char_weight(c, codec) for c in set(chars)}
    return sum(weights[c] for c in chars) / len(chars)


def _plausible_big5(data: bytes) -> bool:
    """True for valid Big5-HKSCS that reads as Chinese.

    Its trail bytes may be ASCII letters, so the even-runs test for GBK does not apply.
    """
    try:
        text = data.decode("big5hkscs")
    except UnicodeDecodeError:
        return False
    return cjk_score(text[:_SAMPLE], "big5hkscs") >= 0.7


def _gbk_or_big5(data: bytes) -> str:
    """``gb18030`` or ``big5hkscs`` for bytes valid in GB18030: the more plausible one."""
    sample = data[:_SAMPLE]
    cut = sample.rfind(b"\n")
    sample = sample[:cut] if cut > 0 and len(data) > _SAMPLE else sample
    try:
        big5 = sample.decode("big5hkscs")
    except UnicodeDecodeError:
        return "gb18030"
    gbk = sample.decode("gb18030", errors="replace")
    return "big5hkscs" if cjk_score(big5, "big5hkscs") > cjk_score(gbk, "gb18030") + 0.1 \
        else "gb18030"


def dbf_text_fields(data: bytes) -> dict[bytes, list[bytes]]:
    """The raw bytes of every character field of a dBase file, by field name.

    Only what the encoding checks need: the header, the field descriptors and the
    fixed-width records (trailing spaces stripped). Malformed files give ``{}``.
    """
    if len(data) < 33:
        return {}
    n = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    fields: list[tuple[bytes, str, int, int]] = []
    pos, offset = 32, 1
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        name = desc[:11].split(b"\0", 1)[0].strip()
        ftype, width = chr(desc[11]), desc[16]
        fields.append((name, ftype, offset, width))
        offset += width
        pos += 32
    if record_len <= 0 or offset != record_len:
        return {}
    out: dict[bytes, list[bytes]] = {}
    for name, ftype, start, width in fields:
        if ftype != "C":
            continue
        values = []
        for r in range(n):
            a = header_len + r * record_len + start
            if a + width > len(data):
                break
            values.append(data[a:a + width].rstrip(b" \0"))
        out[name] = values
    return out


@dataclass(frozen=True)
class DbfEncoding:
    """The attribute encoding chosen for a shapefile's .dbf, and why."""

    codec: str | None
    """Python codec to decode with, or None to let GDAL decide (``.cpg``/language byte)."""
    source: str
    """``cpg``, ``language byte``, ``detected`` or ``given``."""
    note: str = ""
    """What was tried and chosen (reported to the user when detected)."""


_LDID_GBK = {0x4D, 0x7A}
_LDID_BIG5 = {0x4F, 0x78}


def dbf_encoding(shp: Path) -> DbfEncoding:
    """Encoding for the attributes of a shapefile.

    From the ``.cpg``, the .dbf language byte, or detection among UTF-8, GBK and Big5
    when neither says.

    Big5 (by ``.cpg`` or by language byte) is read as Big5-HKSCS, a superset whose
    extra characters (禾輋邨, 鰂魚涌) cp950 loses.
    """
    cpg = next((p for p in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")) if p.exists()), None)
    if cpg is not None:
        text = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip().lower()
        if text.replace("-", "").replace("_", "") in ("big5", "cp950", "950", "big5hkscs"):
            return DbfEncoding("big5hkscs", "cpg", f".cpg says {text}; read as Big5-HKSCS")
        return DbfEncoding(None, "cpg")
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return DbfEncoding(None, "none")
    data = dbf.read_bytes()
    if len(data) < 32:
        return DbfEncoding(None, "none")
    if data[29] in _LDID_BIG5:
        return DbfEncoding("big5hkscs", "language byte",
                           "the .dbf language byte says Big5 (cp950); read as Big5-HKSCS")
    if data[29] in _LDID_GBK:
        return DbfEncoding("gb18030", "language byte")
    if data[29] != 0:
        return DbfEncoding(None, "language byte")
    fields = dbf_text_fields(data)
    raw = b"\n".join([*fields, *(v for vals in fields.values() for v in vals)])
    if not re.search(rb"[\x80-\xff]", raw):
        return DbfEncoding(None, "ascii")
    scores = {}
    for codec in _DECODINGS:
        try:
            # field names stop at 10 bytes, perhaps inside a character: their cut tail
            # does not count against an encoding
            names = [_decode_cut(n, codec) for n in fields]
            text = "\n".join([*names, *(v.decode(codec) for vals in fields.values()
                                         for v in vals)])
        except UnicodeDecodeError:
            continue
        if codec == "gb18030" and not _looks_like_cjk_pairs(raw):
            scores[codec] = 0.0  # isolated high bytes: accented Latin letters, not GBK pairs
            continue
        scores[codec] = 1.0 if codec == "utf-8" else cjk_score(text, codec)
    tried = ", ".join(f"{_LABEL[c]} {scores[c]:.2f}" if c in scores else f"{_LABEL[c]} invalid"
                      for c in _DECODINGS)
    best = max(scores, key=lambda c: scores[c]) if scores else None
    if best is None or scores[best] < _PLAUSIBLE:
        # not Chinese text: the Western single-byte code page GIS software writes
        # without a language byte (accented names such as São José, Møre og Romsdal)
        western = "cp1252" if _valid(raw, "cp1252") else "latin-1"
        return DbfEncoding(western, "detected",
                           f"the .dbf has no .cpg and no language byte; tried {tried} "
                           "(plausibility); none reads as Chinese text, so it was read as "
                           + ("Windows-1252" if western == "cp1252" else "ISO-8859-1")
                           + " (Western European); give --encoding if that is wrong")
    return DbfEncoding({"utf-8": "UTF-8"}.get(best, best), "detected",
                       f"the .dbf has no .cpg and no language byte; tried {tried} "
                       f"(plausibility); chose {_LABEL[best]}")


#: Below this plausibility a CJK decoding is taken for chance (Latin text read as GBK).
_PLAUSIBLE = 0.5
_LABEL = {"utf-8": "UTF-8", "gb18030": "GBK", "big5hkscs": "Big5"}


def _decode_cut(name: bytes, codec: str) -> str:
    """A dBase field name decoded, allowing a character cut at the 10-byte limit."""
    for cut in range(4 if len(name) >= 8 else 1):
        try:
            return name[:len(name) - cut].decode(codec)
        except UnicodeDecodeError:
            continue
    return name.decode(codec)  # raises: not this encoding


def suspicious_text(values: list[str]) -> tuple[str, str, str] | None:
    """Why decoded text looks garbled, or None: (kind, example, probable encoding).

    Two signatures: private-use code points or U+FFFD (bytes the decoder could not
    place), and Latin-1 mojibake (a run of characters U+0080-U+00FF whose bytes read
    as plausible UTF-8, GBK or Big5 text).
    """
    for v in values:
        if any(0xE000 <= ord(c) <= 0xF8FF or ord(c) == 0xFFFD for c in v):
            return "private-use or replacement characters", v, ""
    for v in values:
        high = [c for c in v if 0x80 <= ord(c) <= 0xFF]
        letters = [c for c in v if not c.isspace()]
        # CJK bytes read as Latin-1 are mostly high characters, many of them symbols
        # (¨ ¥ ´ ³ ½); accented Latin names (Alto da Nação) have a few accented letters
        if len(high) < 2 or len(high) < 0.5 * len(letters) \
                or not any(0x80 <= ord(c) <= 0xBF for c in high):
            continue
        raw = v.encode("latin-1", errors="ignore")
        for codec in _DECODINGS:
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            cjk = [c for c in text if 0x3000 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF]
            if cjk and cjk_score(text, codec) >= 0.7:
                return "Latin-1 mojibake of CJK bytes", v, _LABEL[codec]
    return None
