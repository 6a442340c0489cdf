"""XPath 1.0 values and functions for form expressions.

conversions, comparison, the function table, and the :class:`Context` protocol a runner implements.

Conversions follow XPath: an empty answer is ``""`` (``NaN`` as a number); comparing
with a number converts the other side to a number; a select_multiple answer is its choice
names separated by spaces; dates compare as days since 1970-01-01; a special answer
(不知道 / 拒绝回答) is its code.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.questionnaire.regex import compile_regex

__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "NOT_SUPPORTED_FUNCTIONS",
    "Context",
    "equal",
    "to_bool",
    "to_num",
    "to_str",
]

_EPOCH = dt.date(1970, 1, 1)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_num(v: Any) -> float:
    """XPath ``number()``: NaN when not a number."""
    t = type(v)
    if t is float or t is int:
        return float(v)
    if t is str:
        if not v:
            return math.nan
        try:
            return float(v)
        except ValueError:
            pass
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, SpecialAnswer):
        return float(v.code)
    if isinstance(v, dt.datetime):
        return _decimal_date_time(v)
    if isinstance(v, dt.date):
        return float((v - _EPOCH).days)
    if isinstance(v, dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second) / 86400
    if isinstance(v, list):
        return to_num(v[0]) if v else math.nan
    s = to_str(v).strip()
    if not s:
        return math.nan
    try:
        return float(s)
    except ValueError:
        if _DATE_RE.match(s):
            try:
                return float((dt.date.fromisoformat(s) - _EPOCH).days)
            except ValueError:
                return math.nan
        return math.nan


def to_str(v: Any) -> str:
    """XPath ``string()``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, tuple):
        return " ".join(v)
    if isinstance(v, SpecialAnswer):
        return str(v.code)
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="milliseconds")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return to_str(v[0]) if v else ""
    return str(v)


def _decimal_date_time(v: dt.datetime) -> float:
    if v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    return (v - dt.datetime(1970, 1, 1)).total_seconds() / 86400


def to_bool(v: Any) -> bool:
    """XPath ``boolean()``."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v == v and v != 0
    if isinstance(v, list):
        return bool(v)
    if v is None:
        return False
    if isinstance(v, str):
        return v != ""
    return True


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | SpecialAnswer) and not isinstance(v, bool)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        xs = a if isinstance(a, list) else [a]
        ys = b if isinstance(b, list) else [b]
        return any(_equal(x, y) for x in xs for y in ys)
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if _is_num(a) or _is_num(b) or isinstance(a, dt.date) or isinstance(b, dt.date):
        if isinstance(a, dt.date) and isinstance(b, str) and not _DATE_RE.match(b.strip()):
            return False
        return to_num(a) == to_num(b)
    return to_str(a) == to_str(b)


_PLAIN = (int, float)
_REL: dict[str, Callable[[float, float], bool]] = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _mod(x: float, y: float) -> float:
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    return math.fmod(x, y)


def _div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.inf if x > 0 else -math.inf
    return x / y


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "div": _div,
    "mod": _mod,
}


# --------------------------------------------------------------------------- context
class Context(Protocol):
    """What an expression can ask the runner while it is evaluated."""

    def ref(self, name: str) -> Any:
        """The value of ``${name}`` seen from the current repeat instance."""

    def nodeset(self, name: str) -> list[Any]:
        """All values of ``${name}`` (every repeat instance in scope)."""

    def indexed(self, name: str, index: int) -> Any:
        """The value of ``${name}`` in instance ``index`` (1-based) of its repeat."""

    def current(self) -> Any:
        """The value of ``.``."""

    def position(self) -> int:
        """The 1-based number of the current repeat instance."""

    def field(self, name: str) -> str:
        """A column of the choice being filtered."""

    def today(self) -> dt.date:
        """Today's date (injectable for tests)."""

    def now(self) -> dt.datetime:
        """The current time."""

    def random(self) -> float:
        """A uniform number in [0, 1)."""

    def duration(self) -> float:
        """Seconds since the interview started."""

    def once(self, value: Any) -> Any:
        """The value already stored for the question being computed, else ``value``."""

    def device_info(self, what: str) -> str:
        """A metadata value (device id, user name ...)."""

    def choice_name(self, value: Any, question: str) -> str:
        """The label of choice ``value`` of question ``question``."""

    def lookup(self, instance: str, column: str, key_col: str, key: Any) -> str:
        """``pulldata()``: a column of the first matching row of an attachment."""

    def rows(self, instance: str, predicate: Callable[[Any], Any] | None,
             column: str | None) -> list[Any]:
        """``instance()`` rows that satisfy ``predicate``: ``column`` of each, or names."""


