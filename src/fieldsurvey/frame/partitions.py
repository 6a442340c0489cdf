"""The pieces of a partitioned frame build, and reading a partitioned frame back.

No Dask here: these are plain pandas functions of one partition (read, assign, split
by community group, find duplicates in a hash bucket, check and order one group of
communities, write it), which :mod:`fieldsurvey.frame.distributed` maps over a cluster,
and :func:`read_partitioned`, which :func:`fieldsurvey.frame.read_frame` calls for a
frame directory. Every step calls the single-process build's own functions
(:func:`~fieldsurvey.frame.assign.assign_chunk` through the build's ``_assign``, the
self-check's helpers, :func:`~fieldsurvey.frame.order.geographic_order` through the
build's ``_finish``), so both engines share one implementation.

A partitioned frame is a directory ``frame.parquet/`` holding ``part-00000.parquet`` ...
(each one group of whole streets, or of communities when the boundaries have no
street) and ``_frame.json`` with the fingerprint, options and self-check of the whole
frame; ``_frame.json`` is written last, so a directory without it is no frame.
"""

from __future__ import annotations

import glob as globlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.frame.assign import PreparedBoundaries
from fieldsurvey.frame.build import _assign, _finish, _listing_frame
from fieldsurvey.frame.files import FORMAT, FrameResult, write_frame
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.order import factorize_column
from fieldsurvey.frame.qa import (
    FLAG_COLUMNS,
    MAX_EXAMPLES,
    ROW_CHECKS,
    QAReport,
    _duplicates,
    _norm_address,
    _point_key,
    _row_examples,
    community_table,
)
from fieldsurvey.io.boundaries import Boundaries
from fieldsurvey.io.errors import InputError

__all__ = [
    "MANIFEST",
    "Source",
    "find_sources",
    "is_partitioned",
    "partitioned_report",
    "read_partitioned",
]

MANIFEST = "_frame.json"
#: The first dwelling of every community (all columns), for a draw's stage 1.
FIRST_ROWS = "_first_rows.parquet"
#: Rows per row group of a part (a draw reads only the row groups of its communities).
PART_ROW_GROUP = 32_768
_LISTING_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls", ".parquet", ".geojson", ".gpkg",
                     ".shp", ".json", ".fgb", ".pbf"}
_TABLE_SUMS = ("listed", "occupied", "vacant", "non_residential", "unknown", "listed_households")


@dataclass(frozen=True)
class Source:
    """One partition of the listing: a file, or one row group of a Parquet file."""

    path: str
    row_group: int | None = None
    row_start: int = 0
    """Rows of the same file before this row group."""


def find_sources(dwellings: str | Path) -> list[Source]:
    """The listing partitions of a file, a glob or a directory (files in name order).

    Raises
    ------
    InputError
        A glob or directory that matches no listing file.
    """
    text = str(dwellings)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file()
                       and p.suffix.lower() in _LISTING_SUFFIXES
                       and not p.name.startswith((".", "_")))
        what = f"the directory {text} holds no listing file (CSV, XLSX, Parquet or a vector layer)"
    elif any(c in text for c in "*?["):
        files = sorted(Path(p) for p in globlib.glob(text) if Path(p).is_file())
        what = f"the pattern {text} matches no file"
    else:
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", text)
        files = [path]
        what = ""
    if not files:
        raise InputError(what, field="--dwellings",
                         hint="Check the pattern or directory (quote a glob so the shell "
                         "leaves it to fieldsurvey)")
    out: list[Source] = []
    for f in files:
        if f.suffix.lower() != ".parquet":
            out.append(Source(str(f)))
            continue
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(f).metadata
        except Exception as exc:  # noqa: BLE001 - any reader failure names the file
            raise InputError("the listing partition cannot be read as Parquet", file=f,
                             got=str(exc)[:160], hint="Replace or remove the file") from None
        start = 0
        for g in range(meta.num_row_groups):
            out.append(Source(str(f), g, start))
            start += meta.row_group(g).num_rows
    return out


