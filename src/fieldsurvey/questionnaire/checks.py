"""Whole-form checks run at load, after the rows are built.

References, choice-filter columns, ``position(..)`` outside repeats, defaults, and
dependency cycles. Each error names the sheet, row and column of the row at fault; all
are collected (see :mod:`.problems`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr
from fieldsurvey.questionnaire.model import Expression, Form, Group, Question, Repeat
from fieldsurvey.questionnaire.values import parse_text_answer

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.problems import Problems
    from fieldsurvey.questionnaire.rows import RawRow

__all__ = ["check_cycles", "check_defaults", "check_references"]


_COLUMN = {"required_if": "required", "default_expression": "default"}


def check_references(
    form: Form,
    questions: list[tuple[Question, RawRow]],
    containers: list[tuple[Group | Repeat, RawRow]],
    file: str | None,
    problems: Problems,
    known_extra: set[str] | None = None,
    ambiguous: set[str] | None = None,
    unreadable: set[str] | None = None,
) -> None:
    """Check references of every expression and text.

    Every ``${name}`` names one question, choice-filter columns exist, ``position(..)``
    is used inside repeats, and ``essential_questions`` name questions.
    """
    known = {q.name for q in form.questions} | (known_extra or set())
    instances = set(form.attachments) | set(form.choice_lists) | (unreadable or set())
    ambiguous = ambiguous or set()
    items: list[tuple[Any, RawRow, tuple[str, ...]]] = [
        (q, r, ("relevant", "constraint", "calculation", "choice_filter", "warning",
                "required_if", "default_expression"))
        for q, r in questions
    ]
    items += [(c, r, ("relevant", "repeat_count")) for c, r in containers]
    for obj, row, keys in items:
        _check_text_references(form, obj, row, file, known, problems)
        for key in keys:
            e: Expression | None = getattr(obj, key, None)
            if e is None:
                continue
            try:
                _check_expression(form, obj, row, file, known, ambiguous, key, e, problems,
                                  instances)
            except QuestionnaireError as exc:
                problems.error(exc)
    for q, row in questions:
        for t in q.trigger:
            if t not in known:
                problems.error(row.error(file, f"trigger ${{{t}}} refers to no question",
                                         "trigger"))
    _check_trigger_cycles(form, questions, file, problems)
    for name in form.settings.completion.essential:
        if name not in known:
            problems.error(QuestionnaireError(
                f"essential_questions names '{name}', which is no question of the form",
                file=file, sheet="settings", field="essential_questions",
            ))


def _check_trigger_cycles(
    form: Form, questions: list[tuple[Question, RawRow]], file: str | None, problems: Problems
) -> None:
    """A question recalculated by a trigger must not trigger itself.

    Directly or through others: each recalculation would start the next.
    """
    rows = {q.name: r for q, r in questions}
    fires: dict[str, list[str]] = {}
    for q, _ in questions:
        for t in q.trigger:
            fires.setdefault(t, []).append(q.name)
    for start in fires:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in fires.get(node, ()):
                if nxt == start:
                    problems.error(rows[start].error(
                        file, "cyclic trigger: " + " -> ".join([*path, nxt]), "trigger",
                        hint="A trigger cannot lead back to the question that fires it"))
                    return
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))


def _check_expression(
    form: Form, obj: Any, row: RawRow, file: str | None, known: set[str],
    ambiguous: set[str], key: str, e: Expression, problems: Problems,
    instances: set[str],
) -> None:
    column = _COLUMN.get(key, key)
    for ref in sorted(e.deps):
        if ref.startswith("last-saved#"):
            raise row.error(file, f"not supported: ${{{ref}}} (values of the last saved "
                            "form)", column, got=repr(e.source))
        if ref in ambiguous:
            raise row.error(
                file, f"${{{ref}}} is ambiguous: two questions in different groups are "
                f"called '{ref}'", column, got=repr(e.source),
                hint="Refer to the one meant as ${group.name} (see the warnings)")
        if ref not in known and not isinstance(form.items_by_name.get(ref), Repeat):
            what = "a group" if ref in form.items_by_name else "no question"
            raise row.error(
                file,
                f"${{{ref}}} refers to {what}",
                column,
                got=repr(e.source),
                hint="Refer to an existing question by its name",
            )
    field_names: set[str] = set()
    in_predicate: set[str] = set()
    positional = False
    for n in expr.walk(e.tree):  # one pass over the tree
        if isinstance(n, expr.Field):
            field_names.add(n.name)
        elif isinstance(n, expr.Parent) or (
                isinstance(n, expr.Call) and n.name in ("position", "index")):
            positional = True
        elif isinstance(n, expr.Lookup):
            if n.instance not in instances:  # an unreadable attachment is reported once
                raise row.error(file, f"instance('{n.instance}') names no choice list or "
                                "attachment of the form", column, got=repr(e.source),
                                hint="Add a csv-external/xml-external row or a choice list")
            if n.predicate is not None:
                in_predicate |= expr.fields(n.predicate)
    field_names -= in_predicate
    if key == "choice_filter":
        cl = form.choice_lists[obj.choice_list]
        columns = {"name", "label"} | {k for c in cl.choices for k, _ in c.attributes}
        bad = sorted(field_names - columns)
        if bad:  # ODK runs it: a column the choices lack is blank (a warning, not refused)
            problems.warn(row.error(
                file,
                f"choice_filter uses '{bad[0]}', which is not a column of list "
                f"'{obj.choice_list.removesuffix('__or_other')}'; as in ODK it is blank for "
                "every choice",
                key,
                got=repr(e.source),
                expected=", ".join(sorted(columns)),
                hint=f"Quote it ('{bad[0]}') if a text was meant, or add the column",
            ))
    elif field_names:  # ODK reads a bare name as a path to no node: always blank
        name = sorted(field_names)[0]
        problems.warn(row.error(
            file,
            f"'{name}' is a path to nothing: ODK (and fieldsurvey) read it as blank, "
            f"not as the text '{name}'",
            column,
            got=repr(e.source),
            hint=f"Quote text as '{name}'; refer to questions as ${{{name}}}",
        ))
    if positional:
        in_repeat = isinstance(obj, Repeat) or bool(getattr(obj, "repeats", ()))
        if not in_repeat:
            raise row.error(
                file, "position(..) only works inside a repeat", column, got=repr(e.source)
            )


TEXT_REF = re.compile(r"\$\{([^{}]*)\}")


def _check_text_references(
    form: Form, obj: Any, row: RawRow, file: str | None, known: set[str], problems: Problems
) -> None:
    """``${name}`` inside a label, hint or message must name a question."""
    for attr in ("label", "hint", "constraint_message", "required_message", "warning_message",
                 "guidance_hint"):
        text = getattr(obj, attr, None)
        if not text:
            continue
        for lang, value in text.texts:
            for ref in TEXT_REF.findall(value):
                if ref.strip() not in known:
                    column = f"{attr}::{lang}" if lang else attr
                    problems.error(QuestionnaireError(
                        f"${{{ref}}} in the {attr} refers to no question",
                        file=file,
                        sheet=row.sheet,
                        row=row.row,
                        field=row.headers.get(attr, column) if not lang else column,
                        hint="Refer to an existing question by its name",
                    ))


def check_defaults(
    form: Form, questions: list[tuple[Question, RawRow]], file: str | None, problems: Problems
) -> None:
    """A constant default must be a valid answer of its question."""
    for q, row in questions:
        if q.default is None or q.default_expression is not None:
            continue
        try:
            parse_text_answer(form, q, q.default)
        except QuestionnaireError as exc:
            if q.is_select and "not a choice" in exc.message:  # ODK loads it, ticks nothing
                problems.warn(row.error(
                    file, f"the default is not a valid answer: {exc.message}; the question "
                    "starts blank", "default", hint="Use a choice name as the default"))
                continue
            problems.error(row.error(
                file, f"the default is not a valid answer: {exc.message}", "default"
            ))


def check_cycles(
    form: Form,
    questions: list[tuple[Question, RawRow]],
    containers: list[tuple[Group | Repeat, RawRow]],
    file: str | None,
    problems: Problems,
) -> None:
    """relevant/calculation dependencies must form no cycle (ODK refuses them too)."""
    cont = {c.name: c for c, _ in containers}
    deps: dict[str, set[str]] = {}
    for q, _ in questions:
        d: set[str] = set()
        for e in (q.relevant, q.calculation):
            if e is not None:
                d |= e.deps
        for p in q.parents:
            rel = cont[p].relevant if p in cont else None
            if rel is not None:
                d |= rel.deps
        deps[q.name] = d
    rows = {q.name: r for q, r in questions}
    state: dict[str, int] = {}
    for start in deps:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(deps[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                row = rows[nxt]
                problems.error(row.error(
                    file,
                    "cyclic dependency: " + " -> ".join(cycle),
                    "calculation" if form.question(nxt).calculation is not None else "relevant",
                    hint="A relevant or calculation cannot depend on itself, directly or "
                    "through others",
                ))
                return
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(deps.get(nxt, ()))))
