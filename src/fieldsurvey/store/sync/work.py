"""Issue new work into a running survey (``fieldsurvey assign --add``).

Released reserve lines and reassignments go into the central store; each reaches its
interviewer's device at the next sync (or ``fieldsurvey pull``), and a household that
moved away disappears from its old interviewer's list the same way.

Who gets a line: the sample's ``interviewer`` column where it names one; else, for a
line already issued, its interviewer; for a new line the team file (as ``assign``
allocates), or without one the interviewer who already holds most of the line's
community. A line already issued to someone else is a
reassignment: it moves when its old interviewer has not touched it (no attempt, roster,
selection or interview); one with data is listed as a conflict and stays where it is,
never split between two devices.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fieldsurvey.io.errors import InputError, StoreError
from fieldsurvey.store.store import FieldStore

__all__ = ["AddResult", "add_work"]


@dataclass(frozen=True)
class AddResult:
    """What :func:`add_work` did: lines added, moved, left alone, and the conflicts."""

    added: pd.DataFrame       # dwelling_id, interviewer
    moved: pd.DataFrame       # dwelling_id, interviewer (old), to
    conflicts: pd.DataFrame   # dwelling_id, interviewer (old), to, reason
    unchanged: int


def _truthy(v: object) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    return text in ("1", "true", "yes", "t", "y", "1.0")


def _who(sample: pd.DataFrame, team: pd.DataFrame | None, held: pd.DataFrame,
         by: str | None) -> pd.Series:
    """The interviewer of each sample row (see the module docstring)."""
    out = pd.Series(None, index=sample.index, dtype=object)
    if "interviewer" in sample.columns:
        named = sample["interviewer"].notna() & (sample["interviewer"].astype(str).str.strip()
                                                 != "")
        out[named] = sample.loc[named, "interviewer"].astype(str).str.strip()
    known = held.set_index("dwelling_id")["interviewer"]
    todo = out.isna()
    out[todo] = sample.loc[todo, "dwelling_id"].astype(str).map(known)  # issued lines stay
    todo = out.isna()
    if todo.any() and team is not None:
        from fieldsurvey.store.issue import allocate

        out[todo] = allocate(sample[todo], team, by=by)
    todo = out.isna()
    if todo.any():
        top = (held.groupby("community_id")["interviewer"]
               .agg(lambda s: s.value_counts().index[0]))
        out[todo] = sample.loc[todo, "community_id"].astype(str).map(top)
    missing = out.isna()
    if missing.any():
        first = sample.loc[missing].iloc[0]
        raise InputError("no interviewer for a line of a community nobody works in yet",
                         field="interviewer", got=f"{first['dwelling_id']} (community "
                         f"{first['community_id']})",
                         hint="Give a team file with --interviewers (interviewer, "
                         "community_id), or an 'interviewer' column in the sample")
    return out.astype(str)


_NOT_SAMPLE = ("interviewer", "form_id", "form_version", "assigned_at", "ver_hlc",
               "ver_device", "ver_seq", "attributes")


def _keep_listing(c: sqlite3.Connection, moving: pd.DataFrame) -> pd.DataFrame:
    """The moving lines with their listing as the central store has it (address, names…).

    A reassignment often names only the dwelling and its new interviewer; what the sample
    line gives overrides, what it lacks is kept (a move never blanks an address).
    """
    if not len(moving):
        return moving
    ids = [str(d) for d in moving["dwelling_id"]]
    cur = c.execute(f"SELECT * FROM assignments WHERE dwelling_id IN "
                    f"({', '.join('?' * len(ids))})", ids)
    cols = [d[0] for d in cur.description]
    have = pd.DataFrame(cur.fetchall(), columns=cols)
    extra = pd.DataFrame([json.loads(a or "{}") for a in have["attributes"]],
                         index=have.index)
    have = pd.concat([have.drop(columns=[x for x in _NOT_SAMPLE if x in cols]),
                      extra[[x for x in extra.columns if x not in cols]]], axis=1)
    given = moving.set_index("dwelling_id")
    out = given.combine_first(have.set_index("dwelling_id").reindex(given.index))
    return out.reset_index()


def add_work(central: str | Path, sample: pd.DataFrame, team: pd.DataFrame | None = None, *,
             by: str | None = None, include_unreleased: bool = False) -> AddResult:
    """Add released lines and reassignments of ``sample`` to the central store.

    Raises
    ------
    StoreError
        ``central`` is a device store.
    InputError
        A line no interviewer can be found for, no released line.
    """
    for col in ("dwelling_id", "community_id"):
        if col not in sample.columns:
            raise InputError(f"the sample has no '{col}' column", field=col)
    df = sample.copy()
    if "released" in df.columns and not include_unreleased:
        df = df[df["released"].map(_truthy)]
    if not len(df):
        raise InputError("no released sample line to issue", field="released",
                         hint="Release a reserve batch first (fieldsurvey sample release)")
    df["dwelling_id"] = df["dwelling_id"].astype(str)
    store = FieldStore.open(central)
    try:
        if store.meta.get("role") == "device":
            raise StoreError("new work is added to the central store, not to a device's",
                             file=str(central), hint="Give the supervisor's central.sqlite")
        c = store.connection
        held = pd.DataFrame(c.execute("SELECT dwelling_id, community_id, interviewer "
                                      "FROM assignments").fetchall(),
                            columns=["dwelling_id", "community_id", "interviewer"])
        df["to"] = _who(df, team, held, by).to_numpy()
        old = df["dwelling_id"].map(held.set_index("dwelling_id")["interviewer"])
        new = df[old.isna()]
        mask = old.notna() & (old != df["to"])
        change = df[mask].copy()
        change["interviewer_old"] = old[mask].astype(object)
        touched = {r[0] for r in c.execute(
            "SELECT dwelling_id FROM attempts UNION SELECT dwelling_id FROM roster UNION "
            "SELECT dwelling_id FROM selection UNION SELECT dwelling_id FROM interviews")}
        busy = change["dwelling_id"].isin(touched)
        moving, stuck = change[~busy], change[busy]
        form = c.execute("SELECT form_id, form_version, count(*) FROM assignments "
                         "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1").fetchone()
        rows = pd.concat([new, _keep_listing(c, moving)]).drop(
            columns=["interviewer", "interviewer_old"], errors="ignore"
        ).rename(columns={"to": "interviewer"})
        if len(rows):
            store.assign(rows, form_id=form[0] if form else None,
                         form_version=form[1] if form else None)
    finally:
        store.close()
    return AddResult(
        added=new[["dwelling_id", "to"]].rename(columns={"to": "interviewer"})
        .reset_index(drop=True),
        moved=moving[["dwelling_id", "interviewer_old", "to"]]
        .rename(columns={"interviewer_old": "interviewer"}).reset_index(drop=True),
        conflicts=stuck[["dwelling_id", "interviewer_old", "to"]]
        .rename(columns={"interviewer_old": "interviewer"})
        .assign(reason="the old interviewer has recorded data for it")
        .reset_index(drop=True),
        unchanged=int(len(df) - len(new) - len(change)))
