"""The device side of a sync (``fieldsurvey sync``): push what the server lacks, pull.

1. ``hello``: the server says which of this device's events it holds (``have``) and what
   its last one is; a store that disagrees (restored from an older backup, or a copy
   used on a second device) is refused before anything is sent.
2. push the events ``have+1 ..`` in chunks of :data:`~.protocol.CHUNK`; after each the
   server says what it holds now, so an interrupted sync resumes where it stopped.
3. pull the interviewer's slice and merge it into the device store in one transaction.
4. a row in the device's ``sync_log`` (time, server, pushed, pulled, result).

Every request is retried a few times on a dropped connection (a push is a merge, so a
request that reached the server before the connection dropped does no harm when sent
again). Nothing is ordered by the device's clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.schema import SCHEMA_VERSION
from fieldsurvey.store.store import Clock, FieldStore
from fieldsurvey.store.sync import protocol

__all__ = ["SyncResult", "kept_moved", "last_syncs", "moved_note", "sync"]

_API = "/api/v1"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did."""

    server: str
    pushed: int       # events new on the server
    pulled: int       # rows added or changed on the device
    requests: int
    seconds: float
    #: households this device worked on that now belong to another interviewer
    #: (dwelling, whose now): they stay here with their data until the supervisor decides
    moved: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        """One line for the interviewer (a second one when households moved away)."""
        text = (f"synced with {self.server}: {self.pushed} new entries sent, "
                f"{self.pulled} updates received ({self.seconds:.2f} s)")
        if self.moved:
            text += "\n" + moved_note(self.moved)
        return text


def moved_note(moved: tuple[tuple[str, str], ...]) -> str:
    """What the interviewer reads about households moved away that they had started."""
    shown = ", ".join(f"{d} (now {who}'s)" for d, who in moved[:5])
    more = f" and {len(moved) - 5} more" if len(moved) > 5 else ""
    return (f"{len(moved)} household(s) you worked on now belong to another interviewer: "
            f"{shown}{more}. Your entries there were sent and are kept; do not go on with "
            "them until your supervisor says who finishes them.")


def kept_moved(conn: sqlite3.Connection, interviewer: str | None) -> tuple[tuple[str, str], ...]:
    """Households of a device store now another interviewer's (kept for its own work there)."""
    if not interviewer:
        return ()
    return tuple((str(d), str(w)) for d, w in conn.execute(
        "SELECT dwelling_id, interviewer FROM assignments WHERE interviewer IS NOT ? "
        "ORDER BY dwelling_id", (interviewer,)))


class _Http:
    def __init__(self, server: str, token: str, *, retries: int, timeout: float,
                 cafile: str | None) -> None:
        self.base = server.rstrip("/")
        self.token = token
        self.retries = retries
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        self.requests = 0

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
        hdrs = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.1 * 2 ** attempt, 2.0))
            self.requests += 1
            req = urllib.request.Request(self.base + path, data=body, headers=hdrs,
                                         method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout,
                                            context=self.ctx) as resp:
                    data = resp.read()
                    got = {k.lower(): v for k, v in resp.headers.items()}
                digest = got.get("x-content-sha256")
                if digest is not None and hashlib.sha256(data).hexdigest() != digest:
                    # a reply damaged on the way: nothing was applied; ask again
                    last = StoreError("the updates received are incomplete or damaged; "
                                      "nothing was changed on this device",
                                      got=f"{len(data)} bytes", hint="Sync again")
                    continue
                return data, got
            except HTTPException as exc:  # a reply cut short on the way (IncompleteRead)
                last = exc
            except urllib.error.HTTPError as exc:
                status, text = exc.code, exc.read().decode("utf-8", "replace")
                if status in (502, 503, 504):
                    last = exc
                    continue
                raise _refused(self.base, status, text) from exc
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                if isinstance(exc, urllib.error.URLError) and isinstance(
                        exc.reason, ssl.SSLError):
                    raise StoreError("the server's certificate is not trusted",
                                     got=f"{self.base}: {exc.reason}",
                                     hint="Give the server's certificate with --cafile"
                                     ) from exc
                last = exc
        if isinstance(last, StoreError):
            raise last
        raise StoreError(f"the server {self.base} cannot be reached (tried "
                         f"{self.retries + 1} times); nothing was lost, the device keeps "
                         "its data", got=str(last),
                         hint="Check the network and the address, and sync again")


