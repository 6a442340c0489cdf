"""Expand building footprints into dwellings.

Before a listing walk a team often has only building outlines: sometimes with a
dwelling count per building (from the property office), often only with the number
of storeys or the height (3D building models). For planning, each building becomes
``n`` dwellings:

* ``n = dwellings`` when the count is given (``estimated = False``);
* otherwise ``n = storeys x dwellings_per_floor``, with
  ``storeys = max(1, round(height / storey_height))`` when only the height is known
  (``estimated = True``); ``dwellings_per_floor`` comes from the user, who knows the
  local building type;
* a footprint with neither a count, storeys nor a height ("unsized": in OpenStreetMap
  most buildings) gets ``n = max(1, round(area / dwelling_area))`` (one storey of floor
  area, ``estimated = True``) when the user states ``dwelling_area``, is left out when
  the user chooses ``skip_unsized``, and is otherwise refused: never dropped silently.
  How many were estimated or left out is recorded in ``attrs["footprints"]`` for the
  self-check.

A footprint's address comes from the listing's address, else from OpenStreetMap's
``addr:street`` + ``addr:housenumber`` (or ``addr:full``), else from its ``name``; each
dwelling's address is that text followed by its door number.

Dwellings of a building are numbered floor by floor: with ``s`` storeys, ``ceil(n/s)``
doors per floor, door ``<floor><position:02d>`` ("301" is floor 3, position 1). All
share the footprint's representative point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from fieldsurvey.io.columns import fold, match_columns
from fieldsurvey.io.errors import ColumnError, CRSError, InputError

__all__ = ["area_m2", "expand_footprints", "layer_points", "osm_address", "osm_tags",
           "wkt_geometry"]

_OSM_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
#: OpenStreetMap tags made into columns (the rest stay in ``other_tags``).
_OSM_KEYS = ("building", "building:levels", "building:flats", "height", "addr:street",
             "addr:housenumber", "addr:full", "addr:postcode", "name", "amenity", "shop")


def osm_tags(gdf: pd.DataFrame) -> pd.DataFrame:
    """Expand the GDAL OSM driver's ``other_tags`` (an hstore string) into columns."""
    tags = gdf["other_tags"].astype("string")
    parsed = [dict(_OSM_TAG.findall(t)) if isinstance(t, str) else {} for t in tags.fillna("")]
    out = gdf.copy()
    for key in _OSM_KEYS:
        values = [p.get(key) for p in parsed]
        if any(v is not None for v in values):
            if key in out.columns:
                out[key] = out[key].where(out[key].notna(), pd.Series(values, index=out.index))
            else:
                out[key] = values
    for key in ("height", "building:levels", "building:flats"):
        if key in out.columns:  # OSM writes "12.13 m", "3;4": the first number counts
            text = out[key].astype("string")
            out[key] = pd.to_numeric(text.str.extract(r"^\s*(\d+(?:\.\d+)?)")[0],
                                     errors="coerce")
    return out


def osm_address(attrs: pd.DataFrame, *, use_name: bool = True) -> pd.Series | None:
    """The address of each row from split address fields, or None when there are none.

    ``addr:full``; else OpenStreetMap's ``addr:street`` + ``addr:housenumber`` (or an
    OpenAddresses-style ``STREET`` + ``NUMBER``) with the unit (``addr:unit``, ``UNIT``);
    else the house name; else (``use_name``, for buildings) the name. Several addresses on
    one point (10B and 10C of one building) stay apart this way.
    """
    by_fold = {str(c).strip().casefold(): c for c in attrs.columns}

    def text(*names: str) -> pd.Series | None:
        col = next((by_fold[n] for n in names if n in by_fold), None)
        if col is None:
            return None
        value = attrs[col].astype("string").str.strip()
        return value.mask(value == "")

    parts = []
    full = text("addr:full")
    if full is not None:
        parts.append(full)
    street, number = text("addr:street", "street"), text("addr:housenumber", "number")
    if street is not None and number is not None:
        line = street + " " + number
        unit = text("addr:unit", "unit")
        if unit is not None:
            line = (line + " " + unit).fillna(line)
        parts.append(line)
    house = text("addr:housename")
    if house is not None:
        parts.append(house if street is None else (house + ", " + street).fillna(house))
    if use_name and "name" in attrs:
        parts.append(attrs["name"].astype("string"))
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out = out.fillna(part)
    return out if out.notna().any() else None


