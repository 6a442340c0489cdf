"""Opening a store file safely: recognise it, refuse what is not ours, migrate what is old.

Every failure a user can meet here gets one clear :class:`~fieldsurvey.io.errors.StoreError`:
a file that is not SQLite at all, an SQLite file of some other program, a damaged store,
a store written by a newer fieldsurvey. An older store is copied to
``<name>.schema<k>.bak`` (with SQLite's online backup, so the copy is consistent) before
it is migrated in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.schema import (
    APPLICATION_ID,
    PAGE_SIZE,
    SCHEMA_VERSION,
    configure,
    migrate,
)

__all__ = ["CHECK_LIMIT", "backup_copy", "connect", "disk_error", "file_mode", "fsync_dir",
           "fsync_file", "inspect_file", "make_private", "on_readonly_media", "read_uri",
           "source_uri",
           "readonly_error", "readonly_media"]

#: Files smaller than this (bytes) are checked with ``PRAGMA quick_check`` when opened.
CHECK_LIMIT = 256 * 1024 * 1024

_SQLITE_MAGIC = b"SQLite format 3\x00"


def file_mode(group: bool = False) -> int:
    """The permissions of stores and exports.

    the owner only (0600), or also the owner's group (0640) with ``group=True``. Personal
    data is never world-readable.
    """
    return 0o640 if group else 0o600


def make_private(path: Path, *, group: bool = False, directory: bool = False) -> None:
    """Set ``path``'s permissions to :func:`file_mode` (0700 / 0750 for a directory)."""
    mode = file_mode(group)
    if directory:
        mode |= 0o100 | (0o010 if group else 0)
    os.chmod(path, mode)


def on_readonly_media(path: Path) -> bool:
    """True when ``path`` (or the folder it would be in) cannot be written.

    a read-only disk, a write-protected card, a read-only mount or folder.
    """
    probe = path if path.exists() else path.parent
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    folder = probe if probe.is_dir() else probe.parent
    return not os.access(folder, os.W_OK) or (probe.is_file() and not os.access(probe, os.W_OK))


