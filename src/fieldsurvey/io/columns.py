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
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import ColumnError, EncodingError, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BOUNDARY_FIELDS",
    "clean_numbers",
    "FOOTPRINT_FIELDS",
    "LISTING_FIELDS",
    "load_mapping",
    "match_boundary_columns",
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

#: Community id aliases, shared by listings and boundaries (simplified and traditional).
_COMMUNITY_ID = ("community", "community_code", "communityid", "社区编码", "社区代码",
                 "社区编号", "社区id", "居委会编码", "社區編碼", "社區代碼", "社區編號", "社區id",
                 "居委會編碼")

_ALIASES: dict[str, tuple[str, ...]] = {
    "community_id": _COMMUNITY_ID,
    "dwelling_id": ("dwelling", "dwellingid", "住户编号", "户编号", "住户id", "住戶編號",
                    "戶編號"),
    "compound": ("estate", "小区", "小区名称", "院落", "小區", "小區名稱"),
    "building": ("bldg", "building_no", "building_number", "楼栋", "楼号", "楼栋号", "栋号",
                 "樓棟", "樓號", "棟號"),
    "unit": ("entrance", "单元", "单元号", "單元", "單元號", "unit_no", "unit_number",
             "unit_value"),
    "floor": ("storey", "level", "楼层", "层", "樓層", "層"),
    "door": ("door_no", "room", "room_no", "apartment", "apt", "apt_no", "suite", "门牌号",
             "户号", "房号", "房间号", "門牌號", "戶號", "房號", "房間號"),
    # 門牌 / 门牌 alone is a door plate's whole address (Taiwan's registries); 住所 is Japanese
    "address": ("addr", "地址", "详细地址", "住址", "詳細地址", "addr:full", "full_address",
                "address_full", "门牌", "門牌", "门牌地址", "門牌地址", "住所"),
    # 経度 is the Japanese form; registries name the datum: LONG_WGS84, lat_wgs84
    "lon": ("lng", "long", "longitude", "经度", "經度", "経度", "lon_wgs84", "long_wgs84",
            "lng_wgs84", "longitude_wgs84", "wgs84_lon", "wgs84_lng", "wgs84_long",
            "经度_wgs84", "經度_wgs84"),
    "lat": ("latitude", "纬度", "緯度", "lat_wgs84", "latitude_wgs84", "wgs84_lat",
            "纬度_wgs84", "緯度_wgs84"),
    "x": ("easting", "x坐标", "横坐标", "x坐標", "橫坐標", "point_x", "x_coord", "coord_x"),
    "y": ("northing", "y坐标", "纵坐标", "y坐標", "縱坐標", "point_y", "y_coord", "coord_y"),
    "status": ("dwelling_status", "状态", "住户状态", "居住状态", "狀態", "住戶狀態",
               "居住狀態"),
    "households": ("hh", "n_households", "户数", "戶數"),
    "dwellings": ("dwelling_count", "n_dwellings", "units_count", "套数", "住宅套数", "户数合计",
                  "building:flats", "套數", "住宅套數", "units", "nunits", "num_units",
                  "n_units", "unitsres", "units_res", "res_units", "dwelling_units",
                  "housing_units"),
    "storeys": ("stories", "floors", "levels", "building:levels", "building_levels",
                "num_floors", "层数", "楼层数", "总层数", "層數", "樓層數", "總層數"),
    "height": ("height_m", "高度", "建筑高度", "建築高度"),
}

#: Standard community attributes of a boundary file.
BOUNDARY_FIELDS: tuple[str, ...] = ("community_id", "name", "street", "type", "households")

_BOUNDARY_ALIASES: dict[str, tuple[str, ...]] = {
    "community_id": _COMMUNITY_ID,
    "name": ("community_name", "名称", "社区名称", "社区名", "社区", "居委会", "居委会名称",
             "名稱", "社區名稱", "社區名", "社區", "居委會", "居委會名稱", "村居名称"),
    "street": ("subdistrict", "street_name", "街道", "街道名称", "街道办", "街道办事处", "所属街道",
               "镇街", "乡镇街道", "街道名稱", "街道辦", "街道辦事處", "所屬街道", "鎮街"),
    "type": ("community_type", "类型", "类别", "社区类型", "社区类别", "類型", "類別",
             "社區類型", "社區類別"),
    "households": ("hh", "registered_households", "n_households", "size", "户数", "户籍户数",
                   "常住户数", "登记户数", "总户数", "住户数", "戶數", "戶籍戶數", "常住戶數",
                   "登記戶數", "總戶數", "住戶數"),
}

_KNOWN = (*LISTING_FIELDS, *FOOTPRINT_FIELDS)


def fold(name: str) -> str:
    """Fold a header for matching: BOM, full-width forms (ＸＹ, （）), case, spaces, hyphens."""
    text = unicodedata.normalize("NFKC", str(name).replace("\ufeff", "")).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


_LOOKUP: dict[str, str] = {fold(k): k for k in _KNOWN}
for _std, _names in _ALIASES.items():
    for _n in _names:
        _LOOKUP.setdefault(fold(_n), _std)

_BOUNDARY_LOOKUP: dict[str, str] = {fold(k): k for k in BOUNDARY_FIELDS}
for _std, _names in _BOUNDARY_ALIASES.items():
    for _n in _names:
        _BOUNDARY_LOOKUP.setdefault(fold(_n), _std)


def _dbase_cut(name: str) -> str:
    """``name`` as a UTF-8 .dbf stores it: 10 bytes, a cut character dropped."""
    return name.encode("utf-8")[:10].decode("utf-8", errors="ignore")


