"""Whole paths through the interviewer and supervisor TUI at 80x24, checked in the store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tui_support import FORM_PATH, FrozenClock, make_store, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.preload import roster_answers
from fieldsurvey.sampling.kish import kish_probability, kish_select
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.casedata import case_rows
from fieldsurvey.tui.screens.household import HouseholdScreen
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.screens.review import ReviewScreen
from fieldsurvey.tui.screens.roster import RosterScreen

FORM = load_form(FORM_PATH)

SIZE = (80, 24)
FAMILY = (("张伟", "male", 45), ("李芳", "female", 43), ("张小明", "male", 16))


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> FieldStore:
    st = make_store(tmp_path / "dev.sqlite", 6)
    yield st
    st.close()


def did(store: FieldStore, i: int = 0) -> str:
    return str(store.assignments()["dwelling_id"].iloc[i])


def prepare_household(store: FieldStore, dwelling: str) -> None:
    """Roster and selection through the library, as the roster screen would."""
    for line, (name, sex, age) in enumerate(FAMILY, start=1):
        store.set_roster_member(dwelling, line, name=name, sex=sex, age=age, resident=True,
                                eligible=age >= 18)
    store.record_selection(dwelling, method="kish", eligible_count=2, chosen_line=1,
                           probability=0.5, kish_table="A")


async def settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_case(app: FieldsurveyApp, pilot, row: int = 0) -> None:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    for _ in range(row):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, HouseholdScreen)


async def back_to(app: FieldsurveyApp, pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    """Page back to question ``key`` (a1 is prefilled from the roster: the interview
    itself opens after it)."""
    for _ in range(5):
        if app.screen.runner.current.key == key:
            return
        await pilot.press("pageup")
        await settle(app, pilot)
    assert app.screen.runner.current.key == key


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


def interview_uuid(store: FieldStore, dwelling: str) -> str:
    return store.interviews(dwelling)[-1]["uuid"]


async def answer_current(app: FieldsurveyApp, pilot, picks: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Answer the page shown with the keys an interviewer would press."""
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    step = screen.runner.current
    q = step.question
    if step.kind != "question" or q is None or q.read_only or q.type == "note":
        await pilot.press("enter")
        return
    if len(screen.views) > 1:  # a field-list page: one key per question
        for v in screen.views:
            await pilot.press(picks.get(v.step.question.name, "4"))
        return
    if q.type == "select_one":
        await pilot.press(*list(picks.get(q.name, "1")))
        if len(picks.get(q.name, "1")) == 1 and screen.runner.current.key == step.key:
            await pilot.press("enter")
    elif q.type == "select_multiple":
        await pilot.press(*list(picks.get(q.name, "1")), "enter")
    elif q.type in ("integer", "decimal", "text"):
        await type_text(pilot, picks.get(q.name, "3"))
        await pilot.press("enter")
    else:
        await pilot.press("enter")


