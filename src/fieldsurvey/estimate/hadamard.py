"""Hadamard matrices for BRR exactly as R's ``survey::hadamard(n)`` chooses them.

R uses the smallest suitable matrix: one of its precooked matrices of order 4, 16, 28 or 36
when the order fits (n strata need an order above n), otherwise Paley's construction from a
prime p = 3 (mod 4), or a precooked matrix doubled (``rbind(cbind(H, H), cbind(H, 1 - H))``).
Matrices are 0/1 (R's coding); row 1 is all ones and rows 2..n+1 assign the strata.
"""

from __future__ import annotations

import numpy as np

from fieldsurvey.estimate._hadamard import PRECOOKED

__all__ = ["r_hadamard"]

_SIZES = (4, 16, 28, 36)


def _small_primes(limit: int = 7919) -> list[int]:
    """Primes p <= limit with p = 3 (mod 4) (R's ``small.primes`` in ``paley``)."""
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return [int(p) for p in np.flatnonzero(sieve) if p % 4 == 3]


_PRIMES = _small_primes()


def _precooked(order: int) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in PRECOOKED[order]], dtype=np.int64)


def _doubler(h: np.ndarray) -> np.ndarray:
    return np.block([[h, h], [h, 1 - h]])


def _paley_prime(p: int) -> np.ndarray:
    """R's Paley construction for the prime p (order p + 1)."""
    m = np.add.outer(np.arange(p), np.arange(p)) % p
    res = {0, 1} | {(i * i) % p for i in range(2, (p - 1) // 2 + 1)}
    body = np.where(np.isin(m, list(res)), 0, 1)
    top = np.ones((1, p), dtype=np.int64)
    return np.column_stack([np.ones(p + 1, dtype=np.int64), np.vstack([top, body])])


def _paley(n: int, nmax: int) -> np.ndarray | None:
    """R's ``paley(n, nmax)`` without a given prime."""
    nceil = nn = n + 4 - (n % 4)
    if (n % 4) + 4 == (n % 8):
        while nn % 8 == 0:
            nn //= 2
        if (nn - 1) in _PRIMES:
            m = _paley_prime(nn - 1)
            while nn < nceil:
                m = _doubler(m)
                nn *= 2
            return m
    if n > _PRIMES[-1]:
        return None
    p = min(q for q in _PRIMES if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3, 2 * (nceil + 3))
    if p > nmax:
        return None
    return _paley_prime(p)


def r_hadamard(n: int) -> np.ndarray:
    """R's ``survey:::hadamard(n)``: a 0/1 Hadamard matrix with more than n rows."""
    m = n - (n % 4)
    fits = [s for s in _SIZES if m < s <= m + 4]
    if fits:
        return _precooked(min(fits))
    if all(m < s for s in _SIZES):
        return _precooked(4)
    sizes = [s * 2 ** max(0, int(np.ceil(np.log2((n + 1) / s)))) for s in _SIZES]
    best = int(np.argmin([s - n for s in sizes]))
    h = None
    if sizes[best] - n > 4:
        h = _paley(n, sizes[best])
    if h is None:
        doubles = int(np.ceil(np.log2(sizes[best] / _SIZES[best])))
        h = _precooked(_SIZES[best])
        for _ in range(doubles):
            h = _doubler(h)
    return h
