"""Bad input and faults of a sync: each a clear message, exit 2, nothing lost (issue 18)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from _storekit import StepClock
from _synckit import FIELDSURVEY, cli, free_port, interview, server, server_log, team_stores

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.review import review
from fieldsurvey.store.schema import SCHEMA_VERSION
from fieldsurvey.store.sync import client as sync_client
from fieldsurvey.store.sync import protocol
from fieldsurvey.store.sync.client import last_syncs, sync
from fieldsurvey.store.sync.tokens import token_hash


def count(path: Path, sql: str) -> int:
    c = sqlite3.connect(path)
    try:
        return int(c.execute(sql).fetchone()[0])
    finally:
        c.close()


def integrity(path: Path) -> str:
    c = sqlite3.connect(path)
    try:
        return str(c.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        c.close()


def events_of(path: Path, device: str) -> list[tuple[object, ...]]:
    c = sqlite3.connect(path)
    try:
        return c.execute("SELECT * FROM events WHERE device_id = ? ORDER BY seq",
                         (device,)).fetchall()
    finally:
        c.close()


def post(url: str, token: str, body: bytes, digest: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url + "/api/v1/push", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}",
        "X-Content-SHA256": digest or hashlib.sha256(body).hexdigest()})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def device(path: Path) -> tuple[str, str, dict[str, str]]:
    s = FieldStore.open(path)
    try:
        return s.device_id, s.meta["sync_token"], s.meta
    finally:
        s.close()


def test_another_survey_a_newer_device_and_another_devices_token(tmp_path, monkeypatch):
    stores = team_stores(tmp_path, n=6)
    other = team_stores(tmp_path / "other", n=7)
    central = stores / "central.sqlite"
    dev, tok, _ = device(other / "int01.sqlite")
    c = sqlite3.connect(central)  # a server that was given another survey's token
    c.execute("INSERT INTO credentials VALUES (?, 'int01', 'interviewer', ?, 'x', NULL)",
              (dev, token_hash(tok)))
    c.commit()
    c.close()
    interview(stores / "int01.sqlite")
    with server(central) as (url, _):
        with pytest.raises(StoreError, match="serves another survey"):
            sync(other / "int01.sqlite", url)
        monkeypatch.setattr(sync_client, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
        with pytest.raises(StoreError, match="this device runs a newer fieldsurvey"):
            sync(stores / "int01.sqlite", url)
        monkeypatch.undo()
        _, tok2, _ = device(stores / "int02.sqlite")
        with pytest.raises(StoreError, match="token belongs to another device"):
            sync(stores / "int01.sqlite", url, token=tok2)
        # a push written by a newer fieldsurvey is refused by the server
        dev1, tok1, meta = device(stores / "int01.sqlite")
        body = bytearray(protocol.build_push(stores / "int01.sqlite", meta, 0, 1, 10**6))
        body[60:64] = (SCHEMA_VERSION + 1).to_bytes(4, "big")
        status, reply = post(url, tok1, bytes(body))
        assert status == 409 and "newer fieldsurvey" in reply["error"]
    assert count(central, "SELECT count(*) FROM interviews") == 0
    assert "409" in server_log(central)


def test_cut_short_damaged_and_replayed_pushes(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    interview(stores / "int01.sqlite", 0, answers=20)
    dev, tok, meta = device(stores / "int01.sqlite")
    full = protocol.build_push(stores / "int01.sqlite", meta, 0, 1, 10**6)
    with server(central) as (url, _):
        status, reply = post(url, tok, full[: len(full) // 2], hashlib.sha256(full).hexdigest())
        assert status == 400 and "incomplete or damaged" in reply["error"]
        status, reply = post(url, tok, full[:5000])  # its own checksum: a cut store file
        assert status == 400 and "not a complete field store" in reply["error"]
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as s:  # the connection drops
            s.sendall(b"POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + tok.encode() + b"\r\nContent-Length: 100000\r\n\r\n" + full[:999])
        assert count(central, "SELECT count(*) FROM interviews") == 0
        status, reply = post(url, tok, full)
        assert status == 200 and reply["new"] == 23
        status, reply = post(url, tok, full)  # replayed
        assert status == 200 and reply["new"] == 0
        interview(stores / "int01.sqlite", 1, answers=5)
        assert sync(stores / "int01.sqlite", url).pushed == 8
        status, reply = post(url, tok, full)  # an old push, replayed later
        assert status == 200 and reply["new"] == 0 and reply["have"] == 31
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)
    assert integrity(central) == "ok"


def test_a_full_disk_on_the_server_refuses_the_push_and_loses_nothing(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    for k in range(2):
        interview(stores / "int01.sqlite", k, answers=200)
    dev, _, _ = device(stores / "int01.sqlite")
    pages = count(central, "PRAGMA page_count")
    with server(central, env={"FIELDSURVEY_MAX_PAGES": str(pages + 1)}) as (url, _):
        run = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url)
    assert run.returncode == 2 and "disk is full" in run.stderr and "HTTP 507" in run.stderr
    assert "Traceback" not in run.stderr
    assert count(central, f"SELECT count(*) FROM events WHERE device_id = '{dev}'") == 0
    assert integrity(central) == "ok"
    assert "507" in server_log(central)
    log = last_syncs(sqlite3.connect(stores / "int01.sqlite"))
    assert "disk is full" in log[0]["result"]
    with server(central) as (url, _):  # space freed: the next sync completes
        assert sync(stores / "int01.sqlite", url).pushed == 2 * 203
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)


def test_device_clocks_days_off_do_not_decide(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    now = dt.datetime.now(dt.UTC)
    behind = StepClock(now - dt.timedelta(days=9))
    ahead = StepClock(now + dt.timedelta(days=6))
    with server(central) as (url, _):
        results = {}
        for name, clock in (("int01", behind), ("int02", ahead)):
            s = FieldStore.open(stores / f"{name}.sqlite", clock=clock)
            d = str(s.assignments()["dwelling_id"].iloc[0])
            u = s.start_interview(d, form_id="f", form_version="1")
            s.set_answer(u, "q1", 1)
            s.complete(u)
            s.close()
            sync(stores / f"{name}.sqlite", url, clock=clock)
            hub = FieldStore.open(central)  # the supervisor's real clock
            review(hub, u, "reject", tier="supervisor", reviewer="王芳", comment="请重访")
            hub.close()
            sync(stores / f"{name}.sqlite", url, clock=clock)
            s = FieldStore.open(stores / f"{name}.sqlite", clock=clock)
            assert s.interview(u).review_state == "rejected"  # the review is newer
            s.resume_interview(u)
            s.set_answer(u, "q1", 2)
            s.complete(u)
            s.close()
            sync(stores / f"{name}.sqlite", url, clock=clock)
            results[name] = u
    c = sqlite3.connect(central)
    for u in results.values():
        assert c.execute("SELECT status, review_state FROM interviews WHERE uuid = ?",
                         (u,)).fetchone() == ("completed", "pending")
        assert c.execute("SELECT a.value FROM answers a JOIN interviews i USING (iid) WHERE "
                         "i.uuid = ? AND question = 'q1'", (u,)).fetchone() == (2,)
    c.close()


def test_two_devices_claiming_one_id(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    shutil.copy(stores / "int01.sqlite", tmp_path / "int01-copy.sqlite")
    interview(stores / "int01.sqlite", 0)
    interview(tmp_path / "int01-copy.sqlite", 1)
    dev, _, _ = device(stores / "int01.sqlite")
    with server(central) as (url, _):
        assert cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url
                   ).returncode == 0
        run = cli("sync", "--db", str(tmp_path / "int01-copy.sqlite"), "--server", url)
    assert run.returncode == 2 and "copied and used on two devices" in run.stderr
    assert "rekey" in run.stderr
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)
    assert count(tmp_path / "int01-copy.sqlite", "SELECT count(*) FROM interviews") == 1


class DroppingProxy:
    """A TCP proxy that loses the server's reply on every third connection."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.n = 0
        self.dropped = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.n += 1
            drop = self.n % 3 == 0
            self.dropped += drop
            threading.Thread(target=self._relay, args=(conn, drop), daemon=True).start()

    def _relay(self, conn: socket.socket, drop: bool) -> None:
        up = socket.create_connection(("127.0.0.1", self.target))

        def pipe(a: socket.socket, b: socket.socket | None) -> None:
            try:
                while data := a.recv(65536):
                    if b is not None:
                        b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    if s is not None:
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass

        threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
        pipe(up, None if drop else conn)  # drop: the server's work is done, its reply lost
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()
        up.close()

    def close(self) -> None:
        self.sock.close()