async def run_to_end(app: FieldsurveyApp, pilot, picks: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    seen = []
    for _ in range(200):
        screen = app.screen
        if isinstance(screen, ReviewScreen):
            return seen
        assert isinstance(screen, QuestionScreen), app.screen
        seen.append(screen.runner.current.key)
        await answer_current(app, pilot, picks)
    raise AssertionError(f"the interview did not end: {seen[-10:]}")


PICKS = {"a2": "1981", "a5": "10", "b1": "0", "b3": "2", "c_top2": "2", "c_top3": "3",
         "c1": "1", "c2": "2", "c3": "1", "f1": "", "d3": "2"}


async def test_complete_interview_with_skips(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        await pilot.press("i")
        await settle(pilot.app, pilot)
        seen = await run_to_end(app, pilot, PICKS)
        await pilot.press("c")
        await settle(app, pilot)
    uuid = interview_uuid(store, d)
    itv = store.interviews(d)[-1]
    assert itv["status"] == "completed" and itv["outcome"] == "1.1"
    answers = store.answers(uuid)
    # b1 = 0 (none): b2 (how often) is skipped, b3 (why not) is asked
    assert answers["b1"] == ("0",) and "b2" not in answers and answers["b3"] == ("2",)
    assert "b2" not in seen and "b3" in seen
    # three categories chosen: all three "most urgent" questions asked, with distinct answers
    assert answers["c_top1"] == "1" and answers["c_top2"] == "2" and answers["c_top3"] == "3"
    assert answers["a2"] == 1981 and answers["d3"] == "2" and answers["d1"] == "4"
    # the roster came from the roster screen's entries and the selection
    assert answers["h_age[2]"] == 43 and answers["resp_line"] == 1
    assert store.interview(uuid).position == "@end"
    # the session was a visit: submitted complete, an attempt 1.1 by this interviewer
    att = store.attempts(d)
    assert [a["outcome"] for a in att] == ["1.1"] and att[0]["interviewer"] == "int01"
    assert "submitted" in att[0]["note"]
    assert next(r for r in case_rows(store) if r.dwelling_id == d).attempts == 1


async def test_constraint_error_and_correction(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        await pilot.press("i")
        await settle(pilot.app, pilot)
        await back_to(app, pilot, "a1")
        await pilot.press("1")  # a1 male
        screen = app.screen
        assert screen.runner.current.key == "a2"
        await type_text(pilot, "1999")  # disagrees with the roster age 45
        await settle(pilot.app, pilot)
        err = screen.views[0].query_one(".q-error").render()
        assert "出生年份" in str(err)
        await pilot.press("enter")
        assert screen.runner.current.key == "a2"
        uuid = interview_uuid(store, d)
        assert "a2" not in store.answers(uuid)
        await pilot.press(*["backspace"] * 4)
        await type_text(pilot, "1981")
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert screen.runner.current.key == "a3"
    assert store.answers(uuid)["a2"] == 1981
    assert store.answers(uuid)["a1"] == "1"


async def test_refusal_recorded_as_attempt(store: FieldStore) -> None:
    d = did(store, 1)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, row=1)
        await pilot.press("n")
        await settle(pilot.app, pilot)
        await pilot.press("down", "down", "enter")  # the 3rd outcome: 2.111
        await type_text(pilot, "tomorrow")  # not a time: refused, nothing saved
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert "明天 18:30" in str(app.screen.query_one("#dialog-error").render())
        assert store.attempts(d) == []
        await pilot.press(*["backspace"] * 8)
        await type_text(pilot, "2026-11-23 18:30")
        await pilot.press("enter")
        await type_text(pilot, "door")
        await pilot.press("enter")
        await settle(app, pilot)
        text = str(app.screen.query_one("#hh-attempts").get_row_at(0))
        assert "户级拒访" in text
    att = store.attempts(d)
    assert [a["outcome"] for a in att] == ["2.111"]
    assert att[0]["appointment"].startswith("2026-11-23T18:30") and att[0]["note"] == "door"
    assert store.final_disposition(d).code == "2.111"
    assert next(r for r in case_rows(store) if r.dwelling_id == d).status == "closed"


async def test_resume_after_quitting(store: FieldStore, tmp_path: Path) -> None:
    d = did(store)
    prepare_household(store, d)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        await back_to(app, pilot, "a1")
        await pilot.press("1")  # a1: male
        await settle(app, pilot)
        await type_text(pilot, "1981")
        await pilot.press("enter")  # a2
        await settle(app, pilot)
        await pilot.press("3")  # a3
        await settle(app, pilot)
        assert app.screen.runner.current.key == "a4"
    uuid = interview_uuid(store, d)
    store.close()
    again = FieldStore.open(store.path)
    try:
        app2 = make_app(again, FORM, clock=FrozenClock(), rng=1)
        async with app2.run_test(size=SIZE) as pilot:
            await open_case(app2, pilot)
            await pilot.press("i")
            await settle(pilot.app, pilot)
            screen = app2.screen
            assert isinstance(screen, QuestionScreen)
            assert screen.runner.current.key == "a4"
            await pilot.press("pageup")
            await settle(pilot.app, pilot)
            assert screen.runner.current.key == "a3"
            assert screen.views[0].answer_widget().value == "3"
        ans = again.answers(uuid)
        assert (ans["a1"], ans["a2"], ans["a3"]) == ("1", 1981, "3")
        assert len(again.interviews(d)) == 1
    finally:
        again.close()


async def test_kish_selection_on_the_roster_screen(store: FieldStore) -> None:
    row = 3  # table D: with 3 eligible members the grid takes line 2
    d = did(store, row)
    table = store.assignments().set_index("dwelling_id").at[d, "kish_table"]
    members = (("王强", "1", "60"), ("赵敏", "2", "58"), ("王磊", "1", "30"),
               ("王小", "1", "9"))
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, row=row)
        await pilot.press("r")
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, RosterScreen)
        for name, sex, age in members:
            app.screen.query_one("#m-name").value = name
            await pilot.press("enter", sex, "enter", *list(age), "enter", "enter")
            await settle(pilot.app, pilot)
        await pilot.press("f3")
        await settle(pilot.app, pilot)
        shown = str(app.screen.query_one("#selection").render())
    roster = store.roster(d)
    assert [m["age"] for m in roster] == [60, 58, 30, 9]
    expected = kish_select([{**m, "eligible": m["age"] >= 18} for m in roster], table)
    sel = store.selection(d)
    assert sel["method"] == "kish" and sel["kish_table"] == table
    assert sel["eligible_count"] == 3
    assert sel["chosen_line"] == roster[expected.index]["line"] == 3  # 王磊: men first
    assert sel["probability"] == pytest.approx(kish_probability(2, 3))
    assert "王磊" in shown and "1/3" in shown


