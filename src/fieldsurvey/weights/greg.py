"""Linear (GREG) and bounded calibration, as R ``survey``'s ``calibrate`` (Deville & Särndal 1992).

Margins are ``{variable: {level: total}}`` for categorical auxiliaries (a variable ``a:b`` is
the cross-classification of columns ``a`` and ``b``) and ``{variable: total}`` for
continuous ones; ``"(Intercept)"`` (or ``"(population)"``) gives the population size when no
categorical margin implies it. The auxiliaries form a model matrix ``M`` with the same
column space as R's ``model.matrix(~ a + b + x)`` (every level of the first categorical
margin, every level but the first of the others, the continuous columns), so the g-weights
and residuals equal R's.

* ``calfun="linear"`` without bounds: ``g = 1 + M (M'WM)^{-1} (T - M'w)`` in one step (R's
  ``regcalibrate``).
* Otherwise R's ``grake``: Newton steps on ``g = 1 + F^{-1}(M eta)`` with the ``linear``
  (truncated at the bounds), ``raking`` (exponential) or ``logit`` (bounded in (L, U))
  distance, step halving when g is not finite, until every
  ``|T - M'(wg)| / (1 + |T|) < epsilon``; weights rescaled first when every total is more
  than 20 times the sample's (R's ``SOMETHRESHOLD``).

Trimming of g (R's ``trim=``) is not offered: use :func:`~fieldsurvey.weights.trim_weights`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, WeightingError

__all__ = [
    "CALFUNS",
    "INTERCEPT",
    "AuxiliaryMatrix",
    "Calfun",
    "MarginSpec",
    "auxiliary_matrix",
    "continuous_total",
    "grake",
    "is_continuous",
    "level_index",
    "level_text",
    "margin_codes",
    "one_population_total",
    "row_levels",
]

Calfun = Literal["linear", "raking", "logit"]
CALFUNS: tuple[str, ...] = ("linear", "raking", "logit")
MarginSpec = Mapping[str, "Mapping[Any, float] | float"]
INTERCEPT = ("(Intercept)", "(population)")
CONTINUOUS_LEVELS = ("(total)", "total", "")


def level_text(value: object) -> str:
    """A level as text: integral numbers without ``.0`` (``1.0`` and ``"1.0"`` -> ``"1"``)."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).strip()
    head, dot, tail = text.partition(".")
    if dot and tail and set(tail) == {"0"} and head.lstrip("-").isdigit():
        return head
    return text


def is_continuous(levels: Mapping[Any, float] | float) -> bool:
    """Whether a margin is a continuous total (a number, or one level named ``(total)``)."""
    if not isinstance(levels, Mapping):
        return True
    keys = [str(k).strip() for k in levels]
    return len(keys) == 1 and keys[0] in CONTINUOUS_LEVELS


def continuous_total(levels: Mapping[Any, float] | float) -> float:
    """The total of a continuous margin."""
    if isinstance(levels, Mapping):
        return float(next(iter(levels.values())))
    return float(levels)


def _require(data: pd.DataFrame, col: str, variable: str, file: str | None) -> None:
    if col not in data.columns:
        raise ColumnError(f"the data have no column for calibration variable '{variable}'",
                          file=file, field=col, got=", ".join(map(str, list(data.columns)[:30])),
                          hint="Rename the column or the margin variable so they match")


def row_levels(data: pd.DataFrame, variable: str, file: str | None) -> tuple[np.ndarray, list[str]]:
    """Codes of each row's level of ``variable`` (``a:b`` crossed) and the levels as text.

    Code -1 marks a missing value in any part.
    """
    parts = variable.split(":")
    codes = np.zeros(len(data), dtype=np.int64)
    keys = [""]
    for k, col in enumerate(parts):
        _require(data, col, variable, file)
        c, uniq = pd.factorize(data[col], use_na_sentinel=True)
        c = np.asarray(c, dtype=np.int64)
        texts = [level_text(u) for u in uniq]
        width = max(len(texts), 1)
        combined = np.where((c < 0) | (codes < 0), -1, codes * width + np.maximum(c, 0))
        code2, uniq2 = pd.factorize(combined, use_na_sentinel=False)
        code2 = np.asarray(code2, dtype=np.int64)
        new_keys = []
        for u in np.asarray(uniq2):
            if u < 0:
                new_keys.append("\x00missing")
                continue
            left, right = divmod(int(u), width)
            new_keys.append(texts[right] if k == 0 else f"{keys[left]}:{texts[right]}")
        miss = [i for i, key in enumerate(new_keys) if key == "\x00missing"]
        if miss:
            code2 = np.where(code2 == miss[0], -1, code2)
        codes, keys = code2, new_keys
    return codes, keys


def margin_codes(data: pd.DataFrame, variable: str, levels: list[str], active: np.ndarray,
                 file: str | None) -> np.ndarray:
    """Index of each row's level in ``levels`` (-1 for inactive rows), refusing gaps."""
    row_codes, keys = row_levels(data, variable, file)
    return level_index(row_codes, keys, variable, levels, active, file)


_UNKNOWN_LEVEL_HINT = (
    "Add the level to the margins, recode the variable to the margins' levels, "
    "or give a continuous variable's total with the level (total)"
)


