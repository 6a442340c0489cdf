"""The sync key of the household list, the sync log screen and the supervisor's name on
reviews (issue 18), driven through the app against a real `fieldsurvey serve` process on
127.0.0.1 (started on a free port, stopped by its PID), at 80x24 in Chinese and English.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _synckit import server
from textual.widgets import DataTable
from tui_support import FORM_PATH, FrozenClock, quick_idle, steady_cursor

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.issue import issue_stores
from fieldsurvey.store.review import review
from fieldsurvey.store.store import FieldStore
from fieldsurvey.store.sync.work import add_work
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.i18n import tr
from fieldsurvey.tui.screens.assignments import AssignmentListScreen
from fieldsurvey.tui.screens.sync_log import SyncLogScreen, short_result

FORM = load_form(FORM_PATH)
SIZE = (80, 24)
NAMES = ("东关社区", "西门社区", "南湖社区", "北山社区", "城东社区", "河西社区", "新华社区")
#: An address where no server listens (the discard port): a server that is down, with an
#: address that does not change between runs (the snapshot shows it).
DEAD = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


def team_sample(lines: int = 4) -> pd.DataFrame:
    """One community per interviewer, ``lines`` lines each; the last line is a reserve."""
    rows = []
    for k, name in enumerate(NAMES):
        cid = f"3401990010{k + 1:02d}"
        for i in range(lines):
            rows.append({"stratum": "S1", "community_id": cid, "dwelling_id": f"{cid}-{i:03d}",
                         "line": i + 1, "replicate": 0, "released": i < lines - 1,
                         "release_batch": int(i == lines - 1), "segment": None,
                         "kish_table": "ABCDEF"[i % 6], "pi_1": 0.5, "pi_2": 0.1, "pi": 0.05,
                         "base_weight": 20.0, "name": name, "interviewer": f"int{k + 1:02d}",
                         "address": f"{name}幸福小区{i + 1}栋{i % 3 + 1}单元{101 + i}室"})
    return pd.DataFrame(rows)


def issue(folder: Path) -> tuple[Path, dict[str, Path], pd.DataFrame]:
    """``assign``: a central store and one device store (with its token) per interviewer."""
    sample = team_sample()
    team = pd.DataFrame({"interviewer": [f"int{k + 1:02d}" for k in range(len(NAMES))],
                         "community_id": sorted(set(sample["community_id"]))})
    res = issue_stores(sample.drop(columns="interviewer"), team, folder / "stores",
                       by="community", form=FORM_PATH, clock=FrozenClock(),
                       survey_id="S-tui-sync")
    return res.central, res.devices, sample


@dataclass
class Team:
    central: Path
    devices: dict[str, Path]
    sample: pd.DataFrame
    url: str


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """One real server for the module; each test works with its own interviewer."""
    central, devices, sample = issue(tmp_path_factory.mktemp("team"))
    with server(central) as (url, _):
        yield Team(central, devices, sample, url)


def complete_first(device: Path) -> str:
    """The interviewer completes the first household's interview (a visit and answers)."""
    st = FieldStore.open(device, clock=FrozenClock())
    try:
        d = str(st.assignments().sort_values("dwelling_id")["dwelling_id"].iloc[0])
        st.record_attempt(d, "1.1")
        uuid = st.start_interview(d)
        for key, value in (("a1", 1), ("a2", 1980), ("b1", 3)):
            st.set_answer(uuid, key, value)
        st.complete(uuid)
        return uuid
    finally:
        st.close()


def table_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the field data tables (the sync log aside), to compare a store."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'table' AND name NOT IN ('sync_log', 'meta')")]
        return {n: sorted(map(tuple, conn.execute(f"SELECT * FROM {n}")), key=repr)
                for n in names}
    finally:
        conn.close()


def status_text(app: FieldsurveyApp) -> str:
    return str(app.screen.query_one("#sync-status").render())


async def settle(pilot: Any, until: Any = None) -> None:
    """Wait for the workers (a sync, then the list read again), not for time."""
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = pilot.app.screen
        busy = isinstance(screen, AssignmentListScreen) and (screen.syncing
                                                             or not screen.loaded)
        if not busy and (until is None or until()):
            return
    raise AssertionError("the app did not settle")


def rows_of(app: FieldsurveyApp) -> dict[str, str]:
    screen = app.screen
    assert isinstance(screen, AssignmentListScreen)
    return {r.dwelling_id: r.status for r in screen.rows}


