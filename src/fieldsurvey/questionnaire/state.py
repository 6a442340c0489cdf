"""The interview's state.

answers, repeat instance counts, and every relevance and calculated value that follows from them.

:class:`InterviewState` is the one mutable object of an interview; the runner's other
parts (the step sequence, the checks, the navigator) read it and change it only through
:meth:`InterviewState.store`, :meth:`~InterviewState.add_instance` and
:meth:`~InterviewState.remove_instance`. After an answer changes, only what depends on
it is recomputed (following the dependency graph of :mod:`.plan` in evaluation order); a
change that touches a repeat, or a restore, recomputes everything in one pass.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.context import EvalContext, tidy
from fieldsurvey.questionnaire.env import InterviewEnv
from fieldsurvey.questionnaire.model import AnswerValue, Form, Question, Repeat
from fieldsurvey.questionnaire.plan import plan_for
from fieldsurvey.questionnaire.values import answer_key, parse_key, parse_text_answer
from fieldsurvey.questionnaire.xpath import to_bool, to_num, to_str

__all__ = ["MAX_REPEAT", "InterviewState", "typed_answer"]

MAX_REPEAT = 500

# one row of the evaluation order: name, scope, parent, parent depth, relevant,
# calculation, kind (0 group, 1 question, 2 repeat), repeat_count, default expression
Row = tuple[Any, ...]


def typed_answer(form: Form, q: Question, v: Any) -> AnswerValue:
    """A default expression's value as an answer of ``q`` (None when it is not one)."""
    if v in (None, "") or isinstance(v, list):
        return None
    if q.type in ("date", "datetime", "time") and not isinstance(v, str):
        return v  # type: ignore[no-any-return]
    try:
        return parse_text_answer(form, q, to_str(v))
    except QuestionnaireError:  # a value that does not fit the question is left blank
        return None


