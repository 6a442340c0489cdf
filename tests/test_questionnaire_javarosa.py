"""Conformance with JavaRosa, ODK's form engine (issue 16).

``tests/reference/javarosa/generate.py`` ran each form of ``forms/`` through JavaRosa (the
ODK Validate jar pyxform bundles, driven by ``TraceForm.java``) with a scripted sequence
of answers and committed the traces: which questions were shown, which choices offered,
which answers accepted, and the final relevant values. Here fieldsurvey's runner gets the
same form and the same script, and must give the same trace. Java is not needed.

Two differences of presentation are normalised, not of behaviour: a repeat without
``repeat_count`` starts with one instance in Collect and with an "add?" prompt in
fieldsurvey (the script's ``count`` gives both engines the same instances), and JavaRosa
shows a select_multiple value as ``a, b`` where fieldsurvey writes ``a b``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.runner import InterviewRunner, InvalidAnswer
from fieldsurvey.questionnaire.values import parse_key
from fieldsurvey.questionnaire.xpath import to_str

REF = Path(__file__).parent / "reference" / "javarosa"
NAMES = sorted(p.stem for p in (REF / "traces").glob("*.trace"))


def _script(name: str) -> tuple[dict[str, str], dict[str, int]]:
    answers: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in (REF / "forms" / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        kind, key, *rest = line.split("\t")
        if kind == "answer":
            answers[key] = rest[0] if rest else ""
        else:
            counts[key] = int(rest[0])
    return answers, counts


def _show(value: object) -> str:
    if isinstance(value, bool):  # a boolean calculate: JavaRosa submits 1/0 and, like
        return "1" if value else "0"  # fieldsurvey, reads it back as a boolean (real_idioms)
    if isinstance(value, tuple):
        return " ".join(value)
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    return to_str(value)


SHARED_FORMS = {"tutorial": "tutorial.xls", "xlsform_spec_test": "xlsform_spec_test.xlsx",
                "widgets": "widgets.xls"}  # read from ../shared/data, never copied here


def fieldsurvey_trace(name: str, shared: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """Run the script through fieldsurvey's runner; the same lines TraceForm prints."""
    if name in SHARED_FORMS:
        assert shared is not None
        form_file = shared / "questionnaires" / SHARED_FORMS[name]
    else:
        form_file = REF / "forms" / f"{name}.xlsx"
    form = load_form(form_file)
    answers, counts = _script(name)
    r = InterviewRunner(form, metadata={"deviceid": "int01"})  # as TraceForm's device
    lines: list[str] = []
    for _ in range(10_000):
        step = r.current
        if step.kind == "end":
            break
        if step.kind == "repeat":
            assert step.repeat is not None
            rk = step.key[1:]
            if r.instance_count(step.repeat.name, step.instance) < counts.get(rk, 0):
                r.add_instance()
            else:
                r.next()
            continue
        key = step.key
        lines.append(f"ask\t{key}")
        if step.question is not None and step.question.is_select:
            lines.append("\t".join(["choices", key, *(c.name for c in r.choices())]))
        if key in answers:
            status = "ok"
            try:
                r.answer_text(answers[key])
            except InvalidAnswer as exc:
                status = "required" if "required" in exc.message else "constraint"
            lines.append(f"answer\t{key}\t{answers[key]}\t{status}")
        try:
            r.next()
        except InvalidAnswer:  # JavaRosa steps on past an empty required question
            r.nav.pos = r.sequence.first_relevant(r.sequence.index[key] + 1)
    clocked = {q.name for q in form.questions if q.type in ("start", "end", "today")}
    values = {rec.key: _show(rec.value) for rec in r.records() if rec.name not in clocked}
    return lines, {k: v for k, v in values.items() if v != ""}


def javarosa_trace(name: str, keep: set[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The committed trace; with ``keep``, only the lines about those question names.

    pyxform adds nodes of its own (``instanceName``, ``<repeat>_count``, labels of
    field-list tables) that are not questions of the form; the times of ``start``,
    ``end`` and ``today`` depend on when the trace was made.
    """
    lines, values = [], {}
    for line in (REF / "traces" / f"{name}.trace").read_text(encoding="utf-8").splitlines():
        kind, *rest = line.split("\t")
        if kind == "repeat" or not rest:
            continue
        base = rest[0].split("[")[0]
        if keep is not None and base.lower() not in keep:
            continue
        rest[0] = rest[0].replace(base, base.lower(), 1) if keep is not None else rest[0]
        if kind == "value":
            values[rest[0]] = (rest[1] if len(rest) > 1 else "").replace(", ", " ")
        else:
            lines.append("\t".join([kind, *rest]))
    return lines, values


def _lower_key(line: str) -> str:
    parts = line.split("\t")
    i = 1 if len(parts) > 1 else 0
    base = parts[i].split("[")[0]
    parts[i] = parts[i].replace(base, base.lower(), 1)
    return "\t".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_same_trace_as_javarosa(name: str, request: pytest.FixtureRequest) -> None:
    shared = request.getfixturevalue("shared_data") if name in SHARED_FORMS else None
    fs_lines, fs_values = fieldsurvey_trace(name, shared)
    keep = None
    if name in SHARED_FORMS:
        assert shared is not None
        form = load_form(shared / "questionnaires" / SHARED_FORMS[name])
        keep = {q.name.lower() for q in form.questions
                if q.type not in ("start", "end", "today")}
    jr_lines, jr_values = javarosa_trace(name, keep)
    if keep is not None:  # pyxform writes some names in another case (false -> FALSE)
        fs_lines = [_lower_key(line) for line in fs_lines]
        fs_values = {_lower_key(k): v for k, v in fs_values.items()}
    assert fs_lines == jr_lines
    assert fs_values == jr_values


def test_the_reference_covers_the_fixed_behaviours() -> None:
    assert {"siblings", "fixes", "cascade", "tutorial"} <= set(NAMES)
    _, values = javarosa_trace("fixes")
    assert values["r"] == "1.01" and "total" not in values and values["safe"] == "0"
    _, values = javarosa_trace("siblings")
    assert values["hhsize"] == "2"
    assert parse_key("pname[2]") == ("pname", (2,))
