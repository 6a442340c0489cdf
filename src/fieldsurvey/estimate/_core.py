"""The two variance engines behind every estimator, on arrays.

Every statistic here is a ratio of weighted totals theta_d = Y_d / X_d per domain d
(a mean has x = 1; a total has no denominator). With a :class:`SurveyDesign` its
variance is the Taylor variance of the influence values

    z_i = w_i (y_i - theta_d x_i) / X_d     (total: z_i = w_i y_i),

zero outside the domain (R's ``svymean``/``svyratio``/``svytotal`` on the subset design);
with a :class:`ReplicateDesign` it is ``svrVar`` of the replicate ratios Y_rd / X_rd.

The design effect is R's ``deff=TRUE``: the variance over that of a simple random sample
without replacement of the same size,
``s^2(u) W^2 (W - n) / (W n)`` with u the residual (y - theta x) / X (y for a total),
s^2 the weighted variance with divisor (n - 1)/n, W the domain's weight total and n its
respondents (with non-zero weight; every row for replicate designs, as R). When W < n it
is NaN (R: "are weights correctly scaled?"). For replicate designs R's own ``svyratio``
cannot compute a deff (survey 4.1 fails); fieldsurvey uses the same formula as for Taylor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fieldsurvey.estimate import taylor
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.estimate.replicate import ReplicateDesign

__all__ = ["RatioResult", "ratio_stat"]

Design = SurveyDesign | ReplicateDesign


@dataclass(frozen=True)
class RatioResult:
    """Per-domain arrays of a ratio-type statistic."""

    estimate: np.ndarray
    var: np.ndarray
    deff: np.ndarray
    n: np.ndarray
    thetas: np.ndarray | None  # replicate estimates (replicates, domains), replicate designs


def _bincount(dom: np.ndarray, keep: np.ndarray, v: np.ndarray | None, count: int) -> np.ndarray:
    if keep.all():
        return np.bincount(dom, weights=v, minlength=count)
    return np.bincount(dom[keep], weights=None if v is None else v[keep], minlength=count)


def ratio_stat(
    design: Design,
    y: np.ndarray,
    x: np.ndarray | None,
    domain: np.ndarray,
    count: int,
    *,
    total: bool = False,
    want_deff: bool = True,
) -> RatioResult:
    """Estimate Y_d / X_d (``x`` None: mean), or Y_d when ``total``, for every domain.

    ``domain`` holds codes 0..count-1, -1 for rows left out (missing y or x, or outside
    every domain); ``y`` and ``x`` must not be NaN on the kept rows.
    """
    keep = domain >= 0
    w = design.weights
    dom0 = np.where(keep, domain, 0)
    yk = np.where(keep, y, 0.0) if not keep.all() else y
    wy = w * yk
    big_y = _bincount(dom0, keep, wy, count)
    if total:
        est = big_y
        big_x = None
    else:
        wx = w if x is None else w * (np.where(keep, x, 0.0) if not keep.all() else x)
        big_x = _bincount(dom0, keep, wx, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = big_y / big_x
    n = _bincount(dom0, keep, None, count).astype(np.int64)
    # residuals u (per row): y for totals, (y - theta x) / X for ratios and means
    if total:
        u = yk
    else:
        xr = 1.0 if x is None else np.where(keep, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = (yk - est[dom0] * xr) / big_x[dom0]
        u = np.where(keep, u, 0.0) if not keep.all() else u
    thetas = None
    if isinstance(design, SurveyDesign):
        t, present = taylor.unit_totals(design, w * u, domain, count)
        var = taylor.variance(design, t, present)
    else:
        rep_y = design.replicate_totals(yk, domain, count)
        if total:
            thetas = rep_y
        else:
            xv = np.ones_like(yk) if x is None else np.where(keep, x, 0.0)
            rep_x = design.replicate_totals(xv, domain, count)
            with np.errstate(invalid="ignore", divide="ignore"):
                thetas = rep_y / rep_x
        var = design.variance(thetas, est)
    deff = _deff(design, u, w, dom0, keep, count, var) if want_deff else np.full(count, np.nan)
    return RatioResult(est, var, deff, n, thetas)


def _deff(
    design: Design,
    u: np.ndarray,
    w: np.ndarray,
    dom0: np.ndarray,
    keep: np.ndarray,
    count: int,
    var: np.ndarray,
) -> np.ndarray:
    big_w = _bincount(dom0, keep, w, count)
    if isinstance(design, SurveyDesign):
        nobs = _bincount(dom0, keep & (w != 0), None, count)
    else:
        nobs = _bincount(dom0, keep, None, count)
    with np.errstate(invalid="ignore", divide="ignore"):
        ubar = _bincount(dom0, keep, w * u, count) / big_w
        dev = u - ubar[dom0]
        s2 = nobs / (nobs - 1) * _bincount(dom0, keep, w * dev * dev, count) / big_w
        vsrs = s2 * big_w**2 * (big_w - nobs) / (big_w * nobs)
        out = var / vsrs
    return np.where(big_w < nobs, np.nan, out)


def logit_ci(
    design: Design,
    p: np.ndarray,
    var: np.ndarray,
    thetas: np.ndarray | None,
    df: np.ndarray,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``svyciprop(method="logit")``: expit(logit p -/+ t_df se(logit p)).

    Taylor: se(logit p) = se(p) / (p (1 - p)) (the intercept of a quasi-binomial
    ``svyglm``); replicate designs: ``svrVar`` of the replicates' logits. p = 0 or 1
    gives the degenerate interval (p, p).
    """
    from scipy.stats import t as student_t

    with np.errstate(invalid="ignore", divide="ignore"):
        if thetas is None:
            se_l = np.sqrt(var) / (p * (1 - p))
        else:
            logits = np.log(thetas / (1 - thetas))
            logits[~np.isfinite(logits)] = np.nan
            est_l = np.log(p / (1 - p))
            se_l = np.sqrt(design.variance(logits, est_l))  # type: ignore[union-attr]
        q = np.where(df > 0, student_t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)
        lp = np.log(p / (1 - p))
        lo = 1 / (1 + np.exp(-(lp - q * se_l)))
        hi = 1 / (1 + np.exp(-(lp + q * se_l)))
    edge = (p <= 0) | (p >= 1)
    return np.where(edge, p, lo), np.where(edge, p, hi)


def domain_degf(design: Design, domain: np.ndarray, count: int) -> np.ndarray:
    """R's ``degf`` of each domain's subset design (rows with code d)."""
    if isinstance(design, SurveyDesign):
        ok = (domain >= 0) & (design.weights != 0)
        d = domain[ok]
        pairs_c = np.unique(d * (design.n_psu + 1) + design.stage1_cluster[ok])
        n_strata = int(design.stage1_stratum.max()) + 1
        pairs_s = np.unique(d * (n_strata + 1) + design.stage1_stratum[ok])
        nc = np.bincount(pairs_c // (design.n_psu + 1), minlength=count)
        ns = np.bincount(pairs_s // (n_strata + 1), minlength=count)
        return (nc - ns).astype(np.float64)
    return np.array([design.degf(domain == k) for k in range(count)], dtype=np.float64)
