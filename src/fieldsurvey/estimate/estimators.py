"""Means, totals, proportions and ratios with SE, CI, design effect and n (R's vocabulary).

Each function takes column name(s), a design (:class:`SurveyDesign` or
:class:`ReplicateDesign`) and optionally ``by=`` domains, and returns an
:class:`EstimateTable`. All domains are computed in one vectorised pass.

* ``svymean`` / ``svytotal`` / ``svyratio``: R's ``svymean``, ``svytotal``, ``svyratio``;
  CI is Wald with the normal quantile (R's ``confint`` default, ``df = Inf``).
* ``svyprop``: every level of a categorical (R's ``svymean(~factor(x))``), with the logit
  interval of ``svyciprop(method="logit")``, which uses a t quantile with the design's
  degrees of freedom (PSUs - strata of the domain; rank - 1 of the replicate weights).
* Missing values: as ``na.rm=TRUE`` (a ratio needs both parts); the rows stay in the
  design, so their PSUs still count. ``na_rm=False`` refuses data with missing values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

from fieldsurvey.estimate._columns import (
    analysis_column,
    as_names,
    categorical_column,
    level_label,
)
from fieldsurvey.estimate._core import Design, domain_degf, logit_ci, ratio_stat
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.estimate.domains import Domains, make_domains
from fieldsurvey.estimate.intervals import PROP_METHODS, prop_interval
from fieldsurvey.estimate.results import Estimate, EstimateTable
from fieldsurvey.io.errors import EstimationError
from fieldsurvey.io.tables import file_row

__all__ = ["svymean", "svyprop", "svyratio", "svytotal"]


def method_of(design: Design) -> str:
    """``taylor`` or the replicate type, with the calibration (``taylor, raked on sex, age``)."""
    return design.variance_method


def check_missing(design: Design, name: str, values: np.ndarray, na_rm: bool) -> None:
    """With ``na_rm=False``, refuse missing values (R would return NA)."""
    if not na_rm and np.isnan(values).any():
        row = file_row(int(np.flatnonzero(np.isnan(values))[0]))
        raise EstimationError(
            f"column '{name}' has missing values",
            file=design.source,
            row=row,
            field=name,
            hint="Drop them with na_rm=True (the default), as R's na.rm=TRUE",
        )


def rows_from(
    variable: str,
    statistic: str,
    doms: Domains,
    est: np.ndarray,
    se: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    deff: np.ndarray | None,
    n: np.ndarray,
    level: str | None = None,
) -> list[Estimate]:
    """One :class:`Estimate` per domain."""
    out = []
    for d in range(doms.count):
        out.append(
            Estimate(
                variable=variable,
                statistic=statistic,
                estimate=float(est[d]),
                se=float(se[d]),
                ci_low=float(lo[d]),
                ci_high=float(hi[d]),
                deff=None if deff is None else float(deff[d]),
                n=int(n[d]),
                domain=doms.labels[d],
                level=level,
                by=doms.keys[d],
            )
        )
    return out


def _wald(est: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = norm.ppf(0.5 + level / 2)
    return est - z * se, est + z * se


def _linear(
    x: str | Sequence[str],
    design: Design,
    by: str | Sequence[str] | None,
    level: float,
    na_rm: bool,
    deff: bool,
    total: bool,
) -> EstimateTable:
    doms = make_domains(design, by)
    rows: list[Estimate] = []
    for name in as_names(x):
        if total and _is_text(design, name):
            rows += _level_totals(design, name, doms, level, na_rm, deff)
            continue
        y = analysis_column(design.data, name, design.source)
        check_missing(design, name, y, na_rm)
        code = doms.restrict(~np.isnan(y))
        r = ratio_stat(design, y, None, code, doms.count, total=total, want_deff=deff)
        if by is None and not np.isfinite(r.estimate[0]):
            raise EstimationError(
                f"no respondent with a weight above zero has a value of '{name}'",
                file=design.source, field=name,
                hint="The respondents who answered all have weight 0; check the weight column")
        se = np.sqrt(r.var)
        lo, hi = _wald(r.estimate, se, level)
        rows += rows_from(name, "total" if total else "mean", doms, r.estimate, se, lo, hi,
                          r.deff if deff else None, r.n)
    return EstimateTable(tuple(rows), method_of(design))


def _design_rows(design: Design, code: np.ndarray, count: int) -> np.ndarray:
    """R's ``nrow(design)`` of each domain's subset design (all rows when R keeps them)."""
    if isinstance(design, SurveyDesign) and (design.calibration or design.pps is not None):
        return np.full(count, float(design.n))
    return np.bincount(code[code >= 0], minlength=count).astype(np.float64)


def _is_text(design: Design, name: str) -> bool:
    """A column of words (not numbers): its total is the total of every level."""
    import pandas as pd

    if name not in design.data.columns:
        return False
    col = design.data[name]
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return False
    conv = pd.to_numeric(col, errors="coerce")
    return bool((conv.isna() & col.notna()).any())


def _level_totals(design: Design, name: str, doms: Domains, level: float, na_rm: bool,
                  deff: bool) -> list[Estimate]:
    """R's ``svytotal(~factor(x))``: the estimated number of each level, with SE."""
    codes, levels = categorical_column(design.data, name, design.source)
    if not na_rm and (codes < 0).any():
        check_missing(design, name, np.where(codes < 0, np.nan, 0.0), na_rm)
    code = doms.restrict(codes >= 0)
    out: list[Estimate] = []
    for k, lev in enumerate(levels):
        y = (codes == k).astype(np.float64)
        r = ratio_stat(design, y, None, code, doms.count, total=True, want_deff=deff)
        with np.errstate(invalid="ignore"):
            se = np.sqrt(r.var)
        lo, hi = _wald(r.estimate, se, level)
        out += rows_from(name, "total", doms, r.estimate, se, lo, hi, r.deff if deff else None,
                         r.n, level=level_label(lev))
    return out


