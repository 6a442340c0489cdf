"""Opening an interview from a case: resume the open one, or start one after the selection.

The selected respondent's roster entry is what the form sees as ``${respondent_*}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldsurvey.questionnaire.preload import respondent_preload, roster_answers

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["open_interview", "respondent_entry"]


def respondent_entry(app: FieldsurveyApp, dwelling_id: str,
                     line: int | None) -> dict[str, Any] | None:
    """The selected respondent's roster entry (``name, sex, age, relation`` ...).

    The form sees it as ``${respondent_*}``; None without a selection.
    """
    if line is None:
        sel = app.store.selection(dwelling_id)
        line = sel.get("chosen_line") if sel else None
    if line is None:
        return None
    return next((m for m in app.store.roster(dwelling_id) if m["line"] == line), None)


def open_interview(app: FieldsurveyApp, dwelling_id: str) -> None:
    """Resume the case's open (or rejected) interview, or start one.

    A new interview starts after the respondent selection, preloading the roster; the
    interviewer is sent to the roster when no respondent has been selected yet.
    """
    store = app.store
    itvs = store.interviews(dwelling_id)
    if itvs:
        last = itvs[-1]
        if last["status"] != "in_progress" and last["review_state"] != "rejected":
            app.notify(app.t("st_done"))
            return
        from fieldsurvey.tui.screens.question import QuestionScreen

        store.resume_interview(last["uuid"])
        app.push_screen(QuestionScreen(last["uuid"]))
        return
    sel = store.selection(dwelling_id)
    if not sel or sel.get("chosen_line") is None:
        from fieldsurvey.tui.screens.roster import RosterScreen

        app.notify(app.t("no_selection"))
        app.push_screen(RosterScreen(dwelling_id))
        return
    uuid = store.start_interview(dwelling_id, respondent_line=sel["chosen_line"])
    members = store.roster(dwelling_id)
    for key, value in roster_answers(app.form, members, sel["chosen_line"]):
        store.set_answer(uuid, key, value)
    entry = next((m for m in members if m["line"] == sel["chosen_line"]), None)
    for key, value in respondent_preload(app.form, entry):
        store.set_answer(uuid, key, value)
    from fieldsurvey.tui.screens.question import QuestionScreen

    app.push_screen(QuestionScreen(uuid))
