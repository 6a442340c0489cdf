"""Merging device stores: idempotent, commutative, nothing lost, conflicts listed,
foreign stores refused."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from _storekit import T0, StepClock, make_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_reliability import make_v1_store

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.schema import SCHEMA_VERSION

TABLES = {
    "events": "SELECT * FROM events ORDER BY device_id, seq",
    "assignments": "SELECT * FROM assignments ORDER BY dwelling_id",
    "attempts": "SELECT * FROM attempts ORDER BY attempt_id",
    "roster": "SELECT * FROM roster ORDER BY dwelling_id, line",
    "selection": "SELECT * FROM selection ORDER BY dwelling_id",
    "overrides": "SELECT * FROM overrides ORDER BY dwelling_id",
    "review_comments": "SELECT * FROM review_comments ORDER BY comment_id",
    "forms": "SELECT * FROM forms ORDER BY form_id, version",
    "editors": "SELECT * FROM editors ORDER BY interview_uuid, device_id",
    "interviews": "SELECT uuid, dwelling_id, respondent_line, form_id, form_version, device_id, "
                  "interviewer, started_at, status, outcome, completed_at, st_hlc, st_device, "
                  "st_seq, position, pos_hlc, pos_device, pos_seq, review_state, reviewer, "
                  "review_comment, reviewed_at, rv_hlc, rv_device, rv_seq FROM interviews "
                  "ORDER BY uuid",
    "answers": "SELECT i.uuid, a.question, a.instance, a.value, a.vtype, "
               "a.ver_hlc, a.ver_device, a.ver_seq FROM answers a JOIN interviews i "
               "ON i.iid = a.iid ORDER BY i.uuid, a.question, a.instance",
}


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every data table of a store, in a canonical order (local iids left out)."""
    c = sqlite3.connect(path)
    try:
        return {t: c.execute(sql).fetchall() for t, sql in TABLES.items()}
    finally:
        c.close()


def fork(base: Path, path: Path, device: str, interviewer: str) -> None:
    """Copy a store as another device's (what the supervisor hands out)."""
    shutil.copy(base, path)
    c = sqlite3.connect(path)
    c.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (device,))
    c.execute("INSERT OR REPLACE INTO meta VALUES ('interviewer', ?)", (interviewer,))
    c.commit()
    c.close()


CASES = ["C1-000", "C2-001", "C1-002", "C2-003"]
op = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from(["a", "b", "c"]), st.integers(0, 3)),
    st.tuples(st.just("clear"), st.sampled_from(["a", "b"]), st.just(0)),
    st.tuples(st.just("attempt"), st.sampled_from(CASES), st.sampled_from(
        ["2.24", "2.111", "4.61", "3.18", "1.1"])),
    st.tuples(st.just("roster"), st.sampled_from(CASES[:2]), st.integers(1, 3)),
    st.tuples(st.just("own"), st.sampled_from(CASES), st.integers(0, 9)),
    st.tuples(st.just("override"), st.sampled_from(CASES), st.sampled_from(["4.51", "2.36"])),
)
device_ops = st.lists(op, max_size=8)


def build_devices(tmp: Path, ops_per_device: list[list[tuple]],
                  offsets: list[int]) -> list[Path]:
    base = tmp / "base.sqlite"
    store = make_store(base, n=4, device_id="base", clock=StepClock())
    shared = store.start_interview("C1-000", uuid="shared-1")
    store.close()
    paths = []
    for k, (ops, off) in enumerate(zip(ops_per_device, offsets, strict=True)):
        p = tmp / f"dev{k}.sqlite"
        fork(base, p, f"dev{k}", f"w{k}")
        clock = StepClock(T0 + dt.timedelta(seconds=off), step=1.0)
        s = FieldStore.open(p, clock=clock)
        own: dict[str, str] = {}
        for kind, x, y in ops:
            if kind == "answer":
                s.set_answer(shared, x, y)
            elif kind == "clear":
                s.clear_answer(shared, x)
            elif kind == "attempt":
                s.record_attempt(x, y)
            elif kind == "roster":
                s.set_roster_member(x, y, age=20 + k, sex=str(k % 2 + 1))
            elif kind == "own":
                if x not in own:
                    own[x] = s.start_interview(x)
                s.set_answer(own[x], "q", y)
            elif kind == "override":
                s.override_disposition(x, y, supervisor=f"w{k}", reason="r")
        s.close()
        paths.append(p)
    return paths


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(device_ops, min_size=2, max_size=3),
       offsets=st.lists(st.integers(-3, 3), min_size=3, max_size=3),
       perm_seed=st.integers(0, 5))
