"""The evaluation context: what a compiled expression sees of an interview.

One :class:`EvalContext` per :class:`~.state.InterviewState`, reused for every
evaluation (``set`` repositions it instead of allocating). It answers ``${name}`` from
the current repeat instance, a whole nodeset when the name lies in a repeat the context
is outside of, ``count(${repeat})`` as the number of instances, ``indexed-repeat()``,
``position(..)``, the choice being filtered, today's date and the clock, the interview's
metadata (``device-info()``, ``once()`` memo) and the form's attachments
(``pulldata()``, ``instance()`` lookups, ``jr:choice-name()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldsurvey.questionnaire.model import Choice, Repeat
from fieldsurvey.questionnaire.values import answer_key
from fieldsurvey.questionnaire.xpath import to_bool

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.state import InterviewState

__all__ = ["EvalContext", "tidy"]


class EvalContext:
    """The evaluation context handed to compiled expressions (see the module docstring)."""

    __slots__ = ("state", "scope", "inst", "cur", "choice", "plain", "vals", "owner")

    def __init__(self, state: InterviewState) -> None:
        self.state = state
        self.plain = frozenset(
            n for n, sc in state.plan.scope.items()
            if not sc and not isinstance(state.form.items_by_name[n], Repeat)
        )
        self.vals: dict[str, Any] = {}
        self.scope: tuple[str, ...] = ()
        self.inst: tuple[int, ...] = ()
        self.cur: Any = None
        self.choice: Choice | None = None
        self.owner: str = ""  # the key whose expression is evaluated (for once())

    def set(
        self, scope: tuple[str, ...], inst: tuple[int, ...], cur: Any = None, owner: str = ""
    ) -> EvalContext:
        """Place the context at a repeat instance (``cur`` is the value of ``.``)."""
        self.scope, self.inst, self.cur, self.choice, self.owner = scope, inst, cur, None, owner
        return self

    def _key(self, name: str) -> str | None:
        tscope = self.state.plan.scope[name]
        if not tscope:
            return name
        n = len(tscope)
        if self.scope[:n] == tscope:
            return answer_key(name, self.inst[:n])
        return None

    def ref(self, name: str) -> Any:
        """The value of ``${name}`` seen from the current repeat instance."""
        if name in self.plain:
            v = self.vals.get(name)
            return "" if v is None else v
        if name in self.state.plan.repeats:
            return self.repeat_nodes(name)
        key = self._key(name)
        if key is None:
            return self.nodeset(name)
        v = self.state.vals.get(key)
        return "" if v is None else v

    def repeat_nodes(self, repeat: str) -> list[Any]:
        """One (empty) node per instance of ``repeat`` in scope: ``count(${roster})``."""
        st = self.state
        tscope = (*st.plan.scope[repeat], repeat)
        k = 0
        while k < len(tscope) - 1 and k < len(self.scope) and tscope[k] == self.scope[k]:
            k += 1
        return ["" for _ in st.instances(tscope, self.inst[:k])]

    def nodeset(self, name: str) -> list[Any]:
        """All values of ``${name}`` (every repeat instance in scope)."""
        st = self.state
        if name in st.plan.repeats:
            return self.repeat_nodes(name)
        tscope = st.plan.scope[name]
        if not tscope:
            return [self.ref(name)]
        k = 0
        while k < len(tscope) and k < len(self.scope) and tscope[k] == self.scope[k]:
            k += 1
        out = []
        vals = st.vals
        for inst in st.instances(tscope, self.inst[:k]):
            v = vals.get(answer_key(name, inst))
            out.append("" if v is None else v)
        return out

    def indexed(self, name: str, index: int) -> Any:
        """The value of ``${name}`` in instance ``index`` (1-based) of its repeat."""
        tscope = self.state.plan.scope[name]
        if not tscope:
            return self.ref(name)
        prefix = self.inst[: len(tscope) - 1]
        v = self.state.vals.get(answer_key(name, (*prefix, index)))
        return "" if v is None else v

    def current(self) -> Any:
        """The value of ``.``."""
        return "" if self.cur is None else self.cur

    def position(self) -> int:
        """The 1-based number of the current repeat instance."""
        return self.inst[-1] if self.inst else 0

    def field(self, name: str) -> str:
        """A column of the choice being filtered."""
        return self.choice.attribute(name) if self.choice is not None else ""

    def today(self) -> dt.date:
        """Today's date (the runner's clock)."""
        return self.state.env.today()

    def now(self) -> dt.datetime:
        """The current time (the runner's clock)."""
        return self.state.env.now()

    def once(self, value: Any) -> Any:
        """``once(x)``: the value already stored for the owner, else ``x``."""
        old = self.state.answers.get(self.owner) if self.owner else None
        if old not in (None, ""):
            return old
        prev = self.state.once_memo.get(self.owner)
        if prev is not None:
            return prev
        if self.owner and value not in (None, ""):
            self.state.once_memo[self.owner] = value
        return value

    def random(self) -> float:
        """A uniform number in [0, 1) from the interview's own generator."""
        return self.state.env.random()

    def device_info(self, what: str) -> str:
        """SurveyCTO's ``device-info()``: the interview's metadata."""
        return self.state.env.meta(what)

    def duration(self) -> float:
        """SurveyCTO's ``duration()``: seconds since the interview started."""
        return self.state.env.duration()

    def choice_name(self, value: Any, question: str) -> str:
        """``jr:choice-name(value, '${q}')``: the label of choice ``value`` of ``q``."""
        return self.state.choice_label(question, value)

    def lookup(self, instance: str, column: str, key_col: str, key: Any) -> str:
        """``pulldata()``: a column of the first matching row of an attachment."""
        return self.state.env.lookup(instance, column, key_col, key)

    def rows(
        self, instance: str, predicate: Callable[[Any], Any] | None, column: str | None
    ) -> list[Any]:
        """``instance('x')/root/item[predicate]/column``: the matching rows' column."""
        form = self.state.form
        table = form.attachments.get(instance)
        if table is not None:
            choices: tuple[Choice, ...] = table.choices
        elif instance in form.choice_lists:
            choices = form.choice_lists[instance].choices
        else:
            return []
        saved = self.choice
        out: list[Any] = []
        try:
            for c in choices:
                if predicate is not None:
                    self.choice = c
                    if not to_bool(predicate(self)):
                        continue
                out.append(c.attribute(column) if column else c.name)
        finally:
            self.choice = saved
        return out


def tidy(value: Any) -> Any:
    """A calculated value as stored.

    Whole numbers as int (XPath numbers are floats), NaN as blank (as ODK stores it), a
    nodeset as its first value.
    """
    if value.__class__ is list:
        return value[0] if value else ""
    if value.__class__ is float:
        if value != value:  # NaN: ODK stores a blank
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
    return value
