"""``fieldsurvey sync``: send a device's work to the sync server and get its updates.

Examples::

    fieldsurvey sync --db stores/int01.sqlite --server http://192.168.1.10:8765
    fieldsurvey sync --db stores/int01.sqlite --log
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


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
    res = sync(args.db, args.server, token=args.token, cafile=args.cafile)
    out_console.print(res.message, markup=False, soft_wrap=True)
    return 0
