"""Benchmark: frame build with self-check vs a bare geopandas.sjoin.

Generates (once, under benchmarks/_data, gitignored) 2,000 community polygons of about
50 vertices (a Voronoi tessellation, edges densified) and listings of 1,000,000 and
4,000,000 dwellings (English columns of DESIGN.md, ~40 dwellings per building point),
then times, each in a fresh subprocess so peak memory is its own:

* ``sjoin``: geopandas.read_file(boundaries) + pandas.read_csv(listing, engine="pyarrow")
  + points_from_xy + to_crs (the UTM zone, as the frame's x/y) + geopandas.sjoin (the
  faster of predicate "within" / "intersects") + to_parquet (GeoParquet), the bare
  equivalent of a frame build (issue 15: the build must stay within 1.3x of it);
* ``build``: fieldsurvey.build_frame(boundaries, listing, out=frame.parquet,
  report_path=qa.json), i.e. read, assign, self-check, order, write GeoParquet.

Usage::

    .venv/bin/python benchmarks/bench_frame.py            # 1M and 4M
    .venv/bin/python benchmarks/bench_frame.py --sizes 1000000 --repeat 1

Each figure is the best of ``--repeat`` runs (default 3); wall and CPU seconds are both
printed because the machine is shared and wall time swings with other people's work.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "_data"
N_POLYGONS = 2000
EXTENT = (116.0, 39.7, 116.6, 40.1)  # lon/lat box near Beijing


def make_boundaries(path: Path, seed: int = 1) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = EXTENT
    seeds = shapely.multipoints(np.c_[rng.uniform(x0, x1, N_POLYGONS), rng.uniform(y0, y1, N_POLYGONS)])
    box = shapely.box(*EXTENT)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    cells = shapely.intersection(cells, box)
    seg = np.sqrt(shapely.area(cells)) * 4 / 50  # ~50 vertices per polygon
    cells = np.array([shapely.segmentize(c, s) for c, s in zip(cells, seg, strict=True)], dtype=object)
    gdf = gpd.GeoDataFrame({
        "community_id": [f"C{i:05d}" for i in range(len(cells))],
        "name": [f"社区{i}" for i in range(len(cells))],
        "street": [f"街道{i // 40}" for i in range(len(cells))],
        "type": rng.choice(["示范类", "创优类", "强基类"], len(cells)),
        "households": rng.integers(300, 900, len(cells)),
    }, geometry=cells, crs="EPSG:4326")
    gdf.to_file(path, driver="GeoJSON")


def make_listing(path: Path, boundaries: Path, n: int, seed: int = 2) -> None:
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import shapely

    rng = np.random.default_rng(seed)
    b = gpd.read_file(boundaries)
    per = 40
    nb = n // per + 1
    x0, y0, x1, y1 = EXTENT
    bx, by = rng.uniform(x0, x1, nb), rng.uniform(y0, y1, nb)
    tree = shapely.STRtree(b.geometry.values)
    ip, ib = tree.query(shapely.points(bx, by), predicate="within")
    comm = np.full(nb, "", dtype=object)
    comm[ip] = b["community_id"].to_numpy()[ib]
    bi = np.repeat(np.arange(nb), per)[:n]
    k = np.tile(np.arange(per), nb)[:n]
    unit, floor, pos = k // 20 + 1, (k % 20) // 2 + 1, k % 2 + 1
    door = floor * 100 + pos
    status = rng.choice(np.array(["occupied", "vacant", "non_residential"]), n, p=[0.86, 0.12, 0.02])
    building = (bi % 97 + 1).astype(str)
    compound = np.char.add("小区", (bi // 97).astype(str))
    address = np.char.add(np.char.add(np.char.add(compound, building), "号楼"), door.astype(str))
    table = pa.table({
        "dwelling_id": pa.array(np.char.add("D", np.arange(n).astype(str))),
        "community_id": pa.array(comm[bi].astype(str)),
        "compound": pa.array(compound), "building": pa.array(building),
        "unit": pa.array(unit.astype(str)), "floor": pa.array(floor.astype(str)),
        "door": pa.array(door.astype(str)), "address": pa.array(address),
        "lon": np.round(bx[bi], 7), "lat": np.round(by[bi], 7),
        "status": pa.array(status), "households": np.ones(n, dtype=np.int64),
    })
    pacsv.write_csv(table, path)


def ensure_data(sizes: list[int]) -> dict[int, Path]:
    DATA.mkdir(exist_ok=True)
    bpath = DATA / "boundaries_2000.geojson"
    if not bpath.exists():
        t = time.perf_counter()
        make_boundaries(bpath)
        print(f"generated {bpath.name} in {time.perf_counter() - t:.1f} s", flush=True)
    out = {}
    for n in sizes:
        lpath = DATA / f"listing_{n}.csv"
        if not lpath.exists():
            t = time.perf_counter()
            make_listing(lpath, bpath, n)
            print(f"generated {lpath.name} in {time.perf_counter() - t:.1f} s", flush=True)
        out[n] = lpath
    return out


def run_child(kind: str, n: int) -> dict[str, float]:
    """Time one job in this (fresh) process and return wall seconds and peak RSS."""
    bpath = DATA / "boundaries_2000.geojson"
    lpath = DATA / f"listing_{n}.csv"
    import geopandas as gpd
    import pandas as pd

    from fieldsurvey.frame.build import build_frame  # imports are not part of either timing

    cpu0 = time.process_time()
    if kind.startswith("sjoin"):
        predicate = kind.split(":")[1]
        t = time.perf_counter()
        b = gpd.read_file(bpath)
        df = pd.read_csv(lpath, engine="pyarrow")
        pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
        utm = pts.estimate_utm_crs()
        b = b.to_crs(utm)
        pts = pts.to_crs(utm)
        joined = gpd.sjoin(pts, b, predicate=predicate, how="left")
        joined.to_parquet(DATA / f"sjoin_{n}.parquet")
        wall = time.perf_counter() - t
        rows = len(joined)
    else:
        out = DATA / f"frame_{n}.parquet"
        cpu0 = time.process_time()
        t = time.perf_counter()
        res = build_frame(bpath, lpath, out=out, report_path=DATA / f"qa_{n}.json")
        wall = time.perf_counter() - t
        rows = len(res.frame)
    return {"wall": wall, "cpu": cpu_end(cpu0), "peak_gib": peak_gib(), "rows": rows}


def peak_gib() -> float:
    """Peak resident memory of this process in GiB.

    VmHWM from /proc (reset by exec); ru_maxrss would include the parent's peak, which
    Linux copies into a forked child.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def cpu_end(cpu0: float) -> float:
    """CPU seconds (user + system, all threads) since ``cpu0``: less sensitive to a busy machine."""
    return time.process_time() - cpu0


