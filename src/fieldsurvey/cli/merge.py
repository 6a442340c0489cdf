"""``fieldsurvey merge``: merge device stores into the central store; list conflicts.

Examples::

    fieldsurvey merge field/w1.sqlite field/w2.sqlite --into field/central.sqlite
    fieldsurvey merge --conflicts --db field/central.sqlite
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``merge`` verb."""
    p = subparsers.add_parser(
        "merge", help="merge device stores into one (idempotent, order-independent)",
        description="Merge device stores into the central store without losing or duplicating "
                    "anything; edits of one interview from two devices are kept and listed.")
    p.add_argument("stores", nargs="*", help="device stores to merge")
    p.add_argument("--into", help="central store (created when missing)")
    p.add_argument("--conflicts", action="store_true",
                   help="list conflicting edits in --db (or --into) instead of merging")
    p.add_argument("--db", help="store whose conflicts to list")
    p.add_argument("--format", choices=("table", "csv"), default=None,
                   help="output of --conflicts (default: table)")
    p.add_argument("--group", action="store_true",
                   help="a new central store readable by your group too (0640; default 0600)")
    p.add_argument("--check", action="store_true",
                   help="verify every source with SQLite's quick_check (default: under 64 MB)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Merge, print the merge log; or list the conflicts."""
    from fieldsurvey.cli._ui import err_console, out_console, progress_bar
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store import FieldStore
    from fieldsurvey.store.merge import merge_stores

    if args.conflicts:
        db = args.db or args.into
        if not db:
            raise StoreError("--conflicts needs the store to look in", field="--db")
        if args.stores:
            raise StoreError("--conflicts lists the conflicts of one store and merges nothing",
                             field="--conflicts", got=" ".join(args.stores),
                             hint="Merge first (fieldsurvey merge STORES --into CENTRAL), then "
                             "list: fieldsurvey merge --conflicts --db CENTRAL")
        store = FieldStore.open(db, readonly=True)
        try:
            conflicts = store.conflicts()
        finally:
            store.close()
        _print_conflicts(conflicts, args.format or "table", out_console)
        return 0
    for option, value in (("--format", args.format), ("--db", args.db)):
        if value is not None:
            raise StoreError(f"{option} goes with --conflicts; a merge takes --into",
                             field=option, got=value,
                             hint="To list conflicts: fieldsurvey merge --conflicts --db "
                             "CENTRAL [--format csv]; to merge: fieldsurvey merge STORES "
                             "--into CENTRAL")
    if not args.stores or not args.into:
        raise StoreError("give the device stores and --into CENTRAL", field="--into",
                         hint="e.g. fieldsurvey merge a.sqlite b.sqlite --into central.sqlite")
    with progress_bar() as bar:
        res = merge_stores(args.stores, args.into, progress=bar,
                           check=True if args.check else None, group=args.group)
    for line in res.log:
        out_console.print(line, markup=False)
    for warning in res.warnings:
        err_console.print(f"warning: {warning}", markup=False)
    if len(res.conflicts):
        err_console.print(f"{res.conflicts['interview_uuid'].nunique()} interview(s) were "
                          "edited on more than one device; both versions are kept.")
    return 0


def _print_conflicts(conflicts: Any, fmt: str, console: Any) -> None:
    import sys

    from rich.table import Table

    if fmt == "csv":
        conflicts.to_csv(sys.stdout, index=False)
        return
    if not len(conflicts):
        console.print("no conflicting edits")
        return
    table = Table(title=f"{len(conflicts)} conflicting edit(s)")
    cols = ["kind", "dwelling_id", "interview_uuid", "question", "device_id", "interviewer",
            "time", "value", "current"]
    for c in cols:
        table.add_column(c)
    for row in conflicts[cols].itertuples(index=False):
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)
