"""Console helpers shared by the commands: stderr console, progress bars, error paragraphs."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from fieldsurvey.io.progress import Progress as ProgressFn

__all__ = ["err_console", "out_console", "progress_bar"]

out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressFn]:
    """Yield a ``progress(step, done, total)`` callback drawing rich bars on stderr.

    Bars are drawn only when stderr is a terminal (and not in CI), so logs stay clean;
    the callback is always safe to call.
    """
    show = enabled and err_console.is_terminal and not os.environ.get("CI")
    if not show:
        yield lambda step, done, total: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done, total=total)

    with bar:
        yield update


def is_interactive() -> bool:
    """True when stdin and stdout are terminals."""
    return sys.stdin.isatty() and sys.stdout.isatty()
