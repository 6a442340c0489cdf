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

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from pyproj import CRS

from fieldsurvey.io.boundaries import read_vector
from fieldsurvey.io.columns import load_mapping
from fieldsurvey.io.coords import COORD_SYSTEMS
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.encoding import decode_text, detect_encoding
from fieldsurvey.io.errors import CRSError, InputError
from fieldsurvey.io.normalise import LISTING_COLUMNS, STATUS_VALUES, normalise_table

__all__ = ["LISTING_COLUMNS", "STATUS_VALUES", "read_listing"]

_VECTOR_SUFFIXES = {".geojson", ".gpkg", ".shp", ".kml", ".kmz", ".fgb", ".gml", ".json", ".zip"}
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
    try:
        header = _unique_names(next(csv.reader([first], delimiter=delimiter)))
    except csv.Error as exc:  # e.g. a whole file on one "line" after a wrong --encoding
        raise InputError("the header row of the listing cannot be read", file=path,
                         got=str(exc)[:160],
                         hint="Check the file's encoding (leave the encoding option out to detect it) "
                         "and that the first row holds the column names") from None
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


def _vector_table(path: Path, encoding: str | None, crs: Any, layer: Any) -> tuple[pd.DataFrame, Any, CRS, str]:
    gdf = read_vector(path, layer=layer, encoding=encoding)
    given = parse_crs(crs, file=str(path)) if crs is not None else None
    src = gdf.crs or given  # the layer's own CRS wins; ``crs`` fills in a missing one
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
        CRS of ``x``/``y`` columns, of ``lon``/``lat`` when geographic (e.g. EPSG:4490;
        a projected one is ignored for lon/lat), or of a vector layer that states none.
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
    out, found = normalise_table(df, mapping, geometry=geometry, src_crs=src_crs, kind=kind,
                                 coords=coords, path=path, dwellings_per_floor=dwellings_per_floor,
                                 storey_height=storey_height)
    out.attrs["fieldsurvey"] = {
        "path": str(path), "encoding": codec, "kind": kind,
        "columns": dict(found), "source_crs": crs_label(src_crs) if src_crs else None,
    }
    return out


def _is_plain_json(path: Path) -> bool:
    """True for a .json that is not GeoJSON (a quick look at the start)."""
    head = path.read_bytes()[:4096]
    return b'"type"' not in head and b'"features"' not in head
