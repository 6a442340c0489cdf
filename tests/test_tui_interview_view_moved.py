"""The supervisor's interview view says when the household moved with work on its old device.

The interview's household was reassigned to int02 after int01's device had completed an
interview there: the view shows, under the decisions, whose household it is now, whose
device worked on it and the command that settles it (Chinese and English); after
``review --resolve`` the line is gone. Other interviews show no such line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_review_tiers import FORM, SIZE, central_with_three, settle, text_of
from tui_support import FrozenClock, quick_idle, steady_cursor

from fieldsurvey.store.store import FieldStore
from fieldsurvey.store.sync.moved import resolve
from fieldsurvey.tui.app import make_app
from fieldsurvey.tui.screens.interview_view import InterviewViewScreen
from fieldsurvey.tui.screens.supervisor import SupervisorScreen


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


def moved_central(folder: Path) -> tuple[Path, list[str], str]:
    """The three interviews of int01; the first one's household then moved to int02."""
    central, uuids = central_with_three(folder)
    with FieldStore.open(central) as st:
        row = st.assignments().set_index("dwelling_id").loc[["340199001001-000"]]
        row = row.reset_index()[["dwelling_id", "community_id", "form_id", "form_version"]]
        st.assign(row.assign(interviewer="int02").drop(columns=["form_id", "form_version"]),
                  form_id=str(row["form_id"].iloc[0]),
                  form_version=str(row["form_version"].iloc[0]))
    return central, uuids, "340199001001-000"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_view_says_the_household_moved_and_how_to_settle_it(
        tmp_path: Path, lang: str) -> None:
    central, (a, b, _), d = moved_central(tmp_path)
    app = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳",
                   language=lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        app.push_screen(InterviewViewScreen(a))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen))
        line = app.screen.query_one("#iv-moved")
        assert line.display
        text = text_of(app, "#iv-moved")
        assert f"--resolve {d} --to int01" in text and "int02" in text
        assert ("改派给int02" if lang == "zh" else "Moved to int02") in text
        app.pop_screen()
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        app.push_screen(InterviewViewScreen(b))  # another household: nothing to say
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen)
                     and app.screen.uuid == b)
        assert not app.screen.query_one("#iv-moved").display
        app.pop_screen()
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        # settled (kept with int02): the line is gone
        with FieldStore.open(central) as st:
            resolve(st, d, to="int02", reviewer="王芳")
        app.push_screen(InterviewViewScreen(a))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen)
                     and app.screen.uuid == a)
        assert not app.screen.query_one("#iv-moved").display
    app.close_store()


async def test_g_gives_the_household_back_from_the_view(tmp_path: Path) -> None:
    import sqlite3

    from fieldsurvey.tui.i18n import tr
    from fieldsurvey.tui.screens.interview_view import ResolveDialog

    central, (a, b, _), d = moved_central(tmp_path)
    app = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳",
                   language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        app.push_screen(InterviewViewScreen(b))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen))
        assert "Who finishes" not in text_of(app, "#keys")
        await pilot.press("g")  # nothing to settle at b: a notice, no dialog
        await settle(pilot)
        assert [n.message for n in app._notifications][-1] == tr("resolve_none", "en")
        assert isinstance(app.screen, InterviewViewScreen)
        app.pop_screen()
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        app.push_screen(InterviewViewScreen(a))
        await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen)
                     and app.screen.uuid == a)
        view = app.screen
        assert "G Who finishes" in text_of(app, "#keys")
        await pilot.press("g")
        await settle(pilot, lambda: isinstance(app.screen, ResolveDialog))
        await pilot.press("enter")  # the first line: give it back to int01
        await settle(pilot, lambda: app.screen is view)
        assert [n.message for n in app._notifications][-1] == \
            tr("resolved_back", "en", to="int01")
        assert not view.query_one("#iv-moved").display
        assert "Who finishes" not in text_of(app, "#keys")
    app.close_store()
    c = sqlite3.connect(central)
    try:
        assert c.execute("SELECT interviewer FROM assignments WHERE dwelling_id = ?",
                         (d,)).fetchone() == ("int01",)
        assert c.execute("SELECT interviewer, json_extract(detail, '$.to') FROM events "
                         "WHERE kind = 'moved_resolved'").fetchall() == [("王芳", "int01")]
    finally:
        c.close()
