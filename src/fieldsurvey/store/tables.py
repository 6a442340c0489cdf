"""The analysis tables read from a store.

cases, respondents' answers (wide), attempts, rosters and paradata.

The wide answers table is built one question column at a time (the ``answers`` table is
keyed by question first, so each column is one index range scan) and placed by interview
position with numpy, which keeps 100,000 interviews x 100 answers within seconds.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fieldsurvey.store._arrow import Snapshot
from fieldsurvey.store._labels import FormSpec, QuestionSpec, label_text, safe_name
from fieldsurvey.store.personal import pseudonym
from fieldsurvey.store.queries import dispositions
from fieldsurvey.store.queries import query_frame as read_rows

__all__ = ["Wide", "answers_wide", "attempts_frame", "cases_frame", "paradata_frame",
           "roster_frame"]


def _expand_attributes(df: pd.DataFrame) -> pd.DataFrame:
    if not len(df):
        return df.drop(columns=["attributes"])
    extra = pd.DataFrame([json.loads(a) for a in df["attributes"]], index=df.index)
    extra = extra[[c for c in extra.columns if c not in df.columns]]
    return pd.concat([df.drop(columns=["attributes"]), extra], axis=1)


def _main_interviews(conn: sqlite3.Connection) -> pd.DataFrame:
    """One interview per case: a closed one first, then the latest started."""
    itv = read_rows(conn,
                     "SELECT dwelling_id, uuid AS interview_uuid, status AS interview_status, "
                     "review_state, respondent_line, started_at FROM interviews")
    if not len(itv):
        return itv
    itv["closed"] = itv["interview_status"].isin(["completed", "partial"])
    itv = itv.sort_values(["dwelling_id", "closed", "started_at", "interview_uuid"])
    counts = itv.groupby("dwelling_id").size().rename("n_interviews")
    main = itv.drop_duplicates("dwelling_id", keep="last").set_index("dwelling_id")
    main = main.join(counts).drop(columns=["closed", "started_at"])
    return main.reset_index()


def cases_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """One row per case (issued sample line).

    the sample columns (stratum, community, dwelling, line, replicate, Kish table, ``pi_1``,
    ``pi_2``, ``pi``, ``base_weight``), the interviewer, address and community attributes,
    the attempt count, the respondent selection (``eligible_count``, ``chosen_line``,
    ``pi_respondent``), the main interview and the final disposition (``disposition``,
    ``category``, ``disposition_source``, ``override_reason``).
    """
    a = read_rows(conn, """
        SELECT a.dwelling_id, a.community_id, a.stratum, a.interviewer, a.line, a.replicate,
               a.released, a.release_batch, a.segment, a.kish_table, a.pi_1, a.pi_2, a.pi,
               a.base_weight, a.address, a.building, a.unit, a.floor, a.door, a.attributes,
               t.n_attempts, t.first_attempt, t.last_attempt,
               s.method AS selection_method, s.eligible_count, s.chosen_line,
               s.probability AS pi_respondent
        FROM assignments a
        LEFT JOIN (SELECT dwelling_id, count(*) AS n_attempts, min(time) AS first_attempt,
                          max(time) AS last_attempt FROM attempts GROUP BY dwelling_id) t
               USING (dwelling_id)
        LEFT JOIN selection s USING (dwelling_id)
        ORDER BY a.community_id, a.line, a.dwelling_id""")
    a = _expand_attributes(a)
    disp = dispositions(conn)
    out = a.merge(disp, on="dwelling_id", how="left")
    main = _main_interviews(conn)
    if len(main):
        out = out.merge(main, on="dwelling_id", how="left")
    else:
        for c in ("interview_uuid", "interview_status", "review_state", "respondent_line",
                  "n_interviews"):
            out[c] = None
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    out["n_interviews"] = pd.to_numeric(out["n_interviews"]).fillna(0).astype("int64")
    for c in ("pi_1", "pi_2", "pi", "base_weight", "pi_respondent"):
        out[c] = pd.to_numeric(out[c]).astype("float64")
    for c in ("line", "replicate", "release_batch", "eligible_count", "chosen_line",
              "respondent_line"):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    out["released"] = out["released"].map(lambda x: None if x is None else bool(x))
    return out


def attempts_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every contact attempt with its case's community, in time order."""
    return read_rows(conn, """
        SELECT t.attempt_id, t.dwelling_id, a.community_id, t.time, t.interviewer, t.mode,
               t.outcome, t.appointment, t.note, t.device_id
        FROM attempts t JOIN assignments a USING (dwelling_id)
        ORDER BY t.dwelling_id, t.hlc, t.attempt_id""")


