"""Turn survey/choices/settings rows (from XLSForm or YAML) into a checked :class:`Form`.

Both loaders produce the same neutral rows (:class:`RawRow`: canonical column -> value,
with the sheet, row and original column header kept for messages), so an XLSForm and a
YAML form with the same content give equal models. Every check that names a place in the
source happens here: unknown types and columns, unbalanced groups, duplicate names,
unknown references, expression syntax, cyclic ``relevant``/``calculation`` dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr
from fieldsurvey.questionnaire.checks import check_cycles, check_defaults, check_references
from fieldsurvey.questionnaire.external import Attachment
from fieldsurvey.questionnaire.loops import expand_loops
from fieldsurvey.questionnaire.model import (
    DEFAULT_SPECIAL_ANSWERS,
    METADATA_TYPES,
    Choice,
    ChoiceList,
    CompletionRules,
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
from fieldsurvey.questionnaire.problems import Problems
from fieldsurvey.questionnaire.settings import completion_rules
from fieldsurvey.questionnaire.types import ATTACHMENT_TYPES, parse_type

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
    def __init__(self, file: str | None, languages: Sequence[str], problems: Problems) -> None:
        self.file = file
        self.languages = tuple(languages)
        self.names: dict[str, RawRow] = {}
        self.paths: dict[str, list[tuple[str, ...]]] = {}
        self.failed: set[str] = set()  # names of rows refused (not reported again as unknown)
        self.ambiguous: set[str] = set()  # names used in two groups (pyxform allows it)
        self.search_lists: dict[str, ChoiceList] = {}  # lists made by search()
        self.problems = problems

    def check_name(self, row: RawRow, siblings: set[str], parents: list[str]) -> str:
        """The row's name.

        valid, unique among its siblings; a name used in another group gets the group's name
        in front (``grp.name``), as pyxform allows it.
        """
        file = self.file
        name = row.get("name")
        if name is None:
            raise row.error(file, "this row has no name", "name",
                            hint="Give every question, group and repeat a unique name")
        name = _choice_name(name)
        if not _NAME.match(name):
            raise row.error(file, f"'{name}' is not a valid name", "name",
                            expected="a letter or _ followed by letters, digits, _ . or -")
        if name in siblings:
            raise row.error(file, f"the name '{name}' is used twice in the same group", "name",
                            hint=f"It is first used on row {self.names[name].row}; "
                            "names must be unique within a group")
        siblings.add(name)
        if name in self.names:
            if not parents:
                raise row.error(file, f"the name '{name}' is used twice", "name",
                                hint=f"It is first used on row {self.names[name].row}")
            self.ambiguous.add(name)
            unique = f"{parents[-1]}.{name}"
            if unique in self.names:
                raise row.error(file, f"the name '{name}' is used twice", "name",
                                hint=f"It is first used on row {self.names[name].row}")
            self.problems.warn(row.error(
                file, f"the name '{name}' is also used on row {self.names[name].row}; this "
                f"one is stored as '{unique}'", "name",
                hint=f"Refer to it as ${{{unique}}}; ${{{name}}} is ambiguous"))
            self.names[unique] = row
            return unique
        self.names[name] = row
        return name

    # -- settings --------------------------------------------------------------------
    def settings(
        self, cells: Mapping[str, Any], specials: Sequence[SpecialAnswer] | None, default_id: str
    ) -> Settings:
        rules = CompletionRules()
        try:
            rules = completion_rules(cells)
        except QuestionnaireError as exc:
            self.problems.error(exc)
        other = tuple(sorted((str(k).removeprefix("other:"), str(v)) for k, v in cells.items()
                             if k not in ("form_id", "version", "default_language", "title",
                                          "completion_partial", "completion_complete",
                                          "essential_questions", "allow_choice_duplicates")))
        dup = str(cells.get("allow_choice_duplicates") or "").strip().lower() in TRUE_WORDS
        return Settings(
            form_id=str(cells.get("form_id") or default_id),
            version=str(cells.get("version") or ""),
            default_language=str(cells["default_language"])
            if cells.get("default_language")
            else None,
            title=_lang(cells.get("title")),
            special_answers=tuple(specials) if specials is not None else DEFAULT_SPECIAL_ANSWERS,
            completion=rules,
            allow_choice_duplicates=dup,
            other=other,
        )

    # -- choices ---------------------------------------------------------------------
    def choices(self, rows: Sequence[RawRow], allow_dup: bool = False) -> dict[str, list[Choice]]:
        lists: dict[str, list[Choice]] = {}
        seen: dict[tuple[str, str], RawRow] = {}
        for row in rows:
            try:
                self._choice(row, lists, seen, allow_dup)
            except QuestionnaireError as exc:
                self.problems.error(exc)
        return lists

    def _choice(self, row: RawRow, lists: dict[str, list[Choice]],
                seen: dict[tuple[str, str], RawRow], allow_dup: bool) -> None:
        if True:
            list_name = str(row.get("list_name", "")).strip()
            name = row.get("name")
            if not list_name and name is None and not row.get("label"):
                return
            if not list_name:
                raise row.error(self.file, "a choice has no list name", "list_name")
            if name is None:
                raise row.error(self.file, f"a choice of list '{list_name}' has no name", "name")
            name = _choice_name(name)
            if (list_name, name) in seen and not allow_dup:
                raise row.error(
                    self.file,
                    f"choice '{name}' appears twice in list '{list_name}'",
                    "name",
                    hint=f"The first is on row {seen[(list_name, name)].row}; set "
                    "allow_choice_duplicates in the settings if that is meant",
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
    problems: Problems | None = None,
    attachments: Callable[[str, bool], Attachment] | None = None,
    external: Sequence[RawRow] = (),
) -> Form:
    """Build and check a form from neutral rows, collecting every problem.

    ``specials`` is the form's list of special answers, or ``None`` when the form has
    none configured (then the defaults exist but no question allows them unless its
    ``special`` column says so). ``attachments(filename, need_name)`` reads a file the
    form names (``select_one_from_file``, ``pulldata``, ``csv-external``);
    ``external`` are the rows of an ``external_choices`` sheet. All errors are raised
    together as :class:`~.problems.FormErrors` (one alone as itself); warnings end in
    ``form.warnings``.
    """
    pr = problems if problems is not None else Problems()
    b = _Builder(file, languages, pr)
    form_settings = b.settings(settings, specials, default_id)
    lists_raw = b.choices(choices, form_settings.allow_choice_duplicates)
    external_raw = b.choices(external, form_settings.allow_choice_duplicates)
    special_codes = tuple(
        s.code for s in (specials if specials is not None else DEFAULT_SPECIAL_ANSWERS)
    )
    special_names = {
        s.name: s.code for s in (specials if specials is not None else DEFAULT_SPECIAL_ANSWERS)
    }
    default_special = special_codes if specials is not None else ()
    add_none = "add_none_option" in dict(form_settings.other) and (
        str(dict(form_settings.other)["add_none_option"]).strip().lower() in TRUE_WORDS
    )

    lists: dict[str, ChoiceList] = {}
    loaded: dict[str, Attachment] = {}
    stack: list[tuple[RawRow, str, dict[str, Any], list[Item]]] = []
    top: list[Item] = []
    questions: list[tuple[Question, RawRow]] = []
    containers: list[tuple[Group | Repeat, RawRow]] = []
    parents: list[str] = []
    repeats: list[str] = []
    sibling_names: list[set[str]] = [set()]

    def current() -> list[Item]:
        return stack[-1][3] if stack else top

    def attach(filename: str, row: RawRow, key: str, need_name: bool = True) -> Attachment:
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        if stem in loaded:
            return loaded[stem]
        if attachments is None:
            raise row.error(file, f"the attachment '{filename}' cannot be read here", key,
                            hint="Load the form from its file so its media folder is found")
        att = attachments(filename, need_name)
        loaded[stem] = att
        return att

    def choice_list_for(kind: str, arg: str | None, row: RawRow) -> tuple[str, str]:
        base, _, source = kind.partition("@")
        assert arg is not None
        if source == "file":
            if not arg.lower().endswith((".csv", ".xml", ".geojson")):
                raise row.error(file, f"'{arg}' is not a .csv, .xml or .geojson file", "type")
            att = attach(arg, row, "type")
            lname = f"file:{arg}"
            if lname not in lists:
                lists[lname] = ChoiceList(lname, att.choices)
            return base, lname
        pool = external_raw if source == "external" else lists_raw
        if arg not in pool:
            sheet = "external_choices" if source == "external" else "choices"
            raise row.error(
                file,
                f"choice list '{arg}' is not on the {sheet} sheet",
                "type",
                hint=f"Add the list to the {sheet} sheet or fix its name",
            )
        lname = arg if source != "external" else f"external:{arg}"
        if lname not in lists:
            lists[lname] = ChoiceList(lname, tuple(pool[arg]))
        return base, lname

    survey = expand_loops(survey, lists_raw, file, pr)
    for row in survey:
        if not row.cells or all(v in (None, "", {}) for v in row.cells.values()):
            continue
        if _too_long(row, file, pr):
            continue
        raw_type = row.get("type")
        if raw_type is None:
            if any(row.get(k) is not None for k in row.cells if k != "extra"):
                pr.error(row.error(file, "this row has no type", "type"))
            continue

        def type_error(message: str, row: RawRow = row) -> QuestionnaireError:
            return row.error(file, message, "type")

        try:
            kind, arg, or_other = parse_type(str(raw_type), type_error)
        except QuestionnaireError as exc:
            pr.error(exc)
            if row.get("name") is not None:
                b.names.setdefault(_choice_name(row.get("name")), row)
                b.failed.add(_choice_name(row.get("name")))
            continue
        if kind in ATTACHMENT_TYPES:
            name = row.get("name")
            if name is None:
                pr.error(row.error(file, f"a {kind} row needs the attachment's name", "name"))
                continue
            suffix = ".csv" if kind == "csv-external" else ".xml"
            try:
                attach(f"{_choice_name(name)}{suffix}", row, "name", need_name=False)
            except QuestionnaireError as exc:
                pr.error(exc)
            continue
        if kind in ("begin group", "begin repeat"):
            try:
                name = b.check_name(row, sibling_names[-1], parents)
            except QuestionnaireError as exc:
                pr.error(exc)
                name = _choice_name(row.get("name") or f"row{row.row}")
            stack.append((row, kind, {"name": name, "parents": tuple(parents)}, []))
            parents.append(name)
            sibling_names.append(set())
            if kind == "begin repeat":
                repeats.append(name)
            continue
        if kind in ("end group", "end repeat"):
            if not stack:
                pr.error(row.error(file, f"'{raw_type}' without a matching begin", "type"))
                continue
            brow, bkind, info, children = stack.pop()
            parents.pop()
            sibling_names.pop()
            if bkind == "begin repeat":
                repeats.pop()
            if bkind.split()[1] != kind.split()[1]:
                pr.error(row.error(
                    file,
                    f"'{raw_type}' closes the {bkind.split()[1]} begun on row {brow.row}",
                    "type",
                    expected=f"end {bkind.split()[1]}",
                ))
            try:
                item = _container(b, brow, bkind, info, children)
            except QuestionnaireError as exc:
                pr.error(exc)
                continue
            containers.append((item, brow))
            current().append(item)
            continue

        if kind == "note" and row.get("name") is None:  # pyxform allows nameless notes
            row.cells["name"] = f"_note{row.row}"
        try:
            name = b.check_name(row, sibling_names[-1], parents)
        except QuestionnaireError as exc:
            pr.error(exc)
            continue
        try:
            made = _question(b, row, name, kind, arg, or_other, choice_list_for, lists,
                             tuple(parents), tuple(repeats),
                             (default_special, special_names, special_codes), add_none,
                             lambda f, r, k: attach(f, r, k, False))
        except QuestionnaireError as exc:
            pr.error(exc)
            b.failed.add(name)
            continue
        for q in made:
            if q.name != name:
                if q.name in b.names:
                    pr.error(row.error(
                        file, f"the name '{q.name}' (for the 'other' answer) is already used",
                        "name"))
                    continue
                b.names[q.name] = row
            current().append(q)
            questions.append((q, row))

    if stack:
        brow, bkind, info, _ = stack[-1]
        pr.error(brow.error(
            file,
            f"'{bkind}' {info['name']} is never closed",
            "type",
            expected=f"end {bkind.split()[1]}",
        ))
    if not questions and not pr.errors:
        pr.error(QuestionnaireError("the form has no questions", file=file, sheet="survey"))
    if not questions or stack:
        pr.raise_if_any(file)

    lists.update(b.search_lists)
    form = Form(
        settings=form_settings,
        languages=tuple(languages),
        choice_lists=lists,
        children=tuple(top),
        source=file,
        attachments=dict(loaded),
        declares_special=specials is not None
        or any(q.special for q, _ in questions),
    )
    for lname, rows in external_raw.items():
        loaded.setdefault(lname, Attachment(lname, tuple(rows), ("name", "label")))
    known_extra = set(b.failed) | set(b.ambiguous)
    check_references(form, questions, containers, file, pr, known_extra, b.ambiguous)
    check_defaults(form, questions, file, pr)
    check_cycles(form, questions, containers, file, pr)
    _check_language(form, pr)
    pr.raise_if_any(file)
    from fieldsurvey.questionnaire.plan import plan_for

    try:
        plan_for(form)  # compiles every expression and checks repeat_count cycles at load
    except QuestionnaireError as exc:
        pr.error(exc)
        pr.raise_if_any(file)
    object.__setattr__(form, "warnings", tuple(pr.warnings))  # frozen: set once, here
    return form


MAX_CELL = 100_000  # characters of one cell: a 10 MB label is a mistake, not a question


def _too_long(row: RawRow, file: str | None, pr: Problems) -> bool:
    for key, v in row.cells.items():
        texts = v.values() if isinstance(v, Mapping) else [v]
        for t in texts:
            if isinstance(t, str) and len(t) > MAX_CELL:
                pr.error(row.error(
                    file, f"a cell of {len(t):,} characters (fieldsurvey's limit is "
                    f"{MAX_CELL:,})", key, hint="A text this long is a mistake; shorten it"))
                return True
    return False


def _check_language(form: Form, pr: Problems) -> None:
    lang = form.settings.default_language
    if lang and form.languages and LangText.of(dict.fromkeys(form.languages, "x")).get(
        lang, "\0none"
    ) == "x" and not any(_lang_matches(lang, lg) for lg in form.languages):
        pr.warn(QuestionnaireError(
            f"default_language '{lang}' matches no label language of the form",
            file=form.source, sheet="settings", field="default_language",
            expected=", ".join(form.languages),
            hint=f"Labels will be shown in {form.languages[0]}",
        ))


def _lang_matches(wanted: str, lang: str) -> bool:
    w, k = wanted.strip().lower(), lang.lower()
    return k == w or (k.endswith(")") and k.rsplit("(", 1)[-1].rstrip(")").strip() == w)


def _container(
    b: _Builder, brow: RawRow, bkind: str, info: dict[str, Any], children: list[Item]
) -> Group | Repeat:
    file = b.file
    _no_question_columns(brow, file)
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
    if bkind == "begin repeat":
        return Repeat(repeat_count=b.expression(brow, "repeat_count"), **common)
    if brow.get("repeat_count") is not None:
        raise brow.error(file, "repeat_count only applies to a repeat", "repeat_count")
    return Group(**common)


_EXPRESSION_LIKE = re.compile(r"\$\{|[A-Za-z][\w:-]*\s*\(")


def _question(
    b: _Builder,
    row: RawRow,
    name: str,
    kind: str,
    arg: str | None,
    or_other: bool,
    choice_list_for: Callable[[str, str | None, RawRow], tuple[str, str]],
    lists: dict[str, ChoiceList],
    parents: tuple[str, ...],
    repeats: tuple[str, ...],
    special_info: tuple[tuple[int, ...], dict[str, int], tuple[int, ...]],
    add_none: bool,
    attach: Callable[[str, RawRow, str], Attachment],
) -> list[Question]:
    file = b.file
    list_name = None
    if kind.startswith(("select_one", "select_multiple", "rank")):
        kind, list_name = choice_list_for(kind, arg, row)
        if kind == "select_multiple":
            spaced = [c.name for c in lists[list_name].choices if " " in c.name]
            if spaced:
                raise row.error(
                    file,
                    f"choice names with spaces in list '{arg}' ('{spaced[0]}') cannot be "
                    "told apart in a select_multiple answer",
                    "type",
                    hint="Rename the choices without spaces (pyxform refuses them too)",
                )
            if add_none and not any(c.name == "none" for c in lists[list_name].choices):
                derived = f"{list_name}__none"
                lists.setdefault(derived, ChoiceList(derived, (
                    *lists[list_name].choices,
                    Choice("none", LangText.of("None"), exclusive=True))))
                list_name = derived
        if or_other:
            derived = f"{list_name}__or_other"
            if derived not in lists:
                lists[derived] = ChoiceList(
                    derived,
                    (
                        *lists[list_name].choices,
                        Choice("other", _other_text(b.languages, "其他", "Other")),
                    ),
                )
            list_name = derived
    elif row.get("choice_filter") is not None:
        raise row.error(file, "choice_filter only applies to select questions", "choice_filter")
    if kind == "calculate" and row.get("calculation") is None:
        raise row.error(file, "a calculate has no calculation", "calculation")
    if kind in ("note",) and row.get("calculation") is not None:
        raise row.error(file, "a note cannot have a calculation", "calculation")
    if row.get("repeat_count") is not None:
        raise row.error(file, "repeat_count only applies to a repeat", "repeat_count")
    default_special, special_names, special_codes = special_info
    input_like = kind not in METADATA_TYPES and kind not in ("note", "calculate", "hidden")
    special = _special(row, file, default_special, special_names, special_codes,
                       kind if input_like else "note")
    raw_default = row.get("default")
    default = None if raw_default is None else _choice_name(raw_default)
    default_expr = None
    if default is not None and _EXPRESSION_LIKE.search(default):
        default_expr = b.expression(row, "default")
    appearance = str(row.get("appearance", "")).strip()
    search_filter = None
    if "search(" in appearance.replace(" ", ""):
        if list_name is None:
            raise row.error(file, "search() only applies to select questions", "appearance")
        list_name, search_filter = _search(b, row, appearance, lists[list_name], attach)
    required, required_if = _required(b, row)
    if kind == "range":
        _check_range(b, row)
    q = Question(
        name=name,
        type=kind,  # type: ignore[arg-type]
        label=_lang(row.cells.get("label")),
        hint=_lang(row.cells.get("hint")),
        required=required,
        required_message=_lang(row.cells.get("required_message")),
        relevant=b.expression(row, "relevant"),
        constraint=b.expression(row, "constraint"),
        constraint_message=_lang(row.cells.get("constraint_message")),
        calculation=b.expression(row, "calculation"),
        default=default,
        choice_list=list_name,
        or_other=or_other,
        choice_filter=_and(search_filter, b.expression(row, "choice_filter")),
        appearance=appearance,
        read_only=_bool(row, "read_only", file),
        sensitive=_bool(row, "sensitive", file),
        special=special,
        parents=parents,
        repeats=repeats,
        row=row.row,
        required_if=required_if,
        default_expression=default_expr,
        warning=b.expression(row, "warning"),
        warning_message=_lang(row.cells.get("warning_message")),
        guidance_hint=_lang(row.cells.get("guidance_hint")),
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
            label=_other_text(b.languages, "其他,请注明", "Specify other"),
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


_SEARCH = re.compile(
    r"search\(\s*'([^']+)'\s*(?:,\s*'(matches|contains|startswith|endswith)'\s*,"
    r"\s*'([^']+)'\s*,\s*(.+?))?\s*\)\s*$", re.IGNORECASE)
_SEARCH_OP = {"matches": "{col} = {v}", "contains": "contains({col}, {v})",
              "startswith": "starts-with({col}, {v})", "endswith": "ends-with({col}, {v})"}


def _search(
    b: _Builder, row: RawRow, appearance: str, placeholder: ChoiceList,
    attach: Callable[[str, RawRow, str], Attachment],
) -> tuple[str, Expression | None]:
    """ODK's ``search('file' [, 'matches', 'column', value])`` appearance.

    The choices are the rows of ``file.csv``; the list's one choice row names the value
    column (``name``) and the label column (``label``), as ODK reads it.
    """
    m = _SEARCH.search(appearance[appearance.index("search("):])
    if m is None or not placeholder.choices:
        raise row.error(b.file, "not supported: this form of search() in the appearance",
                        "appearance", got=repr(appearance),
                        expected="search('file') or search('file', 'matches', 'column', value)")
    att = attach(f"{m.group(1)}.csv", row, "appearance")
    head = placeholder.choices[0]
    value_col = head.name
    label_cols = dict(head.label.texts)
    choices = tuple(
        Choice(c.attribute(value_col),
               LangText.of({lang: c.attribute(col) for lang, col in label_cols.items()}),
               c.attributes)
        for c in att.choices if c.attribute(value_col)
    )
    lname = f"search:{m.group(1)}:{value_col}"
    b.search_lists[lname] = ChoiceList(lname, choices)
    if m.group(2) is None:
        return lname, None
    source = _SEARCH_OP[m.group(2).lower()].format(col=m.group(3), v=m.group(4).strip())
    tree = expr.parse(source)
    return lname, Expression(source, tree, expr.references(tree))


def _and(a: Expression | None, b: Expression | None) -> Expression | None:
    if a is None or b is None:
        return a or b
    source = f"({a.source}) and ({b.source})"
    tree = expr.parse(source)
    return Expression(source, tree, a.deps | b.deps)


def _required(b: _Builder, row: RawRow) -> tuple[bool, Expression | None]:
    raw = row.cells.get("required")
    if raw is None or isinstance(raw, bool):
        return bool(raw), None
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return False, b.expression(row, "required")


def _parameters(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw in (None, ""):
        return ()
    out = []
    for part in re.split(r"[\s;,]+", str(raw).strip()):
        if "=" in part:
            k, _, v = part.partition("=")
            out.append((k.strip().lower(), v.strip()))
    return tuple(out)


def _check_range(b: _Builder, row: RawRow) -> None:
    p = dict(_parameters(row.get("parameters")))
    try:
        start, end, step = (float(p.get(k, d)) for k, d in
                            (("start", "1"), ("end", "10"), ("step", "1")))
    except ValueError:
        raise row.error(b.file, "range parameters must be numbers", "parameters",
                        got=repr(row.get("parameters"))) from None
    if step == 0 or start == end:
        raise row.error(b.file, "a range needs start != end and a step other than 0",
                        "parameters", got=repr(row.get("parameters")))


def _trigger_names(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    return [m.strip() for m in re.findall(r"\$\{([^}]+)\}", str(raw))]


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
