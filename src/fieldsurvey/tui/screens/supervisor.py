"""The supervisor's screen: progress, the interviews to review and quality flags.

Progress per community or interviewer with the current response rate, and the
completed interviews with where each stands in the two review tiers (awaiting the
supervisor, approved or rejected by the supervisor, approved or rejected by HQ); those
awaiting the app's tier (``--as supervisor|hq``) come first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from fieldsurvey.store.fieldwork_status import progress_table
from fieldsurvey.store.review import supervisor_rows, tier_of
from fieldsurvey.tui.casedata import places
from fieldsurvey.tui.cells import cell_len, fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["FLAG_FILTERS", "SORTS", "SupervisorScreen", "stage_text"]


#: Flags the quality list can be filtered to (``F`` cycles; "" is every interview).
FLAG_FILTERS: tuple[str, ...] = ("", "any", "speeding", "straight_lining", "special_answers",
                                 "outside_hours", "gps_distance")
#: Orders of the quality list (``S`` cycles): (column, descending).
SORTS: tuple[tuple[str, bool], ...] = (("n_flags", True), ("sec_per_question", False),
                                       ("special_share", True), ("interviewer", False))
#: Rows drawn in the review and quality lists, first in their order. Textual's DataTable
#: measures every cell it holds (about 1 ms a cell): 10,000 interviews took ~40 s to draw.
#: The title says how many are shown of how many; the order puts what needs a decision
#: (or has the most flags) first, and ``F`` narrows the quality list.
LIST_ROWS = 400


def shown_of(t: Callable[..., str], shown: int, total: int) -> str:
    """The list title's note when only the first rows are drawn ("" when all are)."""
    return "" if shown >= total else " " + t("first_rows", shown=shown, total=f"{total:,}")


def stage_text(t: Callable[..., str], review_state: str, reviewer: str | None, *,
               long: bool = False) -> str:
    """Where an interview stands in the two tiers, in the UI's words.

    ``t`` is the app's text function; short (the list's column, 8 cells) or ``long``.
    """
    tier, _ = tier_of(reviewer)
    if review_state in ("approved", "rejected"):
        key = ("hq_" if tier == "hq" else "sv_") + review_state
    else:
        key = "pending" if review_state == "pending" else "none"
        key = key if long else "rv_" + key
    return t("stage_" + key if long else key)


def _awaiting(tier: str, review_state: str, reviewer: str | None) -> bool:
    """Does the interview await this tier's decision."""
    if tier == "hq":
        return review_state == "approved" and tier_of(reviewer)[0] != "hq"
    return review_state == "pending"


