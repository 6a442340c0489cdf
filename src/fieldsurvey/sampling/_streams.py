"""Named random streams: one per stratum, per community and per purpose.

Each stream is spawned from the design's seed with a key made of the stage and a stable
hash of the stratum label or community id, so the draw in one community does not depend
on which other communities exist or in what order they are processed: the two-phase
draw (stage 1 now, stage 2 after listing) gives the same dwellings as the one-shot draw.
"""

from __future__ import annotations

import hashlib

import numpy as np

from fieldsurvey.io.errors import DesignError

__all__ = ["STAGE1", "STAGE2", "TABLES", "resolve_seed", "stream"]

STAGE1, STAGE2, TABLES = 1, 2, 3


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the given one, or fresh entropy (to be recorded) when None."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DesignError("the seed must be a whole number of at least 0", field="seed",
                          got=repr(seed))
    return int(seed)


def _key(value: object) -> int:
    digest = hashlib.sha256(str(value).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def stream(seed: int, purpose: int, name: object = None) -> np.random.Generator:
    """The generator for ``purpose`` (stage 1, stage 2, Kish tables) and a stratum/community."""
    key = (purpose,) if name is None else (purpose, _key(name))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