def level_index(row_codes: np.ndarray, keys: list[str], variable: str, levels: list[str],
                active: np.ndarray, file: str | None, *, hint: str = _UNKNOWN_LEVEL_HINT,
                shown: int | None = 20) -> np.ndarray:
    """Index in ``levels`` of each row's level (-1 for inactive rows), refusing gaps.

    ``row_codes`` index ``keys`` (the row's level as text; -1 for a missing value). A
    row with a weight (``active``) and a missing value, or a level the margins do not
    give, is an error naming its data row; ``hint`` and the first ``shown`` levels (all
    when ``None``) go into the second message.
    """
    table = pd.Index(levels, dtype=object).get_indexer(pd.Index(keys, dtype=object))
    table = np.append(table.astype(np.int64), -2)  # -2: missing value (row code -1)
    codes = table[row_codes]
    missing = active & (codes == -2)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise WeightingError(
            f"{int(missing.sum())} case(s) with a weight have no value of '{variable}'",
            file=file, row=i + 2, field=variable,
            hint="Impute the value or put the case in a level before calibrating",
        )
    unknown = active & (codes == -1)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        extra = sorted({keys[j] for j in np.unique(row_codes[unknown])})
        raise WeightingError(
            f"the sample has level(s) of '{variable}' that the margins do not give",
            file=file, row=i + 2, field=variable,
            expected=", ".join(map(str, levels[:shown])), got=", ".join(extra[:10]), hint=hint,
        )
    return np.where(active, codes, -1)


def one_population_total(sizes: list[tuple[str, float]], file: str | None, *,
                         expected: str = "the same total for every variable") -> None:
    """Refuse margins whose population totals (``(name, total)``) disagree (relative 1e-6)."""
    ref = sizes[0][1]
    if any(abs(s - ref) > 1e-6 * max(abs(ref), 1.0) for _, s in sizes):
        got = "; ".join(f"{n}: {s:.10g}" for n, s in sizes)
        raise WeightingError(
            "the margins disagree on the population total, so no weights can meet them all",
            file=file, expected=expected, got=got,
            hint="Use margins from one source and year, or rescale them to one total",
        )


@dataclass(frozen=True)
class AuxiliaryMatrix:
    """The calibration model matrix, its population totals and column names."""

    matrix: np.ndarray
    totals: np.ndarray
    names: tuple[str, ...]


def auxiliary_matrix(data: pd.DataFrame, margins: MarginSpec, active: np.ndarray,
                     file: str | None = None) -> AuxiliaryMatrix:
    """The model matrix of the margins (see the module docstring), checked.

    Raises
    ------
    WeightingError
        No margins, a total that is not a finite number, categorical margins that disagree
        on the population size, a level with a total but no case, a case in no level, a
        missing continuous value, or auxiliaries that are linearly dependent in the sample.
    """
    if not margins:
        raise WeightingError("no margins were given", file=file,
                             hint="Give population totals for at least one variable")
    cols: list[np.ndarray] = []
    totals: list[float] = []
    names: list[str] = []
    n_cat = 0
    pop_sizes: list[tuple[str, float]] = []
    intercept: float | None = None
    for var, spec in margins.items():
        var = str(var)
        if var in INTERCEPT:
            intercept = continuous_total(spec)
            continue
        if is_continuous(spec):
            total = continuous_total(spec)
            if not np.isfinite(total):
                raise WeightingError(f"the total of '{var}' is not a finite number", file=file,
                                     field=var, got=repr(total))
            _require(data, var, var, file)
            x = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = active & ~np.isfinite(x)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise WeightingError(
                    f"the continuous calibration variable '{var}' is missing or not a number "
                    f"for {int(bad.sum())} case(s) with a weight", file=file, row=i + 2,
                    field=var, got=repr(data[var].iloc[i]),
                    hint="Impute the values, or give the variable's level totals instead",
                )
            cols.append(np.where(active, x, 0.0))
            totals.append(total)
            names.append(var)
            continue
        assert isinstance(spec, Mapping)
        levels = [level_text(k) for k in spec]
        t = np.array([float(v) for v in spec.values()], dtype=float)
        if (~np.isfinite(t) | (t < 0)).any():
            raise WeightingError(f"margin '{var}' has a total that is negative or not a number",
                                 file=file, field=var)
        codes = margin_codes(data, var, levels, active, file)
        counts = np.bincount(codes[codes >= 0], minlength=len(levels))
        empty = [lv for lv, c, tt in zip(levels, counts, t, strict=True) if c == 0 and tt > 0]
        if empty:
            raise WeightingError(
                f"margin '{var}' has level(s) with a population total but no case in the "
                "sample (an empty cell), so the total cannot be met", file=file, field=var,
                got=", ".join(empty[:10]),
                hint="Collapse the empty level with a neighbouring level in the data and the "
                "margins",
            )
        pop_sizes.append((var, float(t.sum())))
        for k, (lv, tt) in enumerate(zip(levels, t, strict=True)):
            if counts[k] == 0:
                continue  # a level with total 0 and no case: no column (as R)
            if n_cat > 0 and k == int(np.flatnonzero(counts > 0)[0]):
                continue  # treatment contrasts: the first level is in the intercept
            cols.append((codes == k).astype(np.float64))
            totals.append(float(tt))
            names.append(f"{var}={lv}")
        n_cat += 1
    if pop_sizes:
        one_population_total(
            pop_sizes + ([("(Intercept)", intercept)] if intercept is not None else []), file,
            expected="the same total for every categorical variable")
    elif intercept is not None:
        cols.insert(0, active.astype(np.float64))
        totals.insert(0, intercept)
        names.insert(0, "(Intercept)")
    if not cols:
        raise WeightingError("the margins give nothing to calibrate on", file=file)
    m = np.column_stack(cols)
    rank = np.linalg.matrix_rank(m[active] / np.maximum(np.abs(m[active]).max(axis=0), 1e-300))
    if rank < m.shape[1]:
        raise WeightingError(
            "the calibration variables are linearly dependent in the sample (a continuous "
            "variable constant within a margin's levels, or a margin repeated)",
            file=file, got=", ".join(names),
            hint="Drop one of the dependent margins",
        )
    return AuxiliaryMatrix(m, np.asarray(totals), tuple(names))


