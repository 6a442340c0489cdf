"""Bounded reliability rounds: writers and exports killed (SIGKILL) at random points.

* A device store copied without its ``-wal`` (a file manager's copy while the app runs,
  or after a crash): the merge either warns that the copy may be incomplete or the copy
  holds every acknowledged answer; a hand-in copy always holds every one (the full
  answers table equals the device's).
* Exports killed at random points while a writer goes on: the folder has either no
  ``export.json`` or a complete export; a finished export equals a dump of the store.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from _storekit import make_store

from fieldsurvey.store.handin import hand_in
from fieldsurvey.store.merge import merge_stores

TESTS = Path(__file__).resolve().parent

WRITER = r"""
import sys
sys.path.insert(0, sys.argv[2])
from fieldsurvey.store import FieldStore
store = FieldStore.open(sys.argv[1])
every = int(sys.argv[3])
ids = list(store.assignments()["dwelling_id"])
uuid = store.start_interview(ids[0])
print("uuid", uuid, flush=True)
for i in range(1_000_000):
    if i and i % 40 == 0:  # the interviewer moves on to another household
        store.complete(uuid)
        if every:
            store.checkpoint()
        uuid = store.start_interview(ids[(i // 40) % len(ids)])
    store.set_answer(uuid, f"q{i % 40}", i)
    print(uuid, i % 40, i, flush=True)
"""


def _run_writer(path: Path, every: int, n_acked: int, seed: int
                ) -> tuple[subprocess.Popen[str], list[tuple[str, str, int]]]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(TESTS), str(every)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acked: list[tuple[str, str, int]] = []
    deadline = time.monotonic() + 60
    while len(acked) < n_acked and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line.endswith("\n"):
            break
        parts = line.split()
        if parts[0] != "uuid":
            acked.append((parts[0], f"q{parts[1]}", int(parts[2])))
    return proc, acked


def _answers(path: Path) -> pd.DataFrame:
    c = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        df = pd.read_sql("SELECT i.uuid, a.question, a.value FROM answers a JOIN interviews i "
                         "USING (iid) ORDER BY 1, 2", c)
    finally:
        c.close()
    return df.reset_index(drop=True)


def test_copies_without_the_wal_are_warned_about_and_handins_lose_nothing(tmp_path):
    rng = random.Random(21)
    silent_complete = warned = 0
    for rnd in range(6):
        d = tmp_path / f"r{rnd}"
        d.mkdir()
        dev = d / "int01.sqlite"
        make_store(dev, n=6).close()
        every = rnd % 2  # half the rounds checkpoint when leaving a household
        proc, acked = _run_writer(dev, every, rng.randint(30, 200), rnd)
        copy = d / "copy" / "int01.sqlite"
        copy.parent.mkdir()
        if rnd % 3 == 0:
            shutil.copy(dev, copy)  # copied while the app runs
            os.kill(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)  # a crash, then the file manager's copy
            proc.wait(timeout=30)
            shutil.copy(dev, copy)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
        assert len(acked) >= 30
        res = merge_stores([copy], d / "central.sqlite")
        got = {(u, q): v for u, q, v in _answers(d / "central.sqlite").itertuples(index=False)}
        want = {(u, q): v for u, q, v in acked}  # the last acknowledged value of each
        complete = all(got.get(k) == v for k, v in want.items())
        if res.warnings:
            warned += 1
        else:
            assert complete, f"round {rnd}: a silent merge of an incomplete copy"
            silent_complete += 1
        # the hand-in copy of the crashed store holds every acknowledged answer
        h = hand_in(dev, d / "usb")
        merge_stores([h.path], d / "central2.sqlite")
        handed = _answers(d / "central2.sqlite")
        assert {(u, q): v for u, q, v in handed.itertuples(index=False)} == \
            {(u, q): v for u, q, v in _answers_live(dev).itertuples(index=False)}
        assert all(v == dict(((u, q), w) for u, q, w in handed.itertuples(index=False))
                   .get(k) for k, v in want.items())
        assert not list((d / "copy").glob("*-wal")) and not list((d / "copy").glob("*-shm"))
    print(f"copies without the WAL: {warned} warned, {silent_complete} complete without a "
          "warning, 0 incomplete without a warning; hand-ins complete in 6 of 6")
    assert warned >= 1


def _answers_live(path: Path) -> pd.DataFrame:
    """The answers as SQLite reads the store (main file and -wal)."""
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql("SELECT i.uuid, a.question, a.value FROM answers a JOIN interviews "
                           "i USING (iid) ORDER BY 1, 2", c).reset_index(drop=True)
    finally:
        c.close()


EXPORT = r"""
import sys
sys.path.insert(0, sys.argv[2])
from fieldsurvey.cli.main import main
sys.exit(main(["export", "--db", sys.argv[1], "--format", "csv", "--out", sys.argv[3],
               "--tables", "interviews,cases,attempts"]))
"""


def _check_folder(out: Path) -> bool:
    """True for a finished export; raise if a folder with the marker is not complete."""
    marker = out / "export.json"
    if not marker.exists():
        return False
    manifest = json.loads(marker.read_text(encoding="utf-8"))
    for name, file in manifest["files"].items():
        df = pd.read_csv(out / file)
        if name in manifest["rows"]:
            assert len(df) == manifest["rows"][name], name
    return True


def test_exports_killed_under_writes_leave_a_complete_export_or_none(tmp_path):
    rng = random.Random(7)
    dev = tmp_path / "dev.sqlite"
    make_store(dev, n=6).close()
    writer, _ = _run_writer(dev, 1, 5, 0)
    finished = 0
    out = tmp_path / "exp"
    try:
        for rnd in range(6):
            proc = subprocess.Popen([sys.executable, "-c", EXPORT, str(dev), str(TESTS),
                                     str(out)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            if rnd % 3 == 2:  # one in three runs to its end while the writer goes on
                assert proc.wait(timeout=120) == 0
            time.sleep(rng.uniform(0.3, 6.0))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            err = proc.stderr.read() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
            assert "Traceback" not in err, err
            finished += _check_folder(out)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
        if writer.stdout:
            writer.stdout.close()
    # with the writer stopped, a finished export equals a dump of the store
    proc = subprocess.run([sys.executable, "-c", EXPORT, str(dev), str(TESTS), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _check_folder(out)
    itv = pd.read_csv(out / "interviews.csv").set_index("interview_uuid")
    dump = _answers_live(dev)
    for u, q, v in dump.itertuples(index=False):
        assert itv.loc[u, q] == v
    c = sqlite3.connect(f"file:{dev}?mode=ro", uri=True)
    n_interviews = c.execute("SELECT count(*) FROM interviews").fetchone()[0]
    c.close()
    assert len(itv) == n_interviews
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # stale staging removed
    assert finished >= 1  # some killed runs had finished: their folders were checked
