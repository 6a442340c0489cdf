r"""R's ``svyciprop(method="likelihood")``: the profile of a design-scaled binomial likelihood.

R fits the quasi-binomial ``svyglm(y ~ 1)`` and profiles its intercept
(``survey:::confint.svyglm(method="likelihood")``, ``survey:::MASSprofile_glm``,
``survey:::confint_profile``). For a proportion p in a domain with N rows in R's subset
design (the domain's rows, or every row when R keeps the others with weight zero: calibrated
and PPS designs), weights normalised to mean one (:math:`\tilde w_i = w_i N / W`), this is:

* the deviance :math:`D(\beta) = -2 N [p \log\mu + (1-p)\log(1-\mu)]`,
  :math:`\mu = \operatorname{expit}\beta`, and its profile
  :math:`z(\beta) = \operatorname{sign}(\beta-\hat\beta)\sqrt{(D(\beta)-D(\hat\beta))/\phi}`;
* the dispersion :math:`\phi` = R's ``svyvar`` of ``svyglm``'s Pearson residuals
  :math:`r_i = (y_i-\hat\mu)/\sqrt{\hat\mu(1-\hat\mu)}` (the sampling weights divided
  out): :math:`\frac{n}{n-1}\sum w_i (r_i-\bar r)^2 / W` over the n rows of non-zero
  weight;
* the design effect :math:`\lambda = V_{design}(\hat\beta) / V_{naive}(\hat\beta)`, with
  :math:`V_{design} = v(p) / (p(1-p))^2` and :math:`V_{naive}` the inverse of the last
  IRLS fit's weights (``glm.fit`` from the binomial starting values
  :math:`(\tilde w_i y_i + 1/2)/(\tilde w_i + 1)`, which are per row, to its deviance
  tolerance 1e-8: close to, not equal to, :math:`1/(N p(1-p))`);
* :math:`\alpha = \Phi(t_{df,(1-\text{level})/2}\sqrt\lambda)/2`,
  :math:`z_{max} = \sqrt{F^{-1}_{1,N-1}(1-\alpha)} = t_{N-1,1-\alpha/2}`; the profile is
  evaluated at :math:`\hat\beta \pm k\,(z_{max}/5)\,se(\hat\beta)`, k = 1..9, each side
  stopping once :math:`|z| \ge z_{max}`;
* R then fits an FMM cubic spline (``spline``, 3 points per profile point) of z against
  :math:`\beta` and reads :math:`\beta` off it by linear interpolation (``approx``) at
  :math:`\Phi^{-1}(2\alpha)` and :math:`\Phi^{-1}(1-2\alpha)`; the interval is their expit.

This module repeats those steps (the spline included), so the ends equal R's to rounding.
An end the profile does not reach is NaN, as R's ``NA``. R's replicate-weight ``svyglm``
scales its dispersion so that the profile never reaches the cutoff (every interval NA in
survey 4.1.1), so replicate designs are refused with the methods that work for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fieldsurvey.io.errors import EstimationError

__all__ = ["design_likelihood_interval", "likelihood_interval"]

_MAXSTEPS = 10  # MASS's profile.glm default, as survey:::MASSprofile_glm


def _fmm_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
    """Coefficients of R's ``spline(method="fmm")`` (Forsythe, Malcolm & Moler) on sorted x."""
    n = x.size
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        return np.full(n, (y[1] - y[0]) / (x[1] - x[0])), c, d
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, n - 1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    # end conditions: third derivatives from divided differences
    b[0], b[n - 1] = -d[0], -d[n - 2]
    c[0] = c[n - 1] = 0.0
    if n > 3:
        c0 = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        cn = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c0 * d[0] * d[0] / (x[3] - x[0])
        c[n - 1] = -cn * d[n - 2] * d[n - 2] / (x[n - 1] - x[n - 4])
    for i in range(1, n):  # Gaussian elimination
        t = d[i - 1] / b[i - 1]
        b[i] -= t * d[i - 1]
        c[i] -= t * c[i - 1]
    c[n - 1] /= b[n - 1]
    for i in range(n - 2, -1, -1):  # backward substitution
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[n - 1])
    for i in range(n - 1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[n - 1] = 3.0 * c[n - 1]
    d[n - 1] = d[n - 2]
    return b, c, d


def _r_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y)``: the FMM spline at 3 n equally spaced points over the range."""
    b, c, d = _fmm_coefficients(x, y)
    u = np.linspace(x[0], x[-1], 3 * x.size)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, x.size - 1)
    dx = u - x[i]
    return u, y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def _r_approx(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, xout=at)``: sorted by x, ties averaged, NaN outside the range."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(at, ux, uy)
    return np.where((at < ux[0]) | (at > ux[-1]), np.nan, out)


def _expit(eta: float) -> float:
    """R's binomial ``linkinv``: exp(eta) held within [DBL_EPSILON, 1/DBL_EPSILON]."""
    eps = float(np.finfo(np.float64).eps)
    e = eps if eta < -30 else (1 / eps if eta > 30 else float(np.exp(eta)))
    return e / (1 + e)