def _f_int(x: Any) -> Any:
    n = to_num(x)
    if math.isnan(n) or math.isinf(n):
        return math.nan
    return int(n)


def _f_round(x: Any, d: Any = 0.0) -> float:
    """JavaRosa's round: on the decimal value, halves towards +infinity.

    1.005 -> 1.01 and -2.5 -> -2, as JavaRosa gives them.
    """
    n, k = to_num(x), to_num(d)
    if math.isnan(n) or math.isnan(k) or math.isinf(n):
        return n if not math.isnan(k) else math.nan
    places = int(max(-15, min(15, k)))
    mode = ROUND_HALF_UP if n >= 0 else ROUND_HALF_DOWN
    value = Decimal(repr(n))
    if places >= 0:
        dec = value.quantize(Decimal(1).scaleb(-places), rounding=mode)
    else:
        dec = value.scaleb(places).quantize(Decimal(1), rounding=mode).scaleb(-places)
    return float(dec)


def _f_regex(s: Any, pattern: Any) -> bool:
    """``regex()``: the whole value must match (as in JavaRosa), in linear time (RE2)."""
    compiled = compile_regex(to_str(pattern))
    return compiled is not None and compiled.fullmatch(to_str(s)) is not None


def _f_substr(s: Any, start: Any, end: Any = None) -> str:
    text = to_str(s)
    a = to_num(start)
    if math.isnan(a):
        return ""
    b = len(text) if end is None else to_num(end)
    if math.isnan(b):
        return ""
    return text[max(0, int(a)): max(0, int(b))]


def _f_pow(a: Any, b: Any) -> float:
    try:
        return float(math.pow(to_num(a), to_num(b)))
    except (OverflowError, ValueError):
        return math.nan


def _f_sqrt(a: Any) -> float:
    n = to_num(a)
    return math.sqrt(n) if n >= 0 else math.nan


def _f_log(fn: Callable[[float], float]) -> Callable[[Any], float]:
    def run(a: Any) -> float:
        n = to_num(a)
        return fn(n) if n > 0 else math.nan

    return run


def _f_exp(a: Any) -> float:
    try:
        return math.exp(to_num(a))
    except OverflowError:
        return math.inf


def _f_decimal_date_time(a: Any) -> float:
    if isinstance(a, dt.datetime):
        return _decimal_date_time(a)
    if isinstance(a, dt.date):
        return float((a - _EPOCH).days)
    text = to_str(a).strip()
    try:
        return _decimal_date_time(dt.datetime.fromisoformat(text))
    except ValueError:
        return math.nan


def _f_substring_before(a: Any, b: Any) -> str:
    s, t = to_str(a), to_str(b)
    i = s.find(t)
    return s[:i] if i >= 0 and t else ""


def _f_substring_after(a: Any, b: Any) -> str:
    s, t = to_str(a), to_str(b)
    i = s.find(t)
    return s[i + len(t):] if i >= 0 else ""


def _f_translate(a: Any, b: Any, c: Any) -> str:
    s, frm, to = to_str(a), to_str(b), to_str(c)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):
        if ord(ch) not in table:
            table[ord(ch)] = ord(to[i]) if i < len(to) else None
    return s.translate(table)


