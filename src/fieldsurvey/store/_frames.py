"""The analysis tables read from a store: cases, respondents' answers (wide), attempts,
rosters and paradata.

The wide answers table is built one question column at a time (the ``answers`` table is
keyed by question first, so each column is one index range scan) and placed by interview
position with numpy, which keeps 100,000 interviews x 100 answers within seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fieldsurvey.store._labels import FormSpec, QuestionSpec, label_text, safe_name
from fieldsurvey.store._reads import read_frame

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.store.store import FieldStore

__all__ = ["Wide", "answers_wide", "attempts_frame", "cases_frame", "paradata_frame",
           "pseudonym", "roster_frame"]

#: Address columns of the assignments: personal data in exports unless included.
ADDRESS_COLUMNS: tuple[str, ...] = ("address", "building", "unit", "floor", "door")


def pseudonym(salt: str, value: Any) -> str | None:
    """A stable pseudonym of a value: HMAC-SHA256 keyed by the survey's salt, 12 hex."""
    if value is None:
        return None
    return "P" + hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()[:12]


def _expand_attributes(df: pd.DataFrame) -> pd.DataFrame:
    if not len(df):
        return df.drop(columns=["attributes"])
    extra = pd.DataFrame([json.loads(a) for a in df["attributes"]], index=df.index)
    extra = extra[[c for c in extra.columns if c not in df.columns]]
    return pd.concat([df.drop(columns=["attributes"]), extra], axis=1)


