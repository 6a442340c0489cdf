"""Read community boundaries from any vector format GDAL reads.

A street office sends its 社区 boundaries as a Shapefile in GBK, a GIS unit as a
GeoPackage in CGCS2000 (EPSG:4490), a volunteer as KML drawn in Google Earth. This
module turns each into one GeoDataFrame in WGS 84 with a string ``community_id`` and
every other attribute kept under its own name, and says what it had to repair.

Steps: read with pyogrio (attribute encoding from the ``.cpg``, the ``.dbf`` language
driver, detection, or the user) -> check the id field -> fix the CRS (the file's own,
or ``crs=``; none is an error) -> check geometry types -> repair invalid polygons with
``shapely.make_valid`` keeping only their polygonal parts -> convert to WGS 84
(optionally undoing the GCJ-02/BD-09 offset of Chinese web maps).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from fieldsurvey.io.coords import COORD_SYSTEMS, to_wgs84
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.encoding import detect_encoding, normalise_encoding
from fieldsurvey.io.errors import ColumnError, CRSError, EncodingError, InputError
from fieldsurvey.io.schema import WGS84

__all__ = ["Boundaries", "read_boundaries", "read_vector"]

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Community polygons ready for assignment.

    Attributes
    ----------
    frame
        One row per community: ``community_id`` (str), the other attributes under their
        own names, ``geometry`` (Polygon/MultiPolygon in WGS 84). Its index is the
        0-based feature number in the file.
    repaired
        One row per polygon that was invalid and repaired: ``community_id``,
        ``feature`` (1-based feature number), ``reason`` (shapely's explanation).
    source_crs
        The CRS the coordinates were given in.
    path
        The file read, if any.
    id_field
        The field of the file that held the community id.
    encoding
        The attribute encoding used, when one was chosen or detected.
    """

    frame: gpd.GeoDataFrame
    repaired: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["community_id", "feature", "reason"])
    )
    source_crs: CRS | None = None
    path: Path | None = None
    id_field: str = "community_id"
    encoding: str | None = None
    crs_identified: bool = True
    """False when the source CRS has no EPSG code (a custom or unknown datum)."""

    def __len__(self) -> int:
        return len(self.frame)


def _shapefile_encoding(path: Path) -> str | None:
    """Encoding to force for a shapefile's .dbf, or None to let GDAL decide.

    GDAL honours a ``.cpg`` file and the language-driver byte of the .dbf; only when
    both are absent does it fall back to ISO-8859-1, which garbles GBK. Then we
    detect UTF-8 or GBK from the record bytes.
    """
    if path.suffix.lower() != ".shp":
        return None
    if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32 or data[29] != 0:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:]
    try:
        codec = detect_encoding(records, file=dbf)
    except EncodingError:
        return None
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030"}.get(codec)


def read_vector(
    path: str | Path, *, layer: str | int | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio, turning GDAL's complaints into clear errors.

    Raises
    ------
    InputError
        Empty, truncated or unreadable files and files without geometries.
    EncodingError
        Attribute text not valid in the given or detected encoding.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(
            "the file is empty", file=path, hint="Export the layer again and check the copy"
        )
    codec = normalise_encoding(encoding, file=path) if encoding else _shapefile_encoding(path)
    kwargs: dict[str, Any] = {}
    if codec:
        kwargs["encoding"] = codec
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, **kwargs)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            "the attribute text is not valid in the " + ("given" if encoding else "detected")
            + f" encoding {codec or 'of the file'}",
            file=path,
            got=str(exc)[:120],
            hint="Give the real encoding with --encoding (GBK files usually come without a .cpg)",
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
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf or gdf.geometry.isna().all():
        if len(gdf) == 0:
            raise InputError("the file has no features", file=path,
                             hint="Export the layer again; it came out empty")
        raise InputError(
            "the file has no geometries: it is a table, not a map layer",
            file=path,
            expected="polygons (or points/footprints for listings)",
            got=f"a table with the fields {', '.join(map(str, gdf.columns[:12]))}",
            hint="Give the boundary file itself (GeoJSON, GeoPackage, Shapefile or KML)",
        )
    if len(gdf) == 0:
        raise InputError("the file has no features", file=path,
                         hint="Export the layer again; it came out empty")
    return gdf


