"""The expression language of ``relevant``, ``constraint``, ``calculation`` and ``choice_filter``.

tokenizer and recursive-descent (precedence-climbing) parser.

A subset of the XPath 1.0 that XLSForm uses, parsed once at load into a tree of frozen
nodes; :mod:`.compiler` turns a tree into nested Python closures (no ``eval``) and
:mod:`.xpath` holds the value rules and the functions.

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

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.regex import regex_problem
from fieldsurvey.questionnaire.xpath import FUNCTIONS, NOT_SUPPORTED_FUNCTIONS

__all__ = [
    "BinOp",
    "Call",
    "Chain",
    "Lookup",
    "Current",
    "Field",
    "Literal",
    "Neg",
    "Node",
    "Parent",
    "Ref",
    "fields",
    "parse",
    "references",
    "uses",
    "walk",
]

MAX_DEPTH = 60  # nesting depth a form may use; deeper is refused, not a RecursionError
MAX_LENGTH = 20_000  # characters of one expression
MAX_TOKENS = 5_000  # tokens (names, values, operators) of one expression
_CHAIN_MIN = 8  # runs longer than this become a flat Chain


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


@dataclass(frozen=True)
class Chain:
    """A long run of one operator level (``${a1} + ${a2} + ...``), kept flat.

    A 500-term sum then needs no deep recursion to compile, compare or evaluate.
    """

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Lookup:
    """``instance('list')/root/item[predicate]/column``.

    rows of a choice list or an attached file; bare names in the predicate are the row's
    columns.
    """

    instance: str
    predicate: Node | None
    column: str | None


Node = Literal | Ref | Current | Parent | Field | Neg | BinOp | Call | Chain | Lookup


# --------------------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>"[^"]*"|'[^']*'|“[^”]*”|‘[^’]*’)
  | (?P<ref>\$\{\s*(?P<refname>[^\s{}]+)\s*\})
  | (?P<dotdot>\.\.)
  | (?P<dot>\.)
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,|/|\[|\])
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


def _limit(message: str, source: str) -> QuestionnaireError:
    return QuestionnaireError(
        f"the expression is too large: {message}",
        got=repr(source) if len(source) <= 120 else repr(source[:117]) + "...",
        hint="Split it into several calculate rows",
    )


def _tokenize(source: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    n = len(source)
    if n > MAX_LENGTH:
        raise _limit(f"{n:,} characters (fieldsurvey's limit is {MAX_LENGTH:,})", source)
    while pos < n:
        if len(toks) > MAX_TOKENS:
            raise _limit(f"more than {MAX_TOKENS:,} terms and operators", source)
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
_PREC = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
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
            raise _limit(f"brackets or calls nested more than {MAX_DEPTH} levels deep", self.source)
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
            right = self.binary(prec + 1)
            if isinstance(left, Chain) and _PREC.get(left.rest[0][0]) == prec:
                left = Chain(left.first, (*left.rest, (tok.text, right)))
            elif _chain_length(left, prec) >= _CHAIN_MIN:
                left = _to_chain(left, prec, tok.text, right)
            else:
                left = BinOp(tok.text, left, right)

    def unary(self) -> Node:
        if self.at_op("-"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _limit(f"more than {MAX_DEPTH} signs in a row", self.source)
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
                raise _syntax(
                    f"operator {tok.text!r} needs a value before it", self.source, tok.pos
                )
            if self.at_op("("):
                self.take()
                args: list[Node] = []
                if not self.at_op(")"):
                    args.append(self.or_())
                    while self.at_op(","):
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                if tok.text == "instance":
                    return self.lookup(tok, args)
                return Call(tok.text, tuple(args))
            if self.at_op("/", "["):
                raise _unsupported("XPath paths (use ${name} to refer to a question)",
                                   self.source)
            return Field(tok.text)
        if tok.kind == "op" and tok.text == "/":
            raise _unsupported("absolute XPath paths such as /data/... (use ${name})",
                               self.source)
        found = "the end" if tok.kind == "end" else repr(tok.text)
        raise _syntax(f"expected a value, found {found}", self.source, tok.pos)


    def lookup(self, tok: _Tok, args: list[Node]) -> Node:
        """``instance('x')/root/item[pred]/col`` after the call ``instance('x')``."""
        if len(args) != 1 or not isinstance(args[0], Literal):
            raise _syntax("instance() takes the name of a list in quotes", self.source, tok.pos)
        name = str(args[0].value)
        steps: list[str] = []
        predicate: Node | None = None
        column: str | None = None
        while self.at_op("/"):
            self.take()
            t = self.take()
            if t.kind != "name":
                raise _syntax("expected a name after /", self.source, t.pos)
            if len(steps) < 2:
                steps.append(t.text)
                if len(steps) == 2 and self.at_op("["):
                    self.take()
                    predicate = self.or_()
                    self.expect("]")
            elif column is None:
                column = t.text
            else:
                raise _unsupported("instance() paths deeper than /root/item/column", self.source)
        if steps != ["root", "item"]:
            raise _unsupported("instance() paths other than instance('x')/root/item[...]/column",
                               self.source)
        return Lookup(name, predicate, column)


def _unsupported(what: str, source: str) -> QuestionnaireError:
    return QuestionnaireError(
        f"not supported: {what}",
        got=repr(source) if len(source) <= 120 else repr(source[:117]) + "...",
        hint="See the README's XLSForm support table",
    )


def _chain_length(node: Node, prec: int) -> int:
    n = 1
    while isinstance(node, BinOp) and _PREC.get(node.op) == prec:
        n += 1
        node = node.left
    return n


def _to_chain(left: Node, prec: int, op: str, right: Node) -> Chain:
    rest: list[tuple[str, Node]] = [(op, right)]
    while isinstance(left, BinOp) and _PREC.get(left.op) == prec:
        rest.append((left.op, left.right))
        left = left.left
    return Chain(left, tuple(reversed(rest)))


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
    if isinstance(node, Chain):
        return (node.first, *(n for _, n in node.rest))
    if isinstance(node, Lookup):
        return (node.predicate,) if node.predicate is not None else ()
    return ()


def self_as_current(node: Node, name: str) -> Node:
    """``node`` with ``${name}`` read as ``.``: a question's own name in its constraint.

    JavaRosa checks a constraint against the value being entered, and pyxform makes
    ``${age}`` in age's constraint the same path as ``.`` (the ODK tutorial's
    ``${age} > 0 and ${age} < 120``).
    """
    if isinstance(node, Ref):
        return Current() if node.name == name else node
    if isinstance(node, Neg):
        return Neg(self_as_current(node.operand, name))
    if isinstance(node, BinOp):
        return BinOp(node.op, self_as_current(node.left, name),
                     self_as_current(node.right, name))
    if isinstance(node, Call):
        return Call(node.name, tuple(self_as_current(a, name) for a in node.args))
    if isinstance(node, Chain):
        return Chain(self_as_current(node.first, name),
                     tuple((op, self_as_current(n, name)) for op, n in node.rest))
    if isinstance(node, Lookup) and node.predicate is not None:
        return Lookup(node.instance, self_as_current(node.predicate, name), node.column)
    return node


def walk(node: Node) -> Iterable[Node]:
    """Every node of the tree (iteratively: deep trees need no recursion)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(_children(n))


