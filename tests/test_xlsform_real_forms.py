"""XLSForm idioms found in real public forms that ODK runs and fieldsurvey refused.

Each test builds a small workbook reproducing one kind of input met in real forms
(humanitarian mapping forms, SurveyCTO templates, platform fixtures) and checks it loads
and runs as ODK (pyxform + JavaRosa) runs it, with a warning where the author probably
meant something else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Form
from fieldsurvey.questionnaire.runner import InterviewRunner, InvalidAnswer

TODAY = dt.date(2026, 11, 21)
S = ["type", "name", "label", "relevant", "constraint", "calculation", "choice_filter",
     "default", "appearance"]
YN = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def form_of(tmp_path: Path, survey: list[list[object]],
            choices: list[list[object]] | None = None, **more: list[list[object]]) -> Form:
    sheets = {"survey": [S, *survey], "choices": choices or YN, **more}
    return load_form(workbook(tmp_path / "f.xlsx", sheets))


def runner(form: Form) -> InterviewRunner:
    return InterviewRunner(form, clock=lambda: TODAY)


def warnings_text(form: Form) -> str:
    return "\n".join(w.paragraph() for w in form.warnings)


def test_typographic_quotes_in_expressions_are_plain_quotes(tmp_path: Path) -> None:
    # ${x}=’yes’ typed by a spreadsheet's autocorrect: pyxform straightens them
    form = form_of(tmp_path, [
        ["select_one yn", "q", "Q"],
        ["text", "why", "Why?", "${q}=\u2019yes\u2019"],
        ["integer", "n", "N", "${q} = \u201cno\u201d", ". < 5"],
    ])
    r = runner(form)
    r.answer("yes")
    r.next()
    assert r.current.key == "why"
    assert not r.is_relevant("n")


def test_clean_text_values_no_keeps_typographic_quotes(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError) as err:
        form_of(tmp_path, [["select_one yn", "q", "Q"],
                           ["text", "why", "Why?", "${q}=\u2019yes\u2019"]],
                settings=[["clean_text_values"], ["no"]])
    assert "row 3" in str(err.value) and "relevant" in str(err.value)


def test_bare_name_is_blank_as_in_odk_with_a_warning(tmp_path: Path) -> None:
    # SurveyCTO templates write `. != null`; a mapping form writes calculation `yes`
    form = form_of(tmp_path, [
        ["integer", "a", "A"],
        ["integer", "b", "B", None, "(${a} = null and . != null) or (. = null and ${a} != null)"],
        ["calculate", "flag", None, None, None, "basic"],
    ])
    text = warnings_text(form)
    assert "'null' is a path to nothing" in text and "row 3" in text
    assert "'basic' is a path to nothing" in text and "row 4" in text
    r = runner(form)
    r.next()  # a left blank: `${a} = null` is true, so b may be given
    assert r.current.key == "b"
    r.answer(3)
    r.jump("a")
    r.answer(1)
    r.next()
    with pytest.raises(InvalidAnswer):
        r.answer(4)  # a given: b must stay blank
    assert r.value("flag") in ("", None)


def test_whole_yes_or_no_cell_in_a_bind_column_is_true_or_false(tmp_path: Path) -> None:
    # pyxform's BINDING_CONVERSIONS: calculation `yes` is true(), relevant `no` false()
    form = form_of(tmp_path, [
        ["calculate", "flag", None, None, None, "yes"],
        ["text", "shown", "Shown", "Yes"],
        ["text", "hidden", "Hidden", "no"],
        ["text", "after", "After", "${flag} = 'true'"],
    ])
    assert "path to nothing" not in warnings_text(form)
    r = runner(form)
    assert r.value("flag") is True
    assert r.is_relevant("shown") and not r.is_relevant("hidden") and r.is_relevant("after")


def test_choice_filter_column_missing_from_the_list_is_blank(tmp_path: Path) -> None:
    choices = [["list_name", "name", "label"], ["county", "a", "A"], ["county", "b", "B"],
               ["country", "ke", "Kenya"]]
    form = form_of(tmp_path, [
        ["select_one country", "country", "Country"],
        ["select_one county", "county", "County", None, None, None, "country = ${country}"],
        ["select_one county", "any", "Any county", None, None, None, "country = ''"],
    ], choices)
    assert "choice_filter uses 'country', which is not a column of list 'county'" in (
        warnings_text(form))
    r = runner(form)
    r.answer("ke")
    r.next()
    assert r.choices() == ()  # '' = 'ke' for every choice, as in JavaRosa
    r.next()
    assert [c.name for c in r.choices()] == ["a", "b"]


def test_surveycto_device_info_and_index(tmp_path: Path) -> None:
    form = form_of(tmp_path, [
        ["calculate", "device", None, None, None, "device-info()"],
        ["begin repeat", "member", "Member"],
        ["calculate", "idx", None, None, None, "index()"],
        ["text", "nm", "Name"],
        ["end repeat"],
    ])
    r = runner(form)
    assert r.value("device") not in ("", None)
    for name in ("A", "B"):
        r.add_instance()
        r.answer(name)
        r.next()
    assert r.value("idx[1]") == 1 and r.value("idx[2]") == 2


def test_index_outside_a_repeat_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError) as err:
        form_of(tmp_path, [["calculate", "idx", None, None, None, "index()"]])
    assert "only works inside a repeat" in str(err.value)


def test_external_choices_repeat_names_under_other_parents(tmp_path: Path) -> None:
    external = [["list_name", "name", "label", "state"],
                ["county", "king", "King", "washington"], ["county", "pierce", "Pierce",
                                                           "washington"],
                ["county", "king", "King", "texas"], ["county", "other", "Other", "texas"]]
    choices = [["list_name", "name", "label"], ["state", "texas", "Texas"],
               ["state", "washington", "Washington"]]
    form = form_of(tmp_path, [
        ["select_one state", "state", "State"],
        ["select_one_external county", "county", "County", None, None, None,
         "state = ${state}"],
    ], choices, external_choices=external)
    r = runner(form)
    r.answer("texas")
    r.next()
    assert [c.name for c in r.choices()] == ["king", "other"]


def test_duplicates_on_the_choices_sheet_stay_an_error(tmp_path: Path) -> None:
    choices = [*YN, ["yn", "yes", "Yes again"]]
    with pytest.raises(QuestionnaireError, match="appears twice"):
        form_of(tmp_path, [["select_one yn", "q", "Q"]], choices)


def test_choice_row_without_list_name_is_ignored_with_a_warning(tmp_path: Path) -> None:
    form = form_of(tmp_path, [["select_one yn", "q", "Q"]], [*YN, [None, None, "No"]])
    assert "without a list name is ignored" in warnings_text(form)
    assert [c.name for c in runner(form).choices()] == ["yes", "no"]


def test_choice_filter_on_a_text_question_is_ignored(tmp_path: Path) -> None:
    form = form_of(tmp_path, [["text", "t", "T", None, None, None, "x = 1"]])
    assert "choice_filter only applies to select questions; ignored" in warnings_text(form)


def test_select_default_that_is_no_choice_starts_blank(tmp_path: Path) -> None:
    form = form_of(tmp_path, [["select_one yn", "q", "Q", None, None, None, None, "null"]])
    assert "'null' is not a choice" in warnings_text(form)
    r = runner(form)
    assert r.value("q") in ("", None)
    r.answer("no")
    assert r.value("q") == "no"


def test_integer_default_that_is_no_number_stays_an_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="default is not a valid answer"):
        form_of(tmp_path, [["integer", "n", "N", None, None, None, None, "abc"]])


def test_search_appearance_with_a_plugin_beside_it(tmp_path: Path) -> None:
    (tmp_path / "phones.csv").write_text("value,phone_details\nx1,Phone X1\nx2,Phone X2\n",
                                         encoding="utf-8")
    choices = [["list_name", "name", "label"], ["phone", "value", "phone_details"]]
    form = form_of(tmp_path, [
        ["select_one phone", "p", "Which phone?", None, None, None, None, None,
         "search('phones') custom-table-list(delimiter='|',headers='Name,Price(US $)')"],
    ], choices)
    assert [(c.name, c.label.get(None)) for c in runner(form).choices()] == [
        ("x1", "Phone X1"), ("x2", "Phone X2")]


@pytest.mark.parametrize(("typ", "kind"), [
    ("add text prompt", "text"), ("q int", "integer"), ("add decimal prompt", "decimal"),
    ("add date prompt", "date"), ("get start time", "start"), ("q select1 yn", "select_one"),
    ("add select one prompt using yn", "select_one"),
    ("select all that apply from yn", "select_multiple"),
    ("select multiple using yn", "select_multiple"),
])
def test_older_pyxform_type_spellings(tmp_path: Path, typ: str, kind: str) -> None:
    form = form_of(tmp_path, [[typ, "q", "Q"]])
    assert form.question("q").type == kind


def test_start_geopoint_is_metadata_from_the_caller(tmp_path: Path) -> None:
    form = form_of(tmp_path, [["start-geopoint", "where", None], ["text", "t", "T"]])
    q = form.question("where")
    assert q.is_metadata
    given = InterviewRunner(form, clock=lambda: TODAY,
                            metadata={"start_geopoint": "30.5 114.3 20 4"})
    assert given.value("where") == "30.5 114.3 20 4"
    assert runner(form).value("where") in ("", None)  # no fix: blank, as ODK without one
    assert runner(form).current.key == "t"  # never shown


def test_missing_attachment_is_one_error_not_one_per_lookup(tmp_path: Path) -> None:
    choices = [["list_name", "name", "label"], ["feat", "id", "label"]]
    with pytest.raises(QuestionnaireError) as err:
        form_of(tmp_path, [
            ["select_one_from_file features.csv", "feature", "Feature"],
            ["calculate", "kind", None, None, None,
             "instance('features')/root/item[id=${feature}]/kind"],
            ["calculate", "size", None, None, None,
             "instance('features')/root/item[id=${feature}]/size"],
        ], choices)
    text = str(err.value)
    assert "the attachment 'features.csv' is not next to the form" in text
    assert "names no choice list" not in text


def test_own_name_in_a_constraint_is_the_value_being_entered(tmp_path: Path) -> None:
    # the ODK/KoBo tutorial form: `${age} > 0 and ${age} < 120` on age itself
    form = form_of(tmp_path, [["integer", "age", "Age", None, "${age} > 0 and ${age} < 120"],
                              ["integer", "kids", "Kids", None, ". <= ${age} div 10"]])
    r = runner(form)
    with pytest.raises(InvalidAnswer):
        r.answer(150)
    r.answer(30)
    assert r.value("age") == 30
    r.next()
    with pytest.raises(InvalidAnswer):
        r.answer(4)  # another question's ${age} is still the stored age
    r.answer(3)


def test_disabled_rows_are_left_out_as_pyxform_does(tmp_path: Path) -> None:
    sheets = {"survey": [["type", "name", "label", "disabled"], ["text", "a", "A", None],
                         ["text", "old", "Old", "yes"], ["integer", "b", "B", "no"]],
              "choices": YN}
    form = load_form(workbook(tmp_path / "f.xlsx", sheets))
    assert [q.name for q in form.questions] == ["a", "b"]
    assert "1 row(s) with disabled = yes are left out" in warnings_text(form)


def test_pyxform_nested_headers_and_surveycto_media(tmp_path: Path) -> None:
    sheets = {"survey": [
        ["type", "name", "label", "bind::relevant", "bind::constraint",
         "bind::jr:constraintMsg", "body::accuracyThreshold", "media:image", "instance::hxl",
         "publishable"],
        ["integer", "a", "A", None, None, None, None, "a.png", "#affected", "yes"],
        ["integer", "b", "B", "${a} > 1", ". < 5", "too big"],
        ["geopoint", "g", "Where", None, None, None, "8"],
    ], "choices": YN}
    form = load_form(workbook(tmp_path / "f.xlsx", sheets))
    b = form.question("b")
    assert b.relevant is not None and b.relevant.source == "${a} > 1"
    assert b.constraint is not None and b.constraint_message.get(None) == "too big"
    assert dict(form.question("g").parameters)["capture-accuracy"] == "8"
    text = warnings_text(form)
    assert "media:image" not in text and "bind::" not in text and "publishable" not in text
    assert "instance::hxl" in text  # kept on the question, said once
    r = runner(form)
    r.answer(1)
    r.next()
    assert not r.is_relevant("b")


def test_nested_bind_column_fieldsurvey_cannot_run_is_refused(tmp_path: Path) -> None:
    sheets = {"survey": [["type", "name", "label", "bind::odk:length"],
                         ["text", "t", "T", "1 10"]], "choices": YN}
    with pytest.raises(QuestionnaireError) as err:
        load_form(workbook(tmp_path / "f.xlsx", sheets))
    assert "row 2" in str(err.value) and "bind::odk:length" in str(err.value)
    assert "text length limits" in str(err.value)


def test_unknown_nested_attributes_are_kept_as_javarosa_ignores_them(tmp_path: Path) -> None:
    # pyxform's attribute_columns_test: bind::saveIncomplete, body::bodyAttribute
    sheets = {"survey": [["type", "name", "label", "bind::saveIncomplete", "body::bodyAttribute"],
                         ["text", "t", "T", "true()", "42"]], "choices": YN}
    form = load_form(workbook(tmp_path / "f.xlsx", sheets))
    assert form.question("t").extra == {"bind::saveIncomplete": "true()",
                                        "body::bodyAttribute": "42"}
    assert "bind::saveIncomplete" in warnings_text(form)


def test_group_columns_odk_ignores_and_stray_cells_are_warnings(tmp_path: Path) -> None:
    form = form_of(tmp_path, [
        ["begin group", "g", "G", None, None, None, None, "x"],
        ["select_one yn or_other", "religion", "Religion"],
        ["end group"],
        [None, None, None, None, None, None, None, None, "field-list"],  # a stray cell
    ])
    text = warnings_text(form)
    assert "default does not apply to a group or repeat; ignored" in text
    assert "a row without type, name or label is skipped" in text
    assert form.question("religion_other").relevant is not None


def test_a_row_with_a_name_but_no_type_stays_an_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="this row has no type"):
        form_of(tmp_path, [["text", "a", "A"], [None, "b", "B"]])


def test_simulated_interview_finds_answers_the_constraint_names(tmp_path: Path) -> None:
    from fieldsurvey.questionnaire.simulate import simulate_interview

    # a SurveyCTO PHQ-9 item typed as text with coded answers, a phone number bound
    form = form_of(tmp_path, [
        ["text", "feel", "Feel", None, ".='0' or .='1' or .='-888'"],
        ["integer", "phone", "Phone", None, ". >1000000 and . < 9999999"],
    ])
    for seed in range(3):
        r = simulate_interview(form, seed, skip_optional_rate=0.0, clock=lambda: TODAY)
        assert r.value("feel") in ("0", "1", "-888")
        assert 1000000 < r.value("phone") < 9999999


def test_simulated_interview_types_a_checked_id_twice(tmp_path: Path) -> None:
    from fieldsurvey.questionnaire.simulate import simulate_interview

    form = form_of(tmp_path, [["text", "parcel", "Parcel id"],
                              ["text", "parcel_check", "Parcel id again", None, ". = ${parcel}"]])
    r = simulate_interview(form, 1, skip_optional_rate=0.0, clock=lambda: TODAY)
    assert r.value("parcel_check") == r.value("parcel") not in ("", None)


def test_entities_are_kept_and_the_form_runs(tmp_path: Path) -> None:
    sheets = {"survey": [["type", "name", "label", "save_to"],
                         ["text", "tree", "Tree species", "species"],
                         ["integer", "height", "Height", "height"]],
              "choices": YN,
              "entities": [["list_name", "label"], ["trees", "concat(${tree}, ' ', ${height})"]]}
    form = load_form(workbook(tmp_path / "f.xlsx", sheets))
    text = warnings_text(form)
    assert "entities sheet is kept, not acted on" in text and "save_to" not in text.split(
        "entities sheet")[0]
    assert form.question("tree").extra == {"save_to": "species"}
    r = runner(form)
    r.answer("oak")
    r.next()
    r.answer(12)
    assert r.value("height") == 12


def test_preload_columns_restating_metadata_rows_load(tmp_path: Path) -> None:
    """A form whose start/end/deviceid rows carry bind::jr:preload columns (as some real
    forms copy them from pyxform's output) loads; a preload on a question is refused."""
    head = ["type", "name", "label", "bind::jr:preload", "bind::jr:preloadParams"]
    rows = [["start", "_start", "", "timestamp", "start"],
            ["end", "_end", "", "timestamp", "end"],
            ["deviceid", "_deviceid", "", "property", "deviceid"],
            ["text", "name", "Name?"]]
    form = load_form(workbook(tmp_path / "meta.xlsx", {"survey": [head, *rows]}))
    assert [q.name for q in form.questions][:3] == ["_start", "_end", "_deviceid"]
    bad = [*rows, ["date", "visit", "Visit date", "date", "today"]]
    with pytest.raises(QuestionnaireError) as err:
        load_form(workbook(tmp_path / "bad.xlsx", {"survey": [head, *bad]}))
    text = str(err.value)
    assert "row 6" in text and "jr:preload" in text
