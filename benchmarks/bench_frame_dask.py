"""Benchmark: ``fieldsurvey frame build --engine dask`` against the single-process build.

Times the commands a user runs, from outside (the wait on the whole command: Python's
start, imports, the local cluster's start and close), each in a fresh process, and
prints the median of ``--repeat`` runs, the CPU seconds of the whole process tree (the
command and its worker processes), and the peak memory of the tree (the sum of the
resident memory of the command and its workers, sampled every 0.2 s: an upper bound,
since forked workers share pages with the command).

Data:

* ``--sizes N``: the listing of ``bench_frame.py`` (2,000 community polygons of ~50
  vertices, ``listing_N.csv``), split into ``--split`` CSV files for the Dask run (a
  directory: one partition per file); the single-process build reads the one file;
* ``--synthetic N``: the same kind of listing generated in partitions of ``--part-rows``
  rows as Parquet files (``synthetic_N/listing-00000.parquet`` ...), never held whole
  in memory; ``--draw`` then also times a two-stage ``sample draw`` from the frame.

Usage::

    python benchmarks/bench_frame_dask.py --sizes 1000000 --split 4
    python benchmarks/bench_frame_dask.py --synthetic 10000000 --memory-limit 3GiB --repeat 1
    python benchmarks/bench_frame_dask.py --synthetic 50000000 --memory-limit 5GiB --repeat 1 \\
        --draw
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_frame import DATA, EXTENT, ensure_data  # noqa: E402

DESIGN = """\
seed = 20261202
[stage1]
method = "pps_systematic"
size = "households"
n = 100
[stage2]
method = "systematic"
eligible = "status == 'occupied'"
m = 20
reserve = 5
"""


def split_listing(n: int, parts: int) -> Path:
    """The listing of ``n`` dwellings as ``parts`` CSV files (made once)."""
    import pyarrow.csv as pacsv

    folder = DATA / f"listing_{n}_parts{parts}"
    if folder.is_dir() and len(list(folder.glob("*.csv"))) == parts:
        return folder
    folder.mkdir(exist_ok=True)
    table = pacsv.read_csv(DATA / f"listing_{n}.csv")
    step = -(-table.num_rows // parts)
    for i in range(parts):
        pacsv.write_csv(table.slice(i * step, step), folder / f"listing-{i:03d}.csv")
    return folder


def synthetic_listing(n: int, part_rows: int) -> Path:
    """``n`` dwellings in Parquet partitions of ``part_rows`` (made once, a part at a time).

    Each part is ``bench_frame.make_listing``'s kind of listing (40 dwellings a building
    point, English columns) with its own seed and dwelling ids that go on across parts.
    """
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    folder = DATA / f"synthetic_{n}"
    parts = -(-n // part_rows)
    if folder.is_dir() and len(list(folder.glob("*.parquet"))) == parts:
        return folder
    folder.mkdir(exist_ok=True)
    b = gpd.read_file(DATA / "boundaries_2000.geojson")
    tree = shapely.STRtree(b.geometry.values)
    ids = b["community_id"].to_numpy()
    x0, y0, x1, y1 = EXTENT
    t = time.perf_counter()
    for i in range(parts):
        rows = min(part_rows, n - i * part_rows)
        rng = np.random.default_rng([7, i])
        per = 40
        nb = rows // per + 1
        bx, by = rng.uniform(x0, x1, nb), rng.uniform(y0, y1, nb)
        ip, ib = tree.query(shapely.points(bx, by), predicate="within")
        comm = np.full(nb, "", dtype=object)
        comm[ip] = ids[ib]
        bi = np.repeat(np.arange(nb), per)[:rows]
        k = np.tile(np.arange(per), nb)[:rows]
        unit, floor, pos = k // 20 + 1, (k % 20) // 2 + 1, k % 2 + 1
        door = floor * 100 + pos
        status = rng.choice(np.array(["occupied", "vacant", "non_residential"]), rows,
                            p=[0.86, 0.12, 0.02])
        gb = bi + i * (part_rows // per + 1)  # building numbers go on across parts
        building = (gb % 97 + 1).astype(str)
        compound = np.char.add("小区", (gb // 97).astype(str))
        address = np.char.add(np.char.add(np.char.add(compound, building), "号楼"),
                              door.astype(str))
        first = i * part_rows
        table = pa.table({
            "dwelling_id": pa.array(np.char.add("D", np.arange(first, first + rows).astype(str))),
            "community_id": pa.array(comm[bi].astype(str)),
            "compound": pa.array(compound), "building": pa.array(building),
            "unit": pa.array(unit.astype(str)), "floor": pa.array(floor.astype(str)),
            "door": pa.array(door.astype(str)), "address": pa.array(address),
            "lon": np.round(bx[bi], 7), "lat": np.round(by[bi], 7),
            "status": pa.array(status), "households": np.ones(rows, dtype=np.int64),
        })
        tmp = folder / f".listing-{i:05d}.parquet"
        pq.write_table(table, tmp)
        tmp.replace(folder / f"listing-{i:05d}.parquet")
    print(f"generated {n:,} dwellings in {parts} parts in {time.perf_counter() - t:.0f} s",
          flush=True)
    return folder


class TreeMemory:
    """Peak summed resident memory of a process and its descendants (sampled)."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        import psutil

        while not self.done.is_set():
            total = 0
            try:
                for p in [self.proc, *self.proc.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self.done.wait(0.2)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak / 2**30


def timed(cmd: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds of the tree and its peak memory for one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100"})
    mem = TreeMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - t
    peak = mem.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_gib": peak}


def median_runs(cmd: list[str], repeat: int) -> dict[str, float]:
    runs = [timed(cmd) for _ in range(repeat)]
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {
        "peak_gib": max(r["peak_gib"] for r in runs)}


def show(n: int, what: str, r: dict[str, float]) -> None:
    print(f"{n:>11,} {what:<14} wall {r['wall']:7.1f} s  cpu {r['cpu']:7.1f} s "
          f"({r['cpu'] / n * 1e6:5.2f} s per million)  peak {r['peak_gib']:.2f} GiB "
          f"[load {open('/proc/loadavg').read().split()[0]}]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[])
    ap.add_argument("--synthetic", type=int, nargs="*", default=[])
    ap.add_argument("--split", type=int, default=4, help="listing files for the dask run")
    ap.add_argument("--part-rows", type=int, default=250_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="3GiB")
    ap.add_argument("--only", choices=("single", "dask"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--draw", action="store_true", help="also time a two-stage sample draw")
    args = ap.parse_args()
    if not args.sizes and not args.synthetic:
        args.sizes = [1_000_000]
    ensure_data(args.sizes)
    bpath = DATA / "boundaries_2000.geojson"
    exe = [sys.executable, "-m", "fieldsurvey"]
    dask = ["--engine", "dask", "--workers", str(args.workers), "--memory-limit",
            args.memory_limit]
    design = DATA / "bench_design.toml"
    design.write_text(DESIGN, encoding="utf-8")
    jobs = [(n, DATA / f"listing_{n}.csv", split_listing(n, args.split) if args.split > 1
             else DATA / f"listing_{n}.csv") for n in args.sizes]
    jobs += [(n, None, synthetic_listing(n, args.part_rows)) for n in args.synthetic]
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"{args.workers} workers of {args.memory_limit}", flush=True)
    for n, whole, parts in jobs:
        got = {}
        if whole is not None and args.only != "dask":
            got["single"] = r = median_runs([*exe, "frame", "build", "--boundaries", str(bpath),
                                             "--dwellings", str(whole), "--out",
                                             str(DATA / f"frame_{n}.parquet")], args.repeat)
            show(n, "single", r)
        frame = DATA / f"frame_{n}_dask.parquet"
        if args.only != "single":
            got["dask"] = r = median_runs([*exe, "frame", "build", "--boundaries", str(bpath),
                                           "--dwellings", str(parts), "--out", str(frame),
                                           "--report", str(DATA / f"qa_{n}_dask.json"), *dask],
                                          args.repeat)
            show(n, "dask", r)
        if len(got) == 2:
            print(f"{n:>11,} dask / single: wall {got['dask']['wall'] / got['single']['wall']:.2f}x"
                  f", cpu {got['dask']['cpu'] / got['single']['cpu']:.2f}x (medians of "
                  f"{args.repeat})", flush=True)
        if args.draw and args.only != "single":
            r = median_runs([*exe, "sample", "draw", "--frame", str(frame), "--design",
                             str(design), "--out", str(DATA / f"sample_{n}")], args.repeat)
            show(n, "two-stage draw", r)


if __name__ == "__main__":
    main()
