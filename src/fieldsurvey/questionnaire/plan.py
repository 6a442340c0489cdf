"""A form compiled for running: expressions as closures, scopes, and the evaluation order.

Built once per :class:`Form` (cached), so that every runner on the same form shares it.
The evaluation order is a topological order of questions, groups and repeats by their
``relevant``/``calculation``/``repeat_count`` dependencies and their nesting, so a single
pass recomputes every relevance and calculated value after an answer changes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import expr as _expr
from fieldsurvey.questionnaire.compiler import compile_node
from fieldsurvey.questionnaire.model import (
    Choice,
    Expression,
    Form,
    Group,
    Item,
    Question,
    Repeat,
)
from fieldsurvey.questionnaire.xpath import to_num, to_str

__all__ = ["Plan", "plan_for"]

Compiled = Callable[[Any], Any]


@dataclass
class Plan:
    """The compiled form (see the module docstring)."""

    form: Form
    order: list[Item]  # topological evaluation order
    scope: dict[str, tuple[str, ...]]  # item name -> enclosing repeats (a repeat excludes itself)
    relevant: dict[str, Compiled]
    calculation: dict[str, Compiled]
    constraint: dict[str, Compiled]
    choice_filter: dict[str, Compiled]
    repeat_count: dict[str, Compiled]
    repeats: dict[str, Repeat]
    parent: dict[str, str | None]
    users: dict[str, list[str]]  # name -> items whose relevant/calculation/nesting uses it
    required: dict[str, Compiled] = field(default_factory=dict)  # required as an expression
    warning: dict[str, Compiled] = field(default_factory=dict)  # soft checks
    default: dict[str, Compiled] = field(default_factory=dict)  # default as an expression
    dynamic_default: dict[str, bool] = field(default_factory=dict)  # visible + calculation
    # select name -> (columns, value functions, {(values...): choices}) for
    # choice_filters of the form col = expr [and col2 = expr2 ...]
    filter_index: dict[str, tuple[Any, Any, dict[Any, tuple[Choice, ...]]]] = field(
        default_factory=dict
    )


class _Compiler:
    """Compiles each distinct expression once (closures are stateless, so they are shared)."""

    def __init__(self) -> None:
        self.done: dict[str, Compiled] = {}

    def __call__(self, e: Expression) -> Compiled:
        fn = self.done.get(e.source)
        if fn is None:
            fn = self.done[e.source] = compile_node(e.tree)
        return fn


def _own_check(compile_expr: _Compiler, e: Expression, name: str) -> Compiled:
    """A constraint (or soft check) where ``${name}`` of the question itself is ``.``."""
    if name not in e.deps:
        return compile_expr(e)
    return compile_node(_expr.self_as_current(e.tree, name))


def plan_for(form: Form) -> Plan:
    """The (cached) plan of ``form``; raises QuestionnaireError on a dependency cycle."""
    plan = form.__dict__.get("_plan")
    if plan is None:
        plan = _make_plan(form)
        object.__setattr__(form, "_plan", plan)  # a cache on the frozen form, not state
    return plan


def _make_plan(form: Form) -> Plan:
    items = list(form.walk())
    scope: dict[str, tuple[str, ...]] = {}
    parent: dict[str, str | None] = {}
    repeats: dict[str, Repeat] = {}
    for it in items:
        parent[it.name] = it.parents[-1] if it.parents else None
        enclosing = tuple(p for p in it.parents if isinstance(form.items_by_name[p], Repeat))
        scope[it.name] = enclosing
        if isinstance(it, Repeat):
            repeats[it.name] = it
    rel: dict[str, Compiled] = {}
    calc: dict[str, Compiled] = {}
    cons: dict[str, Compiled] = {}
    filt: dict[str, Compiled] = {}
    count: dict[str, Compiled] = {}
    deps: dict[str, set[str]] = {}
    compile_expr = _Compiler()
    for it in items:
        d: set[str] = set()
        if it.relevant is not None:
            rel[it.name] = compile_expr(it.relevant)
            d |= it.relevant.deps
        if parent[it.name] is not None:
            d.add(parent[it.name])  # type: ignore[arg-type]
        if isinstance(it, Question):
            if it.calculation is not None:
                calc[it.name] = compile_expr(it.calculation)
                d |= it.calculation.deps
            if it.constraint is not None:
                cons[it.name] = _own_check(compile_expr, it.constraint, it.name)
            if it.choice_filter is not None:
                filt[it.name] = compile_expr(it.choice_filter)
        elif isinstance(it, Repeat) and it.repeat_count is not None:
            count[it.name] = compile_expr(it.repeat_count)
            d |= it.repeat_count.deps
        deps[it.name] = d
    order = _toposort(form, items, deps)
    users: dict[str, list[str]] = {it.name: [] for it in items}
    for name, needed in deps.items():
        for dep in needed:
            users[dep].append(name)
    plan = Plan(form, order, scope, rel, calc, cons, filt, count, repeats, parent, users)
    for q in form.questions:
        if q.required_if is not None:
            plan.required[q.name] = compile_expr(q.required_if)
        if q.warning is not None:
            plan.warning[q.name] = _own_check(compile_expr, q.warning, q.name)
        if q.default_expression is not None:
            plan.default[q.name] = compile_expr(q.default_expression)
        if q.calculation is not None and q.type != "calculate":
            plan.dynamic_default[q.name] = True
        if q.choice_filter is not None and q.choice_list is not None:
            fast = _filter_index(form, q, compile_expr)
            if fast is not None:
                plan.filter_index[q.name] = fast
    return plan


def _equalities(node: Any) -> list[tuple[str, Any]] | None:
    """``col = expr and col2 = expr2 ...`` as [(col, expr)], or None for other shapes."""
    if isinstance(node, _expr.Chain) and all(op == "and" for op, _ in node.rest):
        parts: list[Any] = [node.first, *(n for _, n in node.rest)]
    elif isinstance(node, _expr.BinOp) and node.op == "and":
        left, right = _equalities(node.left), _equalities(node.right)
        return None if left is None or right is None else left + right
    else:
        parts = [node]
    out: list[tuple[str, Any]] = []
    for p in parts:
        if not isinstance(p, _expr.BinOp) or p.op != "=":
            if isinstance(p, _expr.BinOp) and p.op == "and":
                sub = _equalities(p)
                if sub is None:
                    return None
                out += sub
                continue
            return None
        a, b = p.left, p.right
        if isinstance(b, _expr.Field):
            a, b = b, a
        if not isinstance(a, _expr.Field) or _expr.fields(b):
            return None
        out.append((a.name, b))
    return out


def _filter_index(form: Form, q: Question, compile_expr: Any) -> Any:
    """An index for choice filters made of equalities between columns and expressions.

    Only used when every value of those columns compares as text the way XPath
    compares it (no numbers written two ways, such as ``3`` and ``3.0``).
    """
    assert q.choice_filter is not None and q.choice_list is not None
    eqs = _equalities(q.choice_filter.tree)
    if not eqs or len(eqs) > 4:
        return None
    choices = form.choice_lists[q.choice_list].choices
    columns = tuple(c for c, _ in eqs)
    index: dict[tuple[str, ...], list[Choice]] = {}
    for c in choices:
        key = tuple(c.attribute(col) for col in columns)
        for v in key:
            n = to_num(v)
            if v and n == n and to_str(n) != v:  # "3.0", "03": XPath would compare numbers
                return None
        index.setdefault(key, []).append(c)
    fns = tuple(compile_node(e) for _, e in eqs)
    frozen = {k: tuple(v) for k, v in index.items()}
    return columns, fns, frozen


def _toposort(form: Form, items: list[Item], deps: dict[str, set[str]]) -> list[Item]:
    position = {it.name: i for i, it in enumerate(items)}
    users: dict[str, list[str]] = {it.name: [] for it in items}
    missing = {it.name: len(deps[it.name]) for it in items}
    for name, ds in deps.items():
        for d in ds:
            users[d].append(name)
    ready = deque(sorted((n for n, k in missing.items() if k == 0), key=position.__getitem__))
    order: list[Item] = []
    while ready:
        n = ready.popleft()
        order.append(form.items_by_name[n])
        for u in users[n]:
            missing[u] -= 1
            if missing[u] == 0:
                ready.append(u)
    if len(order) != len(items):
        stuck = [it for it in items if missing[it.name] > 0]
        first = stuck[0]
        raise QuestionnaireError(
            "cyclic dependency among " + ", ".join(it.name for it in stuck[:8]),
            file=form.source,
            sheet="survey",
            row=first.row,
            field=first.name,
            hint="A relevant, calculation or repeat_count cannot depend on itself, directly "
            "or through others",
        )
    return order


def is_group(item: Item) -> bool:
    """True for a group (not a repeat)."""
    return isinstance(item, Group)
