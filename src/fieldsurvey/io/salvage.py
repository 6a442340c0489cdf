"""Rebuild polygons that GDAL or GEOS refuse because of a degenerate ring.

Boundaries scraped from web maps (DataV, AMap, simplified country outlines) often
carry rings of 2 or 3 points (``[a, b, a]``) left by simplification. GEOS refuses a
whole (multi)polygon for one such ring, and GDAL's GeoJSON driver returns it empty,
so a province or a country silently loses its shape. Here every ring is read from
the WKB or GeoJSON coordinates, degenerate rings are dropped (an exterior ring takes
its polygon with it), and the rest is rebuilt.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

__all__ = ["salvage_geojson", "salvage_wkb"]

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
