"""The shuffle of a partitioned frame build: which rows go where, and the files between tasks.

A listing partition, once assigned, is split (:func:`split_part`) into the rows of each
output group (whole streets, or communities) and the duplicate-test keys of each hash
bucket (:func:`text_buckets`: equal texts land in equal buckets on every worker), left on
a shared directory as pickle files (:func:`dump`, :func:`shuffle_file`) for the tasks of
the next step; :func:`bucket_duplicates` runs the self-check's exact duplicate tests
within one bucket. Plain numpy / pandas / pyarrow: no Dask here
(:mod:`fieldsurvey.frame.distributed` maps these over a cluster).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.frame.qa import POINT_IDENTITY, _duplicates, _point_key, point_identity

__all__ = [
    "bucket_duplicates",
    "dump",
    "load",
    "shuffle_file",
    "split_part",
    "text_buckets",
]


def dump(value: Any, path: Path) -> None:
    """Pickle ``value`` to ``path`` (a shuffle file: written whole, then renamed)."""
    import pickle

    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=5)
    tmp.replace(path)


def load(path: Path) -> Any:
    """Read back a shuffle file written by :func:`dump`."""
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own shuffle file of this build


def shuffle_file(folder: str | Path, kind: str, j: int, part: int) -> Path:
    """Where partition ``part`` leaves its rows of output group (or bucket) ``j``."""
    return Path(folder) / f"{kind}-{j:05d}-{part:06d}.pkl"


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
    keys = frame[["_pos", "dwelling_id", *(c for c in POINT_IDENTITY if c in frame)]].assign(
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
    dup_pt = _duplicates([point, *point_identity(pts)], np.ones(len(pts), dtype=bool))
    out = []
    for j in range(k):
        out.append({
            "qa_duplicate_id": ids["_pos"].to_numpy()[dup_id & (ids["_group"].to_numpy() == j)],
            "qa_duplicate_point": pts["_pos"].to_numpy()[dup_pt & (pts["_group"].to_numpy() == j)],
        })
    return out
