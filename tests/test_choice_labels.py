"""``${x}`` in choice labels, filled in as ODK fills them (issue 16).

``tests/reference/javarosa/traces/labels/choice_labels.trace`` is JavaRosa's walk of
``forms/choice_labels.xlsx`` with ``TraceForm --labels``: every question's label and every
offered choice's label, ``<output>`` filled in, in both languages of the form, after the
answers scripted before it. fieldsurvey's runner walks the same form with the same answers
and must show the same texts: a repeat member's own name, a calculated number, a date, a
filtered list, a blank value.
"""

from __future__ import annotations

from pathlib import Path

from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import Choice, LangText
from fieldsurvey.questionnaire.runner import InterviewRunner

REF = Path(__file__).parent / "reference" / "javarosa"
TRACE = REF / "traces" / "labels" / "choice_labels.trace"


def _script() -> tuple[dict[str, str], dict[str, int]]:
    answers: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in (REF / "forms" / "choice_labels.tsv").read_text(encoding="utf-8").splitlines():
        kind, key, value = line.split("\t")
        if kind == "answer":
            answers[key] = value
        else:
            counts[key] = int(value)
    return answers, counts


def _javarosa() -> list[str]:
    keep = ("ask", "label", "choice")
    return [line for line in TRACE.read_text(encoding="utf-8").splitlines()
            if line.split("\t", 1)[0] in keep]


def _fieldsurvey(languages: list[str]) -> list[str]:
    form = load_form(REF / "forms" / "choice_labels.xlsx")
    answers, counts = _script()
    r = InterviewRunner(form)
    out: list[str] = []
    for _ in range(1000):
        step = r.current
        if step.kind == "end":
            break
        if step.kind == "repeat":
            assert step.repeat is not None
            if r.instance_count(step.repeat.name, step.instance) < counts.get(step.key[1:], 0):
                r.add_instance()
            else:
                r.next()
            continue
        out.append(f"ask\t{step.key}")
        for lang in languages:
            out.append(f"label\t{step.key}\t{lang}\t{r.text(step, 'label', lang)}")
            if step.question is not None and step.question.is_select:
                out += [f"choice\t{step.key}\t{lang}\t{name}\t{text}"
                        for name, text in r.choice_labels(step, lang)]
        if step.key in answers:
            r.answer_text(answers[step.key])
        r.next()
    return out


def test_choice_labels_filled_as_javarosa_fills_them() -> None:
    jr = _javarosa()
    languages = list(dict.fromkeys(line.split("\t")[2] for line in jr
                                   if line.startswith("label\t")))
    assert languages == ["English (en)", "French (fr)"]
    fs = _fieldsurvey(languages)
    assert fs == jr
    # the reference does exercise what it is meant to
    assert "choice\tslept[2]\tFrench (fr)\t2\tCy non (Ana a demandé)" in jr
    assert "choice\tdistrict\tEnglish (en)\tn1\tN1 of n, for Ana" in jr
    assert "choice\tok\tEnglish (en)\t1\tYes, !" in jr


def test_runner_language_is_the_default_and_unfilled_lists_stay_as_they_are() -> None:
    form = load_form(REF / "forms" / "choice_labels.xlsx")
    r = InterviewRunner(form, language="French (fr)")
    r.answer_text("Ana")
    r.next()
    r.answer_text("41")
    r.next()
    assert r.choice_labels() == [("self", "Ana (41 ans)"),
                                 ("other", "Quelqu'un d'autre que Ana")]
    r.language = "English (en)"
    assert r.choice_labels()[0] == ("self", "Ana (41 years)")
    c = r.choices()[1]
    assert r.choice_text(c) == "Someone other than Ana"
    # a label-less choice shows its name; the raw model is untouched
    assert r.choice_text(Choice("x", LangText())) == "x"
    assert form.choices(form.question("who"))[0].label.get("English (en)") == \
        "${name} (${age} years)"


def test_attachment_choices_are_filled_too(tmp_path: Path) -> None:
    import openpyxl

    (tmp_path / "places.csv").write_text(
        "name,label,region\nh1,Home of ${who},n\nw1,Work of ${who},n\nx1,Elsewhere,s\n",
        encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (["type", "name", "label", "choice_filter"],
                ["text", "who", "Who?"],
                ["select_one_from_file places.csv", "place", "Where?", "region = 'n'"]):
        ws.append(row)
    wb.save(tmp_path / "f.xlsx")
    form = load_form(tmp_path / "f.xlsx")
    r = InterviewRunner(form)
    r.answer_text("Dee")
    r.next()
    assert r.choice_labels() == [("h1", "Home of Dee"), ("w1", "Work of Dee")]
