"""The headless interview runner: a questionnaire as a state machine.

One :class:`InterviewRunner` per interview, composed of its parts by role:

==================  ==============================  =====================================
part                class (module)                  holds / does
==================  ==============================  =====================================
``runner.state``    InterviewState (.state)         answers, repeat counts, relevances,
                                                    calculated values (incremental)
``runner.env``      InterviewEnv (.env)             clock, device/interviewer metadata,
                                                    random, attachments
``runner.sequence`` StepSequence (.sequence)        the ordered steps for the counts
``runner.checks``   AnswerChecks (.checking)        validation, choices, soft checks,
                                                    completion by rule
``runner.nav``      Navigator (.navigation)         the position: next/back/jump, screens,
                                                    repeat instances
persistence         functions of .resume            snapshot / restore
==================  ==============================  =====================================

The runner's public API (used by the TUI, the simulation and the tests):

* position: ``current``, ``next()``, ``back()``, ``jump(key)``, ``screen()``,
  ``next_screen()``, ``back_screen()``, ``add_instance()``, ``remove_instance()``;
* answers: ``answer(value)``, ``answer_text(text)``, ``validate(value)``,
  ``set_value(key, value)``, ``value(key)``, ``records()``;
* state: ``is_relevant(key)``, ``instance_count(repeat)``, ``steps()``, ``choices()``,
  ``text()``, ``choice_labels()``, ``missing_required()``, ``is_complete``;
* soft checks: ``warning(step)`` (the message for the current answer or a candidate),
  ``warnings()`` (open ones), ``confirm_warning(key, reason)`` (returns the event
  detail to record in the store's event log; confirmed ones are in ``confirmed``);
* completion by rule: ``completion()`` → :class:`~.checking.Completion` (share and
  ``complete``/``partial``/``break-off`` by the form's ``completion_*`` settings);
* roster preload: pass ``roster=`` (the selected respondent's roster entry, e.g.
  ``{"name": "刘洋", "sex": "male", "age": 30, "relation": "1"}``) and the form's
  expressions see ``${respondent_name}``, ``${respondent_sex}``, ``${respondent_age}``,
  ``${respondent_relation}`` (see :mod:`.preload`);
* persistence: ``snapshot()``, ``from_snapshot()``, ``from_stored()``, ``restore()``.

Questions that are not relevant are skipped and their answers count as empty, as in ODK.
Metadata questions (``start``, ``end``, ``today``, ``deviceid``, ``username`` ...) are
never shown; their values come from :class:`~.env.InterviewEnv` (``metadata=``,
``started=``, ``now=``, ``clock=``).

Speed: after an answer changes, only the relevances and calculations that depend on it
are recomputed; the next step is then a scan of the ordered steps. Benchmarks:
``benchmarks/bench_questionnaire.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import resume
from fieldsurvey.questionnaire.checking import AnswerChecks, Completion, SoftWarning
from fieldsurvey.questionnaire.context import tidy
from fieldsurvey.questionnaire.env import InterviewEnv
from fieldsurvey.questionnaire.messages import say
from fieldsurvey.questionnaire.model import AnswerValue, Choice, Form, Group, Item, Question, Repeat
from fieldsurvey.questionnaire.navigation import Navigator
from fieldsurvey.questionnaire.preload import respondent_preload
from fieldsurvey.questionnaire.sequence import StepSequence
from fieldsurvey.questionnaire.state import InterviewState, typed_answer
from fieldsurvey.questionnaire.steps import AnswerRecord, InvalidAnswer, Step
from fieldsurvey.questionnaire.values import (
    answer_key,
    metadata_value,
    parse_key,
    parse_text_answer,
)

__all__ = ["AnswerRecord", "Completion", "InterviewRunner", "InvalidAnswer", "SoftWarning",
           "Step"]


class InterviewRunner:
    """Run ``form`` headless (see the module docstring).

    Parameters
    ----------
    form
        The loaded form.
    language
        Language of messages (constraint and required messages); default the form's.
    clock
        Returns today's date for ``today()`` (inject a fixed date in tests).
    now, started, metadata, seed
        The clock for ``now()``/``end``, when the interview started (``start``,
        ``duration()``), device and interviewer metadata (``deviceid``, ``username``,
        ``phonenumber`` ...) and the seed of ``random()``.
    roster
        The selected respondent's roster entry (``name``, ``sex``, ``age``,
        ``relation``), preloaded as ``${respondent_*}`` when the form declares them.
    """

    def __init__(
        self,
        form: Form,
        *,
        language: str | None = None,
        clock: Callable[[], dt.date] = dt.date.today,
        now: Callable[[], dt.datetime] | None = None,
        started: dt.datetime | None = None,
        metadata: Mapping[str, Any] | None = None,
        seed: int | None = None,
        roster: Mapping[str, Any] | None = None,
    ) -> None:
        self.form = form
        self._language = language or form.default_language
        self.clock = clock
        self.env = InterviewEnv(form, clock=clock, now=now, metadata=metadata,
                                started=started, seed=seed)
        self.state = InterviewState(form, self.env)
        self.sequence = StepSequence(self.state)
        self.checks = AnswerChecks(self.state, self.sequence, self._language)
        self._fill_metadata()
        for key, value in respondent_preload(form, roster):
            self.state.store(key, value)
        self.state.apply_defaults(())  # after the preloads: a default may use them
        self.nav = Navigator(self.state, self.sequence, self.checks)
        self.confirmed: dict[str, str] = {}  # answer key -> the interviewer's reason

    def _fill_metadata(self) -> None:
        for q in self.form.questions:
            if q.is_metadata and not q.repeats:
                v = metadata_value(q.type, self.env)
                if v not in (None, ""):
                    self.state.store(q.name, v)

    @property
    def language(self) -> str | None:
        """The language of texts and messages (settable during the interview)."""
        return self._language

    @language.setter
    def language(self, value: str | None) -> None:
        self._language = value or self.form.default_language
        self.checks.language = self._language

    # ------------------------------------------------------------------ queries
    @property
    def current(self) -> Step:
        """The current step."""
        return self.nav.current

    @property
    def is_complete(self) -> bool:
        """True when the interview has reached its end and nothing required is missing."""
        return self.current.kind == "end" and not self.missing_required()

    def value(self, key: str) -> AnswerValue:
        """The stored answer (or the calculated value) at ``key``, relevant or not."""
        return self.state.value(key)

    def is_relevant(self, key: str) -> bool:
        """Whether the question (or group/repeat) at ``key`` is currently relevant."""
        self.state.refresh()
        return self.state.rel.get(key, False)

    def instance_count(self, repeat: str, parent: tuple[int, ...] = ()) -> int:
        """How many instances the repeat has (under the given parent instance)."""
        self.state.refresh()
        return self.state.count(repeat, parent)

    def steps(self, *, relevant_only: bool = True) -> list[Step]:
        """Every step in order (only relevant ones by default)."""
        return [s for s, ok in self.sequence.with_relevance() if ok or not relevant_only]

    def choices(self, step: Step | None = None) -> tuple[Choice, ...]:
        """The choices shown at a select question (after its ``choice_filter``)."""
        return self.checks.choices(step or self.current)

    def choice_labels(
        self, step: Step | None = None, lang: str | None = None
    ) -> list[tuple[str, str]]:
        """The choices shown at ``step`` as (name, label) with ``${name}`` filled in.

        ``lang`` defaults to the runner's; a choice without a label shows its name.
        """
        step = step or self.current
        return [(c.name, self.checks.choice_text(c, step, lang)) for c in self.choices(step)]

    def choice_text(self, choice: Choice, step: Step | None = None, lang: str | None = None) -> str:
        """One choice's label at ``step`` with ``${name}`` filled in (see :meth:`choice_labels`)."""
        return self.checks.choice_text(choice, step or self.current, lang)

    def text(self, step: Step | None = None, which: str = "label", lang: str | None = None) -> str:
        """A question's text with ``${name}`` filled in.

        ``which`` is ``label``, ``hint``, ``guidance_hint``, ``constraint_message``,
        ``required_message`` or ``warning_message``; ``lang`` defaults to the runner's.
        """
        step = step or self.current
        item = step.question or step.repeat
        if item is None:
            return ""
        texts = getattr(item, which)
        raw = texts.get(lang or self.language, self.form.default_language) if texts else ""
        return self.checks.fill(raw, self.state.plan.scope[item.name], step.instance)

    def missing_required(self) -> list[Step]:
        """Relevant required questions still without an answer."""
        return self.checks.missing_required()

    def records(self) -> list[AnswerRecord]:
        """The relevant answers and calculated values, in interview order, with their types."""
        st = self.state
        st.refresh()
        out: list[AnswerRecord] = []

        def walk(items: tuple[Item, ...], inst: tuple[int, ...]) -> None:
            for it in items:
                if isinstance(it, Group):
                    walk(it.children, inst)
                elif isinstance(it, Repeat):
                    for i in range(1, st.count(it.name, inst) + 1):
                        walk(it.children, (*inst, i))
                elif it.type != "note":
                    key = answer_key(it.name, inst)
                    v = st.vals.get(key) if st.rel.get(key, False) else None
                    if it.type == "end" and st.rel.get(key, False):
                        v = metadata_value("end", self.env)
                    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
                        continue
                    out.append(AnswerRecord(key, it.name, inst, it.type, v))

        walk(self.form.children, ())
        return out

    # ------------------------------------------------------------------ answers
    def validate(self, value: AnswerValue, step: Step | None = None) -> str | None:
        """The message why ``value`` is not acceptable at ``step`` (default current), or None."""
        return self.checks.validate(value, step or self.current)

    def answer(self, value: AnswerValue, step: Step | None = None) -> None:
        """Record ``value`` at ``step`` (default current). Raises :class:`InvalidAnswer`."""
        step = step or self.current
        q = step.question
        if q is None:
            raise InvalidAnswer(say("no_question", self.language), field=step.key)
        if q.read_only:
            raise InvalidAnswer(say("read_only", self.language), field=q.name)
        if isinstance(value, list):
            value = tuple(value)
        if q.type == "acknowledge" and value is True:
            value = "OK"  # stored as ODK stores it
        message = self.validate(value, step)
        if message is not None:
            raise InvalidAnswer(message, field=step.key, got=repr(value))
        if self.state.answers.get(step.key) != value:
            self.confirmed.pop(step.key, None)  # a changed answer needs a new confirmation
        self.state.store(step.key, value)
        self._fire_triggers(q.name, step.instance)

    def _fire_triggers(self, name: str, instance: tuple[int, ...]) -> None:
        """Recalculate the questions whose ``trigger`` names ``name``.

        ODK's setvalue on value change, in the same repeat instance when they share it.
        """
        st = self.state
        for t in self.form.questions:
            if name not in t.trigger:
                continue
            scope = st.plan.scope[t.name]
            inst = instance[: len(scope)]
            if len(inst) != len(scope):
                continue
            key = answer_key(t.name, inst)
            st.refresh()
            if t.calculation is None:
                st.store(key, None)  # a trigger without a calculation clears the value
                continue
            v = tidy(st.plan.calculation[t.name](st.ctx.set(scope, inst, None, key)))
            st.store(key, None if v in (None, "") else typed_answer(self.form, t, v))

    def answer_text(self, text: str, step: Step | None = None) -> AnswerValue:
        """Parse ``text`` for the question (codes, numbers, ISO dates) and record it."""
        step = step or self.current
        if step.question is None:
            raise InvalidAnswer(say("no_question", self.language), field=step.key)
        if text.strip() == "":
            value: AnswerValue = None
        else:
            try:
                value = parse_text_answer(self.form, step.question, text,
                                          language=self.language)
            except QuestionnaireError as exc:
                raise InvalidAnswer(exc.message, field=step.key, expected=exc.expected) from None
        self.answer(value, step)
        return value

    def set_value(self, key: str, value: AnswerValue) -> None:
        """Set an answer directly, without validation or read-only check (preloads)."""
        name, _ = parse_key(key)
        if not isinstance(self.form.items_by_name.get(name), Question):
            raise QuestionnaireError(f"no question called '{name}'", field=key)
        self.state.store(key, value)

    # ------------------------------------------------------------------ soft checks
    def warning(self, step: Step | None = None, value: AnswerValue | None = None) -> str | None:
        """The soft-check message at ``step`` for ``value``, or None when it passes.

        ``step`` defaults to the current step and ``value`` to its answer; None also when
        the question has no soft check.
        """
        return self.checks.warning_for(step or self.current, value)

    def warnings(self, *, unconfirmed_only: bool = True) -> list[SoftWarning]:
        """Soft checks failing on relevant answers (by default only unconfirmed ones)."""
        return [w for w in self.checks.warnings()
                if not unconfirmed_only or w.key not in self.confirmed]

    def confirm_warning(self, key: str, reason: str) -> dict[str, str]:
        """Confirm the soft warning at answer ``key`` with the interviewer's ``reason``.

        Returns the detail to record in the field store's event log (kind
        ``para:warning``): ``{"question", "message", "reason", "value"}``. Raises
        :class:`QuestionnaireError` when no warning is open there or the reason is blank.
        """
        open_ = {w.key: w for w in self.checks.warnings()}
        w = open_.get(key)
        if w is None:
            raise QuestionnaireError(f"there is no open warning at '{key}'", field=key)
        if not reason or not reason.strip():
            raise QuestionnaireError("a confirmed warning needs a reason", field=key,
                                     hint="Say why the answer is right, e.g. 'checked ID card'")
        self.confirmed[key] = reason.strip()
        value = self.state.answers.get(key)
        return {"question": key, "message": w.message, "reason": reason.strip(),
                "value": json.dumps(str(value), ensure_ascii=False)[1:-1]}

    def completion(self) -> Completion:
        """Share of applicable (or essential) questions answered and the resulting status."""
        return self.checks.completion()

    # ------------------------------------------------------------------ navigation
    def next(self) -> Step:
        """Move to the next relevant step; refuses to leave a required question empty."""
        return self.nav.next()

    def back(self) -> Step:
        """Move to the previous relevant step (stays at the first)."""
        return self.nav.back()

    def jump(self, key: str) -> Step:
        """Go to the step ``key`` (an answer key, ``+repeat[..]`` or ``@end``) if relevant."""
        return self.nav.jump(key)

    def screen(self, step: Step | None = None) -> list[Step]:
        """The steps shown together with ``step``.

        a ``field-list`` group's relevant questions in the same repeat instance, or the step
        alone.
        """
        return self.nav.screen(step)

    def next_screen(self) -> Step:
        """Leave the current screen: every required question on it must be answered."""
        return self.nav.next_screen()

    def back_screen(self) -> Step:
        """Go to the first step of the previous screen."""
        return self.nav.back_screen()

    def add_instance(self) -> Step:
        """At a repeat step: add an instance and go to its first relevant question."""
        step = self.nav.add_instance()
        self._fill_repeat_metadata()
        return step

    def _fill_repeat_metadata(self) -> None:
        for q in self.form.questions:
            if q.is_metadata and q.repeats:
                for inst in self.state.instances(self.state.plan.scope[q.name]):
                    key = answer_key(q.name, inst)
                    if key not in self.state.answers:
                        v = metadata_value(q.type, self.env)
                        if v not in (None, ""):
                            self.state.store(key, v)

    def remove_instance(self, repeat: str, instance: tuple[int, ...]) -> None:
        """Delete one instance of a manual repeat; later instances move up by one."""
        self.nav.remove_instance(repeat, instance)

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> dict[str, Any]:
        """A JSON-able state: form id/version, encoded answers, repeat counts, position."""
        return resume.snapshot(self.state, self.current)

    @classmethod
    def from_snapshot(cls, form: Form, state: Mapping[str, Any], **kw: Any) -> InterviewRunner:
        """Rebuild a runner from :meth:`snapshot`."""
        answers, position, counts = resume.from_snapshot(state)
        return cls.restore(form, answers, position, repeat_counts=counts, **kw)

    @classmethod
    def from_stored(
        cls,
        form: Form,
        rows: Iterable[tuple[str, str | None]],
        position: str | None = None,
        **kw: Any,
    ) -> InterviewRunner:
        """Rebuild a runner from (key, encoded text) pairs as the field store keeps them."""
        return cls.restore(form, resume.decode_rows(rows), position, **kw)

    @classmethod
    def restore(
        cls,
        form: Form,
        answers: Iterable[tuple[str, AnswerValue]] | Mapping[str, AnswerValue],
        position: str | None = None,
        *,
        repeat_counts: Mapping[str, int] | None = None,
        **kw: Any,
    ) -> InterviewRunner:
        """Rebuild a runner from stored answers (key, typed value), oldest first; the last wins.

        Repeat instance counts are the largest instance number seen in the keys unless
        ``repeat_counts`` (as in :meth:`snapshot`) is given. Without ``position`` the
        runner resumes at the first relevant question without an answer.
        """
        run = cls(form, **kw)
        resume.load_answers(run.state, answers, repeat_counts)
        struct, index = run.sequence.struct, run.sequence.index
        if position is not None and position in index:
            run.nav.pos = struct[index[position]]
        else:
            run.nav.pos = resume.resume_point(run.state, run.sequence)
        return run
