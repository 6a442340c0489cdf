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

A CSV listing is parsed here with Arrow (fast for the largest listings), but its separator
is the one :func:`fieldsurvey.io.tables.csv_separator` reads from the header, as for every
other table.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pyproj import CRS

from fieldsurvey.io.boundaries import read_vector
from fieldsurvey.io.columns import clean_numbers, fold, load_mapping, match_columns
from fieldsurvey.io.coords import COORD_SYSTEMS
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.encoding import decode_text, detect_encoding
from fieldsurvey.io.errors import CRSError, FieldsurveyError, InputError
from fieldsurvey.io.footprints import layer_points, osm_address, osm_tags, wkt_geometry
from fieldsurvey.io.normalise import LISTING_COLUMNS, STATUS_VALUES, normalise_table
from fieldsurvey.io.tables import csv_separator, read_table

__all__ = ["LISTING_COLUMNS", "STATUS_VALUES", "read_listing"]

#: The widest listing read (a real listing has tens of columns; a file with a million
#: separators in its header is a damaged export, not a listing).
MAX_COLUMNS = 2_000

_VECTOR_SUFFIXES = {".geojson", ".gpkg", ".shp", ".kml", ".kmz", ".fgb", ".gml", ".json"}
_OSM_SUFFIXES = {".pbf", ".osm"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}

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


def _check_width(n: int, path: Path) -> None:
    if n > MAX_COLUMNS:
        raise InputError(
            f"the listing has {n:,} columns; fieldsurvey reads at most {MAX_COLUMNS:,}",
            file=path, expected=f"a listing with at most {MAX_COLUMNS:,} columns",
            got=f"{n:,} columns in the header row",
            hint="Check that the file is the listing (a damaged export or the wrong "
            "separator makes one row very wide), or remove the unused columns")


class _NotUtf8(Exception):
    """The bytes are not UTF-8 (raised inside the fast path, never to the user)."""


def _title_lines(payload: bytes) -> int:
    """How many lines above the header are a title ("XX社区住户清单", "填报单位：...").

    Those lines hold at most one non-empty field, and the header after them two or more;
    a one-column listing (every line a single field) has none.
    """
    lines = payload[:65536].split(b"\n", 12)[:12]
    if len(lines) < 3:
        return 0
    for i, raw in enumerate(lines[:-1]):
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        fields = next(csv.reader([line], delimiter=csv_separator(line)), [])
        if sum(1 for f in fields if f.strip()) >= 2:
            return i if i < 10 else 0
    return 0


def _parse_csv(payload: bytes, path: Path) -> tuple[pa.Table, list[str]]:
    """Parse UTF-8 CSV bytes with every column as text (Arrow checks the UTF-8)."""
    title = _title_lines(payload)
    for _ in range(title):
        payload = payload[payload.find(b"\n") + 1:]
    end = payload.find(b"\n")
    try:
        first = payload[: end if end >= 0 else len(payload)].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    delimiter = csv_separator(first, path.suffix.lower())
    _check_width(first.count(delimiter) + 1, path)
    try:
        header = _unique_names(next(csv.reader([first], delimiter=delimiter)))
    except csv.Error as exc:  # e.g. a whole file on one "line" after a wrong --encoding
        raise InputError(
            "the header row of the listing cannot be read",
            file=path,
            got=str(exc)[:160],
            hint="Check the file's encoding (leave the encoding option out to detect it) "
            "and that the first row holds the column names",
        ) from None
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
        row, line, width = _bad_row(payload, delimiter, len(header))
        raise InputError(
            "the CSV cannot be parsed (a row has the wrong number of fields?)",
            file=path, row=row,
            expected=f"{len(header)} fields separated by {_SEP_NAMES.get(delimiter, delimiter)}, "
            "as in the header",
            got=(f"{width} fields on line {line}" if row else
                 " ".join(str(exc).split())[:200]),
            hint="Open the file, fix that row (an unclosed or doubled quote, a stray "
            "separator), save again",
        ) from None
    table = table.replace_schema_metadata({"separator": delimiter, "title_lines": str(title)})
    return table, header


_SEP_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}


