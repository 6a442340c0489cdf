"""XPath 1.0 values and functions for form expressions: conversions, comparison, the
function table, and the :class:`Context` protocol a runner implements.

Conversions follow XPath: an empty answer is ``""`` (``NaN`` as a number); comparing
with a number converts the other side to a number; a select_multiple answer is its choice
names separated by spaces; dates compare as days since 1970-01-01; a special answer
(不知道 / 拒绝回答) is its code.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any, Protocol

from fieldsurvey.questionnaire.model import SpecialAnswer

__all__ = ["AGGREGATES", "FUNCTIONS", "Context", "equal", "to_bool", "to_num", "to_str"]

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
    if isinstance(v, dt.date):
        return float((v - _EPOCH).days)
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
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return to_str(v[0]) if v else ""
    return str(v)


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


def _f_int(x: Any) -> Any:
    n = to_num(x)
    if math.isnan(n) or math.isinf(n):
        return math.nan
    return int(n)


def _f_round(x: Any, d: Any = 0.0) -> float:
    n, k = to_num(x), to_num(d)
    if math.isnan(n) or math.isnan(k) or math.isinf(n):
        return n if not math.isnan(k) else math.nan
    k = int(max(-15, min(15, k)))
    q = 10.0**k
    return math.floor(n * q + 0.5) / q


def _f_regex(s: Any, pattern: Any) -> bool:
    try:
        return re.search(to_str(pattern), to_str(s)) is not None
    except re.error:
        return False


_FMT = {
    "%Y": "%Y",
    "%y": "%y",
    "%m": "%m",
    "%n": "%-m",
    "%d": "%d",
    "%e": "%-d",
    "%b": "%b",
    "%a": "%a",
}


def _f_format_date(d: Any, fmt: Any) -> str:
    if isinstance(d, dt.date):
        date = d
    else:
        s = to_str(d).strip()
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
    "max": (1, 1, None),
    "min": (1, 1, None),
    "indexed-repeat": (3, 3, None),
}

AGGREGATES: dict[str, Callable[[list[Any]], Any]] = {
    "sum": _agg(sum),
    "max": _agg(max),
    "min": _agg(min),
    "count": len,
}


equal = _equal
