"""The headless runner on the example resident survey: skips, checks, repeats, languages,
special answers, navigation and restoring from stored answers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fieldsurvey.example.forms import example_path
from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Form, SpecialAnswer
from fieldsurvey.questionnaire.runner import InterviewRunner, InvalidAnswer
from fieldsurvey.questionnaire.values import encode_value

TODAY = dt.date(2026, 11, 21)
DK = SpecialAnswer(-8, "dont_know")


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form(example_path("resident_survey", ".xlsx"))


def runner(form: Form, lang: str = "en") -> InterviewRunner:
    return InterviewRunner(form, language=lang, clock=lambda: TODAY)


def add_member(r: InterviewRunner, name: str, sex: str, age: int, resident: str = "1") -> None:
    assert r.current.kind == "repeat"
    r.add_instance()
    for value in (name, sex, age, resident):
        r.answer(value)
        r.next()


def through_roster(form: Form) -> InterviewRunner:
    r = runner(form)
    add_member(r, "老王", "1", 62)
    add_member(r, "小李", "2", 35)
    add_member(r, "娃娃", "1", 8)
    assert r.current.kind == "repeat"
    r.next()
    return r


def test_roster_repeat_and_calculates(form: Form) -> None:
    r = through_roster(form)
    assert r.instance_count("h_roster") == 3
    assert r.value("h_eligible[3]") == 0 and r.value("h_eligible[1]") == 1
    assert r.value("n_eligible") == 2
    assert r.current.key == "resp_line"  # relevant because someone is eligible
    r.set_value("resp_line", 2)  # read-only: set by the respondent selection
    with pytest.raises(InvalidAnswer, match="read-only"):
        r.answer(1)
    assert r.value("resp_age") == 35
    r.next()
    assert r.current.key == "a1"


def test_cross_item_constraint_with_roster_age(form: Form) -> None:
    r = through_roster(form)
    r.set_value("resp_line", 2)
    r.next()
    r.answer("2")
    r.next()
    assert r.current.key == "a2"
    message = r.validate(1960)
    assert message is not None and "roster age" in message
    assert r.validate(TODAY.year - 35) is None
    assert r.validate(TODAY.year - 36) is None  # ± 1 year
    assert r.validate(1899) is not None
    assert r.validate(DK) is None  # special answers skip the check
    r.answer(TODAY.year - 35)
    r.next()
    r.answer("3")  # a3
    r.next()
    r.answer("3")  # a4 -> migrant
    r.next()
    assert r.value("migrant") == 1
    assert r.current.key == "a5"
    assert r.validate(36) is not None  # more years here than the respondent's age
    assert r.validate(20) is None


def test_constraint_message_in_language(form: Form) -> None:
    r = runner(form, "zh")
    r.add_instance()
    r.answer("x")
    r.next()
    r.answer("1")
    r.next()
    with pytest.raises(InvalidAnswer) as err:
        r.answer(130)
    assert "年龄应在0到120之间" in err.value.message
    r.language = "en"
    assert r.validate(130) == "Age must be 0 to 120"


def test_the_runners_own_messages_follow_the_language(form: Form) -> None:
    r = runner(form, "zh")
    r.add_instance()
    r.answer("x")
    r.next()
    r.answer("1")
    r.next()  # the age, an integer question
    with pytest.raises(InvalidAnswer) as err:
        r.answer_text("三十")
    assert err.value.message == "“三十”不是有效的答案" and err.value.expected == "应为整数"
    assert r.validate("30") == "'30' 不是有效的整数答案"
    r.language = "en"
    with pytest.raises(InvalidAnswer) as err:
        r.answer_text("thirty")
    assert err.value.message == "'thirty' is not a valid answer"
    assert err.value.expected == "a whole number"


def test_required_blocks_next(form: Form) -> None:
    r = runner(form, "zh")
    r.add_instance()
    with pytest.raises(InvalidAnswer, match="此题必须回答"):
        r.next()


def skip_to_b(form: Form) -> InterviewRunner:
    r = runner(form)
    assert r.current.kind == "repeat"
    r.next()  # no roster (e.g. tested separately)
    assert r.current.key == "a1"
    for key, value in [
        ("a1", "1"),
        ("a2", 1970),
        ("a3", "2"),
        ("a4", "1"),
        ("a5", 10),
        ("a6", "5"),
        ("a6_other", "宿舍"),
        ("a7", "2"),
        ("a8", "2"),
    ]:
        assert r.current.key == key
        r.answer(value)
        r.next()
    assert r.current.key == "b1"
    return r


def test_relevant_chain_participation(form: Form) -> None:
    r = skip_to_b(form)
    with pytest.raises(InvalidAnswer, match="cannot be combined"):
        r.answer(("0", "2"))
    r.answer(("0",))
    r.next()
    assert r.current.key == "b3"  # nothing taken part in: reasons, not times
    with pytest.raises(InvalidAnswer, match="at most two"):
        r.answer(("1", "2", "3"))
    r.answer(("2", "7"))
    r.next()
    assert r.current.key == "b3_other"
    r.back()
    r.answer(("2",))
    r.next()
    assert r.current.key == "b4"
    # only complaints also asks for reasons; any other participation asks times instead
    r.jump("b1")
    r.answer(("6",))
    assert r.is_relevant("b3") and r.is_relevant("b2")
    r.answer(("1", "6"))
    assert not r.is_relevant("b3") and r.is_relevant("b2")
    r.next()
    assert r.current.key == "b2"
    with pytest.raises(InvalidAnswer, match="1 to 365"):
        r.answer(400)


def test_special_answers_allowed_per_question(form: Form) -> None:
    r = skip_to_b(form)
    with pytest.raises(InvalidAnswer, match="not allowed"):
        r.answer(DK)  # b1 allows none
    r.jump("a3")
    r.answer(DK)
    r.next()
    assert r.current.key == "a4"
    assert r.answer_text("-9") == SpecialAnswer(-9, "refused")


def needs_runner(form: Form) -> InterviewRunner:
    r = skip_to_b(form)
    r.jump("c1")
    return r


def test_top_three_needs_choice_filter(form: Form) -> None:
    r = needs_runner(form)
    answers = {
        1: ("1", "3"),
        2: ("0",),
        3: DK,
        4: ("2",),
        5: ("0",),
        6: ("0",),
        7: ("0",),
        8: ("1",),
        9: ("0",),
        10: ("0",),
        11: ("0",),
    }
    for n, v in answers.items():
        assert r.current.key == f"c{n}"
        r.answer(v)
        r.next()
    assert r.value("n_chosen") == 3
    assert r.current.key == "c_top1"
    assert [c.name for c in r.choices()] == ["1", "4", "8"]
    with pytest.raises(InvalidAnswer, match="not one of the choices"):
        r.answer("2")
    r.answer("4")
    r.next()
    assert [c.name for c in r.choices()] == ["1", "8"]
    r.answer("8")
    r.next()
    assert [c.name for c in r.choices()] == ["1"]


def test_needs_with_one_category_skips_second_and_third(form: Form) -> None:
    r = needs_runner(form)
    for n in range(1, 12):
        r.answer(("2",) if n == 5 else ("0",))
        r.next()
    assert r.current.key == "c_top1"
    r.answer("5")
    r.next()
    assert r.current.key == "d1"


def complete(form: Form) -> InterviewRunner:
    r = through_roster(form)
    r.set_value("resp_line", 1)
    r.next()
    plan = {"a2": TODAY.year - 62, "a5": 30, "b1": ("1",), "b2": 3}
    guard = 0
    while r.current.kind != "end":
        guard += 1
        assert guard < 200
        s = r.current
        q = s.question
        assert q is not None
        if q.type == "note" or not q.is_input:
            r.next()
            continue
        if s.key in plan:
            r.answer(plan[s.key])
        elif q.type == "select_one":
            r.answer(r.choices()[0].name)
        elif q.type == "select_multiple":
            r.answer((r.choices()[0].name,))
        elif q.type == "text":
            r.answer("好")
        r.next()
    return r


def test_complete_interview_records_have_types(form: Form) -> None:
    r = complete(form)
    assert r.is_complete and not r.missing_required()
    recs = {rec.key: rec for rec in r.records()}
    assert recs["h_name[2]"].value == "小李" and recs["h_name[2]"].type == "text"
    assert recs["h_age[1]"].value == 62 and recs["h_age[1]"].type == "integer"
    assert recs["b1"].value == ("1",) and recs["b1"].type == "select_multiple"
    assert recs["n_eligible"].type == "calculate"
    assert "b3" not in recs  # not relevant
    assert recs["d0"].value == "1"
    keys = [rec.key for rec in r.records()]
    assert keys.index("h_name[1]") < keys.index("h_age[1]") < keys.index("h_name[2]")


def test_restore_from_stored_answers(form: Form) -> None:
    r = complete(form)
    rows = [
        (k, encode_value(r.value(k)))
        for k in (rec.key for rec in r.records())
        if not form.question(k.split("[")[0]).type == "calculate"
    ]
    back = InterviewRunner.from_stored(form, rows, clock=lambda: TODAY)
    assert back.records() == r.records()
    assert back.current.kind == "end"
    # position given, and a partial interview resumes at the first unanswered question
    mid = InterviewRunner.from_stored(form, rows, position="b4", clock=lambda: TODAY)
    assert mid.current.key == "b4"
    partial = InterviewRunner.from_stored(
        form, [(k, v) for k, v in rows if not k.startswith(("d", "e", "f"))], clock=lambda: TODAY
    )
    assert partial.current.key == "d1"
    snap = json.loads(json.dumps(r.snapshot()))
    again = InterviewRunner.from_snapshot(form, snap, clock=lambda: TODAY)
    assert again.records() == r.records() and again.current.key == r.current.key


def test_restore_rejects_unknown_question(form: Form) -> None:
    with pytest.raises(QuestionnaireError, match="does not have"):
        InterviewRunner.restore(form, [("zz", 1)])
    with pytest.raises(QuestionnaireError, match="does not match the repeats"):
        InterviewRunner.restore(form, [("h_age", 1)])


def test_back_jump_and_remove_instance(form: Form) -> None:
    r = through_roster(form)
    r.back()
    assert r.current.kind == "repeat"
    r.back()
    assert r.current.key == "h_resident[3]"
    r.jump("h_age[2]")
    assert r.current.key == "h_age[2]"
    with pytest.raises(QuestionnaireError, match="not relevant"):
        r.jump("b2")
    r.remove_instance("h_roster", (1,))
    assert r.instance_count("h_roster") == 2
    assert r.value("h_name[1]") == "小李" and r.value("h_name[2]") == "娃娃"
    assert r.value("n_eligible") == 1
    while r.current.kind != "question" or r.current.key != "h_name[1]":
        r.back()
    r.back()
    assert r.current.kind == "repeat" or r.current.key == "h_name[1]"


def test_irrelevant_answers_do_not_count(form: Form) -> None:
    r = skip_to_b(form)
    r.answer(("1",))
    r.next()
    r.answer(5)  # b2
    assert any(rec.key == "b2" for rec in r.records())
    r.jump("b1")
    r.answer(("0",))
    assert not any(rec.key == "b2" for rec in r.records())


def test_contact_module_date_and_regex(tmp_path: Path) -> None:
    form = load_form(example_path("contact_module", ".yaml"))
    r = InterviewRunner(form, language="en", clock=lambda: TODAY)
    r.answer_text("2026-11-21")
    r.next()
    r.answer("2")
    r.next()
    assert r.current.key == "v_appointment"
    assert r.validate(dt.date(2026, 11, 20)) == "Must not be before this visit"
    r.answer(dt.date(2026, 11, 25))
    r.next()
    assert (
        r.current.key == "v_phone"
        and r.current.question is not None
        and r.current.question.sensitive
    )
    assert r.validate("12345") == "Enter an 11-digit mobile number"
    r.answer("13912345678")
    r.next()
    assert r.current.key == "v_note"
    r.next()
    assert r.is_complete


def test_incremental_refresh_matches_full(form: Form) -> None:
    """After each answer the incremental update equals a full recomputation."""
    import random

    rnd = random.Random(4)
    r = skip_to_b(form)
    keys = ["b1", "b4", "b5", "c1", "c2", "c5", "c_top1", "d1", "a4", "a2", "a6"]
    for _ in range(60):
        key = rnd.choice(keys)
        q = form.question(key)
        step = next((s for s in r.steps(relevant_only=False) if s.key == key), None)
        assert step is not None
        if q.type == "integer":
            value: object = rnd.choice([1950, 1990, None])
        elif q.type == "select_multiple":
            value = tuple(sorted(rnd.sample(["1", "2", "3"], rnd.randint(1, 2))))
            if key == "b1":
                value = rnd.choice([("0",), ("6",), ("1", "6")])
        else:
            value = rnd.choice([c.name for c in form.choices(q)])
        try:
            r.answer(value, step)  # type: ignore[arg-type]
        except InvalidAnswer:
            continue
        r.steps()  # incremental refresh
        inc_rel, inc_vals = dict(r.state.rel), dict(r.state.vals)
        r.state.invalidate()
        r.steps()  # full refresh
        assert r.state.rel == inc_rel
        assert {k: v for k, v in r.state.vals.items() if v is not None} == {
            k: v for k, v in inc_vals.items() if v is not None
        }


def test_field_list_screen(form: Form) -> None:
    r = needs_runner(form)
    for _ in range(1, 12):
        r.answer(("0",))
        r.next()
    assert r.current.key == "d1"
    shown = r.screen()
    assert [s.key for s in shown] == [f"d{i}" for i in range(1, 13)] + ["d0"]
    with pytest.raises(InvalidAnswer):
        r.next_screen()  # all required
    for s in shown:
        r.answer("4", s)
    assert r.next_screen().key == "e1"
    assert r.back_screen().key == "d1"
    assert r.screen(r.current)[0].key == "d1"
    r.jump("c11")
    assert r.screen() == [r.current]


def test_example_form_prefills_and_checks_sex_against_the_roster(form: Form) -> None:
    r = InterviewRunner(form, language="en", clock=lambda: TODAY,
                        roster={"name": "刘洋", "sex": "male", "age": 30})
    assert r.value("respondent_sex") == "male"
    assert r.value("a1") == "1"  # prefilled from the roster
    r.jump("a1") if r.is_relevant("a1") else None
    step = next(s for s in r.steps(relevant_only=False) if s.key == "a1")
    assert r.warning(step) is None
    message = r.warning(step, "2")
    assert message is not None and "roster says" in message
    r.answer("2", step)  # a soft check never blocks
    assert [w.key for w in r.warnings()] == ["a1"]
    detail = r.confirm_warning("a1", "respondent corrected the roster")
    assert detail["reason"] == "respondent corrected the roster"
    assert r.warnings() == []


def test_example_form_warns_against_its_own_roster_line(form: Form) -> None:
    r = through_roster(form)
    r.set_value("resp_line", 2)  # 小李, sex 2
    assert r.value("a1") is None  # no preload: not prefilled at the start
    step = next(s for s in r.steps() if s.key == "a1")
    assert r.warning(step, "1") is not None and r.warning(step, "2") is None