def _bad_row(payload: bytes, delimiter: str, width: int) -> tuple[int | None, int, int]:
    """(data row, line, fields) of the first row whose field count is not the header's."""
    text = io.StringIO(payload.decode("utf-8", errors="replace"), newline="")
    reader = csv.reader(text, delimiter=delimiter)
    next(reader, None)
    line = reader.line_num
    for i, fields in enumerate(reader, start=1):
        if fields and len(fields) != width:
            return i, line + 1, len(fields)
        line = reader.line_num
    return None, 0, 0


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
            detect_encoding(data, file=path, option=_OPTION)  # GBK, or an error naming the row
        except InputError:
            try:  # a malformed row: report bad text first, if that is the real fault
                data.decode("utf-8")
            except UnicodeDecodeError:
                detect_encoding(data, file=path, option=_OPTION)
            else:
                raise
    if table is None:
        text, codec = decode_text(
            data, encoding or detect_encoding(data, file=path, option=_OPTION), file=path,
            option=_OPTION)
        try:
            table, header = _parse_csv(text.encode(), path)
        except _NotUtf8:  # pragma: no cover - re-encoded text is always UTF-8
            raise AssertionError("re-encoded text is not UTF-8") from None
    if table.num_rows == 0:
        raise InputError("the listing has a header but no rows", file=path,
                         got=f"the columns {', '.join(header)}", hint="Give the filled-in listing")
    df = table.to_pandas()
    meta = table.schema.metadata or {}
    df.attrs["separator"] = meta.get(b"separator", b",").decode()
    df.attrs["title_rows"] = int(meta.get(b"title_lines", b"0"))
    return df, codec


def _header_row(raw: pd.DataFrame, mapping: Mapping[str, str] | None) -> tuple[int, int]:
    """(row, score): the row among the first 20 naming the most listing fields."""
    best = (0, 0)
    for i in range(min(20, len(raw))):
        cells = [str(v) for v in raw.iloc[i] if pd.notna(v) and str(v).strip()]
        try:
            score = len(match_columns(cells, mapping))
        except FieldsurveyError:  # a mapped column this row does not have
            score = 0
        if score > best[1]:
            best = (i, score)
    return best


