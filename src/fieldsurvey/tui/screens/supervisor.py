"""The supervisor's screen: progress, the interviews to review and quality flags.

Progress per community or interviewer with the current response rate, and the
interviews awaiting review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from fieldsurvey.store.fieldwork_status import progress_table
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["SupervisorScreen"]


class SupervisorScreen(KeyedScreen[None]):
    """Progress table (``t`` switches community / interviewer) and the review list."""

    app: FieldsurveyApp
    AUTO_FOCUS = "#sv-interviews"
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "open"),
        ("T", "switch_by"),
        ("Tab", "next_table"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch_grouping"),
        Binding("y", "tally"),
    ]

    def __init__(self) -> None:
        super().__init__(id="supervisor")
        self.by = "community"
        self.data: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="sv-progress-title", classes="section")
        yield DataTable(id="sv-progress", cursor_type="row")
        yield Static("", id="sv-review-title", classes="section")
        yield DataTable(id="sv-interviews", cursor_type="row")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.load()

    def on_screen_resume(self) -> None:
        """Read the data again when the screen comes back to the front."""
        self.load()

    @work(thread=True, exclusive=True, group="progress")
    def load(self) -> None:
        """Count progress and list interviews on a worker thread."""
        with self.app.reader() as st:
            table = progress_table(st, by=self.by)
            itvs = [i for i in st.interviews() if i["status"] != "in_progress"]
            a = st.assignments()
        names: dict[str, str] = {}
        if "name" in a.columns:
            names = dict(zip(a["community_id"].astype(str), a["name"].astype(str), strict=True))
        addr = dict(zip(a["dwelling_id"].astype(str), a["address"].astype(object), strict=True))
        self.app.call_from_thread(self._show, {"table": table, "interviews": itvs,
                                               "names": names, "address": addr})

    def _show(self, data: dict[str, Any]) -> None:
        self.data = data
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        if not self.data:
            return
        t = self.app.t
        self.query_one("#sv-progress-title", Static).update(
            f"{t('progress')} · {t('by_community' if self.by == 'community' else 'by_interviewer')}"
            " (t)")
        prog = self.query_one("#sv-progress", DataTable)
        prog.clear(columns=True)
        key = "community_id" if self.by == "community" else "interviewer"
        prog.add_column(t("col_community" if self.by == "community" else "col_interviewer"),
                        width=14)
        cols = ("issued", "attempted", "completed", "refused")
        for c in cols:
            prog.add_column(t(f"col_{c}"), width=6)
        prog.add_column(t("col_rr"), width=7)
        table: pd.DataFrame = self.data["table"]
        for row in table.itertuples(index=False):
            g = str(getattr(row, key))
            label = t("all_rows") if g == "(all)" else self.data["names"].get(g, g)
            rr = row.response_rate
            prog.add_row(label, *(str(getattr(row, c)) for c in cols),
                         "" if pd.isna(rr) else f"{rr:.1%}")
        self.query_one("#sv-review-title", Static).update(t("review_list"))
        itv = self.query_one("#sv-interviews", DataTable)
        itv.clear(columns=True)
        for c, w in (("col_full_address", 32), ("col_interviewer", 8), ("col_status", 8),
                     ("col_review", 8)):
            itv.add_column(t(c), width=w)
        order = {"pending": 0, "rejected": 1, "approved": 2}
        for i in sorted(self.data["interviews"],
                        key=lambda i: (order.get(i["review_state"], 3), i["completed_at"] or "")):
            status = t("st_done") if i["status"] == "completed" else t("st_partial")
            itv.add_row(str(self.data["address"].get(i["dwelling_id"]) or i["dwelling_id"]),
                        i["interviewer"], status, t(f"rv_{i['review_state']}"), key=i["uuid"])

    def action_tally(self) -> None:
        """Key action: the tally screen (rates and indicators)."""
        from fieldsurvey.tui.screens.tally import TallyScreen

        self.app.push_screen(TallyScreen())

    def action_switch_grouping(self) -> None:
        """Key action: switch grouping."""
        self.by = "interviewer" if self.by == "community" else "community"
        self.load()

    @on(DataTable.RowSelected, "#sv-interviews")
    def _open(self, event: DataTable.RowSelected) -> None:
        from fieldsurvey.tui.screens.interview_view import InterviewViewScreen

        if event.row_key.value is not None:
            self.app.push_screen(InterviewViewScreen(event.row_key.value))
