"""Reliability of the field store: kill -9 mid-run, a full disk, bad files, old schemas."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _storekit import make_store

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.schema import SCHEMA_VERSION, configure, migrate

TESTS = Path(__file__).resolve().parent

WRITER = r"""
import sys
sys.path.insert(0, sys.argv[2])
from fieldsurvey.store import FieldStore
store = FieldStore.open(sys.argv[1])
uuid = store.start_interview("C1-000")
print("uuid", uuid, flush=True)
for i in range(1_000_000):
    store.set_answer(uuid, f"q{i}", i, instance=(i % 3 + 1,) if i % 2 else None)
    print(i, flush=True)
"""


def test_sigkill_mid_run_loses_no_acknowledged_answer(tmp_path):
    path = tmp_path / "dev.sqlite"
    make_store(path).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(TESTS)],
                            stdout=subprocess.PIPE, text=True)
    acked: list[int] = []
    uuid = None
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + 60
        while len(acked) < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("uuid"):
                uuid = line.split()[1]
            elif line.endswith("\n"):
                acked.append(int(line))
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the run
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert uuid is not None and len(acked) >= 300
    store = FieldStore.open(path, check=True)
    assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    answers = store.answers(uuid)
    for i in acked:
        key = f"q{i}" + (f"[{i % 3 + 1}]" if i % 2 else "")
        assert answers[key] == i
    # the event log has every acknowledged answer too
    n_set = (store.events(uuid)["kind"] == "set").sum()
    assert n_set >= len(acked)


def _fill_until_full(store: FieldStore, uuid: str, size: int = 400) -> tuple[list[str], str]:
    done: list[str] = []
    for i in range(100_000):
        try:
            store.set_answer(uuid, f"q{i}", "数据" * size)
        except StoreError as exc:
            return done, str(exc)
        done.append(f"q{i}")
    raise AssertionError("the size limit was never reached")


def test_full_disk_simulated_with_max_page_count(tmp_path):
    path = tmp_path / "dev.sqlite"
    store = make_store(path)
    uuid = store.start_interview("C1-000")
    pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
    store.connection.execute(f"PRAGMA max_page_count = {pages + 40}")
    done, message = _fill_until_full(store, uuid)
    assert len(done) > 10
    assert "disk is full" in message and "NOT saved" in message
    with pytest.raises(StoreError, match="disk is full"):  # still full, still clear
        store.record_attempt("C1-000", "2.24", note="x" * 100_000)
    store.close()
    store = FieldStore.open(path, check=True)
    assert store.check() == []
    answers = store.answers(uuid)
    assert all(k in answers for k in done) and len(answers) == len(done)


TMPFS_SCRIPT = r"""
import json, os, sys
sys.path.insert(0, sys.argv[2])
from _storekit import make_store
from test_store_reliability import _fill_until_full
from fieldsurvey.store import FieldStore
store = make_store(os.path.join(sys.argv[1], "dev.sqlite"))
uuid = store.start_interview("C1-000")
done, message = _fill_until_full(store, uuid, size=100)
store.close()
store = FieldStore.open(os.path.join(sys.argv[1], "dev.sqlite"), readonly=True)
answers = store.answers(uuid)
print(json.dumps({"done": len(done), "message": message, "check": store.check(),
                  "kept": all(k in answers for k in done)}))
