"""A finished interview, read-only, for the supervisor.

The supervisor approves it, or rejects it with a comment on the highlighted question.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, Static

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.widgets.key_bar import KeyBar
from fieldsurvey.tui.widgets.question_view import show_value

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["CommentDialog", "InterviewViewScreen"]


class CommentDialog(ModalScreen[str | None]):
    """Ask for the reason of a rejection; dismisses with the text (None if cancelled)."""

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, key: str) -> None:
        super().__init__(id="comment-dialog")
        self.key = key

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        with Vertical(id="dialog"):
            yield Label(self.app.t("reject_comment", key=self.key), id="dialog-title")
            yield Input(id="comment")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language (the text typed is kept)."""
        self.query_one("#dialog-title", Label).update(
            self.app.t("reject_comment", key=self.key))
        error = self.query_one("#dialog-error", Label)
        if str(error.render()).strip():
            error.update(self.app.t("need_comment"))

    @on(Input.Submitted, "#comment")
    def _done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#dialog-error", Label).update(self.app.t("need_comment"))
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Key action: cancel."""
        self.dismiss(None)


class InterviewViewScreen(KeyedScreen[None]):
    """Every answer of an interview with its question, read-only."""

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = [("A", "approve"), ("X", "reject"), ("Esc", "back")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve"),
        Binding("x", "reject"),
        Binding("escape", "back"),
    ]

    def __init__(self, uuid: str) -> None:
        super().__init__(id="interview-view")
        self.uuid = uuid

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="iv-title", classes="section")
        yield DataTable(id="iv-answers", cursor_type="row")
        yield Static("", id="iv-notes", markup=False)
        yield KeyBar(id="keys")

    @on(DataTable.RowHighlighted, "#iv-answers")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The interviewer's notes on the highlighted question, in full, under the table."""
        key = str(event.row_key.value)
        self.query_one("#iv-notes", Static).update(
            f"{key}: {' '.join(self.notes[key])}" if key in self.notes else "")

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
        self.runner = InterviewRunner.restore(self.app.form, state.answers, state.position,
                                              clock=self.app.today)
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t, lang, form = self.app.t, self.app.lang, self.app.form
        d = form.default_language
        st = self.state
        self.query_one("#iv-title", Static).update(
            f"{t('read_only_view')} · {st.dwelling_id} · {st.interviewer} · "
            f"{t('rv_' + st.review_state)}")
        table = self.query_one("#iv-answers", DataTable)
        table.clear(columns=True)
        table.add_column(t("col_question"), width=36)
        table.add_column(t("col_answer"), width=16)
        table.add_column(fit(t("col_iv_notes"), 20), width=20)
        specials = {s.code: s.label.get(lang, d) for s in form.settings.special_answers}
        for rec in self.runner.records():
            q = form.question(rec.name)
            if not q.is_input:
                continue
            options = [(c.name, c.label.get(lang, d)) for c in form.choices(q)]
            label = q.label.get(lang, d) or q.name
            table.add_row(fit(f"{rec.key} {label}", 36),
                          fit(show_value(rec.value, options, specials), 16),
                          fit(" ".join(self.notes.get(rec.key, [])), 20), key=rec.key)

    def _reviewer(self) -> str:
        return self.app.reviewer or self.app.store.meta.get("interviewer") or "supervisor"

    def action_approve(self) -> None:
        """Key action: approve."""
        try:
            self.app.store.review(self.uuid, "approve", reviewer=self._reviewer())
        except FieldsurveyError as exc:
            self.app.notify(exc.message, severity="error")
            return
        self.app.notify(self.app.t("approved_msg"))
        self.app.pop_screen()

    def action_reject(self) -> None:
        """Key action: reject."""
        table = self.query_one("#iv-answers", DataTable)
        if not table.row_count:
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

        def done(text: str | None) -> None:
            if not text:
                return
            try:
                self.app.store.review(self.uuid, "reject", reviewer=self._reviewer(),
                                      question_comments={key: text})
            except FieldsurveyError as exc:
                self.app.notify(exc.message, severity="error")
                return
            self.app.notify(self.app.t("rejected_msg"))
            self.app.pop_screen()

        self.app.push_screen(CommentDialog(key), done)

    def action_back(self) -> None:
        """Key action: back."""
        self.app.pop_screen()
