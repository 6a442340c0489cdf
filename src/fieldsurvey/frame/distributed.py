"""Frames past one machine: the frame build on a Dask cluster.

:func:`build_frame_dask` runs the build of :func:`fieldsurvey.frame.build_frame` as Dask
tasks (the functions of :mod:`fieldsurvey.frame.partitions`, which call the
single-process build's own assignment, checks and order):

1. the listing is read in partitions (a file's rows, a Parquet file's row groups, the
   files of a glob or a directory), the boundaries are sent once to every worker;
2. each partition is assigned (``assign_chunk`` through the build's ``_assign``);
3. a shuffle moves every street (or community, without streets) into one output
   group, and the duplicate tests' keys into hash buckets where equal keys meet;
4. each group is checked, geographically ordered and written as one GeoParquet part
   of a temporary directory; the self-check is reduced from the groups' statistics;
5. ``_frame.json`` (fingerprint, options, the self-check) is written and the directory
   is moved into place, so a frame on disk is always complete.

``scheduler`` (or ``DASK_SCHEDULER_ADDRESS``) names an existing cluster, whose workers
must see the same paths (a shared file system) and have fieldsurvey installed;
without it a ``LocalCluster`` bound to 127.0.0.1 runs for the build only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from fieldsurvey import __version__
from fieldsurvey.frame.assign import PreparedBoundaries, prepare
from fieldsurvey.frame.build import _file_digest, _resolve, fingerprint_inputs
from fieldsurvey.frame.files import boundaries_path, write_boundaries
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.partitions import (
    MANIFEST,
    GroupStats,
    Source,
    assign_part,
    bucket_duplicates,
    find_sources,
    finish_group,
    listing_facts,
    manifest,
    offset_candidates,
    offset_rows,
    pick,
    read_source,
    rows,
    split_part,
)
from fieldsurvey.frame.qa import QAReport
from fieldsurvey.frame.reductions import OffsetSample, merge_info, reduce_checks
from fieldsurvey.io.atomic import atomic_write_text
from fieldsurvey.io.boundaries import Boundaries, read_boundaries
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.errors import FieldsurveyError, InputError
from fieldsurvey.io.progress import Progress, report

__all__ = ["PartitionedFrame", "build_frame_dask", "dask_client"]

#: Rows per partition when one big file is read whole and then split.
PARTITION_ROWS = 250_000


@dataclass(frozen=True, eq=False)
class PartitionedFrame:
    """What a Dask build wrote: the frame directory and its self-check."""

    path: Path
    qa: QAReport
    fingerprint: str
    projected_crs: CRS
    dwellings: int
    parts: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    dashboard: str | None = None

    def __len__(self) -> int:
        return self.dwellings


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None,
                memory_limit: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` to ``scheduler``, else to a local cluster.

    ``scheduler`` defaults to ``DASK_SCHEDULER_ADDRESS``; without either, a
    ``LocalCluster`` on 127.0.0.1 runs for the ``with`` block and is closed after it.

    Raises
    ------
    InputError
        When the scheduler does not answer.
    """
    import logging

    import distributed

    # distributed has no type hints: its classes are used as Any
    Client: Any = distributed.Client  # noqa: N806
    LocalCluster: Any = distributed.LocalCluster  # noqa: N806

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if address:
        try:
            client = Client(address, timeout=10)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                "the Dask scheduler does not answer", field="--scheduler", got=f"{address} "
                f"({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})",
                hint="Start it with 'dask scheduler' and its workers with 'dask worker "
                "tcp://HOST:8786', check the address and the firewall, or leave --scheduler "
                "(and DASK_SCHEDULER_ADDRESS) out to run on this machine") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                           memory_limit=memory_limit or "auto", silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _inputs_digest(sources: list[Source]) -> str:
    files = sorted({s.path for s in sources})
    if len(files) == 1:
        return _file_digest(Path(files[0]))
    h = hashlib.sha256()
    for f in files:
        h.update(Path(f).name.encode() + b"\0" + _file_digest(Path(f)).encode())
    return h.hexdigest()


