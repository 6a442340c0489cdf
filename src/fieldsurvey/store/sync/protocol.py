"""What a sync sends either way: small field-store files, merged by the merge's rules.

A **push** is the part of a device store written by the events ``have+1 .. hi`` of its
own device (``have``: the last event the server holds, as the server says): those
events (plus event ``have`` itself, so the server can check that it is the same device
that continues), the register rows whose version is one of them, and the interviews,
attempts and comments they wrote. The server merges it like a device store
(:func:`fieldsurvey.store.merge`), so a push received twice, or out of order, changes
nothing the second time.

A **pull** is the interviewer's slice of the central store: the assignments of the
interviewer (and the current rows of dwellings the device holds but that moved to
someone else), their households' roster, selection, attempts, overrides, interviews
with review state, review comments and the review events, the answers of interviews the
device does not have, and the questionnaire versions it lacks. Nothing of another
interviewer's households. Merged on the device by the same rules.

Both are built in memory and sent as the bytes of an SQLite file of this schema version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import _files
from fieldsurvey.store import merge as _merge
from fieldsurvey.store.schema import SCHEMA_VERSION, SPARSE_EVENTS, migrate
from fieldsurvey.store.store import FieldStore

__all__ = ["CHUNK", "apply_pull", "build_pull", "build_push", "last_event", "read_delta"]

#: Events per push request (a bounded body: about 100 bytes per answer event).
CHUNK = 2500

_META_KEYS = ("survey_id", "device_id", "role", "interviewer", "created_at", "hlc_floor")


_TEMPLATE: list[bytes] = []  # an empty store of this schema, made once per process


def _empty(meta: dict[str, str]) -> sqlite3.Connection:
    """A new in-memory store of this schema version with ``meta``."""
    if not _TEMPLATE:
        mem = sqlite3.connect(":memory:", isolation_level=None)
        mem.execute("PRAGMA page_size = 1024")  # small files: ~25 mostly empty tables
        migrate(mem)
        _TEMPLATE.append(bytes(mem.serialize()))
        mem.close()
    mem = sqlite3.connect(":memory:", isolation_level=None, uri=True)
    mem.deserialize(_TEMPLATE[0])
    mem.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    return mem


def last_event(conn: sqlite3.Connection, device_id: str, schema: str = "main"
               ) -> tuple[int, int, str]:
    """``(seq, hlc, kind)`` of ``device_id``'s last event in a store (``(0, 0, '')``)."""
    row = conn.execute(f"SELECT seq, hlc, kind FROM {schema}.events WHERE device_id = ? "
                       "ORDER BY seq DESC LIMIT 1", (device_id,)).fetchone()
    return (0, 0, "") if row is None else (int(row[0]), int(row[1]), str(row[2]))


def build_push(device: Path, meta: dict[str, str], have: int, lo: int, hi: int) -> bytes:
    """The device's writes of its events ``lo .. hi`` as a store file's bytes.

    With event ``have`` too (the last the server holds), which the server compares with
    its own to see that the same device continues.
    """
    dev = meta["device_id"]
    mem = _empty({k: meta[k] for k in _META_KEYS if k in meta})
    try:
        mem.execute("ATTACH DATABASE ? AS d", (_files.read_uri(device),))
        p = {"dev": dev, "have": have, "lo": lo, "hi": hi}
        mem.execute("BEGIN")
        mem.execute("INSERT INTO events SELECT * FROM d.events WHERE device_id = :dev "
                    "AND (seq = :have OR seq BETWEEN :lo AND :hi)", p)
        for table in ("assignments", "roster", "selection", "overrides", "answers"):
            mem.execute(f"INSERT INTO main.{table} SELECT * FROM d.{table} WHERE "
                        "ver_device = :dev AND ver_seq BETWEEN :lo AND :hi", p)
        mem.execute(
            "INSERT INTO main.interviews SELECT * FROM d.interviews WHERE "
            "(st_device = :dev AND st_seq BETWEEN :lo AND :hi) OR "
            "(pos_device = :dev AND pos_seq BETWEEN :lo AND :hi) OR "
            "(rv_device = :dev AND rv_seq BETWEEN :lo AND :hi) OR "
            "iid IN (SELECT iid FROM main.answers) OR "
            "uuid IN (SELECT interview_uuid FROM main.events WHERE seq >= :lo)", p)
        mem.execute("INSERT INTO main.attempts SELECT * FROM d.attempts WHERE device_id = :dev "
                    "AND CAST(substr(attempt_id, length(:dev) + 2) AS INTEGER) "
                    "BETWEEN :lo AND :hi", p)
        mem.execute("INSERT INTO main.review_comments SELECT * FROM d.review_comments WHERE "
                    "substr(comment_id, 1, length(:dev) + 1) = :dev || ':' AND "
                    "CAST(substr(comment_id, length(:dev) + 2) AS INTEGER) BETWEEN :lo AND :hi",
                    p)
        mem.execute("INSERT INTO main.editors SELECT * FROM d.editors WHERE device_id = :dev "
                    "AND interview_uuid IN (SELECT uuid FROM main.interviews)", p)
        mem.execute("INSERT INTO main.forms SELECT * FROM d.forms WHERE EXISTS (SELECT 1 FROM "
                    "main.events WHERE kind = 'form' AND seq >= :lo)", p)
        # the files of the media answers pushed (merged by hash: a resend is harmless)
        mem.execute("INSERT OR IGNORE INTO main.media SELECT * FROM d.media WHERE sha256 IN "
                    "(SELECT substr(value, 1, 64) FROM main.answers)")
        mem.execute("COMMIT")
        mem.execute("DETACH DATABASE d")
        return bytes(mem.serialize())
    finally:
        mem.close()


