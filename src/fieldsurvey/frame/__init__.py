"""The sampling frame: spatial assignment, self-check, geographic order, frame files."""

from __future__ import annotations

from fieldsurvey.frame.build import build_frame, check_frame
from fieldsurvey.frame.files import FrameResult, read_frame
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.qa import Check, QAReport

__all__ = [
    "Check",
    "FrameOptions",
    "FrameResult",
    "QAReport",
    "build_frame",
    "check_frame",
    "read_frame",
]
