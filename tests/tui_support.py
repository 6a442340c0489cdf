"""Shared set-up of the TUI tests and benchmark: a fresh field store with the example
questionnaire pinned and ``n`` households assigned, and a frozen clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

import fieldsurvey
from fieldsurvey.store.store import FieldStore

FORM_PATH = Path(fieldsurvey.__file__).parent / "example" / "questionnaires" / "resident_survey.xlsx"
FROZEN = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
COMMUNITIES = (("340199001001", "东关社区"), ("340199001002", "西门社区"),
               ("340199002001", "南湖社区"))
TABLES = ("A", "B1", "B2", "C", "D", "E1", "E2", "F", "C", "D", "A", "F")


class FrozenClock:
    """A clock that advances one second per call (event times stay ordered)."""

    def __init__(self, start: dt.datetime = FROZEN) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def make_store(path: Path, n: int = 6, clock: FrozenClock | None = None) -> FieldStore:
    """A device store of interviewer ``int01`` with ``n`` households."""
    from fieldsurvey.questionnaire import load_form

    form = load_form(FORM_PATH)
    st = FieldStore.create(path, survey_id="S-test", device_id="dev-test",
                           interviewer="int01", pii_salt="salt", clock=clock or FrozenClock())
    st.add_form(FORM_PATH.read_bytes(), form_id=form.form_id, version=form.version,
                filename=FORM_PATH.name)
    rows = []
    for i in range(n):
        cid, cname = COMMUNITIES[i % len(COMMUNITIES)]
        rows.append({"dwelling_id": f"{cid}-{i + 1:05d}", "community_id": cid, "name": cname,
                     "line": i // len(COMMUNITIES) + 1, "kish_table": TABLES[i % 12],
                     "address": f"{cname}幸福小区{i % 9 + 1}栋{i % 3 + 1}单元{101 + i}室",
                     "released": 1})
    st.assign(pd.DataFrame(rows), form_id=form.form_id, form_version=form.version)
    return st


def quick_idle(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Let Textual's pilot detect idleness in 4 ms slices instead of 20 ms.

    The pilot waits for the app to be idle twice after every key; with the default 20 ms
    slices a whole interview costs seconds of pure waiting. Nothing in the app depends on
    the slice: handlers that work longer simply keep the pilot waiting.
    """
    import textual._wait as wait

    monkeypatch.setattr(wait, "SLEEP_GRANULARITY", 1 / 250)
    monkeypatch.setattr(wait, "SLEEP_IDLE", 1 / 250 / 20)
