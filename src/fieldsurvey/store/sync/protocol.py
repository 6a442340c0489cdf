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
from fieldsurvey.store.schema import APPLICATION_ID, SCHEMA_VERSION, SPARSE_EVENTS, migrate
from fieldsurvey.store.store import FieldStore

__all__ = ["CHUNK", "Delta", "apply_pull", "build_pull", "build_push", "last_event", "read_delta",
           "receive"]

#: Events per push request (a bounded body: about 100 bytes per answer event).
CHUNK = 2500

_META_KEYS = ("survey_id", "device_id", "role", "interviewer", "created_at", "hlc_floor")


_TEMPLATE: list[bytes] = []  # an empty store of this schema, made once per process


def _empty(meta: dict[str, str]) -> sqlite3.Connection:
    """A new in-memory store of this schema version with ``meta``.

    Without the secondary indexes (``CREATE INDEX``; keys and UNIQUE constraints stay): a
    slice is only read whole by a merge, and filling those indexes was 40 % of building a
    push. (A migration that drops an index therefore says ``DROP INDEX IF EXISTS``: an
    older slice is migrated when received.)
    """
    if not _TEMPLATE:
        mem = sqlite3.connect(":memory:", isolation_level=None)
        mem.execute("PRAGMA page_size = 1024")  # small files: ~25 mostly empty tables
        migrate(mem)
        for (name,) in mem.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                   "AND sql IS NOT NULL").fetchall():
            mem.execute(f'DROP INDEX "{name}"')
        mem.execute("VACUUM")
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


class Delta:
    """A received push or pull, written to a temporary file beside the store (see :func:`receive`).

    ``path``: the file (opened ``immutable``: nothing is written beside it), ``version``:
    its schema (migrated in place when older), ``meta``: its ``meta`` table, ``issuing``:
    how many assignments, overrides and assign/review/override events it carries (a
    device's push has none). :meth:`close` removes the file.
    """

    def __init__(self, path: Path, version: int, meta: dict[str, str], issuing: int) -> None:
        self.path = path
        self.version = version
        self.meta = meta
        self.issuing = issuing

    @property
    def uri(self) -> str:
        """The URI to ATTACH the file read-only."""
        return f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"

    def close(self) -> None:
        """Remove the temporary file."""
        _remove(self.path)


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def _cut_short(data: bytes, why: str) -> StoreError:
    return StoreError("the changes received are not a complete field store (the transfer "
                      "was cut short or damaged); nothing was written",
                      got=f"{len(data)} bytes: {why}", hint="Sync again")


