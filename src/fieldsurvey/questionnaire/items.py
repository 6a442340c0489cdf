"""One survey row to the item it declares: a Question (and its "specify other"), a Group, a Repeat.

Why a module of its own: turning one row into a checked item is the same work whatever
surrounds the row. Here each column is read and checked against the question's type
(a ``calculation`` on a calculate, a ``repeat_count`` only on a repeat, the special
answers a question allows, expressions parsed, range parameters that make a range);
:mod:`.build` walks the rows, keeps the nesting of groups and repeats, and collects
the errors these functions raise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr
from fieldsurvey.questionnaire.choicelists import ChoiceLists, other_text
from fieldsurvey.questionnaire.model import (
    DEFAULT_SPECIAL_ANSWERS,
    METADATA_TYPES,
    Expression,
    Group,
    Item,
    Question,
    Repeat,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.rows import (
    FALSE_WORDS,
    TRUE_WORDS,
    RawRow,
    cell_name,
    lang_text,
    yes_no,
)

__all__ = ["SpecialRule", "container", "expression", "question"]


def expression(row: RawRow, key: str, file: str | None) -> Expression | None:
    """The parsed expression in column ``key`` (``None`` when empty); syntax errors name it."""
    source = row.get(key)
    if source is None:
        return None
    source = str(source).strip()
    if not source:
        return None
    try:
        tree = expr.parse(source)
    except QuestionnaireError as exc:
        raise row.error(
            file,
            f"in {row.headers.get(key, key)}: {exc.message}",
            key,
            got=exc.got,
            expected=exc.expected,
            hint=exc.hint,
        ) from None
    return Expression(source, tree, expr.references(tree))


@dataclass(frozen=True)
class SpecialRule:
    """The special answers (不知道, 拒绝回答 ...) of a form and which a question allows.

    ``default`` is what a question allows when its ``special`` column is empty (all the
    codes when the form configures special answers, none otherwise).
    """

    default: tuple[int, ...]
    names: dict[str, int]
    codes: tuple[int, ...]

    @classmethod
    def of(cls, specials: Sequence[SpecialAnswer] | None) -> SpecialRule:
        """The rule for a form's special answers (``None``: none configured)."""
        answers = specials if specials is not None else DEFAULT_SPECIAL_ANSWERS
        codes = tuple(s.code for s in answers)
        return cls(codes if specials is not None else (), {s.name: s.code for s in answers},
                   codes)


def container(
    brow: RawRow, bkind: str, info: dict[str, Any], children: list[Item], file: str | None
) -> Group | Repeat:
    """The group or repeat begun on ``brow`` holding ``children``."""
    _no_question_columns(brow, file)
    common = dict(
        name=info["name"],
        label=lang_text(brow.cells.get("label")),
        hint=lang_text(brow.cells.get("hint")),
        relevant=expression(brow, "relevant", file),
        appearance=str(brow.get("appearance", "")).strip(),
        children=tuple(children),
        parents=info["parents"],
        row=brow.row,
    )
    if bkind == "begin repeat":
        return Repeat(repeat_count=expression(brow, "repeat_count", file), **common)
    if brow.get("repeat_count") is not None:
        raise brow.error(file, "repeat_count only applies to a repeat", "repeat_count")
    return Group(**common)


_EXPRESSION_LIKE = re.compile(r"\$\{|[A-Za-z][\w:-]*\s*\(")


def question(
    row: RawRow,
    name: str,
    kind: str,
    arg: str | None,
    or_other: bool,
    *,
    file: str | None,
    lists: ChoiceLists,
    parents: tuple[str, ...],
    repeats: tuple[str, ...],
    specials: SpecialRule,
) -> list[Question]:
    """The question of ``row`` (named ``name``), and its "specify other" for ``or_other``."""
    list_name = None
    if kind.startswith(("select_one", "select_multiple", "rank")):
        kind, list_name = lists.for_select(kind, arg, or_other, row)
    elif row.get("choice_filter") is not None:
        raise row.error(file, "choice_filter only applies to select questions", "choice_filter")
    if kind == "calculate" and row.get("calculation") is None:
        raise row.error(file, "a calculate has no calculation", "calculation")
    if kind in ("note",) and row.get("calculation") is not None:
        raise row.error(file, "a note cannot have a calculation", "calculation")
    if row.get("repeat_count") is not None:
        raise row.error(file, "repeat_count only applies to a repeat", "repeat_count")
    input_like = kind not in METADATA_TYPES and kind not in ("note", "calculate", "hidden")
    special = _special(row, file, specials, kind if input_like else "note")
    raw_default = row.get("default")
    default = None if raw_default is None else cell_name(raw_default)
    default_expr = None
    if default is not None and _EXPRESSION_LIKE.search(default):
        default_expr = expression(row, "default", file)
    appearance = str(row.get("appearance", "")).strip()
    search_filter = None
    if "search(" in appearance.replace(" ", ""):
        if list_name is None:
            raise row.error(file, "search() only applies to select questions", "appearance")
        list_name, search_filter = lists.search(row, appearance, list_name)
    required, required_if = _required(row, file)
    if kind == "range":
        _check_range(row, file)
    q = Question(
        name=name,
        type=kind,  # type: ignore[arg-type]  # parse_type gave one of QuestionType's names
        label=lang_text(row.cells.get("label")),
        hint=lang_text(row.cells.get("hint")),
        required=required,
        required_message=lang_text(row.cells.get("required_message")),
        relevant=expression(row, "relevant", file),
        constraint=expression(row, "constraint", file),
        constraint_message=lang_text(row.cells.get("constraint_message")),
        calculation=expression(row, "calculation", file),
        default=default,
        choice_list=list_name,
        or_other=or_other,
        choice_filter=_and(search_filter, expression(row, "choice_filter", file)),
        appearance=appearance,
        read_only=yes_no(row, "read_only", file),
        sensitive=yes_no(row, "sensitive", file),
        special=special,
        parents=parents,
        repeats=repeats,
        row=row.row,
        required_if=required_if,
        default_expression=default_expr,
        warning=expression(row, "warning", file),
        warning_message=lang_text(row.cells.get("warning_message")),
        guidance_hint=lang_text(row.cells.get("guidance_hint")),
        parameters=_parameters(row.get("parameters")),
        media=tuple(sorted((k, str(v)) for k, v in (row.cells.get("media") or {}).items())),
        trigger=tuple(_trigger_names(row.get("trigger"))),
        extra_columns=_extra(row),
    )
    out = [q]
    if or_other:
        out.append(Question(
            name=f"{name}_other",
            type="text",
            label=other_text(lists.languages, "其他,请注明", "Specify other"),
            required=True,
            relevant=_other_relevant(name),
            sensitive=q.sensitive,
            parents=parents,
            repeats=repeats,
            row=row.row,
        ))
    return out


