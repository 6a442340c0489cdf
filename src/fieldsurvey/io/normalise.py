"""Normalise a raw listing table to the standard listing columns.

Used by :func:`fieldsurvey.io.read_listing` after a file is read, and directly on a
DataFrame a caller already has (:func:`normalise_listing`). Headers are matched as in
:mod:`fieldsurvey.io.columns`; text is trimmed (blank -> missing); status words
(English or Chinese) become ``occupied, vacant, non_residential, unknown``; numbers
are parsed by Arrow, with a slow path that names the first bad row; coordinates end
up as WGS 84 lon/lat; building footprints are expanded into dwellings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer

from fieldsurvey.io.columns import match_columns
from fieldsurvey.io.coords import COORD_SYSTEMS, web_to_wgs84
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.errors import ColumnError, CRSError, InputError
from fieldsurvey.io.footprints import expand_footprints
from fieldsurvey.io.schema import WGS84

__all__ = ["LISTING_COLUMNS", "STATUS_VALUES", "normalise_listing", "normalise_table"]

LISTING_COLUMNS: tuple[str, ...] = (
    "source_row", "dwelling_id", "community_id", "compound", "building", "unit", "floor",
    "door", "address", "status", "households", "estimated", "lon", "lat", "footprint_dwelling",
)
_TEXT = ("dwelling_id", "community_id", "compound", "building", "unit", "floor", "door", "address")

#: Status words (folded) -> standard status.
STATUS_VALUES: dict[str, str] = {
    **{w: "occupied" for w in ("occupied", "在住", "居住", "有人", "有人住", "入住", "已入住",
                               "常住", "自住", "出租", "租住")},
    **{w: "vacant" for w in ("vacant", "empty", "空置", "空房", "空", "无人", "无人居住", "闲置")},
    **{w: "non_residential" for w in ("non_residential", "non-residential", "nonresidential",
                                      "非住宅", "商铺", "商用", "办公", "门面")},
    **{w: "unknown" for w in ("unknown", "未知", "不详", "不明")},
}



def _trim(values: pd.Series) -> pd.Series:
    """Trim a text column and turn blank strings into missing values (Arrow kernels)."""
    if not (pd.api.types.is_string_dtype(values) and values.dtype != object):
        values = values.astype("str")
    col = pc.utf8_trim_whitespace(pa.array(values))
    blank = pc.equal(col, "")
    if pc.any(blank).as_py():
        col = pc.if_else(blank, pa.scalar(None, col.type), col)
    return pd.Series(col.to_pandas(), index=values.index, name=values.name)



def _numeric(df: pd.DataFrame, col: str, file: Path | None, rows: np.ndarray) -> np.ndarray:
    raw = df[col]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float, na_value=np.nan)
    try:  # fast path: Arrow parses the text column in C++
        parsed: np.ndarray = pc.cast(pa.array(raw), pa.float64()).to_numpy(zero_copy_only=False)
        return parsed
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raw = _trim(raw)  # slow path: spaces around numbers, or real mistakes to locate
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} value(s) in this column are not numbers", file=file,
            row=int(rows[i]), field=col, expected="a number", got=repr(raw.iloc[i]),
            hint="Correct the value (no units or words in number columns)",
        )
    return values.to_numpy(dtype=float, na_value=np.nan)


def _as_text(values: pd.Series) -> pd.Series:
    """Text column as the default string dtype (numbers from Excel or GDAL become text)."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if len(whole) and (whole == np.round(whole)).all():
            s = s.astype("Int64")
    return _trim(s)


def _status(values: pd.Series | None, n: int) -> tuple[pd.Series, dict[str, int]]:
    """Standard statuses, and the status words that are not known (word -> rows)."""
    if values is None:
        return pd.Series(pa.array(["unknown"] * n if n else [], type=pa.string()).to_pandas()), {}
    codes, uniques = pd.factorize(values.reset_index(drop=True), use_na_sentinel=True)
    words = [str(u).strip().casefold() for u in uniques]
    mapped = pa.array([STATUS_VALUES.get(w, "unknown") for w in words] + ["unknown"],
                      type=pa.string())
    strange = [i for i, w in enumerate(words) if w not in STATUS_VALUES]
    unknown: dict[str, int] = {}
    if strange:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        unknown = {str(uniques[i]): int(counts[i]) for i in strange}
    status = pd.Series(mapped.take(pa.array(np.where(codes < 0, len(uniques), codes))).to_pandas())
    return status, unknown