@pytest.mark.parametrize(("lang", "who"), [("zh", "int01"), ("en", "int02")])
async def test_the_sync_key_sends_work_brings_updates_and_survives_a_dead_server(
        team: Team, lang: str, who: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from fieldsurvey.store.sync import client

    # the first sync waits until the test has seen the screen while it runs
    real, go = client.sync, threading.Event()

    def held(*args: Any, **kw: Any) -> client.SyncResult:
        assert go.wait(120)
        return real(*args, **kw)

    monkeypatch.setattr(client, "sync", held)
    central, device, url = team.central, team.devices[who], team.url
    mine = team.sample[team.sample["interviewer"] == who]
    uuid = complete_first(device)

    def t(key: str, **kw: Any) -> str:
        return tr(key, lang, **kw)

    app = make_app(device, FORM, clock=FrozenClock(), language=lang, server=url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status_text(app) == t("sync_never")
        assert "S " + t("sync_key") in str(app.screen.query_one("#keys").render())
        assert sorted(rows_of(app).values()) == ["done", "new", "new"]

        # 1. the first sync sends the interview; the screen stays live while it runs,
        #    then says when, what moved and OK
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, AssignmentListScreen) and screen.syncing == url
        assert status_text(app) == t("sync_running", server=url)
        assert "busy" in screen.query_one("#sync-status").classes
        await pilot.press("down", "enter")  # the cursor moves; no household opens
        assert app.screen is screen and screen.query_one("#cases", DataTable).cursor_row == 1
        assert any(n.message == t("sync_wait") for n in app._notifications)
        go.set()
        await settle(pilot)
        with FieldStore.open(central, readonly=True) as c:
            assert uuid in [i["uuid"] for i in c.interviews()]
            sent = int(c.connection.execute(
                "SELECT count(*) FROM events WHERE device_id LIKE ?", (f"{who}-%",)
            ).fetchone()[0])
        assert status_text(app) == t("sync_ok", time="11-21 09:30", pushed=sent, pulled=0)

        # 2. the supervisor rejects it and the community's reserve line is released; the
        #    next sync brings both and the list is read again
        with FieldStore.open(central) as c:
            review(c, uuid, "reject", tier="supervisor", reviewer="王督导",
                   question_comments={"a2": "出生年份与年龄不符"})
        assert len(add_work(central, mine.assign(released=True)).added) == 1
        await pilot.press("s")
        await settle(pilot, lambda: len(rows_of(app)) == 4)
        rows = rows_of(app)
        assert rows[str(mine["dwelling_id"].iloc[0])] == "rejected"
        assert rows[str(mine["dwelling_id"].iloc[3])] == "new"
        line = status_text(app)
        assert line.endswith(t("sync_ok_short")) and line != t(
            "sync_ok", time="11-21 09:30", pushed=0, pulled=0)
        await pilot.press("f4")  # the line follows a change of language
        other = "en" if lang == "zh" else "zh"
        assert status_text(app).endswith(tr("sync_ok_short", other))
        await pilot.press("f4")
        with FieldStore.open(device, readonly=True) as d:
            assert any(c["comment"] == "出生年份与年龄不符" for c in d.review_comments(uuid))
    app.close_store()
    before = table_dump(device)

    # 3. the server is down: the sync fails with one line on screen, nothing changes
    app = make_app(device, FORM, clock=FrozenClock(), language=lang, server=DEAD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        line = status_text(app)
        assert line.startswith(t("sync_failed", time="11-21 09:30", msg="")), line
        assert line.endswith(t("sync_unreachable")), line
        assert "failed" in app.screen.query_one("#sync-status").classes
        assert len(rows_of(app)) == 4
        # the log, newest first: the failure on top, the two syncs below
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen)
                     and app.screen.rows is not None)
        log = app.screen
        assert isinstance(log, SyncLogScreen) and log.rows is not None
        assert [r["result"] == "ok" for r in log.rows] == [False, True, True]
        detail = str(log.query_one("#synclog-detail").render())
        assert detail.startswith(t("sync_server", server=DEAD)) and "cannot be reached" in detail
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AssignmentListScreen)
    app.close_store()
    assert table_dump(device) == before  # nothing lost, nothing half written


