"""Answer values as text for storage, and the keys that address answers in repeats.

The field store keeps every answer as one text value; :func:`encode_value` and
:func:`decode_value` make that round trip exact for every answer type of the model
(JSON underneath, so a typed value never depends on the question's type to decode).

An answer is addressed by a *key*: the question name, followed by the 1-based instance
number of each enclosing repeat, e.g. ``"a2"`` or ``"h_age[3]"`` (third household
member) or ``"x[2][1]"`` in nested repeats.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.messages import say
from fieldsurvey.questionnaire.model import (
    GEO_TYPES,
    MEDIA_TYPES,
    AnswerValue,
    Form,
    Question,
    SpecialAnswer,
)

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.env import InterviewEnv

__all__ = [
    "KIND_CHECKS",
    "answer_key",
    "metadata_value",
    "decode_value",
    "encode_value",
    "export_value",
    "parse_key",
    "parse_text_answer",
]

_KEY = re.compile(r"^([^\[\]]+)((?:\[\d+\])*)$")


def answer_key(name: str, instance: tuple[int, ...] = ()) -> str:
    """The key of question ``name`` in repeat ``instance`` (1-based numbers)."""
    return name + "".join(f"[{i}]" for i in instance)


def parse_key(key: str) -> tuple[str, tuple[int, ...]]:
    """Split a key into question name and instance numbers (inverse of :func:`answer_key`)."""
    m = _KEY.match(key)
    if m is None:
        raise QuestionnaireError("not an answer key", field=key, expected="name or name[1][2]")
    idx = tuple(int(x) for x in re.findall(r"\[(\d+)\]", m.group(2)))
    return m.group(1), idx


def encode_value(value: AnswerValue) -> str | None:
    """Encode an answer as text (JSON); ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, SpecialAnswer):
        return json.dumps({"special": value.code, "name": value.name})
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return json.dumps({"datetime": value.isoformat()})
    if isinstance(value, dt.date):
        return json.dumps({"date": value.isoformat()})
    if isinstance(value, dt.time):
        return json.dumps({"time": value.isoformat()})
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, float) and not math.isfinite(value):
        raise QuestionnaireError("an answer cannot be an infinite or NaN number", got=repr(value))
    return json.dumps(value, ensure_ascii=False)


def decode_value(text: str | None) -> AnswerValue:
    """Decode a value written by :func:`encode_value`."""
    if text is None:
        return None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise QuestionnaireError("a stored answer is not valid", got=repr(text)[:80]) from exc
    if isinstance(obj, dict):
        if "special" in obj:
            return SpecialAnswer(int(obj["special"]), str(obj.get("name", "")))
        if "date" in obj:
            return dt.date.fromisoformat(obj["date"])
        if "datetime" in obj:
            return dt.datetime.fromisoformat(obj["datetime"])
        if "time" in obj:
            return dt.time.fromisoformat(obj["time"])
        raise QuestionnaireError("a stored answer is not valid", got=repr(text)[:80])
    if isinstance(obj, list):
        return tuple(str(x) for x in obj)
    if isinstance(obj, bool | int | float | str):
        return obj
    raise QuestionnaireError("a stored answer is not valid", got=repr(text)[:80])


def export_value(value: AnswerValue) -> int | float | str | None:
    """A flat value for analysis tables.

    specials become their code, selects a space-separated string, dates ISO text, acknowledge 1.
    """
    if value is None:
        return None
    if isinstance(value, SpecialAnswer):
        return value.code
    if isinstance(value, bool):
        return "OK" if value else None
    if isinstance(value, tuple):
        return " ".join(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _geo(v: Any, kind: str) -> bool:
    if not isinstance(v, str):
        return False
    try:
        points = [p.split() for p in v.split(";") if p.strip()]
        ok = all(2 <= len(p) <= 4 and -90 <= float(p[0]) <= 90 and -180 <= float(p[1]) <= 180
                 for p in points)
    except ValueError:
        return False
    need = {"geopoint": 1, "geotrace": 2, "geoshape": 4}[kind]
    if kind == "geopoint":
        return ok and len(points) == 1
    return ok and len(points) >= need


def _names(v: Any) -> bool:
    return isinstance(v, tuple) and all(isinstance(x, str) for x in v)


#: Question type -> whether a Python value is of the right kind for it.
KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "decimal": _number,
    "range": _number,
    "text": lambda v: isinstance(v, str),
    "barcode": lambda v: isinstance(v, str),
    "select_one": lambda v: isinstance(v, str),
    "select_multiple": _names,
    "rank": _names,
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "datetime": lambda v: isinstance(v, dt.datetime),
    "time": lambda v: isinstance(v, dt.time),
    "acknowledge": lambda v: v == "OK" or v is True,
    **{k: (lambda kind: lambda v: _geo(v, kind))(k) for k in GEO_TYPES},
    **{k: lambda v: isinstance(v, str) and bool(v.strip()) for k in MEDIA_TYPES},
}


