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

Several stages (R's ``svydesign(id=~psu+ssu, fpc=~pi1+pi2, pps=...)``): only ``brewer``,
with every stage's inclusion probabilities in its FPC column; the variance is R's
``multistage`` recursion with each cluster's own 1 - pi and the later stages weighted by the
pi above them. R refuses several stages of ids for ``overton``, ``HR()`` and ``ppsmat()``
("Multistage PPS sampling not supported [with this method]"), and so does this module, with
R's words. One-stage designs of clusters (several rows per PSU) work with every method
(``ppsmat`` needs one row per PSU: its matrix is per row, as in R). Brewer has no
Yates-Grundy form (R: "Only variance='HT' supported for this design").

A negative variance estimate (possible with the Overton and Hartley-Rao approximations in
small samples) is reported as NaN, which is R's SE there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fieldsurvey.estimate._columns import numeric_column
from fieldsurvey.io.errors import DesignError
from fieldsurvey.io.tables import file_row

if TYPE_CHECKING:
    from fieldsurvey.estimate.design import SurveyDesign

__all__ = ["PPS_METHODS", "check_pps_arguments", "dcheck_matrix", "dcheck_variance",
           "pps_probabilities"]

PPS_METHODS: tuple[str, ...] = ("brewer", "overton", "hr", "ppsmat")


def dcheck_matrix(method: str, pi: np.ndarray, stratum: np.ndarray, *,
                  p2bar: float | np.ndarray | None = None, joint: np.ndarray | None = None,
                  tolerance: float = 1e-4) -> np.ndarray:
    """The weighted covariance matrix of the sample indicators, PSUs in code order.

    ``p2bar`` (Hartley-Rao): one number, or one per stratum code (R's ``HR(psum, strata)``).
    """
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
                p2 = np.broadcast_to(np.asarray(p2bar, dtype=np.float64), (stratum.max() + 1,)
                                     )[stratum][:, None]
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
        said = ("fpc must be specified as sampling fraction for PPS sampling (R's words): "
                if bool((pi[np.isfinite(pi)] > 1).any()) else "")
        raise DesignError(
            said + "PPS designs need the PSUs' inclusion probabilities (0 < pi <= 1) in the "
            "FPC column",
            file=source, field=field, expected="numbers in (0, 1]",
            got=f"{float(pi[np.flatnonzero(bad)[0]]):g}",
            hint="Give the stage-1 inclusion probabilities (the sample's pi_1), not population "
            "sizes",
        )


def check_pps_arguments(design: SurveyDesign, pps: str, n_stages: int,
                        joint: np.ndarray | None, variance: str) -> None:
    """Refuse a PPS specification R's ``svydesign`` refuses (with R's reason)."""
    source = design.source
    if pps not in PPS_METHODS:
        raise DesignError("unknown PPS method", file=source, field="pps",
                          expected=" | ".join(PPS_METHODS), got=repr(pps))
    if n_stages > 1 and pps != "brewer":
        # R's survey:::pps_design.character / .HR / .ppsmat refuse several stages of ids
        said = ("Multistage PPS sampling not supported" if pps == "ppsmat"
                else "Multistage PPS sampling not supported with this method")
        raise DesignError(
            f"{said} (as R's svydesign: pps={pps!r} takes one stage of ids; only Brewer's "
            "approximation takes several)",
            file=source, field=",".join(design.ids),
            expected="one cluster id column with pps " + repr(pps),
            got=f"{n_stages} stages of ids",
            hint="Use pps brewer for a multistage design (the per-stage inclusion "
            "probabilities as fpc, e.g. pi1,pi2), or give only the first-stage cluster id",
        )
    if variance not in ("HT", "YG"):
        raise DesignError("the PPS variance is HT or YG", field="pps_variance",
                          got=repr(variance))
    if pps == "brewer" and variance != "HT":
        raise DesignError(
            "Only variance='HT' supported for this design (as R's svydesign: Brewer's "
            "approximation has no Yates-Grundy form)", file=source, field="pps_variance",
            expected="HT", got=repr(variance),
            hint="Drop the Yates-Grundy option, or use pps overton | hr | ppsmat for it",
        )
    if pps == "ppsmat" and joint is None:
        raise DesignError("ppsmat needs the sample's joint inclusion probabilities",
                          file=source, field="joint",
                          hint="Give a square matrix, one row and column per sampled PSU")
    if pps != "ppsmat" and len(design.fpc_columns) != n_stages:
        raise DesignError(f"pps={pps!r} needs the inclusion probabilities as fpc, one "
                          "column per stage", file=source, field="fpc",
                          hint="Give the stage-1 inclusion probabilities (pi_1), and pi_2 "
                          "for a second stage")


def _joint_probabilities(design: SurveyDesign, joint: np.ndarray, rep: np.ndarray,
                         n_clusters: int) -> np.ndarray:
    """The PSUs' inclusion probabilities from the joint matrix's diagonal (checked)."""
    source = design.source
    j = np.asarray(joint, dtype=np.float64)
    if j.ndim != 2 or j.shape[0] != j.shape[1] or j.shape[0] != design.n:
        raise DesignError(
            "the joint inclusion probabilities must be a square matrix with one row "
            "and column per respondent row", file=source, field="joint",
            expected=f"{design.n} x {design.n}", got=" x ".join(map(str, j.shape)),
        )
    if n_clusters != design.n:
        raise DesignError("ppsmat needs one row per PSU", file=source,
                          field=",".join(design.ids) or None)
    if not np.allclose(j, j.T, rtol=1e-10, atol=1e-14):
        raise DesignError("the joint inclusion probabilities are not symmetric",
                          file=source, field="joint")
    pi = np.diag(j)[rep]
    check_probabilities(pi, source, "joint")
    if design.fpc_columns:
        given = numeric_column(design.data, design.fpc_columns[0], source)[rep]
        if not np.allclose(given, pi, rtol=1e-8):
            raise DesignError("the FPC column and the diagonal of the joint inclusion "
                              "probabilities disagree", file=source,
                              field=design.fpc_columns[0])
    return np.asarray(pi)


def pps_probabilities(design: SurveyDesign, cluster: np.ndarray, rep: np.ndarray,
                      n_clusters: int, joint: np.ndarray | None,
                      stage: int = 0) -> np.ndarray:
    """Inclusion probability of every cluster of a stage (its FPC column, or joint's diagonal)."""
    if joint is not None:
        return _joint_probabilities(design, joint, rep, n_clusters)
    name = design.fpc_columns[stage]
    vals = numeric_column(design.data, name, design.source)
    pi = vals[rep]
    check_probabilities(pi, design.source, name)
    varies = vals != pi[cluster]
    if varies.any():
        raise DesignError("the inclusion probability varies within a PSU",
                          file=design.source, row=file_row(int(np.flatnonzero(varies)[0])),
                          field=name, expected="one pi per PSU")
    return np.asarray(pi)
