"""The expression language of ``relevant``, ``constraint``, ``calculation`` and ``choice_filter``:
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
from fieldsurvey.questionnaire.xpath import FUNCTIONS

__all__ = [
    "BinOp",
    "Call",
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


def walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(_children(n))


def _check_calls(node: Node, source: str) -> None:
    for n in walk(node):
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
    return frozenset(n.name for n in walk(node) if isinstance(n, Ref))


def fields(node: Node) -> frozenset[str]:
    """The bare names (choice columns) used in the tree."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Field))


def uses(node: Node, kind: type) -> bool:
    """True if the tree contains a node of this class."""
    return any(isinstance(n, kind) for n in walk(node))
