r"""Small-area estimates: the Fay-Herriot area-level model (EBLUP with Prasad-Rao MSE).

For areas i = 1..m with direct estimates :math:`y_i` (e.g. a community's design-based mean)
and their sampling variances :math:`\psi_i` (the squared design-based SE), the model is
(Fay & Herriot 1979; Rao & Molina 2015, ch. 6)

.. math:: y_i = x_i'\beta + u_i + e_i,\quad u_i \sim N(0, \sigma^2_u),\quad
          e_i \sim N(0, \psi_i).

* :math:`\sigma^2_u` by REML, Fisher scoring from the median of :math:`\psi` (as R's
  ``sae::eblupFH``), truncated at 0; :math:`\hat\beta` by GLS.
* EBLUP :math:`\hat\theta_i = \gamma_i y_i + (1-\gamma_i) x_i'\hat\beta` with
  :math:`\gamma_i = \sigma^2_u / (\sigma^2_u + \psi_i)`; an area without a direct
  estimate gets the synthetic :math:`x_i'\hat\beta`.
* MSE, Prasad & Rao (1990) for REML: :math:`g_1 + g_2 + 2 g_3` with
  :math:`g_1 = \gamma_i\psi_i`, :math:`g_2 = (1-\gamma_i)^2 x_i'(X'V^{-1}X)^{-1}x_i`,
  :math:`g_3 = \psi_i^2 (\sigma^2_u+\psi_i)^{-3}\,\bar V`,
  :math:`\bar V = 2 / \sum_j (\sigma^2_u+\psi_j)^{-2}` (for an area without a direct
  estimate :math:`\sigma^2_u + x_i'(X'V^{-1}X)^{-1}x_i`).
* ``transform="arcsin"`` for proportions: the model is fitted to
  :math:`\arcsin\sqrt{p_i}` with variance :math:`1/(4 n^*_i)`, :math:`n^*_i = p_i(1-p_i)/v_i`
  the effective sample size, and the EBLUP is transformed back by :math:`\sin^2`; its MSE
  is the delta-method :math:`\sin^2(2\hat\theta_i)\,\mathrm{mse}_i` (areas with p = 0 or 1
  have no effective size and are given the synthetic estimate).

The estimates are model-based: they borrow strength from the auxiliaries and other areas,
and are labelled ``eblup`` beside the direct ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import EstimationError

__all__ = ["FayHerriot", "fay_herriot", "fh_simulation", "small_area_table"]


@dataclass(frozen=True)
class FayHerriot:
    """A fitted Fay-Herriot model.

    Attributes
    ----------
    eblup, mse
        Model-based estimate and its MSE per area (original scale).
    direct, direct_var
        The inputs (original scale).
    sigma2_u, beta
        REML variance of the area effects and the GLS coefficients (model scale).
    gamma
        Shrinkage factors (0 for areas without a direct estimate).
    iterations, converged
        Fisher-scoring iterations and whether the tolerance was met.
    """

    eblup: np.ndarray
    mse: np.ndarray
    direct: np.ndarray
    direct_var: np.ndarray
    sigma2_u: float
    beta: np.ndarray
    gamma: np.ndarray
    iterations: int
    converged: bool

    def to_frame(self, areas: object = None) -> pd.DataFrame:
        """One row per area: direct, its SE, EBLUP, its RMSE and gamma."""
        return pd.DataFrame({
            "area": areas if areas is not None else np.arange(self.eblup.size),
            "direct": self.direct, "direct_se": np.sqrt(self.direct_var),
            "eblup": self.eblup, "eblup_rmse": np.sqrt(self.mse), "gamma": self.gamma,
        })


def _reml(y: np.ndarray, x: np.ndarray, psi: np.ndarray, tol: float,
          maxit: int) -> tuple[float, int, bool]:
    """REML estimate of sigma2_u by Fisher scoring (sae::eblupFH's algorithm)."""
    s2 = float(np.median(psi))
    for it in range(1, maxit + 1):
        vinv = 1.0 / (s2 + psi)
        xtv = x.T * vinv
        a = np.linalg.inv(xtv @ x)
        # P = V^-1 - V^-1 X A X' V^-1
        p = np.diag(vinv) - xtv.T @ a @ xtv
        py = p @ y
        score = -0.5 * np.trace(p) + 0.5 * float(py @ py)
        info = 0.5 * float(np.sum(p * p.T))
        new = max(s2 + score / info, 0.0)
        if abs(new - s2) <= tol * max(abs(s2), 1e-12) or (new == 0.0 and s2 == 0.0):
            return new, it, True
        s2 = new
    return s2, maxit, False


def fay_herriot(direct: np.ndarray, variance: np.ndarray, aux: np.ndarray, *,
                transform: str = "none", intercept: bool = True, tol: float = 1e-10,
                maxit: int = 200) -> FayHerriot:
    """Fit the Fay-Herriot model and return EBLUPs with their MSE (see the module docstring).

    Parameters
    ----------
    direct, variance
        Direct estimates and their sampling variances per area (NaN: no direct estimate).
    aux
        Area-level auxiliaries, one row per area (an intercept is added unless
        ``intercept=False``).
    transform
        ``none`` or ``arcsin`` (proportions).

    Raises
    ------
    EstimationError
        Fewer areas with a direct estimate than model parameters + 1, missing or infinite
        auxiliaries, negative variances, or an unknown transform.
    """
    y0 = np.asarray(direct, dtype=np.float64)
    v0 = np.asarray(variance, dtype=np.float64)
    x = np.asarray(aux, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if intercept:
        x = np.column_stack([np.ones(y0.size), x])
    if transform not in ("none", "arcsin"):
        raise EstimationError("unknown small-area transform", field="transform",
                              expected="none | arcsin", got=repr(transform))
    if not np.isfinite(x).all():
        raise EstimationError("the area auxiliaries must be finite numbers for every area",
                              field="aux", hint="Fill the missing auxiliary values")
    if (v0 < 0).any():
        raise EstimationError("a sampling variance is negative", field="variance")
    if transform == "arcsin":
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = y0 * (1 - y0) / v0
            y = np.arcsin(np.sqrt(y0))
            psi = 1.0 / (4.0 * n_eff)
        use = np.isfinite(y) & np.isfinite(psi) & (psi > 0) & (y0 > 0) & (y0 < 1)
    else:
        y, psi = y0, v0
        use = np.isfinite(y) & np.isfinite(psi)
    k = x.shape[1]
    if int(use.sum()) <= k:
        raise EstimationError(
            f"the Fay-Herriot model needs more areas with a direct estimate than its {k} "
            f"coefficient(s); there are {int(use.sum())}", field="area",
            hint="Use fewer auxiliaries, or more areas",
        )
    xu, yu, pu = x[use], y[use], psi[use]
    s2, it, ok = _reml(yu, xu, pu, tol, maxit)
    vinv = 1.0 / (s2 + pu)
    a = np.linalg.inv((xu.T * vinv) @ xu)
    beta = a @ ((xu.T * vinv) @ yu)
    synth = x @ beta
    gamma = np.zeros(y0.size)
    gamma[use] = s2 / (s2 + pu)
    theta = synth.copy()
    theta[use] = gamma[use] * yu + (1 - gamma[use]) * synth[use]
    lev = np.einsum("ij,jk,ik->i", x, a, x)
    vbar = 2.0 / float(np.sum(vinv**2))
    mse = s2 + lev  # areas without a direct estimate
    g1 = gamma[use] * pu
    g2 = (1 - gamma[use]) ** 2 * lev[use]
    g3 = pu**2 * (s2 + pu) ** -3 * vbar
    mse[use] = g1 + g2 + 2 * g3
    if transform == "arcsin":
        est = np.sin(theta) ** 2
        mse = np.sin(2 * theta) ** 2 * mse
    else:
        est = theta
    return FayHerriot(eblup=est, mse=mse, direct=y0, direct_var=v0, sigma2_u=s2, beta=beta,
                      gamma=gamma, iterations=it, converged=ok)


def small_area_table(design: object, variable: str, area: str, aux: pd.DataFrame, *,
                     transform: str = "none", level: float = 0.95) -> object:
    """Direct means by area from ``design`` and their Fay-Herriot EBLUPs, in one table.

    ``aux`` has the ``area`` column and numeric auxiliary columns (every other column), one
    row per area; an area in ``aux`` without respondents gets the synthetic estimate. Rows
    of statistic ``mean`` are the direct estimates, rows of statistic ``eblup`` the
    model-based ones (``se`` is the root of the Prasad-Rao MSE, the interval
    EBLUP -/+ z RMSE). Returns an :class:`~fieldsurvey.estimate.results.EstimateTable`.
    """
    from scipy.stats import norm

    from fieldsurvey.estimate._columns import level_label
    from fieldsurvey.estimate.estimators import method_of, svymean
    from fieldsurvey.estimate.results import Estimate, EstimateTable

    if area not in aux.columns:
        raise EstimationError(f"the auxiliary file has no column '{area}'", field=area,
                              got=", ".join(map(str, aux.columns)),
                              hint="Name the area column as in the respondents' file")
    covariates = [c for c in aux.columns if c != area]
    if not covariates:
        raise EstimationError("the auxiliary file has no auxiliary columns", field="aux",
                              hint="Add area-level covariates (e.g. census shares)")
    xs = aux[covariates].apply(pd.to_numeric, errors="coerce")
    if xs.isna().to_numpy().any():
        bad = xs.columns[xs.isna().any()].tolist()
        raise EstimationError("the area auxiliaries must be numbers for every area",
                              field=", ".join(map(str, bad)),
                              hint="Fill or drop the columns with missing or text values")
    keys = [level_label(v) for v in aux[area]]
    if len(set(keys)) != len(keys):
        raise EstimationError("an area is listed twice in the auxiliary file", field=area)
    direct = svymean(variable, design, by=area, level=level)  # type: ignore[arg-type]
    by_key = {level_label(r.by[0][1]): r for r in direct.rows if r.by}
    unknown = sorted(set(by_key) - set(keys))
    if unknown:
        raise EstimationError("areas of the sample are missing from the auxiliary file",
                              field=area, got=", ".join(unknown[:10]),
                              hint="Give every area's auxiliaries")
    y = np.array([by_key[k].estimate if k in by_key else np.nan for k in keys])
    v = np.array([by_key[k].se ** 2 if k in by_key else np.nan for k in keys])
    n_area = np.array([by_key[k].n if k in by_key else 0 for k in keys])
    flat = (n_area > 1) & (v <= 1e-20 * np.maximum(y * y, 1e-300))
    if transform == "none" and flat.any():
        raise EstimationError(
            f"the direct estimate of {area}={keys[int(np.flatnonzero(flat)[0])]} has no "
            f"sampling variance: when the areas are the design's PSUs a domain mean within one "
            "PSU has a design variance of 0, which the model cannot use", field=area,
            hint="Estimate the direct variances with the respondents as the units within each "
            "area (leave out --psu, or give the design below the areas)",
        )
    fit = fay_herriot(y, v, xs.to_numpy(dtype=float), transform=transform)
    z = float(norm.ppf(0.5 + level / 2))
    rows = list(direct.rows)
    for i, k in enumerate(keys):
        rmse = float(np.sqrt(fit.mse[i]))
        lo, hi = fit.eblup[i] - z * rmse, fit.eblup[i] + z * rmse
        if transform == "arcsin":
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        src = by_key.get(k)
        rows.append(Estimate(
            variable=variable, statistic="eblup", estimate=float(fit.eblup[i]), se=rmse,
            ci_low=float(lo), ci_high=float(hi), deff=None, n=src.n if src else 0,
            domain=f"{area}={k}", level=None, by=((area, aux[area].iloc[i]),),
        ))
    method = (f"{method_of(design)}; eblup: fay-herriot (REML sigma2_u {fit.sigma2_u:.4g}, "  # type: ignore[arg-type]
              "Prasad-Rao MSE" + (", arcsine" if transform == "arcsin" else "") + ")")
    return EstimateTable(tuple(rows), method)


def fh_simulation(replicates: int = 2000, areas: int = 40, seed: int = 1) -> dict[str, float]:
    """Draw the model ``replicates`` times; the averaged Prasad-Rao MSE against the empirical.

    Areas have a covariate x ~ U(0, 10), sampling variances psi ~ U(0.5, 4) and
    sigma2_u = 1.5; returns the mean estimated MSE, the empirical MSE of the EBLUP and the
    mean direct MSE (over areas and replicates).
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, areas)
    psi = rng.uniform(0.5, 4.0, areas)
    mean = 5 + 0.8 * x
    est_mse = 0.0
    err2 = 0.0
    direct = 0.0
    for _ in range(replicates):
        theta = mean + rng.normal(0, np.sqrt(1.5), areas)
        y = theta + rng.normal(0, np.sqrt(psi))
        fit = fay_herriot(y, psi, x)
        est_mse += float(fit.mse.mean())
        err2 += float(((fit.eblup - theta) ** 2).mean())
        direct += float(((y - theta) ** 2).mean())
    return {"mse_estimate": est_mse / replicates, "mse_empirical": err2 / replicates,
            "direct_mse": direct / replicates}
