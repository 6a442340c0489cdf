"""The supervisor's review and quality lists draw their first rows and say so.

Textual measures every cell a DataTable holds; a central store of 10,000 interviews took
~40 s to draw. The lists draw the first ``LIST_ROWS`` in their order (what awaits a
decision first) and the title says how many of how many.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import FORM_PATH, FrozenClock, make_store, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import make_app
from fieldsurvey.tui.screens import supervisor

FORM = load_form(FORM_PATH)


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


def _completed(tmp_path: Path, n: int) -> FieldStore:
    st = make_store(tmp_path / "central.sqlite", n, clock=FrozenClock())
    for d in [str(x) for x in st.assignments()["dwelling_id"]]:
        uuid = st.start_interview(d, respondent_line=None)
        st.set_answer(uuid, "a1", "2")
        st.complete(uuid, outcome="1.1")
    return st


async def _settled(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize(("lang", "note"), [("zh", "前3条/共5条"), ("en", "first 3 of 5")])
async def test_the_lists_draw_their_first_rows_and_say_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, note: str) -> None:
    monkeypatch.setattr(supervisor, "LIST_ROWS", 3)
    st = _completed(tmp_path, 5)
    st.review(str(st.interviews()[0]["uuid"]), "approve", reviewer="督导")
    app = make_app(st, FORM, supervisor=True, language=lang, clock=FrozenClock(), rng=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot)
        table = app.screen.query_one("#sv-interviews")
        assert table.row_count == 3
        title = str(app.screen.query_one("#sv-review-title").render())
        assert note in title
        # the approved one is last in the order, so it is the one left out
        shown = {str(k.value) for k in table.rows}
        assert str(st.interviews()[0]["uuid"]) not in shown
        await pilot.press("q")  # the quality list: the same cap and note
        await _settled(pilot)
        assert app.screen.query_one("#sv-interviews").row_count == 3
        assert note in str(app.screen.query_one("#sv-review-title").render())
    st.close()


async def test_all_rows_drawn_under_the_cap_without_a_note(tmp_path: Path) -> None:
    st = _completed(tmp_path, 4)
    app = make_app(st, FORM, supervisor=True, clock=FrozenClock(), rng=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot)
        assert app.screen.query_one("#sv-interviews").row_count == 4
        assert "共" not in str(app.screen.query_one("#sv-review-title").render())
    st.close()