def _safe(fn: Callable[[float], float], a: Any) -> float:
    try:
        return fn(to_num(a))
    except (ValueError, OverflowError):
        return math.nan


def _f_boolean_from_string(a: Any) -> bool:
    return to_str(a).strip().lower() in ("true", "1")


_FMT = {
    "%Y": "%Y",
    "%y": "%y",
    "%m": "%m",
    "%n": "%-m",
    "%d": "%d",
    "%e": "%-d",
    "%b": "%b",
    "%a": "%a",
    "%H": "%H",
    "%M": "%M",
    "%S": "%S",
}


def _f_format_date(d: Any, fmt: Any) -> str:
    date: dt.date
    if isinstance(d, dt.date):
        date = d
    else:
        s = to_str(d).strip()
        try:
            date = dt.datetime.fromisoformat(s) if len(s) > 10 else dt.date.fromisoformat(s)
        except ValueError:
            try:
                date = dt.date.fromisoformat(s[:10])
            except ValueError:
                return ""
    out = []
    f = to_str(fmt)
    i = 0
    while i < len(f):
        if f[i] == "%" and i + 1 < len(f):
            code = f[i : i + 2]
            if code == "%n":
                out.append(str(date.month))
            elif code == "%e":
                out.append(str(date.day))
            elif code == "%3":
                ms = date.microsecond // 1000 if isinstance(date, dt.datetime) else 0
                out.append(f"{ms:03d}")
            elif code in ("%H", "%M", "%S") and not isinstance(date, dt.datetime):
                out.append("00")
            elif code in _FMT:
                out.append(date.strftime(code))
            else:
                out.append(code)
            i += 2
        else:
            out.append(f[i])
            i += 1
    return "".join(out)


def _f_date(x: Any) -> Any:
    if isinstance(x, dt.date):
        return x
    if isinstance(x, str) and len(x.strip()) > 10 and _DATE_RE.match(x.strip()[:10]):
        try:
            return dt.datetime.fromisoformat(x.strip())
        except ValueError:
            return ""
    n = to_num(x)
    if isinstance(x, str) and _DATE_RE.match(x.strip()):
        try:
            return dt.date.fromisoformat(x.strip())
        except ValueError:
            return ""
    if math.isnan(n) or abs(n) > 3_000_000:
        return ""
    return _EPOCH + dt.timedelta(days=int(n))


def _selected(a: Any, b: Any) -> bool:
    return to_str(b).strip() in to_str(a).split()


def _agg(fn: Callable[[list[float]], float]) -> Callable[[list[Any]], float]:
    def run(values: list[Any]) -> float:
        nums = [to_num(v) for v in values if to_str(v) != ""]
        if not nums or any(math.isnan(x) for x in nums):
            return math.nan if nums or fn is not sum else 0.0
        return fn(nums)

    return run


