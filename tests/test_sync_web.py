"""`fieldsurvey serve --web`: supervisors in a browser, behind a login (issue 18, item 7)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import aiohttp
import pandas as pd
import pytest
from _storekit import sample_frame
from _synckit import FIELDSURVEY, cli, server, server_log
from tui_support import FORM_PATH

from fieldsurvey.store.issue import issue_stores
from fieldsurvey.store.sync.webauth import check_password, hash_password, set_password

PASSWORD = "correct horse battery"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _team(tmp_path: Path) -> Path:
    """A central store of 3 interviewers with the example form pinned; 王芳's password."""
    sample = sample_frame(24, communities=("C1", "C2", "C3"))
    team = pd.DataFrame({"interviewer": ["int01", "int02", "int03"],
                         "community_id": ["C1", "C2", "C3"]})
    res = issue_stores(sample, team, tmp_path / "stores", form=FORM_PATH)
    (tmp_path / "pw.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    set_password(res.central, "王芳", PASSWORD)
    return res.central


def test_a_password_is_kept_only_as_a_salted_scrypt_hash(tmp_path):
    central = _team(tmp_path)
    got = cli("serve", "--db", str(central), "--set-password", "王芳", "--password-file",
              str(tmp_path / "pw.txt"))
    assert got.returncode == 0 and "browser password set for 王芳" in got.stdout, got.stderr
    (tmp_path / "pw2.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    got = cli("serve", "--db", str(central), "--set-password", "李强", "--role", "hq",
              "--password-file", str(tmp_path / "pw2.txt"))
    assert got.returncode == 0, got.stderr
    c = sqlite3.connect(central)
    rows = c.execute("SELECT name, role, scrypt FROM web_logins ORDER BY role").fetchall()
    c.close()
    assert [(r[0], r[1]) for r in rows] == [("李强", "hq"), ("王芳", "supervisor")]
    hashes = [r[2] for r in rows]
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts
    assert all(check_password(h, PASSWORD) and not check_password(h, PASSWORD + "!")
               for h in hashes)
    data = b"".join(p.read_bytes() for p in central.parent.glob("central.sqlite*"))
    assert PASSWORD.encode() not in data
    assert not check_password("sha256$abc", PASSWORD)
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


def test_bad_password_input_is_one_paragraph_exit_2(tmp_path):
    central = _team(tmp_path)
    (tmp_path / "short.txt").write_text("abc\n", encoding="utf-8")
    got = cli("serve", "--db", str(central), "--set-password", "王芳", "--password-file",
              str(tmp_path / "short.txt"))
    assert got.returncode == 2
    assert "at least 8 characters" in got.stderr and "Traceback" not in got.stderr
    got = cli("serve", "--db", str(central.parent / "int01.sqlite"), "--set-password",
              "王芳", "--password-file", str(tmp_path / "pw.txt"))
    assert got.returncode == 2 and "central store" in got.stderr
    got = cli("serve", "--db", str(central), "--set-password", "王芳", "--password-file",
              str(tmp_path / "missing.txt"))
    assert got.returncode == 2 and "password file cannot be read" in got.stderr


def test_set_password_asks_twice_when_no_file_is_given(tmp_path):
    central = _team(tmp_path)
    run = [FIELDSURVEY, "serve", "--db", str(central), "--set-password", "张三"]
    got = subprocess.run(run, input="longpassword1\nlongpassword1\n", capture_output=True,
                         text=True, timeout=300, start_new_session=True)  # no terminal
    assert got.returncode == 0 and "browser password set for 张三" in got.stdout, got.stderr
    got = subprocess.run(run, input="longpassword1\nlongpassword2\n", capture_output=True,
                         text=True, timeout=300, start_new_session=True)
    assert got.returncode == 2 and "the two passwords differ" in got.stderr
    c = sqlite3.connect(central)
    stored = c.execute("SELECT scrypt FROM web_logins WHERE name = '张三'").fetchone()[0]
    c.close()
    assert check_password(stored, "longpassword1")  # the first one stays


async def _login(http: aiohttp.ClientSession, url: str, password: str) -> aiohttp.ClientResponse:
    return await http.post(f"{url}/web/login", data={"name": "王芳", "password": password},
                           allow_redirects=False)


def test_the_web_view_needs_a_login_and_loads_nothing_from_outside(tmp_path):
    central = _team(tmp_path)

    async def go(url: str) -> None:
        async with aiohttp.ClientSession() as http:
            r = await http.get(f"{url}/web/", allow_redirects=False)
            assert r.status == 303 and r.headers["Location"] == "/web/login"
            for path in ("/web/ws", "/web/static/textual.js", "/download/x"):
                assert (await http.get(url + path, allow_redirects=False)).status == 401
            form = await (await http.get(f"{url}/web/login")).text()
            assert 'name="password"' in form and "督导登录" in form
            r = await _login(http, url, "wrong password")
            assert r.status == 401 and "密码错误" in await r.text()
            assert "Set-Cookie" not in r.headers
            r = await _login(http, url, PASSWORD)
            assert r.status == 303 and r.headers["Location"] == "/web/"
            cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            key = r.cookies["fieldsurvey_session"].value
            auth = {"Cookie": f"fieldsurvey_session={key}"}
            page = await (await http.get(f"{url}/web/", headers=auth)).text()
            assert "王芳" in page and "textual-terminal" in page
            refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
            refs += re.findall(r"""url\(\s*["']?([^"')]*)""", page)
            assert refs and all(ref.startswith("/") and not ref.startswith("//")
                                for ref in refs), refs
            for ref in refs:
                r = await http.get(url + ref, headers=auth)
                assert r.status == 200 and len(await r.read()) > 1000, ref
            # the sync API beside it is unchanged: a token, not a cookie
            assert (await http.get(f"{url}/api/v1/status", headers=auth)).status == 401
            # a page of another site cannot open the terminal with the cookie
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(f"{url}/web/ws", headers={
                    **auth, "Origin": "http://evil.example"})
            r = await http.post(f"{url}/web/logout", headers=auth, allow_redirects=False)
            assert r.status == 303
            assert (await http.get(f"{url}/web/", headers=auth,
                                   allow_redirects=False)).status == 303

    with server(central, extra=("--web",)) as (url, _):
        asyncio.run(go(url))
    log = server_log(central)
    assert "web login as '王芳'" in log and "wrong name or password" in log
    assert PASSWORD not in log


def test_the_web_terminal_runs_the_supervisor_view_in_chinese(tmp_path):
    central = _team(tmp_path)

    async def go(url: str) -> str:
        async with aiohttp.ClientSession() as http:
            r = await _login(http, url, PASSWORD)
            key = r.cookies["fieldsurvey_session"].value
            ws = await http.ws_connect(f"{url}/web/ws?width=120&height=40", headers={
                "Cookie": f"fieldsurvey_session={key}", "Origin": url})
            await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
            seen = b""
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=5)
                except TimeoutError:
                    continue
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data
                elif msg.type != aiohttp.WSMsgType.TEXT:
                    break
                text = seen.decode("utf-8", "replace")
                if "进度" in text and "应答率" in text:
                    break
            await ws.send_str(json.dumps(["stdin", "q"]))
            await ws.close()
            return seen.decode("utf-8", "replace")

    with server(central, extra=("--web",)) as (url, _):
        text = asyncio.run(go(url))
    assert "进度" in text and "应答率" in text and "合计" in text
    assert "web terminal opened by 王芳" in server_log(central)


