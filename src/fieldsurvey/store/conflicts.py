"""Conflicting edits in a (merged) store.

the same answer, or the same case, worked on two devices. Both versions are kept (the event
log has every edit); this lists them.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from fieldsurvey.store._values import flat
from fieldsurvey.store.queries import query_frame

__all__ = ["ANSWER_KINDS", "find_conflicts"]

#: The event kinds that edit an answer (as an SQL list).
ANSWER_KINDS = "('set', 'change', 'clear')"


def find_conflicts(conn: sqlite3.Connection) -> pd.DataFrame:
    """List conflicting edits in a (merged) store.

    Two kinds, one row per device involved:

    * ``answer``: the same answer (interview, question key) set, changed or cleared on two
      or more devices; ``value`` is each device's last value, ``current`` marks the one
      the store now holds (the latest by the hybrid clock); every edit stays in the
      event log.
    * ``case``: two or more devices started interviews at the same case.

    Returns
    -------
    pandas.DataFrame
        ``kind, dwelling_id, interview_uuid, question, device_id, interviewer, time,
        value, current``.
    """
    answers = query_frame(conn, f"""
        WITH multi AS (
            SELECT interview_uuid FROM editors
            GROUP BY interview_uuid HAVING count(*) > 1),
        e AS (
            SELECT interview_uuid, dwelling_id, question, instance, device_id, interviewer,
                   time, value, vtype, hlc, seq,
                   row_number() OVER (PARTITION BY interview_uuid, question, instance, device_id
                                      ORDER BY hlc DESC, seq DESC) AS rn
            FROM events WHERE kind IN {ANSWER_KINDS}
              AND interview_uuid IN (SELECT interview_uuid FROM multi)),
        k AS (
            SELECT interview_uuid, question, instance FROM e
            GROUP BY interview_uuid, question, instance HAVING count(DISTINCT device_id) > 1)
        SELECT 'answer' AS kind, e.dwelling_id, e.interview_uuid,
               e.question || e.instance AS question, e.device_id, e.interviewer, e.time,
               e.value, e.vtype,
               (a.ver_device = e.device_id AND a.ver_seq = e.seq) AS current
        FROM e JOIN k USING (interview_uuid, question, instance)
        LEFT JOIN interviews i ON i.uuid = e.interview_uuid
        LEFT JOIN answers a ON a.iid = i.iid AND a.question = e.question
                            AND a.instance = e.instance
        WHERE e.rn = 1
        ORDER BY e.interview_uuid, question, e.device_id""") if _has_multi(conn) else None
    cases = query_frame(conn, """
        SELECT 'case' AS kind, dwelling_id, uuid AS interview_uuid, NULL AS question,
               device_id, interviewer, started_at AS time, status AS value, NULL AS vtype,
               NULL AS current
        FROM interviews WHERE dwelling_id IN (
            SELECT dwelling_id FROM interviews GROUP BY dwelling_id
            HAVING count(DISTINCT device_id) > 1)
        ORDER BY dwelling_id, device_id, uuid""")
    frames = [f for f in (answers, cases) if f is not None and len(f)]
    if not frames:
        return cases.drop(columns=["vtype"]).iloc[0:0]
    out = pd.concat(frames, ignore_index=True)
    out["value"] = [flat(v, t) if t is not None else v
                    for v, t in zip(out["value"], out["vtype"], strict=True)]
    out["current"] = out["current"].map(lambda x: None if x is None else bool(x))
    return out.drop(columns=["vtype"])


def _has_multi(conn: sqlite3.Connection) -> bool:
    """Cheap pre-check (the small ``editors`` table).

    some interview has answers edited on more than one device. Only then are the events
    scanned for the details.
    """
    return conn.execute("SELECT 1 FROM editors GROUP BY interview_uuid HAVING count(*) > 1 "
                        "LIMIT 1").fetchone() is not None
