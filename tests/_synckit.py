"""Helpers for the sync tests: issued stores with tokens, a real `fieldsurvey serve` process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from _storekit import sample_frame

from fieldsurvey.store import FieldStore
from fieldsurvey.store.issue import issue_stores

FIELDSURVEY = str(Path(sys.executable).parent / "fieldsurvey")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def team_stores(folder: Path, n: int = 24, people: int = 3) -> Path:
    """``folder/stores`` from `assign` (central + int01..) with tokens in the device stores."""
    sample = sample_frame(n, communities=tuple(f"C{i + 1}" for i in range(people)))
    team = pd.DataFrame({"interviewer": [f"int{i + 1:02d}" for i in range(people)],
                         "community_id": [f"C{i + 1}" for i in range(people)]})
    res = issue_stores(sample, team, folder / "stores")
    assert len(res.tokens) == people  # assign gives every device store a token
    return folder / "stores"


def interview(store_path: Path, k: int = 0, answers: int = 10, complete: bool = True) -> str:
    """An attempt and an interview with ``answers`` answers at the k-th household."""
    s = FieldStore.open(store_path)
    try:
        d = str(s.assignments().sort_values("dwelling_id")["dwelling_id"].iloc[k])
        s.record_attempt(d, "1.1")
        uuid = s.start_interview(d, form_id="f", form_version="1")
        for i in range(answers):
            s.set_answer(uuid, f"q{i}", i)
        if complete:
            s.complete(uuid)
        return uuid
    finally:
        s.close()


@contextlib.contextmanager
def server(db: Path, *, env: dict[str, str] | None = None,
           extra: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`fieldsurvey serve` on a free loopback port; stopped by its PID (SIGTERM, then KILL)."""
    port = free_port()
    log = open(db.parent / f"serve-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([FIELDSURVEY, "serve", "--db", str(db), "--port", str(port),
                             *extra], stdout=log, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
    tls = "--certfile" in extra
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    ctx = ssl._create_unverified_context() if tls else None  # only to see that it is up
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2, context=ctx).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError("the server did not start: "
                                       + (db.parent / f"serve-{port}.log").read_text()) from None
                time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def server_log(db: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(db.parent.glob("serve-*.log")))


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FIELDSURVEY, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)
