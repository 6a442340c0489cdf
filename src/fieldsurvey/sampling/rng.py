"""Explicit randomness: resolve a seed into a Generator, and derive child streams.

Nothing in fieldsurvey touches numpy's global random state. Functions that draw take
``rng: RandomState`` and call :func:`resolve_rng`; multi-stage procedures derive one
independent child stream per stage or stratum with :func:`child_rngs`, so adding a
stratum does not change the draws of the others.
"""

from __future__ import annotations

import numpy as np

RandomState = int | np.random.Generator | np.random.SeedSequence | None

__all__ = ["RandomState", "child_rngs", "resolve_rng"]


def _check_seed(seed: object) -> None:
    """A user's seed must be a whole number >= 0 (numpy refuses negative seeds)."""
    if isinstance(seed, (int, np.integer)) and seed < 0:
        from fieldsurvey.io.errors import InputError

        raise InputError("the seed must be a whole number of at least 0", field="seed",
                         got=str(seed), hint="Use e.g. --seed 20261121")


def resolve_rng(rng: RandomState) -> np.random.Generator:
    """Return a numpy Generator for an int seed, a SeedSequence, a Generator or None."""
    _check_seed(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(rng))
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int, a SeedSequence, a Generator or None, not {type(rng)!r}")


def child_rngs(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.Generator]:
    """Return ``n`` independent generators spawned from one seed (one per stage or stratum)."""
    _check_seed(seed)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(n)]
