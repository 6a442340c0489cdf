"""Simple random sampling without replacement (SRS WOR).

Every unit has inclusion probability pi = n / N and every pair pi_ij = n(n-1) / (N(N-1))
(Cochran 1977, ch. 2). Draws are vectorised over replications so that a simulation can
check the probabilities with thousands of samples at once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["srs_draw", "srs_probabilities"]


def srs_probabilities(N: int, n: int) -> np.ndarray:
    """Inclusion probabilities n / N of the N units (take-all when n >= N)."""
    if N <= 0:
        return np.zeros(0)
    return np.full(N, min(n, N) / N)


def srs_draw(N: int | np.ndarray, n: int, rng: np.random.Generator, reps: int = 1) -> np.ndarray:
    """Draw ``n`` of ``N`` units without replacement, in random (draw) order.

    Parameters
    ----------
    N
        Population size, or one size per replication (each at least ``n``).
    n
        Sample size.
    rng
        The random generator.
    reps
        Number of independent replications.

    Returns
    -------
    numpy.ndarray
        Integer array of shape ``(reps, n)``: 0-based positions, in the random order drawn,
        so that a prefix of a row is itself an SRS.
    """
    sizes = np.broadcast_to(np.asarray(N, dtype=np.int64), (reps,))
    if n == 0:
        return np.zeros((reps, 0), dtype=np.int64)
    if np.any(sizes < n):
        raise ValueError("srs_draw: n larger than N")
    if reps == 1:
        return rng.choice(int(sizes[0]), size=n, replace=False).astype(np.int64)[None, :]
    width = int(sizes.max())
    keys = rng.random((reps, width))
    keys[np.arange(width)[None, :] >= sizes[:, None]] = np.inf
    part = np.argpartition(keys, n - 1, axis=1)[:, :n] if n < width else np.argsort(keys, axis=1)
    order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)
