"""FieldStore API: assignments, attempts, roster, selection, interviews, answers, review,
dispositions and their rule."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from _storekit import StepClock, make_store, sample_frame

from fieldsurvey.io.errors import ColumnError, StoreError
from fieldsurvey.questionnaire.model import DEFAULT_SPECIAL_ANSWERS, SpecialAnswer
from fieldsurvey.store import FieldStore
from fieldsurvey.store.dispositions import final_disposition, outcome_rank
from fieldsurvey.store.schema import APPLICATION_ID, SCHEMA_VERSION, SPARSE_EVENTS

DK = DEFAULT_SPECIAL_ANSWERS[0]


def test_create_sets_pragmas_and_meta(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert store.survey_id == "SURVEY1" and store.device_id == "dev-A"
    with pytest.raises(StoreError, match="already exists"):
        FieldStore.create(tmp_path / "a.sqlite", survey_id="X")


def test_assignments_keep_sample_columns_and_attributes(tmp_path):
    store = make_store(tmp_path / "a.sqlite", n=4)
    a = store.assignments()
    assert len(a) == 4
    row = a.set_index("dwelling_id").loc["C1-000"]
    assert row["pi"] == 0.05 and row["base_weight"] == 20.0 and row["kish_table"] == "A"
    assert row["street"] == "东街" and row["address"] == "幸福路0号"
    assert row["interviewer"] == "w1" and row["form_id"] == "f"
    # reassigning a line is an update, not a duplicate
    store.assign(sample_frame(1), interviewer="w2")
    a = store.assignments().set_index("dwelling_id")
    assert len(a) == 4 and a.loc["C1-000", "interviewer"] == "w2"


def test_assign_rejects_bad_samples(tmp_path):
    store = FieldStore.create(tmp_path / "a.sqlite", survey_id="S")
    with pytest.raises(ColumnError, match="interviewer"):
        store.assign(sample_frame(2))
    df = sample_frame(2)
    df.loc[1, "dwelling_id"] = df.loc[0, "dwelling_id"]
    with pytest.raises(StoreError, match="issued twice"):
        store.assign(df, interviewer="w")
    assert len(store.assignments()) == 0


def test_attempts_validate_codes_and_cases(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    aid = store.record_attempt("C1-000", "2.24", note="敲门无人")
    store.record_attempt("C1-000", "2.25", appointment=dt.datetime(2026, 5, 2, 19, 0),
                         mode="phone")
    att = store.attempts("C1-000")
    assert [a["outcome"] for a in att] == ["2.24", "2.25"]
    assert att[0]["attempt_id"] == aid and att[0]["note"] == "敲门无人"
    assert att[1]["appointment"].startswith("2026-05-02T19:00")
    with pytest.raises(StoreError, match="AAPOR"):
        store.record_attempt("C1-000", "7.7")
    with pytest.raises(StoreError, match="no such case"):
        store.record_attempt("nope", "2.24")
    with pytest.raises(StoreError, match="contact mode"):
        store.record_attempt("C1-000", "2.24", mode="pigeon")


def test_roster_and_selection(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    store.set_roster_member("C1-000", 1, sex="1", age=70, name="老王", resident=True,
                            eligible=True)
    store.set_roster_member("C1-000", 2, sex="2", age=68, resident=True, eligible=True)
    store.set_roster_member("C1-000", 3, sex="2", age=10, eligible=False)
    store.set_roster_member("C1-000", 2, sex="2", age=67, resident=True, eligible=True)
    store.remove_roster_member("C1-000", 3)
    roster = store.roster("C1-000")
    assert [m["line"] for m in roster] == [1, 2] and roster[1]["age"] == 67
    store.record_selection("C1-000", method="kish", kish_table="A", eligible_count=2,
                           chosen_line=1)
    sel = store.selection("C1-000")
    assert sel["probability"] == pytest.approx(0.5) and sel["kish_table"] == "A"
    uuid = store.start_interview("C1-000")
    assert store.interview(uuid).respondent_line == 1
    with pytest.raises(StoreError, match="between 0 and 130"):
        store.set_roster_member("C1-000", 4, age=300)
    with pytest.raises(StoreError, match=r"\(0, 1\]"):
        store.record_selection("C1-000", method="kish", eligible_count=2, chosen_line=1,
                               probability=1.5)


def test_answers_roundtrip_every_type_and_history(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    uuid = store.start_interview("C1-000")
    values = {"a1": 2, "a5": 3.5, "f1": "很好", "b1": ("1", "3"), "ack": True,
              "d": dt.date(2026, 5, 1), "d3": DK, "x": SpecialAnswer(-7, "not_applicable")}
    for k, v in values.items():
        store.set_answer(uuid, k, v)
    store.set_answer(uuid, "h_age", 30, instance=(2,))
    store.set_answer(uuid, "a1", 1)
    store.clear_answer(uuid, "f1")
    got = store.answers(uuid)
    assert got["h_age[2]"] == 30 and got["a1"] == 1 and "f1" not in got
    assert got["b1"] == ("1", "3") and got["ack"] is True and got["d"] == dt.date(2026, 5, 1)
    assert got["d3"] == DK and got["x"] == SpecialAnswer(-7, "not_applicable")
    ev = store.events(uuid)
    kinds = ev[ev["question"] == "a1"]["kind"].tolist()
    assert kinds == ["set", "change"]
    assert ev[ev["question"] == "f1"]["kind"].tolist() == ["set", "clear"]
    with pytest.raises(StoreError, match="NaN"):
        store.set_answer(uuid, "a5", float("nan"))
    with pytest.raises(StoreError, match="type"):
        store.set_answer(uuid, "a5", object())


def test_position_resume_complete_review_cycle(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    uuid = store.start_interview("C1-000")
    store.set_answer(uuid, "a1", 1)
    store.set_position(uuid, "b2")
    store.record_paradata(uuid, "enter", question="b2", detail={"lang": "zh"})
    state = store.resume_interview(uuid)
    assert state.position == "b2" and state.answers == {"a1": 1} and state.status == "in_progress"
    store.complete(uuid)
    with pytest.raises(StoreError, match="cannot be changed"):
        store.set_answer(uuid, "a1", 2)
    assert store.interview(uuid).review_state == "pending"
    with pytest.raises(StoreError, match="needs a comment"):
        store.review(uuid, "reject", reviewer="sup")
    store.review(uuid, "reject", reviewer="sup", question_comments={"a1": "请核实"})
    comments = store.review_comments(uuid)
    assert comments[0]["question"] == "a1" and comments[0]["comment"] == "请核实"
    state = store.resume_interview(uuid)  # a rejected interview reopens
    assert state.status == "in_progress" and state.review_state == "rejected"
    store.set_answer(uuid, "a1", 2)
    store.complete(uuid)
    store.review(uuid, "approve", reviewer="sup")
    assert store.interview(uuid).review_state == "approved"
    assert store.resume_interview(uuid).status == "completed"  # approved stays closed
    with pytest.raises(StoreError, match="1.1"):
        store.complete(store.start_interview("C2-001"), outcome="2.12")


def test_start_interview_needs_form_and_unique_uuid(tmp_path):
    store = FieldStore.create(tmp_path / "a.sqlite", survey_id="S", interviewer="w")
    store.assign(sample_frame(2))
    with pytest.raises(StoreError, match="questionnaire"):
        store.start_interview("C1-000")
    u = store.start_interview("C1-000", form_id="f", form_version="2", uuid="u-1")
    assert store.interview(u).form_version == "2"
    with pytest.raises(StoreError, match="exists already"):
        store.start_interview("C1-000", form_id="f", uuid="u-1")
    with pytest.raises(StoreError, match="no such interview"):
        store.set_answer("u-2", "a1", 1)


def test_forms_are_pinned_byte_for_byte(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    store.add_form(b"form bytes", form_id="f", version="1", filename="f.xlsx")
    store.add_form(b"form bytes", form_id="f", version="1", filename="f.xlsx")  # idempotent
    assert store.form_file("f", "1") == ("f.xlsx", b"form bytes")
    with pytest.raises(StoreError, match="new version"):
        store.add_form(b"changed", form_id="f", version="1", filename="f.xlsx")


def test_clock_is_injected_and_hlc_monotonic(tmp_path):
    clock = StepClock(step=60)
    store = make_store(tmp_path / "a.sqlite", clock=clock)
    uuid = store.start_interview("C1-000")
    clock.now -= dt.timedelta(hours=2)  # the device clock jumps back
    store.set_answer(uuid, "a1", 1)
    store.set_answer(uuid, "a1", 2)
    ev = store.events(uuid)
    assert ev["hlc"].is_monotonic_increasing
    assert ev["time"].iloc[-1].startswith("2026-05-01T07:")
    assert store.answers(uuid)["a1"] == 2


def test_disposition_rule_most_informative_not_last():
    # refusal, then no one home: the refusal stays
    assert final_disposition([(1, "2.111"), (2, "2.24")]).code == "2.111"
    # non-contacts, then found vacant: vacant
    assert final_disposition([(1, "2.24"), (2, "2.24"), (3, "4.61")]).code == "4.61"
    # same class: the latest
    assert final_disposition([(1, "2.24"), (2, "2.25")]).code == "2.25"
    # an interview beats everything; a refusal beats a later "vacant"
    assert final_disposition([(1, "2.111")], [(5, "1.1")]).code == "1.1"
    assert final_disposition([(1, "2.112"), (2, "4.61")]).code == "2.112"
    f = final_disposition([(1, "3.18")])
    assert (f.code, f.category, f.source) == ("3.18", "UH", "attempt")
    f = final_disposition([])
    assert (f.code, f.source) == ("3.11", "none")
    assert final_disposition([(1, "2.24")], override="4.51").source == "override"
    assert outcome_rank("1.1") > outcome_rank("1.2") > outcome_rank("2.11") > \
        outcome_rank("2.36") > outcome_rank("4.7") > outcome_rank("2.23") > \
        outcome_rank("3.21") > outcome_rank("3.17")


def test_store_dispositions_and_override(tmp_path):
    store = make_store(tmp_path / "a.sqlite", n=4)
    store.record_attempt("C1-000", "2.111")
    store.record_attempt("C1-000", "2.24")
    store.record_attempt("C2-001", "2.24")
    u = store.start_interview("C2-001")
    store.complete(u, outcome="1.2")
    store.record_attempt("C1-002", "4.61")
    d = store.dispositions().set_index("dwelling_id")
    assert d.loc["C1-000", "disposition"] == "2.111"
    assert d.loc["C2-001", "disposition"] == "1.2"
    assert d.loc["C2-001", "disposition_source"] == "interview"
    assert d.loc["C1-002", "category"] == "NE"
    assert d.loc["C2-003", "disposition"] == "3.11"
    for did in d.index:  # the vectorised rule agrees with the scalar one
        assert store.final_disposition(did).code == d.loc[did, "disposition"]
    with pytest.raises(StoreError, match="reason"):
        store.override_disposition("C1-000", "4.51", supervisor="sup", reason=" ")
    store.override_disposition("C1-000", "4.51", supervisor="sup", reason="实为商铺")
    d = store.dispositions().set_index("dwelling_id")
    assert d.loc["C1-000", "disposition"] == "4.51"
    assert d.loc["C1-000", "override_reason"] == "实为商铺"
    store.override_disposition("C1-000", None, supervisor="sup", reason="撤销")
    assert store.final_disposition("C1-000").code == "2.111"


def test_readonly_store_refuses_writes(tmp_path):
    make_store(tmp_path / "a.sqlite").close()
    ro = FieldStore.open(tmp_path / "a.sqlite", readonly=True)
    assert len(ro.assignments()) == 6
    with pytest.raises(StoreError, match="read-only"):
        ro.record_attempt("C1-000", "2.24")


def test_interviewer_required_without_default(tmp_path):
    store = FieldStore.create(tmp_path / "a.sqlite", survey_id="S")
    store.assign(sample_frame(1), interviewer="w")
    with pytest.raises(StoreError, match="interviewer"):
        store.record_attempt("C1-000", "2.24")
    store.record_attempt("C1-000", "2.24", interviewer="w")
    assert isinstance(store.connection, sqlite3.Connection)


def test_events_of_sparse_kinds_use_the_index(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    uuid = store.start_interview("C1-000")
    store.set_answer(uuid, "a1", 1)
    store.record_paradata(uuid, "flag", question="a1", detail={"on": True})
    flags = store.events(uuid, kinds=("para:flag",))
    assert flags["question"].tolist() == ["a1"]
    plan = store.connection.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM events WHERE interview_uuid = ? AND kind IN (?) AND "
        + SPARSE_EVENTS, (uuid, "para:flag"))
    assert "events_sparse" in str(plan.fetchall())
    assert set(store.events(uuid)["kind"]) == {"start", "set", "para:flag"}
