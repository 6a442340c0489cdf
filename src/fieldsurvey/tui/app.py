"""The Textual app and its factory :func:`make_app` (shared by the CLI and the tests).

The app holds the store, the questionnaire, the language and the injected clock and
random generator; screens read them from ``self.app``. Slow reads run in thread workers
on their own read-only connection (:meth:`FieldsurveyApp.reader`); every write goes
through the app's :class:`FieldStore`, committed before the call returns.

Start-up: the household list is drawn from a plain read-only SQLite connection
(:func:`~fieldsurvey.tui.casedata.case_rows`), so the command shows it before pandas,
numpy, the store's classes and the questionnaire are imported; the store is opened and
the form loaded when first needed (a worker warms them up once the list is drawn).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from fieldsurvey.tui.i18n import tr

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from fieldsurvey.questionnaire import Form
    from fieldsurvey.store.store import FieldStore

__all__ = ["FieldsurveyApp", "make_app"]

Clock = Callable[[], dt.datetime]

#: Cells the header has for "title — form title" at 80 columns (icon and margins aside).
HEADER_CELLS = 62


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

    def __init__(self, store: FieldStore | Path, form: Form | None = None, *,
                 language: str = "zh", supervisor: bool = False, clock: Clock | None = None,
                 rng: np.random.Generator | int | None = None, server: str | None = None,
                 reviewer: str | None = None, review_tier: str = "supervisor") -> None:
        super().__init__()
        self._store = None if isinstance(store, Path) else store
        self.store_path: Path = store if isinstance(store, Path) else Path(store.path)
        self._form = form
        self._form_given = form is not None
        #: the sync server's address given at start (else the last one in the sync log)
        self.server = server
        #: who signs the supervisor's reviews (None: the store's interviewer, "supervisor")
        self.reviewer = reviewer
        #: the review tier the supervisor screens decide at: ``supervisor`` or ``hq``
        self.review_tier = review_tier
        self._form_lock = threading.Lock()
        self.lang = "en" if language.startswith("en") else "zh"
        self.supervisor = supervisor
        self.clock: Clock = clock or (lambda: dt.datetime.now().astimezone())
        self._rng = rng

    @property
    def store(self) -> FieldStore:
        """The field store every write goes through (opened on first use, on the UI thread)."""
        if self._store is None:
            from fieldsurvey.store.store import FieldStore

            self._store = FieldStore.open(self.store_path)
        return self._store

    def forget_form(self) -> None:
        """Load the pinned form again when next needed (a sync may bring a newer version).

        A form given to :func:`make_app` is kept.
        """
        if not self._form_given:
            with self._form_lock:
                self._form = None

    def close_sessions(self, how: str) -> None:
        """Record every open interview session as a visit and make the store file complete.

        Before quitting and before a sync: answers are saved as entered; this ends the
        session (its visit) and checkpoints the store (issue 21).
        """
        from fieldsurvey.tui.session import checkpoint

        for screen in self.screen_stack:
            end = getattr(screen, "end_session", None)
            if end is not None:
                end(how=how)
        if self._store is not None:
            checkpoint(self._store)

    def close_store(self) -> None:
        """Close the store if the app opened it (the CLI calls this after the app ends)."""
        if self._store is not None:
            self._store.close()

    @property
    def form(self) -> Form:
        """The questionnaire pinned in the store (loaded on first use)."""
        with self._form_lock:
            if self._form is None:
                self._form = _pinned_form(self.store_path)
            return self._form

    @property
    def rng(self) -> np.random.Generator:
        """Generator for exact random respondent selection."""
        import numpy as np

        if not isinstance(self._rng, np.random.Generator):
            self._rng = np.random.default_rng(self._rng)
        return self._rng

    @work(thread=True, exclusive=True, group="warm")
    def warm_up(self) -> None:
        """Load the form and import the store's modules off the UI thread.

        Run after the household list is drawn, so opening a household is quick.
        """
        import fieldsurvey.store.store  # noqa: F401 - imported for its side: warm

        _ = self.form
        self.call_from_thread(self._titles)

    # -- helpers for screens ---------------------------------------------------------
    def t(self, text_key: str, /, **fields: Any) -> str:
        """A UI text in the current language."""
        return tr(text_key, self.lang, **fields)

    @contextmanager
    def reader(self) -> Iterator[FieldStore]:
        """A read-only connection to the store for a worker thread."""
        from fieldsurvey.store.store import FieldStore

        st = FieldStore.open(self.store_path, readonly=True, check=False)
        try:
            yield st
        finally:
            st.close()

    def today(self) -> dt.date:
        """Today's date by the injected clock."""
        return self.clock().date()

    # -- app --------------------------------------------------------------------------
    def _titles(self) -> None:
        """Title and form title in the header.

        The form title is shortened between words so the header never cuts a word at 80
        columns.
        """
        from fieldsurvey.tui.cells import cell_len, fit

        role = "hq_title" if self.review_tier == "hq" else "supervisor_title"
        self.title = self.t(role if self.supervisor else "app_title")
        if self._form is None:  # drawn again once the form is loaded
            return
        form_title = self._form.settings.title.get(self.lang, self._form.default_language)
        self.sub_title = fit(form_title, max(10, HEADER_CELLS - cell_len(self.title) - 3))

    def on_mount(self) -> None:
        """Open the first screen: the household list, or the supervisor's."""
        self._titles()
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
        """Quit.

        An open interview session is recorded as a visit, the store's main file made
        complete (checkpoint), then the app exits. Answers were saved as entered.

        While a sync runs on a worker, the app waits for it with a notice (the screen that
        runs it calls :meth:`quit_now` when it is done): quitting mid-sync would leave its
        result unlogged and the household list unread.
        """
        for screen in self.screen_stack:
            hold = getattr(screen, "hold_quit", None)
            if hold is not None and hold():
                return
        self.quit_now()

    def quit_now(self) -> None:
        """End the open sessions, checkpoint the store and exit."""
        self.close_sessions("quit")
        self.exit()

    def action_toggle_language(self) -> None:
        """Switch 中文 / English on every open screen."""
        self.lang = "en" if self.lang == "zh" else "zh"
        self._titles()
        for screen in self.screen_stack:
            for name in ("relabel", "draw_keys"):
                method = getattr(screen, name, None)
                if method is not None:
                    method()


