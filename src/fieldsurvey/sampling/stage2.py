"""Stage 2: dwellings drawn within each selected community, with segments and a reserve.

In community i with N_i eligible dwellings in geographic order:

- Segmentation (大社区分割): with ``segment_size`` S and N_i > 2 S, the community is cut
  into K = floor(N_i / S) contiguous segments of nearly equal size (each at least S) in
  geographic order; one segment g is chosen with probability P_g = N_g / N_i.
- In the community (or segment) of N_g dwellings, t = min(m + reserve, N_g) dwellings are
  drawn, systematically with a random start in geographic order or by SRS, and put in a
  random order. The first min(m, t) are the main sample; the rest are the reserve, released
  in that order.
- A dwelling is among the first m' of a random order of a sample of t, so
  pi_{j|i} = P_g · (t / N_g) · (m' / t) = P_g · m' / N_g (m' / N_i without segments,
  1 when N_g <= m: take all). Releasing reserve raises m' and the probabilities stay known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fieldsurvey.sampling.srs import srs_draw
from fieldsurvey.sampling.systematic import systematic_draw

__all__ = ["Within", "draw_within", "segment_edges", "within_probabilities"]


@dataclass(frozen=True)
class Within:
    """Stage-2 draws in one community, for ``reps`` replications."""

    positions: np.ndarray
    """(reps, t) positions in the community's eligible order, in release order."""
    main: int
    """The first ``main`` positions of each row are the main sample."""
    segment: np.ndarray
    """(reps,) segment chosen (-1 when the community is not split)."""
    segment_n: np.ndarray
    """(reps,) eligible dwellings in the chosen segment (N_i when not split)."""
    pi_segment: np.ndarray
    """(reps,) probability of the chosen segment (1 when not split)."""


def segment_edges(N: int, segment_size: int | None) -> np.ndarray | None:
    """Edges of the contiguous segments of a community of N dwellings (None: not split)."""
    if segment_size is None or N <= 2 * segment_size:
        return None
    k = N // segment_size
    return (np.arange(k + 1, dtype=np.int64) * N) // k


def draw_within(N: int, m: int, reserve: int, method: str, segment_size: int | None,
                rng: np.random.Generator, reps: int = 1) -> Within:
    """Draw the main sample and reserve in a community of N eligible dwellings."""
    edges = segment_edges(N, segment_size)
    if edges is None:
        segment = np.full(reps, -1, dtype=np.int64)
        offset = np.zeros(reps, dtype=np.int64)
        size = np.full(reps, N, dtype=np.int64)
    else:
        segment = np.searchsorted(edges[1:], rng.random(reps) * N, side="right")
        offset = edges[segment]
        size = edges[segment + 1] - offset
    t = int(min(m + reserve, size.min())) if N else 0
    if method == "systematic":
        pos = systematic_draw(size, t, rng, reps)
    elif method == "srs":
        pos = srs_draw(size, t, rng, reps)
    else:
        raise ValueError(f"unknown stage-2 method {method!r}")
    if reps == 1:
        pos = pos[:, rng.permutation(t)]
    else:
        pos = np.take_along_axis(pos, np.argsort(rng.random((reps, t)), axis=1), axis=1)
    pi_seg = size / N if N else np.ones(reps)
    return Within(positions=pos + offset[:, None], main=min(m, t), segment=segment,
                  segment_n=size, pi_segment=np.asarray(pi_seg, dtype=np.float64))


def within_probabilities(N: int, m: int, segment_size: int | None) -> np.ndarray:
    """pi_{j|i} of the main sample for each of the N eligible positions (see module doc)."""
    edges = segment_edges(N, segment_size)
    if edges is None:
        return np.full(N, min(m, N) / N) if N else np.zeros(0)
    sizes = np.diff(edges)
    per_segment = (sizes / N) * np.minimum(m, sizes) / sizes
    return np.repeat(per_segment, sizes)
