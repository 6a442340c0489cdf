"""Proportion intervals (R's ``svyciprop`` methods) and quantile rules (R's ``qrule``).

Interval methods for a proportion p with design-based variance v and degrees of freedom df
(t quantile t_df; the level's two tails):

* ``logit`` (default, R's): expit(logit p -/+ t_df se(logit p)), see :func:`._core.logit_ci`;
* ``xlogit``: the same through the delta method (R's ``svycontrast``), se / (p (1 - p));
* ``mean``: p -/+ t_df se (Wald);
* ``asin``: sin^2(asin sqrt p -/+ t_df se / (2 sqrt(p (1 - p)))), ends clipped at 0 and pi/2;
* ``beta`` (Korn & Graubard 1998): Clopper-Pearson beta quantiles with the effective sample
  size n* = p (1 - p) / v, times (t_{n-1} / t_df)^2 with n the rows of the design (R);
* ``wilson``: Wilson's score interval with the effective sample size n* = p (1 - p) / v and
  the normal quantile (Kish 1965; not in R's ``svyciprop``: labelled as such).

* ``likelihood`` (R's): the profile of the design-effect-scaled binomial likelihood of the
  quasi-binomial ``svyglm``, read off R's spline of it; see
  :mod:`fieldsurvey.estimate.likelihood_ci` (it needs the rows, so the estimator calls it).

Quantile rules (the estimate and the ends of Woodruff's interval use the same rule), from
the sorted values x_k with weights w_k, cumulative W_k, total W:
``math``/``hf1`` (the first x with W_k >= p W), ``school``/``hf2`` (the mean of the two when
W_k = p W exactly), ``hf3`` (on distinct values, the lower one at an even position),
``hf4`` (linear in the weight between the two), ``hf5``-``hf9`` and ``shahvaish``
(interpolation on the plotting positions of R's ``qrule_hf5`` ... ``qrule_hf9``,
``qrule_shahvaish``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROP_METHODS", "QRULES", "prop_interval", "quantile_rule"]

PROP_METHODS: tuple[str, ...] = ("logit", "likelihood", "xlogit", "mean", "asin", "beta",
                                 "wilson")
QRULES: tuple[str, ...] = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5",
                           "hf6", "hf7", "hf8", "hf9")


def prop_interval(method: str, p: np.ndarray, var: np.ndarray, df: np.ndarray, level: float,
                  n_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of the ``method`` interval (not ``logit``, see ``_core``)."""
    from scipy.stats import beta as beta_dist
    from scipy.stats import norm
    from scipy.stats import t as student_t

    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(df > 0, student_t.ppf(1 - alpha / 2, np.maximum(df, 1)), np.nan)
        se = np.sqrt(var)
        if method == "mean":
            return p - tq * se, p + tq * se
        if method == "xlogit":
            lp = np.log(p / (1 - p))
            sl = se / (p * (1 - p))
            return 1 / (1 + np.exp(-(lp - tq * sl))), 1 / (1 + np.exp(-(lp + tq * sl)))
        if method == "asin":
            a = np.arcsin(np.sqrt(p))
            sa = se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(a - tq * sa) ** 2, np.sin(a + tq * sa) ** 2
        if method == "beta":
            n_eff = p * (1 - p) / var
            t_n = student_t.ppf(alpha / 2, np.maximum(n_rows - 1, 1))
            t_df = student_t.ppf(alpha / 2, np.maximum(df, 1))
            n_eff = n_eff * (t_n / t_df) ** 2
            lo = beta_dist.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
            hi = beta_dist.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
            return np.asarray(lo), np.asarray(hi)
        if method == "wilson":
            n_eff = p * (1 - p) / var
            z = norm.ppf(1 - alpha / 2)
            centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
            half = z * np.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff**2)) / (1 + z * z / n_eff)
            return centre - half, centre + half
    raise ValueError(f"unknown interval method {method!r}")


def _qs(x: np.ndarray, cumw: np.ndarray, total: float, p: float) -> tuple[int, int, float, float]:
    """R's ``qs``: positions and weight gaps around p on sorted values."""
    pos = int(np.searchsorted(cumw, p * total, side="right")) - 1
    pos = max(pos, 0)
    nxt = pos if pos == x.size - 1 else pos + 1
    return pos, nxt, p - cumw[pos] / total, cumw[nxt] / total - p


def quantile_rule(rule: str, x: np.ndarray, w: np.ndarray, cumw: np.ndarray, total: float,
                  p: float) -> float:
    """The ``rule`` quantile of values ``x`` sorted ascending with weights ``w`` (> 0)."""
    if x.size == 0 or not np.isfinite(p):
        return float("nan")
    if rule in ("math", "hf1", "school", "hf2", "hf4"):
        lo, hi, wlow, wup = _qs(x, cumw, total, p)
        if rule in ("math", "hf1"):
            return float(x[lo] if wlow == 0 else x[hi])
        if rule in ("school", "hf2"):
            return float((x[lo] + x[hi]) / 2 if wlow == 0 else x[hi])
        gamma = wlow / (wup + wlow) if (wup + wlow) != 0 else np.nan
        return float(x[lo] * (1 - gamma) + x[hi] * gamma)
    if rule == "hf3":
        ux, start = np.unique(x, return_index=True)
        uw = np.add.reduceat(w, start)
        ucum = np.cumsum(uw.astype(np.longdouble)).astype(np.float64)
        lo, hi, wlow, _ = _qs(ux, ucum, float(ucum[-1]), p)
        return float(ux[lo] if (wlow == 0 and (lo + 1) % 2 == 0) else ux[hi])
    n = x.size
    prev = np.r_[0.0, cumw[:-1]]
    if rule == "hf5":
        pk = (cumw - w / 2) / cumw[-1]
    elif rule == "hf6":
        pk = cumw / (cumw[-1] + w[-1])
    elif rule == "hf7":
        pk = prev / cumw[n - 2] if n > 1 else np.zeros(1)
    elif rule == "hf8":
        pk = (prev / 3 + cumw * 2 / 3) / (cumw[-1] + w[-1] / 3)
    elif rule == "hf9":
        pk = (prev * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + w[-1] / 4)
    elif rule == "shahvaish":
        s = np.cumsum(w / w.mean())
        pk = (s + 0.5 - w / 2) / (n + 1)
        # R's approx(method="constant", f=0) orders the points by pk and averages the
        # values of equal pk (its ties = mean)
        order = np.argsort(pk, kind="stable")
        upk, start = np.unique(pk[order], return_index=True)
        ux = np.add.reduceat(x[order], start) / np.diff(np.r_[start, n])
        i = int(np.searchsorted(upk, p, side="right")) - 1
        return float(ux[min(max(i, 0), upk.size - 1)])
    else:
        raise ValueError(f"unknown quantile rule {rule!r}")
    return float(np.interp(p, pk, x))
