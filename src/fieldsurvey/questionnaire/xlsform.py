"""Read an XLSForm workbook (``.xlsx`` with openpyxl, legacy ``.xls`` with xlrd).

Sheets: ``survey`` (required), ``choices``, ``settings``, and fieldsurvey's optional
``special_answers`` (columns ``code``, ``name``, ``label::<lang>``) that configures the
不知道 / 拒绝回答 codes. Columns are matched case-insensitively with the common aliases
(``bind:relevant``, ``jr:constraintMsg``, ``readonly`` ...). Any other sheet, column or
type that holds a value is refused with an error naming the sheet, row and column:
fieldsurvey never runs a form differently from what its author wrote. Comment columns
(``notes``, ``comments``, ``tutorial notes``) are the one thing skipped on purpose.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.build import RawRow, build_form
from fieldsurvey.questionnaire.model import Form, LangText, SpecialAnswer

__all__ = ["SURVEY_COLUMNS", "load_xlsform", "read_workbook"]

# canonical key -> accepted headers (lower case, without ::language)
SURVEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type", "command"),
    "name": ("name", "tag", "value"),
    "label": ("label", "caption"),
    "hint": ("hint",),
    "required": ("required", "bind:required"),
    "required_message": (
        "required_message",
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
    "read_only": ("read_only", "readonly", "bind:readonly"),
    "calculation": ("calculation", "calculate", "bind:calculate"),
    "repeat_count": ("repeat_count", "jr:count", "count", "control:jr:count"),
    "sensitive": ("sensitive", "pii"),
    "special": ("special", "special_answers"),
    # the indicator declaration, read by fieldsurvey.questionnaire.indicators
    "indicator": ("indicator",),
    "indicator_direction": ("indicator_direction",),
    "indicator_index": ("indicator_index",),
    "indicator_missing": ("indicator_missing",),
}
TRANSLATABLE = {"label", "hint", "required_message", "constraint_message"}
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
SETTINGS_COLUMNS = {
    "form_id": ("form_id", "set_form_id", "id_string"),
    "version": ("version",),
    "default_language": ("default_language",),
    "title": ("form_title", "set_form_title", "title"),
}
KNOWN_SHEETS = ("survey", "choices", "settings", "special_answers")
MAX_EMPTY_RUN = 1000  # stop reading after this many empty rows (sheets claiming 1,048,576 rows)

_ALIAS = {alias: key for key, aliases in SURVEY_COLUMNS.items() for alias in aliases}


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_workbook(path: Path) -> dict[str, list[tuple[int, list[str | None]]]]:
    """The non-empty rows of every sheet: sheet name (lower case) -> [(row number, cells)]."""
    sheets: dict[str, list[tuple[int, list[str | None]]]] = {}
    suffix = path.suffix.lower()
    try:
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            for sh in book.sheets():
                rows = ((i + 1, sh.row_values(i)) for i in range(sh.nrows))
                sheets[sh.name.strip().lower()] = _collect(rows)
        else:
            import openpyxl

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    rows = (
                        (i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                    )
                    sheets[ws.title.strip().lower()] = _collect(rows)
            finally:
                wb.close()
    except QuestionnaireError:
        raise
    except (OSError, KeyError, ValueError, TypeError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise QuestionnaireError(
            "the workbook cannot be read",
            file=str(path),
            got=f"{type(exc).__name__}: {exc}",
            hint="Save it again from Excel/LibreOffice as .xlsx",
        ) from None
    except Exception as exc:  # xlrd.XLRDError, zipfile.BadZipFile and similar
        if type(exc).__module__.split(".")[0] in ("xlrd", "zipfile", "openpyxl"):
            raise QuestionnaireError(
                "the workbook cannot be read",
                file=str(path),
                got=f"{type(exc).__name__}: {exc}",
                hint="Save it again from Excel/LibreOffice as .xlsx",
            ) from None
        raise
    return sheets


def _collect(rows: Iterator[tuple[int, list[Any]]]) -> list[tuple[int, list[str | None]]]:
    out: list[tuple[int, list[str | None]]] = []
    empty = 0
    for number, values in rows:
        cells = [_cell(v) for v in values]
        if any(c is not None for c in cells):
            out.append((number, cells))
            empty = 0
        else:
            empty += 1
            if empty >= MAX_EMPTY_RUN:
                break
    return out


def _split_header(header: str) -> tuple[str, str | None]:
    base, sep, lang = header.partition("::")
    return base.strip().lower(), (lang.strip() if sep else None)


def _rows(
    sheet: str,
    data: list[tuple[int, list[str | None]]],
    file: str,
    mapper: Any,
    languages: list[str],
) -> list[RawRow]:
    """Map a sheet's cells to RawRows with ``mapper(base, lang) -> key | None``."""
    if not data:
        return []
    header_row, headers = data[0]
    columns: list[tuple[int, str, str, str | None]] = []  # (index, header, key, lang)
    bad: dict[int, str] = {}
    for i, h in enumerate(headers):
        if h is None:
            bad[i] = "(no header)"
            continue
        base, lang = _split_header(h)
        if base in COMMENT_COLUMNS:
            continue
        key = mapper(base, lang)
        if key is None:
            bad[i] = h
            continue
        if key in TRANSLATABLE or key == "choice_label":
            lang = lang or ""
            if lang and lang not in languages:
                languages.append(lang)
        elif lang is not None and key != "attribute":
            bad[i] = h
            continue
        columns.append((i, h, key, lang))
    seen: set[tuple[str, str | None]] = set()
    for _i, h, key, lang in columns:
        if key != "attribute" and (key, lang) in seen:
            raise QuestionnaireError(
                f"column '{h}' appears twice", file=file, sheet=sheet, row=header_row, field=h
            )
        seen.add((key, lang))
    out: list[RawRow] = []
    for number, cells in data[1:]:
        for i, h in bad.items():
            if i < len(cells) and cells[i] is not None:
                what = (
                    "a value in a column without a header"
                    if h == "(no header)"
                    else f"column '{h}' is not supported"
                )
                raise QuestionnaireError(
                    what,
                    file=file,
                    sheet=sheet,
                    row=number,
                    field=h,
                    got=repr(cells[i])[:60],
                    hint="fieldsurvey refuses what it cannot run; remove the column or its values",
                )
        values: dict[str, Any] = {}
        hdrs: dict[str, str] = {}
        for i, h, key, lang in columns:
            v = cells[i] if i < len(cells) else None
            if key in ("label", "hint", "required_message", "constraint_message", "choice_label"):
                k = "label" if key == "choice_label" else key
                d = values.setdefault(k, {})
                if v is not None:
                    d[lang or ""] = v
                hdrs.setdefault(k, h)
            elif key == "attribute":
                values.setdefault("attributes", {})[h.strip()] = v
            else:
                values[key] = v
                hdrs[key] = h
        out.append(RawRow(sheet, number, values, hdrs))
    return out


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
    if base in CHOICE_MEDIA or base.startswith("media"):
        return None
    return "attribute"


