"""Read the inputs of the field maps: frame, sample, boundaries and optional layers.

The library's own readers are used when present (:func:`fieldsurvey.frame.read_frame`
with its fingerprint, :func:`fieldsurvey.sampling.output.read_sample`,
:func:`fieldsurvey.io.boundaries.read_boundaries`); plain GeoParquet/CSV/vector files
are read directly otherwise, so maps can be printed from any frame and sample that
follow the column contracts of :mod:`fieldsurvey.io.schema`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from fieldsurvey.io.errors import ColumnError, CRSError, InputError

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

    A file written by ``fieldsurvey frame`` is read with :func:`fieldsurvey.frame.read_frame`;
    another GeoParquet with the frame columns is read with geopandas.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("the frame file does not exist", file=str(p),
                         hint="Give the GeoParquet frame written by 'fieldsurvey frame'")
    try:
        from fieldsurvey.frame import read_frame
    except ImportError:  # pragma: no cover - frame module not installed
        read_frame = None
    if read_frame is not None:
        try:
            result = read_frame(p)
        except InputError as exc:
            if "not a fieldsurvey frame" not in exc.message:
                raise
        else:
            gdf = result.frame
            gdf.attrs["fingerprint"] = result.fingerprint
            return gdf
    import geopandas as gpd

    try:
        frame = gpd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        try:
            frame = pd.read_parquet(p)
        except Exception:  # noqa: BLE001
            raise _err_read(p, "frame (GeoParquet)", exc) from None
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
    """Read a sample (CSV in UTF-8 / UTF-8 with BOM / GBK, or Parquet), ids as text."""
    p = Path(path)
    try:
        from fieldsurvey.sampling.output import read_sample
    except ImportError:  # pragma: no cover - select module not installed
        read_sample = None
    if read_sample is not None and p.is_file() and p.suffix.lower() in (".parquet", ".csv"):
        try:
            return read_sample(p)
        except InputError:
            pass  # e.g. a GBK CSV: read it below
    if not p.is_file():
        raise InputError("the sample file does not exist", file=str(p),
                         hint="Give the sample written by 'fieldsurvey sample' (CSV or Parquet)")
    if p.suffix.lower() in (".parquet", ".pq", ".geoparquet"):
        try:
            return pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001
            raise _err_read(p, "sample (Parquet)", exc) from None
    dtypes = {c: "string" for c in ("community_id", "dwelling_id", "building", "unit",
                                     "floor", "door", "stratum", "segment", "kish_table")}
    last: Exception | None = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(p, dtype=dtypes, encoding=enc)
        except UnicodeDecodeError as exc:
            last = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _err_read(p, "sample (CSV)", exc) from None
    raise InputError("the sample is neither UTF-8 nor GBK text", file=str(p),
                     got=str(last), hint="Save it as UTF-8 CSV")


def read_boundaries_file(path: PathLike, id_field: str = "community_id") -> Any:
    """Read community polygons (WGS 84, id column ``community_id``).

    Uses :func:`fieldsurvey.io.boundaries.read_boundaries` when available (encodings,
    CRS checks, repairs), else geopandas.
    """
    try:
        from fieldsurvey.io.boundaries import read_boundaries
    except ImportError:  # pragma: no cover - io not installed
        read_boundaries = None
    if read_boundaries is not None:
        return read_boundaries(path, id_field=id_field).frame
    gdf = read_layer_file(path, "boundaries")
    if id_field not in gdf.columns:
        raise ColumnError("the boundaries lack the community id field", file=str(path),
                          field=id_field, got=", ".join(map(str, gdf.columns[:20])),
                          hint="Name the id field with --id-field")
    return gdf.rename(columns={id_field: "community_id"})


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
