"""``fieldsurvey serve --web``: the supervisor TUI in a browser, behind a login.

The terminal is textual-serve's (its ``AppService`` runs ``fieldsurvey interview --db
CENTRAL --supervisor`` per browser tab and relays it over a websocket); the page, the
login and the sessions are ours. Works offline: the page loads only this server's files
(textual-serve's own page fetches a web font from Google; ours serves the Roboto Mono
it ships with, and CJK text falls back to the machine's fonts).

Routes (under ``/web``; all but the login form need a session cookie, else 303 to the
login form for a page and 401 for the rest):

``GET  /web/login``, ``POST /web/login``   the form; a good password sets the cookie
``POST /web/logout``                        ends the session
``GET  /web/``                              the terminal page
``GET  /web/ws``                            the terminal's websocket (one TUI process)
``GET  /web/static/{file}``                 textual-serve's script, style sheet and font
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
import shlex
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from fieldsurvey.io.errors import InputError
from fieldsurvey.store.sync.webauth import WebUser, find_login, set_password

__all__ = ["COOKIE", "PREFIX", "WebView", "reviewer_environment", "set_password_from",
           "supervisor_command"]

PREFIX = "/web"
COOKIE = "fieldsurvey_session"
#: A session ends after this many seconds (a working day).
SESSION_SECONDS = 12 * 3600
#: At most this many browser terminals (one TUI process each) at once.
MAX_TERMINALS = 16
#: After this many wrong passwords from one address within LOCKOUT_SECONDS, it waits.
MAX_FAILURES, LOCKOUT_SECONDS = 10, 900
_STATIC = {"xterm.css": "css/xterm.css", "textual.js": "js/textual.js",
           "RobotoMono.ttf": "fonts/RobotoMono-VariableFont_wght.ttf"}
_TYPES = {".css": "text/css", ".js": "text/javascript", ".ttf": "font/ttf"}

log = logging.getLogger("fieldsurvey.serve")


def reviewer_environment(user: WebUser) -> dict[str, str]:
    """What a browser terminal's TUI learns of the logged-in user (its environment).

    ``FIELDSURVEY_REVIEWER``: the name its reviews are recorded with;
    ``FIELDSURVEY_REVIEW_TIER``: the review tier, the login's role (``supervisor`` or
    ``hq``), so an HQ login's decisions are HQ's and a supervisor's are the supervisor's.
    """
    return {"FIELDSURVEY_REVIEWER": user.name, "FIELDSURVEY_REVIEW_TIER": user.role}


def supervisor_command(db: Path) -> str:
    """The shell command of one browser terminal: the supervisor TUI on ``db``."""
    return shlex.join([sys.executable, "-m", "fieldsurvey", "interview", "--db",
                       str(Path(db).resolve()), "--supervisor"])


def set_password_from(db: str, name: str, role: str, password_file: str | None) -> WebUser:
    """``serve --set-password NAME``: the password from a file's first line, or asked twice."""
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("the password file cannot be read", file=password_file,
                             got=str(exc), hint="Give a UTF-8 text file whose first line "
                             "is the password") from exc
        password = lines[0] if lines else ""
    else:
        import getpass

        password = getpass.getpass(f"new browser password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the two passwords differ", field="--set-password",
                             hint="Run the command again and type the same password twice")
    return set_password(db, name, password, role)


@dataclass
class _Session:
    user: WebUser
    until: float


