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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["CHILD_LIMIT", "Snapshot"]


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


@dataclass
class Snapshot:
    """One consistent read of a store.

    ``conn`` holds the read transaction, ``path`` is the file for readers in child
    processes.

    Small stores (and any store when ``children`` is False) are read through ``conn``
    itself, so every table comes from the same state. A large store's big queries run in
    child processes (see the module docstring), each with its own read; the caller checks
    afterwards that no write came in between (:attr:`used_children` says whether any did).
    """

    conn: sqlite3.Connection
    path: Path
    children: bool = True
    used_children: bool = False

    def _big(self) -> bool:
        return self.children and _big(self.path)

    def arrow_parts(self, sqls: list[str]) -> pa.Table:
        """Run several queries with the same columns (e.g.

        key ranges of one table) and concatenate their results in order (one child process
        each for a large store).
        """
        if not self._big():
            return _rows_table(self.conn, sqls)
        self.used_children = True
        if len(sqls) == 1:
            return _child_tables(self.path, sqls)[0]
        return pa.concat_tables(_child_tables(self.path, sqls))

    def arrow(self, sql: str) -> pa.Table:
        """Run ``sql`` and return an Arrow table."""
        return self.arrow_parts([sql])


def _child_tables(path: Path, sqls: list[str]) -> list[pa.Table]:
    """Each query run by the ADBC driver in a child process, read back from Arrow files."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    outs: list[str] = []
    procs: list[subprocess.Popen[str]] = []
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
        for p, out in zip(procs, outs, strict=True):
            err = p.stderr.read() if p.stderr is not None else ""
            if p.wait() != 0:
                raise sqlite3.DatabaseError(err.strip().splitlines()[-1] if err.strip()
                                            else "reader failed")
            with pa.memory_map(out) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        return tables
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            if p.stderr is not None:
                p.stderr.close()
        for out in outs:
            if os.path.exists(out):
                os.unlink(out)


def _rows_table(conn: sqlite3.Connection, sqls: list[str]) -> pa.Table:
    """The in-process reader (Python's sqlite3 on the snapshot's connection).

    all queries' rows in one Arrow table.
    """
    rows: list[Any] = []
    names: list[str] = []
    for q in sqls:
        cur = conn.execute(q)
        names = [d[0] for d in cur.description]
        rows.extend(cur.fetchall())
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({n: pa.array(c) for n, c in zip(names, cols, strict=True)})


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
