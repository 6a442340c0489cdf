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
import multiprocessing
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
from fieldsurvey.frame.build import _file_digest, _resolve, community_columns, fingerprint_inputs
from fieldsurvey.frame.files import boundaries_path, write_boundaries
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.partitioned import MANIFEST, manifest, write_first_rows
from fieldsurvey.frame.partitions import (
    GroupStats,
    Source,
    bucket_files,
    find_sources,
    finish_files,
    listing_facts,
    offset_sample_rows,
    read_source,
    rows,
    stage_part,
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
                memory_limit: str | None = None, processes: bool = True
                ) -> Iterator[Any]:
    """A ``distributed.Client`` to ``scheduler``, else to a local cluster.

    ``scheduler`` defaults to ``DASK_SCHEDULER_ADDRESS``; without either, a
    ``LocalCluster`` on 127.0.0.1 runs for the ``with`` block and is closed after it:
    ``workers`` processes of one thread (pandas holds the GIL too much for threads to
    share a process well; ``processes=False`` runs them as threads of this process),
    each with ``memory_limit`` (``"3GiB"``; Dask's default share of the machine without).

    Raises
    ------
    InputError
        When the scheduler does not answer.
    """
    import logging

    import dask
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
    where = {"host": "127.0.0.1"} if processes else {}  # threads: in-process comms
    # worker processes come from a fork server where there is one (POSIX): a clean
    # process that imports distributed, numpy and pandas once, then forks each worker in a
    # fraction of a second (spawned ones spend seconds importing them again). Never a fork
    # of this process: it has threads (a test session's, pyarrow's, the event loops of
    # earlier clusters), and a child forked while one of them held a lock can hang at
    # start for ever (a 2-worker cluster in the test suite under load did)
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else \
        dask.config.get("distributed.worker.multiprocessing-method")
    # (and without the statistical profiler, which samples every worker's stack 100
    # times a second, and with the event-loop, system and memory monitors polling a few
    # times a second instead of tens: idle, they cost a tenth of a core, and under load
    # the half of a 1M build's CPU)
    with dask.config.set({"distributed.worker.multiprocessing-method": method,
                          "distributed.worker.profile.enabled": False,
                          "distributed.admin.tick.interval": "500ms",
                          "distributed.admin.system-monitor.interval": "2s",
                          "distributed.worker.memory.monitor-interval": "500ms"}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, **where,
                               dashboard_address="127.0.0.1:0",
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

    def submit(self, fn: Callable[..., Any], *args: Any, name: str, what: str,
               near: Any = None) -> Any:
        """Submit ``fn(*args)``; ``near``: run it where that future's data is, if free."""
        key = f"fieldsurvey-{name}-{self.token}"
        self.what[key] = what
        where: dict[str, Any] = {}
        if near is not None:
            holders = self.client.who_has([near]).get(near.key)
            if holders:
                where = {"workers": list(holders), "allow_other_workers": True}
        return self.client.submit(fn, *args, key=key, pure=False, **where)

    @contextlib.contextmanager
    def named_failures(self) -> Iterator[None]:
        """A worker that keeps dying becomes one paragraph naming its partition."""
        from distributed import KilledWorker

        try:
            yield
        except KilledWorker as exc:
            key = str(getattr(exc, "task", exc.args[0] if exc.args else ""))
            raise FieldsurveyError(
                f"a Dask worker died {getattr(exc, 'allowed_failures', 3) + 1} times while "
                f"working on {self.what.get(key, key)}, so the build stopped and wrote no frame",
                hint="Give the workers more memory (--memory-limit) or smaller partitions "
                "(split the listing into more files), then build again") from None

    def result(self, future: Any) -> Any:
        """One task's result."""
        with self.named_failures():
            return future.result()

    def wait(self, futures: list[Any], step: str) -> list[Any]:
        """Results in order; progress as tasks finish (Dask's ``as_completed``)."""
        import distributed

        as_completed: Any = distributed.as_completed

        total = len(futures)
        report(self.progress, step, 0, total)
        with self.named_failures():
            for done, _ in enumerate(as_completed(futures), start=1):
                report(self.progress, step, done, total)
            return list(self.client.gather(futures))


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
    shuffle = target.with_name(f".{target.name}.{run.token}.shuffle")
    try:
        shuffle.mkdir(parents=True)
        return _stages(run, b, prepared, boundaries, dwellings, sources, opts, target, tmp,
                       shuffle, report_path, partition_rows)
    finally:
        for folder in (tmp, shuffle):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)


