"""One household: its attempts, the interview's state and review comments.

The actions: record a visit, list the household, start or resume the interview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.widgets import DataTable, Header, Static

from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.i18n import outcome_label
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["HouseholdScreen"]


class HouseholdScreen(KeyedScreen[None]):
    """A case's page."""

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("N", "new_attempt"),
        ("R", "roster"),
        ("I", "interview"),
        ("Esc", "back"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_attempt"),
        Binding("r", "roster"),
        Binding("i", "interview"),
        Binding("escape", "back"),
    ]

    def __init__(self, dwelling_id: str) -> None:
        super().__init__(id="household")
        self.dwelling_id = dwelling_id
        self.data: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="hh-info")
        yield Static(self.app.t("attempts"), id="hh-attempts-title", classes="section")
        yield DataTable(id="hh-attempts", cursor_type="row")
        yield Static("", id="hh-interview")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.load()

    def on_screen_resume(self) -> None:
        """Read the data again when the screen comes back to the front."""
        self.load()

    @work(thread=True, exclusive=True, group="household")
    def load(self) -> None:
        """Read the case (assignment, attempts, interviews, comments) off the UI thread."""
        did = self.dwelling_id
        with self.app.reader() as st:
            a = st.assignments()
            row = a[a["dwelling_id"] == did].iloc[0].to_dict()
            itvs = st.interviews(did)
            data = {
                "assignment": row,
                "attempts": st.attempts(did),
                "interviews": itvs,
                "comments": st.review_comments(itvs[-1]["uuid"]) if itvs else [],
                "selection": st.selection(did),
                "roster": st.roster(did),
            }
        self.app.call_from_thread(self._show, data)

    def _show(self, data: dict[str, Any]) -> None:
        self.data = data
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        if not self.data:
            return
        t, lang = self.app.t, self.app.lang
        a = self.data["assignment"]
        comm = a.get("name") or a["community_id"]
        kish = a.get("kish_table") or "-"
        self.query_one("#hh-info", Static).update(
            f"[b]{escape(str(a.get('address') or self.dwelling_id))}[/b]\n"
            f"{t('col_community')}: {comm} · {t('col_line')}: {a.get('line')} · "
            f"{t('kish_table')}: {kish} · {self.dwelling_id}")
        self.query_one("#hh-attempts-title", Static).update(t("attempts"))
        table = self.query_one("#hh-attempts", DataTable)
        table.clear(columns=True)
        table.add_column(t("col_time"), width=11)
        table.add_column(t("col_outcome"), width=26)
        table.add_column(t("col_appt"), width=11)
        table.add_column(t("col_note"), width=20)
        self.query_one("#hh-attempts-title", Static).update(
            t("attempts") if self.data["attempts"] else f"{t('attempts')} · {t('no_attempts')}")
        for att in self.data["attempts"]:
            appt = (att["appointment"] or "")[5:16].replace("T", " ")
            table.add_row(att["time"][5:16].replace("T", " "),
                          fit(outcome_label(att["outcome"], lang), 26), appt,
                          fit(att["note"] or "", 20))
        lines = []
        sel = self.data["selection"]
        if sel and sel.get("chosen_line") is not None:
            member: dict[str, Any] = next((m for m in self.data["roster"]
                           if m["line"] == sel["chosen_line"]), {})
            lines.append(t("selected", line=sel["chosen_line"],
                           name=escape(str(member.get("name") or "")),
                           sex=t(member["sex"]) if member.get("sex") in ("male", "female")
                           else "", age=member.get("age", "")))
        itvs = self.data["interviews"]
        if itvs:
            last = itvs[-1]
            status = {"in_progress": t("st_open"), "completed": t("st_done"),
                      "partial": t("st_partial")}.get(last["status"], last["status"])
            rv = t(f"rv_{last['review_state']}") if last["review_state"] else ""
            lines.append(t("interview_status", status=f"{status} · {rv}"))
            if self.data["comments"]:
                lines.append(f"[b]{t('comments')}[/b]:")
                for c in self.data["comments"]:
                    # free text (and a question key in brackets) shown as typed, not markup
                    where = f"[{c['question']}] " if c["question"] else ""
                    lines.append(f"  {c['decision']} {escape(where + str(c['comment']))}")
        else:
            lines.append(t("interviews_none"))
        self.query_one("#hh-interview", Static).update("\n".join(lines))

    # -- actions ------------------------------------------------------------------------
    def action_new_attempt(self) -> None:
        """Key action: new attempt."""
        from fieldsurvey.tui.screens.attempt import AttemptDialog

        def done(result: str | None) -> None:
            if result is not None:
                self.load()

        self.app.push_screen(AttemptDialog(self.dwelling_id), done)

    def action_roster(self) -> None:
        """Key action: roster."""
        from fieldsurvey.tui.screens.roster import RosterScreen

        self.app.push_screen(RosterScreen(self.dwelling_id))

    def action_interview(self) -> None:
        """Key action: interview."""
        from fieldsurvey.tui.screens.question import open_interview

        open_interview(self.app, self.dwelling_id)

    def action_back(self) -> None:
        """Back to the list; the store's main file is made complete (checkpoint)."""
        from fieldsurvey.tui.session import checkpoint

        checkpoint(self.app.store)
        self.app.pop_screen()
