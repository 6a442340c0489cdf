"""The field store's SQLite schema: DDL, ordered migrations, connection settings.

One SQLite file per device (and one central file after merging). The file says what it
is in its header: ``PRAGMA application_id`` is :data:`APPLICATION_ID` (a foreign SQLite
file is refused), ``PRAGMA user_version`` the schema version (a newer one is refused, an
older one migrated after a backup copy). Every connection runs in WAL mode with
``synchronous=FULL`` (a commit is on disk when it returns) and foreign keys on.

Tables
------
Append-only (merged as sets, a row never changes once written):

``events``          every write, one row each: set/change/clear of an answer, attempts,
                    roster and selection entries, interview start/resume/position/complete,
                    reviews, overrides and free paradata (the audit trail and the paradata);
                    key ``(device_id, seq)``
``attempts``        contact attempts (time, interviewer, mode, AAPOR outcome, appointment, note)
``forms``           questionnaire files pinned byte for byte, by ``(form_id, version)``
``review_comments`` a supervisor's comments, per question
``editors``         which devices edited the answers of an interview (conflict detection)

Last-writer-wins registers (each carries the version ``(hlc, device, seq)`` of the event
that wrote it, so merging is a join of registers and does not depend on order):

``assignments``     one sample line (probabilities, community, address, Kish table) and
                    the interviewer it is issued to
``roster``          household members by ``(dwelling_id, line)``
``selection``       the respondent selection of a household
``interviews``      identity (UUID, dwelling, questionnaire id and version pinned) plus three
                    registers: status, review state, resume position
``answers``         the current value of each ``(interview, question, instance)``
``overrides``       a supervisor's final disposition with the reason

``meta`` holds ``survey_id``, ``device_id``, ``role``, ``interviewer``, ``pii_salt``;
``merge_log`` (central stores) one row per merged source.
"""

from __future__ import annotations

import sqlite3

__all__ = [
    "APPLICATION_ID",
    "DENSE_KINDS",
    "MIGRATIONS",
    "PAGE_SIZE",
    "SCHEMA_VERSION",
    "SPARSE_EVENTS",
    "configure",
    "migrate",
]

#: Page size of new stores: 16 KiB pages make bulk merges and export scans faster than
#: SQLite's default 4 KiB (fewer pages and b-tree levels per row).
PAGE_SIZE = 16384

#: ``PRAGMA application_id`` of a field store ("FSv1" as a big-endian int32).
APPLICATION_ID = 0x46537631