# name -> (min args, max args, implementation on evaluated values or None if special)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any] | None]] = {
    "selected": (2, 2, _selected),
    "count-selected": (1, 1, lambda a: len(to_str(a).split())),
    "selected-at": (
        2,
        2,
        lambda a, i: (lambda xs, k: xs[k] if 0 <= k < len(xs) else "")(
            to_str(a).split(), int(to_num(i)) if not math.isnan(to_num(i)) else -1
        ),
    ),
    "if": (3, 3, None),
    "coalesce": (2, 2, None),
    "string-length": (1, 1, lambda a: len(to_str(a))),
    "regex": (2, 2, _f_regex),
    "int": (1, 1, _f_int),
    "number": (1, 1, to_num),
    "string": (1, 1, to_str),
    "boolean": (1, 1, to_bool),
    "concat": (1, 99, lambda *a: "".join(to_str(x) for x in a)),
    "today": (0, 0, None),
    "position": (1, 1, None),
    "index": (0, 0, None),
    "not": (1, 1, lambda a: not to_bool(a)),
    "true": (0, 0, lambda: True),
    "false": (0, 0, lambda: False),
    "round": (1, 2, _f_round),
    "abs": (1, 1, lambda a: abs(to_num(a))),
    "floor": (1, 1, lambda a: (lambda n: math.floor(n) if math.isfinite(n) else n)(to_num(a))),
    "ceiling": (1, 1, lambda a: (lambda n: math.ceil(n) if math.isfinite(n) else n)(to_num(a))),
    "contains": (2, 2, lambda a, b: to_str(b) in to_str(a)),
    "starts-with": (2, 2, lambda a, b: to_str(a).startswith(to_str(b))),
    "format-date": (2, 2, _f_format_date),
    "date": (1, 1, _f_date),
    "sum": (1, 1, None),
    "count": (1, 1, None),
    "max": (1, 99, None),
    "min": (1, 99, None),
    "indexed-repeat": (3, 3, None),
    "substr": (2, 3, _f_substr),
    "substring": (2, 3, _f_substr),
    "sqrt": (1, 1, _f_sqrt),
    "pow": (2, 2, _f_pow),
    "exp": (1, 1, _f_exp),
    "exp10": (1, 1, lambda a: _f_pow(10, a)),
    "log": (1, 1, _f_log(math.log)),
    "log10": (1, 1, _f_log(math.log10)),
    "pi": (0, 0, lambda: math.pi),
    "sin": (1, 1, lambda a: _safe(math.sin, a)),
    "cos": (1, 1, lambda a: _safe(math.cos, a)),
    "tan": (1, 1, lambda a: _safe(math.tan, a)),
    "asin": (1, 1, lambda a: _safe(math.asin, a)),
    "acos": (1, 1, lambda a: _safe(math.acos, a)),
    "atan": (1, 1, lambda a: _safe(math.atan, a)),
    "atan2": (2, 2, lambda a, b: math.atan2(to_num(a), to_num(b))),
    "ends-with": (2, 2, lambda a, b: to_str(a).endswith(to_str(b))),
    "substring-before": (2, 2, _f_substring_before),
    "substring-after": (2, 2, _f_substring_after),
    "translate": (3, 3, _f_translate),
    "normalize-space": (1, 1, lambda a: " ".join(to_str(a).split())),
    "boolean-from-string": (1, 1, _f_boolean_from_string),
    "uuid": (0, 1, lambda *a: str(uuid.uuid4())),
    "decimal-date-time": (1, 1, _f_decimal_date_time),
    "decimal-date": (1, 1, _f_decimal_date_time),
    "date-time": (1, 1, _f_date),
    "format-date-time": (2, 2, _f_format_date),
    "join": (2, 2, None),
    "count-non-empty": (1, 1, None),
    "now": (0, 0, None),
    "once": (1, 1, None),
    "random": (0, 0, None),
    "duration": (0, 0, None),
    "device-info": (0, 1, None),
    "jr:choice-name": (2, 2, None),
    "choice-name": (2, 2, None),
    "pulldata": (4, 4, None),
    "instance": (1, 1, None),
}

#: Functions fieldsurvey recognises but does not run (refused as "not supported").
NOT_SUPPORTED_FUNCTIONS: dict[str, str] = {
    "area": "geometry on a map",
    "distance": "geometry on a map",
    "digest": "cryptographic digests",
    "base64-decode": "base64 decoding",
    "checklist": "checklist scoring",
    "weighted-checklist": "checklist scoring",
    "current": "paths relative to current()",
    "randomize": "shuffled choice order",
    "plugin-data": "SurveyCTO plug-ins",
    "users-data": "SurveyCTO user data",
}

AGGREGATES: dict[str, Callable[[list[Any]], Any]] = {
    "sum": _agg(sum),
    "max": _agg(max),
    "min": _agg(min),
    "count": len,
    "count-non-empty": lambda xs: sum(1 for x in xs if to_str(x) != ""),
}


equal = _equal
