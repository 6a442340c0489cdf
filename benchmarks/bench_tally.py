"""Benchmark: the tally screen over a central store of 10,000 interviews x 100 answers (issue 20).

Targets: first draw <= 1 s, refresh <= 0.5 s. Measured three ways, all printed with their
ratio to the target and the load average:

1. From outside the process, as the supervisor waits (the headline figures):
   ``fieldsurvey interview --db central.sqlite --supervisor --lang en`` runs in an 80x24
   pseudo-terminal; the clock starts when ``y`` is sent (the supervisor screen being
   drawn) and stops when the tally's tables are written to the terminal (its title
   "Survey participation" appears). Then ``COMPLETES`` new complete interviews are
   written to the store by another process (what a sync or a merge brings), ``r`` is
   sent, and the clock stops when the updated n (10,000 + COMPLETES) is on the terminal.
   Also printed: command start to the tally on the terminal (start-up included), and the
   CPU time the command used.
2. In-process with Textual's pilot (``App.run_test``): ``y`` to the first result drawn,
   ``r`` after new completes to the next result drawn.
3. The computation alone (:class:`fieldsurvey.estimate.tally_session.TallySession`): the first
   read and estimates, a refresh with nothing written, a refresh after new completes;
   wall and CPU seconds.

The store is generated inside SQLite by ``benchmarks/bench_store.py``'s ``build_store``
with its 100-question form, in which 12 five-point items form a composite satisfaction
index, 8 more are satisfaction items, 5 select_multiple are needs and one is participation
(the ``indicator`` columns). Run from the repository root::

    .venv/bin/python benchmarks/bench_tally.py [--interviews 10000]

Exit code 1 when a target is missed (by the measurement from outside).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import bench_form, build_store  # noqa: E402

#: New complete interviews written between the first draw and the refresh.
COMPLETES = 20
#: Seconds on the supervisor screen before ``y`` (its tables are drawn, the tally is
#: computed in the background meanwhile).
WARM_S = 10.0
FIRST_S, REFRESH_S = 1.0, 0.5


def declared_form(path: Path) -> Path:
    """The bench form with indicator columns on some of its questions."""
    bench_form(path)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for j, decl in _DECL.items():
            if line.startswith("- {type:") and f"name: q{j}," in line:
                line = line[:-1] + ", " + decl + "}"
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


_DECL = {
    **{j: "indicator: satisfaction, indicator_direction: ascending, "
          "indicator_index: satisfaction_index" for j in range(1, 13)},
    **{j: "indicator: satisfaction, indicator_direction: ascending" for j in range(13, 21)},
    **{j: "indicator: need" for j in range(81, 86)},
    86: "indicator: participation",
}


def add_completes(db: Path, k: int, start: int) -> None:
    """``k`` new cases interviewed to the end (as a sync or a merge brings them)."""
    from fieldsurvey.store import FieldStore

    with FieldStore.open(db, check=False) as st:
        st.connection.execute("PRAGMA synchronous = OFF")  # the writer's speed is not timed
        ids = [f"N{start + i}" for i in range(k)]
        st.assign([{"dwelling_id": d, "community_id": "C5", "stratum": "S1", "line": 0,
                    "base_weight": 100.0} for d in ids], interviewer="w1", form_id="bench",
                  form_version="1")
        for d in ids:
            uid = st.start_interview(d, interviewer="w1")
            for j in range(1, 21):
                st.set_answer(uid, f"q{j}", 5, interviewer="w1")
            for j in range(81, 87):
                st.set_answer(uid, f"q{j}", ("1", "2"), interviewer="w1")
            st.complete(uid, interviewer="w1")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_ESC = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Terminal:
    """``fieldsurvey interview --supervisor`` in an 80x24 pseudo-terminal."""

    def __init__(self, db: Path) -> None:
        import fcntl
        import pty
        import struct
        import subprocess
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldsurvey", "interview", "--db", str(db),
             "--supervisor", "--lang", "en"], stdin=slave, stdout=slave, stderr=slave,
            env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.text = b""

    def wait_for(self, marker: bytes, timeout: float = 120.0) -> float:
        """Read the terminal until ``marker`` is on it (escape codes removed); the time."""
        import select

        start = len(self.text)
        t_end = time.perf_counter() + timeout
        while time.perf_counter() < t_end:
            ready, _, _ = select.select([self.master], [], [], 0.01)
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    break
                self.text += chunk
                if marker in _ESC.sub(b"", self.text[max(0, start - 64):]):
                    return time.perf_counter()
            elif self.proc.poll() is not None:
                break
        raise RuntimeError(f"{marker!r} did not appear within {timeout:.0f} s")

    def send(self, keys: bytes) -> float:
        self.text = b""
        t = time.perf_counter()
        os.write(self.master, keys)
        return t

    def close(self) -> None:
        import signal
        import subprocess

        os.write(self.master, b"\x11")  # Ctrl+Q
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


def composite_n(db: Path) -> int:
    """The n of the district's composite index (the tally's first figure row)."""
    from fieldsurvey.estimate.tally import tally

    e = tally(db, only=("unweighted",)).estimates
    return int(e[(e["variable"] == "satisfaction_index") & (e["community_id"] == "")]
               ["n"].iloc[0])


def from_outside(db: Path, n: int) -> dict[str, float]:
    """The supervisor's view (see the module docstring, 1.)."""
    n = composite_n(db)
    term = Terminal(db)
    try:
        shown = term.wait_for(b"Interviews to review") - term.t0
        time.sleep(WARM_S)  # the supervisor looks at the progress screen, then presses y
        t_y = term.send(b"y")
        drawn = term.wait_for(b"Survey participation")
        first = drawn - t_y
        cpu_first = _cpu_seconds(term.proc.pid)
        add_completes(db, COMPLETES, 900_000)
        t_r = term.send(b"r")
        refreshed = term.wait_for(f"{n + COMPLETES}".encode()) - t_r
    finally:
        term.close()
    # start-up included: a fresh command, y pressed as soon as the supervisor screen is up
    term = Terminal(db)
    try:
        term.wait_for(b"Interviews to review")
        t_y = term.send(b"y")
        drawn = term.wait_for(b"Survey participation")
        cold, total = drawn - t_y, drawn - term.t0
    finally:
        term.close()
    return {"first": first, "refresh": refreshed, "supervisor_shown": shown,
            "start_to_tally": total, "cold": cold, "cpu_at_first": cpu_first}


