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
    p.set_defaults(func=run)


_SHORT = {"issued": "issued", "attempted": "tried", "completed": "done", "partial": "part",
          "refused": "refused", "non_contact": "no contact", "other": "other",
          "unknown": "unknown", "ineligible": "not elig.", "not_attempted": "open",
          "response_rate": "RR"}


def run(args: argparse.Namespace) -> int:
    """Print the progress table."""
    import pandas as pd
    from rich.table import Table

    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.store.fieldwork_status import progress_table

    t = progress_table(args.db, by=args.by)
    if args.format == "csv":
        t.to_csv(sys.stdout, index=False)
        return 0
    if args.format == "json":
        sys.stdout.write(t.to_json(orient="records", force_ascii=False, indent=2) + "\n")
        return 0
    table = Table(title="fieldwork progress (RR = AAPOR RR1 so far: completed / (issued - "
                  "not eligible))")
    for c in t.columns:
        table.add_column(_SHORT.get(c, c), justify="right" if c in _SHORT else "left")
    for row in t.itertuples(index=False):
        cells = []
        for c, v in zip(t.columns, row, strict=True):
            if c == "response_rate":
                cells.append("" if pd.isna(v) else f"{v:.1%}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    out_console.print(table)
    return 0
