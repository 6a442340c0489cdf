"""Benchmark: field maps + assignment sheets for 100 communities of 1,000 dwellings each.

Target (issue 9): at most 60 s. Run from the repository root:

    .venv/bin/python benchmarks/bench_maps.py [--communities 100] [--dwellings 1000]

Each community is a 600 m square with 50 buildings, 25 main cases and 5 reserve
(2 released), boundaries given; prints the time, pages and PDF size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _reports_data import make  # noqa: E402

from fieldsurvey.reports.maps import draw_field_maps  # noqa: E402

LIMIT_S = 60.0


def main() -> int:
    """Run the benchmark; exit 1 when over the limit."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--communities", type=int, default=100)
    ap.add_argument("--dwellings", type=int, default=1000)
    ap.add_argument("--size", type=float, default=600.0, help="community side in metres")
    args = ap.parse_args()
    t0 = time.perf_counter()
    frame, sample, bnd = make(n_comm=args.communities, per=args.dwellings, size_m=args.size,
                              sample_n=25, reserve=5, released_reserve=2)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "maps.pdf"
        res = draw_field_maps(frame, sample, out, boundaries=bnd, team="bench",
                              date="2026-11-21")
        t2 = time.perf_counter()
        size_mb = out.stat().st_size / 1e6
    kinds = {k: sum(p.kind == k for p in res.pages) for k in ("overview", "detail", "sheet")}
    print(f"data: {t1 - t0:.1f} s; maps: {t2 - t1:.1f} s for {args.communities} communities x "
          f"{args.dwellings} dwellings; {res.page_count} pages {kinds}; {size_mb:.1f} MB; "
          f"font {res.font.family}; limit {LIMIT_S:.0f} s")
    return 0 if t2 - t1 <= LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
