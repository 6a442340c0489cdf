"""The choice lists of a form being built: read from the sheets, chosen per select question.

Why a module of its own: a select question's list can come from the ``choices`` sheet,
the ``external_choices`` sheet, an attached file (``select_one_from_file``) or an
attached CSV searched at run time (``search()`` in the appearance), and the form may
derive lists from it (an ``or_other`` list with "Other" added, a select_multiple with
"None" added by ``add_none_option``). :class:`ChoiceLists` keeps every list a question
uses under one name, once, in the order first used, so equal forms get equal models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr
from fieldsurvey.questionnaire.external import Attachment
from fieldsurvey.questionnaire.model import Choice, ChoiceList, Expression, LangText
from fieldsurvey.questionnaire.problems import Problems
from fieldsurvey.questionnaire.rows import RawRow, cell_name, lang_text, yes_no

__all__ = ["ChoiceLists", "other_text", "read_choices"]

#: ``attach(filename, row, column, need_name)``: an attachment read once per form.
Attach = Callable[[str, RawRow, str, bool], Attachment]


def read_choices(
    rows: Sequence[RawRow], file: str | None, problems: Problems, allow_dup: bool = False
) -> dict[str, list[Choice]]:
    """The choices of a choices sheet by list name, each bad row reported to ``problems``."""
    lists: dict[str, list[Choice]] = {}
    seen: dict[tuple[str, str], RawRow] = {}
    for row in rows:
        try:
            _choice(row, file, lists, seen, allow_dup, problems)
        except QuestionnaireError as exc:
            problems.error(exc)
    return lists


def _choice(row: RawRow, file: str | None, lists: dict[str, list[Choice]],
            seen: dict[tuple[str, str], RawRow], allow_dup: bool, problems: Problems) -> None:
    list_name = str(row.get("list_name", "")).strip()
    name = row.get("name")
    if not list_name and name is None and not row.get("label"):
        return
    if not list_name:  # pyxform drops such a row: ODK never offers it
        problems.warn(row.error(
            file, "a choice row without a list name is ignored (as by ODK)", "list_name",
            got=repr(name if name is not None else row.get("label"))[:60],
            hint="Give it the list_name of its list, or delete the row"))
        return
    if name is None:
        raise row.error(file, f"a choice of list '{list_name}' has no name", "name")
    name = cell_name(name)
    if (list_name, name) in seen and not allow_dup:
        raise row.error(
            file,
            f"choice '{name}' appears twice in list '{list_name}'",
            "name",
            hint=f"The first is on row {seen[(list_name, name)].row}; set "
            "allow_choice_duplicates in the settings if that is meant",
        )
    seen[(list_name, name)] = row
    attrs = tuple(
        sorted(
            (k, cell_name(v))
            for k, v in row.cells.get("attributes", {}).items()
            if v not in (None, "")
        )
    )
    lists.setdefault(list_name, []).append(
        Choice(
            name=name,
            label=lang_text(row.cells.get("label")),
            attributes=attrs,
            missing=yes_no(row, "missing", file),
            exclusive=yes_no(row, "exclusive", file),
        )
    )


def other_text(languages: Sequence[str], zh: str, en: str) -> LangText:
    """``zh`` in every Chinese label language, ``en`` in the others."""
    def pick(lang: str) -> str:
        low = lang.lower()
        return (
            zh if low.startswith("zh") or "chinese" in low or "中文" in low or "(zh" in low else en
        )

    return LangText.of({lang: pick(lang) for lang in (languages or [""])})


_SEARCH = re.compile(
    r"search\(\s*'([^']+)'\s*(?:,\s*'(matches|contains|startswith|endswith)'\s*,"
    r"\s*'([^']+)'\s*,\s*(.+?))?\s*\)\s*$", re.IGNORECASE)
_SEARCH_OP = {"matches": "{col} = {v}", "contains": "contains({col}, {v})",
              "startswith": "starts-with({col}, {v})", "endswith": "ends-with({col}, {v})"}


def search_call(appearance: str) -> str:
    """The ``search(...)`` call of an appearance, without the words around it.

    ``search('phones') quick`` or a SurveyCTO plug-in beside it
    (``search('x') custom-table-list(...)``): brackets inside quotes do not count.
    """
    found = re.search(r"search\s*\(", appearance)
    if found is None:
        return appearance
    start = found.start()
    depth, quote = 0, ""
    for i in range(start, len(appearance)):
        ch = appearance[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return appearance[start:i + 1]
    return appearance[start:]


class ChoiceLists:
    """The lists the questions of one form use (see the module docstring).

    ``sheet`` and ``external`` are the choices of the ``choices`` and
    ``external_choices`` sheets by list name; ``attach`` reads an attached file.
    """

    def __init__(self, sheet: dict[str, list[Choice]], external: dict[str, list[Choice]], *,
                 file: str | None, languages: Sequence[str], add_none: bool,
                 attach: Attach) -> None:
        self.sheet = sheet
        self.external = external
        self.file = file
        self.languages = tuple(languages)
        self.add_none = add_none
        self.attach = attach
        self.used: dict[str, ChoiceList] = {}  # every list a question uses, by name
        self.searches: dict[str, ChoiceList] = {}  # lists made by search()

    def all(self) -> dict[str, ChoiceList]:
        """Every list of the form: those used, then those ``search()`` made."""
        self.used.update(self.searches)
        return self.used

    def for_type(self, kind: str, arg: str | None, row: RawRow) -> tuple[str, str]:
        """The question type without ``@source`` and the name of its list.

        ``kind`` is ``select_one``, ``select_one@file``, ``select_one@external`` ...;
        ``arg`` the list (or file) the type names.
        """
        file = self.file
        base, _, source = kind.partition("@")
        assert arg is not None
        if source == "file":
            if not arg.lower().endswith((".csv", ".xml", ".geojson")):
                raise row.error(file, f"'{arg}' is not a .csv, .xml or .geojson file", "type")
            att = self.attach(arg, row, "type", True)
            lname = f"file:{arg}"
            if lname not in self.used:
                self.used[lname] = ChoiceList(lname, att.choices)
            return base, lname
        pool = self.external if source == "external" else self.sheet
        if arg not in pool:
            sheet = "external_choices" if source == "external" else "choices"
            raise row.error(
                file,
                f"choice list '{arg}' is not on the {sheet} sheet",
                "type",
                hint=f"Add the list to the {sheet} sheet or fix its name",
            )
        lname = arg if source != "external" else f"external:{arg}"
        if lname not in self.used:
            self.used[lname] = ChoiceList(lname, tuple(pool[arg]))
        return base, lname

    def for_select(
        self, kind: str, arg: str | None, or_other: bool, row: RawRow
    ) -> tuple[str, str]:
        """A select question's type and list, with "None" and "Other" added as asked."""
        kind, list_name = self.for_type(kind, arg, row)
        lists = self.used
        if kind == "select_multiple":
            spaced = [c.name for c in lists[list_name].choices if " " in c.name]
            if spaced:
                raise row.error(
                    self.file,
                    f"choice names with spaces in list '{arg}' ('{spaced[0]}') cannot be "
                    "told apart in a select_multiple answer",
                    "type",
                    hint="Rename the choices without spaces (pyxform refuses them too)",
                )
            if self.add_none and not any(c.name == "none" for c in lists[list_name].choices):
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
                        Choice("other", other_text(self.languages, "其他", "Other")),
                    ),
                )
            list_name = derived
        return kind, list_name

    def search(
        self, row: RawRow, appearance: str, list_name: str
    ) -> tuple[str, Expression | None]:
        """ODK's ``search('file' [, 'matches', 'column', value])`` appearance.

        The choices are the rows of ``file.csv``; the list's one choice row names the value
        column (``name``) and the label column (``label``), as ODK reads it. Returns the
        search list's name and the filter the extra arguments make.
        """
        placeholder = self.used[list_name]
        m = _SEARCH.search(search_call(appearance))
        if m is None or not placeholder.choices:
            raise row.error(self.file, "not supported: this form of search() in the appearance",
                            "appearance", got=repr(appearance),
                            expected="search('file') or search('file', 'matches', 'column', "
                            "value)")
        att = self.attach(f"{m.group(1)}.csv", row, "appearance", False)
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
        self.searches[lname] = ChoiceList(lname, choices)
        if m.group(2) is None:
            return lname, None
        source = _SEARCH_OP[m.group(2).lower()].format(col=m.group(3), v=m.group(4).strip())
        tree = expr.parse(source)
        return lname, Expression(source, tree, expr.references(tree))