def readonly_error(exc: BaseException) -> bool:
    """True when an SQLite or OS error means the file or its medium is read-only."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
        return True
    return "readonly" in str(exc).lower() or "read-only" in str(exc).lower()


def readonly_media(path: Path, exc: BaseException | None = None) -> StoreError:
    """The message for a sound store that cannot be written where it is."""
    return StoreError(
        "the field store is on read-only media (a write-protected card or disk, a read-only "
        "folder or mount): it is not damaged, but it cannot be opened for writing there",
        file=str(path), got=None if exc is None else str(exc),
        hint="Copy the store, together with any -wal file beside it, to a writable disk "
        "and use the copy (or run `fieldsurvey handin --db STORE --to FOLDER`, which reads "
        "it as it is)")


def read_uri(path: Path) -> str:
    """An SQLite URI that opens ``path`` read-only.

    On read-only media a store without a ``-wal`` file is opened ``immutable`` (SQLite would
    otherwise need to create its shared-memory file beside it, which it cannot do there).
    """
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    if on_readonly_media(Path(path)) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def source_uri(path: Path) -> str:
    """An SQLite URI that reads a store without leaving files beside it.

    A store without a ``-wal`` (or ``-shm``) file beside it is not open anywhere and its
    main file is complete: it is opened ``immutable``, so SQLite creates no ``-wal`` and
    ``-shm`` beside it (a killed reader would leave them there). Otherwise as
    :func:`read_uri`.
    """
    if not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists():
        return f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"
    return read_uri(path)


def _damaged(path: Path, exc: BaseException) -> StoreError:
    if on_readonly_media(path):
        return readonly_media(path, exc)
    return StoreError(
        "the field store is damaged and cannot be read",
        file=str(path),
        got=str(exc),
        hint="Restore the file from its backup or take the device's copy again; "
        "do not merge it until `PRAGMA integrity_check` passes",
    )


def inspect_file(path: Path) -> int:
    """Check that ``path`` is a field store; return its schema version.

    Raises
    ------
    StoreError
        For a missing, foreign, damaged or newer file.
    """
    if not path.exists():
        raise StoreError("no field store at this path", file=str(path),
                         hint="Check the path, or create the store with `fieldsurvey assign`")
    if path.is_dir():
        raise StoreError("this is a directory, not a field store file", file=str(path))
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) == 0:
        raise StoreError("the file is empty, not a field store", file=str(path),
                         hint="The copy from the device was probably interrupted; copy it again")
    if not head.startswith(_SQLITE_MAGIC):
        raise StoreError(
            "this file is not a fieldsurvey field store (it is not an SQLite database)",
            file=str(path),
            expected="a .sqlite file written by fieldsurvey",
            hint="Check that you picked the device's store and not another file",
        )
    if len(head) < 100:
        raise _damaged(path, ValueError("truncated header"))
    # read the header fields through SQLite: a recent change may still be in the WAL
    try:
        conn = sqlite3.connect(source_uri(path), uri=True)
        try:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from exc
    if app_id != APPLICATION_ID:
        raise StoreError(
            "this SQLite file is not a fieldsurvey field store (another program's database)",
            file=str(path),
            expected=f"application_id {APPLICATION_ID:#x}",
            got=f"{app_id:#x}",
            hint="Check that you picked the device's store and not another database",
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            "this field store was written by a newer fieldsurvey",
            file=str(path),
            expected=f"schema version {SCHEMA_VERSION} or older",
            got=f"schema version {version}",
            hint="Upgrade fieldsurvey (pip install -U fieldsurvey) on this computer",
        )
    return version


def backup_copy(path: Path, target: Path) -> None:
    """Copy a store consistently (SQLite online backup, WAL content included)."""
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    make_private(target)


def connect(path: Path, *, create: bool = False, readonly: bool = False,
            check: bool | None = None, group: bool = False) -> sqlite3.Connection:
    """Open (or create) a store file, migrated to :data:`SCHEMA_VERSION`.

    A new file is created only with ``create=True``; an existing older file is first
    backed up beside itself as ``<name>.schema<k>.bak`` and migrated, also when opened
    ``readonly`` (the connection is read-only after the one-time upgrade). ``check`` runs SQLite's
    ``quick_check`` first (default: for files under :data:`CHECK_LIMIT` bytes).
    """
    path = Path(path)
    if create:
        if path.exists():
            raise StoreError("a file already exists at this path", file=str(path),
                             hint="Choose another path; an existing store is never overwritten")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # an empty file is an empty database; SQLite gives its -wal the same mode
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode(group)))
            make_private(path, group=group)
        except FileExistsError as exc:
            raise StoreError("a file already exists at this path", file=str(path),
                             hint="Choose another path; an existing store is never overwritten"
                             ) from exc
        except OSError as exc:
            if on_readonly_media(path):
                raise readonly_media(path, exc) from exc
            raise
        version = 0
    else:
        version = inspect_file(path)
        if 0 < version < SCHEMA_VERSION:  # readers too: upgrade once, after a backup
            backup = path.with_name(f"{path.name}.schema{version}.bak")
            n = 1
            while backup.exists():
                backup = path.with_name(f"{path.name}.schema{version}.bak{n}")
                n += 1
            try:
                backup_copy(path, backup)
            except sqlite3.DatabaseError as exc:
                raise _damaged(path, exc) from exc
    if readonly and not create and version == SCHEMA_VERSION and on_readonly_media(path):
        return _connect_readonly_media(path)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError("the field store cannot be opened", file=str(path), got=str(exc),
                         hint="Check that its folder exists and that you may write there"
                         ) from exc
    try:
        if create:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if check is None:
            check = not create and path.stat().st_size < CHECK_LIMIT
        if check:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                raise sqlite3.DatabaseError("; ".join(str(r[0]) for r in rows[:3]))
        configure(conn)
        migrate(conn)
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if create:  # no half-made store left behind
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        if disk_error(exc):
            raise StoreError("the disk is full; the store could not be created or upgraded",
                             file=str(path), hint="Free some space and try again") from exc
        raise _damaged(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_readonly_media(path: Path) -> sqlite3.Connection:
    """A reader's connection to a sound store on read-only media (nothing is written)."""
    try:
        conn = sqlite3.connect(read_uri(path), uri=True, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError as exc:
        raise readonly_media(path, exc) from exc
    return conn


def disk_error(exc: BaseException) -> bool:
    """True when an SQLite or OS error means the disk (or the size limit) is full."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    return "full" in str(exc).lower()


def fsync_file(path: Path) -> None:
    """Flush a closed file's content to the disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (a rename or link in it) where the platform allows."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
