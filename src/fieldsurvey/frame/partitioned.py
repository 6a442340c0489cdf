"""A partitioned frame on disk: its manifest ``_frame.json``, and reading it back.

A partitioned frame is a directory ``frame.parquet/`` holding ``part-00000.parquet`` ...
(each one group of whole streets, or of communities when the boundaries have no
street, stored by community in row groups of :data:`PART_ROW_GROUP` rows),
``_first_rows.parquet`` (the first dwelling of every community, for a draw's stage 1)
and ``_frame.json`` with the fingerprint, options and self-check of the whole frame;
``_frame.json`` is written last, so a directory without it is no frame.
:func:`read_partitioned` reads one back for :func:`fieldsurvey.frame.read_frame`;
:func:`read_parts` reads only the row groups of some communities, for a draw.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.frame.files import FORMAT, FrameResult
from fieldsurvey.frame.qa import QAReport
from fieldsurvey.io.errors import InputError

__all__ = [
    "FIRST_ROWS",
    "MANIFEST",
    "PART_ROW_GROUP",
    "is_partitioned",
    "manifest",
    "partitioned_manifest",
    "partitioned_report",
    "read_partitioned",
    "read_parts",
    "unlisted",
    "write_first_rows",
]

MANIFEST = "_frame.json"
#: The first dwelling of every community (all columns), for a draw's stage 1.
FIRST_ROWS = "_first_rows.parquet"
#: Rows per row group of a part (a draw reads only the row groups of its communities).
PART_ROW_GROUP = 32_768


def is_partitioned(path: str | Path) -> bool:
    """True for a frame directory written by the Dask engine."""
    return (Path(path) / MANIFEST).is_file()


def read_partitioned(path: str | Path) -> FrameResult:
    """Read a partitioned frame back as one frame, rows in listing order.

    Raises
    ------
    InputError
        A directory without ``_frame.json`` (a build that did not finish), or a part
        that is missing or unreadable (named).
    """
    import geopandas as gpd
    from pyproj import CRS

    from fieldsurvey.frame.files import read_frame_boundaries
    from fieldsurvey.io.schema import WGS84

    root = Path(path)
    if not is_partitioned(root):
        raise InputError("this directory is not a complete partitioned frame (no _frame.json)",
                         file=root, hint="Build the frame again with fieldsurvey frame build "
                         "--engine dask (an interrupted build leaves no frame)")
    info = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    table = read_parts(root, info.pop("parts"))
    data = table.drop_columns(["geometry"]).to_pandas()
    geometry = gpd.GeoSeries.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False),
                                      crs=WGS84)
    gdf = gpd.GeoDataFrame(data, geometry=geometry, crs=WGS84)
    gdf = gdf.sort_values("source_row", kind="stable").reset_index(drop=True)
    qa = QAReport.from_dict(info.pop("qa", {}))
    fingerprint = info.pop("fingerprint")
    crs = CRS.from_wkt(info.pop("projected_crs"))
    info.pop("format", None)
    try:
        bnd = read_frame_boundaries(root, fingerprint)
    except InputError:
        bnd = None
    return FrameResult(gdf, qa, fingerprint, crs, info, bnd)


def read_parts(root: Path, parts: list[str], columns: list[str] | None = None,
               only: tuple[str, list[str]] | None = None) -> Any:
    """The parts of a partitioned frame as one Arrow table (read side by side).

    ``only=(column, values)`` keeps the rows whose ``column`` is one of ``values``, and
    reads only the row groups whose statistics (the parts are stored by community) can
    hold one of them.

    Raises
    ------
    InputError
        A part that is missing or unreadable (named).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted = np.array(sorted(only[1]) if only else [], dtype=object)

    def groups(file: Any, column: str) -> list[int]:
        meta, keep = file.metadata, []
        at = file.schema_arrow.names.index(column)
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(at).statistics
            if st is None or not st.has_min_max:
                keep.append(g)
                continue
            lo = np.searchsorted(wanted, str(st.min), side="left")
            if lo < len(wanted) and wanted[lo] <= str(st.max):
                keep.append(g)
        return keep

    def one(name: str) -> Any:
        try:
            if only is None:
                return pq.read_table(root / name, columns=columns)
            file = pq.ParquetFile(root / name)
            table = file.read_row_groups(groups(file, only[0]), columns=columns)
            values = pa.array(list(only[1]), type=table.schema.field(only[0]).type)
            return table.filter(pc.is_in(table.column(only[0]), value_set=values))
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError("a part of the partitioned frame is missing or unreadable",
                             file=root / name, got=str(exc)[:160],
                             hint="Build the frame again") from None

    with ThreadPoolExecutor(max_workers=max(1, min(len(parts), os.cpu_count() or 1))) as pool:
        tables = list(pool.map(one, parts))
    return pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()


def partitioned_manifest(path: str | Path) -> dict[str, Any]:
    """``_frame.json`` of a partitioned frame.

    Raises
    ------
    InputError
        A directory that is no complete partitioned frame.
    """
    root = Path(path)
    if not is_partitioned(root):
        raise InputError("this directory is not a complete partitioned frame (no _frame.json)",
                         file=root, hint="Build the frame again with fieldsurvey frame build "
                         "--engine dask (an interrupted build leaves no frame)")
    info: dict[str, Any] = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    return info


def unlisted(info: dict[str, Any]) -> list[dict[str, Any]]:
    """:attr:`FrameResult.unlisted_communities` of a partitioned frame, from its manifest."""
    from pyproj import CRS

    qa = QAReport.from_dict(info.get("qa", {}))
    return FrameResult(pd.DataFrame(), qa, str(info.get("fingerprint", "")),
                       CRS.from_wkt(info["projected_crs"])).unlisted_communities


def partitioned_report(path: str | Path) -> tuple[QAReport, str]:
    """The self-check and fingerprint of a partitioned frame, from ``_frame.json`` alone.

    Raises
    ------
    InputError
        A directory that is no complete partitioned frame.
    """
    info = partitioned_manifest(path)
    return QAReport.from_dict(info.get("qa", {})), str(info["fingerprint"])


def write_first_rows(firsts: Sequence[pd.DataFrame | None], folder: Path) -> None:
    """``_first_rows.parquet``: the first dwelling of every community, in listing order.

    ``firsts``: each output group's first dwelling per community (None for an empty group).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    firsts = [f for f in firsts if f is not None]
    if not firsts:
        return
    table = pd.concat(firsts, ignore_index=True).sort_values("source_row", kind="stable")
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), folder / FIRST_ROWS)


def manifest(parts: list[str], fp: str, crs_wkt: str, meta: dict[str, Any],
             qa: QAReport, community_columns: list[str] | None = None) -> str:
    """The text of ``_frame.json``.

    ``community_columns``: the columns constant within each community by construction
    (the boundaries' attributes), which ``_first_rows.parquet`` holds for a draw.
    """
    info = {"format": FORMAT, "fingerprint": fp, "projected_crs": crs_wkt, **meta,
            "qa": qa.to_dict(), "parts": parts}
    if community_columns is not None:
        info["first_rows"] = FIRST_ROWS
        info["community_columns"] = community_columns
    from fieldsurvey.frame.qa import _jsonable

    return json.dumps(info, ensure_ascii=False, default=_jsonable)