def svymean(
    x: str | Sequence[str],
    design: Design,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    na_rm: bool = True,
    deff: bool = True,
) -> EstimateTable:
    """Weighted means (R's ``svymean(~x, design, na.rm=TRUE, deff=TRUE)``).

    Parameters
    ----------
    x
        Numeric column(s).
    design
        A :class:`SurveyDesign` or :class:`ReplicateDesign`.
    by
        Domain variable(s): R's ``svyby(~x, ~by, design, svymean)``.
    level
        Confidence level of the Wald interval.
    na_rm
        Drop missing values per variable (True) or refuse them.
    deff
        Compute the design effect.

    Returns
    -------
    EstimateTable
        One row per variable and domain, statistic ``mean``.
    """
    return _linear(x, design, by, level, na_rm, deff, total=False)


def svytotal(
    x: str | Sequence[str],
    design: Design,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    na_rm: bool = True,
    deff: bool = True,
) -> EstimateTable:
    """Weighted totals (R's ``svytotal``); parameters as :func:`svymean`.

    A column of words (``stype`` = E / H / M) gives the total of every level, one row each
    with ``level`` set (R's ``svytotal(~stype)``).
    """
    return _linear(x, design, by, level, na_rm, deff, total=True)


def svyratio(
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    design: Design,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    na_rm: bool = True,
    deff: bool = True,
) -> EstimateTable:
    """Ratios of totals Y / X (R's ``svyratio(~num, ~den, design)``), pairwise.

    ``numerator`` and ``denominator`` are a column each, or equally long sequences that are
    paired in order. A row is used when both values are present. The variable is named
    ``"num/den"``.
    """
    nums, dens = as_names(numerator), as_names(denominator)
    if len(nums) != len(dens):
        raise EstimationError(
            "numerators and denominators must pair up",
            field="ratio",
            expected=f"{len(nums)} denominators",
            got=str(len(dens)),
        )
    doms = make_domains(design, by)
    rows: list[Estimate] = []
    for num, den in zip(nums, dens, strict=True):
        y = analysis_column(design.data, num, design.source)
        xd = analysis_column(design.data, den, design.source)
        check_missing(design, num, y, na_rm)
        check_missing(design, den, xd, na_rm)
        code = doms.restrict(~np.isnan(y) & ~np.isnan(xd))
        _check_denominator(design, den, xd, code, doms)
        r = ratio_stat(design, y, xd, code, doms.count, want_deff=deff)
        se = np.sqrt(r.var)
        lo, hi = _wald(r.estimate, se, level)
        rows += rows_from(f"{num}/{den}", "ratio", doms, r.estimate, se, lo, hi,
                          r.deff if deff else None, r.n)
    return EstimateTable(tuple(rows), method_of(design))


