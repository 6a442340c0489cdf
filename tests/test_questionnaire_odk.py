"""Real XLSForm behaviour as ODK (JavaRosa) runs it (issue 16): the six behaviours that were
wrong, the types, columns, functions, spellings and settings real forms use, external data,
and bounded work on hostile input (issue 21)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.checking import media_fingerprint
from fieldsurvey.questionnaire.model import Form
from fieldsurvey.questionnaire.problems import FormErrors
from fieldsurvey.questionnaire.runner import InterviewRunner, InvalidAnswer
from fieldsurvey.questionnaire.values import decode_value, encode_value

TODAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 10, 30, 0)


def yaml_form(tmp_path: Path, text: str, name: str = "f.yaml") -> Form:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return load_form(p)


def xlsx_form(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "f.xlsx") -> Form:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return load_form(p)


def run(form: Form, **kw: object) -> InterviewRunner:
    return InterviewRunner(form, clock=lambda: TODAY, now=lambda: NOW, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the six wrong behaviours
SIBLINGS = """
survey:
  - {type: begin repeat, name: roster, label: Roster}
  - {type: text, name: pname, label: Name}
  - {type: end repeat}
  - {type: calculate, name: hhsize, calculation: 'count(${roster})'}
  - {type: begin repeat, name: module, label: Module}
  - {type: integer, name: age, label: Age}
  - {type: end repeat}
  - {type: integer, name: after, label: After, relevant: "${hhsize} = 2"}
"""


def test_adding_to_the_second_sibling_repeat_goes_into_it(tmp_path: Path) -> None:
    r = run(yaml_form(tmp_path, SIBLINGS))
    for name in ("A", "B"):
        assert r.current.key == "+roster"
        r.add_instance()
        r.answer(name)
        r.next()
    assert r.current.key == "+roster"
    r.next()
    assert r.current.key == "+module"
    step = r.add_instance()
    assert step.key == "age[1]"  # not pname[3]
    r.answer(40)
    r.next()
    assert r.current.key == "+module"
    assert r.instance_count("roster") == 2 and r.instance_count("module") == 1


def test_count_of_a_repeat_is_its_number_of_instances(tmp_path: Path) -> None:
    r = run(yaml_form(tmp_path, SIBLINGS))
    assert r.value("hhsize") == 0
    for name in ("A", "B"):
        r.add_instance()
        r.answer(name)
        r.next()
    assert r.value("hhsize") == 2
    assert r.is_relevant("after")


def test_count_of_a_nested_repeat_per_parent(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: begin repeat, name: hh, label: H}
  - {type: begin repeat, name: person, label: P}
  - {type: text, name: n, label: N}
  - {type: end repeat}
  - {type: calculate, name: npeople, calculation: 'count(${person})'}
  - {type: end repeat}
""")
    r = run(form)
    r.add_instance()  # hh 1
    for name in ("a", "b", "c"):
        assert r.current.key == "+person[1]"
        r.add_instance()
        r.answer(name)
        r.next()
    assert r.value("npeople[1]") == 3


def test_regex_needs_the_whole_value_to_match(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: text, name: code, label: Code, constraint: "regex(., '[0-9]{3}')"}
""")
    r = run(form)
    assert r.validate("123") is None
    assert r.validate("1234") is not None and r.validate("ab123") is not None


def test_a_nan_calculate_is_stored_blank(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: integer, name: a, label: A}
  - {type: calculate, name: total, calculation: '${a} * 2'}
  - {type: calculate, name: safe, calculation: 'coalesce(${total}, 0)'}
  - {type: text, name: why, label: Why, relevant: "${total} = ''"}
""")
    r = run(form)
    assert r.value("total") is None and r.value("safe") == 0
    assert r.is_relevant("why")
    r.answer(4)
    assert r.value("total") == 8 and r.value("safe") == 8 and not r.is_relevant("why")


def test_choice_names_with_spaces_are_refused_for_select_multiple(tmp_path: Path) -> None:
    text = """
choices:
  ways: [{name: foot paths, label: Foot paths}, {name: foot, label: Foot}]
survey:
  - {type: select_multiple ways, name: q, label: Q}
"""
    with pytest.raises(QuestionnaireError, match="spaces") as err:
        yaml_form(tmp_path, text)
    assert "foot paths" in err.value.message
    yaml_form(tmp_path, text.replace("select_multiple", "select_one"))  # fine for select_one


