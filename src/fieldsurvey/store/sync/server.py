"""The sync server (``fieldsurvey serve``): aiohttp in front of the central SQLite store.

One writer (:mod:`~.writer`): pushes are merged by one thread holding the central store
open (SQLite, WAL, ``synchronous=FULL``); pushes that arrive together are merged in one
transaction, each in its own savepoint (group commit: one fsync for the batch), so each
push is still all in or not at all, and is answered only once it is on disk. A push is
checked (checksum, a complete field store of this survey and device, nothing issued)
before it joins the writer's queue, on a reader thread; reads (token checks, pulls) use
their own read-only connections, beside the writer. The server is the authority: a
device asks it which of its events it holds (``hello``) and sends only the rest.

Endpoints (JSON unless said; every one but ``/healthz`` needs ``Authorization: Bearer
TOKEN``, else 401):

``GET  /api/v1/hello``  who the token is, the survey, the schema version, and the last
                        event of the device the server holds
``POST /api/v1/push``   a push (bytes of a store file, ``X-Content-SHA256`` header)
``POST /api/v1/pull``   ``{"held": [...], "known": [...], "forms": [[id, version], ...]}``
                        -> the interviewer's slice (bytes of a store file)
``GET  /api/v1/status`` (supervisor, hq) interviews by status and review state
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import os
import signal
import sqlite3
import ssl
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from fieldsurvey.io.errors import FieldsurveyError, StoreError
from fieldsurvey.store import _files
from fieldsurvey.store.schema import SCHEMA_VERSION
from fieldsurvey.store.store import FieldStore
from fieldsurvey.store.sync import protocol
from fieldsurvey.store.sync.tokens import Credential, find_credential
from fieldsurvey.store.sync.writer import Busy, Push, Writer

__all__ = ["API", "MAX_BODY", "SyncService", "make_app", "serve"]

API = "/api/v1"
#: The largest request body accepted (bytes).
MAX_BODY = 64 * 1024 * 1024

log = logging.getLogger("fieldsurvey.serve")

_CRED = web.RequestKey("credential", Credential)
_SERVICE: web.AppKey[SyncService] = web.AppKey("service")


class SyncService:
    """The central store behind the server: one batching writer, reader connections."""

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        # checks of pushes and builds of pulls run here, beside the writer
        self._readers = concurrent.futures.ThreadPoolExecutor(4, "fieldsurvey-reader")
        self._local = threading.local()
        self.store: FieldStore = self._open()
        self.survey_id = self.store.survey_id
        if self.store.meta.get("role") == "device":
            self.store.close()
            self._readers.shutdown()
            raise StoreError("this is a device store; serve the central store",
                             file=str(db), hint="Serve the central.sqlite that `fieldsurvey "
                             "assign` or `fieldsurvey merge` wrote")
        self.spool = self.db.parent
        self.writer = Writer(self.store)
        # the main file says "may lack writes" (and that mark is checkpointed, an fsync of
        # the main file) now, at start, rather than in the first device's push
        self.writer.call(self._mark_in_use).result()

    def _mark_in_use(self) -> None:
        with self.store._write():
            pass

    def _open(self) -> FieldStore:
        store = FieldStore.open(self.db)
        limit = os.environ.get("FIELDSURVEY_MAX_PAGES")  # tests: a disk that fills up
        if limit:
            store.connection.execute(f"PRAGMA max_page_count = {int(limit)}")
        return store

    def close(self) -> None:
        """Close the store (after the queued pushes)."""
        self.writer.stop()
        self.store.close()
        self._readers.shutdown()

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(_files.read_uri(self.db), uri=True, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
        return conn

    async def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(connection)`` on a reader thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._reader()))

    async def write(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` on the writer thread (between batches of pushes)."""
        return await asyncio.wrap_future(self.writer.call(fn))

    # -- the work ------------------------------------------------------------------
    def hello(self, conn: sqlite3.Connection, cred: Credential) -> dict[str, Any]:
        """Who the token is and the device's last event the server holds."""
        seq, hlc, kind = protocol.last_event(conn, cred.device_id)
        return {"survey_id": self.survey_id, "schema": SCHEMA_VERSION,
                "device_id": cred.device_id, "interviewer": cred.interviewer,
                "role": cred.role, "have": seq, "last": [seq, hlc, kind]}

    def check_push(self, data: bytes, cred: Credential) -> Push:
        """Check a push's body (a reader thread, outside the writer): a queued :class:`Push`.

        Raises
        ------
        StoreError
            Not a complete field store, a newer schema, another survey, another device's
            changes, or a push that issues, reassigns, reviews or overrides.
        """
        delta = protocol.receive(data, self.spool)
        try:
            meta = delta.meta
            if meta.get("survey_id") != self.survey_id:
                raise StoreError("this device store belongs to another survey",
                                 expected=self.survey_id, got=meta.get("survey_id"),
                                 hint="Sync with your own survey's server")
            if meta.get("device_id") != cred.device_id:
                raise StoreError("the changes sent are not those of this token's device",
                                 field="device_id", expected=cred.device_id,
                                 got=meta.get("device_id"),
                                 hint="Each device syncs with its own token")
            if delta.issuing:
                # (otherwise a device could reassign another interviewer's households to
                # itself and read them at its next pull)
                raise StoreError("a device's push cannot issue, reassign, review or override "
                                 "households (only the supervisor's central store does)",
                                 got=f"{delta.issuing} such entries",
                                 hint="Sync only interviewers' device stores")
        except BaseException:
            delta.close()
            raise
        return Push(delta, cred.device_id)

    def push(self, data: bytes, cred: Credential) -> dict[str, Any]:
        """Check and merge one push, waiting for its commit (for callers off the loop)."""
        return self.writer.submit(self.check_push(data, cred)).result()

    def pull(self, conn: sqlite3.Connection, cred: Credential, body: dict[str, Any]) -> bytes:
        """The interviewer's slice (a reader thread)."""
        forms = [(str(f[0]), str(f[1])) for f in body.get("forms", [])]
        return protocol.build_pull(
            self.db, survey_id=self.survey_id, interviewer=str(cred.interviewer),
            device_id=cred.device_id, held=[str(h) for h in body.get("held", [])],
            known=[str(k) for k in body.get("known", [])], forms=forms)

    def status(self, conn: sqlite3.Connection) -> list[dict[str, Any]]:
        """Interviews by interviewer, status and review state."""
        rows = conn.execute("SELECT a.interviewer, i.status, i.review_state, count(*) "
                            "FROM interviews i JOIN assignments a USING (dwelling_id) "
                            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").fetchall()
        return [{"interviewer": r[0], "status": r[1], "review_state": r[2], "n": r[3]}
                for r in rows]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _status_of(exc: FieldsurveyError) -> int:
    text = str(exc)
    if exc.__cause__ is not None and _files.disk_error(exc.__cause__) or "disk is full" in text:
        return 507
    if "not a complete field store" in text or "not a fieldsurvey" in text:
        return 400
    if "cannot issue, reassign" in text:
        return 403
    return 409


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API):
        return await handler(request)
    service = request.app[_SERVICE]
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else None
    cred = await service.read(lambda c: find_credential(c, token))
    peer = request.remote or "?"
    if cred is None:
        log.warning("%s %s from %s: 401 (%s token)", request.method, request.path, peer,
                    "wrong" if token else "no")
        return _error(401, "no valid token: give this device's token (fieldsurvey sync "
                      "--token, or the one `fieldsurvey assign` kept in the device store)")
    request[_CRED] = cred
    try:
        return await handler(request)
    except FieldsurveyError as exc:
        status = _status_of(exc)
        log.warning("%s %s from %s (%s): %d %s", request.method, request.path, peer,
                    cred.device_id, status, exc)
        return _error(status, str(exc))


