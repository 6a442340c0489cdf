"""Helpers for the field store tests: a stepping clock and small synthetic samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from fieldsurvey.store import FieldStore

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


class StepClock:
    """A clock that advances ``step`` seconds at each call (deterministic time)."""

    def __init__(self, start: dt.datetime = T0, step: float = 1.0) -> None:
        self.now = start
        self.step = dt.timedelta(seconds=step)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


def sample_frame(n: int = 6, communities: tuple[str, ...] = ("C1", "C2")) -> pd.DataFrame:
    """A small synthetic sample with the SAMPLE_COLUMNS and address columns."""
    rows = []
    for i in range(n):
        com = communities[i % len(communities)]
        rows.append({
            "stratum": "S" + com[-1], "community_id": com, "dwelling_id": f"{com}-{i:03d}",
            "line": i // len(communities) + 1, "replicate": 0, "released": True,
            "release_batch": 0, "segment": None, "kish_table": "ABCDEF"[i % 6],
            "pi_1": 0.5, "pi_2": 0.1, "pi": 0.05, "base_weight": 20.0,
            "address": f"幸福路{i}号", "building": str(i), "unit": "1", "floor": "2",
            "door": "201", "street": "东街",
        })
    return pd.DataFrame(rows)


def make_store(path: Path, *, n: int = 6, interviewer: str = "w1", device_id: str = "dev-A",
               survey_id: str = "SURVEY1", clock: StepClock | None = None) -> FieldStore:
    """A device store with ``n`` assigned cases pinned to form ``f`` version ``1``."""
    store = FieldStore.create(path, survey_id=survey_id, device_id=device_id,
                              interviewer=interviewer, clock=clock or StepClock())
    store.assign(sample_frame(n), form_id="f", form_version="1")
    return store


def run_in_private_mount(mnt: Path, size: str, *scripts: str, readonly_after_first: bool = False,
                         args: tuple[object, ...] = ()) -> list[str]:
    """Run Python ``scripts`` (texts; ``sys.argv[1]`` is ``mnt``, then ``args``) one after
    the other with a private tmpfs of ``size`` mounted at ``mnt``, remounted read-only
    after the first script when asked; return each script's stdout. Skips where a private
    tmpfs cannot be mounted (no Linux ``unshare``, or user namespaces disallowed).
    """
    import shutil
    import subprocess
    import sys

    import pytest

    unshare = shutil.which("unshare")
    mnt.mkdir(exist_ok=True)
    if unshare is None or sys.platform != "linux":
        pytest.skip("needs Linux unshare to mount a private tmpfs")
    probe = subprocess.run([unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k none {mnt}"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode(errors='replace')}")
    files = []
    for k, text in enumerate(scripts):
        f = mnt.parent / f"_script{k}.py"
        f.write_text(text, encoding="utf-8")
        files.append(f)
    extra = " ".join(f"'{a}'" for a in args)
    steps = [f"mount -t tmpfs -o size={size} none {mnt}"]
    for k, f in enumerate(files):
        steps.append(f"{sys.executable} {f} {mnt} {extra} > {f}.out 2> {f}.err; echo $? > {f}.rc")
        if k == 0 and readonly_after_first:
            steps.append(f"mount -o remount,ro {mnt}")
    out = subprocess.run([unshare, "-rm", "sh", "-c", " && ".join(steps)], capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    results = []
    for f in files:
        rc = Path(f"{f}.rc").read_text().strip()
        err = Path(f"{f}.err").read_text()
        assert rc == "0", f"{f.name} exited {rc}: {err}"
        results.append(Path(f"{f}.out").read_text())
    return results