async def test_random_selection_keeps_its_seed(store: FieldStore) -> None:
    row = 2
    d = did(store, row)
    with store._write() as c:  # a sample line without a Kish table: exact random choice
        c.execute("UPDATE assignments SET kish_table = NULL WHERE dwelling_id = ?", (d,))
    members = (("张伟", "1", "44"), ("李娜", "2", "41"), ("张婷", "2", "19"))
    app = make_app(store, FORM, clock=FrozenClock(), rng=7)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, row=row)
        await pilot.press("r")
        await settle(pilot.app, pilot)
        for name, sex, age in members:
            app.screen.query_one("#m-name").value = name
            await pilot.press("enter", sex, "enter", *list(age), "enter", "enter")
            await settle(pilot.app, pilot)
        await pilot.press("f3")
        await settle(pilot.app, pilot)
    sel = store.selection(d)
    assert sel["method"] == "random" and sel["eligible_count"] == 3
    assert sel["probability"] == pytest.approx(1 / 3)
    ev = store.events(kinds=("selection",))
    detail = json.loads(ev[ev["dwelling_id"] == d]["detail"].iloc[-1])
    roster = [{**m, "eligible": True} for m in store.roster(d)]
    again = kish_select(roster, None, method="random", rng=detail["seed"])
    assert roster[again.index]["line"] == sel["chosen_line"]  # redrawn from the seed


async def test_language_toggle(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        assert "社区" in str(app.screen.query_one("#hh-info").render())
        await pilot.press("i")
        await settle(pilot.app, pilot)
        await back_to(app, pilot, "a1")
        label = app.screen.views[0].query_one(".q-label").render()
        assert "受访者性别" in str(label)
        await pilot.press("f4")
        await settle(pilot.app, pilot)
        await settle(pilot.app, pilot)
        assert "sex" in str(app.screen.views[0].query_one(".q-label").render()).lower()
        await pilot.press("1")
        await settle(pilot.app, pilot)
        await type_text(pilot, "1900")  # out of range: the message is in English now
        await settle(pilot.app, pilot)
        err = str(app.screen.views[0].query_one(".q-error").render())
        assert err and not any("\u4e00" <= ch <= "\u9fff" for ch in err)
        await pilot.press("f5")  # the jump dialog follows a switch while it is open
        await settle(app, pilot)
        title = app.screen.query_one("#dialog-title")
        assert "question" in str(title.render()).lower()
        await pilot.press("f4")
        await settle(app, pilot)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(title.render()))
        first = app.screen.query_one("#questions-list").get_option_at_index(0).prompt
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(first))
        await pilot.press("f4", "escape")
        await settle(app, pilot)
        await pilot.press("escape")  # leaving shows the share answered
        await settle(app, pilot)
        assert "answered" in str(app.screen.query_one("#leave-share").render())
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Community" in str(app.screen.query_one("#hh-info").render())
    uuid = interview_uuid(store, d)
    assert store.answers(uuid)["a1"] == "1"
    ev = store.events(uuid)
    assert '"en"' in ev[ev["kind"] == "para:language"]["detail"].iloc[0]


async def test_special_answer_and_review_page(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        await pilot.press("i")
        await settle(pilot.app, pilot)
        await pilot.press("1", "f9")  # a1; a2 refused
        await settle(pilot.app, pilot)
        assert app.screen.runner.current.key == "a3"
        await pilot.press("f7", "f6")  # flag a3, review
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        items = app.screen.query_one("#review-items")
        texts = [str(items.get_option_at_index(i).prompt) for i in range(items.option_count)]
        assert any("a2" in t and "特殊回答" in t for t in texts)
        assert any("a3" in t and "未答" in t for t in texts)
        await pilot.press("c")  # refused: required questions are unanswered
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, ReviewScreen)
    uuid = interview_uuid(store, d)
    assert store.answers(uuid)["a2"].code == -9
    assert store.interviews(d)[-1]["status"] == "in_progress"


