"""One question on the page: its label, hint, answer widget and message line."""

from __future__ import annotations

from typing import Any, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.tui.widgets.choice_field import ChoiceField
from fieldsurvey.tui.widgets.odk_text import odk_text, plain_odk
from fieldsurvey.tui.widgets.wrapped_text import WrappedText

__all__ = ["QuestionView", "show_value"]

_INPUT_TYPE: dict[str, Literal["integer", "number", "text"]] = {"integer": "integer",
                                                                "decimal": "number"}


def show_value(value: Any, options: list[tuple[str, str]] | None = None,
               special_label: dict[int, str] | None = None) -> str:
    """An answer as the interviewer reads it (choice labels, specials by their label)."""
    if value is None:
        return ""
    if isinstance(value, SpecialAnswer):
        return (special_label or {}).get(value.code, value.name)
    labels = {name: plain_odk(label) for name, label in options or []}
    if isinstance(value, tuple):
        return "、".join(labels.get(v) or v for v in value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return str(labels.get(str(value), value)) if labels else str(value)


class QuestionView(Vertical):
    """A question on the page.

    Attributes go down (texts, options, value), messages up (the answer widgets' own
    :class:`ChoiceField.Picked` and ``Input`` messages).
    """

    DEFAULT_CSS = """
    QuestionView { height: auto; margin: 0 0 1 0; }
    QuestionView Input { border: none; height: 1; padding: 0 1; background: $boost; }
    QuestionView Input:focus { background: $primary 30%; }
    """

    def __init__(self, step: Step, *, label: str, hint: str, options: list[tuple[str, str]],
                 value: Any, special_label: dict[int, str], inline: bool, read_only: bool,
                 comment: str = "", flagged: bool = False, note: str = "",
                 exclusive: frozenset[str] = frozenset(), guidance: str = "",
                 media: str = "", empty: str = "") -> None:
        super().__init__()
        self.step = step
        self.label = label
        self.hint = hint
        self.options = options
        self.value = value
        self.special_label = special_label
        self.inline = inline
        self.read_only = read_only
        self.comment = comment
        self.flagged = flagged
        self.note = note
        self._error = ""
        self.exclusive = exclusive
        #: The form's guidance hint, the media files it names, what an empty list says.
        self.guidance = guidance
        self.media = media
        self.empty = empty
        #: A soft warning under the question ("" for none), set by the owner.
        self.warning = ""

    @property
    def kind(self) -> str:
        """The question type, or the step kind for repeats and the end page."""
        q = self.step.question
        return q.type if q is not None else self.step.kind

    def _header(self) -> Text:
        req = "*" if self.step.question is not None and self.step.question.required else ""
        flag = " ⚑" if self.flagged else ""
        # the form's markdown (**strong**, *em*, # headings, colour spans) as styles
        out = odk_text(self.label, "bold")
        out.append(f"{req}{flag}")  # in the label's bold
        if self.hint:
            out.append("\n").append_text(odk_text(self.hint, "dim"))
        if self.guidance:
            out.append("\n").append_text(odk_text(self.guidance, "dim italic"))
        if self.media:
            out.append(f"\n{self.media}", style="dim")
        if self.comment:
            out.append(f"\n{self.comment}", style="bold yellow")
        return out

    def _message(self) -> Text:
        if self._error:
            return Text(self._error, style="bold red")
        out = Text("")
        if isinstance(self.value, SpecialAnswer):
            out.append(show_value(self.value, None, self.special_label), style="bold yellow")
        if self.warning:
            if out.plain:
                out.append("\n")
            out.append(f"⚠ {self.warning}", style="bold yellow")
        return out

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        # Few widgets per question: mounting is most of the time a page takes to draw.
        self._error = ""
        yield WrappedText(self._header(), classes="q-label")
        special = self.value if isinstance(self.value, SpecialAnswer) else None
        if self.read_only or self.kind in ("note", "repeat", "end"):
            text = show_value(self.value, self.options, self.special_label)
            yield Static(text or self.note, classes="q-readonly", markup=False)
        elif self.kind in ("select_one", "select_multiple"):
            yield ChoiceField(self.options, multiple=self.kind == "select_multiple",
                              inline=self.inline, value=None if special else self.value,
                              exclusive=self.exclusive, id="answer", empty_text=self.empty)
        elif self.kind == "acknowledge":
            yield ChoiceField([("ok", "OK")], value="ok" if self.value in (True, "OK") else None,
                              inline=True, id="answer")
        else:
            text = "" if self.value is None or special else str(self.value)
            yield Input(value=text, type=_INPUT_TYPE.get(self.kind, "text"),
                        placeholder=self.note, id="answer", select_on_focus=False)
        message = self._message()
        msg = WrappedText(message, classes="q-error")
        msg.display = bool(message.plain)
        yield msg

    def answer_widget(self) -> ChoiceField | Input | None:
        """The widget that takes the answer (None for notes and read-only questions)."""
        found = self.query("#answer")
        return found.first() if found else None  # type: ignore[return-value]

    def _show_message(self) -> None:
        msg = self.query_one(".q-error", WrappedText)
        text = self._message()
        msg.update(text)
        msg.display = bool(text.plain)

    def set_warning(self, text: str) -> None:
        """Show (or clear with "") the soft warning under the question."""
        self.warning = text
        self._show_message()

    def set_error(self, text: str) -> None:
        """Show (or clear with "") the message under the question."""
        self._error = text
        self._show_message()

    def restore_value(self) -> None:
        """Show the saved answer again (after the form refused a new one)."""
        self.set_value(self.value)

    def set_value(self, value: Any) -> None:
        """Show a saved answer."""
        self.value = value
        special = value if isinstance(value, SpecialAnswer) else None
        self._show_message()
        w = self.answer_widget()
        if isinstance(w, ChoiceField):
            w.value = None if special else ("ok" if value is True else value)
        elif isinstance(w, Input) and special:
            w.value = ""
        elif self.read_only:
            self.query_one(".q-readonly", Static).update(
                show_value(value, self.options, self.special_label))
