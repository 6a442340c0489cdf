"""The expression language of ``relevant``, ``constraint``, ``calculation`` and ``choice_filter``.

A subset of the XPath 1.0 that XLSForm uses, parsed once at load into a tree of frozen
nodes and compiled into nested Python closures (no ``eval``), so a ``relevant`` costs a
few microseconds per evaluation.

Grammar (lowest precedence first)::

    or      := and ("or" and)*
    and     := eq ("and" eq)*
    eq      := rel (("=" | "!=") rel)*
    rel     := add (("<" | "<=" | ">" | ">=") add)*
    add     := mul (("+" | "-") mul)*
    mul     := unary (("*" | "div" | "mod") unary)*
    unary   := "-" unary | primary
    primary := NUMBER | STRING | "${" name "}" | "." | ".." | NAME "(" args ")"
             | "(" or ")" | NAME            (a choice's column, in choice_filter only)

Values follow XPath: an empty answer is ``""``; comparing with a number converts the
other side to a number (``${a4} = 3`` is true for the choice ``"3"``); ``<``/``>``
compare numbers (dates as days since 1970-01-01); a select_multiple answer is its choice
names separated by spaces; a special answer (不知道/拒绝回答) is its code, e.g. ``-8``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from fieldsurvey.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import SpecialAnswer

__all__ = [
    "FUNCTIONS",
    "BinOp",
    "Call",
    "Context",
    "Current",
    "Field",
    "Literal",
    "Neg",
    "Node",
    "Parent",
    "Ref",
    "compile_node",
    "evaluate",
    "parse",
    "references",
    "to_bool",
    "to_num",
    "to_str",
]

MAX_DEPTH = 60  # nesting depth a form may use; deeper is refused, not a RecursionError


# --------------------------------------------------------------------------- tree
@dataclass(frozen=True)
class Literal:
    """A number or string constant."""

    value: float | str


@dataclass(frozen=True)
class Ref:
    """``${name}``: another question's value."""

    name: str


@dataclass(frozen=True)
class Current:
    """``.``: the value being checked (constraint) or of the question itself."""


@dataclass(frozen=True)
class Parent:
    """``..``: the enclosing repeat instance (argument of ``position``)."""


