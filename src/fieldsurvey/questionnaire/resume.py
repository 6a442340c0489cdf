"""Saving and resuming an interview.

A runner is rebuilt from the answers the field store keeps (key, value; oldest first)
and a position, or from a JSON-able snapshot. These functions work on the runner's
:class:`~.state.InterviewState`; :class:`~.runner.InterviewRunner` exposes them as
``snapshot()``, ``restore()``, ``from_stored()`` and ``from_snapshot()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import AnswerValue, Question
from fieldsurvey.questionnaire.sequence import StepSequence
from fieldsurvey.questionnaire.state import InterviewState
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import answer_key, decode_value, encode_value, parse_key

__all__ = ["decode_rows", "from_snapshot", "load_answers", "resume_point", "snapshot"]


def snapshot(state: InterviewState, position: Step) -> dict[str, Any]:
    """A JSON-able state: form id/version, encoded answers, repeat counts, position."""
    return {
        "form_id": state.form.form_id,
        "version": state.form.version,
        "answers": {k: encode_value(v) for k, v in state.answers.items()},
        "repeat_counts": dict(state.counts),
        "position": position.key,
    }


def from_snapshot(
    data: Mapping[str, Any],
) -> tuple[list[tuple[str, AnswerValue]], str | None, Mapping[str, int] | None]:
    """The answers, position and repeat counts of a :func:`snapshot`."""
    answers = [(k, decode_value(v)) for k, v in data.get("answers", {}).items()]
    return answers, data.get("position"), data.get("repeat_counts")


def decode_rows(rows: Iterable[tuple[str, str | None]]) -> list[tuple[str, AnswerValue]]:
    """(key, encoded text) pairs as the field store keeps them, decoded."""
    return [(k, decode_value(v)) for k, v in rows]


def load_answers(
    state: InterviewState,
    answers: Iterable[tuple[str, AnswerValue]] | Mapping[str, AnswerValue],
    repeat_counts: Mapping[str, int] | None = None,
) -> None:
    """Put stored answers into a fresh state (the last of a key wins).

    Repeat instance counts are the largest instance number seen in the keys unless
    ``repeat_counts`` is given.
    """
    form = state.form
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
        scope = state.plan.scope[name]
        if len(inst) != len(scope):
            raise QuestionnaireError(
                f"the stored key '{key}' does not match the repeats of '{name}'", field=key
            )
        for d in range(len(scope)):
            ck = "+" + answer_key(scope[d], inst[:d])
            counts[ck] = max(counts.get(ck, 0), inst[d])
        staged.append((key, value))
    for ck, n in (repeat_counts or counts).items():
        state.counts[ck] = int(n)
    for ck in list(state.counts):
        rname, rinst = parse_key(ck[1:])
        if rname not in state.plan.repeats:
            continue
        for i in range(1, state.counts[ck] + 1):
            state.apply_defaults((*rinst, i), rname)
    for key, value in staged:
        state.store(key, tuple(value) if isinstance(value, list) else value)
    state.invalidate()
    state.refresh()


def resume_point(state: InterviewState, seq: StepSequence) -> Step:
    """The first relevant question without an answer (or the end)."""
    for s, ok in seq.with_relevance():
        if ok and s.kind != "repeat" and (
            s.kind != "question"
            or (s.question is not None and s.question.is_input and s.key not in state.answers)
        ):
            return s
    return seq.struct[-1]
