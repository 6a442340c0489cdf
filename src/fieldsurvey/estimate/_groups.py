"""Vectorised grouping helpers: integer codes, group sums and group counts.

Everything in the estimators reduces rows to sampling units and units to strata with
``np.bincount`` (one pass per column) or ``np.add.reduceat`` over a sorted order, so
no Python loop ever runs once per PSU or per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["codes_of", "combine", "group_any", "group_sum"]


def codes_of(values: object) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (0..k-1, in order of first appearance) and the distinct values.

    Missing values get code -1.
    """
    codes, uniques = pd.factorize(pd.Series(values), sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs ``(a, b)`` (both non-negative codes), in order of first appearance."""
    nb = int(b.max()) + 1 if b.size else 1
    key = a.astype(np.int64) * nb + b.astype(np.int64)
    codes, _ = pd.factorize(key, sort=False)
    return np.asarray(codes, dtype=np.int64)


def group_sum(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` (1-d or rows of a 2-d array) within the groups ``codes`` (0..n-1)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n)
    p = values.shape[1]
    if p <= 4:
        out = np.empty((n, p))
        for j in range(p):
            out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n)
        return out
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sums = np.add.reduceat(values[order], starts, axis=0)
    out = np.zeros((n, p))
    out[sorted_codes[starts]] = sums
    return out


def group_any(codes: np.ndarray, n: int, flags: np.ndarray) -> np.ndarray:
    """True for the groups in which any row of ``flags`` (1-d or 2-d bool) is true."""
    return group_sum(codes, n, flags.astype(np.float64)) > 0