def _refused(base: str, status: int, text: str) -> StoreError:
    try:
        message = str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        message = text.strip()[:300] or f"HTTP {status}"
    hints = {401: "Check the token (fieldsurvey sync --token, or the one kept in the device "
                  "store by `fieldsurvey assign`); ask the supervisor for a new one",
             403: "Sync with this device's own token",
             507: "The server's disk is full: the supervisor frees space; then sync again"}
    return StoreError(f"the server refused the sync (HTTP {status}): {message}; nothing was "
                      "lost, the device keeps its data", got=base,
                      hint=hints.get(status, "Sync again; if it persists, tell the supervisor"))


def sync(db: str | Path, server: str, *, token: str | None = None,
         chunk: int = protocol.CHUNK, retries: int = 4, timeout: float = 60.0,
         cafile: str | None = None, clock: Clock | None = None) -> SyncResult:
    """Sync a device store with the server at ``server`` (see the module docstring).

    Raises
    ------
    StoreError
        No token, a token of another device, a store of another survey or schema, a
        store that disagrees with what the server holds of it, an unreachable or
        refusing server. The failure is written to the device's sync log too.
    """
    start = time.perf_counter()
    store = FieldStore.open(db, clock=clock)
    pushed = pulled = 0
    http: _Http | None = None
    try:
        meta = store.meta
        if meta.get("role") != "device":
            raise StoreError("only a device store syncs with the server", file=str(db),
                             got=f"role {meta.get('role')!r}",
                             hint="Serve the central store with `fieldsurvey serve`")
        tok = token or meta.get("sync_token")
        if not tok:
            raise StoreError("this device store has no sync token", file=str(db),
                             hint="Give --token (from the team sheet), or issue tokens with "
                             "`fieldsurvey serve --db CENTRAL --issue-tokens STORES`")
        http = _Http(server, tok, retries=retries, timeout=timeout, cafile=cafile)
        have = _hello(http, store)
        pushed = _push(http, store, have, chunk)
        pulled = _pull(http, store)
    except BaseException as exc:
        _log(store, server, pushed, pulled, f"failed: {exc}" if str(exc) else
             f"failed: {type(exc).__name__}")
        store.close()
        raise
    _log(store, server, pushed, pulled, "ok")
    moved = kept_moved(store.connection, store.meta.get("interviewer"))
    store.close()
    return SyncResult(server, pushed, pulled, http.requests, time.perf_counter() - start,
                      moved)


def _hello(http: _Http, store: FieldStore) -> int:
    data, _ = http.call("GET", f"{_API}/hello")
    hello: dict[str, Any] = json.loads(data)
    where = str(store.path)
    if hello.get("survey_id") != store.survey_id:
        raise StoreError("the server serves another survey", file=where,
                         expected=store.survey_id, got=str(hello.get("survey_id")),
                         hint="Sync with your own survey's server address")
    theirs = int(hello.get("schema", 0))
    if theirs != SCHEMA_VERSION:
        newer = "this device" if SCHEMA_VERSION > theirs else "the server"
        older = "the server" if newer == "this device" else "this device"
        raise StoreError(f"{newer} runs a newer fieldsurvey than {older} (store schema "
                         f"{max(theirs, SCHEMA_VERSION)} vs {min(theirs, SCHEMA_VERSION)}); "
                         "nothing was sent", file=where,
                         hint=f"Upgrade fieldsurvey on {older} (pip install -U fieldsurvey)")
    if hello.get("device_id") != store.device_id:
        raise StoreError("this token belongs to another device", file=where,
                         expected=store.device_id, got=str(hello.get("device_id")),
                         hint="Each device syncs with its own token (two devices cannot "
                         "claim one id)")
    have = int(hello.get("have", 0))
    seq, _, _ = protocol.last_event(store.connection, store.device_id)
    last = hello.get("last") or [0, 0, ""]
    mine = store.connection.execute("SELECT hlc, kind FROM events WHERE device_id = ? AND "
                                    "seq = ?", (store.device_id, have)).fetchone()
    if have > seq or (have and (mine is None or [int(mine[0]), str(mine[1])] !=
                                [int(last[1]), str(last[2])])):
        raise StoreError(
            f"the server holds other entries of this device than this store ({have} on the "
            f"server, {seq} here): it was restored from an older backup, or copied and used "
            "on two devices; nothing was sent", file=where, field="device_id",
            got=store.device_id,
            hint=f"Give it a new device id with `fieldsurvey store rekey --db {where} "
            "--central CENTRAL` and a new token, then sync")
    return have


