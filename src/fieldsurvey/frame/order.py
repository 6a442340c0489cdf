"""The geographic order of the frame: buildings along a Hilbert curve, then doors.

A systematic sample takes every k-th dwelling of a list, so the list order decides
how the sample spreads over the map. Ordering buildings along a space-filling curve
keeps neighbours together and makes the sample an implicit geographic
stratification (the approach of GRTS and of "snake" listing orders).

* Each building (community, compound, building) sits at the mean projected position
  of its dwellings; a dwelling without a building is its own building.
* The Hilbert index of order 16 is computed on a 2^16 x 2^16 grid laid over the
  bounds of all community polygons (so it depends only on the boundaries, not on the
  chunk), with the classic bit-interleaving rotation (Hilbert 1891; Skilling 2004).
* Within a building, unit, floor and door follow natural order: runs of digits
  compare as numbers, so "2-301" < "10-101" and "9" < "10".
* Dwellings with no position come last in their community, in natural order.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Factors",
    "factorize_column",
    "geographic_order",
    "group_codes",
    "hilbert_index",
    "natural_key",
    "natural_ranks",
]

_DIGITS = re.compile(r"(\d+)")


def hilbert_index(
    x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float], order: int = 16
) -> np.ndarray:
    """Hilbert-curve index of points on a 2^order grid over ``bounds`` (NaN -> max + 1)."""
    n = 1 << order
    minx, miny, maxx, maxy = bounds
    ok = np.isfinite(x) & np.isfinite(y)
    span_x = max(maxx - minx, 1e-9)
    span_y = max(maxy - miny, 1e-9)
    xi = np.clip(((np.where(ok, x, minx) - minx) / span_x * (n - 1)).astype(np.int64), 0, n - 1)
    yi = np.clip(((np.where(ok, y, miny) - miny) / span_y * (n - 1)).astype(np.int64), 0, n - 1)
    d = np.zeros(len(xi), dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        xi = np.where(flip, n - 1 - xi, xi)
        yi = np.where(flip, n - 1 - yi, yi)
        swap = ~ry
        xi, yi = np.where(swap, yi, xi), np.where(swap, xi, yi)
        s >>= 1
    return np.where(ok, d, np.int64(n) * n)


def _codes(col: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative int64 codes of a column and their count (missing is a value).

    An int64 array whose values are all >= -1 is taken to be codes already (-1 missing):
    callers pass factorize codes that way, and must factorize any other integer key.
    """
    if isinstance(col, np.ndarray) and col.dtype == np.int64 and (len(col) == 0 or col.min() >= -1):
        return col + 1, int(col.max(initial=-1)) + 2
    c, uniques = pd.factorize(col, use_na_sentinel=True)
    return np.where(c < 0, len(uniques), c).astype(np.int64), len(uniques) + 1


