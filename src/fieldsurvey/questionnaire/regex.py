"""Regular expressions of ``regex()`` in bounded time.

RE2 (google-re2) matches in time linear in the input, so a form's pattern such as
``^(a+)+$`` cannot freeze the interview. RE2 has no backreferences or lookaround; a
pattern that needs them is refused at load as not supported (:func:`regex_problem`).
``regex()`` requires the whole value to match, as JavaRosa does.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

__all__ = ["compile_regex", "regex_problem"]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
MAX_PATTERN = 2000


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


def compile_regex(pattern: str) -> Any | None:
    """The compiled pattern (``fullmatch`` / ``search``), or None when RE2 refuses it."""
    if len(pattern) > MAX_PATTERN:
        return None
    try:
        return _compile(pattern)
    except Exception:  # re2.error: a feature RE2 lacks or a malformed pattern
        return None


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used in ``regex()``, or None when it can."""
    if len(pattern) > MAX_PATTERN:
        return f"the pattern is longer than {MAX_PATTERN} characters"
    try:
        _compile(pattern)
    except Exception as exc:
        text = exc.args[0] if exc.args else exc
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if any(k in pattern for k in ("(?=", "(?!", "(?<=", "(?<!")) or "escape" in str(text):
            return (f"not supported: the pattern uses backreferences or lookaround ({text}); "
                    "fieldsurvey runs patterns in linear time (RE2)")
        return f"invalid regular expression: {text}"
    return None
