"""ODK metadata answers from the store's event log, and media files kept in the store (issue 16)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
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


MEDIA_FORM = """\
settings:
  form_id: media_test
  version: '1'
  default_language: en
languages:
- en
survey:
- type: image
  name: photo
  label:
    en: Photo of the meter
- type: text
  name: q1
  label:
    en: Note
- type: image
  name: face
  label:
    en: Photo of the respondent
  sensitive: 'yes'
"""


def _media_store(tmp_path: Path, name: str, device: str = "dev-test") -> tuple[FieldStore, str]:
    form_path = tmp_path / "media.yaml"
    form_path.write_text(MEDIA_FORM, encoding="utf-8")
    form = load_form(form_path)
    st = FieldStore.create(tmp_path / name, survey_id="S-test", device_id=device,
                           interviewer="int01", pii_salt="salt", clock=FrozenClock())
    st.add_form(form_path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=form_path.name)
    st.assign(pd.DataFrame([{"dwelling_id": f"340199001001-{device}", "community_id":
                             "340199001001", "released": 1}]),
              form_id=form.form_id, form_version=form.version)
    d = str(st.assignments()["dwelling_id"].iloc[0])
    return st, d


def test_media_file_kept_in_store_and_exported(tmp_path: Path) -> None:
    from fieldsurvey.store.export import export_store
    from fieldsurvey.store.media import add_media, media_answer, media_content

    photo = tmp_path / "meter 1.jpg"
    data = bytes(range(256)) * 40
    photo.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    st, d = _media_store(tmp_path, "dev.sqlite")
    uuid = st.start_interview(d, respondent_line=1)
    text = add_media(st, photo)
    assert text == f"{digest}-meter 1.jpg" and media_answer(text) == (digest, "meter 1.jpg")
    assert add_media(st, photo) == text  # the same content twice: one row
    assert st.connection.execute("SELECT count(*) FROM media").fetchone()[0] == 1
    st.set_answer(uuid, "photo", text)
    st.set_answer(uuid, "q1", "ok")
    face = tmp_path / "face.jpg"
    face.write_bytes(b"\xff\xd8 a face")
    face_text = add_media(st, face)
    st.set_answer(uuid, "face", face_text)
    st.complete(uuid)
    photo.unlink()  # the store keeps the bytes: the original may go
    assert media_content(st, digest) == data
    res = export_store(st, tmp_path / "out", format="csv")
    assert res.rows["media"] == 1 and res.files["media"] == tmp_path / "out" / "media"
    out = tmp_path / "out" / "media" / f"{digest}-meter 1.jpg"
    assert out.read_bytes() == data
    table = (tmp_path / "out" / "interviews.csv").read_text(encoding="utf-8")
    assert f"{digest}-meter 1.jpg" in table
    # a sensitive photo stays out of an export without personal data, as its column does
    assert not (tmp_path / "out" / "media" / face_text).exists() and face_text not in table
    res = export_store(st, tmp_path / "full", format="csv", include_pii=True)
    assert res.rows["media"] == 2
    assert (tmp_path / "full" / "media" / face_text).read_bytes() == face.read_bytes()
    st.close()


def test_media_unreadable_or_missing_is_one_clear_error(tmp_path: Path) -> None:
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store.media import add_media

    st, _ = _media_store(tmp_path, "dev.sqlite")
    with pytest.raises(StoreError) as err:
        add_media(st, tmp_path / "nope.jpg")
    assert "nope.jpg" in str(err.value) and "cannot be read" in str(err.value)
    st.close()


def test_media_rows_merge_idempotently_by_hash(tmp_path: Path) -> None:
    from fieldsurvey.store.media import add_media, media_content
    from fieldsurvey.store.merge import merge_stores

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, da = _media_store(tmp_path / "a", "dev.sqlite")
    b, db = _media_store(tmp_path / "b", "dev.sqlite", "dev-b")
    same = tmp_path / "same.png"
    same.write_bytes(b"\x89PNG same")
    other = tmp_path / "other.png"
    other.write_bytes(b"\x89PNG other")
    for st, d, files in ((a, da, (same,)), (b, db, (same, other))):
        uuid = st.start_interview(d, respondent_line=1)
        st.set_answer(uuid, "photo", add_media(st, files[-1]))
        for f in files:
            add_media(st, f)
        st.close()
    central = tmp_path / "central.sqlite"
    merge_stores([tmp_path / "a" / "dev.sqlite", tmp_path / "b" / "dev.sqlite"], central)
    merge_stores([tmp_path / "b" / "dev.sqlite", tmp_path / "a" / "dev.sqlite"], central)
    c = FieldStore.open(central, readonly=True)
    try:
        assert c.connection.execute("SELECT count(*) FROM media").fetchone()[0] == 2
        for f in (same, other):
            data = f.read_bytes()
            assert media_content(c, hashlib.sha256(data).hexdigest()) == data
    finally:
        c.close()


async def test_tui_media_question_takes_a_typed_path(tmp_path: Path) -> None:
    photo = tmp_path / "door.jpg"
    photo.write_bytes(b"\xff\xd8\xff door")
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    st, d = _media_store(tmp_path, "dev.sqlite")
    form = load_form(tmp_path / "media.yaml")
    st.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                        probability=1.0, kish_table="A")
    app = make_app(st, form, language="en", clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_interview(app, pilot)
        assert screen.runner.current.key == "photo"
        await pilot.press(*list(str(tmp_path / "missing.jpg")), "enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "photo"  # no such file: refused, stays
        inp = screen.views[0].answer_widget()
        inp.value = str(photo)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert screen.runner.current.key == "q1"
    uuid = st.interviews(d)[-1]["uuid"]
    assert st.answers(uuid)["photo"] == f"{digest}-door.jpg"
    st.close()


def test_sync_push_carries_the_media_of_its_answers(tmp_path: Path) -> None:
    import sqlite3

    from fieldsurvey.store.media import add_media
    from fieldsurvey.store.sync.protocol import build_push, last_event, read_delta

    photo = tmp_path / "roof.jpg"
    photo.write_bytes(b"\xff\xd8 roof")
    unused = tmp_path / "unused.jpg"
    unused.write_bytes(b"\xff\xd8 not an answer")
    st, d = _media_store(tmp_path, "dev.sqlite")
    uuid = st.start_interview(d, respondent_line=1)
    st.set_answer(uuid, "photo", add_media(st, photo))
    add_media(st, unused)
    seq = last_event(st.connection, st.device_id)[0]
    meta = st.meta
    st.checkpoint()
    data = build_push(st.path, meta, 0, 1, seq)
    st.close()
    with read_delta(data, tmp_path) as (path, _version, _meta):
        c = sqlite3.connect(path)
        try:
            rows = c.execute("SELECT sha256, content FROM media").fetchall()
        finally:
            c.close()
    assert [(r[0], bytes(r[1])) for r in rows] == [
        (hashlib.sha256(photo.read_bytes()).hexdigest(), photo.read_bytes())]


def _nmea(body: str) -> str:
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"${body}*{c:02X}\r\n"


GEO_FORM = """\
settings:
  form_id: geo_test
  version: '1'
  default_language: en
