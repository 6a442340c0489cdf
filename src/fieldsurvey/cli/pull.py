"""``fieldsurvey pull``: a device's updates from a copy of the central store (no network).

Example::

    fieldsurvey pull --from /media/usb/central.sqlite --into stores/int01.sqlite
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``pull`` verb."""
    p = subparsers.add_parser(
        "pull", help="take a device's updates from a central store file (USB fallback)",
        description="Bring only this device's interviewer's updates (new and reassigned "
                    "households, rejections with comments, new questionnaire versions) from "
                    "a copy of the central store into the device store; never another "
                    "interviewer's households. The central file is only read.")
    p.add_argument("--from", dest="source", required=True, help="the central store file")
    p.add_argument("--into", required=True, help="the device store (e.g. stores/int01.sqlite)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Pull and say how much changed."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.store.sync.pull import pull_from_file

    n = pull_from_file(args.source, args.into)
    out_console.print(f"pulled {n} update(s) from {args.source} into {args.into}",
                      markup=False, soft_wrap=True)
    return 0
