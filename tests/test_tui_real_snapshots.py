"""SVG snapshots of interview pages of real-shaped XLSForms at 80x24.

The pages whose look changed for real forms: a long list of long Chinese choice labels
(wrapped under their start, the page scrolled to the cursor), a note written in ODK
markdown with a guidance hint and a media file, and a repeat's prompt listing its
entries. The forms are the ones of ``test_tui_real_forms``; the store is fresh with a
frozen clock and the text cursor held steady, so the pictures do not change between runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_real_forms import PLACES, store_for, write_form
from tui_support import FrozenClock, quick_idle, steady_cursor

from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import make_app

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


def _form(tmp_path: Path) -> Path:
    survey = [
        {"type": "select_one place", "name": "place", "label::English": "Which village?",
         "label::Chinese": "哪个行政村？",
         "hint::English": "Move with the arrow keys", "hint::Chinese": "用方向键移动"},
        {"type": "note", "name": "intro",
         "label::English": "# Consent\nMy name is **[Your Name]**, from *the survey team*; "
                           "see [our site](https://example.org).",
         "label::Chinese": "# 知情同意\n我是**[姓名]**，来自*调查组*。",
         "guidance_hint::English": "Read slowly", "guidance_hint::Chinese": "请慢慢读",
         "media::image::English": "team.jpg", "media::image::Chinese": "team_zh.jpg"},
        {"type": "begin_repeat", "name": "member", "label::English": "Household members",
         "label::Chinese": "家庭成员"},
        {"type": "text", "name": "m_name", "label::English": "Name", "label::Chinese": "姓名"},
        {"type": "end_repeat", "name": "member"},
    ]
    choices = [{"list_name": "place", "name": f"p{i}", "label::English": f"Village {i:02d}",
                "label::Chinese": label} for i, label in enumerate(PLACES, start=1)]
    return write_form(tmp_path / "real.xlsx", survey, choices,
                      {"form_title": "Real form", "form_id": "real", "version": "1",
                       "default_language": "English"})


@pytest.fixture
def store(tmp_path: Path) -> FieldStore:
    st = store_for(tmp_path, _form(tmp_path))
    yield st
    st.close()


def _resume_at(store: FieldStore, position: str, answers: dict[str, object]) -> None:
    d = str(store.assignments()["dwelling_id"].iloc[0])
    uuid = store.start_interview(d, respondent_line=1)
    for key, value in answers.items():
        store.set_answer(uuid, key, value)
    store.set_position(uuid, position)


async def _ready(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _open(pilot) -> None:  # type: ignore[no-untyped-def]
    await _ready(pilot)
    await pilot.press("enter")
    await _ready(pilot)
    await pilot.press("i")
    await _ready(pilot)


def test_long_list_of_long_chinese_labels(snap_compare, store: FieldStore) -> None:  # type: ignore[no-untyped-def]
    _resume_at(store, "place", {})

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot)
        for _ in range(24):  # to option 25, whose label wraps
            await pilot.press("down")
        await _ready(pilot)

    app = make_app(store, language="zh", clock=FrozenClock())
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_markdown_note_with_guidance_and_media(snap_compare, store: FieldStore) -> None:  # type: ignore[no-untyped-def]
    _resume_at(store, "intro", {"place": "p3"})
    app = make_app(store, language="en", clock=FrozenClock())
    assert snap_compare(app, terminal_size=SIZE, run_before=_open)


def test_repeat_prompt_lists_its_entries(snap_compare, store: FieldStore) -> None:  # type: ignore[no-untyped-def]
    _resume_at(store, "+member", {"place": "p3", "m_name[1]": "刘洋", "m_name[2]": "王芳"})
    app = make_app(store, language="zh", clock=FrozenClock())
    assert snap_compare(app, terminal_size=SIZE, run_before=_open)