async def _hello(request: web.Request) -> web.StreamResponse:
    service, cred = request.app[_SERVICE], request[_CRED]
    return web.json_response(await service.read(lambda c: service.hello(c, cred)))


async def _push(request: web.Request) -> web.StreamResponse:
    service, cred = request.app[_SERVICE], request[_CRED]
    if cred.role != "interviewer":
        return _error(403, f"a {cred.role} token cannot push a device's work")
    try:
        data = await request.read()
    except (ConnectionError, asyncio.IncompleteReadError, web.HTTPException) as exc:
        return _error(400, f"the request body was cut short ({exc}); nothing was written")
    digest = request.headers.get("X-Content-SHA256", "")
    if hashlib.sha256(data).hexdigest() != digest:
        log.warning("push from %s: 400 checksum mismatch (%d bytes)", cred.device_id,
                    len(data))
        return _error(400, f"the request body is incomplete or damaged ({len(data)} bytes, "
                      "checksum differs); nothing was written: sync again")
    loop = asyncio.get_running_loop()
    job = await loop.run_in_executor(service._readers, service.check_push, data, cred)
    try:
        result = await asyncio.wrap_future(service.writer.submit(job))
    except Busy:
        log.warning("push from %s: 503 (the writer's queue is full)", cred.device_id)
        return web.json_response({"error": "the server is busy; sync again in a moment"},
                                 status=503, headers={"Retry-After": "1"})
    log.info("push from %s: %d new events, holds up to %d (%d push(es) in its commit)",
             cred.device_id, result["new"], result["have"], result["batch"])
    return web.json_response(result)