def _resolve_crs(gdf: gpd.GeoDataFrame, crs: Any, path: Path | None) -> gpd.GeoDataFrame:
    """The file's CRS; ``crs`` fills in a missing one or replaces an unidentified one."""
    if crs is not None:
        given = parse_crs(crs, file=str(path) if path else None)
        stated = gdf.crs
        if stated is not None and stated.to_epsg(min_confidence=70) is not None \
                and not stated.equals(given, ignore_axis_order=True):
            raise CRSError(
                "the file states a different coordinate reference system than --crs",
                file=path,
                expected=crs_label(given),
                got=f"{crs_label(stated)} in the file",
                hint="Leave out --crs (the file's own CRS is used; --listing-crs is for the "
                "listing's x/y), or fix the file's .prj",
            )
        return gdf.set_crs(given, allow_override=True)
    if gdf.crs is None:
        missing_prj = path is not None and path.suffix.lower() == ".shp"
        raise CRSError(
            "the file does not say which coordinate reference system its coordinates are in"
            + (" (the shapefile has no .prj)" if missing_prj else ""),
            file=path,
            hint="Give it with --crs (for example --crs EPSG:4490 for CGCS2000 or "
            "--crs EPSG:4326 for GPS lon/lat), or copy the .prj that came with the file",
        )
    return gdf


def _to_wgs84(gdf: gpd.GeoDataFrame, coords: str, path: Path | None) -> gpd.GeoDataFrame:
    src = gdf.crs
    try:
        out = gdf.to_crs(WGS84)
    except (ProjError, ValueError, RuntimeError) as exc:  # an impossible transformation
        raise CRSError(
            "the coordinates cannot be converted to WGS 84",
            file=path,
            got=f"{crs_label(src)}: {str(exc)[:160]}",
            hint="Check the CRS, or give the right one with --crs",
        ) from None
    minx, miny, maxx, maxy = out.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])) or minx < -180.5 or maxx > 180.5 \
            or miny < -90.5 or maxy > 90.5:
        raise CRSError(
            "the coordinates do not fit the stated coordinate reference system",
            file=path,
            expected="longitudes within ±180 and latitudes within ±90 after conversion",
            got=f"bounds {minx:.6g}, {miny:.6g}, {maxx:.6g}, {maxy:.6g} from {crs_label(src)}",
            hint="The file's CRS is probably wrong; give the right one with --crs",
        )
    if coords != "wgs84":
        geoms = shapely.transform(
            out.geometry.values, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], coords))
        )
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))
    return out


