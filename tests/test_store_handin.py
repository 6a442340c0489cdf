"""Hand-in of device stores, merge warnings, leftovers, re-keying, private files, teams."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _storekit import make_store

from fieldsurvey.cli.main import main
from fieldsurvey.io.errors import InputError, StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.handin import hand_in, sha256_file, verify_hand_in
from fieldsurvey.store.issue import check_team
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.rekey import rekey_store


def _answers(path: Path) -> int:
    c = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return int(c.execute("SELECT count(*) FROM answers").fetchone()[0])
    finally:
        c.close()


def test_a_copy_without_its_wal_is_warned_about_and_handin_is_complete(tmp_path):
    store = make_store(tmp_path / "int01.sqlite")
    store.checkpoint()
    u = store.start_interview("C1-000")
    for i in range(200):
        store.set_answer(u, f"q{i}", i)
    copy = tmp_path / "copied" / "int01.sqlite"
    copy.parent.mkdir()
    shutil.copy(tmp_path / "int01.sqlite", copy)  # a file manager's copy, app still open
    res = merge_stores([copy], tmp_path / "c1.sqlite")
    assert len(res.warnings) == 1 and "may lack the answers" in res.warnings[0]
    assert "fieldsurvey handin" in res.warnings[0]
    # the hand-in copy holds all 200 answers, even with the app open
    h = hand_in(tmp_path / "int01.sqlite", tmp_path / "usb")
    assert _answers(h.path) == 200 and verify_hand_in(h.path)
    assert not Path(f"{h.path}-wal").exists() and not Path(f"{h.path}-shm").exists()
    assert h.checksum_file.read_text().split() == [sha256_file(h.path), "int01.sqlite"]
    assert h.path.stat().st_mode & 0o777 == 0o600
    res2 = merge_stores([h.path], tmp_path / "c2.sqlite")
    assert res2.warnings == () and _answers(tmp_path / "c2.sqlite") == 200
    assert sorted(p.name for p in h.path.parent.iterdir()) == ["int01.sqlite",
                                                               "int01.sqlite.sha256"]
    # after a checkpoint (completion, leaving a household, quit) the main file is complete
    assert store.checkpoint()
    assert Path(f"{tmp_path / 'int01.sqlite'}-wal").stat().st_size == 0  # the WAL is emptied
    shutil.copy(tmp_path / "int01.sqlite", copy)
    res3 = merge_stores([copy], tmp_path / "c3.sqlite")
    assert res3.warnings == () and _answers(tmp_path / "c3.sqlite") == 200
    store.close()


def test_merge_warns_about_a_wal_beside_a_source_and_leaves_no_sidecars(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    u = store.start_interview("C1-000")
    store.set_answer(u, "q", 1)
    res = merge_stores([tmp_path / "a.sqlite"], tmp_path / "central.sqlite")
    assert any("-wal file beside it" in w for w in res.warnings)
    store.close()  # the last connection checkpoints and removes -wal and -shm
    assert not Path(f"{tmp_path / 'a.sqlite'}-wal").exists()
    res = merge_stores([tmp_path / "a.sqlite"], tmp_path / "central.sqlite")
    assert res.warnings == ()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("a.")) == \
        ["a.sqlite"]


def test_a_killed_first_merge_leaves_nothing_the_next_one_does_not_clean(tmp_path):
    store = make_store(tmp_path / "a.sqlite")
    store.close()
    into = tmp_path / "central.sqlite"
    code = ("import sys, os, signal\n"
            "from fieldsurvey.store import merge\n"
            "orig = merge._merge_all\n"
            "def die(*a, **k):\n"
            "    orig(*a, **k); os.kill(os.getpid(), signal.SIGKILL)\n"
            "merge._merge_all = die\n"
            "merge.merge_stores([sys.argv[1]], sys.argv[2])\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.sqlite"), str(into)],
                          capture_output=True)
    assert proc.returncode == -9
    stale = list(tmp_path.glob(".central.sqlite.*.merging*"))
    assert stale and not into.exists()
    merge_stores([tmp_path / "a.sqlite"], into)
    assert not list(tmp_path.glob(".central.sqlite.*.merging*")) and into.exists()
    assert not list(tmp_path.glob("a.sqlite-*"))


def test_cli_merge_prints_the_warning(tmp_path, capsys):
    store = make_store(tmp_path / "int01.sqlite")
    store.checkpoint()
    store.record_attempt("C1-000", "2.24")
    (tmp_path / "copy").mkdir()
    shutil.copy(tmp_path / "int01.sqlite", tmp_path / "copy" / "int01.sqlite")
    assert main(["merge", str(tmp_path / "copy" / "int01.sqlite"), "--into",
                 str(tmp_path / "central.sqlite")]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "may lack" in err and "handin" in err
    store.close()


def test_handin_refuses_another_device_under_the_same_name_and_replaces_its_own(tmp_path):
    a = make_store(tmp_path / "a" / "int01.sqlite", device_id="dev-A")
    b = make_store(tmp_path / "b" / "int01.sqlite", device_id="dev-B")
    first = hand_in(tmp_path / "a" / "int01.sqlite", tmp_path / "in")
    a.record_attempt("C1-000", "2.24")
    second = hand_in(tmp_path / "a" / "int01.sqlite", tmp_path / "in")
    assert second.events == first.events + 1 and verify_hand_in(second.path)
    with pytest.raises(StoreError, match="another device"):
        hand_in(tmp_path / "b" / "int01.sqlite", tmp_path / "in")
    with pytest.raises(StoreError, match="own folder"):
        hand_in(tmp_path / "a" / "int01.sqlite", tmp_path / "a")
    second.path.write_bytes(second.path.read_bytes()[:-10] + b"0123456789")
    assert not verify_hand_in(second.path)
    a.close()
    b.close()


def test_cli_handin_and_rekey(tmp_path, capsys):
    store = make_store(tmp_path / "int01.sqlite")
    u = store.start_interview("C1-000")
    store.set_answer(u, "q1", 1)
    store.checkpoint()
    shutil.copy(tmp_path / "int01.sqlite", tmp_path / "backup.sqlite")
    store.set_answer(u, "q2", 2)
    store.close()
    assert main(["handin", "--db", str(tmp_path / "int01.sqlite"), "--to",
                 str(tmp_path / "usb")]) == 0
    out = capsys.readouterr().out
    assert "handed in" in out and "sha256" in out
    central = tmp_path / "central.sqlite"
    assert main(["merge", str(tmp_path / "usb" / "int01.sqlite"), "--into", str(central)]) == 0
    restored = FieldStore.open(tmp_path / "backup.sqlite")  # the tablet was lost
    restored.set_answer(u, "q3", 3)
    restored.close()
    assert main(["merge", str(tmp_path / "backup.sqlite"), "--into", str(central)]) == 2
    err = capsys.readouterr().err
    assert "device id" in err and "fieldsurvey store rekey" in err
    assert main(["store", "rekey", "--db", str(tmp_path / "backup.sqlite")]) == 0  # beside
    assert "moved" in capsys.readouterr().out
    assert main(["merge", str(tmp_path / "backup.sqlite"), "--into", str(central)]) == 0
    c = FieldStore.open(central, readonly=True)
    assert c.answers(u) == {"q1": 1, "q2": 2, "q3": 3}
    assert c.check() == [] and len(c.conflicts()) == 0
    c.close()
    assert main(["store"]) == 2
    assert main(["handin", "--db", str(tmp_path / "nothing.sqlite"), "--to",
                 str(tmp_path / "x")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_rekey_keeps_what_was_merged_and_moves_the_new_work(tmp_path):
    dev = make_store(tmp_path / "dev.sqlite")
    u = dev.start_interview("C1-000")
    for i in range(5):
        dev.set_answer(u, f"q{i}", i)
    dev.checkpoint()
    shutil.copy(tmp_path / "dev.sqlite", tmp_path / "old.sqlite")
    dev.record_attempt("C2-001", "2.24")
    dev.set_answer(u, "q0", 100)
    central = tmp_path / "central.sqlite"
    merge_stores([tmp_path / "dev.sqlite"], central)
    dev.close()
    old = FieldStore.open(tmp_path / "old.sqlite")
    old.record_attempt("C1-002", "2.111")
    v = old.start_interview("C2-003")
    old.set_answer(v, "x", 1)
    old.close()
    with pytest.raises(StoreError, match="device id"):
        merge_stores([tmp_path / "old.sqlite"], central)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(tmp_path / "old.sqlite", tmp_path / "elsewhere" / "old.sqlite")
    with pytest.raises(StoreError, match="needs the central store"):
        rekey_store(tmp_path / "elsewhere" / "old.sqlite")
    res = rekey_store(tmp_path / "old.sqlite", central=central)
    assert res.kept == 12 and res.moved == 3 and res.new_device != res.old_device
    assert (tmp_path / "old.sqlite.rekey.bak").exists()
    merge_stores([tmp_path / "old.sqlite"], central)
    c = FieldStore.open(central, readonly=True)
    assert c.answers(u)["q0"] == 100  # the merged edit is kept
    assert c.answers(v) == {"x": 1}
    assert sorted(a["dwelling_id"] for a in c.attempts()) == ["C1-002", "C2-001"]
    assert c.check() == []
    c.close()
    again = FieldStore.open(tmp_path / "old.sqlite")
    assert again.device_id == res.new_device
    again.set_answer(v, "y", 2)
    again.close()
    assert merge_stores([tmp_path / "old.sqlite"], central).sources[0].events_new == 1


def test_stores_and_exports_are_private(tmp_path):
    s = make_store(tmp_path / "a.sqlite")
    assert (tmp_path / "a.sqlite").stat().st_mode & 0o777 == 0o600
    assert "pii_salt" not in s.meta
    s.close()
    g = FieldStore.create(tmp_path / "g.sqlite", survey_id="S", role="central", group=True)
    assert (tmp_path / "g.sqlite").stat().st_mode & 0o777 == 0o640 and g.meta["pii_salt"]
    g.close()
    merge_stores([tmp_path / "a.sqlite"], tmp_path / "central.sqlite")
    assert (tmp_path / "central.sqlite").stat().st_mode & 0o777 == 0o600
    assert main(["export", "--db", str(tmp_path / "central.sqlite"), "--format", "csv",
                 "--out", str(tmp_path / "exp"), "--include-pii"]) == 0
    files = list((tmp_path / "exp").iterdir())
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert (tmp_path / "exp").stat().st_mode & 0o777 == 0o700
    assert main(["export", "--db", str(tmp_path / "central.sqlite"), "--format", "csv",
                 "--out", str(tmp_path / "grp"), "--group"]) == 0
    assert all(f.stat().st_mode & 0o777 == 0o640 for f in (tmp_path / "grp").iterdir())


@pytest.mark.parametrize(("team", "message"), [
    (pd.DataFrame({"interviewer": ["w1", "w2", "w1"]}), "same interviewer twice"),
    (pd.DataFrame({"interviewer": ["w1", "w1"], "community_id": ["C1", "C1"]}),
     "same interviewer twice"),
    (pd.DataFrame({"interviewer": ["central", "w2"]}), "supervisor's store"),
    (pd.DataFrame({"interviewer": ["张 三", "张_三"]}), "same store file"),
])
def test_team_files_that_cannot_tell_interviewers_apart_are_refused(team, message):
    with pytest.raises(InputError, match=message) as info:
        check_team(team)
    assert "temporary" not in info.value.paragraph()


def test_one_interviewer_in_two_communities_is_fine():
    check_team(pd.DataFrame({"interviewer": ["w1", "w1"], "community_id": ["C1", "C2"]}))


def test_the_sha256_file_checks_with_sha256sum(tmp_path):
    if shutil.which("sha256sum") is None:
        pytest.skip("no sha256sum")
    make_store(tmp_path / "int01.sqlite").close()
    h = hand_in(tmp_path / "int01.sqlite", tmp_path / "usb")
    out = subprocess.run(["sha256sum", "-c", h.checksum_file.name], cwd=h.path.parent,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "OK" in out.stdout
    os.chmod(h.path, 0o600)


def test_an_older_device_store_gives_up_its_pseudonymisation_key(tmp_path):
    make_store(tmp_path / "int01.sqlite").close()
    c = sqlite3.connect(tmp_path / "int01.sqlite")  # as fieldsurvey before 0600/HQ keys
    c.execute("INSERT INTO meta VALUES ('pii_salt', 'old-key')")
    c.commit()
    c.close()
    h = hand_in(tmp_path / "int01.sqlite", tmp_path / "usb")
    c = sqlite3.connect(h.path)
    assert c.execute("SELECT count(*) FROM meta WHERE key = 'pii_salt'").fetchone() == (0,)
    c.close()
    store = FieldStore.open(tmp_path / "int01.sqlite")
    assert "pii_salt" not in store.meta
    store.close()
    c = sqlite3.connect(tmp_path / "int01.sqlite")
    assert c.execute("SELECT count(*) FROM meta WHERE key = 'pii_salt'").fetchone() == (0,)
    c.close()


def test_the_key_file_comes_from_the_central_store_and_gives_the_same_pseudonyms(tmp_path,
                                                                                   capsys):
    from fieldsurvey.store.export import answers_frame

    dev = make_store(tmp_path / "int01.sqlite")
    u = dev.start_interview("C1-000")
    dev.set_answer(u, "t", "老王的电话")
    dev.close()
    central = tmp_path / "central.sqlite"
    merge_stores([tmp_path / "int01.sqlite"], central)
    assert main(["store", "key", "--db", str(tmp_path / "int01.sqlite"), "--out",
                 str(tmp_path / "none.key")]) == 2  # a device holds no key
    assert not (tmp_path / "none.key").exists()
    key = tmp_path / "survey.key"
    assert main(["store", "key", "--db", str(central), "--out", str(key)]) == 0
    assert key.stat().st_mode & 0o777 == 0o600
    assert main(["store", "key", "--db", str(central), "--out", str(key)]) == 2
    capsys.readouterr()
    a = answers_frame(central, pii="pseudonymise").frame["t"].tolist()
    b = answers_frame(tmp_path / "int01.sqlite", pii="pseudonymise", key_file=key).frame
    assert a == b["t"].tolist() and a[0].startswith("P")
