"""Two-tier review in the supervisor TUI (issue 18 items 6 and 7) and quitting mid-sync.

The supervisor approves in the TUI, HQ (``--as hq``, or an HQ login in the browser)
approves one interview and rejects another with a comment on a question it picks in the
dialog; the event log, the interviews' review register and ``fieldsurvey review --list``
agree. HQ cannot decide what the supervisor has not approved (a one-line notice). The
browser passes the login's name and role to the TUI process through its environment.
Ctrl+Q while a sync runs waits for the sync, with a notice, and then quits.
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from textual.widgets import DataTable, Select
from tui_support import FORM_PATH, FrozenClock, make_store, quick_idle, steady_cursor

from fieldsurvey.cli.main import main as cli_main
from fieldsurvey.io.errors import InputError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.issue import issue_stores
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.i18n import tr
from fieldsurvey.tui.screens.assignments import AssignmentListScreen
from fieldsurvey.tui.screens.interview_view import CommentDialog, InterviewViewScreen
from fieldsurvey.tui.screens.supervisor import SupervisorScreen

FORM = load_form(FORM_PATH)
SIZE = (80, 24)


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)
    steady_cursor(monkeypatch)


def central_with_three(folder: Path) -> tuple[Path, list[str]]:
    """``assign`` for one interviewer, three completed interviews, merged into central."""
    rows = [{"stratum": "S1", "community_id": "340199001001", "line": i + 1,
             "dwelling_id": f"340199001001-{i:03d}", "replicate": 0, "released": True,
             "release_batch": 0, "segment": None, "kish_table": "A", "pi_1": 0.5,
             "pi_2": 0.1, "pi": 0.05, "base_weight": 20.0, "name": "东关社区",
             "address": f"东关社区幸福小区{i + 1}栋{101 + i}室"} for i in range(3)]
    team = pd.DataFrame({"interviewer": ["int01"], "community_id": ["340199001001"]})
    res = issue_stores(pd.DataFrame(rows), team, folder / "stores", by="community",
                       form=FORM_PATH, clock=FrozenClock(), survey_id="S-tiers")
    device = res.devices["int01"]
    uuids = []
    with FieldStore.open(device, clock=FrozenClock()) as st:
        for i in range(3):
            d = f"340199001001-{i:03d}"
            st.record_attempt(d, "1.1")
            uuid = st.start_interview(d)
            for key, value in (("a1", 1 + i % 2), ("a2", 1980 + i), ("b1", 3)):
                st.set_answer(uuid, key, value)
            st.complete(uuid)
            uuids.append(uuid)
    merge_stores([device], res.central)
    return res.central, uuids


async def settle(pilot: Any, until: Callable[[], bool] | None = None) -> None:
    """Wait for the workers and the screens, not for time."""
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if until is None or until():
            return
    raise AssertionError("the app did not settle")


def listed(app: FieldsurveyApp) -> list[tuple[str, str]]:
    """The supervisor list's rows: (interview uuid, review cell), top to bottom."""
    table = app.screen.query_one("#sv-interviews", DataTable)
    return [(str(table.coordinate_to_cell_key((r, 0)).row_key.value),
             str(table.get_row_at(r)[4]).strip()) for r in range(table.row_count)]


async def open_interview(app: FieldsurveyApp, pilot: Any, uuid: str) -> InterviewViewScreen:
    """Move the list's cursor to the interview and open it (Enter)."""
    table = app.screen.query_one("#sv-interviews", DataTable)
    table.focus()
    rows = [uuid_ for uuid_, _ in listed(app)]
    while table.cursor_row != rows.index(uuid):
        await pilot.press("down" if table.cursor_row < rows.index(uuid) else "up")
    await pilot.press("enter")
    await settle(pilot, lambda: isinstance(app.screen, InterviewViewScreen))
    screen = app.screen
    assert isinstance(screen, InterviewViewScreen) and screen.uuid == uuid
    return screen