def area_m2(geoms: Any, src: CRS) -> Any:
    """Floor area of each footprint in m^2 (in its UTM zone when the layer is geographic)."""
    from fieldsurvey.io.crs import utm_crs

    if src.is_projected:
        return shapely.area(geoms)
    c = shapely.centroid(shapely.union_all(shapely.envelope(geoms)))
    utm = utm_crs(float(shapely.get_x(c)), float(shapely.get_y(c)))
    from pyproj import Transformer

    t = Transformer.from_crs(src, utm, always_xy=True)
    moved = shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(moved)



#: Columns the reader makes for every listing (not the layer's own fields).
_MADE = frozenset({"source_row", "dwelling_id", "community_id", "compound", "building", "unit",
                   "floor", "door", "address", "status", "households", "estimated", "lon",
                   "lat", "footprint_dwelling", "footprint_area"})


def _storeys(table: pd.DataFrame, storey_height: float) -> np.ndarray:
    """Storeys of each footprint, from its storeys or else its height; NaN when unknown.

    A storey count or height of 0 or less is how footprint datasets write "unknown"
    (Microsoft's building footprints: ``height = -1``), not a building of one storey.
    """
    storeys = (
        table["storeys"].to_numpy(dtype=float)
        if "storeys" in table
        else np.full(len(table), np.nan)
    )
    storeys = np.where(storeys > 0, storeys, np.nan)
    if "height" in table:
        height = table["height"].to_numpy(dtype=float)
        from_height = np.where(height > 0, np.maximum(1.0, np.round(height / storey_height)),
                               np.nan)
        storeys = np.where(np.isnan(storeys), from_height, storeys)
    return storeys


