"""Hand a device store in: one self-contained, checksummed copy of everything it holds.

A store in WAL mode keeps its latest commits in ``<store>-wal`` until a checkpoint, so a
file manager's copy of the main file alone can lack the session's answers.
:func:`hand_in` copies the store with SQLite's online backup API, which reads the main
file and its ``-wal`` as one consistent state (also while the interviewer app is open),
into a single file without a ``-wal`` (rollback-journal mode), checks the copy, and writes
its SHA-256 beside it (``<name>.sha256``, the format of ``sha256sum``), so the copy can be
verified after it has been carried to HQ. The device's store is not changed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid as _uuid
from dataclasses import dataclass
from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files

__all__ = ["HandIn", "hand_in", "sha256_file", "verify_hand_in"]


@dataclass(frozen=True)
class HandIn:
    """A handed-in copy: where, its checksum, and what it holds."""

    path: Path
    checksum_file: Path
    sha256: str
    device_id: str
    interviewer: str | None
    events: int
    last_event: str | None


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _summary(conn: sqlite3.Connection) -> tuple[dict[str, str], int, str | None]:
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    dev = meta.get("device_id", "")
    n, last = conn.execute("SELECT count(*), max(time) FROM events WHERE device_id = ?",
                           (dev,)).fetchone()
    return meta, int(n), last


def hand_in(db: str | Path, to: str | Path, *, group: bool = False) -> HandIn:
    """Copy the store ``db`` into the folder ``to`` as one checked, checksummed file.

    The copy is named like the store; a copy handed in earlier from the same device is
    replaced (the new one holds everything the old one did: a store only grows), one
    from another device with the same file name is refused. The copy and its checksum
    file are readable by the owner only (0600; 0640 with ``group=True``).

    Raises
    ------
    StoreError
        The source is not a sound field store, or the copy could not be written or does
        not match the source.
    """
    src = Path(db)
    _files.inspect_file(src)
    folder = Path(to)
    if folder.resolve() == src.resolve().parent:
        raise StoreError("the hand-in folder is the store's own folder", file=str(folder),
                         hint="Give another folder, e.g. a USB stick or the sync folder")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    tmp = folder / f".{src.name}.{_uuid.uuid4().hex[:8]}.handin"
    sums = folder / f"{src.name}.sha256"
    try:
        source = sqlite3.connect(_files.read_uri(src), uri=True)
    except sqlite3.Error as exc:
        raise _files._damaged(src, exc) from exc
    try:
        meta, n_src, last = _summary(source)
        if target.exists():
            _refuse_other_device(target, meta.get("device_id", ""))
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _files.file_mode(group)))
        dst = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            source.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
            dst.execute("UPDATE meta SET value = '' WHERE key = 'unsaved_since'")
            if meta.get("role") == "device":  # the key is kept at HQ only
                dst.execute("DELETE FROM meta WHERE key = 'pii_salt'")
            problems = [r[0] for r in dst.execute("PRAGMA quick_check")]
            _, n_dst, _ = _summary(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        _files_remove(tmp)
        if _files.disk_error(exc):
            raise StoreError("the disk is full: the store could not be handed in",
                             file=str(folder), hint="Free some space there (or use another "
                             "folder) and hand the store in again") from exc
        if _files.on_readonly_media(folder):
            raise StoreError("the hand-in folder is on read-only media", file=str(folder),
                             hint="Give a writable folder") from exc
        raise _files._damaged(src, exc) from exc
    except BaseException:
        _files_remove(tmp)
        raise
    finally:
        source.close()
    if problems != ["ok"] or n_dst != n_src:
        _files_remove(tmp)
        raise StoreError("the copy does not match the store", file=str(src),
                         got="; ".join(problems[:3]) if problems != ["ok"] else
                         f"{n_dst} of {n_src} events copied",
                         hint="Check the store with `fieldsurvey merge --check` and try again")
    _files.make_private(tmp, group=group)
    _files.fsync_file(tmp)
    digest = sha256_file(tmp)
    os.replace(tmp, target)
    text = f"{digest}  {target.name}\n"
    sums_tmp = folder / f".{sums.name}.{_uuid.uuid4().hex[:8]}.part"
    sums_tmp.write_text(text, encoding="utf-8")
    _files.make_private(sums_tmp, group=group)
    _files.fsync_file(sums_tmp)
    os.replace(sums_tmp, sums)
    _files.fsync_dir(folder)
    return HandIn(target, sums, digest, meta.get("device_id", ""), meta.get("interviewer"),
                  n_dst, last)


def _refuse_other_device(target: Path, device: str) -> None:
    try:
        conn = sqlite3.connect(_files.source_uri(target), uri=True)
        try:
            other = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return  # a damaged earlier copy is replaced
    if other.get("device_id") != device:
        raise StoreError(
            "the folder already holds a store of another device under this name",
            file=str(target), expected=f"device {device}", got=f"device {other.get('device_id')}",
            hint="Hand each device's store into its own folder, or rename one of them")


def _files_remove(path: Path) -> None:
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def verify_hand_in(path: str | Path) -> bool:
    """True when a handed-in copy still matches the checksum written beside it."""
    p = Path(path)
    sums = p.with_name(f"{p.name}.sha256")
    if not sums.exists():
        return False
    expected = sums.read_text(encoding="utf-8").split()[0]
    return sha256_file(p) == expected