async def test_a_wrong_token_and_an_unknown_server_say_so(team: Team) -> None:
    device = team.devices["int03"]
    with sqlite3.connect(device) as conn:
        conn.execute("UPDATE meta SET value = 'not-the-token' WHERE key = 'sync_token'")
    conn.close()
    before = table_dump(device)
    # no --server and no sync yet: the line says how to give the address
    app = make_app(device, FORM, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert status_text(app) == tr("sync_no_server", "zh")
        await pilot.press("f1")  # the help page tells the two keys
        await pilot.pause()
        help_text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "S / L" in help_text and tr("help_sync", "zh") in help_text
        await pilot.press("escape")
    app.close_store()
    app = make_app(device, FORM, clock=FrozenClock(), language="en", server=team.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert status_text(app).endswith(tr("sync_bad_token", "en"))
    app.close_store()
    # the address of the last sync is kept (in the sync log): no --server needed now
    app = make_app(device, FORM, clock=FrozenClock(), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status_text(app).endswith(tr("sync_bad_token", "en"))
        screen = app.screen
        assert isinstance(screen, AssignmentListScreen) and screen.sync.server == team.url
    app.close_store()
    assert table_dump(device) == before


async def test_a_failure_the_log_cannot_keep_is_still_shown(tmp_path: Path) -> None:
    # a device whose sync log cannot be written (here: the table is gone) still shows
    # the failure of the sync just made
    device = issue(tmp_path)[1]["int07"]
    with sqlite3.connect(device) as conn:
        conn.execute("DROP TABLE sync_log")
    conn.close()
    app = make_app(device, FORM, clock=FrozenClock(), language="en", server=DEAD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        line = status_text(app)
        assert line.startswith("Sync failed 11-21 09:30") and \
            line.endswith(tr("sync_unreachable", "en")), line
    app.close_store()


async def test_a_server_with_a_newer_schema_is_named_and_nothing_is_sent(
        tmp_path: Path) -> None:
    # a server of a newer fieldsurvey (its hello says schema 99): a stand-in for the
    # hello only, since the real server always runs this code's schema
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    central, devices, _ = issue(tmp_path)
    device = devices["int01"]
    complete_first(device)
    with FieldStore.open(device, readonly=True) as d:
        hello = {"survey_id": d.survey_id, "schema": 99, "device_id": d.device_id,
                 "have": 0, "last": None}
    paths: list[str] = []

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            paths.append(self.path)
            body = json.dumps(hello).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    before = table_dump(device)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        app = make_app(device, FORM, clock=FrozenClock(), server=url)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            assert status_text(app).endswith(tr("sync_server_newer", "zh"))
        app.close_store()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert paths == ["/api/v1/hello"]  # nothing was pushed
    assert table_dump(device) == before


def test_short_results_name_the_known_failures() -> None:
    def t(key: str) -> str:
        return tr(key, "en")

    assert short_result("ok", t) == "OK"
    assert short_result("failed: this device runs a newer fieldsurvey than the server "
                        "(store schema 7 vs 6); nothing was sent. Upgrade.", t) == \
        t("sync_device_newer")
    assert short_result("failed: file x.sqlite: the server serves another survey. "
                        "Expected A.", t) == "the server serves another survey"
    assert short_result("failed: KeyError", t) == "KeyError"


def test_the_store_without_a_token_shows_no_sync_keys(tmp_path: Path) -> None:
    from tui_support import make_store

    from fieldsurvey.tui.screens.sync_log import sync_info

    st = make_store(tmp_path / "dev.sqlite", 2)
    st.close()
    info = sync_info(tmp_path / "dev.sqlite")
    assert not info.can_sync and info.last is None and info.server == ""


# -- snapshots at 80x24 ----------------------------------------------------------------
def _snap_app(team: Team, who: str, lang: str) -> FieldsurveyApp:
    complete_first(team.devices[who])
    return make_app(team.devices[who], FORM, clock=FrozenClock(), language=lang, rng=7,
                    server=team.url)


async def _synced_then_failed(pilot: Any) -> None:
    """A sync with the server, then one while it is down (a fixed address), then ``L``."""
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    pilot.app.server = DEAD
    await pilot.press("s")
    await settle(pilot)
    await pilot.press("l")
    await settle(pilot, lambda: isinstance(pilot.app.screen, SyncLogScreen)
                 and pilot.app.screen.rows is not None)
    await pilot.pause()


def test_snapshot_household_list_after_a_sync(snap_compare: Any, team: Team) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(_snap_app(team, "int04", "zh"), terminal_size=SIZE,
                        run_before=run_before)


def test_snapshot_sync_log(snap_compare: Any, team: Team) -> None:
    assert snap_compare(_snap_app(team, "int05", "zh"), terminal_size=SIZE,
                        run_before=_synced_then_failed)


def test_snapshot_sync_log_english(snap_compare: Any, team: Team) -> None:
    assert snap_compare(_snap_app(team, "int06", "en"), terminal_size=SIZE,
                        run_before=_synced_then_failed)


# -- the supervisor's name on reviews ------------------------------------------------------
def test_the_reviewer_name_comes_from_the_option_else_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from fieldsurvey.cli import interview as verb

    central = issue(tmp_path)[0]
    apps: list[FieldsurveyApp] = []
    monkeypatch.setattr(FieldsurveyApp, "run", lambda self, **kw: apps.append(self))
    for option, env, want in (("王督导", "李督导", "王督导"), (None, "李督导", "李督导"),
                              (None, "", None), (" ", None, None)):
        if env is None:
            monkeypatch.delenv("FIELDSURVEY_REVIEWER", raising=False)
        else:
            monkeypatch.setenv("FIELDSURVEY_REVIEWER", env)
        args = argparse.Namespace(db=central, lang="zh", supervisor=True, server=None,
                                  reviewer=option)
        assert verb.run(args) == 0
        assert apps[-1].reviewer == want


async def test_the_supervisor_tui_records_reviews_with_the_reviewer_name(
        tmp_path: Path) -> None:
    from fieldsurvey.store.merge import merge_stores

    central, devices, _ = issue(tmp_path)
    uuid = complete_first(devices["int01"])
    merge_stores([devices["int01"]], central)
    app = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="李督导")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("enter")  # the interview to review
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("a")
        await pilot.pause()
    app.close_store()
    with FieldStore.open(central, readonly=True) as c:
        row = c.connection.execute("SELECT review_state, reviewer FROM interviews WHERE "
                                   "uuid = ?", (uuid,)).fetchone()
        ev = c.events(uuid)
    assert tuple(row) == ("approved", "李督导")
    assert list(ev.loc[ev["kind"] == "review", "interviewer"]) == ["李督导"]  # the event log