def metadata_value(kind: str, env: InterviewEnv) -> AnswerValue:
    """The value of a metadata question of type ``kind`` in this interview."""
    if kind == "start":
        return env.started.replace(microsecond=0)
    if kind == "end":
        return env.now().replace(microsecond=0)
    if kind == "today":
        return env.today()
    if kind == "imei":
        return env.meta("imei") or env.meta("deviceid")
    return env.meta(kind)


def _parse_time(raw: str) -> dt.time:
    try:
        t = dt.time.fromisoformat(raw)
    except ValueError:
        frac = float(raw)  # a spreadsheet time: a fraction of a day
        if not 0 <= frac < 1:
            raise
        secs = round(frac * 86400)
        return dt.time(secs // 3600, secs // 60 % 60, secs % 60)
    return t.replace(microsecond=0)


def _parse_datetime(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw.replace(" ", "T", 1)).replace(microsecond=0)


def _parse_geo(raw: str, kind: str) -> str:
    text = ";".join(" ".join(p.replace(",", " ").split()) for p in raw.split(";") if p.strip())
    if not _geo(text, kind):
        raise ValueError(raw)
    return text


def parse_text_answer(form: Form, question: Question, text: str, *,
                      language: str | None = None) -> AnswerValue:
    """Parse an answer typed as text (a default, a CLI or TUI entry) into its typed value.

    Selects take choice names (space-separated for select_multiple); a special answer
    may be given by its code (e.g. ``-8``) or name when the question allows it. A text
    that is not an answer raises :class:`QuestionnaireError` with its message in
    ``language`` (Chinese for ``zh*``; default English).
    """
    raw = str(text).strip()
    for sp in form.special_for(question):
        if raw in (str(sp.code), sp.name):
            return sp
    kind = question.type
    try:
        if kind == "integer":
            f = float(raw)
            if not f.is_integer():
                raise ValueError(raw)
            return int(f)
        if kind in ("decimal", "range"):
            f = float(raw)
            if not math.isfinite(f):
                raise ValueError(raw)
            return int(f) if kind == "range" and f.is_integer() and "." not in raw else f
        if kind == "date":
            return dt.date.fromisoformat(raw[:10])
        if kind == "time":
            return _parse_time(raw)
        if kind == "datetime":
            return _parse_datetime(raw)
        if kind in GEO_TYPES:
            return _parse_geo(raw, kind)
    except ValueError:
        raise QuestionnaireError(
            say("not_valid", language, raw=raw), field=question.name,
            expected=say(f"expect_{kind}", language),
        ) from None
    if kind == "acknowledge":
        if raw.lower() in ("ok", "yes", "true", "1"):
            return "OK"
        raise QuestionnaireError(
            say("not_valid", language, raw=raw), field=question.name,
            expected=say("expect_ok", language),
        )
    if question.is_select:
        names = {c.name for c in form.choices(question)}
        parts = raw.split() if kind == "select_multiple" else [raw]
        bad = [p for p in parts if p not in names]
        if bad or not parts:
            raise QuestionnaireError(
                say("not_a_choice", language, raw=bad[0] if bad else raw),
                field=question.name,
                expected=", ".join(sorted(names)),
            )
        if kind == "select_one":
            return parts[0]
        if kind == "rank":
            return tuple(dict.fromkeys(parts))
        order = [c.name for c in form.choices(question)]
        return tuple(sorted(set(parts), key=order.index))
    if kind in ("note", "calculate") or question.is_metadata:
        raise QuestionnaireError(say("no_answer", language), field=question.name)
    if kind in MEDIA_TYPES:
        return raw
    return str(text)
