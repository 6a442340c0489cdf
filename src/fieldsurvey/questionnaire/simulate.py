"""Simulated interviews.

drive an :class:`~.runner.InterviewRunner` to the end with random answers that the form itself
accepts (types, choice filters, constraints, required).

Used by the demo and by tests to produce realistic answer sets without an interviewer.
Every answer goes through :meth:`~.runner.InterviewRunner.validate`: candidates are drawn
at random and, for numbers and dates, ranges are scanned when random draws fail, so
cross-item constraints (a year of birth that must agree with the roster age) are met.
A caller may fix any answer with ``values`` (e.g. the respondent chosen by the Kish
procedure, which a read-only question receives).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import AnswerValue, Form
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.sampling.rng import RandomState, resolve_rng

__all__ = ["simulate_interview"]

ValueHook = Callable[[InterviewRunner, Step], AnswerValue | None]
_WORDS = ("很好", "还可以", "希望多办活动", "停车难", "无", "more parking", "good")
_NAMES = ("老王", "小李", "阿芳", "张姐", "小明", "刘叔", "Lin", "Mei")


def simulate_interview(
    form: Form,
    rng: RandomState = None,
    *,
    values: ValueHook | None = None,
    repeat_sizes: Mapping[str, tuple[int, int]] | None = None,
    special_rate: float = 0.02,
    skip_optional_rate: float = 0.3,
    clock: Callable[[], dt.date] = dt.date.today,
    language: str | None = None,
    max_steps: int = 10_000,
) -> InterviewRunner:
    """Answer ``form`` at random until its end; return the finished runner.

    Parameters
    ----------
    form
        The questionnaire.
    rng
        Seed or Generator (results are reproducible for a seed).
    values
        ``values(runner, step)`` may return the answer to give at ``step`` (also for
        read-only questions, e.g. the selected respondent's roster line); ``None`` lets the
        simulator choose.
    repeat_sizes
        Repeat name -> (min, max) number of instances added (default (1, 4)).
    special_rate
        Chance of a special answer (不知道 / 拒绝回答) where the question allows one.
    skip_optional_rate
        Chance of leaving a question that is not required empty.
    clock, language
        Passed to the runner.
    max_steps
        Guard against a form that never ends.

    Raises
    ------
    QuestionnaireError
        When no acceptable answer to a required question can be found.
    """
    gen = resolve_rng(rng)
    sizes = dict(repeat_sizes or {})
    runner = InterviewRunner(form, language=language, clock=clock)
    targets: dict[str, int] = {}
    for _ in range(max_steps):
        step = runner.current
        if step.kind == "end":
            return runner
        if step.kind == "repeat":
            assert step.repeat is not None
            key = step.key
            if key not in targets:
                lo, hi = sizes.get(step.repeat.name, (1, 4))
                targets[key] = int(gen.integers(lo, hi + 1))
            if runner.instance_count(step.repeat.name, step.instance) < targets[key]:
                runner.add_instance()
            else:
                runner.next()
            continue
        q = step.question
        assert q is not None
        given = values(runner, step) if values is not None else None
        if given is not None:
            if q.read_only:
                runner.set_value(step.key, given)
            else:
                runner.answer(given)
        elif q.is_input and not q.read_only and runner.value(step.key) is None:
            value = _choose(runner, step, gen, special_rate, skip_optional_rate)
            if value is not None:
                runner.answer(value)
        runner.next()
    raise QuestionnaireError("the simulated interview did not reach the end", field=form.form_id)


def _choose(
    runner: InterviewRunner, step: Step, gen: np.random.Generator, special: float, skip: float
) -> AnswerValue | None:
    q = step.question
    assert q is not None
    allowed = runner.form.special_for(q)
    if allowed and gen.random() < special:
        return allowed[int(gen.integers(len(allowed)))]
    if not q.required and gen.random() < skip:
        return None
    for candidate in _candidates(runner, step, gen):
        if runner.validate(candidate, step) is None:
            chosen: AnswerValue = candidate
            return chosen
    if allowed:
        return allowed[0]
    if not q.required:
        return None
    raise QuestionnaireError(
        "no acceptable answer found for a simulated interview",
        field=step.key,
        hint="Give this question's answer with the values= hook",
    )


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?")


def _literals(source: str) -> tuple[list[str], list[float]]:
    """The quoted texts and the numbers a constraint names (candidate answers)."""
    texts = [a or b for a, b in _QUOTED.findall(source)]
    bare = _QUOTED.sub(" ", source)
    return texts, [float(x) for x in _NUMBER.findall(bare)]


def _candidates(runner: InterviewRunner, step: Step, gen: np.random.Generator) -> Iterator[Any]:
    """Random candidates first; for numbers and dates then a scan of plausible ranges."""
    q = step.question
    assert q is not None
    today = runner.clock()
    if q.is_select:
        names = [c.name for c in runner.choices(step)]
        if not names:
            return
        if q.type == "select_one":
            yield from (names[i] for i in gen.permutation(len(names)))
            return
        if q.type == "rank":
            for _ in range(5):
                yield tuple(names[int(i)] for i in gen.permutation(len(names)))
            return
        order = {n: i for i, n in enumerate(names)}
        for _ in range(30):
            k = int(gen.integers(1, min(3, len(names)) + 1))
            pick = gen.choice(names, size=k, replace=False).tolist()
            yield tuple(sorted(pick, key=order.__getitem__))
        yield from ((n,) for n in names)
        return
    if q.type == "range":
        p = q.parameter
        lo, hi, stp = (float(p.get(k, d)) for k, d in (("start", "1"), ("end", "10"),
                                                          ("step", "1")))
        n = int(abs(hi - lo) / abs(stp)) if stp else 0
        for i in gen.permutation(n + 1):
            v = lo + int(i) * abs(stp) * (1 if hi >= lo else -1)
            yield int(v) if float(v).is_integer() and float(stp).is_integer() else v
        return
    if q.type == "time":
        for _ in range(5):
            yield dt.time(int(gen.integers(8, 20)), int(gen.integers(0, 60)))
        return
    if q.type == "datetime":
        for d in gen.integers(-30, 1, size=5):
            yield dt.datetime.combine(today + dt.timedelta(days=int(d)),
                                      dt.time(int(gen.integers(8, 20))))
        return
    if q.type in ("geopoint", "geotrace", "geoshape"):
        lat, lon = 30 + float(gen.uniform(0, 1)), 114 + float(gen.uniform(0, 1))
        pts = [f"{lat:.6f} {lon:.6f} 0 5"] * {"geopoint": 1, "geotrace": 2,
                                               "geoshape": 4}[q.type]
        yield ";".join(pts)
        return
    if q.type in ("image", "audio", "video", "file"):
        return  # no file to give: left unanswered (or given with values=)
    literals = _literals(q.constraint.source if q.constraint is not None else "")
    if q.constraint is not None and q.type not in ("date", "datetime", "time"):
        for ref in sorted(q.constraint.deps - {q.name}):  # `. = ${parcel_id}`: typed twice
            try:
                given = runner.value(ref)
            except (QuestionnaireError, KeyError):
                continue
            if isinstance(given, int | float | str) and not isinstance(given, bool):
                yield given
    if q.type in ("integer", "decimal"):
        conv = float if q.type == "decimal" else int
        for x in literals[1]:  # `. > 1000000`, `. = -999`: the bounds the form names
            yield from (conv(x), conv(x + 1), conv(x - 1))
        ranges = [(0, 10), (0, 120), (1, 365), (1900, today.year)]
        for k in gen.permutation(len(ranges)):
            lo, hi = ranges[int(k)]
            for _ in range(4):
                yield conv(int(gen.integers(lo, hi + 1)))
        scan = [v for lo, hi in ranges for v in range(lo, hi + 1)]
        valid = [v for v in scan if runner.validate(conv(v), step) is None]
        if valid:
            yield conv(valid[int(gen.integers(len(valid)))])
        return
    if q.type == "date":
        for d in gen.integers(-400, 400, size=20):
            yield today + dt.timedelta(days=int(d))
        yield from (today + dt.timedelta(days=d) for d in range(-400, 401))
        return
    if q.type == "acknowledge":
        yield "OK"
        return
    words = _NAMES if q.sensitive else _WORDS
    yield str(words[int(gen.integers(len(words)))])
    yield from literals[0]  # `. = '0' or . = '1'`: the texts the constraint names
    yield from (str(int(x)) if x.is_integer() else str(x) for x in literals[1])
    yield "1" + str(int(gen.integers(3, 10))) + "".join(str(int(d)) for d in gen.integers(0, 10, 9))
    yield "ok"
