"""Read large query results straight into Arrow, without a Python object per value.

Exports read millions of answers and events; Python's ``sqlite3`` creates a tuple per row
and an object per value (about a microsecond each). The ADBC SQLite driver
(``adbc-driver-sqlite``) fills Arrow arrays in C, several times faster.

The driver carries its **own copy of the SQLite library**. Two SQLite copies in one
process must never open the same file: POSIX locks are per process, so closing the file
in one copy drops the other copy's locks and a concurrent writer can then damage the
database ("How To Corrupt An SQLite Database File", section 2.2.1). The read therefore
runs in a child process, which writes an Arrow IPC file the parent memory-maps. Without
the driver, rows are read with ``sqlite3`` in this process (same result, slower).
Columns of mixed SQLite types must be cast in the query (``CAST(value AS TEXT)``).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["read_arrow"]


def _has_adbc() -> bool:
    try:
        import adbc_driver_sqlite  # noqa: F401
    except ImportError:  # pragma: no cover - optional speed-up
        return False
    return True


#: Stores smaller than this (bytes) are read in-process: starting the child costs more.
CHILD_LIMIT = 64 * 1024 * 1024


def read_arrow(path: Path, sql: str) -> pa.Table:
    """Run ``sql`` on the store file at ``path`` (read-only) and return an Arrow table."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    size = Path(path).stat().st_size
    wal = Path(f"{path}-wal")
    size += wal.stat().st_size if wal.exists() else 0
    if size >= CHILD_LIMIT and _has_adbc():
        fd, out = tempfile.mkstemp(prefix="fieldsurvey-", suffix=".arrow")
        os.close(fd)
        try:
            proc = subprocess.run([sys.executable, "-m", "fieldsurvey.store._arrow", uri, out],
                                  input=sql, text=True, capture_output=True, check=False)
            if proc.returncode != 0:
                raise sqlite3.DatabaseError(proc.stderr.strip().splitlines()[-1]
                                            if proc.stderr.strip() else "reader failed")
            with pa.memory_map(out) as source:
                return pa.ipc.open_file(source).read_all()
        finally:
            os.unlink(out)
    conn = sqlite3.connect(uri, uri=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        cols: list[Any] = list(zip(*rows)) if rows else [[] for _ in names]
        return pa.table({n: pa.array(c) for n, c in zip(names, cols)})
    finally:
        conn.close()


def _child(uri: str, out: str, sql: str) -> None:
    """In the child process: run the query with ADBC and write an Arrow IPC file."""
    import adbc_driver_sqlite.dbapi as adbc

    conn = adbc.connect(uri)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        table = cur.fetch_arrow_table()
        cur.close()
    finally:
        conn.close()
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


if __name__ == "__main__":  # pragma: no cover - run as a child process
    _child(sys.argv[1], sys.argv[2], sys.stdin.read())