languages:
- en
survey:
- type: geopoint
  name: here
  label:
    en: Where is the door?
  parameters: capture-accuracy=50 warning-accuracy=10
"""


def test_geopoint_without_gpsd_is_none() -> None:
    import socket

    from fieldsurvey.questionnaire.gps import read_fix

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert read_fix(port=port, timeout=1.0) is None


@pytest.fixture
def gpsfake_port(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A gpsfake (gpsd replaying an NMEA log) on a free port; skipped without gpsd."""
    import shutil
    import socket
    import subprocess

    if shutil.which("gpsfake") is None or shutil.which("gpsd") is None:
        pytest.skip("gpsd / gpsfake not installed (apt-get install gpsd gpsd-clients)")
    log = tmp_path / "fix.nmea"
    lines = []
    for i in range(200):
        t = f"09{30 + i // 60:02d}{i % 60:02d}.00"
        lines += [_nmea(f"GPGGA,{t},3150.0000,N,11716.0000,E,1,09,0.9,45.3,M,0.0,M,,"),
                  _nmea("GPGSA,A,3,01,02,03,04,05,06,07,08,09,,,,1.5,0.9,1.2"),
                  _nmea(f"GPRMC,{t},A,3150.0000,N,11716.0000,E,0.0,0.0,211126,,,A"),
                  _nmea(f"GPGST,{t},1.0,2.0,1.5,0.0,2.0,1.5,3.0")]
    log.write_text("".join(lines), encoding="ascii")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["gpsfake", "-1", "-q", "-c", "0.05", "-P", str(port), str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_geopoint_from_gpsfake_with_accuracy(tmp_path: Path, gpsfake_port: int) -> None:
    import time

    from fieldsurvey.questionnaire.gps import capture_accuracy, read_fix
    from fieldsurvey.questionnaire.runner import InterviewRunner

    port = gpsfake_port
    form_path = tmp_path / "geo.yaml"
    form_path.write_text(GEO_FORM, encoding="utf-8")
    form = load_form(form_path)
    q = next(x for x in form.questions if x.name == "here")
    assert capture_accuracy(q) == 50.0
    fix = None
    t0 = time.monotonic()
    while fix is None and time.monotonic() - t0 < 10:
        fix = read_fix(port=port, timeout=3.0, capture=capture_accuracy(q))
    assert fix is not None
    assert fix.lat == pytest.approx(31 + 50 / 60) and fix.lon == pytest.approx(117 + 16 / 60)
    assert fix.alt is None or fix.alt == pytest.approx(45.3)  # a first 2D fix has none
    assert fix.accuracy is not None and 0 < fix.accuracy <= 50
    text = fix.answer()
    parts = [float(p) for p in text.split()]
    assert parts[0] == pytest.approx(fix.lat) and parts[3] == pytest.approx(fix.accuracy)
    # the runner takes it as a typed point; warning-accuracy=10 warns about > 10 m
    run = InterviewRunner(form)
    step = run.current
    assert step.key == "here"
    assert run.validate(text, step) is None
    run.answer(text, step)
    warned = run.warning(step)
    assert (fix.accuracy > 10) == bool(warned)


async def test_tui_f3_reads_the_geopoint_from_gpsd(tmp_path: Path, gpsfake_port: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setenv("FIELDSURVEY_GPSD", f"127.0.0.1:{gpsfake_port}")
    form_path = tmp_path / "geo.yaml"
    form_path.write_text(GEO_FORM.replace("warning-accuracy=10", "warning-accuracy=100"),
                         encoding="utf-8")
    form = load_form(form_path)
    st = make_store(tmp_path / "dev.sqlite", 1, FrozenClock(), form_path=form_path)
    d = str(st.assignments()["dwelling_id"].iloc[0])
    st.set_roster_member(d, 1, name="A", sex="male", age=40, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1,
                        probability=1.0, kish_table="A")
    app = make_app(st, form, language="en", clock=FrozenClock(), rng=1)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_interview(app, pilot)
        assert screen.runner.current.key == "here"
        assert "F3 reads the GPS" in str(screen.query_one("#q-keys").render())
        inp = screen.views[0].answer_widget()
        for _ in range(5):  # gpsfake may still be starting: F3 again, as a user would
            await pilot.press("f3")
            await _settle(app, pilot)
            await asyncio.sleep(0.2)
            await _settle(app, pilot)
            if inp.value:
                break
        assert inp.value, "no fix from gpsfake"
        await pilot.press("enter")
        await _settle(app, pilot)
    ans = st.answers(st.interviews(d)[-1]["uuid"])["here"]
    lat, lon, _alt, acc = (float(p) for p in ans.split())
    assert lat == pytest.approx(31 + 50 / 60) and lon == pytest.approx(117 + 16 / 60)
    assert 0 < acc <= 50
    st.close()


def test_interview_times_sum_sessions_not_the_gaps(tmp_path: Path) -> None:
    from fieldsurvey.tui.session import interview_times

    clock = FrozenClock(FROZEN)
    st, d = _media_store(tmp_path, "dev.sqlite")
    st._clock = clock  # the store's clock: event times we control
    uuid = st.start_interview(d, respondent_line=1)
    t_start = clock.now
    st.record_paradata(uuid, "session")  # session 1: 3 more events, then ended
    for _ in range(3):
        st.set_answer(uuid, "q1", "x")
    st.record_paradata(uuid, "session_end", detail={"how": "left"})  # +5 s in all
    clock.now += dt.timedelta(hours=5)  # the gap between visits does not count
    st.resume_interview(uuid)
    st.record_paradata(uuid, "session")  # session 2: killed after 2 events
    st.set_answer(uuid, "q1", "y")
    st.set_answer(uuid, "q1", "z")  # its last event: 2 s after it began
    clock.now += dt.timedelta(days=1)
    st.record_paradata(uuid, "session_end", detail={"how": "killed"})  # found on reopening
    st.resume_interview(uuid)
    st.record_paradata(uuid, "session")  # session 3, open now
    times = interview_times(st, uuid)
    assert times.start == t_start  # the start event's time
    span = st.events(uuid)["time"].map(dt.datetime.fromisoformat)
    assert span.max() - span.min() > dt.timedelta(days=1)  # the gaps are in the log
    assert times.previous_seconds == pytest.approx(4 + 2)
    st.close()
