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
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.checking import Completion
    from fieldsurvey.store.store import FieldStore

__all__ = ["Session", "checkpoint", "left_outcome", "orphan_session"]


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