def test_many_wrong_passwords_lock_the_address_out(tmp_path):
    central = _team(tmp_path)

    async def go(url: str) -> list[int]:
        async with aiohttp.ClientSession() as http:
            first = await asyncio.gather(*(_login(http, url, f"guess {i}") for i in range(10)))
            assert [r.status for r in first] == [401] * 10
            late = await _login(http, url, PASSWORD)  # even the right one waits now
            assert "Too many wrong passwords" in await late.text()
            return [late.status, "Set-Cookie" in late.headers]

    with server(central, extra=("--web",)) as (url, _):
        assert asyncio.run(go(url)) == [429, False]
    assert "refused, 10 wrong passwords" in server_log(central)


def test_a_view_that_cannot_start_ends_the_browser_session(tmp_path):
    central = _team(tmp_path)
    c = sqlite3.connect(central)
    c.execute("DELETE FROM forms")  # the TUI refuses a store without its questionnaire
    c.commit()
    c.close()

    async def go(url: str) -> aiohttp.WSMsgType:
        async with aiohttp.ClientSession() as http:
            key = (await _login(http, url, PASSWORD)).cookies["fieldsurvey_session"].value
            ws = await http.ws_connect(f"{url}/web/ws", headers={
                "Cookie": f"fieldsurvey_session={key}", "Origin": url})
            while True:
                msg = await ws.receive(timeout=60)
                if msg.type != aiohttp.WSMsgType.BINARY:
                    return msg.type

    with server(central, extra=("--web",)) as (url, _):
        assert asyncio.run(go(url)) in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert "no questionnaire is pinned" in server_log(central)


