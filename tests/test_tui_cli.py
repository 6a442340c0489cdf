"""``fieldsurvey interview`` on bad input, the app factory, and the roster preload."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import FORM_PATH, make_store

from fieldsurvey.io.errors import StoreError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.preload import roster_answers
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.casedata import case_rows


def test_missing_store_is_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fieldsurvey.cli.main import main

    code = main(["interview", "--db", str(tmp_path / "nope.sqlite")])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not exist" in err and "Traceback" not in err


def test_store_without_form_is_refused(tmp_path: Path) -> None:
    from fieldsurvey.tui.app import make_app

    st = FieldStore.create(tmp_path / "empty.sqlite", survey_id="S", interviewer="int01")
    try:
        with pytest.raises(StoreError, match="no questionnaire is pinned"):
            make_app(st)
    finally:
        st.close()


def test_app_loads_the_pinned_form(tmp_path: Path) -> None:
    from fieldsurvey.tui.app import make_app

    st = make_store(tmp_path / "dev.sqlite", 2)
    try:
        app = make_app(st)
        assert app.form.form_id == "resident_survey" and app.lang == "zh"
    finally:
        st.close()


def test_roster_preload_matches_choices_and_lines() -> None:
    form = load_form(FORM_PATH)
    roster = [{"line": 1, "name": "张伟", "sex": "male", "age": 45, "resident": True},
              {"line": 3, "name": "李芳", "sex": "female", "age": 43, "resident": False}]
    got = dict(roster_answers(form, roster, 3))
    assert got["h_sex[1]"] == "1" and got["h_sex[2]"] == "2"
    assert got["h_resident[1]"] == "1" and got["h_resident[2]"] == "2"
    assert got["h_age[2]"] == 43 and got["h_name[1]"] == "张伟"
    assert got["resp_line"] == 2  # line 3 is the second member listed
    assert "resp_line" not in dict(roster_answers(form, roster, None))


def test_case_rows_status(tmp_path: Path) -> None:
    st = make_store(tmp_path / "dev.sqlite", 4)
    try:
        d = [str(x) for x in st.assignments()["dwelling_id"]]
        st.record_attempt(d[0], "2.24", appointment="2026-11-22T18:30")
        st.record_attempt(d[1], "4.61")
        uuid = st.start_interview(d[2], form_id="resident_survey", form_version="2026.1")
        st.set_answer(uuid, "a1", "1")
        rows = {r.dwelling_id: r for r in case_rows(st)}
        assert rows[d[0]].status == "pending" and rows[d[0]].appointment == "2026-11-22 18:30"
        assert rows[d[1]].status == "closed" and rows[d[1]].attempts == 1
        assert rows[d[2]].status == "open" and rows[d[3]].status == "new"
    finally:
        st.close()