def _check_calls(node: Node, source: str) -> None:
    for n in walk(node):
        if isinstance(n, Call):
            spec = FUNCTIONS.get(n.name)
            if spec is None and n.name in NOT_SUPPORTED_FUNCTIONS:
                raise _unsupported(
                    f"function {n.name}() ({NOT_SUPPORTED_FUNCTIONS[n.name]})", source
                )
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
                problem = regex_problem(str(n.args[1].value))
                if problem is not None:
                    raise QuestionnaireError(f"in regex(): {problem}", got=repr(source))
            if n.name in ("sum", "count", "max", "min", "count-non-empty", "join") and isinstance(
                n.args[-1 if n.name == "join" else 0], Lookup
            ):
                continue
            if n.name in ("max", "min") and len(n.args) > 1:
                continue
            if n.name in ("indexed-repeat", "sum", "count", "max", "min", "count-non-empty",
                          "join") and not isinstance(n.args[-1 if n.name == "join" else 0], Ref):
                raise QuestionnaireError(
                    f"{n.name}() needs a question ${{name}} as its first argument", got=repr(source)
                )
        elif isinstance(n, Parent):
            pass


def references(node: Node) -> frozenset[str]:
    """The question names ``${name}`` used in the tree."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Ref))


def fields(node: Node) -> frozenset[str]:
    """The bare names (choice columns) used in the tree."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Field))


def uses(node: Node, kind: type) -> bool:
    """True if the tree contains a node of this class."""
    return any(isinstance(n, kind) for n in walk(node))
