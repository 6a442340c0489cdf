"""Short helpers to write a questionnaire as nested data (labels in zh and en)."""

from __future__ import annotations

from typing import Any

__all__ = ["L", "Row", "choices_of", "group", "q"]

Row = dict[str, Any]


def L(zh: str, en: str) -> dict[str, str]:  # noqa: N802 - short on purpose
    return {"zh": zh, "en": en}


def choices_of(*items: tuple[Any, str, str], **flags: Any) -> list[Row]:
    out = []
    for code, zh, en in items:
        row: Row = {"name": str(code), "label": L(zh, en)}
        for flag, codes in flags.items():
            if str(code) in {str(c) for c in codes}:
                row[flag] = "yes"
        out.append(row)
    return out


def q(type_: str, name: str, zh: str, en: str, **kw: Any) -> Row:
    row: Row = {"type": type_, "name": name, "label": L(zh, en)}
    row.update(kw)
    return row


def group(
    name: str, zh: str, en: str, children: list[Row], *, repeat: bool = False, **kw: Any
) -> Row:
    row: Row = {
        "type": "begin repeat" if repeat else "begin group",
        "name": name,
        "label": L(zh, en),
    }
    row.update(kw)
    row["children"] = children
    return row
