"""Read one vector layer with pyogrio, turning GDAL's complaints into clear errors.

The one reader under community boundaries, footprint layers and point listings: it
chooses the attribute encoding of a shapefile (:mod:`fieldsurvey.io.encoding`), the
layer of a multi-layer file (the only polygon layer, or the one the user names),
salvages polygons that carry a degenerate ring, flattens JSON list/object properties
(DataV's ``center``/``parent``) into text, and refuses attribute text that was decoded
into implausible characters.
"""

from __future__ import annotations

import codecs
import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from fieldsurvey.io.echarts import decode_echarts, is_echarts
from fieldsurvey.io.encoding import (
    DbfEncoding,
    cjk_score,
    dbf_encoding,
    dbf_text_fields,
    detect_encoding,
    normalise_encoding,
    suspicious_text,
)
from fieldsurvey.io.errors import EncodingError, InputError
from fieldsurvey.io.kml import has_laundered_names, restore_extended_data
from fieldsurvey.io.layers import ALL_FOLDERS, choose_layer, read_folders
from fieldsurvey.io.salvage import salvage_missing

__all__ = ["codecs_equal", "read_vector"]

def codecs_equal(a: str, b: str) -> bool:
    """True when two codec names are the same codec (GBK and GB18030 count as one)."""
    return normalise_encoding(a) == normalise_encoding(b)


