"""A small, safe language for eligibility filters, evaluated on a frame's columns.

Grammar (parsed with Python's ``ast`` in expression mode, then checked node by node;
nothing is ever passed to ``eval``)::

    expr   := expr 'and' expr | expr 'or' expr | 'not' expr | '(' expr ')' | compare
    compare:= operand (op operand)+          op: == != < <= > >= in, not in
    operand:= column name | 'string' | number | True | False | None | (list of literals)

``col == None`` / ``col != None`` test for missing values. Examples:
``status == 'occupied'``, ``status in ('occupied', 'unknown') and floor <= 30``.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import DesignError

__all__ = ["eligible_mask"]

_OPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}


def eligible_mask(
    frame: pd.DataFrame, expression: str | None, *, field: str = "stage2.eligible",
    source: str | None = None,
) -> np.ndarray:
    """Evaluate an eligibility expression on ``frame``; return a boolean array.

    Raises
    ------
    DesignError
        For a syntax error, a construct outside the language, or an unknown column.
    """
    if expression is None:
        return np.ones(len(frame), dtype=bool)
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise DesignError("the eligibility expression cannot be read", file=source, field=field,
                          got=expression, expected="e.g. status == 'occupied'") from exc
    result = _Eval(frame, expression, field, source).visit(tree.body)
    if not isinstance(result, np.ndarray) or result.dtype != bool:
        raise DesignError("the eligibility expression must be a comparison", file=source,
                          field=field, got=expression, expected="e.g. status == 'occupied'")
    return result


class _Eval:
    def __init__(self, frame: pd.DataFrame, text: str, field: str, source: str | None) -> None:
        self.frame, self.text, self.field, self.source = frame, text, field, source

    def fail(self, message: str, got: str | None = None) -> DesignError:
        return DesignError(message, file=self.source, field=self.field,
                           got=got or self.text,
                           hint="Use column names, quoted strings, numbers, == != < <= > >= "
                                "in, and, or, not")

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            parts = [self.boolean(v) for v in node.values]
            return np.logical_and.reduce(parts) if isinstance(node.op, ast.And) \
                else np.logical_or.reduce(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~self.boolean(node.operand)
        if isinstance(node, ast.Compare):
            left = self.operand(node.left)
            result = np.ones(len(self.frame), dtype=bool)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.operand(comp)
                result &= self.compare(left, _OPS.get(type(op)), right)
                left = right
            return result
        if isinstance(node, ast.Name):
            raise self.fail(f"column {node.id!r} alone is not a condition",
                            got=f"{node.id} (write e.g. {node.id} == 'value')")
        raise self.fail(f"{type(node).__name__.lower()} is not allowed in an eligibility filter")

    def boolean(self, node: ast.AST) -> np.ndarray:
        value = self.visit(node)
        if not isinstance(value, np.ndarray):
            raise self.fail("and/or/not need conditions on both sides")
        return value

    def operand(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            if node.id not in self.frame.columns:
                raise DesignError(f"the eligibility expression names an unknown column "
                                  f"{node.id!r}", file=self.source, field=self.field,
                                  expected="one of " + ", ".join(map(str, self.frame.columns)),
                                  got=node.id)
            return self.frame[node.id]
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(
                node.value, (str, int, float, bool))):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(
                node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)):
            return -node.operand.value
        if isinstance(node, (ast.Tuple, ast.List)):
            values = [self.operand(e) for e in node.elts]
            if any(isinstance(v, pd.Series) for v in values):
                raise self.fail("a list may hold only literal values")
            return tuple(values)
        raise self.fail(f"{type(node).__name__.lower()} is not allowed in an eligibility filter")

    def compare(self, left: Any, op: str | None, right: Any) -> np.ndarray:
        if op is None:
            raise self.fail("this comparison operator is not allowed")
        if op in ("in", "not in"):
            if not isinstance(left, pd.Series) or not isinstance(right, tuple):
                raise self.fail("'in' needs a column on the left and a list on the right")
            mask = left.isin(list(right)).to_numpy(dtype=bool, na_value=False)
            return ~mask if op == "not in" else mask
        if isinstance(left, tuple) or isinstance(right, tuple):
            raise self.fail("a list can only follow 'in'")
        if right is None or left is None:
            if op not in ("==", "!="):
                raise self.fail("None can only be compared with == or !=")
            series = left if isinstance(left, pd.Series) else right
            if not isinstance(series, pd.Series):
                raise self.fail("compare a column with None")
            isna = series.isna().to_numpy(dtype=bool)
            return isna if op == "==" else ~isna
        if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
            raise self.fail("a comparison needs a column")
        try:
            res = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
                   "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                   ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op](left, right)
        except TypeError as exc:
            raise self.fail("the two sides of a comparison have different types "
                            "(a number against text?)") from exc
        return pd.Series(res).to_numpy(dtype=bool, na_value=False)