def _boundaries(boundaries: Any, opts: FrameOptions) -> tuple[Boundaries, PreparedBoundaries]:
    b = boundaries if isinstance(boundaries, Boundaries) else \
        read_boundaries(boundaries, opts.boundaries)
    proj = parse_crs(opts.projected_crs, field="projected_crs") if opts.projected_crs else None
    if proj is not None and not proj.is_projected:
        raise InputError("the working CRS must be projected (in metres)", field="projected_crs",
                         got=crs_label(proj),
                         hint="Give a UTM or Gauss-Kruger CRS, or leave it out")
    return b, prepare(b, proj)


class _Run:
    """Submits the tasks of one build and names what a failed task was working on."""

    def __init__(self, client: Any, progress: Progress | None) -> None:
        self.client = client
        self.progress = progress
        self.token = uuid.uuid4().hex[:8]
        self.what: dict[str, str] = {}

    def submit(self, fn: Callable[..., Any], *args: Any, name: str, what: str) -> Any:
        key = f"fieldsurvey-{name}-{self.token}"
        self.what[key] = what
        return self.client.submit(fn, *args, key=key, pure=False)

    def wait(self, futures: list[Any], step: str) -> list[Any]:
        """Results in order; progress as tasks finish (Dask's ``as_completed``)."""
        import distributed
        from distributed import KilledWorker

        as_completed: Any = distributed.as_completed

        total = len(futures)
        report(self.progress, step, 0, total)
        try:
            for done, _ in enumerate(as_completed(futures), start=1):
                report(self.progress, step, done, total)
            return list(self.client.gather(futures))
        except KilledWorker as exc:
            key = str(getattr(exc, "task", exc.args[0] if exc.args else ""))
            raise FieldsurveyError(
                f"a Dask worker died {getattr(exc, 'allowed_failures', 3) + 1} times while "
                f"working on {self.what.get(key, key)}, so the build stopped and wrote no frame",
                hint="Give the workers more memory (--memory-limit) or smaller partitions "
                "(split the listing into more files), then build again") from None


def build_frame_dask(
    boundaries: str | Path | Boundaries,
    dwellings: str | Path,
    options: FrameOptions | None = None,
    *,
    out: str | Path,
    report_path: str | Path | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    partition_rows: int = PARTITION_ROWS,
    client: Any = None,
    on_client: Callable[[Any], None] | None = None,
    **keywords: Any,
) -> PartitionedFrame:
    """Build the frame on Dask and write it as a partitioned GeoParquet directory.

    Parameters
    ----------
    boundaries
        Boundary file or :class:`~fieldsurvey.io.boundaries.Boundaries`.
    dwellings
        A listing file, a glob (``"listing/*.csv"``) or a directory of listing files
        (rows numbered on across the files in name order). Parquet files are read by
        row group.
    options, keywords
        As :func:`fieldsurvey.frame.build_frame`.
    out
        The frame directory to write (``frame.parquet``); the boundaries go beside it
        (``frame.boundaries.parquet``).
    report_path, progress
        The JSON self-check, and ``progress(step, done, total)``.
    scheduler, workers, memory_limit
        An existing cluster's address, else the local cluster's size and per-worker
        memory (``"3GiB"``).
    partition_rows
        Rows per partition when a single file is read whole.
    client
        A ``distributed.Client`` to use (the caller closes it).
    on_client
        Called with the client once connected (the CLI prints the dashboard).

    Raises
    ------
    FieldsurveyError
        As :func:`~fieldsurvey.frame.build_frame`; also a scheduler that does not answer,
        a glob that matches nothing, an unreadable partition, a worker that keeps dying.
    """
    opts = _resolve(options, keywords)
    target = Path(out)
    sources = find_sources(dwellings)
    b, prepared = _boundaries(boundaries, opts)
    if client is None:
        with dask_client(scheduler, workers=workers, memory_limit=memory_limit) as c:
            if on_client is not None:
                on_client(c)
            return _run(c, b, prepared, boundaries, dwellings, sources, opts, target,
                        report_path, progress, partition_rows)
    if on_client is not None:
        on_client(client)
    return _run(client, b, prepared, boundaries, dwellings, sources, opts, target,
                report_path, progress, partition_rows)


