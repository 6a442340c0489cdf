r"""PPS sampling without replacement: Brewer, Overton, Hartley-Rao and exact joint probabilities.

As R's ``svydesign(id=~1, fpc=~pi, pps=...)`` (Berger 2004; Lumley 2010, 2.5), with the
stage-1 inclusion probabilities :math:`\pi_i` in the FPC column (sampling fractions <= 1):

* ``brewer``: Brewer's approximation, through the ordinary design with a PSU-level FPC,
  :math:`V = \sum_h \frac{n_h}{n_h-1}\sum_{i\in h}(1-\pi_i)(t_i-\bar t_h)^2`;
* ``overton``, ``hr`` and ``ppsmat``: the Horvitz-Thompson variance
  :math:`V = \sum_{ij}\check\Delta_{ij} t_i t_j` (or Yates-Grundy,
  :math:`V_{HT} - \sum_{ij}\check\Delta_{ij} t_j^2`) with :math:`t_i` the PSU totals of the
  influence values and :math:`\check\Delta_{ij} = (\pi_{ij}-\pi_i\pi_j)/\pi_{ij}`, zero
  between strata and :math:`1-\pi_i` on the diagonal. Overton approximates
  :math:`\check\Delta_{ij} = 1 - (n - \bar f_{ij})/(n-1)` with
  :math:`\bar f_{ij} = (\pi_i+\pi_j)/2`; Hartley-Rao
  :math:`1 - (n - \pi_i - \pi_j + \overline{\pi^2})/(n-1)` with
  :math:`\overline{\pi^2}` given (R's ``HR(psum)``: the population's
  :math:`\sum\pi^2/n`) or, as R's ``HR()``, the stratum's mean :math:`\pi`; ``ppsmat``
  takes the sample's joint probabilities (:func:`fieldsurvey.sampling.joint.joint_inclusion`
  gives them for a drawn stratum) and sets entries below ``tolerance`` to zero (R's
  ``ppsmat(..., tolerance=1e-4)``).

A negative variance estimate (possible with the Overton and Hartley-Rao approximations in
small samples) is reported as NaN, which is R's SE there.
"""

from __future__ import annotations

import numpy as np

from fieldsurvey.io.errors import DesignError

__all__ = ["PPS_METHODS", "dcheck_matrix", "dcheck_variance"]

PPS_METHODS: tuple[str, ...] = ("brewer", "overton", "hr", "ppsmat")


def dcheck_matrix(method: str, pi: np.ndarray, stratum: np.ndarray, *,
                  p2bar: float | None = None, joint: np.ndarray | None = None,
                  tolerance: float = 1e-4) -> np.ndarray:
    """The weighted covariance matrix of the sample indicators, PSUs in code order."""
    same = stratum[:, None] == stratum[None, :]
    n_h = np.bincount(stratum).astype(np.float64)[stratum]
    if method == "ppsmat":
        assert joint is not None
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (joint - np.outer(np.diag(joint), np.diag(joint))) / joint
        d[np.abs(d) < tolerance] = 0.0
        return np.asarray(d)
    n = n_h[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "overton":
            fbar = (pi[:, None] + pi[None, :]) / 2
            d = 1 - (n - fbar) / (n - 1)
            cut = ~same | (fbar == 1)
        else:  # Hartley-Rao
            if p2bar is None:
                mean_pi = np.bincount(stratum, weights=pi) / np.bincount(stratum)
                p2 = mean_pi[stratum][:, None]
            else:
                p2 = np.full((pi.size, 1), float(p2bar))
            fsum = pi[:, None] + pi[None, :]
            d = 1 - (n - fsum + p2) / (n - 1)
            cut = ~same | (fsum == 1)
    d = np.where(cut, 0.0, d)
    np.fill_diagonal(d, 1 - pi)
    return np.asarray(d)


def dcheck_variance(d: np.ndarray, t: np.ndarray, yates_grundy: bool) -> np.ndarray:
    """HT (or YG) variance of the total of each column of the PSU totals ``t``."""
    dt = d @ t
    v = np.einsum("ij,ij->j", t, dt)
    if yates_grundy:
        v = v - d.sum(axis=0) @ (t * t)
    # the approximations can give a negative variance; R's SE is then NaN
    return np.asarray(np.where(v < 0, np.nan, v))


def check_probabilities(pi: np.ndarray, source: str | None, field: str | None) -> None:
    """Refuse inclusion probabilities outside (0, 1]."""
    bad = ~np.isfinite(pi) | (pi <= 0) | (pi > 1)
    if bad.any():
        raise DesignError(
            "PPS designs need the PSUs' inclusion probabilities (0 < pi <= 1) in the FPC column",
            file=source, field=field, expected="numbers in (0, 1]",
            got=f"{float(pi[np.flatnonzero(bad)[0]]):g}",
            hint="Give the stage-1 inclusion probabilities (the sample's pi_1), not population "
            "sizes",
        )
