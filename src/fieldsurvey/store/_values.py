"""Answer values in SQLite's own types, so exports read them without parsing.

=================  ==========  ======================================
Python value       ``vtype``   stored ``value``
=================  ==========  ======================================
int                ``i``       INTEGER
float              ``f``       REAL (finite only)
str                ``s``       TEXT
bool               ``b``       INTEGER 0/1
tuple/list of str  ``l``       TEXT, a JSON list (select_multiple)
datetime.date      ``d``       TEXT, ISO date
datetime.datetime  ``t``       TEXT, ISO date-time
datetime.time      ``h``       TEXT, ISO time
SpecialAnswer      ``x:name``  INTEGER, the special code (-8, -9, ...)
=================  ==========  ======================================
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.questionnaire.model import DEFAULT_SPECIAL_ANSWERS, SpecialAnswer
from fieldsurvey.questionnaire.values import answer_key, parse_key

__all__ = ["decode", "encode", "flat", "split_key"]

_SPECIAL_LABELS = {s.code: s for s in DEFAULT_SPECIAL_ANSWERS}


def encode(value: Any, *, field: str | None = None) -> tuple[Any, str]:
    """``value`` as ``(stored value, vtype)``; raise :class:`StoreError` for other types."""
    if isinstance(value, SpecialAnswer):
        return int(value.code), f"x:{value.name}"
    if isinstance(value, bool):
        return int(value), "b"
    if isinstance(value, int):
        return value, "i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StoreError("an answer cannot be an infinite or NaN number", field=field,
                             got=repr(value), hint="Clear the answer instead of storing NaN")
        return value, "f"
    if isinstance(value, str):
        return value, "s"
    if isinstance(value, (tuple, list)):
        return json.dumps([str(v) for v in value], ensure_ascii=False), "l"
    if isinstance(value, dt.datetime):
        return value.isoformat(), "t"
    if isinstance(value, dt.date):
        return value.isoformat(), "d"
    if isinstance(value, dt.time):  # an XLSForm ``time`` question
        return value.isoformat(), "h"
    raise StoreError(
        "an answer has a type the store cannot keep",
        field=field,
        expected="int, float, str, bool, a tuple of choice names, a date or a SpecialAnswer",
        got=type(value).__name__,
        hint="Use clear_answer to remove an answer (None is not a value)",
    )


def decode(value: Any, vtype: str | None) -> Any:
    """The Python value of a stored ``(value, vtype)``; None for a cleared answer."""
    if vtype is None:
        return None
    if vtype == "l":
        return tuple(json.loads(value))
    if vtype == "b":
        return bool(value)
    if vtype == "d":
        return dt.date.fromisoformat(value)
    if vtype == "t":
        return dt.datetime.fromisoformat(value)
    if vtype == "h":
        return dt.time.fromisoformat(value)
    if vtype.startswith("x:"):
        known = _SPECIAL_LABELS.get(int(value))
        name = vtype[2:]
        if known is not None and known.name == name:
            return known
        return SpecialAnswer(int(value), name)
    return value


def flat(value: Any, vtype: str | None) -> Any:
    """A flat analysis value.

    selects as space-separated names, booleans as 0/1, specials as their code, dates as ISO
    text.
    """
    if vtype == "l":
        return " ".join(json.loads(value))
    return value


def split_key(question: str, instance: tuple[int, ...] | None = None) -> tuple[str, str]:
    """``(name, instance text)`` of a question key.

    The question is given as a key (``h_age[3]``) or a name plus 1-based repeat instance
    numbers.
    """
    if not question:
        raise StoreError("an answer needs a question name", field="question")
    name, idx = parse_key(question) if "[" in question else (question, ())
    if instance:
        idx = tuple(idx) + tuple(int(i) for i in instance)
    return name, answer_key("", idx)
