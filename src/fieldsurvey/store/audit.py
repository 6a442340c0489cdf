"""The XLSForm ``audit`` question: ODK Collect's audit log, derived from the event log.

A form with a row of type ``audit`` asks for a log of how each interview was filled in.
Collect writes it on the device as ``audit.csv`` beside the submission; here the store's
event log already holds every move and every answer with its time, device and
interviewer, so the log is derived from it at export, for every interview of such a form:

* ``audit/<interview_uuid>.csv``: one interview's log in the format of ODK's client
  audit log specification (the file Collect attaches to a submission);
* ``audit.csv``: every interview's log stacked with an ``instance ID`` column first, as
  ODK Central's CSV export gives it.

Columns: ``event, node, start, end`` (times in milliseconds since 1970-01-01 UTC, from the
store's hybrid clock); ``latitude, longitude, accuracy`` when the audit's ``parameters``
ask for location (``location-priority`` ...): left blank, a terminal tracks no location in
the background; ``old-value, new-value`` with ``track-changes=true``; ``user`` with
``identify-user=true`` (the interviewer of the event); ``change-reason`` with
``track-changes-reasons=on-form-edit`` (the reason given when a soft warning was confirmed
on that question, the closest the terminal has).

Events, from the event kinds:

==========================  =================================================================
``form start``              the interview's ``start`` event
``form resume``             each later session's start (``para:session`` after the first)
``question``                a question shown, from the ``position`` event that moved there
                            (or a session's first page) to the next move, the page left
                            or the form finalised; ``node`` its XPath (``/data/grp/rep[2]/q``)
``group questions``         the same for a ``field-list`` page (``node`` the group); each
                            question changed on it gets a ``question`` row with the page's
                            times
``end screen``              the end page (position ``@end``)
``add repeat``              the time on a repeat's "add another?" prompt (``node`` the
                            repeat, in its parent's instance), as Collect's prompt event
``form finalize``           the interview submitted (``complete``)
``form save``/``form exit`` a session's end (every answer is saved as it is given)
==========================  =================================================================

Answers the interviewer did not give (preloads before the first page, metadata, calculated
values) are not questions shown and make no row. Values of personal questions (sensitive,
free text) are left out unless personal data is included, as in the tables.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fieldsurvey.questionnaire.model import Form, Group, Question, Repeat
from fieldsurvey.questionnaire.values import parse_key
from fieldsurvey.store import _files
from fieldsurvey.store._values import flat
from fieldsurvey.store.store import FieldStore

__all__ = ["AuditOptions", "audit_header", "audit_options", "audit_rows", "node_path",
           "write_audits"]

#: The root element of the instance, as pyxform names it.
ROOT = "data"
#: Question types whose answers are not given by the interviewer (no ``question`` rows).
_NOT_ASKED = frozenset({"calculate"})


@dataclass(frozen=True)
class AuditOptions:
    """What the form's ``audit`` question asks for (its ``parameters`` column)."""

    location: bool = False
    track_changes: bool = False
    identify_user: bool = False
    change_reasons: bool = False


def audit_options(form: Form) -> AuditOptions | None:
    """The options of ``form``'s audit question, or None when it has none."""
    q = next((q for q in form.questions if q.type == "audit"), None)
    if q is None:
        return None
    p = {k.strip().lower(): v.strip().lower() for k, v in q.parameters}
    return AuditOptions(
        location=any(k.startswith("location-") for k in p),
        track_changes=p.get("track-changes") == "true",
        identify_user=p.get("identify-user") == "true",
        change_reasons=p.get("track-changes-reasons") == "on-form-edit",
    )


def audit_header(options: AuditOptions) -> list[str]:
    """The CSV columns of a log with these options (the client audit log spec's order)."""
    cols = ["event", "node", "start", "end"]
    if options.location:
        cols += ["latitude", "longitude", "accuracy"]
    if options.track_changes:
        cols += ["old-value", "new-value"]
    if options.identify_user:
        cols.append("user")
    if options.change_reasons:
        cols.append("change-reason")
    return cols


