"""Quality flags from the event log: the supervisor's high-frequency checks.

Every answer in a field store is an event with its wall-clock time, so the paradata a
supervisor needs are already there. :func:`quality_report` computes, per interview:

* **duration** (active seconds: the gaps between consecutive answer events, each capped
  at :attr:`QualityThresholds.max_gap_seconds` so a pause or a second visit does not
  count) and **seconds per question**; an interview faster than
  :attr:`~QualityThresholds.speeding_seconds` per question is flagged ``speeding``;
* **straight-lining**: in every grid (a ``field-list`` group, or consecutive ``likert``
  questions, with at least :attr:`~QualityThresholds.grid_min_items` select-one items on
  one choice list) all items given the same answer;
* the **share of special answers** (不知道 / 拒绝回答);
* interviews **started outside working hours** (local time of the start event);
* the **GPS distance** between the interview's geopoint answer and the sampled
  dwelling's ``lon``/``lat`` when both exist;

and per interviewer, compared with the whole team: the median seconds per question, the
share of speeding and straight-lined interviews, the special-answer share, the **outcome
mix** of their cases (interview, refusal, non-contact, not eligible shares; a far higher
interview share with far fewer refusals and non-contacts than the team is the classic
sign of made-up interviews) and **completes per working day**. Each rule that fires is
one row of :attr:`QualityReport.flags` with the value, the threshold and the team's
value.

The functions read the store's tables with SQL on its connection (vectorised with
pandas; nothing is written).
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.store import queries
from fieldsurvey.store.store import FieldStore

__all__ = ["QualityReport", "QualityThresholds", "grids_of", "quality_report"]

_ANSWER_KINDS = ("set", "change")


@dataclass(frozen=True)
class QualityThresholds:
    """The stated thresholds of the flags (all can be changed)."""

    speeding_seconds: float = 3.0
    """An interview with fewer seconds per question than this is ``speeding``."""
    max_gap_seconds: float = 300.0
    """A gap between two answers longer than this counts as this (a pause, a revisit)."""
    grid_min_items: int = 3
    """A grid needs at least this many select-one items on one choice list."""
    special_share: float = 0.2
    """An interview with a larger share of special answers is flagged."""
    work_start_hour: int = 8
    work_end_hour: int = 21
    """Interviews started before ``work_start_hour`` or from ``work_end_hour`` on."""
    gps_distance_m: float = 200.0
    """An interview recorded farther than this from its sampled dwelling."""
    interviewer_share: float = 0.5
    """An interviewer with at least this share of speeding (or straight-lined)
    interviews is flagged."""
    interview_share_margin: float = 0.25
    """Outcome mix: interview share above the team's by this much, with refusals and
    non-contacts below half the team's."""
    completes_per_day_ratio: float = 2.0
    """Completes per working day above this multiple of the team's median."""
    min_interviews: int = 3
    """Interviewer-level rules need at least this many interviews."""


@dataclass
class QualityReport:
    """Per interview, per interviewer, and one row per flag that fired."""

    interviews: pd.DataFrame
    interviewers: pd.DataFrame
    flags: pd.DataFrame
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON-able records."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            clean = df.astype(object).where(df.notna(), None)
            return [{str(k): _plain(v) for k, v in r.items()}
                    for r in clean.to_dict("records")]

        return {"thresholds": asdict(self.thresholds), "interviews": records(self.interviews),
                "interviewers": records(self.interviewers), "flags": records(self.flags)}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# -- grids of a form --------------------------------------------------------------------