def test_round_acknowledge_and_languages(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
settings: {default_language: fr}
survey:
  - {type: calculate, name: r, calculation: 'round(1.005, 2)'}
  - {type: calculate, name: r2, calculation: 'round(-2.5, 0)'}
  - {type: acknowledge, name: ok, label: {en: Ready, zh: 好}}
  - {type: integer, name: after, label: {en: After, zh: 后}, relevant: "${ok} = 'OK'"}
""")
    assert any("default_language 'fr'" in w.message for w in form.warnings)
    r = run(form)
    assert r.value("r") == 1.01 and r.value("r2") == -2  # as JavaRosa
    r.answer(True)
    assert r.value("ok") == "OK" and r.is_relevant("after")
    assert decode_value(encode_value(r.value("ok"))) == "OK"


# ------------------------------------------------------------------ types
def test_metadata_is_filled_and_never_shown(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: start, name: starttime}
  - {type: end, name: endtime}
  - {type: today, name: day}
  - {type: deviceid, name: dev}
  - {type: username, name: user}
  - {type: phonenumber, name: phone}
  - {type: integer, name: a, label: A}
""")
    started = dt.datetime(2026, 11, 21, 10, 0, 0)
    r = run(form, started=started, metadata={"deviceid": "int01", "username": "张三"})
    assert [s.key for s in r.steps()] == ["a", "@end"]
    assert r.value("starttime") == started and r.value("day") == TODAY
    assert r.value("dev") == "int01" and r.value("user") == "张三"
    assert r.value("phone") is None  # unknown on this device: blank, as stated
    r.answer(3)
    r.next()
    rec = {x.name: x.value for x in r.records()}
    assert rec["endtime"] == NOW and rec["dev"] == "int01"


def test_typed_geopoint_time_datetime_range_rank_barcode_hidden(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
choices:
  prio: [{name: a, label: A}, {name: b, label: B}, {name: c, label: C}]
survey:
  - {type: geopoint, name: gp, label: Where}
  - {type: time, name: t, label: T}
  - {type: datetime, name: dtm, label: DT}
  - {type: range, name: score, label: S, parameters: 'start=0 end=10 step=2'}
  - {type: rank prio, name: rk, label: Rank}
  - {type: barcode, name: bc, label: BC}
  - {type: hidden, name: h, default: x1}
  - {type: image, name: photo, label: Photo}
""")
    r = run(form)
    assert "h" not in [s.key for s in r.steps()]
    assert r.value("h") == "x1"
    assert r.answer_text("36.8 -1.2 1600 5") == "36.8 -1.2 1600 5"
    with pytest.raises(InvalidAnswer):
        r.answer_text("north")
    with pytest.raises(InvalidAnswer):
        r.answer_text("95 10")  # latitude out of range
    r.next()
    assert r.answer_text("18:30") == dt.time(18, 30)
    r.next()
    assert r.answer_text("2026-11-21 18:30") == dt.datetime(2026, 11, 21, 18, 30)
    r.next()
    assert r.validate(4) is None and r.validate(5) is not None and r.validate(12) is not None
    r.answer(4)
    r.next()
    assert r.validate(("c", "a")) is not None  # every item must be ranked
    r.answer(("c", "a", "b"))
    assert r.value("rk") == ("c", "a", "b")
    r.next()
    r.answer("4006381333931")
    r.next()
    with pytest.raises(InvalidAnswer, match="no file"):
        r.answer_text(str(tmp_path / "missing.jpg"))
    photo = tmp_path / "house.jpg"
    photo.write_bytes(b"\xff\xd8jpeg")
    r.answer_text(str(photo))
    assert r.value("photo") == str(photo)
    assert media_fingerprint(photo)[1] == 6
    for v in (dt.time(18, 30), dt.datetime(2026, 11, 21, 18, 30)):
        assert decode_value(encode_value(v)) == v


# ------------------------------------------------------------------ spellings and columns
def test_surveycto_spellings_and_same_name_in_two_groups(tmp_path: Path) -> None:
    form = xlsx_form(tmp_path, {
        "survey": [
            ["type", "name", "label:English", "label:Bangla", "required", "required message",
             "read only", "guidance_hint", "indicator"],
            ["begin group", "g1", "G1", "জি১"],
            ["integer", "age", "Age", "বয়স", "yes", "Please answer", None, "Ask politely", "i1"],
            ["end group"],
            ["begin group", "g2", "G2", "জি২"],
            ["integer", "age", "Age again", "বয়স"],
            ["end group"],
        ],
        "help-survey": [["notes"], ["This sheet documents the form"]],
        "settings": [["form_id", "version", "instance_name", "style"],
                     ["f", "2026.10", "concat('x', ${age})", "pages"]],
    })
    assert form.languages == ("English", "Bangla")
    q = form.question("age")
    assert q.required and q.required_message.get("English") == "Please answer"
    assert q.guidance_hint.get("English") == "Ask politely"
    assert q.extra == {"indicator": "i1"}
    assert form.question("g2.age").label.get("English") == "Age again"
    assert form.version == "2026.10"
    assert any("g2.age" in w.message for w in form.warnings)


def test_version_typed_as_a_number_keeps_its_text(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label"])
    ws.append(["integer", "a", "A"])
    st = wb.create_sheet("settings")
    st.append(["form_id", "version"])
    st.append(["f", 2026.10])
    st["B2"].number_format = "0.00"
    wb.save(tmp_path / "v.xlsx")
    assert load_form(tmp_path / "v.xlsx").version == "2026.10"
    form = yaml_form(tmp_path, "settings: {version: 2026.10}\nsurvey: [{type: integer, name: a, label: A}]\n")
    assert form.version == "2026.10"


def test_required_and_default_as_expressions_and_a_visible_calculation(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: integer, name: n, label: N}
  - {type: text, name: why, label: Why, required: '${n} > 5'}
  - {type: date, name: d, label: D, default: 'today()'}
  - {type: integer, name: twice, label: Twice, calculation: '${n} * 2', required: yes}
""")
    r = run(form)
    assert r.value("d") == TODAY
    r.answer(3)
    r.next()
    r.next()  # why: not required at 3
    r.jump("n")
    r.answer(7)
    r.next()
    with pytest.raises(InvalidAnswer):
        r.next()  # now required
    assert r.value("twice") == 14  # a default from the calculation...
    assert "twice" not in [s.key for s in r.missing_required()]
    r.answer(15, next(s for s in r.steps() if s.key == "twice"))
    assert r.value("twice") == 15  # ...until the interviewer answers


