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


def _bincount(dom: np.ndarray, keep: np.ndarray | None, v: np.ndarray | None,
              count: int) -> np.ndarray:
    if keep is None:
        return np.bincount(dom, weights=v, minlength=count)
    return np.bincount(dom[keep], weights=None if v is None else v[keep], minlength=count)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS (faster for one long vector, and no BLAS threads)."""
    return float(np.einsum("i,i->", a, b))


def _nonzero_weights(design: Design) -> bool:
    """Whether every weight is non-zero (cached on the design)."""
    cached = getattr(design, "_all_nonzero", None)
    if cached is None:
        cached = bool(np.all(design.weights != 0))
        design._all_nonzero = cached  # type: ignore[union-attr]
    return cached


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
    w = design.weights
    keep_mask = domain >= 0
    keep = None if keep_mask.all() else keep_mask
    if keep is not None:  # zero the rows left out, so they add nothing anywhere
        y = np.where(keep, y, 0.0)
        x = None if x is None else np.where(keep, x, 0.0)
        wk = np.where(keep, w, 0.0)
    else:
        wk = w
    if count == 1:
        return _one_domain(design, y, x, wk, keep_mask, keep, total, want_deff)
    dom0 = np.where(keep_mask, domain, 0) if keep is not None else domain
    big_w = np.bincount(dom0, weights=wk, minlength=count)
    big_y: np.ndarray = np.bincount(dom0, weights=wk * y, minlength=count)
    n = _bincount(dom0, keep, None, count).astype(np.int64)
    est: np.ndarray
    if total:
        est, big_x, u = big_y, None, y
    else:
        big_x = big_w if x is None else np.bincount(dom0, weights=wk * x, minlength=count)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = big_y / big_x
            u = (y - (est[dom0] if x is None else est[dom0] * x)) / big_x[dom0]
        if keep is not None:
            u = np.where(keep, u, 0.0)
    var, thetas = _variance(design, y, x, wk * u, domain, count, est, total)
    deff = np.full(count, np.nan)
    if want_deff:
        if isinstance(design, SurveyDesign) and not _nonzero_weights(design):
            nobs = _bincount(dom0, keep_mask & (w != 0), None, count)
        else:
            nobs = n.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar = np.bincount(dom0, weights=wk * u, minlength=count) / big_w
            dev = u - ubar[dom0]
            ss = np.bincount(dom0, weights=wk * dev * dev, minlength=count)
            deff = _deff_from(var, ss, big_w, nobs)
    return RatioResult(est, var, deff, n, thetas)


def _one_domain(
    design: Design,
    y: np.ndarray,
    x: np.ndarray | None,
    wk: np.ndarray,
    keep_mask: np.ndarray,
    keep: np.ndarray | None,
    total: bool,
    want_deff: bool,
) -> RatioResult:
    """The whole population (one domain): dot products instead of group sums."""
    big_w = float(wk.sum())
    big_y = _dot(wk, y)
    n = int(keep_mask.sum()) if keep is not None else design.n
    if total:
        est, u = big_y, y
    else:
        big_x = big_w if x is None else _dot(wk, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = float(np.float64(big_y) / np.float64(big_x))  # 0/0: NaN, not an exception
            u = ((y - est) if x is None else (y - est * x)) / big_x
        if keep is not None:
            u = np.where(keep, u, 0.0)
    wu = wk * u
    domain = None if keep is None else np.where(keep_mask, 0, -1)
    var, thetas = _variance(design, y, x, wu, domain, 1, np.array([est]), total)
    deff = np.full(1, np.nan)
    if want_deff:
        if isinstance(design, SurveyDesign) and not _nonzero_weights(design):
            nobs = float(np.count_nonzero(keep_mask & (design.weights != 0)))
        else:
            nobs = float(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = u - np.float64(wu.sum()) / np.float64(big_w)  # 0/0: NaN, refused later
            np.multiply(dev, dev, out=dev)
            ss = _dot(wk, dev)
            deff = _deff_from(var, np.array([ss]), np.array([big_w]), np.array([nobs]))
    return RatioResult(np.array([est]), var, deff, np.array([n]), thetas)


def _variance(
    design: Design,
    y: np.ndarray,
    x: np.ndarray | None,
    z: np.ndarray,
    domain: np.ndarray | None,
    count: int,
    est: np.ndarray,
    total: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Taylor variance of the influence values z, or the replicate variance."""
    if isinstance(design, SurveyDesign):
        if design.calibration:
            from fieldsurvey.estimate.calibration import calibrated_unit_totals

            t_cal = calibrated_unit_totals(design, z, domain, count)
            if design.dcheck is not None:
                from fieldsurvey.estimate.pps import dcheck_variance

                return dcheck_variance(design.dcheck, t_cal, design.pps_variance == "YG"), None
            return taylor.variance(design, t_cal, None), None
        t, present = taylor.unit_totals(design, z, domain, count)
        if design.dcheck is not None:
            from fieldsurvey.estimate.pps import dcheck_variance

            if t.shape[1] != count:
                t = np.broadcast_to(t, (t.shape[0], count))
            return dcheck_variance(design.dcheck, t, design.pps_variance == "YG"), None
        return taylor.variance(design, t, present), None
    dom = np.zeros(design.n, dtype=np.int64) if domain is None else domain
    rep_y = design.replicate_totals(y, dom, count)
    if total:
        thetas = rep_y
    else:
        xv = np.ones_like(y) if x is None else x
        rep_x = design.replicate_totals(xv, dom, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            thetas = rep_y / rep_x
    return design.variance(thetas, est), thetas


def _deff_from(var: np.ndarray, ss: np.ndarray, big_w: np.ndarray, nobs: np.ndarray) -> np.ndarray:
    """Var / (s^2 W^2 (W - n) / (W n)) with s^2 = n / (n - 1) * ss / W; NaN when W < n."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = nobs / (nobs - 1) * ss / big_w
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


def _distinct_per_domain(domain: np.ndarray, codes: np.ndarray, n_codes: int,
                         count: int) -> np.ndarray:
    """Number of distinct ``codes`` among the rows of each domain."""
    if count * n_codes <= 5_000_000:
        seen = np.bincount(domain * n_codes + codes, minlength=count * n_codes) > 0
        return np.asarray(seen.reshape(count, n_codes).sum(axis=1))
    pairs = np.unique(domain * n_codes + codes)
    return np.bincount(pairs // n_codes, minlength=count)


def domain_degf(design: Design, domain: np.ndarray, count: int) -> np.ndarray:
    """R's ``degf`` of each domain's subset design (rows with code d)."""
    if isinstance(design, SurveyDesign):
        ok = (domain >= 0) & (design.weights != 0)
        d = domain[ok]
        n_strata = int(design.stage1_stratum.max()) + 1
        nc = _distinct_per_domain(d, design.stage1_cluster[ok], design.n_psu, count)
        ns = _distinct_per_domain(d, design.stage1_stratum[ok], n_strata, count)
        return np.asarray(nc - ns, dtype=np.float64)
    return np.array([design.degf(domain == k) for k in range(count)], dtype=np.float64)
