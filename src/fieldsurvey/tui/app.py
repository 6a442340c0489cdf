"""The Textual app and its factory :func:`make_app` (shared by the CLI and the tests).

The app holds the store, the questionnaire, the language and the injected clock and
random generator; screens read them from ``self.app``. Slow reads run in thread workers
on their own read-only connection (:meth:`FieldsurveyApp.reader`); every write goes
through the app's :class:`FieldStore`, committed before the call returns.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from textual.app import App
from textual.binding import Binding, BindingType

from fieldsurvey.questionnaire import Form, load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.i18n import tr

__all__ = ["FieldsurveyApp", "make_app"]

Clock = Callable[[], dt.datetime]


class FieldsurveyApp(App[None]):
    """The interviewer (or supervisor) app over one field store."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "fieldsurvey"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", show=False),
        Binding("question_mark", "help", show=False),
        Binding("f4", "toggle_language", show=False, priority=True),
        Binding("ctrl+q", "quit", show=False, priority=True),
    ]

    def __init__(self, store: FieldStore, form: Form, *, language: str = "zh",
                 supervisor: bool = False, clock: Clock | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.store = store
        self.form = form
        self.lang = "en" if language.startswith("en") else "zh"
        self.supervisor = supervisor
        self.clock: Clock = clock or (lambda: dt.datetime.now().astimezone())
        self.rng = rng if rng is not None else np.random.default_rng()

    # -- helpers for screens ---------------------------------------------------------
    def t(self, text_key: str, /, **fields: Any) -> str:
        """A UI text in the current language."""
        return tr(text_key, self.lang, **fields)

    @contextmanager
    def reader(self) -> Iterator[FieldStore]:
        """A read-only connection to the store for a worker thread."""
        st = FieldStore.open(self.store.path, readonly=True, check=False)
        try:
            yield st
        finally:
            st.close()

    def today(self) -> dt.date:
        """Today's date by the injected clock."""
        return self.clock().date()

    # -- app --------------------------------------------------------------------------
    def on_mount(self) -> None:
        """Draw the screen once it is mounted."""
        self.title = self.t("supervisor_title" if self.supervisor else "app_title")
        self.sub_title = self.form.settings.title.get(self.lang, self.form.default_language)
        if self.supervisor:
            from fieldsurvey.tui.screens.supervisor import SupervisorScreen

            self.push_screen(SupervisorScreen())
        else:
            from fieldsurvey.tui.screens.assignments import AssignmentListScreen

            self.push_screen(AssignmentListScreen())

    def action_help(self) -> None:
        """Key action: help."""
        from fieldsurvey.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit: an open interview session is recorded as a visit, the store's main file
        made complete (checkpoint), then the app exits. Answers were saved as entered.
        """
        from fieldsurvey.tui.session import checkpoint

        for screen in self.screen_stack:
            end = getattr(screen, "end_session", None)
            if end is not None:
                end(how="quit")
        checkpoint(self.store)
        self.exit()

    def action_toggle_language(self) -> None:
        """Switch 中文 / English on every open screen."""
        self.lang = "en" if self.lang == "zh" else "zh"
        self.title = self.t("supervisor_title" if self.supervisor else "app_title")
        self.sub_title = self.form.settings.title.get(self.lang, self.form.default_language)
        for screen in self.screen_stack:
            for name in ("relabel", "draw_keys"):
                method = getattr(screen, name, None)
                if method is not None:
                    method()


def _pinned_form(store: FieldStore) -> Form:
    forms = store.forms()
    if not forms:
        from fieldsurvey.io.errors import StoreError

        raise StoreError("no questionnaire is pinned in this store", file=str(store.path),
                         hint="Assign the cases with `fieldsurvey assign --form FORM`")
    a = store.assignments()
    want = None
    if len(a) and "form_id" in a.columns and a["form_id"].notna().any():
        row = a[a["form_id"].notna()].iloc[0]
        want = (str(row["form_id"]), str(row["form_version"] or ""))
    f = next((f for f in forms if (f["form_id"], f["version"]) == want), forms[-1])
    name, content = store.form_file(f["form_id"], f["version"])
    # the form is read from a temporary copy, removed at once (nothing left in /tmp)
    with tempfile.TemporaryDirectory(prefix="fieldsurvey-form-") as folder:
        tmp = Path(folder) / Path(name).name
        tmp.write_bytes(content)
        return load_form(tmp)


def make_app(store: FieldStore | str | Path, form: Form | None = None, *,
             language: str = "zh", supervisor: bool = False, clock: Clock | None = None,
             rng: np.random.Generator | int | None = None) -> FieldsurveyApp:
    """Build the app over a field store.

    Parameters
    ----------
    store
        An open :class:`FieldStore` (or its path).
    form
        The questionnaire; default the one pinned in the store for its assignments.
    language
        ``zh`` or ``en`` at start (F4 switches).
    supervisor
        Open the supervisor's screens (progress, review) instead of the household list.
    clock
        Wall clock for appointments and ``today()`` (inject a fixed one in tests).
    rng
        Generator (or seed) for exact random respondent selection.
    """
    st = store if isinstance(store, FieldStore) else FieldStore.open(store)
    return FieldsurveyApp(st, form or _pinned_form(st), language=language,
                          supervisor=supervisor, clock=clock,
                          rng=rng if isinstance(rng, np.random.Generator)
                          else np.random.default_rng(rng))
