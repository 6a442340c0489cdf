"""The real app in a pseudo-terminal: answer questions, SIGKILL it, find every answer.

This is the durability promise of the interviewer app: an answer is committed to the
store before the screen moves on, so a killed process (flat battery, crash) loses
nothing the interviewer saw accepted.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from tui_support import make_store

from fieldsurvey.store.store import FieldStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


class Terminal:
    """A child process on a pty of 80x24 whose output is collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.out = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.out += chunk

    def text(self) -> str:
        with self.lock:
            return self.out.decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 40.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared; last output: {self.text()[-600:]!r}")

    def send(self, keys: str) -> None:
        with self.lock:
            self.out.clear()
        os.write(self.master, keys.encode())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        os.close(self.master)


def test_answers_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "dev.sqlite"
    st = make_store(path, 3)
    d = str(st.assignments()["dwelling_id"].iloc[0])
    st.set_roster_member(d, 1, name="张伟", sex="male", age=45, resident=True)
    st.set_roster_member(d, 2, name="李芳", sex="female", age=43, resident=True)
    st.record_selection(d, method="kish", eligible_count=2, chosen_line=1, probability=0.5,
                        kish_table="A")
    st.close()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24",
           "TEXTUAL_ANIMATIONS": "none"}
    term = Terminal([sys.executable, "-m", "fieldsurvey", "interview", "--db", str(path)], env)
    try:
        term.wait_for("未访")
        term.send("\r")
        term.wait_for("Kish")
        term.send("i")
        term.wait_for("出生")  # a1 is prefilled from the roster: the interview opens at a2
        term.send("\x1b[5~")  # PgUp
        term.wait_for("受访者性别")
        term.send("1")  # a1 male, as the roster says
        term.wait_for("出生")
        term.send("1981\r")  # a2
        term.wait_for("文化程度")
        term.send("4")  # a3
        term.wait_for("户籍")  # a4 is drawn: the answers before it were accepted
    finally:
        term.kill()
    st = FieldStore.open(path)
    try:
        uuid = st.interviews(d)[-1]["uuid"]
        answers = st.answers(uuid)
        assert (answers["a1"], answers["a2"], answers["a3"]) == ("1", 1981, "4")
        assert st.interview(uuid).position == "a4"
        assert st.check() == []
    finally:
        st.close()
