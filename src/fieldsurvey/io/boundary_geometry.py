"""Check, repair and merge community polygons.

Every feature must be a Polygon or MultiPolygon (curved ones arrive linearised);
GeometryCollections that hold polygons (some GeoPackage and KML exports) keep their
polygonal parts; invalid polygons (self-intersections, bow-ties, wrong ring order) are
repaired with ``shapely.make_valid``, keeping only their polygonal parts, and listed;
``--dissolve`` merges the features that share an id.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fieldsurvey.io.errors import InputError

__all__ = ["check_geometry", "dissolve", "polygonal_parts", "repair"]

_POLYGONAL_IDS = (3, 6)
_COLLECTION = 7


def polygonal_parts(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """GeometryCollections reduced to their polygons; the number of features changed."""
    types = shapely.get_type_id(geoms)
    rows = np.flatnonzero(types == _COLLECTION)
    if len(rows) == 0:
        return geoms, 0
    out = geoms.copy()
    changed = 0
    for i in rows:
        parts = shapely.get_parts(geoms[i])
        polys = shapely.get_parts(parts[np.isin(shapely.get_type_id(parts), _POLYGONAL_IDS)])
        if len(polys):
            out[i] = shapely.multipolygons(polys) if len(polys) > 1 else polys[0]
            changed += 1
    return out, changed


def check_geometry(geoms: np.ndarray, ids: pd.Series, id_field: str,
                   path: Path | None) -> None:
    """Refuse missing, empty and non-polygon geometries, naming the first feature.

    Raises
    ------
    InputError
        Every feature empty; some features without a polygon; lines or points.
    """
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise InputError("every feature of the boundary file has an empty geometry", file=path,
                         field="geometry", got=f"{len(geoms)} feature(s), none with a polygon",
                         hint="Export the polygon layer again (the export lost the shapes)")
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError(f"{int(missing.sum())} feature(s) have no geometry", file=path, row=row,
                         field=id_field, got=f"community '{ids.iloc[row - 1]}' without a polygon",
                         hint="Draw the missing boundaries or remove those features")
    check_polygonal(geoms, path)


def check_polygonal(geoms: np.ndarray, path: Path | None) -> None:
    """Refuse lines and points (missing geometries are left to :func:`check_geometry`).

    Raises
    ------
    InputError
        Naming the first feature that is not a polygon and the types found.
    """
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad = present & ~np.isin(shapely.get_type_id(geoms), _POLYGONAL_IDS)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        kinds = sorted({g.geom_type for g in geoms[bad]})
        raise InputError(
            "community boundaries must be polygons", file=path, row=row,
            expected="Polygon or MultiPolygon features",
            got=f"{int(bad.sum())} feature(s) of type {', '.join(kinds)}",
            hint="Give the polygon layer (lines must be closed into polygons in a GIS first)",
        )


def repair(geoms: np.ndarray, ids: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """make_valid the invalid polygons, keeping only their polygonal parts."""
    invalid = ~shapely.is_valid(geoms)
    rows = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[rows]) if len(rows) else np.array([], dtype=object)
    fixed = geoms.copy()
    for i in rows:  # only the few invalid polygons
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL_IDS)]
        polys = shapely.get_parts(parts)
        fixed[i] = shapely.multipolygons(polys) if len(polys) > 1 else (
            polys[0] if len(polys) else shapely.from_wkt("POLYGON EMPTY"))
    table = pd.DataFrame({"community_id": ids.to_numpy()[rows], "feature": rows + 1,
                          "reason": reasons})
    return fixed, table


def dissolve(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """One feature per community id: the union of its parts, the first part's attributes."""
    counts = frame["community_id"].value_counts()
    several = counts[counts > 1]
    if several.empty:
        return frame, ""
    geom = frame.geometry.name
    union = frame.groupby("community_id", sort=False)[geom].agg(
        lambda g: shapely.union_all(np.asarray(g.to_numpy(), dtype=object)))
    first = frame.drop_duplicates("community_id", keep="first").copy()
    first[geom] = union.reindex(first["community_id"]).to_numpy()
    note = (f"--dissolve merged {int(several.sum())} features into {len(several)} communities "
            f"(e.g. {several.index[0]}: {int(several.iloc[0])} parts)")
    return gpd.GeoDataFrame(first, geometry=geom, crs=frame.crs), note
