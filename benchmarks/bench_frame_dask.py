"""Benchmark: the frame build with ``--engine dask`` against the single-process build.

Uses the data of ``bench_frame.py`` (2,000 community polygons of ~50 vertices and a
listing of N dwellings, generated once under ``benchmarks/_data``), and times, each in
a fresh process:

* ``single``: ``fieldsurvey.frame.build_frame(boundaries, listing.csv, out=...)``;
* ``dask``: ``fieldsurvey.frame.distributed.build_frame_dask`` on a ``LocalCluster`` of
  ``--workers`` processes (one thread each) with ``--memory-limit`` per worker, reading
  the same listing split into ``--split`` CSV files (a directory: one partition per file;
  ``--split 1`` reads the one file whole and splits it into partitions of 250,000 rows).
  The cluster's start (1-3 s) is included.

Wall seconds, CPU seconds (this process plus its finished children, i.e. the workers)
and the peak resident memory (this process; the largest worker) are printed.

Usage::

    python benchmarks/bench_frame_dask.py --sizes 1000000 --split 4
    python benchmarks/bench_frame_dask.py --sizes 10000000 --split 20 --memory-limit 3GiB \\
        --only dask
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_frame import DATA, ensure_data  # noqa: E402


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


def child(kind: str, n: int, split: int, workers: int, memory_limit: str) -> dict[str, float]:
    from fieldsurvey.frame.build import build_frame
    from fieldsurvey.frame.distributed import build_frame_dask

    bpath = DATA / "boundaries_2000.geojson"
    cpu0 = time.process_time()
    t = time.perf_counter()
    if kind == "single":
        res = build_frame(bpath, DATA / f"listing_{n}.csv", out=DATA / f"frame_{n}.parquet")
        rows = len(res)
    else:
        source = DATA / f"listing_{n}.csv" if split == 1 else DATA / f"listing_{n}_parts{split}"
        dres = build_frame_dask(bpath, source, out=DATA / f"frame_{n}_dask.parquet",
                                workers=workers, memory_limit=memory_limit)
        rows = len(dres)
    wall = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0 + kids.ru_utime + kids.ru_stime
    return {"wall": wall, "cpu": cpu, "peak_gib": own.ru_maxrss / 2**20,
            "worker_peak_gib": kids.ru_maxrss / 2**20, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--split", type=int, default=4, help="listing files for the dask run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="3GiB")
    ap.add_argument("--only", choices=("single", "dask"))
    ap.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.split, args.workers,
                               args.memory_limit)))
        return
    ensure_data(args.sizes)
    for n in args.sizes:
        if args.split > 1:
            split_listing(n, args.split)
        got: dict[str, dict[str, float]] = {}
        for kind in ("single", "dask"):
            if args.only and kind != args.only:
                continue
            proc = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(n), "--split", str(args.split),
                 "--workers", str(args.workers), "--memory-limit", args.memory_limit],
                capture_output=True, text=True, check=True)
            got[kind] = r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{n:>11,} {kind:<7} wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  "
                  f"({r['cpu'] / n * 1e6:.1f} s per million)  peak {r['peak_gib']:.2f} GiB "
                  f"(largest worker {r['worker_peak_gib']:.2f} GiB)", flush=True)
        if len(got) == 2:
            print(f"{n:>11,} dask / single: wall {got['dask']['wall'] / got['single']['wall']:.2f}x"
                  f", cpu {got['dask']['cpu'] / got['single']['cpu']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
