"""Turn survey/choices/settings rows (from XLSForm or YAML) into a checked :class:`Form`.

Both loaders produce the same neutral rows (:class:`RawRow`: canonical column -> value,
with the sheet, row and original column header kept for messages), so an XLSForm and a
YAML form with the same content give equal models. Every check that names a place in the
source happens here: unknown types and columns, unbalanced groups, duplicate names,
unknown references, expression syntax, cyclic ``relevant``/``calculation`` dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr
from fieldsurvey.questionnaire.checks import check_cycles, check_defaults, check_references
from fieldsurvey.questionnaire.model import (
    DEFAULT_SPECIAL_ANSWERS,
    Choice,
    ChoiceList,
    Expression,
    Form,
    Group,
    Item,
    LangText,
    Question,
    Repeat,
    Settings,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.types import parse_type

__all__ = ["RawRow", "build_form"]

TRUE_WORDS = {"yes", "true", "true()", "1", "y"}
FALSE_WORDS = {"no", "false", "false()", "0", "n", ""}
_NAME = re.compile(r"^[^\W\d][\w.\-]*$")


@dataclass
class RawRow:
    """One row of a sheet: canonical keys -> value (translatable keys map language -> text)."""

    sheet: str
    row: int
    cells: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # key -> original column header

    def get(self, key: str, default: Any = None) -> Any:
        value = self.cells.get(key)
        return default if value in (None, "", {}) else value

    def error(
        self, file: str | None, message: str, key: str | None = None, **kw: Any
    ) -> QuestionnaireError:
        column = self.headers.get(key, key) if key else None
        return QuestionnaireError(
            message, file=file, sheet=self.sheet, row=self.row, field=column, **kw
        )


def _bool(row: RawRow, key: str, file: str | None) -> bool:
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


def _lang(value: Any) -> LangText:
    if isinstance(value, Mapping):
        return LangText.of({str(k): str(v) for k, v in value.items() if v not in (None, "")})
    if value in (None, ""):
        return LangText()
    return LangText.of(str(value))


class _Builder:
    def __init__(self, file: str | None, languages: Sequence[str]) -> None:
        self.file = file
        self.languages = tuple(languages)
        self.names: dict[str, RawRow] = {}
        self.pending: list[
            tuple[str, str, RawRow, str, bool]
        ] = []  # (owner, attr, row, key, choice)

    # -- settings --------------------------------------------------------------------
    def settings(
        self, cells: Mapping[str, Any], specials: Sequence[SpecialAnswer] | None, default_id: str
    ) -> Settings:
        return Settings(
            form_id=str(cells.get("form_id") or default_id),
            version=str(cells.get("version") or ""),
            default_language=str(cells["default_language"])
            if cells.get("default_language")
            else None,
            title=_lang(cells.get("title")),
            special_answers=tuple(specials) if specials is not None else DEFAULT_SPECIAL_ANSWERS,
        )

    # -- choices ---------------------------------------------------------------------
    def choices(self, rows: Sequence[RawRow]) -> dict[str, list[Choice]]:
        lists: dict[str, list[Choice]] = {}
        seen: dict[tuple[str, str], RawRow] = {}
        for row in rows:
            list_name = str(row.get("list_name", "")).strip()
            name = row.get("name")
            if not list_name and name is None and not row.get("label"):
                continue
            if not list_name:
                raise row.error(self.file, "a choice has no list name", "list_name")
            if name is None:
                raise row.error(self.file, f"a choice of list '{list_name}' has no name", "name")
            name = _choice_name(name)
            if (list_name, name) in seen:
                raise row.error(
                    self.file,
                    f"choice '{name}' appears twice in list '{list_name}'",
                    "name",
                    hint=f"The first is on row {seen[(list_name, name)].row}",
                )
            seen[(list_name, name)] = row
            attrs = tuple(
                sorted(
                    (k, _choice_name(v))
                    for k, v in row.cells.get("attributes", {}).items()
                    if v not in (None, "")
                )
            )
            lists.setdefault(list_name, []).append(
                Choice(
                    name=name,
                    label=_lang(row.cells.get("label")),
                    attributes=attrs,
                    missing=_bool(row, "missing", self.file),
                    exclusive=_bool(row, "exclusive", self.file),
                )
            )
        return lists

    # -- expressions -----------------------------------------------------------------
    def expression(self, row: RawRow, key: str) -> Expression | None:
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
                self.file,
                f"in {row.headers.get(key, key)}: {exc.message}",
                key,
                got=exc.got,
                expected=exc.expected,
                hint=exc.hint,
            ) from None
        return Expression(source, tree, expr.references(tree))


def _choice_name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def build_form(
    *,
    file: str | None,
    survey: Sequence[RawRow],
    choices: Sequence[RawRow],
    settings: Mapping[str, Any],
    languages: Sequence[str],
    specials: Sequence[SpecialAnswer] | None,
    default_id: str,
) -> Form:
    """Build and check a form from neutral rows.

    ``specials`` is the form's list of special answers, or ``None`` when the form has
    none configured (then the defaults exist but no question allows them unless its
    ``special`` column says so).
    """
    b = _Builder(file, languages)
    lists_raw = b.choices(choices)
    special_codes = tuple(
        s.code for s in (specials if specials is not None else DEFAULT_SPECIAL_ANSWERS)
    )
    special_names = {
        s.name: s.code for s in (specials if specials is not None else DEFAULT_SPECIAL_ANSWERS)
    }
    default_special = special_codes if specials is not None else ()

    lists: dict[str, ChoiceList] = {}
    stack: list[tuple[RawRow, str, dict[str, Any], list[Item]]] = []
    top: list[Item] = []
    questions: list[tuple[Question, RawRow]] = []
    containers: list[tuple[Group | Repeat, RawRow]] = []
    parents: list[str] = []
    repeats: list[str] = []

    def current() -> list[Item]:
        return stack[-1][3] if stack else top

    def check_name(row: RawRow) -> str:
        name = row.get("name")
        if name is None:
            raise row.error(
                file,
                "this row has no name",
                "name",
                hint="Give every question, group and repeat a unique name",
            )
        name = _choice_name(name)
        if not _NAME.match(name):
            raise row.error(
                file,
                f"'{name}' is not a valid name",
                "name",
                expected="a letter or _ followed by letters, digits, _ . or -",
            )
        if name in b.names:
            raise row.error(
                file,
                f"the name '{name}' is used twice",
                "name",
                hint=f"It is first used on row {b.names[name].row}; names must be unique",
            )
        b.names[name] = row
        return name

    for row in survey:
        if not row.cells or all(v in (None, "", {}) for v in row.cells.values()):
            continue
        raw_type = row.get("type")
        if raw_type is None:
            if any(row.get(k) is not None for k in row.cells):
                raise row.error(file, "this row has no type", "type")
            continue

        def type_error(message: str, row: RawRow = row) -> QuestionnaireError:
            return row.error(file, message, "type")

        kind, arg, or_other = parse_type(str(raw_type), type_error)
        if kind in ("begin group", "begin repeat"):
            name = check_name(row)
            stack.append((row, kind, {"name": name, "parents": tuple(parents)}, []))
            parents.append(name)
            if kind == "begin repeat":
                repeats.append(name)
            continue
        if kind in ("end group", "end repeat"):
            if not stack:
                raise row.error(file, f"'{raw_type}' without a matching begin", "type")
            brow, bkind, info, children = stack.pop()
            if bkind.split()[1] != kind.split()[1]:
                raise row.error(
                    file,
                    f"'{raw_type}' closes the {bkind.split()[1]} begun on row {brow.row}",
                    "type",
                    expected=f"end {bkind.split()[1]}",
                )
            parents.pop()
            common = dict(
                name=info["name"],
                label=_lang(brow.cells.get("label")),
                hint=_lang(brow.cells.get("hint")),
                relevant=b.expression(brow, "relevant"),
                appearance=str(brow.get("appearance", "")).strip(),
                children=tuple(children),
                parents=info["parents"],
                row=brow.row,
            )
            _no_question_columns(brow, file)
            item: Group | Repeat
            if bkind == "begin repeat":
                repeats.pop()
                item = Repeat(repeat_count=b.expression(brow, "repeat_count"), **common)
            else:
                if brow.get("repeat_count") is not None:
                    raise brow.error(file, "repeat_count only applies to a repeat", "repeat_count")
                item = Group(**common)
            containers.append((item, brow))
            current().append(item)
            continue

        name = check_name(row)
        list_name = None
        if kind in ("select_one", "select_multiple"):
            list_name = arg
            if list_name not in lists_raw:
                raise row.error(
                    file,
                    f"choice list '{list_name}' is not on the choices sheet",
                    "type",
                    hint="Add the list to the choices sheet or fix its name",
                )
            if or_other:
                derived = f"{list_name}__or_other"
                if derived not in lists:
                    lists[derived] = ChoiceList(
                        derived,
                        (
                            *lists_raw[list_name],
                            Choice("other", _other_text(languages, "其他", "Other")),
                        ),
                    )
                list_name = derived
            elif list_name not in lists:
                lists[list_name] = ChoiceList(list_name, tuple(lists_raw[list_name]))
        elif row.get("choice_filter") is not None:
            raise row.error(file, "choice_filter only applies to select questions", "choice_filter")
        if kind == "calculate" and row.get("calculation") is None:
            raise row.error(file, "a calculate has no calculation", "calculation")
        if kind != "calculate" and row.get("calculation") is not None:
            raise row.error(
                file,
                f"a calculation on a {kind} question is not supported",
                "calculation",
                hint="Use a separate calculate row",
            )
        if row.get("repeat_count") is not None:
            raise row.error(file, "repeat_count only applies to a repeat", "repeat_count")
        special = _special(row, file, default_special, special_names, special_codes, kind)
        q = Question(
            name=name,
            type=kind,  # type: ignore[arg-type]
            label=_lang(row.cells.get("label")),
            hint=_lang(row.cells.get("hint")),
            required=_bool(row, "required", file),
            required_message=_lang(row.cells.get("required_message")),
            relevant=b.expression(row, "relevant"),
            constraint=b.expression(row, "constraint"),
            constraint_message=_lang(row.cells.get("constraint_message")),
            calculation=b.expression(row, "calculation"),
            default=None if row.get("default") is None else _choice_name(row.get("default")),
            choice_list=list_name,
            or_other=or_other,
            choice_filter=b.expression(row, "choice_filter"),
            appearance=str(row.get("appearance", "")).strip(),
            read_only=_bool(row, "read_only", file),
            sensitive=_bool(row, "sensitive", file),
            special=special,
            parents=tuple(parents),
            repeats=tuple(repeats),
            row=row.row,
        )
        current().append(q)
        questions.append((q, row))
        if or_other:
            other = Question(
                name=f"{name}_other",
                type="text",
                label=_other_text(languages, "其他,请注明", "Specify other"),
                required=True,
                relevant=_other_relevant(name),
                sensitive=q.sensitive,
                parents=tuple(parents),
                repeats=tuple(repeats),
                row=row.row,
            )
            if other.name in b.names:
                raise row.error(
                    file,
                    f"the name '{other.name}' (for the 'other' answer) is already used",
                    "name",
                )
            b.names[other.name] = row
            current().append(other)
            questions.append((other, row))

    if stack:
        brow, bkind, info, _ = stack[-1]
        raise brow.error(
            file,
            f"'{bkind}' {info['name']} is never closed",
            "type",
            expected=f"end {bkind.split()[1]}",
        )
    if not questions:
        raise QuestionnaireError("the form has no questions", file=file, sheet="survey")

    form = Form(
        settings=b.settings(settings, specials, default_id),
        languages=tuple(languages),
        choice_lists=lists,
        children=tuple(top),
        source=file,
    )
    check_references(form, questions, containers, file)
    check_defaults(form, questions, file)
    check_cycles(form, questions, containers, file)
    from fieldsurvey.questionnaire.plan import plan_for

    plan_for(form)  # compiles every expression and checks repeat_count cycles at load
    return form


def _other_text(languages: Sequence[str], zh: str, en: str) -> LangText:
    def pick(lang: str) -> str:
        low = lang.lower()
        return (
            zh if low.startswith("zh") or "chinese" in low or "中文" in low or "(zh" in low else en
        )

    return LangText.of({lang: pick(lang) for lang in (languages or [""])})


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


def _special(
    row: RawRow,
    file: str | None,
    default: tuple[int, ...],
    names: dict[str, int],
    codes: tuple[int, ...],
    kind: str,
) -> tuple[int, ...]:
    raw = row.get("special")
    if kind in ("note", "calculate", "acknowledge"):
        if raw is not None and str(raw).strip().lower() not in ("none", "no"):
            raise row.error(file, f"a {kind} cannot take special answers", "special")
        return ()
    if raw is None:
        return default
    text = str(raw).strip().lower()
    if text in ("none", "no"):
        return ()
    if text in ("all", "yes"):
        return codes
    out = []
    for part in re.split(r"[\s,]+", str(raw).strip()):
        if part in names:
            out.append(names[part])
            continue
        try:
            code = int(float(part))
        except ValueError:
            code = None
        if code is None or code not in codes:
            raise row.error(
                file,
                f"'{part}' is not a special answer of this form",
                "special",
                expected="all, none, or codes/names among "
                + ", ".join(f"{n} ({c})" for n, c in names.items()),
            )
        out.append(code)
    return tuple(c for c in codes if c in out)
