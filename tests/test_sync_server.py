"""`fieldsurvey serve` + `fieldsurvey sync`: a team's fieldwork over the network (issue 18)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess

from _synckit import cli, interview, server, server_log, team_stores
from test_store_merge import snapshot

from fieldsurvey.store import FieldStore
from fieldsurvey.store.merge import merge_stores
from fieldsurvey.store.review import review
from fieldsurvey.store.sync.client import last_syncs, sync


def rows(path, sql):
    c = sqlite3.connect(path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def test_sync_pushes_pulls_and_a_rejection_reopens_on_the_device(tmp_path):
    stores = team_stores(tmp_path)
    central = stores / "central.sqlite"
    uuid = interview(stores / "int01.sqlite", answers=100)
    interview(stores / "int02.sqlite", answers=5)
    with server(central) as (url, _):
        first = sync(stores / "int01.sqlite", url, chunk=40)
        assert first.pushed == 1 + 1 + 100 + 1 and first.requests >= 4  # chunks of 40 events
        sync(stores / "int02.sqlite", url)
        before = snapshot(stores / "int01.sqlite")
        again = sync(stores / "int01.sqlite", url)
        assert (again.pushed, again.pulled) == (0, 0)
        assert snapshot(stores / "int01.sqlite") == before  # idempotent
        # the supervisor rejects with a comment on a question, while the server runs
        hub = FieldStore.open(central)
        review(hub, uuid, "reject", tier="supervisor", reviewer="王芳",
               question_comments={"q3": "请核实"})
        hub.close()
        back = sync(stores / "int01.sqlite", url)
        assert back.pulled >= 2
        dev = FieldStore.open(stores / "int01.sqlite")
        assert dev.interview(uuid).review_state == "rejected"
        assert [(c["question"], c["comment"]) for c in dev.review_comments(uuid)] == \
            [("q3", "请核实")]
        dev.resume_interview(uuid)  # reopens
        dev.set_answer(uuid, "q3", 33)
        dev.complete(uuid)
        dev.close()
        assert sync(stores / "int01.sqlite", url).pushed == 3
    got = rows(central, "SELECT a.value FROM answers a JOIN interviews i USING (iid) "
                        f"WHERE i.uuid = '{uuid}' AND a.question = 'q3'")
    assert got == [(33,)]
    assert rows(central, f"SELECT review_state FROM interviews WHERE uuid = '{uuid}'") == \
        [("pending",)]
    # the central store is what a file merge of the same device stores gives
    merge_stores(sorted(stores.glob("int*.sqlite")), tmp_path / "filed.sqlite")
    a, b = snapshot(central), snapshot(tmp_path / "filed.sqlite")
    for table in ("answers", "attempts", "interviews", "assignments", "review_comments"):
        assert a[table] == b[table], table
    # a device never holds another interviewer's households
    assert rows(stores / "int02.sqlite", "SELECT DISTINCT interviewer FROM assignments") == \
        [("int02",)]
    assert rows(stores / "int02.sqlite", "SELECT count(*) FROM interviews") == [(1,)]
    log = last_syncs(sqlite3.connect(stores / "int01.sqlite"))
    assert [r["result"] for r in log] == ["ok"] * 4 and log[-1]["pushed"] == 103
    assert "push from int01" in server_log(central)


def test_no_or_a_wrong_token_is_refused_with_401(tmp_path):
    stores = team_stores(tmp_path, n=6)
    interview(stores / "int01.sqlite")
    with server(stores / "central.sqlite") as (url, _):
        run = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url,
                  "--token", "not-a-token")
        assert run.returncode == 2
        assert "HTTP 401" in run.stderr and "token" in run.stderr and "Traceback" not in \
            run.stderr
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(url + "/api/v1/hello", timeout=10)
            raise AssertionError("no token was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    assert rows(stores / "central.sqlite", "SELECT count(*) FROM interviews") == [(0,)]
    log = last_syncs(sqlite3.connect(stores / "int01.sqlite"))
    assert log[0]["result"].startswith("failed") and "401" in log[0]["result"]
    assert "401" in server_log(stores / "central.sqlite")


def test_https_with_a_self_signed_certificate(tmp_path):
    stores = team_stores(tmp_path, n=6)
    interview(stores / "int01.sqlite")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with server(stores / "central.sqlite",
                extra=("--certfile", str(cert), "--keyfile", str(key))) as (url, _):
        assert url.startswith("https://")
        untrusted = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url)
        assert untrusted.returncode == 2 and "certificate is not trusted" in untrusted.stderr
        ok = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url,
                 "--cafile", str(cert))
        assert ok.returncode == 0 and "3 new entries sent" in ok.stdout
    assert rows(stores / "central.sqlite", "SELECT count(*) FROM interviews") == [(1,)]


def test_a_central_store_made_by_merge_is_served_after_issue_tokens(tmp_path):
    """`merge` makes a central store without tokens; `serve --issue-tokens` registers them."""
    stores = team_stores(tmp_path, n=6)
    interview(stores / "int01.sqlite")
    devices = sorted(stores.glob("int*.sqlite"))
    central = tmp_path / "central.sqlite"
    run = cli("merge", *map(str, devices), "--into", str(central))
    assert run.returncode == 0, run.stderr
    assert rows(central, "SELECT count(*) FROM credentials") == [(0,)]
    with server(central) as (url, _):  # the tokens `assign` gave are not known here
        refused = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url)
    assert refused.returncode == 2 and "HTTP 401" in refused.stderr
    old = rows(stores / "int01.sqlite", "SELECT value FROM meta WHERE key = 'sync_token'")
    issued = cli("serve", "--db", str(central), "--issue-tokens", *map(str, devices),
                 "--sheet", str(tmp_path / "tokens.txt"))
    assert issued.returncode == 0, issued.stderr
    lines = [ln.split() for ln in issued.stdout.strip().splitlines()[:-1]]
    assert issued.stdout.strip().splitlines()[-1] == f"team sheet: {tmp_path / 'tokens.txt'}"
    assert [ln[0] for ln in lines] == ["int01", "int02", "int03"]
    sheet = (tmp_path / "tokens.txt").read_text()
    assert (tmp_path / "tokens.txt").stat().st_mode & 0o777 == 0o600
    for (who, dev, role, token), path in zip(lines, devices, strict=True):
        assert role == "interviewer" and token in sheet
        # the token is kept in the device store; the central store has only its SHA-256
        assert rows(path, "SELECT value FROM meta WHERE key = 'sync_token'") == [(token,)]
        assert rows(central, f"SELECT interviewer, role, token_sha256 FROM credentials "
                             f"WHERE device_id = '{dev}'") == \
            [(who, "interviewer", hashlib.sha256(token.encode()).hexdigest())]
        assert token.encode() not in central.read_bytes()
    assert rows(stores / "int01.sqlite",
                "SELECT value FROM meta WHERE key = 'sync_token'") != old
    with server(central) as (url, _):
        ok = cli("sync", "--db", str(stores / "int01.sqlite"), "--server", url)
        assert ok.returncode == 0, ok.stderr
        assert "0 new entries sent" in ok.stdout  # merged already
        interview(stores / "int02.sqlite", 1)
        assert sync(stores / "int02.sqlite", url).pushed == 13
    assert rows(central, "SELECT count(*) FROM interviews") == [(2,)]


def test_issue_tokens_refuses_what_it_cannot_use(tmp_path):
    stores = team_stores(tmp_path, n=6)
    other = team_stores(tmp_path / "other", n=7)
    central = stores / "central.sqlite"
    run = cli("serve", "--db", str(central), "--issue-tokens", str(other / "int01.sqlite"))
    assert run.returncode == 2 and "another survey" in run.stderr
    assert "Traceback" not in run.stderr
    run = cli("serve", "--db", str(central), "--issue-tokens", str(stores / "central.sqlite"))
    assert run.returncode == 2 and "not an interviewer's device store" in run.stderr
    run = cli("serve", "--db", str(stores / "int02.sqlite"), "--issue-tokens",
              str(stores / "int01.sqlite"))
    assert run.returncode == 2 and "central store, not in a device's" in run.stderr


def test_pushes_arriving_together_share_one_commit_and_a_bad_one_fails_alone(tmp_path):
    """The writer merges the pushes waiting in its queue in one transaction (group
    commit), each in a savepoint: a push that cannot be merged is refused alone."""
    import shutil
    import threading

    import pytest

    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store.sync import protocol
    from fieldsurvey.store.sync.server import SyncService
    from fieldsurvey.store.sync.tokens import Credential

    stores = team_stores(tmp_path, n=9)
    central = stores / "central.sqlite"
    shutil.copy(stores / "int01.sqlite", tmp_path / "int01-copy.sqlite")
    for k, name in enumerate(("int01", "int02", "int03")):
        interview(stores / f"{name}.sqlite", 0, answers=5 + k)
    interview(tmp_path / "int01-copy.sqlite", 1, answers=4)  # the same id, other entries

    def body(path):
        s = FieldStore.open(path)
        try:
            return protocol.build_push(path, s.meta, 0, 1, 10**6), Credential(
                s.device_id, s.meta["interviewer"], "interviewer")
        finally:
            s.close()

    service = SyncService(central)
    try:
        first = service.push(*body(stores / "int01.sqlite"))
        assert (first["new"], first["batch"]) == (8, 1)
        hold, held = threading.Event(), threading.Event()
        service.writer.call(lambda: (held.set(), hold.wait(60)))  # keep the writer busy
        assert held.wait(60)
        jobs = [service.check_push(*body(p)) for p in (
            stores / "int02.sqlite", tmp_path / "int01-copy.sqlite", stores / "int03.sqlite")]
        futures = [service.writer.submit(j) for j in jobs]
        batches = service.writer.batches
        hold.set()
        two, three = futures[0].result(60), futures[2].result(60)
        with pytest.raises(StoreError, match="claim the same device id"):
            futures[1].result(60)
        assert service.writer.batches == batches + 1  # one transaction for the three
        assert (two["new"], two["batch"]) == (9, 3) and (three["new"], three["batch"]) == (10, 3)
    finally:
        service.close()
    got = rows(central, "SELECT device_id, count(*) FROM events WHERE device_id LIKE 'int0%' "
                        "GROUP BY 1 ORDER BY 1")
    assert [n for _, n in got] == [8, 9, 10]
    assert rows(central, "SELECT count(*) FROM interviews") == [(3,)]
    assert rows(central, "PRAGMA integrity_check") == [("ok",)]


def test_a_full_disk_in_a_shared_commit_refuses_only_the_push_that_did_not_fit(tmp_path):
    import threading

    import pytest

    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.store.sync import protocol
    from fieldsurvey.store.sync.server import SyncService
    from fieldsurvey.store.sync.tokens import Credential

    stores = team_stores(tmp_path, n=9)
    central = stores / "central.sqlite"
    interview(stores / "int01.sqlite", 0, answers=2)
    interview(stores / "int02.sqlite", 0, answers=3000)  # far more than the room left
    interview(stores / "int03.sqlite", 0, answers=2)

    def body(name):
        s = FieldStore.open(stores / f"{name}.sqlite")
        try:
            return protocol.build_push(s.path, s.meta, 0, 1, 10**6), Credential(
                s.device_id, name, "interviewer")
        finally:
            s.close()

    service = SyncService(central)
    try:
        pages = service.store.connection.execute("PRAGMA page_count").fetchone()[0]
        service.store.connection.execute(f"PRAGMA max_page_count = {pages + 12}")
        hold, held = threading.Event(), threading.Event()
        service.writer.call(lambda: (held.set(), hold.wait(60)))
        assert held.wait(60)
        futures = [service.writer.submit(service.check_push(*body(n)))
                   for n in ("int01", "int02", "int03")]
        hold.set()
        assert futures[0].result(60)["new"] == 5 and futures[2].result(60)["new"] == 5
        with pytest.raises(StoreError, match="disk is full"):
            futures[1].result(60)
    finally:
        service.close()
    assert rows(central, "SELECT substr(device_id, 1, 5), count(*) FROM events WHERE "
                         "device_id LIKE 'int0%' GROUP BY 1 ORDER BY 1") == \
        [("int01", 5), ("int03", 5)]
    assert rows(central, "SELECT count(*) FROM events WHERE device_id LIKE 'int02%'") == [(0,)]
    assert rows(central, "PRAGMA integrity_check") == [("ok",)]