@dataclass(frozen=True)
class Field:
    """A bare name: a column of the choice being filtered (``choice_filter`` only)."""

    name: str


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True)
class BinOp:
    """A binary operator: or and = != < <= > >= + - * div mod."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """A function call."""

    name: str
    args: tuple[Node, ...]


Node = Literal | Ref | Current | Parent | Field | Neg | BinOp | Call


# --------------------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>"[^"]*"|'[^']*'|“[^”]*”|‘[^’]*’)
  | (?P<ref>\$\{\s*(?P<refname>[^\s{}]+)\s*\})
  | (?P<dotdot>\.\.)
  | (?P<dot>\.)
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*(?::[A-Za-z_][A-Za-z0-9_\-]*)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _syntax(message: str, source: str, pos: int | None = None) -> QuestionnaireError:
    at = "" if pos is None else f" at character {pos + 1}"
    return QuestionnaireError(
        f"expression syntax error{at}: {message}",
        got=repr(source) if len(source) <= 120 else repr(source[:117]) + "...",
        hint="Check brackets, quotes and operators; refer to questions as ${name}",
    )


def _tokenize(source: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    n = len(source)
    while pos < n:
        m = _TOKEN.match(source, pos)
        if m is None:
            raise _syntax(f"unexpected character {source[pos]!r}", source, pos)
        kind = m.lastgroup or ""
        if kind == "refname":
            kind = "ref"
        if kind != "ws":
            text = m.group("refname") if kind == "ref" else m.group(0)
            toks.append(_Tok(kind, text, pos))
        pos = m.end()
    toks.append(_Tok("end", "", n))
    return toks


# --------------------------------------------------------------------------- parser
_PREC = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6}
_WORD_OPS = frozenset({"or", "and", "div", "mod"})


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op",):
            found = "the end" if tok.kind == "end" else repr(tok.text)
            raise _syntax(f"expected {text!r}, found {found}", self.source, tok.pos)

    def at_keyword(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text in words

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text in ops

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise _syntax("the expression is empty", self.source, 0)
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise _syntax(f"unexpected {tok.text!r}", self.source, tok.pos)
        return node

    def or_(self) -> Node:
        """A full expression (precedence climbing over the binary operators)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _syntax("the expression is nested too deeply", self.source, self.peek().pos)
        try:
            return self.binary(1)
        finally:
            self.depth -= 1

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        toks = self.toks
        while True:
            tok = toks[self.i]
            if tok.kind == "op" or (tok.kind == "name" and tok.text in _WORD_OPS):
                prec = _PREC.get(tok.text, 0)
            else:
                prec = 0
            if prec < min_prec or prec == 0:
                return left
            self.i += 1
            left = BinOp(tok.text, left, self.binary(prec + 1))

    def unary(self) -> Node:
        if self.at_op("-"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _syntax("the expression is nested too deeply", self.source, self.peek().pos)
            try:
                return Neg(self.unary())
            finally:
                self.depth -= 1
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Literal(float(tok.text))
        if tok.kind == "str":
            return Literal(tok.text[1:-1])
        if tok.kind == "ref":
            return Ref(tok.text)
        if tok.kind == "dot":
            return Current()
        if tok.kind == "dotdot":
            return Parent()
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "name":
            if tok.text in ("and", "or", "div", "mod") and not self.at_op("("):
                raise _syntax(f"operator {tok.text!r} needs a value before it", self.source, tok.pos)
            if self.at_op("("):
                self.take()
                args: list[Node] = []
                if not self.at_op(")"):
                    args.append(self.or_())
                    while self.at_op(","):
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                return Call(tok.text, tuple(args))
            return Field(tok.text)
        found = "the end" if tok.kind == "end" else repr(tok.text)
        raise _syntax(f"expected a value, found {found}", self.source, tok.pos)


def parse(source: str) -> Node:
    """Parse ``source`` into a tree (cached: trees are immutable).

    Raises
    ------
    QuestionnaireError
        On any syntax error (with the position), or an unknown function or wrong number
        of arguments.
    """
    if not isinstance(source, str):
        raise QuestionnaireError("an expression must be text", got=type(source).__name__)
    return _parse_cached(source)


@functools.lru_cache(maxsize=4096)
def _parse_cached(source: str) -> Node:
    node = _Parser(source).parse()
    _check_calls(node, source)
    return node


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(_children(n))


def _check_calls(node: Node, source: str) -> None:
    for n in _walk(node):
        if isinstance(n, Call):
            spec = FUNCTIONS.get(n.name)
            if spec is None:
                raise QuestionnaireError(
                    f"unknown function {n.name}()",
                    got=repr(source),
                    expected="one of " + ", ".join(sorted(FUNCTIONS)),
                    hint="This function is not supported by fieldsurvey",
                )
            lo, hi = spec[0], spec[1]
            if not lo <= len(n.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
                raise QuestionnaireError(
                    f"{n.name}() takes {want} argument(s), not {len(n.args)}", got=repr(source)
                )
            if n.name == "regex" and isinstance(n.args[1], Literal):
                try:
                    re.compile(str(n.args[1].value))
                except re.error as exc:
                    raise QuestionnaireError(
                        f"invalid regular expression in regex(): {exc}", got=repr(source)
                    ) from None
            if n.name in ("indexed-repeat", "sum", "count", "max", "min") and not isinstance(
                n.args[0], Ref
            ):
                raise QuestionnaireError(
                    f"{n.name}() needs a question ${{name}} as its first argument", got=repr(source)
                )
        elif isinstance(n, Parent):
            pass


def references(node: Node) -> frozenset[str]:
    """The question names ``${name}`` used in the tree."""
    return frozenset(n.name for n in _walk(node) if isinstance(n, Ref))


def fields(node: Node) -> frozenset[str]:
    """The bare names (choice columns) used in the tree."""
    return frozenset(n.name for n in _walk(node) if isinstance(n, Field))


def uses(node: Node, kind: type) -> bool:
    """True if the tree contains a node of this class."""
    return any(isinstance(n, kind) for n in _walk(node))


# --------------------------------------------------------------------------- values
_EPOCH = dt.date(1970, 1, 1)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_num(v: Any) -> float:
    """XPath ``number()``: NaN when not a number."""
    t = type(v)
    if t is float or t is int:
        return float(v)
    if t is str:
        if not v:
            return math.nan
        try:
            return float(v)
        except ValueError:
            pass
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, SpecialAnswer):
        return float(v.code)
    if isinstance(v, dt.date):
        return float((v - _EPOCH).days)
    if isinstance(v, list):
        return to_num(v[0]) if v else math.nan
    s = to_str(v).strip()
    if not s:
        return math.nan
    try:
        return float(s)
    except ValueError:
        if _DATE_RE.match(s):
            try:
                return float((dt.date.fromisoformat(s) - _EPOCH).days)
            except ValueError:
                return math.nan
        return math.nan


def to_str(v: Any) -> str:
    """XPath ``string()``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, tuple):
        return " ".join(v)
    if isinstance(v, SpecialAnswer):
        return str(v.code)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return to_str(v[0]) if v else ""
    return str(v)


def to_bool(v: Any) -> bool:
    """XPath ``boolean()``."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v == v and v != 0
    if isinstance(v, list):
        return bool(v)
    if v is None:
        return False
    if isinstance(v, str):
        return v != ""
    return True


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | SpecialAnswer) and not isinstance(v, bool)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        xs = a if isinstance(a, list) else [a]
        ys = b if isinstance(b, list) else [b]
        return any(_equal(x, y) for x in xs for y in ys)
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if _is_num(a) or _is_num(b) or isinstance(a, dt.date) or isinstance(b, dt.date):
        if isinstance(a, dt.date) and isinstance(b, str) and not _DATE_RE.match(b.strip()):
            return False
        return to_num(a) == to_num(b)
    return to_str(a) == to_str(b)


