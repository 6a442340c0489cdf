"""``fieldsurvey review``: the supervisor's and HQ's review of completed interviews.

Examples::

    fieldsurvey review --db central.sqlite --list
    fieldsurvey review --db central.sqlite --approve 3f2a9c1e
    fieldsurvey review --db central.sqlite --reject 3f2a9c1e --comment "年龄不符" --question a2
    fieldsurvey review --db central.sqlite --approve 3f2a9c1e --as hq
    fieldsurvey review --db central.sqlite --moved
    fieldsurvey review --db central.sqlite --resolve C1-003 --to int01
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``review`` verb."""
    p = subparsers.add_parser(
        "review", help="approve or reject completed interviews (supervisor, then HQ)",
        description="Two-tier review of completed interviews in the central store: the "
                    "supervisor approves or rejects, then HQ approves or rejects what the "
                    "supervisor approved. A rejection needs a comment (overall, or on a "
                    "question with --question) and reopens the interview on the "
                    "interviewer's device at its next sync or pull.")
    p.add_argument("--db", required=True, help="the central store")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true",
                      help="list completed interviews and where they stand (with --as: "
                      "only those awaiting that tier)")
    what.add_argument("--approve", metavar="ID", help="approve an interview (UUID, its first "
                      "8 characters, or a dwelling id)")
    what.add_argument("--reject", metavar="ID", help="reject an interview (needs --comment)")
    what.add_argument("--note", metavar="ID", help="a note to the interviewer on an interview "
                      "(--comment, optionally --question), without a decision")
    what.add_argument("--moved", action="store_true",
                      help="list households moved to another interviewer after the old "
                      "device had worked on them, with what to do")
    what.add_argument("--resolve", metavar="ID", help="settle a moved household (its "
                      "dwelling id): --to names who finishes it")
    p.add_argument("--to", metavar="INTERVIEWER", help="with --resolve: the interviewer who "
                   "finishes the household (the old one, whose device holds the work, or the "
                   "new one)")
    p.add_argument("--comment", help="what to fix (with --question: about that question)")
    p.add_argument("--question", help="the question the comment is about (e.g. a2)")
    p.add_argument("--as", dest="tier", choices=("supervisor", "hq"), default=None,
                   help="the review tier (default supervisor)")
    p.add_argument("--reviewer", help="your name (default: the login name)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List, approve or reject."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import InputError
    from fieldsurvey.store import FieldStore
    from fieldsurvey.store.review import (
        MOVED_MARK,
        check_questions,
        find_interview,
        review,
        review_list,
    )

    if args.to and not args.resolve:
        raise InputError("--to goes with --resolve", field="--to",
                         hint="fieldsurvey review --db CENTRAL --resolve DWELLING --to NAME")
    if args.list or args.moved:
        from fieldsurvey.store.sync.moved import moved_work

        store = FieldStore.open(args.db, readonly=True)
        try:
            rows = review_list(store.connection, args.tier) if args.list else []
            moved = moved_work(store.connection)
        finally:
            store.close()
        if args.list and not rows:
            out_console.print("no interview awaits review" if args.tier else
                              "no completed interview", markup=False)
        for r in rows:
            out_console.print(f"{r.uuid[:8]}  {r.dwelling_id}  {r.interviewer}  {r.status}  "
                              f"{r.stage}" + (f" ({r.reviewer})" if r.reviewer else "")
                              + (f"  {MOVED_MARK} {r.moved}" if r.moved else ""),
                              markup=False, soft_wrap=True)
        if rows:
            from collections import Counter

            by = Counter(r.stage for r in rows).most_common()
            out_console.print(f"{len(rows)} interview(s): "
                              + ", ".join(f"{n} {stage}" for stage, n in by), markup=False,
                              soft_wrap=True)
        _print_moved(moved, args.db, full=args.moved)
        return 0
    if args.resolve:
        return _resolve(args)
    if args.question and not args.comment:
        raise InputError("--question needs --comment", field="--comment")
    if args.note:
        if not args.comment:
            raise InputError("--note needs --comment", field="--comment")
        from fieldsurvey.store.review import note

        store = _central(args.db)
        try:
            uuid = find_interview(store.connection, args.note)
            check_questions(store.connection, uuid, [args.question] if args.question else [])
            who = note(store, uuid, args.comment, reviewer=_reviewer(args),
                       tier=args.tier or "supervisor", question=args.question)
        finally:
            store.close()
        out_console.print(f"{uuid}: note kept, signed {who}; the interviewer gets it at the "
                          "next sync or pull", markup=False, soft_wrap=True)
        return 0
    ident = args.approve or args.reject
    decision = "approve" if args.approve else "reject"
    reviewer = _reviewer(args)
    store = _central(args.db)
    try:
        uuid = find_interview(store.connection, ident)
        check_questions(store.connection, uuid, [args.question] if args.question else [])
        qc = {args.question: args.comment} if args.question else None
        now = review(store, uuid, decision, tier=args.tier or "supervisor", reviewer=reviewer,
                     comment=None if args.question else args.comment, question_comments=qc)
    finally:
        store.close()
    out_console.print(f"{uuid}: {now}", markup=False)
    return 0


def _reviewer(args: argparse.Namespace) -> str:
    from fieldsurvey.io.errors import InputError

    reviewer = args.reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or ""
    if not reviewer:
        raise InputError("who reviews is not known", field="--reviewer",
                         hint="Give --reviewer NAME")
    return str(reviewer)


def _print_moved(moved: list[Any], db: str, *, full: bool) -> None:
    """The moved households with work on the old device (``full``: each with what to do)."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.store.review import MOVED_MARK
    from fieldsurvey.store.sync.moved import what_to_do

    if not moved:
        if full:
            out_console.print("no household moved with work on its old device",
                              markup=False)
        return
    dwellings = list(dict.fromkeys(m.dwelling_id for m in moved))
    out_console.print(f"{len(dwellings)} household(s) moved to another interviewer after the "
                      "old device had worked on them (both devices' entries are kept):",
                      markup=False, soft_wrap=True)
    for m in moved:
        when = f"arrived by sync {m.reported}" if m.reported else \
            f"last entry {m.last_time or '?'} (found in the central store)"
        out_console.print(f"  {MOVED_MARK} {m.summary()}; {when}", markup=False,
                          soft_wrap=True)
        if full:
            out_console.print(f"    {what_to_do(m, db)}", markup=False, soft_wrap=True)
    if not full:
        out_console.print(f"  what to do: fieldsurvey review --db {db} --moved", markup=False,
                          soft_wrap=True)


def _resolve(args: argparse.Namespace) -> int:
    """``--resolve ID --to NAME``: settle a moved household."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import InputError
    from fieldsurvey.store.sync.moved import resolve

    if not args.to:
        raise InputError("--resolve needs --to: who finishes the household", field="--to",
                         hint="`fieldsurvey review --db CENTRAL --moved` names the "
                         "interviewers involved")
    store = _central(args.db)
    try:
        res = resolve(store, args.resolve, to=args.to, reviewer=_reviewer(args),
                      comment=args.comment)
    finally:
        store.close()
    out_console.print(res.message, markup=False, soft_wrap=True)
    return 0


def _central(db: str) -> Any:
    """Open the store a decision is written to: the central store, never a device's.

    A decision, note or settlement written into an interviewer's device store would stay
    in its event log, and the sync server refuses every later push of a device that
    reviews (only the central store issues and reviews): refused here, before anything
    is written.
    """
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store import FieldStore

    store = FieldStore.open(db)
    if store.meta.get("role") == "device":
        who = store.meta.get("interviewer")
        store.close()
        raise StoreError("reviews are written to the supervisor's central store, not to an "
                         "interviewer's device store (the server would then refuse that "
                         "device's syncs)", file=db, got=f"the device store of {who or '?'}",
                         hint="Give --db central.sqlite (the store `fieldsurvey serve` "
                         "serves, or that `fieldsurvey merge` wrote)")
    return store
