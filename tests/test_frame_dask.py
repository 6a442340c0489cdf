"""The frame build on Dask (``frame build --engine dask``) against the single-process build.

A 2-worker ``LocalCluster`` on 127.0.0.1; the same inputs go through both engines and
the frames (sorted by dwelling id), the self-checks, the fingerprints and the samples
drawn from them must be identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _framekit import centre, communities, listing, write_geojson

pytest.importorskip("distributed")

from fieldsurvey.cli.main import main  # noqa: E402
from fieldsurvey.frame import build_frame, read_frame  # noqa: E402
from fieldsurvey.frame.distributed import build_frame_dask, dask_client  # noqa: E402

DESIGN = """\
seed = 7
[stage1]
method = "pps_systematic"
size = "households"
n = 2
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 5
reserve = 2
"""


def messy_listing() -> pd.DataFrame:
    """A listing with every kind of row-wise and duplicate problem the self-check knows."""
    df = listing(40)
    cell = df["community_id"].map({"C1": (0, 0), "C2": (1, 0), "C3": (0, 1)})
    k = df.groupby("community_id").cumcount().to_numpy()  # spread inside each cell
    pts = [centre(i, j, dx=0.02 * (n % 20) - 0.2, dy=0.04 * (n // 20) - 0.1)
           for (i, j), n in zip(cell, k, strict=True)]
    df["lon"] = [round(x, 7) for x, _ in pts]
    df["lat"] = [round(y, 7) for _, y in pts]
    df.loc[3, "dwelling_id"] = df.loc[70, "dwelling_id"]  # the same id in two communities
    df.loc[7, ["lon", "lat"]] = [np.nan, np.nan]  # no point: placed by the listed community
    df.loc[9, ["lon", "lat"]] = [100.0, 30.0]  # outside every boundary
    df.loc[11, "community_id"] = "C9"  # unknown community
    df.loc[12, "community_id"] = "C2"  # point in C1, listed C2
    same_address = ["address", "building", "unit", "floor", "door"]
    df.loc[50, same_address] = df.loc[51, same_address].tolist()  # a duplicated address in C2
    same = ["lon", "lat", "building", "unit", "floor", "door"]
    df.loc[90, same] = df.loc[91, same].tolist()  # a repeated dwelling at one point
    lon, lat = centre(1, 1)
    extra = df.iloc[:6].copy()
    extra["dwelling_id"] = [f"C4-{i}" for i in range(6)]
    extra["community_id"] = "C4"
    extra["lon"], extra["lat"] = round(lon, 7), round(lat, 7)
    extra["door"] = [str(100 + i) for i in range(6)]
    return pd.concat([df, extra], ignore_index=True)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client(workers=2, memory_limit="1GiB") as c:
        yield c


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    lst = tmp_path / "listing.csv"
    messy_listing().to_csv(lst, index=False)
    return b, lst


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["dwelling_id", "source_row"], kind="stable").reset_index(drop=True)


def assert_same(single: Any, dask_path: Path) -> None:
    back = read_frame(dask_path)
    a, b = by_id(single.frame), by_id(back.frame)
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        assert a[col].dtype == b[col].dtype, col
        pd.testing.assert_series_equal(a[col], b[col], check_categorical=False, obj=col)
    assert single.qa.to_dict() == back.qa.to_dict()
    # rows come back in listing order, like the single-process frame
    assert back.frame["source_row"].is_monotonic_increasing


def test_dask_build_equals_single_process(client: Any, inputs: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    b, lst = inputs
    single = build_frame(b, lst, out=tmp_path / "single.parquet")
    steps: list[str] = []
    result = build_frame_dask(b, lst, out=tmp_path / "dask.parquet", client=client,
                              partition_rows=25, progress=lambda s, d, t: steps.append(s),
                              report_path=tmp_path / "qa.json")
    assert len(result) == len(single) == 126
    assert len(result.parts) == 2  # two streets, two parts
    assert result.fingerprint == single.fingerprint == read_frame(tmp_path / "dask.parquet"
                                                                  ).fingerprint
    counts = {c.check: c.count for c in result.qa.checks}
    assert counts["duplicate_id"] == 2 and counts["outside_boundaries"] == 1
    assert counts["duplicate_address"] == 2 and counts["duplicate_point"] == 2
    assert counts["community_mismatch"] == 1 and counts["unknown_community"] == 1
    assert json.loads((tmp_path / "qa.json").read_text())["summary"] == single.qa.summary
    assert {"read listing", "assign dwellings", "check, order and write"} <= set(steps)
    assert_same(single, tmp_path / "dask.parquet")
    # each part holds whole streets
    parts = [pd.read_parquet(tmp_path / "dask.parquet" / p) for p in result.parts]
    assert all(p["street"].nunique() == 1 for p in parts)
    # the boundaries sidecar serves maps as for a single file
    assert read_frame(tmp_path / "dask.parquet").boundaries is not None


def test_directory_glob_and_parquet_row_groups(client: Any, inputs: tuple[Path, Path],
                                               tmp_path: Path) -> None:
    b, lst = inputs
    df = pd.read_csv(lst)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(df), 50)):
        df.iloc[start:start + 50].to_csv(parts / f"listing-{i}.csv", index=False)
    single = build_frame(b, lst)
    for source in (parts, str(parts / "listing-*.csv")):
        out = tmp_path / "from-dir.parquet"
        build_frame_dask(b, source, out=out, client=client)
        assert_same(single, out)
    pq_file = tmp_path / "listing.parquet"
    df.to_parquet(pq_file, row_group_size=30)
    single_pq = build_frame(b, df)
    out = tmp_path / "from-parquet.parquet"
    result = build_frame_dask(b, pq_file, out=out, client=client)
    assert result.metadata["listing"]["partitions"] == 5  # row groups
    assert_same(single_pq, out)


def test_cli_dask_build_and_byte_identical_draw(inputs: tuple[Path, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    b, lst = inputs
    (tmp_path / "d.toml").write_text(DESIGN, encoding="utf-8")
    common = ["frame", "build", "--boundaries", str(b), "--dwellings", str(lst)]
    assert main([*common, "--out", str(tmp_path / "single.parquet")]) == 0
    assert main([*common, "--out", str(tmp_path / "dask.parquet"), "--engine", "dask",
                 "--workers", "2", "--memory-limit", "1GiB"]) == 0
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "dask: scheduler tcp://127.0.0.1:" in err and "dashboard http://127.0.0.1:" in err
    assert "126 dwellings" in err and "(1 part;" in err
    assert main(["frame", "summary", "--frame", str(tmp_path / "dask.parquet")]) == 0
    summary = capsys.readouterr().out
    assert main(["frame", "summary", "--frame", str(tmp_path / "single.parquet")]) == 0
    assert capsys.readouterr().out == summary
    for name in ("single", "dask"):
        assert main(["sample", "draw", "--frame", str(tmp_path / f"{name}.parquet"), "--design",
                     str(tmp_path / "d.toml"), "--out", str(tmp_path / f"s-{name}")]) == 0
    for ext in (".csv", ".parquet", ".summary.json", ".summary.txt"):
        assert (tmp_path / f"s-dask{ext}").read_bytes() == \
            (tmp_path / f"s-single{ext}").read_bytes(), ext
    # field maps from the partitioned frame, with the boundaries it was built on
    capsys.readouterr()
    for name in ("single", "dask"):
        assert main(["maps", "--frame", str(tmp_path / f"{name}.parquet"), "--sample",
                     str(tmp_path / "s-dask.csv"), "--out", str(tmp_path / f"{name}.pdf"),
                     "--date", "2026-12-02", "--no-sheets"]) == 0
    assert "no boundary given" not in capsys.readouterr().err
    from pypdf import PdfReader

    pages = [len(PdfReader(tmp_path / f"{n}.pdf").pages) for n in ("single", "dask")]
    assert pages[0] == pages[1] > 0


def test_scheduler_that_does_not_answer(inputs: tuple[Path, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    b, lst = inputs
    code = main(["frame", "build", "--boundaries", str(b), "--dwellings", str(lst), "--out",
                 str(tmp_path / "f.parquet"), "--engine", "dask", "--scheduler",
                 "tcp://127.0.0.1:9"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "Dask scheduler does not answer" in err and "tcp://127.0.0.1:9" in err
    assert "Traceback" not in err and "dask scheduler" in err
    assert not (tmp_path / "f.parquet").exists()


def test_glob_matching_nothing_and_unreadable_partition(
        client: Any, inputs: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    b, lst = inputs
    code = main(["frame", "build", "--boundaries", str(b), "--dwellings",
                 str(tmp_path / "nothing-*.csv"), "--out", str(tmp_path / "f.parquet"),
                 "--engine", "dask"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "matches no file" in err and "nothing-*.csv" in err
    parts = tmp_path / "parts"
    parts.mkdir()
    pd.read_csv(lst).to_parquet(parts / "a.parquet")
    (parts / "b.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(Exception, match="b.parquet"):
        build_frame_dask(b, parts, out=tmp_path / "f.parquet", client=client)
    assert not (tmp_path / "f.parquet").exists()


def _die_once() -> None:
    """On each worker: the next partition assigned kills the worker process."""
    import os

    import fieldsurvey.frame.partitions as parts

    def killer(*args: Any) -> Any:
        os._exit(1)

    parts.assign_part = killer  # type: ignore[assignment]  # a restarted worker has the real one


def test_worker_killed_mid_build(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    import cloudpickle
    import dask

    b, lst = inputs
    single = build_frame(b, lst)
    cloudpickle.register_pickle_by_value(__import__(__name__))
    # a worker dies on its first partition: the nanny restarts it, the task is retried
    with dask_client(workers=2, memory_limit="1GiB") as c:
        c.run(_die_once)
        build_frame_dask(b, lst, out=tmp_path / "retried.parquet", client=c, partition_rows=40)
    assert_same(single, tmp_path / "retried.parquet")
    # no retries allowed: the build stops, names the partition and leaves no frame
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            dask_client(workers=2, memory_limit="1GiB") as c:
        c.run(_die_once)
        with pytest.raises(Exception, match=r"worker died .* listing partition .*listing\.csv"):
            build_frame_dask(b, lst, out=tmp_path / "killed.parquet", client=c)
    assert not (tmp_path / "killed.parquet").exists()
    assert not list(tmp_path.glob(".killed.parquet*"))
