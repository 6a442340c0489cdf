"""The supervisor's interview view shows labels as the interviewer read them.

A choice label (and a question label) with ``${x}`` is filled in from the interview's own
answers by the questionnaire's function (``InterviewRunner.choice_text`` / ``text``, the
one the interviewer's question page uses), in the TUI's language, also inside a repeat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from textual.widgets import DataTable
from tui_support import FrozenClock, quick_idle, steady_cursor

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import make_app
from fieldsurvey.tui.screens.interview_view import InterviewViewScreen
from fieldsurvey.tui.screens.supervisor import SupervisorScreen

FORM = """\
settings:
  form_id: labels_view
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
- type: begin_repeat
  name: kids
  label: {en: 'Children', zh: '子女'}
- type: text
  name: kid
  label: {en: 'Name of the child', zh: '子女姓名'}
- type: select_one yn
  name: school
  label: {en: 'Does ${kid} go to school?', zh: '${kid}上学吗?'}
- type: end_repeat
  name: kids
choices:
  rel:
  - {name: '1', label: {en: '${who} is the head', zh: '${who}是户主'}}
  - {name: '2', label: {en: 'Someone else than ${who}', zh: '不是${who}'}}
  yn:
  - {name: '1', label: {en: 'yes, ${kid} does', zh: '${kid}上学'}}
  - {name: '2', label: {en: 'no', zh: '不上学'}}
"""


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


async def settle(pilot: Any, until: Any = None) -> None:
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if until is None or until():
            return
    raise AssertionError("the app did not settle")


def store_with_interview(folder: Path) -> tuple[FieldStore, Any, str]:
    path = folder / "labels.yaml"
    path.write_text(FORM, encoding="utf-8")
    form = load_form(path)
    st = FieldStore.create(folder / "central.sqlite", survey_id="S", device_id="dev",
                           interviewer="int01", pii_salt="salt", clock=FrozenClock())
    st.add_form(path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=path.name)
    d = "340199001001-00001"
    st.assign(pd.DataFrame([{"dwelling_id": d, "community_id": "340199001001",
                             "released": 1}]), form_id=form.form_id, form_version=form.version)
    st.record_attempt(d, "1.1")
    uuid = st.start_interview(d)
    for key, value in (("who", "Ana"), ("rel", "1"), ("kid[1]", "Bo"), ("school[1]", "1"),
                       ("kid[2]", "Cy"), ("school[2]", "2")):
        st.set_answer(uuid, key, value)
    st.complete(uuid)
    return st, form, uuid


def rows(screen: InterviewViewScreen) -> dict[str, tuple[str, str]]:
    table = screen.query_one("#iv-answers", DataTable)
    out = {}
    for r in range(table.row_count):
        key = str(table.coordinate_to_cell_key((r, 0)).row_key.value)
        cells = table.get_row_at(r)
        out[key] = (str(cells[0]).strip(), str(cells[1]).strip())
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_choice_labels_are_filled_in_in_the_supervisors_view(tmp_path: Path,
                                                                   lang: str) -> None:
    st, form, uuid = store_with_interview(tmp_path)
    app = make_app(st, form, supervisor=True, language=lang, clock=FrozenClock(),
                   reviewer="王芳")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        app.push_screen(InterviewViewScreen(uuid))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen))
        screen = app.screen
        assert isinstance(screen, InterviewViewScreen)
        got = rows(screen)
        if lang == "en":
            assert got["rel"] == ("rel Who is Ana?", "Ana is the head")
            assert got["school[1]"][1] == "yes, Bo does"  # the repeat's own instance
            assert got["school[2]"] == ("school[2] Does Cy go to school?", "no")
        else:
            assert got["rel"] == ("rel Ana是谁?", "Ana是户主")
            assert got["school[1]"][1] == "Bo上学"
        text = "".join(v for pair in got.values() for v in pair)
        assert "${" not in text
        # the reject dialog lists the questions with their filled-in labels too
        assert (("rel", "rel Who is Ana?") if lang == "en" else ("rel", "rel Ana是谁?")) \
            in screen.questions
    st.close()
