"""Spatial assignment of dwellings to communities, one chunk at a time.

:func:`prepare` builds, once, what every chunk needs from the boundaries: the polygons
(prepared for fast predicates), an STRtree over them, the ids, and the transformer
to the projected CRS. :func:`assign_chunk` is then a pure function of a chunk of
the listing and that object, so the same code runs on a pandas frame today and on
dask-geopandas partitions later (``ddf.map_partitions(assign_chunk, prepared)``).

A point belongs to a polygon when it intersects it (boundary points count, so a point
on a shared edge is reported as being in two boundaries rather than lost). When a
point lies in several polygons, the one the listing named wins, otherwise the first
in file order. The community of a dwelling is the spatial one when there is one,
else the one the listing named.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer

from fieldsurvey.io.boundaries import Boundaries
from fieldsurvey.io.crs import utm_crs
from fieldsurvey.io.schema import WGS84

__all__ = ["ASSIGN_COLUMNS", "PreparedBoundaries", "assign_chunk", "prepare"]

#: Columns :func:`assign_chunk` returns.
ASSIGN_COLUMNS: tuple[str, ...] = (
    "community_id", "listed_community_id", "community_index", "also_in", "n_boundaries",
    "x", "y", "missing_coordinates", "outside_boundaries", "in_several_boundaries",
    "community_mismatch", "unknown_community",
)


@dataclass(frozen=True, eq=False)
class PreparedBoundaries:
    """What each chunk needs from the boundaries (cheap to pickle to dask workers)."""

    ids: np.ndarray
    """Community ids (str), in file order."""
    geoms: np.ndarray
    """Polygons in WGS 84, prepared."""
    projected_crs: CRS
    """Metric CRS of the ``x``/``y`` columns."""
    projected_bounds: tuple[float, float, float, float]
    """Bounds of all polygons in the projected CRS (the frame of the Hilbert curve)."""
    bounds: tuple[float, float, float, float]
    """Bounds of all polygons in WGS 84."""
    polygon_bounds: np.ndarray
    """(n, 4) bounds of each polygon in WGS 84."""

    @property
    def transformer(self) -> Transformer:
        """WGS 84 lon/lat -> projected x/y."""
        return Transformer.from_crs(WGS84, self.projected_crs, always_xy=True)


def prepare(
    boundaries: Boundaries | gpd.GeoDataFrame, projected_crs: CRS | None = None
) -> PreparedBoundaries:
    """Index the community polygons for assignment.

    Parameters
    ----------
    boundaries
        From :func:`fieldsurvey.io.read_boundaries` (or a GeoDataFrame in WGS 84 with a
        ``community_id`` column).
    projected_crs
        Metric CRS for ``x``/``y``; by default the UTM zone of the polygons' centre.
    """
    gdf = boundaries.frame if isinstance(boundaries, Boundaries) else boundaries
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    shapely.prepare(geoms)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    crs = projected_crs or utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    t = Transformer.from_crs(WGS84, crs, always_xy=True)
    px, py = t.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    bounds = (float(min(px)), float(min(py)), float(max(px)), float(max(py)))
    return PreparedBoundaries(
        ids=gdf["community_id"].astype(str).to_numpy(dtype=object),
        geoms=geoms,
        projected_crs=crs,
        projected_bounds=bounds,
        bounds=(float(minx), float(miny), float(maxx), float(maxy)),
        polygon_bounds=shapely.bounds(geoms),
    )


def _first_per_point(
    ip: np.ndarray, ib: np.ndarray, preferred: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each point index in ``ip``, the chosen polygon (preferred first, then file order)."""
    order = np.lexsort((ib, ~preferred, ip))
    ip_s, ib_s = ip[order], ib[order]
    first = np.r_[True, ip_s[1:] != ip_s[:-1]]
    return ip_s[first], ib_s[first]


