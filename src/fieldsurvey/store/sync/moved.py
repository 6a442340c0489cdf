"""Households moved to another interviewer after the old device had started them.

``assign --add`` moves a household only when the central store knows of no work on it;
but a device that worked offline sends its work later. The household is then another
interviewer's while the old device holds visits, a roster or an interview there: a
conflict the supervisor must settle. Nothing is dropped: both devices' entries stay in
the central store (the merge keeps every event and picks each register's current value
by its version, whatever the order of arrival), and the old device keeps the household
with its data.

How it is kept and shown
------------------------
* :func:`moved_work` finds them in any central store, whether the work came by a sync, a
  hand-in or a file merge: work (attempts, interviews, roster, respondent selection) at a
  household by an interviewer other than the one it is assigned to. One row per
  household and device, with what that device did and its last entry there.
* The sync server records each one when the device's push brings it (a ``moved_work``
  event of the central store: when, which device, whose household now), so the
  supervisor sees when it arrived.
* :func:`resolve` settles one: the supervisor names who finishes the household (the old
  interviewer, whose device holds the work, or the new one); it moves there if needed,
  and a ``moved_resolved`` event keeps the decision with each device's last entry at
  that household. Work a device adds there afterwards shows the conflict again.

``fieldsurvey review --moved`` lists the open ones and ``--resolve ID --to NAME`` settles
one; ``review --list``, ``progress`` and the supervisor's screens flag them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.schema import SPARSE_EVENTS
from fieldsurvey.store.store import FieldStore

__all__ = ["FOUND", "RESOLVED", "MovedWork", "Resolution", "moved_work", "record_found",
           "resolve", "what_to_do"]

#: Event kind: the server found a device's work on a household now someone else's.
FOUND = "moved_work"
#: Event kind: the supervisor settled it (who finishes the household).
RESOLVED = "moved_resolved"

_INTERVIEW_WORDS = {"in_progress": "in progress", "completed": "completed",
                    "partial": "partial"}


@dataclass(frozen=True)
class MovedWork:
    """One device's work on a household assigned to another interviewer."""

    dwelling_id: str
    assigned_to: str          # whose household it is now
    worked_by: str            # the interviewer whose device worked on it
    device_id: str
    attempts: int             # visits that device recorded there
    interviews: tuple[tuple[str, str], ...]  # (uuid, status) started by that device
    last_time: str | None     # that device's last entry there (its own clock)
    mark: int                 # that entry's number in the device's log
    reported: str | None      # when the sync server recorded it (None: not by a sync)
    resolved_to: str | None   # who finishes it, when settled and nothing came since

    @property
    def open(self) -> bool:
        """Still to be settled by the supervisor."""
        return self.resolved_to is None

    def work(self) -> str:
        """What the device did there, in words (``1 visit, interview 3f2a9c1e in progress``)."""
        parts = []
        if self.attempts:
            parts.append(f"{self.attempts} visit{'s' if self.attempts != 1 else ''}")
        for uuid, status in self.interviews:
            parts.append(f"interview {uuid[:8]} {_INTERVIEW_WORDS.get(status, status)}")
        return ", ".join(parts) or "household roster or respondent selection"

    def summary(self) -> str:
        """One line: the household, whose it is, whose device worked on it and how."""
        return (f"{self.dwelling_id}: now {self.assigned_to}'s, but {self.worked_by}'s "
                f"device ({self.device_id}) has worked on it: {self.work()}")


def what_to_do(m: MovedWork, db: str = "CENTRAL") -> str:
    """The supervisor's choices for an open conflict, as commands."""
    return (f"decide who finishes {m.dwelling_id}: `fieldsurvey review --db {db} --resolve "
            f"{m.dwelling_id} --to {m.worked_by}` gives it back to {m.worked_by} (whose device "
            f"holds the work), `--to {m.assigned_to}` keeps it with {m.assigned_to}; both "
            "devices' entries are kept either way")


def _in(column: str, ids: Sequence[str] | None) -> tuple[str, list[str]]:
    if ids is None:
        return "", []
    return f" WHERE {column} IN ({', '.join('?' * len(ids))})", list(ids)