def build_pull(central: Path, *, survey_id: str, interviewer: str, device_id: str,
               held: Sequence[str], known: Sequence[str],
               forms: Sequence[tuple[str, str]]) -> bytes:
    """The slice of ``central`` for ``interviewer``'s device (see the module docstring).

    ``held``: the dwellings the device holds; ``known``: the interviews it holds;
    ``forms``: the ``(form_id, version)`` it has pinned.
    """
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    mem = _empty({"survey_id": survey_id, "device_id": f"slice-for-{device_id}",
                  "role": "slice", "interviewer": interviewer, "created_at": now,
                  "hlc_floor": "0"})
    try:
        mem.execute("ATTACH DATABASE ? AS c", (_files.read_uri(central),))
        mem.execute("CREATE TEMP TABLE held (dwelling_id TEXT PRIMARY KEY) WITHOUT ROWID")
        mem.execute("CREATE TEMP TABLE known (uuid TEXT PRIMARY KEY) WITHOUT ROWID")
        mem.execute("CREATE TEMP TABLE kforms (form_id TEXT, version TEXT, "
                    "PRIMARY KEY (form_id, version)) WITHOUT ROWID")
        mem.execute("CREATE TEMP TABLE mine (dwelling_id TEXT PRIMARY KEY) WITHOUT ROWID")
        mem.executemany("INSERT OR IGNORE INTO temp.held VALUES (?)", [(h,) for h in held])
        mem.executemany("INSERT OR IGNORE INTO temp.known VALUES (?)", [(k,) for k in known])
        mem.executemany("INSERT OR IGNORE INTO temp.kforms VALUES (?, ?)", list(forms))
        p = {"who": interviewer, "dev": device_id}
        mem.execute("BEGIN")  # one snapshot of the central store
        mem.execute("INSERT INTO temp.mine SELECT dwelling_id FROM c.assignments "
                    "WHERE interviewer = :who", p)
        mem.execute("INSERT INTO main.assignments SELECT * FROM c.assignments WHERE "
                    "dwelling_id IN (SELECT dwelling_id FROM temp.mine) OR "
                    "dwelling_id IN (SELECT dwelling_id FROM temp.held)")
        for table in ("roster", "selection", "overrides", "attempts", "interviews"):
            mem.execute(f"INSERT INTO main.{table} SELECT * FROM c.{table} WHERE "
                        "dwelling_id IN (SELECT dwelling_id FROM temp.mine)")
        mem.execute("INSERT INTO main.answers SELECT * FROM c.answers WHERE iid IN (SELECT iid "
                    "FROM main.interviews WHERE uuid NOT IN (SELECT uuid FROM temp.known))")
        for table in ("review_comments", "editors"):
            mem.execute(f"INSERT INTO main.{table} SELECT * FROM c.{table} WHERE "
                        "interview_uuid IN (SELECT uuid FROM main.interviews)")
        mem.execute("INSERT INTO main.events SELECT * FROM c.events WHERE interview_uuid IN "
                    f"(SELECT uuid FROM main.interviews) AND {SPARSE_EVENTS} "
                    "AND device_id <> :dev", p)
        mem.execute("INSERT INTO main.forms SELECT * FROM c.forms WHERE (form_id, version) "
                    "NOT IN (SELECT form_id, version FROM temp.kforms)")
        mem.execute("COMMIT")
        mem.execute("DETACH DATABASE c")
        return bytes(mem.serialize())
    finally:
        mem.close()


