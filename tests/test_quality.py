"""Quality flags from the event log (issue 17): speeding, straight-lining, special answers,
working hours, GPS distance, and interviewers against the team; the ``quality`` verb."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from tui_support import FORM_PATH

from fieldsurvey.cli.main import main
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.store.quality import (
    QualityThresholds,
    _haversine,
    grids_of,
    quality_report,
)
from fieldsurvey.store.store import FieldStore

FORM = load_form(FORM_PATH)
GRID = grids_of(FORM)["sec_d"]
DONT_KNOW = SpecialAnswer(-8, "dont_know")


class Clock:
    """A settable wall clock (local time +08:00)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def interview(st: FieldStore, clock: Clock, dwelling: str, who: str, *, pace: float,
              values: list[str], extra: dict[str, object] | None = None) -> str:
    uuid = st.start_interview(dwelling, interviewer=who, respondent_line=1)
    for q, v in [("a1", "1"), ("a2", 1980), ("a3", "2"), *zip(GRID, values, strict=False),
                 *(extra or {}).items()]:
        clock.wait(pace)
        st.set_answer(uuid, q, v, interviewer=who)
    st.complete(uuid, interviewer=who)
    st.record_attempt(dwelling, "1.1", interviewer=who)
    return uuid


@pytest.fixture
def store(tmp_path: Path) -> FieldStore:
    clock = Clock()
    st = FieldStore.create(tmp_path / "central.sqlite", survey_id="S", device_id="dev",
                           interviewer="sup", pii_salt="salt", clock=clock)
    st.add_form(FORM_PATH.read_bytes(), form_id=FORM.form_id, version=FORM.version,
                filename=FORM_PATH.name)
    team = ("int01", "int02", "int03", "int04")
    for k, who in enumerate(team):
        rows = pd.DataFrame([{"dwelling_id": f"D{k}{i}", "community_id": "C1", "line": i + 1,
                              "address": f"{i + 1}栋", "released": 1, "lon": 116.4,
                              "lat": 39.9} for i in range(4)])
        st.assign(rows, interviewer=who, form_id=FORM.form_id, form_version=FORM.version)
    varied = [str(1 + (i * 7) % 5) for i in range(len(GRID))]
    for i in range(4):
        clock.now = clock.now.replace(hour=9 + i)
        interview(st, clock, f"D0{i}", "int01", pace=12, values=varied)
        interview(st, clock, f"D1{i}", "int02", pace=1.2, values=varied)  # speeding
        interview(st, clock, f"D2{i}", "int03", pace=11, values=["4"] * len(GRID))  # straight
        extra: dict[str, object] = {}
        if i == 0:
            clock.now = clock.now.replace(hour=22, minute=30)  # outside working hours
            extra = {f"b{j}": DONT_KNOW for j in range(1, 8)}
        interview(st, clock, f"D3{i}", "int04", pace=10, values=varied, extra=extra)
    yield st
    st.close()


def test_grids_come_from_the_form() -> None:
    assert GRID[:3] == ["d1", "d2", "d3"] and len(GRID) >= 12


def test_flags(store: FieldStore) -> None:
    rep = quality_report(store)
    itv = rep.interviews.set_index("dwelling_id")
    assert itv.loc["D00", "sec_per_question"] == pytest.approx(12.0)
    assert itv.loc["D00", "duration_s"] == pytest.approx(12.0 * itv.loc["D00", "answers"])
    assert itv.loc[[f"D1{i}" for i in range(4)], "speeding"].all()
    assert not itv.loc[[f"D0{i}" for i in range(4)], "speeding"].any()
    assert itv.loc[[f"D2{i}" for i in range(4)], "straightlined"].all()
    assert not itv.loc[[f"D0{i}" for i in range(4)], "straightlined"].any()
    assert bool(itv.loc["D30", "outside_hours"]) and not itv.loc["D31", "outside_hours"]
    assert itv.loc["D30", "special_share"] > 0.2 and "special_answers" in itv.loc["D30", "flags"]
    who = rep.interviewers.set_index("interviewer")
    assert who.loc["int02", "flags"] == "speeding"
    assert who.loc["int03", "flags"] == "straight_lining"
    assert who.loc["int01", "flags"] == ""
    fl = rep.flags
    assert set(fl[fl["level"] == "interviewer"]["interviewer"]) == {"int02", "int03"}
    row = fl[(fl["level"] == "interviewer") & (fl["flag"] == "speeding")].iloc[0]
    assert row["value"] == 1.0 and row["threshold"] == 0.5  # the share of interviews


def test_thresholds_are_stated_and_used(store: FieldStore) -> None:
    rep = quality_report(store, QualityThresholds(speeding_seconds=0.5))
    assert not rep.interviews["speeding"].any()
    assert json.loads(json.dumps(rep.to_json()))["thresholds"]["speeding_seconds"] == 0.5


def test_haversine() -> None:
    import numpy as np

    d = _haversine(np.array([39.9]), np.array([116.4]), np.array([39.9]), np.array([116.41]))
    assert d[0] == pytest.approx(853.0, abs=2.0)


def test_quality_verb(store: FieldStore, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "quality.csv"
    assert main(["quality", "--db", str(store.path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "int02: speeding" in text and "int03: straight_lining" in text
    table = pd.read_csv(out)
    assert len(table) == 16 and "flags" in table.columns
    assert table.loc[table["interviewer"] == "int02", "flags"].str.contains("speeding").all()
    js = tmp_path / "quality.json"
    assert main(["quality", "--db", str(store.path), "--out", str(js)]) == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    assert {f["interviewer"] for f in data["flags"] if f["level"] == "interviewer"} == {
        "int02", "int03"}
    assert main(["quality", "--db", str(tmp_path / "missing.sqlite")]) == 2
    assert main(["quality", "--db", str(store.path), "--hours", "21-8"]) == 2
