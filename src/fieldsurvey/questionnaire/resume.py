"""Saving and resuming an interview: a runner rebuilt from the answers the field store
keeps (key, value; oldest first) and a position, or from a JSON-able snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import AnswerValue, Form, Question
from fieldsurvey.questionnaire.state import RunnerState
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import answer_key, decode_value, encode_value, parse_key

__all__ = ["Resumable"]

R = TypeVar("R", bound="Resumable")


class Resumable(RunnerState):
    """Persistence methods of :class:`~.runner.InterviewRunner`."""

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able state: form id/version, encoded answers, repeat counts, position."""
        return {
            "form_id": self.form.form_id,
            "version": self.form.version,
            "answers": {k: encode_value(v) for k, v in self._answers.items()},
            "repeat_counts": dict(self._counts),
            "position": self.current.key,
        }

    @classmethod
    def from_snapshot(cls: type[R], form: Form, state: Mapping[str, Any], **kw: Any) -> R:
        """Rebuild a runner from :meth:`snapshot`."""
        answers = [(k, decode_value(v)) for k, v in state.get("answers", {}).items()]
        return cls.restore(
            form,
            answers,
            position=state.get("position"),
            repeat_counts=state.get("repeat_counts"),
            **kw,
        )

    @classmethod
    def from_stored(
        cls: type[R],
        form: Form,
        rows: Iterable[tuple[str, str | None]],
        position: str | None = None,
        **kw: Any,
    ) -> R:
        """Rebuild a runner from (key, encoded text) pairs as the field store keeps them."""
        return cls.restore(form, [(k, decode_value(v)) for k, v in rows], position, **kw)

    @classmethod
    def restore(
        cls: type[R],
        form: Form,
        answers: Iterable[tuple[str, AnswerValue]] | Mapping[str, AnswerValue],
        position: str | None = None,
        *,
        repeat_counts: Mapping[str, int] | None = None,
        **kw: Any,
    ) -> R:
        """Rebuild a runner from stored answers (key, typed value), oldest first; the last wins.

        Use :meth:`from_stored` for values encoded by :func:`~.values.encode_value`. Repeat
        instance counts are the largest instance number seen in the keys unless
        ``repeat_counts`` (as in :meth:`snapshot`) is given. Without ``position`` the
        runner resumes at the first relevant question without an answer.
        """
        run = cls(form, **kw)
        items = answers.items() if isinstance(answers, Mapping) else answers
        counts: dict[str, int] = {}
        staged: list[tuple[str, AnswerValue]] = []
        for key, value in items:
            name, inst = parse_key(key)
            q = form.items_by_name.get(name)
            if not isinstance(q, Question):
                raise QuestionnaireError(
                    f"a stored answer is for '{name}', which this form does not have",
                    field=key,
                    hint="Was the interview made with another version of the form?",
                )
            scope = run._plan.scope[name]
            if len(inst) != len(scope):
                raise QuestionnaireError(
                    f"the stored key '{key}' does not match the repeats of '{name}'", field=key
                )
            for d in range(len(scope)):
                ck = "+" + answer_key(scope[d], inst[:d])
                counts[ck] = max(counts.get(ck, 0), inst[d])
            staged.append((key, value))
        for ck, n in (repeat_counts or counts).items():
            run._counts[ck] = int(n)
        for ck in run._counts:
            rname, rinst = parse_key(ck[1:])
            for i in range(1, run._counts[ck] + 1):
                run._apply_defaults((*rinst, i), rname)
        for key, value in staged:
            run._store(key, tuple(value) if isinstance(value, list) else value)
        run._refresh()
        if position is not None and position in run._index:
            run._pos = run._struct[run._index[position]]
        else:
            run._pos = run._resume_point()
        return run

    def _resume_point(self) -> Step:
        for s, ok in self._seq:
            if ok and (
                s.kind != "question"
                or (s.question is not None and s.question.is_input and s.key not in self._answers)
            ):
                if s.kind == "repeat":
                    continue
                return s
        return self._struct[-1]