def test_merge_is_commutative_idempotent_and_lossless(ops, offsets, perm_seed):
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        devices = build_devices(tmp, ops, offsets[:len(ops)])
        perms = list(itertools.permutations(devices))
        order_b = perms[perm_seed % len(perms)]
        merge_stores(devices, tmp / "c1.sqlite")
        merge_stores(list(reversed(devices)), tmp / "c2.sqlite")
        # one at a time, in another order, each twice
        for p in order_b:
            merge_stores([p], tmp / "c3.sqlite")
            merge_stores([p], tmp / "c3.sqlite")
        s1, s2, s3 = (snapshot(tmp / f"c{i}.sqlite") for i in (1, 2, 3))
        assert s1 == s2 == s3
        # merging the central store into itself again or a copy of it changes nothing
        shutil.copy(tmp / "c1.sqlite", tmp / "copy.sqlite")
        merge_stores([tmp / "copy.sqlite", *devices], tmp / "c1.sqlite")
        assert snapshot(tmp / "c1.sqlite") == s1
        # associativity: merged sub-results merge to the same store
        merge_stores(devices[:1], tmp / "part.sqlite")
        merge_stores([tmp / "part.sqlite", *devices[1:]], tmp / "c4.sqlite")
        assert snapshot(tmp / "c4.sqlite") == s1
        # every event of every device is kept
        union = set()
        for p in devices:
            union |= set(snapshot(p)["events"])
        assert set(s1["events"]) == union
        central = FieldStore.open(tmp / "c1.sqlite")
        assert central.check() == []
        central.close()


def test_conflicting_edits_are_kept_and_listed(tmp_path):
    base = tmp_path / "base.sqlite"
    s = make_store(base, device_id="base")
    u = s.start_interview("C1-000", uuid="u1")
    s.set_answer(u, "a1", 1)
    s.close()
    fork(base, tmp_path / "A.sqlite", "A", "wa")
    fork(base, tmp_path / "B.sqlite", "B", "wb")
    a = FieldStore.open(tmp_path / "A.sqlite", clock=StepClock(T0 + dt.timedelta(hours=1)))
    a.set_answer(u, "a1", 2)
    a.set_answer(u, "a2", 5)
    a.close()
    b = FieldStore.open(tmp_path / "B.sqlite", clock=StepClock(T0 + dt.timedelta(hours=2)))
    b.set_answer(u, "a1", 3)
    b.close()
    res = merge_stores([tmp_path / "A.sqlite", tmp_path / "B.sqlite"], tmp_path / "c.sqlite")
    conf = res.conflicts
    assert set(conf["device_id"]) == {"A", "B", "base"} and set(conf["question"]) == {"a1"}
    cur = conf[conf["current"].eq(True)]
    assert cur["device_id"].tolist() == ["B"] and cur["value"].tolist() == [3]
    assert sorted(conf["value"].tolist()) == [1, 2, 3]
    assert any("conflicting edits" in line for line in res.log)
    c = FieldStore.open(tmp_path / "c.sqlite")
    assert c.answers(u) == {"a1": 3, "a2": 5}
    ev = c.events(u)
    assert sorted(ev[ev["question"] == "a1"]["value"].tolist()) == [1, 2, 3]  # all kept
    assert len(c.conflicts()) == len(conf)
    log = c.connection.execute("SELECT source, events_new FROM merge_log").fetchall()
    assert len(log) == 2


def test_two_devices_at_one_case_are_listed(tmp_path):
    make_store(tmp_path / "base.sqlite", device_id="base").close()
    fork(tmp_path / "base.sqlite", tmp_path / "A.sqlite", "A", "wa")
    fork(tmp_path / "base.sqlite", tmp_path / "B.sqlite", "B", "wb")
    for name in ("A", "B"):
        s = FieldStore.open(tmp_path / f"{name}.sqlite")
        s.start_interview("C2-001")
        s.close()
    res = merge_stores([tmp_path / "A.sqlite", tmp_path / "B.sqlite"], tmp_path / "c.sqlite")
    cases = res.conflicts[res.conflicts["kind"] == "case"]
    assert set(cases["device_id"]) == {"A", "B"} and set(cases["dwelling_id"]) == {"C2-001"}