class SupervisorScreen(KeyedScreen[None]):
    """Progress table above the review list or the quality flags.

    ``t`` switches community / interviewer, ``q`` the quality flags (``f`` filters by
    flag, ``s`` changes the order).
    """

    app: FieldsurveyApp
    AUTO_FOCUS = "#sv-interviews"
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "open"),
        ("T", "switch_by"),
        ("Q", "quality_key"),
        ("F", "filter_key"),
        ("S", "sort_key"),
        ("Y", "tally_key"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch_grouping"),
        Binding("y", "tally"),
        Binding("q", "toggle_quality"),
        Binding("f", "next_filter"),
        Binding("s", "next_sort"),
    ]

    def __init__(self) -> None:
        super().__init__(id="supervisor")
        self.by = "community"
        self.data: dict[str, Any] = {}
        self.quality = False
        self.report: Any = None  # the QualityReport, read when first shown
        self.filter = 0
        self.sort = 0

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="sv-progress-title", classes="section")
        yield DataTable(id="sv-progress", cursor_type="row")
        yield Static("", id="sv-review-title", classes="section")
        yield DataTable(id="sv-interviews", cursor_type="row")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted; start the tally's figures beside it.

        The tally (``y``) is computed on its own worker thread from here, while this
        screen reads its lists: most of both is SQLite and numpy, which let the other
        thread run, so the tally is ready about when this screen is drawn.
        """
        from fieldsurvey.tui.screens.tally import prefetch

        prefetch(self.app)
        self.load()

    def on_screen_resume(self) -> None:
        """Read the data again when the screen comes back to the front."""
        self.load()

    @work(thread=True, exclusive=True, group="progress")
    def load(self) -> None:
        """Count progress and list interviews on a worker thread."""
        with self.app.reader() as st:
            table = progress_table(st, by=self.by)
            itvs = supervisor_rows(st)  # households moved with work marked
            a = st.assignments()
        names: dict[str, str] = {}
        if "name" in a.columns:
            names = dict(zip(a["community_id"].astype(str), a["name"].astype(str), strict=True))
        records = [{str(k): v for k, v in rec.items()}
                   for rec in a.astype(object).where(a.notna(), None).to_dict("records")]
        place = {r.dwelling_id: (r.community, r.place) for r in places(records)}
        self.app.call_from_thread(self._show, {"table": table, "interviews": itvs,
                                               "names": names, "place": place})

    @work(thread=True, exclusive=True, group="quality")
    def load_quality(self) -> None:
        """Compute the quality flags on a worker thread.

        Only when they are shown: the whole event log is read.
        """
        from fieldsurvey.store.quality import quality_report

        with self.app.reader() as st:
            report = quality_report(st)
        self.app.call_from_thread(self._quality_loaded, report)

    def _quality_loaded(self, report: Any) -> None:
        self.report = report
        self.relabel()

    def _want_quality(self) -> None:
        if self.report is None and (self.quality or self.by == "interviewer"):
            self.load_quality()

    def _show(self, data: dict[str, Any]) -> None:
        if not self.data:
            self.app.warm_up()  # the form (its title in the header) off the UI thread
        self.data = data
        self.report = None  # the flags are read again with the rest
        self._want_quality()
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        if not self.data:
            return
        self._progress()
        if self.quality:
            self._quality()
        else:
            self._reviews()

    def _progress(self) -> None:
        t = self.app.t
        by = "by_community" if self.by == "community" else "by_interviewer"
        self.query_one("#sv-progress-title", Static).update(f"{t('progress')} · {t(by)} (T)")
        prog = self.query_one("#sv-progress", DataTable)
        prog.clear(columns=True)
        key = "community_id" if self.by == "community" else "interviewer"
        head = t("col_community" if self.by == "community" else "col_interviewer")
        prog.add_column(head, width=max(12, cell_len(head)))
        cols = ("issued", "attempted", "completed", "refused")
        for c in cols:
            label = t(f"col_{c}")
            prog.add_column(label, width=max(5, cell_len(label)))
        prog.add_column(t("col_rr"), width=7)
        flags: dict[str, str] = {}
        if self.by == "interviewer":
            if self.report is not None and len(self.report.interviewers):
                who = self.report.interviewers
                flags = dict(zip(who["interviewer"], who["flags"], strict=True))
            prog.add_column(t("col_flags"), width=18)
        table: pd.DataFrame = self.data["table"]
        for row in table.itertuples(index=False):
            g = str(getattr(row, key))
            label = t("all_rows") if g == "(all)" else self.data["names"].get(g, g)
            rr: Any = row.response_rate
            rate = "" if rr is None or rr != rr else f"{float(rr):.1%}"
            cells = [fit(label, 12), *(str(getattr(row, c)) for c in cols), rate]
            if self.by == "interviewer":
                cells.append(fit(self._flag_names(flags.get(g, "")), 18))
            prog.add_row(*cells)

    def _flag_names(self, flags: str) -> str:
        return " ".join(self.app.t(f"flag_{f}") for f in flags.split())

    def _columns(self, table: DataTable[Any], spec: tuple[tuple[str, int], ...]) -> None:
        table.clear(columns=True)
        for key, width in spec:
            table.add_column(fit(self.app.t(key), width), width=width)

    def _reviews(self) -> None:
        t, tier = self.app.t, self.app.review_tier
        title = "review_list_hq" if tier == "hq" else "review_list"
        rows = self.data["interviews"]
        note = shown_of(t, min(len(rows), LIST_ROWS), len(rows))
        self.query_one("#sv-review-title", Static).update(t(title) + note + " (Q)")
        itv = self.query_one("#sv-interviews", DataTable)
        self._columns(itv, (("col_community", 10), ("col_place", 25),
                            ("col_interviewer", 11), ("col_status", 8), ("col_review", 8)))
        order = {"pending": 1, "rejected": 2, "approved": 3}

        def rank(i: dict[str, Any]) -> tuple[int, str]:
            first = _awaiting(tier, i["review_state"], i.get("reviewer"))
            return (0 if first else order.get(i["review_state"], 4), i["completed_at"] or "")

        for i in sorted(rows, key=rank)[:LIST_ROWS]:
            status = t("st_done") if i["status"] == "completed" else t("st_partial")
            comm, place = self.data["place"].get(i["dwelling_id"], ("", i["dwelling_id"]))
            stage = stage_text(t, i["review_state"], i.get("reviewer"))
            itv.add_row(fit(comm, 10), fit(place, 25, keep="end"), fit(i["interviewer"], 11),
                        fit(status, 8), fit(stage, 8), key=i["uuid"])

    def _quality(self) -> None:
        t = self.app.t
        report = self.report
        want = FLAG_FILTERS[self.filter]
        col, desc = SORTS[self.sort]
        shown = t(f"flag_{want}") if want else t("all_rows")
        title = t("quality_title", shown=shown, order=t(f"sort_{col}"))
        self.query_one("#sv-review-title", Static).update(title)
        table = self.query_one("#sv-interviews", DataTable)
        self._columns(table, (("col_interviewer", 11), ("col_place", 20),
                              ("col_spq", 6), ("col_special", 6), ("col_flags", 21)))
        if report is None:
            self.query_one("#sv-review-title", Static).update(t("loading"))
            return
        df = report.interviews
        if not len(df):
            return
        df = df.assign(n_flags=df["flags"].str.split().str.len().fillna(0))
        if want == "any":
            df = df[df["flags"] != ""]
        elif want:
            df = df[df["flags"].str.split().apply(lambda fs: want in fs)]
        df = df.sort_values(col, ascending=not desc, kind="mergesort", na_position="last")
        note = shown_of(t, min(len(df), LIST_ROWS), len(df))
        self.query_one("#sv-review-title", Static).update(title + note)
        for r in df.head(LIST_ROWS).itertuples(index=False):
            _, place = self.data["place"].get(r.dwelling_id, ("", r.dwelling_id))
            spq = "" if pd.isna(r.sec_per_question) else f"{r.sec_per_question:.1f}"
            table.add_row(fit(str(r.interviewer), 11), fit(place, 20, keep="end"), spq,
                          f"{r.special_share:.0%}", fit(self._flag_names(r.flags), 21),
                          key=r.uuid)

    def action_toggle_quality(self) -> None:
        """Show the quality flags instead of the review list (or back)."""
        self.quality = not self.quality
        self._want_quality()
        self.relabel()

    def action_next_filter(self) -> None:
        """Quality list: the next flag to filter by."""
        if self.quality:
            self.filter = (self.filter + 1) % len(FLAG_FILTERS)
            self.relabel()

    def action_next_sort(self) -> None:
        """Quality list: the next order."""
        if self.quality:
            self.sort = (self.sort + 1) % len(SORTS)
            self.relabel()

    def action_switch_grouping(self) -> None:
        """Key action: switch grouping."""
        self.by = "interviewer" if self.by == "community" else "community"
        self.load()

    @on(DataTable.RowSelected, "#sv-interviews")
    def _open(self, event: DataTable.RowSelected) -> None:
        from fieldsurvey.tui.screens.interview_view import InterviewViewScreen

        if event.row_key.value is not None:
            self.app.push_screen(InterviewViewScreen(event.row_key.value))

    def action_tally(self) -> None:
        """Key action: the tally screen (rates and indicators)."""
        from fieldsurvey.tui.screens.tally import TallyScreen

        self.app.push_screen(TallyScreen())