async def _pull(request: web.Request) -> web.StreamResponse:
    service, cred = request.app[_SERVICE], request[_CRED]
    if cred.role != "interviewer" or not cred.interviewer:
        return _error(403, f"a {cred.role} token has no device to pull for")
    try:
        body = json.loads(await request.read() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        return _error(400, f"the pull request is not valid JSON ({exc})")
    data = await service.read(lambda c: service.pull(c, cred, body))
    log.info("pull by %s (%s): %d bytes", cred.device_id, cred.interviewer, len(data))
    return web.Response(body=data, content_type="application/x-sqlite3",
                        headers={"X-Content-SHA256": hashlib.sha256(data).hexdigest()})


async def _status(request: web.Request) -> web.StreamResponse:
    service, cred = request.app[_SERVICE], request[_CRED]
    if cred.role not in ("supervisor", "hq"):
        return _error(403, "only supervisors and HQ see the whole team's progress")
    return web.json_response(await service.read(service.status))


async def _health(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True, "survey_id": request.app[_SERVICE].survey_id})


def make_app(service: SyncService) -> web.Application:
    """The aiohttp application over ``service``."""
    app = web.Application(middlewares=[_auth], client_max_size=MAX_BODY)
    app[_SERVICE] = service
    app.router.add_get("/healthz", _health)
    app.router.add_get(f"{API}/hello", _hello)
    app.router.add_post(f"{API}/push", _push)
    app.router.add_post(f"{API}/pull", _pull)
    app.router.add_get(f"{API}/status", _status)

    async def _close(app: web.Application) -> None:
        service.close()

    app.on_cleanup.append(_close)
    return app


def serve(db: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          certfile: str | None = None, keyfile: str | None = None,
          ready: Callable[[str], None] | None = None,
          extend: Callable[[web.Application], None] | None = None) -> None:
    """Run the server until interrupted (SIGINT/SIGTERM); ``extend`` adds routes."""
    ctx = None
    if certfile:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise StoreError("the TLS certificate or key cannot be used", file=certfile,
                             got=str(exc), hint="Give a PEM certificate (--certfile) and its "
                             "key (--keyfile)") from exc
    service = SyncService(Path(db))
    app = make_app(service)
    if extend is not None:
        extend(app)
    scheme = "https" if ctx else "http"

    async def _main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port, ssl_context=ctx)
            try:
                await site.start()
            except OSError as exc:
                raise StoreError(f"the server cannot listen on {host}:{port}", got=str(exc),
                                 hint="Another program uses this port: pick another with "
                                 "--port, or stop the other server") from exc
            if ready is not None:
                ready(f"{scheme}://{host}:{port}")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(_main())