def _candidates(conn: sqlite3.Connection, dwellings: Sequence[str] | None
                ) -> list[tuple[str, str, str, str, int]]:
    """(dwelling, assigned to, worked by, device, attempts) of work by someone else."""
    if dwellings is not None and not dwellings:
        return []
    where, ids = _in("dwelling_id", dwellings)
    sql = f"""
        WITH work (dwelling_id, device_id, interviewer, attempt) AS (
            SELECT dwelling_id, device_id, interviewer, 1 FROM main.attempts{where}
            UNION ALL SELECT dwelling_id, device_id, interviewer, 0 FROM main.interviews{where}
            UNION ALL SELECT dwelling_id, ver_device, interviewer, 0 FROM main.roster{where}
            UNION ALL SELECT dwelling_id, ver_device, interviewer, 0 FROM main.selection{where})
        SELECT w.dwelling_id, a.interviewer, w.interviewer, w.device_id, sum(w.attempt)
        FROM work w JOIN main.assignments a ON a.dwelling_id = w.dwelling_id
        WHERE w.interviewer IS NOT NULL AND w.interviewer <> a.interviewer
        GROUP BY w.dwelling_id, a.interviewer, w.interviewer, w.device_id
        ORDER BY w.dwelling_id, w.interviewer, w.device_id"""
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]))
            for r in conn.execute(sql, ids * 4)]


def _records(conn: sqlite3.Connection) -> tuple[dict[tuple[str, str], str],
                                                  dict[str, dict[str, object]]]:
    """The recorded finds ((dwelling, device) -> time) and each household's last decision."""
    found: dict[tuple[str, str], str] = {}
    decided: dict[str, dict[str, object]] = {}
    rows = conn.execute(
        f"SELECT dwelling_id, kind, time, detail FROM main.events WHERE interview_uuid IS NULL "
        f"AND {SPARSE_EVENTS} AND kind IN ('{FOUND}', '{RESOLVED}') "
        "ORDER BY hlc, device_id, seq").fetchall()
    for dwelling, kind, time, detail in rows:
        d = json.loads(detail or "{}")
        if kind == RESOLVED:
            decided[str(dwelling)] = d
            for key in [k for k in found if k[0] == dwelling]:
                del found[key]  # a find before the decision is settled by it
        else:
            found.setdefault((str(dwelling), str(d.get("device_id"))), str(time))
    return found, decided


def moved_work(conn: sqlite3.Connection, *, dwellings: Sequence[str] | None = None,
               open_only: bool = True) -> list[MovedWork]:
    """Households holding work by an interviewer other than their own (module docstring).

    ``dwellings``: only these; ``open_only=False``: also those the supervisor settled.
    """
    cands = _candidates(conn, dwellings)
    if not cands:
        return []
    found, decided = _records(conn)
    out = []
    for dwelling, to, by, dev, attempts in cands:
        mark, last = conn.execute(
            "SELECT seq, time FROM main.events WHERE device_id = ? AND dwelling_id = ? "
            "ORDER BY seq DESC LIMIT 1", (dev, dwelling)).fetchone() or (0, None)
        itvs = tuple((str(u), str(s)) for u, s in conn.execute(
            "SELECT uuid, status FROM main.interviews WHERE dwelling_id = ? AND device_id = ? "
            "AND interviewer = ? ORDER BY started_at, uuid", (dwelling, dev, by)))
        decision = decided.get(dwelling) or {}
        marks = decision.get("marks")
        seen = marks.get(dev) if isinstance(marks, dict) else None
        settled = seen is not None and int(mark) <= int(seen)
        row = MovedWork(dwelling, to, by, dev, attempts, itvs, last, int(mark),
                        found.get((dwelling, dev)),
                        str(decision.get("to")) if settled else None)
        if row.open or not open_only:
            out.append(row)
    return out