def test_review_travels_back_to_the_device(tmp_path):
    dev = tmp_path / "dev.sqlite"
    s = make_store(dev, device_id="dev")
    u = s.start_interview("C1-000")
    s.set_answer(u, "d3", 2)
    s.complete(u)
    s.close()
    merge_stores([dev], tmp_path / "central.sqlite")
    c = FieldStore.open(tmp_path / "central.sqlite")
    c.review(u, "reject", reviewer="sup", question_comments={"d3": "与a2矛盾"})
    c.close()
    merge_stores([tmp_path / "central.sqlite"], dev)  # the next sync
    s = FieldStore.open(dev)
    state = s.resume_interview(u)
    assert state.review_state == "rejected" and state.status == "in_progress"
    assert s.review_comments(u)[0]["comment"] == "与a2矛盾"
    s.set_answer(u, "d3", 3)
    s.complete(u)
    s.close()
    merge_stores([dev], tmp_path / "central.sqlite")
    c = FieldStore.open(tmp_path / "central.sqlite")
    assert c.interview(u).review_state == "pending" and c.answers(u) == {"d3": 3}


def test_refuses_another_survey_and_newer_schema(tmp_path):
    make_store(tmp_path / "a.sqlite").close()
    make_store(tmp_path / "x.sqlite", survey_id="OTHER").close()
    with pytest.raises(StoreError, match="another survey") as info:
        merge_stores([tmp_path / "a.sqlite", tmp_path / "x.sqlite"], tmp_path / "c.sqlite")
    assert "OTHER" in str(info.value)
    newer = tmp_path / "n.sqlite"
    make_store(newer).close()
    c = sqlite3.connect(newer)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="newer fieldsurvey"):
        merge_stores([newer], tmp_path / "c2.sqlite")
    text = tmp_path / "t.sqlite"
    text.write_text("not a store")
    with pytest.raises(StoreError, match="not an SQLite"):
        merge_stores([text], tmp_path / "c3.sqlite")
    with pytest.raises(StoreError, match="into itself"):
        merge_stores([tmp_path / "a.sqlite"], tmp_path / "a.sqlite")


def test_same_device_id_with_different_entries_is_refused(tmp_path):
    make_store(tmp_path / "base.sqlite", device_id="base").close()
    fork(tmp_path / "base.sqlite", tmp_path / "A.sqlite", "A", "w")
    fork(tmp_path / "base.sqlite", tmp_path / "A2.sqlite", "A", "w")  # a copied device
    for name, code in (("A", "2.24"), ("A2", "2.111")):
        s = FieldStore.open(tmp_path / f"{name}.sqlite")
        s.record_attempt("C1-000", code)
        s.close()
    merge_stores([tmp_path / "A.sqlite"], tmp_path / "c.sqlite")
    with pytest.raises(StoreError, match="same device id"):
        merge_stores([tmp_path / "A2.sqlite"], tmp_path / "c.sqlite")


def test_older_source_is_merged_without_touching_it(tmp_path):
    old = tmp_path / "old.sqlite"
    make_v1_store(old)
    before = old.read_bytes()
    res = merge_stores([old], tmp_path / "c.sqlite")
    assert old.read_bytes() == before and res.sources[0].events_new == 1
    c = FieldStore.open(tmp_path / "c.sqlite")
    assert c.assignments()["dwelling_id"].tolist() == ["C1-000"]


def test_merge_reports_progress(tmp_path):
    make_store(tmp_path / "a.sqlite").close()
    calls = []
    merge_stores([tmp_path / "a.sqlite"], tmp_path / "c.sqlite",
                 progress=lambda s, d, t: calls.append((s, d, t)))
    assert calls[-1] == ("merge", 1, 1)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".merging" in p.name)


def test_a_failed_first_merge_leaves_no_central_store(tmp_path):
    make_store(tmp_path / "base.sqlite", device_id="base").close()
    fork(tmp_path / "base.sqlite", tmp_path / "A.sqlite", "A", "w")
    fork(tmp_path / "base.sqlite", tmp_path / "A2.sqlite", "A", "w")  # a copied device
    for name, code in (("A", "2.24"), ("A2", "2.111")):
        s = FieldStore.open(tmp_path / f"{name}.sqlite")
        s.record_attempt("C1-000", code)
        s.close()
    out = tmp_path / "out" / "central.sqlite"
    with pytest.raises(StoreError, match="same device id") as info:
        merge_stores([tmp_path / "A.sqlite", tmp_path / "A2.sqlite"], out)
    assert not out.exists() and _leftovers(out.parent) == []
    assert ".merging" not in str(info.value)  # the message names the sources, not a temp file
    make_store(tmp_path / "x.sqlite", survey_id="OTHER").close()
    with pytest.raises(StoreError, match="another survey"):
        merge_stores([tmp_path / "A.sqlite", tmp_path / "x.sqlite"], out)
    assert not out.exists() and _leftovers(out.parent) == []


