"""The interviewer and supervisor terminal UI (Textual).

Build the app with :func:`~fieldsurvey.tui.app.make_app` (the CLI verb
``fieldsurvey interview`` and the tests do). Screens live in :mod:`.screens` (one per
module), widgets in :mod:`.widgets`, styles in ``styles/*.tcss``; every answer goes
through :meth:`FieldStore.set_answer` before the screen moves on.
"""

from __future__ import annotations

__all__ = ["make_app"]


def make_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """See :func:`fieldsurvey.tui.app.make_app` (imported lazily: textual is heavy)."""
    from fieldsurvey.tui.app import make_app as _make_app

    return _make_app(*args, **kwargs)
