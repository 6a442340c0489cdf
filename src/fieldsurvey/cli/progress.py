"""``fieldsurvey progress``: issued, attempted, completed ... and the response rate.

Example::

    fieldsurvey progress --db central.sqlite --by community
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``progress`` verb."""
    p = subparsers.add_parser(
        "progress", help="fieldwork progress per community and interviewer",
        description="Count issued, attempted, completed, refused, non-contact and ineligible "
                    "cases per community and interviewer, with the current response rate "
                    "(AAPOR RR1, open cases counted as unknown eligibility).")
    p.add_argument("--db", required=True, help="store (device or central)")
    p.add_argument("--by", choices=("community", "interviewer", "both"), default="both")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--wide", action="store_true",
                   help="every column at full width, community names with their ids "
                        "(default: fit 80 columns)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the progress table."""
    from fieldsurvey.store.fieldwork_status import progress_table

    t = progress_table(args.db, by=args.by)
    if args.format == "csv":
        t.to_csv(sys.stdout, index=False)
        return 0
    if args.format == "json":
        sys.stdout.write(t.to_json(orient="records", force_ascii=False, indent=2) + "\n")
        return 0
    from fieldsurvey.cli._tables import LEGEND, names_of, progress_lines, wrap
    from fieldsurvey.store import FieldStore

    with FieldStore.open(args.db, readonly=True) as st:
        names = names_of(st.assignments())
    lines = ["fieldwork progress", *progress_lines(t, names, wide=args.wide), "",
             *wrap(LEGEND)]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