def _run(client: Any, b: Boundaries, prepared: PreparedBoundaries, boundaries: Any,
         dwellings: Any, sources: list[Source], opts: FrameOptions, target: Path,
         report_path: str | Path | None, progress: Progress | None,
         partition_rows: int) -> PartitionedFrame:
    run = _Run(client, progress)
    tmp = target.with_name(f".{target.name}.{run.token}.tmp")
    try:
        return _stages(run, b, prepared, boundaries, dwellings, sources, opts, target, tmp,
                       report_path, partition_rows)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _stages(run: _Run, b: Boundaries, prepared: PreparedBoundaries, boundaries: Any,
            dwellings: Any, sources: list[Source], opts: FrameOptions, target: Path, tmp: Path,
            report_path: str | Path | None, partition_rows: int) -> PartitionedFrame:
    # the boundaries as tasks, not scattered data: a worker that dies takes scattered
    # data with it for good, a task's result is made again
    b_f = run.submit(_same, b, name="boundaries", what="the boundaries")
    p_f = run.submit(_same, prepared, name="prepared", what="the boundaries")
    reads = [run.submit(read_source, s, opts, name=f"read-{i}", what=_describe(s))
             for i, s in enumerate(sources)]
    facts = run.wait([run.submit(listing_facts, r, name=f"facts-{i}", what=_describe(s))
                      for i, (r, s) in enumerate(zip(reads, sources, strict=True))], "read listing")
    # rows count on across files (as if concatenated); row groups of a file already do
    top: dict[str, int] = {}
    for s, (_, high, _) in zip(sources, facts, strict=True):
        top[s.path] = max(top.get(s.path, 0), high)
    offsets, running = {}, 0
    for path in dict.fromkeys(s.path for s in sources):
        offsets[path], running = running, running + top[path]
    digest = _inputs_digest(sources)
    assigned, position = [], 0
    for i, (r, s, (n, _, _)) in enumerate(zip(reads, sources, facts, strict=True)):
        for start in range(0, max(n, 1), partition_rows):
            stop = min(start + partition_rows, n)
            what = _describe(s, start, stop)
            piece = r if n <= partition_rows else run.submit(rows, r, start, stop,
                                                             name=f"rows-{i}-{start}", what=what)
            assigned.append(run.submit(assign_part, piece, p_f, offsets[s.path], position,
                                       opts.chunk_size, name=f"assign-{i}-{start}", what=what))
            position += stop - start
    # (reads stay referenced: a lost partition is recomputed from them)
    info = merge_info([f[2] for f in facts])
    if len(sources) > 1:
        info["path"] = str(dwellings)
    words = list((info.get("unknown_status") or {}).keys())
    # the offset check's evenly spaced sample, taken from the partitions in listing order
    counts = run.wait([run.submit(_count, a, name=f"cand-{i}", what="the offset sample")
                       for i, a in enumerate(assigned)], "assign dwellings")
    total = int(sum(counts))
    picks = np.linspace(0, total - 1, min(total, 20_000)).astype(np.int64) if total else \
        np.zeros(0, np.int64)
    starts = np.cumsum([0, *counts])
    sample_parts = run.wait([run.submit(offset_rows, a, picks[(picks >= lo) & (picks < hi)] - lo,
                                        name=f"sample-{i}", what="the offset sample")
                             for i, (a, lo, hi) in enumerate(zip(assigned, starts[:-1],
                                                                 starts[1:], strict=True))],
                            "self-check")
    sample = OffsetSample(pd.concat(sample_parts, ignore_index=True), position)
    # shuffle: whole streets (or communities) into k groups, duplicate keys into k buckets
    key = b.frame["street"] if "street" in b.frame else b.frame["community_id"]
    street = pd.factorize(key.astype(str), sort=True)[0]
    k = max(1, min(len(assigned), int(street.max(initial=0)) + 1))
    group_of = (street % k).astype(np.int64)
    splits = [run.submit(split_part, a, group_of, k, name=f"split-{i}", what=f"partition {i}")
              for i, a in enumerate(assigned)]
    del assigned
    buckets = [run.submit(bucket_duplicates, [run.submit(pick, s, 1, j, name=f"key-{i}-{j}",
                                                         what=f"partition {i}")
                                              for i, s in enumerate(splits)], k,
                          name=f"dups-{j}", what=f"duplicate bucket {j}") for j in range(k)]
    record_opts = opts.record()
    fp, record = fingerprint_inputs(
        {"boundaries": boundaries if isinstance(boundaries, (str, Path)) else b,
         "dwellings": dwellings}, record_opts,
        {"dwellings": digest} if not isinstance(dwellings, pd.DataFrame) else None)
    meta = {"version": __version__, "inputs": record, "options": record_opts,
            "projected_crs_label": crs_label(prepared.projected_crs), "listing": info,
            "boundaries": {"fields": b.fields, "notes": list(b.notes), "encoding": b.encoding},
            "engine": "dask"}
    tmp.mkdir(parents=True)
    parts = [f"part-{j:05d}.parquet" for j in range(k)]
    finished = [run.submit(
        finish_group, [run.submit(pick, s, 0, j, name=f"group-{i}-{j}", what=f"partition {i}")
                       for i, s in enumerate(splits)],
        [run.submit(pick, d, j, name=f"dup-{i}-{j}", what=f"duplicate bucket {i}")
         for i, d in enumerate(buckets)],
        b_f, p_f, fp, meta, words, str(tmp / parts[j]),
        name=f"finish-{j}", what=f"output part {parts[j]}") for j in range(k)]
    stats: list[GroupStats] = run.wait(finished, "check, order and write")
    qa = reduce_checks(stats, b, prepared, info, sample,
                       coverage_tolerance=opts.coverage_tolerance,
                       vacancy_threshold=opts.vacancy_threshold, coords=opts.coords,
                       boundary_coords=opts.boundaries.coords)
    return _publish(qa, stats, b, prepared, fp, meta, opts, target, tmp, report_path, dwellings)


