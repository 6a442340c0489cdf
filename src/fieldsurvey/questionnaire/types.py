"""XLSForm ``type`` cells: the supported question types, their aliases and select syntax."""

from __future__ import annotations

import re
from collections.abc import Callable

from fieldsurvey.io.errors import QuestionnaireError

__all__ = ["SIMPLE_TYPES", "parse_type"]

SIMPLE_TYPES: dict[str, str] = {
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "string": "text",
    "note": "note",
    "date": "date",
    "calculate": "calculate",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",
}
_CONTROL = {
    "begin group": "begin group",
    "begin_group": "begin group",
    "end group": "end group",
    "end_group": "end group",
    "begin repeat": "begin repeat",
    "begin_repeat": "begin repeat",
    "end repeat": "end repeat",
    "end_repeat": "end repeat",
}
_SELECT = re.compile(
    r"^(select_one|select_multiple|select one|select all that apply|select1)"
    r"(?:\s+from)?\s+(\S+)(\s+or_other)?$",
    re.IGNORECASE,
)
_SELECT_KIND = {
    "select_one": "select_one",
    "select one": "select_one",
    "select1": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
}
_KNOWN_UNSUPPORTED = (
    "select_one_from_file",
    "select_multiple_from_file",
    "select one from file",
    "select multiple from file",
    "select_one_external",
    "rank",
    "begin loop",
    "begin_loop",
    "begin looped group",
    "begin lgroup",
)


def parse_type(
    raw: str, error: Callable[[str], QuestionnaireError]
) -> tuple[str, str | None, bool]:
    """Split a ``type`` cell into (kind, choice list name, or_other).

    ``kind`` is a question type of the model or one of ``begin group``, ``end group``,
    ``begin repeat``, ``end repeat``. Anything else raises ``error(message)``.
    """
    text = " ".join(str(raw).split())
    low = text.lower()
    if low in _CONTROL:
        return _CONTROL[low], None, False
    if low in SIMPLE_TYPES:
        return SIMPLE_TYPES[low], None, False
    for prefix in _KNOWN_UNSUPPORTED:
        if low.startswith(prefix):
            raise error(f"question type '{prefix}' is not supported")
    m = _SELECT.match(text)
    if m:
        return _SELECT_KIND[" ".join(m.group(1).lower().split())], m.group(2), bool(m.group(3))
    if low.split()[0] in ("select_one", "select_multiple") and len(low.split()) == 1:
        raise error(f"'{text}' needs a choice list name")
    supported = ", ".join(sorted(set(SIMPLE_TYPES.values()) | {"select_one", "select_multiple"}))
    raise error(
        f"question type '{text}' is not supported (supported: {supported}, "
        "begin/end group, begin/end repeat)"
    )
