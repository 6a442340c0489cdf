"""``fieldsurvey store``: maintenance of a field store file.

Example::

    fieldsurvey store rekey --db restored.sqlite --central central.sqlite
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``store`` verb and its actions."""
    p = subparsers.add_parser(
        "store", help="maintain a store file (rekey a store restored from a backup)",
        description="Maintenance of field store files. 'rekey' gives a device store restored "
                    "from an older backup a new device id, so the work done on it since can "
                    "be merged; what the central store already has is kept as it is.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    r = actions.add_parser(
        "rekey", help="give a restored device store a new device id",
        description="Give a device store restored from a backup a new device id. Events "
                    "the central store already holds keep the old id; the work done after "
                    "the restore moves to the new id, so it can be merged. A backup copy "
                    "<store>.rekey.bak is made first.")
    r.add_argument("--db", required=True, help="the restored device store")
    r.add_argument("--central", help="the central store it was merged into (default: "
                   "central.sqlite in the store's folder, if there is one)")
    r.set_defaults(func=run)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the store action."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import InputError
    from fieldsurvey.store.rekey import rekey_store

    if getattr(args, "action", None) != "rekey":
        raise InputError("say what to do with the store", field="ACTION",
                         expected="rekey", hint="e.g. fieldsurvey store rekey --db "
                         "restored.sqlite --central central.sqlite")
    res = rekey_store(args.db, central=args.central)
    out_console.print(f"{res.path}: device id {res.old_device} -> {res.new_device}; "
                      f"{res.kept} event(s) already merged kept under the old id, "
                      f"{res.moved} moved to the new id (merge the store again)",
                      markup=False)
    return 0
