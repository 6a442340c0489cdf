"""Issue assignments: split a sample among interviewers and write one store per device.

The supervisor's central store is written first with every issued line (and the pinned
questionnaire); each device store is a copy of that interviewer's part: the same
assignment rows and the same ``assign`` events, so that merging the devices back into
the central store adds only what happened in the field.

Allocation rules (deterministic, so re-running gives the same split):

1. the team file lists ``community_id`` per interviewer: each community goes to the
   interviewers listed for it, its lines split into contiguous blocks in line order;
2. else ``by="community"``: whole communities, largest first, each to the interviewer
   with the fewest cases so far (ties: team file order);
3. else: the sample in (community, line) order is cut into as many contiguous,
   nearly equal blocks as there are interviewers, so neighbours stay together.

Only released lines (``released`` true, or no ``released`` column) are issued unless
``include_unreleased=True``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import shutil
import sqlite3
import tempfile
import uuid as _uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, InputError, StoreError
from fieldsurvey.store.store import Clock, FieldStore
from fieldsurvey.store.sync.tokens import IssuedToken, issue_tokens

__all__ = ["IssueResult", "allocate", "check_team", "issue_stores"]


@dataclass(frozen=True)
class IssueResult:
    """Where the stores were written and how many cases each interviewer got."""

    survey_id: str
    central: Path
    devices: dict[str, Path]
    counts: pd.DataFrame  # interviewer, communities, cases, store
    tokens: tuple[IssuedToken, ...] = ()  # each device store's sync token (the team sheet)


def _blocks(n: int, k: int) -> np.ndarray:
    """Block number (0..k-1) of each of n items cut into k contiguous, near-equal blocks."""
    return (np.arange(n) * k) // max(n, 1)


def _truthy(s: pd.Series) -> pd.Series:
    return s.map(lambda v: str(v).strip().lower() in ("1", "true", "yes", "t", "y", "1.0")
                 if not pd.isna(v) else False)


def allocate(sample: pd.DataFrame, team: pd.DataFrame, *, by: str | None = None) -> pd.Series:
    """The interviewer of each sample row (see the module docstring for the rules)."""
    if "interviewer" not in team.columns:
        raise ColumnError("the team file has no 'interviewer' column", field="interviewer",
                          hint="List one interviewer id per row (optionally with community_id)")
    for col in ("dwelling_id", "community_id"):
        if col not in sample.columns:
            raise ColumnError(f"the sample has no '{col}' column", field=col)
    team = team[team["interviewer"].notna() & (team["interviewer"].astype(str) != "")]
    people = list(dict.fromkeys(team["interviewer"].astype(str)))
    if not people:
        raise InputError("the team file lists no interviewer", field="interviewer")
    check_team(team)
    order_cols = ["community_id"] + (["line"] if "line" in sample.columns else []) + \
        ["dwelling_id"]
    ordered = sample.sort_values(order_cols, kind="mergesort")
    out = pd.Series(None, index=sample.index, dtype=object)
    com = ordered["community_id"].astype(str)
    if "community_id" in team.columns and team["community_id"].notna().any():
        listed = team[team["community_id"].notna()]
        who = listed.groupby(listed["community_id"].astype(str), sort=False)["interviewer"] \
            .agg(lambda s: list(dict.fromkeys(s.astype(str))))
        missing = sorted(set(com) - set(who.index))
        if missing:
            raise InputError("communities of the sample have no interviewer in the team file",
                             field="community_id", got=", ".join(missing[:10]),
                             hint="Add a row (interviewer, community_id) for each community")
        for c, idx in ordered.groupby(com, sort=False).groups.items():
            names = who[str(c)]
            out.loc[idx] = [names[b] for b in _blocks(len(idx), len(names))]
    elif by == "community":
        sizes = com.value_counts()
        sizes = sizes.sort_index().sort_values(ascending=False, kind="mergesort")
        load = dict.fromkeys(people, 0)
        for c, size in sizes.items():
            person = min(people, key=lambda p: (load[p], people.index(p)))
            load[person] += int(size)
            out.loc[ordered.index[com == c]] = person
    elif by is None:
        out.loc[ordered.index] = [people[b] for b in _blocks(len(ordered), len(people))]
    else:
        raise StoreError("unknown allocation", field="by", expected="community", got=repr(by))
    return out


def _safe_file(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name, flags=re.UNICODE) or "interviewer"


#: Store file names ``assign`` writes besides the interviewers' own.
_RESERVED = ("central",)


def check_team(team: pd.DataFrame) -> None:
    """Refuse a team file whose interviewers cannot be told apart.

    That is a team file that lists an interviewer twice (for the same community, or
    without communities), or whose interviewer ids would share a store file: an id that is
    the central store's name, or two ids that differ only in characters a file name
    cannot hold (``张 三`` and ``张_三`` both give ``张_三.sqlite``).
    """
    ids = team["interviewer"].astype(str)
    rows = pd.Series(range(2, len(team) + 2), index=team.index)  # file lines (header = 1)
    key = ids if "community_id" not in team.columns else \
        ids + "\x00" + team["community_id"].astype(str)
    dup = key[key.duplicated(keep=False)]
    if len(dup):
        first = dup.index[0]
        raise InputError(
            "the team file lists the same interviewer twice", field="interviewer",
            row=int(rows[dup.index[1]]),
            got=f"{ids[first]!r} on lines {', '.join(str(int(rows[i])) for i in dup.index)}",
            hint="List each interviewer once (or once per community they work in)")
    files: dict[str, str] = {}
    for who in dict.fromkeys(ids):
        name = _safe_file(who).lower()
        if name in _RESERVED:
            raise InputError(
                f"the interviewer id {who!r} is the name of the supervisor's store "
                f"({name}.sqlite), so their device store would take its place",
                field="interviewer", got=who, hint="Give this interviewer another id")
        if name in files:
            raise InputError(
                f"the interviewer ids {files[name]!r} and {who!r} give the same store file "
                f"({_safe_file(who)}.sqlite): a file name cannot tell them apart",
                field="interviewer", got=f"{files[name]!r}, {who!r}",
                hint="Give them ids that differ in letters or digits, not only in spaces or "
                "punctuation")
        files[name] = who


def issue_stores(sample: pd.DataFrame, team: pd.DataFrame, out_dir: str | Path, *,
                 by: str | None = None, form: str | Path | None = None,
                 survey_id: str | None = None, include_unreleased: bool = False,
                 clock: Clock | None = None, group: bool = False) -> IssueResult:
    """Write ``central.sqlite`` and one ``<interviewer>.sqlite`` per interviewer.

    Parameters
    ----------
    sample
        The sample (columns of :data:`fieldsurvey.io.schema.SAMPLE_COLUMNS`, address and
        community attributes).
    team
        Interviewers: column ``interviewer``, optional ``name`` and ``community_id``.
    out_dir
        Output directory; existing stores in it are never overwritten.
    by
        ``"community"`` to give whole communities to one interviewer.
    form
        Questionnaire file to validate and pin in every store.
    survey_id
        Default: derived from the sample's content, so re-issuing the same sample gives
        stores of the same survey.
    include_unreleased
        Also issue reserve lines not yet released.
    clock
        Wall clock of the stores' events (tests).
    group
        Stores readable by the owner's group too (0640 instead of 0600).

    The pseudonymisation key of the survey is kept in the central store only: device
    stores never hold it.
    """
    out = Path(out_dir)
    df = sample.copy()
    if "released" in df.columns and not include_unreleased:
        df = df[_truthy(df["released"])]
    if not len(df):
        raise InputError("no released sample line to issue", field="released",
                         hint="Release the sample (or a reserve batch) first")
    df["interviewer"] = allocate(df, team, by=by).to_numpy()
    names = team.drop_duplicates("interviewer").set_index(team.drop_duplicates(
        "interviewer")["interviewer"].astype(str))
    digest = hashlib.sha256(pd.util.hash_pandas_object(
        sample.astype(str), index=False).to_numpy().tobytes()).hexdigest()
    sid = survey_id or f"S-{digest[:12]}"
    people = list(dict.fromkeys(df["interviewer"]))
    targets = {p: out / f"{_safe_file(p)}.sqlite" for p in people}
    central = out / "central.sqlite"
    clash = [t for t in [central, *targets.values()] if t.exists()]
    if clash:
        raise StoreError("a store already exists in the output directory", file=str(clash[0]),
                         hint="Issue into a new directory; stores are never overwritten")
    form_info = None
    if form is not None:
        from fieldsurvey.questionnaire import load_form

        loaded = load_form(form)
        form_info = (Path(form).read_bytes(), loaded.form_id, loaded.version or "",
                     Path(form).name)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".assign-", dir=out))
    try:
        salt = secrets.token_hex(16)
        master = FieldStore.create(tmp / "central.sqlite", survey_id=sid, role="central",
                                   device_id=f"central-{_uuid.uuid4().hex[:8]}", pii_salt=salt,
                                   clock=clock, group=group)
        try:
            if form_info:
                master.add_form(form_info[0], form_id=form_info[1], version=form_info[2],
                                filename=form_info[3])
            master.assign(df, form_id=form_info[1] if form_info else None,
                          form_version=form_info[2] if form_info else None)
            hlc = master.connection.execute("SELECT max(hlc) FROM events").fetchone()[0]
        finally:
            master.close()
        for p in people:
            dev = FieldStore.create(tmp / targets[p].name, survey_id=sid, role="device",
                                    device_id=f"{_safe_file(p)}-{_uuid.uuid4().hex[:6]}",
                                    interviewer=p, clock=clock, group=group)
            try:
                _copy_part(dev.connection, tmp / "central.sqlite", p, hlc)
            finally:
                dev.close()
        issued = [dataclasses.replace(t, store=str(targets[t.interviewer])) for t in
                  issue_tokens(tmp / "central.sqlite", [tmp / targets[p].name for p in people])]
        for p in people:
            shutil.move(str(tmp / targets[p].name), targets[p])
        shutil.move(str(tmp / "central.sqlite"), central)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not any(out.iterdir()):  # leave no empty folder behind a failure
            out.rmdir()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = df.groupby("interviewer", sort=False).agg(
        communities=("community_id", "nunique"), cases=("dwelling_id", "size")).reset_index()
    counts["name"] = [_name(names, p) for p in counts["interviewer"]]
    counts["store"] = [targets[p].name for p in counts["interviewer"]]
    return IssueResult(sid, central, targets, counts, tuple(issued))


def _name(names: pd.DataFrame, person: Any) -> str:
    if "name" in names.columns and person in names.index and not pd.isna(names.loc[person,
                                                                                  "name"]):
        return str(names.loc[person, "name"])
    return ""


def _copy_part(conn: sqlite3.Connection, master: Path, interviewer: str, hlc: int) -> None:
    """Copy one interviewer's assignments, their events and the forms from the master."""
    conn.execute("ATTACH DATABASE ? AS m", (str(master),))
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO forms SELECT * FROM m.forms")
        conn.execute("INSERT INTO assignments SELECT * FROM m.assignments WHERE interviewer=?",
                     (interviewer,))
        conn.execute("INSERT INTO events SELECT * FROM m.events WHERE kind = 'form' OR "
                     "(kind = 'assign' AND dwelling_id IN (SELECT dwelling_id FROM "
                     "m.assignments WHERE interviewer = ?))", (interviewer,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'hlc_floor'", (str(hlc or 0),))
        conn.execute("COMMIT")
    finally:
        conn.execute("DETACH DATABASE m")
