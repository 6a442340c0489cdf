"""Joint inclusion probabilities pi_ij of the stage-1 methods, for design-based variances.

- ``srs``: pi_ij = n (n - 1) / (N (N - 1)).
- ``systematic`` and ``pps_systematic`` (in the given order): the start u is uniform on
  [0, 1) in units of the interval; each unit is drawn for u in an arc of length pi_i of the
  unit circle, so pi_ij is the length of the intersection of two arcs. The circle is cut at
  every fractional cumulative probability, the sample is constant on each piece, and
  pi_ij = sum over pieces of length · 1[i and j drawn] (as R ``sampling::UPsystematicpi2``).
  Many pairs have pi_ij = 0: the reason to prefer Brewer's method when unbiased variance
  estimates are wanted.
- ``pps_brewer``: exact, from :func:`.pps.brewer_joint`; every pi_ij > 0.
- ``take_all``: 1.
"""

from __future__ import annotations

import numpy as np

from fieldsurvey.sampling.pps import CERTAIN, brewer_joint

__all__ = ["joint_inclusion", "systematic_joint"]


def systematic_joint(pi: np.ndarray) -> np.ndarray:
    """Exact pi_ij of (PPS) systematic sampling over units in the given order."""
    pi = np.asarray(pi, dtype=np.float64)
    certain = pi >= CERTAIN
    rest = np.flatnonzero(~certain)
    p = pi[rest]
    joint = np.outer(pi, pi)  # certainty rows/columns: pi_ij = pi_j (or pi_i)
    n = int(round(p.sum()))
    if rest.size:
        cum = np.concatenate([[0.0], np.cumsum(p)])
        cum *= n / cum[-1] if cum[-1] > 0 else 1.0
        cuts = np.unique(np.concatenate([[0.0, 1.0], np.mod(cum, 1.0)]))
        cuts = cuts[(cuts >= 0) & (cuts <= 1)]
        length = np.diff(cuts)
        keep = length > 1e-15
        mids = (cuts[:-1] + cuts[1:])[keep] / 2
        length = length[keep]
        points = mids[:, None] + np.arange(n)[None, :]
        idx = np.minimum(np.searchsorted(cum[1:], points, side="right"), rest.size - 1)
        ind = np.zeros((mids.size, rest.size))
        ind[np.arange(mids.size)[:, None], idx] = 1.0
        joint[np.ix_(rest, rest)] = (ind * length[:, None]).T @ ind
    return joint


def joint_inclusion(pi: np.ndarray, method: str) -> np.ndarray:
    """Joint inclusion probabilities of a stratum drawn with ``method``.

    Parameters
    ----------
    pi
        The units' inclusion probabilities, in the order the method runs over them (the
        design's sort order for the systematic methods).
    method
        A stage-1 method name.

    Returns
    -------
    numpy.ndarray
        ``(N, N)`` matrix with pi_ii = pi_i.
    """
    pi = np.asarray(pi, dtype=np.float64)
    N = pi.size
    if method == "take_all":
        return np.ones((N, N))
    if method == "srs":
        n = int(round(pi.sum()))
        joint = np.full((N, N), n * (n - 1) / (N * (N - 1)) if N > 1 else 0.0)
        np.fill_diagonal(joint, pi)
        return joint
    if method in ("systematic", "pps_systematic"):
        return systematic_joint(pi)
    if method == "pps_brewer":
        return brewer_joint(pi)
    raise ValueError(f"unknown stage-1 method {method!r}")
