"""The device's sync log (``L`` in the household list) and what the list says of syncs.

The sync itself is :func:`fieldsurvey.store.sync.client.sync` (``fieldsurvey sync``): it
pushes what the server lacks, pulls this interviewer's updates and writes one row per
sync to the device store's ``sync_log`` (time, server, pushed, pulled, result). This
module reads that log for the screen (newest first, with
:func:`~fieldsurvey.store.sync.client.last_syncs`) and, for the household list's status
line, with plain SQL (:func:`sync_info`: the list is drawn before pandas and the store's
classes are imported). The client keeps the token in the device store's ``meta``
(``sync_token``, from ``assign``) and no server address: the address is the one given
with ``fieldsurvey interview --server``, else the last one in the sync log.

:func:`short_result` turns a result (``ok`` or ``failed: <the error's paragraph>``) into
one line in the app's language: the known failures (server unreachable, a refused token,
a newer schema on one side, no token, the server's disk full) have their own words; any
other keeps the error's first sentence.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["SyncInfo", "SyncLogScreen", "log_time", "short_result", "sync_info"]

#: How many syncs the screen lists.
LOG_ROWS = 200

#: Known failures of the client, by a phrase of its message, and their UI text key.
_KNOWN: tuple[tuple[str, str], ...] = (
    ("cannot be reached", "sync_unreachable"),
    ("(HTTP 401)", "sync_bad_token"),
    ("has no sync token", "sync_no_token"),
    ("(HTTP 507)", "sync_disk_full"),
    ("this device runs a newer fieldsurvey", "sync_device_newer"),
    ("the server runs a newer fieldsurvey", "sync_server_newer"),
)


@dataclass(frozen=True)
class SyncInfo:
    """What the household list needs to know about syncing this store."""

    can_sync: bool
    """A device store with a sync token (from ``assign``)."""
    server: str
    """The last server this device synced with ("" when never)."""
    last: dict[str, Any] | None
    """The last row of the sync log (time, server, pushed, pulled, result)."""


def sync_info(path: str | Path) -> SyncInfo:
    """Read the device's sync state from the store file (read-only, plain SQLite)."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return SyncInfo(False, "", None)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN "
                                 "('role', 'sync_token')").fetchall())
        row = conn.execute("SELECT time, server, pushed, pulled, result FROM sync_log "
                           "ORDER BY rowid DESC LIMIT 1").fetchone()
        server = conn.execute("SELECT server FROM sync_log WHERE server <> '' "
                              "ORDER BY rowid DESC LIMIT 1").fetchone()
    except sqlite3.Error:  # a store older than the sync log (schema 4)
        return SyncInfo(False, "", None)
    finally:
        conn.close()
    last = None if row is None else dict(zip(("time", "server", "pushed", "pulled",
                                              "result"), row, strict=True))
    return SyncInfo(meta.get("role") == "device" and bool(meta.get("sync_token")),
                    "" if server is None else str(server[0]), last)


def log_time(text: str, tz: dt.tzinfo | None, *, seconds: bool = False) -> str:
    """A sync log time (ISO, UTC) as ``MM-DD HH:MM`` in the app clock's time zone."""
    try:
        when = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)[:16]
    if when.tzinfo is not None and tz is not None:
        when = when.astimezone(tz)
    return when.strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")


def _first_sentence(paragraph: str) -> str:
    text = paragraph.strip()
    if text.startswith(("file ", "field ")) and ": " in text:  # where it happened
        text = text.split(": ", 1)[1]
    return text.partition(". ")[0]


def short_result(result: str, t: Any) -> str:
    """One line for a sync log result (``ok`` or ``failed: ...``) by the text function ``t``."""
    if result == "ok":
        return str(t("sync_ok_short"))
    text = result.removeprefix("failed:").strip()
    for phrase, key in _KNOWN:
        if phrase in text:
            return str(t(key))
    return _first_sentence(text).rstrip(".")


#: Columns of the log table and their widths (80 columns with the cell padding).
COLUMNS: tuple[tuple[str, int], ...] = (("col_time", 14), ("col_pushed", 6),
                                       ("col_pulled", 8), ("col_result", 44))


class SyncLogScreen(KeyedScreen[None]):
    """The device's syncs, newest first; the highlighted one in full below the table."""

    app: FieldsurveyApp
    CSS_PATH = "../styles/sync.tcss"
    AUTO_FOCUS = "#synclog"
    KEYS: ClassVar[list[tuple[str, str]]] = [("Esc", "back")]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back")]

    def __init__(self) -> None:
        super().__init__(id="sync-log")
        self.rows: list[dict[str, Any]] | None = None
        self.tz: dt.tzinfo | None = None

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static(self.app.t("loading"), id="synclog-title", classes="section")
        yield DataTable(id="synclog", cursor_type="row", zebra_stripes=True)
        yield Static("", id="synclog-detail", markup=False)
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Read the log once mounted."""
        self.tz = self.app.clock().tzinfo
        self.load()

    @work(thread=True, exclusive=True, group="synclog")
    def load(self) -> None:
        """Read the sync log on a worker thread."""
        from fieldsurvey.store.sync.client import last_syncs

        conn = sqlite3.connect(f"{self.app.store_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = last_syncs(conn, LOG_ROWS)
        except sqlite3.Error:  # a store older than the sync log
            rows = []
        finally:
            conn.close()
        self.app.call_from_thread(self._loaded, rows)

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t = self.app.t
        table = self.query_one("#synclog", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for key, width in COLUMNS:
            table.add_column(fit(t(key), width), key=key, width=width)
        if self.rows is None:
            return
        self.query_one("#synclog-title", Static).update(
            t("sync_log_title") if self.rows else t("sync_log_empty"))
        w = dict(COLUMNS)
        for n, r in enumerate(self.rows):
            table.add_row(log_time(r["time"], self.tz, seconds=True), str(r["pushed"]),
                          str(r["pulled"]), fit(short_result(str(r["result"]), t),
                                                w["col_result"]), key=str(n))
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self._detail()

    @on(DataTable.RowHighlighted, "#synclog")
    def _detail(self) -> None:
        """The highlighted sync in full: its server and the whole result."""
        table = self.query_one("#synclog", DataTable)
        out = self.query_one("#synclog-detail", Static)
        if not self.rows or not table.row_count:
            out.update("")
            return
        r = self.rows[min(table.cursor_row, len(self.rows) - 1)]
        result = str(r["result"])
        text = self.app.t("sync_server", server=r["server"])
        if result != "ok":
            text += "\n" + result.removeprefix("failed:").strip()
        out.update(text)

    def action_back(self) -> None:
        """Key action: back to the household list."""
        self.dismiss(None)