def _id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings, with floats that are whole numbers written without '.0'."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.round(whole)).all():
            values = values.astype("Int64")
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _check_ids(
    gdf: gpd.GeoDataFrame, id_field: str, path: Path | None
) -> tuple[pd.Series, str]:
    if id_field not in gdf.columns:
        folded = {str(c).casefold(): c for c in gdf.columns if c != "geometry"}
        short = id_field.casefold()[:10]  # dBase field names stop at 10 characters
        if id_field.casefold() in folded:
            id_field = folded[id_field.casefold()]
        elif path is not None and path.suffix.lower() == ".shp" and short in folded:
            id_field = folded[short]
        else:
            fields = ", ".join(str(c) for c in gdf.columns if c != "geometry")
            raise ColumnError(
                "the community id field does not exist in the boundary file",
                file=path,
                field=id_field,
                expected=f"a field named '{id_field}'",
                got=f"the fields {fields}",
                hint="Name the id field with --id-field (one of the fields above)",
            )
    ids = _id_strings(gdf[id_field])
    if ids.isna().any():
        rows = (np.flatnonzero(ids.isna().to_numpy()) + 1).tolist()
        raise InputError(
            f"{len(rows)} feature(s) have no community id",
            file=path, row=rows[0], field=id_field,
            got=f"empty ids in features {', '.join(map(str, rows[:10]))}",
            hint="Fill in the id of every community, or choose another field with --id-field",
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        groups = pd.Series(np.flatnonzero(dup.to_numpy()) + 1).groupby(ids[dup].to_numpy())
        listed = "; ".join(f"'{k}' in features {', '.join(map(str, v.tolist()[:5]))}"
                           for k, v in list(groups)[:5])
        raise InputError(
            f"{groups.ngroups} community id(s) occur more than once in the boundaries",
            file=path, field=id_field, got=listed,
            hint="Each community must be one feature with its own id: merge the parts "
            "(dissolve) or correct the ids",
        )
    return ids.rename("community_id"), id_field


def _repair(geoms: np.ndarray, ids: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """make_valid the invalid polygons, keeping only their polygonal parts."""
    invalid = ~shapely.is_valid(geoms)
    rows = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[rows]) if len(rows) else np.array([], dtype=object)
    fixed = geoms.copy()
    for i in rows:  # only the few invalid polygons
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        polys = shapely.get_parts(parts)
        fixed[i] = shapely.multipolygons(polys) if len(polys) > 1 else (
            polys[0] if len(polys) else shapely.from_wkt("POLYGON EMPTY"))
    table = pd.DataFrame({"community_id": ids.to_numpy()[rows], "feature": rows + 1,
                          "reason": reasons})
    return fixed, table


def read_boundaries(
    path: str | Path,
    *,
    id_field: str = "community_id",
    encoding: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    coords: str = "wgs84",
) -> Boundaries:
    """Read community polygons from any vector file GDAL reads.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (``.shp`` with ``.shx``/``.dbf``), KML, ...
    id_field
        Field holding the community id (compared case-insensitively when not exact).
    encoding
        Attribute encoding (e.g. ``"GBK"``); by default the ``.cpg``/``.dbf`` says,
        or UTF-8/GBK is detected.
    crs
        CRS of the coordinates (``"EPSG:4490"``, WKT, ...); overrides the file's and is
        required when the file states none.
    layer
        Layer name or index for multi-layer files (default: the first).
    coords
        ``"gcj02"`` or ``"bd09"`` when the lon/lat were taken from Chinese web maps.

    Returns
    -------
    Boundaries
        The polygons in WGS 84 plus what was repaired.

    Raises
    ------
    InputError, EncodingError, CRSError, ColumnError
        For empty, truncated or non-geographic files, bad text, a missing or unknown
        CRS, a missing id field, empty or duplicate ids, non-polygon geometries.
    """
    path = Path(path)
    if coords not in COORD_SYSTEMS:
        raise InputError("unknown coordinate system for --coords", field="coords",
                         expected=" or ".join(COORD_SYSTEMS), got=repr(coords))
    gdf = read_vector(path, layer=layer, encoding=encoding)
    ids, id_field = _check_ids(gdf, id_field, path)
    gdf = _resolve_crs(gdf, crs, path)
    source_crs = gdf.crs
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError(f"{int(missing.sum())} feature(s) have no geometry", file=path, row=row,
                         field=id_field, got=f"community '{ids.iloc[row - 1]}' without a polygon",
                         hint="Draw the missing boundaries or remove those features")
    types = gdf.geometry.geom_type.to_numpy()
    bad = ~np.isin(types, _POLYGONAL)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            "community boundaries must be polygons", file=path, row=row,
            expected="Polygon or MultiPolygon features",
            got=f"{int(bad.sum())} feature(s) of type {', '.join(sorted(set(types[bad])))}",
            hint="Give the polygon layer (lines must be closed into polygons in a GIS first)",
        )
    geoms = shapely.force_2d(geoms)
    geoms, repaired = _repair(geoms, ids)
    attrs = gdf.drop(columns=[gdf.geometry.name, id_field])
    if "community_id" in attrs.columns:
        attrs = attrs.rename(columns={"community_id": "community_id_original"})
    frame = gpd.GeoDataFrame(
        {"community_id": ids.astype(str).to_numpy(), **{c: attrs[c].to_numpy() for c in attrs}},
        geometry=gpd.GeoSeries(geoms, crs=source_crs), crs=source_crs,
    )
    frame = _to_wgs84(frame, coords, path)
    identified = source_crs is None or source_crs.to_epsg(min_confidence=70) is not None
    return Boundaries(frame=frame, repaired=repaired, source_crs=source_crs, path=path,
                      id_field=id_field, encoding=encoding, crs_identified=identified)