def _push(http: _Http, store: FieldStore, have: int, chunk: int) -> int:
    seq, _, _ = protocol.last_event(store.connection, store.device_id)
    start = have
    lo = have + 1
    c = store.connection
    while lo <= seq:  # chunks of ``chunk`` events (by count: a device's seqs may have gaps)
        first = c.execute("SELECT min(seq) FROM events WHERE device_id = ? AND seq >= ?",
                          (store.device_id, lo)).fetchone()[0]
        if first is None:
            break
        row = c.execute("SELECT seq FROM events WHERE device_id = ? AND seq >= ? ORDER BY seq "
                        "LIMIT 1 OFFSET ?", (store.device_id, first, max(chunk, 1) - 1)
                        ).fetchone()
        lo, hi = int(first), seq if row is None else int(row[0])
        body = protocol.build_push(store.path, store.meta, have, lo, hi)
        data, _ = http.call("POST", f"{_API}/push", body, {
            "Content-Type": "application/x-sqlite3",
            "X-Content-SHA256": hashlib.sha256(body).hexdigest()})
        reply = json.loads(data)
        sent = store.connection.execute("SELECT max(seq) FROM events WHERE device_id = ? AND "
                                        "seq <= ?", (store.device_id, hi)).fetchone()[0]
        if int(reply["have"]) < int(sent or 0):
            raise StoreError("the server did not keep what was sent",
                             got=f"it holds up to {reply['have']}, {sent} sent",
                             hint="Sync again; if it persists, tell the supervisor")
        have = int(reply["have"])
        lo = hi + 1
    # what the server took in this sync (a reply lost on the way, and its request sent
    # again, does not hide the events the first request delivered)
    return int(c.execute("SELECT count(*) FROM events WHERE device_id = ? AND seq > ? AND "
                         "seq <= ?", (store.device_id, start, have)).fetchone()[0])


def _pull(http: _Http, store: FieldStore) -> int:
    c = store.connection
    body = {"held": [r[0] for r in c.execute("SELECT dwelling_id FROM assignments")],
            "known": [r[0] for r in c.execute("SELECT uuid FROM interviews")],
            "forms": [list(r) for r in c.execute("SELECT form_id, version FROM forms")]}
    data, headers = http.call("POST", f"{_API}/pull", json.dumps(body).encode("utf-8"),
                              {"Content-Type": "application/json"})
    if hashlib.sha256(data).hexdigest() != headers.get("x-content-sha256"):  # none given
        raise StoreError("the updates received are incomplete or damaged; nothing was "
                         "changed on this device", got=f"{len(data)} bytes",
                         hint="Sync again")
    return protocol.apply_pull(store, data)


def _log(store: FieldStore, server: str, pushed: int, pulled: int, result: str) -> None:
    when = store._clock().astimezone(dt.UTC).isoformat(timespec="seconds")
    # one plain commit: the log is no field data, so it does not go through the store's
    # write path (which also marks the main file as lacking writes and checkpoints)
    c = store.connection
    try:
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO sync_log VALUES (?,?,?,?,?)",
                  (when, server, pushed, pulled, result[:2000]))
        c.execute("COMMIT")
    except sqlite3.Error:  # a full device disk: the result is still printed
        if c.in_transaction:
            c.execute("ROLLBACK")


def last_syncs(conn: Any, n: int = 10) -> list[dict[str, Any]]:
    """The device's last ``n`` syncs, newest first (for the TUI and ``sync --log``)."""
    rows = conn.execute("SELECT time, server, pushed, pulled, result FROM sync_log "
                        "ORDER BY rowid DESC LIMIT ?", (n,)).fetchall()
    return [dict(zip(("time", "server", "pushed", "pulled", "result"), r, strict=True))
            for r in rows]
