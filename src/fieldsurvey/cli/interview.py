"""``fieldsurvey interview``: the interviewer's (or supervisor's) terminal UI.

Example::

    fieldsurvey interview --db int01.sqlite
    fieldsurvey interview --db central.sqlite --supervisor --lang en
    fieldsurvey interview --db int01.sqlite --server http://192.168.1.10:8765
    fieldsurvey interview --db central.sqlite --supervisor --reviewer 王芳
"""

from __future__ import annotations

import argparse
import os
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
    p.add_argument("--server", help="the sync server's address for the household list's sync "
                   "key S (default: the last server this device synced with)")
    p.add_argument("--reviewer", help="with --supervisor: the name reviews are recorded with "
                   "(default: $FIELDSURVEY_REVIEWER, set by `serve --web` for the logged-in "
                   "supervisor)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the app until the user quits."""
    # Only what the household list needs is imported here: the app opens the store (and
    # imports pandas, the questionnaire ...) after the list is drawn.
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.tui.app import make_app

    if not args.db.exists():
        raise StoreError("the field store does not exist", file=str(args.db),
                         hint="Give the .sqlite file made by `fieldsurvey assign`")
    reviewer = (args.reviewer or os.environ.get("FIELDSURVEY_REVIEWER") or "").strip()
    app = make_app(args.db, language=args.lang, supervisor=args.supervisor,
                   server=args.server, reviewer=reviewer or None)
    try:
        app.run()
    finally:
        app.close_store()
    return 0
