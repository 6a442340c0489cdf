"""Short helpers to write the example questionnaires as nested data (labels in zh and en).

The example forms (:mod:`.resident_form`, :mod:`.contact_form`) are written in Python with
these helpers and saved as XLSForm and YAML by :mod:`.forms`; a survey team writes its own
form in a spreadsheet instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["L", "Row", "choices_of", "group", "q"]

Row = dict[str, Any]


def L(zh: str, en: str) -> dict[str, str]:  # noqa: N802 - short on purpose
    """A label in Chinese and English."""
    return {"zh": zh, "en": en}


def choices_of(*items: tuple[Any, str, str], **flags: Any) -> list[Row]:
    """Choice rows from ``(code, zh, en)`` triples; ``flag=codes`` marks those codes ``yes``."""
    out = []
    for code, zh, en in items:
        row: Row = {"name": str(code), "label": L(zh, en)}
        for flag, codes in flags.items():
            if str(code) in {str(c) for c in codes}:
                row[flag] = "yes"
        out.append(row)
    return out


def q(type_: str, name: str, zh: str, en: str, **kw: Any) -> Row:
    """A question row of type ``type_``; other columns as keywords."""
    row: Row = {"type": type_, "name": name, "label": L(zh, en)}
    row.update(kw)
    return row


def group(
    name: str, zh: str, en: str, children: list[Row], *, repeat: bool = False, **kw: Any
) -> Row:
    """A group (or, with ``repeat=True``, a repeat) holding ``children``."""
    row: Row = {
        "type": "begin repeat" if repeat else "begin group",
        "name": name,
        "label": L(zh, en),
    }
    row.update(kw)
    row["children"] = children
    return row
