"""Settings-sheet values with rules of their own: the completion thresholds.

``completion_partial`` and ``completion_complete`` are shares of the applicable input
questions answered, as fractions (``0.5``) or percentages (``50`` or ``50%``);
``essential_questions`` names the questions whose share counts instead (spaces or
commas between names). Defaults follow AAPOR: break-off below 50 %, partial from 50 %,
complete from 80 %. Impossible thresholds (partial above complete, outside 0–100 %)
are an error naming the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import CompletionRules

__all__ = ["completion_rules"]


def _share(cells: Mapping[str, Any], key: str, default: float) -> float:
    raw = cells.get(key)
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    percent = text.endswith("%")
    try:
        x = float(text.rstrip("%").strip())
    except ValueError:
        raise QuestionnaireError(
            f"setting {key} is not a share", sheet="settings", field=key, got=repr(text),
            expected="a fraction such as 0.8 or a percentage such as 80%",
        ) from None
    if percent or x > 1:
        x /= 100
    if not 0 <= x <= 1:
        raise QuestionnaireError(
            f"setting {key} is outside 0-100 %", sheet="settings", field=key, got=repr(text),
        )
    return x


def completion_rules(cells: Mapping[str, Any]) -> CompletionRules:
    """The completion rules of a settings row (see the module docstring)."""
    partial = _share(cells, "completion_partial", 0.5)
    complete = _share(cells, "completion_complete", 0.8)
    if partial > complete:
        raise QuestionnaireError(
            f"completion_partial ({partial:.0%}) is above completion_complete ({complete:.0%})",
            sheet="settings", field="completion_partial",
            hint="An interview must be partial before it can be complete: set "
            "completion_partial at or below completion_complete (AAPOR: 50 % and 80 %)",
        )
    raw = str(cells.get("essential_questions") or "").strip()
    essential = tuple(n for n in re.split(r"[\s,;]+", raw) if n)
    return CompletionRules(partial, complete, essential)
