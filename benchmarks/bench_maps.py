"""Benchmark: field maps + sheets (100 communities x 1,000 dwellings) and the report.

Targets (issue 9): maps at most 60 s, the analysis report at most 10 s. Run from the
repository root:

    .venv/bin/python benchmarks/bench_maps.py [--communities 100] [--dwellings 1000]
        [--size 600] [--report-cases 2000] [--skip-maps] [--skip-report]

Maps: each community is a square of --size metres with 50 buildings, 25 main cases and
5 reserve (2 released), boundaries given (--size 1500 adds 4 detail maps each).
Report: a store of --report-cases cases in 40 communities (about 65% interviewed, the
example questionnaire's satisfaction, participation and needs items), its weights.
Prints times, pages and sizes; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _reports_data import make, make_store  # noqa: E402

from fieldsurvey.reports.analysis import write_report  # noqa: E402
from fieldsurvey.reports.maps import draw_field_maps  # noqa: E402

LIMIT_S = 60.0
REPORT_LIMIT_S = 10.0


def bench_report(cases: int) -> bool:
    """Time write_report on a synthetic store; True when within the limit."""
    with tempfile.TemporaryDirectory() as tmp:
        db, wpath = Path(tmp) / "central.sqlite", Path(tmp) / "weights.csv"
        t0 = time.perf_counter()
        _, weights = make_store(db, n_comm=40, per=max(1, cases // 40))
        weights.to_csv(wpath, index=False)
        t1, c1 = time.perf_counter(), time.process_time()
        res = write_report(db, wpath, Path(tmp) / "report.pdf", date="2026-11-21")
        t2, c2 = time.perf_counter(), time.process_time()
    print(f"report: store {t1 - t0:.1f} s; report {t2 - t1:.1f} s (CPU {c2 - c1:.1f} s) for "
          f"{res.cases} cases, "
          f"{res.respondents} respondents; {res.pages} pages, {res.figures} figures, "
          f"{res.tables} tables; limit {REPORT_LIMIT_S:.0f} s")
    return t2 - t1 <= REPORT_LIMIT_S


def main() -> int:
    """Run the benchmark; exit 1 when over the limit."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--communities", type=int, default=100)
    ap.add_argument("--dwellings", type=int, default=1000)
    ap.add_argument("--size", type=float, default=600.0, help="community side in metres")
    ap.add_argument("--report-cases", type=int, default=2000)
    ap.add_argument("--skip-maps", action="store_true")
    ap.add_argument("--skip-report", action="store_true")
    args = ap.parse_args()
    ok = True
    if not args.skip_report:
        ok = bench_report(args.report_cases)
    if args.skip_maps:
        return 0 if ok else 1
    t0 = time.perf_counter()
    frame, sample, bnd = make(n_comm=args.communities, per=args.dwellings, size_m=args.size,
                              sample_n=25, reserve=5, released_reserve=2)
    t1, c1 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "maps.pdf"
        res = draw_field_maps(frame, sample, out, boundaries=bnd, team="bench",
                              date="2026-11-21")
        t2, c2 = time.perf_counter(), time.process_time()
        size_mb = out.stat().st_size / 1e6
    kinds = {k: sum(p.kind == k for p in res.pages) for k in ("overview", "detail", "sheet")}
    print(f"data: {t1 - t0:.1f} s; maps: {t2 - t1:.1f} s (CPU {c2 - c1:.1f} s) for "
          f"{args.communities} communities x "
          f"{args.dwellings} dwellings; {res.page_count} pages {kinds}; {size_mb:.1f} MB; "
          f"font {res.font.family}; limit {LIMIT_S:.0f} s")
    return 0 if ok and t2 - t1 <= LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