def _read_excel(path: Path, sheet: str | int | None,
                mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The listing sheet, its header found below any title rows.

    Without ``sheet``, the sheet whose header names the most listing fields (a workbook
    often opens with a 填表说明 sheet); the header is the row among the first 20 naming
    the most fields. ``attrs["source_rows"]`` keeps the data rows' numbers across the
    blank rows dropped; ``attrs["sheet"]``/``["title_rows"]`` say what was chosen.
    """
    if path.stat().st_size == 0:
        raise InputError("the listing file is empty", file=path,
                         hint="Export the listing again and check the copy")
    try:
        book = pd.read_excel(path, sheet_name=None if sheet is None else sheet, dtype=str,
                             header=None)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise InputError("the spreadsheet cannot be read (damaged, truncated or not Excel)",
                         file=path, got=" ".join(str(exc).split())[:200],
                         hint="Open it in Excel or WPS and save it again as .xlsx") from None
    sheets = book if isinstance(book, dict) else {sheet: book}
    name, raw = next(iter(sheets.items()))
    row, score = _header_row(raw, mapping)
    for other, frame in list(sheets.items())[1:]:
        r, sc = _header_row(frame, mapping)
        if sc > score:
            name, raw, row, score = other, frame, r, sc
    raw = raw.dropna(axis=1, how="all")
    if len(raw) <= row:
        raise InputError("the listing sheet is empty", file=path,
                         sheet=None if name is None else str(name),
                         hint="Give the filled-in listing")
    _check_width(raw.shape[1], path)
    header = [str(v) if pd.notna(v) else f"column{i + 1}" for i, v in enumerate(raw.iloc[row])]
    df = raw.iloc[row + 1:].set_axis(_unique_names(header), axis=1)
    filled = df.notna().any(axis=1).to_numpy()
    df = df[filled]
    if len(df) == 0:
        raise InputError("the listing has a header but no rows", file=path,
                         sheet=None if name is None else str(name),
                         hint="Give the filled-in listing")
    table: pd.DataFrame = pa.Table.from_pandas(df.astype("str"), preserve_index=False).to_pandas()
    table.attrs["source_rows"] = np.flatnonzero(filled) + 1
    table.attrs["sheet"] = name if isinstance(name, str) else None
    table.attrs["title_rows"] = row
    return table


_OPTION = "--listing-encoding"
def _read_layer(path: Path, encoding: str | None, layer: Any) -> Any:
    """The layer as a GeoDataFrame: GeoParquet directly, the rest through GDAL."""
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        import geopandas as gpd

        try:
            gdf = gpd.read_parquet(path)
        except (ValueError, OSError, pa.ArrowException) as exc:
            raise InputError("the GeoParquet listing cannot be read (damaged or truncated)",
                             file=path, got=" ".join(str(exc).split())[:200],
                             hint="Write it again, or give the layer as GeoPackage") from None
        if len(gdf) == 0:
            raise InputError("the listing layer has no features", file=path,
                             hint="Export the layer again; it came out empty")
        return gdf
    if path.suffix.lower() in _OSM_SUFFIXES:
        import pyogrio

        # extracts cut by tools other than osmium do not sort their nodes by id
        pyogrio.set_gdal_config_options({"OSM_USE_CUSTOM_INDEXING": "NO"})
        if layer is None:
            layer = "multipolygons"
    return read_vector(path, layer=layer, encoding=encoding, option=_OPTION)


def _vector_table(path: Path, encoding: str | None, crs: Any, layer: Any,
                  keep: Any = None) -> tuple[pd.DataFrame, Any, CRS, str]:
    gdf = _read_layer(path, encoding, layer)
    given = parse_crs(crs, file=str(path)) if crs is not None else None
    src = gdf.crs or given  # the layer's own CRS wins; ``crs`` fills in a missing one
    if src is None:
        raise CRSError("the listing layer does not say which coordinate system it is in",
                       file=path, hint="Give it with --listing-crs (or --crs)")
    n_read = len(gdf)
    if "other_tags" in gdf.columns:
        gdf = osm_tags(gdf)
        if "building" in gdf.columns and keep is None:
            # an OSM layer holds parks, roads and land use too: buildings only
            # (counted as left out; --keep chooses otherwise)
            tag = gdf["building"].astype("string")
            gdf = gdf[(tag.notna() & (tag != "no")).to_numpy()]
        if len(gdf) == 0:
            raise InputError(
                "the OpenStreetMap extract has no buildings in this layer", file=path,
                got=f"{n_read} feature(s), none tagged building=*",
                hint="Give an extract that covers the buildings, or choose the features to "
                "keep with --keep (for example --keep \"amenity == 'school'\")")
    if keep is not None:
        gdf = gdf[keep(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))]
        if len(gdf) == 0:
            raise InputError("the --keep expression keeps no feature of the layer", file=path,
                             field="--keep", hint="Check the expression against the layer's fields")
    geoms, kind, area = layer_points(gdf.geometry.to_numpy(), src, path)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    for c in attrs.columns:
        if not pd.api.types.is_numeric_dtype(attrs[c]):
            text = attrs[c].astype("string").str.strip()
            attrs[c] = text.mask(text == "")
    if "osm_id" in attrs and "building" in attrs:
        # OSM's building=* is the building's kind (residential, garage), not its number
        attrs = attrs.rename(columns={"building": "building_type"})
    address = osm_address(attrs, use_name=kind == "footprints")
    if address is not None and "address" not in match_columns(attrs.columns):
        attrs["address"] = address
    if kind == "footprints":
        attrs["footprint_area"] = area
    features = attrs.index.to_numpy(dtype=np.int64) + 1  # feature numbers in the file
    attrs = attrs.reset_index(drop=True)
    if keep is not None or len(attrs) < n_read:
        attrs.attrs["read_rows"] = n_read
        attrs.attrs["source_rows"] = features
    return attrs, geoms, src, kind


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
    dwelling_area: float | None = None,
    skip_unsized: bool = False,
    keep: Any = None,
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
        CRS of ``x``/``y`` columns, of ``lon``/``lat`` when geographic (e.g. EPSG:4490;
        a projected one is ignored for lon/lat), or of a vector layer that states none.
    sheet, layer
        Spreadsheet sheet or vector layer (default: the first).
    dwellings_per_floor, storey_height, dwelling_area, skip_unsized
        For footprints without a dwelling count (see :mod:`fieldsurvey.io.footprints`).
    keep
        ``keep(table) -> bool array``: the rows (features) to keep, evaluated on the
        file's own columns before anything else (the frame passes the ``--keep``
        expression).

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
    if suffix == ".zip":
        return _from_zip(path, columns=mapping, encoding=encoding, coords=coords, crs=crs,
                         sheet=sheet, layer=layer, dwellings_per_floor=dwellings_per_floor,
                         storey_height=storey_height, dwelling_area=dwelling_area,
                         skip_unsized=skip_unsized, keep=keep)
    geometry, kind, codec = None, "dwellings", None
    src_crs = parse_crs(crs, file=str(path)) if crs is not None else None
    n_read = None
    chosen: dict[str, Any] = {}  # the sheet and the title rows above the header, if any
    if _is_layer(path):
        df, geometry, src_crs, kind = _vector_table(path, encoding, crs, layer, keep)
        n_read = df.attrs.pop("read_rows", None)
    else:
        if suffix in _EXCEL_SUFFIXES:
            df = _read_excel(path, sheet, mapping)
        elif suffix in _PARQUET_SUFFIXES:
            df = read_table(path, what="listing", text=True)
        else:
            df, codec = _read_csv(path, encoding)
        separator = df.attrs.pop("separator", ",")
        chosen = {k: df.attrs.pop(k) for k in ("sheet", "title_rows") if df.attrs.get(k)}
        if keep is not None:
            n_read = len(df)
            mask = keep(df)
            rows = df.attrs.get("source_rows", np.arange(1, len(df) + 1))
            df = df[mask].reset_index(drop=True)
            df.attrs["source_rows"] = np.asarray(rows)[np.asarray(mask, dtype=bool)]
            if len(df) == 0:
                raise InputError("the --keep expression keeps no row of the listing", file=path,
                                 field="--keep", hint="Check the expression against the columns")
        df = clean_numbers(df, mapping, decimal_comma=separator != ",", file=path)
        mapping = _projected_lonlat(df, mapping, src_crs, path)
        mapping = _degree_xy(df, mapping, src_crs, path)
        df, mapping = _coordinate_pair(df, mapping, path)
        wkt = wkt_geometry(df, mapping, src_crs, path)
        if wkt is not None:
            df, geometry, src_crs, kind = wkt
        found = match_columns(df.columns, mapping, file=path)
        address = None if "address" in found else osm_address(df, use_name=False)
        if address is not None:
            df["address"] = address  # from addr:street + addr:housenumber (+ unit) etc.
    count = match_columns(df.columns, mapping, file=path).get("dwellings")
    if kind != "footprints" and count is not None:
        df = _building_rows(df, count)
        if df.attrs.pop("buildings", False):
            kind = "footprints"
    out, found = normalise_table(df, mapping, geometry=geometry, src_crs=src_crs, kind=kind,
                                 coords=coords, path=path, dwellings_per_floor=dwellings_per_floor,
                                 storey_height=storey_height, dwelling_area=dwelling_area,
                                 skip_unsized=skip_unsized)
    info: dict[str, Any] = {
        **chosen,
        "path": str(path), "encoding": codec, "kind": kind,
        "columns": dict(found), "source_crs": crs_label(src_crs) if src_crs else None,
    }
    if n_read is not None:
        info["kept_rows"] = [len(df), n_read]
    out.attrs["fieldsurvey"] = {**out.attrs.get("fieldsurvey", {}), **info}
    return out


def _building_rows(df: pd.DataFrame, count: str) -> pd.DataFrame:
    """Rows (points or table rows) that carry a number of dwellings (套数, NUNITS).

    Such a row is a building: it becomes that many dwellings, as a footprint does. A row
    whose count is empty is one address, one dwelling. A count column empty throughout
    says nothing, and the rows stay dwellings.
    """
    values = df[count]
    text = values.astype("string").str.strip()
    given = text.notna() & (text != "")
    if not given.any():
        return df
    out = df.copy()
    one: Any = 1 if pd.api.types.is_numeric_dtype(values) else "1"
    out[count] = values.where(given.to_numpy(), one)
    out.attrs["buildings"] = True
    return out


def _projected_lonlat(df: pd.DataFrame, mapping: Mapping[str, str] | None, crs: CRS | None,
                      path: Path) -> Mapping[str, str] | None:
    """Columns named lon/lat that hold the projected metres of the given CRS are its x/y.

    (OpenAddresses and GIS exports name any coordinate pair lon/lat.) Only when the user
    gave a projected CRS and the values are out of longitude/latitude range.
    """
    if crs is None or not crs.is_projected:
        return mapping
    found = match_columns(df.columns, mapping, file=path)
    if "x" in found or "y" in found or not {"lon", "lat"} <= set(found):
        return mapping
    x = pd.to_numeric(df[found["lon"]], errors="coerce").abs()
    y = pd.to_numeric(df[found["lat"]], errors="coerce").abs()
    if not (x.median() > 180 or y.median() > 90):
        return mapping
    return {**(mapping or {}), "x": found["lon"], "y": found["lat"]}


def _degree_xy(df: pd.DataFrame, mapping: Mapping[str, str] | None, crs: CRS | None,
               path: Path) -> Mapping[str, str] | None:
    """x/y columns (X坐标, POINT_X) holding degrees, with no CRS given, are lon/lat."""
    if crs is not None:
        return mapping
    found = match_columns(df.columns, mapping, file=path)
    if "lon" in found or "lat" in found or not {"x", "y"} <= set(found):
        return mapping
    x = pd.to_numeric(df[found["x"]], errors="coerce")
    y = pd.to_numeric(df[found["y"]], errors="coerce")
    if x.notna().sum() == 0 or not (x.abs().max() <= 180 and y.abs().max() <= 90):
        return mapping
    return {**(mapping or {}), "lon": found["x"], "lat": found["y"]}


#: Headers of one column holding both coordinates, "121.5053,25.0355" (Amap's picker).
_PAIR_HEADERS = {"经纬度", "經緯度", "坐标", "坐標", "经纬度坐标", "經緯度坐標", "location",
                 "lnglat", "lonlat", "latlng", "latlon", "coordinates", "coords", "gps"}
_PAIR = r"\s*([+-]?\d+(?:\.\d+)?)\s*[,，;\s]\s*([+-]?\d+(?:\.\d+)?)\s*"


def _coordinate_pair(df: pd.DataFrame, mapping: Mapping[str, str] | None, path: Path
                     ) -> tuple[pd.DataFrame, Mapping[str, str] | None]:
    """Split a 经纬度 column ("lon,lat") into lon and lat, when there are no others.

    Longitude first (Chinese web maps and GeoJSON write it so) unless the values show
    otherwise (a first number never beyond ±90 with a second beyond it is lat,lng).
    """
    found = match_columns(df.columns, mapping, file=path)
    if {"lon", "lat", "x", "y"} & set(found):
        return df, mapping
    col = next((c for c in df.columns if fold(c) in _PAIR_HEADERS), None)
    if col is None:
        return df, mapping
    text = df[col].astype("string")
    parts = text.str.extract(f"^{_PAIR}$")
    given = text.str.strip().fillna("") != ""
    if not given.any() or parts[0][given.to_numpy()].isna().any():
        return df, mapping  # not a coordinate pair column
    a, b = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    lat_first = a.abs().max() <= 90 < b.abs().max()
    lon, lat = (b, a) if lat_first else (a, b)
    out = df.copy()
    out[f"{col}:lon"], out[f"{col}:lat"] = lon.astype("string"), lat.astype("string")
    return out, {**(mapping or {}), "lon": f"{col}:lon", "lat": f"{col}:lat"}


def _is_layer(path: Path) -> bool:
    """A map layer (read with GDAL or as GeoParquet), not a table."""
    suffix = path.suffix.lower()
    if suffix in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        try:
            return b"geo" in (pq.read_schema(path).metadata or {})
        except (pa.ArrowException, OSError):
            return False  # the table reader says what is wrong with it
    if suffix == ".json":
        return not _is_plain_json(path)
    return suffix in _VECTOR_SUFFIXES | _OSM_SUFFIXES


def _is_plain_json(path: Path) -> bool:
    """True for a .json that is not GeoJSON (a quick look at the start)."""
    head = path.read_bytes()[:4096]
    return b'"type"' not in head and b'"features"' not in head


_TABLE_MEMBERS = (".csv", ".txt", ".tsv", ".tab", ".dsv", ".xlsx", ".xls")
_LAYER_MEMBERS = (".shp", ".geojson", ".json", ".gpkg", ".gml", ".kml", ".fgb", ".parquet",
                  ".geoparquet", ".pbf", ".osm")


def _from_zip(path: Path, **options: Any) -> pd.DataFrame:
    """The one listing inside a zip (a table or a layer, in any folder of it)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")
                     and not n.startswith("__MACOSX/") and not Path(n).name.startswith(".")]
            layers = [n for n in names if n.lower().endswith(_LAYER_MEMBERS)]
            tables = [n for n in names if n.lower().endswith(_TABLE_MEMBERS)]
            found = layers or tables
            if len(found) != 1:
                raise InputError(
                    "the zip does not hold exactly one listing", file=path,
                    expected="one table (CSV, XLSX) or one layer (Shapefile, GeoJSON, ...)",
                    got="the files " + (", ".join(names[:12]) or "(none)"),
                    hint="Unpack it and give the listing file itself")
            with tempfile.TemporaryDirectory(prefix="fieldsurvey-zip-") as tmp:
                zf.extractall(tmp, members=names)
                inner = Path(tmp) / found[0]
                try:
                    out = read_listing(inner, **options)
                except FieldsurveyError as exc:
                    where = f"{path}!{found[0]}"
                    raise dataclasses.replace(exc, file=where) from None
    except zipfile.BadZipFile:
        raise InputError("the zip archive cannot be read (damaged or truncated)", file=path,
                         hint="Copy or download it again") from None
    out.attrs["fieldsurvey"]["path"] = f"{path}!{found[0]}"
    return out
