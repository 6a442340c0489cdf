"""The field store: one SQLite file per device, every entry committed before returning.

:class:`FieldStore` is what the interviewer TUI, the supervisor's commands and the demo
write through. Each call that records something (an assignment batch, a contact attempt,
a roster line, a respondent selection, an interview start, an answer, a completion, a
review, an override) is **one transaction**: its event is appended to the ``events`` log
and the current-state table updated, then committed with ``synchronous=FULL`` before the
method returns, so a crash, a kill or a flat battery never loses an entry that was
acknowledged.

Events are numbered per device (``seq``) and stamped with a hybrid logical clock
(``hlc``: the wall clock in microseconds, but always above every event this store has
seen), which orders edits across devices when stores are merged
(:mod:`fieldsurvey.store.merge`). The wall clock is injectable (``clock=``) for tests.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import uuid as _uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files
from fieldsurvey.store._assign import assignment_rows
from fieldsurvey.store._core import Clock, utcnow
from fieldsurvey.store._interviews import InterviewsMixin, InterviewState
from fieldsurvey.store._reads import ReadsMixin
from fieldsurvey.store.dispositions import check_outcome

__all__ = ["MODES", "Clock", "FieldStore", "InterviewState"]


#: Contact modes accepted by :meth:`FieldStore.record_attempt`.
MODES: tuple[str, ...] = ("in_person", "phone", "message", "other")


class FieldStore(InterviewsMixin, ReadsMixin):
    """A field store file. Create with :meth:`create`, open with :meth:`open`.

    Parameters are keyword-only on every method; ``interviewer`` defaults to the device's
    interviewer (set when the store was made by ``fieldsurvey assign``).
    """

    # -- opening -------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, survey_id: str, device_id: str | None = None,
               role: str = "device", interviewer: str | None = None,
               pii_salt: str | None = None, clock: Clock | None = None) -> FieldStore:
        """Create a new, empty store (refuses to overwrite an existing file).

        ``device_id`` defaults to a random id; ``pii_salt`` (the key of stable
        pseudonyms in exports) defaults to a random one and must be shared by the stores
        of one survey (``fieldsurvey assign`` does that).
        """
        if not survey_id:
            raise StoreError("a survey id is needed to create a store", field="survey_id")
        path = Path(path)
        conn = _files.connect(path, create=True)
        meta = {
            "survey_id": survey_id,
            "device_id": device_id or f"dev-{_uuid.uuid4().hex[:12]}",
            "role": role,
            "pii_salt": pii_salt or secrets.token_hex(16),
            "created_at": (clock or utcnow)().isoformat(),
            "hlc_floor": "0",
        }
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

        ``readonly=True`` is for readers (progress, export) running beside a writer;
        ``check`` runs SQLite's ``quick_check`` first (default: for files under 256 MB),
        so a damaged file is refused with a clear message.
        """
        path = Path(path)
        return cls(_files.connect(path, readonly=readonly, check=check), path, clock, readonly)

    # -- forms and assignments -----------------------------------------------------
    def add_form(self, content: bytes, *, form_id: str, version: str, filename: str) -> None:
        """Pin a questionnaire file byte for byte under ``(form_id, version)``."""
        import hashlib

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

    def form_file(self, form_id: str, version: str) -> tuple[str, bytes]:
        """The pinned ``(filename, bytes)`` of a questionnaire."""
        row = self._conn.execute("SELECT filename, content FROM forms WHERE form_id=? AND "
                                 "version=?", (form_id, version)).fetchone()
        if row is None:
            raise StoreError("this questionnaire is not pinned in the store", field="form",
                             got=f"{form_id} version {version}")
        return row[0], bytes(row[1])

    def forms(self) -> list[dict[str, Any]]:
        """The pinned questionnaires (without their bytes)."""
        cur = self._conn.execute("SELECT form_id, version, filename, sha256, added_at FROM forms")
        return [dict(zip(("form_id", "version", "filename", "sha256", "added_at"), r))
                for r in cur]

    def assign(self, sample: Any, *, interviewer: str | None = None,
               form_id: str | None = None, form_version: str | None = None) -> int:
        """Issue sample lines (a DataFrame or records with the sample columns) in one
        transaction; an already issued line is reassigned. Returns the number of lines.

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
            self._require_case(conn, dwelling_id)
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
            self._require_case(conn, dwelling_id)
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

    def roster(self, dwelling_id: str) -> list[dict[str, Any]]:
        """The current roster of a case, by line."""
        cur = self._conn.execute(
            "SELECT line, name, sex, age, resident, eligible, extra FROM roster "
            "WHERE dwelling_id = ? AND removed = 0 ORDER BY line", (dwelling_id,))
        out = []
        for line, name, sex, age, res, eli, extra in cur:
            out.append({"line": line, "name": name, "sex": sex, "age": age,
                        "resident": None if res is None else bool(res),
                        "eligible": None if eli is None else bool(eli), **json.loads(extra)})
        return out

    def record_selection(self, dwelling_id: str, *, method: str, eligible_count: int,
                         chosen_line: int | None, probability: float | None = None,
                         kish_table: str | None = None, interviewer: str | None = None,
                         seed: int | None = None) -> None:
        """Record how the respondent was chosen: ``method`` (``kish``, ``random``, ...),
        the Kish table letter, the number of eligible members, the chosen line and the
        respondent's conditional selection probability (default 1 / eligible_count).

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
            self._require_case(conn, dwelling_id)
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

    def selection(self, dwelling_id: str) -> dict[str, Any] | None:
        """The respondent selection of a case, if recorded."""
        cur = self._conn.execute(
            "SELECT method, kish_table, eligible_count, chosen_line, probability, time, "
            "interviewer FROM selection WHERE dwelling_id = ?", (dwelling_id,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))
