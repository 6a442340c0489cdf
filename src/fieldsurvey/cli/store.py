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
        "store", help="maintain a store file (rekey a restored store; the survey's key)",
        description="Maintenance of field store files. 'rekey' gives a device store restored "
                    "from an older backup a new device id, so the work done on it since can "
                    "be merged; what the central store already has is kept as it is. 'key' "
                    "writes the survey's pseudonymisation key (kept at HQ) to a private file.")
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
    k = actions.add_parser(
        "key", help="write the survey's pseudonymisation key to a private file",
        description="Write the pseudonymisation key of the survey, which only the central "
                    "store holds, to a new file readable by you only, for exports that give "
                    "the same pseudonyms from another copy (export --pseudonymise "
                    "--key-file FILE). Keep it at HQ.")
    k.add_argument("--db", required=True, help="the central store")
    k.add_argument("--out", required=True, help="the key file to write (never overwritten)")
    k.add_argument("--group", action="store_true", help="readable by your group too (0640)")
    k.set_defaults(func=run)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the store action."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import InputError
    from fieldsurvey.store.rekey import rekey_store

    action = getattr(args, "action", None)
    if action == "key":
        from fieldsurvey.store import FieldStore
        from fieldsurvey.store.personal import write_key_file

        store = FieldStore.open(args.db, readonly=True)
        try:
            key = store.meta.get("pii_salt", "")
        finally:
            store.close()
        path = write_key_file(key, args.out, group=args.group)
        out_console.print(f"the survey's pseudonymisation key is in {path} (keep it at HQ)",
                          markup=False)
        return 0
    if action != "rekey":
        raise InputError("say what to do with the store", field="ACTION",
                         expected="rekey or key", hint="e.g. fieldsurvey store rekey --db "
                         "restored.sqlite --central central.sqlite")
    res = rekey_store(args.db, central=args.central)
    out_console.print(f"{res.path}: device id {res.old_device} -> {res.new_device}; "
                      f"{res.kept} event(s) already merged kept under the old id, "
                      f"{res.moved} moved to the new id (merge the store again)",
                      markup=False)
    return 0
