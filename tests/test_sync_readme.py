"""The README's "Fieldwork as a team" commands, run as written (only the port is free)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
from _storekit import sample_frame
from _synckit import FIELDSURVEY, free_port, interview

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Fieldwork as a team", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_team_section_runs_as_written(tmp_path):
    sample = sample_frame(12, communities=("C1", "C2", "C3"))
    sample["released"] = [True] * 9 + [False] * 3  # a reserve batch
    sample.to_csv(tmp_path / "sample.csv", index=False)
    pd.DataFrame({"interviewer": ["int01", "int02", "int03"],
                  "community_id": ["C1", "C2", "C3"]}).to_csv(tmp_path / "team.csv",
                                                              index=False)
    port = str(free_port())
    server = None
    synced = 0
    try:
        for line in readme_commands():
            argv = shlex.split(line.replace("8765", port), comments=True)
            background = argv[-1] == "&"
            argv = [FIELDSURVEY if a == "fieldsurvey" else a for a in argv if a != "&"]
            argv = [x for a in argv for x in (sorted(str(p.relative_to(tmp_path)) for p in
                                                      tmp_path.glob(a)) if "*" in a else [a])]
            if argv[1] == "sync" and "--server" in argv and synced == 0:
                for k in (0, 1):  # the interviewer's work: two completed interviews
                    interview(tmp_path / "stores" / "int01.sqlite", k)
            if argv[1] == "assign" and "--add" in argv:  # as `sample release` does
                sample["released"] = True
                sample.to_csv(tmp_path / "sample.csv", index=False)
            if background:
                server = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                        break
                    except OSError:
                        assert server.poll() is None and time.monotonic() < deadline
                        time.sleep(0.1)
                continue
            run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True,
                                 timeout=300, env={**os.environ, "COLUMNS": "200"})
            assert run.returncode == 0, f"{line}\n{run.stdout}\n{run.stderr}"
            if argv[1] == "sync" and "--server" in argv:
                synced += 1
                assert "synced with" in run.stdout
    finally:
        if server is not None and server.poll() is None:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(20)
    assert synced == 2
    dev = sqlite3.connect(tmp_path / "stores" / "int01.sqlite")
    assert dev.execute("SELECT review_state FROM interviews WHERE dwelling_id = 'C1-000'"
                       ).fetchall() == [("rejected",)]
    assert dev.execute("SELECT question, comment FROM review_comments").fetchall() == \
        [("q1", "年龄与户口簿不符")]
    two = sqlite3.connect(tmp_path / "stores" / "int02.sqlite")
    assert ("C2-010",) in two.execute("SELECT dwelling_id FROM assignments").fetchall()
    hub = sqlite3.connect(tmp_path / "stores" / "central.sqlite")
    assert hub.execute("SELECT review_state, reviewer FROM interviews WHERE dwelling_id = "
                       "'C1-003'").fetchall() == [("approved", "hq:总部")]
    assert hub.execute("SELECT role FROM credentials WHERE device_id = 'user:王芳'"
                       ).fetchall() == [("supervisor",)]
    merged = sqlite3.connect(tmp_path / "central.sqlite")
    assert merged.execute("SELECT count(*) FROM interviews").fetchone() == (2,)
