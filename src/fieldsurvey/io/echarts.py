"""GeoJSON with ECharts-compressed coordinates (``"UTF8Encoding": true``).

Chinese web dashboards ship their district and street maps in the format of ECharts'
``echarts/map/json`` files: each ring is a string whose character pairs are zigzag-
encoded coordinate deltas, started from the ring's ``encodeOffsets`` and divided by
``UTF8Scale`` (1024 by default). GDAL reads such a file without any shape; decoded
here it is ordinary GeoJSON in longitude/latitude.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["decode_echarts", "is_echarts"]


def is_echarts(path: Path) -> bool:
    """True for a JSON file that declares ECharts' compressed coordinates."""
    with path.open("rb") as fh:
        head = fh.read(4_000_000)
    tail = head[-200:] if len(head) < 4_000_000 else _tail(path)
    return b'"UTF8Encoding"' in head[:2000] or b'"UTF8Encoding"' in tail


def _tail(path: Path) -> bytes:
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 200, 0))
        return fh.read()


def _ring(text: str, offset: list[float], scale: float) -> list[list[float]]:
    out = []
    prev_x, prev_y = float(offset[0]), float(offset[1])
    for i in range(0, len(text) - 1, 2):
        x = ord(text[i]) - 64
        y = ord(text[i + 1]) - 64
        x = (x >> 1) ^ -(x & 1)
        y = (y >> 1) ^ -(y & 1)
        prev_x += x
        prev_y += y
        out.append([prev_x / scale, prev_y / scale])
    if out and out[0] != out[-1]:
        out.append(list(out[0]))  # ECharts leaves rings open; GeoJSON closes them
    return out


def _decode_geometry(geom: dict[str, Any], scale: float) -> dict[str, Any]:
    kind, coords, offsets = geom.get("type"), geom.get("coordinates"), geom.get("encodeOffsets")
    if offsets is None or not isinstance(coords, list):
        return geom
    if kind == "Polygon":
        rings = [_ring(r, o, scale) if isinstance(r, str) else r
                 for r, o in zip(coords, offsets, strict=False)]
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiPolygon":
        polys = [[_ring(r, o, scale) if isinstance(r, str) else r
                  for r, o in zip(poly, poly_off, strict=False)]
                 for poly, poly_off in zip(coords, offsets, strict=False)]
        return {"type": "MultiPolygon", "coordinates": polys}
    return geom


def decode_echarts(path: Path, out: Path, encoding: str | None = None) -> int:
    """Write ``path`` decoded to plain GeoJSON at ``out``; the number of features."""
    raw = path.read_bytes()
    data = json.loads(raw.decode(encoding) if encoding else raw)
    scale = float(data.get("UTF8Scale") or 1024)
    feats = data.get("features") or []
    for feat in feats:
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if isinstance(geom, dict):
            feat["geometry"] = _decode_geometry(geom, scale)
    data.pop("UTF8Encoding", None)
    data.pop("UTF8Scale", None)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return len(feats)
