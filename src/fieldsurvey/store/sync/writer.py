"""The server's one writer: pushes merged into the central store by group commit.

SQLite has one writer at a time, and a commit with ``synchronous=FULL`` costs an fsync.
Pushes arriving together (50 devices syncing at once) would each wait for every earlier
push's fsync. So the writer thread takes every push waiting in its queue (up to
:data:`BATCH`, the sources SQLite can attach at once) and merges them in **one**
transaction, each inside its own savepoint: one fsync for the batch, and each push is
still all in or not at all (a push that fails is rolled back to its savepoint and refused
alone; the others commit). Only after the commit is each push answered, so an answered
push is on disk (``synchronous=FULL``: the commit survives a crash or power loss).

In the same savepoint the writer records the push's work on households that now belong
to another interviewer (:func:`~.moved.record_found`), so the supervisor sees when the old
device's work on a moved household arrived; the server's log says so too.

The checks of a push (checksum, SQLite header, ``quick_check``, survey, device, nothing
issued) run before it is queued, on other threads (:func:`~.protocol.receive`); the
writer only merges. The queue is bounded: when :data:`QUEUE` pushes are waiting the
server answers 503 and the device retries a moment later.

Checkpoints (copying the WAL into the main file, with its fsync) are taken off the
pushes' path: SQLite's automatic checkpoint at commit is turned off on the writer's
connection, and the writer checkpoints when no push has come for :data:`IDLE` seconds,
or after :data:`CHECKPOINT_EVERY` pushes during a long rush (so the WAL stays bounded).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import merge as _merge
from fieldsurvey.store.store import FieldStore
from fieldsurvey.store.sync import moved, protocol

__all__ = ["BATCH", "CHECKPOINT_EVERY", "IDLE", "QUEUE", "Busy", "Push", "Writer"]

#: Pushes merged in one transaction at most (SQLite attaches at most 10 files).
BATCH = 8
#: Pushes waiting at most; more are answered 503 (retry later).
QUEUE = 256
#: Pushes merged at most between two checkpoints while pushes keep coming.
CHECKPOINT_EVERY = 64
#: Seconds without a push after which the writer checkpoints.
IDLE = 0.5

log = logging.getLogger("fieldsurvey.serve")


class Busy(Exception):
    """The writer's queue is full."""


@dataclass
class Push:
    """One checked push waiting for the writer; ``result`` is set after the commit."""

    delta: protocol.Delta
    device_id: str
    result: concurrent.futures.Future[dict[str, Any]] = field(
        default_factory=concurrent.futures.Future)


class _Redo(Exception):
    """SQLite rolled back the whole batch: merge its pushes one by one."""


