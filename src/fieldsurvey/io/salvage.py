"""Rebuild polygons that GDAL or GEOS refuse because of a degenerate ring.

Boundaries scraped from web maps (DataV, AMap, simplified country outlines) often
carry rings of 2 or 3 points (``[a, b, a]``) left by simplification. GEOS refuses a
whole (multi)polygon for one such ring, and GDAL's GeoJSON driver returns it empty,
so a province or a country silently loses its shape. Here every ring is read from
the WKB or GeoJSON coordinates, degenerate rings are dropped (an exterior ring takes
its polygon with it), and the rest is rebuilt.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["salvage_geojson", "salvage_missing", "salvage_wkb"]

Ring = np.ndarray


def _ring_ok(ring: Ring) -> Ring | None:
    """The ring closed, or None when it has fewer than 3 distinct points."""
    if len(ring) == 0:
        return None
    xy = ring[:, :2]
    if not np.array_equal(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    if len(xy) < 4 or len(np.unique(xy[:-1], axis=0)) < 3:
        return None
    return xy


def _polygons(parts: Sequence[Sequence[Ring]]) -> tuple[Any, int]:
    """A (multi)polygon from ``[[exterior, hole, ...], ...]``; the count of rings dropped."""
    polys = []
    dropped = 0
    for rings in parts:
        if not rings:
            continue
        shell = _ring_ok(rings[0])
        if shell is None:
            dropped += len(rings)
            continue
        holes = []
        for r in rings[1:]:
            ok = _ring_ok(r)
            if ok is None:
                dropped += 1
            else:
                holes.append(ok)
        polys.append(shapely.Polygon(shell, holes))
    if not polys:
        return None, dropped
    return (polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)), dropped


def salvage_geojson(geometry: Any) -> tuple[Any, int]:
    """A GeoJSON Polygon/MultiPolygon mapping rebuilt without degenerate rings."""
    if not isinstance(geometry, dict):
        return None, 0
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coords, list):
        return None, 0
    try:
        if kind == "Polygon":
            parts = [[np.asarray(r, dtype=float).reshape(-1, len(r[0]) if r else 2)
                      for r in coords]]
        elif kind == "MultiPolygon":
            parts = [[np.asarray(r, dtype=float).reshape(-1, len(r[0]) if r else 2)
                      for r in poly] for poly in coords]
        else:
            return None, 0
    except (TypeError, ValueError, IndexError):
        return None, 0
    return _polygons(parts)


def salvage_wkb(blob: bytes) -> tuple[Any, int]:
    """A WKB Polygon/MultiPolygon (ISO or EWKB, with Z/M) rebuilt without degenerate rings."""
    try:
        parts, _ = _read_wkb(blob, 0)
    except (struct.error, ValueError):
        return None, 0
    if parts is None:
        return None, 0
    return _polygons(parts)


def _header(blob: bytes, pos: int) -> tuple[str, int, int, int]:
    order = "<" if blob[pos] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", blob, pos + 1)
    dims = 2
    if code & 0x80000000:
        dims += 1
    if code & 0x40000000:
        dims += 1
    code &= 0x0FFFFFFF
    if code >= 1000:
        dims = 2 + {1: 1, 2: 1, 3: 2}.get(code // 1000, 0)
        code %= 1000
    return order, code, dims, pos + 5


def _read_rings(blob: bytes, pos: int, order: str, dims: int) -> tuple[list[Ring], int]:
    (n_rings,) = struct.unpack_from(order + "I", blob, pos)
    pos += 4
    rings = []
    for _ in range(n_rings):
        (n_pts,) = struct.unpack_from(order + "I", blob, pos)
        pos += 4
        values = np.frombuffer(blob, dtype=np.dtype(order + "f8"), count=n_pts * dims,
                               offset=pos)
        rings.append(values.reshape(n_pts, dims))
        pos += 8 * n_pts * dims
    return rings, pos


def _read_wkb(blob: bytes, pos: int) -> tuple[list[list[Ring]] | None, int]:
    order, code, dims, pos = _header(blob, pos)
    if code == 3:
        rings, pos = _read_rings(blob, pos, order, dims)
        return [rings], pos
    if code == 6:
        (n,) = struct.unpack_from(order + "I", blob, pos)
        pos += 4
        parts = []
        for _ in range(n):
            sub_order, sub_code, sub_dims, pos = _header(blob, pos)
            if sub_code != 3:
                return None, pos
            rings, pos = _read_rings(blob, pos, sub_order, sub_dims)
            parts.append(rings)
        return parts, pos
    return None, pos


def salvage_missing(gdf: gpd.GeoDataFrame, path: Path, kwargs: dict[str, Any],
                     notes: list[str] | None) -> gpd.GeoDataFrame:
    """Rebuild the geometries that came back missing or empty because of a bad ring.

    Web-map exports often carry a degenerate ring (``[a, b, a]``) inside an otherwise
    good multipolygon: GDAL's GeoJSON driver then returns the feature empty and GEOS
    refuses its WKB. Each such geometry is rebuilt from the file's own coordinates
    (the GeoJSON text, or the WKB) without its degenerate rings
    (:mod:`fieldsurvey.io.salvage`); what was dropped is noted.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        return gdf
    geoms = gdf.geometry.to_numpy()
    bad = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(bad) == 0:
        return gdf
    rebuilt: dict[int, Any] = {}
    dropped = 0
    if path.suffix.lower() in (".geojson", ".json") and path.stat().st_size < 500_000_000:
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            data = None
        feats = data.get("features") if isinstance(data, dict) else None
        if isinstance(feats, list) and len(feats) == len(gdf):
            for i in bad:
                g = feats[i].get("geometry") if isinstance(feats[i], dict) else None
                geom, n = salvage_geojson(g)
                if geom is not None:
                    rebuilt[int(i)] = geom
                    dropped += n
    else:
        from pyogrio.raw import read as raw_read

        _, _, wkb, _ = raw_read(path, read_geometry=True, columns=[], **kwargs)
        if len(wkb) == len(gdf):
            for i in bad:
                if wkb[i] is not None:
                    geom, n_wkb = salvage_wkb(bytes(wkb[i]))
                    if geom is not None:
                        rebuilt[int(i)] = geom
                        dropped += n_wkb
    if rebuilt:
        geoms = geoms.copy()
        for row, shape in rebuilt.items():
            geoms[row] = shape
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        if notes is not None:
            notes.append(f"{len(rebuilt)} feature(s) had {dropped} degenerate ring(s) (fewer "
                         "than 3 distinct points, as web-map exports leave them); GDAL read "
                         "them without a shape, so they were rebuilt without those rings")
    # geometries still missing are reported by the callers' checks, naming the rows
    return gdf
