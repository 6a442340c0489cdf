"""Record a contact attempt: pick the AAPOR outcome, an appointment time and a note."""

from __future__ import annotations

import datetime as dt
import re
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

__all__ = ["AppointmentError", "AttemptDialog", "parse_time"]


class AppointmentError(ValueError):
    """An appointment time that cannot be used: ``reason`` is ``unparsable`` or ``past``."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.text = text
        self.reason = reason


_DAY_WORDS = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "后天": 2}
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_OFFSET = re.compile(r"^\+(\d{1,3})\s*([dh天])$")


def _clock(text: str) -> dt.time | None:
    m = _CLOCK.match(text)
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    return dt.time(h, mi) if h < 24 and mi < 60 else None


def parse_time(text: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """An appointment typed as the interviewer would, as a datetime; None if empty.

    Accepted: ``YYYY-MM-DD HH:MM``, ``MM-DD HH:MM`` (the next such date), ``HH:MM``
    (today), ``明天 18:30`` / ``后天 9:00`` / ``今天 20:00`` (also ``tomorrow``), ``+2d``
    (two days from now, same time; ``+2d 18:30`` at that time) and ``+3h``. The result
    carries ``now``'s time zone.

    Raises
    ------
    AppointmentError
        ``unparsable`` for anything else, ``past`` for a time before ``now``.
    """
    now = now or dt.datetime.now().astimezone()
    raw = text
    text = " ".join(text.replace("T", " ").split()).lower()
    if not text:
        return None
    when = _parse(text, now)
    if when is None:
        raise AppointmentError(raw, "unparsable")
    if when < now:
        raise AppointmentError(raw, "past")
    return when


def _parse(text: str, now: dt.datetime) -> dt.datetime | None:
    tz = now.tzinfo
    parts = text.split(" ")
    day_part, time_part = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
    if len(parts) > 2:
        return None
    at = _clock(time_part) if time_part else None
    if time_part and at is None:
        return None
    if len(parts) == 1 and (t := _clock(day_part)) is not None:
        return dt.datetime.combine(now.date(), t, tz)
    if day_part in _DAY_WORDS:
        if at is None:
            return None
        return dt.datetime.combine(now.date() + dt.timedelta(days=_DAY_WORDS[day_part]), at, tz)
    m = _OFFSET.match(day_part)
    if m is not None:
        n, unit = int(m.group(1)), m.group(2)
        if unit == "h":
            return None if at else now + dt.timedelta(hours=n)
        day = now + dt.timedelta(days=n)
        return dt.datetime.combine(day.date(), at, tz) if at else day.replace(second=0,
                                                                              microsecond=0)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            d = dt.datetime.strptime(day_part, fmt).date()
        except ValueError:
            continue
        return dt.datetime.combine(d, at or dt.time(0, 0), tz) if at or not time_part else None
    m2 = re.match(r"^(\d{1,2})[-/.](\d{1,2})$", day_part)
    if m2 is not None and at is not None:
        month, day_n = int(m2.group(1)), int(m2.group(2))
        try:
            cand = dt.datetime.combine(dt.date(now.year, month, day_n), at, tz)
        except ValueError:
            return None
        if (now - cand).days > 180:  # 01-05 typed in December: next January
            cand = cand.replace(year=now.year + 1)
        return cand  # a date of the last months stays in the past: refused
    return None


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
            yield Input(placeholder=t("appt_examples"), id="appt")
            yield Input(placeholder=t("note"), id="note")
            yield Label("", id="dialog-error")

    def relabel(self) -> None:
        """Redraw in the app's current language (the choice made is kept)."""
        t, lang = self.app.t, self.app.lang
        self.query_one("#dialog-title", Label).update(t("pick_outcome"))
        self.query_one("#appt-label", Label).update(t("appointment"))
        self.query_one("#note", Input).placeholder = t("note")
        self.query_one("#appt", Input).placeholder = t("appt_examples")
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
            when = parse_time(self.query_one("#appt", Input).value, self.app.clock())
        except AppointmentError as exc:
            err.update(self.app.t("past_time" if exc.reason == "past" else "bad_time"))
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
