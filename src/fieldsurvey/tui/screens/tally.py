"""The tally screen: the survey's participation and the form's indicators, as fieldwork goes.

Reached from the supervisor screen (``y``); read-only. The figures come from
:class:`fieldsurvey.estimate.tally.TallySession` (the numbers of ``fieldsurvey estimate``,
the demo and the report; computed on a worker thread, and on a refresh only the cases
written since the last computation are read again): AAPOR RR1/RR3/COOP1/REF1/CON1 with
the counts behind them by community or interviewer (``g``); for each declared indicator
(``i`` cycles) the 0-100 index or the share with its 95 % CI, the top-two-box share and
n, for the district and each community, unweighted, design-weighted (base x Kish) or
with the final weights when the app was given a weights file (``w`` cycles; the title
says which). Communities with fewer completes than ``min_completes`` are greyed with
their n. ``s`` sorts; ``r``, coming back to the screen, and a change of the store file
(a sync or a merge; checked every ``POLL_S`` seconds) recompute.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, set_cell_size
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static

from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.tui.widgets.figure_table import FigureTable
from fieldsurvey.tui.widgets.tally_table import indicator_rows, rate_rows, tx

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.estimate.tally import Tally
    from fieldsurvey.estimate.tally_session import TallySession
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["TallyScreen", "prefetch"]


class _Prefetch:
    """A tally computed in the background before the screen is opened (see :func:`prefetch`)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.session: TallySession | None = None
        self.form: Any = None

    def run(self, app: FieldsurveyApp, path: Path) -> None:
        from fieldsurvey.estimate.tally_session import TallySession

        try:
            try:
                self.form = app.form
            except Exception:  # noqa: BLE001 - no single pinned form: the store's own rule
                self.form = None
            session = TallySession(path, form=self.form)
            session.compute(only=("unweighted",))
            self.session = session
        except Exception:  # noqa: BLE001 - the screen computes again and shows the error
            self.session = None
        finally:
            self.done.set()


_PREFETCHED: weakref.WeakKeyDictionary[Any, _Prefetch] = weakref.WeakKeyDictionary()


def prefetch(app: FieldsurveyApp) -> None:
    """Start computing the tally on a worker thread, once per app.

    Called when the supervisor screen has drawn its own tables: when the tally screen is
    opened its figures are ready (or on the way), and the screen only reads what was
    written since.
    """
    if app in _PREFETCHED:
        return
    job = _Prefetch()
    _PREFETCHED[app] = job
    path = getattr(app, "store_path", None)
    path = Path(path) if path is not None else Path(app.store.path)
    app.run_worker(lambda: job.run(app, path), thread=True, group="tally-prefetch",
                   exit_on_error=False)


