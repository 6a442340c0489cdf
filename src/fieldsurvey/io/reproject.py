"""The CRS of a boundary file, and its conversion to WGS 84.

The file's own CRS is used; ``--crs`` fills in a missing one or replaces one pyproj
cannot identify (it is refused when it contradicts an identified one). GeoJSON and
TopoJSON without a CRS are WGS 84 lon/lat by their specifications (RFC 7946,
TopoJSON 1.0), so they are read so when their numbers fit, and the choice is noted.
After the conversion the bounds must be longitudes and latitudes; GCJ-02/BD-09 offsets
of Chinese web maps are undone on request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from pyproj.exceptions import ProjError

from fieldsurvey.io.coords import web_to_wgs84
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.errors import CRSError
from fieldsurvey.io.schema import WGS84

__all__ = ["reproject", "resolve_crs"]

#: Formats whose coordinates are WGS 84 lon/lat when the file states no CRS.
_LONLAT_BY_SPEC = (".geojson", ".json", ".topojson", ".geojsonl", ".geojsons")


def _fits_lonlat(gdf: gpd.GeoDataFrame) -> bool:
    bounds = gdf.total_bounds
    return bool(np.all(np.isfinite(bounds)) and -180.5 <= bounds[0] <= bounds[2] <= 180.5
                and -90.5 <= bounds[1] <= bounds[3] <= 90.5)


def resolve_crs(gdf: gpd.GeoDataFrame, crs: Any, path: Path | None,
                notes: list[str] | None = None) -> gpd.GeoDataFrame:
    """The file's CRS; ``crs`` fills in a missing one or replaces an unidentified one.

    Raises
    ------
    CRSError
        ``crs`` contradicts the file's identified CRS, or there is no CRS at all.
    """
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
    own = _prj_with_datum_shift(path)
    if own is not None and gdf.crs is not None:
        if notes is not None:
            notes.append(f"the .prj gives its own datum shift to WGS 84 (TOWGS84); it was used "
                         f"(GDAL had reduced the CRS to {crs_label(gdf.crs)} without it)")
        return gdf.set_crs(own, allow_override=True)
    if gdf.crs is None and path is not None and path.suffix.lower() in _LONLAT_BY_SPEC \
            and _fits_lonlat(gdf):
        if notes is not None:
            notes.append("the file states no CRS; as GeoJSON/TopoJSON it was read as WGS 84 "
                         "longitude/latitude (give --crs if it is not)")
        return gdf.set_crs(WGS84)
    prj = _prj_path(path)
    if gdf.crs is None and prj is not None:
        return gdf.set_crs(_read_prj(prj, notes), allow_override=True)
    if gdf.crs is None:
        missing_prj = path is not None and path.suffix.lower() == ".shp"
        raise CRSError(
            "the file does not say which coordinate reference system its coordinates are in"
            + (" (the shapefile has no .prj)" if missing_prj else ""),
            file=path,
            got="coordinates within " + ", ".join(f"{v:.6g}" for v in gdf.total_bounds),
            hint="Give it with --crs (for example --crs EPSG:4490 for CGCS2000 or "
            "--crs EPSG:4326 for GPS lon/lat), or copy the .prj that came with the file",
        )
    return gdf


def _prj_path(path: Path | None) -> Path | None:
    """The .prj beside a shapefile, if there is one."""
    if path is None or path.suffix.lower() != ".shp":
        return None
    return next((p for p in (path.with_suffix(".prj"), path.with_suffix(".PRJ")) if p.exists()),
                None)


def _read_prj(prj: Path, notes: list[str] | None) -> CRS:
    """A .prj GDAL could not read: an EPSG code, a PROJ string or WKT2 written by hand.

    Raises
    ------
    CRSError
        The .prj is empty or pyproj cannot read it either (the text is quoted).
    """
    text = prj.read_bytes()[:20000].decode("utf-8-sig", errors="replace").strip()
    if not text:
        raise CRSError("the shapefile's .prj is empty", file=prj,
                       hint="Give the CRS with --crs (for example --crs EPSG:4490 for CGCS2000 "
                       "or --crs EPSG:4547 for CGCS2000 / 3-degree Gauss-Kruger CM 114E), or "
                       "copy the .prj that came with the data")
    try:
        crs = CRS.from_user_input(text)
    except ProjCRSError:
        raise CRSError(
            "the shapefile's .prj cannot be read as a coordinate reference system",
            file=prj, expected="ESRI or OGC WKT, an EPSG code or a PROJ string",
            got=repr(text[:80]),
            hint="Give the CRS with --crs (for example --crs EPSG:4490 for CGCS2000), or copy "
            "the .prj that came with the data") from None
    if notes is not None:
        notes.append(f"the .prj is not WKT GDAL reads ({text[:40]!r}); pyproj read it as "
                     f"{crs_label(crs)}")
    return crs


def _prj_with_datum_shift(path: Path | None) -> CRS | None:
    """The CRS of a shapefile's .prj when it carries a TOWGS84 datum shift, else None.

    GDAL reports such a .prj by its EPSG code (``EPSG:2435``) when it recognises the
    projection, and the 7 parameters are lost: a Beijing 1954 file then lands tens of
    metres off. Read from the .prj itself they are kept (a bound CRS).
    """
    prj = _prj_path(path)
    if prj is None:
        return None
    text = prj.read_bytes()[:20000].decode("utf-8-sig", errors="replace")
    if "TOWGS84" not in text.upper():
        return None
    try:
        crs = CRS.from_wkt(text.strip())
    except ProjCRSError:
        return None
    return crs if crs.is_bound else None


def reproject(gdf: gpd.GeoDataFrame, coords: str, path: Path | None,
              option: str) -> gpd.GeoDataFrame:
    """To WGS 84 (undoing a GCJ-02/BD-09 offset when asked), checking the result.

    Raises
    ------
    CRSError
        The conversion fails, or its result is not longitudes and latitudes (the
        numbers do not fit the stated CRS).
    """
    src = gdf.crs
    try:
        out = gdf.to_crs(WGS84)
    except (ProjError, ValueError, RuntimeError) as exc:  # an impossible transformation
        raise CRSError(
            "the coordinates cannot be converted to WGS 84",
            file=path,
            got=f"{crs_label(src)}: {str(exc)[:160]}",
            hint=f"Check the CRS, or give the right one with {option}",
        ) from None
    if not _fits_lonlat(out):
        raw = gdf.total_bounds
        if src is not None and src.is_geographic and -90 <= raw[0] <= raw[2] <= 90 \
                and -180 <= raw[1] <= raw[3] <= 180:
            raise CRSError(
                "the coordinates look like latitude, longitude: the two are swapped",
                file=path, expected="x = longitude, y = latitude (GeoJSON and KML write "
                "[longitude, latitude])",
                got=f"x within {raw[0]:.6g} to {raw[2]:.6g}, y within {raw[1]:.6g} to "
                f"{raw[3]:.6g}",
                hint="Export the layer again with longitude first (or swap the two columns "
                "in the tool that wrote it)")
        projected_numbers = src is not None and src.is_geographic and np.nanmax(np.abs(raw)) > 1000
        raise CRSError(
            "the coordinates do not fit the stated coordinate reference system"
            + (
                ": it is geographic (degrees) but the numbers are projected metres"
                if projected_numbers
                else ""
            ),
            file=path,
            expected="longitudes within ±180 and latitudes within ±90 after conversion",
            got=f"bounds {raw[0]:.6g}, {raw[1]:.6g}, {raw[2]:.6g}, {raw[3]:.6g} "
            f"in {crs_label(src)}",
            hint=f"Give the projected CRS the numbers are in with {option} (for example "
            f"{option} EPSG:2326 for the Hong Kong 1980 Grid, EPSG:4547 for CGCS2000 / 3-degree "
            "Gauss-Kruger CM 114E, EPSG:4527 for CGCS2000 / 3-degree Gauss-Kruger zone 39 "
            "when x carries the zone number), or fix the file's .prj",
        )
    if coords != "wgs84":
        geoms = shapely.transform(
            out.geometry.values,
            lambda xy: np.column_stack(web_to_wgs84(xy[:, 0], xy[:, 1], coords)),
        )
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))
    return out
