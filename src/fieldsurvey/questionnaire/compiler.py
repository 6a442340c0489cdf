"""Compile an expression tree into nested Python closures (no ``eval``).

Each node becomes a small function of the evaluation :class:`~.xpath.Context`; the
common skip-logic shapes (``${x} = 3``, ``a and b``, ``${n} >= 18``) get fast paths that
give the same results as the general XPath rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fieldsurvey.questionnaire.expr import (
    BinOp,
    Call,
    Chain,
    Current,
    Field,
    Literal,
    Lookup,
    Neg,
    Node,
    Parent,
    Ref,
)
from fieldsurvey.questionnaire.xpath import (
    _ARITH,
    _PLAIN,
    _REL,
    AGGREGATES,
    FUNCTIONS,
    Context,
    _equal,
    to_bool,
    to_num,
    to_str,
)

__all__ = ["Compiled", "compile_node", "evaluate"]

Compiled = Callable[[Context], Any]


def compile_node(node: Node) -> Compiled:
    """Compile a tree into a function of a :class:`Context` (closures, no ``eval``)."""
    if isinstance(node, Literal):
        value = node.value
        return lambda ctx: value
    if isinstance(node, Ref):
        name = node.name
        return lambda ctx: ctx.ref(name)
    if isinstance(node, Current):
        return lambda ctx: ctx.current()
    if isinstance(node, Parent):
        return lambda ctx: ctx.position()
    if isinstance(node, Field):
        fname = node.name
        return lambda ctx: ctx.field(fname)
    if isinstance(node, Neg):
        inner = compile_node(node.operand)
        return lambda ctx: -to_num(inner(ctx))
    if isinstance(node, BinOp):
        return _compile_binop(node)
    if isinstance(node, Chain):
        return _compile_chain(node)
    if isinstance(node, Lookup):
        return _compile_lookup(node)
    return _compile_call(node)


def apply_op(op: str, a: Any, b: Any) -> Any:
    """One binary operator on two values (the general XPath rules)."""
    if op == "and":
        return to_bool(a) and to_bool(b)
    if op == "or":
        return to_bool(a) or to_bool(b)
    if op == "=":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op in _REL:
        cmp = _REL[op]
        if isinstance(a, list) or isinstance(b, list):
            xs = a if isinstance(a, list) else [a]
            ys = b if isinstance(b, list) else [b]
            return any(cmp(to_num(x), to_num(y)) for x in xs for y in ys)
        return cmp(to_num(a), to_num(b))
    return _ARITH[op](to_num(a), to_num(b))


def _compile_chain(node: Chain) -> Compiled:
    first = compile_node(node.first)
    rest = [(op, compile_node(n)) for op, n in node.rest]
    logical = node.rest[0][0] in ("and", "or")

    def chain(ctx: Context) -> Any:
        acc = first(ctx)
        for op, fn in rest:
            if logical:
                if op == "and" and not to_bool(acc):
                    return False
                if op == "or" and to_bool(acc):
                    return True
                acc = to_bool(fn(ctx))
            else:
                acc = apply_op(op, acc, fn(ctx))
        return acc

    return chain


def _compile_lookup(node: Lookup) -> Compiled:
    pred = compile_node(node.predicate) if node.predicate is not None else None
    name, column = node.instance, node.column

    def lookup(ctx: Context) -> Any:
        return ctx.rows(name, pred, column)

    return lookup


def _compile_binop(node: BinOp) -> Compiled:
    left, right, op = compile_node(node.left), compile_node(node.right), node.op
    if op == "and":

        def and_(ctx: Context) -> bool:
            a = left(ctx)
            if not (a if a.__class__ is bool else to_bool(a)):
                return False
            b = right(ctx)
            return b if b.__class__ is bool else to_bool(b)

        return and_
    if op == "or":

        def or_(ctx: Context) -> bool:
            a = left(ctx)
            if a if a.__class__ is bool else to_bool(a):
                return True
            b = right(ctx)
            return b if b.__class__ is bool else to_bool(b)

        return or_
    if op in ("=", "!="):
        eq = _literal_equal(node)
        if eq is None:
            eq = lambda ctx: _equal(left(ctx), right(ctx))  # noqa: E731
        if op == "=":
            return eq
        return lambda ctx: not eq(ctx)
    if op in _REL:
        cmp = _REL[op]

        def rel(ctx: Context) -> bool:
            a, b = left(ctx), right(ctx)
            if type(a) in _PLAIN and type(b) in _PLAIN:
                return cmp(float(a), float(b))
            if isinstance(a, list) or isinstance(b, list):
                xs = a if isinstance(a, list) else [a]
                ys = b if isinstance(b, list) else [b]
                return any(cmp(to_num(x), to_num(y)) for x in xs for y in ys)
            return cmp(to_num(a), to_num(b))

        return rel
    fn = _ARITH[op]
    return lambda ctx: fn(to_num(left(ctx)), to_num(right(ctx)))


def _literal_equal(node: BinOp) -> Compiled | None:
    """A fast ``x = constant`` for the common skip-logic case (same result as _equal)."""
    if isinstance(node.right, Literal):
        other, const = node.left, node.right.value
    elif isinstance(node.left, Literal):
        other, const = node.right, node.left.value
    else:
        return None
    side = compile_node(other)
    if isinstance(const, str):

        def eq_str(ctx: Context) -> bool:
            a = side(ctx)
            return a == const if type(a) is str else _equal(a, const)

        return eq_str
    num = float(const)

    def eq_num(ctx: Context) -> bool:
        a = side(ctx)
        t = type(a)
        if t is int or t is float:
            return bool(a == num)
        if t is str:
            if not a:
                return False  # empty is NaN, equal to nothing
            try:
                return float(a) == num
            except ValueError:
                return to_num(a) == num
        return _equal(a, num)

    return eq_num


def _compile_call(node: Call) -> Compiled:
    name = node.name
    if name in ("max", "min") and len(node.args) > 1:  # max(${a}, ${b}, 3): of the values
        parts = tuple(compile_node(a) for a in node.args)
        many = AGGREGATES[name]
        return lambda ctx: many([v for p in parts for v in _as_list(p(ctx))])
    if name in AGGREGATES:
        ref = node.args[0]
        agg = AGGREGATES[name]
        if isinstance(ref, Lookup):
            rows = _compile_lookup(ref)
            return lambda ctx: agg(_as_list(rows(ctx)))
        assert isinstance(ref, Ref)
        rname = ref.name
        return lambda ctx: agg(ctx.nodeset(rname))
    if name == "join":
        sep_fn, ref = compile_node(node.args[0]), node.args[1]
        if isinstance(ref, Lookup):
            rows = _compile_lookup(ref)
            return lambda ctx: to_str(sep_fn(ctx)).join(to_str(v) for v in _as_list(rows(ctx)))
        assert isinstance(ref, Ref)
        jname = ref.name
        return lambda ctx: to_str(sep_fn(ctx)).join(to_str(v) for v in ctx.nodeset(jname))
    special = _special_call(node)
    if special is not None:
        return special
    if name == "indexed-repeat":
        ref = node.args[0]
        assert isinstance(ref, Ref)
        rname, idx = ref.name, compile_node(node.args[2])

        def indexed(ctx: Context) -> Any:
            i = to_num(idx(ctx))
            return "" if math.isnan(i) or i < 1 else ctx.indexed(rname, int(i))

        return indexed
    if name in ("position", "index"):  # index(): SurveyCTO's position(..)
        return lambda ctx: ctx.position()
    if name == "today":
        return lambda ctx: ctx.today()
    args = tuple(compile_node(a) for a in node.args)
    if name == "if":
        c, a, b = args
        return lambda ctx: a(ctx) if to_bool(c(ctx)) else b(ctx)
    if name == "coalesce":
        a, b = args

        def coalesce(ctx: Context) -> Any:
            v = a(ctx)
            return v if to_str(v) != "" else b(ctx)

        return coalesce
    impl = FUNCTIONS[name][2]
    assert impl is not None
    if len(args) == 1:
        (a0,) = args
        return lambda ctx: impl(a0(ctx))
    if len(args) == 2:
        a0, a1 = args
        return lambda ctx: impl(a0(ctx), a1(ctx))
    return lambda ctx: impl(*(a(ctx) for a in args))


_SPECIAL = frozenset({"now", "random", "duration", "once", "device-info", "jr:choice-name",
                      "choice-name", "pulldata"})


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _special_call(node: Call) -> Compiled | None:
    """Functions that need the interview, not just their argument values."""
    name = node.name
    if name not in _SPECIAL:
        return None
    args = tuple(compile_node(a) for a in node.args)
    if name == "now":
        return lambda ctx: ctx.now()
    if name == "random":
        return lambda ctx: ctx.random()
    if name == "duration":
        return lambda ctx: ctx.duration()
    if name == "once":
        (a,) = args
        return lambda ctx: ctx.once(a(ctx))
    if name == "device-info":
        if not args:  # SurveyCTO: device-info() is the device summary
            return lambda ctx: ctx.device_info("")
        (a,) = args
        return lambda ctx: ctx.device_info(to_str(a(ctx)))
    if name in ("jr:choice-name", "choice-name"):
        value_fn, qnode = args[0], node.args[1]
        if isinstance(qnode, Ref):  # pyxform turns '${q}' into a path; accept both
            qname = qnode.name
            return lambda ctx: ctx.choice_name(value_fn(ctx), qname)
        q_fn = args[1]
        return lambda ctx: ctx.choice_name(value_fn(ctx), to_str(q_fn(ctx)))
    if name == "pulldata":
        inst, col, keycol, key = args
        return lambda ctx: ctx.lookup(to_str(inst(ctx)), to_str(col(ctx)),
                                      to_str(keycol(ctx)), key(ctx))
    return None


def evaluate(node: Node, ctx: Context) -> Any:
    """Evaluate a tree once (compiles it; keep the compiled function for repeated use)."""
    return compile_node(node)(ctx)
