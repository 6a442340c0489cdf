"""The runner's evaluation state: answers, repeat instance counts, every relevance and
calculated value, and the ordered steps of the interview.

After an answer changes, only what depends on it is recomputed (following the
dependency graph of :mod:`.plan` in evaluation order); a change that touches a repeat,
or a restore, recomputes everything in one pass. The steps are rebuilt only when the
number of repeat instances changes: a step's relevance is looked up live.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable
from typing import Any

from fieldsurvey.questionnaire.model import AnswerValue, Choice, Form, Group, Item, Question, Repeat
from fieldsurvey.questionnaire.plan import plan_for
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import answer_key, parse_text_answer
from fieldsurvey.questionnaire.xpath import to_bool, to_num

__all__ = ["MAX_REPEAT", "RunnerState"]

MAX_REPEAT = 500


class _Ctx:
    """The evaluation context handed to compiled expressions (reused, not reallocated)."""

    __slots__ = ("run", "scope", "inst", "cur", "choice", "plain", "vals")

    def __init__(self, run: RunnerState) -> None:
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


def _tidy(value: Any) -> Any:
    """A calculated whole number as an int (XPath numbers are floats)."""
    if value.__class__ is float and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


class RunnerState:
    """The evaluation state behind :class:`~.runner.InterviewRunner` (no public API)."""

    def __init__(
        self,
        form: Form,
        *,
        language: str | None = None,
        clock: Callable[[], dt.date] = dt.date.today,
    ) -> None:
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
    @property
    def current(self) -> Step:
        """The current step."""
        self._refresh()
        if self._pos.key not in self._index:  # its repeat instance was removed
            self._pos = self._first_relevant(0)
        return self._pos

    def _instances(
        self, scope: tuple[str, ...], prefix: tuple[int, ...] = ()
    ) -> list[tuple[int, ...]]:
        out = [prefix]
        for r in scope[len(prefix) :]:
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
        is involved and a full refresh is needed instead.
        """
        ctx, answers, rel, vals = self._ctx, self._answers, self._rel, self._vals
        users, pos, order = self._plan.users, self._order_pos, self._order
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
                    vals[name] = _tidy(calc_fn(ctx.set((), ()))) if ok else None
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
                        self._auto["+" + name] = (
                            0 if math.isnan(n) else max(0, min(MAX_REPEAT, int(n)))
                        )
                elif kind == 1:
                    if calc_fn is not None:
                        vals[name] = _tidy(calc_fn(ctx.set((), ()))) if ok else None
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
                        self._auto["+" + key] = (
                            0 if math.isnan(n) else max(0, min(MAX_REPEAT, int(n)))
                        )
                elif kind == 1:
                    if calc_fn is not None:
                        vals[key] = _tidy(calc_fn(ctx.set(scope, inst))) if ok else None
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

    def _step(self, kind: str, inst: tuple[int, ...], item: Any) -> Step:
        k = (item.name, inst, kind)
        s = self._steps.get(k)
        if s is None:
            s = (
                Step("question", inst, question=item)
                if kind == "question"
                else Step("repeat", inst, repeat=item)
            )
            self._steps[k] = s
        return s

    def _build_sequence(self) -> None:
        """The steps in order for the current repeat counts (relevance is looked up live:
        an item's relevance already includes its groups').
        """
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
            if repeat is not None and (
                not scope or scope[len(inst) - 1] != repeat or len(scope) != len(inst)
            ):
                continue
            key = answer_key(q.name, inst)
            if key not in self._answers:
                self._answers[key] = parse_text_answer(self.form, q, q.default)
        self._pending = None
        self._dirty = True

    def _message(self, text: Any, fallback: str) -> str:
        return text.get(self.language, self.form.default_language) if text else fallback

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
