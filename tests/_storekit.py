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