def read_source(source: Source, opts: FrameOptions) -> pd.DataFrame:
    """Read and normalise one listing partition (the build's own reader)."""
    if Path(source.path).suffix.lower() != ".parquet":
        return _listing_frame(source.path, opts)
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(source.path).read_row_group(source.row_group or 0)
    except Exception as exc:  # noqa: BLE001 - a damaged partition is named, whatever broke
        raise InputError("the listing partition cannot be read", file=source.path,
                         row=None, field=f"row group {source.row_group}", got=str(exc)[:160],
                         hint="Replace the file, or remove it from the listing") from None
    out = _listing_frame(table.to_pandas(), opts)
    if source.row_start:
        out["source_row"] = out["source_row"] + source.row_start
    out.attrs["fieldsurvey"] = {**out.attrs.get("fieldsurvey", {}), "path": source.path}
    return out


def listing_facts(listing: pd.DataFrame) -> tuple[int, int, dict[str, Any]]:
    """Rows, the largest ``source_row`` and the reader's notes of a partition."""
    top = int(listing["source_row"].max()) if len(listing) else 0
    return len(listing), top, dict(listing.attrs.get("fieldsurvey", {}))


def rows(listing: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    """Rows ``start:stop`` of a partition read whole (a single big file)."""
    part: pd.DataFrame = listing.iloc[start:stop]
    return part


def assign_part(listing: pd.DataFrame, prepared: PreparedBoundaries, row_offset: int,
                position: int, chunk_size: int) -> pd.DataFrame:
    """Assign a partition (the build's ``_assign``); ``_pos`` = row of the whole listing."""
    if row_offset:
        listing = listing.assign(source_row=listing["source_row"] + row_offset)
    frame = _assign(listing, prepared, chunk_size, None)
    frame["_pos"] = np.arange(position, position + len(frame), dtype=np.int64)
    return frame


def offset_candidates(frame: pd.DataFrame) -> np.ndarray:
    """Rows the web-map offset check may look at (coordinates in China's box).

    The same test as :func:`fieldsurvey.frame.qa._offset_check` makes on the whole frame.
    """
    lon = frame["lon"].to_numpy(dtype=float)
    lat = frame["lat"].to_numpy(dtype=float)
    return np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)
                          & (lon > 72.0) & (lon < 137.9) & (lat > 0.8) & (lat < 55.9))


def _dump(value: Any, path: Path) -> None:
    """Pickle ``value`` to ``path`` (a shuffle file: written whole, then renamed)."""
    import pickle

    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=5)
    tmp.replace(path)


def _load(path: Path) -> Any:
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own shuffle file of this build


def shuffle_file(folder: str | Path, kind: str, j: int, part: int) -> Path:
    """Where partition ``part`` leaves its rows of output group (or bucket) ``j``."""
    return Path(folder) / f"{kind}-{j:05d}-{part:06d}.pkl"


def stage_part(listing: pd.DataFrame, prepared: PreparedBoundaries, row_offset: int,
               part: int, group_of: np.ndarray, k: int, chunk_size: int,
               folder: str) -> tuple[int, int]:
    """Assign one listing partition and leave it on disk, split for the shuffle.

    Writes the rows of each output group, the duplicate-test keys of each hash bucket
    and the rows the web-map offset check may look at, as files of ``folder`` (a
    shared directory: any worker reads them back), so no worker holds more than the
    partitions it works on. ``_pos`` is ``part * 2**32`` plus the row of the
    partition: the listing order. Returns the rows and the offset candidates.
    """
    frame = assign_part(listing, prepared, row_offset, part << 32, chunk_size)
    cand = offset_candidates(frame)
    _dump(frame[["lon", "lat", "listed_community_id"]].iloc[cand],
          shuffle_file(folder, "cand", 0, part))
    groups, keys = split_part(frame, group_of, k)
    del frame
    for j in range(k):
        _dump(groups[j], shuffle_file(folder, "group", j, part))
        _dump(keys[j], shuffle_file(folder, "keys", j, part))
    return len(listing), len(cand)


def offset_sample_rows(folder: str, part: int, picks: np.ndarray) -> pd.DataFrame:
    """The picked offset-check rows of a partition (positions among its candidates)."""
    cand: pd.DataFrame = _load(shuffle_file(folder, "cand", 0, part))
    return cand.iloc[picks]


def bucket_files(folder: str, j: int, parts: int, k: int) -> list[dict[str, np.ndarray]]:
    """:func:`bucket_duplicates` of hash bucket ``j``, its keys read from the shuffle files."""
    return bucket_duplicates([_load(shuffle_file(folder, "keys", j, p)) for p in range(parts)],
                             k)


