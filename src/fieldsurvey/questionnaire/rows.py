"""The neutral rows both form loaders write and the form builder reads, and their cells.

Why a module of its own: the XLSForm reader (:mod:`.xlsform`), the YAML reader
(:mod:`.yamlform`), loop expansion (:mod:`.loops`), the build steps (:mod:`.build`,
:mod:`.items`, :mod:`.choicelists`) and the checks (:mod:`.checks`) all pass the same
:class:`RawRow` (canonical column -> value, with the sheet, row and original column
header kept for messages) and read its cells the same way: a yes/no cell, a text that
may be given per language, a name typed as a number (``1.0`` is ``"1"``). One place for
these readings keeps an XLSForm and a YAML form with the same content equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import LangText
from fieldsurvey.questionnaire.problems import Problems

__all__ = [
    "FALSE_WORDS",
    "MAX_CELL",
    "TRUE_WORDS",
    "RawRow",
    "cell_name",
    "lang_text",
    "too_long",
    "yes_no",
]

TRUE_WORDS = {"yes", "true", "true()", "1", "y"}
FALSE_WORDS = {"no", "false", "false()", "0", "n", ""}
MAX_CELL = 100_000  # characters of one cell: a 10 MB label is a mistake, not a question


@dataclass
class RawRow:
    """One row of a sheet: canonical keys -> value (translatable keys map language -> text)."""

    sheet: str
    row: int
    cells: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # key -> original column header

    def get(self, key: str, default: Any = None) -> Any:
        """The cell's value, or ``default`` when it is empty."""
        value = self.cells.get(key)
        return default if value in (None, "", {}) else value

    def error(
        self, file: str | None, message: str, key: str | None = None, **kw: Any
    ) -> QuestionnaireError:
        """An error naming this row and the column of ``key``."""
        column = self.headers.get(key, key) if key else None
        return QuestionnaireError(
            message, file=file, sheet=self.sheet, row=self.row, field=column, **kw
        )


def yes_no(row: RawRow, key: str, file: str | None) -> bool:
    """A yes/no cell (``yes``, ``true()``, ``1`` ...; empty is no); anything else an error."""
    raw = row.cells.get(key)
    if raw is None or raw is True or raw is False:
        return bool(raw)
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise row.error(
        file,
        f"'{raw}' is not a yes/no value (expressions here are not supported)",
        key,
        expected="yes or no",
    )


def lang_text(value: Any) -> LangText:
    """A text cell: one text, or a mapping language -> text (empty texts dropped)."""
    if isinstance(value, Mapping):
        return LangText.of({str(k): str(v) for k, v in value.items() if v not in (None, "")})
    if value in (None, ""):
        return LangText()
    return LangText.of(str(value))


def cell_name(value: Any) -> str:
    """A name or code as text: a whole number typed in a spreadsheet (``1.0``) is ``"1"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def too_long(row: RawRow, file: str | None, pr: Problems) -> bool:
    """Whether a cell of the row is longer than :data:`MAX_CELL` (reported to ``pr``)."""
    for key, v in row.cells.items():
        texts = v.values() if isinstance(v, Mapping) else [v]
        for t in texts:
            if isinstance(t, str) and len(t) > MAX_CELL:
                pr.error(row.error(
                    file, f"a cell of {len(t):,} characters (fieldsurvey's limit is "
                    f"{MAX_CELL:,})", key, hint="A text this long is a mistake; shorten it"))
                return True
    return False