def text_of(app: FieldsurveyApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_supervisor_then_hq_in_the_tui_as_the_cli_sees_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central, (a, b, c) = central_with_three(tmp_path)

    def t(text_key: str, /, **kw: Any) -> str:
        return tr(text_key, "zh", **kw)

    # 1. the supervisor approves a and b; c stays pending
    sup = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳")
    async with sup.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(sup.screen, SupervisorScreen)
                     and bool(sup.screen.data))
        assert listed(sup) == [(a, t("rv_pending")), (b, t("rv_pending")),
                               (c, t("rv_pending"))]
        for uuid in (a, b):
            view = await open_interview(sup, pilot, uuid)
            assert t("stage_pending") in text_of(sup, "#iv-title")
            await pilot.press("a")
            await settle(pilot, lambda: bool(isinstance(sup.screen, SupervisorScreen)
                                             and sup.screen.data))
            assert view is not sup.screen
        assert dict(listed(sup)) == {a: t("sv_approved"), b: t("sv_approved"),
                                     c: t("rv_pending")}
        assert listed(sup)[0][0] == c  # what awaits the supervisor comes first
    sup.close_store()

    # 2. HQ: what the supervisor approved comes first; approve a, reject b on question a2
    hq = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="总部李明",
                  review_tier="hq")
    async with hq.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(hq.screen, SupervisorScreen)
                     and bool(hq.screen.data))
        assert t("review_list_hq") in text_of(hq, "#sv-review-title")
        assert hq.title == t("hq_title")
        assert [u for u, _ in listed(hq)] == [a, b, c]
        # HQ cannot decide on c, which the supervisor has not approved: a one-line notice
        await open_interview(hq, pilot, c)
        await pilot.press("a")
        await settle(pilot)
        refusal = t("not_awaiting", tier=t("tier_hq"), stage=t("stage_pending"))
        assert [n.message for n in hq._notifications][-1] == refusal
        assert "\n" not in refusal and isinstance(hq.screen, InterviewViewScreen)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(hq.screen, SupervisorScreen))

        await open_interview(hq, pilot, a)
        assert t("stage_sv_approved") in text_of(hq, "#iv-title")
        assert t("decided", tier=t("tier_supervisor"), name="王芳",
                 decision=t("decision_approve")) in text_of(hq, "#iv-decisions")
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(hq.screen, SupervisorScreen))

        view = await open_interview(hq, pilot, b)
        await pilot.press("x")  # the cursor is on the first question; pick a2 in the dialog
        await settle(pilot, lambda: isinstance(hq.screen, CommentDialog))
        dialog = hq.screen
        assert isinstance(dialog, CommentDialog) and dialog.key == view.questions[0][0]
        await pilot.press("shift+tab", "enter")  # the question list, opened
        keys = [k for k, _ in view.questions]
        for _ in range(keys.index("a2") - keys.index(dialog.key)):
            await pilot.press("down")
        await pilot.press("enter", "tab")  # a2 picked; back to the text line
        await settle(pilot)
        assert dialog.query_one("#question", Select).value == "a2"
        assert text_of(hq, "#dialog-title") == t("reject_comment", key="a2")
        await pilot.press(*"year?")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(hq.screen, SupervisorScreen))
        assert dict(listed(hq)) == {a: t("hq_approved"), b: t("hq_rejected"),
                                    c: t("rv_pending")}

        # the rejected interview shows the decisions of both tiers and the comment on a2
        view = await open_interview(hq, pilot, b)
        assert t("stage_hq_rejected") in text_of(hq, "#iv-title")
        decisions = text_of(hq, "#iv-decisions")
        assert t("decided", tier=t("tier_supervisor"), name="王芳",
                 decision=t("decision_approve")) in decisions
        assert t("decided", tier=t("tier_hq"), name="总部李明",
                 decision=t("decision_reject")) in decisions
        table = view.query_one("#iv-answers", DataTable)
        while str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) != "a2":
            await pilot.press("down")
        await settle(pilot)
        assert "↩ 总部 总部李明: year?" in text_of(hq, "#iv-notes")
    hq.close_store()

    # 3. the store: the event log, the review register and the comments agree
    conn = sqlite3.connect(central)
    try:
        events = conn.execute(
            "SELECT interview_uuid, interviewer, value, json_extract(detail, '$.tier') "
            "FROM events WHERE kind = 'review' ORDER BY hlc").fetchall()
        register = dict((u, (s, r)) for u, s, r in conn.execute(
            "SELECT uuid, review_state, reviewer FROM interviews"))
        comments = conn.execute("SELECT interview_uuid, question, comment, decision, reviewer "
                                "FROM review_comments").fetchall()
    finally:
        conn.close()
    assert events == [(a, "王芳", "approve", "supervisor"), (b, "王芳", "approve", "supervisor"),
                      (a, "hq:总部李明", "approve", "hq"), (b, "hq:总部李明", "reject", "hq")]
    assert register == {a: ("approved", "hq:总部李明"), b: ("rejected", "hq:总部李明"),
                        c: ("pending", None)}
    assert comments == [(b, "a2", "year?", "reject", "hq:总部李明")]

    # 4. `fieldsurvey review --list` says the same
    capsys.readouterr()
    assert cli_main(["review", "--db", str(central), "--list"]) == 0
    lines = {line[:8]: line for line in capsys.readouterr().out.splitlines()}
    assert lines[a[:8]].endswith("approved by HQ (hq:总部李明)")
    assert lines[b[:8]].endswith("rejected by HQ (hq:总部李明)")
    assert lines[c[:8]].endswith("awaiting the supervisor")
    assert cli_main(["review", "--db", str(central), "--list", "--as", "hq"]) == 0
    assert "no interview awaits review" in capsys.readouterr().out


