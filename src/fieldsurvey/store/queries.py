"""Reading a field store: plain functions over an SQLite connection.

Every function takes the connection first and writes nothing, so a reader can run them
inside one read transaction (``BEGIN`` ... ``COMMIT``) and see one consistent state while
a writer goes on (WAL mode). :class:`~fieldsurvey.store.store.FieldStore` offers the same
reads as methods for convenience; they call these functions on its connection.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _values
from fieldsurvey.store.dispositions import Final, final_disposition, final_dispositions
from fieldsurvey.store.schema import DENSE_KINDS, SPARSE_EVENTS

__all__ = [
    "InterviewState",
    "answers",
    "assignments",
    "attempts",
    "dispositions",
    "disposition_of",
    "events",
    "form_file",
    "forms",
    "integrity_problems",
    "interview_state",
    "interviews",
    "query_frame",
    "review_comments",
    "roster",
    "selection",
]


@dataclass(frozen=True)
class InterviewState:
    """An interview as the TUI needs it to resume.

    identity, state and current answers (``{key: value}``, keys such as ``"a2"`` or
    ``"h_age[3]"``).
    """

    uuid: str
    dwelling_id: str
    form_id: str
    form_version: str
    interviewer: str
    respondent_line: int | None
    status: str
    review_state: str
    position: str | None
    answers: dict[str, Any] = field(default_factory=dict)


def query_frame(conn: sqlite3.Connection, sql: str,
                args: tuple[Any, ...] = ()) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame (object columns stay as read)."""
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    cols = list(zip(*rows, strict=True))
    return pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in zip(names, cols,
                                                                          strict=True)})


