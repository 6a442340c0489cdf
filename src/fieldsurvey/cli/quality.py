"""``fieldsurvey quality``: quality flags from the event log, per interview and interviewer.

Example::

    fieldsurvey quality --db central.sqlite --out quality.csv
    fieldsurvey quality --db central.sqlite --out quality.json
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``quality`` verb."""
    p = subparsers.add_parser(
        "quality", help="quality flags from the paradata (speeding, straight-lining ...)",
        description="Compute the supervisor's quality checks from a store's event log: "
                    "interview duration and seconds per question (speeding below "
                    "--speeding seconds), straight-lining in each grid, the share of "
                    "不知道/拒绝回答, interviews started outside working hours, the GPS "
                    "distance to the sampled dwelling, and per interviewer against the "
                    "team: outcome mix and completes per day. Writes one row per interview "
                    "(CSV) or everything (JSON) and prints the flags.")
    p.add_argument("--db", required=True, type=Path, help="store (central or device)")
    p.add_argument("--out", type=Path,
                   help="output file: .csv (one row per interview with its flags) or .json "
                        "(interviews, interviewers, flags, thresholds)")
    p.add_argument("--format", choices=("csv", "json"),
                   help="output format (default: by the --out suffix)")
    p.add_argument("--speeding", type=float, default=3.0, metavar="SECONDS",
                   help="flag interviews with fewer seconds per question (default 3)")
    p.add_argument("--hours", default="8-21", metavar="FROM-TO",
                   help="working hours; interviews started outside are flagged (default 8-21)")
    p.set_defaults(func=run)


def _hours(text: str) -> tuple[int, int]:
    from fieldsurvey.io.errors import InputError

    try:
        lo, hi = (int(x) for x in text.split("-"))
    except ValueError:
        lo = hi = -1
    if not 0 <= lo < hi <= 24:
        raise InputError("working hours are two whole hours FROM-TO", field="--hours",
                         expected="e.g. 8-21 (from 08:00 to 21:00)", got=repr(text))
    return lo, hi


def run(args: argparse.Namespace) -> int:
    """Compute the flags, write the output and print the flagged interviewers."""
    import json

    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.atomic import atomic_path
    from fieldsurvey.io.errors import InputError, StoreError
    from fieldsurvey.store.quality import QualityThresholds, quality_report

    if not args.db.exists():
        raise StoreError("the store does not exist", file=str(args.db),
                         hint="Give the central store made by `fieldsurvey merge` "
                              "(or a device store)")
    if args.speeding <= 0:
        raise InputError("the speeding threshold must be positive", field="--speeding",
                         got=str(args.speeding))
    lo, hi = _hours(args.hours)
    th = QualityThresholds(speeding_seconds=args.speeding, work_start_hour=lo,
                           work_end_hour=hi)
    report = quality_report(args.db, th)
    if args.out is not None:
        fmt = args.format or ("json" if args.out.suffix.lower() == ".json" else "csv")
        with atomic_path(args.out) as tmp:
            if fmt == "json":
                Path(tmp).write_text(json.dumps(report.to_json(), ensure_ascii=False,
                                                indent=1, default=str) + "\n",
                                     encoding="utf-8")
            else:
                report.interviews.to_csv(tmp, index=False, encoding="utf-8")
        out_console.print(f"wrote {args.out}")
    flags = report.flags
    n_itv = len(report.interviews)
    who = flags[flags["level"] == "interviewer"]
    out_console.print(
        f"{n_itv} interview(s); {int((flags['level'] == 'interview').sum())} interview flag(s) "
        f"(speeding < {th.speeding_seconds:g} s per question, straight-lining, special "
        f"answers > {th.special_share:.0%}, outside {lo}-{hi}h, GPS > "
        f"{th.gps_distance_m:g} m); {len(who)} interviewer flag(s):", markup=False)
    for r in who.itertuples(index=False):
        out_console.print(f"  {r.interviewer}: {r.flag} — {r.message}", markup=False)
    return 0
