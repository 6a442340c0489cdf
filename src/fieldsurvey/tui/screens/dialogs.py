"""Small dialogs of the interview: a text with a reason or comment, and leaving.

:class:`TextDialog` asks for one line (the reason that confirms a soft warning, the
interviewer's comment on a question); :class:`LeaveDialog` shows how much of the
interview is answered and takes an optional appointment before the interviewer leaves.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from fieldsurvey.tui.screens.attempt import AppointmentError, parse_time

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.checking import Completion
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["LeaveDialog", "RemoveInstanceDialog", "TextDialog", "share_text"]


def share_text(app: FieldsurveyApp, done: Completion) -> str:
    """``已答 12/48 题 (25%) · 不足部分完成线 50%`` in the app's language."""
    rules = app.form.settings.completion
    status = {"complete": "share_complete", "partial": "share_partial",
              "break-off": "share_breakoff"}[done.status]
    return app.t("share", answered=done.answered, applicable=done.applicable,
                 share=f"{done.share:.0%}") + " · " + app.t(
        status, partial=f"{rules.partial:.0%}", complete=f"{rules.complete:.0%}")


class TextDialog(ModalScreen[str | None]):
    """One line of text that must not be empty; dismisses with it (None on Esc)."""

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, title_key: str, *, detail: str = "", value: str = "",
                 need_key: str = "need_reason", **fields: Any) -> None:
        super().__init__(id="text-dialog")
        self.title_key = title_key
        self.detail = detail
        self.value = value
        self.need_key = need_key
        self.fields = fields

    def compose(self) -> ComposeResult:
        """The title, the detail (e.g. the warning) and the input line."""
        with Vertical(id="dialog"):
            yield Label(self.app.t(self.title_key, **self.fields), id="dialog-title")
            yield Label(self.detail, id="dialog-detail", markup=False)
            yield Input(value=self.value, id="text")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language (the text typed is kept)."""
        self.query_one("#dialog-title", Label).update(self.app.t(self.title_key,
                                                                 **self.fields))

    @on(Input.Submitted, "#text")
    def _done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#dialog-error", Label).update(self.app.t(self.need_key))
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without a text."""
        self.dismiss(None)


class LeaveDialog(ModalScreen[tuple[str, dt.datetime | None] | None]):
    """Leaving an unfinished interview: the share answered, an optional appointment.

    Dismisses with ``("leave", appointment or None)``, or None when the interviewer
    goes back to the interview (Esc).
    """

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, done: Completion) -> None:
        super().__init__(id="leave-dialog")
        self.done = done

    def compose(self) -> ComposeResult:
        """The share answered and the appointment line."""
        t = self.app.t
        with Vertical(id="dialog"):
            yield Label(t("leave_title"), id="dialog-title")
            yield Label(share_text(self.app, self.done), id="leave-share", markup=False)
            yield Label(t("leave_appt"), id="leave-help")
            yield Input(placeholder=t("appt_examples"), id="appt")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        t = self.app.t
        self.query_one("#dialog-title", Label).update(t("leave_title"))
        self.query_one("#leave-share", Label).update(share_text(self.app, self.done))
        self.query_one("#leave-help", Label).update(t("leave_appt"))

    @on(Input.Submitted, "#appt")
    def _leave(self, event: Input.Submitted) -> None:
        try:
            when = parse_time(event.value, self.app.clock())
        except AppointmentError as exc:
            self.query_one("#dialog-error", Label).update(
                self.app.t("past_time" if exc.reason == "past" else "bad_time"))
            return
        self.dismiss(("leave", when))

    def action_cancel(self) -> None:
        """Back to the interview."""
        self.dismiss(None)


class RemoveInstanceDialog(ModalScreen[int | None]):
    """Which entry of a repeat to delete (its number); dismisses with it, or None (Esc).

    ``entries`` are the entries' short names (``1 刘洋``); the last one is offered.
    """

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]
    #: The dialog's words (zh, en).
    WORDS: ClassVar[dict[str, tuple[str, str]]] = {
        "title": ("删除一条 ({label})", "Delete an entry ({label})"),
        "help": ("输入要删除的序号 (1–{n})，Enter 删除，Esc 取消; 后面的序号前移",
                 "Type the number to delete (1–{n}), Enter deletes, Esc cancels; "
                 "later entries move up"),
        "bad": ("没有这一条: 请输入 1 到 {n}", "No such entry: type 1 to {n}"),
    }

    def __init__(self, label: str, entries: list[str]) -> None:
        super().__init__(id="remove-dialog")
        self.label = label
        self.entries = entries

    def _say(self, key: str, **fields: Any) -> str:
        zh, en = self.WORDS[key]
        return (zh if self.app.lang == "zh" else en).format(**fields)

    def compose(self) -> ComposeResult:
        """The repeat's entries and the number line."""
        n = len(self.entries)
        with Vertical(id="dialog"):
            yield Label(self._say("title", label=self.label), id="dialog-title",
                        markup=False)
            yield Label(" · ".join(self.entries), id="dialog-detail", markup=False)
            yield Label(self._say("help", n=n), id="remove-help")
            yield Input(value=str(n), id="number", type="integer")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language."""
        self.query_one("#dialog-title", Label).update(self._say("title", label=self.label))
        self.query_one("#remove-help", Label).update(self._say("help", n=len(self.entries)))

    @on(Input.Submitted, "#number")
    def _chosen(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        n = len(self.entries)
        if not text.isdigit() or not 1 <= int(text) <= n:
            self.query_one("#dialog-error", Label).update(self._say("bad", n=n))
            return
        self.dismiss(int(text))

    def action_cancel(self) -> None:
        """Keep every entry."""
        self.dismiss(None)
