"""Geometry helpers of the field maps: local projection, layers near a community, groups.

Each community is drawn in a transverse Mercator centred on it (scale factor 1), built
as an explicit PROJ pipeline; building blocks and compounds are drawn from the listed
dwellings when no footprints or compound polygons are given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from fieldsurvey.io.errors import CRSError
from fieldsurvey.io.schema import WGS84

__all__ = [
    "BUILDING_BUFFER_M",
    "as_text",
    "group_polygons",
    "layer_near",
    "local_proj",
    "lonlat_to_local",
    "segment_focus",
    "to_wgs84",
    "transform_geoms",
]

BUILDING_BUFFER_M = 5.0


def as_text(s: pd.Series) -> pd.Series:
    """Strings with blanks and missing markers as NA."""
    out = s.astype("string").str.strip()
    return out.mask(out.isin(["", "nan", "None", "<NA>"]))


def local_proj(lon0: float, lat0: float) -> str:
    """PROJ string of the transverse Mercator (k = 1, metres) centred on (lon0, lat0)."""
    return (f"+proj=tmerc +lat_0={lat0:.7f} +lon_0={lon0:.7f} +k=1 +x_0=0 +y_0=0 "
            "+ellps=WGS84 +units=m")


def lonlat_to_local(proj: str) -> Transformer:
    """WGS 84 lon/lat (degrees) -> the local CRS ``proj``, as an explicit PROJ pipeline.

    (A pipeline is built in well under a millisecond; ``Transformer.from_crs`` searches
    the operation database and takes tens of milliseconds per community.)
    """
    return Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {proj}")


def to_wgs84(gdf: Any) -> Any:
    if gdf is None:
        return None
    if gdf.crs is None:
        raise CRSError("a layer has no coordinate reference system",
                       hint="Set its CRS (e.g. gdf.set_crs('EPSG:4326'))")
    if CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(WGS84)):
        return gdf
    return gdf.to_crs(WGS84)


def transform_geoms(geoms: np.ndarray, tr: Transformer) -> np.ndarray:
    def f(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    moved: np.ndarray = shapely.transform(geoms, f)
    return moved


def layer_near(gdf: Any, bbox_wgs: tuple[float, float, float, float], id_field: str,
                cid: str, label_cols: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Geometries of a WGS84 layer for this community (by id if present, else by bbox)."""
    if gdf is None or len(gdf) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    if id_field in gdf.columns:
        sub = gdf[as_text(gdf[id_field]) == cid]
    else:
        idx = gdf.sindex.query(shapely.box(*bbox_wgs), predicate="intersects")
        sub = gdf.iloc[np.sort(idx)]
    labels = np.full(len(sub), "", dtype=object)
    for col in label_cols:
        if col in sub.columns:
            labels = as_text(sub[col]).fillna("").to_numpy(dtype=object)
            break
    return np.asarray(sub.geometry.values, dtype=object), labels


def group_polygons(x: np.ndarray, y: np.ndarray, keys: pd.Series, buffer: float,
                    labels: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One buffered envelope per key over the points (vectorised), with its label.

    Buildings (small ``buffer``) get a square-cornered oriented envelope, so a building
    whose dwellings share one point becomes a square; compounds a rounded convex hull.
    The label of a group is its first ``labels`` value (default: the key). A building's
    outline leaves out members far from the rest (more than 40 m and four times the
    group's median distance from its median point): one mistyped or duplicated
    dwelling 300 m away must not turn 1栋 into a 300 m building.
    """
    keys = keys.reset_index(drop=True)
    ok = keys.notna().to_numpy() & np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return np.array([], dtype=object), np.array([], dtype=object)
    if buffer <= BUILDING_BUFFER_M:
        ok &= _near_their_group(x, y, keys, ok)
    codes, uniques = pd.factorize(keys[ok], sort=True)
    order = np.argsort(codes, kind="stable")
    pts = shapely.points(np.column_stack([x[ok], y[ok]])[order])
    mp = shapely.multipoints(pts, indices=codes[order])
    if buffer <= BUILDING_BUFFER_M:  # buildings: square corners, a lone point -> a square
        polys = shapely.buffer(shapely.oriented_envelope(mp), buffer, cap_style="square",
                               join_style="mitre")
    else:
        polys = shapely.buffer(shapely.convex_hull(mp), buffer)
    if labels is None:
        names = np.asarray(uniques.astype(str), dtype=object)
    else:
        lab = labels.reset_index(drop=True)[ok].fillna("").astype(str).to_numpy(dtype=object)
        first = np.zeros(len(uniques), dtype=np.int64)
        first[codes[order][::-1]] = order[::-1]  # first occurrence of each code
        names = lab[first]
    return np.asarray(polys, dtype=object), names


def _near_their_group(x: np.ndarray, y: np.ndarray, keys: pd.Series, ok: np.ndarray
                      ) -> np.ndarray:
    """Members within max(40 m, 4 x median distance) of their group's median point."""
    g = pd.DataFrame({"k": keys[ok].to_numpy(), "x": x[ok], "y": y[ok]})
    grouped = g.groupby("k", sort=False)
    mx, my = grouped["x"].transform("median"), grouped["y"].transform("median")
    g["d"] = np.hypot((g["x"] - mx).to_numpy(), (g["y"] - my).to_numpy())
    med = g.groupby("k", sort=False)["d"].transform("median").to_numpy()
    near = np.ones(len(x), dtype=bool)
    near[np.flatnonzero(ok)] = g["d"].to_numpy() <= np.maximum(40.0, 4.0 * med)
    return near


def segment_focus(d: pd.DataFrame, s: pd.DataFrame, segment: str | None) -> np.ndarray:
    """Which listed dwellings belong to the sampled segment of a split community.

    Exact when the frame has a ``segment`` column. Otherwise segments are contiguous runs
    of the geographic ``order`` (see :mod:`fieldsurvey.sampling.stage2`), so the segment is
    taken as the run spanned by the sampled dwellings (main and reserve), widened evenly
    on both sides to the sample's ``segment_n`` dwellings when that is known.
    """
    n = len(d)
    if segment is None:
        return np.ones(n, dtype=bool)
    if "segment" in d.columns:
        return (d["segment"] == segment).fillna(False).to_numpy(dtype=bool)
    if "order" not in d.columns:
        return np.ones(n, dtype=bool)
    order = pd.to_numeric(d["order"], errors="coerce").to_numpy(dtype=float)
    sampled = d["dwelling_id"].isin(set(s["dwelling_id"])).to_numpy()
    if not sampled.any() or not np.isfinite(order[sampled]).any():
        return np.ones(n, dtype=bool)
    lo, hi = np.nanmin(order[sampled]), np.nanmax(order[sampled])
    focus = (order >= lo) & (order <= hi)
    size = (pd.to_numeric(s["segment_n"], errors="coerce").max()
            if "segment_n" in s.columns else None)
    if size is not None and np.isfinite(size) and size > focus.sum():
        ranks = np.argsort(np.argsort(np.where(np.isfinite(order), order, np.inf), kind="stable"))
        r_lo, r_hi = ranks[focus].min(), ranks[focus].max()
        extra = int(size) - int(focus.sum())
        room_below, room_above = int(r_lo), int(n - 1 - r_hi)
        below = min(extra // 2, room_below)
        above = min(extra - below, room_above)
        below = min(extra - above, room_below)  # what the upper end could not take
        focus = (ranks >= r_lo - below) & (ranks <= r_hi + above)
    out: np.ndarray = np.asarray(focus, dtype=bool)
    return out
