r"""Two-tier review: the supervisor, then HQ, approve or reject a completed interview.

The path of an interview::

    completed -> pending --supervisor--> approved (awaiting HQ) --hq--> approved by HQ
                    |                       |                      \\-> rejected by HQ
                    \\-> rejected <----------/ (the supervisor may still reject it)

A rejection (by either tier) needs a comment, overall or per question; it goes back to
the interviewer's device at the next sync (or ``fieldsurvey pull``), where the interview
reopens with the comments on the questions; completing it again puts it back to pending.

Each decision is a ``review`` event in the store's event log (value ``approve`` /
``reject``, detail ``{"tier", "comment", "questions"}``) and sets the interview's review
register; HQ's decisions (and notes) carry the reviewer as ``hq:NAME`` — signed by
:func:`signature`, the one place that rule lives, for ``fieldsurvey review`` and the
supervisor TUI alike — so the review state keeps the four values every reader knows
(``none pending approved rejected``) and :func:`stage` tells the tiers apart.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.store import FieldStore

__all__ = ["MOVED_MARK", "TIERS", "Decision", "ReviewRow", "check_questions", "find_interview",
           "history",
           "mark_moved", "moved_flags", "note", "review", "review_list", "signature", "stage",
           "supervisor_rows", "tier_of"]

#: The review tiers, in order.
TIERS: tuple[str, ...] = ("supervisor", "hq")

_HQ = "hq:"


def stage(review_state: str, reviewer: str | None) -> str:
    """Where an interview stands in the two tiers, in words."""
    by_hq = bool(reviewer) and str(reviewer).startswith(_HQ)
    if review_state == "approved":
        return "approved by HQ" if by_hq else "approved by the supervisor, awaiting HQ"
    if review_state == "rejected":
        return "rejected by HQ" if by_hq else "rejected by the supervisor"
    if review_state == "pending":
        return "awaiting the supervisor"
    return "not completed"


def signature(tier: str, reviewer: str) -> str:
    """How the store records a reviewer of ``tier``: ``hq:NAME`` for HQ, ``NAME`` otherwise.

    Every decision and note is signed here (``fieldsurvey review`` and the supervisor TUI),
    so :func:`tier_of` reads the tier back from any of them.

    Raises
    ------
    StoreError
        An unknown tier, no name, or a supervisor's name that would read as HQ's.
    """
    if tier not in TIERS:
        raise StoreError("the review tier is supervisor or hq", field="--as", got=repr(tier))
    name = reviewer.strip()
    if name.startswith(_HQ):
        if tier == "hq":
            name = name[len(_HQ):].strip()  # already signed (hq:NAME): not twice
        else:
            raise StoreError(f"a supervisor's name cannot begin with {_HQ!r} (it marks HQ's "
                             "decisions)", field="--reviewer", got=repr(reviewer),
                             hint="Give the name alone; HQ reviews with --as hq")
    if not name:
        raise StoreError("the reviewer must be named", field="--reviewer",
                         hint="Give --reviewer NAME")
    return f"{_HQ}{name}" if tier == "hq" else name


def tier_of(reviewer: str | None) -> tuple[str, str]:
    """``(tier, name)`` of a recorded reviewer (``hq:NAME`` is HQ's; any other the supervisor's)."""
    who = str(reviewer or "")
    return ("hq", who[len(_HQ):]) if who.startswith(_HQ) else ("supervisor", who)


@dataclass(frozen=True)
class Decision:
    """One review decision on an interview, as the event log keeps it."""

    time: str
    tier: str
    reviewer: str
    decision: str
    comment: str | None
    questions: dict[str, str]


def history(conn: sqlite3.Connection, uuid: str) -> list[Decision]:
    """The review decisions on an interview in clock order, both tiers, with their comments."""
    rows = conn.execute("SELECT time, interviewer, value, detail FROM events WHERE kind = "
                        "'review' AND interview_uuid = ? ORDER BY hlc, device_id, seq",
                        (uuid,)).fetchall()
    out = []
    for time, who, value, detail in rows:
        d = json.loads(detail or "{}")
        tier, name = tier_of(who)
        out.append(Decision(str(time), str(d.get("tier") or tier), name, str(value),
                            d.get("comment"), {str(k): str(v) for k, v in
                                               (d.get("questions") or {}).items()}))
    return out


@dataclass(frozen=True)
class ReviewRow:
    """One completed interview as the review list shows it."""

    uuid: str
    dwelling_id: str
    interviewer: str
    status: str
    review_state: str
    reviewer: str | None
    completed_at: str | None
    stage: str
    #: the household moved to another interviewer after the old device had worked on
    #: it, not yet settled (:func:`moved_flags`); None otherwise
    moved: str | None = None


#: The mark of a moved household's interviews in the supervisor's list.
MOVED_MARK = "⚠"


def moved_flags(conn: sqlite3.Connection) -> dict[str, str]:
    """Households moved with work on the old device, not yet settled: dwelling -> note.

    The note names whose household it is now and whose device worked on it (see
    :mod:`fieldsurvey.store.sync.moved`; ``fieldsurvey review --moved`` lists them with
    what to do).
    """
    from fieldsurvey.store.sync.moved import moved_work

    out: dict[str, list[str]] = {}
    for m in moved_work(conn):
        out.setdefault(m.dwelling_id, [m.assigned_to]).append(m.worked_by)
    return {d: f"moved to {who[0]}; {' and '.join(dict.fromkeys(who[1:]))}'s device has "
               "worked on it: settle with review --resolve" for d, who in out.items()}


def mark_moved(conn: sqlite3.Connection, interviews: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """The supervisor list's interviews with the moved households' flagged.

    Each interview of a household in :func:`moved_flags` gets :data:`MOVED_MARK` before
    its interviewer and the note under ``moved`` (the others are returned as they are).
    """
    flags = moved_flags(conn)
    if not flags:
        return interviews
    return [{**i, "interviewer": f"{MOVED_MARK}{i['interviewer']}",
             "moved": flags[i["dwelling_id"]]} if i.get("dwelling_id") in flags else i
            for i in interviews]


def supervisor_rows(store: FieldStore) -> list[dict[str, Any]]:
    """The interviews the supervisor's list shows (all but those in progress), flagged.

    :meth:`FieldStore.interviews` without the ones in progress, through
    :func:`mark_moved`: what the supervisor screen reads, with the moved households'
    interviews marked.
    """
    return mark_moved(store.connection, [i for i in store.interviews()
                                         if i["status"] != "in_progress"])


def review_list(conn: sqlite3.Connection, tier: str | None = None) -> list[ReviewRow]:
    """Completed interviews with their stage; ``tier``: only those awaiting that tier.

    ``moved`` flags those of a household moved with work on its old device.
    """
    rows = conn.execute(
        "SELECT i.uuid, i.dwelling_id, coalesce(a.interviewer, i.interviewer), i.status, "
        "i.review_state, i.reviewer, i.completed_at FROM interviews i LEFT JOIN assignments a "
        "USING (dwelling_id) WHERE i.status <> 'in_progress' OR i.review_state = 'rejected' "
        "ORDER BY i.completed_at, i.uuid").fetchall()
    flags = moved_flags(conn) if rows else {}
    out = [ReviewRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], r[6],
                     stage(str(r[4]), r[5]), flags.get(str(r[1]))) for r in rows]
    if tier == "supervisor":
        out = [r for r in out if r.review_state == "pending"]
    elif tier == "hq":
        out = [r for r in out if r.review_state == "approved"
               and not (r.reviewer or "").startswith(_HQ)]
    return out


def find_interview(conn: sqlite3.Connection, ident: str) -> str:
    """The UUID of the interview ``ident`` names.

    A UUID, its first 8 or more characters, or a dwelling id (its latest interview).
    """
    row = conn.execute("SELECT uuid FROM interviews WHERE uuid = ?", (ident,)).fetchone()
    if row:
        return str(row[0])
    if len(ident) >= 8:
        rows = conn.execute("SELECT uuid FROM interviews WHERE uuid LIKE ? || '%' LIMIT 2",
                            (ident,)).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
    rows = conn.execute("SELECT uuid FROM interviews WHERE dwelling_id = ? ORDER BY "
                        "started_at DESC LIMIT 1", (ident,)).fetchall()
    if rows:
        return str(rows[0][0])
    raise StoreError("no interview with this id in the store", field="ID", got=repr(ident),
                     hint="Give an interview UUID (or its first 8 characters) or a dwelling "
                     "id; `fieldsurvey review --db CENTRAL --list` lists them")


def check_questions(conn: sqlite3.Connection, uuid: str, keys: list[str]) -> None:
    """Refuse a comment on a question the interview's questionnaire does not have.

    ``keys`` are question names, or answer keys of a repeat's instance (``kid[2]``),
    checked against the questionnaire pinned for the interview; an interview whose
    questionnaire is not in the store is not checked. (The TUI offers only the
    interview's own questions; this is for names typed on the command line.)

    Raises
    ------
    StoreError
        A name that is not a question of the questionnaire, with the closest ones.
    """
    if not keys:
        return
    row = conn.execute("SELECT f.filename, f.content, f.form_id, f.version FROM interviews i "
                       "JOIN forms f ON f.form_id = i.form_id AND f.version = i.form_version "
                       "WHERE i.uuid = ?", (uuid,)).fetchone()
    if row is None:
        return
    import difflib
    import tempfile
    from pathlib import Path

    from fieldsurvey.io.errors import FieldsurveyError
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.questionnaire.model import Question
    from fieldsurvey.questionnaire.values import parse_key

    with tempfile.TemporaryDirectory(prefix="fieldsurvey-form-") as folder:
        path = Path(folder) / Path(str(row[0])).name
        path.write_bytes(row[1])
        try:
            form = load_form(path)
        except FieldsurveyError:  # a pinned form that no longer loads: not checked
            return
    names = [n for n, it in form.items_by_name.items() if isinstance(it, Question)]
    for key in keys:
        try:
            name, _ = parse_key(key)
        except FieldsurveyError:
            name = key
        if name not in names:
            near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
            raise StoreError("the questionnaire of this interview has no such question",
                             field="--question", got=repr(key),
                             expected=f"a question of {row[2]} version {row[3]}"
                             + (f", e.g. {', '.join(near)}" if near else ""),
                             hint="Give the question's name as in the questionnaire (the "
                             "supervisor TUI lists them), or leave --question out to comment "
                             "on the whole interview")


def review(store: FieldStore, uuid: str, decision: str, *, tier: str, reviewer: str,
           comment: str | None = None,
           question_comments: Mapping[str, str] | None = None) -> str:
    """Record one tier's decision on a completed interview; return its new stage.

    Raises
    ------
    StoreError
        An interview not completed, not awaiting this tier (HQ reviews only interviews the
        supervisor approved; nobody reviews a rejected one before the interviewer
        completes it again), a rejection without a comment, an unknown tier or decision.
    """
    who = signature(tier, reviewer)
    if decision not in ("approve", "reject"):
        raise StoreError("a review decision is approve or reject", field="decision",
                         got=repr(decision))
    qc = {str(k): str(v) for k, v in (question_comments or {}).items()}
    if decision == "reject" and not ((comment or "").strip() or qc):
        raise StoreError("a rejection needs a comment saying what to fix", field="--comment",
                         hint="Add --comment TEXT (and --question NAME for a question)")
    with store._write() as conn:
        iid, did, status = store._interview_row(conn, uuid)
        state, prev = conn.execute("SELECT review_state, reviewer FROM interviews WHERE "
                                   "iid = ?", (iid,)).fetchone()
        now = stage(state, prev)
        if status == "in_progress":
            why = "reopened after a rejection" if state == "rejected" else status
            raise StoreError("only a completed interview can be reviewed", field="interview",
                             got=f"{uuid} ({why})")
        by_hq = (prev or "").startswith(_HQ)
        ok = (state == "pending" or (state == "approved" and not by_hq)) if tier == "supervisor" \
            else (state == "approved" and not by_hq)
        if not ok:
            need = ("completed and awaiting the supervisor, or approved by them and not yet "
                    "by HQ" if tier == "supervisor" else "approved by the supervisor")
            raise StoreError(f"this interview is not awaiting the {tier}'s review",
                             field="interview", expected=need, got=f"{uuid}: {now}")
        hlc, seq, time = store._event(conn, "review", who, dwelling_id=did, interview_uuid=uuid,
                                      value=decision, vtype="s",
                                      detail={"tier": tier, "comment": comment,
                                              "questions": qc})
        new_state = "approved" if decision == "approve" else "rejected"
        conn.execute("UPDATE interviews SET review_state=?, reviewer=?, review_comment=?, "
                     "reviewed_at=?, rv_hlc=?, rv_device=?, rv_seq=? WHERE iid=?",
                     (new_state, who, comment, time, hlc, store.device_id, seq, iid))
        items = ([(None, comment)] if comment else []) + sorted(qc.items())
        for n, (q, text) in enumerate(items):
            conn.execute("INSERT INTO review_comments VALUES (?,?,?,?,?,?,?)",
                         (f"{store.device_id}:{seq}:{n}", uuid, q, text, decision, who, time))
    return stage(new_state, who)


def note(store: FieldStore, uuid: str, text: str, *, reviewer: str, tier: str = "supervisor",
         question: str | None = None) -> str:
    """A reviewer's note on an interview (on a question), without a decision.

    Signed as the tier's decisions are (:func:`signature`: ``hq:NAME`` for HQ); return
    the signature. It changes no state; it reaches the interviewer's device with the next
    sync or pull (a ``note`` event and a review comment with decision ``note``).
    """
    if not text.strip():
        raise StoreError("a note needs a text", field="--comment")
    who = signature(tier, reviewer)
    with store._write() as conn:
        _, did, _ = store._interview_row(conn, uuid)
        _, seq, time = store._event(conn, "note", who, dwelling_id=did,
                                    interview_uuid=uuid, question=question,
                                    detail={"comment": text, "tier": tier})
        conn.execute("INSERT INTO review_comments VALUES (?,?,?,?,?,?,?)",
                     (f"{store.device_id}:{seq}:0", uuid, question, text, "note", who,
                      time))
    return who
