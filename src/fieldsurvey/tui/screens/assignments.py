"""The household list: every assigned case with its status, filters and counts.

On a device store that syncs (it has a token from ``assign``), ``S`` syncs with the
server (:func:`fieldsurvey.store.sync.client.sync` on a worker thread, the screen stays
live; see :mod:`.sync_log` for where the server's address comes from) and a status line
above the keys tells the last sync's time, what it sent and received, and its result or
the error in one line; the list is read again afterwards (new and reassigned households,
rejected interviews). ``L`` opens the sync log. Quitting (Ctrl+Q) while a sync runs
waits for it with a notice on screen and in the status line; the app quits when the
sync is done (logged, whatever its result).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static

from fieldsurvey.tui.casedata import STATUSES, CaseRow, case_rows
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.screens.sync_log import SyncInfo, log_time, short_result, sync_info
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["COLUMNS", "AssignmentListScreen"]

#: Columns of the household list and their widths in cells (80 columns in all with the
#: cell padding): the place (compound, building-unit-floor-door) gets the room, the
#: street and community are cut off the front of the address.
COLUMNS: tuple[tuple[str, int], ...] = (("col_line", 4), ("col_community", 9),
                                       ("col_address", 30), ("col_status", 8),
                                       ("col_attempts", 4), ("col_appt", 11))


class AssignmentListScreen(KeyedScreen[None]):
    """Table of households (line, community, address, status, visits, appointment)."""

    app: FieldsurveyApp
    CSS_PATH = "../styles/sync.tcss"
    AUTO_FOCUS = "#cases"
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "household_key"),
        ("/", "search_key"),
        ("Esc", "clear_key"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search"),
        Binding("escape", "clear_filters", show=False),
        Binding("s", "sync", show=False),
        Binding("l", "sync_log", show=False),
    ]
    #: The sync keys, shown on a store that syncs.
    SYNC_KEYS: ClassVar[list[tuple[str, str]]] = [("S", "sync_key"), ("L", "sync_log_key")]

    def __init__(self) -> None:
        super().__init__(id="assignments")
        self.rows: list[CaseRow] = []
        self.loaded = False
        self.sync = SyncInfo(False, "", None)
        #: the server being synced with, while a sync runs and until the list is read
        #: again after it (the status line then tells the sync's result)
        self.syncing = ""
        self.synced = False  # the sync is done; the list is being read again
        self.quit_after_sync = False  # Ctrl+Q was pressed while a sync ran
        #: the last sync's failure (time, result), for when the log does not have it
        self.unlogged: tuple[str, str] | None = None
        self.notice = ""  # a text key: why S did not start a sync (no server address)
        self.tz: dt.tzinfo | None = None  # the app clock's zone (sync times), set on mount

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static(self.app.t("loading"), id="counts")
        with Horizontal(id="filters"):
            yield Select[str]([], prompt=self.app.t("all_communities"), id="community")
            yield Select[str]([], prompt=self.app.t("all_status"), id="status")
            yield Input(placeholder=self.app.t("search"), id="search")
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sync-status", markup=False)
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.tz = self.app.clock().tzinfo
        self._columns()
        self.load()

    def on_screen_resume(self) -> None:
        """Read the data again when the screen comes back to the front."""
        if self.loaded:
            self.load()

    @work(thread=True, exclusive=True, group="cases")
    def load(self) -> None:
        """Read the cases on a worker thread (a big store takes a moment)."""
        rows = case_rows(self.app.store_path)  # plain SQL: no pandas before the list
        info = sync_info(self.app.store_path)
        self.app.call_from_thread(self._loaded, rows, info)

    def _loaded(self, rows: list[CaseRow], info: SyncInfo | None = None) -> None:
        first = not self.loaded
        self.rows = rows
        self.loaded = True
        if self.synced:  # the list after the sync: the sync is over on screen too
            self.syncing, self.synced = "", False
        if info is not None:
            self.sync = info
            self._sync_line()
            self.draw_keys()
        self._filters()
        self._fill()
        if first:
            self.call_after_refresh(self.app.warm_up)

    # -- display ----------------------------------------------------------------------
    def _columns(self) -> None:
        t = self.app.t
        table = self.query_one("#cases", DataTable)
        table.clear(columns=True)
        for key, width in COLUMNS:
            table.add_column(fit(t(key), width), key=key, width=width)

    def _filters(self) -> None:
        t = self.app.t
        comm = self.query_one("#community", Select)
        names = sorted({r.community for r in self.rows})
        street = {r.community: r.street for r in self.rows if r.street}
        keep = comm.value
        # the street beside its community (the list's address column leaves it out)
        comm.set_options([(f"{n} · {street[n]}" if n in street else n, n) for n in names])
        if keep in names:
            comm.value = keep
        status = self.query_one("#status", Select)
        keep = status.value
        status.set_options([(t(f"st_{s}"), s) for s in STATUSES])
        if keep in STATUSES:
            status.value = keep

    def _visible(self) -> list[CaseRow]:
        comm = self.query_one("#community", Select).value
        status = self.query_one("#status", Select).value
        text = self.query_one("#search", Input).value.strip()
        out = self.rows
        if isinstance(comm, str):
            out = [r for r in out if r.community == comm]
        if isinstance(status, str):
            out = [r for r in out if r.status == status]
        if text:
            out = [r for r in out if text in r.address or text in r.place]
        return out

    def _fill(self) -> None:
        t = self.app.t
        table = self.query_one("#cases", DataTable)
        keep = table.cursor_row
        table.clear()
        w = dict(COLUMNS)
        for r in self._visible():
            table.add_row("" if r.line is None else str(r.line),
                          fit(r.community, w["col_community"]),
                          fit(r.place, w["col_address"], keep="end"),
                          fit(t(f"st_{r.status}"), w["col_status"]),
                          str(r.attempts) if r.attempts else "",
                          r.appointment[5:], key=r.dwelling_id)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        n = {s: sum(1 for r in self.rows if r.status == s) for s in STATUSES}
        streets = sorted({r.street for r in self.rows if r.street})
        where = f"{streets[0]} · " if len(streets) == 1 else ""
        self.query_one("#counts", Static).update(where + t(
            "counts", total=len(self.rows), fresh=n["new"],
            open=n["open"] + n["pending"] + n["rejected"], done=n["done"] + n["partial"],
            closed=n["closed"]))

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t = self.app.t
        self.query_one("#community", Select).prompt = t("all_communities")
        self.query_one("#status", Select).prompt = t("all_status")
        self.query_one("#search", Input).placeholder = t("search")
        self._columns()
        if self.loaded:
            self._filters()
            self._fill()
            self._sync_line()

    # -- events -----------------------------------------------------------------------
    @on(Select.Changed)
    @on(Input.Changed, "#search")
    def _refilter(self) -> None:
        if self.loaded:
            self._fill()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#cases", DataTable).focus()

    @on(DataTable.RowSelected, "#cases")
    def _open(self, event: DataTable.RowSelected) -> None:
        from fieldsurvey.tui.screens.household import HouseholdScreen

        if self.syncing:  # the list is read again when the sync is done
            self.app.notify(self.app.t("sync_wait"))
            return
        if event.row_key.value is not None:
            self.app.push_screen(HouseholdScreen(event.row_key.value))

    def action_search(self) -> None:
        """Key action: search."""
        self.query_one("#search", Input).focus()

    def action_clear_filters(self) -> None:
        """Key action: clear filters."""
        self.query_one("#community", Select).clear()
        self.query_one("#status", Select).clear()
        self.query_one("#search", Input).value = ""
        self.query_one("#cases", DataTable).focus()

    # -- sync -------------------------------------------------------------------------
    def _sync_shown(self) -> bool:
        return self.sync.can_sync or bool(self.app.server) or self.sync.last is not None

    def draw_keys(self) -> None:
        """Draw the key bar (with the sync keys on a store that syncs)."""
        bar = self.query("#keys")
        if not bar:
            return
        t = self.app.t
        keys = self.KEYS + (self.SYNC_KEYS if self._sync_shown() else [])
        bar.first(KeyBar).show([(k, t(x)) for k, x in keys]
                               + [("F4", t("language")), ("F1", t("help"))])

    def _sync_line(self) -> None:
        """The status line: syncing, or the last sync's time, counts and result."""
        t = self.app.t
        line = self.query_one("#sync-status", Static)
        last = self.sync.last
        problem = t(self.notice) if self.notice else ""
        failed = bool(problem) or (last is not None and last["result"] != "ok"
                                   and not self.syncing)
        if self.unlogged and (last is None or str(last["result"]) != self.unlogged[1][:2000]):
            when, result = self.unlogged
            problem = t("sync_failed", time=when, msg=short_result(result, t))
            failed = not self.syncing
        if self.syncing:
            text = t("quit_after_sync") if self.quit_after_sync else \
                t("sync_running", server=self.syncing)
        elif problem:
            text = problem
        elif last is None:
            text = t("sync_never")
        elif last["result"] == "ok":
            text = t("sync_ok", time=log_time(last["time"], self.tz), pushed=last["pushed"],
                     pulled=last["pulled"])
        else:
            msg = short_result(str(last["result"]), t)
            if last["pushed"] or last["pulled"]:
                msg = t("sync_counts", pushed=last["pushed"], pulled=last["pulled"]) + \
                    " · " + msg
            text = t("sync_failed", time=log_time(last["time"], self.tz), msg=msg)
        line.set_class(self._sync_shown() or bool(problem), "shown")
        line.set_class(bool(self.syncing), "busy")
        line.set_class(failed, "failed")
        line.update(Text(fit(text, 78), no_wrap=True))

    def action_sync(self) -> None:
        """Key action: sync with the server on a worker thread."""
        if self.syncing:
            self.app.notify(self.app.t("sync_wait"))
            return
        server = self.app.server or self.sync.server
        self.notice = "" if server else "sync_no_server"
        if not server:
            self._sync_line()
            return
        # an open interview session ends as a visit and the store file is made complete
        # before anything is sent (nothing is open while the list is in front; kept safe)
        self.app.close_sessions("sync")
        self.syncing = server
        self._sync_line()
        self.run_sync(server)

    @work(thread=True, exclusive=True, group="sync")
    def run_sync(self, server: str) -> None:
        """Sync (push, pull, log) off the UI thread; then read the list again."""
        from fieldsurvey.store.sync.client import sync

        error: Exception | None = None
        try:
            sync(self.app.store_path, server, clock=self.app.clock)
        except Exception as exc:  # any failure is shown; the app goes on
            error = exc  # the client logged it; the device store is as it was
        self.app.call_from_thread(self._synced, error)

    def hold_quit(self) -> bool:
        """Ctrl+Q: while a sync runs, say the app quits when it is done (True: wait)."""
        if not self.syncing or self.synced:  # no sync, or only the list is read again
            return False
        self.quit_after_sync = True
        self.app.notify(self.app.t("quit_after_sync"))
        self._sync_line()
        return True

    def _synced(self, error: Exception | None) -> None:
        if self.quit_after_sync:  # the sync logged its result; nothing left to show
            self.syncing = ""
            self.app.quit_now()
            return
        self.synced = True  # ``syncing`` is cleared once the list is read again
        self.unlogged = None
        if error is None:
            self.app.forget_form()  # a newer questionnaire may have come: read it again
            self.app.warm_up()
        else:
            # the client wrote the failure to the sync log (the status line and L show it);
            # kept here too, for a device whose disk is too full to log it
            self.unlogged = (log_time(self.app.clock().isoformat(), self.tz),
                             f"failed: {error}")
        self.load()

    def action_sync_log(self) -> None:
        """Key action: the device's sync log."""
        from fieldsurvey.tui.screens.sync_log import SyncLogScreen

        self.app.push_screen(SyncLogScreen())