def node_path(form: Form, key: str) -> str:
    """The XPath of an answer key or container as Collect writes it: ``/data/g/rep[2]/q``."""
    name, inst = parse_key(key)
    item = form.items_by_name.get(name)
    if item is None:
        return f"/{ROOT}/{name}"
    chain = [*item.parents, name]
    parts, k = [], 0
    for n in chain:
        it = form.items_by_name.get(n)
        if isinstance(it, Repeat) and k < len(inst):
            parts.append(f"{n}[{inst[k]}]")
            k += 1
        else:
            parts.append(n)
    return "/" + "/".join([ROOT, *parts])


def _page_group(form: Form, name: str) -> Group | None:
    """The ``field-list`` group a question is shown in, if any (the innermost)."""
    item = form.items_by_name.get(name)
    for p in reversed(item.parents if item is not None else ()):
        g = form.items_by_name.get(p)
        if isinstance(g, Group) and "field-list" in g.appearance.split():
            return g
        if isinstance(g, Repeat):
            return None
    return None


def _show(value: Any, vtype: Any) -> str:
    if vtype is None or value is None or (isinstance(value, float) and value != value):
        return ""
    v = flat(value, str(vtype))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class _Keys:
    """Answer keys' names and XPaths, cached (the same keys recur in every interview)."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self._parsed: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._nodes: dict[str, str] = {}

    def parse(self, key: str) -> tuple[str, tuple[int, ...]]:
        hit = self._parsed.get(key)
        if hit is None:
            hit = self._parsed[key] = parse_key(key)
        return hit

    def node(self, key: str) -> str:
        hit = self._nodes.get(key)
        if hit is None:
            hit = self._nodes[key] = node_path(self.form, key)
        return hit


@dataclass
class _Interval:
    event: str
    node: str
    key: str  # the answer key shown ("" for the end screen, a group's first key for a page)
    start: int
    user: str
    group: str = ""  # the field-list group's name for "group questions"
    changes: dict[str, list[str]] = field(default_factory=dict)  # key -> [old, new]
    reason: dict[str, str] = field(default_factory=dict)


class _Log:
    """The state machine that turns one interview's events into audit rows."""

    def __init__(self, form: Form, options: AuditOptions, personal: frozenset[str],
                 cache: _Keys | None = None) -> None:
        self.form, self.options, self.personal = form, options, personal
        self.keys = cache if cache is not None else _Keys(form)
        self.rows: list[dict[str, str]] = []
        self.open: _Interval | None = None
        #: When a session began whose first page is not known yet (no position saved):
        #: the page is the one of the session's first answer.
        self.pending: int | None = None
        self.position = ""  # the last position (where a session resumes)
        self.sessions = 0

    def row(self, event: str, node: str, start: int, end: int | None, user: str,
            old: str = "", new: str = "", reason: str = "") -> None:
        r = {"event": event, "node": node, "start": str(start),
             "end": "" if end is None else str(end)}
        if self.options.location:
            r.update({"latitude": "", "longitude": "", "accuracy": ""})
        if self.options.track_changes:
            r.update({"old-value": old, "new-value": new})
        if self.options.identify_user:
            r["user"] = user
        if self.options.change_reasons:
            r["change-reason"] = reason
        self.rows.append(r)

    def _value(self, key: str, text: str) -> str:
        return "" if key and self.keys.parse(key)[0] in self.personal else text

    def close(self, t: int) -> None:
        iv, self.open, self.pending = self.open, None, None
        if iv is None:
            return
        old, new = iv.changes.get(iv.key, ["", ""]) if iv.event == "question" else ("", "")
        self.row(iv.event, iv.node, iv.start, t, iv.user, self._value(iv.key, old),
                 self._value(iv.key, new), iv.reason.get(iv.key, ""))
        if iv.event == "group questions":
            for key, (o, n) in iv.changes.items():
                self.row("question", self.keys.node(key), iv.start, t, iv.user,
                         self._value(key, o), self._value(key, n), iv.reason.get(key, ""))

    def show(self, key: str, t: int, user: str) -> None:
        """Open the interval of the page at ``key`` (after closing the one before)."""
        self.close(t)
        self.position = key
        if key == "@end":
            self.open = _Interval("end screen", "", "", t, user)
            return
        if key.startswith("+"):  # a repeat's "add another?" prompt
            self.open = _Interval("add repeat", self.keys.node(key[1:]), "", t, user)
            return
        if not key:
            return
        name = self.keys.parse(key)[0]
        g = _page_group(self.form, name)
        if g is not None:
            gkey = self.keys.node(key).rsplit("/", 1)[0]
            self.open = _Interval("group questions", gkey, key, t, user, group=g.name)
        else:
            self.open = _Interval("question", self.keys.node(key), key, t, user)

    def answer(self, key: str, old: str, new: str, t: int, user: str) -> None:
        name, inst = self.keys.parse(key)
        q = self.form.items_by_name.get(name)
        if not isinstance(q, Question) or q.is_metadata or q.type in _NOT_ASKED:
            return
        if self.open is None and self.pending is not None:  # the session's first page
            self.show(key, self.pending, user)
        iv = self.open
        if iv is None:  # preloads before the first page
            return
        on_page = key == iv.key or (iv.group and iv.group in q.parents)
        if not on_page:  # answered elsewhere (a special-answer key ...): a moment
            self.row("question", self.keys.node(key), t, t, user,
                     self._value(key, old), self._value(key, new))
            return
        if key in iv.changes:
            iv.changes[key][1] = new
        else:
            iv.changes[key] = [old, new]

    def event(self, kind: str, key: str, value: Any, vtype: Any, detail: str | None, t: int,
              user: str) -> None:
        if kind == "start":
            self.row("form start", "", t, None, user)
        elif kind == "para:session":
            self.sessions += 1
            if self.sessions > 1:
                self.row("form resume", "", t, None, user)
            self.close(t)
            if self.position:
                self.show(self.position, t, user)
            else:
                self.pending = t
        elif kind == "position":
            self.show(key, t, user)
        elif kind in ("set", "change", "clear"):
            d = json.loads(detail) if detail else {}
            old = _show(d.get("old"), "s" if "old" in d else None)
            self.answer(key, old, _show(value, vtype), t, user)
        elif kind == "para:warning" and self.open is not None:
            d = json.loads(detail) if detail else {}
            self.open.reason[key] = str(d.get("reason") or "")
        elif kind == "complete":
            self.close(t)
            self.row("form finalize", "", t, None, user)
        elif kind == "para:session_end":
            self.close(t)
            self.row("form save", "", t, None, user)
            self.row("form exit", "", t, None, user)