def roster_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Household members (current roster lines) with the case's respondent selection."""
    df = read_rows(conn, """
        SELECT r.dwelling_id, r.line, r.name, r.sex, r.age, r.resident, r.eligible, r.extra,
               (s.chosen_line = r.line) AS selected, r.time, r.interviewer
        FROM roster r LEFT JOIN selection s USING (dwelling_id)
        WHERE r.removed = 0 ORDER BY r.dwelling_id, r.line""")
    if len(df):
        extra = pd.DataFrame([json.loads(x) for x in df["extra"]], index=df.index)
        extra = extra[[c for c in extra.columns if c not in df.columns]]
        df = pd.concat([df.drop(columns=["extra"]), extra], axis=1)
    else:
        df = df.drop(columns=["extra"])
    return df


def paradata_frame(snap: Snapshot) -> pd.DataFrame:
    """One row per interview event.

    Events are start, resume, set, change, clear, position, complete, review,
    ``para:*``; the columns say who, when (``timestamp``, UTC, from the store's hybrid clock: the
    device's wall clock unless that clock was set back), which question, and ``seconds``
    since the previous event of the same interview on the same device (the time spent on
    that question). Answer values are not repeated here. Read through Arrow: a merged
    store holds millions of events (the local wall-clock text of each event stays in the
    store's ``events`` table).
    """
    tbl = snap.arrow("""
        SELECT interview_uuid, device_id, seq, hlc, interviewer, kind,
               question || coalesce(instance, '') AS question
        FROM events WHERE interview_uuid IS NOT NULL""")
    if tbl.num_rows == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in (
            "interview_uuid", "device_id", "seq", "timestamp", "interviewer", "kind",
            "question", "seconds")})
    key_i = tbl.column("interview_uuid").combine_chunks().dictionary_encode().indices
    key_d = tbl.column("device_id").combine_chunks().dictionary_encode().indices
    ki = key_i.to_numpy(zero_copy_only=False)
    kd = key_d.to_numpy(zero_copy_only=False)
    seq = tbl.column("seq").to_numpy()
    order = np.lexsort((seq, kd, ki))
    h = tbl.column("hlc").to_numpy()[order]
    same = np.r_[False, (ki[order][1:] == ki[order][:-1]) & (kd[order][1:] == kd[order][:-1])]
    sec = np.full(len(order), np.nan)
    sec[1:] = (h[1:] - h[:-1]) / 1e6
    sec[~same] = np.nan
    stamp = pa.array(h, pa.timestamp("us", tz="UTC"))
    out = tbl.drop_columns(["hlc"]).take(pa.array(order))
    out = out.add_column(3, "timestamp", stamp).append_column("seconds", pa.array(sec))
    frame: pd.DataFrame = out.to_pandas()
    return frame


@dataclass
class Wide:
    """The respondent-level table and its metadata (labels, specials, personal data)."""

    frame: pd.DataFrame
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[int | float, str]] = field(default_factory=dict)
    special_columns: dict[str, list[int]] = field(default_factory=dict)
    pii_columns: list[str] = field(default_factory=list)
    pii_mode: str = "drop"
    questions: dict[str, str] = field(default_factory=dict)  # column -> answer key


_BASE_SQL = """
    SELECT i.iid, i.uuid AS interview_uuid, i.dwelling_id, a.community_id, a.stratum,
           i.interviewer, i.device_id, i.respondent_line, i.form_id, i.form_version, i.status,
           i.outcome, i.review_state, i.started_at, i.completed_at
    FROM interviews i JOIN assignments a USING (dwelling_id) ORDER BY i.iid"""


def _inst_suffix(inst: str) -> str:
    return "".join(f"_{n}" for n in re.findall(r"\d+", inst))


# value types as small ints (0 int/bool, 1 float, 2 text and times, 3 list, 4 date, 5 special)
_VT_SQL = ("CASE WHEN vtype IN ('i', 'b') THEN 0 WHEN vtype = 'f' THEN 1 WHEN vtype IN ('s', 'h') "
           "THEN 2 WHEN vtype = 'l' THEN 3 WHEN vtype IN ('d', 't') THEN 4 ELSE 5 END")
_INT, _FLOAT, _TEXT, _LIST, _DATE, _SPECIAL = range(6)


