"""Read dwelling listings (住户清单) from CSV, XLSX or a vector layer.

A listing arrives as a CSV typed in Excel (UTF-8, UTF-8 with BOM, or GBK), an XLSX
with Chinese headers, a point layer, or a layer of building footprints. Whatever the
form, :func:`read_listing` returns one row per dwelling with the standard columns of
DESIGN.md:

``source_row, dwelling_id, community_id, compound, building, unit, floor, door,
address, status, households, estimated, lon, lat, footprint_dwelling`` followed by the
listing's other columns under their own names. Text columns are trimmed strings
(empty -> missing); ``lon``/``lat`` are WGS 84 (converted from ``x``/``y`` in the given
CRS, or from GCJ-02/BD-09); ``status`` is one of ``occupied, vacant, non_residential,
unknown``; ``households`` defaults to 1. ``source_row`` is the 1-based data row (the
feature number for vector layers) so the self-check can point at the row to fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from pyproj import CRS, Transformer

from fieldsurvey.errors import ColumnError, CRSError, InputError
from fieldsurvey.io.boundaries import read_vector
from fieldsurvey.io.columns import load_mapping, match_columns
from fieldsurvey.io.coords import COORD_SYSTEMS, to_wgs84
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.encoding import decode_text, detect_encoding
from fieldsurvey.io.footprints import expand_footprints
from fieldsurvey.schema import WGS84

__all__ = ["LISTING_COLUMNS", "STATUS_VALUES", "read_listing"]

LISTING_COLUMNS: tuple[str, ...] = (
    "source_row", "dwelling_id", "community_id", "compound", "building", "unit", "floor",
    "door", "address", "status", "households", "estimated", "lon", "lat", "footprint_dwelling",
)
_TEXT = ("dwelling_id", "community_id", "compound", "building", "unit", "floor", "door", "address")
_VECTOR_SUFFIXES = {".geojson", ".gpkg", ".shp", ".kml", ".kmz", ".fgb", ".gml", ".json", ".zip"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}

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


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.replace("\ufeff", "").strip() or "column"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


class _NotUtf8(Exception):
    """The bytes are not UTF-8 (raised inside the fast path, never to the user)."""


def _parse_csv(payload: bytes, path: Path) -> tuple[pa.Table, list[str]]:
    """Parse UTF-8 CSV bytes with every column as text (Arrow checks the UTF-8)."""
    end = payload.find(b"\n")
    try:
        first = payload[: end if end >= 0 else len(payload)].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    delimiter = max((",", "\t", ";"), key=first.count)
    header = _unique_names(next(csv.reader([first], delimiter=delimiter)))
    try:
        table = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            raise _NotUtf8 from None
        raise InputError("the CSV cannot be parsed (a row has the wrong number of fields?)",
                         file=path, got=" ".join(str(exc).split())[:200],
                         hint="Open the file, fix that row (quotes, stray separators), save again") from None
    return table, header


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    if not re.search(rb"[^\s\xef\xbb\xbf]", data[:65536]):
        raise InputError("the listing file is empty", file=path,
                         hint="Export the listing again and check the copy")
    table = None
    if encoding is None:  # fast path: most files are UTF-8, and Arrow validates as it parses
        bom = data.startswith(codecs.BOM_UTF8)
        try:
            table, header = _parse_csv(data[3:] if bom else data, path)
            codec = "utf-8-sig" if bom else "utf-8"
        except _NotUtf8:
            detect_encoding(data, file=path)  # GBK, or an error naming the row
        except InputError:
            try:  # a malformed row: report bad text first, if that is the real fault
                data.decode("utf-8")
            except UnicodeDecodeError:
                detect_encoding(data, file=path)
            else:
                raise
    if table is None:
        text, codec = decode_text(data, encoding or detect_encoding(data, file=path), file=path)
        try:
            table, header = _parse_csv(text.encode(), path)
        except _NotUtf8:  # pragma: no cover - re-encoded text is always UTF-8
            raise AssertionError("re-encoded text is not UTF-8") from None
    if table.num_rows == 0:
        raise InputError("the listing has a header but no rows", file=path,
                         got=f"the columns {', '.join(header)}", hint="Give the filled-in listing")
    return table.to_pandas(), codec


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise InputError("the listing file is empty", file=path,
                         hint="Export the listing again and check the copy")
    try:
        df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise InputError("the spreadsheet cannot be read (damaged, truncated or not Excel)",
                         file=path, got=" ".join(str(exc).split())[:200],
                         hint="Open it in Excel or WPS and save it again as .xlsx") from None
    df.columns = _unique_names([str(c) for c in df.columns])
    df = df.dropna(how="all")
    if len(df) == 0:
        raise InputError("the listing has a header but no rows", file=path,
                         sheet=None if sheet is None else str(sheet),
                         hint="Give the filled-in listing")
    return pa.Table.from_pandas(df.astype("str"), preserve_index=False).to_pandas()


def _numeric(df: pd.DataFrame, col: str, file: Path, rows: np.ndarray) -> np.ndarray:
    raw = df[col]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float, na_value=np.nan)
    try:  # fast path: Arrow parses the text column in C++
        return pc.cast(pa.array(raw), pa.float64()).to_numpy(zero_copy_only=False)
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


def _status(values: pd.Series | None, n: int) -> pd.Series:
    if values is None:
        return pd.Series(pa.array(["unknown"] * n if n else [], type=pa.string()).to_pandas())
    codes, uniques = pd.factorize(values.reset_index(drop=True), use_na_sentinel=True)
    mapped = pa.array([STATUS_VALUES.get(str(u).strip().casefold(), "unknown") for u in uniques]
                      + ["unknown"], type=pa.string())
    return pd.Series(mapped.take(pa.array(np.where(codes < 0, len(uniques), codes))).to_pandas())


def _points(df: pd.DataFrame, found: Mapping[str, str], geometry: Any, crs: CRS | None,
            coords: str, file: Path, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        src = crs
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
    bad = (np.abs(x) > 180) | (np.abs(y) > 90) | ~np.isfinite(np.nan_to_num(x, nan=0) + np.nan_to_num(y, nan=0))
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
        x, y = to_wgs84(x, y, coords)
    return x, y


def _vector_table(path: Path, encoding: str | None, crs: Any, layer: Any) -> tuple[pd.DataFrame, Any, CRS, str]:
    gdf = read_vector(path, layer=layer, encoding=encoding)
    given = parse_crs(crs, file=str(path)) if crs is not None else None
    src = given or gdf.crs
    if src is None:
        raise CRSError("the listing layer does not say which coordinate system it is in",
                       file=path, hint="Give it with --listing-crs (or --crs)")
    geoms = shapely.force_2d(gdf.geometry.to_numpy())
    types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    if types <= {0}:
        kind = "points"
    elif types <= {3, 6}:
        kind = "footprints"
        geoms = shapely.point_on_surface(shapely.make_valid(geoms))
    else:
        raise InputError("a listing layer must hold points (dwellings) or polygons (buildings)",
                         file=path, got="lines or mixed geometry types",
                         hint="Give the dwelling points or the building footprints layer")
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    for c in attrs.columns:
        if not pd.api.types.is_numeric_dtype(attrs[c]):
            attrs[c] = attrs[c].astype("string").str.strip().replace("", pd.NA)
    return attrs.reset_index(drop=True), geoms, src, kind


def read_listing(
    path: str | Path,
    *,
    columns: Mapping[str, str] | str | Path | None = None,
    encoding: str | None = None,
    coords: str = "wgs84",
    crs: Any = None,
    sheet: str | int | None = None,
    layer: str | int | None = None,
    dwellings_per_floor: float | None = None,
    storey_height: float = 3.0,
) -> pd.DataFrame:
    """Read a dwelling listing and normalise it to the standard columns.

    Parameters
    ----------
    path
        CSV/TSV/TXT, XLSX/XLS, or a vector layer of points or building footprints.
    columns
        Extra header mapping, ``{"building": "栋号"}`` (either direction) or a TOML/JSON file.
    encoding
        CSV text encoding; detected (UTF-8, UTF-8 BOM, GBK) when None.
    coords
        ``"gcj02"``/``"bd09"`` when lon/lat were read off Chinese web maps.
    crs
        CRS of ``x``/``y`` columns or of a vector layer (overriding the layer's own).
    sheet, layer
        Spreadsheet sheet or vector layer (default: the first).
    dwellings_per_floor, storey_height
        For footprints without a dwelling count (see :mod:`fieldsurvey.io.footprints`).

    Returns
    -------
    DataFrame
        One row per dwelling; columns :data:`LISTING_COLUMNS` then the other columns.
        ``attrs["fieldsurvey"]`` records the file, encoding, kind and matched headers.

    Raises
    ------
    InputError, EncodingError, ColumnError, CRSError
        For empty or unreadable files, bad text, unknown mapped columns, a listing with
        neither coordinates nor community, bad numbers or coordinates.
    """
    path = Path(path)
    if coords not in COORD_SYSTEMS:
        raise InputError("unknown coordinate system for --coords", field="coords",
                         expected=" or ".join(COORD_SYSTEMS), got=repr(coords))
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    mapping = load_mapping(columns) if isinstance(columns, (str, Path)) else columns
    suffix = path.suffix.lower()
    geometry, kind, codec = None, "dwellings", None
    src_crs = parse_crs(crs, file=str(path)) if crs is not None else None
    if suffix in _VECTOR_SUFFIXES and not (suffix == ".json" and _is_plain_json(path)):
        df, geometry, src_crs, kind = _vector_table(path, encoding, crs, layer)
    elif suffix in _EXCEL_SUFFIXES:
        df = _read_excel(path, sheet)
    else:
        df, codec = _read_csv(path, encoding)
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
    rows = np.arange(1, len(df) + 1, dtype=np.int64)
    lon, lat = _points(df, found, geometry, src_crs, coords, path, rows)
    out = pd.DataFrame({"source_row": rows})
    missing_text = pd.Series(pa.nulls(len(df), pa.large_string()).to_pandas())
    for name in _TEXT:
        col = found.get(name)
        out[name] = _as_text(df[col]) if col else missing_text
    out["status"] = _status(_trim(df[found["status"]]) if "status" in found else None, len(df))
    hh = _numeric(df, found["households"], path, rows) if "households" in found else np.ones(len(df))
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
    if kind == "footprints":
        for name in ("dwellings", "storeys", "height"):
            if name in found:
                out[name] = _numeric(df, found[name], path, rows)
        if out["building"].isna().all():
            out["building"] = pd.array(rows.astype(str), dtype="string")
        out = expand_footprints(out, dwellings_per_floor=dwellings_per_floor,
                                storey_height=storey_height, file=path)
    out.attrs["fieldsurvey"] = {
        "path": str(path), "encoding": codec, "kind": kind,
        "columns": dict(found), "source_crs": crs_label(src_crs) if src_crs else None,
    }
    return out


def _is_plain_json(path: Path) -> bool:
    """True for a .json that is not GeoJSON (a quick look at the start)."""
    head = path.read_bytes()[:4096]
    return b'"type"' not in head and b'"features"' not in head
