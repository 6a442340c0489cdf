"""New work into a running survey, and the file pull that brings only one's own updates."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from _storekit import sample_frame
from _synckit import cli, interview, team_stores

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.sync.pull import pull_from_file
from fieldsurvey.store.sync.work import add_work


def dwellings(path):
    c = sqlite3.connect(path)
    try:
        return dict(c.execute("SELECT dwelling_id, interviewer FROM assignments").fetchall())
    finally:
        c.close()


def test_released_reserve_and_reassignments_reach_only_the_right_device(tmp_path):
    stores = team_stores(tmp_path, n=9)  # int01: C1, int02: C2, int03: C3
    central = stores / "central.sqlite"
    mine = sorted(d for d, w in dwellings(central).items() if w == "int01")
    interview(stores / "int01.sqlite", 0)  # int01 works on mine[0]
    merge_stores([stores / "int01.sqlite"], central)
    reserve = sample_frame(12, communities=("C1", "C2", "C3")).iloc[9:]  # 3 new lines
    move = pd.DataFrame({"dwelling_id": mine[:2], "community_id": ["C1", "C1"],
                         "interviewer": ["int02", "int02"], "released": [True, True]})
    res = add_work(central, pd.concat([reserve, move], ignore_index=True))
    assert sorted(res.added["dwelling_id"]) == sorted(reserve["dwelling_id"])
    assert list(res.moved["dwelling_id"]) == [mine[1]]  # untouched: it moves
    assert list(res.conflicts["dwelling_id"]) == [mine[0]]  # has data: listed, stays
    now = dwellings(central)
    assert now[mine[0]] == "int01" and now[mine[1]] == "int02"
    # each device takes only its interviewer's updates
    assert pull_from_file(central, stores / "int02.sqlite") > 0
    got = dwellings(stores / "int02.sqlite")
    assert mine[1] in got and mine[0] not in got
    assert set(got.values()) == {"int02"}
    pull_from_file(central, stores / "int01.sqlite")
    one = dwellings(stores / "int01.sqlite")
    assert mine[1] not in one  # moved away, untouched: gone from the old device
    assert one[mine[0]] == "int01"  # the conflict stays where its data is
    c = sqlite3.connect(stores / "int02.sqlite")
    assert c.execute("SELECT count(*) FROM interviews").fetchone() == (0,)
    c.close()
    before = sqlite3.connect(stores / "int02.sqlite").execute(
        "SELECT count(*) FROM events").fetchone()
    assert pull_from_file(central, stores / "int02.sqlite") == 0  # idempotent
    assert sqlite3.connect(stores / "int02.sqlite").execute(
        "SELECT count(*) FROM events").fetchone() == before


def test_assign_add_on_the_command_line(tmp_path):
    stores = team_stores(tmp_path, n=6)
    reserve = sample_frame(9, communities=("C1", "C2", "C3")).iloc[6:]
    reserve.to_csv(tmp_path / "reserve.csv", index=False)
    run = cli("assign", "--add", str(stores / "central.sqlite"), "--sample",
              str(tmp_path / "reserve.csv"))
    assert run.returncode == 0, run.stderr
    assert "3 line(s) added, 0 moved, 0 conflict(s)" in run.stdout
    again = cli("assign", "--add", str(stores / "central.sqlite"), "--sample",
                str(tmp_path / "reserve.csv"))
    assert "0 line(s) added, 0 moved, 0 conflict(s), 3 unchanged" in again.stdout
    pull = cli("pull", "--from", str(stores / "central.sqlite"), "--into",
               str(stores / "int01.sqlite"))
    assert pull.returncode == 0 and "pulled" in pull.stdout
    assert len(dwellings(stores / "int01.sqlite")) == 3  # 2 issued + 1 released


def test_pull_refuses_what_it_cannot_use(tmp_path):
    stores = team_stores(tmp_path, n=6)
    other = team_stores(tmp_path / "other", n=7)
    with pytest.raises(StoreError, match="another survey"):
        pull_from_file(other / "central.sqlite", stores / "int01.sqlite")
    with pytest.raises(StoreError, match="not from a device"):
        pull_from_file(stores / "int02.sqlite", stores / "int01.sqlite")
    with pytest.raises(StoreError, match="pull from itself"):
        pull_from_file(stores / "central.sqlite", stores / "central.sqlite")
    merge_stores([stores / "int01.sqlite"], tmp_path / "c2.sqlite")
    with pytest.raises(StoreError, match="only an interviewer's device store"):
        pull_from_file(stores / "central.sqlite", tmp_path / "c2.sqlite")
    FieldStore.open(stores / "int01.sqlite").close()


def test_a_newer_form_version_reaches_the_devices(tmp_path):
    stores = team_stores(tmp_path, n=6)
    hub = FieldStore.open(stores / "central.sqlite")
    hub.add_form(b"form version 2 bytes", form_id="f", version="2", filename="f-v2.yaml")
    hub.close()
    assert pull_from_file(stores / "central.sqlite", stores / "int03.sqlite") == 1  # the form
    dev = FieldStore.open(stores / "int03.sqlite")
    try:
        assert dev.form_file("f", "2") == ("f-v2.yaml", b"form version 2 bytes")
    finally:
        dev.close()
    assert pull_from_file(stores / "central.sqlite", stores / "int03.sqlite") == 0


def listing(path, dwelling):
    """What a store holds about a household: its assignment row (address), overrides."""
    c = sqlite3.connect(path)
    try:
        row = c.execute("SELECT address, attributes FROM assignments WHERE dwelling_id = ?",
                        (dwelling,)).fetchone()
        n = c.execute("SELECT count(*) FROM overrides WHERE dwelling_id = ?",
                      (dwelling,)).fetchone()[0]
        return row, n
    finally:
        c.close()


def moves(central, dwellings_to):
    """`assign --add` with an interviewer column: reassign these households."""
    sample = pd.DataFrame({"dwelling_id": [d for d, _ in dwellings_to],
                           "community_id": [d.split("-")[0] for d, _ in dwellings_to],
                           "interviewer": [w for _, w in dwellings_to], "released": True})
    return add_work(central, sample)


@pytest.mark.parametrize("how", ["sync", "pull"])
def test_a_household_moved_away_leaves_the_old_device(tmp_path, how):
    """Reassigned before the old device touched it: after its next sync (a real server
    process) or pull, the household and its listing are gone from the old device and on
    the new one; one the old device had started meanwhile stays there (a conflict)."""
    from _synckit import server

    from fieldsurvey.store.sync.client import sync

    stores = team_stores(tmp_path, n=9)  # int01: C1-000, C1-003, C1-006
    central = stores / "central.sqlite"
    one, two = stores / "int01.sqlite", stores / "int02.sqlite"
    mine = sorted(d for d, w in dwellings(central).items() if w == "int01")
    assert listing(one, mine[1])[0][0].startswith("幸福路")
    res = moves(central, [(mine[1], "int02"), (mine[2], "int02")])
    assert sorted(res.moved["dwelling_id"]) == mine[1:] and not len(res.conflicts)
    # meanwhile, before syncing, the old device records a visit at mine[2]
    s = FieldStore.open(one)
    s.record_attempt(mine[2], "2.20")
    s.close()
    if how == "sync":
        with server(central) as (url, _):
            first = sync(one, url)
            again = sync(one, url)
            got = sync(two, url)
        assert first.pulled >= 1 and (again.pushed, again.pulled) == (0, 0)
        assert got.pulled > 0
    else:
        merge_stores([one], central)  # the USB way: the device's work in, then its pull
        assert pull_from_file(central, one) >= 1
        assert pull_from_file(central, one) == 0  # idempotent
        pull_from_file(central, two)
    held = dwellings(one)
    assert mine[1] not in held and listing(one, mine[1]) == (None, 0)
    assert held[mine[0]] == "int01"
    # the started one stays on the old device with its visit (never split silently)
    assert mine[2] in held
    c = sqlite3.connect(one)
    assert c.execute("SELECT count(*) FROM attempts WHERE dwelling_id = ?",
                     (mine[2],)).fetchone() == (1,)
    # the move itself stays in the old device's event log (no address in it)
    assert c.execute("SELECT count(*) FROM events WHERE kind = 'assign' AND dwelling_id = ?",
                     (mine[1],)).fetchone()[0] >= 1
    c.close()
    assert dwellings(two)[mine[1]] == "int02"
    assert listing(two, mine[1])[0][0].startswith("幸福路")
    # nothing of the move is undone by the old device's next push or a file merge
    merge_stores([one, two], central)
    assert dwellings(central)[mine[1]] == "int02"


def test_pull_on_the_command_line_says_what_left(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    mine = sorted(d for d, w in dwellings(central).items() if w == "int01")
    moves(central, [(mine[0], "int03")])
    run = cli("pull", "--from", str(central), "--into", str(stores / "int01.sqlite"))
    assert run.returncode == 0, run.stderr
    assert list(dwellings(stores / "int01.sqlite")) == [mine[1]]
