"""A one-line list of the keys of the current screen, in the app's language.

Cheaper than Textual's ``Footer`` (which re-mounts a widget per binding whenever the
focus moves, too slow for a page per key press) and it speaks the interviewer's language.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["KeyBar"]


class KeyBar(Static):
    """Shows ``(key, text key)`` pairs; the owner calls :meth:`show` with the texts."""

    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, pairs: list[tuple[str, str]]) -> None:
        """Draw ``(key, label)`` pairs, e.g. ``("Enter", "下一题")``."""
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, label) in enumerate(pairs):
            if i:
                out.append(" ")
            out.append(key, style="bold reverse")
            out.append(f" {label}")
        self.update(out)
