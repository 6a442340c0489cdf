"""The review page: what needs a look before the interview is submitted.

Unanswered required questions, flagged ones, special answers, confirmed warnings and
comments; the interview is submitted as complete or partial from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.tui.screens._base import KeyedScreen
from fieldsurvey.tui.screens.dialogs import share_text
from fieldsurvey.tui.widgets.key_bar import KeyBar
from fieldsurvey.tui.widgets.odk_text import plain_odk

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["ReviewScreen"]


class ReviewScreen(KeyedScreen[str | None]):
    """Dismisses with the key to go to, ``"@done"`` after submitting, or None."""

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", "goto"),
        ("C", "complete"),
        ("P", "partial"),
        ("Esc", "back"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "complete"),
        Binding("p", "partial"),
        Binding("escape", "back"),
    ]

    def __init__(self, uuid: str, runner: InterviewRunner, flags: set[str],
                 comments: dict[str, str], notes: dict[str, str] | None = None, *,
                 on_submit: Callable[[str], None] | None = None,
                 before_submit: Callable[[], None] | None = None) -> None:
        super().__init__(id="review")
        self.uuid = uuid
        self.runner = runner
        self.flags = flags
        self.comments = comments
        self.notes = notes or {}
        self.on_submit = on_submit
        self.before_submit = before_submit  # e.g. save the metadata answers

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="review-title", classes="section")
        yield OptionList(id="review-items")
        yield Static("", id="review-status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.relabel()

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t, r = self.app.t, self.runner
        self.query_one("#review-title", Static).update(t("review_title"))
        items = self.query_one("#review-items", OptionList)
        items.clear_options()
        seen = set()
        rows: list[tuple[str, str]] = []
        for s in r.missing_required():
            rows.append((s.key, f"{s.key} {r.text(s, lang=self.app.lang)} — {t('unanswered')}"))
            seen.add(s.key)
        for s in r.steps():
            if s.key in seen or s.question is None:
                continue
            why = []
            if s.key in self.flags:
                why.append(t("flagged"))
            if isinstance(r.value(s.key), SpecialAnswer):
                why.append(t("special"))
            if s.key in self.comments:
                why.append(t("comment_on_q", text=self.comments[s.key]))
            if s.key in self.notes:
                why.append(t("note_on_q", text=self.notes[s.key]))
            msg = r.warning(s)
            if msg:
                reason = r.confirmed.get(s.key)
                why.append(t("warning_confirmed", msg=msg, reason=reason) if reason
                           else t("warning_open", msg=msg))
            if why:
                label = " ".join(plain_odk(r.text(s, lang=self.app.lang)).split())
                rows.append((s.key, f"{s.key} {label} — {' · '.join(why)}"))
        items.add_options([Option(Text(text), id=key) for key, text in rows])  # not markup
        done = not r.missing_required()
        self.query_one("#review-status", Static).update(
            (t("all_good") if done else t("cannot_complete")) + "\n"
            + share_text(self.app, r.completion()))

    @on(OptionList.OptionSelected, "#review-items")
    def _go(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def _submit(self, outcome: str) -> None:
        t = self.app.t
        if outcome == "1.1" and self.runner.missing_required():
            self.app.notify(t("cannot_complete"), severity="error")
            return
        done = self.runner.completion()
        if outcome == "1.2" and done.status == "break-off":
            # AAPOR: below the form's partial threshold it is a break-off, not a partial
            msg = t("partial_refused", share=f"{done.share:.0%}",
                    partial=f"{self.app.form.settings.completion.partial:.0%}")
            self.query_one("#review-status", Static).update(msg)
            self.app.notify(msg, severity="error")
            return
        try:
            if self.before_submit is not None:
                self.before_submit()
            self.app.store.complete(self.uuid, outcome=outcome)
        except FieldsurveyError as exc:
            self.app.notify(exc.message, severity="error")
            return
        if self.on_submit is not None:
            self.on_submit(outcome)
        self.app.notify(t("completed_msg"))
        self.dismiss("@done")

    def action_complete(self) -> None:
        """Key action: complete."""
        self._submit("1.1")

    def action_partial(self) -> None:
        """Key action: partial."""
        self._submit("1.2")

    def action_back(self) -> None:
        """Key action: back."""
        self.dismiss(None)