def _main_interviews(store: FieldStore) -> pd.DataFrame:
    """One interview per case: a closed one first, then the latest started."""
    itv = read_frame(store.connection,
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


def cases_frame(store: FieldStore) -> pd.DataFrame:
    """One row per case (issued sample line): the sample columns (stratum, community,
    dwelling, line, replicate, Kish table, ``pi_1``, ``pi_2``, ``pi``, ``base_weight``),
    the interviewer, address and community attributes, the attempt count, the respondent
    selection (``eligible_count``, ``chosen_line``, ``pi_respondent``), the main interview
    and the final disposition (``disposition``, ``category``, ``disposition_source``,
    ``override_reason``)."""
    conn = store.connection
    a = read_frame(conn, """
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
    disp = store.dispositions()
    out = a.merge(disp, on="dwelling_id", how="left")
    main = _main_interviews(store)
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


def attempts_frame(store: FieldStore) -> pd.DataFrame:
    """Every contact attempt with its case's community, in time order."""
    return read_frame(store.connection, """
        SELECT t.attempt_id, t.dwelling_id, a.community_id, t.time, t.interviewer, t.mode,
               t.outcome, t.appointment, t.note, t.device_id
        FROM attempts t JOIN assignments a USING (dwelling_id)
        ORDER BY t.dwelling_id, t.hlc, t.attempt_id""")


def roster_frame(store: FieldStore) -> pd.DataFrame:
    """Household members (current roster lines) with the case's respondent selection."""
    df = read_frame(store.connection, """
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


def paradata_frame(store: FieldStore) -> pd.DataFrame:
    """One row per interview event (start, resume, set, change, clear, position, complete,
    review, ``para:*``): who, when, which question, and ``seconds`` since the previous
    event of the same interview on the same device (the time spent on that question).
    Answer values are not repeated here."""
    df = read_frame(store.connection, """
        SELECT interview_uuid, device_id, seq, time, interviewer, kind,
               question || coalesce(instance, '') AS question,
               (hlc - lag(hlc) OVER (PARTITION BY interview_uuid, device_id ORDER BY seq))
                   / 1e6 AS seconds
        FROM events WHERE interview_uuid IS NOT NULL
        ORDER BY interview_uuid, device_id, seq""")
    df["seq"] = pd.to_numeric(df["seq"]).astype("int64")
    df["seconds"] = pd.to_numeric(df["seconds"]).astype("float64")
    return df


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


def answers_wide(store: FieldStore, spec: FormSpec | None = None, *, pii: str = "drop",
                 pii_questions: tuple[str, ...] = (), language: str | None = None) -> Wide:
    """One row per interview, one column per question (see :func:`export_store`).

    ``pii``: ``"drop"`` leaves personal-data questions out, ``"pseudonymise"`` replaces
    their values with stable pseudonyms, ``"include"`` keeps them.
    """
    conn = store.connection
    base = read_frame(conn, _BASE_SQL)
    iids = np.asarray(base["iid"].to_numpy(), dtype=np.int64)
    n = len(base)
    base = base.drop(columns=["iid"])
    base["respondent_line"] = pd.to_numeric(base["respondent_line"]).astype("Int64")
    wide = Wide(base, pii_mode=pii)
    keys = conn.execute("SELECT DISTINCT question, instance FROM answers").fetchall()
    questions = spec.questions if spec else {}
    order = {q: k for k, q in enumerate(questions)}
    keys.sort(key=lambda k: (order.get(k[0], len(order)), k[0],
                             [int(x) for x in re.findall(r"\d+", k[1])]))
    sensitive = set(pii_questions) | {q for q, s in questions.items() if s.sensitive}
    special_labels = {c: lab for c, _, lab in spec.specials} if spec else {}
    cols: dict[str, Any] = {}
    used = set(base.columns)

    def name_for(wanted: str) -> str:
        name, k = safe_name(wanted), 2
        while name in used:
            name, k = f"{safe_name(wanted)}_{k}", k + 1
        used.add(name)
        return name

    for q, inst in keys:
        qspec = questions.get(q)
        rows = conn.execute("SELECT iid, value, vtype FROM answers WHERE question = ? AND "
                            "instance = ? AND vtype IS NOT NULL", (q, inst)).fetchall()
        if not rows:
            continue
        ii, vals, vts = zip(*rows)
        pos = np.searchsorted(iids, np.fromiter(ii, np.int64, len(ii)))
        col = name_for(q + _inst_suffix(inst))
        label = label_text(qspec.label, language) if qspec else q
        label = label + (f" [{inst.strip('[]').replace('][', ',')}]" if inst else "")
        if q in sensitive and pii != "include":
            wide.pii_columns.append(col)
            if pii == "drop":
                used.discard(col)
                continue
            arr = np.full(n, None, dtype=object)
            arr[pos] = [pseudonym(store.meta.get("pii_salt", ""), v) for v in vals]
            cols[col] = arr
            wide.variable_labels[col] = label
            wide.questions[col] = q + inst
            continue
        vtset = set(vts)
        is_special = [t.startswith("x") for t in vts]
        specials_here = sorted({int(v) for v, s in zip(vals, is_special) if s})
        if "l" in vtset or (qspec and qspec.type == "select_multiple"):
            _select_multiple(cols, wide, n, pos, vals, vts, col, label, qspec, language,
                             name_for, specials_here, special_labels)
            wide.questions[col] = q + inst
            continue
        numeric = vtset <= {"i", "f", "b"} | {t for t in vtset if t.startswith("x")}
        as_number = qspec is not None and qspec.type == "select_one" and qspec.numeric_choices
        if numeric or (as_number and vtset - {"s"} <= {t for t in vtset if t.startswith("x")}):
            num = np.array([float(v) for v in vals], dtype=np.float64)
            arr = np.full(n, np.nan)
            arr[pos] = num
            if "f" in vtset or not np.all(np.isnan(arr) | (arr == np.round(arr))):
                cols[col] = arr
            else:
                cols[col] = pd.array(np.where(np.isnan(arr), 0, arr).astype(np.int64),
                                     dtype="Int64")
                cols[col][np.isnan(arr)] = pd.NA
            labels: dict[int | float, str] = {}
            if qspec is not None and qspec.choices and as_number:
                labels.update({int(c): label_text(lab, language) for c, lab in qspec.choices})
            for code in set(specials_here) | set(qspec.special if qspec else ()):
                if code in special_labels:
                    labels[code] = label_text(special_labels[code], language)
            if labels:
                wide.value_labels[col] = labels
        else:
            arr = np.full(n, None, dtype=object)
            arr[pos] = [str(v) for v in vals]
            cols[col] = arr
        if specials_here or (qspec and qspec.special):
            wide.special_columns[col] = sorted(set(specials_here) | set(
                qspec.special if qspec else ()))
        wide.variable_labels[col] = label
        wide.questions[col] = q + inst
    if cols:
        wide.frame = pd.concat([base, pd.DataFrame(cols, index=base.index)], axis=1)
    return wide


def _select_multiple(cols: dict[str, Any], wide: Wide, n: int, pos: np.ndarray,
                     vals: tuple[Any, ...], vts: tuple[str, ...], col: str, label: str,
                     qspec: QuestionSpec | None, language: str | None, name_for: Any,
                     specials: list[int], special_labels: dict[int, dict[str, str]]) -> None:
    """The raw list (space-separated names) plus one 0/1 column per choice; a special
    answer puts its code in every choice column, an unanswered question leaves them empty."""
    chosen: list[list[str] | int] = []
    for v, t in zip(vals, vts):
        if t == "l":
            chosen.append(json.loads(v))
        elif t.startswith("x"):
            chosen.append(int(v))
        else:
            chosen.append(str(v).split())
    raw = np.full(n, None, dtype=object)
    raw[pos] = [" ".join(c) if isinstance(c, list) else str(c) for c in chosen]
    cols[col] = raw
    wide.variable_labels[col] = label
    if qspec is not None and qspec.choices:
        names = [c for c, _ in qspec.choices]
        clabels = {c: label_text(lab, language) for c, lab in qspec.choices}
    else:
        names = sorted({x for c in chosen if isinstance(c, list) for x in c},
                       key=lambda s: (not s.lstrip("-").isdigit(), int(s) if
                                      s.lstrip("-").isdigit() else 0, s))
        clabels = {c: c for c in names}
    for name in names:
        dcol = name_for(f"{col}_{name}")
        arr = np.full(n, np.nan)
        arr[pos] = [float(c) if isinstance(c, int) else float(name in c) for c in chosen]
        out = pd.array(np.where(np.isnan(arr), 0, arr).astype(np.int64), dtype="Int64")
        out[np.isnan(arr)] = pd.NA
        cols[dcol] = out
        wide.variable_labels[dcol] = f"{label}: {clabels.get(name, name)}"
        labels: dict[int | float, str] = {0: "0", 1: "1"}
        for code in specials:
            if code in special_labels:
                labels[code] = label_text(special_labels[code], language)
        if specials:
            wide.special_columns[dcol] = list(specials)
            wide.value_labels[dcol] = labels
