"""``fieldsurvey interview``: the interviewer's (or supervisor's) terminal UI.

Example::

    fieldsurvey interview --db int01.sqlite
    fieldsurvey interview --db central.sqlite --supervisor --lang en
    fieldsurvey interview --db int01.sqlite --server http://192.168.1.10:8765
    fieldsurvey interview --db central.sqlite --supervisor --reviewer 王芳
    fieldsurvey interview --db central.sqlite --supervisor --as hq --reviewer 总部李明
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
    p.add_argument("--as", dest="tier", choices=("supervisor", "hq"), default=None,
                   help="with --supervisor: the review tier (default: $FIELDSURVEY_REVIEW_TIER, "
                   "set by `serve --web` from the logged-in user's role, else supervisor); "
                   "HQ reviews what the supervisor approved, as `fieldsurvey review --as hq`")
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
                   server=args.server, reviewer=reviewer or None, review_tier=_tier(args))
    try:
        app.run()
    finally:
        app.close_store()
    return 0


def _tier(args: argparse.Namespace) -> str:
    """The review tier: ``--as``, else ``$FIELDSURVEY_REVIEW_TIER``, else supervisor."""
    from fieldsurvey.io.errors import InputError

    option = getattr(args, "tier", None)
    if option and not args.supervisor:
        raise InputError("--as is the review tier of the supervisor screens", field="--as",
                         hint="Add --supervisor (or leave --as out)")
    env = os.environ.get("FIELDSURVEY_REVIEW_TIER", "").strip()
    tier = str(option or env or "supervisor")
    if tier not in ("supervisor", "hq"):
        raise InputError("the review tier is supervisor or hq",
                         field="FIELDSURVEY_REVIEW_TIER", got=repr(env),
                         hint="Unset it, or set it to supervisor or hq")
    return tier
