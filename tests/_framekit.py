"""Tiny hand-made boundaries and listings for the io/frame tests (built in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

LON0, LAT0, STEP = 116.40, 39.90, 0.01


def square(i: int, j: int) -> shapely.Polygon:
    """The (i, j) cell of a 2 x 2 grid of 0.01-degree squares near Beijing."""
    x0, y0 = LON0 + i * STEP, LAT0 + j * STEP
    return shapely.box(x0, y0, x0 + STEP, y0 + STEP)


def communities(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Four communities C1..C4 with Chinese names, street, type and registered households."""
    gdf = gpd.GeoDataFrame(
        {
            "community_id": ["C1", "C2", "C3", "C4"],
            "name": ["东风社区", "向阳社区", "团结社区", "和平社区"],
            "street": ["城关街道", "城关街道", "新区街道", "新区街道"],
            "type": ["示范类", "创优类", "强基类", "强基类"],
            "households": [10, 4, 5, 100],
        },
        geometry=[square(0, 0), square(1, 0), square(0, 1), square(1, 1)],
        crs="EPSG:4326",
    )
    return gdf if crs == "EPSG:4326" else gdf.to_crs(crs)


def centre(i: int, j: int, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A point near the centre of cell (i, j), offset by (dx, dy) in cell fractions."""
    return LON0 + (i + 0.5 + dx) * STEP, LAT0 + (j + 0.5 + dy) * STEP


def listing(n_per: int = 5) -> pd.DataFrame:
    """A clean listing: ``n_per`` dwellings in each of C1..C3 (C4 left empty)."""
    rows = []
    for k, (cid, (i, j)) in enumerate([("C1", (0, 0)), ("C2", (1, 0)), ("C3", (0, 1))]):
        for d in range(n_per):
            lon, lat = centre(i, j, dx=0.05 * d - 0.1, dy=0.03 * k)
            rows.append({
                "dwelling_id": f"{cid}-{d + 1:03d}", "community_id": cid,
                "compound": "幸福小区", "building": str(d % 2 + 1), "unit": "1",
                "floor": str(d + 1), "door": f"{d + 1}01", "address": f"{cid} 幸福路{d + 1}号",
                "lon": round(lon, 7), "lat": round(lat, 7),
                "status": "occupied" if d else "vacant", "households": 1,
            })
    return pd.DataFrame(rows)


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GeoJSON")
    return path


def write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(df.to_csv(index=False).encode(encoding))
    return path


def ring(cx: float, cy: float, r: float, n: int = 16) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[cx + r * np.cos(a), cy + r * np.sin(a)]


def faulty_communities() -> gpd.GeoDataFrame:
    """communities() with C4 a self-intersecting bow tie and C5 a small square inside C1."""
    gdf = communities()
    x0, y0 = LON0 + STEP, LAT0 + STEP
    gdf.loc[3, "geometry"] = shapely.Polygon(
        [(x0, y0), (x0 + STEP, y0 + STEP), (x0 + STEP, y0), (x0, y0 + STEP)])
    gdf.loc[2, "households"] = 6
    c5 = gpd.GeoDataFrame({"community_id": ["C5"], "name": ["小区五"], "street": ["城关街道"],
                           "type": ["强基类"], "households": [0]},
                          geometry=[shapely.box(116.402, 39.902, 116.404, 39.904)], crs="EPSG:4326")
    return pd.concat([gdf, c5], ignore_index=True)


#: check -> count that faulty_listing() over faulty_communities() must produce
FAULT_COUNTS = {
    "outside_boundaries": 1, "unassigned": 1, "in_several_boundaries": 1,
    "missing_coordinates": 2, "duplicate_id": 2, "duplicate_address": 2, "duplicate_point": 2,
    "community_mismatch": 1, "unknown_community": 1, "empty_community": 2,
    "invalid_polygon": 1, "overlapping_polygons": 1, "coverage": 2, "vacancy": 1,
    "estimated_dwellings": 0, "unidentified_crs": 0, "approximate_datum": 0,
    "coordinate_offset": 0, "unknown_status": 0, "unsized_footprints": 0, "filtered_out": 0,
    "boundary_notes": 0,
}


def faulty_listing() -> pd.DataFrame:
    """listing() plus one row for each fault (see FAULT_COUNTS; vacancy at threshold 0.2)."""
    base = listing()
    row3 = base.iloc[2]
    c2 = centre(1, 0, dx=0.3)

    def row(did, cid, lon, lat, address, status="occupied", door="9", floor="9"):
        return {"dwelling_id": did, "community_id": cid, "compound": "幸福小区", "building": "9",
                "unit": "1", "floor": floor, "door": door, "address": address, "lon": lon,
                "lat": lat, "status": status, "households": 1}

    extra = [
        row("X-several", "C1", 116.403, 39.903, "交叉点1号"),
        row("X-outside", "C2", 116.5, 40.0, "远方1号"),
        row("X-nowhere", None, np.nan, np.nan, "不明1号"),
        row("X-nocoord", "C3", np.nan, np.nan, "无坐标1号"),
        row("C1-001", "C2", c2[0], c2[1], "重号1号"),
        {**row("X-dupaddr", "C1", *centre(0, 0, dx=-0.4, dy=0.3), "C1 幸福路2号"),
         "building": "2", "floor": "2", "door": "201"},  # C1-002 listed twice
        {**row("X-duppoint", "C1", row3["lon"], row3["lat"], "重点1号"),
         "building": row3["building"], "unit": row3["unit"], "floor": row3["floor"],
         "door": row3["door"]},
        row("X-mismatch", "C1", *centre(1, 0, dx=-0.3, dy=0.3), "错社区1号", status="vacant"),
        row("X-unknown", "C9", *centre(0, 1, dx=0.3, dy=-0.3), "无名社区1号"),
    ]
    return pd.concat([base, pd.DataFrame(extra)], ignore_index=True)


def write_dbf(path: Path, fields: list[str], rows: list[list[object]], encoding: str,
              ldid: int = 0) -> Path:
    """A dBase III file of character fields, text in ``encoding``, language byte ``ldid``
    (0 = none), as old Chinese GIS software writes them."""
    import struct

    enc = [[str(v).encode(encoding) for v in r] for r in rows]
    names = [f.encode(encoding)[:10] for f in fields]
    widths = [max([len(f), 1, *(len(r[i]) for r in enc)]) for i, f in enumerate(names)]
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(widths)
    head = struct.pack("<B3BIHH", 3, 126, 1, 1, len(rows), header_len, record_len)
    head += bytes(17) + bytes([ldid]) + bytes(2)
    for f, w in zip(names, widths, strict=True):
        head += f.ljust(11, b"\0") + b"C" + bytes(4) + bytes([w, 0]) + bytes(14)
    body = b"".join(b" " + b"".join(v.ljust(w, b" ") for v, w in zip(r, widths, strict=True))
                    for r in enc)
    path.write_bytes(head + b"\r" + body + b"\x1a")
    return path


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, fields: list[str], rows: list[list[object]],
                    encoding: str, ldid: int = 0, prj: bool = True) -> Path:
    """A shapefile with ``gdf``'s geometries and a hand-made .dbf (no .cpg)."""
    import pyogrio

    pyogrio.write_dataframe(gdf[["geometry"]].assign(fid_=range(len(gdf))), path)
    for suffix in (".cpg",) + (() if prj else (".prj",)):
        path.with_suffix(suffix).unlink(missing_ok=True)
    write_dbf(path.with_suffix(".dbf"), fields, rows, encoding, ldid)
    return path
