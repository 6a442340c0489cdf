"""Loading forms: XLSForm and YAML, every supported type, errors naming sheet/row/column,
the real public forms, a pyxform cross-check, and the shipped example forms."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from fieldsurvey.example.forms import FORMS, example_path, form_source, sheet_rows
from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Group, Repeat
from fieldsurvey.questionnaire.xlsform import read_workbook

SURVEY_HEADER = [
    "type",
    "name",
    "label::zh",
    "label::en",
    "relevant",
    "constraint",
    "constraint_message::en",
    "required",
    "calculation",
    "choice_filter",
    "appearance",
    "default",
    "read_only",
    "sensitive",
]


def write_form(
    path: Path,
    survey: list[list[Any]],
    choices: list[list[Any]] | None = None,
    header: list[str] | None = None,
    settings: list[list[Any]] | None = None,
    extra: dict[str, list[list[Any]]] | None = None,
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(header or SURVEY_HEADER)
    for r in survey:
        ws.append(r)
    cs = wb.create_sheet("choices")
    cs.append(["list_name", "name", "label::zh", "label::en", "category"])
    for r in choices or []:
        cs.append(r)
    st = wb.create_sheet("settings")
    for r in settings or [["form_id", "version", "default_language"], ["t", "3", "zh"]]:
        st.append(r)
    for name, rows in (extra or {}).items():
        sh = wb.create_sheet(name)
        for r in rows:
            sh.append(r)
    wb.save(path)
    return path


CHOICES = [
    ["yn", "1", "是", "Yes", None],
    ["yn", "2", "否", "No", None],
    ["fruit", "a", "苹果", "Apple", "x"],
    ["fruit", "b", "香蕉", "Banana", "y"],
]


def test_every_supported_type(tmp_path: Path) -> None:
    survey = [
        ["begin group", "g", "组", "Group", None, None, None, None, None, None, "field-list"],
        ["integer", "n", "数", "Number", None, ". < 10", "below 10", "yes"],
        ["decimal", "x", "小数", "Decimal"],
        ["text", "t", "文字", "Text", None, None, None, None, None, None, None, None, None, "yes"],
        ["select_one yn", "s1", "是否", "Yes/no", None, None, None, None, None, None, "likert"],
        ["select_multiple fruit or_other", "sm", "水果", "Fruit"],
        ["note", "nt", "注", "Note"],
        ["date", "d", "日期", "Date", None, None, None, None, None, None, None, "2026-01-02"],
        ["calculate", "c", None, None, None, None, None, None, "${n} * 2"],
        ["acknowledge", "ack", "确认", "OK?"],
        ["end group"],
        ["begin repeat", "r", "人", "People"],
        ["integer", "age", "年龄", "Age", "position(..) > 0"],
        ["end repeat"],
    ]
    form = load_form(write_form(tmp_path / "f.xlsx", survey, CHOICES))
    assert form.form_id == "t" and form.version == "3" and form.default_language == "zh"
    assert form.languages == ("zh", "en")
    types = {q.name: q.type for q in form.questions}
    assert types == {
        "n": "integer",
        "x": "decimal",
        "t": "text",
        "s1": "select_one",
        "sm": "select_multiple",
        "sm_other": "text",
        "nt": "note",
        "d": "date",
        "c": "calculate",
        "ack": "acknowledge",
        "age": "integer",
    }
    g = form.items_by_name["g"]
    assert isinstance(g, Group) and g.field_list
    assert isinstance(form.items_by_name["r"], Repeat)
    assert form.question("age").repeats == ("r",)
    assert (
        form.question("n").required
        and form.question("n").constraint_message.get("en") == "below 10"
    )
    assert form.question("t").sensitive and form.sensitive_names == ("t",)
    assert [c.name for c in form.choices(form.question("sm"))] == ["a", "b", "other"]
    assert form.question("s1").appearance == "likert"
    assert (
        form.question("n").label.get("en") == "Number"
        and form.question("n").label.get("zh") == "数"
    )
    assert form.question("d").default == "2026-01-02"
    assert form.choices(form.question("sm"))[0].attribute("category") == "x"


@pytest.mark.parametrize(
    "survey, sheet, row, column, fragment",
    [
        ([["begin loop", "gp", "位置", "Where"]], "survey", 2, "type",
         "not supported: question type 'begin loop"),
        (
            [["integer", "a", "A", "A"], ["integer", "a", "B", "B"]],
            "survey",
            3,
            "name",
            "used twice",
        ),
        (
            [["integer", "a", "A", "A", "${nope} = 1"]],
            "survey",
            2,
            "relevant",
            "${nope} refers to no question",
        ),
        ([["integer", "a", "A", "A", "${a} = = 1"]], "survey", 2, "relevant", "syntax error"),
        (
            [["integer", "a", "A", "A", None, "foo(.)"]],
            "survey",
            2,
            "constraint",
            "unknown function foo()",
        ),
        (
            [["begin group", "g", "G", "G"], ["integer", "a", "A", "A"]],
            "survey",
            2,
            "type",
            "never closed",
        ),
        ([["end group"]], "survey", 2, "type", "without a matching begin"),
        (
            [["select_one nolist", "a", "A", "A"]],
            "survey",
            2,
            "type",
            "'nolist' is not on the choices",
        ),
        (
            [
                ["calculate", "a", None, None, None, None, None, None, "${b} + 1"],
                ["calculate", "b", None, None, None, None, None, None, "${a} + 1"],
            ],
            "survey",
            2,
            None,
            "cyclic",
        ),
        (
            [["integer", "a", "A", "A", None, None, None, "${b} > 1"]],
            "survey",
            2,
            "required",
            "${b} refers to no question",
        ),
        (
            [["integer", "a", "A", "A", None, None, None, None, None, None, None, "abc"]],
            "survey",
            2,
            "default",
            "default is not a valid answer",
        ),
        (
            [["integer", "a", "A", "A", "position(..) = 1"]],
            "survey",
            2,
            "relevant",
            "inside a repeat",
        ),
        ([["integer", "1a", "A", "A"]], "survey", 2, "name", "not a valid name"),
        ([["integer", None, "A", "A"]], "survey", 2, "name", "no name"),
    ],
)
def test_errors_name_sheet_row_column(
    tmp_path: Path, survey: list[list[Any]], sheet: str, row: int, column: str | None, fragment: str
) -> None:
    path = write_form(tmp_path / "bad.xlsx", survey, CHOICES)
    with pytest.raises(QuestionnaireError) as err:
        load_form(path)
    e = err.value
    assert fragment in e.message, e.paragraph()
    assert e.sheet == sheet and e.row == row
    if column is not None:
        assert e.field == column
    assert str(path) in e.paragraph()


def test_unsupported_column_sheet_and_setting(tmp_path: Path) -> None:
    header = [*SURVEY_HEADER, "bind::odk:length"]
    p = write_form(
        tmp_path / "a.xlsx", [["integer", "a", "A", "A"] + [None] * 10 + ["x"]], CHOICES, header
    )
    with pytest.raises(QuestionnaireError, match="not supported: column 'bind:odk:length'") as err:
        load_form(p)
    assert err.value.row == 2 and err.value.field == "bind::odk:length"
    # an empty unsupported column changes nothing and is accepted
    load_form(write_form(tmp_path / "b.xlsx", [["integer", "a", "A", "A"]], CHOICES, header))
    # an unknown column is kept on the question, with a warning
    p = write_form(tmp_path / "i.xlsx", [["integer", "a", "A", "A"] + [None] * 10 + ["q1"]],
                   CHOICES, [*SURVEY_HEADER, "indicator_code"])
    form = load_form(p)
    assert form.question("a").extra == {"indicator_code": "q1"}
    assert any("indicator_code" in w.message for w in form.warnings)
    p = write_form(
        tmp_path / "c.xlsx",
        [["integer", "a", "A", "A"]],
        CHOICES,
        extra={"osm": [["list_name", "name"], ["x", "1"]]},
    )
    with pytest.raises(QuestionnaireError, match="not supported: sheet 'osm'"):
        load_form(p)
    p = write_form(
        tmp_path / "d.xlsx",
        [["integer", "a", "A", "A"]],
        CHOICES,
        settings=[["form_id", "submission_urlx"], ["x", "http://example.org"]],
    )
    form = load_form(p)  # a setting fieldsurvey does not know changes nothing it runs
    assert any("setting 'submission_urlx'" in w.message for w in form.warnings)
    assert ("submission_urlx", "http://example.org") in form.settings.other


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(QuestionnaireError, match="cannot be read"):
        load_form(bad)
    other = tmp_path / "form.csv"
    other.write_text("x")
    with pytest.raises(QuestionnaireError, match="unknown questionnaire format"):
        load_form(other)
    y = tmp_path / "bad.yaml"
    y.write_text("survey: [ {type: integer, name: a, colour: red} ]\n")
    with pytest.raises(QuestionnaireError, match="not supported: column 'colour'") as err:
        load_form(y)
    assert err.value.row == 1 and err.value.field == "colour"
    y.write_text("survey: [ {type: integer, name: a\n")
    with pytest.raises(QuestionnaireError, match="YAML is not valid"):
        load_form(y)


def test_special_answers_configurable(tmp_path: Path) -> None:
    header = [*SURVEY_HEADER, "special"]
    survey = [
        ["integer", "a", "A", "A"],
        ["integer", "b", "B", "B"] + [None] * 10 + ["none"],
        ["integer", "c", "C", "C"] + [None] * 10 + ["dont_know"],
    ]
    specials = {
        "special_answers": [
            ["code", "name", "label::zh", "label::en"],
            [-98, "dont_know", "不知道", "Don't know"],
            [-99, "refused", "拒绝回答", "Refused"],
        ]
    }
    form = load_form(write_form(tmp_path / "s.xlsx", survey, CHOICES, header, extra=specials))
    assert [s.code for s in form.settings.special_answers] == [-98, -99]
    assert form.question("a").special == (-98, -99)
    assert form.question("b").special == ()
    assert form.question("c").special == (-98,)
    # without a special_answers sheet no question takes them unless it says so
    form2 = load_form(write_form(tmp_path / "t.xlsx", survey[:1], CHOICES, header))
    assert form2.question("a").special == ()


@pytest.mark.parametrize("name", FORMS)
def test_example_xlsx_and_yaml_load_equal(name: str, repo_root: Path) -> None:
    a = load_form(repo_root / "questionnaires" / f"{name}.xlsx")
    b = load_form(repo_root / "questionnaires" / f"{name}.yaml")
    assert a == b
    assert a.languages == ("zh", "en") and a.default_language == "zh"


@pytest.mark.parametrize("name", FORMS)
def test_committed_examples_equal_a_regeneration(
    name: str, repo_root: Path, tmp_path: Path
) -> None:
    from fieldsurvey.example.forms import write_all

    write_all([tmp_path])
    for suffix in (".yaml",):
        assert (tmp_path / f"{name}{suffix}").read_text() == (
            repo_root / "questionnaires" / f"{name}{suffix}"
        ).read_text()
    expected = sheet_rows(form_source(name))
    got = read_workbook(repo_root / "questionnaires" / f"{name}.xlsx")
    for sheet, rows in expected.items():
        cells = [[c for c in r] for _, r in got[sheet]]
        norm = [[None if c is None else str(c) for c in r] for r in rows]
        assert [
            r[: len(n)] + [None] * (len(n) - len(r)) for r, n in zip(cells, norm, strict=True)
        ] == norm


@pytest.mark.parametrize("name", FORMS)
def test_package_copies_equal_repo_copies(name: str, repo_root: Path) -> None:
    for suffix in (".xlsx", ".yaml"):
        shipped = example_path(name, suffix)
        assert shipped.is_file()
        assert filecmp.cmp(shipped, repo_root / "questionnaires" / f"{name}{suffix}", shallow=False)


def test_resident_survey_content(repo_root: Path) -> None:
    form = load_form(repo_root / "questionnaires" / "resident_survey.xlsx")
    needs = [form.question(f"c{i}") for i in range(1, 12)]
    items = [c for q in needs for c in form.choices(q) if c.name != "0"]
    assert len(items) == 31
    sat = [form.question(f"d{i}") for i in range(0, 13)]
    assert all(q.appearance == "likert" for q in sat)
    assert [c.name for c in form.choices(sat[0])] == ["1", "2", "3", "4", "5", "8"]
    assert form.choices(sat[0])[-1].missing
    assert set(form.sensitive_names) == {"h_name", "f1"}
    assert form.question("a1").special == (-8, -9) and form.question("f1").special == ()
    assert isinstance(form.items_by_name["h_roster"], Repeat)
    assert form.choice_lists["partic"].by_name["0"].exclusive


# ----------------------------------------------------------------------- real public forms
REAL = {
    "MCH_v1.xlsx": None,
    "tutorial.xls": None,
    "widgets.xls": None,
    "UCL_Biomass_Plot_Form.xlsx": "attachment",  # its CSV files are not published with it
    "xlsform_spec_test.xlsx": None,
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_forms_load_or_are_refused_by_name(shared_data: Path, name: str) -> None:
    path = shared_data / "questionnaires" / name
    expected = REAL[name]
    if expected is None:
        form = load_form(path)
        assert form.questions
        return
    with pytest.raises(QuestionnaireError) as err:
        load_form(path)
    e = err.value
    assert expected in e.message
    assert "syntax error" not in e.paragraph()


def test_mch_legacy_select_syntax_and_bind_columns(shared_data: Path) -> None:
    form = load_form(shared_data / "questionnaires" / "MCH_v1.xlsx")
    assert any(q.type == "select_multiple" for q in form.questions)
    assert sum(q.relevant is not None for q in form.questions) >= 10


def test_tutorial_legacy_xls_repeat(shared_data: Path) -> None:
    form = load_form(shared_data / "questionnaires" / "tutorial.xls")
    assert any(isinstance(it, Repeat) for it in form.walk())
    assert form.question("age_in_years").relevant is not None


# ----------------------------------------------------------------------- pyxform cross-check
PYXFORM_CASES = [
    [
        ["integer", "age", "年龄", "Age", None, ". >= 0 and . <= 120", "0-120", "yes"],
        ["select_one yn", "adult", "成年", "Adult", "${age} >= 18"],
        [
            "select_multiple fruit",
            "fr",
            "水果",
            "Fruit",
            "selected(${adult}, '1')",
            "count-selected(.) <= 1",
        ],
        ["calculate", "dbl", None, None, None, None, None, None, "${age} * 2"],
        [
            "text",
            "nm",
            "名字",
            "Name",
            "${dbl} > 10 and not(selected(${fr}, 'a'))",
            "regex(., '^[a-z]+$')",
        ],
    ],
    [
        ["begin repeat", "r", "人", "Person"],
        ["integer", "a", "年龄", "Age", "position(..) = 1"],
        ["end repeat"],
        ["calculate", "s", None, None, None, None, None, None, "sum(${a})"],
        ["begin group", "g", "组", "Group", "${s} > 0", None, None, None, None, None, "field-list"],
        ["date", "d", "日期", "Date", None, ". <= today()"],
        ["acknowledge", "k", "确认", "OK"],
        ["end group"],
    ],
]


@pytest.mark.parametrize("case", range(len(PYXFORM_CASES)))
def test_forms_pyxform_accepts_load_here(tmp_path: Path, case: int) -> None:
    pyxform = pytest.importorskip("pyxform")
    from pyxform.xls2xform import xls2xform_convert

    path = write_form(tmp_path / "x.xlsx", PYXFORM_CASES[case], CHOICES)
    xls2xform_convert(xlsform_path=str(path), xform_path=str(tmp_path / "x.xml"))
    assert (tmp_path / "x.xml").stat().st_size > 0
    assert pyxform is not None
    form = load_form(path)
    assert len(form.questions) >= 4


def test_example_forms_pass_pyxform(repo_root: Path, tmp_path: Path) -> None:
    """The example forms are valid XLSForm for ODK too (extra columns aside)."""
    pytest.importorskip("pyxform")
    from pyxform.xls2xform import xls2xform_convert

    for name in FORMS:
        src = form_source(name)
        rows = sheet_rows(src)
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title in ("survey", "choices", "settings"):
            ws = wb.create_sheet(title)
            header = rows[title][0]
            # pyxform takes neither fieldsurvey's extra columns nor a translated form_title
            keep = [
                i
                for i, h in enumerate(header)
                if h not in ("sensitive", "special", "missing", "exclusive", "form_title::en")
            ]
            ws.append(
                [("form_title" if header[i] == "form_title::zh" else header[i]) for i in keep]
            )
            for r in rows[title][1:]:
                ws.append([r[i] for i in keep])
        p = tmp_path / f"{name}.xlsx"
        wb.save(p)
        xls2xform_convert(xlsform_path=str(p), xform_path=str(tmp_path / f"{name}.xml"))


def test_yaml_nested_and_flat_forms_equal(tmp_path: Path) -> None:
    nested = {
        "settings": {"form_id": "y"},
        "choices": {"yn": [{"name": 1, "label": "Yes"}]},
        "survey": [
            {
                "type": "begin group",
                "name": "g",
                "children": [
                    {"type": "select_one yn", "name": "a", "label": "A", "required": True}
                ],
            }
        ],
    }
    flat = {
        "settings": {"form_id": "y"},
        "choices": {"yn": [{"name": "1", "label": "Yes"}]},
        "survey": [
            {"type": "begin group", "name": "g"},
            {"type": "select_one yn", "name": "a", "label": "A", "required": "yes"},
            {"type": "end group"},
        ],
    }
    (tmp_path / "n.yaml").write_text(yaml.safe_dump(nested))
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(flat))
    assert load_form(tmp_path / "n.yaml") == load_form(tmp_path / "f.yaml")


def test_group_columns_that_do_not_apply_are_refused(tmp_path: Path) -> None:
    group = ["begin group", "g", "组", "Group", None, "${x} > 1"]
    p = write_form(tmp_path / "g.xlsx", [group, ["integer", "x", "X", "X"], ["end group"]], CHOICES)
    with pytest.raises(QuestionnaireError, match="constraint does not apply to a group") as err:
        load_form(p)
    assert err.value.row == 2 and err.value.field == "constraint"
    ok = ["begin group", "g", "组", "Group", None, None, None, "no"]
    form = load_form(
        write_form(tmp_path / "h.xlsx", [ok, ["integer", "x", "X", "X"], ["end group"]])
    )
    assert form.items_by_name["g"].label.get("en") == "Group"


def test_more_bad_inputs(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("survey:\n  - {type: text, name: a, label: 姓名}\n".encode("gbk"))
    with pytest.raises(QuestionnaireError, match="not UTF-8"):
        load_form(gbk)
    empty = write_form(tmp_path / "empty.xlsx", [])
    with pytest.raises(QuestionnaireError, match="no questions"):
        load_form(empty)
    twice = write_form(
        tmp_path / "twice.xlsx",
        [["integer", "a", "A", "A", None]],
        CHOICES,
        header=["type", "name", "label::zh", "label::en", "label::zh"],
    )
    with pytest.raises(QuestionnaireError, match="appears twice"):
        load_form(twice)
    wb = openpyxl.Workbook()
    wb.active.title = "questions"
    wb.save(tmp_path / "nosurvey.xlsx")
    with pytest.raises(QuestionnaireError, match="no 'survey' sheet"):
        load_form(tmp_path / "nosurvey.xlsx")
    dup = write_form(
        tmp_path / "dup.xlsx",
        [["select_one yn", "a", "A", "A"]],
        [*CHOICES, ["yn", "1", "再", "Again", None]],
    )
    with pytest.raises(QuestionnaireError, match="appears twice in list 'yn'") as err:
        load_form(dup)
    assert err.value.sheet == "choices" and err.value.row == 6
