"""Make JavaRosa's reference traces for the conformance tests (maintainers only).

For each form of :data:`FORMS` (rows written here) and the shared ``tutorial.xls``: write
the XLSForm, convert it with pyxform, and run ``TraceForm.java`` (JavaRosa from the ODK
Validate jar that pyxform bundles) with the form's answer script. Writes ``forms/NAME.xlsx``,
``forms/NAME.tsv`` (the script), ``forms/NAME.xml`` and ``traces/NAME.trace``. Needs Java 17
and pyxform; the tests need neither (they read the committed files):

    python tests/reference/javarosa/generate.py [NAME ...]   # default: every form

Forms of :data:`LABEL_FORMS` also get ``traces/labels/NAME.trace``: the same walk with each
question's and offered choice's label, ``${x}`` filled in, in every language.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / ".." / "shared" / "data" / "questionnaires"

S = ["type", "name", "label", "relevant", "constraint", "calculation", "choice_filter",
     "required", "repeat_count"]

FORMS: dict[str, dict[str, list[list[object]]]] = {
    "siblings": {
        "survey": [
            S,
            ["begin repeat", "roster", "Roster"],
            ["text", "pname", "Name"],
            ["integer", "page", "Age", None, ". >= 0 and . <= 120"],
            ["end repeat"],
            ["calculate", "hhsize", None, None, None, "count(${roster})"],
            ["begin repeat", "module", "Module"],
            ["select_one yn", "works", "Works?"],
            ["end repeat"],
            ["integer", "after", "After", "${hhsize} = 2"],
        ],
        "choices": [["list_name", "name", "label"], ["yn", "1", "Yes"], ["yn", "2", "No"]],
    },
    "fixes": {
        "survey": [
            S,
            ["text", "code", "Code", None, "regex(., '[0-9]{3}')"],
            ["integer", "a", "A"],
            ["calculate", "total", None, None, None, "${a} * 2"],
            ["calculate", "safe", None, None, None, "coalesce(${total}, 0)"],
            ["text", "why", "Why", "${total} = ''"],
            ["calculate", "r", None, None, None, "round(1.005, 2)"],
            ["calculate", "r2", None, None, None, "round(-2.5, 0)"],
            ["calculate", "s", None, None, None, "substr('abcdef', 1, 3)"],
            ["calculate", "m", None, None, None, "sqrt(16) + pow(2, 3) + abs(-1)"],
            ["calculate", "c", None, None, None, "concat(${code}, '-', string-length(${code}))"],
            ["select_multiple ways", "ways", "Ways"],
            ["calculate", "nways", None, None, None, "count-selected(${ways})"],
            ["integer", "foot", "Foot", "selected(${ways}, 'foot')"],
        ],
        "choices": [["list_name", "name", "label"], ["ways", "foot", "Foot"],
                    ["ways", "bike", "Bike"], ["ways", "bus", "Bus"]],
    },
    "cascade": {
        "survey": [
            S,
            ["select_one region", "region", "Region"],
            ["select_one district", "district", "District", None, None, None,
             "region = ${region}"],
            ["select_one district", "other_district", "Another district", None,
             ". != ${district}", None, "region = ${region} and name != ${district}"],
            ["integer", "n", "How many", None, ". > 0"],
            ["begin repeat", "visit", "Visit", None, None, None, None, None, "${n}"],
            ["integer", "days", "Days", None, ". < 10"],
            ["calculate", "pos", None, None, None, "position(..)"],
            ["end repeat"],
            ["calculate", "total", None, None, None, "sum(${days})"],
        ],
        "choices": [["list_name", "name", "label", "region"],
                    ["region", "n", "North"], ["region", "s", "South"],
                    ["district", "n1", "N1", "n"], ["district", "n2", "N2", "n"],
                    ["district", "n3", "N3", "n"], ["district", "s1", "S1", "s"]],
    },
    # ${x} in choice labels (and question labels), two languages, a choice_filter, a repeat
    "choice_labels": {
        "survey": [
            ["type", "name", "label::English (en)", "label::French (fr)", "calculation",
             "choice_filter"],
            ["text", "name", "Name?", "Nom ?"],
            ["integer", "age", "Age of ${name}?", "Âge de ${name} ?"],
            ["select_one who", "who", "Who answers?", "Qui répond ?"],
            ["decimal", "income", "Income of ${name}?", "Revenu de ${name} ?"],
            ["calculate", "total", None, None, "${income} * 2"],
            ["date", "dob", "Born?", "Né(e) ?"],
            ["select_multiple spend", "spend", "Spending", "Dépenses"],
            ["select_one region", "region", "Region", "Région"],
            ["select_one district", "district", "District", "District", None,
             "region = ${region}"],
            ["text", "nick", "Nickname (left blank)", "Surnom (laissé vide)"],
            ["select_one yn", "ok", "All right?", "D'accord ?"],
            ["begin repeat", "member", "Member", "Membre"],
            ["text", "pname", "Member name", "Nom du membre"],
            ["select_one slept", "slept", "Last night?", "La nuit dernière ?"],
            ["end repeat"],
        ],
        "choices": [
            ["list_name", "name", "label::English (en)", "label::French (fr)", "region"],
            ["who", "self", "${name} (${age} years)", "${name} (${age} ans)"],
            ["who", "other", "Someone other than ${name}", "Quelqu'un d'autre que ${name}"],
            ["spend", "less", "Less than ${total}", "Moins de ${total}"],
            ["spend", "more", "More than ${total} (born ${dob})",
             "Plus de ${total} (né(e) le ${dob})"],
            ["region", "n", "North", "Nord"], ["region", "s", "South", "Sud"],
            ["district", "n1", "N1 of ${region}, for ${name}", "N1 de ${region}, pour ${name}",
             "n"],
            ["district", "n2", "N2 of ${region}", "N2 de ${region}", "n"],
            ["district", "s1", "S1 of ${region}", "S1 de ${region}", "s"],
            ["yn", "1", "Yes, ${nick}!", "Oui, ${nick} !"], ["yn", "2", "No", "Non"],
            ["slept", "1", "${pname} slept here", "${pname} a dormi ici"],
            ["slept", "2", "${pname} did not (${name} asked)",
             "${pname} non (${name} a demandé)"],
        ],
    },
    # idioms of real forms (pyxform accepts them; ODK runs them): typographic quotes, a
    # bare name read as an empty path (SurveyCTO's `. != null`, a calculation `yes`), a
    # choice_filter on a column the list lacks
    "real_idioms": {
        "survey": [
            S,
            ["select_one yn", "q", "Q"],
            ["text", "why", "Why", "${q}=\u2019yes\u2019"],
            ["integer", "a", "A"],
            ["integer", "b", "B", None,
             "(${a} = null and . != null) or (. = null and ${a} != null)"],
            ["integer", "c", "C", None,
             "(${b} = null and . != null) or (. = null and ${b} != null)"],
            ["integer", "age", "Age", None, "${age} > 0 and ${age} < 120"],
            ["integer", "age2", "Age 2", None, "${age2} > 0 and ${age2} < 120"],
            ["calculate", "flag", None, None, None, "yes"],
            ["calculate", "flag_text", None, None, None, "concat('x', ${flag})"],
            ["calculate", "flag_eq", None, None, None, "if(${flag} = 'true', 'eq', 'ne')"],
            ["calculate", "flag_sum", None, None, None, "${flag} + 1"],
            ["calculate", "gt", None, None, None, "${b} > 2"],
            ["calculate", "state", None, None, None, "if(${a} = null, 'blank', 'given')"],
            ["select_one county", "county", "County", None, None, None, "country = ${q}"],
            ["select_one county", "any", "Any", None, None, None, "country = ''"],
        ],
        "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
                    ["county", "k", "King"], ["county", "p", "Pierce"]],
    },
}
#: Forms whose texts are traced too (TraceForm --labels): traces/labels/NAME.trace.
LABEL_FORMS = ("choice_labels",)

SCRIPTS: dict[str, list[tuple[str, str, str]]] = {
    "siblings": [("count", "roster", "2"), ("answer", "pname[1]", "A"),
                 ("answer", "page[1]", "40"), ("answer", "pname[2]", "B"),
                 ("answer", "page[2]", "150"), ("count", "module", "1"),
                 ("answer", "works[1]", "1"), ("answer", "after", "3")],
    "fixes": [("answer", "code", "1234"), ("answer", "a", ""),
              ("answer", "why", "none given"), ("answer", "ways", "foot bus"),
              ("answer", "foot", "12")],
    "cascade": [("answer", "region", "n"), ("answer", "district", "n2"),
                ("answer", "other_district", "n2"), ("answer", "n", "3"),
                ("answer", "days[1]", "2"), ("answer", "days[2]", "15"),
                ("answer", "days[3]", "4")],
    "choice_labels": [("answer", "name", "Ana"), ("answer", "age", "41"),
                      ("answer", "who", "self"), ("answer", "income", "1234.5"),
                      ("answer", "dob", "1985-03-04"), ("answer", "spend", "less"),
                      ("answer", "region", "n"), ("answer", "district", "n1"),
                      ("answer", "ok", "1"), ("count", "member", "2"),
                      ("answer", "pname[1]", "Bo"),
                      ("answer", "slept[1]", "1"), ("answer", "pname[2]", "Cy"),
                      ("answer", "slept[2]", "2")],
    "real_idioms": [("answer", "q", "yes"), ("answer", "why", "typed"), ("answer", "a", ""),
                    ("answer", "b", "3"), ("answer", "c", "4"), ("answer", "age", "30"),
                    ("answer", "age2", "150"), ("answer", "county", ""),
                    ("answer", "any", "p")],
    "tutorial": [("count", "member", "2"), ("answer", "name[1]", "Amina"),
                 ("answer", "relationship_to_household_head[1]", "head"),
                 ("answer", "sex[1]", "female"), ("answer", "resident[1]", "yes"),
                 ("answer", "age_in_years[1]", "34"), ("answer", "pregnant[1]", "yes"),
                 ("answer", "name[2]", "Omar"), ("answer", "sex[2]", "male"),
                 ("answer", "resident[2]", "no"), ("answer", "stayed_last_night[2]", "yes"),
                 ("answer", "older_than_five[2]", "no")],
    "xlsform_spec_test": [("answer", "skip_to_end", "no"), ("answer", "my_name", "Ann"),
                          ("answer", "address", "Main St 1"),
                          ("answer", "autocomplete_test", "yes"),
                          ("answer", "a_integer", "5"), ("answer", "a_decimal", "7.5"),
                          ("count", "repeat_test", "2"),
                          ("answer", "required_text[1]", "r1"),
                          ("answer", "select_multiple_test[1]", "yes no"),
                          ("answer", "label-test[1]", "no"), ("answer", "compact-test[1]", "a"),
                          ("answer", "required_text[2]", "r2"),
                          ("answer", "date_test", "2026-01-02"),
                          ("answer", "barcode_test", "12345"),
                          ("answer", "launch", "3")],
    "widgets": [("answer", "my_string", "hello"), ("answer", "my_int", "12"),
                ("answer", "my_decimal", "2.5"), ("answer", "my_date", "2026-03-04"),
                ("answer", "my_select", "a c"), ("answer", "my_select1", "2"),
                ("answer", "my_barcode", "978020137962"), ("answer", "spinner", "b"),
                ("answer", "grid_test", "b"), ("answer", "table_list_1", "yes"),
                ("answer", "happy_sad_brian", "happy")],
}
SHARED_FORMS = {"tutorial": "tutorial.xls", "xlsform_spec_test": "xlsform_spec_test.xlsx",
                "widgets": "widgets.xls"}


def jar() -> Path:
    import pyxform

    return (Path(pyxform.__file__).parent / "validators" / "odk_validate" / "bin"
            / "ODK_Validate.jar")


def write_xlsx(sheets: dict[str, list[list[object]]], path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    import datetime as dt

    wb.properties.created = wb.properties.modified = dt.datetime(2026, 1, 1)
    wb.save(path)


def main(names: list[str]) -> int:
    """Make the traces of ``names`` (every form when empty)."""
    from pyxform.xls2xform import convert

    forms, traces = HERE / "forms", HERE / "traces"
    forms.mkdir(exist_ok=True)
    traces.mkdir(exist_ok=True)
    (traces / "labels").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp)
        cp = f"{jar()}{os.pathsep}{classes}"
        subprocess.run(["javac", "-cp", str(jar()), "-d", str(classes),
                        str(HERE / "TraceForm.java")], check=True)
        for name in names or [*FORMS, *SHARED_FORMS]:
            src = forms / f"{name}.xlsx"
            if name in FORMS:
                write_xlsx(FORMS[name], src)
            else:  # a shared public form: read in place, never copied into the project
                src = SHARED / SHARED_FORMS[name]
            xml = forms / f"{name}.xml"
            xml.write_text(convert(xlsform=str(src), validate=False).xform, encoding="utf-8")
            script = forms / f"{name}.tsv"
            script.write_text("".join("\t".join(r) + "\n" for r in SCRIPTS[name]),
                              encoding="utf-8")
            out = subprocess.run(["java", "-cp", cp, "TraceForm", str(xml), str(script)],
                                 check=True, capture_output=True, text=True).stdout
            (traces / f"{name}.trace").write_text(out, encoding="utf-8")
            if name in LABEL_FORMS:  # the same walk, with the texts as shown
                out = subprocess.run(["java", "-cp", cp, "TraceForm", str(xml), str(script),
                                      "--labels"],
                                     check=True, capture_output=True, text=True).stdout
                (traces / "labels" / f"{name}.trace").write_text(out, encoding="utf-8")
            print(f"{name}: {len(out.splitlines())} trace lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
