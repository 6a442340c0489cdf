"""Text in terminal cells: Chinese characters take two cells, Latin letters one.

Textual cuts a table cell at its width, which can split an English word or drop the end
of an address. :func:`fit` shortens a text to a number of cells itself: at a word
boundary for Latin text, anywhere between CJK characters, with ``…`` where text was left
out; ``keep="end"`` keeps the end (the building, unit and door of an address) and drops
the start instead.
"""

from __future__ import annotations

from rich.cells import cell_len

__all__ = ["cell_len", "fit", "pad"]

_ELLIPSIS = "…"


def _cut_start(text: str, cells: int) -> str:
    """The longest start of ``text`` within ``cells`` cells, not splitting a Latin word."""
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > cells:
            break
        out.append(ch)
        used += w
    head = "".join(out)
    rest = text[len(head):]
    if rest and rest[0].isascii() and rest[0].isalnum() and head and head[-1].isascii() \
            and head[-1].isalnum():
        # in the middle of a Latin word: go back to the last space or punctuation
        i = len(head)
        while i > 0 and head[i - 1].isascii() and head[i - 1].isalnum():
            i -= 1
        if i > 0:
            head = head[:i]
    return head.rstrip(" ,;·-/")


def fit(text: str, cells: int, *, keep: str = "start") -> str:
    """``text`` shortened to at most ``cells`` terminal cells.

    Parameters
    ----------
    text
        Any text (CJK characters count two cells).
    cells
        The width available.
    keep
        ``start`` keeps the beginning and ends with ``…``; ``end`` keeps the end and
        starts with ``…`` (for addresses, whose end tells dwellings apart).
    """
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return _ELLIPSIS[:cells]
    room = cells - cell_len(_ELLIPSIS)
    if keep == "end":
        tail = _cut_start(text[::-1], room)[::-1]
        return _ELLIPSIS + tail.lstrip(" ,;·-/")
    return _cut_start(text, room) + _ELLIPSIS


def pad(text: str, cells: int) -> str:
    """``text`` followed by spaces up to ``cells`` cells (at least one space)."""
    return text + " " * max(1, cells - cell_len(text))
