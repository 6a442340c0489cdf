"""The pieces of a partitioned frame build: plain pandas functions of one partition or group.

No Dask here: these read a listing partition, assign it, leave it on disk split for the
shuffle (:mod:`fieldsurvey.frame.shuffle`), and check, order and write one group of
whole communities as a part of the frame directory; :mod:`fieldsurvey.frame.distributed`
maps them over a cluster. Every step calls the single-process build's own functions
(:func:`~fieldsurvey.frame.assign.assign_chunk` through the build's ``_assign``, the
self-check's helpers, :func:`~fieldsurvey.frame.order.geographic_order` through the
build's ``_finish``), so both engines share one implementation.

The frame directory itself (``_frame.json``, reading it back) is
:mod:`fieldsurvey.frame.partitioned`; its public functions are importable from here too.
"""

from __future__ import annotations

import glob as globlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.frame.assign import PreparedBoundaries
from fieldsurvey.frame.build import _assign, _finish, _listing_frame
from fieldsurvey.frame.files import FrameResult, write_frame
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.partitioned import (
    MANIFEST,
    PART_ROW_GROUP,
    is_partitioned,
    partitioned_manifest,
    partitioned_report,
    read_partitioned,
    read_parts,
    unlisted,
)
from fieldsurvey.frame.qa import (
    FLAG_COLUMNS,
    MAX_EXAMPLES,
    ROW_CHECKS,
    QAReport,
    _duplicates,
    _row_examples,
    address_identity,
    community_table,
)
from fieldsurvey.frame.shuffle import bucket_duplicates, dump, load, shuffle_file, split_part
from fieldsurvey.io.boundaries import Boundaries
from fieldsurvey.io.errors import InputError

__all__ = [
    "MANIFEST",
    "GroupStats",
    "Source",
    "find_sources",
    "finish_group",
    "is_partitioned",
    "partitioned_manifest",
    "partitioned_report",
    "read_partitioned",
    "read_parts",
    "read_source",
    "stage_part",
    "unlisted",
]

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
    dump(frame[["lon", "lat", "listed_community_id"]].iloc[cand],
          shuffle_file(folder, "cand", 0, part))
    groups, keys = split_part(frame, group_of, k)
    del frame
    for j in range(k):
        dump(groups[j], shuffle_file(folder, "group", j, part))
        dump(keys[j], shuffle_file(folder, "keys", j, part))
    return len(listing), len(cand)


def offset_sample_rows(folder: str, part: int, picks: np.ndarray) -> pd.DataFrame:
    """The picked offset-check rows of a partition (positions among its candidates)."""
    cand: pd.DataFrame = load(shuffle_file(folder, "cand", 0, part))
    return cand.iloc[picks]


def bucket_files(folder: str, j: int, parts: int, k: int) -> list[dict[str, np.ndarray]]:
    """:func:`bucket_duplicates` of hash bucket ``j``, its keys read from the shuffle files."""
    return bucket_duplicates([load(shuffle_file(folder, "keys", j, p)) for p in range(parts)],
                             k)


def finish_files(folder: str, j: int, parts: int, dups: list[list[dict[str, np.ndarray]]],
                 b: Boundaries, prepared: PreparedBoundaries, fp: str, meta: dict[str, Any],
                 unknown_words: list[str], path: str) -> GroupStats:
    """:func:`finish_group` of output group ``j``, its rows read from the shuffle files."""
    pieces = [load(shuffle_file(folder, "group", j, p)) for p in range(parts)]
    return finish_group(pieces, [d[j] for d in dups], b, prepared, fp, meta, unknown_words,
                        path)


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
    flags["qa_duplicate_address"] = _duplicates(
        [frame["community_index"].to_numpy(), *address_identity(frame)], has_addr)
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
