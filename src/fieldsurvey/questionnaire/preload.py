"""Preloading an interview from the household roster and the respondent selection.

Two preloads. :func:`roster_answers` fills the form's own roster repeat (``h_name``,
``h_sex`` ...) and its respondent question from the store's roster. And
:func:`respondent_preload` gives the *selected respondent's* roster values to the form
as the questions ``respondent_name``, ``respondent_sex``, ``respondent_age`` and
``respondent_relation`` when the form declares them (any type; usually ``hidden``, or a
``select_one`` whose choice names or labels match ``male``/``female``/男/女): the
runner's ``roster=`` argument.

The interviewer lists the household once (the field store's roster, which the respondent
selection uses); the questionnaire's own roster repeat and its respondent question are
then filled from it instead of being asked again. Questions are matched by name
(:data:`ROSTER_FIELDS`, the example form's names); a select is matched by choice name or
by any of its labels, so ``"male"`` gives the choice labelled 男 / Male.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldsurvey.questionnaire.model import AnswerValue, Form, Question
from fieldsurvey.questionnaire.values import answer_key

__all__ = ["RESPONDENT_FIELDS", "ROSTER_FIELDS", "respondent_preload", "roster_answers"]

#: Roster fields of the selected respondent a form can preload, by question name:
#: declare e.g. ``hidden respondent_sex`` (or a ``select_one sex`` / ``integer`` /
#: ``text`` question) and the runner fills it from ``roster=`` before the interview
#: starts; expressions then use ``${respondent_sex}`` to prefill, skip or check.
RESPONDENT_FIELDS: dict[str, str] = {"name": "respondent_name", "sex": "respondent_sex",
                                     "age": "respondent_age",
                                     "relation": "respondent_relation"}

#: Roster entry field -> question name in the form's roster repeat.
ROSTER_FIELDS: dict[str, str] = {"name": "h_name", "sex": "h_sex", "age": "h_age",
                                 "resident": "h_resident"}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "male": ("male", "m", "man", "男"),
    "female": ("female", "f", "woman", "女"),
    "true": ("yes", "y", "true", "是"),
    "false": ("no", "n", "false", "否"),
}


def _select_value(form: Form, q: Question, value: Any) -> str | None:
    text = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
    wanted = set(_SYNONYMS.get(text, (text,)))
    for c in form.choices(q):
        labels = {t.strip().lower() for _, t in c.label.texts}
        if c.name.lower() in wanted or labels & wanted:
            return c.name
    return None


def roster_answers(
    form: Form,
    roster: Sequence[Mapping[str, Any]],
    respondent_line: int | None,
    *,
    fields: Mapping[str, str] = ROSTER_FIELDS,
    respondent: str = "resp_line",
) -> list[tuple[str, AnswerValue]]:
    """The answers (key, value) that fill the form's roster repeat and respondent question.

    Parameters
    ----------
    form
        The questionnaire.
    roster
        Members as :meth:`FieldStore.roster` returns them (``line``, ``sex``, ``age`` ...),
        in line order; member *i* of the list becomes repeat instance *i*.
    respondent_line
        The roster line chosen by the respondent selection (``None``: not set).
    fields, respondent
        Roster field -> question name, and the respondent question's name. Questions the
        form does not have are left out.

    Returns
    -------
    list of (str, AnswerValue)
        Keys such as ``h_age[2]`` with typed values, then the respondent question's
        instance number.
    """
    out: list[tuple[str, AnswerValue]] = []
    qs = {f: form.items_by_name.get(n) for f, n in fields.items()}
    for i, member in enumerate(roster, start=1):
        for f, q in qs.items():
            v = member.get(f)
            if not isinstance(q, Question) or v is None or len(q.repeats) != 1:
                continue
            value: AnswerValue
            if q.is_select:
                value = _select_value(form, q, v)
            elif q.type == "integer":
                value = int(v)
            else:
                value = str(v)
            if value is not None:
                out.append((answer_key(q.name, (i,)), value))
    rq = form.items_by_name.get(respondent)
    lines = [int(m["line"]) for m in roster]
    if isinstance(rq, Question) and respondent_line is not None and respondent_line in lines:
        out.append((rq.name, lines.index(respondent_line) + 1))
    return out


def respondent_preload(
    form: Form, roster: Mapping[str, Any] | None
) -> list[tuple[str, AnswerValue]]:
    """The answers (key, value) of the ``respondent_*`` questions the form declares.

    ``roster`` is the selected member's entry (``name``, ``sex`` as ``male``/``female``,
    ``age``, ``relation``); fields it lacks, or questions the form lacks, are left out.
    A value that does not fit its question (an age that is not a number, a sex no choice
    matches) is left out too, so the interviewer asks it.
    """
    out: list[tuple[str, AnswerValue]] = []
    if not roster:
        return out
    for f, qname in RESPONDENT_FIELDS.items():
        q = form.items_by_name.get(qname)
        v = roster.get(f)
        if not isinstance(q, Question) or v is None or q.repeats:
            continue
        value: AnswerValue
        if q.is_select:
            value = _select_value(form, q, v)
        elif q.type in ("integer", "decimal"):
            try:
                value = int(v) if q.type == "integer" else float(v)
            except (TypeError, ValueError):
                value = None
        else:
            value = str(v)
        if value is not None:
            out.append((q.name, value))
    return out
