"""The questionnaire: one question (or one field-list group) per page.

Every answer is validated by the runner and saved with :meth:`FieldStore.set_answer`
*before* the runner records it and before the page moves on; the position is saved on
every move, so quitting (or a kill) resumes at the same place.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Static

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.model import (
    MEDIA_TYPES,
    AnswerValue,
    Group,
    Repeat,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.preload import respondent_preload, roster_answers
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import parse_text_answer
from fieldsurvey.store.media import add_media, media_answer
from fieldsurvey.tui.screens._base import KeyedScreen
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
    from fieldsurvey.questionnaire.gps import Fix
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["QuestionScreen", "open_interview", "progress_line", "respondent_entry"]

#: An Enter on an empty question the app moved to by itself (a choice moves on), before
#: anything else was typed there, is the interviewer's habit, not a request to leave the
#: question: it is ignored once instead of showing "required". A second Enter is meant.
#: (A time limit as a safety net: after this long it is taken as meant.)
ENTER_GRACE_S = 30.0
#: How long F3 waits for gpsd to give a fix as accurate as the question's capture-accuracy.
GPS_TIMEOUT_S = 20.0


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
    app.push_screen(QuestionScreen(uuid))


def progress_line(done: int, total: int, width: int) -> str:
    """A text progress bar: ``━━━━╸───── 12/45``."""
    filled = round(width * done / total) if total else 0
    return "━" * filled + "─" * (width - filled) + f" {done}/{total}"


class QuestionScreen(KeyedScreen[None]):
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
        Binding("f3", "gps", show=False, priority=True),
        Binding("a", "add_instance", show=False),
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

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="q-section", markup=False)
        yield Static("", id="q-progress", markup=False)
        yield VerticalScroll(id="q-body")
        yield Static("", id="q-keys")
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

    # -- state ------------------------------------------------------------------------
    def _settle(self, *, forward: bool) -> None:
        """Skip calculations (steps with nothing to show)."""
        r = self.runner
        for _ in range(10_000):
            q = r.current.question
            if r.current.kind != "question" or q is None or q.type != "calculate":
                break
            before = r.current
            now = r.next() if forward else r.back()
            if now is before:
                if not forward:
                    r.next()
                    forward = True
                else:
                    break

    def _save_position(self) -> None:
        self.app.store.set_position(self.uuid, self.runner.current.key)

    # -- display ----------------------------------------------------------------------
    def _section(self, step: Step) -> str:
        item = step.question or step.repeat
        if item is None:
            return ""
        form, lang = self.app.form, self.app.lang
        names = [*item.parents, *( [item.name] if isinstance(item, Repeat) else [])]
        parts = []
        for name in names:
            g = form.items_by_name[name]
            if isinstance(g, Group | Repeat) and g.label:
                text = g.label.get(lang, form.default_language)
                if isinstance(g, Repeat) and step.instance and g.name != item.name:
                    text += f" #{step.instance[-1]}"
                parts.append(text)
        return " › ".join(parts)

    def _specials(self, step: Step) -> dict[int, str]:
        """The special answers (code -> label) the F8/F9 keys give at ``step``."""
        form, lang = self.app.form, self.app.lang
        return {s.code: s.label.get(lang, form.default_language)
                for s in form.settings.special_answers}

    def _colliding(self, step: Step, options: list[tuple[str, str]]) -> dict[int, str]:
        """Special codes whose label is also an option's label at ``step``.

        E.g. an option "3 不知道": the key gives that option instead, so one 不知道 exists.
        """
        if step.question is None or not options:
            return {}
        by_label = {label.strip().lower(): name for name, label in options}
        out = {}
        for sp in self.app.form.special_for(step.question):
            for _, text in sp.label.texts:
                name = by_label.get(text.strip().lower())
                if name is not None:
                    out[sp.code] = name
                    break
        return out

    def _view(self, step: Step) -> QuestionView:
        app, r, form = self.app, self.runner, self.app.form
        lang, d = app.lang, form.default_language
        q = step.question
        specials = self._specials(step)
        if step.kind == "repeat":
            assert step.repeat is not None
            n = r.instance_count(step.repeat.name, step.instance)
            label = step.repeat.label.get(lang, d) or step.repeat.name
            return QuestionView(step, label=label, hint=app.t("instances", n=n), options=[],
                                value=None, special_label=specials, inline=False,
                                read_only=True, note=app.t("add_instance"))
        if step.kind == "end":
            return QuestionView(step, label=app.t("end_of_form"), hint="", options=[],
                                value=None, special_label=specials, inline=False,
                                read_only=True)
        assert q is not None
        shown = r.choices(step)
        options = [(c.name, r.choice_text(c, step, lang)) for c in shown]
        hint = r.text(step, "hint", lang)
        if q.type == "note":
            hint = hint or app.t("note_enter")
        note = ""
        if q.read_only:
            note = app.t("read_only")
        elif q.type in ("integer", "decimal", "text", "date"):
            note = "YYYY-MM-DD" if q.type == "date" else app.t("type_answer")
        lines = []
        if step.key in self.comments:
            lines.append(app.t("comment_on_q", text=self.comments[step.key]))
        if step.key in self.notes:
            lines.append(app.t("note_on_q", text=self.notes[step.key]))
        view = QuestionView(
            step, label=r.text(step, "label", lang) or q.name, hint=hint, options=options,
            value=r.value(step.key), special_label=specials,
            inline="likert" in q.appearance.split(), read_only=q.read_only,
            comment="\n".join(lines), flagged=step.key in self.flags, note=note,
            exclusive=frozenset(c.name for c in shown if c.exclusive))
        view.warning = self._warning_text(step)
        return view

    def _warning_text(self, step: Step) -> str:
        """The soft warning shown under the question.

        Open (asks for a reason) or confirmed (with the reason given).
        """
        msg = self.runner.warning(step) if step.question is not None else None
        if not msg:
            return ""
        reason = self.runner.confirmed.get(step.key)
        if reason:
            return self.app.t("warning_confirmed", msg=msg, reason=reason)
        return self.app.t("warning_open", msg=msg)

    def show(self, focus_key: str | None = None) -> None:
        """Draw the current page (focus on ``focus_key`` or its first open question)."""
        r = self.runner
        cur = r.current
        steps = r.screen() if cur.kind == "question" else [cur]
        steps = [s for s in steps if s.question is None or s.question.type != "calculate"]
        body = self.query_one("#q-body", VerticalScroll)
        body.remove_children()
        self.views = [self._view(s) for s in steps]
        body.mount_all(self.views)
        self.query_one("#q-section", Static).update(self._section(cur))
        all_steps = r.steps()
        keys = [s.key for s in all_steps]
        pos = keys.index(cur.key) + 1 if cur.key in keys else len(keys)
        self.query_one("#q-progress", Static).update(progress_line(pos, len(keys), 60))
        q = cur.question
        hint = self._special_hint(cur) if q is not None and q.special else ""
        if q is not None and q.type == "select_multiple":
            hint = self.app.t("multi_hint") + (" · " + hint if hint else "")
        if q is not None and q.type == "geopoint":  # F3: a fix from gpsd (action_gps)
            gps = "F3 读取GPS, 或输入 纬度 经度" if self.app.lang == "zh" else \
                "F3 reads the GPS, or type latitude longitude"
            hint = gps + (" · " + hint if hint else "")
        self.query_one("#q-keys", Static).update(hint)
        self.call_after_refresh(self._focus, focus_key)

    def _special_hint(self, step: Step) -> str:
        """The special-answer keys line, e.g. ``F8 不知道 · F9 拒绝回答``.

        It names the option a key gives when the question has its own option with that
        label (never two 不知道 on one screen).
        """
        q = step.question
        assert q is not None
        options = self.runner.choice_labels(step, self.app.lang)
        colliding = self._colliding(step, options)
        labels = self._specials(step)
        parts = []
        for sp in self.app.form.special_for(q):
            key = {-8: "F8", -9: "F9"}.get(sp.code)
            if key is None:
                continue
            if sp.code in colliding:
                parts.append(f"{key} = {colliding[sp.code]} {dict(options)[colliding[sp.code]]}")
            else:
                parts.append(f"{key} {labels.get(sp.code, sp.name)}")
        return " · ".join(parts)

    def _focus(self, key: str | None = None) -> None:
        target = None
        for v in self.views:
            w = v.answer_widget()
            if w is None:
                continue
            if key is not None and v.step.key == key:
                target = w
                break
            if target is None and key is None and v.value in (None, ""):
                target = w
        if target is None:
            target = next((w for v in self.views if (w := v.answer_widget()) is not None),
                          None)
        if target is not None:
            target.focus()
            view = self._view_of(target)
            (view or target).scroll_visible(animate=False)
        else:
            self.query_one("#q-body").focus()

    def relabel(self) -> None:
        """Redraw in the app's current language (messages too)."""
        self.runner.language = self.app.lang
        self.app.store.record_paradata(self.uuid, "language", detail={"lang": self.app.lang})
        focused = self._focused_view()
        self.show(focused.step.key if focused else None)

    # -- answers ----------------------------------------------------------------------
    def _focused_view(self) -> QuestionView | None:
        w = self.focused
        while w is not None and not isinstance(w, QuestionView):
            w = w.parent  # type: ignore[assignment]
        if w is None and self.views:
            return self.views[0]
        return w

    def _view_of(self, widget: Any) -> QuestionView | None:
        while widget is not None and not isinstance(widget, QuestionView):
            widget = widget.parent
        return widget

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
            else:
                self.app.store.set_answer(self.uuid, step.key, stored)
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
        """Save every typed answer on the page that differs from the stored one."""
        for v in self.views:
            w = v.answer_widget()
            if isinstance(w, ChoiceField) and w.pending():
                w.commit_pending()
                return False
            if not isinstance(w, Input) or isinstance(v.value, SpecialAnswer) and not w.value:
                continue
            ok, value = self._parse(v, w.value)
            if not ok:
                w.focus()
                return False
            if value != v.value and not self.save(v, value):
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
            if now != [v.step.key for v in self.views]:
                self.show(view.step.key)  # relevance changed within the page
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

    # -- navigation -------------------------------------------------------------------
    def action_next(self) -> None:
        """Enter: confirm the page and go to the next one."""
        if self.runner.current.kind == "question" and self._habit_enter():
            return
        self._next()

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

    def _habit_enter(self) -> bool:
        """True for an Enter to ignore: a habit after the app moved on by itself.

        It came right after an automatic move, on a question with nothing typed or
        chosen yet (the choice already moved on).
        """
        if time.monotonic() - self._moved_at > ENTER_GRACE_S:
            return False
        view = self._focused_view()
        if view is None or view.value not in (None, ""):
            return False
        w = view.answer_widget()
        if isinstance(w, Input) and w.value.strip():
            return False
        if isinstance(w, ChoiceField) and w.pending():
            return False
        self._moved_at = 0.0  # a second Enter is meant
        return True

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

    def action_gps(self) -> None:
        """At a geopoint: read a fix from gpsd into the answer box (Enter accepts it).

        Without a receiver the interviewer is told so and types the coordinates.
        """
        from fieldsurvey.questionnaire.gps import capture_accuracy, gpsd_address, read_fix

        view = self._focused_view() or (self.views[0] if self.views else None)
        q = view.step.question if view is not None else None
        if view is None or q is None or q.type != "geopoint":
            return
        zh = self.app.lang == "zh"
        self.app.notify("正在读取GPS…" if zh else "Reading the GPS…")
        host, port = gpsd_address()
        capture = capture_accuracy(q)

        def work() -> None:
            fix = read_fix(host=host, port=port, timeout=GPS_TIMEOUT_S, capture=capture)
            self.app.call_from_thread(self._gps_done, view, fix)

        self.run_worker(work, thread=True, exclusive=True, group="gps")

    def _gps_done(self, view: QuestionView, fix: Fix | None) -> None:
        zh = self.app.lang == "zh"
        if fix is None:
            self.app.notify("没有GPS定位: 请输入纬度 经度" if zh else
                            "No GPS fix: type the latitude and longitude", severity="warning")
            return
        w = view.answer_widget()
        if isinstance(w, Input):
            w.value = fix.answer()
            w.focus()

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
