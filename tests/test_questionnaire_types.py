"""Per-type behaviour in the runner, answer encoding, repeat_count, nested repeats,
or_other, languages, and a random-walk property: the runner only ever raises its own errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldsurvey.example.forms import example_path
from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Form, LangText, SpecialAnswer
from fieldsurvey.questionnaire.preview import preview_text
from fieldsurvey.questionnaire.runner import InterviewRunner, InvalidAnswer
from fieldsurvey.questionnaire.values import (
    answer_key,
    decode_value,
    encode_value,
    export_value,
    parse_key,
    parse_text_answer,
)

TODAY = dt.date(2026, 11, 21)


def yform(
    tmp_path: Path, survey: list[dict[str, Any]], choices: dict[str, Any] | None = None, **top: Any
) -> Form:
    doc = {
        "settings": {"form_id": "t", "version": "1", "default_language": "zh"},
        "choices": choices
        or {
            "yn": [
                {"name": "1", "label": {"zh": "是", "en": "Yes"}},
                {"name": "2", "label": {"zh": "否", "en": "No"}},
            ]
        },
        "survey": survey,
        **top,
    }
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return load_form(path)


@pytest.mark.parametrize(
    "value",
    [
        3,
        -8,
        2.5,
        "文字",
        ("1", "3"),
        (),
        dt.date(2026, 1, 2),
        True,
        SpecialAnswer(-9, "refused"),
        None,
    ],
)
def test_encode_decode_round_trip(value: Any) -> None:
    assert decode_value(encode_value(value)) == value or (
        value == () and decode_value(encode_value(value)) == ()
    )


def test_keys_and_exports() -> None:
    assert answer_key("h_age", (3,)) == "h_age[3]"
    assert parse_key("x[2][1]") == ("x", (2, 1))
    assert parse_key("a2") == ("a2", ())
    with pytest.raises(QuestionnaireError):
        parse_key("x[a]")
    assert export_value(SpecialAnswer(-8, "dont_know")) == -8
    assert export_value(("1", "3")) == "1 3"
    assert export_value(True) == "OK"
    assert export_value(dt.date(2026, 1, 2)) == "2026-01-02"
    with pytest.raises(QuestionnaireError):
        decode_value("{not json")


def test_each_type_validates(tmp_path: Path) -> None:
    form = yform(
        tmp_path,
        [
            {"type": "integer", "name": "i", "label": "I"},
            {"type": "decimal", "name": "x", "label": "X", "constraint": ". > 0.5"},
            {"type": "text", "name": "t", "label": "T", "constraint": "string-length(.) <= 4"},
            {"type": "select_one yn", "name": "s", "label": "S"},
            {"type": "select_multiple yn", "name": "m", "label": "M"},
            {"type": "date", "name": "d", "label": "D", "constraint": ". <= today()"},
            {"type": "acknowledge", "name": "k", "label": "K"},
            {"type": "note", "name": "n", "label": "N"},
        ],
    )
    r = InterviewRunner(form, clock=lambda: TODAY)
    cases = {
        "i": (["1.5", "abc"], [1.5, "1"], [42], "42"),
        "x": (["abc"], ["1", 0.2], [2.5, 3], "2.5"),
        "t": ([], [5, "toolong"], ["短文"], "短文"),
        "s": (["3"], ["3", ("1",)], ["1"], "2"),
        "m": (["1 3"], [("1", "3"), "1", ("1", "1")], [("1", "2")], "2 1"),
        "d": (
            ["2026-13-01"],
            ["2026-01-01", dt.date(2027, 1, 1)],
            [dt.date(2026, 1, 1)],
            "2026-11-21",
        ),
        "k": (["no"], [False, "yes"], [True, "OK"], "OK"),
    }
    for name, (bad_text, bad_values, good, text) in cases.items():
        assert r.current.key == name
        for b in bad_text:
            with pytest.raises(InvalidAnswer):
                r.answer_text(b)
        for b in bad_values:
            assert r.validate(b) is not None, (name, b)
        for g in good:
            assert r.validate(g) is None, (name, g)
        r.answer_text(text)
        r.next()
    assert r.value("m") == ("1", "2")  # form order
    assert r.current.key == "n"
    with pytest.raises(QuestionnaireError):
        parse_text_answer(form, form.question("n"), "x")
    r.next()
    assert r.is_complete


def test_or_other_and_default(tmp_path: Path) -> None:
    form = yform(
        tmp_path,
        [
            {
                "type": "select_one yn or_other",
                "name": "s",
                "label": {"zh": "选", "en": "Pick"},
                "default": "1",
            },
            {"type": "integer", "name": "n", "label": "N", "default": 7, "read_only": "yes"},
        ],
    )
    r = InterviewRunner(form)
    assert r.value("s") == "1" and r.value("n") == 7
    assert [c.name for c in r.choices()] == ["1", "2", "other"]
    assert form.choices(form.question("s"))[-1].label.get("zh") == "其他"
    r.answer("other")
    r.next()
    assert r.current.key == "s_other"
    with pytest.raises(InvalidAnswer):
        r.next()  # the "other" text is required
    r.answer("自己填")
    r.next()
    with pytest.raises(InvalidAnswer, match="只读"):  # the form's language: Chinese
        r.answer(8)
    assert [rec.value for rec in r.records()] == ["other", "自己填", 7]


def test_repeat_count_and_nested_repeats(tmp_path: Path) -> None:
    form = yform(
        tmp_path,
        [
            {"type": "integer", "name": "k", "label": "How many"},
            {
                "type": "begin repeat",
                "name": "p",
                "label": "Person",
                "repeat_count": "${k}",
                "children": [
                    {"type": "integer", "name": "age", "label": "Age"},
                    {"type": "calculate", "name": "pos", "calculation": "position(..)"},
                    {
                        "type": "begin repeat",
                        "name": "job",
                        "label": "Job",
                        "children": [
                            {
                                "type": "text",
                                "name": "title",
                                "label": "Title",
                                "relevant": "${age} >= 16",
                            }
                        ],
                    },
                ],
            },
            {"type": "calculate", "name": "total", "calculation": "sum(${age})"},
            {
                "type": "calculate",
                "name": "second",
                "calculation": "indexed-repeat(${age}, ${p}, 2)",
            },
        ],
    )
    r = InterviewRunner(form)
    r.answer(2)
    r.next()
    assert r.instance_count("p") == 2
    assert r.current.key == "age[1]"
    r.answer(40)
    r.next()
    assert r.current.kind == "repeat" and r.current.key == "+job[1]"
    r.add_instance()
    assert r.current.key == "title[1][1]"
    r.answer("teacher")
    r.next()
    r.next()  # no second job
    assert r.current.key == "age[2]"
    r.answer(10)
    r.next()
    assert r.current.key == "+job[2]"
    r.add_instance()
    assert r.current.key == "+job[2]"  # the only question is not relevant for a child
    r.next()
    assert r.current.kind == "end"
    assert r.value("total") == 50 and r.value("second") == 10
    assert r.value("pos[2]") == 2
    snap = r.snapshot()
    back = InterviewRunner.from_snapshot(form, snap)
    assert back.records() == r.records()
    # lowering repeat_count drops the instance
    r.jump("k")
    r.answer(1)
    assert r.instance_count("p") == 1 and r.value("total") == 40


def test_language_fallback_and_preview(tmp_path: Path) -> None:
    t = LangText.of({"English (en)": "Sex", "中文 (zh)": "性别"})
    assert t.get("zh") == "性别" and t.get("en") == "Sex" and t.get("fr", "en") == "Sex"
    assert t.get("fr") == "Sex"  # first text when nothing matches
    assert LangText.of("plain").get("zh") == "plain"
    form = yform(
        tmp_path,
        [
            {
                "type": "select_one yn",
                "name": "s",
                "label": {"zh": "选择", "en": "Choose"},
                "hint": {"zh": "提示", "en": "Hint"},
                "constraint": ". = 1",
                "constraint_message": {"zh": "必须选是", "en": "Must be yes"},
            }
        ],
    )
    assert "选择" in preview_text(form, "zh") and "必须选是" in preview_text(form, "zh")
    assert "Choose" in preview_text(form, "en") and "Must be yes" in preview_text(form, "en")
    r = InterviewRunner(form, language="en")
    assert r.validate("2") == "Must be yes"
    r.language = "zh"
    assert r.validate("2") == "必须选是"


def test_exclusive_choice_column(tmp_path: Path) -> None:
    form = yform(
        tmp_path,
        [{"type": "select_multiple fr", "name": "m", "label": "M"}],
        {
            "fr": [
                {"name": "1", "label": "A"},
                {"name": "2", "label": "B"},
                {"name": "0", "label": "None", "exclusive": "yes"},
            ]
        },
    )
    r = InterviewRunner(form)
    assert r.validate(("0", "1")) is not None
    assert r.validate(("0",)) is None and r.validate(("1", "2")) is None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["answer", "next", "back", "add", "special", "text"]), st.integers(0, 5)
        ),
        max_size=60,
    )
)
def test_random_walk_raises_only_own_errors(actions: list[tuple[str, int]]) -> None:
    form = _resident()
    r = InterviewRunner(form, clock=lambda: TODAY)
    for action, k in actions:
        try:
            cur = r.current
            if action == "next":
                r.next()
            elif action == "back":
                r.back()
            elif action == "add":
                r.add_instance()
            elif action == "special":
                r.answer(SpecialAnswer(-8, "dont_know"))
            elif action == "text":
                r.answer_text(str(k))
            elif cur.question is not None:
                choices = r.choices()
                if choices:
                    r.answer_text(choices[k % len(choices)].name)
                else:
                    r.answer_text(str(18 + k * 10))
        except QuestionnaireError:
            pass
    r.records()
    r.snapshot()


_CACHE: dict[str, Form] = {}


def _resident() -> Form:
    if "f" not in _CACHE:
        _CACHE["f"] = load_form(example_path("resident_survey", ".yaml"))
    return _CACHE["f"]


def test_label_interpolation(tmp_path: Path) -> None:
    form = yform(
        tmp_path,
        [
            {
                "type": "begin repeat",
                "name": "p",
                "label": "Person",
                "children": [
                    {"type": "text", "name": "nm", "label": {"zh": "姓名", "en": "Name"}},
                    {
                        "type": "integer",
                        "name": "age",
                        "label": {"zh": "${nm}的年龄", "en": "Age of ${nm}"},
                    },
                ],
            },
        ],
    )
    r = InterviewRunner(form, language="zh")
    r.add_instance()
    r.answer("小李")
    r.next()
    assert r.text() == "小李的年龄"
    assert r.text(lang="en") == "Age of 小李"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "survey:\n  - {type: text, name: a, label: {en: 'Hi ${nobody}'}}\n", encoding="utf-8"
    )
    with pytest.raises(QuestionnaireError, match=r"\$\{nobody\} in the label") as err:
        load_form(bad)
    assert err.value.field == "label::en" and err.value.row == 1
