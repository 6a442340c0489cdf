"""``sample draw`` from a partitioned frame reads only the rows the draw needs.

Twelve communities on three streets, built by both engines (a 2-worker
``LocalCluster`` on 127.0.0.1); every draw from the partitioned frame must be byte for
byte the draw from the single-process frame, one-shot and in two phases, and stage 2
must read the selected communities' rows only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

pytest.importorskip("distributed")

import fieldsurvey.frame.partitions as partitions  # noqa: E402
from fieldsurvey.cli.main import main  # noqa: E402
from fieldsurvey.frame import build_frame  # noqa: E402
from fieldsurvey.frame.distributed import build_frame_dask, dask_client  # noqa: E402

ONE_SHOT = """\
seed = 11
[stratify]
by = "street"
[stage1]
method = "pps_systematic"
size = "households"
n = 3
allocation = "proportional"
minimum = 1
sort = ["type", "community_id"]
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 6
reserve = 3
segment_size = 12
[respondent]
method = "kish"
"""

def grid() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """3 x 4 communities of 0.01 degrees (streets by row) and 20-90 dwellings in each."""
    rng = np.random.default_rng(3)
    cells, rows = [], []
    for c in range(12):
        i, j = c % 4, c // 4
        x0, y0 = 116.4 + 0.01 * i, 39.9 + 0.01 * j
        cells.append(shapely.box(x0, y0, x0 + 0.01, y0 + 0.01))
        for d in range(int(rng.integers(20, 90))):
            rows.append({"dwelling_id": f"K{c:02d}-{d:03d}", "community_id": f"K{c:02d}",
                         "building": str(d // 10), "unit": "1", "floor": str(d % 10),
                         "door": f"{d % 10}01", "address": f"K{c:02d} 路{d}号",
                         "lon": round(x0 + 0.001 + 0.008 * rng.random(), 7),
                         "lat": round(y0 + 0.001 + 0.008 * rng.random(), 7),
                         "status": "vacant" if rng.random() < 0.15 else "occupied",
                         "households": 1, "zone": f"Z{c % 2}"})
    b = gpd.GeoDataFrame({"community_id": [f"K{c:02d}" for c in range(12)],
                          "name": [f"社区{c}" for c in range(12)],
                          "street": [f"街道{c // 4}" for c in range(12)],
                          "type": [("甲", "乙", "丙")[c % 3] for c in range(12)],
                          "households": [int(v) for v in rng.integers(30, 120, 12)]},
                         geometry=cells, crs="EPSG:4326")
    listing = pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)
    return b, listing


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    root = tmp_path_factory.mktemp("draw")
    b, listing = grid()
    bpath = root / "b.geojson"
    b.to_file(bpath, driver="GeoJSON")
    lst = root / "listing.csv"
    listing.to_csv(lst, index=False)
    build_frame(bpath, lst, out=root / "single.parquet")
    with dask_client(workers=2, memory_limit="1GiB") as client:
        built = build_frame_dask(bpath, lst, out=root / "dask.parquet", client=client,
                                 partition_rows=200)
    assert len(built.parts) == 3  # one part a street
    yield bpath, root / "single.parquet", root / "dask.parquet"


def draw(tmp: Path, frame: Path, design: str, name: str, *extra: str) -> dict[str, bytes]:
    (tmp / "d.toml").write_text(design, encoding="utf-8")
    assert main(["sample", "draw", "--frame", str(frame), "--design", str(tmp / "d.toml"),
                 "--out", str(tmp / name), *extra]) == 0
    return {ext: (tmp / f"{name}{ext}").read_bytes()
            for ext in (".csv", ".parquet", ".summary.json", ".summary.txt")}


def test_one_shot_draw_is_byte_identical(frames: tuple[Path, Path, Path], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _, single, dask = frames
    design = ONE_SHOT
    want = draw(tmp_path, single, design, "single")
    read: list[int] = []
    real = partitions.read_parts

    def spy(root: Path, parts: list[str], columns: Any = None, only: Any = None) -> Any:
        table = real(root, parts, columns, only)
        if columns is None:  # the whole rows: only those of the drawn communities
            read.append(table.num_rows)
        return table

    monkeypatch.setattr(partitions, "read_parts", spy)
    got = draw(tmp_path, dask, design, "dask")
    for ext in want:
        assert got[ext] == want[ext], ext
    total = len(pd.read_parquet(single, columns=["source_row"]))
    sample = pd.read_csv(tmp_path / "dask.csv", dtype=str)
    assert read and read[0] < total  # not the whole frame
    drawn = sample["community_id"].nunique()
    assert drawn >= 3


def test_stage1_on_a_listing_column(frames: tuple[Path, Path, Path], tmp_path: Path) -> None:
    # a listing column (constant within each community) read from every part
    _, single, dask = frames
    design = ONE_SHOT.replace('by = "street"', 'by = "zone"')
    want = draw(tmp_path, single, design, "single")
    got = draw(tmp_path, dask, design, "dask")
    for ext in want:
        assert got[ext] == want[ext], ext


def test_two_phase_draw_is_byte_identical(frames: tuple[Path, Path, Path],
                                          tmp_path: Path) -> None:
    bpath, single, dask = frames
    (tmp_path / "d.toml").write_text(ONE_SHOT, encoding="utf-8")
    assert main(["sample", "draw", "--stage", "1", "--communities", str(bpath), "--design",
                 str(tmp_path / "d.toml"), "--out", str(tmp_path / "s1")]) == 0
    stage2 = ["--stage", "2", "--selected", str(tmp_path / "s1.csv")]
    want = draw(tmp_path, single, ONE_SHOT, "single", *stage2)
    got = draw(tmp_path, dask, ONE_SHOT, "dask", *stage2)
    for ext in want:
        assert got[ext] == want[ext], ext
    # the one-shot draw with the communities table for stage 1 agrees as well
    one = ["--communities", str(bpath)]
    assert draw(tmp_path, dask, ONE_SHOT, "dask1", *one)[".csv"] == \
        draw(tmp_path, single, ONE_SHOT, "single1", *one)[".csv"]


def test_attribute_varying_within_a_community_is_refused(
        frames: tuple[Path, Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, _, dask = frames
    design = ONE_SHOT.replace('sort = ["type", "community_id"]', 'sort = ["building"]')
    (tmp_path / "d.toml").write_text(design, encoding="utf-8")
    code = main(["sample", "draw", "--frame", str(dask), "--design", str(tmp_path / "d.toml"),
                 "--out", str(tmp_path / "s")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "varies within community" in err and "building" in err