def grids_of(form: Any, min_items: int = 3) -> dict[str, list[str]]:
    """Grid name -> its select-one question names (see the module docstring).

    ``form`` is a loaded :class:`~fieldsurvey.questionnaire.model.Form`.
    """
    out: dict[str, list[str]] = {}

    def walk(items: Any) -> None:
        run: list[Any] = []

        def close() -> None:
            if run:
                _add(out, f"{run[0].name}…", run, min_items)
            run.clear()

        for it in items:
            kids = getattr(it, "children", None)
            if kids is not None:
                close()
                if getattr(it, "field_list", False):
                    _add(out, it.name, [q for q in kids if _gridable(q)], min_items)
                else:
                    walk(kids)
                continue
            if _gridable(it) and "likert" in it.appearance.split():
                if run and run[-1].choice_list != it.choice_list:
                    close()
                run.append(it)
            else:
                close()
        close()

    walk(form.children)
    return out


def _gridable(q: Any) -> bool:
    return getattr(q, "type", "") == "select_one" and bool(getattr(q, "choice_list", None))


def _add(out: dict[str, list[str]], name: str, qs: list[Any], min_items: int) -> None:
    by_list: dict[str, list[str]] = {}
    for q in qs:
        by_list.setdefault(q.choice_list, []).append(q.name)
    best = max(by_list.values(), key=len, default=[])
    if len(best) >= min_items:
        out[name] = best


def _forms(store: FieldStore) -> dict[tuple[str, str], Any]:
    from fieldsurvey.questionnaire import load_form

    out: dict[tuple[str, str], Any] = {}
    conn = store.connection
    for f in queries.forms(conn):
        name, content = queries.form_file(conn, f["form_id"], f["version"])
        with tempfile.TemporaryDirectory(prefix="fieldsurvey-quality-") as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(content)
            try:
                out[(f["form_id"], f["version"])] = load_form(path)
            except Exception:  # noqa: BLE001 - a form that no longer loads: no grids
                continue
    return out


# -- per interview ---------------------------------------------------------------------
def _interview_frame(store: FieldStore, th: QualityThresholds) -> pd.DataFrame:
    conn = store.connection
    itv = queries.query_frame(
        conn, "SELECT uuid, dwelling_id, interviewer, form_id, form_version, started_at, "
        "completed_at, status, outcome FROM interviews")
    if not len(itv):
        return itv
    ev = queries.query_frame(
        conn, "SELECT interview_uuid AS uuid, kind, time, question, instance, vtype FROM events "
        "WHERE interview_uuid IS NOT NULL AND kind IN ('start', 'set', 'change', 'complete')")
    ev["t"] = pd.to_datetime(ev["time"], utc=True, format="ISO8601")
    start = ev[ev["kind"] == "start"].groupby("uuid")["t"].min()
    ans = ev[ev["kind"].isin(_ANSWER_KINDS)].copy()
    ans["start"] = ans["uuid"].map(start)
    # preloads (roster, respondent) are written with the start: not answered by anyone
    ans = ans[(ans["t"] - ans["start"]).dt.total_seconds() > 1.0]
    ans = ans.sort_values(["uuid", "t"], kind="mergesort")
    gap = ans.groupby("uuid")["t"].diff().dt.total_seconds()
    first_gap = (ans["t"] - ans["start"]).dt.total_seconds()
    ans["gap"] = gap.fillna(first_gap).clip(lower=0, upper=th.max_gap_seconds)
    per = ans.groupby("uuid").agg(answers=("gap", "size"), duration_s=("gap", "sum"))
    out = itv.set_index("uuid").join(per)
    out["answers"] = out["answers"].fillna(0).astype(int)
    out["duration_s"] = out["duration_s"].fillna(0.0)
    out["sec_per_question"] = out["duration_s"] / out["answers"].where(out["answers"] > 0)
    cur = queries.query_frame(
        conn, "SELECT i.uuid, a.question, a.value, a.vtype FROM answers a JOIN interviews i "
        "ON i.iid = a.iid WHERE a.vtype IS NOT NULL")
    special = cur["vtype"].astype(str).str.startswith("x")
    n_cur = cur.groupby("uuid").size()
    n_sp = cur[special].groupby("uuid").size()
    denom = n_cur.reindex(out.index).astype(float)
    out["special_share"] = (n_sp.reindex(out.index).fillna(0).astype(float)
                            / denom.where(denom > 0))
    st_local = pd.Series([_local_hour(t) for t in out["started_at"]], index=out.index)
    out["start_hour"] = st_local
    out["outside_hours"] = (st_local < th.work_start_hour) | (st_local >= th.work_end_hour)
    out = out.join(_straightlining(store, cur, out, th))
    out = out.join(_gps(store, cur))
    return out.reset_index()