class TallyScreen(Screen[None]):
    """Rates and indicator estimates of the app's store (see the module docstring)."""

    app: FieldsurveyApp
    CSS_PATH = "../styles/tally.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen"),
        Binding("g", "group"),
        Binding("w", "weighting"),
        Binding("i", "item"),
        Binding("s", "sort"),
        Binding("r", "refresh"),
    ]

    def __init__(self, *, weights: str | None = None, min_completes: int = 10) -> None:
        super().__init__(id="tally")
        self.weights = weights
        self.min_completes = min_completes
        self.result: Tally | None = None
        self.by = "community_id"
        self.weighting = "unweighted"
        self.item = 0
        self.sort = 0
        self.stale = True  # the next result replaces every figure (store read again)
        # a computation is running (not Textual's ``loading``: its animated overlay
        # repaints the screen while the worker computes, and holds the GIL)
        self.computing = False
        self.session: TallySession | None = None  # reads again only what changed
        self._form: Any = None
        self.shown = 0  # results drawn (for benchmarks and tests)

    def compose(self) -> ComposeResult:
        """The widgets of this screen."""
        yield Header()
        yield Static("", id="tally-rates-title")
        yield FigureTable(id="tally-rates")
        yield Static("", id="tally-ind-title")
        yield FigureTable(id="tally-ind")
        yield Static("", id="tally-keys")

    #: seconds between checks whether the store changed (a sync or a merge wrote to it)
    POLL_S: ClassVar[float] = 10.0

    def on_mount(self) -> None:
        """Compute once mounted; watch the store file for syncs and merges."""
        self.signature = self._signature()
        self.load()
        self.set_interval(self.POLL_S, self._poll)

    def _path(self) -> Path:
        """The app's store file (without opening it for writing)."""
        path = getattr(self.app, "store_path", None)
        return Path(path) if path is not None else Path(self.app.store.path)

    def _signature(self) -> tuple[tuple[int, int], ...]:
        """Size and modification time of the store and its write-ahead log."""
        import os

        base = str(self._path())
        out = []
        for p in (base, base + "-wal"):
            try:
                st = os.stat(p)
            except OSError:
                out.append((0, 0))
            else:
                out.append((st.st_size, st.st_mtime_ns))
        return tuple(out)

    def _poll(self) -> None:
        """Recompute when the store was written since the last computation started."""
        if self.computing:
            return  # checked again once this computation is shown
        sig = self._signature()
        if sig != self.signature:
            self.signature = sig
            self.stale = True
            self.load()

    def on_screen_resume(self) -> None:
        """Recompute when the screen comes back (after a sync or a merge)."""
        if self.computing:  # (also sent when the screen is first shown)
            return
        self.signature = self._signature()
        self.stale = True
        self.load()

    def load(self) -> None:
        """Compute the tally (on a worker thread); polling waits until it is shown."""
        self.computing = True
        self._compute()

    @work(thread=True, exclusive=True, group="tally")
    def _compute(self) -> None:
        """Compute the tally on a worker thread (only what changed since the last time)."""
        from fieldsurvey.estimate.tally_session import TallySession

        try:  # the form the app already loaded carries the indicator declaration
            form = self.app.form
        except Exception:  # noqa: BLE001 - no single pinned form: the store's own rule
            form = None
        job = _PREFETCHED.get(self.app)
        if self.session is None and job is not None and self.weights is None:
            job.done.wait(120.0)  # started when the supervisor screen was drawn
            if job.session is not None and job.form is form:
                self.session, self._form = job.session, form
        if self.session is None or form is not self._form:
            self._form = form
            self.session = TallySession(self._path(), form=form, weights=self.weights,
                                        min_completes=self.min_completes)
        try:
            result = self.session.compute(only=(self.weighting,))
        except FieldsurveyError as exc:  # a store or form the tally cannot read: say so
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, result)

    def _failed(self, exc: FieldsurveyError) -> None:
        """Show why the tally cannot be computed (the screen stays; ``r`` tries again)."""
        self.computing = False
        self.stale = False
        self.session = None  # read everything again next time
        self.query_one("#tally-rates-title", Static).update(str(exc))
        self.app.notify(str(exc), severity="error", timeout=10)

    def _show(self, result: Tally) -> None:
        self.computing = False
        self.stale = False
        self.result = result
        if self.weighting not in result.weightings:
            self.weighting = result.weightings[0]
        self.relabel()
        self.shown += 1

    def _items(self) -> list[tuple[str, str]]:
        """(variable, label) of the indicators to cycle through, composite first."""
        if self.result is None:
            return []
        ind = self.result.indicators
        lang = self.app.lang
        out = [(c.name, tx("composite", lang)) for c in ind.composites]
        part = ind.participation_any
        if part is not None:
            out.append((part.any_column, tx("any", lang)))
        out += [(i.name, f"{i.name} {i.label.get(lang)}") for i in ind.scales]
        return out

    def relabel(self) -> None:
        """Draw the tables in the app's current language."""
        lang = self.app.lang
        res = self.result
        self.draw_keys()
        if res is None:
            self.query_one("#tally-rates-title", Static).update(tx("loading", lang))
            return
        by = tx("by_community" if self.by == "community_id" else "by_interviewer", lang)
        small = tx("small", lang, k=res.min_completes)
        self.query_one("#tally-rates-title", Static).update(
            f"{tx('rates', lang)} · {by} · {tx('unweighted', lang)} · {small}")
        self.query_one("#tally-rates", FigureTable).set_rows(
            ((tx("group", lang), 10), ("n", 6), ("I", 6), ("RR1", 5), ("RR3", 5), ("COOP", 5),
             ("REF", 5), ("CON", 5)),
            rate_rows(res.rates, self.by, res.names, res.completes, res.min_completes, lang,
                      sort=self.sort % 8))
        ind = self.query_one("#tally-ind", FigureTable)
        items = self._items()
        title = self.query_one("#tally-ind-title", Static)
        if not items or res.estimates.empty:
            title.update(tx("none", lang))
            ind.set_rows((), ())
            return
        var, label = items[self.item % len(items)]
        weighting = tx(self.weighting, lang)
        room = max(self.size.width, 80) - 5 - cell_len(weighting)
        if cell_len(label) > room:
            label = set_cell_size(label, room - 1) + "…"
        title.update(f"{label} · {weighting}")
        head = tx("index", lang) if not var.endswith("_any") else tx("share", lang)
        ind.set_rows(((tx("group", lang), 10), (head, 20), (tx("top2", lang), 6), ("n", 6)),
                     indicator_rows(res.estimates, var, self.weighting, res.names,
                                    res.completes, res.min_completes, lang,
                                    sort=self.sort % 3))

    def action_group(self) -> None:
        """Key action: community / interviewer."""
        self.by = "interviewer" if self.by == "community_id" else "community_id"
        self.relabel()

    def action_weighting(self) -> None:
        """Key action: next weighting (unweighted, design, final)."""
        if self.result is not None:
            ws = self.result.weightings
            self.weighting = ws[(ws.index(self.weighting) + 1) % len(ws)]
            if not (self.result.estimates["weighting"] == self.weighting).any():
                self.load()  # computed when first shown
            else:
                self.relabel()

    def action_item(self) -> None:
        """Key action: next indicator."""
        self.item += 1
        self.relabel()

    def action_sort(self) -> None:
        """Key action: next sort order."""
        self.sort += 1
        self.relabel()

    def action_refresh(self) -> None:
        """Key action: recompute from the store."""
        self.stale = True
        self.load()

    def draw_keys(self) -> None:
        """Redraw the key line (called on a language switch)."""
        lang = self.app.lang
        keys = tx("keys", lang)
        res = self.result
        if res is not None and any("one device's store" in n for n in res.notes):
            overall = res.rates[res.rates["by"] == "all"]
            n = int(overall["n"].iloc[0]) if len(overall) else 0
            keys += "  " + tx("device", lang, n=n)
        self.query_one("#tally-keys", Static).update(keys)

    def figures(self) -> dict[str, Any]:
        """The rows shown, as text (for tests and screen readers)."""
        out: dict[str, Any] = {}
        for wid in ("#tally-rates", "#tally-ind"):
            table = self.query_one(wid, FigureTable)
            out[wid] = [table.get_row_at(i) for i in range(table.row_count)]
        return out
