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
    assert one[mine[1]] == "int02"  # moved away: the device sees it is no longer its own
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
