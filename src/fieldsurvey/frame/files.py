"""Frame files: GeoParquet with the fingerprint and self-check in its metadata.

The frame is written as GeoParquet 1.0 (WKB points in WGS 84) with one extra
schema-metadata key, ``fieldsurvey``, holding JSON: the fingerprint of the inputs,
the projected CRS of ``x``/``y``, the options, the package version and the
self-check report. :func:`read_frame` gives all of it back, so the sampling and map
steps can check that they work on the frame they think they do. A GeoPackage copy
for QGIS users carries the fingerprint in its layer metadata.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

from fieldsurvey.frame.qa import QAReport
from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import InputError
from fieldsurvey.io.schema import WGS84

__all__ = [
    "FrameResult",
    "boundaries_path",
    "read_frame",
    "read_frame_boundaries",
    "write_boundaries",
    "write_frame",
    "write_gpkg",
]

META_KEY = b"fieldsurvey"
FORMAT = "fieldsurvey-frame/1"


@dataclass(frozen=True, eq=False)
class FrameResult:
    """A built (or re-read) sampling frame.

    Attributes
    ----------
    data
        The frame's columns without the geometry (a DataFrame), or the GeoDataFrame.
    qa
        The self-check report.
    fingerprint
        SHA-256 (hex) of the inputs and the options that shape the frame.
    projected_crs
        The metric CRS of ``x``/``y``.
    metadata
        Everything else recorded with the frame (inputs, options, version).
    boundaries
        The community polygons the frame was built on (as read and corrected, WGS 84),
        when known: kept by a build, read back from beside a frame file.
    """

    data: pd.DataFrame
    qa: QAReport
    fingerprint: str
    projected_crs: CRS
    metadata: dict[str, Any] = field(default_factory=dict)
    boundaries: gpd.GeoDataFrame | None = None

    @cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """The frame as a GeoDataFrame.

        One row per dwelling, in listing order (sort by
        ``community_id`` and ``order`` for the geographic order); columns
        :data:`fieldsurvey.io.schema.FRAME_COLUMNS`, then the community attributes, then the
        listing's other columns; geometry = WGS 84 points (None without coordinates).

        The point geometries are made on first use: writing the frame file does not
        need them (it encodes WKB straight from ``lon``/``lat``), and for millions of
        dwellings making them is a large share of a build.
        """
        if isinstance(self.data, gpd.GeoDataFrame):
            gdf = self.data
        else:
            lon = self.data["lon"].to_numpy(dtype=float)
            lat = self.data["lat"].to_numpy(dtype=float)
            ok = np.isfinite(lon) & np.isfinite(lat)
            geoms = np.full(len(self.data), None, dtype=object)
            geoms[ok] = shapely.points(lon[ok], lat[ok])
            gdf = gpd.GeoDataFrame(
                self.data, geometry=gpd.GeoSeries(geoms, index=self.data.index, crs=WGS84),
                crs=WGS84)
        gdf.attrs["unlisted_communities"] = self.unlisted_communities
        return gdf

    @property
    def unlisted_communities(self) -> list[dict[str, Any]]:
        """Communities with a boundary and registered households but no listed dwelling.

        A one-shot draw from the dwelling frame cannot select them (they have no
        dwellings), so it names them; a two-phase draw keeps them in stage 1.
        """
        table = self.qa.communities
        if table.empty or "registered" not in table or "listed" not in table:
            return []
        reg = pd.to_numeric(table["registered"], errors="coerce").to_numpy(dtype=float)
        pick = np.flatnonzero((table["listed"].to_numpy() == 0) & (reg > 0))
        names = table["name"] if "name" in table else pd.Series([None] * len(table))
        return [{"community_id": str(table["community_id"].iloc[i]),
                 "name": None if pd.isna(names.iloc[i]) else str(names.iloc[i]),
                 "registered": int(reg[i])}
                for i in pick]

    def __len__(self) -> int:
        return len(self.data)


def _wkb_points(x: np.ndarray, y: np.ndarray) -> pa.Array:
    """Little-endian WKB points straight from coordinates; null where either is NaN."""
    n = len(x)
    rec = np.zeros(n, dtype=np.dtype([("bo", "u1"), ("t", "<u4"), ("x", "<f8"), ("y", "<f8")]))
    rec["bo"], rec["t"], rec["x"], rec["y"] = 1, 1, x, y
    valid = np.isfinite(x) & np.isfinite(y)
    offsets = np.arange(n + 1, dtype=np.int32) * 21
    arr = pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rec.tobytes())]
    )
    return (
        arr
        if valid.all()
        else pa.compute.if_else(pa.array(valid), arr, pa.scalar(None, pa.binary()))
    )


def _geo_metadata(lon: np.ndarray, lat: np.ndarray) -> bytes:
    ok = np.isfinite(lon) & np.isfinite(lat)
    bbox = (
        [float(lon[ok].min()), float(lat[ok].min()), float(lon[ok].max()), float(lat[ok].max())]
        if ok.any()
        else None
    )
    col: dict[str, Any] = {"encoding": "WKB", "geometry_types": ["Point"],
                           "crs": CRS.from_user_input(WGS84).to_json_dict()}
    if bbox:
        col["bbox"] = bbox
    return json.dumps({"version": "1.0.0", "primary_column": "geometry",
                       "columns": {"geometry": col}}).encode()


def write_frame(result: FrameResult, path: str | Path, row_group_size: int | None = None) -> Path:
    """Write the frame as GeoParquet atomically (no partial file on failure)."""
    data = result.data
    if isinstance(data, gpd.GeoDataFrame):
        data = pd.DataFrame(data.drop(columns=data.geometry.name))
    table = pa.Table.from_pandas(data, preserve_index=False)
    lon = data["lon"].to_numpy(dtype=float)
    lat = data["lat"].to_numpy(dtype=float)
    table = table.append_column("geometry", _wkb_points(lon, lat))
    meta = dict(table.schema.metadata or {})
    meta.pop(b"pandas", None)
    meta[b"geo"] = _geo_metadata(lon, lat)
    info = {"format": FORMAT, "fingerprint": result.fingerprint,
            "projected_crs": result.projected_crs.to_wkt(), **result.metadata,
            "qa": result.qa.to_dict()}
    meta[META_KEY] = json.dumps(info, ensure_ascii=False, default=str).encode()
    table = table.replace_schema_metadata(meta)
    # dictionary pages pay off for the repetitive columns only (ids, addresses and
    # coordinates are nearly unique, and trying a dictionary on them costs time)
    unique_ish = {
        "dwelling_id",
        "address",
        "lon",
        "lat",
        "x",
        "y",
        "geometry",
        "source_row",
        "order",
    }
    dictionary = [c for c in table.column_names if c not in unique_ish]
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="snappy", use_dictionary=dictionary,
                       row_group_size=row_group_size)
    return Path(path)


def _gpkg_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for c in out.columns:  # GPKG has no boolean-with-missing or nullable-int NA quirks
        if str(out[c].dtype) in ("boolean", "Int64") or isinstance(
            out[c].dtype, pd.CategoricalDtype
        ):
            out[c] = out[c].astype(object)
    return out


def write_gpkg(result: FrameResult, path: str | Path, layer: str = "dwellings",
               boundaries: gpd.GeoDataFrame | None = None) -> Path:
    """Write the frame as a GeoPackage (for QGIS), atomically.

    Layers: ``dwellings`` (every dwelling with its ``qa_*`` flag columns), ``qa_points``
    (only the dwellings with a flag raised, and which flags), and ``boundaries`` (the
    community polygons as read and repaired) when given.
    """
    gdf = _gpkg_ready(result.frame)
    meta = {"fieldsurvey_fingerprint": result.fingerprint,
            "projected_crs": result.projected_crs.to_string()}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = [c for c in gdf.columns if str(c).startswith("qa_")]
    # GDAL wants a .gpkg name, so write into a private directory beside the target and
    # rename: the target is either the old file or the complete new one.
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as tmpdir:
        tmp = Path(tmpdir) / target.name
        pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GPKG", layer_metadata=meta)
        if flags:
            raised = gdf[flags].to_numpy(dtype=bool)
            rows = raised.any(axis=1) & gdf.geometry.notna().to_numpy()
            qa = gdf.loc[rows, ["dwelling_id", "community_id", "source_row", "address", *flags,
                                gdf.geometry.name]].copy()
            qa["problems"] = [
                ", ".join(f.removeprefix("qa_") for f, r in zip(flags, row, strict=False) if r)
                for row in raised[rows]
            ]
            pyogrio.write_dataframe(gpd.GeoDataFrame(qa, geometry=gdf.geometry.name, crs=WGS84),
                                    tmp, layer="qa_points", driver="GPKG", append=True,
                                    layer_metadata=meta)
        if boundaries is not None:
            pyogrio.write_dataframe(_gpkg_ready(boundaries), tmp, layer="boundaries",
                                    driver="GPKG", append=True, layer_metadata=meta)
        os.replace(tmp, target)
    return target


def boundaries_path(frame_path: str | Path) -> Path:
    """Where the boundaries of the frame at ``frame_path`` are kept.

    ``frame.parquet`` -> ``frame.boundaries.parquet``.
    """
    p = Path(frame_path)
    return p.with_name(p.stem + ".boundaries.parquet")


def write_boundaries(boundaries: gpd.GeoDataFrame, fingerprint: str, path: str | Path) -> Path:
    """Write the frame's boundaries as GeoParquet, atomically.

    The polygons as read and corrected (WGS 84), with the frame's fingerprint.
    """
    gdf = _gpkg_ready(gpd.GeoDataFrame(boundaries))
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, index=False)  # GeoParquet metadata, then the fingerprint beside it
        table = pq.read_table(tmp)
        meta = dict(table.schema.metadata or {})
        meta[META_KEY] = json.dumps({"format": "fieldsurvey-boundaries/1",
                                     "fingerprint": fingerprint}).encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp, compression="snappy")
    return Path(path)


def read_frame_boundaries(frame_path: str | Path, fingerprint: str | None = None
                          ) -> gpd.GeoDataFrame | None:
    """The boundaries a frame was built on (None when the frame has none beside it).

    Raises
    ------
    InputError
        When the boundaries file beside the frame belongs to another build.
    """
    path = boundaries_path(frame_path)
    if not path.exists():
        return None
    meta = pq.read_schema(path).metadata or {}
    info = json.loads(meta.get(META_KEY, b"{}"))
    if fingerprint is not None and not str(info.get("fingerprint", "")).startswith(fingerprint):
        raise InputError(
            "the boundaries file beside the frame belongs to another build of the frame",
            file=path, expected=f"fingerprint {fingerprint[:12]}",
            got=f"fingerprint {str(info.get('fingerprint'))[:12]}",
            hint="Build the frame again (frame build writes both), or give --boundaries")
    gdf = gpd.read_parquet(path)
    return gdf


def read_frame(path: str | Path) -> FrameResult:
    """Read a frame written by :func:`fieldsurvey.build_frame`.

    Returns
    -------
    FrameResult
        The GeoDataFrame, its self-check, fingerprint, projected CRS and metadata.

    Raises
    ------
    InputError
        When the file is not a fieldsurvey frame (or is damaged).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():  # a partitioned frame (frame build --engine dask)
        from fieldsurvey.frame.partitions import read_partitioned

        return read_partitioned(path)
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError("the frame file cannot be read as Parquet (damaged or not a frame)",
                         file=path, got=str(exc)[:160],
                         hint="Build the frame again with fieldsurvey frame build") from None
    if META_KEY not in meta:
        raise InputError("this Parquet file is not a fieldsurvey frame (no fieldsurvey metadata)",
                         file=path, hint="Give the file written by fieldsurvey frame build")
    info = json.loads(meta[META_KEY])
    gdf = gpd.read_parquet(path)
    qa = QAReport.from_dict(info.pop("qa", {}))
    fingerprint = info.pop("fingerprint")
    crs = CRS.from_wkt(info.pop("projected_crs"))
    info.pop("format", None)
    try:
        bnd = read_frame_boundaries(path, fingerprint)
    except InputError:  # boundaries of another build: not this frame's
        bnd = None
    return FrameResult(gdf, qa, fingerprint, crs, info, bnd)
