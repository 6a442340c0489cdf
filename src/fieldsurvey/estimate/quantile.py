r"""Quantiles as R survey 4.x computes them: ``svyquantile(qrule="math", interval.type="mean")``.

Estimate (``qrule_math``): sort the values with non-zero weight, accumulate the weights
(in extended precision, as R's ``cumsum`` and ``sum``) and take the first value whose
cumulative weight reaches p W: the last position with cumulative weight <= p W, or the
next one when it falls short of p W.

Interval (Woodruff 1952, as ``woodruffCI(method="mean")``): with
:math:`\hat p = \hat F(\hat q)`, the weighted share of values <= the estimate and its
design-based SE, :math:`\hat p \mp t_{df}\,SE` is mapped back through the same rule;
an end outside [0, 1] gives NaN. At p = 0 and p = 1 the estimate is the smallest or largest
value, with SE 0 and the interval (q, q) (R gives NaN at p = 0). The SE is the interval's
width / (2 t_df). df is the
design's degrees of freedom (PSUs - strata of the rows used; replicate: rank - 1), the
default of R's ``svyquantile``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import t as student_t

from fieldsurvey.estimate._columns import analysis_column, as_names
from fieldsurvey.estimate._core import Design, domain_degf, ratio_stat
from fieldsurvey.estimate.domains import make_domains
from fieldsurvey.estimate.estimators import _design_rows, check_missing, method_of
from fieldsurvey.estimate.intervals import QRULES, prop_interval, quantile_rule
from fieldsurvey.estimate.results import Estimate, EstimateTable
from fieldsurvey.io.errors import EstimationError

__all__ = ["qrule_math", "svyquantile"]


def qrule_math(x_sorted: np.ndarray, cumw: np.ndarray, total: float, p: float) -> float:
    """R's ``qrule_math`` on values sorted ascending with their cumulative weights."""
    if x_sorted.size == 0 or not np.isfinite(p):
        return float("nan")
    target = p * total
    pos = int(np.searchsorted(cumw, target, side="right")) - 1
    pos = max(pos, 0)  # R's last() of nothing is the first position
    nxt = pos if pos == x_sorted.size - 1 else pos + 1
    wlow = p - cumw[pos] / total
    return float(x_sorted[pos] if wlow == 0 else x_sorted[nxt])


Prepared = tuple[np.ndarray, np.ndarray, np.ndarray, float]


def _prepare(x: np.ndarray, w: np.ndarray) -> Prepared:
    nz = w != 0
    x, w = x[nz], w[nz]
    order = np.argsort(x, kind="stable")
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(np.float64)
    total = float(np.cumsum(w.astype(np.longdouble))[-1]) if w.size else 0.0
    return x[order], w[order], cumw, total


def _rule(rule: str, prep: Prepared, p: float) -> float:
    xs, ws, cw, tot = prep
    if rule in ("math", "hf1"):
        return qrule_math(xs, cw, tot, p)
    return quantile_rule(rule, xs, ws, cw, tot, p)


def svyquantile(
    x: str | Sequence[str],
    design: Design,
    quantiles: float | Sequence[float] = 0.5,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    na_rm: bool = True,
    qrule: str = "math",
    interval_type: str = "mean",
) -> EstimateTable:
    """Weighted quantiles with Woodruff intervals (R's ``svyquantile(~x, design, p, ci=TRUE)``).

    Parameters
    ----------
    x
        Numeric column(s).
    design
        A :class:`SurveyDesign` or :class:`ReplicateDesign`.
    quantiles
        Probabilities in [0, 1].
    by
        Domain variable(s) (R's ``svyby(..., svyquantile)``).
    level
        Confidence level.
    na_rm
        Drop missing values (True) or refuse them.
    qrule
        R's ``qrule``: ``math`` (default), ``school``, ``shahvaish``, ``hf1`` ... ``hf9``
        (see :mod:`fieldsurvey.estimate.intervals`).
    interval_type
        How the interval of F(q) is formed before mapping it back (R's ``interval.type``):
        ``mean`` (default), ``xlogit``, ``asin`` or ``beta``.

    Returns
    -------
    EstimateTable
        Statistic ``quantile``, ``level`` the probability as text, ``deff`` None.
    """
    if qrule not in QRULES:
        raise EstimationError("unknown quantile rule", field="qrule",
                              expected=" | ".join(QRULES), got=repr(qrule))
    if interval_type not in ("mean", "xlogit", "asin", "beta"):
        raise EstimationError("unknown quantile interval type", field="interval_type",
                              expected="mean | xlogit | asin | beta", got=repr(interval_type))
    probs = ([float(quantiles)] if isinstance(quantiles, (int, float, np.number))
             else [float(q) for q in quantiles])
    doms = make_domains(design, by)
    w = design.weights
    rows: list[Estimate] = []
    for name in as_names(x):
        y = analysis_column(design.data, name, design.source)
        check_missing(design, name, y, na_rm)
        code = doms.restrict(~np.isnan(y))
        df = domain_degf(design, code, doms.count)
        tq = np.where(df > 0, student_t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)
        order = np.argsort(code, kind="stable")
        counts = np.bincount(code[code >= 0], minlength=doms.count)
        start = int((code < 0).sum())
        prepared = []
        for d in range(doms.count):
            idx = order[start : start + counts[d]]
            start += counts[d]
            prepared.append(_prepare(y[idx], w[idx]))
        n = counts
        for p in probs:
            qhat = np.array([_rule(qrule, prep, p) for prep in prepared])
            ind = np.where(code >= 0, y <= qhat[np.maximum(code, 0)], 0.0).astype(np.float64)
            r = ratio_stat(design, ind, None, code, doms.count, want_deff=False)
            se_p = np.sqrt(r.var)
            if interval_type == "mean":
                p_lo, p_hi = r.estimate - tq * se_p, r.estimate + tq * se_p
            else:
                n_rows = _design_rows(design, code, doms.count)
                p_lo, p_hi = prop_interval(interval_type, r.estimate, r.var, df, level, n_rows)
            # rounding (an always-true indicator's variance of 1e-32) must not push an end
            # just outside [0, 1]; p = 0 and p = 1 are the extremes, known without error
            p_lo = np.where((p_lo < 0) & (p_lo > -1e-9), 0.0, p_lo)
            p_hi = np.where((p_hi > 1) & (p_hi < 1 + 1e-9), 1.0, p_hi)
            if p in (0.0, 1.0):
                p_lo = p_hi = np.full(doms.count, p)
            lo = np.array([
                np.nan if not (pl >= 0) else _rule(qrule, prep, pl)
                for pl, prep in zip(p_lo, prepared, strict=True)
            ])
            hi = np.array([
                np.nan if not (ph <= 1) else _rule(qrule, prep, ph)
                for ph, prep in zip(p_hi, prepared, strict=True)
            ])
            se = (hi - lo) / (2 * tq)
            if p in (0.0, 1.0):
                se = np.where(np.isnan(qhat), np.nan, 0.0)
            for d in range(doms.count):
                rows.append(
                    Estimate(
                        variable=name, statistic="quantile", estimate=float(qhat[d]),
                        se=float(se[d]), ci_low=float(lo[d]), ci_high=float(hi[d]), deff=None,
                        n=int(n[d]), domain=doms.labels[d], level=f"{p:g}", by=doms.keys[d],
                    )
                )
    return EstimateTable(tuple(rows), method_of(design))