async def test_supervisor_rejects_and_interviewer_sees_comment(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    uuid = store.start_interview(d, respondent_line=1)
    for k, v in roster_answers(FORM, store.roster(d), 1):
        store.set_answer(uuid, k, v)
    store.set_answer(uuid, "a1", "1")
    store.complete(uuid, outcome="1.2")
    sup = make_app(store, FORM, supervisor=True, clock=FrozenClock(), rng=1)
    async with sup.run_test(size=SIZE) as pilot:
        await settle(sup, pilot)
        assert sup.screen.query_one("#sv-progress").row_count == 4  # 3 communities + all
        sup.screen.query_one("#sv-interviews").focus()
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        while str(sup.screen.query_one("#iv-answers").coordinate_to_cell_key(
                sup.screen.query_one("#iv-answers").cursor_coordinate).row_key.value) != "a1":
            await pilot.press("down")
        await pilot.press("x")
        await settle(pilot.app, pilot)
        await type_text(pilot, "ask again")
        title = sup.screen.query_one("#dialog-title")
        before = str(title.render())
        await pilot.press("f4")  # switching language keeps the text typed
        await settle(sup, pilot)
        assert str(title.render()) != before
        assert sup.screen.query_one("#comment").value == "ask again"
        await pilot.press("enter")
        await settle(sup, pilot)
    itv = store.interviews(d)[-1]
    assert itv["review_state"] == "rejected"
    assert store.review_comments(uuid)[0]["question"] == "a1"
    assert next(r for r in case_rows(store) if r.dwelling_id == d).status == "rejected"
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        assert "ask again" in str(app.screen.query_one("#hh-interview").render())
        await pilot.press("i")
        await settle(pilot.app, pilot)
        screen = app.screen
        await pilot.press("f5")
        await settle(pilot.app, pilot)
        await type_text(pilot, "a1")  # jump by the question's number
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert screen.runner.current.key == "a1"
        assert "ask again" in str(screen.views[0].query_one(".q-label").render())
    assert store.interviews(d)[-1]["status"] == "in_progress"


def test_probability_text() -> None:
    from fieldsurvey.tui.screens.roster import probability_text

    assert probability_text(0.5) == "1/2"
    assert probability_text(0.25) == "1/4"
    assert probability_text(1 / 6) == "1/6"
    assert probability_text(None) == "-"


def test_parse_time() -> None:
    from fieldsurvey.tui.screens.attempt import AppointmentError, parse_time

    now = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
    at = dt.datetime(2026, 11, 23, 18, 30, tzinfo=dt.UTC)
    assert parse_time("2026-11-23 18:30", now) == at
    assert parse_time("11-23 18:30", now) == at
    assert parse_time("+2d 18:30", now) == at
    assert parse_time("后天 18:30", now) == at
    assert parse_time("明天 18:30", now) == at - dt.timedelta(days=1)
    assert parse_time("tomorrow 18:30", now) == at - dt.timedelta(days=1)
    assert parse_time("18:30", now) == at - dt.timedelta(days=2)
    assert parse_time("+2d", now) == now + dt.timedelta(days=2)
    assert parse_time("01-05 10:00", now) == dt.datetime(2027, 1, 5, 10, 0, tzinfo=dt.UTC)
    assert parse_time("", now) is None
    for text, reason in (("soon", "unparsable"), ("25:00", "unparsable"),
                         ("02-30 10:00", "unparsable"), ("明天", "unparsable"),
                         ("09:00", "past"), ("11-20 18:30", "past"),
                         ("2026-11-21 09:29", "past")):
        with pytest.raises(AppointmentError) as err:
            parse_time(text, now)
        assert err.value.reason == reason, text


async def test_multi_select_keys_in_a_row_and_exclusive_choice(store: FieldStore) -> None:
    d = did(store)
    prepare_household(store, d)
    uuid = store.start_interview(d, respondent_line=1)
    for k, v in roster_answers(FORM, store.roster(d), 1):
        store.set_answer(uuid, k, v)
    store.set_position(uuid, "b1")
    app = make_app(store, FORM, clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot)
        await pilot.press("i")
        await settle(pilot.app, pilot)
        assert app.screen.runner.current.key == "b1"
        await pilot.press("1", "3")
        await settle(pilot.app, pilot)
        assert store.answers(uuid)["b1"] == ("1", "3")
        await pilot.press("0")  # 都没有: replaces the others
        await settle(pilot.app, pilot)
        assert store.answers(uuid)["b1"] == ("0",)
        await pilot.press("2", "space")  # 2 clears 都没有; space on the cursor (2) again
        await settle(pilot.app, pilot)
        assert "b1" not in store.answers(uuid)
        await pilot.press("enter")  # required: stays
        assert app.screen.runner.current.key == "b1"


async def test_supervisor_approves(store: FieldStore) -> None:
    d = did(store, 2)
    uuid = store.start_interview(d, respondent_line=None)
    store.set_answer(uuid, "a1", "2")
    store.complete(uuid, outcome="1.1")
    sup = make_app(store, FORM, supervisor=True, clock=FrozenClock(), rng=1)
    async with sup.run_test(size=SIZE) as pilot:
        await settle(sup, pilot)
        await pilot.press("t")  # progress by interviewer
        await settle(sup, pilot)
        first = str(sup.screen.query_one("#sv-progress").get_row_at(0))
        assert "int01" in first
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert "女" in str(sup.screen.query_one("#iv-answers").get_row("a1"))
        await pilot.press("a")
        await settle(sup, pilot)
    assert store.interviews(d)[-1]["review_state"] == "approved"
    assert store.review_comments(uuid) == []