_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE forms (
    form_id   TEXT NOT NULL,
    version   TEXT NOT NULL,
    filename  TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    content   BLOB NOT NULL,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
);
CREATE TABLE events (
    device_id      TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    hlc            INTEGER NOT NULL,      -- hybrid logical clock, microseconds
    time           TEXT NOT NULL,         -- wall clock, ISO 8601 with offset
    interviewer    TEXT,
    kind           TEXT NOT NULL,
    dwelling_id    TEXT,
    interview_uuid TEXT,
    question       TEXT,
    instance       TEXT,
    value,                                -- typed: INTEGER, REAL, TEXT (see vtype)
    vtype          TEXT,
    detail         TEXT,                  -- JSON
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE TABLE assignments (
    dwelling_id   TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL,
    stratum       TEXT,
    line          INTEGER,
    replicate     INTEGER,
    released      INTEGER,
    release_batch INTEGER,
    segment       TEXT,
    kish_table    TEXT,
    pi_1          REAL,
    pi_2          REAL,
    pi            REAL,
    base_weight   REAL,
    address       TEXT,
    building      TEXT,
    unit          TEXT,
    floor         TEXT,
    door          TEXT,
    attributes    TEXT NOT NULL DEFAULT '{}',
    interviewer   TEXT NOT NULL,
    form_id       TEXT,
    form_version  TEXT,
    assigned_at   TEXT NOT NULL,
    ver_hlc       INTEGER NOT NULL,
    ver_device    TEXT NOT NULL,
    ver_seq       INTEGER NOT NULL
);
CREATE INDEX assignments_interviewer ON assignments (interviewer);
CREATE TABLE attempts (
    attempt_id   TEXT PRIMARY KEY,        -- '<device_id>:<seq>' of its event
    dwelling_id  TEXT NOT NULL REFERENCES assignments (dwelling_id),
    time         TEXT NOT NULL,
    hlc          INTEGER NOT NULL,
    interviewer  TEXT NOT NULL,
    mode         TEXT NOT NULL,
    outcome      TEXT NOT NULL,           -- AAPOR code
    appointment  TEXT,
    note         TEXT,
    device_id    TEXT NOT NULL
);
CREATE INDEX attempts_dwelling ON attempts (dwelling_id, hlc);
CREATE TABLE roster (
    dwelling_id  TEXT NOT NULL REFERENCES assignments (dwelling_id),
    line         INTEGER NOT NULL,
    name         TEXT,
    sex          TEXT,
    age          INTEGER,
    resident     INTEGER,
    eligible     INTEGER,
    extra        TEXT NOT NULL DEFAULT '{}',
    removed      INTEGER NOT NULL DEFAULT 0,
    time         TEXT NOT NULL,
    interviewer  TEXT,
    ver_hlc      INTEGER NOT NULL,
    ver_device   TEXT NOT NULL,
    ver_seq      INTEGER NOT NULL,
    PRIMARY KEY (dwelling_id, line)
);
CREATE TABLE selection (
    dwelling_id    TEXT PRIMARY KEY REFERENCES assignments (dwelling_id),
    method         TEXT NOT NULL,
    kish_table     TEXT,
    eligible_count INTEGER NOT NULL,
    chosen_line    INTEGER,
    probability    REAL,
    time           TEXT NOT NULL,
    interviewer    TEXT,
    ver_hlc        INTEGER NOT NULL,
    ver_device     TEXT NOT NULL,
    ver_seq        INTEGER NOT NULL
);
CREATE TABLE interviews (
    iid             INTEGER PRIMARY KEY,  -- local surrogate key, uuid is the identity
    uuid            TEXT NOT NULL UNIQUE,
    dwelling_id     TEXT NOT NULL REFERENCES assignments (dwelling_id),
    respondent_line INTEGER,
    form_id         TEXT NOT NULL,
    form_version    TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    interviewer     TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    status          TEXT NOT NULL,        -- in_progress | completed | partial
    outcome         TEXT,                 -- AAPOR code given at completion
    completed_at    TEXT,
    st_hlc          INTEGER NOT NULL,
    st_device       TEXT NOT NULL,
    st_seq          INTEGER NOT NULL,
    position        TEXT,
    pos_hlc         INTEGER NOT NULL DEFAULT 0,
    pos_device      TEXT NOT NULL DEFAULT '',
    pos_seq         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX interviews_dwelling ON interviews (dwelling_id);
CREATE TABLE answers (
    question     TEXT NOT NULL,
    instance     TEXT NOT NULL DEFAULT '',   -- '' or '[2]' or '[2][1]'
    iid          INTEGER NOT NULL REFERENCES interviews (iid),
    value,                                   -- NULL when cleared
    vtype        TEXT,                       -- i f s b l d t x:name, NULL when cleared
    ver_hlc      INTEGER NOT NULL,
    ver_device   TEXT NOT NULL,
    ver_seq      INTEGER NOT NULL,
    PRIMARY KEY (iid, question, instance)
) WITHOUT ROWID;
"""

_V2 = """
ALTER TABLE interviews ADD COLUMN review_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE interviews ADD COLUMN reviewer TEXT;
ALTER TABLE interviews ADD COLUMN review_comment TEXT;
ALTER TABLE interviews ADD COLUMN reviewed_at TEXT;
ALTER TABLE interviews ADD COLUMN rv_hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE interviews ADD COLUMN rv_device TEXT NOT NULL DEFAULT '';
ALTER TABLE interviews ADD COLUMN rv_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE review_comments (
    comment_id     TEXT PRIMARY KEY,      -- '<device_id>:<seq>:<n>'
    interview_uuid TEXT NOT NULL,
    question       TEXT,
    comment        TEXT NOT NULL,
    decision       TEXT NOT NULL,
    reviewer       TEXT NOT NULL,
    time           TEXT NOT NULL
);
CREATE INDEX review_comments_interview ON review_comments (interview_uuid);
CREATE TABLE overrides (
    dwelling_id  TEXT PRIMARY KEY REFERENCES assignments (dwelling_id),
    code         TEXT,                    -- NULL: override withdrawn
    reason       TEXT NOT NULL,
    supervisor   TEXT NOT NULL,
    time         TEXT NOT NULL,
    ver_hlc      INTEGER NOT NULL,
    ver_device   TEXT NOT NULL,
    ver_seq      INTEGER NOT NULL
);
CREATE TABLE editors (                    -- which devices edited answers of an interview
    interview_uuid TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    PRIMARY KEY (interview_uuid, device_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO editors
    SELECT DISTINCT interview_uuid, device_id FROM events
    WHERE kind IN ('set', 'change', 'clear') AND interview_uuid IS NOT NULL;
CREATE INDEX events_sparse ON events (interview_uuid)  -- the few non-answer events
    WHERE kind NOT IN ('set', 'change', 'clear', 'position', 'assign');
CREATE TABLE merge_log (
    merged_at      TEXT NOT NULL,
    source         TEXT NOT NULL,
    source_device  TEXT NOT NULL,
    events_seen    INTEGER NOT NULL,
    events_new     INTEGER NOT NULL,
    conflicts      INTEGER NOT NULL,
    message        TEXT NOT NULL
);
"""

#: The event kinds that are not sparse: most of a store's events are one of these.
DENSE_KINDS: tuple[str, ...] = ("set", "change", "clear", "position", "assign")

#: The predicate of the partial index ``events_sparse`` (the few events that are not
#: answers, positions or assignments). A query uses the index only when its ``WHERE``
#: repeats these terms, so readers take this text rather than writing their own. It is a
#: chain of ``<>`` and not ``kind NOT IN (...)``: SQLite evaluates a ``NOT IN`` list in a
#: partial index's predicate through a temporary b-tree for every inserted row, which
#: doubled the cost of copying events in a merge (v2); the chain costs nothing measurable.
SPARSE_EVENTS = " AND ".join(f"kind <> '{k}'" for k in DENSE_KINDS)

# A migration's text is frozen (it is what version 3 means); a test checks that
# SPARSE_EVENTS still matches the predicate written here (the planner uses the index:
# tests/test_store_core.py::test_events_of_sparse_kinds_use_the_index).
_V3 = """
DROP INDEX events_sparse;
CREATE INDEX events_sparse ON events (interview_uuid) WHERE kind <> 'set' AND kind <> 'change'
    AND kind <> 'clear' AND kind <> 'position' AND kind <> 'assign';
"""

# v4: network sync (fieldsurvey.store.sync). ``credentials`` (central stores): one row
# per device or reviewer with the SHA-256 of its token (the token itself is kept only in
# its device store's ``meta``, key ``sync_token``); ``sync_log`` (device stores): one row
# per sync, shown to the interviewer.
_V4 = """
CREATE TABLE credentials (
    device_id    TEXT PRIMARY KEY,        -- a device store's id, or 'user:<name>'
    interviewer  TEXT,                    -- the device's interviewer (role interviewer)
    role         TEXT NOT NULL,           -- interviewer | supervisor | hq
    token_sha256 TEXT NOT NULL UNIQUE,
    issued_at    TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE TABLE sync_log (
    time    TEXT NOT NULL,                -- the device's wall clock (shown, never ordered by)
    server  TEXT NOT NULL,
    pushed  INTEGER NOT NULL,
    pulled  INTEGER NOT NULL,
    result  TEXT NOT NULL                 -- 'ok' or the error message
);
"""

# v5: supervisors in a browser (``fieldsurvey serve --web``): one row per reviewer who may
# log in, with the scrypt hash of their password (never the password).
_V5 = """
CREATE TABLE web_logins (
    name    TEXT PRIMARY KEY,             -- the supervisor's or HQ reviewer's name
    role    TEXT NOT NULL,                -- supervisor | hq
    scrypt  TEXT NOT NULL,                -- 'scrypt$n$r$p$salt$hash' (hex)
    set_at  TEXT NOT NULL
);
"""

# v6: media answers (image, audio, video, file): each distinct file once, by its SHA-256;
# the answer is ``<sha256>-<name>`` (store.media). Merged as a set by hash.
_V6 = """
CREATE TABLE media (
    sha256   TEXT PRIMARY KEY,            -- hex SHA-256 of content
    name     TEXT NOT NULL,               -- the file's name when first stored
    size     INTEGER NOT NULL,            -- bytes
    content  BLOB NOT NULL,
    added_at TEXT NOT NULL
);
"""

#: Ordered migrations: ``(version, DDL)``; migration k turns a version k-1 file into k.
#: (Sync slices carry no secondary indexes, see store.sync.protocol: a new migration
#: that drops an index says ``DROP INDEX IF EXISTS``.)
#: v1: core field data; v2: supervisor review, disposition overrides, answer editors per
#: interview (conflict detection), merge log; v3: the sparse-event index with a predicate
#: that is cheap to check on insert (merges of millions of events twice as fast); v4:
#: sync credentials (token hashes) and the device's sync log; v5: browser logins; v6:
#: media files of media answers.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, _V1), (2, _V2), (3, _V3), (4, _V4),
                                           (5, _V5), (6, _V6))

#: The schema version this code writes.
SCHEMA_VERSION: int = MIGRATIONS[-1][0]


def configure(conn: sqlite3.Connection) -> None:
    """Set the durability and integrity pragmas on a fresh connection.

    WAL lets readers (progress, export) run while a writer writes; ``synchronous=FULL``
    makes a returned commit survive a crash or power loss; ``busy_timeout`` lets a second
    writer wait instead of failing.
    """
    conn.execute("PRAGMA busy_timeout = 10000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":  # pragma: no cover - file systems without shared memory
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    # the WAL stays small: after a checkpoint it is cut back to this size (4 MiB)
    conn.execute("PRAGMA journal_size_limit = 4194304")
    conn.execute("PRAGMA foreign_keys = ON")


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations after the file's ``user_version`` up to ``target``.

    In one transaction; return the version reached. Back the file up first (the caller
    does).
    """
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    todo = [(v, sql) for v, sql in MIGRATIONS if current < v <= target]
    if not todo:
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        if current == 0:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for version, sql in todo:
            for stmt in _statements(sql):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return todo[-1][0]


def _statements(sql: str) -> list[str]:
    """Split a DDL script into complete statements (``;`` inside comments is allowed)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
