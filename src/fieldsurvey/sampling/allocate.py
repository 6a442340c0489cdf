"""Allocation of a total stage-1 sample size among strata.

Each stratum h gets a real share x_h = clip(t w_h, lo_h, hi_h) with t chosen so that
sum x_h = n, where lo_h = min(minimum, N_h) and hi_h = N_h (a stratum cannot give more
units than it has); the shares are then rounded by largest remainders (Hamilton), ties
broken by stratum order, so the result is deterministic. The weights w_h:

- ``proportional``: the stratum's total measure of size M_h (or its number of units N_h
  without a measure of size), which makes a PPS design self-weighting;
- ``equal``: 1;
- ``neyman``: N_h S_h, with S_h the standard deviation of a study variable (Neyman 1934;
  Cochran 1977, sec. 5.5);
- ``power``: X_h ** q with X_h = M_h or N_h and 0 <= q <= 1 (Bankier 1988), between equal
  (q = 0) and proportional (q = 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fieldsurvey.io.errors import DesignError

__all__ = ["allocate", "allocation_weights", "check_table"]


def allocation_weights(
    method: str,
    units: np.ndarray,
    size_totals: np.ndarray | None,
    sd: np.ndarray | None = None,
    power: float = 0.5,
) -> np.ndarray:
    """Weights w_h of an allocation method (see the module docstring)."""
    units = np.asarray(units, dtype=np.float64)
    base = units if size_totals is None else np.asarray(size_totals, dtype=np.float64)
    if method == "proportional":
        return base
    if method == "equal":
        return np.ones_like(units)
    if method == "neyman":
        if sd is None:
            raise ValueError("neyman allocation needs sd")
        return units * np.asarray(sd, dtype=np.float64)
    if method == "power":
        return base**power
    raise ValueError(f"unknown allocation {method!r}")


def allocate(
    n: int,
    weights: np.ndarray,
    capacity: np.ndarray,
    minimum: int = 1,
    labels: Sequence[str] | None = None,
    source: str | None = None,
) -> np.ndarray:
    """Allocate ``n`` units among strata in proportion to ``weights``, within bounds.

    Parameters
    ----------
    n
        Total sample size.
    weights
        Allocation weight per stratum (at least 0).
    capacity
        Units available per stratum (the most it can give).
    minimum
        Least units per stratum (capped at the stratum's capacity).
    labels, source
        Stratum names and design file, for error messages.

    Returns
    -------
    numpy.ndarray
        Integer n_h per stratum, summing to ``n``.

    Raises
    ------
    DesignError
        When the strata together cannot give ``n`` units, or the minimum exceeds ``n``.
    """
    w = np.asarray(weights, dtype=np.float64)
    hi = np.asarray(capacity, dtype=np.int64)
    lo = np.minimum(minimum, hi)
    if n > hi.sum():
        raise DesignError(
            "the sample size is larger than the number of communities that can be drawn",
            file=source, field="stage1.n", expected=f"at most {int(hi.sum())}", got=str(n),
            hint="Lower n or widen the frame")
    if lo.sum() > n:
        raise DesignError(
            "the minimum per stratum needs more communities than n", file=source,
            field="stage1.minimum", expected=f"n of at least {int(lo.sum())}",
            got=f"n = {n} for {len(hi)} strata", hint="Raise n or lower minimum")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise DesignError("allocation weights must be finite and at least 0", file=source,
                          field="stage1.allocation", got=str(w.tolist()))
    if w[hi > lo].sum() <= 0:
        w = np.where(hi > lo, 1.0, 0.0)

    x = _bounded_shares(n, w, lo.astype(np.float64), hi.astype(np.float64))
    out = np.floor(x + 1e-9).astype(np.int64)
    out = np.clip(out, lo, hi)
    short = n - int(out.sum())
    if short > 0:
        frac = x - out
        frac[out >= hi] = -np.inf
        order = np.lexsort((np.arange(x.size), -frac))
        out[order[:short]] += 1
    elif short < 0:  # pragma: no cover - only on rounding noise
        frac = x - out
        frac[out <= lo] = np.inf
        order = np.lexsort((np.arange(x.size), frac))
        out[order[:-short]] -= 1
    return out


def _bounded_shares(n: int, w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Solve sum_h clip(t w_h, lo_h, hi_h) = n for t exactly and return the shares.

    The sum is piecewise linear and non-decreasing in t with breakpoints lo_h / w_h and
    hi_h / w_h, so t is found on the piece where the sum crosses n.
    """
    pos = w > 0
    if lo.sum() >= n:
        return lo.copy()
    breaks = np.unique(np.concatenate([[0.0], lo[pos] / w[pos], hi[pos] / w[pos]]))
    totals = np.clip(breaks[:, None] * w[None, :], lo, hi).sum(axis=1)
    k = int(np.searchsorted(totals, n, side="left"))
    if k >= breaks.size:  # pragma: no cover - n <= sum(hi) is checked before
        return hi.copy()
    if totals[k] == n or k == 0:
        t = breaks[k]
    else:
        t0, t1, s0, s1 = breaks[k - 1], breaks[k], totals[k - 1], totals[k]
        t = t0 + (n - s0) * (t1 - t0) / (s1 - s0)
    clipped: np.ndarray = np.clip(t * w, lo, hi)
    return clipped


def check_table(
    table: dict[str, int], labels: Sequence[str], capacity: np.ndarray, source: str | None = None,
    what: str = "the communities it has",
) -> np.ndarray:
    """Check a per-stratum table of sizes against the strata found in the frame."""
    unknown = sorted(set(table) - set(labels))
    if unknown:
        raise DesignError("the table of n names a stratum the frame does not have",
                          file=source, field=f"stage1.n.{unknown[0]}",
                          expected="one of " + ", ".join(labels), got=unknown[0])
    missing = [h for h in labels if h not in table]
    if missing:
        raise DesignError("the table of n has no entry for a stratum of the frame",
                          file=source, field="stage1.n", got=f"no entry for {missing[0]!r}",
                          hint=f"Add {missing[0]} = 0 to skip it, or a number to draw")
    out = np.array([table[h] for h in labels], dtype=np.int64)
    for h, want, cap in zip(labels, out, capacity, strict=True):
        if want > cap:
            raise DesignError(f"stratum {h!r} cannot give {want} communities",
                              file=source, field=f"stage1.n.{h}",
                              expected=f"at most {int(cap)} ({what})",
                              got=str(int(want)), hint="Lower n for this stratum")
    return out
