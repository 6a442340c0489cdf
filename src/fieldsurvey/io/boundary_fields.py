"""Which field of a boundary file is the community id, its name, street, type and size.

Order: what the user named (``--id-field``, ``--name-field`` ..., a ``--boundary-columns``
file), then the header vocabulary shared with listings (:mod:`fieldsurvey.io.columns`:
社区编码, 社區名稱, community_name ...), then two guesses a GIS user would make and
that the self-check reports:

- the id: a field named like an administrative division code (``adcode`` of DataV/AMap
  exports, ``gb`` of Tianditu, 区划代码, 行政区划代码, 村里代碼, ``XZQDM`` of land-survey
  layers, ``ADM3_PCODE``, ``GID_3`` ...) whose values are unique and filled;
- the name: a text field named like a name (``NAME_2``, ``cn_name``, 村里名稱, 名称,
  ``XZQMC``, ``ADM3_ZH`` ...), the most distinct one when there are several.

When no id is found the refusal lists the fields that could serve (unique and filled),
so the user can name one with ``--id-field``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fieldsurvey.io.columns import fold, load_mapping, match_boundary_columns
from fieldsurvey.io.errors import ColumnError, InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from fieldsurvey.io.boundaries import BoundaryOptions

__all__ = ["check_ids", "choose_fields", "household_counts", "id_strings", "name_notes"]

#: Administrative-division code fields of Chinese boundary exports (folded).
_ADMIN_CODE = ("adcode", "ad_code", "区划代码", "行政区划代码", "行政区代码", "统计用区划代码",
               "区划编码", "行政区划编码", "村居代码", "村居编码", "區劃代碼", "行政區劃代碼",
               "行政區代碼", "村里代碼", "村里代码", "villcode", "village_code", "towncode",
               # 国标码 of Tianditu exports; pinyin initials of land-survey layers
               # (行政区代码 XZQDM, 区划代码 QHDM, 坐落单位代码 ZLDWDM); OCHA and GADM codes
               "gb", "gbcode", "gb_code", "xzqdm", "xzqhdm", "qhdm", "zldwdm",
               "adm4_pcode", "adm3_pcode", "adm2_pcode", "gid_4", "gid_3", "gid_2")


def _cut_forms(name: str) -> set[str]:
    """``name`` and the forms a 10-byte dBase field name leaves of it (UTF-8 and GBK)."""
    out = {fold(name)}
    for codec in ("utf-8", "gb18030"):
        raw = name.encode(codec)
        if len(raw) > 10:
            cut = raw[:10].decode(codec, errors="ignore")
            if len(cut) >= 2:
                out.add(fold(cut))
    return out


_ADMIN_FOLDED = frozenset().union(*(_cut_forms(a) for a in _ADMIN_CODE))

#: Name-like field names (folded): ``NAME_2``, ``cn_name``, ``VILLNAME``, ``村里名稱``.
_NAME_LIKE = re.compile(r"name(_?\d+)?$|(^|_)nm(_?\d+)?$|^nm_|(名称|名稱|名字)(_?\d+)?$"
                        r"|^(xzqmc|qhmc|zldwmc|cjqymc)$|^adm\d_(zh|en)$")


def id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings, with floats that are whole numbers written without '.0'."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.round(whole)).all():
            values = values.astype("Int64")
    out = values.astype("string").str.strip()
    return out.mask(out == "")


_ID_LIKE = re.compile(r"(id|code|key|fips|编码|代码|编号|編碼|代碼|編號)", re.IGNORECASE)


def _usable_ids(gdf: gpd.GeoDataFrame, headers: list[str]) -> list[str]:
    """Fields that could be the id: filled, unique, text or whole numbers.

    Fields named like an id or code come first; measures with fractions (areas,
    perimeters) never qualify.
    """
    out = []
    for h in headers:
        col = gdf[h]
        if col.dtype == object and col.map(lambda v: isinstance(v, (bytes, bytearray))).any():
            continue
        if pd.api.types.is_float_dtype(col) and not (col.dropna() == np.round(col.dropna())).all():
            continue
        ids = id_strings(col)
        if ids.notna().all() and not ids.duplicated().any():
            out.append(h)
    return sorted(out, key=lambda h: _ID_LIKE.search(h) is None)


def _admin_code(gdf: gpd.GeoDataFrame, headers: list[str]) -> str | None:
    """A unique, filled field named like an administrative division code."""
    for h in headers:
        if fold(h) in _ADMIN_FOLDED and h in _usable_ids(gdf, [h]):
            return h
    return None


def _name_like(gdf: gpd.GeoDataFrame, headers: list[str], used: set[str]) -> str | None:
    """The most distinct text field named like a name, or None.

    A field that repeats most of its values (a tract's 街道 or bairro name, a
    province's name on every county) names a larger area, not the community.
    """
    best, best_n = None, len(gdf) // 2  # more than half the features must differ
    for h in headers:
        if h in used or not _NAME_LIKE.search(fold(h)):
            continue
        col = gdf[h]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        text = col.dropna().map(lambda v: v.strip() if isinstance(v, str) else None).dropna()
        n = text[text != ""].nunique()
        if n > best_n:
            best, best_n = h, n
    return best


def choose_fields(gdf: gpd.GeoDataFrame, opts: BoundaryOptions, path: Path | None,
                  notes: list[str]) -> tuple[dict[str, str], set[str]]:
    """Standard attribute -> field, from the options, the vocabulary and two guesses.

    The second value names the standard attributes that were guessed from a field
    the vocabulary does not know (``name`` from ``NAME_2``): they are added as copies,
    and the field stays under its own name too.

    Raises
    ------
    ColumnError
        When a named field does not exist, or no id field can be found (the message
        lists the fields that are unique and filled in every feature).
    """
    given: dict[str, str | None] = {}
    if opts.columns is not None:
        mapping = load_mapping(opts.columns) if isinstance(opts.columns, (str, Path)) \
            else opts.columns
        given.update(mapping)
    headers = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    default_id = opts.id_field == "community_id" and not any(
        h.casefold() in ("community_id", "community_"[:10]) for h in headers)
    given.update({k: v for k, v in (
        ("community_id", None if default_id else opts.id_field),
        ("name", opts.name_field), ("street", opts.street_field), ("type", opts.type_field),
        ("households", opts.size_field)) if v is not None})
    found = match_boundary_columns(headers, given, file=path)
    if "community_id" not in found:
        code = _admin_code(gdf, headers)
        if code is not None:
            found["community_id"] = code
            notes.append(f"the community id was taken from the field '{code}' (an "
                         "administrative division code, unique in every feature); name "
                         "another with --id-field")
    if "community_id" not in found:
        usable = _usable_ids(gdf, headers)
        raise ColumnError(
            "the community id field does not exist in the boundary file",
            file=path,
            field=opts.id_field,
            expected=f"a field named '{opts.id_field}' or one the header vocabulary knows "
            "(社区编码, 社區編碼, community_code, adcode ...)",
            got=f"the fields {', '.join(headers) or '(none)'}"
            + (f"; unique and filled in every feature: {', '.join(usable[:8])}"
               if usable else "; none of them is unique and filled in every feature"),
            hint="Name the id field with --id-field"
            + (f" (for example --id-field {usable[0]})" if usable else
               " after adding a unique code to every feature in a GIS"),
        )
    copied: set[str] = set()
    if "name" not in found:
        name = _name_like(gdf, headers, set(found.values()))
        if name is not None:
            found["name"] = name
            copied.add("name")
            notes.append(f"the community names were taken from the field '{name}'; name "
                         "another with --name-field")
    return found, copied


def check_ids(ids: pd.Series, id_field: str, path: Path | None, dissolve: bool) -> pd.Series:
    """The ids as strings, refusing empty ones and (without ``dissolve``) repeated ones.

    Raises
    ------
    InputError
        Naming the features with an empty or a repeated id.
    """
    ids = id_strings(ids)
    if ids.isna().any():
        rows = (np.flatnonzero(ids.isna().to_numpy()) + 1).tolist()
        raise InputError(
            f"{len(rows)} feature(s) have no community id",
            file=path, row=rows[0], field=id_field,
            got=f"empty ids in features {', '.join(map(str, rows[:10]))}",
            hint="Fill in the id of every community, or choose another field with --id-field",
        )
    dup = ids.duplicated(keep=False)
    if dup.any() and not dissolve:
        groups = pd.Series(np.flatnonzero(dup.to_numpy()) + 1).groupby(ids[dup].to_numpy())
        listed = "; ".join(f"'{k}' in features {', '.join(map(str, v.tolist()[:5]))}"
                           for k, v in list(groups)[:5])
        raise InputError(
            f"{groups.ngroups} community id(s) occur more than once in the boundaries",
            file=path, field=id_field, got=listed,
            hint="Each community must be one feature with its own id: merge the parts "
            "with --dissolve, or correct the ids",
        )
    return ids.rename("community_id")


def name_notes(names: pd.Series, ids: pd.Series) -> list[str]:
    """Sentences about names that are empty or repeated (maps and sheets show names).

    Both are legal (the id tells communities apart) but worth a look before printing
    field maps: DataV files carry a nameless feature for the South China Sea dashes,
    and merged files repeat names across streets.
    """
    out = []
    text = names.map(lambda v: v.strip() if isinstance(v, str) else v)
    empty = text.isna() | (text == "")
    if empty.any():
        rows = np.flatnonzero(empty.to_numpy())
        listed = ", ".join(f"{r + 1} (id {ids.iloc[r]})" for r in rows[:5])
        out.append(f"{len(rows)} communit{'y has' if len(rows) == 1 else 'ies have'} no name: "
                   f"feature(s) {listed}")
    dup = text[~empty].duplicated(keep=False)
    if dup.any():
        groups = pd.Series(np.flatnonzero(~empty.to_numpy())[dup.to_numpy()] + 1).groupby(
            text[~empty][dup].to_numpy())
        listed = "; ".join(f"'{k}' in features {', '.join(map(str, v.tolist()[:5]))}"
                           for k, v in list(groups)[:3])
        out.append(f"{groups.ngroups} community name(s) occur more than once ({listed}); "
                   "maps and sheets tell them apart by id")
    return out


_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def household_counts(values: pd.Series, field: str, notes: list[str]) -> pd.Series:
    """Registered households as numbers: ``1,234``, ``１２３４`` and ``1234户`` are read.

    Values that still are not numbers become missing, and a note names the field,
    how many and an example, so the coverage check is not silently short.
    """
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce")
    text = values.map(lambda v: v.translate(_FULLWIDTH).strip() if isinstance(v, str) else v)
    text = text.map(lambda v: re.sub(r"[,\s]|户$|戶$", "", v) if isinstance(v, str) else v)
    out = pd.to_numeric(text.mask(text == ""), errors="coerce")
    lost = out.isna() & text.notna() & (text != "")
    if lost.any():
        example = values[lost].iloc[0]
        notes.append(f"{int(lost.sum())} value(s) of the households field '{field}' are not "
                     f"numbers (e.g. {example!r}) and were left empty")
    return out
