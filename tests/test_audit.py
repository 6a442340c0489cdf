"""The XLSForm ``audit`` question: ODK's audit log derived from the event log (issue 16).

The interview is written to the store in the order the TUI writes it (a session, the
answers of a page, then the move to the next page), with a clock that advances one second
per event, so every start and end below is known exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
from tui_support import FrozenClock

from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.store.audit import audit_header, audit_options, audit_rows, node_path
from fieldsurvey.store.export import export_store
from fieldsurvey.store.store import FieldStore

FORM = """\
settings:
  form_id: audit_test
  version: '1'
  default_language: en
languages:
- en
survey:
- type: audit
  name: audit
  parameters: track-changes=true identify-user=true location-priority=balanced location-min-interval=60 location-max-age=120
- type: text
  name: nick
  label: {en: Nickname}
  sensitive: 'yes'
- type: integer
  name: q1
  label: {en: First}
- type: begin group
  name: page
  appearance: field-list
  label: {en: Page}
- type: integer
  name: q2
  label: {en: Second}
- type: integer
  name: q3
  label: {en: Third}
- type: end group
- type: begin repeat
  name: rost
  label: {en: Roster}
- type: integer
  name: age
  label: {en: Age}
- type: end repeat
"""

T0 = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)


def ms(n: int) -> int:
    """Event ``n``'s time in the audit, relative to the start (event 3), in ms."""
    return (n - 3) * 1000


def _store(tmp_path: Path) -> tuple[FieldStore, str]:
    path = tmp_path / "audit.yaml"
    path.write_text(FORM, encoding="utf-8")
    form = load_form(path)
    st = FieldStore.create(tmp_path / "dev.sqlite", survey_id="S", device_id="dev1",
                           interviewer="int01", pii_salt="salt", clock=FrozenClock(T0))
    st.add_form(path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=path.name)
    st.assign(pd.DataFrame([{"dwelling_id": "340199001001-00001",
                             "community_id": "340199001001", "released": 1}]),
              form_id=form.form_id, form_version=form.version)
    return st, "340199001001-00001"


def _interview(st: FieldStore, d: str) -> str:
    """Two sessions as the TUI writes them; the event number is the clock's second."""
    uuid = st.start_interview(d, respondent_line=1)  # 3 (form, assign before)
    st.record_paradata(uuid, "session", detail={})  # 4: the first page is not saved yet
    st.set_answer(uuid, "nick", "Bo")  # 5
    st.set_position(uuid, "q1")  # 6
    st.set_answer(uuid, "q1", 5)  # 7
    st.set_answer(uuid, "q1", 6)  # 8: corrected on the same page
    st.set_position(uuid, "q2")  # 9: the field-list page
    st.set_answer(uuid, "q2", 1)  # 10
    st.set_answer(uuid, "q3", SpecialAnswer(-8, "dont_know"))  # 11
    st.set_answer(uuid, "username", "int01")  # 12: metadata at session end: no row
    st.record_paradata(uuid, "session_end", detail={"how": "left"})  # 13
    st.resume_interview(uuid)  # 14
    st.record_paradata(uuid, "session", detail={})  # 15: resumes at q2's page
    st.set_position(uuid, "+rost")  # 16
    st.set_position(uuid, "age[1]")  # 17
    st.set_answer(uuid, "age[1]", 30)  # 18
    st.set_position(uuid, "age[2]")  # 19
    st.set_answer(uuid, "age[2]", 7)  # 20
    st.set_position(uuid, "q1")  # 21: back to q1, changed again
    st.set_answer(uuid, "q1", 9)  # 22
    st.set_position(uuid, "@end")  # 23
    st.complete(uuid)  # 24
    st.record_paradata(uuid, "session_end", detail={"how": "submitted"})  # 25
    return uuid


