"""One question on the page: its label, hint, answer widget and message line."""

from __future__ import annotations

from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.tui.widgets.choice_field import ChoiceField

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
    labels = dict(options or [])
    if isinstance(value, tuple):
        return "、".join(labels.get(v) or v for v in value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return str(labels.get(str(value), value)) if labels else str(value)


class QuestionView(Vertical):
    """A question: attributes down (texts, options, value), messages up (the answer
    widgets' own :class:`ChoiceField.Picked` and ``Input`` messages)."""

    DEFAULT_CSS = """
    QuestionView { height: auto; margin: 0 0 1 0; }
    QuestionView .q-label { text-style: bold; }
    QuestionView .q-hint { color: $text-muted; }
    QuestionView .q-error { color: $error; }
    QuestionView .q-special { color: $warning; text-style: bold; }
    QuestionView .q-comment { color: $warning; }
    QuestionView Input { border: none; height: 1; padding: 0 1; background: $boost; }
    QuestionView Input:focus { background: $primary 30%; }
    """

    def __init__(self, step: Step, *, label: str, hint: str, options: list[tuple[str, str]],
                 value: Any, special_label: dict[int, str], inline: bool, read_only: bool,
                 comment: str = "", flagged: bool = False, note: str = "") -> None:
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

    @property
    def kind(self) -> str:
        q = self.step.question
        return q.type if q is not None else self.step.kind

    def compose(self) -> ComposeResult:
        req = "*" if self.step.question is not None and self.step.question.required else ""
        flag = " ⚑" if self.flagged else ""
        yield Static(f"{self.label}{req}{flag}", classes="q-label", markup=False)
        if self.hint:
            yield Static(self.hint, classes="q-hint", markup=False)
        if self.comment:
            yield Static(self.comment, classes="q-comment", markup=False)
        special = self.value if isinstance(self.value, SpecialAnswer) else None
        if self.read_only or self.kind in ("note", "repeat", "end"):
            text = show_value(self.value, self.options, self.special_label)
            yield Static(text or self.note, classes="q-readonly", markup=False)
        elif self.kind in ("select_one", "select_multiple"):
            yield ChoiceField(self.options, multiple=self.kind == "select_multiple",
                              inline=self.inline, value=None if special else self.value,
                              id="answer")
        elif self.kind == "acknowledge":
            yield ChoiceField([("ok", "OK")], value="ok" if self.value is True else None,
                              inline=True, id="answer")
        else:
            text = "" if self.value is None or special else str(self.value)
            yield Input(value=text, type=_INPUT_TYPE.get(self.kind, "text"),
                        placeholder=self.note, id="answer", select_on_focus=False)
        sp = Static(show_value(special, None, self.special_label) if special else "",
                    classes="q-special", markup=False)
        sp.display = special is not None
        yield sp
        err = Static("", classes="q-error", markup=False)
        err.display = False
        yield err

    def answer_widget(self) -> ChoiceField | Input | None:
        """The widget that takes the answer (None for notes and read-only questions)."""
        found = self.query("#answer")
        return found.first() if found else None  # type: ignore[return-value]

    def set_error(self, text: str) -> None:
        """Show (or clear with "") the message under the question."""
        err = self.query_one(".q-error", Static)
        err.update(text)
        err.display = bool(text)

    def set_value(self, value: Any) -> None:
        """Show a saved answer."""
        self.value = value
        special = value if isinstance(value, SpecialAnswer) else None
        sp = self.query_one(".q-special", Static)
        sp.update(show_value(special, None, self.special_label) if special else "")
        sp.display = special is not None
        w = self.answer_widget()
        if isinstance(w, ChoiceField):
            w.value = None if special else ("ok" if value is True else value)
        elif isinstance(w, Input) and special:
            w.value = ""
        elif self.read_only:
            self.query_one(".q-readonly", Static).update(
                show_value(value, self.options, self.special_label))
