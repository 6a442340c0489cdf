"""One error hierarchy for every mistake a user can make.

Every error a user can cause (a wrong file, encoding, CRS, column, design or
questionnaire) is raised as a subclass of :class:`FieldsurveyError`. The CLI and
the TUI render it as one paragraph on stderr -- what is wrong, where (file, row,
field), what was expected, what was found, and what to do -- and exit non-zero.
Programming errors stay ordinary Python exceptions, so they are never hidden.

Hierarchy::

    FieldsurveyError
     ├── InputError            a file cannot be read or has the wrong shape
     │    ├── EncodingError    text not valid in the detected or given encoding
     │    ├── CRSError         missing, unknown or mismatched coordinate system
     │    └── ColumnError      a required column or field is missing
     ├── DesignError           a sample design that cannot be drawn
     ├── QuestionnaireError    a form that cannot be loaded or run
     ├── StoreError            a field store that cannot be opened, written or merged
     ├── WeightingError        weights that cannot be computed (margins, classes)
     └── EstimationError       an estimate that cannot be computed (design, lonely PSU)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CRSError",
    "ColumnError",
    "DesignError",
    "EncodingError",
    "EstimationError",
    "FieldsurveyError",
    "InputError",
    "QuestionnaireError",
    "StoreError",
    "WeightingError",
]


@dataclass
class FieldsurveyError(Exception):
    """A user's mistake, described so the user can fix it.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file
        The file concerned, if any.
    row
        The 1-based row (or feature) number in that file, if one row is at fault.
    field
        The column, field, key or question concerned.
    expected, got
        What was expected and what was found.
    hint
        What to do about it.
    """

    message: str
    file: str | Path | None = None
    row: int | None = None
    field: str | None = None
    expected: str | None = None
    got: str | None = None
    hint: str | None = None
    sheet: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.paragraph()

    def paragraph(self) -> str:
        """Render the error as one readable paragraph."""
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        parts = []
        if where:
            parts.append(", ".join(where) + ":")
        parts.append(self.message.rstrip(".") + ".")
        if self.expected is not None:
            parts.append(f"Expected {self.expected}.")
        if self.got is not None:
            parts.append(f"Got {self.got}.")
        if self.hint is not None:
            parts.append(self.hint.rstrip(".") + ".")
        return " ".join(parts)


class InputError(FieldsurveyError):
    """A file cannot be read or does not have the shape the step needs."""


class EncodingError(InputError):
    """Text that is not valid in the detected or stated encoding."""


class CRSError(InputError):
    """A coordinate reference system is missing, unknown or mismatched."""


class ColumnError(InputError):
    """A required column or field does not exist."""


class DesignError(FieldsurveyError):
    """A sample design that is invalid or cannot be drawn from the frame."""


class QuestionnaireError(FieldsurveyError):
    """A questionnaire that cannot be loaded or run."""


class StoreError(FieldsurveyError):
    """A field store that cannot be opened, written or merged."""


class WeightingError(FieldsurveyError):
    """Weights that cannot be computed as asked."""


class EstimationError(FieldsurveyError):
    """An estimate that cannot be computed for the given design."""
