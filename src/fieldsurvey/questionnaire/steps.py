"""The runner's small value types.

where an interview is (:class:`Step`), one answer of it (:class:`AnswerRecord`), and the error for
an answer a question refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import AnswerValue, Question, Repeat
from fieldsurvey.questionnaire.values import answer_key

__all__ = ["END", "AnswerRecord", "InvalidAnswer", "Step"]

END = "@end"


class InvalidAnswer(QuestionnaireError):
    """An answer the question does not accept (type, choice, constraint, required)."""


@dataclass(frozen=True)
class Step:
    """Where the interview is: a question, the offer to add a repeat instance, or the end.

    ``instance`` holds the 1-based numbers of the enclosing repeat instances (for a
    ``repeat`` step: of the repeats enclosing that repeat).
    """

    kind: Literal["question", "repeat", "end"]
    instance: tuple[int, ...] = ()
    question: Question | None = None
    repeat: Repeat | None = None

    @cached_property
    def key(self) -> str:
        """A string naming this position (an answer key for a question)."""
        if self.kind == "question":
            assert self.question is not None
            return answer_key(self.question.name, self.instance)
        if self.kind == "repeat":
            assert self.repeat is not None
            return "+" + answer_key(self.repeat.name, self.instance)
        return END


@dataclass(frozen=True)
class AnswerRecord:
    """One answer of a finished (or partial) interview, with its question's type."""

    key: str
    name: str
    instance: tuple[int, ...]
    type: str
    value: AnswerValue