def record_found(store: FieldStore, conn: sqlite3.Connection, device_id: str,
                 dwellings: Iterable[str]) -> list[MovedWork]:
    """Inside the server's write transaction: record ``device_id``'s new moved work.

    ``dwellings``: the households the device's push wrote to. One ``moved_work`` event
    per household and device until the supervisor settles it; return what was recorded.
    """
    ids = sorted({str(d) for d in dwellings if d is not None})
    if not ids:
        return []
    new = []
    for m in moved_work(conn, dwellings=ids):
        if m.device_id != device_id or m.reported is not None:
            continue
        store._event(conn, FOUND, None, dwelling_id=m.dwelling_id,
                     detail={"device_id": m.device_id, "interviewer": m.worked_by,
                             "assigned_to": m.assigned_to, "mark": m.mark,
                             "attempts": m.attempts,
                             "interviews": [u for u, _ in m.interviews]})
        new.append(m)
    return new


@dataclass(frozen=True)
class Resolution:
    """What :func:`resolve` did."""

    dwelling_id: str
    to: str
    moved_from: str | None          # the interviewer it moved away from (None: it stays)
    devices: tuple[str, ...]        # the devices whose work the decision covers

    @property
    def message(self) -> str:
        """One line for the supervisor."""
        if self.moved_from:
            return (f"{self.dwelling_id}: given to {self.to} (from {self.moved_from}); "
                    f"{self.moved_from}'s device lets go of it at its next sync unless it "
                    "has worked on it too; every entry is kept")
        return (f"{self.dwelling_id}: stays with {self.to}; the other device keeps its "
                "entries (kept in the central store too); tell its interviewer to stop "
                "working on it")


def resolve(store: FieldStore, dwelling_id: str, *, to: str, reviewer: str,
            comment: str | None = None) -> Resolution:
    """Settle a moved household: ``to`` (an interviewer involved) finishes it.

    In one transaction: the household is reassigned to ``to`` if it is someone else's
    (an ``assign`` event, as ``assign --add`` writes), and a ``moved_resolved`` event
    keeps the decision with every device's last entry there.

    Raises
    ------
    StoreError
        No open conflict at this household, an interviewer not involved in it, no
        reviewer, a device's store.
    """
    if store.meta.get("role") == "device":
        raise StoreError("a moved household is settled in the central store",
                         file=str(store.path), hint="Give the supervisor's central.sqlite")
    if not reviewer.strip():
        raise StoreError("the reviewer must be named", field="--reviewer")
    with store._write() as conn:
        rows = moved_work(conn, dwellings=[dwelling_id])
        if not rows:
            raise StoreError("no moved household with work to settle at this id",
                             field="--resolve", got=repr(dwelling_id),
                             hint="`fieldsurvey review --db CENTRAL --moved` lists them")
        now = rows[0].assigned_to
        involved = [now, *dict.fromkeys(m.worked_by for m in rows)]
        if to not in involved:
            raise StoreError("the household goes to one of the interviewers involved",
                             field="--to", expected=" or ".join(involved), got=repr(to),
                             hint="To give it to someone else, settle it first, then "
                             "reassign with `fieldsurvey assign --add`")
        if to != now:
            hlc, seq, time = store._event(conn, "assign", None, dwelling_id=dwelling_id,
                                          detail={"interviewer": to})
            conn.execute("UPDATE assignments SET interviewer = ?, assigned_at = ?, "
                         "ver_hlc = ?, ver_device = ?, ver_seq = ? WHERE dwelling_id = ?",
                         (to, time, hlc, store.device_id, seq, dwelling_id))
        # every device's work there now (after a move back, the other one's is foreign)
        after = moved_work(conn, dwellings=[dwelling_id], open_only=False)
        marks = {m.device_id: m.mark for m in after}
        for m in rows:  # and the ones settled now that are no longer foreign
            marks.setdefault(m.device_id, m.mark)
        store._event(conn, RESOLVED, reviewer.strip(), dwelling_id=dwelling_id,
                     detail={"to": to, "from": now, "marks": marks, "comment": comment})
    return Resolution(dwelling_id, to, now if to != now else None, tuple(sorted(marks)))
