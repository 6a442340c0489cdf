"""Give a restored device store a new device id, so its new work can be merged.

A device's events are numbered ``1, 2, 3 ...`` under its device id, and merging relies on
one device never writing two different events under the same number. A store restored
from an older backup breaks that: its new work reuses numbers the central store already
holds from the lost device (merge refuses: "two different stores claim the same device
id"). :func:`rekey_store` keeps the events the central store already has (the common
prefix: same number, same clock, same content) under the old id, and moves every later
event — the work done after the restore — to a new device id, numbered from 1, together
with everything that refers to them (answers, roster lines, selections, attempts,
interview states, overrides, review comments, editors). Future entries are written under
the new id. Nothing already merged changes, and the new work merges like any device's.
"""

from __future__ import annotations

import sqlite3
import uuid as _uuid
from dataclasses import dataclass
from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files

__all__ = ["Rekeyed", "rekey_store"]

# (table, device column, seq column) of the rows that carry an event's version
_VERSIONED: tuple[tuple[str, str, str], ...] = (
    ("assignments", "ver_device", "ver_seq"),
    ("roster", "ver_device", "ver_seq"),
    ("selection", "ver_device", "ver_seq"),
    ("answers", "ver_device", "ver_seq"),
    ("overrides", "ver_device", "ver_seq"),
    ("interviews", "st_device", "st_seq"),
    ("interviews", "pos_device", "pos_seq"),
    ("interviews", "rv_device", "rv_seq"),
)


@dataclass(frozen=True)
class Rekeyed:
    """What :func:`rekey_store` did."""

    path: Path
    old_device: str
    new_device: str
    kept: int  # events kept under the old id (already in the central store)
    moved: int  # events moved to the new id (work not merged yet)


def _common_prefix(conn: sqlite3.Connection, device: str, central: Path) -> int:
    """The number of the device's first events the central store holds identically."""
    conn.execute("ATTACH DATABASE ? AS c", (_files.source_uri(central),))
    try:
        rows = conn.execute(
            "SELECT e.seq FROM main.events e LEFT JOIN c.events k "
            "ON k.device_id = e.device_id AND k.seq = e.seq AND k.hlc = e.hlc "
            "AND k.kind = e.kind AND k.value IS e.value "
            "WHERE e.device_id = ? AND k.seq IS NULL ORDER BY e.seq LIMIT 1",
            (device,)).fetchone()
        if rows is not None:
            return int(rows[0]) - 1
        last = conn.execute("SELECT max(seq) FROM main.events WHERE device_id = ?",
                            (device,)).fetchone()[0]
        return int(last or 0)
    finally:
        conn.execute("DETACH DATABASE c")


def rekey_store(db: str | Path, *, central: str | Path | None = None,
                new_device: str | None = None) -> Rekeyed:
    """Give the store ``db`` a new device id, keeping what ``central`` already has.

    Parameters
    ----------
    db
        The restored device store (changed in place, in one transaction, after a backup
        copy ``<name>.rekey.bak`` beside it).
    central
        The central store the device was merged into. Default: ``central.sqlite`` in the
        store's folder when there is one (the layout ``fieldsurvey assign`` writes);
        without one the store is refused (re-keying events already merged would merge
        them twice).
    new_device
        The new id (default: the old one with a new random suffix).
    """
    path = Path(db)
    _files.inspect_file(path)
    if central is None and (path.parent / "central.sqlite").exists() \
            and path.name != "central.sqlite":
        central = path.parent / "central.sqlite"
    if central is None:
        raise StoreError(
            "re-keying needs the central store the device was merged into, to keep what it "
            "already holds", file=str(path), field="--central",
            hint="Give it with --central CENTRAL (or put central.sqlite beside the store)")
    cpath = Path(central)
    _files.inspect_file(cpath)
    backup = path.with_name(f"{path.name}.rekey.bak")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.rekey.bak{n}")
        n += 1
    _files.backup_copy(path, backup)
    conn = _files.connect(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        old = meta["device_id"]
        if meta.get("role") == "central":
            raise StoreError("a central store is not re-keyed", file=str(path),
                             hint="Re-key the restored device store instead")
        new = new_device or f"{old.rsplit('-', 1)[0]}-{_uuid.uuid4().hex[:6]}"
        keep = _common_prefix(conn, old, cpath)
        conn.execute("BEGIN IMMEDIATE")
        try:
            moved = _move(conn, old, new, keep)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (new,))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('rekeyed_from', ?)",
                         (f"{old} after event {keep}",))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise StoreError("the store could not be re-keyed", file=str(path), got=str(exc),
                         hint=f"Nothing was changed; the copy {backup.name} is the store "
                         "as it was") from exc
    finally:
        conn.close()
    return Rekeyed(path, old, new, keep, moved)


def _move(conn: sqlite3.Connection, old: str, new: str, keep: int) -> int:
    """Move the old device's events after ``keep`` (and what they wrote) to ``new``."""
    if conn.execute("SELECT 1 FROM events WHERE device_id = ? LIMIT 1", (new,)).fetchone():
        raise StoreError("the new device id is already used in this store", got=new)
    before = conn.total_changes
    conn.execute("UPDATE events SET device_id = ?, seq = seq - ? WHERE device_id = ? AND "
                 "seq > ?", (new, keep, old, keep))
    moved = conn.total_changes - before
    for table, dcol, scol in _VERSIONED:
        conn.execute(f"UPDATE {table} SET {dcol} = ?, {scol} = {scol} - ? "
                     f"WHERE {dcol} = ? AND {scol} > ?", (new, keep, old, keep))
    # attempts are keyed by their event: '<device>:<seq>'
    conn.execute("UPDATE attempts SET device_id = ?, attempt_id = ? || ':' || "
                 "(CAST(substr(attempt_id, length(?) + 2) AS INTEGER) - ?) "
                 "WHERE device_id = ? AND CAST(substr(attempt_id, length(?) + 2) AS INTEGER) "
                 "> ?", (new, new, old, keep, old, old, keep))
    conn.execute("UPDATE interviews SET device_id = ? WHERE device_id = ? AND uuid IN "
                 "(SELECT interview_uuid FROM events WHERE device_id = ? AND kind = 'start')",
                 (new, old, new))
    conn.execute("INSERT OR IGNORE INTO editors SELECT DISTINCT interview_uuid, ? FROM events "
                 "WHERE device_id = ? AND kind IN ('set', 'change', 'clear')", (new, new))
    conn.execute("DELETE FROM editors WHERE device_id = ? AND interview_uuid NOT IN "
                 "(SELECT interview_uuid FROM events WHERE device_id = ? AND kind IN "
                 "('set', 'change', 'clear'))", (old, old))
    # review comments are keyed '<device>:<seq>:<n>' by the review's event
    rows = conn.execute("SELECT comment_id FROM review_comments WHERE comment_id LIKE ? "
                        "ESCAPE '\\'", (_like(old) + ":%",)).fetchall()
    for (cid,) in rows:
        seq, _, k = cid[len(old) + 1:].partition(":")
        if seq.isdigit() and int(seq) > keep:
            conn.execute("UPDATE review_comments SET comment_id = ? WHERE comment_id = ?",
                         (f"{new}:{int(seq) - keep}:{k}", cid))
    return moved


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
