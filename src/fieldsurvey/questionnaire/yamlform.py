"""Read a questionnaire written in YAML: the same content as an XLSForm, as nested data.

Layout::

    settings: {form_id: resident_survey, version: "1", default_language: zh,
               form_title: {zh: ..., en: ...}}
    languages: [zh, en]                      # optional; else the order labels use
    special_answers:                          # optional; configures 不知道/拒绝回答
      - {code: -8, name: dont_know, label: {zh: 不知道, en: Don't know}}
    choices:
      sex:
        - {name: "1", label: {zh: 男, en: Male}}
    survey:
      - {type: integer, name: h_age, label: {zh: 年龄, en: Age}, constraint: ". <= 120"}
      - type: begin group                     # a group/repeat holds its items in children
        name: sec_a
        children: [...]

Keys are the XLSForm column names; a text column takes a string or a mapping
language -> text. Unknown keys are errors naming the item (its number in document
order, reported as the row) and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.build import attachments_beside, build_form
from fieldsurvey.questionnaire.model import Form, LangText, SpecialAnswer
from fieldsurvey.questionnaire.rows import RawRow
from fieldsurvey.questionnaire.settings import YAML_SETTINGS
from fieldsurvey.questionnaire.xlsform import SURVEY_COLUMNS, TRANSLATABLE

__all__ = ["load_yamlform"]

_TOP_KEYS = {"settings", "languages", "special_answers", "choices", "survey",
             "external_choices"}
MAX_ALIASES = 100  # a form needs few; an alias bomb needs many
MAX_NODES = 200_000  # values after aliases are expanded


class _Float(float):
    """A YAML number with the text it was written as (``2026.10`` stays "2026.10")."""

    text = ""


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases and keeps the text of decimal numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(
                    f"more than {MAX_ALIASES} aliases (*name); fieldsurvey limits them"
                )
        return super().compose_node(parent, index)


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = _Float(yaml.SafeLoader.construct_yaml_float(loader, node))
    value.text = str(node.value)
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _float)


def _size(doc: Any) -> int:
    """Values in the document with aliases expanded (stops counting past the limit)."""
    n = 0
    stack = [doc]
    while stack:
        v = stack.pop()
        n += 1
        if n > MAX_NODES:
            break
        if isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return n


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Float) and value.text:
        return value.text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _lang(value: Any, languages: list[str]) -> dict[str, str]:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            k = str(k)
            if k and k not in languages:
                languages.append(k)
            t = _text(v)
            if t is not None:
                out[k] = t
        return out
    t = _text(value)
    return {"": t} if t is not None else {}


def load_yamlform(path: str | Path) -> Form:
    """Load a YAML questionnaire (see the module docstring)."""
    p = Path(path)
    file = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QuestionnaireError(
            "the YAML form is not UTF-8 text", file=file, got=str(exc),
            hint="Save the file as UTF-8 (in the editor's Save As dialog, encoding UTF-8)",
        ) from None
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise QuestionnaireError(
            f"the YAML is not valid: {getattr(exc, 'problem', exc)}",
            file=file,
            row=mark.line + 1 if mark is not None else None,
            hint="Check that line and the one before it: indent with spaces (not tabs), "
            "close every bracket and quote",
        ) from None
    if _size(doc) > MAX_NODES:
        raise QuestionnaireError(
            f"the YAML form expands to more than {MAX_NODES:,} values",
            file=file,
            hint="Aliases (*name) repeat what they point to; write the form out instead",
        )
    if not isinstance(doc, Mapping) or "survey" not in doc:
        raise QuestionnaireError(
            "a YAML form needs a 'survey' list",
            file=file,
            expected="a mapping with settings, choices and survey",
        )
    for key in doc:
        if key not in _TOP_KEYS:
            raise QuestionnaireError(
                f"unknown top-level key '{key}'",
                file=file,
                field=str(key),
                expected=", ".join(sorted(_TOP_KEYS)),
            )
    languages: list[str] = [str(x) for x in (doc.get("languages") or [])]
    settings = _settings(doc.get("settings") or {}, file, languages)
    specials = _specials(doc.get("special_answers"), file, languages)
    choices = _choices(doc.get("choices") or {}, file, languages)
    external = _choices(doc.get("external_choices") or {}, file, languages)
    survey: list[RawRow] = []
    _survey(doc["survey"], file, languages, survey, "survey")
    langs = [lang for lang in languages if lang]
    return build_form(
        file=file,
        survey=survey,
        choices=choices,
        settings=settings,
        languages=langs,
        specials=specials,
        default_id=p.stem,
        attachments=attachments_beside(p),
        external=external,
    )


def _settings(raw: Any, file: str, languages: list[str]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise QuestionnaireError("settings must be a mapping", file=file, field="settings")
    out: dict[str, Any] = {}
    for k, v in raw.items():
        key = YAML_SETTINGS.get(str(k))
        if key is None:
            raise QuestionnaireError(
                f"not supported: setting '{k}'",
                file=file,
                sheet="settings",
                field=str(k),
                expected=", ".join(YAML_SETTINGS),
            )
        out[key] = _lang(v, languages) if key == "title" and isinstance(v, Mapping) else _text(v)
    return out


def _specials(raw: Any, file: str, languages: list[str]) -> list[SpecialAnswer] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise QuestionnaireError(
            "special_answers must be a list", file=file, field="special_answers"
        )
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or set(item) - {"code", "name", "label"}:
            raise QuestionnaireError(
                "a special answer has code, name and label",
                file=file,
                sheet="special_answers",
                row=i,
            )
        try:
            raw = item.get("code")
            code = raw if isinstance(raw, int) and not isinstance(raw, bool) else int(str(raw))
        except (TypeError, ValueError):
            raise QuestionnaireError(
                "a special answer needs a whole-number code",
                file=file,
                sheet="special_answers",
                row=i,
                field="code",
            ) from None
        name = _text(item.get("name"))
        if not name:
            raise QuestionnaireError(
                "a special answer needs a name",
                file=file,
                sheet="special_answers",
                row=i,
                field="name",
            )
        out.append(SpecialAnswer(code, name, LangText.of(_lang(item.get("label"), languages))))
    return out


def _choices(raw: Any, file: str, languages: list[str]) -> list[RawRow]:
    if not isinstance(raw, Mapping):
        raise QuestionnaireError("choices must map list names to lists", file=file, field="choices")
    rows: list[RawRow] = []
    n = 0
    for list_name, items in raw.items():
        if not isinstance(items, list):
            raise QuestionnaireError(
                f"choice list '{list_name}' must be a list",
                file=file,
                sheet="choices",
                field=str(list_name),
            )
        for item in items:
            n += 1
            if not isinstance(item, Mapping):
                raise QuestionnaireError(
                    "a choice must be a mapping with name and label",
                    file=file,
                    sheet="choices",
                    row=n,
                )
            cells: dict[str, Any] = {"list_name": str(list_name), "attributes": {}}
            for k, v in item.items():
                k = str(k)
                if k == "label":
                    cells["label"] = _lang(v, languages)
                elif k in ("name", "missing", "exclusive"):
                    cells[k] = _text(v)
                elif k in ("image", "audio", "video", "big-image"):
                    raise QuestionnaireError(
                        f"column '{k}' is not supported", file=file, sheet="choices", row=n, field=k
                    )
                else:
                    cells["attributes"][k] = _text(v)
            rows.append(RawRow("choices", n, cells, {k: k for k in cells}))
    return rows


def _survey(items: Any, file: str, languages: list[str], out: list[RawRow], where: str) -> None:
    if not isinstance(items, list):
        raise QuestionnaireError(f"{where} must be a list of questions", file=file, field=where)
    for item in items:
        row = len(out) + 1
        if not isinstance(item, Mapping):
            raise QuestionnaireError(
                "a survey item must be a mapping", file=file, sheet="survey", row=row
            )
        cells: dict[str, Any] = {}
        children = None
        for k, v in item.items():
            k = str(k)
            if k == "children":
                children = v
                continue
            if k not in SURVEY_COLUMNS:
                raise QuestionnaireError(
                    f"not supported: column '{k}'",
                    file=file,
                    sheet="survey",
                    row=row,
                    field=k,
                    expected=", ".join(SURVEY_COLUMNS),
                )
            cells[k] = _lang(v, languages) if k in TRANSLATABLE else _text(v)
        out.append(RawRow("survey", row, cells, {k: k for k in cells}))
        if children is not None:
            kind = " ".join(str(cells.get("type") or "").split()).lower()
            if kind not in ("begin group", "begin repeat", "begin_group", "begin_repeat"):
                raise QuestionnaireError(
                    "only a begin group or begin repeat can have children",
                    file=file,
                    sheet="survey",
                    row=row,
                    field="children",
                )
            _survey(children, file, languages, out, f"children of {cells.get('name')}")
            end = "end repeat" if "repeat" in kind else "end group"
            out.append(RawRow("survey", len(out) + 1, {"type": end}, {"type": "type"}))
