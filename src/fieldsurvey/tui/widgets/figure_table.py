"""A read-only table of figures drawn line by line: the tally screen's tables.

Why not Textual's ``DataTable``: it renders every visible cell through Rich (a console
render with padding per cell) and measures every cell when rows are added, so redrawing
the tally's two tables after a refresh cost more than computing the figures. Here a row
is a line of text cut and padded to the column widths by terminal cells (Chinese
characters take two), drawn with Textual's line API (:class:`~textual.scroll_view.ScrollView`):
only the visible lines, no measuring. The header stays on the first line; the row cursor
moves with the arrow and page keys or a click; a dim row (a community with few
completes) keeps its dim style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["FigureTable"]


class FigureTable(ScrollView, can_focus=True):
    """Columns of fixed width, rows of text; the header fixed, a row cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "figure-table--header", "figure-table--cursor", "figure-table--dim"}
    DEFAULT_CSS = """
    FigureTable {
        background: $surface;
    }
    FigureTable > .figure-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    FigureTable > .figure-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    FigureTable > .figure-table--dim {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "cursor(-1000000000)", show=False),
        Binding("end", "cursor(1000000000)", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._columns: list[tuple[str, int]] = []
        self._rows: list[tuple[list[str], bool]] = []

    # -- content ------------------------------------------------------------------------
    def set_rows(self, columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[Text]]
                 ) -> None:
        """Show ``rows`` under ``columns`` (label, width in cells); the cursor stays put.

        Cells are :class:`~rich.text.Text`; a cell styled ``dim`` dims its row.
        """
        self._columns = list(columns)
        self._rows = [([c.plain for c in row], any(str(c.style) == "dim" for c in row))
                      for row in rows]
        width = sum(w + 2 for _, w in self._columns)
        self.virtual_size = Size(width, len(self._rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(self._rows) - 1, 0))
        self.refresh()

    @property
    def row_count(self) -> int:
        """Number of rows (the header not counted)."""
        return len(self._rows)

    def get_row_at(self, index: int) -> list[str]:
        """The cells of row ``index`` as text."""
        return list(self._rows[index][0])

    # -- drawing ------------------------------------------------------------------------
    def _line(self, cells: Sequence[str], style: Style) -> list[Segment]:
        text = "".join(f" {set_cell_size(c, w)} " for c, (_, w) in
                       zip(cells, self._columns, strict=False))
        return [Segment(text, style)]

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the widget: the header, or a row (scrolled)."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("figure-table--header")
            segs = self._line([label for label, _ in self._columns], style)
        else:
            index = scroll_y + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            cells, dim = self._rows[index]
            style = base
            if dim:
                style += self.get_component_rich_style("figure-table--dim")
            if index == self.cursor_row and self.has_focus:
                style += self.get_component_rich_style("figure-table--cursor")
            segs = self._line(cells, style)
        return Strip(segs).crop_extend(scroll_x, scroll_x + width, base)

    # -- moving -------------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        """Keep the cursor row in view, redraw."""
        body = max(self.size.height - 1, 1)
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + body:
            self.scroll_to(y=new - body + 1, animate=False)
        self.refresh()

    def action_cursor(self, step: int) -> None:
        """Move the cursor ``step`` rows (clamped)."""
        if self._rows:
            self.cursor_row = max(0, min(len(self._rows) - 1, self.cursor_row + step))

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful."""
        self.action_cursor(direction * max(self.size.height - 2, 1))

    def on_click(self, event: events.Click) -> None:
        """A click on a row puts the cursor there."""
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self._rows):
            self.cursor_row = index

    def on_focus(self) -> None:
        """Show the cursor."""
        self.refresh()

    def on_blur(self) -> None:
        """Hide the cursor."""
        self.refresh()
