"""The few columns a running tally needs, read from a store fast, and re-read as it changes.

The tally (:mod:`fieldsurvey.estimate.tally`) needs, per case: community, stratum,
interviewer, release flag, base weight, respondent-selection probability, community name,
final disposition and main interview; and the current answers of the questions the form
declares as indicators. :func:`fieldsurvey.weights.io.read_store_cases` with
``answers=True`` gives the same columns (and every other one): this module gives exactly
those values, as :func:`read_store_cases` would, in a fraction of the time:

* the answers of the indicator questions come in one scan of the answers table in its
  key order (interview, question), one row per interview with ``group_concat`` texts
  split with numpy (a covering index by question would make this read ~0.1 s faster,
  but its upkeep made bulk merges ~1.7x slower, so the schema has none);
* the case table is one query (the community name by ``json_extract``), the main interview
  of each case is chosen in SQL's order, dispositions by
  :func:`~fieldsurvey.store.dispositions.final_dispositions`;
* :meth:`TallyReader.refresh` re-reads only the cases with events newer than those seen
  (the event log is keyed by ``(device_id, seq)``; merges and syncs copy events with
  their own device and number), and nothing when no event came in.

Everything is read in one read transaction (a consistent state beside a writer).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files
from fieldsurvey.store.dispositions import NOT_ATTEMPTED, outcome_rank
from fieldsurvey.store.queries import query_frame as _rows

__all__ = ["TallyCases", "TallyReader"]

#: More changed cases than this share of all cases: read everything again.
FULL_SHARE = 0.25

_CASES_SQL = """
    SELECT a.dwelling_id, a.community_id, a.stratum, a.interviewer, a.line, a.released,
           a.base_weight, json_extract(a.attributes, '$.name') AS name,
           s.probability AS pi_respondent
    FROM assignments a LEFT JOIN selection s USING (dwelling_id)"""
_OUTCOMES_SQL = """
    SELECT dwelling_id, hlc, outcome AS code, 'attempt' AS source FROM attempts {w}
    UNION ALL SELECT dwelling_id, st_hlc, outcome, 'interview' FROM interviews
    WHERE status IN ('completed', 'partial') {a}"""
# the main interview of a case: a closed one first, then the latest started (as
# fieldsurvey.store.tables' cases table): the last row of its dwelling in this order
_INTERVIEWS_SQL = """
    SELECT dwelling_id, iid, uuid FROM interviews {w}
    ORDER BY dwelling_id, status IN ('completed', 'partial'), started_at, uuid"""
_IN = "IN (SELECT value FROM json_each(?))"
_SEP = "\x1f"


@dataclass
class TallyCases:
    """One row per case with the tally's columns (see the module docstring).

    ``frame`` is ordered as the store's case table (community, line, dwelling); answer
    columns: a scale question as floats (its codes, special codes included), a
    select_multiple question ``q`` as ``q_<choice>`` columns (1 chosen, 0 not, the special
    code for a special answer, NaN unanswered). ``changed``: cases re-read since the
    previous read (``None``: everything read), ``changed_ids`` their dwelling ids.
    """

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    forms: tuple[tuple[str, str, str], ...] = ()
    changed: int | None = None
    changed_ids: tuple[str, ...] | None = None


class TallyReader:
    """Reads a store's tally columns, then only what changed (see the module docstring).

    Parameters
    ----------
    path
        The store (merged central store, or one device's).
    scales
        Names of the scale questions to read.
    multiples
        ``{question: choice codes}`` of the select_multiple questions to read.
    """

    def __init__(self, path: str | os.PathLike[str], scales: Sequence[str] = (),
                 multiples: Mapping[str, Sequence[str]] | None = None) -> None:
        self.path = Path(path)
        self.scales = tuple(dict.fromkeys(scales))
        self.multiples = {q: tuple(c) for q, c in (multiples or {}).items()}
        self._seen: dict[str, int] = {}
        self._last: TallyCases | None = None

    @property
    def questions(self) -> tuple[str, ...]:
        """Every question read."""
        return (*self.scales, *self.multiples)

    # -- public ---------------------------------------------------------------------
    def read(self) -> TallyCases:
        """Read every case (and remember what was seen)."""
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                self._seen = _watermark(conn)
                out = self._read_all(conn)
            finally:
                conn.execute("COMMIT")
        self._last = out
        return out

    def refresh(self) -> TallyCases | None:
        """Re-read the cases written since the last read; ``None`` when nothing changed."""
        if self._last is None:
            return self.read()
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                seen = _watermark(conn)
                forms = _forms(conn)
                if seen == self._seen and forms == self._last.forms:
                    return None
                dwellings = None if forms != self._last.forms else \
                    _changed_dwellings(conn, self._seen, seen)
                n = len(self._last.frame)
                if dwellings is None or len(dwellings) > max(FULL_SHARE * n, 50):
                    out = self._read_all(conn)
                else:
                    out = self._splice(conn, dwellings)
                self._seen = seen
            finally:
                conn.execute("COMMIT")
        self._last = out
        return out

    # -- reading --------------------------------------------------------------------
    def _connect(self) -> _Closing:
        if not self.path.exists():
            raise StoreError("the field store does not exist", file=str(self.path),
                             hint="Give the merged store, e.g. central.sqlite")
        # no quick_check: the app (or the command) opened the file with one already
        return _Closing(_files.connect(self.path, readonly=True, check=False))

    def _read_all(self, conn: sqlite3.Connection) -> TallyCases:
        cases = _cases(conn, None)
        if cases.empty:
            raise StoreError("the field store has no cases", file=str(self.path),
                             hint="Assign the sample (fieldsurvey assign) and merge the "
                             "devices")
        main = _main(conn, None)
        frame = self._with_answers(conn, cases, main, None)
        return TallyCases(frame, notes=_notes(conn, self.path, len(frame)), forms=_forms(conn))

    def _with_answers(self, conn: sqlite3.Connection, cases: pd.DataFrame, main: pd.DataFrame,
                      iids: list[int] | None) -> pd.DataFrame:
        """``cases`` with ``interview_uuid`` and the answer columns of the main interviews."""
        n = len(cases)
        pos = pd.Series(np.arange(n), index=cases["dwelling_id"].to_numpy(dtype=object))
        at = pos.reindex(main["dwelling_id"].to_numpy(dtype=object)).to_numpy(dtype=float)
        ok = ~np.isnan(at)
        at_rows = at[ok].astype(np.int64)
        main_iid = main["iid"].to_numpy(dtype=np.int64)[ok]
        uuid = np.full(n, None, dtype=object)
        uuid[at_rows] = main["uuid"].to_numpy(dtype=object)[ok]
        # row of each main interview's iid (-1: not a main interview)
        row_of = np.full(int(main_iid.max()) + 1 if len(main_iid) else 1, -1, dtype=np.int64)
        row_of[main_iid] = at_rows
        cols: dict[str, Any] = {"interview_uuid": uuid}
        for q, iid, kind, value in _answers(conn, self.scales, list(self.multiples), iids):
            inside = iid < len(row_of)
            rows = np.full(len(iid), -1, dtype=np.int64)
            rows[inside] = row_of[iid[inside]]
            keep = rows >= 0
            if q in self.multiples:
                cols.update(_multiple(q, self.multiples[q], n, rows[keep], kind[keep],
                                      value[keep]))
            else:
                arr = np.full(n, np.nan)
                arr[rows[keep]] = value[keep]
                cols[q] = arr
        return pd.concat([cases.reset_index(drop=True),
                          pd.DataFrame(cols, index=pd.RangeIndex(n))], axis=1)

    def _splice(self, conn: sqlite3.Connection, dwellings: list[str]) -> TallyCases:
        """The last read with the rows of ``dwellings`` read again (new cases added)."""
        assert self._last is not None
        old = self._last.frame
        cases = _cases(conn, dwellings)
        main = _main(conn, dwellings)
        fresh = self._with_answers(conn, cases, main, [int(i) for i in main["iid"]])
        # a question first answered now: the old rows have no answer to it either
        for c in fresh.columns.difference(old.columns):
            old = old.assign(**{c: np.nan})
        for c in old.columns.difference(fresh.columns):
            fresh[c] = np.nan if c not in ("interview_uuid",) else None
        out = old["dwelling_id"].isin(set(dwellings)).to_numpy()
        both = pd.concat([old[~out], fresh[old.columns]], ignore_index=True)
        at = pd.Index(old["dwelling_id"]).get_indexer(fresh["dwelling_id"])
        same = (at >= 0).all() and len(np.unique(at)) == len(at) and all(
            old[c].iloc[at].reset_index(drop=True).equals(fresh[c].reset_index(drop=True))
            for c in ("community_id", "line"))
        if same:  # every changed case in its old place: no sort
            place = np.concatenate([np.flatnonzero(~out), at])
            frame = both.take(np.argsort(place, kind="stable")).reset_index(drop=True)
        else:
            frame = _ordered(both)
        return TallyCases(frame, notes=_notes(conn, self.path, len(frame)),
                          forms=self._last.forms, changed=len(dwellings),
                          changed_ids=tuple(dwellings))


class _Closing:
    """``with`` for a connection that closes it (sqlite3's own only ends transactions)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the case table's order: community, line (missing first), dwelling."""
    order = frame.sort_values(["community_id", "line", "dwelling_id"], kind="mergesort",
                              na_position="first").index
    return frame.loc[order].reset_index(drop=True)


def _cases(conn: sqlite3.Connection, dwellings: list[str] | None) -> pd.DataFrame:
    """Assignments, selection and final disposition (of some dwellings, or all)."""
    w = "" if dwellings is None else f" WHERE a.dwelling_id {_IN}"
    args: tuple[Any, ...] = () if dwellings is None else (json.dumps(dwellings),)
    cases = _rows(conn, _CASES_SQL + w + " ORDER BY a.community_id, a.line, a.dwelling_id",
                  args)
    ow = "" if dwellings is None else f"WHERE dwelling_id {_IN}"
    oa = "" if dwellings is None else f"AND dwelling_id {_IN}"
    outcomes = _rows(conn, _OUTCOMES_SQL.format(w=ow, a=oa), args * 2)
    if len(outcomes):
        outcomes["hlc"] = outcomes["hlc"].astype("int64")
    overrides = _rows(conn, f"SELECT dwelling_id, code, reason FROM overrides {ow}", args)
    cases["disposition"] = _dispositions(cases["dwelling_id"].to_numpy(dtype=object),
                                         outcomes, overrides)
    for c in ("base_weight", "pi_respondent"):
        cases[c] = pd.to_numeric(cases[c]).astype("float64")
    cases["line"] = pd.to_numeric(cases["line"]).astype("Int64")
    return cases


def _dispositions(ids: np.ndarray, outcomes: pd.DataFrame, overrides: pd.DataFrame
                  ) -> np.ndarray:
    """The final disposition of each case, on arrays.

    The rule of :func:`fieldsurvey.store.dispositions.final_dispositions`: the highest
    rank, then the latest clock, then the later row; an override wins.
    """
    out = np.full(len(ids), NOT_ATTEMPTED, dtype=object)
    pos = pd.Index(ids)
    if len(outcomes):
        at = pos.get_indexer(outcomes["dwelling_id"].to_numpy(dtype=object))
        codes = outcomes["code"].to_numpy(dtype=object)
        uniq, inv = np.unique(codes.astype(str), return_inverse=True)
        rank = np.array([outcome_rank(c) for c in uniq], dtype=np.int64)[inv]
        hlc = outcomes["hlc"].to_numpy(dtype=np.int64)
        order = np.lexsort((hlc, rank, at))  # stable: ties keep the later row last
        at_s = at[order]
        last = np.r_[at_s[1:] != at_s[:-1], True] & (at_s >= 0)
        out[at_s[last]] = codes[order][last]
    if len(overrides):
        ov = overrides[overrides["code"].notna()]
        at = pos.get_indexer(ov["dwelling_id"].to_numpy(dtype=object))
        ok = at >= 0
        out[at[ok]] = ov["code"].to_numpy(dtype=object)[ok]
    return out


def _main(conn: sqlite3.Connection, dwellings: list[str] | None) -> pd.DataFrame:
    w = "" if dwellings is None else f"WHERE dwelling_id {_IN}"
    args: tuple[Any, ...] = () if dwellings is None else (json.dumps(dwellings),)
    itv = _rows(conn, _INTERVIEWS_SQL.format(w=w), args)
    return itv.drop_duplicates("dwelling_id", keep="last").reset_index(drop=True)


def _answers(conn: sqlite3.Connection, scales: Sequence[str], multiples: Sequence[str],
             iids: list[int] | None) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """``(question, iid, kind, value)`` arrays of the current answers (not repeats).

    ``value``: a scale question's values as floats (NaN where not a number), a
    select_multiple's as text, with ``kind`` the first letter of the value type: ``b"l"``
    for a list, ``b"x"`` for a special answer. Every interview's (or the given interviews') answers
    come in one scan of the table in its key order, one row per interview: questions,
    kind letters and values as ``group_concat`` texts, split and coded with numpy.
    """
    qs = [*scales, *multiples]
    if not qs or (iids is not None and not iids):
        return []
    where = f"question {_IN} AND instance = '' AND vtype IS NOT NULL"
    args: tuple[Any, ...] = (json.dumps(qs),)
    if iids is not None:  # a few interviews: their rows by primary key
        where = f"iid {_IN} AND " + where
        args = (json.dumps(iids), json.dumps(qs))
    # one letter per answer (vtype's first): l a list, x a special answer
    got = conn.execute(
        "SELECT iid, count(*), group_concat(question, ','), group_concat(substr(vtype, 1, 1), "
        f"''), group_concat(value, char(31)) FROM answers WHERE {where} GROUP BY iid",
        args).fetchall()
    if not got:
        return []
    iid_of = np.array([r[0] for r in got], dtype=np.int64)
    counts = np.array([r[1] for r in got], dtype=np.int64)
    names = ",".join(r[2] for r in got).split(",")
    kinds = np.frombuffer("".join(r[3] for r in got).encode("ascii"), dtype="S1")
    values = _SEP.join(str(r[4]) for r in got).split(_SEP)
    if not len(values) == len(names) == len(kinds) == int(counts.sum()):
        # a text answer holding the separator: row by row
        df = _rows(conn, "SELECT iid, question, substr(vtype, 1, 1) AS kind, CAST(value AS "
                   f"TEXT) AS value FROM answers WHERE {where}", args)
        row_iid = df["iid"].to_numpy(dtype=np.int64)
        names = df["question"].tolist()
        kinds = df["kind"].to_numpy(dtype=object).astype("S1")
        values = df["value"].tolist()
    else:
        row_iid = np.repeat(iid_of, counts)
    codes = np.asarray(pd.Categorical(names, categories=qs).codes, dtype=np.int64)
    vals = np.array(values, dtype=object)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(qs) + 1))
    out = []
    for k, q in enumerate(qs):
        at = order[bounds[k]:bounds[k + 1]]
        if not len(at):
            continue  # never answered: no column (as the store's export)
        v = vals[at]
        val = _whole_or_numbers(v) if k < len(scales) else v
        out.append((q, row_iid[at], kinds[at], val))
    return out


def _whole_or_numbers(values: np.ndarray) -> np.ndarray:
    """Stored values as floats: parsed in C when all are whole numbers, else one by one."""
    import warnings

    out = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = np.fromstring(",".join(values), dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning, TypeError):
            out = None
    if out is not None and len(out) == len(values):
        return out.astype(np.float64)
    return _numbers(values.tolist())


def _numbers(values: list[Any]) -> np.ndarray:
    """Stored values (text) as floats, NaN where not a number (as ``pd.to_numeric``)."""
    try:
        return np.array(values, dtype=np.float64)
    except (ValueError, TypeError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
            dtype=float)


def _multiple(q: str, codes: Sequence[str], n: int, rows: np.ndarray, kind: np.ndarray,
              value: np.ndarray) -> dict[str, np.ndarray]:
    """The 0/1 choice columns of a select_multiple (as the store's export makes them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    is_list = kind == b"l"
    is_sp = kind == b"x"
    sp = np.zeros(len(value))
    if is_sp.any():
        sp[is_sp] = _numbers(value[is_sp].tolist())
    text = pa.array(value.astype(str), pa.string())
    out = {}
    for code in codes:
        hit = pc.match_substring(text, json.dumps(code, ensure_ascii=False)).to_numpy(
            zero_copy_only=False)
        arr = np.full(n, np.nan)
        arr[rows] = np.where(is_sp, sp, np.where(is_list, hit.astype(float), 0.0))
        out[f"{q}_{code}"] = arr
    return out


def _forms(conn: sqlite3.Connection) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(a), str(b), str(c)) for a, b, c in conn.execute(
        "SELECT form_id, version, sha256 FROM forms ORDER BY form_id, version"))


