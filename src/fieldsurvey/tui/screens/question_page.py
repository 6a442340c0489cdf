"""The interview page as drawn: the views of the page's questions and their texts.

:class:`QuestionPage` is the drawing role of the interview screen
(:class:`~fieldsurvey.tui.screens.question.QuestionScreen` adds answering, capture and
navigation on top): the section path, the progress bar, each question's
:class:`QuestionView` with its filled-in label, hint, choices (labels filled in too),
special-answer keys and soft warning, and where the focus goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.widgets import Static

from fieldsurvey.questionnaire.model import MEDIA_TYPES, Form, Group, Question, Repeat
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import answer_key, parse_key
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.odk_text import media_line, plain_odk
from fieldsurvey.tui.widgets.question_view import QuestionView

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.store.store import FieldStore
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["QuestionPage", "moved_store_entries", "progress_line"]

#: What an empty answer box of these types asks for (the format the parser reads).
_FORMATS = {"date": "YYYY-MM-DD", "time": "HH:MM", "datetime": "YYYY-MM-DD HH:MM",
            "geotrace": "纬度 经度; 纬度 经度; … / lat lon; lat lon; …",
            "geoshape": "纬度 经度; … (首尾相同) / lat lon; … (closed)"}

#: The page's own words (zh, en) that the app's message table does not have.
_WORDS = {
    "no_options": ("没有可选的选项 (取决于前面的回答), 按 Enter 继续",
                   "No options for the answers given so far; press Enter to go on"),
    "range": ("{lo} 到 {hi} 之间 (每步 {by})", "from {lo} to {hi} (steps of {by})"),
    "remove": ("D 删除一条", "D delete one"),
    "geopoint": ("纬度 经度 (如 31.8206 117.2272), 可加 海拔 精度",
                 "latitude longitude (e.g. 31.8206 117.2272), then altitude accuracy"),
    "media": ("文件路径 (F3 选择)", "path of the file (F3 picks it)"),
}


def _say(lang: str, key: str, **fields: str) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**fields)


def progress_line(done: int, total: int, width: int) -> str:
    """A text progress bar: ``━━━━╸───── 12/45``."""
    filled = round(width * done / total) if total else 0
    return "━" * filled + "─" * (width - filled) + f" {done}/{total}"



def moved_store_entries(store: FieldStore, uuid: str, form: Form, repeat: str,
                        instance: tuple[int, ...]) -> None:
    """Delete entry ``instance`` of ``repeat`` from the stored answers.

    Its answers (nested repeats' too) are cleared and the later entries' answers move up
    one number, as :meth:`InterviewRunner.remove_instance` does in the runner.
    """
    names = {q.name for q in form.questions if repeat in q.repeats}
    depth, gone = len(instance), instance[-1]
    moved: dict[str, Any] = {}
    cleared: list[str] = []
    for key, value in store.answers(uuid).items():
        name, inst = parse_key(key)
        if name not in names or len(inst) < depth or inst[:depth - 1] != instance[:-1]:
            continue
        if inst[depth - 1] < gone:
            continue
        cleared.append(key)
        if inst[depth - 1] > gone:
            moved[answer_key(name, (*inst[:depth - 1], inst[depth - 1] - 1,
                                    *inst[depth:]))] = value
    for key in cleared:
        if key not in moved:
            store.clear_answer(uuid, key)
    for key, value in moved.items():
        store.set_answer(uuid, key, value)


class QuestionPage(KeyedScreen[None]):
    """Drawing the interview pages (the state is set up by the screen)."""

    app: FieldsurveyApp
    uuid: str
    runner: InterviewRunner
    #: The views of the page's questions, in order.
    views: list[QuestionView]
    #: Supervisor's review comments (key -> text), the flags (F7), the interviewer's notes.
    comments: dict[str, str]
    flags: set[str]
    notes: dict[str, str]

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
                text = " ".join(plain_odk(g.label.get(lang, form.default_language)).split())
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
            entries = self._entries(step.repeat.name, step.instance)
            label = step.repeat.label.get(lang, d) or step.repeat.name
            hint = app.t("instances", n=len(entries))
            if entries:
                hint += ": " + " · ".join(entries)
            note = app.t("add_instance")
            if entries:
                note += " · " + _say(lang, "remove")
            return QuestionView(step, label=label, hint=hint, options=[],
                                value=None, special_label=specials, inline=False,
                                read_only=True, note=note)
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
        else:
            note = self._placeholder(q)
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
            exclusive=frozenset(c.name for c in shown if c.exclusive),
            guidance=r.text(step, "guidance_hint", lang),
            media=media_line(q.media, lang, r.language, form.default_language),
            empty=_say(lang, "no_options") if q.is_select else "")
        view.warning = self._warning_text(step)
        return view

    def _entries(self, repeat: str, parent: tuple[int, ...]) -> list[str]:
        """The entries of a repeat so far, each ``1 刘洋`` (its first answer) or ``1``."""
        r = self.runner
        items = [q for q in self.app.form.questions
                 if q.repeats and q.repeats[-1] == repeat and q.is_input and not q.hidden]
        out = []
        for k in range(1, r.instance_count(repeat, parent) + 1):
            inst = (*parent, k)
            first = next((v for q in items
                          if isinstance(v := r.value(answer_key(q.name, inst)), str | int)
                          and not isinstance(v, bool) and str(v).strip()), None)
            out.append(f"{k} {fit(str(first), 16)}" if first is not None else str(k))
        return out

    def _placeholder(self, q: Question) -> str:
        """What the empty answer box says: the format to type, or the range's bounds."""
        lang = self.app.lang
        if q.type == "range":
            p = q.parameter
            lo, hi, by = p.get("start", "1"), p.get("end", "10"), p.get("step", "1")
            return _say(lang, "range", lo=lo, hi=hi, by=by)
        if q.type in _FORMATS:
            return _FORMATS[q.type]
        if q.type == "geopoint":
            return _say(lang, "geopoint")
        if q.type in MEDIA_TYPES:
            return _say(lang, "media")
        if q.type in ("integer", "decimal", "text", "barcode"):
            return self.app.t("type_answer")
        return ""

    def _page_changed(self) -> bool:
        """True when an answer changed what the page shows of another question.

        A cascading select's list (``choice_filter``), a label or hint with ``${x}``, on
        the same field-list page: the page is drawn again.
        """
        for v in self.views:
            if v.step.question is None:
                continue
            fresh = self._view(v.step)
            if (fresh.label, fresh.hint, fresh.options) != (v.label, v.hint, v.options):
                return True
        return False

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
        if q is not None and q.type in MEDIA_TYPES:  # F3: the file picker (action_capture)
            hint = self.app.t("media_hint") + (" · " + hint if hint else "")
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
