"""A form's attachments.

the CSV, XML and GeoJSON files that ``select_one_from_file``, ``select_multiple_from_file``,
``pulldata()`` and ``instance()`` read.

ODK looks for them in the form's media folder; fieldsurvey looks next to the form file
and in ``<form name>-media/`` beside it (the folder ODK Central and KoboToolbox
exports use). A file is read once at load into an :class:`Attachment`: its rows as
:class:`~.model.Choice` objects (``name``, ``label`` and every other column as an
attribute) with an index per column for lookups. ``external_choices`` sheet rows (for
``select_one_external``) become an attachment named after their list.

Bad files give one clear error each: missing, not UTF-8 (e.g. saved as GBK), without a
``name`` column (choice files), malformed XML/GeoJSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import Choice, LangText

__all__ = ["Attachment", "attachment_from_rows", "find_attachment", "read_attachment"]

SUFFIXES = (".csv", ".xml", ".geojson")


@dataclass(frozen=True)
class Attachment:
    """One attached table (see the module docstring)."""

    name: str
    choices: tuple[Choice, ...]
    columns: tuple[str, ...]
    source: str = ""
    _index: dict[str, dict[str, Choice]] = field(default_factory=dict, compare=False,
                                                repr=False)

    def lookup(self, column: str, key_col: str, key: Any) -> str:
        """``column`` of the first row whose ``key_col`` equals ``key`` ("" if none)."""
        idx = self._index.get(key_col)
        if idx is None:
            idx = {}
            for c in self.choices:
                idx.setdefault(c.attribute(key_col), c)
            self._index[key_col] = idx
        from fieldsurvey.questionnaire.xpath import to_str

        row = idx.get(to_str(key))
        return row.attribute(column) if row is not None else ""


def find_attachment(form_path: Path, filename: str) -> Path | None:
    """Where the attachment ``filename`` of the form at ``form_path`` is, if anywhere."""
    for folder in (form_path.parent, form_path.parent / f"{form_path.stem}-media",
                   form_path.parent / "media"):
        p = folder / filename
        if p.is_file():
            return p
    return None


def attachment_from_rows(name: str, rows: Iterable[Mapping[str, Any]], source: str = "",
                         need_name: bool = True) -> Attachment:
    """Build an attachment from rows (column -> value); ``label::lang`` columns are labels."""
    choices: list[Choice] = []
    columns: dict[str, None] = {}
    for row in rows:
        labels: dict[str, str] = {}
        attrs: list[tuple[str, str]] = []
        cname = ""
        for k, v in row.items():
            if k is None:
                continue
            key = str(k).strip()
            text = "" if v is None else str(v).strip()
            columns.setdefault(key, None)
            low = key.lower()
            if low == "name":
                cname = text
            elif low == "label" or low.startswith("label::") or low.startswith("label:"):
                lang = key.split(":")[-1].strip() if ":" in key else ""
                if text:
                    labels[lang] = text
            elif text:
                attrs.append((key, text))
        choices.append(Choice(cname, LangText.of(labels), tuple(sorted(attrs))))
    if need_name and choices and "name" not in {c.lower() for c in columns}:
        raise QuestionnaireError(
            f"attachment '{source or name}' has no 'name' column",
            file=source or None,
            expected="columns name, label (and any others used by choice_filter)",
            got="columns " + ", ".join(columns),
        )
    return Attachment(name, tuple(choices), tuple(columns), source)


def read_attachment(path: Path, need_name: bool = True) -> Attachment:
    """Read a CSV, XML or GeoJSON attachment (see the module docstring)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionnaireError(
            f"attachment '{path.name}' is not UTF-8 text",
            file=str(path),
            hint="Save it again as CSV UTF-8 (ODK reads attachments as UTF-8)",
        ) from None
    name = path.stem
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        return attachment_from_rows(name, reader, str(path), need_name)
    if suffix == ".geojson":
        try:
            doc = json.loads(text)
            rows = []
            for feat in doc["features"]:
                props = dict(feat.get("properties") or {})
                if "id" in feat and "name" not in props:
                    props["name"] = feat["id"]
                geom = feat.get("geometry") or {}
                if geom.get("type") == "Point":
                    lon, lat = geom["coordinates"][:2]
                    props.setdefault("geometry", f"{lat} {lon}")
                rows.append(props)
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionnaireError(f"attachment '{path.name}' is not valid GeoJSON",
                                     file=str(path), got=str(exc)[:80]) from None
        return attachment_from_rows(name, rows, str(path), need_name)
    if suffix == ".xml":
        import xml.etree.ElementTree as ET  # noqa: N817

        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise QuestionnaireError(f"attachment '{path.name}' is not valid XML",
                                     file=str(path), got=str(exc)) from None
        items = root.findall("./item") or list(root)
        return attachment_from_rows(
            name, ({child.tag: child.text or "" for child in item} for item in items),
            str(path), need_name)
    raise QuestionnaireError(f"attachment '{path.name}' is of an unsupported kind",
                             file=str(path), expected="a .csv, .xml or .geojson file")