def test_functions_real_forms_use(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
choices:
  sex: [{name: '1', label: {en: Male, zh: 男}}, {name: '2', label: {en: Female, zh: 女}}]
survey:
  - {type: select_one sex, name: s, label: {en: Sex, zh: 性别}}
  - {type: calculate, name: sname, calculation: "jr:choice-name(${s}, '${s}')"}
  - {type: calculate, name: first, calculation: 'once(random())'}
  - {type: calculate, name: sub, calculation: "substr('abcdef', 1, 3)"}
  - {type: calculate, name: math, calculation: 'sqrt(16) + pow(2, 3) + abs(-1)'}
  - {type: calculate, name: dd, calculation: "decimal-date-time('1970-01-02T12:00:00')"}
  - {type: calculate, name: dur, calculation: 'duration()'}
  - {type: calculate, name: dev, calculation: "device-info('deviceid')"}
  - {type: calculate, name: stamp, calculation: 'now()'}
  - {type: calculate, name: dt2, calculation: "date('2026-01-02')"}
""")
    r = run(form, started=NOW - dt.timedelta(seconds=90), metadata={"deviceid": "int07"}, seed=1)
    r.answer("2")
    assert r.value("sname") in ("Female", "女")
    first = r.value("first")
    r.answer("1")
    assert r.value("first") == first  # once(): kept
    assert r.value("sub") == "bc" and r.value("math") == 13 and r.value("dd") == 1.5
    assert r.value("dur") == 90 and r.value("dev") == "int07"
    assert r.value("stamp") == NOW and r.value("dt2") == dt.date(2026, 1, 2)


def test_not_supported_is_named_never_a_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(FormErrors) as err:
        yaml_form(tmp_path, """
survey:
  - {type: begin loop, name: lp, label: L}
  - {type: calculate, name: c, calculation: 'area(${g})'}
  - {type: calculate, name: d, calculation: '/data/x + 1'}
""")
    text = err.value.paragraph()
    assert text.count("not supported") == 3 and "syntax" not in text


# ------------------------------------------------------------------ external data
def test_select_from_file_external_choices_pulldata_and_instance(tmp_path: Path) -> None:
    (tmp_path / "villages.csv").write_text(
        "name,label,district\nv1,Village 1,d1\nv2,Village 2,d1\nv3,Village 3,d2\n",
        encoding="utf-8")
    (tmp_path / "prices.csv").write_text("item,price\nrice,3.5\nmaize,2\n", encoding="utf-8")
    form = yaml_form(tmp_path, """
choices:
  district: [{name: d1, label: D1}, {name: d2, label: D2}]
external_choices:
  ward: [{name: w1, label: W1, village: v1}, {name: w2, label: W2, village: v3}]
survey:
  - {type: csv-external, name: prices}
  - {type: select_one district, name: dist, label: District}
  - {type: select_one_from_file villages.csv, name: vil, label: Village,
     choice_filter: 'district = ${dist}'}
  - {type: select_one_external ward, name: wd, label: Ward, choice_filter: 'village = ${vil}'}
  - {type: calculate, name: price, calculation: "pulldata('prices', 'price', 'item', 'rice')"}
  - {type: calculate, name: vlabel,
     calculation: "instance('villages')/root/item[name = ${vil}]/label"}
  - {type: calculate, name: nd1, calculation: "count(instance('villages')/root/item[district = 'd1'])"}
""")
    r = run(form)
    r.answer("d1")
    r.next()
    assert [c.name for c in r.choices()] == ["v1", "v2"]
    assert r.validate("v3") is not None
    r.answer("v1")
    r.next()
    assert [c.name for c in r.choices()] == ["w1"]
    assert r.value("price") == "3.5" and r.value("vlabel") == "Village 1" and r.value("nd1") == 2


def test_bad_attachments_are_one_message_each(tmp_path: Path) -> None:
    (tmp_path / "gbk.csv").write_bytes("name,label\n1,村\n".encode("gbk"))
    (tmp_path / "noname.csv").write_text("code,label\n1,x\n", encoding="utf-8")
    with pytest.raises(FormErrors) as err:
        yaml_form(tmp_path, """
survey:
  - {type: select_one_from_file gbk.csv, name: a, label: A}
  - {type: select_one_from_file noname.csv, name: b, label: B}
  - {type: select_one_from_file missing.csv, name: c, label: C}
""")
    text = err.value.paragraph()
    assert "3 errors" in text and "not UTF-8" in text and "no 'name' column" in text
    assert "missing.csv" in text


def test_cascading_filter_over_5667_external_choices_is_fast(tmp_path: Path) -> None:
    rows = ["name,label,region,district"]
    for i in range(5667):
        rows.append(f"c{i},Camp {i},r{i % 13},d{i % 131}")
    (tmp_path / "camps.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    form = yaml_form(tmp_path, """
survey:
  - {type: text, name: reg, label: R}
  - {type: text, name: dis, label: D}
  - {type: select_one_from_file camps.csv, name: camp, label: Camp,
     choice_filter: 'region = ${reg} and district = ${dis}'}
""")
    r = run(form)
    r.answer("r3")
    r.next()
    r.answer("d16")
    r.next()
    times = []
    for _ in range(20):
        t = time.perf_counter()
        shown = r.choices()
        times.append(time.perf_counter() - t)
    assert {c.attribute("region") for c in shown} == {"r3"}
    assert len(shown) == sum(1 for i in range(5667) if i % 13 == 3 and i % 131 == 16)
    assert sorted(times)[10] < 0.005


# ------------------------------------------------------------------ issue 17: soft checks etc.
SOFT = """
settings: {completion_partial: 0.5, completion_complete: 0.8}
choices:
  sex: [{name: '1', label: {en: Male, zh: 男}}, {name: '2', label: {en: Female, zh: 女}}]
survey:
  - {type: hidden, name: respondent_sex}
  - {type: hidden, name: respondent_age}
  - {type: select_one sex, name: a1, label: Sex, default: '${respondent_sex}',
     warning: ". = ${respondent_sex} or ${respondent_sex} = ''",
     warning_message: 'The roster says ${respondent_sex}'}
  - {type: integer, name: a2, label: Age}
  - {type: integer, name: a3, label: Hours}
  - {type: integer, name: a4, label: Days}
  - {type: integer, name: a5, label: Children}
"""


def test_soft_warning_confirmed_with_a_reason(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, SOFT.replace("type: hidden, name: respondent_sex",
                                            "type: select_one sex, name: respondent_sex"))
    r = run(form, roster={"name": "刘洋", "sex": "male", "age": 30})
    assert r.value("respondent_sex") == "1" and r.value("a1") == "1"  # prefilled
    assert r.value("respondent_age") == "30"
    r.jump("a1")
    assert r.warning(value="2") == "The roster says 1"
    r.answer("2")  # a warning never blocks
    assert [w.key for w in r.warnings()] == ["a1"]
    with pytest.raises(QuestionnaireError):
        r.confirm_warning("a1", "  ")
    event = r.confirm_warning("a1", "checked the ID card")
    assert event["reason"] == "checked the ID card" and event["question"] == "a1"
    assert r.warnings() == [] and r.confirmed == {"a1": "checked the ID card"}
    r.answer("1")
    r.answer("2")  # a changed answer needs a new confirmation
    assert [w.key for w in r.warnings()] == ["a1"]


def test_completion_by_rule(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, SOFT)
    r = run(form)
    assert r.completion().status == "break-off" and r.completion().applicable == 5
    for v in ("1", 30, 8):
        r.answer(v)
        r.next()
    c = r.completion()
    assert (c.answered, c.share, c.status) == (3, 0.6, "partial")
    r.answer(5)
    assert r.completion().status == "complete"
    ess = yaml_form(tmp_path, SOFT.replace("completion_complete: 0.8",
                                           "essential_questions: 'a1 a2'"), "e.yaml")
    r2 = run(ess)
    r2.answer("1")
    assert r2.completion().basis == "essential" and r2.completion().share == 0.5


def test_impossible_thresholds_and_unknown_warning_field_are_errors(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="above completion_complete"):
        yaml_form(tmp_path, SOFT.replace("completion_partial: 0.5", "completion_partial: 90%"))
    with pytest.raises(QuestionnaireError, match=r"\$\{nope\} refers to no question") as err:
        yaml_form(tmp_path, SOFT.replace("warning: \". = ${respondent_sex}", "warning: \". = ${nope}"))
    assert err.value.field == "warning"


# ------------------------------------------------------------------ issue 21: hostile input
def test_deep_and_wide_expressions_are_refused_or_work(tmp_path: Path) -> None:
    deep = "not(" * 5000 + "true()" + ")" * 5000
    with pytest.raises(QuestionnaireError, match="too large|nested more than"):
        yaml_form(tmp_path, f"survey:\n  - {{type: calculate, name: c, calculation: '{deep}'}}\n")
    items = "\n".join(f"  - {{type: integer, name: a{i}, label: A}}" for i in range(500))
    total = " + ".join(f"${{a{i}}}" for i in range(500))
    form = yaml_form(tmp_path, f"survey:\n{items}\n  - {{type: calculate, name: s, "
                               f"calculation: 'coalesce({total}, 0)'}}\n", "w.yaml")
    r = run(form)
    for i in range(500):
        r.answer(i)
        r.next()
    assert r.value("s") == sum(range(500))


def test_catastrophic_regex_is_linear(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: text, name: t, label: T, constraint: "regex(., '^(a+)+$')"}
""")
    r = run(form)
    t = time.perf_counter()
    assert r.validate("a" * 5000 + "b") is not None
    assert time.perf_counter() - t < 0.5


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = (
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "survey: [*g]\n"
    )
    t = time.perf_counter()
    with pytest.raises(QuestionnaireError, match="aliases|expands"):
        yaml_form(tmp_path, bomb)
    assert time.perf_counter() - t < 2


