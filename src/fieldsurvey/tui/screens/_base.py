"""What every full screen shares: the key bar at the bottom, in the current language."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from textual.screen import Screen

from fieldsurvey.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["KeyedScreen"]

R = TypeVar("R")


class KeyedScreen(Screen[R], Generic[R]):
    """A screen whose ``KEYS`` (key shown, UI text key) are drawn in a :class:`KeyBar`.

    Yield ``KeyBar(id="keys")`` last in ``compose``.
    """

    app: FieldsurveyApp
    KEYS: ClassVar[list[tuple[str, str]]] = []

    def on_mount(self) -> None:
        self.draw_keys()

    def draw_keys(self) -> None:
        """Draw the key bar in the app's current language."""
        bar = self.query("#keys")
        if bar:
            bar.first(KeyBar).show([(k, self.app.t(t)) for k, t in self.KEYS]
                                   + [("F4", self.app.t("language")), ("F1", self.app.t("help"))])