def group_codes(*columns: pd.Series | np.ndarray, dense: bool = True) -> np.ndarray:
    """An int64 code per distinct combination of the columns (missing is a value).

    Columns are factorized (hash tables in C) and their codes packed arithmetically
    into one int64 while the product of their cardinalities fits; only when it would
    not is the packed key re-factorized. With ``dense=False`` the key is returned as
    packed (equal combinations, equal keys), which is all a duplicate test needs.
    """
    key: np.ndarray | None = None
    span = 1
    for col in columns:
        c, card = _codes(col)
        if key is None:
            key, span = c, card
            continue
        if span * card >= 1 << 62:
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max(initial=0)) + 1
        key = key * card + c
        span *= card
    assert key is not None
    return pd.factorize(key)[0].astype(np.int64) if dense else key


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key comparing digit runs as numbers: "2-301" < "10-101"."""
    return tuple(
        (0, int(tok), "") if tok.isdigit() else (1, 0, tok.casefold())
        for tok in _DIGITS.split(text.strip()) if tok
    )


Factors = dict[str, tuple[np.ndarray, Any]]


def factorize_column(
    frame: pd.DataFrame, column: str, cache: Factors | None = None
) -> tuple[np.ndarray, Any]:
    """``pd.factorize(frame[column])`` (missing -> -1).

    Remembered in ``cache`` when given, so the self-check and the order do not hash the
    same text column twice.
    """
    if cache is not None and column in cache:
        return cache[column]
    result = pd.factorize(frame[column], use_na_sentinel=True)
    if cache is not None:
        cache[column] = result
    return result


def natural_ranks(values: pd.Series, factors: tuple[np.ndarray, Any] | None = None) -> np.ndarray:
    """Rank of each value in natural order (ties share a rank; missing values last).

    Only the distinct values are sorted in Python, so this is fast on big listings.
    ``factors`` is ``pd.factorize(values)`` when already computed.
    """
    codes, uniques = factors if factors is not None else pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.zeros(len(values), dtype=np.int64)
    ordered = sorted(range(len(uniques)), key=lambda i: natural_key(str(uniques[i])))
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[np.asarray(ordered, dtype=np.int64)] = np.arange(len(uniques))
    rank[-1] = len(uniques)
    return rank[codes]


def geographic_order(
    frame: pd.DataFrame, bounds: tuple[float, float, float, float], factors: Factors | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sort permutation and 0-based order within community.

    Parameters
    ----------
    frame
        Columns ``community_id``, ``compound``, ``building``, ``unit``, ``floor``, ``door``
        and ``x``, ``y`` (projected, NaN when missing), in listing order (ties keep it).
    bounds
        Projected bounds of all community polygons.
    factors
        Cache of column factorizations shared with the self-check.

    Returns
    -------
    perm, order
        ``frame.iloc[perm]`` is the frame sorted by community, then geographic order;
        ``order[i]`` is row ``i``'s 0-based position within its community.
    """
    n = len(frame)
    community = pd.factorize(frame["community_id"], use_na_sentinel=True, sort=True)[0]
    community = np.where(community < 0, community.max(initial=0) + 1, community)
    cache: Factors = {} if factors is None else factors
    f = {
        c: factorize_column(frame, c, cache)
        for c in ("compound", "building", "unit", "floor", "door")
    }
    building, names = f["building"]
    building = np.where(building < 0, len(names) + np.arange(n), building)  # alone: own building
    bcode = group_codes(community, f["compound"][0], building)
    x = frame["x"].to_numpy(dtype=float)
    y = frame["y"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    nb = int(bcode.max(initial=-1)) + 1
    cnt = np.bincount(bcode[ok], minlength=nb).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bx = np.bincount(bcode[ok], weights=x[ok], minlength=nb) / cnt
        by = np.bincount(bcode[ok], weights=y[ok], minlength=nb) / cnt
    h = hilbert_index(bx, by, bounds)

    def per_building(values: np.ndarray) -> np.ndarray:
        out = np.zeros(nb, dtype=np.int64)
        out[bcode] = values  # the same value for every dwelling of a building
        return out

    # 1. buildings: community, Hilbert index, compound and building names (few rows)
    b_order = np.lexsort((
        np.arange(nb),
        per_building(natural_ranks(frame["building"], f["building"])),
        per_building(natural_ranks(frame["compound"], f["compound"])),
        h,
        per_building(community),
    ))
    b_rank = np.empty(nb, dtype=np.int64)
    b_rank[b_order] = np.arange(nb)
    # 2. dwellings: building, then unit, floor, door, then listing row; packed into one
    #    int64 key and sorted stably (rows are in listing order) when it fits
    ranks = [natural_ranks(frame[c], f[c]) for c in ("unit", "floor", "door")]
    spans = [int(r.max(initial=0)) + 1 for r in ranks]
    if nb * spans[0] * spans[1] * spans[2] < 1 << 62:
        key = ((b_rank[bcode] * spans[0] + ranks[0]) * spans[1] + ranks[1]) * spans[2] + ranks[2]
        perm = np.argsort(key, kind="stable")
    else:  # pragma: no cover - astronomically many distinct labels
        perm = np.lexsort((np.arange(n), *ranks[::-1], b_rank[bcode]))
    sorted_c = community[perm]
    starts = np.r_[0, np.flatnonzero(sorted_c[1:] != sorted_c[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    within = np.arange(n) - np.repeat(starts, lengths)
    order = np.empty(n, dtype=np.int64)
    order[perm] = within
    return perm, order