def test_trigger_recalculates_and_cycles_are_refused(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: integer, name: a, label: A}
  - {type: integer, name: b, label: B, calculation: '${a} * 10', trigger: '${a}'}
""")
    r = run(form)
    r.answer(2)
    assert r.value("b") == 20
    r.next()
    r.answer(7)  # the interviewer's own value...
    r.jump("a")
    r.answer(3)  # ...until the trigger fires again
    assert r.value("b") == 30
    with pytest.raises(QuestionnaireError, match="cyclic trigger"):
        yaml_form(tmp_path, """
survey:
  - {type: integer, name: a, label: A, calculation: '${b}', trigger: '${b}'}
  - {type: integer, name: b, label: B, calculation: '${a}', trigger: '${a}'}
""", "cyc.yaml")


def test_a_megabyte_label_is_one_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "big.yaml"
    p.write_text("survey:\n  - {type: text, name: a, label: '" + "x" * 1_000_000 + "'}\n",
                 encoding="utf-8")
    t = time.perf_counter()
    with pytest.raises(QuestionnaireError, match="limit is 100,000") as err:
        load_form(p)
    assert err.value.row == 1 and err.value.field == "label"
    assert time.perf_counter() - t < 10


def test_max_of_values_format_date_time_and_last_saved(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: integer, name: a, label: A}
  - {type: integer, name: b, label: B}
  - {type: calculate, name: hi, calculation: 'max(${a}, ${b}, 3)'}
  - {type: calculate, name: lo, calculation: 'min(${a}, ${b})'}
  - {type: calculate, name: stamp, calculation: "format-date-time(now(), '%Y%m%d-%H%M')"}
""")
    r = run(form)
    r.answer(5)
    r.next()
    r.answer(1)
    assert r.value("hi") == 5 and r.value("lo") == 1 and r.value("stamp") == "20261121-1030"
    with pytest.raises(QuestionnaireError, match="not supported: .*last-saved"):
        yaml_form(tmp_path, "survey:\n  - {type: integer, name: a, label: A, "
                            "default: '${last-saved#a}'}\n", "ls.yaml")


