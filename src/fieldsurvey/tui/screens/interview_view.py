"""A finished interview, read-only, for the supervisor or HQ.

The reviewer approves it, or rejects it with a comment on a question (the highlighted
one, or another picked in the dialog) or on the whole interview, at the app's review tier
(``interview --supervisor --as supervisor|hq``; in the browser the logged-in user's role):
the rules are :func:`fieldsurvey.store.review.review`'s, as for ``fieldsurvey review``,
and a refusal (e.g. HQ on an interview the supervisor has not approved) is a one-line
notice. The title tells where the interview stands in both tiers, the line under it the
decisions so far (who, which tier), and the line under the table the interviewer's notes
and the reviewers' comments on the highlighted question.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.store.review import history, note, review, tier_of
from fieldsurvey.store.sync.moved import moved_work, resolve
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.screens.supervisor import stage_text
from fieldsurvey.tui.widgets.key_bar import KeyBar
from fieldsurvey.tui.widgets.question_view import show_value

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["WHOLE", "CommentDialog", "InterviewViewScreen", "ResolveDialog"]

#: The dialog's choice for a comment on the whole interview (not on one question).
WHOLE = "@whole"


class CommentDialog(ModalScreen[tuple[str | None, str] | None]):
    """Ask for the reason of a rejection and the question it is about.

    Dismisses with ``(question or None for the whole interview, text)``, or None if
    cancelled. The text line has the focus; Shift+Tab reaches the question list, which
    starts on the question highlighted in the interview.
    """

    app: FieldsurveyApp
    AUTO_FOCUS = "#comment"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, key: str, questions: list[tuple[str, str]] | None = None, *,
                 note: bool = False) -> None:
        super().__init__(id="comment-dialog")
        self.key = key
        self.questions = questions or [(key, key)]
        self.note = note  # a note to the interviewer, without a decision

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        with Vertical(id="dialog"):
            yield Label(self._title(), id="dialog-title")
            yield Select[str](self._options(), value=self.key, allow_blank=False,
                              id="question")
            yield Input(id="comment")
            yield Label(self.app.t("pick_question"), id="dialog-help")
            yield Label("", id="dialog-error")

    def _options(self) -> list[tuple[str, str]]:
        return [(self.app.t("whole_interview"), WHOLE),
                *((fit(label, 60), key) for key, label in self.questions)]

    def _title(self) -> str:
        kind = "note_comment" if self.note else "reject_comment"
        if self.key == WHOLE:
            return self.app.t(kind + "_all")
        return self.app.t(kind, key=self.key)

    def relabel(self) -> None:
        """Redraw in the app's current language (the text typed is kept)."""
        self.query_one("#dialog-title", Label).update(self._title())
        self.query_one("#dialog-help", Label).update(self.app.t("pick_question"))
        select = self.query_one("#question", Select)
        keep = select.value
        select.set_options(self._options())
        select.value = keep
        error = self.query_one("#dialog-error", Label)
        if str(error.render()).strip():
            error.update(self._need())

    def _need(self) -> str:
        return self.app.t("need_note" if self.note else "need_comment")

    @on(Select.Changed, "#question")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.key = event.value
            self.query_one("#dialog-title", Label).update(self._title())

    @on(Input.Submitted, "#comment")
    def _done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#dialog-error", Label).update(self._need())
            return
        self.dismiss((None if self.key == WHOLE else self.key, event.value.strip()))

    def action_cancel(self) -> None:
        """Key action: cancel."""
        self.dismiss(None)