def answers_wide(snap: Snapshot, spec: FormSpec | None = None, *, pii: str = "drop",
                 personal: frozenset[str] = frozenset(), safe: frozenset[str] = frozenset(),
                 salt: str = "", language: str | None = None) -> Wide:
    """One row per interview, one column per question (see :func:`export_store`).

    ``personal``: the questions that are personal data (:mod:`.personal`); a question no
    form declares whose answers are text is treated as free text, i.e. personal too,
    unless named in ``safe``. ``pii``: ``"drop"`` leaves them out, ``"pseudonymise"``
    replaces their values with stable pseudonyms (HMAC keyed by ``salt``), ``"include"``
    keeps them. The answers are read into Arrow in one scan, grouped by key with numpy,
    and converted column by column.
    """
    base = read_rows(snap.conn, _BASE_SQL)
    iids = np.asarray(base["iid"].to_numpy(), dtype=np.int64)
    n = len(base)
    base = base.drop(columns=["iid"])
    base["respondent_line"] = pd.to_numeric(base["respondent_line"]).astype("Int64")
    wide = Wide(base, pii_mode=pii)
    # two key ranges of iid, read at the same time (one per core)
    mid = int(iids[len(iids) // 2]) if len(iids) else 0
    sql = ("SELECT question || instance AS k, iid, CAST(value AS TEXT) AS v, "
           f"{_VT_SQL} AS t FROM answers WHERE vtype IS NOT NULL")
    tbl = snap.arrow_parts([f"{sql} AND iid < {mid}", f"{sql} AND iid >= {mid}"])
    if tbl.num_rows and snap.used_children:  # a child may have seen a later state:
        known = np.isin(tbl.column("iid").to_numpy(), iids)  # the caller then reads again
        if not known.all():
            tbl = tbl.filter(pa.array(known))
    if tbl.num_rows:
        keys = tbl.column("k").combine_chunks().dictionary_encode()
        codes = keys.indices.to_numpy(zero_copy_only=False)
        uniques = keys.dictionary.to_pylist()
    else:
        codes, uniques = np.empty(0, dtype=np.int64), []
    a_iid = tbl.column("iid").to_numpy()
    a_vt = tbl.column("t").to_numpy()
    a_val = tbl.column("v").combine_chunks() if tbl.num_rows else pa.array([], pa.string())
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(uniques)))])
    groups = {}
    for c, key in enumerate(uniques):
        q, _, rest = str(key).partition("[")
        groups[(q, "[" + rest if rest else "")] = order[bounds[c]:bounds[c + 1]]
    questions = spec.questions if spec else {}
    qorder = {q: k for k, q in enumerate(questions)}
    special_labels = {c: lab for c, _, lab in spec.specials} if spec else {}
    cols: dict[str, Any] = {}
    used = set(base.columns)

    def name_for(wanted: str) -> str:
        name, k = safe_name(wanted), 2
        while name in used:
            name, k = f"{safe_name(wanted)}_{k}", k + 1
        used.add(name)
        return name

    for q, inst in sorted(groups, key=lambda k: (qorder.get(k[0], len(qorder)), k[0],
                                                [int(x) for x in re.findall(r"\d+", k[1])])):
        idx = groups[(q, inst)]
        vals, vts = a_val.take(pa.array(idx)), a_vt[idx]
        pos = np.searchsorted(iids, a_iid[idx])
        qspec = questions.get(q)
        col = name_for(q + _inst_suffix(inst))
        label = label_text(qspec.label, language) if qspec else q
        label = label + (f" [{inst.strip('[]').replace('][', ',')}]" if inst else "")
        wide.questions[col] = q + inst
        kinds = set(np.unique(vts).tolist())
        free_text = qspec is None and _TEXT in kinds and kinds <= {_TEXT, _SPECIAL} \
            and q not in safe
        if (q in personal or free_text) and pii != "include":
            wide.pii_columns.append(col)
            if pii == "drop":
                used.discard(col)
                del wide.questions[col]
                continue
            arr = np.full(n, None, dtype=object)
            arr[pos] = [pseudonym(salt, v)
                        for v in vals.to_pylist()]
            cols[col] = arr
            wide.variable_labels[col] = label
            continue
        is_sp = vts == _SPECIAL
        specials_here = sorted({int(v) for v in vals.filter(pa.array(is_sp)).to_pylist()}) \
            if is_sp.any() else []
        allowed = set(qspec.special) | set(qspec.missing) if qspec else set()
        if _LIST in kinds or (qspec and qspec.type == "select_multiple"):
            _select_multiple(cols, wide, n, pos, vals, vts, col, label, qspec, language,
                             name_for, specials_here, special_labels)
            continue
        as_number = qspec is not None and qspec.type == "select_one" and qspec.numeric_choices
        if kinds <= {_INT, _FLOAT, _SPECIAL} or (as_number and kinds <= {_TEXT, _SPECIAL}):
            arr = np.full(n, np.nan)
            arr[pos] = pc.cast(vals, pa.float64()).to_numpy(zero_copy_only=False)
            if _FLOAT in kinds:
                cols[col] = arr
            else:
                out = pd.array(np.where(np.isnan(arr), 0, arr).astype(np.int64), dtype="Int64")
                out[np.isnan(arr)] = pd.NA
                cols[col] = out
            labels: dict[int | float, str] = {}
            if qspec is not None and qspec.choices and as_number:
                labels.update({int(c): label_text(lab, language) for c, lab in qspec.choices})
            for code in set(specials_here) | allowed:
                if code in special_labels:
                    labels[code] = label_text(special_labels[code], language)
            if labels:
                wide.value_labels[col] = labels
        else:
            arr = np.full(n, None, dtype=object)
            arr[pos] = vals.to_numpy(zero_copy_only=False)
            cols[col] = arr
        if specials_here or allowed:
            wide.special_columns[col] = sorted(set(specials_here) | allowed)
        wide.variable_labels[col] = label
    if cols:
        wide.frame = pd.concat([base, pd.DataFrame(cols, index=base.index)], axis=1)
    return wide


