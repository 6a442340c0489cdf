"""Recognise listing column headers (English and Chinese) and apply user mappings.

Listings are typed up in Excel by many hands, so headers vary: ``经度`` or ``lng`` for
longitude, ``楼号`` or ``楼栋`` for the building. Each header is matched, after
folding case, spaces and hyphens, against the aliases below; a user mapping
(``{"building": "栋号"}`` or the reverse ``{"栋号": "building"}``, from the command
line or a TOML/JSON file) is applied first and wins.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from fieldsurvey.io.errors import ColumnError, EncodingError, InputError

__all__ = [
    "FOOTPRINT_FIELDS",
    "LISTING_FIELDS",
    "load_mapping",
    "match_columns",
    "parse_mapping_items",
]

#: Standard listing fields (DESIGN.md "Dwelling listing").
LISTING_FIELDS: tuple[str, ...] = (
    "community_id", "dwelling_id", "compound", "building", "unit", "floor", "door",
    "address", "lon", "lat", "x", "y", "status", "households",
)
#: Extra fields of building-footprint listings.
FOOTPRINT_FIELDS: tuple[str, ...] = ("dwellings", "storeys", "height")

_ALIASES: dict[str, tuple[str, ...]] = {
    "community_id": ("community", "community_code", "communityid", "社区编码", "社区代码",
                     "社区编号", "社区id", "居委会编码"),
    "dwelling_id": ("dwelling", "dwellingid", "住户编号", "户编号", "住户id"),
    "compound": ("estate", "小区", "小区名称", "院落"),
    "building": ("bldg", "building_no", "building_number", "楼栋", "楼号", "楼栋号", "栋号"),
    "unit": ("entrance", "单元", "单元号"),
    "floor": ("storey", "level", "楼层", "层"),
    "door": ("door_no", "room", "room_no", "apartment", "门牌号", "户号", "房号", "房间号"),
    "address": ("addr", "地址", "详细地址", "住址"),
    "lon": ("lng", "long", "longitude", "经度"),
    "lat": ("latitude", "纬度"),
    "x": ("easting", "x坐标", "横坐标"),
    "y": ("northing", "y坐标", "纵坐标"),
    "status": ("dwelling_status", "状态", "住户状态", "居住状态"),
    "households": ("hh", "n_households", "户数"),
    "dwellings": ("dwelling_count", "n_dwellings", "units_count", "套数", "住宅套数", "户数合计"),
    "storeys": ("stories", "floors", "levels", "building:levels", "building_levels",
                "num_floors", "层数", "楼层数", "总层数"),
    "height": ("height_m", "高度", "建筑高度"),
}

_KNOWN = (*LISTING_FIELDS, *FOOTPRINT_FIELDS)


def fold(name: str) -> str:
    """Fold a header for matching: strip, BOM, case, spaces and hyphens."""
    text = str(name).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


_LOOKUP: dict[str, str] = {fold(k): k for k in _KNOWN}
for _std, _names in _ALIASES.items():
    for _n in _names:
        _LOOKUP.setdefault(fold(_n), _std)


def parse_mapping_items(items: Iterable[str]) -> dict[str, str]:
    """Parse ``key=value`` strings from the command line into a mapping.

    Raises
    ------
    InputError
        If an item has no ``=``.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError("a column mapping must be written as field=column", field="columns",
                             got=repr(item), expected="for example building=栋号 or lon=X")
        out[key.strip()] = value.strip()
    return out


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a column mapping from a TOML or JSON file (top level or a ``[columns]`` table).

    Raises
    ------
    InputError
        If the file is not valid TOML/JSON or its values are not strings.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError("the column mapping file is not UTF-8 text", file=path,
                            got=str(exc)[:160], hint="Save it as UTF-8") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError("the column mapping file cannot be parsed", file=path,
                         got=str(exc)[:160],
                         expected='lines like building = "栋号" (TOML) or {"building": "栋号"} (JSON)') from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError("the column mapping must map names to names", file=path,
                         expected='building = "栋号"', got=str(data)[:120])
    return {str(k): v for k, v in data.items()}


def match_columns(
    headers: Iterable[str],
    mapping: Mapping[str, str] | None = None,
    *,
    file: str | Path | None = None,
) -> dict[str, str]:
    """Map standard field -> header of the file.

    User mapping first (either direction), then the aliases; the first header that
    matches a field wins, later ones stay as extra columns under their own names.

    Raises
    ------
    ColumnError
        When a mapping names a column the file does not have.
    """
    headers = [str(h) for h in headers]
    found: dict[str, str] = {}
    folded = {fold(h): h for h in reversed(headers)}
    for key, value in (mapping or {}).items():
        if fold(key) in _LOOKUP and _LOOKUP[fold(key)] == fold(key) and fold(value) in folded:
            found[fold(key)] = folded[fold(value)]
        elif fold(value) in _LOOKUP and _LOOKUP[fold(value)] == fold(value) and fold(key) in folded:
            found[fold(value)] = folded[fold(key)]
        else:
            raise ColumnError(
                "a column mapping names a column the listing does not have, or a field "
                "fieldsurvey does not know",
                file=file, field=key,
                expected=f"field=column with field one of {', '.join(_KNOWN)}",
                got=f"{key}={value}; the listing's columns are {', '.join(headers)}",
                hint="Check the spelling of the column as it appears in the file's header",
            )
    used = set(found.values())
    for header in headers:
        std = _LOOKUP.get(fold(header))
        if std is not None and std not in found and header not in used:
            found[std] = header
            used.add(header)
    return found