def receive(data: bytes, folder: Path | None = None) -> Delta:
    """Check received bytes and write them to a temporary file in ``folder``.

    One read-only connection checks everything a merge needs to trust (the SQLite
    header, the application id and schema version, ``quick_check``, the ``meta`` table)
    and counts what only a central store may issue; an older schema is migrated on the
    temporary file (never on a store). Runs outside the server's writer.

    Raises
    ------
    StoreError
        Bytes that are not a complete field store (a truncated body), or one of a newer
        schema.
    """
    if not data.startswith(b"SQLite format 3\x00") or len(data) < 100:
        raise _cut_short(data, "no SQLite header")
    version = int.from_bytes(data[60:64], "big")  # the header's user_version
    if version > SCHEMA_VERSION:
        raise StoreError("the changes come from a newer fieldsurvey; nothing was written",
                         expected=f"schema version {SCHEMA_VERSION} or older",
                         got=f"schema version {version}",
                         hint="Upgrade fieldsurvey (pip install -U fieldsurvey) on the server")
    fd, name = tempfile.mkstemp(prefix=".sync-", suffix=".sqlite", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if 0 < version < SCHEMA_VERSION:  # an older device: migrate our own copy
            mig = sqlite3.connect(path, isolation_level=None)
            try:
                migrate(mig)
            except sqlite3.DatabaseError as exc:
                raise _cut_short(data, str(exc)) from exc
            finally:
                mig.close()
        delta = Delta(path, version, {}, 0)
        try:
            conn = sqlite3.connect(delta.uri, uri=True)
            try:
                app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
                if app_id != APPLICATION_ID:
                    raise sqlite3.DatabaseError(f"application_id {app_id:#x}")
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    raise sqlite3.DatabaseError("; ".join(str(r[0]) for r in rows[:3]))
                delta.meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                delta.issuing = int(conn.execute(
                    "SELECT (SELECT count(*) FROM assignments) + (SELECT count(*) FROM "
                    "overrides) + (SELECT count(*) FROM events WHERE kind IN ('assign', "
                    "'review', 'override'))").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise _cut_short(data, str(exc)) from exc
        if "survey_id" not in delta.meta:
            raise _cut_short(data, "no survey id")
        return delta
    except BaseException:
        _remove(path)
        raise


@contextlib.contextmanager
def read_delta(data: bytes, folder: Path | None = None) -> Iterator[tuple[Path, int,
                                                                          dict[str, str]]]:
    """:func:`receive` as a context: yield ``(path, version, meta)``, then remove the file."""
    delta = receive(data, folder)
    try:
        yield delta.path, delta.version, delta.meta
    finally:
        delta.close()


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


#: Households of a device store that now belong to another interviewer and that this
#: device has not worked on (no entry of its own there: visit, roster, selection,
#: interview): moved away. What it holds there otherwise are copies the server sent
#: (another device's visits and interviews of a household it was given), which the
#: central store keeps.
_MOVED_AWAY = """
    SELECT a.dwelling_id FROM main.assignments a WHERE a.interviewer IS NOT :who
    AND a.dwelling_id NOT IN (SELECT dwelling_id FROM main.events WHERE device_id = :dev
                              AND dwelling_id IS NOT NULL AND kind <> 'assign')"""


def _remove_moved(c: sqlite3.Connection, who: str | None, dev: str) -> int:
    """Drop the households moved to another interviewer that this device never worked on.

    Their listing (address, names in the attributes) leaves the device, with the copies
    of other devices' work there that the server had sent (visits, roster, selection,
    interviews with their answers and comments); the event that moved them stays in the
    log. One this device worked on stays where it is with everything it holds (the
    supervisor sees a conflict: :mod:`~.moved`), never split silently.
    """
    if not who:
        return 0
    gone = [(r[0],) for r in c.execute(_MOVED_AWAY, {"who": who, "dev": dev})]
    if not gone:
        return 0
    c.execute("CREATE TEMP TABLE IF NOT EXISTS moved_away (dwelling_id TEXT PRIMARY KEY)")
    c.execute("DELETE FROM temp.moved_away")
    c.executemany("INSERT OR IGNORE INTO temp.moved_away VALUES (?)", gone)
    inside = "dwelling_id IN (SELECT dwelling_id FROM temp.moved_away)"
    uuids = f"SELECT uuid FROM main.interviews WHERE {inside}"
    c.execute(f"DELETE FROM main.answers WHERE iid IN (SELECT iid FROM main.interviews "
              f"WHERE {inside})")
    for table in ("review_comments", "editors"):
        c.execute(f"DELETE FROM main.{table} WHERE interview_uuid IN ({uuids})")
    c.execute(f"DELETE FROM main.events WHERE device_id <> ? AND interview_uuid IN ({uuids})",
              (dev,))
    for table in ("interviews", "attempts", "roster", "selection", "overrides", "assignments"):
        c.execute(f"DELETE FROM main.{table} WHERE {inside}")
    c.execute("DELETE FROM temp.moved_away")
    return len(gone)


def apply_pull(store: FieldStore, data: bytes) -> int:
    """Merge a pulled slice into an open device store; return the rows it added or changed.

    Households now another interviewer's that this device has not touched are then
    removed from it (counted too; see :func:`_remove_moved`). In one transaction: an
    interrupted pull leaves the device store as it was.
    """
    with read_delta(data, store.path.parent) as (path, _version, meta):
        if meta.get("survey_id") != store.survey_id:
            raise StoreError("the server's store belongs to another survey",
                             file=str(store.path), expected=store.survey_id,
                             got=meta.get("survey_id"),
                             hint="Sync with your own survey's server")
        conn = store.connection
        who = store.meta.get("interviewer") if store.meta.get("role") == "device" else None
        conn.execute("ATTACH DATABASE ? AS src", (f"{path.resolve().as_uri()}?mode=ro",))
        try:
            conn.execute("PRAGMA foreign_keys = OFF")
            new = _count_new(conn)
            mark = {"who": who, "dev": store.device_id}
            stale = who is not None and conn.execute(
                f"SELECT EXISTS ({_MOVED_AWAY})", mark).fetchone()[0]
            if new or stale:
                with store._write() as c:
                    if new:
                        _merge._merge_tables(c, "the server", meta)
                    new += _remove_moved(c, who, store.device_id)
            return new
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("DETACH DATABASE src")