# Shapefiles keep 10 bytes of a field name: 社区编码 arrives as 社区编 in UTF-8
for _lookup, _aliases in ((_BOUNDARY_LOOKUP, _BOUNDARY_ALIASES), (_LOOKUP, _ALIASES)):
    for _std, _names in _aliases.items():
        for _n in _names:
            if len(_n.encode("utf-8")) > 10 and len(_dbase_cut(_n)) >= 2:
                _lookup.setdefault(fold(_dbase_cut(_n)), _std)


def match_boundary_columns(
    headers: Iterable[str],
    given: Mapping[str, str | None],
    *,
    file: str | Path | None = None,
) -> dict[str, str]:
    """Map standard community attribute -> field of a boundary file.

    ``given`` holds what the user named (``{"name": "VNAME", "street": "TNAME"}``, from
    ``--name-field`` etc. or a ``--columns`` file, either direction); those fields must
    exist (compared case-insensitively, and by their first 10 characters as dBase
    truncates names). The other attributes are recognised by the header vocabulary
    (English, simplified and traditional Chinese); the first matching field wins.

    Raises
    ------
    ColumnError
        When a named field is not in the file.
    """
    headers = [str(h) for h in headers]
    folded = {fold(h): h for h in reversed(headers)}
    short = {fold(h)[:10]: h for h in reversed(headers)}
    found: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        std, field = key, value
        if fold(key) not in _BOUNDARY_LOOKUP or _BOUNDARY_LOOKUP[fold(key)] != fold(key):
            std, field = value, key  # the reverse direction: {"社区名称": "name"}
        if fold(std) not in BOUNDARY_FIELDS:
            raise ColumnError(
                "a boundary column mapping names an attribute fieldsurvey does not know",
                file=file, field=key, expected=f"one of {', '.join(BOUNDARY_FIELDS)}",
                got=f"{key}={value}", hint="Map e.g. name=社区名称 or street=街道")
        hit = folded.get(fold(field)) or short.get(fold(field)[:10])
        if hit is None:
            option = (
                "--id-field"
                if std == "community_id"
                else f"--{std.replace('households', 'size')}-field"
            )
            raise ColumnError(
                f"the {std.replace('_', ' ')} field does not exist in the boundary file",
                file=file, field=field, expected=f"a field named '{field}'",
                got=f"the fields {', '.join(h for h in headers if h != 'geometry')}",
                hint=f"Name the field with {option} (one of the fields above)")
        found[fold(std)] = hit
    used = set(found.values())
    for header in headers:
        known = _BOUNDARY_LOOKUP.get(fold(header))
        if known is not None and known not in found and header not in used:
            found[known] = header
            used.add(header)
    return found


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
        raise InputError(
            "the column mapping file cannot be parsed",
            file=path,
            got=str(exc)[:160],
            expected='lines like building = "栋号" (TOML) or {"building": "栋号"} (JSON)',
        ) from None
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


#: Numeric listing fields: written with a decimal comma in ';' or '|' separated files.
_NUMERIC = ("lon", "lat", "x", "y", "households", "dwellings", "storeys", "height")
_DECIMAL_COMMA = r"\s*[+-]?\d+(?:,\d+)?\s*"
#: What exports write into an empty number cell (folded): read as missing.
MISSING_WORDS = frozenset({"null", "na", "n/a", "#n/a", "nan", "none", "-", "--", "/", "无",
                           "空", "不详", "#value!", "#ref!"})


def clean_numbers(df: pd.DataFrame, mapping: Mapping[str, str] | None, *,
                  decimal_comma: bool = False,
                  file: str | Path | None = None) -> pd.DataFrame:
    """The number columns of a table as its author meant them.

    * ``NULL``, ``#N/A``, ``-``, ``无`` and the like (:data:`MISSING_WORDS`) are empty cells;
    * a lon/lat pair of exactly 0, 0 (what geocoders and exports write for "no point") is
      no point;
    * with ``decimal_comma`` (files separated by ';' or '|', as Europe's Excel writes
      them), ``26010,275`` is 26010.275 -- in a column whose every value is digits with
      at most one decimal comma.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    from pandas.api.types import is_numeric_dtype

    found = match_columns(df.columns, mapping, file=file)
    parsed: dict[str, Any] = {}
    for field in _NUMERIC:
        col = found.get(field)
        if col is None:
            continue
        if is_numeric_dtype(df[col]):
            parsed[field] = df[col].to_numpy(dtype=float, na_value=np.nan)
            continue
        try:  # the usual case, in C++: every value is a plain number or empty
            parsed[field] = pc.cast(pa.array(df[col], from_pandas=True), pa.float64()
                                    ).to_numpy(zero_copy_only=False)
            continue
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
        text = df[col].astype("string")
        folded = text.str.strip().str.casefold()
        if folded.isin(MISSING_WORDS).any():
            text = text.mask(folded.isin(MISSING_WORDS))
            df[col] = text
        given = text.dropna()
        if decimal_comma and len(given) and given.str.contains(",", regex=False).any() \
                and given.str.fullmatch(_DECIMAL_COMMA).all():
            df[col] = text = text.str.replace(",", ".", regex=False)
        parsed[field] = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float,
                                                                       na_value=np.nan)
    if "lon" in parsed and "lat" in parsed:
        zero = (parsed["lon"] == 0) & (parsed["lat"] == 0)
        if zero.any():
            for col in (found["lon"], found["lat"]):
                df[col] = df[col].mask(zero)
    return df