def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def forms(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The pinned questionnaires (without their bytes)."""
    return _dicts(conn.execute("SELECT form_id, version, filename, sha256, added_at FROM forms"))


def form_file(conn: sqlite3.Connection, form_id: str, version: str) -> tuple[str, bytes]:
    """The pinned ``(filename, bytes)`` of a questionnaire."""
    row = conn.execute("SELECT filename, content FROM forms WHERE form_id=? AND version=?",
                       (form_id, version)).fetchone()
    if row is None:
        raise StoreError("this questionnaire is not pinned in the store", field="form",
                         got=f"{form_id} version {version}")
    return str(row[0]), bytes(row[1])


def assignments(conn: sqlite3.Connection, interviewer: str | None = None) -> pd.DataFrame:
    """The issued sample lines (attributes JSON expanded into columns)."""
    sql = "SELECT * FROM assignments"
    args: tuple[Any, ...] = ()
    if interviewer is not None:
        sql += " WHERE interviewer = ?"
        args = (interviewer,)
    df = query_frame(conn, sql + " ORDER BY community_id, line, dwelling_id", args)
    df = df.drop(columns=["ver_hlc", "ver_device", "ver_seq"])
    if not len(df):
        return df.drop(columns=["attributes"])
    extra = pd.DataFrame([json.loads(a) for a in df["attributes"]], index=df.index)
    extra = extra[[c for c in extra.columns if c not in df.columns]]
    return pd.concat([df.drop(columns=["attributes"]), extra], axis=1)


def attempts(conn: sqlite3.Connection, dwelling_id: str | None = None) -> list[dict[str, Any]]:
    """Contact attempts (all, or of one case) in time order."""
    sql = ("SELECT attempt_id, dwelling_id, time, interviewer, mode, outcome, appointment, "
           "note, device_id FROM attempts")
    args: tuple[Any, ...] = ()
    if dwelling_id is not None:
        sql += " WHERE dwelling_id = ?"
        args = (dwelling_id,)
    return _dicts(conn.execute(sql + " ORDER BY hlc, attempt_id", args))


def events(conn: sqlite3.Connection, interview_uuid: str | None = None,
           kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The event log (all, or of one interview; all kinds or only ``kinds``) in clock order.

    Asking only for the sparse kinds (``start``, ``resume``, ``complete``, ``review``,
    ``para:*`` ..., i.e. not ``set/change/clear/position/assign``) of one interview uses an
    index, which matters in a merged store with millions of events.
    """
    sql = "SELECT * FROM events"
    where: list[str] = []
    args: list[Any] = []
    if interview_uuid is not None:
        where.append("interview_uuid = ?")
        args.append(interview_uuid)
    if kinds:
        where.append(f"kind IN ({', '.join('?' * len(kinds))})")
        args.extend(kinds)
        if not set(kinds) & set(DENSE_KINDS):
            where.append(SPARSE_EVENTS)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return query_frame(conn, sql + " ORDER BY hlc, device_id, seq", tuple(args))


def roster(conn: sqlite3.Connection, dwelling_id: str) -> list[dict[str, Any]]:
    """The current roster of a case, by line."""
    cur = conn.execute(
        "SELECT line, name, sex, age, resident, eligible, extra FROM roster "
        "WHERE dwelling_id = ? AND removed = 0 ORDER BY line", (dwelling_id,))
    return [{"line": line, "name": name, "sex": sex, "age": age,
             "resident": None if res is None else bool(res),
             "eligible": None if eli is None else bool(eli), **json.loads(extra)}
            for line, name, sex, age, res, eli, extra in cur]


def selection(conn: sqlite3.Connection, dwelling_id: str) -> dict[str, Any] | None:
    """The respondent selection of a case, if recorded."""
    rows = _dicts(conn.execute(
        "SELECT method, kish_table, eligible_count, chosen_line, probability, time, "
        "interviewer FROM selection WHERE dwelling_id = ?", (dwelling_id,)))
    return rows[0] if rows else None


def interviews(conn: sqlite3.Connection,
               dwelling_id: str | None = None) -> list[dict[str, Any]]:
    """The interviews (all, or of one case) with their status and review state."""
    sql = ("SELECT uuid, dwelling_id, respondent_line, form_id, form_version, device_id, "
           "interviewer, started_at, status, outcome, completed_at, position, "
           "review_state, reviewer, review_comment, reviewed_at FROM interviews")
    args: tuple[Any, ...] = ()
    if dwelling_id is not None:
        sql += " WHERE dwelling_id = ?"
        args = (dwelling_id,)
    return _dicts(conn.execute(sql + " ORDER BY started_at, uuid", args))


def answers(conn: sqlite3.Connection, uuid: str) -> dict[str, Any]:
    """The current answers of an interview as ``{key: value}`` (cleared ones left out)."""
    cur = conn.execute(
        "SELECT a.question, a.instance, a.value, a.vtype FROM answers a "
        "JOIN interviews i ON i.iid = a.iid WHERE i.uuid = ? AND a.vtype IS NOT NULL", (uuid,))
    return {q + inst: _values.decode(v, t) for q, inst, v, t in cur}


def interview_state(conn: sqlite3.Connection, uuid: str) -> InterviewState:
    """The current state and answers of an interview."""
    row = conn.execute(
        "SELECT uuid, dwelling_id, form_id, form_version, interviewer, respondent_line, "
        "status, review_state, position FROM interviews WHERE uuid = ?", (uuid,)).fetchone()
    if row is None:
        raise StoreError("no such interview in this store", field="interview", got=repr(uuid))
    u, did, fid, fver, who, line, status, review, position = row
    return InterviewState(u, did, fid, fver, who, line, status, review, position,
                          answers=answers(conn, uuid))


def review_comments(conn: sqlite3.Connection, uuid: str) -> list[dict[str, Any]]:
    """All review comments of an interview, oldest first."""
    return _dicts(conn.execute(
        "SELECT question, comment, decision, reviewer, time FROM review_comments "
        "WHERE interview_uuid = ? ORDER BY time, comment_id", (uuid,)))


def dispositions(conn: sqlite3.Connection) -> pd.DataFrame:
    """Final disposition of every case (see :mod:`fieldsurvey.store.dispositions`).

    ``dwelling_id, disposition, category, disposition_source, override_reason``.
    """
    cases = query_frame(conn, "SELECT dwelling_id FROM assignments ORDER BY dwelling_id")
    outcomes = query_frame(
        conn,
        "SELECT dwelling_id, hlc, outcome AS code, 'attempt' AS source FROM attempts "
        "UNION ALL SELECT dwelling_id, st_hlc, outcome, 'interview' FROM interviews "
        "WHERE status IN ('completed', 'partial')")
    if len(outcomes):
        outcomes["hlc"] = outcomes["hlc"].astype("int64")
    overrides = query_frame(conn, "SELECT dwelling_id, code, reason FROM overrides")
    return final_dispositions(cases["dwelling_id"], outcomes, overrides)


def require_case(conn: sqlite3.Connection, dwelling_id: str) -> None:
    """Raise :class:`StoreError` unless ``dwelling_id`` is an issued case of the store."""
    if conn.execute("SELECT 1 FROM assignments WHERE dwelling_id = ?",
                    (dwelling_id,)).fetchone() is None:
        raise StoreError("no such case in this store", field="dwelling_id",
                         got=repr(dwelling_id), hint="Check the sample line's dwelling id")


def disposition_of(conn: sqlite3.Connection, dwelling_id: str) -> Final:
    """The final disposition of one case, with where it came from."""
    require_case(conn, dwelling_id)
    att = conn.execute("SELECT hlc, outcome FROM attempts WHERE dwelling_id=?",
                       (dwelling_id,)).fetchall()
    itv = conn.execute("SELECT st_hlc, outcome FROM interviews WHERE dwelling_id=? AND "
                       "status IN ('completed', 'partial')", (dwelling_id,)).fetchall()
    ov = conn.execute("SELECT code FROM overrides WHERE dwelling_id=?",
                      (dwelling_id,)).fetchone()
    return final_disposition(att, itv, ov[0] if ov else None)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` and the foreign key check.

    the problems found (an empty list when the file is sound).
    """
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    problems = [] if rows == ["ok"] else rows
    problems += [f"foreign key: {r}" for r in conn.execute("PRAGMA foreign_key_check")]
    return problems