def _same(value: Any) -> Any:
    return value


def _count(frame: pd.DataFrame) -> int:
    return len(offset_candidates(frame))


def _describe(s: Source, start: int | None = None, stop: int | None = None) -> str:
    where = f"the listing partition {s.path}"
    if s.row_group is not None:
        where += f" (row group {s.row_group})"
    if start is not None and stop is not None and (start or stop):
        where += f" rows {start + 1}-{stop}"
    return where


def _publish(qa: QAReport, stats: list[GroupStats], b: Boundaries, prepared: PreparedBoundaries,
             fp: str, meta: dict[str, Any], opts: FrameOptions, target: Path, tmp: Path,
             report_path: str | Path | None, dwellings: Any) -> PartitionedFrame:
    if report_path is not None:
        atomic_write_text(report_path, qa.to_json())
    if opts.strict and qa.has_errors:
        found = "; ".join(f"{c.check} ({c.count})" for c in qa.errors)
        raise InputError(
            "the self-check found errors, so the frame was not written (strict mode)",
            file=str(dwellings), got=found,
            hint="Fix the rows the report names" + (f" (see {report_path})" if report_path
                                                     else "") + ", or build without --strict")
    parts = tuple(s.file for s in stats if s.file)
    (tmp / MANIFEST).write_text(manifest(list(parts), fp, prepared.projected_crs.to_wkt(), meta,
                                         qa), encoding="utf-8")
    write_boundaries(b.frame, fp, boundaries_path(target))
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    elif old.exists():
        old.unlink()
    return PartitionedFrame(target, qa, fp, prepared.projected_crs, int(qa.summary["dwellings"]),
                            parts, meta)