def expand_footprints(
    table: pd.DataFrame,
    *,
    dwellings_per_floor: float | None,
    storey_height: float = 3.0,
    dwelling_area: float | None = None,
    skip_unsized: bool = False,
    file: str | Path | None = None,
) -> pd.DataFrame:
    """Turn one row per footprint into one row per (counted or estimated) dwelling.

    Parameters
    ----------
    table
        Normalised footprint rows with ``source_row``, ``building`` and any of the numeric
        columns ``dwellings``, ``storeys``, ``height``.
    dwellings_per_floor
        Dwellings on each floor, needed when a footprint has no dwelling count.
    storey_height
        Metres per storey for footprints with only a height.
    dwelling_area, skip_unsized
        What to do with footprints that have no count, storeys or height (see above);
        their floor area is the column ``footprint_area`` (m^2).

    Returns
    -------
    DataFrame
        The rows repeated, with ``floor``, ``door``, ``estimated`` and
        ``footprint_dwelling`` (1-based number within the building) filled in.

    Raises
    ------
    ColumnError
        When footprints have neither a dwelling count nor storeys nor a height.
    InputError
        When counts must be estimated but ``dwellings_per_floor`` was not given.
    """
    have = [c for c in ("dwellings", "storeys", "height") if c in table]
    if not have and dwelling_area is None and not skip_unsized:
        raise ColumnError(
            "the listing is a layer of building footprints, but it has no dwelling count, "
            "storeys or height to turn buildings into dwellings",
            file=file, expected="a field dwellings (套数), storeys (层数) or height (高度)",
            got="the fields " + (", ".join(c for c in table.columns if c not in _MADE)
                                 or "(none besides the geometry)"),
            hint="Name the field with --columns dwellings=FIELD (or storeys=/height=), or "
            "estimate from the floor area with --dwelling-area M2",
        )
    if storey_height <= 0:
        raise InputError("the storey height must be positive", field="storey_height",
                         got=str(storey_height))
    counted = (
        table["dwellings"].to_numpy(dtype=float)
        if "dwellings" in table
        else np.full(len(table), np.nan)
    )
    storeys = _storeys(table, storey_height)
    need = np.isnan(counted) & ~np.isnan(storeys)
    if need.any() and not dwellings_per_floor:
        raise InputError(
            f"{int(need.sum())} building footprint(s) have only storeys or a height, so their "
            "dwellings must be estimated, but no number of dwellings per floor was given",
            file=file, field="dwellings_per_floor",
            hint="Give the typical number of dwellings per floor, e.g. --dwellings-per-floor 4",
        )
    if dwellings_per_floor is not None and dwellings_per_floor <= 0:
        raise InputError("the number of dwellings per floor must be positive",
                         field="dwellings_per_floor", got=str(dwellings_per_floor))
    estimate = np.where(need, storeys * (dwellings_per_floor or 0), 0.0)
    unsized = np.isnan(counted) & np.isnan(storeys)
    by_area = np.zeros(len(table), dtype=bool)
    if unsized.any():
        if dwelling_area is not None:
            area = table["footprint_area"].to_numpy(dtype=float) if "footprint_area" in table \
                else np.full(len(table), np.nan)
            by_area = unsized & np.isfinite(area)
            estimate = np.where(by_area, np.maximum(1.0, np.round(area / dwelling_area)), estimate)
            need = need | by_area
        if not skip_unsized and (unsized & ~by_area).any():
            bad = unsized & ~by_area
            row = int(table["source_row"].to_numpy()[np.flatnonzero(bad)[0]])
            raise InputError(
                f"{int(bad.sum())} of {len(table)} building footprint(s) have neither a dwelling "
                "count, storeys nor a height"
                + (" nor a readable outline to measure" if dwelling_area is not None else "")
                + ", so their dwellings cannot be counted",
                file=file, row=row, field="storeys",
                hint=("Repair their outlines in a GIS (unclosed or two-point rings), "
                      if dwelling_area is not None else
                      "Estimate them from their floor area with --dwelling-area M2 (e.g. 90), ")
                + "leave them out with --skip-unsized (they are counted in the self-check), "
                "or keep only the buildings you want with --keep",
            )
    n = np.where(np.isnan(counted), estimate, counted)
    n = np.nan_to_num(np.round(n), nan=0.0).astype(np.int64)
    skipped = unsized & ~by_area
    n[skipped] = 0
    if (n < 0).any():
        row = int(table["source_row"].to_numpy()[np.flatnonzero(n < 0)[0]])
        raise InputError("a building has a negative dwelling count", file=file, row=row,
                         field="dwellings", hint="Correct the count")
    take = np.repeat(np.arange(len(table)), n)
    drop = [*have, *(c for c in ("footprint_area",) if c in table)]
    out = table.drop(columns=drop).iloc[take].reset_index(drop=True)
    starts = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(int(n.sum()), dtype=np.int64) - starts
    s = np.nan_to_num(storeys[take], nan=0.0)
    per_floor = np.where(s > 0, np.ceil(n[take] / np.maximum(s, 1)), 0).astype(np.int64)
    has_floor = per_floor > 0
    floor = np.where(has_floor, k // np.maximum(per_floor, 1) + 1, 0)
    pos = np.where(has_floor, k % np.maximum(per_floor, 1) + 1, k + 1)
    floor_s = pd.Series(floor.astype(str), dtype="string").where(has_floor)
    pos_s = pd.Series(pos.astype(str), dtype="string").str.zfill(2)
    out["floor"] = floor_s
    out["door"] = (floor_s + pos_s).fillna(pd.Series((k + 1).astype(str), dtype="string"))
    out["estimated"] = need[take]
    out["footprint_dwelling"] = pd.array(k + 1, dtype="Int64")
    if "address" in out and out["address"].notna().any():
        out["address"] = (out["address"].astype("string") + " " + out["door"]).astype("string")
    out.attrs["footprints"] = {
        "buildings": len(table), "unsized": int(unsized.sum()),
        "estimated_by_area": int(by_area.sum()), "left_out_unsized": int(skipped.sum()),
        "unsized_rows": table["source_row"].to_numpy()[skipped][:20].tolist(),
    }
    return out


def layer_points(geoms: Any, src: CRS, path: Path) -> tuple[Any, str, Any]:
    """Dwelling points of a layer: its points, or each footprint's point on surface.

    Closed lines are read as the outlines they are (Overpass exports write building ways
    as closed LineStrings). Returns the points, the kind (``points`` or ``footprints``)
    and the footprints' floor areas in m^2 (None for points).
    """
    geoms = shapely.force_2d(geoms)
    kinds = shapely.get_type_id(geoms)
    ring = np.isin(kinds, (1, 2, 5)) & shapely.is_closed(geoms)
    if ring.any():
        geoms = geoms.copy()
        geoms[ring] = shapely.build_area(geoms[ring])
        kinds = shapely.get_type_id(geoms)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = set(kinds[present].tolist())
    if types & {3, 6} and types - {3, 6} <= {1, 5}:
        # a few unclosed ways among building outlines: outlines that cannot be read, as
        # a broken ring is (no point, no area: counted by the self-check, never guessed)
        geoms = np.where(present & np.isin(kinds, (1, 5)), None, geoms)
        types &= {3, 6}
    if types <= {0}:
        return geoms, "points", None
    if types <= {3, 6}:
        valid = shapely.make_valid(geoms)
        return shapely.point_on_surface(valid), "footprints", area_m2(valid, src)
    names = {0: "points", 1: "open lines", 2: "open lines", 3: "polygons", 4: "points",
             5: "open lines", 6: "polygons", 7: "collections"}
    counts = pd.Series([names.get(int(k), "other") for k in kinds[present]]).value_counts()
    raise InputError(
        "a listing layer must hold points (dwellings) or polygons (buildings), not both "
        "or lines", file=path,
        got=", ".join(f"{n} {what}" for what, n in counts.items()),
        hint="Split the layer by geometry type in the GIS (QGIS: Vector > Data Management "
        "Tools > Split Vector Layer, on the geometry type) and give the points or the "
        "buildings")


#: Headers of a column of WKT geometries (QGIS "WKT" export, PostGIS, OpenAddresses).
_WKT_HEADERS = {"wkt", "geometry", "geom", "the_geom", "shape", "wkt_geom", "geometry_wkt",
                "geom_wkt", "oa:geom", "几何", "幾何"}


def wkt_geometry(df: pd.DataFrame, mapping: Mapping[str, str] | None, given: CRS | None,
                  path: Path) -> tuple[pd.DataFrame, Any, CRS, str] | None:
    """A table whose places are in a WKT column (and in no lon/lat or x/y columns).

    Returns the table without that column, the points (footprints' points on surface,
    their floor area in ``footprint_area``), the CRS (the given one, else an EWKT
    ``SRID=``, else WGS 84 when every point is within lon/lat range) and the kind.
    """
    found = match_columns(df.columns, mapping, file=path)
    col = next((c for c in df.columns if fold(c) in _WKT_HEADERS), None)
    if col is None or {"lon", "lat", "x", "y"} & set(found):
        return None
    text = df[col].astype("string").str.strip()
    srid = text.str.extract(r"^SRID=(\d+);", expand=False).dropna().unique()
    body = text.str.replace(r"^SRID=\d+;", "", regex=True)
    geoms = shapely.from_wkt(body.fillna("").to_numpy(dtype=object), on_invalid="ignore")
    unread = body.notna().to_numpy() & shapely.is_missing(geoms)
    if unread.all():
        return None  # a column of that name, but not WKT
    rows = np.asarray(df.attrs.get("source_rows", np.arange(1, len(df) + 1)))
    if unread.any():
        i = int(np.flatnonzero(unread)[0])
        raise InputError(f"{int(unread.sum())} value(s) of the geometry column are not WKT",
                         file=path, row=int(rows[i]), field=col,
                         expected="WKT such as POINT (121.50 25.03)", got=repr(text.iloc[i])[:80],
                         hint="Correct or empty those cells")
    src = given or (CRS.from_epsg(int(srid[0])) if len(srid) == 1 else None)
    if src is None:
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        if not (-180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90):
            raise CRSError("the geometry column holds projected coordinates, but the listing "
                           "does not say in which coordinate system", file=path, field=col,
                           got=f"x {x0:.6g} to {x1:.6g}, y {y0:.6g} to {y1:.6g}",
                           hint="Give it with --listing-crs (for example EPSG:4547)")
        src = CRS.from_epsg(4326)
    points, kind, area = layer_points(geoms, src, path)
    out = df.drop(columns=[col])
    if area is not None:
        out["footprint_area"] = area
    return out, points, src, kind
