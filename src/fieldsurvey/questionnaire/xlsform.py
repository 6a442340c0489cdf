"""Read an XLSForm workbook (``.xlsx`` with openpyxl, legacy ``.xls`` with xlrd).

Sheets: ``survey`` (required), ``choices``, ``settings``, and fieldsurvey's optional
``special_answers`` (columns ``code``, ``name``, ``label::<lang>``) that configures the
不知道 / 拒绝回答 codes. Columns are matched case-insensitively with the common aliases
(``bind:relevant``, ``jr:constraintMsg``, ``readonly`` ...). Any other sheet, column or
type that holds a value is refused with an error naming the sheet, row and column:
fieldsurvey never runs a form differently from what its author wrote. Comment columns
(``notes``, ``comments``, ``tutorial notes``) are the one thing skipped on purpose.
The cells come as text from :mod:`.workbook`; this module gives them their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.build import attachments_beside, build_form
from fieldsurvey.questionnaire.model import Form, LangText, SpecialAnswer
from fieldsurvey.questionnaire.problems import Problems
from fieldsurvey.questionnaire.rows import FALSE_WORDS, MAX_CELL, TRUE_WORDS, RawRow
from fieldsurvey.questionnaire.settings import SETTINGS_COLUMNS, completion_rules
from fieldsurvey.questionnaire.types import SIMPLE_TYPES
from fieldsurvey.questionnaire.workbook import NumberText, read_workbook

__all__ = ["SURVEY_COLUMNS", "load_xlsform", "read_workbook"]  # read_workbook: from .workbook

# canonical key -> accepted headers (lower case, without ::language)
SURVEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type", "command"),
    "name": ("name", "tag", "value"),
    "label": ("label", "caption"),
    "hint": ("hint",),
    "required": ("required", "bind:required"),
    "required_message": (
        "required_message",
        "required message",
        "requiredmsg",
        "jr:requiredmsg",
        "bind:jr:requiredmsg",
    ),
    "relevant": ("relevant", "relevance", "bind:relevant"),
    "constraint": ("constraint", "bind:constraint"),
    "constraint_message": (
        "constraint_message",
        "constraint message",
        "constraining_message",
        "jr:constraintmsg",
        "bind:jr:constraintmsg",
    ),
    "default": ("default",),
    "choice_filter": ("choice_filter",),
    "appearance": ("appearance", "control:appearance"),
    "read_only": ("read_only", "readonly", "read only", "bind:readonly"),
    "calculation": ("calculation", "calculate", "bind:calculate"),
    "repeat_count": ("repeat_count", "jr:count", "count", "control:jr:count"),
    "sensitive": ("sensitive", "pii"),
    "special": ("special", "special_answers"),
    # the indicator declaration, read by fieldsurvey.questionnaire.indicators
    "indicator": ("indicator",),
    "indicator_direction": ("indicator_direction",),
    "indicator_index": ("indicator_index",),
    "indicator_missing": ("indicator_missing",),
    "warning": ("warning", "soft_constraint"),
    "warning_message": ("warning_message", "warning message", "soft_constraint_message"),
    "guidance_hint": ("guidance_hint", "guidance hint"),
    "parameters": ("parameters", "params"),
    "trigger": ("trigger",),
    "disabled": ("disabled",),  # pyxform (and SurveyCTO) leave a disabled row out
    # ODK's older geopoint auto-accept threshold: read as parameters capture-accuracy
    "accuracy_threshold": ("body:accuracythreshold",),
    "media": ("image", "big-image", "audio", "video", "media::image", "media::big-image",
              "media::audio", "media::video", "media:image", "media:audio", "media:video"),
}
TRANSLATABLE = {"label", "hint", "required_message", "constraint_message", "warning_message",
                "guidance_hint", "media"}
#: Columns that change how ODK runs a form and that fieldsurvey cannot honour.
UNSUPPORTED_COLUMNS = {
    "bind:odk:length": "text length limits (bind::odk:length)",
    "body:intent": "external apps (body::intent)",
    "bind:jr:preload": "preloaded values (bind::jr:preload)",
    "bind:jr:preloadparams": "preloaded values (bind::jr:preloadParams)",
    "bind:type": "a data type set by hand (bind::type)",
}
#: pyxform's nested headers (``bind::relevant``), read as their one-colon aliases.
_NESTED = ("bind", "control", "body", "instance")
#: Columns SurveyCTO writes into every form it exports, kept on the question without a
#: warning: server publishing, field comments, speed-violation limits (blank in a terminal).
QUIET_COLUMNS = {"publishable", "response_note", "minimum_seconds",
                 "save_to"}  # entities: said once, on the entities sheet
COMMENT_COLUMNS = {"notes", "note", "comment", "comments", "tutorial notes", "remarks"}
CHOICE_MEDIA = {
    "image",
    "big-image",
    "audio",
    "video",
    "media::image",
    "media::audio",
    "media::video",
}
KNOWN_SHEETS = ("survey", "choices", "settings", "special_answers", "external_choices")

_ALIAS = {alias: key for key, aliases in SURVEY_COLUMNS.items() for alias in aliases}


_ONE_COLON = {"label", "hint", "constraint_message", "required_message", "guidance_hint",
              "warning_message", "constraint message", "required message", "image", "audio",
              "video", "big-image", "jr:constraintmsg", "jr:requiredmsg", "media"}


def _split_header(header: str) -> tuple[str, str | None]:
    low = header.strip().lower()
    for prefix in _NESTED:  # bind::jr:constraintMsg is bind:jr:constraintmsg, no language
        if low.startswith(f"{prefix}::"):
            return f"{prefix}:{low[len(prefix) + 2:].strip()}", None
    base, sep, lang = header.partition("::")
    if not sep:  # SurveyCTO and older forms: label:English
        b1, sep1, l1 = header.rpartition(":")
        b1_low = b1.strip().lower()
        if b1_low == "media" and l1.strip():  # SurveyCTO's media:image (no language)
            return f"media::{l1.strip().lower()}", None
        if sep1 and l1.strip() and (b1_low in _ONE_COLON or b1_low in (
                "media:image", "media:audio", "media:video", "media:big-image")):
            return b1_low, l1.strip()
    elif base.strip().lower() == "media":  # media::image::English
        kind, _, lang2 = lang.partition("::")
        return f"media::{kind.strip().lower()}", (lang2.strip() or "")
    return base.strip().lower(), (lang.strip() if sep else None)


def _rows(
    sheet: str,
    data: list[tuple[int, list[str | None]]],
    file: str,
    mapper: Any,
    languages: list[str],
    problems: Problems | None = None,
) -> list[RawRow]:
    """Map a sheet's cells to RawRows with ``mapper(base, lang) -> key | None``.

    A column fieldsurvey cannot honour is an error (once, at its first value); a column
    it does not know but that cannot change how the form runs is kept (``extra``) with
    a warning.
    """
    pr = problems if problems is not None else Problems()
    if not data:
        return []
    header_row, headers = data[0]
    columns: list[tuple[int, str, str, str | None, str]] = []  # index, header, key, lang, base
    bad: dict[int, tuple[str, str]] = {}  # index -> (header, why)
    headerless: list[int] = []
    for i, h in enumerate(headers):
        if h is None:
            headerless.append(i)  # ignored, as pyxform ignores it (a warning if it has values)
            continue
        base, lang = _split_header(h)
        if base in COMMENT_COLUMNS:
            continue
        key = mapper(base, lang)
        if key is None:
            why = _unsupported_column(base)
            if why is None and sheet == "survey":
                columns.append((i, h, "extra", None, base))
                if base in QUIET_COLUMNS:
                    continue
                pr.warn(QuestionnaireError(
                    f"column '{h}' is not used by fieldsurvey; its values are kept with each "
                    "question (Question.extra)", file=file, sheet=sheet, row=header_row, field=h))
                continue
            bad[i] = (h, why or f"not supported: column '{h}'")
            continue
        if key in TRANSLATABLE or key == "choice_label":
            lang = lang or ""
            if lang and lang not in languages and key != "media":
                languages.append(lang)
        elif lang is not None and key != "attribute":
            bad[i] = (h, f"not supported: column '{h}' (a language on a column that takes none)")
            continue
        columns.append((i, h, key, lang, base))
    seen: set[tuple[str, str | None, str]] = set()
    for _i, h, key, lang, base in columns:
        ident = (key, lang, base if key == "media" else "")
        if key not in ("attribute", "extra") and ident in seen:
            pr.error(QuestionnaireError(
                f"column '{h}' appears twice", file=file, sheet=sheet, row=header_row, field=h
            ))
        seen.add(ident)
    reported: set[int] = set()
    type_col = next((i for i, _h, key, _lang, _base in columns if key == "type"), None)
    preload_cols = {i for i, (h, _why) in bad.items() if _split_header(h)[0] in _PRELOAD}
    out: list[RawRow] = []
    for number, cells in data[1:]:
        for i in headerless:
            if i not in reported and i < len(cells) and cells[i] is not None:
                reported.add(i)
                pr.warn(QuestionnaireError(
                    "values in a column without a header are ignored", file=file, sheet=sheet,
                    row=number, got=repr(cells[i])[:60], hint="Give the column a header"))
        for i, (h, why) in bad.items():
            if i in preload_cols and _preloaded_type(cells, type_col):
                continue  # a metadata row: its type preloads it, the column only restates it
            if i not in reported and i < len(cells) and cells[i] is not None:
                reported.add(i)
                pr.error(QuestionnaireError(
                    why,
                    file=file,
                    sheet=sheet,
                    row=number,
                    field=h,
                    got=repr(cells[i])[:60],
                    hint="Remove the column or its values (see the README's XLSForm table)",
                ))
        values: dict[str, Any] = {}
        hdrs: dict[str, str] = {}
        for i, h, key, lang, base in columns:
            v = cells[i] if i < len(cells) else None
            if v is not None and len(v) > MAX_CELL:
                pr.error(QuestionnaireError(
                    f"a cell of {len(v):,} characters (fieldsurvey's limit is {MAX_CELL:,})",
                    file=file, sheet=sheet, row=number, field=h,
                    hint="A label or expression this long is a mistake; shorten it"))
                v = None
            if key == "media":
                if v is not None:
                    kind = base.removeprefix("media::").removeprefix("media:")
                    values.setdefault("media", {})[f"{kind}::{lang}" if lang else kind] = v
                hdrs.setdefault(key, h)
            elif key in TRANSLATABLE or key == "choice_label":
                k = "label" if key == "choice_label" else key
                d = values.setdefault(k, {})
                if v is not None:
                    d[lang or ""] = v
                hdrs.setdefault(k, h)
            elif key == "attribute":
                values.setdefault("attributes", {})[h.strip()] = v
            elif key == "extra" or key.startswith("indicator"):
                if v is not None:
                    values.setdefault("extra", {})[h.strip()] = v
            else:
                values[key] = v
                hdrs[key] = h
        out.append(RawRow(sheet, number, values, hdrs))
    return out


#: ODK's preload attributes: what metadata types (start, end, deviceid …) are made of.
_PRELOAD = ("bind:jr:preload", "bind:jr:preloadparams")
#: The types that are preloaded metadata (a preload column on their row restates them).
_METADATA_KINDS = {"start", "end", "today", "deviceid", "imei", "username", "phonenumber",
                   "simserial", "subscriberid", "email", "start_geopoint", "caseid"}


def _preloaded_type(cells: Sequence[str | None], type_col: int | None) -> bool:
    """Whether the row's type is a metadata type (pyxform writes its preload itself)."""
    if type_col is None or type_col >= len(cells) or cells[type_col] is None:
        return False
    kind = SIMPLE_TYPES.get(" ".join(str(cells[type_col]).strip().lower().split()))
    return kind in _METADATA_KINDS


