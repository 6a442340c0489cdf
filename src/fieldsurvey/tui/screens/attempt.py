"""Record a contact attempt: pick the AAPOR outcome, an appointment time and a note."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from fieldsurvey.tui.i18n import OUTCOME_CHOICES, outcome_label

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["AttemptDialog", "parse_time"]


def parse_time(text: str) -> dt.datetime | None:
    """``YYYY-MM-DD HH:MM`` (or ``MM-DD HH:MM`` this year) as a datetime; None if empty.

    Raises ValueError for anything else.
    """
    text = " ".join(text.replace("T", " ").split())
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


class AttemptDialog(ModalScreen[str | None]):
    """Choose the outcome of a visit; dismisses with the attempt id (None if cancelled)."""

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, dwelling_id: str) -> None:
        super().__init__(id="attempt-dialog")
        self.dwelling_id = dwelling_id
        self.code: str | None = None

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        t = self.app.t
        with Vertical(id="dialog"):
            yield Label(t("pick_outcome"), id="dialog-title")
            yield OptionList(*[Option(outcome_label(c, self.app.lang), id=c)
                               for c in OUTCOME_CHOICES], id="outcomes")
            yield Label(t("appointment"), id="appt-label")
            yield Input(placeholder="2026-11-22 18:30", id="appt")
            yield Input(placeholder=t("note"), id="note")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language (the choice made is kept)."""
        t, lang = self.app.t, self.app.lang
        self.query_one("#dialog-title", Label).update(t("pick_outcome"))
        self.query_one("#appt-label", Label).update(t("appointment"))
        self.query_one("#note", Input).placeholder = t("note")
        outcomes = self.query_one("#outcomes", OptionList)
        keep = outcomes.highlighted
        outcomes.clear_options()
        outcomes.add_options([Option(outcome_label(c, lang), id=c) for c in OUTCOME_CHOICES])
        outcomes.highlighted = keep

    @on(OptionList.OptionSelected, "#outcomes")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.code = event.option.id
        self.query_one("#appt", Input).focus()

    @on(Input.Submitted, "#appt")
    def _appt_done(self) -> None:
        if self._check_time() is not False:
            self.query_one("#note", Input).focus()

    def _check_time(self) -> dt.datetime | None | bool:
        err = self.query_one("#dialog-error", Label)
        try:
            when = parse_time(self.query_one("#appt", Input).value)
        except ValueError:
            err.update(self.app.t("bad_time"))
            return False
        err.update("")
        return when

    @on(Input.Submitted, "#note")
    def _save(self) -> None:
        if self.code is None:
            self.query_one("#outcomes", OptionList).focus()
            return
        when = self._check_time()
        if when is False:
            self.query_one("#appt", Input).focus()
            return
        note = self.query_one("#note", Input).value.strip() or None
        appt = when if isinstance(when, dt.datetime) else None
        attempt_id = self.app.store.record_attempt(self.dwelling_id, self.code,
                                                   appointment=appt, note=note)
        self.app.notify(self.app.t("saved_attempt", label=outcome_label(self.code,
                                                                          self.app.lang)))
        self.dismiss(attempt_id)

    def action_cancel(self) -> None:
        """Key action: cancel."""
        self.dismiss(None)