def test_a_network_that_drops_every_third_request(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    interview(stores / "int01.sqlite", 0, answers=60)
    interview(stores / "int01.sqlite", 1, answers=60)
    dev, _, _ = device(stores / "int01.sqlite")
    with server(central) as (url, _):
        proxy = DroppingProxy(int(url.rsplit(":", 1)[1]))
        try:
            res = sync(stores / "int01.sqlite", f"http://127.0.0.1:{proxy.port}", chunk=20)
        finally:
            proxy.close()
    assert proxy.dropped >= 3 and res.requests == proxy.n
    assert res.pushed == 2 * 63 and res.seconds < 60
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)


def _kill_when_pushing(proc: subprocess.Popen[str], central: Path, victim: int) -> None:
    deadline = time.monotonic() + 120
    while "push from" not in server_log(central):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    os.kill(victim, signal.SIGKILL)


@pytest.mark.parametrize("who", ["client", "server"])
def test_killed_mid_sync_both_stores_stay_whole_and_a_retry_completes(tmp_path, who):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    for k in range(2):
        interview(stores / "int01.sqlite", k, answers=150)
    dev, _, _ = device(stores / "int01.sqlite")
    port = free_port()
    srv = subprocess.Popen([FIELDSURVEY, "serve", "--db", str(central), "--port", str(port)],
                           stdout=open(stores / "serve-a.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        proc = subprocess.Popen([FIELDSURVEY, "sync", "--db", str(stores / "int01.sqlite"),
                                 "--server", url, "--chunk", "10"], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _kill_when_pushing(proc, central, proc.pid if who == "client" else srv.pid)
        out, err = proc.communicate(timeout=120)
        if who == "server":
            assert proc.returncode == 2 and "cannot be reached" in err, err
    finally:
        if srv.poll() is None:
            os.kill(srv.pid, signal.SIGKILL)
        srv.wait()
    assert integrity(central) == "ok" and integrity(stores / "int01.sqlite") == "ok"
    held = events_of(central, dev)
    assert held == events_of(stores / "int01.sqlite", dev)[: len(held)]  # a prefix
    assert len(held) < 2 * 153
    with server(central) as (url2, _):
        res = sync(stores / "int01.sqlite", url2, chunk=10)
    assert res.pushed == 2 * 153 - len(held)
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)