@contextlib.contextmanager
def read_delta(data: bytes, folder: Path | None = None) -> Iterator[tuple[Path, int,
                                                                          dict[str, str]]]:
    """Write received bytes to a temporary file; yield ``(path, version, meta)``.

    Raises
    ------
    StoreError
        Bytes that are not a complete field store (a truncated body), or one of a newer
        schema.
    """
    fd, name = tempfile.mkstemp(prefix=".sync-", suffix=".sqlite", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            version, meta = _merge._source_meta(path, True)
        except StoreError as exc:
            if "newer" in str(exc):
                raise
            raise StoreError("the changes received are not a complete field store (the "
                             "transfer was cut short or damaged); nothing was written",
                             got=f"{len(data)} bytes: {exc.message}",
                             hint="Sync again") from exc
        if version > SCHEMA_VERSION:  # pragma: no cover - inspect_file refuses first
            raise StoreError("the changes come from a newer fieldsurvey", got=str(version))
        yield path, version, meta
    finally:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


# (table, key columns) of the registers and sets whose new rows a pull counts
_KEYED: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("assignments", ("dwelling_id",), "ver"),
    ("roster", ("dwelling_id", "line"), "ver"),
    ("selection", ("dwelling_id",), "ver"),
    ("overrides", ("dwelling_id",), "ver"),
    ("attempts", ("attempt_id",), None),
    ("review_comments", ("comment_id",), None),
    ("forms", ("form_id", "version"), None),
)


def _count_new(c: sqlite3.Connection) -> int:
    """Rows of ``src`` that merging would add or replace in ``main``."""
    n = 0
    n += c.execute("SELECT count(*) FROM src.events s WHERE NOT EXISTS (SELECT 1 FROM "
                   "main.events m WHERE m.device_id = s.device_id AND m.seq = s.seq)"
                   ).fetchone()[0]
    for table, keys, ver in _KEYED:
        on = " AND ".join(f"m.{k} = s.{k}" for k in keys)
        newer = ""
        if ver:
            v = [f"{ver}_hlc", f"{ver}_device", f"{ver}_seq"]
            newer = (f" OR (s.{v[0]}, s.{v[1]}, s.{v[2]}) > "
                     f"(m.{v[0]}, m.{v[1]}, m.{v[2]})")
        n += c.execute(f"SELECT count(*) FROM src.{table} s LEFT JOIN main.{table} m ON {on} "
                       f"WHERE m.{keys[0]} IS NULL{newer}").fetchone()[0]
    groups = " OR ".join(f"(s.{g}_hlc, s.{g}_device, s.{g}_seq) > (m.{g}_hlc, m.{g}_device, "
                         f"m.{g}_seq)" for g in ("st", "pos", "rv"))
    n += c.execute("SELECT count(*) FROM src.interviews s LEFT JOIN main.interviews m "
                   f"ON m.uuid = s.uuid WHERE m.uuid IS NULL OR {groups}").fetchone()[0]
    return int(n)


def apply_pull(store: FieldStore, data: bytes) -> int:
    """Merge a pulled slice into an open device store; return the rows it added or changed.

    In one transaction: an interrupted pull leaves the device store as it was.
    """
    with read_delta(data, store.path.parent) as (path, _version, meta):
        if meta.get("survey_id") != store.survey_id:
            raise StoreError("the server's store belongs to another survey",
                             file=str(store.path), expected=store.survey_id,
                             got=meta.get("survey_id"),
                             hint="Sync with your own survey's server")
        conn = store.connection
        conn.execute("ATTACH DATABASE ? AS src", (f"{path.resolve().as_uri()}?mode=ro",))
        try:
            conn.execute("PRAGMA foreign_keys = OFF")
            new = _count_new(conn)
            if new:
                with store._write() as c:
                    _merge._merge_tables(c, "the server", meta)
            return new
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("DETACH DATABASE src")
