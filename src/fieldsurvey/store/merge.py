"""Merge device stores into one: idempotent, order-independent, nothing lost.

Why it is a safe merge: every table of a store is either

* an **append-only set** (``events``, ``attempts``, ``forms``, ``review_comments``):
  merged by union on its key, or
* a **last-writer-wins register** (``assignments``, ``roster``, ``selection``,
  ``answers``, ``overrides``, and the status, review and position of ``interviews``):
  each row carries the version ``(hlc, device_id, seq)`` of the event that wrote it, and
  the merge keeps the row with the greater version.

Union and "max by a total order" are both associative, commutative and idempotent, so
merging A then B, B then A, or A twice gives the same store. The event log keeps every
set, change and clear from every device, so an edit that lost the register is still
there; the same answer edited on two devices is listed by :func:`find_conflicts`
(``fieldsurvey merge --conflicts``), never silently dropped.

A source is refused, with a clear message, when it is not a field store, is damaged,
comes from another survey, or from a newer fieldsurvey. An older source is migrated on a
temporary copy (the source file is never changed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sqlite3
import tempfile
import uuid as _uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.store import _files
from fieldsurvey.store.conflicts import ANSWER_KINDS, find_conflicts
from fieldsurvey.store.schema import SCHEMA_VERSION, configure, migrate
from fieldsurvey.store.store import Clock, FieldStore

__all__ = ["MergeResult", "SourceReport", "find_conflicts", "merge_stores"]


# (table, key columns, version prefix) of the last-writer-wins registers
_REGISTERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("assignments", ("dwelling_id",), "ver"),
    ("roster", ("dwelling_id", "line"), "ver"),
    ("selection", ("dwelling_id",), "ver"),
    ("overrides", ("dwelling_id",), "ver"),
)
# (media: files of media answers, one row per SHA-256 — a union by hash, idempotent)
_SETS: tuple[str, ...] = ("attempts", "review_comments", "editors", "media")
# groups of interview columns merged as registers: version prefix -> columns
_INTERVIEW_GROUPS: dict[str, tuple[str, ...]] = {
    "st": ("status", "outcome", "completed_at"),
    "pos": ("position",),
    "rv": ("review_state", "reviewer", "review_comment", "reviewed_at"),
}


@dataclass(frozen=True)
class SourceReport:
    """What merging one source did."""

    source: str
    device_id: str
    events_seen: int
    events_new: int

    @property
    def message(self) -> str:
        """One line for the merge log."""
        if self.events_new == 0:
            return (f"{self.source} (device {self.device_id}): {self.events_seen} events, "
                    "all already merged")
        return (f"{self.source} (device {self.device_id}): {self.events_seen} events, "
                f"{self.events_new} new")


@dataclass(frozen=True)
class MergeResult:
    """The outcome of :func:`merge_stores`.

    One report per source, the conflicts found in the merged store, the log lines (also
    kept in its ``merge_log`` table) and warnings about sources that may be incomplete.
    """

    into: Path
    sources: tuple[SourceReport, ...]
    conflicts: pd.DataFrame
    warnings: tuple[str, ...] = ()

    @property
    def log(self) -> list[str]:
        """The merge log, one line per source plus a summary."""
        lines = [s.message for s in self.sources]
        n_new = sum(s.events_new for s in self.sources)
        n_itv = self.conflicts["interview_uuid"].nunique() if len(self.conflicts) else 0
        lines.append(f"merged {len(self.sources)} store(s) into {self.into}: {n_new} new events; "
                     f"{n_itv} interview(s) with conflicting edits"
                     + (" (list them with `fieldsurvey merge --conflicts`)" if n_itv else ""))
        return lines


def _columns(conn: sqlite3.Connection, table: str, schema: str = "main") -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


#: Sources smaller than this (bytes) are verified with ``PRAGMA quick_check`` by default.
CHECK_LIMIT = 64 * 1024 * 1024


def _source_meta(path: Path, check: bool | None) -> tuple[int, dict[str, str]]:
    version = _files.inspect_file(path)
    if check is None:
        check = path.stat().st_size < CHECK_LIMIT
    try:
        conn = sqlite3.connect(_files.source_uri(path), uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall() if check else [("ok",)]
            if rows != [("ok",)]:
                raise sqlite3.DatabaseError("; ".join(str(r[0]) for r in rows[:3]))
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _files._damaged(path, exc) from exc
    return version, meta


def merge_stores(sources: Sequence[str | Path], into: str | Path, *,
                 progress: Progress | None = None, clock: Clock | None = None,
                 check: bool | None = None, group: bool = False) -> MergeResult:
    """Merge device stores into ``into`` (created when missing).

    Parameters
    ----------
    sources
        Store files to merge (device stores, or other central stores).
    into
        The central store; created (role ``central``) from the first source's survey id
        when it does not exist.
    progress
        Optional ``progress(step, done, total)`` callback.
    clock
        Wall clock for the merge log (tests).
    check
        Verify each source with SQLite's ``quick_check`` first (it reads the whole file).
        Default: for sources under 64 MB; larger ones are still refused if SQLite finds a
        damaged page while copying (the merge is then rolled back).
    group
        A new central store readable by the owner's group too (0640; default 0600).

    Returns
    -------
    MergeResult
        Per-source counts (in the order given), the conflicts and the merge log.

    Raises
    ------
    StoreError
        A source that is not a field store, is damaged, belongs to another survey, or
        was written by a newer fieldsurvey; two stores that claim the same device id but
        disagree; merging a store into itself.

    Notes
    -----
    Into an existing central store each source is merged in its own transaction (a
    failing source leaves the earlier ones merged, and readers may run meanwhile). A new
    central store is bulk-loaded instead: built beside ``into`` under a temporary name
    without a journal or an fsync per source, made durable (fsync) and moved into place
    only when every source is in, so a failed or interrupted first merge leaves no
    central store at all rather than a partial one. Sources are copied in the order of
    their device ids, so each device's events are appended at the end of the event
    table's b-tree (a merged store keys events by device).
    """
    into = Path(into)
    paths = [Path(s) for s in sources]
    if not paths:
        raise StoreError("no store to merge", hint="Give one or more device stores")
    _remove_stale(into)
    warnings = tuple(w for p in paths if (w := incomplete_warning(p)))
    with _untouched(paths):
        metas = []
        for p in paths:
            if into.exists() and p.resolve() == into.resolve():
                raise StoreError("a store cannot be merged into itself", file=str(p))
            metas.append(_source_meta(p, check))
        if into.exists():
            target = FieldStore.open(into, clock=clock)
            try:
                result = _merge_all(target, paths, metas, progress)
            finally:
                target.close()
        else:
            result = _merge_new(into, paths, metas, progress, clock, group)
    return dataclasses.replace(result, warnings=warnings)


def incomplete_warning(path: Path) -> str | None:
    """A warning when a store file may lack writes, else None.

    Two signs: a ``-wal`` file beside it (the store is open in the app, or the app did
    not close: its latest writes are in that file, and a copy of the main file alone
    would lack them), or a main file that says writes came after its last checkpoint
    (``unsaved_since``: the file was copied while the app was open or after a crash,
    without its ``-wal``).
    """
    wal = Path(f"{path}-wal")
    hint = ("hand stores in with `fieldsurvey handin --db STORE --to FOLDER` (it copies "
            "everything into one file), or quit the app before copying the store")
    if wal.exists() and wal.stat().st_size > 0:
        return (f"{path}: a -wal file beside it holds writes not yet in the main file; this "
                f"merge read them, but a copy of the main file alone would lack them: {hint}")
    try:
        conn = sqlite3.connect(_files.source_uri(path), uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'unsaved_since'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # an unreadable file is refused with its own message
    if row is not None and row[0] and not wal.exists():
        return (f"{path}: this copy may lack the answers entered since {row[0]} (it was "
                "copied while the app was open or after a crash, without its -wal file; "
                f"they are still on the device): {hint}")
    return None


def _remove_stale(into: Path) -> None:
    """Remove temporary central stores that killed merges left beside ``into``.

    Their names carry the merging process's id; a file whose process is gone (or older
    than a day) is no merge in progress.
    """
    import time

    for tmp in into.parent.glob(f".{into.name}.*.merging"):
        pid = tmp.name[len(into.name) + 2:].split(".")[0].split("-")[0]
        alive = False
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:
                alive = True
        with contextlib.suppress(OSError):
            if not alive or time.time() - tmp.stat().st_mtime > 86400:
                _remove(tmp)


@contextlib.contextmanager
def _untouched(paths: list[Path]) -> Iterator[None]:
    """Leave the sources' folders as they were.

    SQLite's read-only access to a WAL store creates an empty ``-wal`` and a ``-shm`` file
    beside it that it cannot delete; those that this merge created are removed afterwards (a
    store open in another program has them already and keeps them).
    """
    sidecars = [Path(f"{p}{x}") for p in paths for x in ("-wal", "-shm")]
    before = {s for s in sidecars if s.exists()}
    try:
        yield
    finally:
        for p in paths:
            wal, shm = Path(f"{p}-wal"), Path(f"{p}-shm")
            with contextlib.suppress(OSError):
                if wal not in before and wal.exists() and wal.stat().st_size == 0:
                    wal.unlink()
                if shm not in before and not wal.exists():
                    shm.unlink(missing_ok=True)


def _merge_all(target: FieldStore, paths: list[Path], metas: list[tuple[int, dict[str, str]]],
               progress: Progress | None, *, new: bool = False) -> MergeResult:
    """Merge every source into the open ``target``; reports in the order given.

    ``new``: the target is a new central store that is discarded on any error (this
    changes only what a full disk's message says is kept).
    """
    survey_ids = {m["survey_id"] for _, m in metas}
    for p, (_, m) in zip(paths, metas, strict=True):
        if m["survey_id"] != target.survey_id:
            raise StoreError(
                "this store belongs to another survey and cannot be merged here",
                file=str(p), expected=f"survey {target.survey_id!r}",
                got=f"survey {m['survey_id']!r}"
                + (f" (the sources span {len(survey_ids)} surveys)"
                   if len(survey_ids) > 1 else ""),
                hint="Merge each survey's device stores into its own central store")
    order = sorted(range(len(paths)), key=lambda k: (metas[k][1].get("device_id", ""), k))
    reports: dict[int, SourceReport] = {}
    for done, k in enumerate(order):
        report(progress, "merge", done, len(paths))
        version, meta = metas[k]
        try:
            reports[k] = _merge_one(target, paths[k], version, meta)
        except StoreError as exc:
            if exc.__cause__ is None or not _files.disk_error(exc.__cause__):
                raise
            raise _disk_full(target.path, paths[k], None if new else len(reports)) from exc
    report(progress, "merge", len(paths), len(paths))
    conflicts = find_conflicts(target.connection)
    return MergeResult(target.path, tuple(reports[k] for k in range(len(paths))), conflicts)


def _merge_new(into: Path, paths: list[Path], metas: list[tuple[int, dict[str, str]]],
               progress: Progress | None, clock: Clock | None, group: bool) -> MergeResult:
    """Bulk-load a new central store under a temporary name, then move it into place."""
    into.parent.mkdir(parents=True, exist_ok=True)
    tmp = into.with_name(f".{into.name}.{os.getpid()}-{_uuid.uuid4().hex[:8]}.merging")
    meta0 = metas[0][1]
    try:
        try:
            target = FieldStore.create(tmp, survey_id=meta0["survey_id"],
                                       device_id=f"central-{_uuid.uuid4().hex[:8]}",
                                       role="central", pii_salt=meta0.get("pii_salt"),
                                       clock=clock, group=group)
        except StoreError as exc:  # name the store the user asked for, not the temporary
            raise dataclasses.replace(exc, file=str(into)) from exc
        target.path = into  # messages name the store the user asked for
        conn = target.connection
        try:
            # the file is not the central store until it is moved into place (a crash or
            # an error before then leaves only this temporary file, which is deleted), so
            # it needs no journal and no fsync per source: it is made durable once, at the end
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            result = _merge_all(target, paths, metas, progress, new=True)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - no shared memory here
                conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
        finally:
            target.close()
        _files.fsync_file(tmp)
        _publish(tmp, into)
    except OSError as exc:
        _remove(tmp)
        if _files.disk_error(exc):
            raise _disk_full(into, None, None) from exc
        raise StoreError("the central store could not be written", file=str(into),
                         got=str(exc), hint="Check that the folder is writable") from exc
    except BaseException:
        _remove(tmp)
        raise
    return result


def _disk_full(into: Path, source: Path | None, kept: int | None) -> StoreError:
    """The message of a full disk.

    ``kept``: sources of this run already merged into an existing central store, ``None``
    when a new one was discarded.
    """
    what = f"{source} could not be merged" if source else "the central store could not be made"
    done = (f"nothing was written to {into}" if kept is None else
            f"{into} keeps everything merged before it, including {kept} store(s) of this run")
    return StoreError(
        f"the disk is full: {what} ({done}; no device store was changed)", file=str(into),
        hint="Free space on this disk (a central store needs about as much space as its "
        "device stores together) and merge again: stores already merged are skipped")


def _publish(tmp: Path, into: Path) -> None:
    """Move the new central store ``tmp`` to ``into``, never replacing a store.

    A store that another merge created meanwhile takes this one in, by a merge.
    """
    try:
        os.link(tmp, into)  # fails if ``into`` exists: never replaces a store
    except FileExistsError:
        merge_stores([tmp], into)
    except OSError:  # no hard links here (e.g. FAT): rename unless a store appeared
        if into.exists():
            merge_stores([tmp], into)
        else:
            os.replace(tmp, into)
            _files.fsync_dir(into.parent)
            return
    _files.fsync_dir(into.parent)
    _remove(tmp)


def _remove(path: Path) -> None:
    """Delete a store file with its WAL, shared-memory and journal files."""
    for leftover in (path, *(Path(f"{path}{x}") for x in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)


def _merge_one(target: FieldStore, path: Path, version: int, meta: dict[str, str]
               ) -> SourceReport:
    tmpdir = None
    src = path
    if version < SCHEMA_VERSION:  # migrate a temporary copy, never the source
        tmpdir = tempfile.mkdtemp(prefix="fieldsurvey-merge-")
        src = Path(tmpdir) / path.name
        _files.backup_copy(path, src)
        c = sqlite3.connect(str(src), isolation_level=None)
        try:
            configure(c)
            migrate(c)
        finally:
            c.close()
    conn = target.connection
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB while merging
    try:
        conn.execute("ATTACH DATABASE ? AS src", (_files.source_uri(src),))
    except sqlite3.Error:
        conn.execute("ATTACH DATABASE ? AS src", (str(src),))
    try:
        # rows come from a consistent store in dependency order (assignments before
        # attempts, interviews before answers), so the per-row foreign key lookups are
        # skipped during the copy; `FieldStore.check()` verifies them on demand
        conn.execute("PRAGMA foreign_keys = OFF")
        with target._write() as c:
            rep = _merge_tables(c, str(path), meta)
            when = target._clock().isoformat(timespec="seconds")
            c.execute("INSERT INTO merge_log VALUES (?,?,?,?,?,?,?)",
                      (when, str(path), rep.device_id, rep.events_seen, rep.events_new, 0,
                       rep.message))
        return rep
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DETACH DATABASE src")
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _devices(c: sqlite3.Connection, schema: str) -> dict[str, tuple[int, int]]:
    """``device_id -> (last seq, its hlc)`` of the events in ``schema``, by index seeks.

    A device's events in any store are a prefix ``1..n`` of its own numbering (events are
    only ever appended and merged whole), so the last seq says which events are there.
    """
    out: dict[str, tuple[int, int]] = {}
    dev = ""
    while True:
        row = c.execute(f"SELECT device_id FROM {schema}.events WHERE device_id > ? "
                        "ORDER BY device_id LIMIT 1", (dev,)).fetchone()
        if row is None:
            return out
        dev = row[0]
        seq, hlc = c.execute(f"SELECT seq, hlc FROM {schema}.events WHERE device_id = ? "
                             "ORDER BY seq DESC LIMIT 1", (dev,)).fetchone()
        out[dev] = (int(seq), int(hlc))


def _merge_tables(c: sqlite3.Connection, name: str, meta: dict[str, str], src: str = "src"
                  ) -> SourceReport:
    """Merge the attached schema ``src`` into ``main`` (inside the caller's transaction)."""
    device = meta.get("device_id", "?")
    src_dev = _devices(c, src)
    ranges: list[tuple[str, int]] = []  # (device, last seq we had): its newer events are new
    c.execute("CREATE TEMP TABLE touched (interview_uuid TEXT PRIMARY KEY) WITHOUT ROWID")
    try:
        new = 0
        if c.execute("SELECT 1 FROM main.events LIMIT 1").fetchone() is None:
            # into an empty table, this exact statement copies the pages' records as they
            # are (SQLite's transfer optimisation), several times faster than row by row
            before = c.total_changes
            c.execute(f"INSERT INTO main.events SELECT * FROM {src}.events")
            new = c.total_changes - before
            ranges = [(dev, 0) for dev in src_dev]
            src_dev_todo: dict[str, tuple[int, int]] = {}
        else:
            src_dev_todo = src_dev
        own = meta.get("device_id")
        for dev, (smax, _) in src_dev_todo.items():
            mine = c.execute("SELECT max(seq) FROM main.events WHERE device_id = ?",
                             (dev,)).fetchone()[0] or 0
            if dev != own and not (_is_prefix(c, src, dev, smax)
                                   and _is_prefix(c, "main", dev, mine)):
                # another device's events that this store holds only in part (the events
                # `assign` or a sync gave each device): compared and copied one by one
                new += _merge_sparse(c, name, dev, src)
                ranges.append((dev, 0))
                continue
            common = min(smax, mine)
            if common:  # the same device must have written the same event there
                a = c.execute(f"SELECT hlc, kind, value FROM {src}.events WHERE device_id = ? "
                              "AND seq = ?", (dev, common)).fetchone()
                b = c.execute("SELECT hlc, kind, value FROM main.events WHERE device_id = ? "
                              "AND seq = ?", (dev, common)).fetchone()
                if a != b:
                    raise _same_device(c, name, dev, common)
            if smax > mine:
                before = c.total_changes
                c.execute(f"INSERT OR IGNORE INTO main.events SELECT * FROM {src}.events "
                          "WHERE device_id = ? AND seq > ?", (dev, mine))
                new += c.total_changes - before
                ranges.append((dev, mine))
        forms = c.execute(f"SELECT s.form_id, s.version FROM {src}.forms s JOIN main.forms m "
                          "USING (form_id, version) WHERE s.sha256 != m.sha256 LIMIT 1").fetchone()
        if forms is not None:
            raise StoreError("the store pins a different questionnaire file under the same id "
                             "and version", file=name, field="form",
                             got=f"{forms[0]} {forms[1]}",
                             hint="Questionnaires changed in the field need a new version")
        c.execute(f"INSERT OR IGNORE INTO main.forms SELECT * FROM {src}.forms")
        for table, keys, ver in _REGISTERS:
            cols = _columns(c, table)
            vcols = [f"{ver}_hlc", f"{ver}_device", f"{ver}_seq"]
            sets = ", ".join(f"{col} = excluded.{col}" for col in cols if col not in keys)
            newer = (f"(excluded.{vcols[0]}, excluded.{vcols[1]}, excluded.{vcols[2]}) > "
                     f"({table}.{vcols[0]}, {table}.{vcols[1]}, {table}.{vcols[2]})")
            collist = ", ".join(cols)
            c.execute(f"INSERT INTO main.{table} ({collist}) SELECT {collist} FROM {src}.{table} "
                      f"WHERE true ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} "
                      f"WHERE {newer}")
        for table in _SETS:
            collist = ", ".join(_columns(c, table))
            c.execute(f"INSERT OR IGNORE INTO main.{table} ({collist}) "
                      f"SELECT {collist} FROM {src}.{table}")
        _merge_interviews(c, ranges, src)
    finally:
        c.execute("DROP TABLE IF EXISTS temp.touched")  # gone if SQLite rolled back
    hi = max((h for _, h in src_dev.values()), default=0)
    c.execute("UPDATE main.meta SET value = max(CAST(value AS INTEGER), ?) "
              "WHERE key = 'hlc_floor'", (hi,))
    seen = sum(s if dev == device else _count(c, src, dev) for dev, (s, _) in src_dev.items())
    return SourceReport(name, device, int(seen), int(new))


def _count(c: sqlite3.Connection, schema: str, dev: str) -> int:
    """The number of ``dev``'s events in ``schema``."""
    return int(c.execute(f"SELECT count(*) FROM {schema}.events WHERE device_id = ?",
                         (dev,)).fetchone()[0])


def _is_prefix(c: sqlite3.Connection, schema: str, dev: str, last: int) -> bool:
    """Whether ``schema`` holds all of ``dev``'s events ``1..last`` (a device's own are)."""
    return last == 0 or _count(c, schema, dev) == last


def _merge_sparse(c: sqlite3.Connection, name: str, dev: str, src: str = "src") -> int:
    """Copy ``dev``'s events that the source holds in part; the number new here.

    Each store holds the events of the supervisor's store (``central-…``) that concern
    it (its assignments, reviews); events held by both must be the same.
    """
    row = c.execute(f"SELECT s.seq FROM {src}.events s JOIN main.events m "
                    "ON m.device_id = s.device_id AND m.seq = s.seq WHERE s.device_id = ? "
                    "AND (s.hlc, s.kind, s.value) IS NOT (m.hlc, m.kind, m.value) LIMIT 1",
                    (dev,)).fetchone()
    if row is not None:
        raise _same_device(c, name, dev, int(row[0]))
    before = c.total_changes
    c.execute(f"INSERT OR IGNORE INTO main.events SELECT * FROM {src}.events WHERE device_id = ?",
              (dev,))
    return int(c.total_changes - before)


def _same_device(c: sqlite3.Connection, name: str, dev: str, seq: int) -> StoreError:
    """Two stores that hold different entries under one device id: which, and what to do."""
    row = c.execute("SELECT source FROM main.merge_log WHERE source_device = ? "
                    "ORDER BY rowid DESC LIMIT 1", (dev,)).fetchone()
    other = row[0] if row is not None else "the central store"
    return StoreError(
        f"{name} and {other} claim the same device id but hold different entries under it "
        f"(entry {seq} differs): they cannot be told apart", file=name, field="device_id",
        got=f"{dev} event {seq}",
        hint=f"One of them was restored from an older backup, or copied and used on two "
        f"devices. Keep both files; give {name} a new device id with `fieldsurvey store "
        f"rekey --db {name} --central CENTRAL` (what was merged is kept) and merge it again")


def _merge_interviews(c: sqlite3.Connection, ranges: list[tuple[str, int]],
                      src: str = "src") -> None:
    """Interviews and answers.

    The source's local ``iid`` s are renumbered: interviews new here get ``iid + offset``
    (so their answers are copied without a join, in key order ``(iid, question, instance)``,
    i.e. appended at the end); interviews already here ("stale") are mapped by UUID and
    their answers merged as registers.
    """
    cols = [x for x in _columns(c, "interviews") if x != "iid"]
    collist = ", ".join(cols)
    off = c.execute("SELECT coalesce(max(iid), 0) FROM main.interviews").fetchone()[0]
    c.execute("CREATE TEMP TABLE stale (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL)")
    try:
        c.execute(f"INSERT INTO temp.stale SELECT si.iid, m.iid FROM {src}.interviews si "
                  "JOIN main.interviews m ON m.uuid = si.uuid")
        n_stale = c.execute("SELECT count(*) FROM temp.stale").fetchone()[0]
        if off == 0 and c.execute("SELECT 1 FROM main.answers LIMIT 1").fetchone() is None:
            # a first source: copied as it is (the transfer optimisation, as for events)
            c.execute(f"INSERT INTO main.interviews SELECT * FROM {src}.interviews")
            c.execute(f"INSERT INTO main.answers SELECT * FROM {src}.answers")
            return
        c.execute(f"INSERT INTO main.interviews (iid, {collist}) SELECT iid + ?, {collist} "
                  f"FROM {src}.interviews WHERE iid NOT IN (SELECT src FROM temp.stale) "
                  "ORDER BY iid", (off,))
        for prefix, group in _INTERVIEW_GROUPS.items():
            v = [f"{prefix}_hlc", f"{prefix}_device", f"{prefix}_seq"]
            sets = ", ".join(f"{col} = s.{col}" for col in (*group, *v))
            c.execute(
                f"UPDATE main.interviews SET {sets} FROM {src}.interviews AS s "
                f"WHERE s.uuid = interviews.uuid AND (s.{v[0]}, s.{v[1]}, s.{v[2]}) > "
                f"(interviews.{v[0]}, interviews.{v[1]}, interviews.{v[2]})")
        acols = _columns(c, "answers")
        fresh = ", ".join("a.iid + ?" if x == "iid" else f"a.{x}" for x in acols)
        where = " WHERE a.iid NOT IN (SELECT src FROM temp.stale)" if n_stale else ""
        c.execute(f"INSERT OR IGNORE INTO main.answers SELECT {fresh} FROM {src}.answers AS a "
                  f"NOT INDEXED{where}", (off,))
        if n_stale:  # only interviews with answer events new here can change
            for dev, mine in ranges:
                c.execute("INSERT OR IGNORE INTO temp.touched SELECT interview_uuid "
                          f"FROM {src}.events WHERE device_id = ? AND seq > ? AND kind IN "
                          f"{ANSWER_KINDS}", (dev, mine))
            c.execute("DELETE FROM temp.stale WHERE src NOT IN (SELECT si.iid FROM "
                      f"{src}.interviews si JOIN temp.touched t ON t.interview_uuid = si.uuid)")
            sel = ", ".join("st.dst" if x == "iid" else f"a.{x}" for x in acols)
            sets = ", ".join(f"{x} = excluded.{x}" for x in acols
                             if x not in ("question", "instance", "iid"))
            c.execute(
                f"INSERT INTO main.answers SELECT {sel} FROM temp.stale AS st "
                f"CROSS JOIN {src}.answers AS a ON a.iid = st.src "
                f"WHERE true ON CONFLICT (iid, question, instance) DO UPDATE SET {sets} "
                "WHERE (excluded.ver_hlc, excluded.ver_device, excluded.ver_seq) > "
                "(answers.ver_hlc, answers.ver_device, answers.ver_seq)")
    finally:
        c.execute("DROP TABLE IF EXISTS temp.stale")
