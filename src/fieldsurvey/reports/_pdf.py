"""PDF writing switches shared by the maps and the report."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from reportlab import rl_config

__all__ = ["binary_streams"]


@contextlib.contextmanager
def binary_streams() -> Iterator[None]:
    """Write zlib streams without ASCII85 (7-bit) armour: smaller and far faster.

    reportlab reads the switch from its global ``rl_config`` while pages are added, so
    it is set for the duration of one document and restored afterwards.
    """
    old = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = old