def test_a_device_cannot_reassign_households_to_itself(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    hub = sqlite3.connect(central)
    theirs = hub.execute("SELECT * FROM assignments WHERE interviewer = 'int02'").fetchall()
    hub.close()
    s = FieldStore.open(stores / "int01.sqlite")  # a tampered device store
    cols = [r[1] for r in s.connection.execute("PRAGMA table_info(assignments)")]
    import pandas as pd

    grab = pd.DataFrame(theirs, columns=cols).drop(columns=["attributes"])
    s.assign(grab, interviewer="int01")
    s.close()
    with server(central) as (url, _):
        with pytest.raises(StoreError, match="HTTP 403.*cannot issue, reassign"):
            sync(stores / "int01.sqlite", url)
    c = sqlite3.connect(central)
    assert c.execute("SELECT count(*) FROM assignments WHERE interviewer = 'int01'"
                     ).fetchone()[0] == 2
    c.close()


class CuttingProxy(DroppingProxy):
    """A TCP proxy that cuts the server's reply short (headers and part of the body)
    on every second connection."""

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.n += 1
            cut = self.n % 2 == 0
            self.dropped += cut
            threading.Thread(target=self._cut, args=(conn, cut), daemon=True).start()

    def _cut(self, conn: socket.socket, cut: bool) -> None:
        up = socket.create_connection(("127.0.0.1", self.target))

        def pipe_up() -> None:
            try:
                while data := conn.recv(65536):
                    up.sendall(data)
            except OSError:
                pass

        threading.Thread(target=pipe_up, daemon=True).start()
        reply = b""
        try:
            while data := up.recv(65536):
                reply += data
                head, sep, body = reply.partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = next((int(x.split(b":")[1]) for x in head.split(b"\r\n")
                               if x.lower().startswith(b"content-length:")), 0)
                if len(body) >= length:
                    break
        except OSError:
            pass
        try:
            if cut:  # the headers say N bytes; half of them arrive, then the line dies
                head, _, body = reply.partition(b"\r\n\r\n")
                conn.sendall(head + b"\r\n\r\n" + body[: max(1, len(body) // 2)])
            else:
                conn.sendall(reply)
        except OSError:
            pass
        for s in (conn, up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_replies_cut_short_are_retried_and_nothing_is_half_applied(tmp_path):
    stores = team_stores(tmp_path, n=6)
    central = stores / "central.sqlite"
    uuid = interview(stores / "int01.sqlite", 0, answers=40)
    dev, _, _ = device(stores / "int01.sqlite")
    with server(central) as (url, _):
        first = sync(stores / "int01.sqlite", url)
        hub = FieldStore.open(central)
        review(hub, uuid, "reject", tier="supervisor", reviewer="王芳", comment="请重访")
        hub.close()
        interview(stores / "int01.sqlite", 1, answers=30)
        proxy = CuttingProxy(int(url.rsplit(":", 1)[1]))
        try:
            res = sync(stores / "int01.sqlite", f"http://127.0.0.1:{proxy.port}", chunk=10)
        finally:
            proxy.close()
    assert first.pushed == 43 and proxy.dropped >= 2
    assert res.pushed == 33 and res.pulled >= 1
    assert events_of(central, dev) == events_of(stores / "int01.sqlite", dev)
    s = FieldStore.open(stores / "int01.sqlite")
    try:
        assert s.interview(uuid).review_state == "rejected"
    finally:
        s.close()
    assert integrity(stores / "int01.sqlite") == "ok"


def test_a_server_with_a_newer_fieldsurvey_is_named(tmp_path, monkeypatch):
    stores = team_stores(tmp_path, n=6)
    interview(stores / "int01.sqlite")
    with server(stores / "central.sqlite") as (url, _):
        monkeypatch.setattr(sync_client, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
        with pytest.raises(StoreError, match="the server runs a newer fieldsurvey.*nothing "
                                             "was sent") as err:
            sync(stores / "int01.sqlite", url)
        assert "Upgrade fieldsurvey on this device" in str(err.value)
        monkeypatch.undo()
        run = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url)
        assert run.returncode == 0
    log = last_syncs(sqlite3.connect(stores / "int01.sqlite"))
    assert log[0]["result"] == "ok" and "newer" in log[1]["result"]


def test_a_push_of_another_device_or_survey_is_refused_by_the_server(tmp_path):
    """Crafted pushes (the client refuses these before sending): the server checks too."""
    stores = team_stores(tmp_path, n=6)
    other = team_stores(tmp_path / "other", n=7)
    central = stores / "central.sqlite"
    interview(stores / "int02.sqlite")
    interview(other / "int01.sqlite")
    _, tok1, _ = device(stores / "int01.sqlite")
    _, _, meta2 = device(stores / "int02.sqlite")
    _, _, meta_o = device(other / "int01.sqlite")
    theirs = protocol.build_push(stores / "int02.sqlite", meta2, 0, 1, 10**6)
    foreign = protocol.build_push(other / "int01.sqlite", meta_o, 0, 1, 10**6)
    with server(central) as (url, _):
        status, reply = post(url, tok1, theirs)
        assert status == 409 and "not those of this token's device" in reply["error"]
        status, reply = post(url, tok1, foreign)
        assert status == 409 and "another survey" in reply["error"]
        status, reply = post(url, tok1, b"not a store at all")
        assert status == 400 and "not a complete field store" in reply["error"]
    assert count(central, "SELECT count(*) FROM interviews") == 0
    assert count(central, "SELECT count(*) FROM merge_log") == 0
    log = server_log(central)
    assert "not those of this token's device" in log and "another survey" in log
    assert not list(stores.glob(".sync-*"))  # no received file left behind