_EVENT_COLUMNS = ("kind", "question", "instance", "value", "vtype", "detail", "hlc",
                  "interviewer")


def audit_rows(events: pd.DataFrame, form: Form, options: AuditOptions,
               personal: frozenset[str] = frozenset()) -> list[dict[str, str]]:
    """One interview's audit log from its events (``FieldStore.events(uuid)``), in order.

    Each row maps the columns of :func:`audit_header` to text; see the module docstring
    for the events. ``personal``: question names whose values are left out.
    """
    cols = [events[c].tolist() for c in _EVENT_COLUMNS]
    return _log_rows(zip(*cols, strict=True), form, options, personal)


def _log_rows(events: Iterable[Sequence[Any]], form: Form, options: AuditOptions,
              personal: frozenset[str], cache: _Keys | None = None) -> list[dict[str, str]]:
    """:func:`audit_rows` over event tuples in the order of :data:`_EVENT_COLUMNS`."""
    log = _Log(form, options, personal, cache)
    t = 0
    for kind, q, inst, value, vtype, detail, hlc, who in events:
        key = "" if q is None else f"{q}{inst or ''}"
        t = int(hlc) // 1000
        log.event(str(kind), key, value, vtype, detail, t, str(who or ""))
    if log.open is not None:  # a session still open (or killed): to its last event
        log.close(t)
    return log.rows