def _notes(conn: sqlite3.Connection, path: Path, n: int) -> list[str]:
    """The warning that a device's store is not the survey (as read_store_cases says it)."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("role") != "device":
        return []
    who = f" of interviewer {meta['interviewer']}" if meta.get("interviewer") else ""
    return [f"{path} is one device's store{who}: these figures cover its {n} case(s) only, "
            "not the survey; give the merged central store (fieldsurvey merge DEVICE_STORES "
            "--into central.sqlite)"]


def _watermark(conn: sqlite3.Connection) -> dict[str, int]:
    """The last event number of every device in the log (a few index lookups each)."""
    rows = conn.execute("""
        WITH RECURSIVE d(x) AS (
            SELECT min(device_id) FROM events
            UNION ALL SELECT (SELECT min(device_id) FROM events WHERE device_id > d.x)
            FROM d WHERE d.x IS NOT NULL)
        SELECT x, (SELECT max(seq) FROM events WHERE device_id = d.x) FROM d
        WHERE x IS NOT NULL""").fetchall()
    return {str(d): int(s) for d, s in rows}


def _changed_dwellings(conn: sqlite3.Connection, before: Mapping[str, int],
                       now: Mapping[str, int]) -> list[str] | None:
    """Cases with events after ``before``; ``None`` when an event concerns no case."""
    out: set[str] = set()
    for dev, last in now.items():
        seen = before.get(dev, 0)
        if last <= seen:
            continue
        for dwelling, uuid in conn.execute(
                "SELECT DISTINCT e.dwelling_id, e.interview_uuid FROM events e "
                "WHERE e.device_id = ? AND e.seq > ?", (dev, seen)):
            if dwelling is None and uuid is not None:
                got = conn.execute("SELECT dwelling_id FROM interviews WHERE uuid = ?",
                                   (uuid,)).fetchone()
                dwelling = got[0] if got else None
            if dwelling is None:
                return None  # a form, a meta change, something not of one case
            out.add(str(dwelling))
    return sorted(out)