def _check_denominator(design: Design, name: str, x: np.ndarray, code: np.ndarray,
                       doms: Domains) -> None:
    """Refuse a ratio whose weighted denominator total is zero (overall or in a domain)."""
    keep = code >= 0
    totals = np.bincount(code[keep], weights=(design.weights * x)[keep], minlength=doms.count)
    zero = np.flatnonzero(totals == 0)
    if zero.size:
        where = ", ".join(str(doms.labels[k]) for k in zero[:5]) if doms.labels[0] else ""
        raise EstimationError(
            f"the weighted total of the denominator '{name}' is zero"
            + (f" in domain(s) {where}" if where else ""),
            file=design.source, field=name, expected="a denominator with a non-zero total",
            got="0", hint="A ratio needs a denominator that is not zero for every respondent; "
            "check the column, or estimate the numerator's total instead",
        )


def svyprop(
    x: str | Sequence[str],
    design: Design,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    na_rm: bool = True,
    deff: bool = True,
    method: str = "logit",
) -> EstimateTable:
    """Proportion of every level of categorical column(s), with logit intervals.

    Estimates and SEs are R's ``svymean(~factor(x), design, na.rm=TRUE)``; the interval is
    ``svyciprop(~I(x == level), design, method="logit")``; ``method`` chooses another of
    R's ``svyciprop`` methods (``likelihood``, ``xlogit``, ``mean``, ``asin``, ``beta``) or
    ``wilson`` (Wilson's interval with the effective sample size; see
    :mod:`fieldsurvey.estimate.intervals`).
    Levels are the column's sorted distinct values, labelled as text (``1.0`` shown as ``1``).
    """
    if method not in PROP_METHODS:
        raise EstimationError("unknown proportion interval method", field="method",
                              expected=" | ".join(PROP_METHODS), got=repr(method))
    doms = make_domains(design, by)
    rows: list[Estimate] = []
    df = domain_degf(design, doms.code, doms.count)
    for name in as_names(x):
        codes, levels = categorical_column(design.data, name, design.source)
        if not na_rm and (codes < 0).any():
            check_missing(design, name, np.where(codes < 0, np.nan, 0.0), na_rm)
        code = doms.restrict(codes >= 0)
        for k, lev in enumerate(levels):
            y = (codes == k).astype(np.float64)
            r = ratio_stat(design, y, None, code, doms.count, want_deff=deff)
            se = np.sqrt(r.var)
            if method == "logit":
                lo, hi = logit_ci(design, r.estimate, r.var, r.thetas, df, level)
            elif method == "likelihood":
                from fieldsurvey.estimate.likelihood_ci import design_likelihood_interval

                lo, hi = design_likelihood_interval(
                    design, y, code, doms.count, r.estimate, r.var, df, level,
                    _design_rows(design, doms.code, doms.count), domain=doms.code,
                    missing=codes < 0)
            else:
                lo, hi = prop_interval(method, r.estimate, r.var, df, level,
                                       _design_rows(design, code, doms.count))
            rows += rows_from(name, "prop", doms, r.estimate, se, lo, hi,
                              r.deff if deff else None, r.n, level=level_label(lev))
    return EstimateTable(tuple(rows), method_of(design))