def _local_hour(text: object) -> float:
    try:
        return float(pd.Timestamp(str(text)).hour)
    except (ValueError, TypeError):
        return float("nan")


def _straightlining(store: FieldStore, cur: pd.DataFrame, itv: pd.DataFrame,
                    th: QualityThresholds) -> pd.DataFrame:
    forms = _forms(store)
    rows = []
    plain = cur[~cur["vtype"].astype(str).str.startswith("x")]
    by_uuid = {u: dict(zip(g["question"], g["value"], strict=True))
               for u, g in plain.groupby("uuid")}
    grid_cache: dict[tuple[str, str], dict[str, list[str]]] = {}
    for uuid, fid, fver in zip(itv.index, itv["form_id"], itv["form_version"], strict=True):
        key = (str(fid), str(fver))
        if key not in grid_cache:
            form = forms.get(key)
            grid_cache[key] = grids_of(form, th.grid_min_items) if form is not None else {}
        grids = grid_cache[key]
        answers = by_uuid.get(uuid, {})
        n_grids = n_straight = 0
        names = []
        for gname, qs in grids.items():
            vals = [answers[q] for q in qs if q in answers]
            if len(vals) < th.grid_min_items:
                continue
            n_grids += 1
            if len({str(v) for v in vals}) == 1:
                n_straight += 1
                names.append(gname)
        rows.append((uuid, n_grids, n_straight, ", ".join(names)))
    return pd.DataFrame(rows, columns=["uuid", "grids", "grids_straight",
                                       "straight_grids"]).set_index("uuid")


def _gps(store: FieldStore, cur: pd.DataFrame) -> pd.DataFrame:
    """Distance (m) between a geopoint answer (``lat lon ...``) and the dwelling's point."""
    a = store.assignments()
    out = pd.DataFrame({"gps_distance_m": pd.Series(dtype=float)})
    if not {"lon", "lat"} <= set(a.columns):
        return out
    pts = cur[cur["value"].astype(str).str.fullmatch(r"-?\d+(\.\d+)? -?\d+(\.\d+)?( .*)?")]
    if not len(pts):
        return out
    conn = store.connection
    where = queries.query_frame(conn, "SELECT uuid, dwelling_id FROM interviews")
    first = pts.drop_duplicates("uuid").merge(where, on="uuid")
    xy = a.set_index("dwelling_id")[["lon", "lat"]].astype(float)
    first = first.join(xy, on="dwelling_id")
    parts = first["value"].astype(str).str.split(" ", expand=True)
    lat1, lon1 = parts[0].astype(float), parts[1].astype(float)
    d = _haversine(lat1.to_numpy(), lon1.to_numpy(), first["lat"].to_numpy(dtype=float),
                   first["lon"].to_numpy(dtype=float))
    return pd.DataFrame({"gps_distance_m": d}, index=first["uuid"].to_numpy())


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
               lon2: np.ndarray) -> np.ndarray:
    r = 6_371_000.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * r * np.arcsin(np.sqrt(h)), dtype=float)