def _irls(p: float, big_s: float, beta: float, naive: float, devold: float,
          maxit: int = 25, epsilon: float = 1e-8) -> tuple[float, float]:
    """R's ``glm.fit`` IRLS of the intercept after its first step: (coefficient, naive var).

    ``beta`` and ``naive`` come from the first step (row-level starting values), ``devold``
    is the deviance at the starting values. As R, the naive variance is the one of the last
    weighted least-squares fit, whose weights are those of the iterate before the last.
    """
    for _ in range(maxit - 1):
        mu = _expit(beta)
        dev = -2 * big_s * (p * np.log(mu) + (1 - p) * np.log1p(-mu))
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            break
        devold = dev
        v = mu * (1 - mu)
        naive = 1 / (big_s * v)
        beta = beta + (p - mu) / v
    return float(beta), float(naive)


def _profile_ends(p: float, b0: float, se: float, n_rows: float, big_s: float, phi: float,
                  lam: float, df: float, level: float) -> tuple[float, float]:
    """The interval for one proportion (logit scale steps, R's profile and spline)."""
    from scipy.stats import norm
    from scipy.stats import t as student_t

    if not (0 < p < 1) or not (df > 0) or not np.isfinite(se) or se <= 0 or n_rows < 2:
        return np.nan, np.nan
    alpha = float(norm.cdf(student_t.ppf((1 - level) / 2, df) * np.sqrt(lam))) / 2
    # sqrt of qf(alpha, 1, N - 1, lower.tail=FALSE), through t (scipy's F is inf far out)
    zmax = float(student_t.isf(alpha / 2, n_rows - 1))
    step_size = zmax / 5 * se
    mu0 = _expit(b0)
    dev0 = -2 * big_s * (p * np.log(mu0) + (1 - p) * np.log1p(-mu0))
    betas, zs = [b0], [0.0]
    for sgn in (-1.0, 1.0):
        z, step = 0.0, 1
        while step < _MAXSTEPS and abs(z) < zmax:
            b = b0 + sgn * step * step_size
            mu = _expit(b)
            dev = -2 * big_s * (p * np.log(mu) + (1 - p) * np.log1p(-mu))
            z = sgn * float(np.sqrt(max((dev - dev0) / phi, 0.0)))
            betas.append(b)
            zs.append(z)
            step += 1
    zi, bi = np.asarray(zs), np.asarray(betas)
    order = np.argsort(zi, kind="stable")
    sx, sy = _r_spline(bi[order], zi[order])
    cut = np.array([norm.ppf(2 * alpha), norm.isf(2 * alpha)])
    ends = _r_approx(sy, sx, cut)
    lo, hi = 1 / (1 + np.exp(-ends))
    return float(lo), float(hi)


