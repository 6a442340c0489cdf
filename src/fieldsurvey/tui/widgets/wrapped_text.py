"""A text that wraps by terminal cells: CJK between characters, Latin between words.

Textual wraps a label by words, so ``C1. 过去十二个月内…`` leaves ``C1.`` alone on the first
line (the CJK phrase is one long "word"). :class:`WrappedText` wraps with
:func:`~fieldsurvey.tui.widgets.odk_text.wrap_cells` at the width it is given instead.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from fieldsurvey.tui.widgets.odk_text import wrap_cells

__all__ = ["WrappedText"]


class WrappedText(Widget):
    """A block of (styled) text, as tall as its wrapped lines."""

    DEFAULT_CSS = "WrappedText { height: auto; }"

    def __init__(self, text: Text | str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._text = text if isinstance(text, Text) else Text(text)

    def update(self, text: Text | str) -> None:
        """Show ``text`` instead (the height follows)."""
        self._text = text if isinstance(text, Text) else Text(text)
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        return wrap_cells(self._text, width) if width > 0 else [self._text]

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as the longest line (at most the container)."""
        widest = max((cell_len(line) for line in self._text.plain.split("\n")), default=0)
        return min(widest, container.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One row per wrapped line."""
        return len(self._lines(width))

    def render(self) -> Text:
        """The lines, wrapped at the widget's width."""
        return Text("\n").join(self._lines(self.content_size.width))
