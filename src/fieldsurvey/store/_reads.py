"""Reading the store as tables, final dispositions and the supervisor's override.

Split from :mod:`.store` for size; :class:`ReadsMixin` is part of
:class:`~fieldsurvey.store.store.FieldStore`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store._core import StoreCore
from fieldsurvey.store.dispositions import Final, check_outcome, final_dispositions
from fieldsurvey.store.schema import DENSE_KINDS, SPARSE_EVENTS

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.store.store import FieldStore

__all__ = ["ReadsMixin", "read_frame"]


def read_frame(conn: Any, sql: str, args: tuple[Any, ...] = ()) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame (object columns stay as read)."""
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    cols = list(zip(*rows))
    return pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in zip(names, cols)})


class ReadsMixin(StoreCore):
    """Read methods of :class:`FieldStore`."""

    def assignments(self, interviewer: str | None = None) -> pd.DataFrame:
        """The issued sample lines (attributes JSON expanded into columns)."""
        sql = "SELECT * FROM assignments"
        args: tuple[Any, ...] = ()
        if interviewer is not None:
            sql += " WHERE interviewer = ?"
            args = (interviewer,)
        df = read_frame(self._conn, sql + " ORDER BY community_id, line, dwelling_id", args)
        df = df.drop(columns=["ver_hlc", "ver_device", "ver_seq"])
        if len(df):
            extra = pd.DataFrame([json.loads(a) for a in df["attributes"]], index=df.index)
            extra = extra[[c for c in extra.columns if c not in df.columns]]
            df = pd.concat([df.drop(columns=["attributes"]), extra], axis=1)
        else:
            df = df.drop(columns=["attributes"])
        return df

    def attempts(self, dwelling_id: str | None = None) -> list[dict[str, Any]]:
        """Contact attempts (all, or of one case) in time order."""
        sql = ("SELECT attempt_id, dwelling_id, time, interviewer, mode, outcome, appointment, "
               "note, device_id FROM attempts")
        args: tuple[Any, ...] = ()
        if dwelling_id is not None:
            sql += " WHERE dwelling_id = ?"
            args = (dwelling_id,)
        cur = self._conn.execute(sql + " ORDER BY hlc, attempt_id", args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]

    def events(self, interview_uuid: str | None = None,
               kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The event log (all, or of one interview; all kinds or only ``kinds``) in clock
        order.

        Asking only for the sparse kinds (``start``, ``resume``, ``complete``, ``review``,
        ``para:*`` ..., i.e. not ``set/change/clear/position/assign``) of one interview
        uses an index, which matters in a merged store with millions of events.
        """
        sql = "SELECT * FROM events"
        where, args = [], []
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
        return read_frame(self._conn, sql + " ORDER BY hlc, device_id, seq", tuple(args))

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
            self._require_case(conn, dwelling_id)
            hlc, seq, time = self._event(conn, "override", supervisor, dwelling_id=dwelling_id,
                                         value=norm, vtype="s", detail={"reason": reason})
            conn.execute(
                "INSERT INTO overrides VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (dwelling_id) DO "
                "UPDATE SET code=excluded.code, reason=excluded.reason, "
                "supervisor=excluded.supervisor, time=excluded.time, ver_hlc=excluded.ver_hlc, "
                "ver_device=excluded.ver_device, ver_seq=excluded.ver_seq",
                (dwelling_id, norm, reason.strip(), supervisor, time, hlc, self.device_id, seq))

    def dispositions(self) -> pd.DataFrame:
        """Final disposition of every case (see :mod:`fieldsurvey.store.dispositions`):
        ``dwelling_id, disposition, category, disposition_source, override_reason``.
        """
        conn = self._conn
        cases = read_frame(conn, "SELECT dwelling_id FROM assignments ORDER BY dwelling_id")
        outcomes = read_frame(
            conn,
            "SELECT dwelling_id, hlc, outcome AS code, 'attempt' AS source FROM attempts "
            "UNION ALL SELECT dwelling_id, st_hlc, outcome, 'interview' FROM interviews "
            "WHERE status IN ('completed', 'partial')")
        if len(outcomes):
            outcomes["hlc"] = outcomes["hlc"].astype("int64")
        overrides = read_frame(conn, "SELECT dwelling_id, code, reason FROM overrides")
        return final_dispositions(cases["dwelling_id"], outcomes, overrides)

    def final_disposition(self, dwelling_id: str) -> Final:
        """The final disposition of one case, with where it came from."""
        from fieldsurvey.store.dispositions import final_disposition

        conn = self._conn
        self._require_case(conn, dwelling_id)
        att = conn.execute("SELECT hlc, outcome FROM attempts WHERE dwelling_id=?",
                           (dwelling_id,)).fetchall()
        itv = conn.execute("SELECT st_hlc, outcome FROM interviews WHERE dwelling_id=? AND "
                           "status IN ('completed', 'partial')", (dwelling_id,)).fetchall()
        ov = conn.execute("SELECT code FROM overrides WHERE dwelling_id=?",
                          (dwelling_id,)).fetchone()
        return final_disposition(att, itv, ov[0] if ov else None)

    def cases(self) -> pd.DataFrame:
        """One row per case (see :func:`fieldsurvey.store.export.cases_frame`)."""
        from fieldsurvey.store.export import cases_frame

        return cases_frame(cast("FieldStore", self))

    def conflicts(self) -> pd.DataFrame:
        """Edits of the same interview from two devices (see
        :func:`fieldsurvey.store.merge.find_conflicts`).
        """
        from fieldsurvey.store.merge import find_conflicts

        return find_conflicts(self._conn)

    def check(self) -> list[str]:
        """Run ``PRAGMA integrity_check`` and the foreign key check; return the problems
        (an empty list when the file is sound).
        """
        rows = [r[0] for r in self._conn.execute("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else rows
        problems += [f"foreign key: {r}" for r in self._conn.execute("PRAGMA foreign_key_check")]
        return problems