def likelihood_interval(weights: np.ndarray, y: np.ndarray, code: np.ndarray, count: int,
                        p: np.ndarray, var: np.ndarray, df: np.ndarray, level: float,
                        n_rows: np.ndarray, *, domain: np.ndarray | None = None,
                        missing: np.ndarray | None = None,
                        keeps_all_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of R's likelihood interval for the proportion of ``y`` in each domain.

    ``weights`` are the design's (Taylor) weights, ``y`` the 0/1 indicator, ``code`` the
    domain of every row whose variable is known (-1: left out), ``p``/``var`` the estimates
    and their design variances, ``df`` R's ``degf`` per domain and ``n_rows`` R's ``nrow``
    of each domain's subset design (rows with a missing value included). Rows whose value
    is ``missing`` (``domain``: their domain, -1 for none) stay in R's subset design, so
    they count in the mean weight the glm's weights are scaled by, not in the fit; with
    ``keeps_all_rows`` (calibrated and PPS designs) R's subsets keep every row.
    """
    keep = code >= 0
    dom, w, yk = code[keep], weights[keep], y[keep]

    def per_domain(v: np.ndarray) -> np.ndarray:
        return np.bincount(dom, weights=v, minlength=count)

    big_w = per_domain(w)
    nonzero = per_domain((w != 0).astype(np.float64))
    n_known = np.bincount(dom, minlength=count).astype(np.float64)
    w_all = big_w
    if domain is not None:
        in_dom = domain >= 0
        w_all = np.bincount(domain[in_dom], weights=weights[in_dom], minlength=count)
    n_missing = 0.0 if missing is None else float(np.count_nonzero(missing))
    # the glm's rows (the model frame), and the rows of R's design once they are dropped
    n_model = n_rows - n_missing if keeps_all_rows else n_known
    n_after = n_rows if keeps_all_rows else n_known
    lo, hi = np.full(count, np.nan), np.full(count, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        pq = p * (1 - p)
        mean_w = w_all / n_rows
        # svyglm's Pearson residuals carry sqrt(prior weight / design weight rescaled on the
        # design without the missing rows): a constant c per domain (1 without missing values)
        c_resid = (big_w / n_after) / mean_w
        pw = w / mean_w[dom]  # R's svyglm weights, mean 1 over the subset design's rows
        big_s = per_domain(pw)
        se = np.sqrt(var) / pq
        # glm.fit's first IRLS step from the binomial starting values (pw y + 1/2) / (pw + 1)
        mu = (pw * yk + 0.5) / (pw + 1)
        good = pw > 0
        dev_start = per_domain(-2 * pw * (yk * np.log(mu) + (1 - yk) * np.log1p(-mu)))
        wt = np.where(good, pw * mu * (1 - mu), 0.0)
        zwork = np.log(mu / (1 - mu)) + (yk - mu) / (mu * (1 - mu))
        sum_wt = per_domain(wt)
        beta1 = per_domain(wt * zwork) / sum_wt
    for k in range(count):
        if not (0 < p[k] < 1) or not np.isfinite(beta1[k]):
            continue
        b0, naive = _irls(float(p[k]), float(big_s[k]), float(beta1[k]), 1 / float(sum_wt[k]),
                          float(dev_start[k]))
        # svyvar of R's svyglm Pearson residuals (y - mu) / sqrt(mu (1 - mu)) (the sampling
        # weights divided out), over the rows of non-zero weight, mu the fitted value
        mu_k = _expit(b0)
        v_k = mu_k * (1 - mu_k)
        pk = float(p[k])
        mean_r = (pk - mu_k) / np.sqrt(v_k)
        mean_r2 = (pk * (1 - mu_k) ** 2 + (1 - pk) * mu_k**2) / v_k
        nz = float(nonzero[k])
        phi = float(c_resid[k]) * nz / (nz - 1) * (mean_r2 - mean_r * mean_r)
        lam = float(var[k]) / float(pq[k]) ** 2 / naive  # V(beta) / naive V(beta)
        lo[k], hi[k] = _profile_ends(float(p[k]), b0, float(se[k]), float(n_model[k]),
                                     float(big_s[k]), phi, lam, float(df[k]), level)
    return lo, hi


def design_likelihood_interval(design: Any, y: np.ndarray, code: np.ndarray, count: int,
                               p: np.ndarray, var: np.ndarray, df: np.ndarray, level: float,
                               n_rows: np.ndarray, *, domain: np.ndarray | None = None,
                               missing: np.ndarray | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`likelihood_interval` for a design; replicate-weight designs are refused.

    ``n_rows`` is R's ``nrow`` of each domain's subset design counting rows with a missing
    value (``domain``: every row's domain before those are left out; ``missing``: them).

    Raises
    ------
    EstimationError
        A replicate-weight design (R gives no likelihood interval for them).
    """
    from fieldsurvey.estimate.design import SurveyDesign

    if not isinstance(design, SurveyDesign):
        raise EstimationError(
            "the likelihood interval is not available for replicate-weight designs",
            file=design.source, field="method", got="likelihood",
            expected="logit | xlogit | mean | asin | beta | wilson",
            hint="R's svyciprop(method='likelihood') gives NA for every replicate design "
            "(survey 4.1.1: the replicate svyglm's dispersion is not on the binomial scale, so "
            "the profile never reaches the cutoff); use the logit (default) or beta interval, "
            "or the likelihood interval on the Taylor design",
        )
    return likelihood_interval(np.asarray(design.weights), y, code, count, p, var, df, level,
                               n_rows, domain=domain, missing=missing,
                               keeps_all_rows=bool(design.calibration) or design.pps is not None)