_PLAIN = (int, float)
_REL: dict[str, Callable[[float, float], bool]] = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _mod(x: float, y: float) -> float:
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    return math.fmod(x, y)


def _div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.inf if x > 0 else -math.inf
    return x / y


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "div": _div,
    "mod": _mod,
}


# --------------------------------------------------------------------------- context
class Context(Protocol):
    """What an expression can ask the runner while it is evaluated."""

    def ref(self, name: str) -> Any:
        """The value of ``${name}`` seen from the current repeat instance."""

    def nodeset(self, name: str) -> list[Any]:
        """All values of ``${name}`` (every repeat instance in scope)."""

    def indexed(self, name: str, index: int) -> Any:
        """The value of ``${name}`` in instance ``index`` (1-based) of its repeat."""

    def current(self) -> Any:
        """The value of ``.``."""

    def position(self) -> int:
        """The 1-based number of the current repeat instance."""

    def field(self, name: str) -> str:
        """A column of the choice being filtered."""

    def today(self) -> dt.date:
        """Today's date (injectable for tests)."""


Compiled = Callable[[Context], Any]


def _f_int(x: Any) -> Any:
    n = to_num(x)
    if math.isnan(n) or math.isinf(n):
        return math.nan
    return int(n)


def _f_round(x: Any, d: Any = 0.0) -> float:
    n, k = to_num(x), to_num(d)
    if math.isnan(n) or math.isnan(k) or math.isinf(n):
        return n if not math.isnan(k) else math.nan
    k = int(max(-15, min(15, k)))
    q = 10.0**k
    return math.floor(n * q + 0.5) / q


def _f_regex(s: Any, pattern: Any) -> bool:
    try:
        return re.search(to_str(pattern), to_str(s)) is not None
    except re.error:
        return False


_FMT = {"%Y": "%Y", "%y": "%y", "%m": "%m", "%n": "%-m", "%d": "%d", "%e": "%-d", "%b": "%b", "%a": "%a"}