def test_audit_rows_follow_the_interview(tmp_path: Path) -> None:
    st, d = _store(tmp_path)
    uuid = _interview(st, d)
    form = load_form(tmp_path / "audit.yaml")
    options = audit_options(form)
    assert options is not None and options.track_changes and options.location
    assert audit_header(options) == ["event", "node", "start", "end", "latitude",
                                     "longitude", "accuracy", "old-value", "new-value", "user"]
    rows = audit_rows(st.events(uuid), form, options, frozenset({"nick"}))
    t0 = int(rows[0]["start"])  # ms since 1970 (the clock ticks one second per event)
    assert t0 > int(T0.timestamp() * 1000)

    def rel(text: str) -> int | str:
        return "" if text == "" else int(text) - t0

    got = [(r["event"], r["node"], rel(r["start"]), rel(r["end"]), r["old-value"],
            r["new-value"]) for r in rows]
    assert got == [
        ("form start", "", ms(3), "", "", ""),
        ("question", "/data/nick", ms(4), ms(6), "", ""),  # personal: value left out
        ("question", "/data/q1", ms(6), ms(9), "", "6"),
        ("group questions", "/data/page", ms(9), ms(13), "", ""),
        ("question", "/data/page/q2", ms(9), ms(13), "", "1"),
        ("question", "/data/page/q3", ms(9), ms(13), "", "-8"),
        ("form save", "", ms(13), "", "", ""),
        ("form exit", "", ms(13), "", "", ""),
        ("form resume", "", ms(15), "", "", ""),
        ("group questions", "/data/page", ms(15), ms(16), "", ""),
        ("add repeat", "/data/rost", ms(16), ms(17), "", ""),  # the "add another?" prompt
        ("question", "/data/rost[1]/age", ms(17), ms(19), "", "30"),
        ("question", "/data/rost[2]/age", ms(19), ms(21), "", "7"),
        ("question", "/data/q1", ms(21), ms(23), "6", "9"),
        ("end screen", "", ms(23), ms(24), "", ""),
        ("form finalize", "", ms(24), "", "", ""),
        ("form save", "", ms(25), "", "", ""),
        ("form exit", "", ms(25), "", "", ""),
    ]
    assert {r["user"] for r in rows} == {"int01"}
    assert all(r["latitude"] == "" for r in rows)  # no background location in a terminal
    assert node_path(form, "age[3]") == "/data/rost[3]/age"
    st.close()


def test_export_writes_one_audit_per_interview_and_the_stacked_table(tmp_path: Path) -> None:
    st, d = _store(tmp_path)
    uuid = _interview(st, d)
    res = export_store(st, tmp_path / "out", format="csv")
    out = tmp_path / "out"
    assert res.rows["audit"] == 1 and res.files["audit"] == out / "audit.csv"
    one = (out / "audit" / f"{uuid}.csv").read_text(encoding="utf-8")
    assert one.splitlines()[0] == ("event,node,start,end,latitude,longitude,accuracy,"
                                   "old-value,new-value,user")
    assert "\r" not in one
    with open(out / "audit.csv", encoding="utf-8", newline="") as fh:
        stacked = list(csv.DictReader(fh))
    assert [r["instance ID"] for r in stacked] == [uuid] * 18
    assert stacked[1]["new-value"] == ""  # the sensitive nickname stays out
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["files"]["audit"] == "audit.csv" and manifest["rows"]["audit"] == 1
    export_store(st, tmp_path / "full", format="csv", include_pii=True)
    with open(tmp_path / "full" / "audit.csv", encoding="utf-8", newline="") as fh:
        assert list(csv.DictReader(fh))[1]["new-value"] == "Bo"
    st.close()


def test_no_audit_question_no_audit_files(tmp_path: Path) -> None:
    st, d = _store(tmp_path)
    path = tmp_path / "plain.yaml"
    path.write_text(FORM.replace("form_id: audit_test", "form_id: plain").split(
        "- type: audit")[0] + "- type: integer\n  name: q1\n  label: {en: First}\n",
        encoding="utf-8")
    res = export_store(st, tmp_path / "out", format="csv", form=path)
    assert "audit" not in res.rows and not (tmp_path / "out" / "audit.csv").exists()
    st.close()