async def test_a_note_on_a_question_then_a_rejection_of_the_whole_interview(
        tmp_path: Path) -> None:
    central, (a, _, _) = central_with_three(tmp_path)
    app = make_app(central, FORM, supervisor=True, clock=FrozenClock(), reviewer="王芳",
                   language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen)
                     and bool(app.screen.data))
        view = await open_interview(app, pilot, a)
        # first a note on the highlighted question a1, without a decision
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, CommentDialog))
        assert text_of(app, "#dialog-title") == tr("note_comment", "en", key="a1")
        await pilot.press(*"ID?", "enter")
        await settle(pilot, lambda: app.screen is view)
        assert [n.message for n in app._notifications][-1] == tr("noted_msg", "en")
        assert text_of(app, "#iv-notes") == "a1: ✉ supervisor 王芳: ID?"
        with FieldStore.open(central, readonly=True) as st:
            assert st.interviews()[0]["review_state"] == "pending"
        # then the rejection, on the whole interview
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, CommentDialog))
        await pilot.press("enter")  # no text: refused, the dialog stays
        assert text_of(app, "#dialog-error") == tr("need_comment", "en")
        # the question list, opened, its first option (the whole interview), picked
        await pilot.press("shift+tab", "enter", "home", "enter", "tab")
        await settle(pilot)
        assert text_of(app, "#dialog-title") == tr("reject_comment_all", "en")
        await pilot.press(*"redo")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, SupervisorScreen))
    app.close_store()
    with FieldStore.open(central, readonly=True) as st:
        assert [(c["question"], c["comment"], c["decision"], c["reviewer"])
                for c in st.review_comments(a)] == [("a1", "ID?", "note", "王芳"),
                                                    (None, "redo", "reject", "王芳")]
        assert st.interviews()[0]["review_state"] == "rejected"