def load_xlsform(path: str | Path) -> Form:
    """Load an XLSForm workbook into a :class:`Form` (see the module docstring)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    file = str(p)
    sheets = read_workbook(p)
    if "survey" not in sheets:
        raise QuestionnaireError(
            "the workbook has no 'survey' sheet",
            file=file,
            got="sheets " + ", ".join(repr(s) for s in sheets) or "none",
            hint="An XLSForm needs a sheet called survey",
        )
    languages: list[str] = []
    survey = _rows("survey", sheets["survey"], file, _survey_key, languages)
    choices = _rows("choices", sheets.get("choices", []), file, _choice_key, languages)
    settings = _settings(sheets.get("settings", []), file)
    specials = _specials(sheets.get("special_answers", []), file, languages)
    if languages == [""]:
        languages = []
    langs = [lang for lang in languages if lang]
    form = build_form(
        file=file,
        survey=survey,
        choices=choices,
        settings=settings,
        languages=langs,
        specials=specials,
        default_id=p.stem,
    )
    # checked last, so that a form's own errors (types, columns, rows) are reported first
    for name, data in sheets.items():
        if name not in KNOWN_SHEETS and len(data) > 1:
            raise QuestionnaireError(
                f"sheet '{name}' is not supported",
                file=file,
                sheet=name,
                row=data[1][0],
                got=f"{len(data) - 1} row(s) of values",
                hint="fieldsurvey reads survey, choices, settings and special_answers; "
                "remove or empty this sheet",
            )
    return form


def _settings(data: list[tuple[int, list[str | None]]], file: str) -> dict[str, Any]:
    if len(data) < 2:
        return {}
    _, headers = data[0]
    number, cells = data[1]
    out: dict[str, Any] = {}
    for i, h in enumerate(headers):
        v = cells[i] if i < len(cells) else None
        if h is None:
            if v is not None:
                raise QuestionnaireError(
                    "a value in a column without a header", file=file, sheet="settings", row=number
                )
            continue
        base, lang = _split_header(h)
        key = next((k for k, al in SETTINGS_COLUMNS.items() if base in al), None)
        if key is None:
            if v is None or base in COMMENT_COLUMNS:
                continue
            raise QuestionnaireError(
                f"setting '{h}' is not supported",
                file=file,
                sheet="settings",
                row=number,
                field=h,
                got=repr(v)[:60],
                expected="form_id, version, default_language, form_title",
            )
        if v is None:
            continue
        if key == "title" and lang:
            out.setdefault("title", {})
            if isinstance(out["title"], dict):
                out["title"][lang] = v
        else:
            out[key] = v
    for number, _cells in data[2:]:
        raise QuestionnaireError(
            "the settings sheet has more than one row of values",
            file=file,
            sheet="settings",
            row=number,
        )
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