def _select_multiple(cols: dict[str, Any], wide: Wide, n: int, pos: np.ndarray,
                     vals: pa.Array, vts: np.ndarray, col: str, label: str,
                     qspec: QuestionSpec | None, language: str | None, name_for: Any,
                     specials: list[int], special_labels: dict[int, dict[str, str]]) -> None:
    """The raw list (space-separated names) plus one 0/1 column per choice.

    a special answer puts its code in every choice column, an unanswered question leaves
    them empty. Vectorised on the stored JSON lists (``["1","3"]``) with Arrow string
    kernels.
    """
    is_list = vts == _LIST
    is_sp = vts == _SPECIAL
    raw_arrow = pc.replace_substring_regex(pc.replace_substring_regex(vals, r'[\[\]"]', ""),
                                          r",\s*", " ")
    raw = np.full(n, None, dtype=object)
    raw[pos] = np.where(is_list, raw_arrow.to_numpy(zero_copy_only=False),
                        vals.to_numpy(zero_copy_only=False))
    cols[col] = raw
    wide.variable_labels[col] = label
    sp_code = np.zeros(len(vts))
    if is_sp.any():
        sp_code[is_sp] = pc.cast(vals.filter(pa.array(is_sp)), pa.float64()).to_numpy(
            zero_copy_only=False)
    if qspec is not None and qspec.choices:
        names = [c for c, _ in qspec.choices]
        clabels = {c: label_text(lab, language) for c, lab in qspec.choices}
    else:
        seen: set[str] = set()
        for v in vals.filter(pa.array(is_list)).to_pylist():
            seen.update(json.loads(v))
        names = sorted(seen, key=lambda s: (not s.lstrip("-").isdigit(),
                                            int(s) if s.lstrip("-").isdigit() else 0, s))
        clabels = {c: c for c in names}
    for name in names:
        dcol = name_for(f"{col}_{name}")
        hit = pc.match_substring(vals, json.dumps(name, ensure_ascii=False)).to_numpy(
            zero_copy_only=False)
        arr = np.full(n, np.nan)
        arr[pos] = np.where(is_sp, sp_code, np.where(is_list, hit.astype(float), 0.0))
        out = pd.array(np.where(np.isnan(arr), 0, arr).astype(np.int64), dtype="Int64")
        out[np.isnan(arr)] = pd.NA
        cols[dcol] = out
        wide.variable_labels[dcol] = f"{label}: {clabels.get(name, name)}"
        if specials:
            labels: dict[int | float, str] = {0: "0", 1: "1"}
            for code in specials:
                if code in special_labels:
                    labels[code] = label_text(special_labels[code], language)
            wide.special_columns[dcol] = list(specials)
            wide.value_labels[dcol] = labels
