"""Benchmark of sample selection (issue 3).

Targets: a two-stage draw from a 1,000,000-dwelling frame with 2,000 communities in at
most 2 s; a stage-1 draw from 2,000 communities in at most 20 ms.

Run:  .venv/bin/python benchmarks/bench_select.py [--dwellings 1000000] [--communities 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from fieldsurvey.sampling.design import load_design
from fieldsurvey.sampling.stages import draw_sample

TYPES = ("示范类", "创优类", "强基类")


def make_frame(n_dwell: int, n_comm: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic communities table and dwelling frame of the sizes asked."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0, 0.6, n_comm)
    sizes = np.maximum(1, np.round(weights / weights.sum() * n_dwell)).astype(np.int64)
    sizes[-1] += n_dwell - sizes.sum()
    ids = np.array([f"C{i:05d}" for i in range(n_comm)], dtype=object)
    comm = pd.DataFrame({
        "community_id": ids,
        "type": rng.choice(TYPES, n_comm),
        "street": [f"街道{i % 6}" for i in range(n_comm)],
        "households": sizes,
        "name": [f"社区{i}" for i in range(n_comm)],
    })
    cidx = np.repeat(np.arange(n_comm), sizes)
    order = np.arange(n_dwell) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    frame = pd.DataFrame({
        "dwelling_id": pd.array(np.char.add(np.char.add(ids[cidx].astype(str), "-"),
                                            order.astype(str)), dtype="str"),
        "community_id": pd.array(ids[cidx].astype(str), dtype="str"),
        "status": pd.array(np.where(rng.random(n_dwell) < 0.1, "vacant", "occupied"),
                           dtype="str"),
        "order": order,
        "building": order // 24 + 1,
        "unit": order % 24 // 12 + 1,
        "floor": order % 12 // 2 + 1,
        "door": order % 2 + 1,
        "lon": 116.0 + rng.random(n_dwell) * 0.1,
        "lat": 39.0 + rng.random(n_dwell) * 0.1,
    })
    frame["address"] = frame["dwelling_id"]
    for col in ("type", "street", "households", "name"):
        frame[col] = comm[col].to_numpy()[cidx]
    return comm, frame


DESIGN = {
    "seed": 20261121,
    "stratify": {"by": "type"},
    "stage1": {"method": "pps_systematic", "size": "households", "n": 100,
               "sort": ["street", "community_id"]},
    "stage2": {"method": "systematic", "eligible": "status == 'occupied'", "m": 25,
               "reserve": 10, "segment_size": 400},
}


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU seconds of each call (CPU time is steadier on a busy box)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dwellings", type=int, default=1_000_000)
    parser.add_argument("--communities", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    comm, frame = make_frame(args.dwellings, args.communities)
    two = load_design(DESIGN)
    one = load_design({k: v for k, v in DESIGN.items() if k != "stage2"})
    draw_sample(comm, one)  # warm up imports
    t1, c1 = timed(lambda: draw_sample(comm, one), args.repeat * 4)
    t2, c2 = timed(lambda: draw_sample(frame, two), args.repeat)
    s = draw_sample(frame, two)
    print(f"frame: {len(frame):,} dwellings in {len(comm):,} communities")
    print(f"stage-1 draw of {one.stage1.n} from {len(comm):,} communities: wall median "
          f"{statistics.median(t1) * 1e3:.1f} ms, best {min(t1) * 1e3:.1f} ms; CPU median "
          f"{statistics.median(c1) * 1e3:.1f} ms (target <= 20 ms)")
    print(f"two-stage draw ({s['community_id'].nunique()} communities, {len(s):,} dwellings "
          f"incl. reserve): wall median {statistics.median(t2):.3f} s, best {min(t2):.3f} s; "
          f"CPU median {statistics.median(c2):.3f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
