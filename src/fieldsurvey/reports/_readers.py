"""Read the inputs of the field maps: frame, sample, boundaries and optional layers.

The library's own readers do the reading: :func:`fieldsurvey.frame.read_frame` (with its
fingerprint) for a frame fieldsurvey wrote, :func:`fieldsurvey.io.tables.read_table` for
the sample and for any other table, :func:`fieldsurvey.io.boundaries.read_boundaries` for
the boundaries; another GeoParquet frame is read with geopandas. So maps can be printed
from any frame and sample that follow the column contracts of :mod:`fieldsurvey.io.schema`,
and a file is refused with the reader's own message.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from fieldsurvey.io.errors import CRSError, InputError
from fieldsurvey.io.schema import FRAME_META_KEY, SAMPLE_TEXT_COLUMNS
from fieldsurvey.io.tables import read_table, table_format

__all__ = [
    "frame_fingerprint",
    "read_boundaries_file",
    "read_frame_file",
    "read_layer_file",
    "read_sample_file",
]

PathLike = str | os.PathLike[str]


def _err_read(path: PathLike, what: str, exc: Exception) -> InputError:
    return InputError(f"the {what} cannot be read ({exc})", file=str(path),
                      hint=f"Check that it is a {what} file written by fieldsurvey or GDAL")


def read_frame_file(path: PathLike) -> pd.DataFrame:
    """Read a frame; its fingerprint goes to ``frame.attrs["fingerprint"]``.

    A file written by ``fieldsurvey frame`` is read with :func:`fieldsurvey.frame.read_frame`
    (its errors are the user's); another GeoParquet with the frame columns is read with
    geopandas, and any other table with ``lon``/``lat`` by :func:`read_table`.
    """
    import pyarrow.parquet as pq

    from fieldsurvey.frame import read_frame

    p = Path(path)
    meta: dict[bytes, bytes] = {}
    if p.is_dir():  # a partitioned frame (frame build --engine dask) carries its metadata
        meta = {FRAME_META_KEY: b""}  # in _frame.json; read_frame reads the directory
    elif table_format(p, what="frame file") == "parquet":
        try:
            meta = pq.read_schema(p).metadata or {}
        except (OSError, ValueError):
            meta = {}  # damaged: read_table below says so
    if FRAME_META_KEY in meta:
        result = read_frame(p)
        gdf: pd.DataFrame = result.frame
        gdf.attrs["fingerprint"] = result.fingerprint
        return gdf
    if b"geo" in meta:
        import geopandas as gpd

        try:
            frame: pd.DataFrame = gpd.read_parquet(p)
        except (OSError, ValueError) as exc:
            raise _err_read(p, "frame (GeoParquet)", exc) from None
    else:
        frame = read_table(p, what="frame file", text=SAMPLE_TEXT_COLUMNS)
    if {"line", "pi", "base_weight"} <= set(frame.columns):
        raise InputError("this is a sample, not the dwelling frame", file=str(p),
                         expected="the frame written by 'fieldsurvey frame build'",
                         hint="Give --frame frame.parquet and --sample sample.csv")
    return frame


def frame_fingerprint(frame: pd.DataFrame, path: PathLike | None = None) -> str:
    """The frame's input fingerprint from its metadata, else a hash of the file or its rows."""
    for key in ("fingerprint", "frame_fingerprint"):
        val = frame.attrs.get(key)
        if val:
            return str(val)[:16]
    if path is not None and str(path).endswith(".parquet"):
        try:
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            for raw in meta.values():
                try:
                    obj = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(obj, dict):
                    for key in ("fingerprint", "frame_fingerprint", "input_fingerprint"):
                        if obj.get(key):
                            return str(obj[key])[:16]
        except Exception:  # noqa: BLE001 - fall back to hashing
            pass
    h = hashlib.sha256()
    if path is not None and Path(path).is_file():
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    else:
        cols = [c for c in ("dwelling_id", "community_id") if c in frame.columns]
        h.update(pd.util.hash_pandas_object(frame[cols], index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def read_sample_file(path: PathLike) -> pd.DataFrame:
    """Read a sample (any table :func:`read_table` reads), ids and address parts as text."""
    return read_table(path, what="sample file", text=SAMPLE_TEXT_COLUMNS)


def read_boundaries_file(path: PathLike, id_field: str = "community_id") -> Any:
    """Read community polygons (WGS 84, id column ``community_id``).

    Read by :func:`fieldsurvey.io.boundaries.read_boundaries` (encodings, CRS checks,
    repairs).
    """
    from fieldsurvey.io.boundaries import read_boundaries

    return read_boundaries(Path(path), id_field=id_field).frame


def read_layer_file(path: PathLike, what: str) -> Any:
    """Read a vector layer (footprints, roads, boundaries) with geopandas; CRS required."""
    import geopandas as gpd

    if not Path(path).exists():
        raise InputError(f"the {what} file does not exist", file=str(path))
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001
        raise _err_read(path, f"{what} (vector)", exc) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        raise InputError(f"the {what} file has no geometries: it is a table, not a map layer",
                         file=str(path), expected="a vector layer (GeoJSON, GeoPackage, "
                         "Shapefile or KML)", hint=f"Give the {what} layer itself")
    if gdf.crs is None:
        raise CRSError(f"the {what} layer has no coordinate reference system", file=str(path),
                       hint="Add a .prj file or write the layer with a CRS (e.g. EPSG:4326)")
    return gdf