def _point_in_polygons(
    prepared: PreparedBoundaries, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (point, polygon) pairs where the point intersects the polygon.

    The points are binned on a regular grid over the polygons' extent and sorted by
    cell; each polygon then tests only the points of the cells its envelope covers,
    with ``shapely.intersects_xy`` on the prepared polygon. No point geometries are
    built, which is what makes this several times faster than an STRtree join.
    """
    minx, miny, maxx, maxy = prepared.bounds
    inside = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
    if len(inside) == 0 or len(prepared.geoms) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    g = int(np.clip(np.sqrt(len(inside) / 16.0), 1, 1024))
    sx = g / max(maxx - minx, 1e-12)
    sy = g / max(maxy - miny, 1e-12)

    def cells(v: np.ndarray, lo: float, scale: float) -> np.ndarray:
        return np.minimum(((v - lo) * scale).astype(np.int64), g - 1)

    xi, yi = x[inside], y[inside]
    cell = cells(yi, miny, sy) * g + cells(xi, minx, sx)
    order = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[order], np.arange(g * g + 1))
    pb = prepared.polygon_bounds
    c0, c1 = cells(pb[:, 0], minx, sx), cells(pb[:, 2], minx, sx)
    r0, r1 = cells(pb[:, 1], miny, sy), cells(pb[:, 3], miny, sy)
    hits_p: list[np.ndarray] = []
    hits_b: list[np.ndarray] = []
    for j, geom in enumerate(prepared.geoms):
        rows = np.arange(r0[j], r1[j] + 1) * g
        lo, hi = starts[rows + c0[j]], starts[rows + c1[j] + 1]
        if (hi - lo).sum() == 0:
            continue
        cand = order[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=False)])]
        found = cand[shapely.intersects_xy(geom, xi[cand], yi[cand])]
        if len(found):
            hits_p.append(inside[found])
            hits_b.append(np.full(len(found), j, dtype=np.int64))
    if not hits_p:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(hits_p), np.concatenate(hits_b)


def _take_ids(ids: np.ndarray, codes: np.ndarray) -> pa.Array:
    """``ids[codes]`` as an Arrow string array, null where ``codes`` is -1."""
    table = pa.array([*ids.tolist(), None], type=pa.large_string())
    return table.take(pa.array(np.where(codes < 0, len(ids), codes)))


def assign_chunk(chunk: pd.DataFrame, prepared: PreparedBoundaries) -> pd.DataFrame:
    """Assign each dwelling of a chunk to a community and flag row-wise problems.

    Parameters
    ----------
    chunk
        Listing rows with ``lon``, ``lat`` (WGS 84, NaN when missing) and
        ``community_id`` (the listed community, may be missing).
    prepared
        From :func:`prepare`.

    Returns
    -------
    DataFrame
        Same index as ``chunk``, columns :data:`ASSIGN_COLUMNS`: the final and the listed
        community, the position of the community in the boundaries (-1 when none), a
        second community containing the point (``also_in``), the number of polygons
        containing it, projected ``x``/``y``, and boolean flags for the self-check.
    """
    n = len(chunk)
    lon = chunk["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = chunk["lat"].to_numpy(dtype=float, na_value=np.nan)
    listed = chunk["community_id"].reset_index(drop=True)
    if not pd.api.types.is_string_dtype(listed) or listed.dtype == object:
        listed = listed.astype("str")
    found = pc.index_in(pa.array(listed, type=pa.large_string()),
                        value_set=pa.array(prepared.ids, type=pa.large_string()))
    listed_code = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    has_listed = listed.notna().to_numpy()
    has = np.isfinite(lon) & np.isfinite(lat)
    where = np.flatnonzero(has)
    ip, ib = _point_in_polygons(prepared, lon[where], lat[where])
    counts = np.zeros(n, dtype=np.int64)
    counts[where] = np.bincount(ip, minlength=len(where))
    spatial = np.full(n, -1, dtype=np.int64)
    also = np.full(n, -1, dtype=np.int64)
    multi = counts[where[ip]] > 1  # pairs of points that lie in several polygons
    spatial[where[ip[~multi]]] = ib[~multi]
    if multi.any():
        mp, mb = ip[multi], ib[multi]
        cp, cb = _first_per_point(mp, mb, mb == listed_code[where[mp]])
        spatial[where[cp]] = cb
        other = mb != spatial[where[mp]]
        ap, ab = _first_per_point(mp[other], mb[other], np.zeros(int(other.sum()), dtype=bool))
        also[where[ap]] = ab
    code = np.where(spatial >= 0, spatial, listed_code)
    community = pc.if_else(pa.array(spatial >= 0), _take_ids(prepared.ids, spatial),
                           pa.array(listed, type=pa.large_string()))
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if len(where):
        x[where], y[where] = prepared.transformer.transform(lon[where], lat[where])
    out = pd.DataFrame(
        {
            "community_id": community.to_pandas(),
            "listed_community_id": listed,
            "community_index": code,
            "also_in": _take_ids(prepared.ids, also).to_pandas(),
            "n_boundaries": counts,
            "x": x,
            "y": y,
            "missing_coordinates": ~has,
            "outside_boundaries": has & (counts == 0),
            "in_several_boundaries": counts > 1,
            "community_mismatch": has_listed & (listed_code >= 0) & (spatial >= 0)
            & (spatial != listed_code),
            "unknown_community": has_listed & (listed_code < 0),
        }
    )
    out.index = chunk.index
    return out
