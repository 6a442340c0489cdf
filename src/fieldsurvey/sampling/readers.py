"""Read the tables the sampler is given: communities, dwelling frames, stage-1 samples.

A communities table may be a boundary file (GeoPackage, GeoJSON, Shapefile, KML; read by
:func:`fieldsurvey.io.boundaries.read_boundaries`, geometry dropped) or a plain table read
by :func:`fieldsurvey.io.tables.read_table` (CSV in UTF-8/UTF-8 with BOM/GBK, XLSX,
Parquet, by content). A dwelling frame is the GeoParquet made by ``fieldsurvey frame
build`` (read and checked by :func:`fieldsurvey.frame.read_frame`) or any table with the
frame's columns. Ids (``community_id``, ``dwelling_id``) are always read as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import InputError
from fieldsurvey.io.schema import FRAME_META_KEY
from fieldsurvey.io.tables import read_table, table_format

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ID_COLUMNS", "read_communities", "read_dwelling_frame", "read_selected"]

#: Columns read as text whatever they look like (leading zeros in ids survive).
ID_COLUMNS: tuple[str, ...] = ("community_id", "dwelling_id")

_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".kml", ".fgb", ".gml"}


def read_communities(path: str | Path, *, id_field: str = "community_id",
                     encoding: str | None = None, crs: Any = None) -> pd.DataFrame:
    """Read a communities table from a boundary file or a plain table (no geometry)."""
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() in _VECTOR or path.is_dir():
        from fieldsurvey.io.boundaries import read_boundaries

        b = read_boundaries(path, id_field=id_field, encoding=encoding, crs=crs)
        return pd.DataFrame(b.frame.drop(columns=["geometry"], errors="ignore")).reset_index(
            drop=True)
    return read_table(path, what="communities table", text=(id_field, *ID_COLUMNS),
                      encoding=encoding)


def read_selected(path: str | Path) -> pd.DataFrame:
    """Read a stage-1 sample (the communities drawn), ids as text."""
    return read_table(path, what="stage-1 sample", text=ID_COLUMNS)


def read_dwelling_frame(path: str | Path) -> pd.DataFrame:
    """Read a dwelling frame (GeoParquet from ``fieldsurvey frame build``, or any table).

    A Parquet file carrying fieldsurvey frame metadata is read by
    :func:`fieldsurvey.frame.read_frame` (which checks it); any other table with the frame's
    columns is read as a plain table. The geometry is dropped (lon/lat stay).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if table_format(path, what="dwelling frame") == "parquet":
        try:
            meta = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError):
            meta = {}  # damaged: read_table says so in the common words
        if FRAME_META_KEY in meta:
            from fieldsurvey.frame import read_frame

            table = read_frame(path).frame
            frame = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
            frame.attrs.update(table.attrs)  # e.g. the communities the listing missed
            return frame
    table = read_table(path, what="dwelling frame", text=ID_COLUMNS)
    if {"line", "pi", "base_weight"} <= set(table.columns):
        raise InputError("this is a sample, not a dwelling frame", file=str(path),
                         expected="the frame written by 'fieldsurvey frame build'",
                         got="the sample columns line, pi, base_weight",
                         hint="Give --frame frame.parquet (the whole listing), not a sample")
    return table
