"""A tiny progress protocol so the domain code can report progress without importing rich.

Library functions that take a while accept ``progress: Progress | None``. They call
``progress(step, done, total)`` as work advances; the CLI passes a rich progress bar,
tests pass nothing (or a list-appending function to check the calls).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]

__all__ = ["Progress", "report"]


def report(progress: Progress | None, step: str, done: int, total: int) -> None:
    """Call ``progress`` if one was given."""
    if progress is not None:
        progress(step, done, total)