@dataclass
class WebView:
    """The browser view of one central store; :meth:`install` adds its routes to an app."""

    db: Path
    secure: bool = False
    command: str = ""
    sessions: dict[str, _Session] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)
    terminals: int = 0

    def __post_init__(self) -> None:
        self.db = Path(self.db)
        self.command = self.command or supervisor_command(self.db)
        import textual_serve

        self.static = Path(textual_serve.__file__).parent / "static"

    def install(self, app: web.Application) -> None:
        """Add the routes (``/`` leads to the login)."""
        self.downloads = DownloadManager()
        app.router.add_get("/", self._root)
        app.router.add_get(f"{PREFIX}/login", self._login_form)
        app.router.add_post(f"{PREFIX}/login", self._login)
        app.router.add_post(f"{PREFIX}/logout", self._logout)
        app.router.add_get(f"{PREFIX}/", self._page)
        app.router.add_get(PREFIX, self._root)
        app.router.add_get(f"{PREFIX}/ws", self._websocket)
        app.router.add_get(f"{PREFIX}/static/{{name}}", self._asset)
        app.router.add_get("/download/{key}", self._download)  # textual.js asks at the root

    # -- sessions --------------------------------------------------------------------
    def _user(self, request: web.Request) -> WebUser | None:
        key = request.cookies.get(COOKIE, "")
        now = time.time()
        for k in [k for k, s in self.sessions.items() if s.until < now]:
            del self.sessions[k]
        session = self.sessions.get(key) if key else None
        return session.user if session is not None else None

    def _need(self, request: web.Request) -> WebUser:
        user = self._user(request)
        if user is None:
            raise web.HTTPUnauthorized(text="log in first: " + f"{PREFIX}/login\n")
        return user

    async def _root(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(f"{PREFIX}/")

    async def _login_form(self, request: web.Request) -> web.StreamResponse:
        return _html(_login_page(""))

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        peer = request.remote or "?"
        now = time.time()
        recent = [t for t in self.failures.get(peer, []) if t > now - LOCKOUT_SECONDS]
        self.failures[peer] = recent
        if len(recent) >= MAX_FAILURES:
            log.warning("web login as %r from %s: refused, %d wrong passwords in %d min",
                        name, peer, len(recent), LOCKOUT_SECONDS // 60)
            return _html(_login_page(f"密码错误次数过多，请 {LOCKOUT_SECONDS // 60} 分钟后再试 · "
                                     "Too many wrong passwords from this address: wait "
                                     f"{LOCKOUT_SECONDS // 60} minutes", name), status=429)
        loop = asyncio.get_running_loop()
        user = await loop.run_in_executor(None, self._check, name, password)
        if user is None:
            self.failures[peer].append(now)
            log.warning("web login as %r from %s: wrong name or password", name, peer)
            await asyncio.sleep(1.0)  # slows guessing down
            return _html(_login_page("用户名或密码错误 · Wrong name or password", name),
                         status=401)
        key = secrets.token_urlsafe(32)
        self.sessions[key] = _Session(user, time.time() + SESSION_SECONDS)
        log.info("web login: %s (%s) from %s", user.name, user.role, peer)
        resp = web.HTTPSeeOther(f"{PREFIX}/")
        resp.set_cookie(COOKIE, key, max_age=SESSION_SECONDS, path="/", httponly=True,
                        samesite="Strict", secure=self.secure)
        raise resp

    def _check(self, name: str, password: str) -> WebUser | None:
        conn = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            return find_login(conn, name, password)
        finally:
            conn.close()

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        self.sessions.pop(request.cookies.get(COOKIE, ""), None)
        resp = web.HTTPSeeOther(f"{PREFIX}/login")
        resp.del_cookie(COOKIE, path="/")
        raise resp

    # -- the terminal ----------------------------------------------------------------
    async def _page(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request)
        if user is None:
            raise web.HTTPSeeOther(f"{PREFIX}/login")
        ws = f"{'wss' if request.secure else 'ws'}://{request.host}{PREFIX}/ws"
        return _html(_terminal_page(user, ws))

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        self._need(request)
        name = request.match_info["name"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        path = self.static / _STATIC[name]
        return web.FileResponse(path, headers={"Content-Type": _TYPES[path.suffix],
                                               "Cache-Control": "private, max-age=3600"})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        self._need(request)
        key = request.match_info["key"]
        try:
            meta = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound() from None
        resp = web.StreamResponse()
        kind = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
        resp.headers["Content-Type"] = kind
        resp.headers["Content-Disposition"] = f"attachment; filename={meta.file_name}"
        await resp.prepare(request)
        async for chunk in self.downloads.download(key):
            await resp.write(chunk)
        await resp.write_eof()
        return resp

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        user = self._need(request)
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            raise web.HTTPForbidden(text="a page of another site cannot open this terminal")
        if self.terminals >= MAX_TERMINALS:
            raise web.HTTPServiceUnavailable(text=f"{MAX_TERMINALS} browser terminals are "
                                             "open already: close one and retry")
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        service = _Terminal(self.command, socket, self.downloads, user)
        self.terminals += 1
        log.info("web terminal opened by %s", user.name)
        try:
            await service.start(width, height)
            async for msg in socket:
                if msg.type != WSMsgType.TEXT:
                    continue
                await _relay(msg.json(), service, socket)
        finally:
            self.terminals -= 1
            await service.stop()
            log.info("web terminal closed by %s", user.name)
        return socket


class _Terminal(AppService):
    """One browser terminal's TUI process; the page learns when it ends."""

    def __init__(self, command: str, socket: web.WebSocketResponse, downloads: DownloadManager,
                 user: WebUser) -> None:
        async def close() -> None:
            await socket.close()

        super().__init__(command, write_bytes=socket.send_bytes, write_str=socket.send_str,
                         close=close, download_manager=downloads)
        self.user = user

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        env.update(reviewer_environment(self.user))
        return env

    async def run(self) -> None:
        """Relay the process until it ends, then close the websocket (a failed start too)."""
        await super().run()
        await self.remote_close()


async def _relay(envelope: object, service: AppService, socket: web.WebSocketResponse) -> None:
    """One message of the browser's terminal to the TUI process (as textual-serve does)."""
    if not isinstance(envelope, list) or not envelope:
        return
    kind = envelope[0]
    data = envelope[1] if len(envelope) > 1 else None
    if kind == "stdin" and isinstance(data, str):
        await service.send_bytes(data.encode("utf-8"))
    elif kind == "resize" and isinstance(data, dict):
        await service.set_terminal_size(_int(data.get("width"), 80),
                                        _int(data.get("height"), 24))
    elif kind == "ping":
        await socket.send_json(["pong", data])
    elif kind == "blur":
        await service.blur()
    elif kind == "focus":
        await service.focus()


def _int(value: object, default: int) -> int:
    try:
        return max(1, min(1000, int(str(value))))
    except ValueError:
        return default


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": "default-src 'self'; "
                                 "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                                 "img-src 'self' data:; frame-ancestors 'none'",
                                 "X-Frame-Options": "DENY"})


_STYLE = """
body { background: #0c181f; color: #eee; margin: 0;
       font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
form.login { width: 22em; margin: 12vh auto; padding: 2em; background: #12232d; }
form.login label { display: block; margin: 0.8em 0 0.2em; }
form.login input { width: 100%; box-sizing: border-box; padding: 0.4em; font-size: 1em; }
form.login button { margin-top: 1.4em; padding: 0.5em 2em; font-size: 1em; }
.error { color: #ff8a80; }
"""


def _login_page(error: str, name: str = "") -> str:
    note = f'<p class="error" id="error">{html.escape(error)}</p>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>督导登录 · fieldsurvey</title>
<style>{_STYLE}</style></head>
<body><form class="login" method="post" action="{PREFIX}/login">
<h1>督导登录 · Supervisor login</h1>{note}
<label for="name">用户名 · Name</label>
<input id="name" name="name" autocomplete="username" value="{html.escape(name)}" required>
<label for="password">密码 · Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required>
<button type="submit" id="login">登录 · Log in</button>
</form></body></html>
"""


def _terminal_page(user: WebUser, ws_url: str) -> str:
    static = f"{PREFIX}/static"
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8">
<title>fieldsurvey · {html.escape(user.name)}</title>
<link rel="stylesheet" href="{static}/xterm.css">
<script src="{static}/textual.js"></script>
<style>{_STYLE}
@font-face {{ font-family: "Roboto Mono"; src: url("{static}/RobotoMono.ttf"); }}
.closed {{ display: none; position: absolute; inset: 0; z-index: 10;
          align-items: center; justify-content: center; background: #0c181f; }}
body.-closed .closed {{ display: flex; flex-direction: column; }}
.closed button, .closed a {{ margin: 0.6em; padding: 0.5em 2em; font-size: 1em; }}
.closed a {{ color: #000; background: #ddd; text-decoration: none; }}
</style></head>
<body>
<div class="closed"><p>会话已结束 · Session ended</p>
<a class="button" href="{PREFIX}/">重新开始 · Restart</a>
<form method="post" action="{PREFIX}/logout"><button type="submit">退出登录 · Log out</button>
</form></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{html.escape(ws_url)}"
 data-font-size="16"></div>
</body></html>
"""