class _Chrome:
    """A headless Chromium driven over the DevTools protocol (aiohttp's websocket)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws, self.n, self.events = ws, 0, []  # type: ignore[var-annotated]

    async def call(self, method: str, **params: object) -> dict:
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = json.loads((await self.ws.receive(timeout=60)).data)
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                return msg.get("result", {})
            self.events.append(msg)

    async def wait(self, test, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not test():
            assert time.monotonic() < deadline, "timed out"
            try:
                msg = await self.ws.receive(timeout=2)
            except TimeoutError:
                continue
            self.events.append(json.loads(msg.data))

    def frames(self) -> str:
        out = b""
        for e in self.events:
            if e.get("method") == "Network.webSocketFrameReceived":
                r = e["params"]["response"]
                out += base64.b64decode(r["payloadData"]) if r["opcode"] == 2 else b""
        return out.decode("utf-8", "replace")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium on this machine")
def test_a_browser_logs_in_and_sees_the_progress_table_in_chinese(tmp_path):
    central = _team(tmp_path)
    profile = tmp_path / "chromium"
    proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--disable-extensions", "--remote-debugging-"
                             "port=0", f"--user-data-dir={profile}", "--window-size=1400,900",
                             "about:blank"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    async def go(url: str) -> None:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            assert time.monotonic() < deadline and proc.poll() is None, "Chromium did not start"
            await asyncio.sleep(0.2)
        port = port_file.read_text().split()[0]
        async with aiohttp.ClientSession() as http:
            pages = await (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
            target = next(p for p in pages if p["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                chrome = _Chrome(ws)
                for domain in ("Network", "Page", "Log", "Runtime"):
                    await chrome.call(f"{domain}.enable")
                await chrome.call("Page.navigate", url=f"{url}/")  # leads to the login form
                await chrome.wait(lambda: any(e.get("method") == "Page.loadEventFired"
                                              for e in chrome.events))
                here = await chrome.call("Runtime.evaluate", expression="location.pathname")
                assert here["result"]["value"] == "/web/login"
                chrome.events.clear()
                await chrome.call("Runtime.evaluate", expression=(
                    "document.getElementById('name').value = '王芳';"
                    f"document.getElementById('password').value = '{PASSWORD}';"
                    "document.getElementById('login').click();"))
                await chrome.wait(lambda: "进度" in chrome.frames()
                                  and "应答率" in chrome.frames())
                here = await chrome.call("Runtime.evaluate", expression="location.pathname")
                assert here["result"]["value"] == "/web/"
                shot = await chrome.call("Page.captureScreenshot", format="png")
                (tmp_path / "web.png").write_bytes(base64.b64decode(shot["data"]))
                cookie = await chrome.call("Runtime.evaluate", expression="document.cookie")
                assert "fieldsurvey_session" not in cookie["result"].get("value", "")
        urls = [e["params"]["request"]["url"] for e in chrome.events
                if e.get("method") == "Network.requestWillBeSent"]
        assert urls and all(u.startswith(url) for u in urls), urls  # nothing from outside
        blocked = [e for e in chrome.events if e.get("method") == "Log.entryAdded"
                   and "Content Security Policy" in e["params"]["entry"].get("text", "")]
        assert not blocked, blocked

    try:
        with server(central, extra=("--web",)) as (url, _):
            asyncio.run(go(url))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert (tmp_path / "web.png").stat().st_size > 10_000
