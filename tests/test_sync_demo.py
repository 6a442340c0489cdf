"""The demo's stores: its central store served and a device synced; the README merge line."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from _synckit import cli, server
from test_store_merge import snapshot

from fieldsurvey.store.sync.client import sync


def test_the_demo_central_store_serves_its_devices(tmp_path: Path, demo_run: Path) -> None:
    out = tmp_path / "demo"
    shutil.copytree(demo_run, out)  # the session's demo run (conftest); synced here: a copy
    devices = out / "devices"
    stores = sorted(devices.glob("int*.sqlite"))
    assert len(stores) >= 2
    with server(devices / "central.sqlite") as (url, _):
        first = sync(stores[0], url)
        again = sync(stores[0], url)
        other = sync(stores[1], url)
    assert first.pushed == 0 and (again.pushed, again.pulled) == (0, 0)  # merged already
    assert other.pushed == 0
    run = cli("merge", *[str(p.relative_to(devices)) for p in stores], "--into",
              "central-again.sqlite", cwd=devices)
    assert run.returncode == 0, run.stderr
    a, b = snapshot(devices / "central-again.sqlite"), snapshot(devices / "central.sqlite")
    for table in ("answers", "attempts", "interviews", "roster", "selection"):
        assert a[table] == b[table], table
    c = sqlite3.connect(devices / "central.sqlite")
    assert c.execute("SELECT count(*) FROM credentials").fetchone()[0] == len(stores)
    c.close()
