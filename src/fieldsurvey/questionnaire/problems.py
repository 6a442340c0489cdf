"""Every problem of a form at once.

:class:`FormErrors` carries all the errors a load found (each a
:class:`~fieldsurvey.io.errors.QuestionnaireError` naming sheet, row and column), and
:class:`Problems` collects errors and warnings while a form is built.

A warning is something that runs but may not be what the author meant (a column
fieldsurvey keeps but does not act on, a ``default_language`` that matches no label
language); a loaded :class:`~.model.Form` lists them in ``form.warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fieldsurvey.io.errors import QuestionnaireError

__all__ = ["FormErrors", "Problems"]


@dataclass
class FormErrors(QuestionnaireError):
    """All the errors of one form (``errors``), and its warnings (``warnings``)."""

    errors: list[QuestionnaireError] = field(default_factory=list)
    warnings: list[QuestionnaireError] = field(default_factory=list)

    def paragraph(self) -> str:
        """One line per error, numbered, after a count."""
        n = len(self.errors)
        head = f"{self.file}: " if self.file else ""
        lines = [f"{head}{n} error{'s' if n != 1 else ''} in this form:"]
        lines += [f"  {i}. {e.paragraph()}" for i, e in enumerate(self.errors, 1)]
        return "\n".join(lines)


class Problems:
    """Collects errors and warnings while a form is built."""

    def __init__(self) -> None:
        self.errors: list[QuestionnaireError] = []
        self.warnings: list[QuestionnaireError] = []
        self._seen: set[str] = set()

    def error(self, exc: QuestionnaireError) -> None:
        """Record an error (an identical one only once)."""
        if isinstance(exc, FormErrors):
            for e in exc.errors:
                self.error(e)
            self.warnings += exc.warnings
            return
        key = exc.paragraph()
        if key not in self._seen:
            self._seen.add(key)
            self.errors.append(exc)

    def warn(self, exc: QuestionnaireError) -> None:
        """Record a warning."""
        key = "w" + exc.paragraph()
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(exc)

    def raise_if_any(self, file: str | None) -> None:
        """Raise :class:`FormErrors` when any error was recorded."""
        if not self.errors:
            return
        if len(self.errors) == 1 and not self.warnings:
            raise self.errors[0]
        first = self.errors[0]
        raise FormErrors(
            first.message, file=file, errors=list(self.errors), warnings=list(self.warnings)
        )
