"""Replicate weights made from a design (R's ``as.svrepdesign``): JK1, JKn, bootstraps, BRR.

The design they make, its variance (R's ``svrVar``) and its re-calibration are
:class:`~.replicate_design.ReplicateDesign` (importable from here too).

Built from a design as R's ``as.svrepdesign`` (first-stage FPC only; the jackknives and BRR
give R's replicates exactly, the bootstraps are random):

* ``jk1`` (unstratified): drop one PSU, others x n/(n-1); scale (1-f)(n-1)/n.
* ``jkn`` (stratified): per stratum h and PSU, drop it, others in h x n_h/(n_h-1); rscale
  (1-f_h)(n_h-1)/n_h. Strata with f_h = 1 give no replicate. One-PSU strata follow the
  design's lonely-PSU rule as R's ``jknweights``: fail, skip (remove / certainty /
  average, the latter with scale = PSUs / replicates), or ``adjust``: one replicate that
  zeroes the PSU and multiplies every other PSU by H/(H-1), rscale (H-1)/H.
* ``bootstrap``: Rao-Wu (1988) rescaling bootstrap with m_h = n_h - 1 draws with
  replacement per stratum: factor 1 - lambda + lambda n_h/m_h r_hi, lambda = sqrt(1 - f_h);
  scale 1/(B-1). Without FPC this is R's ``subbootstrap``. One-PSU strata keep factor 1
  (no variance) unless the rule is ``fail``. (R's ``type="bootstrap"`` resamples otherwise:
  n_h PSUs with replacement, or with an FPC without replacement from a pseudo-population of
  N_h, scale n/((n-1)(B-1)) with n the harmonic mean of the n_h; both estimate the same
  variance, their replicates differ.)
* ``subbootstrap``: R's subbootstrap, the same resampling with the FPC ignored (lambda = 1).
* ``mrbbootstrap``: R's ``mrbweights``, Preston's multistage rescaled bootstrap: every stage
  of a design with FPCs (Brewer: the first PSU's pi of each stratum, as R reads it), the
  first stage without; factors per finest unit, rscales 1/(B-1).
* ``brr`` (two PSUs per stratum; strata with an even number are split into pairs, R's
  ``large="split"``): R's default Hadamard matrix (the smallest that
  ``survey::hadamard`` gives, :mod:`.hadamard`), rows 2..H+1 choosing the half-sample with
  strata and PSUs in R's order, so the replicates are R's; factors 2 / 0 (Fay: 2-rho /
  rho); scale 1 / (R (1-rho)^2).

PPS designs, as R's ``as.svrepdesign``: for ``pps="brewer"`` R's first-stage FPC is the
population size n_h / pi, so ``jk1`` needs one pi for all PSUs and ``jkn`` / ``bootstrap``
one pi per stratum (then 1 - n_h/N_h = 1 - pi_h); ``subbootstrap`` ignores the FPC and ``brr``
drops it, so they take any Brewer design; later stages' probabilities are dropped, as R
does, except by ``mrbbootstrap``, which uses every stage. R makes no replicates of
``overton``, ``hr`` or ``ppsmat`` designs (every type stops), and neither does this module:
it says which variance and which replicates to use.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from fieldsurvey.estimate._replicate_factors import (
    brr_factors,
    jkn_factors,
    mrb_factors,
    psu_structure,
    rao_wu_factors,
)
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.estimate.replicate_design import ReplicateDesign, ReplicateGroups, svrvar
from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.rng import RandomState

__all__ = ["REPLICATE_TYPES", "ReplicateDesign", "ReplicateGroups", "as_replicate", "svrvar"]

ReplicateType = Literal["jk1", "jkn", "bootstrap", "subbootstrap", "mrbbootstrap", "brr"]
REPLICATE_TYPES: tuple[str, ...] = ("jk1", "jkn", "bootstrap", "subbootstrap", "mrbbootstrap",
                                    "brr")


# -- building replicate weights from a design --------------------------------------------------
def as_replicate(
    design: SurveyDesign,
    type: ReplicateType = "jkn",
    *,
    replicates: int = 50,
    rng: RandomState = None,
    fay_rho: float = 0.0,
    mse: bool = False,
) -> ReplicateDesign:
    """R's ``as.svrepdesign(design, type=...)``; see the module docstring for each type.

    Raises
    ------
    DesignError
        JK1 for a stratified design, JKn/BRR for an unstratified one, an Overton, Hartley-Rao
        or ppsmat design, a Brewer design whose pi vary where R needs one FPC (JK1 / JKn /
        bootstrap), BRR with strata that do not have exactly two PSUs, a lonely PSU under
        ``fail``, or every stratum a census.
    """
    t = type.lower()
    if design.calibration:
        raise DesignError(
            "replicate weights from a calibrated design would not re-calibrate the replicates",
            field="replicates", got=design.variance_method,
            hint="Make the replicates from the design before calibrating, then calibrate them "
            "(as_replicate(design, ...).rake(...)), as the CLI does with --replicates --rake",
        )
    if design.pps is not None and design.pps != "brewer":
        raise DesignError(
            f"replicate weights are not made for pps={design.pps!r} designs (R's "
            "as.svrepdesign stops on Overton, Hartley-Rao and ppsmat designs for every type)",
            file=design.source, field="replicates", got=repr(type),
            hint=f"Use the design's own {design.variance_method} variance (no replicates), or "
            "describe the sample with pps brewer and make subbootstrap or mrbbootstrap "
            "replicates (jk1, jkn or bootstrap when pi is equal within strata; brr for two PSUs "
            "per stratum)",
        )
    if t not in REPLICATE_TYPES:
        raise DesignError("unknown replicate type", field="replicates",
                          expected=" | ".join(REPLICATE_TYPES), got=repr(type))
    if t == "jk1" and design.has_strata:
        raise DesignError("JK1 cannot be used for a stratified design", field="replicates",
                          hint="Use jkn (one replicate per PSU, within strata)")
    if t in ("jkn", "brr") and not design.has_strata:
        raise DesignError(f"{t} needs a stratified design", field="replicates",
                          hint="Use jk1 or bootstrap for an unstratified design")
    if t == "mrbbootstrap":
        f = mrb_factors(design, replicates, rng)
        return ReplicateDesign(
            design.data, design.weights, design.row_unit, f, design.weights, type=t,
            scale=1.0, rscales=np.full(replicates, 1.0 / (replicates - 1)), mse=mse,
            source=design.source,
        )
    psu_stratum, npsu, fpcf = psu_structure(design, t)
    n_psu = psu_stratum.size
    f_psu = np.zeros(n_psu) if fpcf is None else 1 - fpcf[psu_stratum]  # sampling fraction
    if t == "jk1":
        fac = 1.0 if fpcf is None else float(fpcf[0])
        f = np.full((n_psu, n_psu), n_psu / (n_psu - 1))
        np.fill_diagonal(f, 0.0)
        if fac == 0:
            f = f[:, :0]
        scale, rscales = fac * (n_psu - 1) / n_psu, np.ones(f.shape[1])
    elif t == "jkn":
        f, scale, rscales = jkn_factors(design, psu_stratum, npsu, fpcf)
    elif t in ("bootstrap", "subbootstrap"):
        f = rao_wu_factors(design, psu_stratum, npsu, f_psu, replicates, rng)
        scale, rscales = 1.0 / (replicates - 1), np.ones(replicates)
    else:
        f = brr_factors(design, psu_stratum, npsu, fay_rho)
        scale, rscales = 1.0 / (f.shape[1] * (1 - fay_rho) ** 2), np.ones(f.shape[1])
        t = "brr" if fay_rho == 0 else "fay"
    return ReplicateDesign(
        design.data, design.weights, design.stage1_cluster, f, design.weights,
        type=t, scale=scale, rscales=rscales, mse=mse, source=design.source,
    )