def _unsupported_column(base: str) -> str | None:
    """Why a survey column that changes how ODK runs the form cannot be honoured."""
    if base in UNSUPPORTED_COLUMNS:
        return f"not supported: column '{base}' ({UNSUPPORTED_COLUMNS[base]})"
    return None  # other bind::/body::/instance:: attributes: kept (ODK ignores unknown ones)


def _survey_key(base: str, lang: str | None) -> str | None:
    return _ALIAS.get(base)


def _choice_key(base: str, lang: str | None) -> str | None:
    if base in ("list_name", "list name"):
        return "list_name"
    if base in ("name", "value"):
        return "name"
    if base in ("label", "caption"):
        return "choice_label"
    if base in ("missing", "exclusive"):
        return base
    return "attribute"  # media columns too: a terminal shows the label, not the picture


def load_xlsform(path: str | Path) -> Form:
    """Load an XLSForm workbook into a :class:`Form` (see the module docstring)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    file = str(p)
    sheets = read_workbook(p)
    only = next(iter(sheets.values())) if len(sheets) == 1 else []
    if "survey" not in sheets and only and "type" in [
        str(h).strip().lower() for h in only[0][1] if h is not None
    ]:  # one sheet with a type column: it is the survey (as pyxform reads it)
        sheets = {"survey": only}
    if "survey" not in sheets:
        raise QuestionnaireError(
            "the workbook has no 'survey' sheet",
            file=file,
            got="sheets " + ", ".join(repr(s) for s in sheets) or "none",
            hint="An XLSForm needs a sheet called survey",
        )
    pr = Problems()
    languages: list[str] = []
    survey = _rows("survey", sheets["survey"], file, _survey_key, languages, pr)
    choices = _rows("choices", sheets.get("choices", []), file, _choice_key, languages, pr)
    external = _rows("external_choices", sheets.get("external_choices", []), file, _choice_key,
                     languages, pr)
    settings = _settings(sheets.get("settings", []), file, pr)
    _straight_quotes(survey, str(settings.get("clean_text_values", "yes")).strip().lower()
                     not in FALSE_WORDS - {""})
    survey = _enabled(survey, file, pr)
    for row in survey:  # body::accuracyThreshold is what capture-accuracy now says
        threshold = row.cells.pop("accuracy_threshold", None)
        params = str(row.cells.get("parameters") or "")
        if threshold is not None and "capture-accuracy" not in params:
            row.cells["parameters"] = f"{params} capture-accuracy={threshold}".strip()
    try:
        specials = _specials(sheets.get("special_answers", []), file, languages)
    except QuestionnaireError as exc:
        pr.error(exc)
        specials = None
    for name, data in sheets.items():
        if name.startswith("help") or name in KNOWN_SHEETS or len(data) <= 1:
            continue  # SurveyCTO's help-* sheets are documentation
        if name == "entities":  # ODK Central's entity lists: the interview is the same
            pr.warn(QuestionnaireError(
                "the entities sheet is kept, not acted on: fieldsurvey collects every answer "
                "(save_to columns included) but creates or updates no entity, an ODK Central "
                "feature", file=file, sheet=name, row=data[1][0],
                hint="Build the entity list from the exported answers if it is needed"))
            continue
        if name != "osm":  # other sheets are notes to the author
            pr.warn(QuestionnaireError(
                f"sheet '{name}' is not read by fieldsurvey (nor by ODK)", file=file, sheet=name))
            continue
        pr.error(QuestionnaireError(
            f"not supported: sheet '{name}'",
            file=file,
            sheet=name,
            row=data[1][0],
            got=f"{len(data) - 1} row(s) of values",
            hint="fieldsurvey reads survey, choices, external_choices, settings and "
            "special_answers; remove or empty this sheet",
        ))
    if languages == [""]:
        languages = []
    langs = [lang for lang in languages if lang]
    return build_form(
        file=file,
        survey=survey,
        choices=choices,
        settings=settings,
        languages=langs,
        specials=specials,
        default_id=p.stem,
        problems=pr,
        attachments=attachments_beside(p),
        external=external,
    )


#: Survey columns holding expressions, where pyxform turns "smart" quotes into plain ones.
EXPRESSION_KEYS = ("relevant", "constraint", "calculation", "choice_filter", "required",
                   "default", "repeat_count", "read_only", "warning", "trigger", "appearance",
                   "parameters")
_SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


#: Whole cells pyxform turns into ``true()`` / ``false()`` in these columns
#: (``BINDING_CONVERSIONS``): a calculation ``yes`` is true, not a path to nothing.
_BIND_WORDS = {w: "true()" for w in ("yes", "Yes", "YES", "true", "True", "TRUE")} | {
    w: "false()" for w in ("no", "No", "NO", "false", "False", "FALSE")}
_BIND_KEYS = ("relevant", "constraint", "calculation", "required", "read_only")


def _enabled(rows: list[RawRow], file: str, pr: Problems) -> list[RawRow]:
    """The rows without ``disabled`` = yes (pyxform and SurveyCTO leave those out)."""
    out: list[RawRow] = []
    left: list[int] = []
    for row in rows:
        flag = row.cells.pop("disabled", None)
        if flag is not None and str(flag).strip().lower() in TRUE_WORDS:
            left.append(row.row)
            continue
        out.append(row)
    if left:
        shown = ", ".join(str(n) for n in left[:10]) + (" ..." if len(left) > 10 else "")
        pr.warn(QuestionnaireError(
            f"{len(left)} row(s) with disabled = yes are left out, as pyxform does",
            file=file, sheet="survey", got=f"rows {shown}",
            hint="Delete them or use relevant to hide a question"))
    return out


def _straight_quotes(rows: list[RawRow], clean: bool) -> None:
    """Expressions as pyxform hands them to ODK.

    Plain quotes for the typographic ones a spreadsheet put in (pyxform's default
    setting ``clean_text_values``: ODK runs ``${x} = ’yes’`` as ``${x} = 'yes'``; labels
    keep theirs here, a display difference only, so a Chinese label's “” stays as
    written), and a whole ``yes``/``no`` cell in a bind column as ``true()``/``false()``.
    """
    for row in rows:
        for key in EXPRESSION_KEYS:
            v = row.cells.get(key)
            if not isinstance(v, str):
                continue
            if clean:
                v = v.translate(_SMART_QUOTES)
            if key in _BIND_KEYS:
                v = _BIND_WORDS.get(v.strip(), v)
            row.cells[key] = v


def _settings(
    data: list[tuple[int, list[str | None]]], file: str, pr: Problems
) -> dict[str, Any]:
    if len(data) < 2:
        return {}
    _, headers = data[0]
    number, cells = data[1]
    out: dict[str, Any] = {}
    for i, h in enumerate(headers):
        v = cells[i] if i < len(cells) else None
        if h is None:
            if v is not None:
                pr.error(QuestionnaireError(
                    "a value in a column without a header", file=file, sheet="settings", row=number
                ))
            continue
        base, lang = _split_header(h)
        key = next((k for k, al in SETTINGS_COLUMNS.items() if base in al), None)
        if key is None:
            if v is None or base in COMMENT_COLUMNS:
                continue
            pr.warn(QuestionnaireError(
                f"setting '{h}' is not used by fieldsurvey (kept)",
                file=file,
                sheet="settings",
                row=number,
                field=h,
                got=repr(v)[:60],
            ))
            out[f"other:{h}"] = v
            continue
        if v is None:
            continue
        if key == "title" and lang:
            out.setdefault("title", {})
            if isinstance(out["title"], dict):
                out["title"][lang] = v
        else:
            out[key] = v
    for number, _cells in data[2:3]:
        pr.error(QuestionnaireError(
            "the settings sheet has more than one row of values",
            file=file,
            sheet="settings",
            row=number,
        ))
    version = out.get("version")
    if isinstance(version, NumberText) and version.ambiguous:
        pr.warn(QuestionnaireError(
            f"the version was typed as the number {version}; ODK compares versions as text",
            file=file, sheet="settings", field="version",
            hint="Format the cell as text (or type '2026.10 with a leading apostrophe) so "
            "trailing zeros are kept"))
    try:  # checked here to name the row; the builder then sees the defaults
        completion_rules(out)
    except QuestionnaireError as exc:
        pr.error(QuestionnaireError(exc.message, file=file, sheet="settings", row=number,
                                    field=exc.field, got=exc.got, hint=exc.hint,
                                    expected=exc.expected))
        for k in ("completion_partial", "completion_complete"):
            out.pop(k, None)
    return out


def _specials(
    data: list[tuple[int, list[str | None]]], file: str, languages: list[str]
) -> list[SpecialAnswer] | None:
    if not data:
        return None
    rows = _rows("special_answers", data, file, _special_key, languages)
    out: list[SpecialAnswer] = []
    for r in rows:
        code, name = r.get("code"), r.get("name")
        try:
            c = int(str(code))
        except (TypeError, ValueError):
            raise r.error(
                file, "a special answer needs a whole-number code", "code", got=repr(code)
            ) from None
        if not name:
            raise r.error(file, "a special answer needs a name", "name")
        if any(s.code == c or s.name == name for s in out):
            raise r.error(file, f"special answer {name} ({c}) is given twice", "code")
        label = r.cells.get("label") or {}
        out.append(SpecialAnswer(c, str(name), LangText.of(label)))
    return out


def _special_key(base: str, lang: str | None) -> str | None:
    if base in ("code", "name"):
        return base
    if base == "label":
        return "choice_label"
    return None