def _forms(store: FieldStore, form: Any) -> dict[tuple[str, str], Form]:
    """The forms by (form_id, version): the given one, else every one pinned in the store."""
    from fieldsurvey.questionnaire import load_form

    if isinstance(form, Form):
        return {(form.form_id, form.version): form}
    if isinstance(form, (str, Path)):
        f = load_form(form)
        return {(f.form_id, f.version): f}
    out: dict[tuple[str, str], Form] = {}
    with tempfile.TemporaryDirectory(prefix="fieldsurvey-audit-") as d:
        for k, pinned in enumerate(store.forms()):
            fid, ver = str(pinned["form_id"]), str(pinned["version"])
            name, content = store.form_file(fid, ver)
            p = Path(d) / str(k) / Path(name).name
            p.parent.mkdir()
            p.write_bytes(content)
            out[(fid, ver)] = load_form(p)
    return out


def write_audits(store: FieldStore, stage: Path, out: Path, *,
                 personal: Iterable[str] = (), form: Any = None, group: bool = False) -> int:
    """Write the audit logs of every interview whose form has an ``audit`` question.

    ``audit/<interview_uuid>.csv`` per interview and the stacked ``audit.csv`` (module
    docstring), staged under ``stage`` and moved into ``out`` when all are written (an older
    export's logs are replaced). Returns how many interviews got a log (0: nothing written,
    and an older ``audit.csv`` / ``audit/`` is removed).
    """
    forms = {k: f for k, f in _forms(store, form).items() if audit_options(f) is not None}
    (out / "audit.csv").unlink(missing_ok=True)
    shutil.rmtree(out / "audit", ignore_errors=True)
    if not forms:
        return 0
    pers = frozenset(personal)
    itvs = [i for i in store.interviews()
            if (str(i["form_id"]), str(i["form_version"])) in forms]
    if not itvs:
        return 0
    folder = stage / "audit"
    folder.mkdir(parents=True, exist_ok=True)
    stacked: list[dict[str, str]] = []
    header_all: list[str] = []
    # one pass over the event log (a merged store holds millions of events): by interview
    wanted = {str(i["uuid"]) for i in itvs}
    by_uuid: dict[str, list[tuple[Any, ...]]] = {}
    cur = store.connection.execute(
        f"SELECT interview_uuid, {', '.join(_EVENT_COLUMNS)} FROM events "
        "WHERE interview_uuid IS NOT NULL ORDER BY hlc, device_id, seq")
    for row in cur:
        if row[0] in wanted:
            by_uuid.setdefault(row[0], []).append(row[1:])
    caches = {k: _Keys(f) for k, f in forms.items()}
    for itv in itvs:
        fkey = (str(itv["form_id"]), str(itv["form_version"]))
        f = forms[fkey]
        options = audit_options(f)
        assert options is not None
        rows = _log_rows(by_uuid.get(str(itv["uuid"]), ()), f, options, pers, caches[fkey])
        header = audit_header(options)
        _write_csv(folder / f"{itv['uuid']}.csv", header, rows, group)
        header_all += [c for c in header if c not in header_all]
        stacked += [{"instance ID": str(itv["uuid"]), **r} for r in rows]
    _write_csv(stage / "audit.csv", ["instance ID", *header_all], stacked, group)
    (stage / "audit.csv").replace(out / "audit.csv")
    folder.replace(out / "audit")
    return len(itvs)


def _write_csv(path: Path, header: list[str], rows: Sequence[Mapping[str, str]],
               group: bool) -> None:
    """UTF-8, commas, LF line ends, quotes only where needed (the spec's CSV)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows([r.get(c, "") for c in header] for r in rows)
    _files.make_private(path, group=group)
