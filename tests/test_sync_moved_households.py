"""A household moved to another interviewer after the old device had worked on it.

The supervisor moves a household the central store knows no work on (``assign --add``),
while its old interviewer, offline, has already visited it and completed an interview.
When that device syncs with a real ``fieldsurvey serve`` process, the server records the
conflict; the supervisor sees it in ``review --list`` / ``--moved``, ``progress`` and the
supervisor screens' data, with what to do, and settles it (``review --resolve ID --to
NAME``). Nothing is lost: every entry of both devices is in the central store, and a file
merge of the same stores in another order gives the same tables. The same conflict
arriving by a hand-in and file merge is found too; work added after a decision shows it
again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from _synckit import server, server_log, team_stores

from fieldsurvey.cli.main import main as cli_main
from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.review import MOVED_MARK, mark_moved, moved_flags, supervisor_rows
from fieldsurvey.store.sync.client import sync
from fieldsurvey.store.sync.moved import FOUND, RESOLVED, moved_work
from fieldsurvey.store.sync.work import add_work


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``fieldsurvey ARGS`` in this process (the verbs' own code, exit code and output)."""
    def run(*args: str) -> Run:
        capsys.readouterr()
        code = cli_main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)
    return run


def owners(path: Path) -> dict[str, str]:
    c = sqlite3.connect(path)
    try:
        return dict(c.execute("SELECT dwelling_id, interviewer FROM assignments").fetchall())
    finally:
        c.close()


def rows(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    c = sqlite3.connect(path)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def move(central: Path, dwelling: str, to: str):  # type: ignore[no-untyped-def]
    return add_work(central, pd.DataFrame({"dwelling_id": [dwelling],
                                           "community_id": [dwelling.split("-")[0]],
                                           "interviewer": [to], "released": [True]}))


def work_offline(device: Path, dwelling: str, *, complete: bool = True) -> str:
    with FieldStore.open(device) as s:
        s.record_attempt(dwelling, "1.1")
        uuid = s.start_interview(dwelling, form_id="f", form_version="1")
        for i in range(5):
            s.set_answer(uuid, f"q{i}", i)
        if complete:
            s.complete(uuid)
    return uuid


# the tables a merge fills, compared between the server's central store and a file merge
_FIELD_TABLES = {
    "assignments": "SELECT * FROM assignments ORDER BY dwelling_id",
    "attempts": "SELECT * FROM attempts ORDER BY attempt_id",
    "interviews": "SELECT uuid, dwelling_id, device_id, interviewer, status, outcome, "
                  "review_state FROM interviews ORDER BY uuid",
    "answers": "SELECT i.uuid, a.question, a.instance, a.value, a.ver_device, a.ver_seq "
               "FROM answers a JOIN interviews i USING (iid) ORDER BY 1, 2, 3",
    "events": f"SELECT device_id, seq, kind, dwelling_id, value FROM events WHERE kind NOT IN "
              f"('{FOUND}', '{RESOLVED}') ORDER BY device_id, seq",
}


def field_tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(path, sql) for name, sql in _FIELD_TABLES.items()}


