"""F3 at a media question: choose the file from a folder, keys only, at 80x24 (issue 16)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from textual.widgets import Input
from tui_support import FrozenClock, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.screens.household import HouseholdScreen
from fieldsurvey.tui.screens.media_picker import MediaPicker, MediaTree, accepts, start_folder
from fieldsurvey.tui.screens.question import QuestionScreen

SIZE = (80, 24)
FORM = """\
settings:
  form_id: picker_test
  version: '1'
  default_language: en
languages:
- en
survey:
- type: image
  name: photo
  label: {en: Photo of the meter}
- type: audio
  name: voice
  label: {en: The respondent's answer, recorded}
- type: text
  name: q1
  label: {en: Note}
"""


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with photos, a recording, and files the pickers must not offer."""
    home = tmp_path / "home"
    pics = home / "Pictures"
    (pics / "2026").mkdir(parents=True)
    (pics / "2026" / "meter.png").write_bytes(b"\x89PNG meter")
    (pics / "door.jpg").write_bytes(b"\xff\xd8 door")
    (pics / "voice.m4a").write_bytes(b"m4a voice")
    (pics / "notes.txt").write_text("not a photo", encoding="utf-8")
    (pics / ".hidden.jpg").write_bytes(b"\xff\xd8 hidden")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(MediaPicker, "last_folder", None)
    return home


def _store(tmp_path: Path) -> tuple[FieldStore, str]:
    form_path = tmp_path / "picker.yaml"
    form_path.write_text(FORM, encoding="utf-8")
    form = load_form(form_path)
    st = FieldStore.create(tmp_path / "dev.sqlite", survey_id="S", device_id="dev",
                           interviewer="int01", pii_salt="salt", clock=FrozenClock())
    st.add_form(form_path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=form_path.name)
    st.assign(pd.DataFrame([{"dwelling_id": "340199001001-00001",
                             "community_id": "340199001001", "released": 1}]),
              form_id=form.form_id, form_version=form.version)
    d = "340199001001-00001"
    st.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                        probability=1.0, kish_table="A")
    return st, d


async def _settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _shown(tree: MediaTree) -> list[str]:
    """The names of the tree's visible lines (the root folder first)."""
    return [str(tree.get_node_at_line(i).label) for i in range(tree.last_line + 1)]


async def _until(pilot, done) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``done()`` (the tree reads folders in a worker that never
    ends while it is shown, so waiting for every worker to complete would hang)."""
    for _ in range(500):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("the picker did not get there")


async def _picker(app: FieldsurveyApp, pilot) -> MediaTree:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await _until(pilot, lambda: isinstance(app.screen, MediaPicker))
    tree = app.screen.query_one(MediaTree)
    await _until(pilot, lambda: tree.root.data is not None and tree.root.data.loaded)
    return tree


async def test_pick_a_photo_then_a_recording_with_keys_only(tmp_path: Path, home: Path) -> None:
    st, d = _store(tmp_path)
    form = load_form(tmp_path / "picker.yaml")
    app = make_app(st, form, language="en", clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, HouseholdScreen)
        await pilot.press("i")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QuestionScreen) and screen.runner.current.key == "photo"
        assert "F3" in str(screen.query_one("#q-keys").render())

        # Esc: nothing chosen, the answer box unchanged
        await _picker(app, pilot)
        await pilot.press("escape")
        await _until(pilot, lambda: app.screen is screen)
        assert screen.views[0].answer_widget().value == ""

        tree = await _picker(app, pilot)
        picker = app.screen
        box = picker.query_one("#picker")
        assert box.region.right <= SIZE[0] and box.region.bottom <= SIZE[1]
        assert tree.path == home / "Pictures"  # the usual folder of photos
        assert [n.split(" ", 1)[-1] for n in _shown(tree)] == ["Pictures", "2026", "door.jpg"]
        await pilot.press("down", "enter")  # open the folder 2026
        await _until(pilot, lambda: tree.last_line >= 3)
        await pilot.press("down", "enter")  # its photo
        await _until(pilot, lambda: app.screen is screen)
        inp = screen.views[0].answer_widget()
        assert isinstance(inp, Input) and inp.value == str(home / "Pictures" / "2026" /
                                                              "meter.png")
        await pilot.press("enter")  # saved as a typed path is
        await _settle(app, pilot)
        assert screen.runner.current.key == "voice"

        # the recording: opens where the last file was picked; Backspace goes up
        tree = await _picker(app, pilot)
        assert tree.path == home / "Pictures" / "2026"
        assert _shown(tree) == ["2026"]  # a photo is no recording
        await pilot.press("backspace")
        await _until(pilot, lambda: tree.path == home / "Pictures" and tree.last_line >= 2)
        names = [n.split(" ", 1)[-1] for n in _shown(tree)]
        assert names == ["Pictures", "2026", "voice.m4a"]  # no photos at an audio question
        await pilot.press("down", "down", "enter")
        await _until(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "q1"
    uuid = st.interviews(d)[-1]["uuid"]
    answers = st.answers(uuid)
    png = hashlib.sha256(b"\x89PNG meter").hexdigest()
    m4a = hashlib.sha256(b"m4a voice").hexdigest()
    assert answers["photo"] == f"{png}-meter.png" and answers["voice"] == f"{m4a}-voice.m4a"
    st.close()


def test_accepted_files_and_the_start_folder(tmp_path: Path, home: Path) -> None:
    assert accepts("image", Path("a.JPG")) and not accepts("image", Path("a.m4a"))
    assert accepts("audio", Path("a.m4a")) and accepts("video", Path("clip.mp4"))
    assert accepts("file", Path("anything.xyz"))
    pics = home / "Pictures"
    assert start_folder("image") == pics
    assert start_folder("video") == home  # no ~/Videos: the home folder
    assert start_folder("image", typed=str(pics / "2026" / "meter.png")) == pics / "2026"
    assert start_folder("image", last=pics / "2026") == pics / "2026"
    assert start_folder("image", typed=str(tmp_path / "nowhere" / "x.jpg"),
                        last=pics / "2026") == pics / "2026"
