"""The field store: one SQLite file per device, every entry committed before returning.

:class:`FieldStore` is what the interviewer TUI, the supervisor's commands and the demo
write through. Each call that records something (an assignment batch, a contact attempt,
a roster line, a respondent selection, an interview start, an answer, a completion, a
review, an override) is **one transaction**: its event is appended to the ``events`` log
and the current-state table updated, then committed with ``synchronous=FULL`` before the
method returns, so a crash, a kill or a flat battery never loses an entry that was
acknowledged. Reading is done by the plain functions of :mod:`fieldsurvey.store.queries`
(the read methods here call them on the store's connection).

Events are numbered per device (``seq``) and stamped with a hybrid logical clock
(``hlc``: the wall clock in microseconds, but always above every event this store has
seen), which orders edits across devices when stores are merged
(:mod:`fieldsurvey.store.merge`). The wall clock is injectable (``clock=``) for tests.

The main file and its ``-wal``
------------------------------
SQLite in WAL mode keeps the latest commits in ``<store>-wal`` until a checkpoint copies
them into the main file, so a copy of the main file alone can lack them.
:meth:`FieldStore.checkpoint` makes the main file complete (the interviewer app calls it
when an interview is completed, when the interviewer leaves a household and on quit).
The main file also says whether it may be incomplete: the first write after a checkpoint
first records ``unsaved_since`` in ``meta`` and checkpoints that, so a main file whose
``unsaved_since`` is empty holds every write; merge warns about the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import uuid as _uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files, _values, queries
from fieldsurvey.store._assign import assignment_rows
from fieldsurvey.store.dispositions import Final, check_outcome
from fieldsurvey.store.queries import InterviewState

__all__ = ["MODES", "Clock", "FieldStore", "InterviewState", "utcnow"]

Clock = Callable[[], dt.datetime]

#: Contact modes accepted by :meth:`FieldStore.record_attempt`.
MODES: tuple[str, ...] = ("in_person", "phone", "message", "other")

_ANSWER_UPSERT = (
    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?) "
    "ON CONFLICT (iid, question, instance) DO UPDATE SET value=excluded.value, "
    "vtype=excluded.vtype, ver_hlc=excluded.ver_hlc, ver_device=excluded.ver_device, "
    "ver_seq=excluded.ver_seq "
    "WHERE (excluded.ver_hlc, excluded.ver_device, excluded.ver_seq) > "
    "(answers.ver_hlc, answers.ver_device, answers.ver_seq)"
)


def utcnow() -> dt.datetime:
    """The default clock: now, in UTC."""
    return dt.datetime.now(dt.UTC)


class FieldStore:
    """A field store file. Create with :meth:`create`, open with :meth:`open`.

    Parameters are keyword-only on every method; ``interviewer`` defaults to the device's
    interviewer (set when the store was made by ``fieldsurvey assign``).

    Status and review state of an interview: ``in_progress`` -> ``completed`` (1.1) or
    ``partial`` (1.2) by :meth:`complete`; answers can be set only while ``in_progress``;
    a rejected interview is reopened by :meth:`resume_interview`. ``review_state``:
    ``none`` -> ``pending`` (on completion) -> ``approved`` / ``rejected`` (by
    :meth:`review`) -> ``pending`` again when the interviewer completes it anew.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock | None = None,
                 readonly: bool = False) -> None:
        self._conn = conn
        self.path = Path(path)
        self._clock: Clock = clock or utcnow
        self._lock = threading.RLock()
        self.readonly = readonly
        self._meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self._flag_pending = False
        self._dirty = False  # this object wrote since its last checkpoint
        if "survey_id" not in self._meta:
            raise StoreError("the field store has no survey id (it was never initialised)",
                             file=str(path), hint="Create stores with `fieldsurvey assign`")

    def close(self) -> None:
        """Close the file; a writer first makes the main file complete (:meth:`checkpoint`)."""
        with self._lock:
            if not self.readonly and self._dirty:
                with contextlib.suppress(StoreError, sqlite3.Error):
                    self.checkpoint()
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def survey_id(self) -> str:
        """The survey this store belongs to."""
        return str(self._meta["survey_id"])

    @property
    def device_id(self) -> str:
        """The device id of this store (it numbers its events)."""
        return str(self._meta["device_id"])

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
                if self._flag_pending:  # the last "unsaved" mark is not in the main file yet
                    self._flag_pending = not self._wal_checkpoint("PASSIVE")
                conn.execute("BEGIN IMMEDIATE")
                self._mark_unsaved(conn)
                self._dirty = True
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._sql_error(exc) from exc
                raise

    def _mark_unsaved(self, conn: sqlite3.Connection) -> None:
        """Inside a write transaction.

        unless the main file already says it may lack writes, record ``unsaved_since`` and
        copy that mark into the main file first.
        """
        for _ in range(3):  # another connection may checkpoint in between: look again
            row = conn.execute("SELECT value FROM meta WHERE key = 'unsaved_since'").fetchone()
            if row is not None and row[0]:
                return
            now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('unsaved_since', ?)", (now,))
            conn.execute("COMMIT")
            self._flag_pending = not self._wal_checkpoint("PASSIVE")
            conn.execute("BEGIN IMMEDIATE")

    def _wal_checkpoint(self, mode: str) -> bool:
        """Run a WAL checkpoint; True when every frame is now in the main file."""
        busy, log, done = self._conn.execute(f"PRAGMA main.wal_checkpoint({mode})").fetchone()
        return int(busy) == 0 and int(log) == int(done)

    def checkpoint(self) -> bool:
        """Make the main file complete: copy the WAL into it and empty the WAL.

        The interviewer app calls this when an interview is completed, when the
        interviewer leaves a household and on quit, so a copy of the main file alone (a
        file manager's copy) holds every answer; the WAL stays small. Returns True when
        the main file now holds every write (False when a reader still holds an older
        state; the main file then keeps saying it may be incomplete). A no-op on a store
        opened read-only.
        """
        if self.readonly:
            return False
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('unsaved_since', '')")
                conn.execute("COMMIT")
                done = self._wal_checkpoint("TRUNCATE")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise self._sql_error(exc) from exc
            self._flag_pending = False
            self._dirty = not done
            return done

    def _sql_error(self, exc: sqlite3.Error) -> StoreError:
        if _files.readonly_error(exc):
            return _files.readonly_media(self.path, exc)
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

    # -- opening -------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, survey_id: str, device_id: str | None = None,
               role: str = "device", interviewer: str | None = None,
               pii_salt: str | None = None, clock: Clock | None = None,
               group: bool = False) -> FieldStore:
        """Create a new, empty store (refuses to overwrite an existing file).

        ``device_id`` defaults to a random id. ``pii_salt`` is the key of stable pseudonyms
        in exports: it is kept only by a store that is not a device's (``role`` central;
        default a random key) — a device store never holds it, so a lost tablet does not
        give it away. The file is created readable by its owner only (0600), or also by
        the owner's group with ``group=True`` (0640).
        """
        if not survey_id:
            raise StoreError("a survey id is needed to create a store", field="survey_id")
        path = Path(path)
        conn = _files.connect(path, create=True, group=group)
        meta = {
            "survey_id": survey_id,
            "device_id": device_id or f"dev-{_uuid.uuid4().hex[:12]}",
            "role": role,
            "created_at": (clock or utcnow)().isoformat(),
            "hlc_floor": "0",
        }
        if role != "device":
            meta["pii_salt"] = pii_salt or secrets.token_hex(16)
        if interviewer:
            meta["interviewer"] = interviewer
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.close()
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)  # no half-made store left behind
            hint = "Free some space and try again" if _files.disk_error(exc) else None
            raise StoreError("the store could not be created", file=str(path), got=str(exc),
                             hint=hint) from exc
        return cls(conn, path, clock)

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock | None = None, readonly: bool = False,
             check: bool | None = None) -> FieldStore:
        """Open an existing store; an older schema is migrated after a backup copy.

        ``readonly=True`` is for readers (progress, export) running beside a writer; a
        device store opened for writing gives up a pseudonymisation key an older version
        left in it (the key is kept at HQ only);
        ``check`` runs SQLite's ``quick_check`` first (default: for files under 256 MB),
        so a damaged file is refused with a clear message.
        """
        path = Path(path)
        store = cls(_files.connect(path, readonly=readonly, check=check), path, clock, readonly)
        if not readonly and store._meta.get("role") == "device" and "pii_salt" in store._meta:
            # stores made before the key was kept at HQ only: the device gives it up
            try:
                with store._write() as conn:
                    conn.execute("DELETE FROM meta WHERE key = 'pii_salt'")
            except BaseException:
                store.close()
                raise
            del store._meta["pii_salt"]
        return store

    # -- forms and assignments -----------------------------------------------------
    def add_form(self, content: bytes, *, form_id: str, version: str, filename: str) -> None:
        """Pin a questionnaire file byte for byte under ``(form_id, version)``."""
        digest = hashlib.sha256(content).hexdigest()
        with self._write() as conn:
            old = conn.execute("SELECT sha256 FROM forms WHERE form_id=? AND version=?",
                               (form_id, version)).fetchone()
            if old is not None and old[0] != digest:
                raise StoreError(
                    "another questionnaire file with the same form id and version is pinned",
                    field="form", got=f"{form_id} version {version}",
                    hint="Give the changed questionnaire a new version in its settings sheet")
            if old is None:
                _, _, time = self._event(conn, "form", None, detail={
                    "form_id": form_id, "version": version, "sha256": digest})
                conn.execute("INSERT INTO forms VALUES (?,?,?,?,?,?)",
                             (form_id, version, filename, digest, content, time))

    def assign(self, sample: Any, *, interviewer: str | None = None,
               form_id: str | None = None, form_version: str | None = None) -> int:
        """Issue sample lines in one transaction; return the number of lines.

        ``sample`` is a DataFrame or records with the sample columns; an already issued
        line is reassigned.

        Each row needs ``dwelling_id`` and ``community_id``, and ``interviewer`` unless
        given here; the probabilities, Kish table and address columns are kept, any other
        column goes to ``attributes`` (JSON).
        """
        rows = assignment_rows(sample, interviewer=interviewer,
                               default_interviewer=self._meta.get("interviewer"))
        with self._write() as conn:
            for r in rows:
                hlc, seq, time = self._event(conn, "assign", None, dwelling_id=r["dwelling_id"],
                                             detail={"interviewer": r["interviewer"]})
                r.update(form_id=form_id, form_version=form_version, assigned_at=time,
                         ver_hlc=hlc, ver_device=self.device_id, ver_seq=seq)
                cols = list(r)
                conn.execute(
                    f"INSERT INTO assignments ({', '.join(cols)}) VALUES "
                    f"({', '.join('?' * len(cols))}) ON CONFLICT (dwelling_id) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "dwelling_id"),
                    [r[c] for c in cols],
                )
        return len(rows)

    # -- contact attempts, roster, selection ------------------------------------------
    def record_attempt(self, dwelling_id: str, outcome: str, *, interviewer: str | None = None,
                       mode: str = "in_person", appointment: dt.datetime | str | None = None,
                       note: str | None = None) -> str:
        """Record one contact attempt with its AAPOR outcome code; return its id.

        ``appointment`` is the agreed time of the next visit, if one was made.
        """
        who = self._who(interviewer)
        code = check_outcome(outcome)
        if mode not in MODES:
            raise StoreError("unknown contact mode", field="mode", expected=" / ".join(MODES),
                             got=repr(mode))
        appt = appointment.isoformat() if isinstance(appointment, dt.datetime) else appointment
        with self._write() as conn:
            queries.require_case(conn, dwelling_id)
            hlc, seq, time = self._event(conn, "attempt", who, dwelling_id=dwelling_id,
                                         value=code, vtype="s",
                                         detail={"mode": mode, "appointment": appt, "note": note})
            attempt_id = f"{self.device_id}:{seq}"
            conn.execute("INSERT INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (attempt_id, dwelling_id, time, hlc, who, mode, code, appt, note,
                          self.device_id))
        return attempt_id

    def set_roster_member(self, dwelling_id: str, line: int, *, sex: str | None = None,
                          age: int | None = None, name: str | None = None,
                          resident: bool | None = None, eligible: bool | None = None,
                          extra: Mapping[str, Any] | None = None,
                          interviewer: str | None = None) -> None:
        """Enter or change household member ``line`` (1-based) of a case's roster."""
        self._roster(dwelling_id, line, interviewer, removed=0, name=name, sex=sex, age=age,
                     resident=resident, eligible=eligible, extra=dict(extra or {}))

    def remove_roster_member(self, dwelling_id: str, line: int, *,
                             interviewer: str | None = None) -> None:
        """Remove member ``line`` from the roster (the removal is an event like any other)."""
        self._roster(dwelling_id, line, interviewer, removed=1, name=None, sex=None, age=None,
                     resident=None, eligible=None, extra={})

    def _roster(self, dwelling_id: str, line: int, interviewer: str | None, *, removed: int,
                name: str | None, sex: str | None, age: int | None, resident: bool | None,
                eligible: bool | None, extra: dict[str, Any]) -> None:
        who = self._who(interviewer)
        if not isinstance(line, int) or line < 1:
            raise StoreError("a roster line number starts at 1", field="line", got=repr(line))
        if age is not None and not (0 <= int(age) <= 130):
            raise StoreError("an age must be between 0 and 130", field="age", got=repr(age))
        vals = (name, sex, age, None if resident is None else int(resident),
                None if eligible is None else int(eligible),
                json.dumps(extra, ensure_ascii=False, default=str), removed)
        with self._write() as conn:
            queries.require_case(conn, dwelling_id)
            hlc, seq, time = self._event(
                conn, "roster_remove" if removed else "roster_set", who,
                dwelling_id=dwelling_id, value=line, vtype="i",
                detail={"name": name, "sex": sex, "age": age, "resident": resident,
                        "eligible": eligible, "extra": extra})
            conn.execute(
                "INSERT INTO roster VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (dwelling_id, line) DO UPDATE SET name=excluded.name, "
                "sex=excluded.sex, age=excluded.age, resident=excluded.resident, "
                "eligible=excluded.eligible, extra=excluded.extra, removed=excluded.removed, "
                "time=excluded.time, interviewer=excluded.interviewer, "
                "ver_hlc=excluded.ver_hlc, ver_device=excluded.ver_device, "
                "ver_seq=excluded.ver_seq",
                (dwelling_id, line, *vals, time, who, hlc, self.device_id, seq))

    def record_selection(self, dwelling_id: str, *, method: str, eligible_count: int,
                         chosen_line: int | None, probability: float | None = None,
                         kish_table: str | None = None, interviewer: str | None = None,
                         seed: int | None = None) -> None:
        """Record how the respondent was chosen.

        ``method`` (``kish``, ``random``, ...), the Kish table letter, the number of
        eligible members, the chosen line and the respondent's conditional selection
        probability (default 1 / eligible_count).

        ``seed``: for a random choice, the seed it was drawn with; it is kept in the
        selection's event, so an auditor can redraw the same person from the roster
        (``kish_select(roster, method="random", rng=seed)``).
        """
        who = self._who(interviewer)
        if eligible_count < 0:
            raise StoreError("the number of eligible members cannot be negative",
                             field="eligible_count", got=repr(eligible_count))
        if probability is None and eligible_count > 0:
            probability = 1.0 / eligible_count
        if probability is not None and not (0.0 < probability <= 1.0):
            raise StoreError("a selection probability must be in (0, 1]", field="probability",
                             got=repr(probability))
        if chosen_line is not None and eligible_count == 0:
            raise StoreError("a respondent was chosen among no eligible members",
                             field="chosen_line", got=repr(chosen_line))
        with self._write() as conn:
            queries.require_case(conn, dwelling_id)
            hlc, seq, time = self._event(
                conn, "selection", who, dwelling_id=dwelling_id, value=chosen_line, vtype="i",
                detail={"method": method, "kish_table": kish_table,
                        "eligible_count": eligible_count, "probability": probability,
                        **({"seed": int(seed)} if seed is not None else {})})
            conn.execute(
                "INSERT INTO selection VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (dwelling_id) "
                "DO UPDATE SET method=excluded.method, kish_table=excluded.kish_table, "
                "eligible_count=excluded.eligible_count, chosen_line=excluded.chosen_line, "
                "probability=excluded.probability, time=excluded.time, "
                "interviewer=excluded.interviewer, ver_hlc=excluded.ver_hlc, "
                "ver_device=excluded.ver_device, ver_seq=excluded.ver_seq",
                (dwelling_id, method, kish_table, eligible_count, chosen_line, probability,
                 time, who, hlc, self.device_id, seq))

    def _interview_row(self, conn: sqlite3.Connection,
                       uuid: str) -> tuple[int, str, str]:
        row = conn.execute("SELECT iid, dwelling_id, status FROM interviews WHERE uuid = ?",
                           (uuid,)).fetchone()
        if row is None:
            raise StoreError("no such interview in this store", field="interview",
                             got=repr(uuid))
        return row[0], row[1], row[2]

    def start_interview(self, dwelling_id: str, *, interviewer: str | None = None,
                        form_id: str | None = None, form_version: str | None = None,
                        respondent_line: int | None = None, uuid: str | None = None) -> str:
        """Start an interview at a case; return its UUID.

        The questionnaire id and version are pinned on the interview (default: the
        assignment's); the respondent line defaults to the recorded selection.
        """
        who = self._who(interviewer)
        new_uuid = uuid or str(_uuid.uuid4())
        with self._write() as conn:
            queries.require_case(conn, dwelling_id)
            a = conn.execute("SELECT form_id, form_version FROM assignments WHERE "
                             "dwelling_id = ?", (dwelling_id,)).fetchone()
            fid, fver = form_id or a[0], form_version or a[1]
            if not fid:
                raise StoreError("no questionnaire is pinned for this case", field="form_id",
                                 hint="Pass form_id and form_version, or assign with --form")
            if respondent_line is None:
                sel = conn.execute("SELECT chosen_line FROM selection WHERE dwelling_id = ?",
                                   (dwelling_id,)).fetchone()
                respondent_line = sel[0] if sel else None
            hlc, seq, time = self._event(
                conn, "start", who, dwelling_id=dwelling_id, interview_uuid=new_uuid,
                detail={"form_id": fid, "form_version": fver or "",
                        "respondent_line": respondent_line})
            try:
                conn.execute(
                    "INSERT INTO interviews (uuid, dwelling_id, respondent_line, form_id, "
                    "form_version, device_id, interviewer, started_at, status, st_hlc, "
                    "st_device, st_seq) VALUES (?,?,?,?,?,?,?,?,'in_progress',?,?,?)",
                    (new_uuid, dwelling_id, respondent_line, fid, fver or "", self.device_id,
                     who, time, hlc, self.device_id, seq))
            except sqlite3.IntegrityError as exc:
                raise StoreError("an interview with this UUID exists already", field="uuid",
                                 got=new_uuid) from exc
        return new_uuid

    def resume_interview(self, uuid: str, *, interviewer: str | None = None,
                         reopen: bool = False) -> InterviewState:
        """Resume an interview: record the resumption and return its state and answers.

        A rejected interview is reopened (status back to ``in_progress``); a completed one
        only with ``reopen=True``.
        """
        who = self._who(interviewer)
        with self._write() as conn:
            iid, did, status = self._interview_row(conn, uuid)
            review = conn.execute("SELECT review_state FROM interviews WHERE iid = ?",
                                  (iid,)).fetchone()[0]
            opening = status != "in_progress" and (reopen or review == "rejected")
            hlc, seq, _ = self._event(conn, "resume", who, dwelling_id=did, interview_uuid=uuid,
                                      detail={"reopened": opening})
            if opening:
                conn.execute("UPDATE interviews SET status='in_progress', outcome=NULL, "
                             "completed_at=NULL, st_hlc=?, st_device=?, st_seq=? WHERE iid=?",
                             (hlc, self.device_id, seq, iid))
        return self.interview(uuid)

    def set_answer(self, uuid: str, question: str, value: Any, *,
                   instance: tuple[int, ...] | None = None,
                   interviewer: str | None = None) -> None:
        """Set (or change) one answer; it is on disk when this returns.

        ``question`` is a name (``"a2"``) or a key (``"h_age[3]"``); ``instance`` adds
        1-based repeat instance numbers. Values: int, float, str, bool, a tuple of choice
        names (select_multiple), a date, or a
        :class:`~fieldsurvey.questionnaire.model.SpecialAnswer` (不知道 / 拒绝回答).
        """
        name, inst = _values.split_key(question, instance)
        stored, vtype = _values.encode(value, field=name + inst)
        self._answer(uuid, name, inst, stored, vtype, interviewer)

    def clear_answer(self, uuid: str, question: str, *,
                     instance: tuple[int, ...] | None = None,
                     interviewer: str | None = None) -> None:
        """Clear one answer (e.g.

        a question that became irrelevant); the old value stays in the event log.
        """
        name, inst = _values.split_key(question, instance)
        self._answer(uuid, name, inst, None, None, interviewer)

    def _answer(self, uuid: str, name: str, inst: str, stored: Any,
                vtype: str | None, interviewer: str | None) -> None:
        who = self._who(interviewer)
        with self._write() as conn:
            iid, did, status = self._interview_row(conn, uuid)
            if status != "in_progress":
                raise StoreError(
                    f"the interview is {status}; its answers cannot be changed",
                    field=name + inst, hint="Resume it first (a rejected interview reopens)")
            old = conn.execute("SELECT value, vtype FROM answers WHERE iid=? AND question=? "
                               "AND instance=?", (iid, name, inst)).fetchone()
            had = old is not None and old[1] is not None
            if vtype is None:
                kind = "clear"
            else:
                kind = "change" if had else "set"
            detail = {"old": _values.flat(*old)} if had else None
            hlc, seq, _ = self._event(conn, kind, who, dwelling_id=did, interview_uuid=uuid,
                                      question=name, instance=inst, value=stored,
                                         vtype=vtype, detail=detail)
            conn.execute(_ANSWER_UPSERT, (name, inst, iid, stored, vtype, hlc, self.device_id, seq))
            conn.execute("INSERT OR IGNORE INTO editors VALUES (?, ?)", (uuid, self.device_id))

    def set_position(self, uuid: str, position: str, *,
                     interviewer: str | None = None) -> None:
        """Remember where the interviewer is (a key such as ``"d3"``) to resume there."""
        who = self._who(interviewer)
        with self._write() as conn:
            iid, did, _ = self._interview_row(conn, uuid)
            hlc, seq, _ = self._event(conn, "position", who, dwelling_id=did,
                                      interview_uuid=uuid, question=position)
            conn.execute("UPDATE interviews SET position=?, pos_hlc=?, pos_device=?, pos_seq=? "
                         "WHERE iid=?", (position, hlc, self.device_id, seq, iid))

    def record_paradata(self, uuid: str, kind: str, *, question: str | None = None,
                        detail: Mapping[str, Any] | None = None,
                        interviewer: str | None = None) -> None:
        """Record a paradata event (e.g.

        ``enter`` / ``leave`` a question, ``language``, ``pause``); it goes to the event log
        as ``para:<kind>``.
        """
        who = self._who(interviewer)
        with self._write() as conn:
            _, did, _ = self._interview_row(conn, uuid)
            self._event(conn, f"para:{kind}", who, dwelling_id=did, interview_uuid=uuid,
                        question=question, detail=dict(detail or {}))

    def complete(self, uuid: str, *, outcome: str = "1.1",
                 interviewer: str | None = None) -> None:
        """Close an interview as complete (``1.1``) or partial (``1.2``).

        it then awaits review. A break-off is a contact attempt (2.12), not a completion.
        """
        who = self._who(interviewer)
        code = check_outcome(outcome)
        if code not in ("1.1", "1.2"):
            raise StoreError("an interview is completed as 1.1 (complete) or 1.2 (partial)",
                             field="outcome", got=code,
                             hint="Record a break-off as a contact attempt with code 2.12")
        with self._write() as conn:
            iid, did, status = self._interview_row(conn, uuid)
            if status != "in_progress":
                raise StoreError(f"the interview is already {status}", field="interview",
                                 got=uuid)
            hlc, seq, time = self._event(conn, "complete", who, dwelling_id=did,
                                         interview_uuid=uuid, value=code, vtype="s")
            conn.execute(
                "UPDATE interviews SET status=?, outcome=?, completed_at=?, st_hlc=?, "
                "st_device=?, st_seq=?, review_state='pending', reviewer=NULL, "
                "review_comment=NULL, reviewed_at=NULL, rv_hlc=?, rv_device=?, rv_seq=? "
                "WHERE iid=?",
                ("completed" if code == "1.1" else "partial", code, time, hlc, self.device_id,
                 seq, hlc, self.device_id, seq, iid))

    def review(self, uuid: str, decision: str, *, reviewer: str,
               comment: str | None = None,
               question_comments: Mapping[str, str] | None = None) -> None:
        """Approve or reject a completed interview.

        With an overall comment and comments per question (keys such as ``"d3"``); a
        rejection needs at least one comment.
        """
        if decision not in ("approve", "reject"):
            raise StoreError("a review decision is approve or reject", field="decision",
                             got=repr(decision))
        qc = dict(question_comments or {})
        if decision == "reject" and not (comment or qc):
            raise StoreError("a rejection needs a comment saying what to fix", field="comment")
        if not reviewer:
            raise StoreError("the reviewer must be named", field="reviewer")
        with self._write() as conn:
            iid, did, status = self._interview_row(conn, uuid)
            if status == "in_progress":
                raise StoreError("only a completed interview can be reviewed",
                                 field="interview", got=f"{uuid} ({status})")
            hlc, seq, time = self._event(conn, "review", reviewer, dwelling_id=did,
                                         interview_uuid=uuid, value=decision, vtype="s",
                                         detail={"comment": comment, "questions": qc})
            state = "approved" if decision == "approve" else "rejected"
            conn.execute("UPDATE interviews SET review_state=?, reviewer=?, review_comment=?, "
                         "reviewed_at=?, rv_hlc=?, rv_device=?, rv_seq=? WHERE iid=?",
                         (state, reviewer, comment, time, hlc, self.device_id, seq, iid))
            items = ([(None, comment)] if comment else []) + sorted(qc.items())
            for n, (q, text) in enumerate(items):
                conn.execute("INSERT INTO review_comments VALUES (?,?,?,?,?,?,?)",
                             (f"{self.device_id}:{seq}:{n}", uuid, q, text, decision,
                              reviewer, time))

    def override_disposition(self, dwelling_id: str, code: str | None, *,
                             supervisor: str, reason: str) -> None:
        """Set a case's final disposition by hand (``code=None`` withdraws the override).

        The reason is required and kept, with the supervisor's name and the time.
        """
        if not reason or not reason.strip():
            raise StoreError("an override needs a reason", field="reason",
                             hint="Say why the derived disposition is wrong")
        if not supervisor:
            raise StoreError("the supervisor must be named", field="supervisor")
        norm = None if code is None else check_outcome(code, field="code")
        with self._write() as conn:
            queries.require_case(conn, dwelling_id)
            hlc, seq, time = self._event(conn, "override", supervisor, dwelling_id=dwelling_id,
                                         value=norm, vtype="s", detail={"reason": reason})
            conn.execute(
                "INSERT INTO overrides VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (dwelling_id) DO "
                "UPDATE SET code=excluded.code, reason=excluded.reason, "
                "supervisor=excluded.supervisor, time=excluded.time, ver_hlc=excluded.ver_hlc, "
                "ver_device=excluded.ver_device, ver_seq=excluded.ver_seq",
                (dwelling_id, norm, reason.strip(), supervisor, time, hlc, self.device_id, seq))


    # -- reads (the functions of fieldsurvey.store.queries on this store's connection) ---
    def forms(self) -> list[dict[str, Any]]:
        """The pinned questionnaires (without their bytes)."""
        return queries.forms(self._conn)

    def form_file(self, form_id: str, version: str) -> tuple[str, bytes]:
        """The pinned ``(filename, bytes)`` of a questionnaire."""
        return queries.form_file(self._conn, form_id, version)

    def assignments(self, interviewer: str | None = None) -> pd.DataFrame:
        """The issued sample lines (attributes JSON expanded into columns)."""
        return queries.assignments(self._conn, interviewer)

    def attempts(self, dwelling_id: str | None = None) -> list[dict[str, Any]]:
        """Contact attempts (all, or of one case) in time order."""
        return queries.attempts(self._conn, dwelling_id)

    def events(self, interview_uuid: str | None = None,
               kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The event log in clock order (see :func:`~.queries.events`)."""
        return queries.events(self._conn, interview_uuid, kinds)

    def roster(self, dwelling_id: str) -> list[dict[str, Any]]:
        """The current roster of a case, by line."""
        return queries.roster(self._conn, dwelling_id)

    def selection(self, dwelling_id: str) -> dict[str, Any] | None:
        """The respondent selection of a case, if recorded."""
        return queries.selection(self._conn, dwelling_id)

    def interview(self, uuid: str) -> InterviewState:
        """The current state and answers of an interview (no event written)."""
        return queries.interview_state(self._conn, uuid)

    def interviews(self, dwelling_id: str | None = None) -> list[dict[str, Any]]:
        """The interviews (all, or of one case) with their status and review state."""
        return queries.interviews(self._conn, dwelling_id)

    def answers(self, uuid: str) -> dict[str, Any]:
        """The current answers of an interview as ``{key: value}`` (cleared ones left out)."""
        return queries.answers(self._conn, uuid)

    def review_comments(self, uuid: str) -> list[dict[str, Any]]:
        """All review comments of an interview, oldest first."""
        return queries.review_comments(self._conn, uuid)

    def dispositions(self) -> pd.DataFrame:
        """Final disposition of every case (see :func:`~.queries.dispositions`)."""
        return queries.dispositions(self._conn)

    def final_disposition(self, dwelling_id: str) -> Final:
        """The final disposition of one case, with where it came from."""
        return queries.disposition_of(self._conn, dwelling_id)

    def cases(self) -> pd.DataFrame:
        """One row per case (see :func:`fieldsurvey.store.tables.cases_frame`)."""
        from fieldsurvey.store.tables import cases_frame

        return cases_frame(self._conn)

    def conflicts(self) -> pd.DataFrame:
        """Edits of the same interview from two devices.

        See :func:`fieldsurvey.store.conflicts.find_conflicts`.
        """
        from fieldsurvey.store.conflicts import find_conflicts

        return find_conflicts(self._conn)

    def check(self) -> list[str]:
        """Run ``PRAGMA integrity_check`` and the foreign key check.

        return the problems (an empty list when the file is sound).
        """
        return queries.integrity_problems(self._conn)
