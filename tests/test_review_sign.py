"""Notes and decisions are signed alike by ``fieldsurvey review`` and the supervisor TUI.

One rule (``store.review.signature``): HQ signs ``hq:NAME``, the supervisor ``NAME``.
A note sent by HQ from the command line and one sent from HQ's TUI read the same in the
store, in the interviewer's comments and in the interview view; a supervisor's name that
would read as HQ's is refused with one clear message (exit 2, no traceback).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_tui_review_tiers import (
    FORM,
    SIZE,
    central_with_three,
    open_interview,
    settle,
    text_of,
)
from tui_support import FrozenClock, quick_idle, steady_cursor

from fieldsurvey.cli.main import main as cli_main
from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.review import signature, tier_of
from fieldsurvey.tui.app import make_app
from fieldsurvey.tui.screens.interview_view import CommentDialog
from fieldsurvey.tui.screens.supervisor import SupervisorScreen


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


def notes(central: Path) -> list[tuple[str, str | None, str, str, str]]:
    """(interview, question, text, reviewer in the comments, signer in the event log)."""
    c = sqlite3.connect(central)
    try:
        return c.execute(
            "SELECT r.interview_uuid, r.question, r.comment, r.reviewer, e.interviewer "
            "FROM review_comments r JOIN events e ON e.kind = 'note' AND "
            "e.device_id || ':' || e.seq || ':0' = r.comment_id "
            "WHERE r.decision = 'note' ORDER BY r.time").fetchall()
    finally:
        c.close()


def test_one_signature_rule() -> None:
    assert signature("hq", "总部") == "hq:总部"
    assert signature("hq", "hq:总部") == "hq:总部"  # never signed twice
    assert signature("supervisor", " 王芳 ") == "王芳"
    assert tier_of(signature("hq", "李明")) == ("hq", "李明")
    with pytest.raises(StoreError, match="cannot begin with"):
        signature("supervisor", "hq:王芳")
    with pytest.raises(StoreError, match="must be named"):
        signature("hq", "  ")


async def test_a_note_by_hq_is_signed_alike_on_the_command_line_and_in_the_tui(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central, (a, b, _) = central_with_three(tmp_path)
    # the command line, as HQ and as the supervisor
    assert cli_main(["review", "--db", str(central), "--note", a[:8], "--comment", "核对年龄",
                     "--question", "a2", "--as", "hq", "--reviewer", "总部李明"]) == 0
    assert "signed hq:总部李明" in capsys.readouterr().out
    assert cli_main(["review", "--db", str(central), "--note", b[:8], "--comment", "ok?",
                     "--reviewer", "王芳"]) == 0
    # the TUI, as HQ: N on the highlighted question
    hq = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="总部李明",
                  review_tier="hq", language="en")
    async with hq.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(hq.screen, SupervisorScreen)
                     and bool(hq.screen.data))
        view = await open_interview(hq, pilot, b)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(hq.screen, CommentDialog))
        await pilot.press(*"ID?", "enter")
        await settle(pilot, lambda: hq.screen is view)
        # the view reads both HQ notes back as HQ's (the tier from the signature)
        assert text_of(hq, "#iv-notes") == "a1: ✉ HQ 总部李明: ID?"
    hq.close_store()
    got = notes(central)
    assert got == [(a, "a2", "核对年龄", "hq:总部李明", "hq:总部李明"),
                   (b, None, "ok?", "王芳", "王芳"),
                   (b, "a1", "ID?", "hq:总部李明", "hq:总部李明")]
    # the tier is also in the note event's detail, as in a decision's
    c = sqlite3.connect(central)
    tiers = [r[0] for r in c.execute("SELECT json_extract(detail, '$.tier') FROM events "
                                     "WHERE kind = 'note' ORDER BY hlc")]
    c.close()
    assert tiers == ["hq", "supervisor", "hq"]


def test_a_supervisor_name_that_reads_as_hq_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central, (a, _, _) = central_with_three(tmp_path)
    code = cli_main(["review", "--db", str(central), "--note", a[:8], "--comment", "x",
                     "--reviewer", "hq:王芳"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot begin with 'hq:'" in err and "Traceback" not in err
    assert notes(central) == []


def test_a_question_the_questionnaire_lacks_is_refused_and_the_list_sums_up(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central, (a, b, _) = central_with_three(tmp_path)
    for verb in ("--reject", "--note"):
        code = cli_main(["review", "--db", str(central), verb, a[:8], "--comment", "年龄?",
                         "--question", "a22", "--reviewer", "王芳"])
        err = capsys.readouterr().err
        assert code == 2 and "has no such question" in err and "e.g. a2" in err, verb
    c_ = sqlite3.connect(central)
    assert c_.execute("SELECT count(*) FROM review_comments").fetchone() == (0,)
    c_.close()
    assert cli_main(["review", "--db", str(central), "--reject", a[:8], "--comment", "年龄?",
                     "--question", "a2", "--reviewer", "王芳"]) == 0
    assert cli_main(["review", "--db", str(central), "--approve", b[:8], "--reviewer",
                     "王芳"]) == 0
    capsys.readouterr()
    assert cli_main(["review", "--db", str(central), "--list"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("3 interview(s): 1 rejected by the supervisor, 1 approved by the "
                    "supervisor, awaiting HQ, 1 awaiting the supervisor")


def test_a_decision_is_not_written_into_a_device_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(The server refuses every push of a device whose log holds a review.)"""
    central, (a, _, _) = central_with_three(tmp_path)
    device = central.parent / "int01.sqlite"
    before = sqlite3.connect(device).execute("SELECT count(*) FROM events").fetchone()
    for args in (["--approve", a[:8]], ["--note", a[:8], "--comment", "x"]):
        code = cli_main(["review", "--db", str(device), *args, "--reviewer", "王芳"])
        err = capsys.readouterr().err
        assert code == 2 and "not to an interviewer's device store" in err, args
        assert "--db central.sqlite" in err
    assert sqlite3.connect(device).execute("SELECT count(*) FROM events").fetchone() == before
    assert cli_main(["review", "--db", str(device), "--list"]) == 0  # reading is fine


async def test_the_tui_writes_no_decision_into_a_synced_device_store(tmp_path: Path) -> None:
    from fieldsurvey.tui.i18n import tr
    from fieldsurvey.tui.screens.interview_view import InterviewViewScreen

    central, (a, _, _) = central_with_three(tmp_path)
    device = central.parent / "int01.sqlite"  # a supervisor looking at an interviewer's tablet
    before = sqlite3.connect(device).execute("SELECT count(*) FROM events").fetchone()
    app = make_app(device, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳",
                   language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        app.push_screen(InterviewViewScreen(a))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen))
        await pilot.press("a")
        await settle(pilot)
        assert [n.message for n in app._notifications][-1] == tr("review_on_device", "en")
        assert isinstance(app.screen, InterviewViewScreen)  # nothing decided
    app.close_store()
    c = sqlite3.connect(device)
    assert c.execute("SELECT count(*) FROM events").fetchone() == before
    assert c.execute("SELECT review_state FROM interviews WHERE uuid = ?", (a,)).fetchone() \
        == ("pending",)
    c.close()