def _check_given_encoding(path: Path, codec: str, option: str) -> None:
    """Refuse a given encoding that the .dbf's bytes clearly are not in (GBK on Big5)."""
    if path.suffix.lower() != ".shp":
        return
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return
    for raw_name, values in dbf_text_fields(dbf.read_bytes()).items():
        name = raw_name.decode(codec, errors="replace")
        raw = b"\n".join(values)
        if not any(b >= 0x80 for b in raw):
            continue
        try:
            mine = cjk_score(raw.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            return  # the read itself reports invalid bytes
        for other, label in (("gb18030", "GBK"), ("big5hkscs", "Big5"), ("utf-8", "UTF-8")):
            if codecs_equal(other, codec):
                continue
            try:
                text = raw.decode(other)
            except UnicodeDecodeError:
                continue
            theirs = 1.0 if other == "utf-8" else cjk_score(text, other)
            if theirs >= 0.7 and theirs > mine + 0.25:
                first = raw.split(b"\n")[0]
                raise EncodingError(
                    f"the attribute text does not read as {codec.upper()}, as given: it reads "
                    f"as {label}",
                    file=path, field=name,
                    got=f"'{first.decode(codec, errors='replace')}' as given, "
                    f"'{first.decode(other, errors='replace')}' as {label}",
                    hint=f"Give {option} {label} (or leave {option} out to detect it)")


def _check_present(path: Path) -> None:
    """Refuse a missing or empty file, and a shapefile without its .dbf."""
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(
            "the file is empty", file=path, hint="Export the layer again and check the copy"
        )
    if path.suffix.lower() == ".shp" and not any(
            path.with_suffix(s).exists() for s in (".dbf", ".DBF", ".Dbf")):
        raise InputError(
            "the shapefile has no .dbf beside it, so its attributes (ids, names) are missing",
            file=path, expected=f"{path.stem}.dbf in the same folder",
            got=", ".join(sorted(p.name for p in path.parent.glob(path.stem + ".*"))),
            hint="Copy every file of the shapefile (.shp, .shx, .dbf, .prj, .cpg), or send it "
            "zipped")


def _choose_encoding(path: Path, encoding: str | None, option: str,
                     notes: list[str] | None) -> str | None:
    """The codec to decode attributes with (None: GDAL's own), noting what was chosen."""
    suffix = path.suffix.lower()
    chosen = (
        _utf8_only(path, encoding) if suffix in _UTF8_FORMATS
        else DbfEncoding(normalise_encoding(encoding, file=path), "given") if encoding
        else dbf_encoding(path) if suffix == ".shp"
        else _json_encoding(path, option) if suffix in _JSON_SUFFIXES
        else DbfEncoding(None, "none")
    )
    if encoding and chosen.codec:
        _check_given_encoding(path, chosen.codec, option)
    if chosen.note and notes is not None:
        notes.append(chosen.note)
    return chosen.codec


def _check_geometries(gdf: Any, path: Path) -> None:
    """Refuse a layer without features, or whose features all lack a geometry."""
    if len(gdf) == 0:
        raise InputError("the file has no features", file=path,
                         hint="Export the layer again; it came out empty")
    if isinstance(gdf, gpd.GeoDataFrame) and "geometry" in gdf and gdf.geometry.isna().all():
        raise InputError(
            "every feature of the file has an empty or unreadable geometry", file=path,
            field="geometry", got=f"{len(gdf)} feature(s), none with a shape GDAL could read",
            hint="Open the file in a GIS, repair or redraw the shapes and export it again")
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise InputError(
            "the file has no geometries: it is a table, not a map layer",
            file=path,
            expected="polygons (or points/footprints for listings)",
            got=f"a table with the fields {', '.join(map(str, gdf.columns[:12]))}",
            hint="Give the boundary file itself (GeoJSON, GeoPackage, Shapefile or KML)",
        )


def read_vector(
    path: str | Path, *, layer: str | int | None = None, encoding: str | None = None,
    option: str = "--encoding", notes: list[str] | None = None,
    layer_option: str = "--layer",
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio, turning GDAL's complaints into clear errors.

    ``option`` names the command-line option that sets this file's encoding (in
    every hint) and ``layer_option`` the one that names its layer; what the reader
    chose is appended to ``notes``.

    Raises
    ------
    InputError
        Empty, truncated or unreadable files, files without geometries, files with
        several polygon layers and none named.
    EncodingError
        Attribute text not valid in the given or detected encoding, or text that was
        decoded into implausible characters (naming the field).
    """
    path = Path(path)
    _check_present(path)
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return _read_geoparquet(path)
    codec = _choose_encoding(path, encoding, option, notes)
    kwargs: dict[str, Any] = {}
    if codec:
        kwargs["encoding"] = codec
    layer = choose_layer(path, layer, notes, layer_option)
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                gdf = (read_folders(path, {k: v for k, v in kwargs.items() if k != "layer"},
                                     notes)
                       if layer == ALL_FOLDERS else _read_layer(path, kwargs, notes))
            except shapely.errors.GEOSException:
                # a ring GEOS refuses: read the others, then rebuild the refused ones
                gdf = pyogrio.read_dataframe(path, on_invalid="ignore", **kwargs)
            gdf = salvage_missing(gdf, path, kwargs, notes)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            "the attribute text is not valid in the " + ("given" if encoding else "detected")
            + f" encoding {codec or 'of the file'}",
            file=path,
            got=str(exc)[:120],
            hint=f"Give the real encoding with {option} (GBK and Big5 files usually come "
            "without a .cpg)",
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        msg = " ".join(str(exc).split())[:300]
        raise InputError(
            "GDAL cannot read this file as a vector layer (it may be truncated, "
            "not a geographic format, or missing a companion file)",
            file=path,
            expected="a complete GeoJSON, GeoPackage, Shapefile (.shp with .shx and .dbf) or KML",
            got=msg or type(exc).__name__,
            hint="Export the layer again from the GIS and check that every part of it was copied",
        ) from None
    _check_geometries(gdf, path)
    if has_laundered_names(path, [str(c) for c in gdf.columns]):
        folders = (gdf["folder"].tolist() if layer == ALL_FOLDERS
                   else [str(layer)] * len(gdf) if isinstance(layer, str) else None)
        gdf = restore_extended_data(path, gdf, folders)
        if notes is not None:
            notes.append("the KML's attribute names are not ASCII, which GDAL cannot keep; "
                         "they were read from the file's ExtendedData")
    gdf = _flatten_nested(gdf)
    lost = [str(w.message) for w in caught if "converted correctly" in str(w.message)]
    _check_text(gdf, path, option, lost)
    return gdf


#: Formats whose text is UTF-8 by definition (an --encoding is not applied to them).
_UTF8_FORMATS = (".gpkg", ".fgb", ".parquet")
_JSON_SUFFIXES = (".geojson", ".json", ".topojson")


def _utf8_only(path: Path, encoding: str | None) -> DbfEncoding:
    if encoding and normalise_encoding(encoding, file=path) != "utf-8":
        return DbfEncoding(None, "given", f"--encoding {encoding} was not applied: "
                           f"{path.suffix.lstrip('.').upper()} text is always UTF-8")
    return DbfEncoding(None, "none")


def _json_encoding(path: Path, option: str) -> DbfEncoding:
    """GeoJSON is UTF-8 by RFC 7946, but Chinese Windows tools save it in GBK too."""
    with path.open("rb") as fh:
        data = fh.read(4_000_000)  # names come early; a GBK file fails here
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return DbfEncoding(None, "none")  # not JSON text: GDAL says what it is
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        cut = data.rfind(b",") if len(data) == 4_000_000 else len(data)  # at an ASCII byte
        codec = detect_encoding(data[:cut] if cut > 0 else data, file=path, option=option)
        label = {"gb18030": "GBK", "big5hkscs": "Big5"}.get(codec, codec)
        return DbfEncoding(codec, "detected", f"the file is not UTF-8 as GeoJSON should be; "
                           f"its text was read as {label} (detected; give {option} if wrong)")
    return DbfEncoding(None, "none")


def _read_layer(path: Path, kwargs: dict[str, Any], notes: list[str] | None) -> Any:
    """Read a layer with pyogrio; a shapefile without its .shx from a temporary copy.

    GDAL rebuilds the missing index from the .shp in the copy, so the user's folder is
    left as it was.
    """
    if path.suffix.lower() in _JSON_SUFFIXES and is_echarts(path):
        with tempfile.TemporaryDirectory(prefix="fieldsurvey-echarts-") as tmp:
            plain = Path(tmp) / f"{path.stem}.geojson"
            n = decode_echarts(path, plain, kwargs.get("encoding"))
            gdf = pyogrio.read_dataframe(plain, **{k: v for k, v in kwargs.items()
                                                   if k != "encoding"})
        if notes is not None:
            notes.append(f"the coordinates of the {n} features are ECharts-compressed "
                         "(\"UTF8Encoding\"); they were decoded")
        return gdf
    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except UnicodeDecodeError:
        if kwargs.get("encoding") not in ("UTF-8", None) or path.suffix.lower() != ".shp":
            raise
        # dBase cuts field names at 10 bytes, often inside a UTF-8 character: let GDAL
        # recode (it drops the cut bytes) instead of failing on the names
        gdf = pyogrio.read_dataframe(path, **{**kwargs, "encoding": "utf8"})
        if notes is not None:
            notes.append("some field names were cut inside a character by the 10-byte "
                         "dBase limit; the cut bytes were dropped")
        return gdf
    except pyogrio.errors.DataSourceError as exc:
        if path.suffix.lower() != ".shp" or "SHAPE_RESTORE_SHX" not in str(exc):
            raise
    with tempfile.TemporaryDirectory(prefix="fieldsurvey-shx-") as tmp:
        for part in path.parent.glob(path.stem + ".*"):
            if part.suffix.lower() in (".shp", ".dbf", ".prj", ".cpg"):
                shutil.copyfile(part, Path(tmp) / (path.stem + part.suffix.lower()))
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
        try:
            gdf = pyogrio.read_dataframe(Path(tmp) / (path.stem + ".shp"), **kwargs)
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    if notes is not None:
        notes.append("the shapefile has no .shx index; it was rebuilt from the .shp "
                     "(in a temporary copy)")
    return gdf


def _read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """A GeoParquet layer (such as the boundaries a frame keeps beside itself)."""
    try:
        gdf = gpd.read_parquet(path)
    except (ValueError, OSError) as exc:
        raise InputError("the file cannot be read as GeoParquet", file=path,
                         got=" ".join(str(exc).split())[:200],
                         hint="Give a GeoParquet layer (geometry column with 'geo' metadata)"
                         ) from None
    if len(gdf) == 0:
        raise InputError("the file has no features", file=path,
                         hint="Export the layer again; it came out empty")
    return gdf


def _json_text(value: Any) -> Any:
    """A list, array or mapping property as compact JSON text; anything else unchanged."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return value


def _flatten_nested(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """JSON array/object properties (DataV's ``center``, ``parent``) as JSON text.

    GDAL hands them over as numpy arrays or dicts, which neither the text checks nor
    GeoParquet/GeoPackage columns can hold; as text they are kept and readable.
    """
    geom = gdf.geometry.name
    for col in gdf.columns:
        if col == geom or gdf[col].dtype != object:
            continue
        sample = gdf[col].dropna()
        if sample.map(lambda v: isinstance(v, (np.ndarray, list, tuple, dict))).any():
            gdf[col] = gdf[col].map(_json_text)
    return gdf


def _check_text(gdf: gpd.GeoDataFrame, path: Path, option: str, lost: list[str]) -> None:
    """Refuse attribute text that was decoded into implausible characters."""
    for col in gdf.columns:
        if col == gdf.geometry.name or not (gdf[col].dtype == object
                                            or pd.api.types.is_string_dtype(gdf[col])):
            continue
        values = list(dict.fromkeys(v for v in gdf[col].dropna().tolist()
                                    if isinstance(v, str)))[:5000]
        found = suspicious_text(values)
        if found is None:
            continue
        kind, example, probable = found
        raise EncodingError(
            f"the text of this field was decoded wrongly ({kind})",
            file=path, field=str(col), got=repr(example)[:80],
            expected="readable names" + (f"; the bytes read as {probable}" if probable else ""),
            hint=f"Give the file's encoding with {option} {probable or 'GBK, Big5 or UTF-8'}")
    if lost:
        raise EncodingError(
            "some characters could not be converted from the file's encoding and were lost",
            file=path, got=lost[0][:160],
            hint=f"Give the file's real encoding with {option} (for Hong Kong names: "
            f"{option} big5hkscs)")
