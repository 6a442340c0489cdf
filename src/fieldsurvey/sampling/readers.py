"""Read the tables the sampler is given: communities, dwelling frames, stage-1 samples.

A communities table may be a boundary file (GeoPackage, GeoJSON, Shapefile, KML; read by
:func:`fieldsurvey.io.boundaries.read_boundaries`, geometry dropped) or a plain table
(CSV in UTF-8/UTF-8 with BOM/GBK, XLSX, Parquet). A dwelling frame is the GeoParquet made
by ``fieldsurvey frame build`` (read by ``fieldsurvey.frame.read_frame`` when available)
or any Parquet/CSV with the frame's columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fieldsurvey.io.errors import InputError

__all__ = ["read_communities", "read_dwelling_frame", "read_table"]

_FRAME_META = b"fieldsurvey"  # key of the metadata fieldsurvey.frame writes
_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".kml", ".fgb", ".gml"}


def read_table(path: str | Path, *,
               text_columns: tuple[str, ...] = ("community_id", "dwelling_id")) -> pd.DataFrame:
    """Read CSV (UTF-8, BOM or GBK), XLSX or Parquet into a DataFrame (ids kept as text)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        raise InputError("this is a directory, but a table file was expected", file=str(path),
                         expected="a .csv, .xlsx or .parquet file",
                         hint="Give the path of the file itself")
    suffix = _content_suffix(path)
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(path)
            return pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype={c: str for c in text_columns})
        if suffix in (".csv", ".txt"):
            dtype: Any = {c: str for c in text_columns}
            try:
                return pd.read_csv(path, encoding="utf-8-sig", dtype=dtype)
            except UnicodeDecodeError:
                return pd.read_csv(path, encoding="gb18030", dtype=dtype)
    except (ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputError("the table cannot be read", file=str(path), got=str(exc),
                         hint="Check that the file is a complete CSV, XLSX or Parquet") from exc
    raise InputError("unsupported table format", file=str(path),
                     expected=".csv, .xlsx or .parquet", got=suffix or "no extension")


def _content_suffix(path: Path) -> str:
    """The format the file's first bytes show (a Parquet or XLSX file renamed .csv is read as
    what it is); the name's suffix otherwise.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return ".parquet"
    if head == b"PK\x03\x04":
        return ".xlsx"
    suffix = path.suffix.lower()
    return ".csv" if suffix in (".parquet", ".xlsx", ".xlsm") else suffix


def read_communities(path: str | Path, *, id_field: str = "community_id",
                     encoding: str | None = None, crs: Any = None) -> pd.DataFrame:
    """Read a communities table from a boundary file or a plain table (no geometry)."""
    path = Path(path)
    if path.suffix.lower() in _VECTOR or path.is_dir():
        from fieldsurvey.io.boundaries import read_boundaries

        b = read_boundaries(path, id_field=id_field, encoding=encoding, crs=crs)
        return pd.DataFrame(b.frame.drop(columns=["geometry"], errors="ignore")).reset_index(
            drop=True)
    return read_table(path, text_columns=(id_field,))


def read_dwelling_frame(path: str | Path) -> pd.DataFrame:
    """Read a dwelling frame (GeoParquet from ``fieldsurvey frame build``, Parquet or CSV).

    A Parquet file carrying fieldsurvey frame metadata is read by
    :func:`fieldsurvey.frame.read_frame` (which checks it); any other Parquet or CSV with
    the frame's columns is read as a plain table. The geometry is dropped (lon/lat stay).
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet" and path.is_file():
        try:
            meta = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError("the frame file cannot be read as Parquet", file=str(path),
                             got=str(exc)[:160],
                             hint="Build the frame again with fieldsurvey frame build") from exc
        if _FRAME_META in meta:
            from fieldsurvey.frame import read_frame

            table = read_frame(path).frame
            return pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
    table = read_table(path)
    if {"line", "pi", "base_weight"} <= set(table.columns):
        raise InputError("this is a sample, not a dwelling frame", file=str(path),
                         expected="the frame written by 'fieldsurvey frame build'",
                         got="the sample columns line, pi, base_weight",
                         hint="Give --frame frame.parquet (the whole listing), not a sample")
    return table
