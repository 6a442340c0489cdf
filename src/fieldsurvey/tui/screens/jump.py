"""Jump to a section of the questionnaire (its top-level groups and repeats)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from fieldsurvey.questionnaire.model import Group, Repeat
from fieldsurvey.questionnaire.runner import InterviewRunner

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["JumpDialog"]


class JumpDialog(ModalScreen[str | None]):
    """Lists the sections.

    Dismisses with the key of the first relevant step of the chosen one (None when
    cancelled).
    """

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel")]

    def __init__(self, runner: InterviewRunner) -> None:
        super().__init__(id="jump-dialog")
        self.runner = runner

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        with Vertical(id="dialog"):
            yield Label(self.app.t("sections"), id="dialog-title")
            yield OptionList(*self._options(), id="sections")

    def _options(self) -> list[Option]:
        form, lang = self.app.form, self.app.lang
        return [Option(it.label.get(lang, form.default_language) or it.name, id=it.name)
                for it in form.children if isinstance(it, Group | Repeat)]

    def relabel(self) -> None:
        """Redraw in the app's current language (the highlighted section is kept)."""
        self.query_one("#dialog-title", Label).update(self.app.t("sections"))
        sections = self.query_one("#sections", OptionList)
        keep = sections.highlighted
        sections.clear_options()
        sections.add_options(self._options())
        sections.highlighted = keep

    @on(OptionList.OptionSelected, "#sections")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        for s in self.runner.steps():
            item = s.question or s.repeat
            if item is not None and (name in item.parents or item.name == name) and (
                    s.question is None or s.question.type != "calculate"):
                self.dismiss(s.key)
                return
        self.app.notify(self.app.t("not_reachable"), severity="warning")

    def action_cancel(self) -> None:
        """Key action: cancel."""
        self.dismiss(None)
