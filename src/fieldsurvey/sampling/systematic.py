"""Equal-probability systematic sampling with a random start and a fractional interval.

With interval k = N / n and a start u uniform on [0, k), the units floor(u + j k),
j = 0 .. n-1, are taken. Because k >= 1 a unit interval [i, i + 1) catches exactly one
point for a set of starts of measure 1, so pi_i = 1 / k = n / N exactly, also when k is
not a whole number (Madow 1949; Cochran 1977, sec. 8.2). Units are taken in the order
given (geographic order for dwellings), so the sample spreads over the map; pairs of
units closer than k apart are never taken together (pi_ij = 0 for them).
"""

from __future__ import annotations

import numpy as np

__all__ = ["systematic_draw"]


def systematic_draw(
    N: int | np.ndarray, n: int, rng: np.random.Generator, reps: int = 1
) -> np.ndarray:
    """Draw a systematic sample of ``n`` among ``N`` ordered units.

    Parameters
    ----------
    N
        Number of units, or one number per replication (each at least ``n``).
    n
        Sample size.
    rng
        The random generator (one uniform start per replication).
    reps
        Number of independent replications.

    Returns
    -------
    numpy.ndarray
        Integer array ``(reps, n)`` of increasing 0-based positions.
    """
    sizes = np.broadcast_to(np.asarray(N, dtype=np.float64), (reps,))
    if n == 0:
        return np.zeros((reps, 0), dtype=np.int64)
    if np.any(sizes < n):
        raise ValueError("systematic_draw: n larger than N")
    k = sizes / n
    start = rng.random(reps) * k
    pos = np.floor(start[:, None] + np.arange(n)[None, :] * k[:, None]).astype(np.int64)
    return np.minimum(pos, (sizes.astype(np.int64) - 1)[:, None])