def test_moved_household_with_work_is_recorded_shown_and_settled(
        tmp_path: Path, cli: Callable[..., Run]) -> None:
    stores = team_stores(tmp_path, n=9)  # int01: C1-000, C1-003, C1-006
    central = stores / "central.sqlite"
    one, two = stores / "int01.sqlite", stores / "int02.sqlite"
    before = tmp_path / "central-before.sqlite"
    shutil.copy(central, before)
    d = sorted(x for x, w in owners(central).items() if w == "int01")[2]
    dev1 = FieldStore.open(one, readonly=True).device_id
    # offline, int01 visits d and completes an interview; meanwhile the supervisor, who
    # knows of no work there, moves d to int02
    uuid = work_offline(one, d)
    res = move(central, d, "int02")
    assert list(res.moved["dwelling_id"]) == [d] and not len(res.conflicts)
    with server(central) as (url, _):
        assert d in owners(two) or sync(two, url).pulled > 0
        assert owners(two)[d] == "int02"
        got = sync(one, url)  # the old device's work arrives
        # the interviewer is told the household is someone else's now; it stays with its data
        assert got.moved == ((d, "int02"),)
        assert "now int02's" in got.message and "do not go on" in got.message
        assert owners(one)[d] == "int02"
        assert rows(one, "SELECT count(*) FROM interviews WHERE dwelling_id = ?", d) == [(1,)]
        again = sync(one, url)
        assert (again.pushed, again.pulled) == (0, 0)
        sync(two, url)  # int02 now gets int01's visit and interview at d (its history)
        assert rows(two, "SELECT uuid FROM interviews WHERE dwelling_id = ?", d) == [(uuid,)]
    # the old device's progress says the same, with what the interviewer does
    on_device = cli("progress", "--db", str(one)).stdout.replace("\n  ", " ")
    assert f"{d}: now int02's" in on_device and "do not go on with them" in on_device
    # the server recorded it once (the second sync changed nothing), and said so in its log
    found = rows(central, "SELECT dwelling_id, detail FROM events WHERE kind = ?", FOUND)
    assert [x[0] for x in found] == [d]
    detail = json.loads(str(found[0][1]))
    assert (detail["device_id"], detail["interviewer"], detail["assigned_to"]) == \
        (dev1, "int01", "int02")
    assert f"{d}: now int02's, but int01's device" in server_log(central)
    [m] = moved_work(sqlite3.connect(central))
    assert (m.dwelling_id, m.assigned_to, m.worked_by, m.device_id, m.attempts) == \
        (d, "int02", "int01", dev1, 1)
    assert m.interviews == ((uuid, "completed"),) and m.reported is not None and m.open

    # nothing lost: every entry of int01's device is in the central store, and a file merge
    # of the same device stores (other order) into the store as it was gives the same tables
    mine = rows(one, "SELECT seq, kind FROM events WHERE device_id = ? ORDER BY seq", dev1)
    assert rows(central, "SELECT seq, kind FROM events WHERE device_id = ? ORDER BY seq",
                dev1) == mine
    move(before, d, "int02")  # the same move, into the copy made before any sync
    merge_stores([two, one], before)
    ours, theirs = field_tables(central), field_tables(before)
    # the two central stores differ only in their own events (the move, the record)
    central_dev = FieldStore.open(central, readonly=True).device_id
    for name in _FIELD_TABLES:
        if name == "events":
            ours[name] = [r for r in ours[name] if r[0] != central_dev]
            theirs[name] = [r for r in theirs[name] if r[0] != central_dev]
        if name == "assignments":
            ours[name] = [r[:-4] for r in ours[name]]  # assigned_at and the version differ
            theirs[name] = [r[:-4] for r in theirs[name]]
        assert ours[name] == theirs[name], name
    # ... and the file merge finds the same conflict, though no sync recorded it
    [f] = moved_work(sqlite3.connect(before))
    assert (f.dwelling_id, f.worked_by, f.reported) == (d, "int01", None)

    # the supervisor sees it: review --list flags the interview, --moved says what to do
    listed = cli("review", "--db", str(central), "--list")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith(uuid[:8]))
    assert f"{MOVED_MARK} moved to int02; int01's device has worked on it" in line
    assert "1 household(s) moved to another interviewer" in listed.stdout
    todo = cli("review", "--db", str(central), "--moved")
    assert todo.returncode == 0, todo.stderr
    assert f"--resolve {d} --to int01` gives it back to int01" in todo.stdout
    assert "arrived by sync" in todo.stdout and "1 visit, interview" in todo.stdout
    progress = cli("progress", "--db", str(central))
    assert progress.returncode == 0, progress.stderr
    assert f"{d}: now int02's, but int01's device" in progress.stdout.replace("\n  ", " ")
    assert "review --db" in progress.stdout and "--moved" in progress.stdout
    csv = cli("progress", "--db", str(central), "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("community_id") and "moved" in csv.stderr
    # the supervisor screens' list: the interview of d is flagged (store.review's data)
    with FieldStore.open(central, readonly=True) as st:
        flagged = supervisor_rows(st)
        plain = [i for i in st.interviews() if i["status"] != "in_progress"]
        assert mark_moved(st.connection, plain) == flagged
        assert [i["uuid"] for i in flagged] == [i["uuid"] for i in plain]
        assert moved_flags(st.connection)[d].startswith("moved to int02")
    assert [i["interviewer"] for i in flagged if i["uuid"] == uuid] == [f"{MOVED_MARK}int01"]

    # settled: d goes back to int01, whose device holds the work
    wrong = cli("review", "--db", str(central), "--resolve", d, "--to", "int03",
                "--reviewer", "王芳")
    assert wrong.returncode == 2 and "int02 or int01" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    done = cli("review", "--db", str(central), "--resolve", d, "--to", "int01",
               "--reviewer", "王芳", "--comment", "int01 had finished it")
    assert done.returncode == 0, done.stderr
    assert f"{d}: given to int01 (from int02)" in done.stdout
    assert owners(central)[d] == "int01"
    assert "no household moved" in cli("review", "--db", str(central), "--moved").stdout
    assert MOVED_MARK not in cli("review", "--db", str(central), "--list").stdout
    decided = rows(central, "SELECT interviewer, detail FROM events WHERE kind = ?", RESOLVED)
    assert decided[0][0] == "王芳" and json.loads(str(decided[0][1]))["to"] == "int01"
    with server(central) as (url, _):
        sync(one, url)
        left = sync(two, url)
    # int02 had only copies of int01's work there: the household and the copies leave it
    assert left.moved == ()
    assert d not in owners(two)
    for table in ("interviews", "attempts"):
        assert rows(two, f"SELECT count(*) FROM {table} WHERE dwelling_id = ?", d) == [(0,)]
    assert rows(two, "SELECT count(*) FROM answers a JOIN interviews i USING (iid) "
                "WHERE i.uuid = ?", uuid) == [(0,)]
    assert owners(one)[d] == "int01"
    c = sqlite3.connect(two)
    assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    c.close()
    # and int01's work is still whole in the central store
    assert rows(central, "SELECT status FROM interviews WHERE uuid = ?", uuid) == \
        [("completed",)]


def test_a_hand_in_finds_it_and_new_work_after_a_decision_shows_it_again(
        tmp_path: Path, cli: Callable[..., Run]) -> None:
    stores = team_stores(tmp_path, n=9)
    central = stores / "central.sqlite"
    one = stores / "int01.sqlite"
    d = sorted(x for x, w in owners(central).items() if w == "int01")[1]
    work_offline(one, d, complete=False)
    move(central, d, "int02")
    # the USB way: the device is handed in and merged
    hand = cli("handin", "--db", str(one), "--to", str(tmp_path / "in"))
    assert hand.returncode == 0, hand.stderr
    merge_stores(sorted((tmp_path / "in").glob("*.sqlite")), central)
    listed = cli("review", "--db", str(central), "--moved")
    assert "found in the central store" in listed.stdout
    assert "interview" in listed.stdout and "in progress" in listed.stdout
    # kept with int02: nothing moves, the conflict is settled
    keep = cli("review", "--db", str(central), "--resolve", d, "--to", "int02",
               "--reviewer", "王芳")
    assert keep.returncode == 0, keep.stderr
    assert f"{d}: stays with int02" in keep.stdout and owners(central)[d] == "int02"
    assert moved_work(sqlite3.connect(central)) == []
    again = cli("review", "--db", str(central), "--resolve", d, "--to", "int02",
                "--reviewer", "王芳")
    assert again.returncode == 2 and "no moved household" in again.stderr
    # int01 goes on there anyway: the next merge shows the conflict again
    with FieldStore.open(one) as s:
        s.record_attempt(d, "2.20")
    merge_stores([one], central)
    [m] = moved_work(sqlite3.connect(central))
    assert (m.dwelling_id, m.worked_by, m.attempts) == (d, "int01", 2)
    assert "--to needs" not in cli("review", "--db", str(central), "--resolve", d).stderr
    assert "--resolve needs --to" in cli("review", "--db", str(central), "--resolve",
                                         d).stderr


def test_both_devices_editing_the_moved_interview_lose_nothing_in_any_order(
        tmp_path: Path) -> None:
    """The new interviewer continues the old one's interview (sent to them by the pull)
    while the old device also goes on: every edit of both is kept, the current answer is
    the same whichever way and order the stores arrive, and the edits are listed as
    conflicts."""
    stores = team_stores(tmp_path, n=9)
    central = stores / "central.sqlite"
    one, two = stores / "int01.sqlite", stores / "int02.sqlite"
    before = tmp_path / "central-before.sqlite"
    d = sorted(x for x, w in owners(central).items() if w == "int01")[2]
    uuid = work_offline(one, d, complete=False)
    move(central, d, "int02")
    shutil.copy(central, before)
    with server(central) as (url, _):
        sync(one, url)
        sync(two, url)  # int02 gets int01's open interview with its answers
        with FieldStore.open(two) as s:
            s.resume_interview(uuid)
            s.set_answer(uuid, "q0", 99)
        with FieldStore.open(one) as s:
            s.set_answer(uuid, "q1", 42)
        sync(two, url)
        sync(one, url)
    merge_stores([one, two], before)  # the file way, the other order
    for path in (central, before):
        got = dict(rows(path, "SELECT a.question, a.value FROM answers a JOIN interviews i "
                        "USING (iid) WHERE i.uuid = ?", uuid))
        assert got["q0"] == 99 and got["q1"] == 42  # each device's later edit, both kept
    assert field_tables(central)["answers"] == field_tables(before)["answers"]
    edits = rows(central, "SELECT device_id, question, value FROM events WHERE "
                 "interview_uuid = ? AND kind IN ('set', 'change') ORDER BY device_id, seq",
                 uuid)
    assert len(edits) == 5 + 2  # int01's five answers and its q1, int02's q0: none lost
    with FieldStore.open(central, readonly=True) as st:
        conflicts = st.conflicts()
    answer = conflicts[conflicts["kind"] == "answer"]
    assert set(answer["question"]) == {"q0"}  # set by int01, changed by int02
    assert list(answer[answer["current"]]["value"]) == [99]
    [m] = moved_work(sqlite3.connect(central))
    assert m.worked_by == "int01" and m.interviews == ((uuid, "in_progress"),)
