"""Answering on the interview page: parse, validate, save to the store, then move on.

Every answer is validated by the runner and saved with :meth:`FieldStore.set_answer`
*before* the runner records it and before the page moves on. A soft warning holds the
answer until the interviewer confirms it with a reason. An Enter right after the app moved
on by itself, on an empty question, is taken as habit and ignored once.
"""

from __future__ import annotations

import time

from textual import on
from textual.widgets import Input

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.model import MEDIA_TYPES, AnswerValue, SpecialAnswer
from fieldsurvey.questionnaire.values import parse_text_answer
from fieldsurvey.store.media import add_media, media_answer
from fieldsurvey.tui.screens.question_page import QuestionPage
from fieldsurvey.tui.widgets.choice_field import ChoiceField
from fieldsurvey.tui.widgets.question_view import QuestionView

__all__ = ["ENTER_GRACE_S", "NOTE_GRACE_S", "QuestionAnswers"]

#: An Enter on an empty question the app moved to by itself (a choice moves on), before
#: anything else was typed there, is the interviewer's habit, not a request to leave the
#: question: it is ignored once instead of showing "required". A second Enter is meant.
#: (A time limit as a safety net: after this long it is taken as meant.)
ENTER_GRACE_S = 30.0
#: On a note (nothing to answer) only an Enter this soon after the move is habit: one
#: that comes later was pressed after reading it, and goes on.
NOTE_GRACE_S = 1.0


