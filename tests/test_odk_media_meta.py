"""ODK metadata answers from the store's event log, and media files kept in the store (issue 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tui_support import FROZEN, FrozenClock, make_store, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.screens.household import HouseholdScreen
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.screens.review import ReviewScreen

SIZE = (80, 24)

META_FORM = """\
settings:
  form_id: meta_test
  version: '1'
  default_language: en
languages:
- en
survey:
- type: start
  name: starttime
- type: end
  name: endtime
- type: today
  name: day
- type: deviceid
  name: device
- type: username
  name: user
- type: text
  name: q1
  label:
    en: First question
- type: text
  name: q2
  label:
    en: Second question
- type: calculate
  name: dur
  calculation: duration()
"""


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


async def _settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open_interview(app: FieldsurveyApp, pilot) -> QuestionScreen:  # type: ignore[no-untyped-def]
    await _settle(app, pilot)
    await pilot.press("enter")
    await _settle(app, pilot)
    assert isinstance(app.screen, HouseholdScreen)
    await pilot.press("i")
    await _settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    return screen


async def test_metadata_from_the_event_log_across_two_sessions(tmp_path: Path) -> None:
    form_path = tmp_path / "meta.yaml"
    form_path.write_text(META_FORM, encoding="utf-8")
    form = load_form(form_path)
    clock1 = FrozenClock(FROZEN)
    store = make_store(tmp_path / "dev.sqlite", 1, clock1, form_path=form_path)
    d = str(store.assignments()["dwelling_id"].iloc[0])
    store.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    store.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                           probability=1.0, kish_table="A")
    # session 1: answer q1, then quit the app
    app = make_app(store, form, language="en", clock=clock1, rng=1)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_interview(app, pilot)
        assert screen.runner.current.key == "q1"
        await pilot.press(*list("abc"), "enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "q2"
    uuid = store.interviews(d)[-1]["uuid"]
    first = dt.datetime.fromisoformat(str(store.events(uuid)["time"].iloc[0]))
    store.close()
    # session 2, two days later: answer q2 and submit
    later = FROZEN + dt.timedelta(days=2)
    clock2 = FrozenClock(later)
    again = FieldStore.open(tmp_path / "dev.sqlite", clock=clock2)
    try:
        app2 = make_app(again, form, language="en", clock=clock2, rng=1)
        async with app2.run_test(size=SIZE) as pilot:
            screen = await _open_interview(app2, pilot)
            assert screen.runner.current.key == "q2"
            # start is the first session's, not this one's
            assert screen.runner.state.vals["starttime"] == first.replace(microsecond=0)
            # duration(): the two sessions' minutes, not the two days between them
            assert 0 < screen.runner.env.duration() < 600
            await pilot.press(*list("xyz"), "enter")
            await _settle(app2, pilot)
            for _ in range(5):
                if isinstance(app2.screen, ReviewScreen):
                    break
                await pilot.press("enter")
                await _settle(app2, pilot)
            assert isinstance(app2.screen, ReviewScreen)
            await pilot.press("c")
            await _settle(app2, pilot)
        itv = again.interviews(d)[-1]
        assert itv["status"] == "completed"
        ans = again.answers(uuid)
        assert ans["q1"] == "abc" and ans["q2"] == "xyz"
        assert ans["starttime"] == first.replace(microsecond=0)
        assert ans["starttime"].date() == FROZEN.date()
        assert ans["endtime"] >= later and ans["endtime"].date() == later.date()
        assert ans["day"] == later.date()
        assert ans["device"] == "dev-test" and ans["user"] == "int01"
        # end is the last event before the completion (the metadata saved just before it)
        complete_t = dt.datetime.fromisoformat(
            str(again.events(uuid, kinds=("complete",))["time"].iloc[-1]))
        assert ans["endtime"] <= complete_t
    finally:
        again.close()
