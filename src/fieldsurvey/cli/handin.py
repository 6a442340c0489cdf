"""``fieldsurvey handin``: copy a device store into one self-contained, checksummed file.

Example::

    fieldsurvey handin --db int01.sqlite --to /media/usb/handin/
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``handin`` verb."""
    p = subparsers.add_parser(
        "handin", help="hand a device store in: one complete, checksummed copy",
        description="Copy a device store into one self-contained file (the answers still "
                    "in its -wal file included, also while the app is open), check the copy "
                    "and write its SHA-256 beside it. Hand stores in this way instead of "
                    "copying the .sqlite file: a copy of the main file alone can lack the "
                    "latest answers.")
    p.add_argument("--db", required=True, help="the device store (e.g. int01.sqlite)")
    p.add_argument("--to", required=True, help="folder for the copy (e.g. a USB stick)")
    p.add_argument("--group", action="store_true",
                   help="make the copy readable by your group too (0640; default 0600)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Hand the store in and say what was copied."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.store.handin import hand_in

    res = hand_in(args.db, args.to, group=args.group)
    who = f" of {res.interviewer}" if res.interviewer else ""
    out_console.print(f"handed in {res.path}: the store{who} (device {res.device_id}), "
                      f"{res.events} events, the last at {res.last_event or '-'}", markup=False)
    out_console.print(f"sha256 {res.sha256} (in {res.checksum_file})", markup=False)
    return 0