def _connect(path: Path) -> sqlite3.Connection:
    """A read-only connection (no writes, no journal files made) to check and read."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _pinned_form(path: Path) -> Form:
    """The questionnaire pinned for the store's assignments (else the newest)."""
    from fieldsurvey.questionnaire import load_form

    conn = _connect(path)
    try:
        pinned = conn.execute("SELECT form_id, form_version FROM assignments WHERE form_id "
                              "IS NOT NULL ORDER BY community_id, line, dwelling_id "
                              "LIMIT 1").fetchone()
        forms = conn.execute("SELECT form_id, version, filename, content FROM forms "
                             "ORDER BY rowid").fetchall()
    finally:
        conn.close()
    want = (str(pinned[0]), str(pinned[1] or "")) if pinned else None
    f = next((f for f in forms if (f[0], f[1]) == want), forms[-1])
    name, content = f[2], f[3]
    # the form is read from a temporary copy, removed at once (nothing left in /tmp)
    with tempfile.TemporaryDirectory(prefix="fieldsurvey-form-") as folder:
        tmp = Path(folder) / Path(name).name
        tmp.write_bytes(content)
        return load_form(tmp)


def _check_store(path: Path) -> None:
    """Refuse a file that is not a field store with a pinned questionnaire.

    One clear message; cheap (plain SQLite, nothing imported).
    """
    from fieldsurvey.io.errors import StoreError

    try:
        conn = _connect(path)
        try:
            n = conn.execute("SELECT count(*) FROM forms").fetchone()[0]
            conn.execute("SELECT dwelling_id FROM assignments LIMIT 1").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError("this file is not a fieldsurvey field store", file=str(path),
                         got=str(exc), hint="Give the .sqlite file made by "
                         "`fieldsurvey assign` (or `fieldsurvey merge`)") from exc
    if not n:
        raise StoreError("no questionnaire is pinned in this store", file=str(path),
                         hint="Assign the cases with `fieldsurvey assign --form FORM`")


def make_app(store: FieldStore | str | Path, form: Form | None = None, *,
             language: str = "zh", supervisor: bool = False, clock: Clock | None = None,
             rng: np.random.Generator | int | None = None, server: str | None = None,
             reviewer: str | None = None, review_tier: str = "supervisor") -> FieldsurveyApp:
    """Build the app over a field store.

    Parameters
    ----------
    store
        An open :class:`FieldStore`, or its path (opened when first needed).
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
    server
        The sync server's address for the household list's sync key (default: the last
        server in the device's sync log).
    reviewer
        The name the supervisor's reviews are recorded with.
    review_tier
        The tier the supervisor screens review at: ``supervisor`` (approve or reject what
        interviewers completed) or ``hq`` (what the supervisor approved); the rules are
        :func:`fieldsurvey.store.review.review`'s.
    """
    source: FieldStore | Path = store if not isinstance(store, str | Path) else Path(store)
    path = source if isinstance(source, Path) else Path(source.path)
    if review_tier not in ("supervisor", "hq"):
        from fieldsurvey.io.errors import InputError

        raise InputError("the review tier is supervisor or hq", field="--as",
                         got=repr(review_tier))
    if form is None:
        _check_store(path)
    return FieldsurveyApp(source, form, language=language, supervisor=supervisor,
                          clock=clock, rng=rng, server=server, reviewer=reviewer,
                          review_tier=review_tier)