"""


def run_on_small_tmpfs(mnt: Path, size: str, script: str, *args: object) -> dict:
    """Run ``script`` (Python, its args after ``mnt``) with a private tmpfs of ``size``
    mounted at ``mnt``; return the JSON of its last output line. Skips where a private
    tmpfs cannot be mounted (no Linux ``unshare``, or user namespaces disallowed)."""
    unshare = shutil.which("unshare")
    mnt.mkdir(exist_ok=True)
    if unshare is None or sys.platform != "linux":
        pytest.skip("needs Linux unshare to mount a private tmpfs")
    probe = subprocess.run([unshare, "-rm", "sh", "-c",
                            f"mount -t tmpfs -o size=64k none {mnt}"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode(errors='replace')}")
    cmd = (f"mount -t tmpfs -o size={size} none {mnt} && "
           f"{sys.executable} -c '{script}' " + " ".join(map(str, args)))
    out = subprocess.run([unshare, "-rm", "sh", "-c", cmd], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_full_disk_on_a_real_small_tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    res = run_on_small_tmpfs(mnt, "2m", TMPFS_SCRIPT, mnt, TESTS)
    assert res["done"] > 5 and res["kept"] and res["check"] == []
    assert "disk is full" in res["message"]


def test_foreign_files_get_clear_messages(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, 这不是数据库", encoding="utf-8")
    with pytest.raises(StoreError, match="not an SQLite database"):
        FieldStore.open(text)
    other = tmp_path / "other.sqlite"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="another program's database"):
        FieldStore.open(other)
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        FieldStore.open(empty)
    with pytest.raises(StoreError, match="no field store"):
        FieldStore.open(tmp_path / "missing.sqlite")
    with pytest.raises(StoreError, match="directory"):
        FieldStore.open(tmp_path)


def test_corrupted_file_gets_clear_message(tmp_path):
    path = tmp_path / "dev.sqlite"
    store = make_store(path, n=200)
    uuid = store.start_interview("C1-000")
    for i in range(200):
        store.set_answer(uuid, f"q{i}", "x" * 200)
    store.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 4 * page
    for off in range(2 * page, len(data), page):  # damage every b-tree page header
        data[off:off + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        FieldStore.open(path)
    half = tmp_path / "half.sqlite"
    half.write_bytes(path.read_bytes()[:50])
    with pytest.raises(StoreError, match="damaged"):
        FieldStore.open(half)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "dev.sqlite"
    make_store(path).close()
    c = sqlite3.connect(path)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="newer fieldsurvey") as info:
        FieldStore.open(path)
    assert "Upgrade" in str(info.value)


def make_v1_store(path: Path) -> None:
    """A store as schema version 1 wrote it (before reviews and overrides)."""
    c = sqlite3.connect(path, isolation_level=None)
    configure(c)
    migrate(c, target=1)
    c.executemany("INSERT INTO meta VALUES (?, ?)",
                  [("survey_id", "SURVEY1"), ("device_id", "old-dev"), ("role", "device"),
                   ("pii_salt", "s"), ("hlc_floor", "0"), ("interviewer", "w1")])
    c.execute("INSERT INTO assignments (dwelling_id, community_id, interviewer, assigned_at, "
              "ver_hlc, ver_device, ver_seq) VALUES ('C1-000', 'C1', 'w1', 't', 1, 'old-dev', 1)")
    c.execute("INSERT INTO events (device_id, seq, hlc, time, kind, dwelling_id) "
              "VALUES ('old-dev', 1, 1, 't', 'assign', 'C1-000')")
    c.close()


def test_older_schema_is_backed_up_then_migrated(tmp_path):
    path = tmp_path / "dev.sqlite"
    make_v1_store(path)
    store = FieldStore.open(path)
    backup = tmp_path / "dev.sqlite.schema1.bak"
    assert backup.exists()
    b = sqlite3.connect(backup)
    assert b.execute("PRAGMA user_version").fetchone()[0] == 1
    assert b.execute("SELECT count(*) FROM assignments").fetchone()[0] == 1
    b.close()
    assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.record_attempt("C1-000", "2.24")
    uuid = store.start_interview("C1-000", form_id="f")
    store.set_answer(uuid, "a1", 1)
    store.complete(uuid)
    store.review(uuid, "approve", reviewer="sup")  # a v2 feature on a migrated store
    assert store.check() == []
    make_v1_store(tmp_path / "ro.sqlite")  # a reader (progress, export) upgrades it too
    ro = FieldStore.open(tmp_path / "ro.sqlite", readonly=True)
    assert (tmp_path / "ro.sqlite.schema1.bak").exists()
    assert ro.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with pytest.raises(StoreError, match="read-only"):
        ro.record_attempt("C1-000", "2.24")


def test_a_version_2_store_gets_the_cheap_sparse_event_index(tmp_path):
    path = tmp_path / "v2.sqlite"
    make_v1_store(path)
    c = sqlite3.connect(path, isolation_level=None)
    migrate(c, target=2)
    c.close()
    store = FieldStore.open(path)
    (sql,) = store.connection.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'events_sparse'").fetchone()
    assert "NOT IN" not in sql and "kind <> 'set'" in sql
    assert (tmp_path / "v2.sqlite.schema2.bak").exists()
    store.close()


MERGE_FULL_SCRIPT = r"""
import json, os, sys
sys.path.insert(0, sys.argv[3])
from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
src, mnt = sys.argv[1], sys.argv[2]
out = {}
try:  # a new central store that does not fit: nothing left on the disk
    merge_stores([os.path.join(src, "small.sqlite"), os.path.join(src, "big.sqlite")],
                 os.path.join(mnt, "new.sqlite"))
except StoreError as exc:
    out["new"] = str(exc)
out["new_files"] = sorted(os.listdir(mnt))
merge_stores([os.path.join(src, "small.sqlite")], os.path.join(mnt, "c.sqlite"))
try:  # an existing one: the stores merged before are kept
    merge_stores([os.path.join(src, "big.sqlite")], os.path.join(mnt, "c.sqlite"))
except StoreError as exc:
    out["existing"] = str(exc)
c = FieldStore.open(os.path.join(mnt, "c.sqlite"), readonly=True)
out["check"] = c.check()
out["attempts"] = len(c.attempts())
print(json.dumps(out))
"""


def test_merge_on_a_full_disk_says_what_was_kept(tmp_path):
    small = make_store(tmp_path / "small.sqlite", device_id="small")
    small.record_attempt("C1-000", "2.24")
    small.close()
    big = make_store(tmp_path / "big.sqlite", device_id="big")
    uuid = big.start_interview("C1-000")
    for i in range(3000):
        big.set_answer(uuid, f"q{i}", "长" * 400)
    big.close()
    mnt = tmp_path / "mnt"
    res = run_on_small_tmpfs(mnt, "3m", MERGE_FULL_SCRIPT, tmp_path, mnt, TESTS)
    assert "disk is full" in res["new"] and "nothing was written" in res["new"]
    assert res["new_files"] == []
    assert "disk is full" in res["existing"] and "keeps everything merged" in res["existing"]
    assert res["check"] == [] and res["attempts"] == 1