class InterviewState:
    """Answers and what follows from them (see the module docstring)."""

    def __init__(self, form: Form, env: InterviewEnv) -> None:
        self.form = form
        self.env = env
        self.plan = plan_for(form)
        self.answers: dict[str, AnswerValue] = {}
        self.counts: dict[str, int] = {}  # "+repeat[inst]" of a manual repeat -> instances
        self.vals: dict[str, Any] = {}
        self.rel: dict[str, bool] = {}
        self.auto: dict[str, int] = {}  # "+repeat[inst]" of a counted repeat -> instances
        self.once_memo: dict[str, Any] = {}
        self.pending: set[str] | None = None  # plain names changed since the last refresh
        self.dirty = True
        self.generation = 0  # bumped when instance counts change (the steps follow)
        self._shape: tuple[Any, ...] = ()
        self.ctx = EvalContext(self)
        self.order = self._make_order()
        self.order_pos = {row[0]: i for i, row in enumerate(self.order)}

    # ------------------------------------------------------------------ repeats
    def count(self, repeat: str, parent: tuple[int, ...]) -> int:
        """Instances of ``repeat`` under the parent instance."""
        key = "+" + answer_key(repeat, parent)
        if repeat in self.plan.repeat_count:
            return self.auto.get(key, 0)
        return self.counts.get(key, 0)

    def instances(
        self, scope: tuple[str, ...], prefix: tuple[int, ...] = ()
    ) -> list[tuple[int, ...]]:
        """Every instance tuple of the repeats ``scope`` that starts with ``prefix``."""
        out = [prefix]
        for r in scope[len(prefix) :]:
            out = [(*p, i) for p in out for i in range(1, self.count(r, p) + 1)]
        return out

    def add_instance(self, repeat: str, parent: tuple[int, ...]) -> int:
        """Add an instance to a manual repeat; its number."""
        k = "+" + answer_key(repeat, parent)
        n = self.counts.get(k, 0) + 1
        self.counts[k] = n
        self.apply_defaults((*parent, n), repeat)
        return n

    def remove_instance(self, repeat: str, instance: tuple[int, ...]) -> None:
        """Delete one instance of a manual repeat; later instances move up by one."""
        parent, number = instance[:-1], instance[-1]
        k = "+" + answer_key(repeat, parent)
        depth = len(instance)
        moved: dict[str, AnswerValue] = {}
        for key, v in self.answers.items():
            name, inst = parse_key(key)
            scope = self.plan.scope[name]
            if len(inst) >= depth and scope[depth - 1] == repeat and inst[: depth - 1] == parent:
                if inst[depth - 1] == number:
                    continue
                if inst[depth - 1] > number:
                    inst = (*parent, inst[depth - 1] - 1, *inst[depth:])
                    key = answer_key(name, inst)
            moved[key] = v
        self.answers = moved
        self.counts[k] = self.counts.get(k, 0) - 1
        self.invalidate()

    # ------------------------------------------------------------------ answers
    def store(self, key: str, value: AnswerValue) -> None:
        """Record (or with ``None``/``""``/``()`` clear) the answer at ``key``."""
        if value is None or value == "" or value == ():
            self.answers.pop(key, None)
        else:
            self.answers[key] = value
        if self.pending is not None and key in self.ctx.plain:
            self.pending.add(key)
        else:
            self.pending = None
        self.dirty = True

    def invalidate(self) -> None:
        """Force a full recomputation at the next refresh."""
        self.pending = None
        self.dirty = True

    def has_answer(self, key: str, name: str) -> bool:
        """Whether the question at ``key`` has a value (its calculated default counts)."""
        if self.answers.get(key) not in (None, ""):
            return True
        if name in self.plan.dynamic_default:
            self.refresh()
            return self.vals.get(key) not in (None, "")
        return False

    def value(self, key: str) -> AnswerValue:
        """The stored answer or calculated value at ``key``."""
        self.refresh()
        name, _ = parse_key(key)
        if name in self.plan.calculation:
            v = self.vals.get(key)
            return None if v == "" else v
        return self.answers.get(key)

    def choice_label(self, question: str, value: Any) -> str:
        """The label of choice ``value`` of ``question`` in the default language."""
        q = self.form.items_by_name.get(question.strip().removeprefix("${").removesuffix("}"))
        if not isinstance(q, Question) or q.choice_list is None:
            return ""
        c = self.form.choice_lists[q.choice_list].by_name.get(to_str(value))
        return c.label.get(self.form.default_language) if c is not None else ""

    def apply_defaults(self, inst: tuple[int, ...], repeat: str | None = None) -> None:
        """Fill the defaults of the questions of one repeat instance (or the top level).

        constants as typed answers, expressions (``today()``, ``${x}``) evaluated once.
        """
        dynamic: list[tuple[Question, str]] = []
        for q in self.form.questions:
            if q.default is None or q.type == "calculate":
                continue
            scope = self.plan.scope[q.name]
            if repeat is None and scope:
                continue
            if repeat is not None and (
                not scope or scope[len(inst) - 1] != repeat or len(scope) != len(inst)
            ):
                continue
            key = answer_key(q.name, inst)
            if key in self.answers:
                continue
            if q.default_expression is not None:
                dynamic.append((q, key))
            else:
                try:
                    self.answers[key] = parse_text_answer(self.form, q, q.default)
                except QuestionnaireError:  # a select's default that is no choice (warned)
                    continue
        self.invalidate()
        if dynamic:
            self.refresh()
            for q, key in dynamic:
                v = tidy(self.plan.default[q.name](self.ctx.set(self.plan.scope[q.name], inst)))
                value = typed_answer(self.form, q, v)
                if value is not None:
                    self.answers[key] = value
            self.invalidate()

    # ------------------------------------------------------------------ evaluation
    def refresh(self) -> None:
        """Bring relevances and calculated values up to date with the answers."""
        if not self.dirty:
            return
        if self.pending is not None and self._shape and self._refresh_some(self.pending):
            self.pending = set()
            self.dirty = False
            return
        self._full_refresh()
        self.pending = set()

    def _calc(self, calc_fn: Any, key: str, scope: tuple[str, ...], inst: tuple[int, ...]) -> Any:
        if key in self.answers and self.plan.dynamic_default.get(key.split("[", 1)[0]):
            return self.answers[key]  # a visible question's calculation is its default
        return tidy(calc_fn(self.ctx.set(scope, inst, self.answers.get(key), key)))

    def _refresh_some(self, changed: set[str]) -> bool:
        """Recompute only what depends on ``changed`` (outside repeats).

        False if a repeat is involved and a full refresh is needed instead.
        """
        ctx, answers, rel, vals = self.ctx, self.answers, self.rel, self.vals
        users, pos, order = self.plan.users, self.order_pos, self.order
        heap = [pos[n] for n in changed]
        heapq.heapify(heap)
        done: set[int] = set()
        updates: list[tuple[str, bool | None, Any, bool]] = []
        while heap:
            i = heapq.heappop(heap)
            if i in done:
                continue
            done.add(i)
            name, scope, parent, _plen, rel_fn, calc_fn, kind, _count = order[i]
            if scope or kind == 2:
                for n, r, v, had in reversed(updates):  # undo, then do it all
                    if r is None:
                        rel.pop(n, None)
                    else:
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
                    vals[name] = self._calc(calc_fn, name, (), ()) if ok else None
                elif ok:
                    vals[name] = answers.get(name)
                else:
                    vals.pop(name, None)
            updates.append((name, old_rel, old_val, had))
            if name in changed or ok != old_rel or vals.get(name) != old_val:
                for u in users[name]:
                    heapq.heappush(heap, pos[u])
        return True

    def _set_count(self, key: str, count_fn: Any, ok: bool, scope: tuple[str, ...],
                   inst: tuple[int, ...]) -> None:
        n = to_num(count_fn(self.ctx.set(scope, inst))) if ok else 0.0
        self.auto["+" + key] = 0 if math.isnan(n) else max(0, min(MAX_REPEAT, int(n)))

    def _full_refresh(self) -> None:
        ctx, answers = self.ctx, self.answers
        vals: dict[str, Any] = {}
        rel: dict[str, bool] = {}
        self.vals, self.rel = vals, rel
        ctx.vals = vals
        self.auto = {}
        for name, scope, parent, plen, rel_fn, calc_fn, kind, count_fn in self.order:
            if not scope:  # fast path: outside repeats
                ok = True if parent is None else rel.get(parent, False)
                if ok and rel_fn is not None:
                    ctx.scope, ctx.inst, ctx.cur = (), (), answers.get(name)
                    v = rel_fn(ctx)
                    ok = v if v.__class__ is bool else to_bool(v)
                rel[name] = ok
                if kind == 2:
                    if count_fn is not None:
                        self._set_count(name, count_fn, ok, (), ())
                elif kind == 1:
                    if calc_fn is not None:
                        vals[name] = self._calc(calc_fn, name, (), ()) if ok else None
                    elif ok:
                        vals[name] = answers.get(name)
                continue
            for inst in self.instances(scope):
                key = answer_key(name, inst)
                ok = True
                if parent is not None:
                    ok = rel.get(answer_key(parent, inst[:plen]), False)
                if ok and rel_fn is not None:
                    ok = to_bool(rel_fn(ctx.set(scope, inst, answers.get(key))))
                rel[key] = ok
                if kind == 2:
                    if count_fn is not None:
                        self._set_count(key, count_fn, ok, scope, inst)
                elif kind == 1:
                    if calc_fn is not None:
                        vals[key] = self._calc(calc_fn, key, scope, inst) if ok else None
                    elif ok:
                        vals[key] = answers.get(key)
        shape = (tuple(sorted(self.counts.items())), tuple(sorted(self.auto.items())))
        if shape != self._shape:  # instance counts changed
            self._shape = shape
            self.generation += 1
        self.dirty = False

    def _make_order(self) -> list[Row]:
        """The plan's evaluation order with what each item needs, precomputed."""
        plan = self.plan
        out = []
        for item in plan.order:
            name = item.name
            parent = plan.parent[name]
            kind = 1 if isinstance(item, Question) else 2 if isinstance(item, Repeat) else 0
            out.append(
                (
                    name,
                    plan.scope[name],
                    parent,
                    len(plan.scope[parent]) if parent else 0,
                    plan.relevant.get(name),
                    plan.calculation.get(name) if kind == 1 else None,
                    kind,
                    plan.repeat_count.get(name),
                )
            )
        return out