def _points(df: pd.DataFrame, found: Mapping[str, str], geometry: Any, crs: CRS | None,
            coords: str, file: Path | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lon/lat arrays (NaN where missing)."""
    n = len(df)
    if geometry is not None:
        x, y = shapely.get_x(geometry), shapely.get_y(geometry)
        src: CRS | None = crs
    elif "lon" in found or "lat" in found:
        if not ("lon" in found and "lat" in found):
            raise ColumnError("the listing has only one of the two coordinate columns",
                              file=file, field=found.get("lon", found.get("lat")),
                              expected="both lon (经度) and lat (纬度)", got=", ".join(df.columns))
        x = _numeric(df, found["lon"], file, rows)
        y = _numeric(df, found["lat"], file, rows)
        src = crs if crs is not None and crs.is_geographic else None  # lon/lat are degrees
    elif "x" in found and "y" in found:
        x = _numeric(df, found["x"], file, rows)
        y = _numeric(df, found["y"], file, rows)
        if crs is None:
            raise CRSError("the listing gives x/y coordinates but not their coordinate system",
                           file=file, field=found["x"],
                           hint="Give it with --listing-crs (for example EPSG:4547 for a "
                           "CGCS2000 Gauss-Kruger zone), or give lon/lat columns")
        src = crs
    else:
        return np.full(n, np.nan), np.full(n, np.nan)
    if src is not None and not src.equals(CRS.from_user_input(WGS84), ignore_axis_order=True):
        t = Transformer.from_crs(src, WGS84, always_xy=True)
        ok = ~(np.isnan(x) | np.isnan(y))
        x, y = x.copy(), y.copy()
        x[ok], y[ok] = t.transform(x[ok], y[ok])
    bad = (
        (np.abs(x) > 180)
        | (np.abs(y) > 90)
        | ~np.isfinite(np.nan_to_num(x, nan=0) + np.nan_to_num(y, nan=0))
    )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        swapped = np.nanmedian(np.abs(y)) > 90 >= np.nanmedian(np.abs(x))
        raise CRSError(
            f"{int(bad.sum())} point(s) are not valid longitude/latitude", file=file,
            row=int(rows[i]), field=found.get("lon", found.get("x", "geometry")),
            expected="longitude within ±180 and latitude within ±90"
            + ("" if src is None else f" after converting from {crs_label(src)}"),
            got=f"({x[i]:.6g}, {y[i]:.6g})",
            hint="lon and lat look swapped; swap the columns" if swapped else
            "Projected metres belong in x/y columns with --listing-crs; check the CRS",
        )
    if coords != "wgs84":
        x, y = web_to_wgs84(x, y, coords)
    return x, y




def normalise_table(
    df: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    *,
    geometry: Any = None,
    src_crs: CRS | None = None,
    kind: str = "dwellings",
    coords: str = "wgs84",
    path: Path | None = None,
    dwellings_per_floor: float | None = None,
    storey_height: float = 3.0,
    dwelling_area: float | None = None,
    skip_unsized: bool = False,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Normalise a raw table.

    One row per dwelling, or per footprint when ``kind`` is ``"footprints"``; ``geometry`` holds
    points for vector layers. Returns the listing
    and the matched headers (field -> header).
    """
    df = df.reset_index(drop=True)
    found = match_columns(df.columns, mapping, file=path)
    if kind == "dwellings" and not ({"lon", "lat", "x", "y", "community_id"} & set(found)) \
            and geometry is None:
        raise ColumnError(
            "the listing has no coordinate columns and no community column, so its dwellings "
            "cannot be placed in communities", file=path,
            expected="lon/lat (经度/纬度), x/y, or community_id (社区编码)",
            got=f"the columns {', '.join(map(str, df.columns))}",
            hint="Add those columns, or map yours with --columns lon=COLUMN (etc.)",
        )
    kept = df.attrs.pop("source_rows", None)  # data rows / features left after --keep
    rows = np.asarray(kept, dtype=np.int64) if kept is not None \
        else np.arange(1, len(df) + 1, dtype=np.int64)
    lon, lat = _points(df, found, geometry, src_crs, coords, path, rows)
    out = pd.DataFrame({"source_row": rows})
    missing_text = pd.Series(pa.nulls(len(df), pa.large_string()).to_pandas())
    for name in _TEXT:
        col = found.get(name)
        out[name] = _as_text(df[col]) if col else missing_text
    out["status"], unknown_status = _status(_trim(df[found["status"]]) if "status" in found
                                            else None, len(df))
    hh = (
        _numeric(df, found["households"], path, rows) if "households" in found else np.ones(len(df))
    )
    hh = np.where(np.isnan(hh), 1.0, hh)
    if (hh < 0).any() or (hh != np.round(hh)).any():
        i = int(np.flatnonzero((hh < 0) | (hh != np.round(hh)))[0])
        raise InputError("households must be a whole number of 0 or more", file=path,
                         row=int(rows[i]), field=found["households"], got=str(hh[i]))
    out["households"] = hh.astype(np.int64)
    out["estimated"] = False
    out["lon"], out["lat"] = lon, lat
    out["footprint_dwelling"] = pd.arrays.IntegerArray(np.zeros(len(df), dtype=np.int64),
                                                       np.ones(len(df), dtype=bool))
    used = set(found.values())
    extras = [c for c in df.columns if c not in used and c not in out.columns]
    for c in extras:
        out[c] = df[c].reset_index(drop=True)
    if unknown_status:  # the words themselves, so the self-check can flag their rows
        out["status_word"] = _trim(df[found["status"]]).reset_index(drop=True)
    info: dict[str, object] = {"unknown_status": unknown_status}
    if kind == "footprints":
        for name in ("dwellings", "storeys", "height"):
            if name in found:
                out[name] = _numeric(df, found[name], path, rows)
        if out["building"].isna().all():
            out["building"] = pd.array(rows.astype(str), dtype="string")
        out = expand_footprints(out, dwellings_per_floor=dwellings_per_floor,
                                storey_height=storey_height, dwelling_area=dwelling_area,
                                skip_unsized=skip_unsized, file=path)
        info["footprints"] = out.attrs.pop("footprints", {})
    out.attrs["fieldsurvey"] = info
    return out, found


def normalise_listing(
    df: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    coords: str = "wgs84",
    crs: Any = None,
    dwellings_per_floor: float | None = None,
    storey_height: float = 3.0,
) -> pd.DataFrame:
    """Normalise a listing DataFrame already in memory, as :func:`read_listing` does a file.

    A frame that is already normalised (it has ``source_row`` and the standard columns)
    is returned unchanged.

    Raises
    ------
    ColumnError, CRSError, InputError
        As :func:`fieldsurvey.io.read_listing`.
    """
    if set(LISTING_COLUMNS) <= set(df.columns):
        return df
    if coords not in COORD_SYSTEMS:
        raise InputError("unknown coordinate system for --coords", field="coords",
                         expected=" or ".join(COORD_SYSTEMS), got=repr(coords))
    src = parse_crs(crs) if crs is not None else None
    out, found = normalise_table(
        df,
        columns,
        src_crs=src,
        coords=coords,
        dwellings_per_floor=dwellings_per_floor,
        storey_height=storey_height,
    )
    out.attrs["fieldsurvey"] = {**out.attrs.get("fieldsurvey", {}), "path": None,
                                "encoding": None, "kind": "dwellings", "columns": dict(found),
                                "source_crs": crs_label(src) if src else None}
    return out