def _groups(b: Boundaries, sources: list[Source], partition_rows: int) -> tuple[np.ndarray, int]:
    """Output group of each community (whole streets together) and the number of groups.

    About ``partition_rows`` dwellings per group (rows counted from Parquet metadata,
    else estimated at 100 bytes a row), at most one group per street.
    """
    key = b.frame["street"] if "street" in b.frame else b.frame["community_id"]
    street = pd.factorize(key.astype(str), sort=True)[0]
    estimate = 0
    for path in dict.fromkeys(s.path for s in sources):
        if Path(path).suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            estimate += int(pq.ParquetFile(path).metadata.num_rows)
        else:
            estimate += Path(path).stat().st_size // 100
    k = max(1, min(-(-estimate // max(partition_rows, 1)), int(street.max(initial=0)) + 1))
    return (street % k).astype(np.int64), k


def _stages(run: _Run, b: Boundaries, prepared: PreparedBoundaries, boundaries: Any,
            dwellings: Any, sources: list[Source], opts: FrameOptions, target: Path, tmp: Path,
            shuffle: Path, report_path: str | Path | None,
            partition_rows: int) -> PartitionedFrame:
    # the boundaries as tasks, not scattered data: a worker that dies takes scattered
    # data with it for good, a task's result is made again
    p_f = run.submit(_same, prepared, name="prepared", what="the boundaries")
    group_of, k = _groups(b, sources, partition_rows)
    staged, infos = _stage_listing(run, p_f, sources, opts, str(shuffle), group_of, k,
                                   partition_rows)
    digest = _inputs_digest(sources)  # (the client hashes while the workers assign)
    facts = run.wait(staged, "assign dwellings")
    parts = len(facts)
    info = merge_info(infos)
    if len(sources) > 1:
        info["path"] = str(dwellings)
    words = list((info.get("unknown_status") or {}).keys())
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
    names = [f"part-{j:05d}.parquet" for j in range(k)]
    b_f = run.submit(_same, b, name="boundaries", what="the boundaries")
    buckets = [run.submit(bucket_files, str(shuffle), j, parts, k, name=f"dups-{j}",
                          what=f"duplicate bucket {j}") for j in range(k)]
    finished = [run.submit(finish_files, str(shuffle), j, parts, buckets, b_f, p_f, fp, meta,
                           words, str(tmp / names[j]), name=f"finish-{j}",
                           what=f"output part {names[j]}") for j in range(k)]
    sample = _offset_sample(run, str(shuffle), [int(f[1]) for f in facts],
                            int(sum(f[0] for f in facts)))
    stats: list[GroupStats] = run.wait(finished, "check, order and write")
    qa = reduce_checks(stats, b, prepared, info, sample,
                       coverage_tolerance=opts.coverage_tolerance,
                       vacancy_threshold=opts.vacancy_threshold, coords=opts.coords,
                       boundary_coords=opts.boundaries.coords)
    return _publish(qa, stats, b, prepared, fp, meta, opts, target, tmp, report_path, dwellings)


def _stage_listing(run: _Run, p_f: Any, sources: list[Source], opts: FrameOptions,
                   shuffle: str, group_of: np.ndarray, k: int, partition_rows: int
                   ) -> tuple[list[Any], list[dict[str, Any]]]:
    """Read, assign and split the listing partitions, a few at a time.

    Rows are numbered on across files (as if concatenated), so a partition's row
    offset is known once the partitions before it are read: reads run at most
    ``window`` ahead of the partitions being assigned, and a read is dropped as soon
    as its partition is on disk, so memory holds a few partitions, not the listing.
    """
    threads = sum(run.client.nthreads().values()) or 1
    window = 2 * threads
    reads: dict[int, tuple[Any, Any]] = {}

    def read(i: int) -> None:
        s = sources[i]
        r = run.submit(read_source, s, opts, name=f"read-{i}", what=_describe(s))
        reads[i] = (r, run.submit(listing_facts, r, name=f"facts-{i}", what=_describe(s)))

    staged: list[Any] = []
    infos: list[dict[str, Any]] = []
    offset = top = 0
    ahead = 0
    report(run.progress, "read listing", 0, len(sources))
    for i, s in enumerate(sources):
        while ahead < len(sources) and ahead <= i + window:
            read(ahead)
            ahead += 1
        r, f = reads.pop(i)
        n, high, info = run.result(f)
        report(run.progress, "read listing", i + 1, len(sources))
        infos.append(info)
        top = max(top, high)
        for start in range(0, max(n, 1), partition_rows):
            stop = min(start + partition_rows, n)
            what = _describe(s, start, stop)
            piece = r if n <= partition_rows else run.submit(
                rows, r, start, stop, name=f"rows-{i}-{start}", what=what)
            staged.append(run.submit(stage_part, piece, p_f, offset, len(staged), group_of, k,
                                     opts.chunk_size, shuffle, name=f"assign-{i}-{start}",
                                     what=what, near=r))  # (a partition is not moved)
        del r, f
        if i + 1 == len(sources) or sources[i + 1].path != s.path:
            offset, top = offset + top, 0  # the next file's rows follow this one's
    return staged, infos


def _offset_sample(run: _Run, shuffle: str, counts: list[int], n: int) -> OffsetSample:
    """The offset check's evenly spaced sample, taken from the partitions in listing order."""
    total = int(sum(counts))
    picks = np.linspace(0, total - 1, min(total, 20_000)).astype(np.int64) if total else \
        np.zeros(0, np.int64)
    starts = np.cumsum([0, *counts])
    pieces = [run.submit(offset_sample_rows, shuffle, i, picks[(picks >= lo) & (picks < hi)] - lo,
                         name=f"sample-{i}", what="the offset sample")
              for i, (lo, hi) in enumerate(zip(starts[:-1], starts[1:], strict=True))
              if hi > lo or (i == 0 and total == 0)]
    return OffsetSample(pd.concat(run.wait(pieces, "self-check"), ignore_index=True), n)


def _same(value: Any) -> Any:
    return value


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
    write_first_rows([s.firsts for s in stats], tmp)
    (tmp / MANIFEST).write_text(manifest(list(parts), fp, prepared.projected_crs.to_wkt(), meta,
                                         qa, community_columns(b)), encoding="utf-8")
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
