"""The tally's line-drawn table: cells cut by terminal cells, header fixed, cursor in view."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import App, ComposeResult

from fieldsurvey.tui.widgets.figure_table import FigureTable


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield FigureTable(id="t")


def _rows(n: int) -> list[list[Text]]:
    return [[Text(f"滨江花园社区{i}", style="dim" if i % 2 else ""), Text(str(i))]
            for i in range(n)]


def test_rows_are_cut_by_cells_and_the_cursor_stays_in_view() -> None:
    async def run() -> None:
        app = _One()
        async with app.run_test(size=(40, 8)) as pilot:
            table = app.query_one(FigureTable)
            table.set_rows((("社区", 10), ("n", 4)), _rows(30))
            table.focus()
            await pilot.pause()
            assert table.row_count == 30 and table.get_row_at(3) == ["滨江花园社区3", "3"]
            line = table.render_line(1).text
            # ten cells: five Chinese characters, then the padding and the next column
            assert line.startswith(" 滨江花园社  0   ")
            assert table.render_line(0).text.startswith(" 社区        n")
            for _ in range(12):
                await pilot.press("down")
            await pilot.pause()
            assert table.cursor_row == 12
            top = int(table.scroll_offset.y)
            assert top <= 12 < top + table.size.height - 1  # in view, under the header
            assert table.render_line(0).text.startswith(" 社区")  # header stays
            shown = [table.render_line(y).text for y in range(1, table.size.height)]
            assert any(s.startswith(" 滨江花园社  12") for s in shown)
            await pilot.press("end")
            await pilot.pause()
            assert table.cursor_row == 29
            assert table.render_line(table.size.height - 1).text.startswith(" 滨江花园社  29")
            await pilot.press("home")
            await pilot.pause()
            assert table.cursor_row == 0 and int(table.scroll_offset.y) == 0
            # fewer rows now: the cursor comes back inside
            await pilot.press("end")
            table.set_rows((("社区", 10), ("n", 4)), _rows(5))
            await pilot.pause()
            assert table.cursor_row == 4 and table.row_count == 5
            # a dim row is dimmer than a plain one
            dim, plain = list(table.render_line(2)), list(table.render_line(3))
            assert dim[0].style != plain[0].style

    asyncio.run(run())