class ResolveDialog(ModalScreen[str | None]):
    """Who finishes a moved household: the old interviewer (back) or the new one (keep).

    Dismisses with the interviewer picked, or None (Esc).
    """

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, now: str, back: list[str]) -> None:
        super().__init__(id="resolve-dialog")
        self.now = now
        self.back = back

    def compose(self) -> ComposeResult:
        """The question and one line per interviewer involved."""
        t = self.app.t
        with Vertical(id="dialog"):
            yield Label(t("resolve_title"), id="dialog-title")
            yield OptionList(*(Option(t("resolve_back", name=n), id=n) for n in self.back),
                             Option(t("resolve_keep", name=self.now), id=self.now),
                             id="resolve-to")

    @on(OptionList.OptionSelected, "#resolve-to")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Key action: cancel."""
        self.dismiss(None)


class InterviewViewScreen(KeyedScreen[None]):
    """Every answer of an interview with its question, read-only."""

    app: FieldsurveyApp
    DEFAULT_CSS = """
    #iv-moved { height: auto; max-height: 3; padding: 0 1; color: $warning; }
    """
    KEYS: ClassVar[list[tuple[str, str]]] = [("A", "approve"), ("X", "reject"),
                                             ("N", "note_key"), ("Esc", "back")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve"),
        Binding("x", "reject"),
        Binding("n", "note"),
        Binding("g", "resolve"),
        Binding("escape", "back"),
    ]

    def __init__(self, uuid: str) -> None:
        super().__init__(id="interview-view")
        self.uuid = uuid

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="iv-title", classes="section", markup=False)
        yield Static("", id="iv-decisions", markup=False)
        yield Static("", id="iv-moved", markup=False)
        yield DataTable(id="iv-answers", cursor_type="row")
        yield Static("", id="iv-notes", markup=False)
        yield KeyBar(id="keys")

    @on(DataTable.RowHighlighted, "#iv-answers")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The notes and review comments on the highlighted question, in full."""
        self._notes(str(event.row_key.value))

    def _notes(self, key: str) -> None:
        lines = self.notes.get(key, []) + self._comments(key)
        self.query_one("#iv-notes", Static).update(f"{key}: {' '.join(lines)}" if lines else "")

    def _comments(self, key: str | None) -> list[str]:
        """The reviewers' comments on a question (None: on the whole interview)."""
        t = self.app.t
        out = []
        for c in self.comments:
            if c["question"] == key:
                tier, name = tier_of(c["reviewer"])
                mark = "✉" if c["decision"] == "note" else "↩"
                out.append(f"{mark} {t('tier_' + tier)} {name}: {c['comment']}")
        return out

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        state = self.app.store.interview(self.uuid)
        self.state = state
        #: The interviewer's confirmed warnings (key -> reason) and comments (key -> text).
        self.notes: dict[str, list[str]] = {}
        ev = self.app.store.events(self.uuid, kinds=("para:warning", "para:comment"))
        for kind, question, detail in zip(ev["kind"], ev["question"], ev["detail"],
                                          strict=True):
            d = json.loads(detail or "{}")
            text = d.get("reason") if kind == "para:warning" else d.get("text")
            if text:
                mark = "⚠" if kind == "para:warning" else "✎"
                self.notes.setdefault(str(question), []).append(f"{mark} {text}")
        self._read_review()
        self.runner = InterviewRunner.restore(self.app.form, state.answers, state.position,
                                              clock=self.app.today)
        self.relabel()

    def _read_review(self) -> None:
        """The review state, the last reviewer and the decisions so far."""
        conn = self.app.store.connection
        row = conn.execute("SELECT review_state, reviewer FROM interviews WHERE uuid = ?",
                           (self.uuid,)).fetchone()
        self.review_state, self.last_reviewer = str(row[0]), row[1]
        self.decisions = history(conn, self.uuid)
        #: the household moved with work on its old device, still to be settled
        self.moved = moved_work(conn, dwellings=[self.state.dwelling_id])
        #: the reviewers' comments (with a rejection, or notes), oldest first
        self.comments = self.app.store.review_comments(self.uuid)

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t, lang, form = self.app.t, self.app.lang, self.app.form
        d = form.default_language
        st = self.state
        self.query_one("#iv-title", Static).update(fit(
            f"{t('read_only_view')} · {st.dwelling_id} · {st.interviewer} · "
            f"{stage_text(t, self.review_state, self.last_reviewer, long=True)}", 78))
        said = [t("decided", tier=t("tier_" + x.tier), name=x.reviewer,
                  decision=t("decision_" + x.decision)) for x in self.decisions]
        whole = self._comments(None)
        self.query_one("#iv-decisions", Static).update(
            fit(" · ".join(said[-3:] + whole[-1:]), 78) if said else "")
        moved = self.query_one("#iv-moved", Static)
        if self.moved:
            by = " / ".join(dict.fromkeys(m.worked_by for m in self.moved))
            moved.update(t("iv_moved", to=self.moved[0].assigned_to, by=by,
                           dwelling=st.dwelling_id))
        moved.display = bool(self.moved)
        table = self.query_one("#iv-answers", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(t("col_question"), width=36)
        table.add_column(t("col_answer"), width=16)
        table.add_column(fit(t("col_iv_notes"), 20), width=20)
        specials = {s.code: s.label.get(lang, d) for s in form.settings.special_answers}
        self.questions: list[tuple[str, str]] = []
        r = self.runner
        for rec in r.records():
            q = form.question(rec.name)
            if not q.is_input:
                continue
            # labels as the interviewer read them: ``${x}`` filled in from this
            # interview's answers (seen from the question's repeat instance), as ODK does
            step = Step("question", rec.instance, question=q)
            options = [(c.name, r.choice_text(c, step, lang)) for c in form.choices(q)]
            label = r.text(step, "label", lang) or q.name
            self.questions.append((rec.key, f"{rec.key} {label}"))
            marks = self.notes.get(rec.key, []) + [c[0] for c in self._comments(rec.key)[-1:]]
            table.add_row(fit(f"{rec.key} {label}", 36),
                          fit(show_value(rec.value, options, specials), 16),
                          fit(" ".join(marks), 20), key=rec.key)
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self.draw_keys()

    def draw_keys(self) -> None:
        """The key bar; ``G`` (who finishes the household) only when it moved with work."""
        t, keys = self.app.t, self.KEYS
        if getattr(self, "moved", None):
            keys = [*keys[:3], ("G", "resolve_key"), *keys[3:]]
        bar = self.query("#keys")
        if bar:
            bar.first(KeyBar).show([(k, t(x)) for k, x in keys]
                                   + [("F4", t("language")), ("F1", t("help"))])

    def action_resolve(self) -> None:
        """Key action: settle a household moved with work on its old device.

        The supervisor picks who finishes it (:func:`fieldsurvey.store.sync.moved.resolve`,
        as ``fieldsurvey review --resolve``); both devices' entries are kept.
        """
        if not self.moved:
            self.app.notify(self.app.t("resolve_none"))
            return
        now = self.moved[0].assigned_to
        back = list(dict.fromkeys(m.worked_by for m in self.moved))

        def done(to: str | None) -> None:
            if to is None or self._on_device():
                return
            try:
                res = resolve(self.app.store, self.state.dwelling_id, to=to,
                              reviewer=self._reviewer())
            except FieldsurveyError as exc:
                self.app.notify(exc.message, severity="error")
            else:
                self.app.notify(self.app.t("resolved_back" if res.moved_from else
                                           "resolved_keep", to=res.to))
            self._read_review()
            self.relabel()

        self.app.push_screen(ResolveDialog(now, back), done)

    def _on_device(self) -> bool:
        """A synced device's store: no decision is written here (a notice says so).

        The sync server refuses every push of a device whose log holds a review, as
        ``fieldsurvey review`` refuses a device store.
        """
        meta = self.app.store.meta
        if meta.get("role") == "device" and meta.get("sync_token"):
            self.app.notify(self.app.t("review_on_device"), severity="error")
            return True
        return False

    def _reviewer(self) -> str:
        default = "hq" if self.app.review_tier == "hq" else "supervisor"
        return self.app.reviewer or self.app.store.meta.get("interviewer") or default

    def _decide(self, decision: str, question: str | None = None, text: str | None = None
                ) -> None:
        """Record the decision at the app's tier; a refusal is a one-line notice."""
        t, tier = self.app.t, self.app.review_tier
        if self._on_device():
            return
        try:
            review(self.app.store, self.uuid, decision, tier=tier, reviewer=self._reviewer(),
                   comment=text if question is None else None,
                   question_comments={question: text} if question and text else None)
        except FieldsurveyError as exc:
            self._read_review()  # another reviewer may have decided meanwhile
            self.relabel()
            msg = exc.message
            if "not awaiting" in msg:
                msg = t("not_awaiting", tier=t("tier_" + tier), stage=stage_text(
                    t, self.review_state, self.last_reviewer, long=True))
            self.app.notify(msg, severity="error")
            return
        self.app.notify(t("approved_msg" if decision == "approve" else "rejected_msg"))
        self.app.pop_screen()

    def action_approve(self) -> None:
        """Key action: approve."""
        self._decide("approve")

    def action_reject(self) -> None:
        """Key action: reject, with a comment on a question or the whole interview."""
        key = self._highlighted_key()

        def done(answer: tuple[str | None, str] | None) -> None:
            if answer is not None:
                self._decide("reject", *answer)

        self.app.push_screen(CommentDialog(key, self.questions), done)

    def _highlighted_key(self) -> str:
        table = self.query_one("#iv-answers", DataTable)
        if not table.row_count:
            return WHOLE
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_note(self) -> None:
        """Key action: a note to the interviewer on a question, without a decision.

        It changes no state and reaches the device with the next sync or pull, as
        ``fieldsurvey review --note`` does: notes on several questions, then a rejection,
        comment on as many questions as needed.
        """
        def done(answer: tuple[str | None, str] | None) -> None:
            if answer is None:
                return
            question, text = answer
            if self._on_device():
                return
            try:
                note(self.app.store, self.uuid, text, reviewer=self._reviewer(),
                     tier=self.app.review_tier, question=question)
            except FieldsurveyError as exc:
                self.app.notify(exc.message, severity="error")
                return
            self.app.notify(self.app.t("noted_msg"))
            self._read_review()
            self.relabel()

        self.app.push_screen(CommentDialog(self._highlighted_key(), self.questions,
                                           note=True), done)

    def action_back(self) -> None:
        """Key action: back."""
        self.app.pop_screen()