# -- per interviewer and flags ------------------------------------------------------------
def _interviewers(store: FieldStore, itv: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    a = store.assignments()[["dwelling_id", "interviewer"]]
    disp = queries.dispositions(store.connection).merge(a, on="dwelling_id")
    mix = pd.crosstab(disp["interviewer"], disp["category"], normalize="index")
    for c in ("I", "P", "R", "NC", "O", "NE"):
        if c not in mix.columns:
            mix[c] = 0.0
    closed = itv[itv["status"].isin(["completed", "partial"])].copy()
    closed["day"] = closed["completed_at"].astype(str).str[:10]
    per_day = (closed.groupby(["interviewer", "day"]).size().groupby(level=0).mean()
               if len(closed) else pd.Series(dtype=float))
    g = itv.groupby("interviewer")
    out = pd.DataFrame({
        "interviews": g.size(),
        "completes": closed.groupby("interviewer").size(),
        "median_sec_per_question": g["sec_per_question"].median(),
        "speeding_share": g["speeding"].mean(),
        "straight_share": g["straightlined"].mean(),
        "special_share": g["special_share"].mean(),
        "outside_hours_share": g["outside_hours"].mean(),
        "completes_per_day": per_day,
    })
    out["interview_share"] = mix["I"] + mix["P"]
    out["refusal_share"] = mix["R"]
    out["noncontact_share"] = mix["NC"]
    out["ineligible_share"] = mix["NE"]
    out["interviews"] = out["interviews"].fillna(0).astype(int)
    out["completes"] = out["completes"].fillna(0).astype(int)
    out.index.name = "interviewer"
    return out.reset_index()


class _Row:
    """A record with attribute access (values typed Any for the checks below)."""

    def __init__(self, rec: dict[Any, Any]) -> None:
        self.__dict__.update({str(k): v for k, v in rec.items()})

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def _flag_rows(itv: pd.DataFrame, who: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def add(level: str, interviewer: Any, uuid: Any, dwelling: Any, flag: str, value: Any,
            threshold: Any, team: Any, message: str) -> None:
        rows.append({"level": level, "interviewer": interviewer, "uuid": uuid,
                     "dwelling_id": dwelling, "flag": flag, "value": _plain(value),
                     "threshold": threshold, "team": _plain(team), "message": message})

    team_spq = float(itv["sec_per_question"].median()) if len(itv) else float("nan")
    for rec in itv.to_dict("records"):
        r = _Row(rec)
        if r.speeding:
            add("interview", r.interviewer, r.uuid, r.dwelling_id, "speeding",
                round(float(r.sec_per_question), 2), th.speeding_seconds, round(team_spq, 2),
                f"{r.sec_per_question:.1f} s per question (< {th.speeding_seconds:g} s)")
        if r.straightlined:
            add("interview", r.interviewer, r.uuid, r.dwelling_id, "straight_lining",
                int(r.grids_straight), 1, None,
                f"the same answer to every item of {r.straight_grids}")
        if r.special_share > th.special_share:
            add("interview", r.interviewer, r.uuid, r.dwelling_id, "special_answers",
                round(float(r.special_share), 3), th.special_share, None,
                f"{r.special_share:.0%} 不知道/拒绝回答")
        if r.outside_hours:
            add("interview", r.interviewer, r.uuid, r.dwelling_id, "outside_hours",
                r.start_hour, f"{th.work_start_hour}-{th.work_end_hour}", None,
                f"started at {int(r.start_hour):02d}h")
        if r.gps_distance_m > th.gps_distance_m:
            add("interview", r.interviewer, r.uuid, r.dwelling_id, "gps_distance",
                round(float(r.gps_distance_m), 1), th.gps_distance_m, None,
                f"{r.gps_distance_m:.0f} m from the sampled dwelling")
    team = {c: float(who[c].median()) for c in ("interview_share", "refusal_share",
                                                 "noncontact_share", "completes_per_day")}
    team_nc_r = team["refusal_share"] + team["noncontact_share"]
    for rec in who.to_dict("records"):
        r = _Row(rec)
        if r.interviews < th.min_interviews:
            continue
        for col, flag, what in (("speeding_share", "speeding", "speeding"),
                                ("straight_share", "straight_lining", "straight-lined")):
            v = float(getattr(r, col))
            if v >= th.interviewer_share:
                add("interviewer", r.interviewer, None, None, flag, round(v, 3),
                    th.interviewer_share, round(float(who[col].median()), 3),
                    f"{v:.0%} of the interviews {what}")
        nc_r = float(r.refusal_share + r.noncontact_share)
        if (r.interview_share > team["interview_share"] + th.interview_share_margin
                and nc_r < 0.5 * team_nc_r):
            add("interviewer", r.interviewer, None, None, "outcome_mix",
                round(float(r.interview_share), 3), th.interview_share_margin,
                round(team["interview_share"], 3),
                f"interviews {r.interview_share:.0%} of cases (team "
                f"{team['interview_share']:.0%}), refusals+non-contacts {nc_r:.0%} "
                f"(team {team_nc_r:.0%})")
        cpd = float(r.completes_per_day)
        if cpd > th.completes_per_day_ratio * team["completes_per_day"]:
            add("interviewer", r.interviewer, None, None, "completes_per_day", round(cpd, 2),
                th.completes_per_day_ratio, round(team["completes_per_day"], 2),
                f"{cpd:.1f} completes per day (team median "
                f"{team['completes_per_day']:.1f})")
    cols = ["level", "interviewer", "uuid", "dwelling_id", "flag", "value", "threshold",
            "team", "message"]
    return pd.DataFrame(rows, columns=cols)


def quality_report(store: FieldStore | str | Path,
                   thresholds: QualityThresholds | None = None) -> QualityReport:
    """The quality flags of a (merged or device) field store.

    Parameters
    ----------
    store
        An open :class:`FieldStore` or the path of one (opened read-only).
    thresholds
        The thresholds of the flags (default :class:`QualityThresholds`).

    Returns
    -------
    QualityReport
        ``interviews`` (one row per interview with its measures and flags),
        ``interviewers`` (per interviewer, beside the team) and ``flags`` (one row per
        rule that fired).
    """
    th = thresholds or QualityThresholds()
    own = not isinstance(store, FieldStore)
    st = store if isinstance(store, FieldStore) else FieldStore.open(store, readonly=True,
                                                                      check=False)
    try:
        itv = _interview_frame(st, th)
        if not len(itv):
            empty = pd.DataFrame()
            return QualityReport(empty, empty, _flag_rows(
                pd.DataFrame(columns=["sec_per_question"]), pd.DataFrame(
                    columns=["interview_share", "refusal_share", "noncontact_share",
                             "completes_per_day"]), th), th)
        itv["grids"] = itv["grids"].fillna(0).astype(int)
        itv["grids_straight"] = itv["grids_straight"].fillna(0).astype(int)
        itv["straight_grids"] = itv["straight_grids"].astype(object).fillna("")
        itv["speeding"] = (itv["answers"] >= 5) & (itv["sec_per_question"]
                                                   < th.speeding_seconds)
        itv["straightlined"] = itv["grids_straight"] > 0
        itv["special_share"] = itv["special_share"].fillna(0.0)
        if "gps_distance_m" not in itv.columns:
            itv["gps_distance_m"] = np.nan
        who = _interviewers(st, itv, th)
        flags = _flag_rows(itv, who, th)
        names = flags[flags["level"] == "interview"].groupby("uuid")["flag"].agg(
            lambda s: " ".join(sorted(set(s))))
        itv["flags"] = itv["uuid"].map(names).astype(object).fillna("")
        who_flags = flags[flags["level"] == "interviewer"].groupby("interviewer")["flag"].agg(
            lambda s: " ".join(sorted(set(s))))
        who["flags"] = who["interviewer"].map(who_flags).astype(object).fillna("")
        return QualityReport(itv, who, flags, th)
    finally:
        if own:
            st.close()


def report_json(report: QualityReport) -> str:
    """The report as JSON text."""
    return json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=str)
