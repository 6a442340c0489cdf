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

Speed: after an answer changes, one pass over the precompiled evaluation order
(:mod:`.plan`) recomputes every relevance and calculation, then the next step is an
index lookup in the resulting sequence.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from fieldsurvey.errors import QuestionnaireError
from fieldsurvey.questionnaire.expr import to_bool, to_num, to_str
from fieldsurvey.questionnaire.model import (
    AnswerValue,
    Choice,
    Form,
    Group,
    Item,
    Question,
    Repeat,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.plan import plan_for
from fieldsurvey.questionnaire.values import (
    answer_key,
    decode_value,
    encode_value,
    parse_key,
    parse_text_answer,
)

__all__ = ["AnswerRecord", "InvalidAnswer", "InterviewRunner", "Step"]

END = "@end"
MAX_REPEAT = 500


class InvalidAnswer(QuestionnaireError):
    """An answer the question does not accept (type, choice, constraint, required)."""


@dataclass(frozen=True)
class Step:
    """Where the interview is: a question, the offer to add a repeat instance, or the end.

    ``instance`` holds the 1-based numbers of the enclosing repeat instances (for a
    ``repeat`` step: of the repeats enclosing that repeat).
    """

    kind: Literal["question", "repeat", "end"]
    instance: tuple[int, ...] = ()
    question: Question | None = None
    repeat: Repeat | None = None

    @cached_property
    def key(self) -> str:
        """A string naming this position (an answer key for a question)."""
        if self.kind == "question":
            assert self.question is not None
            return answer_key(self.question.name, self.instance)
        if self.kind == "repeat":
            assert self.repeat is not None
            return "+" + answer_key(self.repeat.name, self.instance)
        return END


@dataclass(frozen=True)
class AnswerRecord:
    """One answer of a finished (or partial) interview, with its question's type."""

    key: str
    name: str
    instance: tuple[int, ...]
    type: str
    value: AnswerValue


class _Ctx:
    """The evaluation context handed to compiled expressions (reused, not reallocated)."""

    __slots__ = ("run", "scope", "inst", "cur", "choice", "plain", "vals")

    def __init__(self, run: InterviewRunner) -> None:
        self.run = run
        self.plain = frozenset(n for n, sc in run._plan.scope.items() if not sc)
        self.vals: dict[str, Any] = {}
        self.scope: tuple[str, ...] = ()
        self.inst: tuple[int, ...] = ()
        self.cur: Any = None
        self.choice: Choice | None = None

    def set(self, scope: tuple[str, ...], inst: tuple[int, ...], cur: Any = None) -> _Ctx:
        self.scope, self.inst, self.cur, self.choice = scope, inst, cur, None
        return self

    def _key(self, name: str) -> str | None:
        tscope = self.run._plan.scope[name]
        if not tscope:
            return name
        n = len(tscope)
        if self.scope[:n] == tscope:
            return answer_key(name, self.inst[:n])
        return None

    def ref(self, name: str) -> Any:
        if name in self.plain:
            v = self.vals.get(name)
            return "" if v is None else v
        key = self._key(name)
        if key is None:
            return self.nodeset(name)
        v = self.run._vals.get(key)
        return "" if v is None else v

    def nodeset(self, name: str) -> list[Any]:
        run = self.run
        tscope = run._plan.scope[name]
        k = 0
        while k < len(tscope) and k < len(self.scope) and tscope[k] == self.scope[k]:
            k += 1
        out = []
        for inst in run._instances(tscope, self.inst[:k]):
            v = run._vals.get(answer_key(name, inst))
            out.append("" if v is None else v)
        return out

    def indexed(self, name: str, index: int) -> Any:
        tscope = self.run._plan.scope[name]
        if not tscope:
            return self.ref(name)
        prefix = self.inst[: len(tscope) - 1]
        v = self.run._vals.get(answer_key(name, (*prefix, index)))
        return "" if v is None else v

    def current(self) -> Any:
        return "" if self.cur is None else self.cur

    def position(self) -> int:
        return self.inst[-1] if self.inst else 0

    def field(self, name: str) -> str:
        return self.choice.attribute(name) if self.choice is not None else ""

    def today(self) -> dt.date:
        return self.run.clock()


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
    """

    def __init__(self, form: Form, *, language: str | None = None,
                 clock: Callable[[], dt.date] = dt.date.today) -> None:
        self.form = form
        self.language = language or form.default_language
        self.clock = clock
        self._plan = plan_for(form)
        self._answers: dict[str, AnswerValue] = {}
        self._counts: dict[str, int] = {}  # "+repeat[inst]" key of a manual repeat -> instances
        self._vals: dict[str, Any] = {}
        self._rel: dict[str, bool] = {}
        self._auto: dict[str, int] = {}
        self._struct: list[Step] = []
        self._pending: set[str] | None = None  # plain names changed since the last refresh
        self._shape: tuple[Any, ...] = ()
        self._index: dict[str, int] = {}
        self._dirty = True
        self._ctx = _Ctx(self)
        self._order = self._make_order()
        self._order_pos = {row[0]: i for i, row in enumerate(self._order)}
        self._steps: dict[tuple[str, tuple[int, ...], str], Step] = {}
        self._end = Step("end")
        self._apply_defaults(())
        self._pos = self._first_relevant(0)

    # ------------------------------------------------------------------ state
    def _instances(self, scope: tuple[str, ...], prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
        out = [prefix]
        for r in scope[len(prefix):]:
            out = [(*p, i) for p in out for i in range(1, self._count(r, p) + 1)]
        return out

    def _count(self, repeat: str, parent: tuple[int, ...]) -> int:
        key = "+" + answer_key(repeat, parent)
        if repeat in self._plan.repeat_count:
            return self._auto.get(key, 0)
        return self._counts.get(key, 0)

    def _refresh(self) -> None:
        if not self._dirty:
            return
        if self._pending is not None and self._struct and self._refresh_some(self._pending):
            self._pending = set()
            self._dirty = False
            return
        self._full_refresh()
        self._pending = set()

    def _refresh_some(self, changed: set[str]) -> bool:
        """Recompute only what depends on ``changed`` (outside repeats); False if a repeat
        is involved and a full refresh is needed instead."""
        ctx, answers, rel, vals = self._ctx, self._answers, self._rel, self._vals
        users, pos, order = self._plan.users, self._order_pos, self._order
        heap = [pos[n] for n in changed]
        heapq.heapify(heap)
        done: set[int] = set()
        updates: list[tuple[str, bool, Any, bool]] = []
        while heap:
            i = heapq.heappop(heap)
            if i in done:
                continue
            done.add(i)
            name, scope, parent, _plen, rel_fn, calc_fn, kind, _count = order[i]
            if scope or kind == 2:
                for n, r, v, had in reversed(updates):  # undo, then do it all
                    rel[n] = r
                    if had:
                        vals[n] = v
                    else:
                        vals.pop(n, None)
                return False
            old_rel, had, old_val = rel.get(name), name in vals, vals.get(name)
            ok = True if parent is None else rel.get(parent, False)
            if ok and rel_fn is not None:
                ctx.scope, ctx.inst, ctx.cur, ctx.choice = (), (), answers.get(name), None
                ok = to_bool(rel_fn(ctx))
            rel[name] = ok
            if kind == 1:
                if calc_fn is not None:
                    vals[name] = calc_fn(ctx.set((), ())) if ok else None
                elif ok:
                    vals[name] = answers.get(name)
                else:
                    vals.pop(name, None)
            updates.append((name, old_rel, old_val, had))
            if name in changed or ok != old_rel or vals.get(name) != old_val:
                for u in users[name]:
                    heapq.heappush(heap, pos[u])
        return True

    def _full_refresh(self) -> None:
        ctx, answers = self._ctx, self._answers
        vals: dict[str, Any] = {}
        rel: dict[str, bool] = {}
        self._vals, self._rel = vals, rel
        ctx.vals = vals
        self._auto = {}
        for name, scope, parent, plen, rel_fn, calc_fn, kind, count_fn in self._order:
            if not scope:  # fast path: outside repeats
                ok = True if parent is None else rel.get(parent, False)
                if ok and rel_fn is not None:
                    ctx.scope, ctx.inst, ctx.cur = (), (), answers.get(name)
                    v = rel_fn(ctx)
                    ok = v if v.__class__ is bool else to_bool(v)
                rel[name] = ok
                if kind == 2:
                    if count_fn is not None:
                        n = to_num(count_fn(ctx.set((), ()))) if ok else 0.0
                        self._auto["+" + name] = 0 if math.isnan(n) else max(0, min(MAX_REPEAT, int(n)))
                elif kind == 1:
                    if calc_fn is not None:
                        vals[name] = calc_fn(ctx.set((), ())) if ok else None
                    elif ok:
                        vals[name] = answers.get(name)
                continue
            for inst in self._instances(scope):
                key = answer_key(name, inst)
                ok = True
                if parent is not None:
                    ok = rel.get(answer_key(parent, inst[:plen]), False)
                if ok and rel_fn is not None:
                    ok = to_bool(rel_fn(ctx.set(scope, inst, answers.get(key))))
                rel[key] = ok
                if kind == 2:
                    if count_fn is not None:
                        n = to_num(count_fn(ctx.set(scope, inst))) if ok else 0.0
                        self._auto["+" + key] = 0 if math.isnan(n) else max(0, min(MAX_REPEAT, int(n)))
                elif kind == 1:
                    if calc_fn is not None:
                        vals[key] = calc_fn(ctx.set(scope, inst)) if ok else None
                    elif ok:
                        vals[key] = answers.get(key)
        shape = (tuple(sorted(self._counts.items())), tuple(sorted(self._auto.items())))
        if shape != self._shape or not self._struct:  # instance counts changed
            self._build_sequence()
            self._shape = shape
        self._dirty = False

    def _make_order(self) -> list[tuple[Any, ...]]:
        """The plan's evaluation order with what each item needs, precomputed."""
        plan = self._plan
        out = []
        for item in plan.order:
            name = item.name
            parent = plan.parent[name]
            kind = 1 if isinstance(item, Question) else 2 if isinstance(item, Repeat) else 0
            out.append((name, plan.scope[name], parent, len(plan.scope[parent]) if parent else 0,
                        plan.relevant.get(name), plan.calculation.get(name) if kind == 1 else None,
                        kind, plan.repeat_count.get(name)))
        return out

    def _step(self, kind: str, inst: tuple[int, ...], item: Any) -> Step:
        k = (item.name, inst, kind)
        s = self._steps.get(k)
        if s is None:
            s = Step("question", inst, question=item) if kind == "question" else Step("repeat", inst, repeat=item)
            self._steps[k] = s
        return s

    def _build_sequence(self) -> None:
        """The steps in order for the current repeat counts (relevance is looked up live:
        an item's relevance already includes its groups')."""
        seq: list[Step] = []
        step = self._step

        def walk(items: tuple[Item, ...], inst: tuple[int, ...]) -> None:
            for it in items:
                if isinstance(it, Question):
                    if it.type != "calculate":
                        seq.append(step("question", inst, it))
                elif isinstance(it, Group):
                    walk(it.children, inst)
                else:
                    for i in range(1, self._count(it.name, inst) + 1):
                        walk(it.children, (*inst, i))
                    if it.name not in self._plan.repeat_count:
                        seq.append(step("repeat", inst, it))

        walk(self.form.children, ())
        seq.append(self._end)
        self._struct = seq
        self._index = {s.key: i for i, s in enumerate(seq)}

    def _ok(self, s: Step) -> bool:
        if s.kind == "end":
            return True
        if s.kind == "repeat":
            assert s.repeat is not None
            return self._rel.get(answer_key(s.repeat.name, s.instance), False)
        return self._rel.get(s.key, False)

    @property
    def _seq(self) -> list[tuple[Step, bool]]:
        self._refresh()
        return [(s, self._ok(s)) for s in self._struct]

    def _first_relevant(self, start: int, step: int = 1) -> Step:
        self._refresh()
        i = start
        struct = self._struct
        while 0 <= i < len(struct):
            s = struct[i]
            if self._ok(s):
                return s
            i += step
        return struct[-1] if step > 0 else self._first_relevant(0)

    def _apply_defaults(self, inst: tuple[int, ...], repeat: str | None = None) -> None:
        for q in self.form.questions:
            if q.default is None or q.type == "calculate":
                continue
            scope = self._plan.scope[q.name]
            if repeat is None and scope:
                continue
            if repeat is not None and (not scope or scope[len(inst) - 1] != repeat or len(scope) != len(inst)):
                continue
            key = answer_key(q.name, inst)
            if key not in self._answers:
                self._answers[key] = parse_text_answer(self.form, q, q.default)
        self._pending = None
        self._dirty = True

    # ------------------------------------------------------------------ queries
    @property
    def current(self) -> Step:
        """The current step."""
        self._refresh()
        if self._pos.key not in self._index:  # its repeat instance was removed
            self._pos = self._first_relevant(0)
        return self._pos

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

    def missing_required(self) -> list[Step]:
        """Relevant required questions still without an answer."""
        self._refresh()
        out = []
        for s, ok in self._seq:
            q = s.question
            if ok and q is not None and q.required and q.is_input and self._answers.get(s.key) in (None, ""):
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

    # ------------------------------------------------------------------ answering
    def _message(self, text: Any, fallback: str) -> str:
        return text.get(self.language, self.form.default_language) if text else fallback

    def validate(self, value: AnswerValue, step: Step | None = None) -> str | None:
        """The message why ``value`` is not acceptable at ``step`` (default current), or None."""
        step = step or self.current
        q = step.question
        if q is None or not q.is_input:
            return "there is no question to answer here"
        if value is None or value == "" or value == ():
            return None
        if isinstance(value, SpecialAnswer):
            allowed = {s.code for s in self.form.special_for(q)}
            return None if value.code in allowed else f"{value} is not allowed for {q.name}"
        kind = q.type
        ok = {
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "decimal": isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(float(value)),
            "text": isinstance(value, str),
            "select_one": isinstance(value, str),
            "select_multiple": isinstance(value, tuple) and all(isinstance(v, str) for v in value),
            "date": isinstance(value, dt.date),
            "acknowledge": value is True,
        }[kind]
        if not ok:
            return f"{value!r} is not a valid {kind} answer"
        if q.is_select:
            shown = {c.name: c for c in self.choices(step)}
            picked = (value,) if isinstance(value, str) else value
            for v in picked:
                if v not in shown:
                    return f"'{v}' is not one of the choices offered"
            if len(set(picked)) != len(picked):
                return "a choice is selected twice"
            if len(picked) > 1 and any(shown[v].exclusive for v in picked):
                ex = next(v for v in picked if shown[v].exclusive)
                return f"choice '{ex}' cannot be combined with others"
        fn = self._plan.constraint.get(q.name)
        if fn is not None:
            self._refresh()
            check_value = value
            if isinstance(value, tuple):
                check_value = " ".join(value)
            if not to_bool(fn(self._ctx.set(self._plan.scope[q.name], step.instance, check_value))):
                return self._message(q.constraint_message, "the answer is not acceptable"
                                     + (f" ({q.constraint.source})" if q.constraint else ""))
        return None

    def answer(self, value: AnswerValue, step: Step | None = None) -> None:
        """Record ``value`` at ``step`` (default current). Raises :class:`InvalidAnswer`."""
        step = step or self.current
        q = step.question
        if q is None:
            raise InvalidAnswer("there is no question to answer here", field=step.key)
        if q.read_only:
            raise InvalidAnswer("this question is read-only", field=q.name)
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
            raise InvalidAnswer("there is no question to answer here", field=step.key)
        if text.strip() == "":
            value: AnswerValue = None
        else:
            try:
                value = parse_text_answer(self.form, step.question, text)
            except QuestionnaireError as exc:
                raise InvalidAnswer(exc.message, field=step.key, expected=exc.expected) from None
        self.answer(value, step)
        return value

    def set_value(self, key: str, value: AnswerValue) -> None:
        """Set an answer directly, without validation or read-only check (preloads such
        as the respondent selected by the Kish procedure)."""
        name, _ = parse_key(key)
        if name not in self.form.items_by_name or not isinstance(self.form.items_by_name[name], Question):
            raise QuestionnaireError(f"no question called '{name}'", field=key)
        self._store(key, value)

    def _store(self, key: str, value: AnswerValue) -> None:
        if value is None or value == "" or value == ():
            self._answers.pop(key, None)
        else:
            self._answers[key] = value
        if self._pending is not None and key in self._ctx.plain:
            self._pending.add(key)
        else:
            self._pending = None
        self._dirty = True

    # ------------------------------------------------------------------ navigation
    def next(self) -> Step:
        """Move to the next relevant step; refuses to leave a required question empty."""
        cur = self.current
        if cur.kind == "question":
            q = cur.question
            assert q is not None
            if q.required and q.is_input and self._answers.get(cur.key) in (None, ""):
                fallback = "此题必须回答" if (self.language or "").startswith("zh") else "an answer is required"
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
        the step alone."""
        step = step or self.current
        g = self._field_list(step)
        if g is None:
            return [step]
        depth = len(self._plan.scope[g.name])
        return [s for s in self._struct
                if s.question is not None and g.name in s.question.parents
                and s.instance[:depth] == step.instance[:depth] and self._ok(s)]

    def next_screen(self) -> Step:
        """Leave the current screen: every required question on it must be answered."""
        shown = self.screen()
        for s in shown:
            q = s.question
            if q is not None and q.required and q.is_input and self._answers.get(s.key) in (None, ""):
                fallback = "此题必须回答" if (self.language or "").startswith("zh") else "an answer is required"
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
            raise QuestionnaireError("a repeat instance can only be added at the repeat's prompt",
                                     field=cur.key)
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
        start = next((i for i, (s, _) in enumerate(self._seq)
                      if s.instance[: len(cur.instance) + 1] == (*cur.instance, n + 1)
                      and s.kind != "end"), first)
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

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> dict[str, Any]:
        """A JSON-able state: form id/version, encoded answers, repeat counts, position."""
        return {
            "form_id": self.form.form_id,
            "version": self.form.version,
            "answers": {k: encode_value(v) for k, v in self._answers.items()},
            "repeat_counts": dict(self._counts),
            "position": self.current.key,
        }

    @classmethod
    def from_snapshot(cls, form: Form, state: Mapping[str, Any], **kw: Any) -> InterviewRunner:
        """Rebuild a runner from :meth:`snapshot`."""
        answers = [(k, decode_value(v)) for k, v in state.get("answers", {}).items()]
        return cls.restore(form, answers, position=state.get("position"),
                           repeat_counts=state.get("repeat_counts"), **kw)

    @classmethod
    def from_stored(cls, form: Form, rows: Iterable[tuple[str, str | None]],
                    position: str | None = None, **kw: Any) -> InterviewRunner:
        """Rebuild a runner from (key, encoded text) pairs as the field store keeps them."""
        return cls.restore(form, [(k, decode_value(v)) for k, v in rows], position, **kw)

    @classmethod
    def restore(cls, form: Form, answers: Iterable[tuple[str, AnswerValue]] | Mapping[str, AnswerValue],
                position: str | None = None, *, repeat_counts: Mapping[str, int] | None = None,
                **kw: Any) -> InterviewRunner:
        """Rebuild a runner from stored answers (key, typed value), oldest first; the last wins.

        Use :meth:`from_stored` for values encoded by :func:`~.values.encode_value`. Repeat
        instance counts are the largest instance number seen in the keys unless
        ``repeat_counts`` (as in :meth:`snapshot`) is given. Without ``position`` the
        runner resumes at the first relevant question without an answer.
        """
        run = cls(form, **kw)
        items = answers.items() if isinstance(answers, Mapping) else answers
        counts: dict[str, int] = {}
        staged: list[tuple[str, AnswerValue]] = []
        for key, value in items:
            name, inst = parse_key(key)
            q = form.items_by_name.get(name)
            if not isinstance(q, Question):
                raise QuestionnaireError(f"a stored answer is for '{name}', which this form does not have",
                                         field=key, hint="Was the interview made with another version of the form?")
            scope = run._plan.scope[name]
            if len(inst) != len(scope):
                raise QuestionnaireError(f"the stored key '{key}' does not match the repeats of '{name}'",
                                         field=key)
            for d in range(len(scope)):
                ck = "+" + answer_key(scope[d], inst[:d])
                counts[ck] = max(counts.get(ck, 0), inst[d])
            staged.append((key, value))
        for ck, n in (repeat_counts or counts).items():
            run._counts[ck] = int(n)
        for ck in run._counts:
            rname, rinst = parse_key(ck[1:])
            for i in range(1, run._counts[ck] + 1):
                run._apply_defaults((*rinst, i), rname)
        for key, value in staged:
            run._store(key, tuple(value) if isinstance(value, list) else value)
        run._refresh()
        if position is not None and position in run._index:
            run._pos = run._struct[run._index[position]]
        else:
            run._pos = run._resume_point()
        return run

    def _resume_point(self) -> Step:
        for s, ok in self._seq:
            if ok and (s.kind != "question" or (s.question is not None and s.question.is_input
                                                and s.key not in self._answers)):
                if s.kind == "repeat":
                    continue
                return s
        return self._struct[-1]
