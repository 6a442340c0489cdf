"""What the weighting cost: spread of the weights, design effect, effective n, factors.

Over the n cases with a positive weight w_i (mean w̄, CV = sd/w̄ with the population sd)::

    Kish's design effect from unequal weighting  deff_w = n Σw² / (Σw)² = 1 + CV²
    effective sample size                        n_eff  = (Σw)² / Σw² = n / deff_w

(Kish 1965, §11.7; Kish 1992, J. Off. Stat. 8:183). The diagnostics also compare the sums of
weights with the population totals of the margins and summarise the adjustment factor of each
step (per weighting class when classes are given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import WeightingError
from fieldsurvey.weights.io import level_codes, level_keys

__all__ = ["WeightDiagnostics", "weight_diagnostics"]


@dataclass(frozen=True)
class WeightDiagnostics:
    """Summary of a set of weights.

    Attributes
    ----------
    n, n_positive
        Cases, and cases with a positive weight (the statistics below are over those).
    total, minimum, median, maximum, mean, cv, deff, n_effective
        Sum, spread, CV (population sd / mean), Kish's 1 + CV², and (Σw)²/Σw².
    margins
        ``variable, level, total, achieved, difference, rel_error`` (or None).
    factors
        ``step, class, n, min, median, max`` of each step's adjustment factor (or None).
    """

    n: int
    n_positive: int
    total: float
    minimum: float
    median: float
    maximum: float
    mean: float
    cv: float
    deff: float
    n_effective: float
    margins: pd.DataFrame | None = None
    factors: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (tables as lists of records)."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in ("n", "n_positive", "total", "minimum", "median", "maximum", "mean", "cv",
                      "deff", "n_effective")
        }
        for name in ("margins", "factors"):
            table = getattr(self, name)
            out[name] = None if table is None else table.to_dict(orient="records")
        return out

    def lines(self) -> list[str]:
        """A few readable lines."""
        return [
            f"cases with weight > 0: {self.n_positive} of {self.n}; "
            f"sum of weights {self.total:,.6g}",
            (f"min {self.minimum:.6g}, median {self.median:.6g}, max {self.maximum:.6g} "
             f"(max/median {self.maximum / self.median:.3g})"),
            (f"CV {self.cv:.4f}; Kish deff_w = 1 + CV² = {self.deff:.4f}; "
             f"effective n = {self.n_effective:,.1f}"),
        ]


def _margin_check(data: pd.DataFrame, w: np.ndarray,
                  margins: Mapping[str, Mapping[Any, float]]) -> pd.DataFrame:
    rows = []
    from fieldsurvey.weights.greg import INTERCEPT, continuous_total, is_continuous

    for var, totals in margins.items():
        if str(var) in INTERCEPT or is_continuous(totals):
            t = continuous_total(totals)
            x = (np.ones(len(data)) if str(var) in INTERCEPT else
                 pd.to_numeric(data[str(var)], errors="coerce").to_numpy(dtype=float, na_value=0.0))
            a = float(np.nansum(w * x))
            rows.append((str(var), "(total)", t, a, a - t, (a - t) / t if t else np.nan))
            continue
        codes, keys = level_codes(data, str(var))
        ok = codes >= 0
        sums = np.bincount(codes[ok], weights=w[ok], minlength=len(keys))
        achieved = dict(zip(keys, sums, strict=True))
        for level, total in totals.items():
            key = str(level_keys(pd.Series([level])).iloc[0])
            a = float(achieved.get(key, 0.0))
            t = float(total)
            rows.append((str(var), key, t, a, a - t, (a - t) / t if t else np.nan))
    return pd.DataFrame(rows, columns=["variable", "level", "total", "achieved", "difference",
                                       "rel_error"])


def _factor_table(factors: Mapping[str, Sequence[float] | pd.Series | np.ndarray],
                  classes: pd.Series | None, n: int) -> pd.DataFrame:
    parts = []
    for step, values in factors.items():
        f = pd.Series(np.asarray(values, dtype=float))
        if f.size != n:
            raise WeightingError("a step's factors must have one value per case", field=step,
                                 expected=str(n), got=str(f.size))
        keys = (pd.Series(["all"] * n) if classes is None
                else pd.Series(np.asarray(classes, dtype=object)).astype(str))
        ok = np.isfinite(f.to_numpy()) & (f.to_numpy() > 0)
        g = f[ok].groupby(keys[ok].to_numpy())
        t = g.agg(["size", "min", "median", "max"]).rename(columns={"size": "n"})
        t.insert(0, "step", step)
        parts.append(t.rename_axis("class").reset_index())
    if not parts:
        return pd.DataFrame(columns=["step", "class", "n", "min", "median", "max"])
    table: pd.DataFrame = pd.concat(parts, ignore_index=True)
    return table[["step", "class", "n", "min", "median", "max"]]


def weight_diagnostics(
    weights: Sequence[float] | np.ndarray | pd.Series,
    *,
    data: pd.DataFrame | None = None,
    margins: Mapping[str, Mapping[Any, float]] | None = None,
    factors: Mapping[str, Sequence[float] | pd.Series | np.ndarray] | None = None,
    classes: pd.Series | Sequence[object] | None = None,
) -> WeightDiagnostics:
    """Describe a set of weights: spread, Kish deff, effective n, margins met, step factors.

    Parameters
    ----------
    weights
        Final weights (cases with weight 0, such as nonrespondents, are left out of the
        spread statistics).
    data, margins
        When both are given, the sums of weights by margin level are set against the totals.
    factors
        ``{step name: factor per case}`` (e.g. eligibility, nonresponse, calibration, trim).
    classes
        Weighting class per case, to summarise the factors per class.

    Returns
    -------
    WeightDiagnostics
    """
    w = np.asarray(weights, dtype=float)
    if (~np.isfinite(w)).any() or (w < 0).any():
        raise WeightingError("weights must be finite numbers >= 0", field="weights")
    pos = w[w > 0]
    if pos.size == 0:
        raise WeightingError("no case has a positive weight", field="weights")
    total = float(pos.sum())
    mean = total / pos.size
    cv = float(pos.std(ddof=0) / mean)
    sum_sq = float(np.dot(pos, pos))
    margin_table = None
    if data is not None and margins is not None:
        margin_table = _margin_check(data, w, margins)
    factor_table = None
    if factors:
        cls = None if classes is None else pd.Series(list(classes) if not isinstance(
            classes, pd.Series) else classes.to_numpy())
        factor_table = _factor_table(factors, cls, w.size)
    return WeightDiagnostics(
        n=int(w.size), n_positive=int(pos.size), total=total, minimum=float(pos.min()),
        median=float(np.median(pos)), maximum=float(pos.max()), mean=mean, cv=cv,
        deff=pos.size * sum_sq / total**2, n_effective=total**2 / sum_sq,
        margins=margin_table, factors=factor_table,
    )
