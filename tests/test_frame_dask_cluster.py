"""``frame build --scheduler tcp://…`` on a cluster started as the README shows.

``dask scheduler`` and ``dask worker`` run as their own processes on 127.0.0.1 (free
ports), as they would on other machines; the build pointed at the scheduler must write the
same frame and self-check as the single-process build. Both processes are stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from _framekit import communities, write_geojson

pytest.importorskip("distributed")

from test_frame_dask import messy_listing  # noqa: E402

from fieldsurvey.cli.main import main  # noqa: E402
from fieldsurvey.frame import read_frame  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask_command() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dask")
    if found is None:
        pytest.skip("the dask command is not installed")
    return [found]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = _dask_command()
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", "127.0.0.1:0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=tmp_path, env=env, start_new_session=True)]
    try:
        from distributed import Client

        procs.append(subprocess.Popen([*dask, "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--memory-limit", "1GiB",
                                       "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      cwd=tmp_path, env=env, start_new_session=True))
        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)


def test_build_on_a_running_cluster_equals_the_single_process_build(
        cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    lst = tmp_path / "listing"
    lst.mkdir()
    df = messy_listing()
    half = len(df) // 2
    df.iloc[:half].to_csv(lst / "part-1.csv", index=False)
    df.iloc[half:].to_csv(lst / "part-2.csv", index=False)
    df.to_csv(tmp_path / "listing.csv", index=False)
    common = ["frame", "build", "--boundaries", str(b), "--dwellings"]
    assert main([*common, str(tmp_path / "listing.csv"), "--out",
                 str(tmp_path / "single.parquet")]) == 0
    assert main([*common, str(lst), "--out", str(tmp_path / "dask.parquet"), "--engine",
                 "dask", "--scheduler", cluster]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"dask: scheduler {cluster}" in err
    single, dask = read_frame(tmp_path / "single.parquet"), read_frame(tmp_path / "dask.parquet")
    key = ["dwelling_id", "source_row"]
    a = single.frame.sort_values(key, kind="stable").reset_index(drop=True)
    d = dask.frame.sort_values(key, kind="stable").reset_index(drop=True)
    assert list(a.columns) == list(d.columns)
    for col in a.columns:
        pd.testing.assert_series_equal(a[col], d[col], check_categorical=False, obj=col)
    assert single.qa.to_dict() == dask.qa.to_dict()
