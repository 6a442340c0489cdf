"""The simulated fieldwork (example/fieldwork.py): every interview is a visit, and the
interviewers it makes fast or straight-lining are the ones the quality flags find."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from tui_support import FORM_PATH, make_store

from fieldsurvey.example.fieldwork import STYLES, simulate_store
from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.quality import quality_report

FORM = load_form(FORM_PATH)
START = dt.datetime(2026, 11, 2, 9, 0)


def _people(store_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    st = make_store(store_path, 12)
    a = st.assignments()
    st.close()
    rows = []
    for i, d in enumerate(a["dwelling_id"]):
        rows += [{"dwelling_id": d, "person": 1, "sex": "male", "age": 30 + i, "migrant": False},
                 {"dwelling_id": d, "person": 2, "sex": "female", "age": 28 + i,
                  "migrant": False}]
    comms = pd.DataFrame({"community_id": a["community_id"].unique(), "type": "示范类",
                          "migrant_share": 0.1})
    return pd.DataFrame(rows), comms


@pytest.mark.parametrize("style", ["normal", "fast", "straight"])
def test_every_interview_is_a_visit_and_habits_are_flagged(tmp_path: Path, style: str) -> None:
    path = tmp_path / "dev.sqlite"
    persons, comms = _people(path)
    res = simulate_store(path, FORM, persons, comms, seed=3, start=START, style=style)
    assert res.completes + res.partials > 0
    rep = quality_report(path)
    itv = rep.interviews
    with closing(sqlite3.connect(path)) as conn:
        n = dict(conn.execute("SELECT dwelling_id, count(*) FROM attempts GROUP BY dwelling_id"))
    assert all(n.get(d, 0) >= 1 for d in itv["dwelling_id"])  # every interview a visit
    closed = itv[itv["status"].isin(["completed", "partial"])]
    if style == "fast":
        assert closed["speeding"].all()
    else:
        assert not closed["speeding"].any()
    if style == "straight":
        assert closed["straightlined"].all()
    elif style == "normal":
        assert closed["straightlined"].mean() < 0.5


def test_demo_team_habits() -> None:
    assert STYLES == {"int05": "fast", "int06": "straight"}
