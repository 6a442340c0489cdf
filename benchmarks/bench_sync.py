"""Benchmarks of the sync server (issue 18), on loopback, the server a real process.

Targets: one device holding 50 interviews x 100 answers syncs into a central store of
10,000 interviews in <= 1 s; an up-to-date device's sync <= 0.2 s; 50 devices syncing at
once all complete, 0 events lost, the central store equal (table dumps) to a file merge
of the same device stores, p95 <= 3 s.

Stores are generated inside SQLite (``bench_store.build_store``). Each figure is printed
with the 1-minute load average when it was taken and the CPU seconds the clients (this
process's threads) and the server process used, since the machine's cores may be shared;
the 50-device line gives p50, p95 and p95 / 3 s. Run::

    python benchmarks/bench_sync.py [one|many|all] [--devices 50] [--dir DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import build_store  # noqa: E402

from fieldsurvey.store.merge import merge_stores  # noqa: E402
from fieldsurvey.store.sync.client import sync  # noqa: E402
from fieldsurvey.store.sync.tokens import token_hash  # noqa: E402

SURVEY = "B"

TABLES = {
    "events": "SELECT * FROM events ORDER BY device_id, seq",
    "assignments": "SELECT * FROM assignments ORDER BY dwelling_id",
    "attempts": "SELECT * FROM attempts ORDER BY attempt_id",
    "interviews": "SELECT uuid, dwelling_id, status, outcome, st_hlc, st_device, st_seq, "
                  "review_state, rv_hlc FROM interviews ORDER BY uuid",
    "answers": "SELECT i.uuid, a.question, a.instance, a.value, a.vtype, a.ver_hlc, "
               "a.ver_device, a.ver_seq FROM answers a JOIN interviews i ON i.iid = a.iid "
               "ORDER BY 1, 2, 3",
    "editors": "SELECT * FROM editors ORDER BY 1, 2",
}


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    c = sqlite3.connect(path)
    try:
        return {t: c.execute(q).fetchall() for t, q in TABLES.items()}
    finally:
        c.close()


def make_central(path: Path, n: int) -> None:
    """A central store holding ``n`` completed interviews x 100 answers."""
    build_store(path, survey=SURVEY, device="hub-data", interviewer="w-old", n=n)
    c = sqlite3.connect(path)
    c.execute("UPDATE meta SET value = 'central' WHERE key = 'role'")
    c.commit()
    c.close()


def make_device(folder: Path, central: Path, k: int, n: int, first: int) -> Path:
    """Device store k (``n`` interviews) with its token; its assignments in the central."""
    path = folder / f"dev{k:02d}.sqlite"
    build_store(path, survey=SURVEY, device=f"dev{k:02d}", interviewer=f"w{k:02d}", n=n,
                first=first)
    token = f"bench-token-{k:02d}-" + "x" * 32
    c = sqlite3.connect(path)
    c.execute("INSERT INTO meta VALUES ('sync_token', ?)", (token,))
    c.commit()
    c.close()
    hub = sqlite3.connect(central)
    hub.execute("PRAGMA busy_timeout = 10000")
    hub.execute("ATTACH ? AS d", (str(path),))
    hub.execute("INSERT OR IGNORE INTO assignments SELECT * FROM d.assignments")
    hub.execute("INSERT INTO credentials VALUES (?, ?, 'interviewer', ?, '2026-05-01', NULL)",
                (f"dev{k:02d}", f"w{k:02d}", token_hash(token)))
    hub.commit()
    hub.close()
    return path


class Server:
    """`fieldsurvey serve` as a process on a free loopback port, stopped by its PID."""

    def __init__(self, db: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        exe = Path(sys.executable).parent / "fieldsurvey"
        self.proc = subprocess.Popen([str(exe), "serve", "--db", str(db), "--port",
                                      str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)

    def cpu(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(60)


def loadavg() -> str:
    """The 1-minute load average (the machine's 2 cores are shared with other work)."""
    return Path("/proc/loadavg").read_text().split()[0]


def own_cpu() -> float:
    """CPU seconds (user + system) of this process (the clients' threads)."""
    t = os.times()
    return t.user + t.system


def bench_one(d: Path, central_n: int = 10_000, n: int = 50) -> dict[str, float]:
    central = d / "central.sqlite"
    make_central(central, central_n)
    dev = make_device(d, central, 0, n, first=central_n)
    srv = Server(central)
    try:
        load = loadavg()
        cpu0, scpu0 = own_cpu(), srv.cpu()
        first = sync(dev, srv.url)
        cpu1, scpu1 = own_cpu(), srv.cpu()
        times = []
        for _ in range(5):
            times.append(sync(dev, srv.url).seconds)
    finally:
        srv.stop()
    return {"central_interviews": central_n, "device_interviews": n,
            "events_pushed": first.pushed, "first_sync_s": first.seconds,
            "first_sync_client_cpu_s": cpu1 - cpu0, "first_sync_server_cpu_s": scpu1 - scpu0,
            "requests": first.requests, "up_to_date_sync_s_median": sorted(times)[2],
            "up_to_date_sync_s_max": max(times), "loadavg_1min": float(load)}


def bench_many(d: Path, devices: int = 50, n: int = 10) -> dict[str, float]:
    central = d / "central.sqlite"
    make_central(central, 1000)
    paths = [make_device(d, central, k, n, first=1000 + k * n) for k in range(devices)]
    shutil.copy(central, d / "filed.sqlite")
    srv = Server(central)
    try:
        load = loadavg()
        cpu0, scpu0 = own_cpu(), srv.cpu()
        with concurrent.futures.ThreadPoolExecutor(devices) as pool:
            t = time.perf_counter()
            results = list(pool.map(lambda p: sync(p, srv.url), paths))
            wall = time.perf_counter() - t
        cpu1, scpu1 = own_cpu(), srv.cpu()
        load_after = loadavg()
    finally:
        srv.stop()
    merge_stores(paths, d / "filed.sqlite")
    a, b = dump(central), dump(d / "filed.sqlite")
    secs = sorted(r.seconds for r in results)
    sent = sum(sqlite3.connect(p).execute("SELECT count(*) FROM events").fetchone()[0]
               for p in paths)
    lost = sent - sum(r.pushed for r in results)
    p95 = secs[int(0.95 * (len(secs) - 1))]
    return {"devices": devices, "events_each": sent // devices, "wall_s": wall,
            "p50_s": secs[len(secs) // 2], "p95_s": p95, "max_s": secs[-1],
            "p95_over_3s_target": p95 / 3.0, "clients_cpu_s": cpu1 - cpu0,
            "server_cpu_s": scpu1 - scpu0, "events_lost": lost,
            "central_equals_file_merge": float(a == b), "loadavg_1min_before": float(load),
            "loadavg_1min_after": float(load_after)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="all", choices=("one", "many", "all"))
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--dir", help="work folder (default: a temporary one)")
    args = ap.parse_args(argv)
    base = Path(args.dir or tempfile.mkdtemp(prefix="bench-sync-"))
    ok = True
    if args.what in ("one", "all"):
        d = base / "one"
        d.mkdir(parents=True, exist_ok=True)
        r = bench_one(d)
        print("one device:", {k: round(v, 3) for k, v in r.items()})
        ok &= r["first_sync_s"] <= 1.0 and r["up_to_date_sync_s_median"] <= 0.2
    if args.what in ("many", "all"):
        d = base / "many"
        d.mkdir(parents=True, exist_ok=True)
        r = bench_many(d, args.devices)
        print(f"{args.devices} devices at once:", {k: round(v, 3) for k, v in r.items()})
        ok &= r["p95_s"] <= 3.0 and r["events_lost"] == 0 and r["central_equals_file_merge"] == 1
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
