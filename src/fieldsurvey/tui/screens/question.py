"""The questionnaire: one question (or one field-list group) per page.

Every answer is validated by the runner and saved with :meth:`FieldStore.set_answer`
*before* the runner records it and before the page moves on; the position is saved on
every move, so quitting (or a kill) resumes at the same place.

The screen is built by role: :mod:`.question_page` draws the page,
:mod:`.question_answers` takes and saves answers, :mod:`.question_capture` reads a GPS
fix, and :class:`QuestionScreen` here holds the interview's state, its session and the
navigation keys. Opening an interview from a case is :mod:`.interview_open`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Static

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.preload import ROSTER_FIELDS
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.tui.screens.interview_open import open_interview, respondent_entry
from fieldsurvey.tui.screens.question_answers import ENTER_GRACE_S
from fieldsurvey.tui.screens.question_capture import GPS_TIMEOUT_S, QuestionCapture
from fieldsurvey.tui.screens.question_page import moved_store_entries, progress_line
from fieldsurvey.tui.session import (
    Session,
    interview_times,
    left_outcome,
    orphan_session,
    save_metadata,
)
from fieldsurvey.tui.widgets.choice_field import ChoiceField
from fieldsurvey.tui.widgets.key_bar import KeyBar
from fieldsurvey.tui.widgets.question_view import QuestionView

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = [
    "ENTER_GRACE_S",
    "GPS_TIMEOUT_S",
    "QuestionScreen",
    "open_interview",
    "progress_line",
    "respondent_entry",
]


class QuestionScreen(QuestionCapture):
    """The interview pages."""

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "next"),
        ("F5", "jump"),
        ("F6", "review"),
        ("F7", "flag"),
        ("F2", "comment_key"),
        ("Esc", "leave"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next"),
        Binding("pagedown", "next", show=False),
        Binding("pageup", "prev", priority=True),
        Binding("f5", "jump", priority=True),
        Binding("f6", "review", priority=True),
        Binding("f7", "flag", priority=True),
        Binding("f2", "comment", priority=True),
        Binding("f8", "special(-8)", show=False, priority=True),
        Binding("f9", "special(-9)", show=False, priority=True),
        Binding("f3", "capture", show=False, priority=True),
        Binding("a", "add_instance", show=False),
        Binding("d", "remove_instance", show=False),
        Binding("escape", "leave", priority=True),
    ]

    def __init__(self, uuid: str) -> None:
        super().__init__(id="questions")
        self.uuid = uuid
        app: FieldsurveyApp = self.app
        state = app.store.interview(uuid)
        self.dwelling_id = state.dwelling_id
        # start = the interview's first event, whichever session this is
        started = interview_times(app.store, uuid).start
        self.runner = InterviewRunner.restore(
            app.form, state.answers, state.position, language=app.lang, clock=app.today,
            now=app.clock, started=started,
            roster=respondent_entry(app, state.dwelling_id, state.respondent_line),
            metadata={"deviceid": app.store.device_id, "username": state.interviewer})
        if state.position is None and not any(
                n in app.form.items_by_name for n in ROSTER_FIELDS.values()):
            # (a form linked to the roster starts after the roster's preloaded answers)
            self._start_at_first_open_step(set(state.answers))
        self.on_disk = set(state.answers)
        self.comments = {c["question"]: c["comment"] for c in app.store.review_comments(uuid)
                         if c["question"]}
        self.flags: set[str] = set()
        #: The interviewer's own comments on questions (F2), key -> text.
        self.notes: dict[str, str] = {}
        # indexed: cheap on a merged store
        ev = app.store.events(uuid, kinds=("para:flag", "para:warning", "para:comment"))
        for kind, question, detail in zip(ev["kind"], ev["question"], ev["detail"],
                                          strict=True):
            d = json.loads(detail or "{}")
            if kind == "para:flag":
                (self.flags.add if d.get("on") else self.flags.discard)(str(question))
            elif kind == "para:warning" and d.get("reason"):
                self.runner.confirmed[str(question)] = str(d["reason"])
            elif kind == "para:comment":
                self.notes[str(question)] = str(d.get("text") or "")
                if not self.notes[str(question)]:
                    del self.notes[str(question)]
        self.views: list[QuestionView] = []
        self.session: Session | None = None
        self._moved_at = 0.0  # when the focus last moved by itself (0: not since a key)

    def _start_at_first_open_step(self, answered: set[str]) -> None:
        """A new interview starts at the form's first step to show.

        The runner's resume point is the first input question without an answer: it
        passes over notes (a consent text) and repeat prompts, so a form that opens with
        its household roster would start at the end. When nothing before that point is
        answered (no roster preload), the interview starts at the first note, prompt or
        question instead.
        """
        r = self.runner
        before = []
        for s in r.steps():
            if s.key == r.current.key:
                break
            before.append(s)
        if any(s.key in answered for s in before):
            return  # preloaded answers: go on after them
        first = next((s for s in before if s.kind != "question"
                      or (s.question is not None and not s.question.hidden
                          and s.question.type != "calculate")), None)
        if first is not None:
            r.jump(first.key)

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="q-section", markup=False)
        yield Static("", id="q-progress", markup=False)
        yield VerticalScroll(id="q-body")
        yield Static("", id="q-keys", markup=False)  # choice labels: text, not markup
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Start the visit's session (closing one a kill left open) and draw the page."""
        app = self.app
        orphan = orphan_session(app.store, self.uuid)
        if orphan is not None:  # the app was killed during a session: that was a visit
            done = self.runner.completion()
            Session(app.store, self.uuid, self.dwelling_id,
                    dt.datetime.fromisoformat(orphan["start"])).end(
                left_outcome(done), done, now=app.clock(), how="killed")
        self.session = Session.begin(app.store, self.uuid, self.dwelling_id, app.clock())
        env = self.runner.env  # duration(): the earlier sessions plus this one
        env.previous_seconds = interview_times(app.store, self.uuid).previous_seconds
        env.session_started = self.session.start
        self._settle(forward=True)
        self.show()

    def end_session(self, code: str | None = None, *, appointment: dt.datetime | None = None,
                    how: str = "left") -> None:
        """Record this session as a visit (once): ``code`` or the outcome by the share."""
        if self.session is None or self.session.ended:
            return
        if self.app.store.interview(self.uuid).status == "in_progress":
            save_metadata(self.app.store, self.uuid, self.runner)
        done = self.runner.completion()
        self.session.end(code or left_outcome(done), done, now=self.app.clock(),
                         appointment=appointment, how=how)

    # -- navigation -------------------------------------------------------------------
    def action_next(self) -> None:
        """Enter: confirm the page and go to the next one."""
        if self.runner.current.kind == "question" and self._habit_enter():
            return
        w, view = self.focused, self._focused_view()
        if (isinstance(w, ChoiceField) and view is not None and not w.pending()
                and view is not self._last_answerable()):
            # a list on a field-list page: Enter confirms it and goes to the next question
            # of the page (the page is left from its last question)
            self._after_answer(view)
            return
        self._next()

    def _last_answerable(self) -> QuestionView | None:
        """The page's last question that takes an answer."""
        return next((v for v in reversed(self.views) if v.answer_widget() is not None), None)

    def _next(self) -> None:
        r = self.runner
        cur = r.current
        if cur.kind == "end":
            self.action_review()
            return
        if cur.kind == "question" and not self._commit_inputs():
            return
        pending = next((v for v in self.views if self._open_warning(v)), None)
        if pending is not None:
            self._confirm(pending)
            return
        try:
            if cur.kind == "question":
                r.next_screen()
            else:
                r.next()
        except FieldsurveyError as exc:
            key = exc.field
            view = next((v for v in self.views if v.step.key == key), None)
            if view is not None:
                view.set_error(exc.message)
                w = view.answer_widget()
                if w is not None:
                    w.focus()
            return
        self._settle(forward=True)
        self._save_position()
        self.show()

    def action_prev(self) -> None:
        """Key action: prev."""
        r = self.runner
        if r.current.kind == "question":
            r.back_screen()
        else:
            r.back()
        self._settle(forward=False)
        self._save_position()
        self.show()

    def action_add_instance(self) -> None:
        """Key action: add instance."""
        if self.runner.current.kind != "repeat":
            return
        try:
            self.runner.add_instance()
        except FieldsurveyError as exc:
            self.notify(exc.message, severity="error")
            return
        self._settle(forward=True)
        self._save_position()
        self.show()

    def action_remove_instance(self) -> None:
        """At a repeat's prompt: delete one entry (asked by number); later ones move up.

        The store is changed first (the entry's answers cleared, later entries' answers
        moved to their new numbers), then the runner.
        """
        from fieldsurvey.tui.screens.dialogs import RemoveInstanceDialog

        cur = self.runner.current
        if cur.kind != "repeat" or cur.repeat is None:
            return
        repeat, parent = cur.repeat.name, cur.instance
        entries = self._entries(repeat, parent)
        if not entries:
            return
        label = self.runner.text(cur, "label", self.app.lang) or repeat

        def done(k: int | None) -> None:
            if k is None:
                return
            try:
                moved_store_entries(self.app.store, self.uuid, self.app.form, repeat,
                                    (*parent, k))
                self.runner.remove_instance(repeat, (*parent, k))
            except FieldsurveyError as exc:
                self.notify(exc.message, severity="error")
                return
            self.on_disk = set(self.app.store.answers(self.uuid))
            self._save_position()
            self.show()

        self.app.push_screen(RemoveInstanceDialog(label, entries), done)

    def action_special(self, code: int) -> None:
        """Key action: special."""
        view = self._focused_view()
        if view is None or view.step.question is None:
            return
        sp = next((s for s in self.app.form.special_for(view.step.question) if s.code == code),
                  None)
        if sp is None or view.read_only:
            return
        option = self._colliding(view.step, view.options).get(code)
        if option is not None:  # the question's own 不知道 option: one 不知道, not two
            w = view.answer_widget()
            if isinstance(w, ChoiceField) and not w.multiple:
                w.value = option
            if self.save(view, option):
                self._after_answer(view)
            return
        w = view.answer_widget()
        if isinstance(w, Input):
            w.value = ""
        if self.save(view, sp):
            self._after_answer(view)

    def action_flag(self) -> None:
        """Key action: flag."""
        view = self._focused_view()
        if view is None:
            return
        key = view.step.key
        on_ = key not in self.flags
        self.app.store.record_paradata(self.uuid, "flag", question=key, detail={"on": on_})
        (self.flags.add if on_ else self.flags.discard)(key)
        self.show(key)

    def action_comment(self) -> None:
        """Write (or change, or clear with a blank) a comment on the focused question."""
        from fieldsurvey.tui.screens.dialogs import TextDialog

        view = self._focused_view()
        if view is None or view.step.question is None:
            return
        key = view.step.key

        def done(text: str | None) -> None:
            if text is None:
                return
            self.app.store.record_paradata(self.uuid, "comment", question=key,
                                           detail={"text": text})
            self.notes[key] = text
            self.show(key)

        self.app.push_screen(TextDialog("comment_title", value=self.notes.get(key, ""),
                                        need_key="need_comment_text", key=key), done)

    def action_jump(self) -> None:
        """Key action: jump."""
        from fieldsurvey.tui.screens.jump import JumpDialog

        def go(key: str | None) -> None:
            if key is None:
                return
            self.runner.jump(key)
            self._settle(forward=True)
            self._save_position()
            self.show()

        self.app.push_screen(JumpDialog(self.runner), go)

    def action_review(self) -> None:
        """Key action: review."""
        from fieldsurvey.tui.screens.review import ReviewScreen

        if not self._commit_inputs():
            return

        def back(key: str | None) -> None:
            if key == "@done":
                self.app.pop_screen()
                return
            if key:
                self.runner.jump(key)
                self._settle(forward=True)
                self._save_position()
            self.show(key)

        self.app.push_screen(ReviewScreen(self.uuid, self.runner, self.flags, self.comments,
                                          self.notes, on_submit=self._submitted_as,
                                          before_submit=self._before_submit),
                             back)

    def _before_submit(self) -> None:
        """Save the metadata answers (``end`` now) while the interview can still change."""
        save_metadata(self.app.store, self.uuid, self.runner)

    def _submitted_as(self, code: str) -> None:
        """The review page submitted the interview as ``code``: that ends the visit."""
        self.end_session(code, how="submitted")

    def action_leave(self) -> None:
        """Leave the interview.

        Show the share answered, take an appointment, record the visit (1.2 or 2.12 by the
        share) and go back to the household.
        """
        from fieldsurvey.tui.screens.dialogs import LeaveDialog

        self._commit_inputs()
        self._save_position()

        def done(result: tuple[str, dt.datetime | None] | None) -> None:
            if result is None:
                self.show()
                return
            _, appointment = result
            self.end_session(appointment=appointment,
                             how="appointment" if appointment else "left")
            self.app.pop_screen()

        self.app.push_screen(LeaveDialog(self.runner.completion()), done)
