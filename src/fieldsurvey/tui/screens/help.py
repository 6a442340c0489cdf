"""The keys of the app, in the current language."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from fieldsurvey.tui.i18n import HELP_KEYS

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    """A list of keys; any of Esc, F1, q closes it."""

    app: FieldsurveyApp
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close")]

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        t = self.app.t
        with VerticalScroll(id="dialog"):
            yield Label(t("help_title"), id="dialog-title")
            yield Static("\n".join(k + " " * max(1, 16 - cell_len(k)) + t(key)
                                   for k, key in (*HELP_KEYS, ("S / L", "help_sync"))),
                         markup=False)

    def action_close(self) -> None:
        """Key action: close."""
        self.dismiss(None)
