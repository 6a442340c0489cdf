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
    from fieldsurvey.store import FieldStore
    from fieldsurvey.store.fieldwork_status import progress_table

    t = progress_table(args.db, by=args.by)
    with FieldStore.open(args.db, readonly=True) as st:
        notes = moved_lines(st.connection, args.db, device=st.meta.get("role") == "device")
        if args.format == "table":
            from fieldsurvey.cli._tables import names_of

            names = names_of(st.assignments())
    if args.format == "csv":
        t.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(t.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    if args.format != "table":
        if notes:  # beside the table, which stays as machines read it
            from fieldsurvey.cli._ui import err_console

            err_console.print("\n".join(notes), markup=False, soft_wrap=True)
        return 0
    from fieldsurvey.cli._tables import LEGEND, progress_lines, wrap

    lines = ["fieldwork progress", *progress_lines(t, names, wide=args.wide), "",
             *wrap(LEGEND)]
    if notes:
        lines += ["", *wrap(notes[0]), *("  " + x for n in notes[1:] for x in wrap(n, 78))]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def moved_lines(conn: Any, db: str, *, device: bool = False) -> list[str]:
    """Households moved to another interviewer after the old device had worked on them.

    A heading, one line per household and device, and what to do (empty when none); on
    a ``device`` store what the interviewer does.
    """
    from fieldsurvey.store.review import MOVED_MARK
    from fieldsurvey.store.sync.moved import moved_work

    moved = moved_work(conn)
    if not moved:
        return []
    n = len({m.dwelling_id for m in moved})
    return [f"{MOVED_MARK} {n} household(s) moved to another interviewer after the old "
            "device had worked on them (both devices' entries are kept):",
            *(m.summary() for m in moved),
            "what to do: your entries there are kept (and sent at each sync); do not go on "
            "with them until your supervisor says who finishes them" if device else
            f"what to do: fieldsurvey review --db {db} --moved (then --resolve ID --to NAME)"]
