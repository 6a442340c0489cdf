"""The core of :class:`~fieldsurvey.store.store.FieldStore`: the connection, the write
transaction, and the event log append that every entry goes through.

Split out so that the method groups (:mod:`._interviews`, :mod:`._reads`) and the store
class share one typed base.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files

__all__ = ["Clock", "StoreCore", "utcnow"]

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The default clock: now, in UTC."""
    return dt.datetime.now(dt.UTC)


class StoreCore:
    """An open store file: connection, clock, write transactions, event numbering."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock | None = None,
                 readonly: bool = False) -> None:
        self._conn = conn
        self.path = Path(path)
        self._clock: Clock = clock or utcnow
        self._lock = threading.RLock()
        self.readonly = readonly
        self._meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self._iid: dict[str, tuple[int, str]] = {}
        if "survey_id" not in self._meta:
            raise StoreError("the field store has no survey id (it was never initialised)",
                             file=str(path), hint="Create stores with `fieldsurvey assign`")

    def close(self) -> None:
        """Close the file (checkpointing the WAL when this is the last connection)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def survey_id(self) -> str:
        """The survey this store belongs to."""
        return self._meta["survey_id"]

    @property
    def device_id(self) -> str:
        """This store's device id (it numbers its events)."""
        return self._meta["device_id"]

    @property
    def meta(self) -> dict[str, str]:
        """A copy of the ``meta`` table."""
        return dict(self._meta)

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (for the store's own modules; do not write through it)."""
        return self._conn

    # -- transactions --------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError("this store was opened read-only", file=str(self.path))
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._sql_error(exc) from exc
                raise

    def _sql_error(self, exc: sqlite3.Error) -> StoreError:
        if _files.disk_error(exc):
            return StoreError(
                "the disk is full: this entry was NOT saved (every earlier entry is safe)",
                file=str(self.path), got=str(exc),
                hint="Free space on the device (or copy the store to a larger disk) and enter "
                "it again",
            )
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StoreError("the store is busy (another program is writing to it)",
                              file=str(self.path), hint="Close the other program and retry")
        if isinstance(exc, sqlite3.IntegrityError):
            return StoreError("the entry contradicts the store's data", file=str(self.path),
                              got=str(exc))
        return StoreError("the store could not be written", file=str(self.path), got=str(exc),
                          hint="Check the file with `PRAGMA integrity_check`")

    def _who(self, interviewer: str | None) -> str:
        who = interviewer or self._meta.get("interviewer")
        if not who:
            raise StoreError("who made this entry is not known", field="interviewer",
                             hint="Pass interviewer=... (this store has no default interviewer)")
        return who

    def _event(self, conn: sqlite3.Connection, kind: str, who: str | None, *,
               dwelling_id: str | None = None, interview_uuid: str | None = None,
               question: str | None = None, instance: str | None = None, value: Any = None,
               vtype: str | None = None, detail: Mapping[str, Any] | None = None,
               ) -> tuple[int, int, str]:
        """Append one event; return its ``(hlc, seq, time)``."""
        dev = self.device_id
        row = conn.execute("SELECT seq, hlc FROM events WHERE device_id = ? "
                           "ORDER BY seq DESC LIMIT 1", (dev,)).fetchone()
        floor = conn.execute("SELECT value FROM meta WHERE key = 'hlc_floor'").fetchone()
        seq = row[0] + 1 if row else 1
        last = max(row[1] if row else 0, int(floor[0]) if floor else 0)
        now = self._clock()
        if now.tzinfo is None:
            now = now.astimezone()
        hlc = max(int(now.timestamp() * 1_000_000), last + 1)
        time = now.isoformat(timespec="milliseconds")
        conn.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (dev, seq, hlc, time, who, kind, dwelling_id, interview_uuid, question, instance,
             value, vtype,
             None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)),
        )
        return hlc, seq, time

    def _require_case(self, conn: sqlite3.Connection, dwelling_id: str) -> None:
        if conn.execute("SELECT 1 FROM assignments WHERE dwelling_id = ?",
                        (dwelling_id,)).fetchone() is None:
            raise StoreError("no such case in this store", field="dwelling_id",
                             got=repr(dwelling_id), hint="Check the sample line's dwelling id")

