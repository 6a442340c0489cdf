"""Turn survey/choices/settings rows (from XLSForm or YAML) into a checked :class:`Form`.

Why a module of its own: both loaders produce the same neutral rows (:class:`~.rows.RawRow`),
and this is the one walk over them. It keeps the nesting of groups and repeats, gives
each item a unique name, reads the attachments a form names once, hands each row to
:mod:`.items` (one row to its item) with the form's :mod:`.choicelists`, and ends with
the whole-form checks (:mod:`.checks`: unknown references, defaults, cyclic
``relevant``/``calculation`` dependencies; :mod:`.settings`: the default language) and
compiling every expression (:mod:`.plan`). Every problem is collected and raised
together, each naming its sheet, row and column; warnings end in ``form.warnings``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.checks import check_cycles, check_defaults, check_references
from fieldsurvey.questionnaire.choicelists import ChoiceLists, read_choices
from fieldsurvey.questionnaire.external import Attachment, find_attachment, read_attachment
from fieldsurvey.questionnaire.items import SpecialRule, container, question
from fieldsurvey.questionnaire.loops import expand_loops
from fieldsurvey.questionnaire.model import (
    Form,
    Group,
    Item,
    Question,
    Repeat,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.problems import Problems
from fieldsurvey.questionnaire.rows import TRUE_WORDS, RawRow, cell_name, too_long
from fieldsurvey.questionnaire.settings import check_default_language, form_settings
from fieldsurvey.questionnaire.types import ATTACHMENT_TYPES, parse_type

__all__ = ["attachments_beside", "build_form"]

_NAME = re.compile(r"^[^\W\d][\w.\-]*$")


def attachments_beside(path: Path) -> Callable[[str, bool], Attachment]:
    """``attachments(filename, need_name)`` for :func:`build_form`: a form file's attachments.

    A file the form names is looked for next to the form and in ``<form name>-media/``.
    """
    file = str(path)

    def attachment(filename: str, need_name: bool) -> Attachment:
        found = find_attachment(path, filename)
        if found is None:
            raise QuestionnaireError(
                f"the attachment '{filename}' is not next to the form",
                file=file,
                hint=f"Put {filename} beside the form or in {path.stem}-media/",
            )
        return read_attachment(found, need_name)

    return attachment


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
    made_settings = form_settings(settings, specials, default_id, pr)
    sheet_lists = read_choices(choices, file, pr, made_settings.allow_choice_duplicates)
    # external choices become a CSV attachment in ODK: names repeat under other parents
    external_lists = read_choices(external, file, pr, allow_dup=True)
    other = dict(made_settings.other)
    add_none = "add_none_option" in other and (
        str(other["add_none_option"]).strip().lower() in TRUE_WORDS
    )
    attach = _Attachments(file, attachments)
    lists = ChoiceLists(sheet_lists, external_lists, file=file, languages=languages,
                        add_none=add_none, attach=attach)
    walk = _Walk(file, pr, lists, attach, SpecialRule.of(specials))
    for row in expand_loops(survey, sheet_lists, file, pr):
        walk.row(row)
    walk.close()
    form = Form(
        settings=made_settings,
        languages=tuple(languages),
        choice_lists=lists.all(),
        children=tuple(walk.top),
        source=file,
        attachments=dict(attach.loaded),
        declares_special=specials is not None
        or any(q.special for q, _ in walk.questions),
    )
    names = walk.names
    check_references(form, walk.questions, walk.containers, file, pr,
                     names.failed | names.ambiguous, names.ambiguous, attach.unreadable)
    check_defaults(form, walk.questions, file, pr)
    check_cycles(form, walk.questions, walk.containers, file, pr)
    check_default_language(form, pr)
    pr.raise_if_any(file)
    from fieldsurvey.questionnaire.plan import plan_for

    try:
        plan_for(form)  # compiles every expression and checks repeat_count cycles at load
    except QuestionnaireError as exc:
        pr.error(exc)
        pr.raise_if_any(file)
    object.__setattr__(form, "warnings", tuple(pr.warnings))  # frozen: set once, here
    return form


#: Columns pyxform accepts on a group or repeat and ODK does nothing with there.
_IGNORED_ON_GROUPS = ("default", "required", "required_message", "constraint_message")


class _Attachments:
    """The files a form names, each read once (``reader`` is the loader's)."""

    def __init__(self, file: str | None, reader: Callable[[str, bool], Attachment] | None):
        self.file = file
        self.reader = reader
        self.loaded: dict[str, Attachment] = {}
        self.unreadable: set[str] = set()  # reported once; instance('x') on them is not

    def __call__(self, filename: str, row: RawRow, key: str, need_name: bool = True
                 ) -> Attachment:
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        if stem in self.loaded:
            return self.loaded[stem]
        if self.reader is None:
            raise row.error(self.file, f"the attachment '{filename}' cannot be read here", key,
                            hint="Load the form from its file so its media folder is found")
        try:
            att = self.reader(filename, need_name)
        except QuestionnaireError:
            self.unreadable.add(stem)
            raise
        self.loaded[stem] = att
        return att


class _Names:
    """The names of a form's items, each with the row that declares it."""

    def __init__(self, file: str | None, problems: Problems) -> None:
        self.file = file
        self.rows: dict[str, RawRow] = {}
        self.failed: set[str] = set()  # names of rows refused (not reported again as unknown)
        self.ambiguous: set[str] = set()  # names used in two groups (pyxform allows it)
        self.problems = problems

    def check(self, row: RawRow, siblings: set[str], parents: list[str]) -> str:
        """The row's name.

        valid, unique among its siblings; a name used in another group gets the group's name
        in front (``grp.name``), as pyxform allows it.
        """
        file = self.file
        name = row.get("name")
        if name is None:
            raise row.error(file, "this row has no name", "name",
                            hint="Give every question, group and repeat a unique name")
        name = cell_name(name)
        if not _NAME.match(name):
            raise row.error(file, f"'{name}' is not a valid name", "name",
                            expected="a letter or _ followed by letters, digits, _ . or -")
        if name in siblings:
            raise row.error(file, f"the name '{name}' is used twice in the same group", "name",
                            hint=f"It is first used on row {self.rows[name].row}; "
                            "names must be unique within a group")
        siblings.add(name)
        if name in self.rows:
            if not parents:
                raise row.error(file, f"the name '{name}' is used twice", "name",
                                hint=f"It is first used on row {self.rows[name].row}")
            self.ambiguous.add(name)
            unique = f"{parents[-1]}.{name}"
            if unique in self.rows:
                raise row.error(file, f"the name '{name}' is used twice", "name",
                                hint=f"It is first used on row {self.rows[name].row}")
            self.problems.warn(row.error(
                file, f"the name '{name}' is also used on row {self.rows[name].row}; this "
                f"one is stored as '{unique}'", "name",
                hint=f"Refer to it as ${{{unique}}}; ${{{name}}} is ambiguous"))
            self.rows[unique] = row
            return unique
        self.rows[name] = row
        return name


class _Walk:
    """The survey rows in order: groups and repeats nest, each other row becomes its items."""

    def __init__(self, file: str | None, problems: Problems, lists: ChoiceLists,
                 attach: _Attachments, specials: SpecialRule) -> None:
        self.file = file
        self.pr = problems
        self.lists = lists
        self.attach = attach
        self.specials = specials
        self.names = _Names(file, problems)
        self.stack: list[tuple[RawRow, str, dict[str, Any], list[Item]]] = []
        self.top: list[Item] = []
        self.questions: list[tuple[Question, RawRow]] = []
        self.containers: list[tuple[Group | Repeat, RawRow]] = []
        self.parents: list[str] = []
        self.repeats: list[str] = []
        self.siblings: list[set[str]] = [set()]

    def _current(self) -> list[Item]:
        return self.stack[-1][3] if self.stack else self.top

    def row(self, row: RawRow) -> None:
        """Take one survey row (errors go to the problems, the walk goes on)."""
        file, pr = self.file, self.pr
        if not row.cells or all(v in (None, "", {}) for v in row.cells.values()):
            return
        if too_long(row, file, pr):
            return
        raw_type = row.get("type")
        if raw_type is None:
            if row.get("name") is not None or row.get("label") is not None:
                pr.error(row.error(file, "this row has no type", "type"))
            elif any(row.get(k) is not None for k in row.cells if k != "extra"):
                pr.warn(row.error(file, "a row without type, name or label is skipped "
                                  "(as by pyxform)", "type"))
            return

        def type_error(message: str) -> QuestionnaireError:
            return row.error(file, message, "type")

        try:
            kind, arg, or_other = parse_type(str(raw_type), type_error)
        except QuestionnaireError as exc:
            pr.error(exc)
            if row.get("name") is not None:
                self.names.rows.setdefault(cell_name(row.get("name")), row)
                self.names.failed.add(cell_name(row.get("name")))
            return
        if kind in ATTACHMENT_TYPES:
            self._attachment(row, kind)
        elif kind in ("begin group", "begin repeat"):
            self._begin(row, kind)
        elif kind in ("end group", "end repeat"):
            self._end(row, kind, raw_type)
        else:
            self._question(row, kind, arg, or_other)

    def _attachment(self, row: RawRow, kind: str) -> None:
        name = row.get("name")
        if name is None:
            self.pr.error(row.error(self.file, f"a {kind} row needs the attachment's name",
                                    "name"))
            return
        suffix = ".csv" if kind == "csv-external" else ".xml"
        try:
            self.attach(f"{cell_name(name)}{suffix}", row, "name", need_name=False)
        except QuestionnaireError as exc:
            self.pr.error(exc)

    def _begin(self, row: RawRow, kind: str) -> None:
        try:
            name = self.names.check(row, self.siblings[-1], self.parents)
        except QuestionnaireError as exc:
            self.pr.error(exc)
            name = cell_name(row.get("name") or f"row{row.row}")
        self.stack.append((row, kind, {"name": name, "parents": tuple(self.parents)}, []))
        self.parents.append(name)
        self.siblings.append(set())
        if kind == "begin repeat":
            self.repeats.append(name)

    def _end(self, row: RawRow, kind: str, raw_type: Any) -> None:
        file, pr = self.file, self.pr
        if not self.stack:
            pr.error(row.error(file, f"'{raw_type}' without a matching begin", "type"))
            return
        brow, bkind, info, children = self.stack.pop()
        self.parents.pop()
        self.siblings.pop()
        if bkind == "begin repeat":
            self.repeats.pop()
        if bkind.split()[1] != kind.split()[1]:
            pr.error(row.error(
                file,
                f"'{raw_type}' closes the {bkind.split()[1]} begun on row {brow.row}",
                "type",
                expected=f"end {bkind.split()[1]}",
            ))
        for key in _IGNORED_ON_GROUPS:  # pyxform writes them on the group; ODK ignores them
            if brow.get(key) is not None and str(brow.get(key)).strip().lower() not in (
                    "no", "false", "false()", "0", "n"):
                pr.warn(brow.error(file, f"{key} does not apply to a group or repeat; "
                                   "ignored (as by ODK)", key, got=repr(brow.get(key))[:60]))
            brow.cells.pop(key, None)
        try:
            item = container(brow, bkind, info, children, file)
        except QuestionnaireError as exc:
            pr.error(exc)
            stack = list(children)  # its questions are not reported again as unknown
            while stack:
                it = stack.pop()
                self.names.failed.add(it.name)
                stack.extend(getattr(it, "children", ()))
            return
        self.containers.append((item, brow))
        self._current().append(item)

    def _question(self, row: RawRow, kind: str, arg: str | None, or_other: bool) -> None:
        file, pr = self.file, self.pr
        if kind == "note" and row.get("name") is None:  # pyxform allows nameless notes
            row.cells["name"] = f"_note{row.row}"
        if row.get("choice_filter") is not None and not kind.startswith(
                ("select_one", "select_multiple", "rank")):  # pyxform and ODK ignore it
            pr.warn(row.error(file, "choice_filter only applies to select questions; "
                              "ignored here (as by ODK)", "choice_filter",
                              got=repr(row.get("choice_filter"))[:60]))
            row.cells.pop("choice_filter", None)
        try:
            name = self.names.check(row, self.siblings[-1], self.parents)
        except QuestionnaireError as exc:
            pr.error(exc)
            return
        try:
            made = question(row, name, kind, arg, or_other, file=file, lists=self.lists,
                            parents=tuple(self.parents), repeats=tuple(self.repeats),
                            specials=self.specials)
        except QuestionnaireError as exc:
            pr.error(exc)
            self.names.failed.add(name)
            return
        for q in made:
            if q.name != name:
                if q.name in self.names.rows:
                    pr.error(row.error(
                        file, f"the name '{q.name}' (for the 'other' answer) is already used",
                        "name"))
                    continue
                self.names.rows[q.name] = row
            self._current().append(q)
            self.questions.append((q, row))

    def close(self) -> None:
        """After the last row: an unclosed group or a form without questions ends the load."""
        file, pr = self.file, self.pr
        if self.stack:
            brow, bkind, info, _ = self.stack[-1]
            pr.error(brow.error(
                file,
                f"'{bkind}' {info['name']} is never closed",
                "type",
                expected=f"end {bkind.split()[1]}",
            ))
        if not self.questions and not pr.errors:
            pr.error(QuestionnaireError("the form has no questions", file=file, sheet="survey"))
        if not self.questions or self.stack:
            pr.raise_if_any(file)
