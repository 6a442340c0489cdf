"""Every interview session is a visit: the contact attempt it makes and how it ends.

Opening an interview starts a *session* (a ``para:session`` event with its start time);
the session ends as a contact attempt in the store (``record_attempt``) with the time,
the interviewer and an outcome set by how it ended:

=======================  ===================================================
how the session ended    outcome of the visit
=======================  ===================================================
submitted complete       1.1
submitted partial        1.2 (only at or above the form's partial threshold)
left, with or without    by the share answered: 1.2 at or above the partial
an appointment           threshold, else 2.12 break-off (the appointment is
                         kept with the attempt)
app quit, or killed      as "left", recorded on quit, or when the interview
                         is next opened after a kill
=======================  ===================================================

A ``para:session_end`` event closes the session, so a session without one (the app was
killed) is found and recorded when the interview is opened again. The store's
checkpoint runs after every session end, so the main file alone holds the visit.

The interview's clock comes from the same event log (:func:`interview_times`): ``start``
is its first event, ``duration()`` the sum of its sessions (each from its
``para:session`` to its last event, so the hours an app lay killed do not count) plus
the open one; the metadata answers (``start``, ``end``, ``today``, ``deviceid``,
``username`` ...) are saved to the store as answers when a session ends and before the
interview is submitted (:func:`save_metadata`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldsurvey.questionnaire.model import METADATA_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.checking import Completion
    from fieldsurvey.questionnaire.runner import InterviewRunner
    from fieldsurvey.store.store import FieldStore

__all__ = ["InterviewTimes", "Session", "checkpoint", "interview_times", "left_outcome",
           "orphan_session", "save_metadata"]


@dataclass(frozen=True)
class InterviewTimes:
    """When an interview started and how long its sessions lasted, from the event log."""

    start: dt.datetime | None
    previous_seconds: float


def interview_times(store: FieldStore, uuid: str) -> InterviewTimes:
    """The first event's time and the seconds of the interview's sessions so far.

    Each session lasts from its ``para:session`` event to its ``para:session_end``; a
    session killed lasts to its last event (the ``para:session_end`` written when it is
    found on reopening has the reopening's time). Events between sessions (the resume on
    opening) do not count; a session still open counts up to its last event.
    """
    ev = store.events(uuid)
    if not len(ev):
        return InterviewTimes(None, 0.0)
    times = [dt.datetime.fromisoformat(str(t)) for t in ev["time"]]
    total = 0.0
    begun: dt.datetime | None = None
    last: dt.datetime | None = None
    for kind, detail, when in zip(ev["kind"], ev["detail"], times, strict=True):
        if kind == "para:session":
            if begun is not None and last is not None:  # never ended: killed
                total += max(0.0, (last - begun).total_seconds())
            begun, last = when, when
        elif begun is not None and last is not None:
            if kind == "para:session_end":
                killed = json.loads(detail or "{}").get("how") == "killed"
                total += max(0.0, ((last if killed else when) - begun).total_seconds())
                begun = last = None  # events until the next session (a resume) do not count
                continue
            if kind not in ("resume", "start"):  # made on opening, before the session
                last = when
    if begun is not None and last is not None:
        total += max(0.0, (last - begun).total_seconds())
    return InterviewTimes(times[0], total)


def save_metadata(store: FieldStore, uuid: str, runner: InterviewRunner) -> int:
    """Save the interview's metadata answers (``start``, ``end``, ``deviceid`` ...) as answers.

    Only values that differ from the stored ones are written; returns how many were.
    """
    stored = store.answers(uuid)
    n = 0
    for rec in runner.records():
        if rec.type in METADATA_TYPES and stored.get(rec.key) != rec.value:
            store.set_answer(uuid, rec.key, rec.value)
            n += 1
    return n


def checkpoint(store: FieldStore) -> None:
    """Make the store's main file complete (copy the WAL in).

    A copy of the main file alone then holds everything (issue 21). Uses
    :meth:`FieldStore.checkpoint`; a store without it gets the pragma directly.
    """
    method = getattr(store, "checkpoint", None)
    if callable(method):
        method()
        return
    if not getattr(store, "readonly", False):  # pragma: no cover - older stores
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def left_outcome(done: Completion) -> str:
    """The outcome of a session left before submitting.

    1.2 when the share answered reaches the partial threshold, else 2.12 break-off.
    """
    return "1.2" if done.status in ("partial", "complete") else "2.12"


def orphan_session(store: FieldStore, uuid: str) -> dict[str, Any] | None:
    """The last session of an interview that never ended (the app was killed), or None."""
    ev = store.events(uuid, kinds=("para:session", "para:session_end"))
    if not len(ev):
        return None
    last = ev.iloc[-1]
    if last["kind"] != "para:session":
        return None
    detail = json.loads(last["detail"] or "{}")
    return {"start": str(detail.get("start") or last["time"]),
            "interviewer": last["interviewer"]}


@dataclass
class Session:
    """One visit's interview session (see the module docstring)."""

    store: FieldStore
    uuid: str
    dwelling_id: str
    start: dt.datetime
    ended: bool = False

    @classmethod
    def begin(cls, store: FieldStore, uuid: str, dwelling_id: str,
              now: dt.datetime) -> Session:
        """Record the start of a session and return it."""
        store.record_paradata(uuid, "session", detail={"start": now.isoformat()})
        return cls(store, uuid, dwelling_id, now)

    def end(self, code: str, done: Completion, *, now: dt.datetime,
            appointment: dt.datetime | None = None, how: str = "") -> str | None:
        """Record the visit (once): the attempt with ``code`` and the session's end.

        Returns the attempt id (None when the session had already ended).
        """
        if self.ended:
            return None
        self.ended = True
        note = (f"{self.start:%H:%M}–{now:%H:%M} · {done.answered}/{done.applicable}"
                + (f" · {how}" if how else ""))
        attempt = self.store.record_attempt(self.dwelling_id, code, appointment=appointment,
                                            note=note)
        self.store.record_paradata(self.uuid, "session_end", detail={
            "outcome": code, "attempt": attempt, "share": round(done.share, 4),
            "how": how})
        checkpoint(self.store)
        return attempt