def _fm1(calfun: str, u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """R's ``calfun$Fm1``: g - 1 as a function of u = M eta."""
    if calfun == "linear":
        return np.asarray(np.minimum(np.maximum(u + 1, lo), hi) - 1)
    if calfun == "raking":
        with np.errstate(over="ignore"):
            return np.asarray(np.minimum(np.maximum(np.exp(u), lo), hi) - 1)
    a = (hi - lo) / ((hi - 1) * (1 - lo))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        return np.asarray((lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1)


def _df(calfun: str, u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """R's ``calfun$dF``."""
    if calfun == "linear":
        return ((u < hi - 1) & (u > lo - 1)).astype(np.float64)
    if calfun == "raking":
        with np.errstate(over="ignore"):
            e = np.exp(u)
        return np.asarray(np.where((e > lo) & (e < hi), e, 0.0))
    a = (hi - lo) / ((hi - 1) * (1 - lo))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        den = hi - 1 + (1 - lo) * e
        return np.asarray(hi * (1 - lo) * e * a / den
                          - (lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * a) / den**2)


def linear_g(m: np.ndarray, w: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """R's ``regcalibrate``: ``g = 1 + M (M'WM)^{-1} (T - M'w)``."""
    from scipy.linalg import solve

    scale = np.maximum(np.abs(m).max(axis=0), 1e-300)
    ms = m / scale
    tmat = (ms * w[:, None]).T @ ms
    rhs = (totals - m.T @ w) / scale
    lam = solve(tmat, rhs, assume_a="pos")
    return np.asarray(1.0 + ms @ lam)


def grake(m: np.ndarray, w: np.ndarray, totals: np.ndarray, calfun: str = "linear",
          bounds: tuple[float, float] = (-np.inf, np.inf), *, epsilon: float = 1e-7,
          maxit: int = 50) -> tuple[np.ndarray, bool, float]:
    """R's ``grake``: the g-weights, whether they converged, and the largest scaled misfit.

    ``calfun="linear"`` without finite bounds is the closed form :func:`linear_g` (as R).
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    if calfun == "linear" and not (np.isfinite(lo) or np.isfinite(hi)):
        return linear_g(m, w, totals), True, 0.0
    if calfun == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise WeightingError("logit calibration needs finite lower and upper bounds",
                             field="bounds", got=f"{lo:g}, {hi:g}",
                             hint="Give bounds such as 0.5,2 (--bounds)")
    if calfun == "logit" and not lo < 1 < hi:
        raise WeightingError("logit calibration needs lower bound < 1 < upper bound",
                             field="bounds", got=f"{lo:g}, {hi:g}")
    ww = w.astype(np.float64, copy=True)
    sample_total = m.T @ ww
    scale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = totals / sample_total
    if np.min(scales) > 20:
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    eta = np.zeros(m.shape[1])
    xeta = m @ eta
    g = 1 + _fm1(calfun, xeta, lo, hi)
    deriv = _df(calfun, xeta, lo, hi)
    it = 1
    achieved = np.inf
    converged = False
    while True:
        tmat = (m * (ww * deriv)[:, None]).T @ m
        misfit = totals - sample_total - m.T @ (ww * _fm1(calfun, xeta, lo, hi))
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = m @ eta
        g = 1 + _fm1(calfun, xeta, lo, hi)
        deriv = _df(calfun, xeta, lo, hi)
        while it < maxit and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = m @ eta
            g = 1 + _fm1(calfun, xeta, lo, hi)
            deriv = _df(calfun, xeta, lo, hi)
        misfit = totals - sample_total - m.T @ (ww * _fm1(calfun, xeta, lo, hi))
        rel = np.abs(misfit) / (1 + np.abs(totals))
        achieved = float(np.max(rel))
        if (rel < epsilon).all():
            converged = True
            break
        it += 1
        if it > maxit:
            break
    if scale is not None:
        g = g * scale
    return g, converged, achieved
