"""Simulated interviews reach the end with answers the form accepts, reproducibly."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldsurvey.example.forms import example_path
from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Form, SpecialAnswer
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.simulate import simulate_interview
from fieldsurvey.questionnaire.steps import Step

TODAY = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form(example_path("resident_survey", ".yaml"))


def oldest_eligible(r: InterviewRunner, s: Step) -> int | None:
    if s.key != "resp_line":
        return None
    n = r.instance_count("h_roster")
    eligible = [i for i in range(1, n + 1) if r.value(f"h_eligible[{i}]") == 1]
    return max(eligible, key=lambda i: r.value(f"h_age[{i}]")) if eligible else None  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize("seed", range(8))
def test_simulated_interviews_are_complete_and_valid(form: Form, seed: int) -> None:
    r = simulate_interview(form, seed, values=oldest_eligible, clock=lambda: TODAY)
    assert r.is_complete
    recs = r.records()
    by_key = {x.key: x.value for x in recs}
    for rec in recs:
        q = form.question(rec.name)
        if q.is_input and not q.read_only:
            step = next(s for s in r.steps() if s.key == rec.key)
            assert r.validate(rec.value, step) is None, rec
    if "resp_line" in by_key:  # the cross-item check held
        age = by_key[f"h_age[{by_key['resp_line']}]"]
        a2 = by_key.get("a2")
        if a2 is not None and not isinstance(a2, SpecialAnswer):
            assert abs(TODAY.year - a2 - age) <= 1  # type: ignore[operator]
    if by_key.get("b1") == ("0",):
        assert "b2" not in by_key


def test_simulation_is_reproducible(form: Form) -> None:
    a = simulate_interview(form, 7, values=oldest_eligible, clock=lambda: TODAY).records()
    b = simulate_interview(form, 7, values=oldest_eligible, clock=lambda: TODAY).records()
    c = simulate_interview(form, 8, values=oldest_eligible, clock=lambda: TODAY).records()
    assert a == b and a != c


def test_repeat_sizes_and_contact_module() -> None:
    contact = load_form(example_path("contact_module", ".xlsx"))
    for seed in range(5):
        assert simulate_interview(contact, seed, clock=lambda: TODAY).is_complete
    form = load_form(example_path("resident_survey", ".xlsx"))
    r = simulate_interview(form, 1, repeat_sizes={"h_roster": (5, 5)}, clock=lambda: TODAY)
    assert r.instance_count("h_roster") == 5


def test_impossible_required_question_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "f.yaml"
    path.write_text(
        "survey:\n  - {type: integer, name: a, label: A, required: yes, constraint: '. > 5 and . < 3'}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError, match="no acceptable answer"):
        simulate_interview(load_form(path), 0)


@pytest.mark.parametrize("name", ["MCH_v1.xlsx", "tutorial.xls"])
def test_real_public_forms_run_to_the_end(shared_data, name: str) -> None:  # type: ignore[no-untyped-def]
    form = load_form(shared_data / "questionnaires" / name)
    for seed in range(3):
        r = simulate_interview(form, seed, skip_optional_rate=0.0, clock=lambda: TODAY)
        assert r.is_complete and len(r.records()) >= 3
