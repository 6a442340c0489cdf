r"""Form texts as ODK Collect shows them, drawn in a terminal.

Labels, hints and choice labels of real XLSForms carry ODK's small markdown: ``**strong**``
or ``__strong__``, ``*emphasis*`` or ``_emphasis_``, ``# headings``, ``[links](url)``,
``<span style="color:red">`` and a few HTML entities; a backslash escapes a mark
(``\*``). :func:`odk_text` turns that into a Rich :class:`~rich.text.Text` with the
styles instead of the raw marks. An underscore inside a word is text, not emphasis
(``my_name_here`` stays as it is), as in CommonMark. Other HTML tags are dropped.

:func:`media_line` names the picture, sound or video a question's media columns
attach (a terminal cannot show them; the interviewer sees which file is meant).
"""

from __future__ import annotations

import html
import re

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from fieldsurvey.questionnaire.model import LangText

__all__ = ["media_line", "odk_text", "plain_odk", "wrap_cells"]

_ESCAPED = re.compile(r"\\([*_#\[\]()\\])")
_SPAN = re.compile(r"<span\s+style\s*=\s*[\"']([^\"']*)[\"']\s*>(.*?)</span>",
                   re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(?<![\\*])\*\*(?=\S)(.+?)(?<=\S)\*\*"
                     r"|(?<![\w\\])__(?=\S)(.+?)(?<=\S)__(?!\w)", re.DOTALL)
_EM = re.compile(r"(?<![\\*])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?!\*)"
                 r"|(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?!\w)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _color(css: str) -> Style:
    """The colour of a ``style="color: red; font-family: ..."`` (other properties ignored)."""
    for part in css.split(";"):
        key, _, value = part.partition(":")
        if key.strip().lower() == "color" and value.strip():
            try:
                return Style.parse(value.strip().lower())
            except Exception:  # noqa: BLE001 - an unknown colour name: draw it plain
                return Style()
    return Style()


def _inline(line: str) -> Text:
    """One line of inline marks (spans, links, strong, emphasis) as styled text."""
    out = Text()
    pos = 0
    # spans first: their content gets the marks too
    for m in _SPAN.finditer(line):
        out.append_text(_marks(line[pos:m.start()], Style()))
        out.append_text(_marks(m.group(2), _color(m.group(1))))
        pos = m.end()
    out.append_text(_marks(line[pos:], Style()))
    return out


def _marks(text: str, style: Style) -> Text:
    """Links, strong and emphasis in ``text`` (no spans), each over ``style``."""
    text = _TAG.sub("", text)
    out = Text()
    # find the first mark of any kind, emit it, continue after it
    pos = 0
    patterns = ((_LINK, "link"), (_STRONG, "bold"), (_EM, "italic"))
    while pos <= len(text):
        best: tuple[re.Match[str], str] | None = None
        for pat, kind in patterns:
            m = pat.search(text, pos)
            if m is not None and (best is None or m.start() < best[0].start()):
                best = (m, kind)
        if best is None:
            break
        m, kind = best
        out.append(_unescape(text[pos:m.start()]), style=style)
        if kind == "link":
            out.append_text(_marks(m.group(1), style + Style(underline=True)))
            out.append(f" ({m.group(2)})", style=style + Style(dim=True))
        else:
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            mark = Style(bold=True) if kind == "bold" else Style(italic=True)
            out.append_text(_marks(inner, style + mark))
        pos = m.end()
    out.append(_unescape(text[pos:]), style=style)
    return out


def _unescape(text: str) -> str:
    return html.unescape(_ESCAPED.sub(r"\1", text))


def odk_text(text: str, style: Style | str = "") -> Text:
    """``text`` with ODK's markdown drawn as styles (see the module docstring)."""
    base = Style.parse(style) if isinstance(style, str) else style
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    out = Text(style=base)
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("\n")
        m = _HEADING.match(line)
        if m is not None:
            heading = _inline(m.group(2).rstrip())
            heading.stylize(Style(bold=True))
            out.append_text(heading)
        else:
            out.append_text(_inline(line.rstrip()))
    return out


def plain_odk(text: str) -> str:
    """``text`` without ODK's marks (for one-line places: lists, dialogs, cells)."""
    return odk_text(text).plain


_MEDIA_NAMES = {
    "image": ("图片", "picture"), "big-image": ("大图", "large picture"),
    "audio": ("音频", "sound"), "video": ("视频", "video"),
}


def media_line(media: tuple[tuple[str, str], ...], lang: str, form_lang: str | None,
               default_lang: str | None = None) -> str:
    """``[图片 happy.jpg] [音频 q1.mp3]``: the files a question's media columns name.

    ``media`` holds ``(kind, file)`` or ``(kind::language, file)`` pairs; the file of
    ``form_lang`` is chosen as a label's text would be (then ``default_lang``, then the
    one without a language, then any). ``lang`` (zh/en) names the kinds.
    """
    by_kind: dict[str, dict[str, str]] = {}
    for key, name in media:
        kind, _, mlang = key.partition("::")
        if name.strip():
            by_kind.setdefault(kind, {}).setdefault(mlang, name.strip())
    parts = []
    for kind, files in by_kind.items():
        pick = LangText.of(files).get(form_lang, default_lang)
        names = _MEDIA_NAMES.get(kind, (kind, kind))
        parts.append(f"[{names[0] if lang == 'zh' else names[1]} {pick}]")
    return " ".join(parts)


#: Characters a line should not start with (closing punctuation, CJK and Latin).
_NO_LINE_START = frozenset("，。、；：？！）》」』】〉”’,.;:?!)]}%")


def wrap_cells(text: Text, width: int) -> list[Text]:
    """``text`` in lines of at most ``width`` terminal cells, its styles kept.

    Latin words move down whole (a word longer than the line is cut); CJK text breaks
    between any two characters, never inside one, and a line does not start with
    closing punctuation. Unlike Rich's word wrap, a short number before a long CJK
    phrase (``25 第25号行政村…``) stays on the first line.
    """
    plain = text.plain
    width = max(width, 4)
    cuts: list[tuple[int, int]] = []
    start, used, space, i = 0, 0, -1, 0
    while i < len(plain):
        ch = plain[i]
        if ch == "\n":
            cuts.append((start, i))
            start, used, space, i = i + 1, 0, -1, i + 1
            continue
        w = cell_len(ch)
        if used + w > width and i > start:
            if ch == " ":
                cuts.append((start, i))
                start, used, space, i = i + 1, 0, -1, i + 1
                continue
            word = plain[space + 1:i] if space >= start else ""
            if word and all(cell_len(c) == 1 for c in word):
                cuts.append((start, space))  # the Latin word moves down whole
                start = space + 1
            else:
                cut = i - 1 if ch in _NO_LINE_START and i - 1 > start else i
                cuts.append((start, cut))
                start = cut
            used, space = cell_len(plain[start:i]), -1
            continue  # the same character again, on the new line
        if ch == " ":
            space = i
        used += w
        i += 1
    cuts.append((start, len(plain)))
    lines = []
    for a, b in cuts:
        line = text[a:b]
        line.rstrip()
        lines.append(line)
    return lines