def finish_files(folder: str, j: int, parts: int, dups: list[list[dict[str, np.ndarray]]],
                 b: Boundaries, prepared: PreparedBoundaries, fp: str, meta: dict[str, Any],
                 unknown_words: list[str], path: str) -> GroupStats:
    """:func:`finish_group` of output group ``j``, its rows read from the shuffle files."""
    pieces = [_load(shuffle_file(folder, "group", j, p)) for p in range(parts)]
    return finish_group(pieces, [d[j] for d in dups], b, prepared, fp, meta, unknown_words,
                        path)


def text_buckets(values: pd.Series, k: int) -> np.ndarray:
    """A bucket in ``0..k-1`` per text value, equal texts equal buckets, on every worker.

    A multiplicative hash of the length and the last 8 bytes of each UTF-8 string, read
    straight from the Arrow buffers (no Python strings are made); missing -> 0.
    """
    import pyarrow as pa

    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else \
        np.zeros(1, dtype=np.uint8)
    lo, hi = offsets[:-1], offsets[1:]
    h = (hi - lo).astype(np.uint64)
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for j in range(1, 9):
            at = hi - j
            ok = at >= lo
            byte = data[np.where(ok, np.minimum(at, len(data) - 1), 0)].astype(np.uint64)
            h = (h * prime) ^ np.where(ok, byte, np.uint64(0))
        h = (h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    return (h % np.uint64(k)).astype(np.int64)


def _int_buckets(values: np.ndarray, k: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = (values.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    return (h % np.uint64(k)).astype(np.int64)


def _pieces(frame: pd.DataFrame, which: np.ndarray, k: int) -> list[pd.DataFrame]:
    """The rows of each ``which`` value 0..k-1, in their order (one take in all)."""
    order = np.argsort(which, kind="stable")
    starts = np.searchsorted(which[order], np.arange(k + 1))
    ordered = frame.iloc[order]  # one take per column; the pieces are slices of it
    return [ordered.iloc[starts[j]:starts[j + 1]] for j in range(k)]


def split_part(frame: pd.DataFrame, group_of: np.ndarray, k: int
               ) -> tuple[list[pd.DataFrame], list[tuple[pd.DataFrame, pd.DataFrame]]]:
    """Split an assigned partition for the shuffle.

    Returns the rows of each output group (by the community's street, ``group_of``
    maps community index -> group; rows without a community go by their listed id),
    and the duplicate-test keys of each hash bucket (ids and points).
    """
    ci = frame["community_index"].to_numpy()
    group = group_of[np.maximum(ci, 0)]
    none = np.flatnonzero(ci < 0)
    if len(none):
        group[none] = text_buckets(frame["community_id"].iloc[none], k)
    point = _point_key(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    keys = frame[["_pos", "dwelling_id", "unit", "floor", "door"]].assign(
        _group=group, point=point)
    has_point = ~frame["missing_coordinates"].to_numpy(dtype=bool)
    ids = _pieces(keys[["_pos", "_group", "dwelling_id"]], text_buckets(keys["dwelling_id"], k), k)
    pts = keys[has_point].drop(columns=["dwelling_id"])
    by_point = _pieces(pts, _int_buckets(pts["point"].to_numpy(), k), k)
    return _pieces(frame, group, k), list(zip(ids, by_point, strict=True))


def bucket_duplicates(pieces: list[tuple[pd.DataFrame, pd.DataFrame]], k: int
                      ) -> list[dict[str, np.ndarray]]:
    """Exact duplicate tests within one hash bucket (all rows with equal keys are here).

    Returns, per output group, the ``_pos`` of its rows with a duplicated id and a
    duplicated point (same point, unit, floor and door), as the self-check defines them.
    """
    ids = pd.concat([p[0] for p in pieces], ignore_index=True)
    pts = pd.concat([p[1] for p in pieces], ignore_index=True)
    dup_id = _duplicates([ids["dwelling_id"]], np.ones(len(ids), dtype=bool))
    point = pd.factorize(pts["point"])[0].astype(np.int64)
    ufd = [factorize_column(pts, c)[0] for c in ("unit", "floor", "door")]
    dup_pt = _duplicates([point, *ufd], np.ones(len(pts), dtype=bool))
    out = []
    for j in range(k):
        out.append({
            "qa_duplicate_id": ids["_pos"].to_numpy()[dup_id & (ids["_group"].to_numpy() == j)],
            "qa_duplicate_point": pts["_pos"].to_numpy()[dup_pt & (pts["_group"].to_numpy() == j)],
        })
    return out


@dataclass
class GroupStats:
    """What one output group contributes to the self-check (reduced on the client)."""

    rows: int = 0
    assigned: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    file: str | None = None
    firsts: pd.DataFrame | None = None
    """The first dwelling (in listing order) of each community of the group."""


def finish_group(pieces: list[pd.DataFrame], dups: list[dict[str, np.ndarray]],
                 b: Boundaries, prepared: PreparedBoundaries, fp: str, meta: dict[str, Any],
                 unknown_words: list[str], path: str) -> GroupStats:
    """Check, order and write one group of whole communities.

    Rows are put back in listing order (``_pos``), so the geographic order of each
    community (:func:`~fieldsurvey.frame.order.geographic_order`, ties by listing
    order) is the single-process one.
    """
    frame = pd.concat(pieces).sort_values("_pos", kind="stable").reset_index(drop=True)
    if len(frame) == 0:
        return GroupStats()
    pos = frame["_pos"].to_numpy()
    flags: dict[str, np.ndarray] = {
        "qa_outside": frame["outside_boundaries"].to_numpy(dtype=bool),
        "qa_unassigned": frame["community_id"].isna().to_numpy(),
        "qa_in_several": frame["in_several_boundaries"].to_numpy(dtype=bool),
        "qa_missing_coordinates": frame["missing_coordinates"].to_numpy(dtype=bool),
    }
    for name in ("qa_duplicate_id", "qa_duplicate_point"):
        found = np.concatenate([d[name] for d in dups]) if dups else np.zeros(0, np.int64)
        flags[name] = np.isin(pos, found)
    # addresses repeat only within a community (and compound): the group holds it whole
    has_addr = frame["address"].notna().to_numpy()
    address = _norm_address(frame["address"]).to_pandas()
    compound = factorize_column(frame, "compound")[0] if "compound" in frame else \
        np.zeros(len(frame), dtype=np.int64)
    flags["qa_duplicate_address"] = _duplicates(
        [frame["community_index"].to_numpy(), compound, address], has_addr)
    flags["qa_community_mismatch"] = frame["community_mismatch"].to_numpy(dtype=bool)
    flags["qa_unknown_community"] = frame["unknown_community"].to_numpy(dtype=bool)
    flags["qa_unknown_status"] = (frame["status_word"].isin(unknown_words).to_numpy()
                                  if unknown_words and "status_word" in frame
                                  else np.zeros(len(frame), dtype=bool))
    flags = {name: flags[name] for name in FLAG_COLUMNS}  # the single-process column order
    stats = GroupStats(rows=len(frame), assigned=int((~flags["qa_unassigned"]).sum()))
    est = frame["estimated"].to_numpy(dtype=bool)
    for check, flag, extra in (*ROW_CHECKS, ("estimated_dwellings", "", ())):
        mask = est if not flag else flags[flag]
        stats.counts[check] = int(mask.sum())
        where = np.flatnonzero(mask)[:MAX_EXAMPLES]
        stats.examples[check] = list(zip(pos[where].tolist(),
                                         _row_examples(frame, mask, extra), strict=True))
    part = community_table(frame, b, "households")
    stats.table = part[["community_id", *_TABLE_SUMS]]
    qa = QAReport((), flags=flags)
    result = _finish(frame.drop(columns=["_pos"]), b, prepared, qa, fp, meta, None, {})
    # stored by community and geographic order in row groups of PART_ROW_GROUP rows, so
    # a reader wanting a few communities skips the row groups of the others (their
    # community_id statistics); read back, the rows are in listing order again
    data = result.data
    named = data["community_id"].notna().to_numpy()
    stats.firsts = data[named].drop_duplicates("community_id").reset_index(drop=True)
    by = np.lexsort((data["order"].to_numpy(),
                     pd.factorize(data["community_id"], sort=True)[0]))
    data = data.take(by).reset_index(drop=True)
    write_frame(FrameResult(data, qa, fp, prepared.projected_crs, {"part": True}), path,
                row_group_size=PART_ROW_GROUP)
    stats.file = Path(path).name
    return stats


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


def write_first_rows(stats: list[GroupStats], folder: Path) -> None:
    """``_first_rows.parquet``: the first dwelling of every community, in listing order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    firsts = [s.firsts for s in stats if s.firsts is not None]
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
