"""The household roster and the respondent selection (Kish table or exact random choice)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.widgets import DataTable, Header, Input, Static

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.sampling.kish import kish_select, order_roster
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["RosterScreen", "probability_text"]

MIN_AGE = 18


def probability_text(p: float | None) -> str:
    """``1/3`` when 1/p is a whole number, else the decimal."""
    if not p:
        return "-"
    inv = 1.0 / p
    return f"1/{round(inv)}" if abs(inv - round(inv)) < 1e-9 else f"{p:.3f}"


def _pad(text: str, cells: int) -> str:
    return text + " " * max(1, cells - cell_len(text))


def _eligible(m: dict[str, Any]) -> bool:
    return m.get("resident") is not False and (m.get("age") or 0) >= MIN_AGE


class RosterScreen(KeyedScreen[None]):
    """Enter the members (name, sex, age, resident) and select the respondent."""

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "add_member"),
        ("F3", "select_resp"),
        ("I", "interview"),
        ("Del", "remove_member"),
        ("Esc", "back"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3", "select", priority=True),
        Binding("s", "select", show=False),
        Binding("i", "interview"),
        Binding("f10", "interview", show=False, priority=True),
        Binding("delete", "remove"),
        Binding("escape", "back"),
    ]

    def __init__(self, dwelling_id: str) -> None:
        super().__init__(id="roster")
        self.dwelling_id = dwelling_id
        self.members: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="roster-title", classes="section")
        yield DataTable(id="members", cursor_type="row")
        yield Static("", id="entry-labels")
        with Horizontal(id="member-entry"):
            yield Input(id="m-name", max_length=20)
            yield Input(id="m-sex", max_length=1, restrict=r"[12]?")
            yield Input(id="m-age", max_length=3, restrict=r"\d{0,3}")
            yield Input(id="m-res", max_length=1, restrict=r"[12]?", value="1")
        yield Static("", id="roster-error", classes="error")
        yield Static("", id="selection")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.reload()
        self.query_one("#m-name", Input).focus()

    # -- data -------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """True once an interview exists: the selection can no longer change."""
        return bool(self.app.store.interviews(self.dwelling_id))

    def reload(self) -> None:
        """Reload."""
        self.members = self.app.store.roster(self.dwelling_id)
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t = self.app.t
        self.query_one("#roster-title", Static).update(t("roster_title"))
        self.query_one("#entry-labels", Static).update(
            _pad(t("name_hint"), 17) + _pad(t("sex_hint"), 17) + _pad(t("age_hint"), 11)
            + t("res_hint"))
        table = self.query_one("#members", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for key, w in (("col_line", 4), ("col_name", 12), ("col_sex", 6), ("col_age", 5),
                       ("col_resident", 6), ("col_eligible", 6)):
            table.add_column(t(key), width=w)
        for m in self.members:
            sex = t(m["sex"]) if m.get("sex") in ("male", "female") else ""
            table.add_row(str(m["line"]), m.get("name") or "", sex, str(m.get("age", "")),
                          t("yes") if m.get("resident") is not False else t("no"),
                          t("yes") if _eligible(m) else t("no"), key=str(m["line"]))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.query_one("#selection", Static).update(self._selection_text())

    def _selection_text(self) -> str:
        t = self.app.t
        sel = self.app.store.selection(self.dwelling_id)
        if not sel or sel.get("chosen_line") is None:
            return t("no_selection")
        idx = next((i for i, m in enumerate(self.members)
                    if m["line"] == sel["chosen_line"]), None)
        if idx is None:
            return t("no_selection")
        m = self.members[idx]
        flagged = [{**x, "eligible": _eligible(x)} for x in self.members]
        try:
            pos: int | str = order_roster(flagged, MIN_AGE).index(idx) + 1
        except (ValueError, FieldsurveyError):
            pos = "?"
        how = "selected_how_kish" if sel["method"] == "kish" else "selected_how_random"
        head = t("selected", line=m["line"], name=escape(str(m.get("name") or "")),
                 sex=t(m["sex"]) if m.get("sex") in ("male", "female") else "",
                 age=m.get("age", ""))
        return (f"[b reverse] {head} [/]\n" + t(how, table=sel.get("kish_table") or "",
                                               k=sel["eligible_count"], pos=pos,
                                               p=probability_text(sel["probability"])))

    # -- entry ------------------------------------------------------------------------
    @on(Input.Submitted, "#m-name")
    @on(Input.Submitted, "#m-sex")
    @on(Input.Submitted, "#m-age")
    def _next_field(self, event: Input.Submitted) -> None:
        self.focus_next()

    @on(Input.Submitted, "#m-res")
    def _add(self) -> None:
        t = self.app.t
        err = self.query_one("#roster-error", Static)
        name = self.query_one("#m-name", Input).value.strip() or None
        sex = self.query_one("#m-sex", Input).value
        age = self.query_one("#m-age", Input).value
        res = self.query_one("#m-res", Input).value
        if sex not in ("1", "2"):
            err.update(t("bad_sex"))
            self.query_one("#m-sex", Input).focus()
            return
        if not age.isdigit() or not 0 <= int(age) <= 120:
            err.update(t("bad_age"))
            self.query_one("#m-age", Input).focus()
            return
        if res not in ("1", "2"):
            err.update(t("bad_res"))
            self.query_one("#m-res", Input).focus()
            return
        if self.locked:
            err.update(t("selection_locked"))
            return
        err.update("")
        line = max((m["line"] for m in self.members), default=0) + 1
        resident = res == "1"
        self.app.store.set_roster_member(
            self.dwelling_id, line, name=name, sex="male" if sex == "1" else "female",
            age=int(age), resident=resident, eligible=resident and int(age) >= MIN_AGE)
        for wid in ("#m-name", "#m-sex", "#m-age"):
            self.query_one(wid, Input).value = ""
        self.query_one("#m-res", Input).value = "1"
        self.reload()
        self.query_one("#m-name", Input).focus()

    # -- actions ------------------------------------------------------------------------
    def action_remove(self) -> None:
        """Key action: remove."""
        table = self.query_one("#members", DataTable)
        if not table.has_focus or not table.row_count or self.locked:
            return
        line = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        self.app.store.remove_roster_member(self.dwelling_id, line)
        self.reload()

    def action_select(self) -> None:
        """Choose the respondent by the case's Kish table, or at random without one."""
        t = self.app.t
        err = self.query_one("#roster-error", Static)
        if self.locked:
            err.update(t("selection_locked"))
            return
        a = self.app.store.assignments()
        row = a[a["dwelling_id"] == self.dwelling_id].iloc[0]
        table = row.get("kish_table")
        table = table if isinstance(table, str) and table else None
        method = str(row.get("respondent_method") or ("kish" if table else "random"))
        flagged = [{**m, "eligible": _eligible(m)} for m in self.members]
        # a random choice gets its own seed, kept with the selection: it can be redrawn
        seed = int(self.app.rng.integers(2**62)) if method == "random" else None
        try:
            sel = kish_select(flagged, table, method=method, rng=seed, min_age=MIN_AGE)
        except FieldsurveyError:
            err.update(t("no_eligible"))
            return
        err.update("")
        self.app.store.record_selection(
            self.dwelling_id, method=sel.method, eligible_count=sel.eligible,
            chosen_line=int(self.members[sel.index]["line"]), probability=sel.probability,
            kish_table=sel.table, seed=seed)
        self.reload()
        self.query_one("#members", DataTable).focus()

    def action_interview(self) -> None:
        """Key action: interview."""
        from fieldsurvey.tui.screens.question import open_interview

        self.app.pop_screen()
        open_interview(self.app, self.dwelling_id)

    def action_back(self) -> None:
        """Key action: back."""
        self.app.pop_screen()
