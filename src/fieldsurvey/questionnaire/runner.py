"""The headless interview runner: a questionnaire as a state machine.

One :class:`InterviewRunner` per interview. It holds the answers (by key, see
:mod:`.values`), the number of instances of each repeat and the current position, and
offers: ``current`` / ``answer`` / ``validate`` / ``next`` / ``back`` / ``jump``,
``add_instance`` / ``remove_instance`` for repeats, ``is_complete`` and ``records()``
(the relevant answers with their types). Questions that are not relevant are skipped and
their answers count as empty, as in ODK.

Persistence: the field store keeps every answer as it is entered; a runner is rebuilt
from those answers and a position with :meth:`InterviewRunner.restore` (or from the
JSON-able :meth:`InterviewRunner.snapshot`). Nothing else is needed: repeat instance
counts follow from the answer keys unless given.

Field-list groups are shown as one screen (:meth:`InterviewRunner.screen`,
``next_screen``, ``back_screen``); :meth:`InterviewRunner.text` gives a label with
``${name}`` filled in.

Speed: after an answer changes, only the relevances and calculations that depend on it
are recomputed (:mod:`.state`, in the precompiled order of :mod:`.plan`); the next step
is then a scan of the ordered steps. Benchmarks: ``benchmarks/bench_questionnaire.py``.
"""

from __future__ import annotations

