"""Interviews in the field store: start, resume, answers, position, completion, review.

Split from :mod:`.store` for size; :class:`InterviewsMixin` is part of
:class:`~fieldsurvey.store.store.FieldStore`. Every method that writes is one
transaction (an event plus the current-state row), committed before it returns.

Status and review state
-----------------------
``status``: ``in_progress`` -> ``completed`` (1.1) or ``partial`` (1.2) by
:meth:`complete`; answers can be set only while ``in_progress``; a rejected interview
is reopened by :meth:`resume_interview`. ``review_state``: ``none`` -> ``pending`` (on
completion) -> ``approved`` / ``rejected`` (by :meth:`review`) -> ``pending`` again when
the interviewer completes it anew.
"""

from __future__ import annotations

import sqlite3
import uuid as _uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.questionnaire.values import answer_key, parse_key
from fieldsurvey.store import _values
from fieldsurvey.store._core import StoreCore
from fieldsurvey.store.dispositions import check_outcome

__all__ = ["InterviewState", "InterviewsMixin", "split_key"]

_ANSWER_UPSERT = (
    "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?) "
    "ON CONFLICT (iid, question, instance) DO UPDATE SET value=excluded.value, "
    "vtype=excluded.vtype, ver_hlc=excluded.ver_hlc, ver_device=excluded.ver_device, ver_seq=excluded.ver_seq "
    "WHERE (excluded.ver_hlc, excluded.ver_device, excluded.ver_seq) > "
    "(answers.ver_hlc, answers.ver_device, answers.ver_seq)"
)


@dataclass(frozen=True)
class InterviewState:
    """An interview as the TUI needs it to resume: identity, state and current answers
    (``{key: value}``, keys such as ``"a2"`` or ``"h_age[3]"``).
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


def split_key(question: str, instance: tuple[int, ...] | None = None) -> tuple[str, str]:
    """``(name, instance text)`` of a question given as a key (``h_age[3]``) or a name
    plus 1-based repeat instance numbers.
    """
    if not question:
        raise StoreError("an answer needs a question name", field="question")
    name, idx = parse_key(question) if "[" in question else (question, ())
    if instance:
        idx = tuple(idx) + tuple(int(i) for i in instance)
    return name, answer_key("", idx)


class InterviewsMixin(StoreCore):
    """Interview methods of :class:`FieldStore`."""

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
            self._require_case(conn, dwelling_id)
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

    def interview(self, uuid: str) -> InterviewState:
        """The current state and answers of an interview (no event written)."""
        row = self._conn.execute(
            "SELECT uuid, dwelling_id, form_id, form_version, interviewer, respondent_line, "
            "status, review_state, position FROM interviews WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:
            raise StoreError("no such interview in this store", field="interview",
                             got=repr(uuid))
        (u, did, fid, fver, who, line, status, review, position) = row
        return InterviewState(u, did, fid, fver, who, line, status, review, position,
                              answers=self.answers(uuid))

    def interviews(self, dwelling_id: str | None = None) -> list[dict[str, Any]]:
        """The interviews (all, or of one case) with their status and review state."""
        sql = ("SELECT uuid, dwelling_id, respondent_line, form_id, form_version, device_id, "
               "interviewer, started_at, status, outcome, completed_at, position, "
               "review_state, reviewer, review_comment, reviewed_at FROM interviews")
        args: tuple[Any, ...] = ()
        if dwelling_id is not None:
            sql += " WHERE dwelling_id = ?"
            args = (dwelling_id,)
        cur = self._conn.execute(sql + " ORDER BY started_at, uuid", args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]

    def answers(self, uuid: str) -> dict[str, Any]:
        """The current answers of an interview as ``{key: value}`` (cleared ones left out)."""
        cur = self._conn.execute(
            "SELECT a.question, a.instance, a.value, a.vtype FROM answers a "
            "JOIN interviews i ON i.iid = a.iid WHERE i.uuid = ? AND a.vtype IS NOT NULL",
            (uuid,))
        return {q + inst: _values.decode(v, t) for q, inst, v, t in cur}

    def set_answer(self, uuid: str, question: str, value: Any, *,
                   instance: tuple[int, ...] | None = None,
                   interviewer: str | None = None) -> None:
        """Set (or change) one answer; it is on disk when this returns.

        ``question`` is a name (``"a2"``) or a key (``"h_age[3]"``); ``instance`` adds
        1-based repeat instance numbers. Values: int, float, str, bool, a tuple of choice
        names (select_multiple), a date, or a
        :class:`~fieldsurvey.questionnaire.model.SpecialAnswer` (不知道 / 拒绝回答).
        """
        name, inst = split_key(question, instance)
        stored, vtype = _values.encode(value, field=name + inst)
        self._answer(uuid, name, inst, stored, vtype, interviewer)

    def clear_answer(self, uuid: str, question: str, *,
                     instance: tuple[int, ...] | None = None,
                     interviewer: str | None = None) -> None:
        """Clear one answer (e.g. a question that became irrelevant); the old value stays
        in the event log.
        """
        name, inst = split_key(question, instance)
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
        """Record a paradata event (e.g. ``enter`` / ``leave`` a question, ``language``,
        ``pause``); it goes to the event log as ``para:<kind>``.
        """
        who = self._who(interviewer)
        with self._write() as conn:
            _, did, _ = self._interview_row(conn, uuid)
            self._event(conn, f"para:{kind}", who, dwelling_id=did, interview_uuid=uuid,
                        question=question, detail=dict(detail or {}))

    def complete(self, uuid: str, *, outcome: str = "1.1",
                 interviewer: str | None = None) -> None:
        """Close an interview as complete (``1.1``) or partial (``1.2``); it then awaits
        review. A break-off is a contact attempt (2.12), not a completion.
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
        """Approve or reject a completed interview, with an overall comment and comments
        per question (keys such as ``"d3"``); a rejection needs at least one comment.
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

    def review_comments(self, uuid: str) -> list[dict[str, Any]]:
        """All review comments of an interview, oldest first."""
        cur = self._conn.execute(
            "SELECT question, comment, decision, reviewer, time FROM review_comments "
            "WHERE interview_uuid = ? ORDER BY time, comment_id", (uuid,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]
