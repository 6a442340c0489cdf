"""The interviewer sees choice labels with ``${x}`` filled in, in the TUI's language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tui_support import FrozenClock, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.widgets.choice_field import ChoiceField

FORM = """\
settings:
  form_id: labels_tui
  version: '1'
  default_language: en
languages:
- en
- zh
survey:
- type: text
  name: who
  label: {en: 'Name?', zh: '姓名?'}
- type: select_one rel
  name: rel
  label: {en: 'Who is ${who}?', zh: '${who}是谁?'}
choices:
  rel:
  - {name: '1', label: {en: '${who} is the head', zh: '${who}是户主'}}
  - {name: '2', label: {en: 'Someone else than ${who}', zh: '不是${who}'}}
"""


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


async def _settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_tui_shows_filled_choice_labels_and_follows_the_language(tmp_path: Path) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text(FORM, encoding="utf-8")
    form = load_form(path)
    st = FieldStore.create(tmp_path / "dev.sqlite", survey_id="S", device_id="dev",
                           interviewer="int01", pii_salt="salt", clock=FrozenClock())
    st.add_form(path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=path.name)
    d = "340199001001-00001"
    st.assign(pd.DataFrame([{"dwelling_id": d, "community_id": "340199001001",
                             "released": 1}]), form_id=form.form_id, form_version=form.version)
    st.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                        probability=1.0, kish_table="A")
    app = make_app(st, form, language="en", clock=FrozenClock(), rng=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        await pilot.press("i")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QuestionScreen) and screen.runner.current.key == "who"
        await pilot.press(*"Ana", "enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "rel"
        view = screen.views[0]
        assert view.label == "Who is Ana?"
        assert view.options == [("1", "Ana is the head"), ("2", "Someone else than Ana")]
        field = view.answer_widget()
        assert isinstance(field, ChoiceField)
        shown = field.render().plain  # what the interviewer reads
        assert "Ana is the head" in shown and "Someone else than Ana" in shown
        await pilot.press("f4")  # the other language
        await _settle(app, pilot)
        assert screen.views[0].options == [("1", "Ana是户主"), ("2", "不是Ana")]
        assert "Ana是户主" in screen.views[0].answer_widget().render().plain
    st.close()