def test_geopoint_accuracy_worse_than_warning_accuracy_is_a_soft_warning(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
survey:
  - {type: geopoint, name: gp, label: Where, parameters: 'warning-accuracy=10'}
""")
    r = run(form)
    r.answer_text("36.8 -1.2 1600 25")  # stored, with its accuracy
    assert r.value("gp") == "36.8 -1.2 1600 25"
    assert [w.key for w in r.warnings()] == ["gp"] and "25 m" in r.warnings()[0].message
    r.answer_text("36.8 -1.2 1600 5")
    assert r.warnings() == []


def test_simulation_answers_the_new_types(tmp_path: Path) -> None:
    from fieldsurvey.questionnaire.simulate import simulate_interview

    form = yaml_form(tmp_path, """
choices:
  p: [{name: a, label: A}, {name: b, label: B}]
survey:
  - {type: time, name: t, label: T, required: yes}
  - {type: datetime, name: d, label: D, required: yes}
  - {type: range, name: r, label: R, parameters: 'start=0 end=10 step=5', required: yes}
  - {type: rank p, name: k, label: K, required: yes}
  - {type: geopoint, name: g, label: G, required: yes}
  - {type: acknowledge, name: ok, label: OK, required: yes}
""")
    runner = simulate_interview(form, 3)
    assert runner.is_complete
    values = {rec.name: rec.value for rec in runner.records()}
    assert set(values) >= {"t", "d", "r", "k", "g", "ok"}
    assert values["r"] in (0, 5, 10) and values["ok"] == "OK"


def test_surveycto_metadata_stays_blank_and_search_appearance_reads_a_csv(tmp_path: Path) -> None:
    form = xlsx_form(tmp_path, {"survey": [
        ["type", "name", "label:English", "media:image:English", "calculation"],
        ["caseid", "caseid"], ["comments", "comments"], ["audio audit", "aa"],
        ["speed violations count", "sv"], ["calculate_here", "c", None, None, "1 + 1"],
        ["integer", "a", "A", "a.png"],
    ]})
    assert form.question("a").media == (("image::English", "a.png"),)
    r = run(form)
    assert [s.key for s in r.steps()] == ["a", "@end"]
    assert r.value("comments") is None and r.value("c") == 2
    (tmp_path / "villages.csv").write_text(
        "code,vname,district\n1,Alpha,d1\n2,Beta,d1\n3,Gamma,d2\n", encoding="utf-8")
    form = yaml_form(tmp_path, """
choices:
  l: [{name: code, label: vname}]
survey:
  - {type: text, name: dist, label: D}
  - {type: select_one l, name: s, label: S,
     appearance: "minimal search('villages', 'matches', 'district', ${dist})"}
""")
    r = run(form)
    r.answer("d1")
    r.next()
    assert [(c.name, c.label.get()) for c in r.choices()] == [("1", "Alpha"), ("2", "Beta")]


def test_begin_loop_over_a_list_is_one_group_per_choice(tmp_path: Path) -> None:
    form = yaml_form(tmp_path, """
choices:
  toilet: [{name: pit, label: {en: Pit latrine}}, {name: flush, label: {en: Flush toilet}}]
survey:
  - {type: begin loop over toilet, name: lp, label: {en: Toilets}}
  - {type: integer, name: number, label: {en: 'How many %(label)s?'}}
  - {type: integer, name: broken, label: {en: Broken}, constraint: '. <= ${number}'}
  - {type: end loop}
""")
    r = run(form)
    assert [s.key for s in r.steps()][:4] == ["number_pit", "broken_pit", "number_flush",
                                             "broken_flush"]
    assert r.text(lang="en") == "How many Pit latrine?"
    r.answer(2)
    r.next()
    assert r.validate(3) is not None and r.validate(2) is None
