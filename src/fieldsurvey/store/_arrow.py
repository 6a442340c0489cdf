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

__all__ = ["read_arrow", "read_arrow_parts"]


def _has_adbc() -> bool:
    try:
        import adbc_driver_sqlite  # noqa: F401
    except ImportError:  # pragma: no cover - optional speed-up
        return False
    return True


#: Stores smaller than this (bytes) are read in-process: starting the child costs more.
CHILD_LIMIT = 64 * 1024 * 1024


def _big(path: Path) -> bool:
    size = Path(path).stat().st_size
    wal = Path(f"{path}-wal")
    size += wal.stat().st_size if wal.exists() else 0
    return size >= CHILD_LIMIT and _has_adbc()


def read_arrow_parts(path: Path, sqls: list[str]) -> pa.Table:
    """Run several queries with the same columns (e.g. key ranges of one table) at the
    same time, one child process each, and concatenate their results in order.
    """
    if not _big(path):
        return _rows_table(path, sqls)
    if len(sqls) == 1:
        return read_arrow(path, sqls[0])
    uri = f"file:{Path(path).resolve()}?mode=ro"
    outs, procs = [], []
    try:
        for q in sqls:
            fd, out = tempfile.mkstemp(prefix="fieldsurvey-", suffix=".arrow")
            os.close(fd)
            outs.append(out)
            p = subprocess.Popen([sys.executable, "-m", "fieldsurvey.store._arrow", uri, out],
                                 stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append(p)
            assert p.stdin is not None
            try:
                p.stdin.write(q)
                p.stdin.close()
            except BrokenPipeError:  # the child failed at once; its error is read below
                pass
        tables = []
        for p, out in zip(procs, outs):
            err = p.stderr.read() if p.stderr is not None else ""
            if p.wait() != 0:
                raise sqlite3.DatabaseError(err.strip().splitlines()[-1] if err.strip()
                                            else "reader failed")
            with pa.memory_map(out) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        return pa.concat_tables(tables)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            if p.stderr is not None:
                p.stderr.close()
        for out in outs:
            if os.path.exists(out):
                os.unlink(out)


def read_arrow(path: Path, sql: str) -> pa.Table:
    """Run ``sql`` on the store file at ``path`` (read-only) and return an Arrow table."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    if _big(path):
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
    return _rows_table(path, [sql])


def _rows_table(path: Path, sqls: list[str]) -> pa.Table:
    """The in-process reader (Python's sqlite3): all queries' rows in one Arrow table."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        rows: list[Any] = []
        names: list[str] = []
        for q in sqls:
            cur = conn.execute(q)
            names = [d[0] for d in cur.description]
            rows.extend(cur.fetchall())
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