import datetime as dt
import math

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.checks import TEXT_REF
from fieldsurvey.questionnaire.messages import say
from fieldsurvey.questionnaire.model import (
    AnswerValue,
    Choice,
    Group,
    Item,
    Question,
    Repeat,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.resume import Resumable
from fieldsurvey.questionnaire.state import MAX_REPEAT, RunnerState
from fieldsurvey.questionnaire.steps import AnswerRecord, InvalidAnswer, Step
from fieldsurvey.questionnaire.values import (
    answer_key,
    parse_key,
    parse_text_answer,
)
from fieldsurvey.questionnaire.xpath import to_bool, to_str

__all__ = ["AnswerRecord", "InvalidAnswer", "InterviewRunner", "Step"]


class InterviewRunner(Resumable, RunnerState):
    """Run ``form`` headless (see the module docstring).

    Parameters
    ----------
    form
        The loaded form.
    language
        Language of messages (constraint and required messages); default the form's.
    clock
        Returns today's date for ``today()`` (inject a fixed date in tests).
    """

    # ------------------------------------------------------------------ queries
    @property
    def is_complete(self) -> bool:
        """True when the interview has reached its end and nothing required is missing."""
        return self.current.kind == "end" and not self.missing_required()

    def value(self, key: str) -> AnswerValue:
        """The stored answer (or the calculated value) at ``key``, relevant or not."""
        self._refresh()
        name, _ = parse_key(key)
        if name in self._plan.calculation:
            return self._vals.get(key)
        return self._answers.get(key)

    def is_relevant(self, key: str) -> bool:
        """Whether the question (or group/repeat) at ``key`` is currently relevant."""
        self._refresh()
        return self._rel.get(key, False)

    def instance_count(self, repeat: str, parent: tuple[int, ...] = ()) -> int:
        """How many instances the repeat has (under the given parent instance)."""
        self._refresh()
        return self._count(repeat, parent)

    def steps(self, *, relevant_only: bool = True) -> list[Step]:
        """Every step in order (only relevant ones by default)."""
        self._refresh()
        return [s for s, ok in self._seq if ok or not relevant_only]

    def choices(self, step: Step | None = None) -> tuple[Choice, ...]:
        """The choices shown at a select question (after its ``choice_filter``)."""
        step = step or self.current
        q = step.question
        if q is None or not q.is_select:
            return ()
        self._refresh()
        all_choices = self.form.choices(q)
        fn = self._plan.choice_filter.get(q.name)
        if fn is None:
            return all_choices
        ctx = self._ctx.set(self._plan.scope[q.name], step.instance)
        out = []
        for c in all_choices:
            ctx.choice = c
            if to_bool(fn(ctx)):
                out.append(c)
        ctx.choice = None
        return tuple(out)

    def text(self, step: Step | None = None, which: str = "label", lang: str | None = None) -> str:
        """A question's label (or ``hint``, ``constraint_message``, ``required_message``) in
        ``lang`` (default the runner's language), with ``${name}`` replaced by the current
        values, as XLSForm allows (e.g. "${h_name}的年龄").
        """
        step = step or self.current
        item = step.question or step.repeat
        if item is None:
            return ""
        texts = getattr(item, which)
        raw = texts.get(lang or self.language, self.form.default_language) if texts else ""
        if "${" not in raw:
            return raw
        self._refresh()
        ctx = self._ctx.set(self._plan.scope[item.name], step.instance)
        return TEXT_REF.sub(lambda m: to_str(ctx.ref(m.group(1).strip())), raw)

    def missing_required(self) -> list[Step]:
        """Relevant required questions still without an answer."""
        self._refresh()
        out = []
        for s, ok in self._seq:
            q = s.question
            if (
                ok
                and q is not None
                and q.required
                and q.is_input
                and self._answers.get(s.key) in (None, "")
            ):
                out.append(s)
        return out

    def records(self) -> list[AnswerRecord]:
        """The relevant answers and calculated values, in interview order, with their types."""
        self._refresh()
        out: list[AnswerRecord] = []

        def walk(items: tuple[Item, ...], inst: tuple[int, ...]) -> None:
            for it in items:
                if isinstance(it, Group):
                    walk(it.children, inst)
                elif isinstance(it, Repeat):
                    for i in range(1, self._count(it.name, inst) + 1):
                        walk(it.children, (*inst, i))
                elif it.type != "note":
                    key = answer_key(it.name, inst)
                    v = self._vals.get(key) if self._rel.get(key, False) else None
                    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
                        continue
                    out.append(AnswerRecord(key, it.name, inst, it.type, v))

        walk(self.form.children, ())
        return out

    def validate(self, value: AnswerValue, step: Step | None = None) -> str | None:
        """The message why ``value`` is not acceptable at ``step`` (default current), or None."""
        step = step or self.current
        q = step.question
        lang = self.language
        if q is None or not q.is_input:
            return say("no_question", lang)
        if value is None or value == "" or value == ():
            return None
        if isinstance(value, SpecialAnswer):
            allowed = {s.code for s in self.form.special_for(q)}
            return None if value.code in allowed else say("special_not_allowed", lang,
                                                          value=value, name=q.name)
        kind = q.type
        ok = {
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "decimal": isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(float(value)),
            "text": isinstance(value, str),
            "select_one": isinstance(value, str),
            "select_multiple": isinstance(value, tuple) and all(isinstance(v, str) for v in value),
            "date": isinstance(value, dt.date),
            "acknowledge": value is True,
        }[kind]
        if not ok:
            return say("wrong_kind", lang, value=repr(value), kind=say(f"kind_{kind}", lang))
        if q.is_select:
            shown = {c.name: c for c in self.choices(step)}
            picked: tuple[str, ...] = (
                (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
            )
            for v in picked:
                if v not in shown:
                    return say("not_offered", lang, value=v)
            if len(set(picked)) != len(picked):
                return say("twice", lang)
            if len(picked) > 1 and any(shown[v].exclusive for v in picked):
                ex = next(v for v in picked if shown[v].exclusive)
                return say("exclusive", lang, value=ex)
        fn = self._plan.constraint.get(q.name)
        if fn is not None:
            self._refresh()
            check_value = value
            if isinstance(value, tuple):
                check_value = " ".join(value)
            if not to_bool(fn(self._ctx.set(self._plan.scope[q.name], step.instance, check_value))):
                return self._message(
                    q.constraint_message,
                    say("not_acceptable", lang)
                    + (f" ({q.constraint.source})" if q.constraint else ""),
                )
        return None

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
        message = self.validate(value, step)
        if message is not None:
            raise InvalidAnswer(message, field=step.key, got=repr(value))
        self._store(step.key, value)

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
        """Set an answer directly, without validation or read-only check (preloads such
        as the respondent selected by the Kish procedure).
        """
        name, _ = parse_key(key)
        if name not in self.form.items_by_name or not isinstance(
            self.form.items_by_name[name], Question
        ):
            raise QuestionnaireError(f"no question called '{name}'", field=key)
        self._store(key, value)

    # ------------------------------------------------------------------ navigation
    def next(self) -> Step:
        """Move to the next relevant step; refuses to leave a required question empty."""
        cur = self.current
        if cur.kind == "question":
            q = cur.question
            assert q is not None
            if q.required and q.is_input and self._answers.get(cur.key) in (None, ""):
                fallback = say("required", self.language)
                raise InvalidAnswer(self._message(q.required_message, fallback), field=cur.key)
        if cur.kind == "end":
            return cur
        self._pos = self._first_relevant(self._index[cur.key] + 1)
        return self._pos

    def back(self) -> Step:
        """Move to the previous relevant step (stays at the first)."""
        cur = self.current
        i = self._index[cur.key] - 1
        while i >= 0:
            s = self._struct[i]
            if self._ok(s):
                self._pos = s
                break
            i -= 1
        return self._pos

    # ------------------------------------------------------------------ field-list screens
    def _field_list(self, step: Step) -> Group | None:
        q = step.question
        if q is None:
            return None
        for name in q.parents:  # outermost first: a field-list shows all it contains
            g = self.form.items_by_name[name]
            if isinstance(g, Group) and g.field_list:
                return g
        return None

    def screen(self, step: Step | None = None) -> list[Step]:
        """The steps shown together with ``step`` (default current): every relevant
        question of its outermost ``field-list`` group in the same repeat instance, or
        the step alone.
        """
        step = step or self.current
        g = self._field_list(step)
        if g is None:
            return [step]
        depth = len(self._plan.scope[g.name])
        return [
            s
            for s in self._struct
            if s.question is not None
            and g.name in s.question.parents
            and s.instance[:depth] == step.instance[:depth]
            and self._ok(s)
        ]

    def next_screen(self) -> Step:
        """Leave the current screen: every required question on it must be answered."""
        shown = self.screen()
        for s in shown:
            q = s.question
            if (
                q is not None
                and q.required
                and q.is_input
                and self._answers.get(s.key) in (None, "")
            ):
                fallback = say("required", self.language)
                raise InvalidAnswer(self._message(q.required_message, fallback), field=s.key)
        last = shown[-1]
        if last.kind == "end":
            return last
        self._pos = self._first_relevant(self._index[last.key] + 1)
        return self._pos

    def back_screen(self) -> Step:
        """Go to the first step of the previous screen."""
        first = self.screen()[0]
        self._pos = first
        prev = self.back()
        if prev is first:
            return first
        self._pos = self.screen(prev)[0]
        return self._pos

    def jump(self, key: str) -> Step:
        """Go to the step ``key`` (an answer key, ``+repeat[..]`` or ``@end``) if relevant."""
        self._refresh()
        i = self._index.get(key)
        if i is None:
            raise QuestionnaireError(f"there is no step '{key}' in this interview", field=key)
        s = self._struct[i]
        if not self._ok(s):
            raise QuestionnaireError(f"'{key}' is not relevant with the answers given", field=key)
        self._pos = s
        return s

    def add_instance(self) -> Step:
        """At a repeat step: add an instance and go to its first relevant question."""
        cur = self.current
        if cur.kind != "repeat" or cur.repeat is None:
            raise QuestionnaireError(
                "a repeat instance can only be added at the repeat's prompt", field=cur.key
            )
        k = "+" + answer_key(cur.repeat.name, cur.instance)
        n = self._counts.get(k, 0)
        if n >= MAX_REPEAT:
            raise QuestionnaireError(f"at most {MAX_REPEAT} instances", field=cur.repeat.name)
        self._counts[k] = n + 1
        self._pending = None
        self._dirty = True
        self._apply_defaults((*cur.instance, n + 1), cur.repeat.name)
        self._refresh()
        first = self._index.get(cur.key, 0)
        start = next(
            (
                i
                for i, (s, _) in enumerate(self._seq)
                if s.instance[: len(cur.instance) + 1] == (*cur.instance, n + 1) and s.kind != "end"
            ),
            first,
        )
        self._pos = self._first_relevant(start)
        return self._pos

    def remove_instance(self, repeat: str, instance: tuple[int, ...]) -> None:
        """Delete one instance of a manual repeat; later instances move up by one."""
        parent, number = instance[:-1], instance[-1]
        k = "+" + answer_key(repeat, parent)
        n = self._counts.get(k, 0)
        if not 1 <= number <= n:
            raise QuestionnaireError(f"repeat '{repeat}' has no instance {number}", field=repeat)
        depth = len(instance)
        moved: dict[str, AnswerValue] = {}
        for key, v in self._answers.items():
            name, inst = parse_key(key)
            scope = self._plan.scope[name]
            if len(inst) >= depth and scope[depth - 1] == repeat and inst[: depth - 1] == parent:
                if inst[depth - 1] == number:
                    continue
                if inst[depth - 1] > number:
                    inst = (*parent, inst[depth - 1] - 1, *inst[depth:])
                    key = answer_key(name, inst)
            moved[key] = v
        self._answers = moved
        self._counts[k] = n - 1
        self._pending = None
        self._dirty = True
