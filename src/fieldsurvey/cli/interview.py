"""``fieldsurvey interview``: the interviewer's (or supervisor's) terminal UI.

Example::

    fieldsurvey interview --db int01.sqlite
    fieldsurvey interview --db central.sqlite --supervisor --lang en
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``interview`` verb."""
    p = subparsers.add_parser(
        "interview", help="households, visits, roster, questionnaire (terminal UI)",
        description="Open the field store in a terminal UI: the assigned households, contact "
                    "attempts, the roster and respondent selection, and the questionnaire; "
                    "every answer is saved as it is entered. --supervisor shows progress and "
                    "the interviews to review instead.")
    p.add_argument("--db", required=True, type=Path, help="field store (.sqlite)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language at start")
    p.add_argument("--supervisor", action="store_true",
                   help="progress and review of a merged store")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the app until the user quits."""
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store.store import FieldStore
    from fieldsurvey.tui.app import make_app

    if not args.db.exists():
        raise StoreError("the field store does not exist", file=str(args.db),
                         hint="Give the .sqlite file made by `fieldsurvey assign`")
    store = FieldStore.open(args.db)
    try:
        make_app(store, language=args.lang, supervisor=args.supervisor).run()
    finally:
        store.close()
    return 0
