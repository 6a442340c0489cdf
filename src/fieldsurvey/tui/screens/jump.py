"""Jump to any question: type part of its number (``b3``) or of its text (``满意``).

The list holds every relevant question of the interview (in order, with the section it
belongs to); typing filters it, Enter jumps to the highlighted one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.widgets.odk_text import plain_odk

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["JumpDialog", "jump_targets", "match_targets"]


def jump_targets(runner: InterviewRunner, lang: str) -> list[tuple[str, str]]:
    """``(key, label)`` of every question the interviewer can jump to (relevant, shown.

    Calculations and hidden metadata left out).
    """
    out = []
    for s in runner.steps():
        q = s.question
        if q is None or q.type == "calculate" or not (q.is_input or q.type == "note"):
            continue
        if getattr(q, "hidden", False):
            continue
        # one line per question: ODK's marks and line breaks left out
        label = " ".join(plain_odk(runner.text(s, "label", lang)).split())
        out.append((s.key, label or q.name))
    return out


def match_targets(targets: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The targets matching ``text``: keys starting with it, keys and labels containing it.

    All of them when ``text`` is empty.
    """
    needle = text.strip().lower()
    if not needle:
        return targets
    by_key = [t for t in targets if t[0].lower().startswith(needle)]
    in_key = [t for t in targets if needle in t[0].lower() and t not in by_key]
    in_label = [t for t in targets if needle in t[1].lower() and t not in by_key
                and t not in in_key]
    return by_key + in_key + in_label


class JumpDialog(ModalScreen[str | None]):
    """Search box over the questions; dismisses with the key to go to (None: cancelled)."""

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel"),
        Binding("down", "to_list", show=False),
    ]

    def __init__(self, runner: InterviewRunner) -> None:
        super().__init__(id="jump-dialog")
        self.runner = runner
        self.targets: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        """The title, the search line and the list of questions."""
        with Vertical(id="dialog"):
            yield Label(self.app.t("jump_title"), id="dialog-title")
            yield Input(placeholder=self.app.t("jump_search"), id="jump-search")
            yield OptionList(id="questions-list")
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        """Fill the list."""
        self.targets = jump_targets(self.runner, self.app.lang)
        self._fill("")

    def _fill(self, text: str) -> None:
        found = match_targets(self.targets, text)
        lst = self.query_one("#questions-list", OptionList)
        lst.clear_options()
        # the form's text as typed: "[Your Name]" or "[/]" is not markup here
        lst.add_options([Option(Text(fit(f"{k}  {label}", 60)), id=k) for k, label in found])
        if found:
            lst.highlighted = 0
        self.query_one("#dialog-error", Label).update(
            "" if found else self.app.t("jump_none"))

    def relabel(self) -> None:
        """Redraw in the app's current language (the search typed is kept)."""
        self.query_one("#dialog-title", Label).update(self.app.t("jump_title"))
        search = self.query_one("#jump-search", Input)
        search.placeholder = self.app.t("jump_search")
        self.targets = jump_targets(self.runner, self.app.lang)
        self._fill(search.value)

    @on(Input.Changed, "#jump-search")
    def _typed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#jump-search")
    def _first(self) -> None:
        lst = self.query_one("#questions-list", OptionList)
        if lst.highlighted is not None and lst.option_count:
            self.dismiss(lst.get_option_at_index(lst.highlighted).id)

    @on(OptionList.OptionSelected, "#questions-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_to_list(self) -> None:
        """From the search line down into the list."""
        lst = self.query_one("#questions-list", OptionList)
        if not lst.has_focus:
            lst.focus()
        else:
            lst.action_cursor_down()

    def action_cancel(self) -> None:
        """Close without jumping."""
        self.dismiss(None)