def _f_format_date(d: Any, fmt: Any) -> str:
    if isinstance(d, dt.date):
        date = d
    else:
        s = to_str(d).strip()
        try:
            date = dt.date.fromisoformat(s[:10])
        except ValueError:
            return ""
    out = []
    f = to_str(fmt)
    i = 0
    while i < len(f):
        if f[i] == "%" and i + 1 < len(f):
            code = f[i : i + 2]
            if code == "%n":
                out.append(str(date.month))
            elif code == "%e":
                out.append(str(date.day))
            elif code in _FMT:
                out.append(date.strftime(code))
            else:
                out.append(code)
            i += 2
        else:
            out.append(f[i])
            i += 1
    return "".join(out)


def _f_date(x: Any) -> Any:
    if isinstance(x, dt.date):
        return x
    n = to_num(x)
    if isinstance(x, str) and _DATE_RE.match(x.strip()):
        try:
            return dt.date.fromisoformat(x.strip())
        except ValueError:
            return ""
    if math.isnan(n) or abs(n) > 3_000_000:
        return ""
    return _EPOCH + dt.timedelta(days=int(n))


def _selected(a: Any, b: Any) -> bool:
    return to_str(b).strip() in to_str(a).split()


def _agg(fn: Callable[[list[float]], float]) -> Callable[[list[Any]], float]:
    def run(values: list[Any]) -> float:
        nums = [to_num(v) for v in values if to_str(v) != ""]
        if not nums or any(math.isnan(x) for x in nums):
            return math.nan if nums or fn is not sum else 0.0
        return fn(nums)

    return run


# name -> (min args, max args, implementation on evaluated values or None if special)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any] | None]] = {
    "selected": (2, 2, _selected),
    "count-selected": (1, 1, lambda a: len(to_str(a).split())),
    "selected-at": (2, 2, lambda a, i: (lambda xs, k: xs[k] if 0 <= k < len(xs) else "")(
        to_str(a).split(), int(to_num(i)) if not math.isnan(to_num(i)) else -1)),
    "if": (3, 3, None),
    "coalesce": (2, 2, None),
    "string-length": (1, 1, lambda a: len(to_str(a))),
    "regex": (2, 2, _f_regex),
    "int": (1, 1, _f_int),
    "number": (1, 1, to_num),
    "string": (1, 1, to_str),
    "boolean": (1, 1, to_bool),
    "concat": (1, 99, lambda *a: "".join(to_str(x) for x in a)),
    "today": (0, 0, None),
    "position": (1, 1, None),
    "not": (1, 1, lambda a: not to_bool(a)),
    "true": (0, 0, lambda: True),
    "false": (0, 0, lambda: False),
    "round": (1, 2, _f_round),
    "abs": (1, 1, lambda a: abs(to_num(a))),
    "floor": (1, 1, lambda a: (lambda n: math.floor(n) if math.isfinite(n) else n)(to_num(a))),
    "ceiling": (1, 1, lambda a: (lambda n: math.ceil(n) if math.isfinite(n) else n)(to_num(a))),
    "contains": (2, 2, lambda a, b: to_str(b) in to_str(a)),
    "starts-with": (2, 2, lambda a, b: to_str(a).startswith(to_str(b))),
    "format-date": (2, 2, _f_format_date),
    "date": (1, 1, _f_date),
    "sum": (1, 1, None),
    "count": (1, 1, None),
    "max": (1, 1, None),
    "min": (1, 1, None),
    "indexed-repeat": (3, 3, None),
}

_AGGS: dict[str, Callable[[list[Any]], Any]] = {
    "sum": _agg(sum),
    "max": _agg(max),
    "min": _agg(min),
    "count": len,
}


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
    return _compile_call(node)


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
            return a == num
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
    if name in _AGGS:
        ref = node.args[0]
        assert isinstance(ref, Ref)
        agg, rname = _AGGS[name], ref.name
        return lambda ctx: agg(ctx.nodeset(rname))
    if name == "indexed-repeat":
        ref = node.args[0]
        assert isinstance(ref, Ref)
        rname, idx = ref.name, compile_node(node.args[2])

        def indexed(ctx: Context) -> Any:
            i = to_num(idx(ctx))
            return "" if math.isnan(i) or i < 1 else ctx.indexed(rname, int(i))

        return indexed
    if name == "position":
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


def evaluate(node: Node, ctx: Context) -> Any:
    """Evaluate a tree once (compiles it; keep the compiled function for repeated use)."""
    return compile_node(node)(ctx)