class QuestionAnswers(QuestionPage):
    """The answering role of the interview screen."""

    #: When the focus last moved by itself (0: not since a key).
    _moved_at: float
    #: The answer keys the store holds for this interview (a form's ``default`` is in the
    #: runner from the start, but only on disk once its page is confirmed).
    on_disk: set[str]

    def _next(self) -> None:
        """Confirm the page and go to the next one (the screen's navigation)."""
        raise NotImplementedError

    def save(self, view: QuestionView, value: AnswerValue) -> bool:
        """Validate, write to the store, then record in the runner; False if refused."""
        step = view.step
        msg = self.runner.validate(value, step)
        if msg is not None:
            view.set_error(msg)
            return False
        try:
            stored = value
            if (step.question is not None and step.question.type in MEDIA_TYPES
                    and isinstance(value, str) and value and media_answer(value) is None):
                # the file's bytes go into the store, whose answer is <sha256>-<name>; the
                # runner keeps the path for this session (it checks that the file exists)
                stored = add_media(self.app.store, value)
            if stored is None or stored == "":
                self.app.store.clear_answer(self.uuid, step.key)
                self.on_disk.discard(step.key)
            else:
                self.app.store.set_answer(self.uuid, step.key, stored)
                self.on_disk.add(step.key)
        except FieldsurveyError as exc:
            view.set_error(self.app.t("saved_error", msg=exc.message))
            return False
        self.runner.answer(None if value == "" else value, step)
        if step.key in self.runner.confirmed and not self.runner.warning(step):
            del self.runner.confirmed[step.key]  # the answer changed: the warning is gone
        view.set_error("")
        view.set_value(value)
        view.set_warning(self._warning_text(step))
        self._moved_at = 0.0
        return True

    def _open_warning(self, view: QuestionView) -> bool:
        """True when the question has a soft warning not yet confirmed with a reason."""
        step = view.step
        return (step.question is not None and step.key not in self.runner.confirmed
                and bool(self.runner.warning(step)))

    def _confirm(self, view: QuestionView) -> None:
        """Ask for the reason that confirms the warning at ``view``; go on once given."""
        from fieldsurvey.tui.screens.dialogs import TextDialog

        msg = self.runner.warning(view.step) or ""

        def done(reason: str | None) -> None:
            if not reason:
                w = view.answer_widget()
                if w is not None:
                    w.focus()
                return
            detail = self.runner.confirm_warning(view.step.key, reason)
            self.app.store.record_paradata(self.uuid, "warning", question=view.step.key,
                                           detail=detail)
            view.set_warning(self._warning_text(view.step))
            self._after_answer(view)

        self.app.push_screen(TextDialog("warning_reason", detail=f"⚠ {msg}",
                                        key=view.step.key), done)

    def _parse(self, view: QuestionView, text: str) -> tuple[bool, AnswerValue]:
        q = view.step.question
        assert q is not None
        if not text.strip():
            return True, None
        try:
            return True, parse_text_answer(self.app.form, q, text, language=self.app.lang)
        except FieldsurveyError as exc:
            view.set_error(exc.message + (self.app.t("expected", what=exc.expected)
                                          if exc.expected else ""))
            return False, None

    def _commit_inputs(self) -> bool:
        """Save every answer on the page that differs from the stored one.

        A typed answer, and an answer the form gave by ``default`` that the interviewer
        confirms by going on: both are on disk before the page moves.
        """
        for v in self.views:
            w = v.answer_widget()
            if isinstance(w, ChoiceField) and w.pending():
                w.commit_pending()
                return False
            unsaved = v.value not in (None, "") and v.step.key not in self.on_disk
            if isinstance(w, ChoiceField) and unsaved and not self.save(v, v.value):
                w.focus()
                return False
            if not isinstance(w, Input) or isinstance(v.value, SpecialAnswer) and not w.value:
                continue
            ok, value = self._parse(v, w.value)
            if not ok:
                w.focus()
                return False
            if (value != v.value or unsaved) and not self.save(v, value):
                w.focus()
                return False
        return True

    @on(ChoiceField.Picked)
    def _picked(self, event: ChoiceField.Picked) -> None:
        event.stop()
        view = self._view_of(event.field)
        if view is None:
            return
        value: AnswerValue = event.value
        if view.kind == "acknowledge":
            value = True if event.value == "ok" else None
        if not self.save(view, value):
            view.restore_value()
            return
        if event.done:
            self._after_answer(view)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._moved_at = 0.0  # the interviewer typed here: an Enter is meant
        view = self._view_of(event.input)
        if view is None or view.step.question is None:
            return
        if not event.value.strip():
            view.set_error("")
            return
        ok, value = self._parse(view, event.value)
        if ok:
            view.set_error(self.runner.validate(value, view.step) or "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        view = self._view_of(event.input)
        if view is None or self._habit_enter():
            return
        ok, value = self._parse(view, event.value)
        if not ok or (value != view.value and not self.save(view, value)):
            return
        self._after_answer(view)

    def _after_answer(self, view: QuestionView) -> None:
        """After a complete answer: the next question on the page, else the next page.

        An answer with an open soft warning stays: the interviewer checks it, then
        changes it or confirms it with a reason (Enter).
        """
        if self._open_warning(view):
            w = view.answer_widget()
            if w is not None:
                w.focus()
            return
        self._advance(view)
        self._moved_at = time.monotonic()

    def _advance(self, view: QuestionView) -> None:
        if len(self.views) > 1:
            r = self.runner
            now = [s.key for s in r.screen() if s.question is None
                   or s.question.type != "calculate"]
            if now != [v.step.key for v in self.views] or self._page_changed():
                self.show(view.step.key)  # relevance, a list or a label changed on the page
                self.call_after_refresh(self._focus_after, view.step.key)
                return
            if self._focus_after(view.step.key):
                return
        self._next()

    def _focus_after(self, key: str) -> bool:
        idx = next((i for i, v in enumerate(self.views) if v.step.key == key), -1)
        for v in self.views[idx + 1:]:
            w = v.answer_widget()
            if w is not None:
                w.focus()
                v.scroll_visible(animate=False)
                return True
        return False


    def _habit_enter(self) -> bool:
        """True for an Enter to ignore: a habit after the app moved on by itself.

        It came right after an automatic move, on a question with nothing typed or
        chosen yet (the choice already moved on).
        """
        since = time.monotonic() - self._moved_at
        if since > ENTER_GRACE_S:
            return False
        view = self._focused_view()
        if view is None or view.value not in (None, ""):
            return False
        w = view.answer_widget()
        if w is None and since > NOTE_GRACE_S:
            return False
        if isinstance(w, Input) and w.value.strip():
            return False
        if isinstance(w, ChoiceField) and w.pending():
            return False
        self._moved_at = 0.0  # a second Enter is meant
        return True
