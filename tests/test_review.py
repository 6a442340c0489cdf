"""Two-tier review: supervisor, then HQ; rejections reopen on the device (issue 18 item 6)."""

from __future__ import annotations

import pytest
from _synckit import cli, interview, team_stores

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.review import review, review_list
from fieldsurvey.store.sync.pull import pull_from_file


def test_supervisor_then_hq_with_comments_in_the_event_log(tmp_path):
    stores = team_stores(tmp_path, n=6)
    a = interview(stores / "int01.sqlite", 0)
    b = interview(stores / "int01.sqlite", 1)
    merge_stores([stores / "int01.sqlite"], stores / "central.sqlite")
    hub = FieldStore.open(stores / "central.sqlite")
    try:
        assert [r.uuid for r in review_list(hub.connection, "supervisor")] == [a, b]
        with pytest.raises(StoreError, match="not awaiting the hq"):
            review(hub, a, "approve", tier="hq", reviewer="总部")
        assert review(hub, a, "approve", tier="supervisor", reviewer="王芳") == \
            "approved by the supervisor, awaiting HQ"
        assert [r.uuid for r in review_list(hub.connection, "hq")] == [a]
        assert review(hub, a, "reject", tier="hq", reviewer="总部",
                      question_comments={"q2": "与 q1 矛盾"}) == "rejected by HQ"
        with pytest.raises(StoreError, match="needs a comment"):
            review(hub, b, "reject", tier="supervisor", reviewer="王芳")
        review(hub, b, "approve", tier="supervisor", reviewer="王芳")
        assert review(hub, b, "approve", tier="hq", reviewer="总部") == "approved by HQ"
        with pytest.raises(StoreError, match="not awaiting the supervisor"):
            review(hub, b, "reject", tier="supervisor", reviewer="王芳", comment="x")
        events = hub.connection.execute(
            "SELECT interview_uuid, interviewer, value, json_extract(detail, '$.tier') "
            "FROM events WHERE kind = 'review' ORDER BY hlc").fetchall()
        assert events == [(a, "王芳", "approve", "supervisor"), (a, "hq:总部", "reject", "hq"),
                          (b, "王芳", "approve", "supervisor"), (b, "hq:总部", "approve", "hq")]
    finally:
        hub.close()
    # the rejection reaches the device by a file pull; it reopens there with the comment
    assert pull_from_file(stores / "central.sqlite", stores / "int01.sqlite") > 0
    dev = FieldStore.open(stores / "int01.sqlite")
    try:
        assert dev.interview(a).review_state == "rejected"
        assert [(c["question"], c["comment"]) for c in dev.review_comments(a)] == \
            [("q2", "与 q1 矛盾")]
        assert dev.resume_interview(a).status == "in_progress"
    finally:
        dev.close()
    assert pull_from_file(stores / "central.sqlite", stores / "int01.sqlite") == 0


def test_review_cli(tmp_path):
    stores = team_stores(tmp_path, n=6)
    a = interview(stores / "int02.sqlite", 0)
    merge_stores([stores / "int02.sqlite"], stores / "central.sqlite")
    db = str(stores / "central.sqlite")
    listed = cli("review", "--db", db, "--list")
    assert listed.returncode == 0 and a[:8] in listed.stdout and "awaiting the supervisor" \
        in listed.stdout
    bad = cli("review", "--db", db, "--reject", a[:8], "--reviewer", "王芳")
    assert bad.returncode == 2 and "needs a comment" in bad.stderr
    ok = cli("review", "--db", db, "--reject", a[:8], "--comment", "请核实年龄", "--question",
             "q1", "--reviewer", "王芳")
    assert ok.returncode == 0 and "rejected by the supervisor" in ok.stdout
    hq = cli("review", "--db", db, "--approve", a, "--as", "hq", "--reviewer", "总部")
    assert hq.returncode == 2 and "not awaiting the hq" in hq.stderr
    nobody = cli("review", "--db", db, "--approve", "no-such-id", "--reviewer", "王芳")
    assert nobody.returncode == 2 and "no interview with this id" in nobody.stderr


def test_a_supervisor_note_reaches_the_device_without_changing_the_state(tmp_path):
    stores = team_stores(tmp_path, n=6)
    a = interview(stores / "int03.sqlite", 0)
    merge_stores([stores / "int03.sqlite"], stores / "central.sqlite")
    run = cli("review", "--db", str(stores / "central.sqlite"), "--note", a[:8], "--comment",
              "下次请带上访问证", "--reviewer", "王芳")
    assert run.returncode == 0, run.stderr
    assert pull_from_file(stores / "central.sqlite", stores / "int03.sqlite") == 2
    dev = FieldStore.open(stores / "int03.sqlite")
    try:
        assert dev.interview(a).review_state == "pending"
        assert [(c["decision"], c["comment"]) for c in dev.review_comments(a)] == \
            [("note", "下次请带上访问证")]
    finally:
        dev.close()
