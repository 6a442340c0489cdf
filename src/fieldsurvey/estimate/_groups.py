"""Vectorised grouping helpers: integer codes, group sums and group counts.

Everything in the estimators reduces rows to sampling units and units to strata with
``np.bincount`` (one pass per column) or ``np.add.reduceat`` over a sorted order, so
no Python loop ever runs once per PSU or per row. Integer ids in a compact range are
coded by direct indexing, which is several times faster than hashing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["codes_of", "combine", "first_index", "group_any", "group_sum"]


def _dense_codes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes by sorted value for integers spanning a compact range, else None."""
    if v.size == 0:
        return None
    lo, hi = int(v.min()), int(v.max())
    if hi - lo > 4 * v.size + 1024:
        return None
    if 0 <= lo and hi < 4 * v.size + 1024:  # index by the values themselves
        present = np.zeros(hi + 1, dtype=bool)
        present[v] = True
        present = present[lo:]
    else:
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[v - lo] = True
    if present.all():  # no gaps: the code is the value's offset
        codes = v if lo == 0 else v - lo  # pandas (copy-on-write) never changes v in place
        return codes.astype(np.int64, copy=False), np.arange(lo, hi + 1)
    remap = np.cumsum(present) - 1
    return remap[v - lo].astype(np.int64, copy=False), np.flatnonzero(present) + lo


def codes_of(values: object) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..k-1 of the values and the k distinct values (code -1: missing).

    Integers in a compact range are coded in sorted order, anything else in order of
    first appearance.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
        dense = _dense_codes(s.to_numpy(dtype=np.int64))
        if dense is not None:
            return dense
    codes, uniques = pd.factorize(s, sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def combine(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> tuple[np.ndarray, int]:
    """Codes of the pairs ``(a, b)`` of codes 0..na-1 and 0..nb-1, and how many pairs occur."""
    if nb == b.size:  # b alone tells every row apart
        return b, nb
    key = a.astype(np.int64) * nb + b.astype(np.int64)
    if na * nb <= 4 * a.size + 1024:
        dense = _dense_codes(key)
        assert dense is not None
        return dense[0], dense[1].size
    codes, uniques = pd.factorize(key, sort=False)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def first_index(codes: np.ndarray, n: int) -> np.ndarray:
    """The index of one row (in practice the last) of every code 0..n-1.

    When every row has its own code in row order (``codes`` is 0, 1, ..., n-1) the answer is
    ``codes`` itself, found without scattering.
    """
    if (n == codes.size and n > 0 and codes[0] == 0 and codes[-1] == n - 1
            and (np.diff(codes) == 1).all()):
        return codes
    rep = np.empty(n, dtype=np.int64)
    rep[codes] = np.arange(codes.size)
    return rep


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