def test_a_new_central_store_is_durable_and_the_same_as_an_incremental_one(tmp_path):
    base = tmp_path / "base.sqlite"
    s = make_store(base, device_id="base")
    s.close()
    devices = []
    for k in range(3):
        p = tmp_path / f"d{k}.sqlite"
        fork(base, p, f"d{k}", f"w{k}")
        s = FieldStore.open(p, clock=StepClock(T0 + dt.timedelta(minutes=k)))
        u = s.start_interview(CASES[k])
        s.set_answer(u, "a1", k)
        s.record_paradata(u, "flag", question="a1", detail={"k": k})
        s.complete(u)
        s.close()
        devices.append(p)
    bulk = tmp_path / "bulk.sqlite"
    merge_stores(devices, bulk)
    one_by_one = tmp_path / "inc.sqlite"
    for p in reversed(devices):
        merge_stores([p], one_by_one)
    assert snapshot(bulk) == snapshot(one_by_one)
    assert _leftovers(tmp_path) == []
    c = sqlite3.connect(bulk)
    assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    c.close()
    central = FieldStore.open(bulk)
    assert central.check() == []
    u = central.interviews()[0]["uuid"]
    assert len(central.events(u, kinds=("para:flag",))) == 1  # the sparse-event index
    central.close()


def test_a_central_store_made_meanwhile_by_another_merge_takes_this_one_in(tmp_path):
    make_store(tmp_path / "base.sqlite", device_id="base").close()
    for name in ("A", "B"):
        fork(tmp_path / "base.sqlite", tmp_path / f"{name}.sqlite", name, "w")
        s = FieldStore.open(tmp_path / f"{name}.sqlite")
        s.record_attempt("C1-000", "2.24" if name == "A" else "2.111")
        s.close()
    out = tmp_path / "central.sqlite"

    def other_merge(step: str, done: int, total: int) -> None:
        if done == total and not out.exists():  # another supervisor's merge finishes first
            merge_stores([tmp_path / "B.sqlite"], out)

    merge_stores([tmp_path / "A.sqlite"], out, progress=other_merge)
    both = FieldStore.open(out)
    assert {a["device_id"] for a in both.attempts()} == {"A", "B"}
    both.close()
    assert _leftovers(tmp_path) == []


def test_merging_leaves_the_device_folder_as_it_was(tmp_path):
    make_store(tmp_path / "dev" / "a.sqlite").close()
    before = sorted(p.name for p in (tmp_path / "dev").iterdir())
    merge_stores([tmp_path / "dev" / "a.sqlite"], tmp_path / "c.sqlite")
    merge_stores([tmp_path / "dev" / "a.sqlite"], tmp_path / "c.sqlite")
    assert sorted(p.name for p in (tmp_path / "dev").iterdir()) == before == ["a.sqlite"]
    open_store = FieldStore.open(tmp_path / "dev" / "a.sqlite")  # in use by the interviewer
    open_store.record_attempt("C1-000", "2.24")
    merge_stores([tmp_path / "dev" / "a.sqlite"], tmp_path / "c.sqlite")
    open_store.record_attempt("C1-000", "2.24")  # still works, its WAL untouched
    open_store.close()
    merge_stores([tmp_path / "dev" / "a.sqlite"], tmp_path / "c.sqlite")
    c = FieldStore.open(tmp_path / "c.sqlite")
    assert len(c.attempts()) == 2
    c.close()


def test_a_central_store_that_cannot_be_made_is_named_as_given(tmp_path, monkeypatch):
    make_store(tmp_path / "a.sqlite").close()

    def refuse(path, **kwargs):
        raise StoreError("the field store cannot be opened", file=str(path))

    monkeypatch.setattr(FieldStore, "create", refuse)
    with pytest.raises(StoreError) as info:
        merge_stores([tmp_path / "a.sqlite"], tmp_path / "central.sqlite")
    assert info.value.file == str(tmp_path / "central.sqlite")
    assert _leftovers(tmp_path) == []
