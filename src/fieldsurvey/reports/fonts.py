"""Find, check and register a Chinese (CJK) font for the PDF outputs.

Chinese text must render in any PDF reader, on machines that have no Chinese font.
The reliable way is to *embed* a TrueType font that has the glyphs: reportlab subsets
and embeds TrueType outlines (``.ttf``, and ``.ttc`` collections by subfont index).
When no such font is installed we fall back to Adobe's standard CJK CID font
``STSong-Light``, which every PDF reader knows by name but which is *not* embedded:
the reader substitutes its own Song/Ming face (Acrobat and poppler with
``poppler-data`` do; a bare reader may show boxes). Whichever is used is reported in
:attr:`CJKFont.message` (the CLI prints it on stderr) and written into the PDF's
metadata (:attr:`CJKFont.description`).

Recommended install on Debian/Ubuntu: ``apt install fonts-wqy-microhei`` (TrueType,
embeds well). ``fonts-noto-cjk`` is also searched, but its ``.ttc`` files carry
PostScript (CFF) outlines that reportlab cannot embed; they are skipped with a note,
so install ``fonts-wqy-microhei`` (or ``fonts-wqy-zenhei``, ``fonts-arphic-uming``)
alongside, or pass ``--font FILE`` with a TrueType CJK font.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont, TTFontFile

from fieldsurvey.io.errors import InputError

__all__ = ["CID_FALLBACK", "CJKFont", "find_cjk_font", "font_search_dirs"]

#: The standard (non-embedded) CID font used when no TrueType CJK font is found.
CID_FALLBACK = "STSong-Light"

#: Characters a usable font must have (community, survey, map words; digits).
_PROBE = "社区调查地图楼栋单元户样本街道访员0123456789"

#: Well-known CJK font files, best first (TrueType outlines first).
_PREFERRED = (
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "msyh.ttc",
    "msyh.ttf",
    "simhei.ttf",
    "simsun.ttc",
    "Hiragino Sans GB.ttc",
    "STHeiti Light.ttc",
    "STHeiti Medium.ttc",
    "PingFang.ttc",
    "Arial Unicode.ttf",
    "uming.ttc",
    "ukai.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "NotoSansSC-Regular.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSerifCJK-Regular.ttc",
    "SourceHanSansSC-Regular.otf",
)

#: Other file names that suggest a CJK font (searched after the preferred ones).
_CJK_NAME = re.compile(
    r"(cjk|wqy|wenquanyi|droidsansfallback|sourcehan|noto\w*(sc|tc|hk|jp|kr)\b|"
    r"simsun|simhei|simkai|simfang|msyh|msjh|pingfang|hiragino|heiti|songti|kaiti|"
    r"fangsong|uming|ukai|arphic|yahei|dengxian|deng|fzs|fzh)",
    re.IGNORECASE,
)
_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


@dataclass(frozen=True)
class CJKFont:
    """A registered CJK font ready for ``canvas.setFont(font.name, size)``.

    Attributes
    ----------
    name
        reportlab font name (registered with :mod:`reportlab.pdfbase.pdfmetrics`).
    family
        Human-readable family name (e.g. ``WenQuanYi Micro Hei``).
    path
        Font file, or ``None`` for the standard CID font.
    subfont_index
        Index of the face inside a ``.ttc`` collection (0 for single fonts).
    embedded
        True when the glyphs are embedded in the PDF (TrueType), False for the CID font.
    skipped
        Candidate files that were found but could not be used, with the reason.
    """

    name: str
    family: str
    path: Path | None
    subfont_index: int = 0
    embedded: bool = True
    skipped: tuple[str, ...] = field(default=(), compare=False)

    @property
    def description(self) -> str:
        """One line for the PDF metadata: which font, embedded or not."""
        if self.embedded:
            return (
                f"CJK font: {self.family} (embedded TrueType subset; file {self.path}, "
                f"subfont {self.subfont_index})"
            )
        return f"CJK font: {self.name} (standard CID font, not embedded)"

    @property
    def message(self) -> str:
        """What the user should know about the font used (the CLI prints it on stderr)."""
        if self.embedded:
            return f"Chinese text uses {self.family} from {self.path}, embedded in the PDF."
        note = (
            f"No TrueType Chinese font was found, so Chinese text uses the standard CID font "
            f"{self.name}, which is not embedded: PDF readers substitute their own Chinese "
            "font and a reader without one shows boxes. To embed a font install one "
            "(Debian/Ubuntu: apt install fonts-wqy-microhei) or pass --font FILE."
        )
        if self.skipped:
            note += " Skipped: " + "; ".join(self.skipped) + "."
        return note


def font_search_dirs() -> list[Path]:
    """The usual places fonts are installed on Linux, macOS and Windows (existing ones)."""
    home = Path.home()
    dirs = [
        home / ".fonts",
        home / ".local" / "share" / "fonts",
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        Path("/usr/share/fonts/truetype/wqy"),
        Path("/usr/share/fonts/opentype/noto"),
        home / "Library" / "Fonts",
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts"),
        Path("/System/Library/Fonts/Supplemental"),
    ]
    windir = os.environ.get("WINDIR") or os.environ.get("SystemRoot")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    elif sys.platform.startswith("win"):  # pragma: no cover - Windows only
        dirs.append(Path("C:/Windows/Fonts"))
    local = os.environ.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    for extra in os.environ.get("XDG_DATA_DIRS", "").split(os.pathsep):
        if extra:
            dirs.append(Path(extra) / "fonts")
    seen: list[Path] = []
    for d in dirs:
        if d not in seen and d.is_dir():
            seen.append(d)
    return seen


def _candidates(dirs: list[Path]) -> list[Path]:
    """Font files in ``dirs`` that look like CJK fonts, preferred names first."""
    found: dict[str, list[Path]] = {}
    others: list[Path] = []
    for root in dirs:
        for dirpath, _dirnames, filenames in os.walk(root):
            for name in filenames:
                if not name.lower().endswith(_FONT_SUFFIXES):
                    continue
                path = Path(dirpath) / name
                if name in _PREFERRED:
                    found.setdefault(name, []).append(path)
                elif _CJK_NAME.search(name):
                    others.append(path)
    ordered = [p for name in _PREFERRED for p in found.get(name, [])]
    ordered += sorted(set(others) - set(ordered))
    unique: list[Path] = []
    for p in ordered:
        if p not in unique:
            unique.append(p)
    return unique


def _split_index(spec: str | os.PathLike[str]) -> tuple[Path, int | None]:
    """``"font.ttc#2"`` -> (``font.ttc``, 2); a plain path -> (path, None)."""
    text = os.fspath(spec)
    m = re.fullmatch(r"(.+)#(\d+)", text)
    if m and not Path(text).exists():
        return Path(m.group(1)), int(m.group(2))
    return Path(text), None


def _probe_file(path: Path, index: int | None) -> tuple[int, str]:
    """Return (subfont index, family) of a usable face in ``path``; raise ValueError why not.

    Parsing a CJK font takes about 0.4 s, so results are cached per file version.
    """
    st = path.stat()
    result = _probe_cached(str(path), index, st.st_mtime_ns, st.st_size)
    if isinstance(result, str):
        raise ValueError(result)
    return result


@functools.lru_cache(maxsize=64)
def _probe_cached(path_s: str, index: int | None, _mtime: int, _size: int
                  ) -> tuple[int, str] | str:
    try:
        return _probe_uncached(Path(path_s), index)
    except ValueError as exc:
        return str(exc)


def _family(f: TTFontFile) -> str:
    raw = getattr(f, "familyName", b"") or f.name
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _probe_uncached(path: Path, index: int | None) -> tuple[int, str]:
    try:
        first = TTFontFile(str(path), validate=0, subfontIndex=index or 0)
    except TTFError as exc:
        text = str(exc)
        if "postscript outlines" in text:
            raise ValueError(
                "PostScript (CFF) outlines, which reportlab cannot embed; use a TrueType font"
            ) from None
        raise ValueError(f"not a TrueType font ({text})") from None
    except (OSError, ValueError, KeyError, IndexError, AssertionError) as exc:
        raise ValueError(f"cannot be read as a font ({exc})") from None
    faces = [(index or 0, first)]
    count = int(getattr(first, "numSubfonts", 0) or 0)
    first_fam = _family(first)
    first_fits = all(ord(ch) in first.charToGlyph for ch in _PROBE)
    if first_fits and "mono" not in first_fam.lower():
        count = 0  # the first face will do: parsing a CJK face costs ~0.4 s
    if index is None and count > 1:
        for i in range(1, count):
            try:
                faces.append((i, TTFontFile(str(path), validate=0, subfontIndex=i)))
            except (TTFError, OSError, ValueError):
                continue
    usable = [(i, f) for i, f in faces if all(ord(ch) in f.charToGlyph for ch in _PROBE)]
    if not usable:
        raise ValueError("has no Chinese glyphs")

    # inside a collection prefer a Simplified Chinese, proportional face
    def rank(item: tuple[int, TTFontFile]) -> tuple[int, int, int]:
        fam = _family(item[1])
        return (0 if re.search(r"\b(SC|GB|CN)\b", fam) else 1, 1 if "mono" in fam.lower() else 0,
                item[0])

    best_index, best = min(usable, key=rank)
    return best_index, _family(best)


@functools.lru_cache(maxsize=16)
def _register_ttf(path: str, index: int, family: str) -> str:
    name = "FSCJK-" + re.sub(r"[^A-Za-z0-9]+", "", family)[:24] + f"-{index}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


def _register_cid(skipped: tuple[str, ...] = ()) -> CJKFont:
    if CID_FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CJKFont(name=CID_FALLBACK, family=CID_FALLBACK, path=None, subfont_index=0,
                   embedded=False, skipped=skipped)


def find_cjk_font(
    font: str | os.PathLike[str] | None = None,
    *,
    search_dirs: list[Path] | None = None,
) -> CJKFont:
    """Find a CJK font, register it with reportlab and say which one it is.

    Parameters
    ----------
    font
        A font file to use (``.ttf``/``.ttc``; ``FILE#N`` picks face N of a collection),
        or ``"STSong-Light"`` to force the standard CID font. ``None`` searches the
        system font places (see :func:`font_search_dirs`).
    search_dirs
        Directories to search instead of the system places (``[]`` finds nothing, which
        forces the CID fallback).

    Returns
    -------
    CJKFont
        The registered font; ``message`` tells the user which one, ``description`` goes
        into the PDF metadata.

    Raises
    ------
    InputError
        When ``font`` names a file that does not exist or cannot be used (no Chinese
        glyphs, PostScript outlines, not a font).
    """
    if font is not None and os.fspath(font) == CID_FALLBACK:
        return _register_cid()
    if font is not None:
        path, index = _split_index(font)
        if not path.is_file():
            raise InputError(
                "the font file does not exist", file=str(path), field="--font",
                hint="Give the path of a TrueType Chinese font (.ttf/.ttc), e.g. "
                "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc, or STSong-Light",
            )
        try:
            sub, family = _probe_file(path, index)
        except ValueError as exc:
            raise InputError(
                f"this font cannot be used for Chinese text: it {exc}", file=str(path),
                field="--font",
                hint="Choose a TrueType CJK font such as WenQuanYi Micro Hei "
                "(apt install fonts-wqy-microhei), or pass STSong-Light",
            ) from None
        name = _register_ttf(str(path), sub, family)
        return CJKFont(name=name, family=family, path=path, subfont_index=sub)

    dirs = font_search_dirs() if search_dirs is None else list(search_dirs)
    skipped: list[str] = []
    for path in _candidates(dirs):
        try:
            sub, family = _probe_file(path, None)
        except ValueError as exc:
            skipped.append(f"{path.name}: {exc}")
            continue
        name = _register_ttf(str(path), sub, family)
        return CJKFont(name=name, family=family, path=path, subfont_index=sub,
                       skipped=tuple(skipped))
    return _register_cid(tuple(skipped))