async def in_process(db: Path) -> tuple[float, float]:
    """Seconds from ``y`` to the first result drawn, from ``r`` (after new completes) to
    the next, with Textual's pilot (see the module docstring, 2.)."""
    from fieldsurvey.tui.app import make_app

    app = make_app(db, supervisor=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press("y")
        while getattr(app.screen, "shown", 0) < 1:
            await pilot.pause(0.005)
        first = time.perf_counter() - t0
        screen = app.screen
        add_completes(db, COMPLETES, 800_000)
        t0 = time.perf_counter()
        await pilot.press("r")
        while screen.shown < 2:  # type: ignore[attr-defined]
            await pilot.pause(0.005)
        refresh = time.perf_counter() - t0
        return first, refresh


def _timed(fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def computation(db: Path) -> None:
    """The computation alone (see the module docstring, 3.)."""
    from fieldsurvey.estimate.tally import form_and_indicators
    from fieldsurvey.estimate.tally_session import TallySession

    _, w, c = _timed(lambda: form_and_indicators(db))
    print(f"  pinned form and its indicators: {w:.2f} s (CPU {c:.2f} s; the screen uses the "
          "app's form, already loaded)")
    ind = form_and_indicators(db)[1]
    session = TallySession(db, indicators=ind)
    res, w, c = _timed(lambda: session.compute(("unweighted",)))
    print(f"  first computation: {w:.2f} s (CPU {c:.2f} s; {res.respondents:,} respondents, "
          f"{len(res.estimates):,} estimate rows)")
    _, w, c = _timed(lambda: session.compute(("unweighted",)))
    print(f"  refresh, nothing written: {w:.3f} s (CPU {c:.3f} s)")
    add_completes(db, COMPLETES, 700_000)
    res, w, c = _timed(lambda: session.compute(("unweighted",)))
    print(f"  refresh after {COMPLETES} new completes: {w:.2f} s (CPU {c:.2f} s; "
          f"{res.respondents:,} respondents)")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    """Build the store, time the screen and the computation, print, check the targets."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--interviews", type=int, default=10_000)
    args = ap.parse_args()
    n = args.interviews
    with tempfile.TemporaryDirectory() as d:
        form = declared_form(Path(d) / "bench.yaml")
        db = Path(d) / "central.sqlite"
        t0 = time.perf_counter()
        build_store(db, survey="S", device="central", interviewer="w1", n=n, form=form)
        print(f"store of {n:,} interviews x 100 answers built in "
              f"{time.perf_counter() - t0:.1f} s")
        print(f"1. from outside (pty, 80x24; load average {_load()}):")
        out = from_outside(db, n)
        ok = out["first"] <= FIRST_S and out["refresh"] <= REFRESH_S
        print(f"  first draw (y after {WARM_S:g} s on the supervisor screen -> tables on the "
              f"terminal): {out['first']:.2f} s = {out['first'] / FIRST_S:.2f} x the "
              f"{FIRST_S:g} s target")
        print(f"  first draw, y as soon as the supervisor screen is up (the tally still being "
              f"computed): {out['cold']:.2f} s = {out['cold'] / FIRST_S:.2f} x the target")
        print(f"  refresh (r after {COMPLETES} new completes -> new n on the terminal): "
              f"{out['refresh']:.2f} s = {out['refresh'] / REFRESH_S:.2f} x the "
              f"{REFRESH_S:g} s target")
        print(f"  command start -> supervisor screen: {out['supervisor_shown']:.2f} s; -> tally "
              f"on the terminal (y as soon as the supervisor screen is up): "
              f"{out['start_to_tally']:.2f} s; CPU of the command by the first draw "
              f"{out['cpu_at_first']:.2f} s")
        print(f"2. in-process, Textual pilot (load average {_load()}):")
        first, refresh = asyncio.run(in_process(db))
        print(f"  first draw: {first:.2f} s = {first / FIRST_S:.2f} x target; refresh: "
              f"{refresh:.2f} s = {refresh / REFRESH_S:.2f} x target")
        print(f"3. the computation alone (load average {_load()}):")
        computation(db)
    print(f"-> {'ok' if ok else 'MISSED'} (targets: first draw <= {FIRST_S:g} s, refresh <= "
          f"{REFRESH_S:g} s, measured from outside)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