class Writer:
    """A thread owning the central store's write connection (see the module docstring)."""

    def __init__(self, store: FieldStore, *, batch: int = BATCH, size: int = QUEUE) -> None:
        self.store = store
        self.batch = max(1, min(batch, BATCH))
        self._queue: queue.Queue[Push | Callable[[], None] | None] = queue.Queue(size)
        self.batches = 0  # how many transactions merged pushes (for the log and tests)
        self._since_checkpoint = 0
        store.connection.execute("PRAGMA wal_autocheckpoint = 0")  # see the module docstring
        self._thread = threading.Thread(target=self._run, name="fieldsurvey-writer",
                                        daemon=True)
        self._thread.start()

    def submit(self, push: Push) -> concurrent.futures.Future[dict[str, Any]]:
        """Queue a checked push; its future gives ``{"have": seq, "new": n}``.

        Raises
        ------
        Busy
            :data:`QUEUE` pushes are already waiting.
        """
        try:
            self._queue.put_nowait(push)
        except queue.Full:
            push.delta.close()
            raise Busy from None
        return push.result

    def call(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        """Run ``fn()`` on the writer thread, between batches."""
        out: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def job() -> None:
            try:
                out.set_result(fn())
            except BaseException as exc:  # handed to the caller
                out.set_exception(exc)

        self._queue.put(job)
        return out

    def stop(self) -> None:
        """Finish the queued work, then end the thread."""
        self._queue.put(None)
        self._thread.join()

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        pending: Push | Callable[[], None] | None = None
        while True:
            if pending is not None:
                item: Push | Callable[[], None] | None = pending
            elif self._since_checkpoint:
                try:
                    item = self._queue.get(timeout=IDLE)
                except queue.Empty:
                    self._checkpoint()
                    continue
            else:
                item = self._queue.get()
            pending = None
            if item is None:
                return
            if not isinstance(item, Push):
                item()
                continue
            jobs = [item]
            while len(jobs) < self.batch:  # whatever else is waiting joins this batch
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(nxt, Push):
                    pending = nxt
                    break
                jobs.append(nxt)
            try:
                self._merge(jobs)
            finally:
                for job in jobs:
                    job.delta.close()
                    if not job.result.done():  # pragma: no cover - a bug, never a hang
                        job.result.set_exception(StoreError("the push was not merged"))
            self._since_checkpoint += len(jobs)
            if self._since_checkpoint >= CHECKPOINT_EVERY:
                self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the WAL into the main file as far as readers allow (never blocks them)."""
        with contextlib.suppress(sqlite3.Error):
            self.store.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._since_checkpoint = 0

    def _error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, sqlite3.Error):
            err = self.store._sql_error(exc)
            err.__cause__ = exc
            return err
        return exc

    def _merge(self, jobs: list[Push]) -> None:
        """Merge ``jobs`` in one transaction; answer each; alone again if SQLite gave up."""
        conn = self.store.connection
        attached: list[str] = []
        try:
            conn.execute("PRAGMA foreign_keys = OFF")  # see merge._merge_one
            for k, job in enumerate(jobs):
                conn.execute(f"ATTACH DATABASE ? AS s{k}", (job.delta.uri,))
                attached.append(f"s{k}")
            done: dict[int, _merge.SourceReport] = {}
            failed: dict[int, BaseException] = {}
            with self.store._write() as c:
                for k, job in enumerate(jobs):
                    c.execute("SAVEPOINT push")
                    try:
                        rep = _merge._merge_tables(c, f"push of {job.device_id}",
                                                   job.delta.meta, f"s{k}")
                        found = self._moved(c, job, f"s{k}")
                        c.execute("INSERT INTO merge_log VALUES (?,?,?,?,?,?,?)",
                                  (self.store._clock().isoformat(timespec="seconds"),
                                   f"sync push ({job.device_id})", rep.device_id,
                                   rep.events_seen, rep.events_new, 0, rep.message))
                        c.execute("RELEASE push")
                        done[k] = rep
                        for m in found:
                            log.warning("push from %s: %s", job.device_id, m.summary())
                    except (StoreError, sqlite3.Error) as exc:
                        if not c.in_transaction:  # SQLite rolled back the whole batch
                            raise _Redo from exc
                        c.execute("ROLLBACK TO push")
                        c.execute("RELEASE push")
                        failed[k] = self._error(exc)
            self.batches += 1
        except (_Redo, StoreError, sqlite3.Error) as exc:
            if len(jobs) > 1:
                self._detach(attached)
                attached = []
                for job in jobs:  # each in its own transaction: only the bad one fails
                    self._merge([job])
                return
            cause = exc.__cause__ if isinstance(exc, _Redo) else exc
            jobs[0].result.set_exception(self._error(cause or exc))
            return
        finally:
            self._detach(attached)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA foreign_keys = ON")
        for k, job in enumerate(jobs):
            if k in failed:
                job.result.set_exception(failed[k])
                continue
            seq, _, _ = protocol.last_event(conn, job.device_id)
            job.result.set_result({"have": seq, "new": done[k].events_new,
                                   "batch": len(jobs)})

    def _moved(self, c: sqlite3.Connection, job: Push, schema: str) -> list[moved.MovedWork]:
        """Record the push's work on households now another interviewer's (same savepoint).

        So the supervisor sees when the old device's work on a moved household arrived
        (:mod:`~.moved`); kept in the push's savepoint: recorded if and only if merged.
        """
        dwellings = [r[0] for r in c.execute(f"SELECT DISTINCT dwelling_id FROM {schema}.events "
                                             "WHERE dwelling_id IS NOT NULL")]
        return moved.record_found(self.store, c, job.device_id, dwellings)

    def _detach(self, names: list[str]) -> None:
        conn = self.store.connection
        for name in names:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"DETACH DATABASE {name}")
