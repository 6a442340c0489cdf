"""Probability-proportional-to-size selection without replacement.

Inclusion probabilities (:func:`inclusion_probabilities`): pi_i = n M_i / sum(M); units
with pi_i >= 1 are taken with certainty and the others rescaled,
pi_i = (n - c) M_i / sum_{non-certainty} M, repeated until no probability exceeds one
(the algorithm of R ``sampling::inclusionprobabilities``; Tillé 2006, sec. 2.10).

PPS systematic (:func:`pps_systematic_draw`): over the units in a chosen order, cumulate
pi; with a start u uniform on [0, 1) take the units whose interval [C_{i-1}, C_i)
contains u, u + 1, u + 2, ... (Madow 1949). Certainty units are taken out first. Exact pi;
some pairs have pi_ij = 0.

Brewer's method (:func:`brewer_draw`): n draws; at draw r, with a = sum of pi of the units
already drawn, unit k is drawn with probability proportional to
pi_k (n - a - pi_k) / (n - a - pi_k (n - r + 1)) (Brewer 1975; Tillé 2006, alg. 6.9; R
``sampling::UPbrewer``). Exact pi and every pi_ij > 0. :func:`brewer_joint` computes the
joint probabilities exactly by summing over the draw sequences (merged by the set drawn,
because the next draw depends only on that set).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "brewer_draw",
    "brewer_joint",
    "inclusion_probabilities",
    "pps_systematic_draw",
]

CERTAIN = 1.0 - 1e-9


def inclusion_probabilities(sizes: np.ndarray, n: int) -> np.ndarray:
    """PPS inclusion probabilities of sample size ``n``, with certainty units capped at 1.

    Parameters
    ----------
    sizes
        Measures of size, all finite and at least 0 (zero-size units get pi = 0).
    n
        Sample size, at most the number of units with a positive size.

    Returns
    -------
    numpy.ndarray
        pi, summing to n; equal to R ``sampling::inclusionprobabilities(sizes, n)``.
    """
    a = np.asarray(sizes, dtype=np.float64)
    if a.size == 0 or n == 0:
        return np.zeros(a.size)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError("sizes must be finite and at least 0")
    positive = a > 0
    if n > positive.sum():
        raise ValueError("n larger than the number of units with a positive size")
    pi = np.zeros(a.size)
    certain = np.zeros(a.size, dtype=bool)
    while True:
        rest = positive & ~certain
        pi[rest] = (n - certain.sum()) * a[rest] / a[rest].sum()
        new = rest & (pi >= 1.0)
        if not new.any():
            break
        certain |= new
        pi[certain] = 1.0
    return pi


def _split_certain(pi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Indices of certainty units, of the others, and the others' (integer) sample size."""
    pi = np.asarray(pi, dtype=np.float64)
    certain = np.flatnonzero(pi >= CERTAIN)
    rest = np.flatnonzero(pi < CERTAIN)
    total = pi[rest].sum()
    n_rest = int(round(total))
    if abs(total - n_rest) > 1e-6:
        raise ValueError(f"inclusion probabilities must sum to a whole number, not {pi.sum()}")
    return certain, rest, n_rest


def pps_systematic_draw(pi: np.ndarray, rng: np.random.Generator, reps: int = 1) -> np.ndarray:
    """Draw PPS systematic samples with the given inclusion probabilities, in the given order.

    Returns
    -------
    numpy.ndarray
        Integer array ``(reps, n)`` of 0-based unit positions: certainty units first, then
        the others in increasing order.
    """
    pi = np.asarray(pi, dtype=np.float64)
    certain, rest, n_rest = _split_certain(pi)
    out = np.empty((reps, certain.size + n_rest), dtype=np.int64)
    out[:, : certain.size] = certain
    if n_rest:
        cum = np.cumsum(pi[rest])
        cum *= n_rest / cum[-1]  # remove rounding drift: the last point must fall inside
        points = rng.random(reps)[:, None] + np.arange(n_rest)[None, :]
        idx = np.searchsorted(cum, points, side="right")
        out[:, certain.size :] = rest[np.minimum(idx, rest.size - 1)]
    return out


def brewer_draw(pi: np.ndarray, rng: np.random.Generator, reps: int = 1) -> np.ndarray:
    """Draw samples by Brewer's method (draw by draw) with the given inclusion probabilities.

    Returns
    -------
    numpy.ndarray
        Integer array ``(reps, n)``: certainty units first, then the units in draw order.
    """
    pi = np.asarray(pi, dtype=np.float64)
    certain, rest, n = _split_certain(pi)
    out = np.empty((reps, certain.size + n), dtype=np.int64)
    out[:, : certain.size] = certain
    p = pi[rest]
    taken = np.zeros((reps, rest.size), dtype=bool)
    a = np.zeros(reps)
    rows = np.arange(reps)
    for r in range(1, n + 1):
        left = (n - a)[:, None]
        weight = p * (left - p) / (left - p * (n - r + 1))
        weight[taken] = 0.0
        cum = np.cumsum(weight, axis=1)
        u = rng.random(reps) * cum[:, -1]
        j = np.argmax(cum > u[:, None], axis=1)
        taken[rows, j] = True
        a += p[j]
        out[:, certain.size + r - 1] = rest[j]
    return out


def brewer_joint(pi: np.ndarray, max_states: int = 200_000) -> np.ndarray:
    """Exact joint inclusion probabilities of Brewer's method.

    The draw probabilities at each step depend only on the set already drawn, so the
    probability of every possible sample is accumulated level by level over sets.

    Parameters
    ----------
    pi
        Inclusion probabilities (summing to a whole number).
    max_states
        Refuse populations whose number of possible samples exceeds this.

    Returns
    -------
    numpy.ndarray
        Matrix ``(N, N)`` of pi_ij with pi_ii = pi_i; every pair of units with positive
        pi has pi_ij > 0.
    """
    pi = np.asarray(pi, dtype=np.float64)
    certain, rest, n = _split_certain(pi)
    N = rest.size
    p = pi[rest]
    states = np.zeros((1, N), dtype=bool)
    prob = np.ones(1)
    for r in range(1, n + 1):
        a = states.astype(np.float64) @ p
        left = (n - a)[:, None]
        weight = p * (left - p) / (left - p * (n - r + 1))
        weight[states] = 0.0
        weight /= weight.sum(axis=1, keepdims=True)
        s_idx, j_idx = np.nonzero(weight > 0)
        if s_idx.size > max_states * max(1, n):
            raise ValueError("too many possible samples for exact joint probabilities")
        new = states[s_idx].copy()
        new[np.arange(s_idx.size), j_idx] = True
        new_prob = prob[s_idx] * weight[s_idx, j_idx]
        packed = np.packbits(new, axis=1)
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        if uniq.size > max_states:
            raise ValueError("too many possible samples for exact joint probabilities")
        states = new[first]
        prob = np.asarray(np.bincount(inverse.ravel(), weights=new_prob, minlength=uniq.size),
                          dtype=np.float64)
    s = states.astype(np.float64)
    joint_rest = (s * prob[:, None]).T @ s
    joint = np.outer(pi, pi) * 0.0
    joint[np.ix_(rest, rest)] = joint_rest
    joint[np.ix_(certain, np.arange(pi.size))] = pi[None, :]
    joint[np.ix_(np.arange(pi.size), certain)] = pi[:, None]
    return joint
