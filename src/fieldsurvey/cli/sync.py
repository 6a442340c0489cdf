"""``fieldsurvey sync``: send a device's work to the sync server and get its updates.

Examples::

    fieldsurvey sync --db stores/int01.sqlite --server http://192.168.1.10:8765
    fieldsurvey sync --db stores/int01.sqlite --log
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["print_added", "register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``sync`` verb."""
    p = subparsers.add_parser(
        "sync", help="sync a device store with the server (push new work, pull updates)",
        description="Send the entries the server does not have yet (in chunks, resumable) "
                    "and receive this interviewer's updates: new and reassigned households, "
                    "rejections with their comments, new questionnaire versions. Syncing "
                    "twice changes nothing; an interrupted sync is completed by the next.")
    p.add_argument("--db", required=True, help="the device store (e.g. stores/int01.sqlite)")
    p.add_argument("--server", help="the server's address, e.g. http://192.168.1.10:8765")
    p.add_argument("--token", help="this device's token (default: the one kept in the store)")
    p.add_argument("--cafile", help="the server's certificate, for https with a "
                   "self-signed certificate")
    p.add_argument("--chunk", type=int, default=2500,
                   help="entries sent per request (default 2500; smaller on a poor network)")
    p.add_argument("--log", action="store_true", help="show the device's last syncs and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Sync and say what moved (or show the sync log)."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import InputError
    from fieldsurvey.store import FieldStore
    from fieldsurvey.store.sync.client import last_syncs, sync

    if args.log:
        store = FieldStore.open(args.db, readonly=True)
        try:
            rows = last_syncs(store.connection, 20)
        finally:
            store.close()
        if not rows:
            out_console.print("no sync yet", markup=False)
        for r in rows:
            out_console.print(f"{r['time']}  {r['server']}  sent {r['pushed']}  received "
                              f"{r['pulled']}  {r['result']}", markup=False, soft_wrap=True)
        return 0
    if not args.server:
        raise InputError("sync needs the server's address", field="--server",
                         hint="e.g. --server http://192.168.1.10:8765")
    if args.chunk < 1:
        raise InputError("--chunk is a number of entries, at least 1", field="--chunk",
                         got=str(args.chunk))
    res = sync(args.db, args.server, token=args.token, cafile=args.cafile, chunk=args.chunk)
    out_console.print(res.message, markup=False, soft_wrap=True)
    return 0


def print_added(args: argparse.Namespace) -> int:
    """``fieldsurvey assign --add CENTRAL``: add new work and list what moved."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.schema import SAMPLE_TEXT_COLUMNS
    from fieldsurvey.io.tables import read_table
    from fieldsurvey.store.sync.work import add_work

    sample = read_table(args.sample, what="sample file",
                        text=(*SAMPLE_TEXT_COLUMNS, "interviewer"))
    team = None
    if args.interviewers:
        team = read_table(args.interviewers, what="team file",
                          text=("interviewer", "community_id", "name"))
    res = add_work(args.add, sample, team, by=args.by,
                   include_unreleased=args.include_unreleased)
    for r in res.added.itertuples(index=False):
        out_console.print(f"added {r.dwelling_id} -> {r.interviewer}", markup=False)
    for r in res.moved.itertuples(index=False):
        out_console.print(f"moved {r.dwelling_id}: {r.interviewer} -> {r.to}", markup=False)
    for r in res.conflicts.itertuples(index=False):
        out_console.print(f"CONFLICT {r.dwelling_id}: stays with {r.interviewer} (not moved "
                          f"to {r.to}): {r.reason}", markup=False, soft_wrap=True)
    out_console.print(f"{len(res.added)} line(s) added, {len(res.moved)} moved, "
                      f"{len(res.conflicts)} conflict(s), {res.unchanged} unchanged in "
                      f"{args.add}; devices get them at their next sync or pull",
                      markup=False, soft_wrap=True)
    return 0