def _extra(row: RawRow) -> tuple[tuple[str, str], ...]:
    """Columns kept on the question without meaning to fieldsurvey (``indicator`` ...)."""
    out = {str(k): str(v) for k, v in (row.cells.get("extra") or {}).items() if v is not None}
    for k, v in row.cells.items():
        if k.startswith("indicator") and v not in (None, ""):
            out[k] = str(v)
    return tuple(sorted(out.items()))


def _and(a: Expression | None, b: Expression | None) -> Expression | None:
    if a is None or b is None:
        return a or b
    source = f"({a.source}) and ({b.source})"
    tree = expr.parse(source)
    return Expression(source, tree, a.deps | b.deps)


def _required(row: RawRow, file: str | None) -> tuple[bool, Expression | None]:
    raw = row.cells.get("required")
    if raw is None or isinstance(raw, bool):
        return bool(raw), None
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return False, expression(row, "required", file)


def _parameters(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw in (None, ""):
        return ()
    out = []
    for part in re.split(r"[\s;,]+", str(raw).strip()):
        if "=" in part:
            k, _, v = part.partition("=")
            out.append((k.strip().lower(), v.strip()))
    return tuple(out)


def _check_range(row: RawRow, file: str | None) -> None:
    p = dict(_parameters(row.get("parameters")))
    try:
        start, end, step = (float(p.get(k, d)) for k, d in
                            (("start", "1"), ("end", "10"), ("step", "1")))
    except ValueError:
        raise row.error(file, "range parameters must be numbers", "parameters",
                        got=repr(row.get("parameters"))) from None
    if step == 0 or start == end:
        raise row.error(file, "a range needs start != end and a step other than 0",
                        "parameters", got=repr(row.get("parameters")))


def _trigger_names(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    return [m.strip() for m in re.findall(r"\$\{([^}]+)\}", str(raw))]


def _other_relevant(name: str) -> Expression:
    source = f"selected(${{{name}}}, 'other')"
    tree = expr.parse(source)
    return Expression(source, tree, expr.references(tree))


def _no_question_columns(row: RawRow, file: str | None) -> None:
    keys = (
        "constraint",
        "constraint_message",
        "calculation",
        "choice_filter",
        "default",
        "required",
        "required_message",
        "read_only",
        "sensitive",
        "special",
    )
    for key in keys:
        value = row.get(key)
        if value is None or (
            key in ("required", "read_only", "sensitive")
            and not isinstance(value, dict)
            and str(value).strip().lower() in FALSE_WORDS
        ):
            continue
        raise row.error(file, f"{key} does not apply to a group or repeat", key)


def _special(row: RawRow, file: str | None, rule: SpecialRule, kind: str) -> tuple[int, ...]:
    raw = row.get("special")
    if kind in ("note", "calculate", "acknowledge"):
        if raw is not None and str(raw).strip().lower() not in ("none", "no"):
            raise row.error(file, f"a {kind} cannot take special answers", "special")
        return ()
    if raw is None:
        return rule.default
    text = str(raw).strip().lower()
    if text in ("none", "no"):
        return ()
    if text in ("all", "yes"):
        return rule.codes
    out = []
    for part in re.split(r"[\s,]+", str(raw).strip()):
        if part in rule.names:
            out.append(rule.names[part])
            continue
        try:
            code = int(float(part))
        except ValueError:
            code = None
        if code is None or code not in rule.codes:
            raise row.error(
                file,
                f"'{part}' is not a special answer of this form",
                "special",
                expected="all, none, or codes/names among "
                + ", ".join(f"{n} ({c})" for n, c in rule.names.items()),
            )
        out.append(code)
    return tuple(c for c in rule.codes if c in out)