def measure(kind: str, n: int, repeat: int) -> dict[str, float]:
    """Best of ``repeat`` fresh-process runs (the machine is shared: the minimum is the
    least disturbed run); peak memory is the largest seen."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--child", kind, str(n)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"wall": min(r["wall"] for r in runs), "cpu": min(r["cpu"] for r in runs),
            "peak_gib": max(r["peak_gib"] for r in runs), "rows": runs[0]["rows"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 4_000_000])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child[0], int(args.child[1]))))
        return
    paths = ensure_data(args.sizes)
    builds: dict[int, float] = {}
    cpus: dict[int, float] = {}
    for n in paths:
        within = measure("sjoin:within", n, args.repeat)
        inter = measure("sjoin:intersects", n, args.repeat)
        base = min(within["wall"], inter["wall"])
        build = measure("build", n, args.repeat)
        builds[n] = build["wall"]
        cpus[n] = build["cpu"]
        base_cpu = min(within["cpu"], inter["cpu"])
        print(f"n={n:,}: sjoin within {within['wall']:.2f} s (cpu {within['cpu']:.2f} s), "
              f"intersects {inter['wall']:.2f} s (cpu {inter['cpu']:.2f} s), "
              f"peak {max(within['peak_gib'], inter['peak_gib']):.2f} GiB")
        print(f"n={n:,}: build_frame with self-check {build['wall']:.2f} s (cpu {build['cpu']:.2f} s), "
              f"peak {build['peak_gib']:.2f} GiB, {build['rows']:,} rows")
        print(f"n={n:,}: ratio build / fastest sjoin = {build['wall'] / base:.2f} wall, "
              f"{build['cpu'] / base_cpu:.2f} cpu")
    if 1_000_000 in builds and 4_000_000 in builds:
        print(f"4M / 1M build time = {builds[4_000_000] / builds[1_000_000]:.2f} wall, "
              f"{cpus[4_000_000] / cpus[1_000_000]:.2f} cpu")


if __name__ == "__main__":
    main()
