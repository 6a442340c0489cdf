"""The audit log of an interview really taken in the TUI over two sessions (issue 16)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tui_support import FROZEN, FrozenClock, make_store, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.export import export_store
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.screens.household import HouseholdScreen
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.screens.review import ReviewScreen

SIZE = (80, 24)
FORM = """\
settings:
  form_id: audit_tui
  version: '1'
  default_language: en
languages:
- en
survey:
- type: audit
  name: audit
  parameters: track-changes=true
- type: integer
  name: q1
  label: {en: First}
- type: integer
  name: q2
  label: {en: Second}
"""


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


async def _settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app: FieldsurveyApp, pilot) -> QuestionScreen:  # type: ignore[no-untyped-def]
    await _settle(app, pilot)
    await pilot.press("enter")
    await _settle(app, pilot)
    assert isinstance(app.screen, HouseholdScreen)
    await pilot.press("i")
    await _settle(app, pilot)
    assert isinstance(app.screen, QuestionScreen)
    return app.screen


async def test_audit_of_an_interview_taken_in_the_tui(tmp_path: Path) -> None:
    path = tmp_path / "audit.yaml"
    path.write_text(FORM, encoding="utf-8")
    form = load_form(path)
    clock = FrozenClock(FROZEN)
    st = make_store(tmp_path / "dev.sqlite", 1, clock, form_path=path)
    d = str(st.assignments()["dwelling_id"].iloc[0])
    st.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                        probability=1.0, kish_table="A")
    app = make_app(st, form, language="en", clock=clock, rng=1)
    async with app.run_test(size=SIZE) as pilot:  # session 1: q1, then the app quits
        screen = await _open(app, pilot)
        assert screen.runner.current.key == "q1"
        await pilot.press("5", "enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "q2"
    st.close()
    again = FieldStore.open(tmp_path / "dev.sqlite", clock=clock)
    app2 = make_app(again, form, language="en", clock=clock, rng=1)
    async with app2.run_test(size=SIZE) as pilot:  # session 2: back to q1 to change it
        screen = await _open(app2, pilot)
        assert screen.runner.current.key == "q2"
        await pilot.press("7", "enter")
        await _settle(app2, pilot)
        await pilot.press("pageup", "pageup")
        await _settle(app2, pilot)
        assert screen.runner.current.key == "q1"
        inp = screen.views[0].answer_widget()
        inp.value = "6"
        await pilot.press("enter")
        await _settle(app2, pilot)
        for _ in range(5):
            if isinstance(app2.screen, ReviewScreen):
                break
            await pilot.press("enter")
            await _settle(app2, pilot)
        await pilot.press("c")
        await _settle(app2, pilot)
    uuid = again.interviews(d)[-1]["uuid"]
    assert again.interviews(d)[-1]["status"] == "completed"
    export_store(again, tmp_path / "out", format="csv")
    again.close()
    with open(tmp_path / "out" / "audit" / f"{uuid}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = [(r["event"], r["node"], r["old-value"], r["new-value"]) for r in rows]
    assert got == [
        ("form start", "", "", ""),
        ("question", "/data/q1", "", "5"),
        ("question", "/data/q2", "", ""),  # shown when the app quit
        ("form save", "", "", ""),
        ("form exit", "", "", ""),
        ("form resume", "", "", ""),
        ("question", "/data/q2", "", "7"),
        ("end screen", "", "", ""),  # then PgUp twice, back to q1
        ("question", "/data/q2", "", ""),
        ("question", "/data/q1", "5", "6"),
        ("question", "/data/q2", "", ""),  # Enter, Enter: the end, then the review
        ("end screen", "", "", ""),
        ("form finalize", "", "", ""),
        ("form save", "", "", ""),
        ("form exit", "", "", ""),
    ]
    starts = [int(r["start"]) for r in rows]
    assert starts == sorted(starts)
    assert all(int(r["end"]) >= int(r["start"]) for r in rows if r["end"])
    assert all(r["end"] for r in rows if r["event"] in ("question", "end screen"))
