"""The supervisor's review list marks the interviews of a household moved with work on its
old device (⚠ before the interviewer), and only those."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_interview_view_moved import moved_central
from test_tui_review_tiers import FORM, SIZE, settle
from tui_support import FrozenClock, quick_idle, steady_cursor

from fieldsurvey.store.review import MOVED_MARK
from fieldsurvey.tui.app import make_app
from fieldsurvey.tui.screens.supervisor import SupervisorScreen


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


async def test_the_review_list_marks_the_moved_household(tmp_path: Path) -> None:
    central, (a, b, c), _ = moved_central(tmp_path)
    app = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        table = app.screen.query_one("#sv-interviews")
        who = {str(key.value): str(table.get_row(key)[2]) for key in table.rows}
    app.close_store()
    assert who[a].startswith(MOVED_MARK) and "int01" in who[a]
    assert not who[b].startswith(MOVED_MARK) and not who[c].startswith(MOVED_MARK)