# -- the browser: the login's name and role reach the TUI process ------------------------
def test_a_browser_login_gives_the_tui_its_name_and_tier(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiohttp import web
    from textual_serve.download_manager import DownloadManager

    from fieldsurvey.cli import _web
    from fieldsurvey.cli import interview as verb
    from fieldsurvey.store.sync.webauth import find_login, set_password

    central, _ = central_with_three(tmp_path)
    set_password(central, "总部李明", "a long password 1", "hq")
    set_password(central, "王芳", "a long password 2", "supervisor")
    conn = sqlite3.connect(central)
    try:
        hq_user = find_login(conn, "总部李明", "a long password 1")
        sup_user = find_login(conn, "王芳", "a long password 2")
    finally:
        conn.close()
    assert hq_user is not None and sup_user is not None
    monkeypatch.setenv("FIELDSURVEY_REVIEW_TIER", "hq")  # the server's own is not passed on
    env = _web._Terminal("true", web.WebSocketResponse(), DownloadManager(),
                         sup_user)._build_environment(80, 24)
    assert env["FIELDSURVEY_REVIEWER"] == "王芳"
    assert env["FIELDSURVEY_REVIEW_TIER"] == "supervisor"
    assert _web.reviewer_environment(hq_user) == {"FIELDSURVEY_REVIEWER": "总部李明",
                                                  "FIELDSURVEY_REVIEW_TIER": "hq"}

    # `interview --supervisor` as the browser terminal starts it: the tier from the env,
    # --as over it, anything else refused in one clear message
    apps: list[FieldsurveyApp] = []
    monkeypatch.setattr(FieldsurveyApp, "run", lambda self, **kw: apps.append(self))

    def run(tier: str | None, env_tier: str | None, supervisor: bool = True) -> str:
        if env_tier is None:
            monkeypatch.delenv("FIELDSURVEY_REVIEW_TIER", raising=False)
        else:
            monkeypatch.setenv("FIELDSURVEY_REVIEW_TIER", env_tier)
        args = argparse.Namespace(db=central, lang="zh", supervisor=supervisor, server=None,
                                  reviewer=None, tier=tier)
        assert verb.run(args) == 0
        return apps[-1].review_tier

    for name, value in _web.reviewer_environment(hq_user).items():
        monkeypatch.setenv(name, value)
    assert run(None, "hq") == "hq" and apps[-1].reviewer == "总部李明"
    assert run(None, None) == "supervisor"
    assert run("supervisor", "hq") == "supervisor"
    assert run("hq", None) == "hq"
    with pytest.raises(InputError, match="supervisor or hq"):
        run(None, "admin")
    with pytest.raises(InputError, match="--supervisor"):
        run("hq", None, supervisor=False)


# -- quitting while a sync runs ------------------------------------------------------------
async def test_ctrl_q_during_a_sync_waits_for_it_then_quits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldsurvey.store.sync import client

    go, calls = threading.Event(), []

    def held(*args: Any, **kw: Any) -> None:
        calls.append(args)
        assert go.wait(120)

    monkeypatch.setattr(client, "sync", held)
    store = make_store(tmp_path / "dev.sqlite", 3)
    store.close()
    app = make_app(tmp_path / "dev.sqlite", FORM, clock=FrozenClock(),
                   server="http://127.0.0.1:9", language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, AssignmentListScreen)
                     and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, AssignmentListScreen)
        await pilot.press("s")
        await pilot.pause()
        assert screen.syncing
        await pilot.press("ctrl+q")
        await pilot.pause()
        # still running, told why, on screen and in the status line
        assert app.return_code is None and app.is_running
        notice = tr("quit_after_sync", "en")
        assert [n.message for n in app._notifications][-1] == notice
        assert text_of(app, "#sync-status") == notice
        await pilot.press("ctrl+q")  # again: still waits
        assert app.return_code is None
        go.set()  # the sync ends: the app quits by itself
        for _ in range(2000):
            if app.return_code is not None:
                break
            await pilot.pause(0.01)
        assert app.return_code == 0
    assert len(calls) == 1


async def test_the_browser_terminal_of_an_hq_login_runs_with_its_name_and_tier(
        tmp_path: Path) -> None:
    """Login, session cookie, websocket, TUI process: the process's environment, read back
    through the terminal (a stand-in command speaking textual-serve's protocol: it says it
    is ready, then sends one data packet with what it was given)."""
    import asyncio
    import sys

    from aiohttp import CookieJar, WSMsgType, web
    from aiohttp.test_utils import TestClient, TestServer

    from fieldsurvey.cli._web import WebView
    from fieldsurvey.store.sync.webauth import set_password

    central, _ = central_with_three(tmp_path)
    set_password(central, "总部李明", "a long password 1", "hq")
    script = ("import os, sys; out = sys.stdout.buffer; out.write(b'__GANGLION__\\n'); "
              "data = (os.environ['FIELDSURVEY_REVIEWER'] + '|' + "
              "os.environ['FIELDSURVEY_REVIEW_TIER']).encode(); "
              "out.write(b'D' + len(data).to_bytes(4, 'big') + data); out.flush()")
    view = WebView(central, command=f"{sys.executable} -c \"{script}\"")
    app = web.Application()
    view.install(app)
    async with TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True)) as client:
        login = await client.post("/web/login", data={"name": "总部李明",
                                                       "password": "a long password 1"})
        assert login.status == 200 and str(login.url).endswith("/web/")
        ws = await client.ws_connect("/web/ws?width=80&height=24")
        got = b""
        async for msg in ws:  # until the process ends and the server closes the socket
            if msg.type == WSMsgType.BINARY:
                got += msg.data
        for _ in range(1000):  # the server has stopped the terminal's process
            if not view.terminals:
                break
            await asyncio.sleep(0.01)
        assert view.terminals == 0
    assert got.decode() == "总部李明|hq"
