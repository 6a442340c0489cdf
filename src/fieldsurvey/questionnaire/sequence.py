"""The ordered steps of an interview for its current repeat instance counts.

:class:`StepSequence` lists every question, every "add another?" prompt of a manual
repeat and the end, in interview order. It is rebuilt only when the number of repeat
instances changes (the state's ``generation``); whether a step is shown is looked up
live from the state's relevances (an item's relevance already includes its groups').
"""

from __future__ import annotations

from typing import Any

from fieldsurvey.questionnaire.model import Group, Item, Question
from fieldsurvey.questionnaire.state import InterviewState
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import answer_key

__all__ = ["StepSequence"]


class StepSequence:
    """Steps in order (see the module docstring)."""

    def __init__(self, state: InterviewState) -> None:
        self.state = state
        self.end = Step("end")
        self._struct: list[Step] = []
        self._index: dict[str, int] = {}
        self._made: dict[tuple[str, tuple[int, ...], str], Step] = {}
        self._generation = -1

    def sync(self) -> None:
        """Refresh the state and rebuild the steps if the instance counts changed."""
        self.state.refresh()
        if self._generation != self.state.generation:
            self._build()
            self._generation = self.state.generation

    @property
    def struct(self) -> list[Step]:
        """Every step, relevant or not, in order (the end last)."""
        self.sync()
        return self._struct

    @property
    def index(self) -> dict[str, int]:
        """Step key -> position in :attr:`struct`."""
        self.sync()
        return self._index

    def ok(self, s: Step) -> bool:
        """Whether step ``s`` is currently shown."""
        if s.kind == "end":
            return True
        if s.kind == "repeat":
            assert s.repeat is not None
            return self.state.rel.get(answer_key(s.repeat.name, s.instance), False)
        return self.state.rel.get(s.key, False)

    def with_relevance(self) -> list[tuple[Step, bool]]:
        """Every step with whether it is shown."""
        return [(s, self.ok(s)) for s in self.struct]

    def first_relevant(self, start: int, step: int = 1) -> Step:
        """The first shown step from position ``start`` going in direction ``step``."""
        struct = self.struct
        i = start
        while 0 <= i < len(struct):
            s = struct[i]
            if self.ok(s):
                return s
            i += step
        return struct[-1] if step > 0 else self.first_relevant(0)

    def _step(self, kind: str, inst: tuple[int, ...], item: Any) -> Step:
        k = (item.name, inst, kind)
        s = self._made.get(k)
        if s is None:
            s = (
                Step("question", inst, question=item)
                if kind == "question"
                else Step("repeat", inst, repeat=item)
            )
            self._made[k] = s
        return s

    def _build(self) -> None:
        seq: list[Step] = []
        step = self._step
        st = self.state
        counted = st.plan.repeat_count

        def walk(items: tuple[Item, ...], inst: tuple[int, ...]) -> None:
            for it in items:
                if isinstance(it, Question):
                    if it.type != "calculate" and not it.hidden:
                        seq.append(step("question", inst, it))
                elif isinstance(it, Group):
                    walk(it.children, inst)
                else:
                    for i in range(1, st.count(it.name, inst) + 1):
                        walk(it.children, (*inst, i))
                    if it.name not in counted:
                        seq.append(step("repeat", inst, it))

        walk(st.form.children, ())
        seq.append(self.end)
        self._struct = seq
        self._index = {s.key: i for i, s in enumerate(seq)}
