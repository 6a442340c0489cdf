"""Calibration: post-stratification, raking (IPF) and linear/bounded calibration.

Linear/bounded calibration (GREG, :func:`calibrate`) takes continuous auxiliaries too; see
:mod:`.greg`.

Post-stratification on one (possibly cross-classified) variable with cells h multiplies the
weights of the cases in cell h by ``N_h / Σ_{i∈h} w_i``.

Raking on margins v = 1..V repeats, margin by margin, the post-stratification
``w_i ← w_i · N_{v,l} / Σ_{j: x_jv = l} w_j`` until every margin is met to a relative
tolerance (Deming & Stephan 1940; Kalton & Flores-Cervantes 2003, J. Off. Stat. 19:81).
Every case in one cell of the full cross-classification of the raking variables gets the same
factor, so the iterations run on the (small) table of cell totals and the case weights are
formed once at the end: the same weights as case-level IPF, at a cost independent of n.

Trimming (which re-calibrates with these functions) is in :mod:`fieldsurvey.weights.trim`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, WeightingError
from fieldsurvey.weights.greg import level_index, one_population_total
from fieldsurvey.weights.io import level_codes, level_keys

__all__ = ["CalibrationResult", "calibrate", "poststratify", "rake"]

MarginsLike = Mapping[str, Mapping[Any, float]]


@dataclass(frozen=True)
class CalibrationResult:
    """Calibrated weights and how they were reached.

    Attributes
    ----------
    weights
        The new weights, aligned with the input rows.
    method
        ``"rake"``, ``"poststratify"`` or ``"trim"``.
    factors
        New weight / input weight (NaN where the input weight was 0).
    margins
        One row per margin level: ``variable, level, total, achieved, rel_error``.
    iterations
        Raking sweeps (or trimming rounds).
    converged
        Whether the tolerance (or the trimming bound) was met.
    max_rel_error
        Largest ``|achieved − total| / total`` over all margin levels.
    cap
        The trimming bound, or None.
    trimmed
        Number of cases whose weight was cut at least once.
    """

    weights: pd.Series
    method: str
    factors: pd.Series
    margins: pd.DataFrame
    iterations: int
    converged: bool
    max_rel_error: float
    cap: float | None = None
    trimmed: int = 0
    notes: tuple[str, ...] = field(default=())


def _weights(data: pd.DataFrame, weights: str | Sequence[float] | np.ndarray | pd.Series,
             file: str | None) -> np.ndarray:
    if isinstance(weights, str):
        if weights not in data.columns:
            raise ColumnError("the data have no such weight column", file=file, field=weights,
                              got=", ".join(map(str, data.columns)))
        raw = data[weights]
        name = weights
    else:
        raw = pd.Series(np.asarray(weights), index=data.index)
        name = "weights"
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if w.shape[0] != len(data):
        raise WeightingError("there must be one weight per row", field=name,
                             expected=str(len(data)), got=str(w.shape[0]))
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        i = int(bad[0])
        raise WeightingError(f"{bad.size} weight(s) are missing, negative or not numbers",
                             file=file, row=i + 2, field=name, got=repr(raw.iloc[i]),
                             hint="Every case needs a weight >= 0")
    if not (w > 0).any():
        raise WeightingError("every weight is zero, so there is nothing to calibrate",
                             file=file, field=name)
    return w


def _codes(data: pd.DataFrame, variable: str, levels: Mapping[str, float], active: np.ndarray,
           file: str | None) -> np.ndarray:
    """Index of each case's level in ``levels`` (-1 for inactive cases), with checks."""
    parts = variable.split(":")
    for col in parts:
        if col not in data.columns:
            raise ColumnError(f"the data have no column for calibration variable '{variable}'",
                              file=file, field=col, got=", ".join(map(str, data.columns)),
                              hint="Rename the column or the margin variable so they match")
    row_codes, keys = level_codes(data, variable)
    hint = "Add the level to the margins, or recode the variable to the margins' levels"
    codes = level_index(row_codes, keys, variable, list(levels), active, file, hint=hint,
                        shown=None)
    return np.asarray(codes, dtype=np.int64)


def _margin_setup(
    data: pd.DataFrame, w: np.ndarray, margins: MarginsLike, file: str | None
) -> tuple[list[str], list[list[str]], list[np.ndarray], list[np.ndarray]]:
    if not margins:
        raise WeightingError("no margins were given", file=file,
                             hint="Give population totals for at least one variable")
    active = w > 0
    names, levels, codes, targets = [], [], [], []
    for var, raw in margins.items():
        lev = dict(zip(map(str, level_keys(pd.Series(list(raw), dtype=object))),
                       map(float, raw.values()), strict=True))
        t = np.array(list(lev.values()), dtype=float)
        if (~np.isfinite(t) | (t < 0)).any():
            raise WeightingError(f"margin '{var}' has a total that is negative or not a number",
                                 file=file, field=var)
        c = _codes(data, str(var), lev, active, file)
        sums = np.bincount(c[active], weights=w[active], minlength=len(lev))
        empty = [k for k, s, tt in zip(lev, sums, t, strict=True) if s <= 0 and tt > 0]
        if empty:
            raise WeightingError(
                f"margin '{var}' has level(s) with a population total but no weighted case in "
                "the sample (an empty cell), so the total cannot be met",
                file=file, field=str(var), got=", ".join(empty[:10]),
                hint="Collapse the empty level with a neighbouring level in the data and the "
                "margins",
            )
        zero = [k for k, s, tt in zip(lev, sums, t, strict=True) if s > 0 and tt <= 0]
        if zero:
            raise WeightingError(
                f"margin '{var}' gives a total of 0 for level(s) that have cases in the sample",
                file=file, field=str(var), got=", ".join(zero[:10]),
                hint="Check the margins, or drop those cases before calibrating",
            )
        names.append(str(var))
        levels.append(list(lev))
        codes.append(c)
        targets.append(t)
    one_population_total([(n, float(t.sum())) for n, t in zip(names, targets, strict=True)],
                         file)
    return names, levels, codes, targets


def _margin_table(names: list[str], levels: list[list[str]], codes: list[np.ndarray],
                  targets: list[np.ndarray], w: np.ndarray) -> pd.DataFrame:
    rows = []
    active = w > 0
    for name, lev, c, t in zip(names, levels, codes, targets, strict=True):
        achieved = np.bincount(c[active], weights=w[active], minlength=len(lev))
        for level, tt, a in zip(lev, t, achieved, strict=True):
            rows.append((name, level, tt, a, (a - tt) / tt if tt > 0 else 0.0))
    return pd.DataFrame(rows, columns=["variable", "level", "total", "achieved", "rel_error"])


def _result(data: pd.DataFrame, w0: np.ndarray, w: np.ndarray, method: str,
            table: pd.DataFrame, iterations: int, converged: bool,
            **extra: Any) -> CalibrationResult:
    with np.errstate(invalid="ignore", divide="ignore"):
        factors = np.where(w0 > 0, w / np.where(w0 > 0, w0, 1.0), np.nan)
    err = float(table["rel_error"].abs().max()) if len(table) else 0.0
    return CalibrationResult(
        weights=pd.Series(w, index=data.index, name="weight"), method=method,
        factors=pd.Series(factors, index=data.index, name="factor"), margins=table,
        iterations=iterations, converged=converged, max_rel_error=err, **extra,
    )


def _ipf(codes: list[np.ndarray], targets: list[np.ndarray], w: np.ndarray, tol: float,
         max_iter: int) -> tuple[np.ndarray, int, bool, float]:
    """Raking factors per case, run on the table of cross-classified cell totals."""
    active = w > 0
    sizes = [len(t) for t in targets]
    cell = np.zeros(int(active.sum()), dtype=np.int64)
    for c, size in zip(codes, sizes, strict=True):
        cell = cell * size + c[active]
    n_cells = int(np.prod(sizes, dtype=np.int64))
    if n_cells <= 4 * cell.size + 1024:
        cw_full = np.bincount(cell, weights=w[active], minlength=n_cells)
        used = np.flatnonzero(cw_full > 0)
        remap = np.full(n_cells, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        inverse = remap[cell]
        cw = cw_full[used]
        ucell = used
    else:
        ucell, inverse = np.unique(cell, return_inverse=True)
        cw = np.bincount(inverse, weights=w[active])
    # level of each cell on each margin
    cell_levels = []
    rest = ucell.copy()
    for size in reversed(sizes):
        cell_levels.append(rest % size)
        rest //= size
    cell_levels.reverse()
    f = np.ones(cw.size)
    err = np.inf
    it = 0
    for sweep in range(1, max_iter + 1):
        it = sweep
        for lv, t in zip(cell_levels, targets, strict=True):
            s = np.bincount(lv, weights=cw * f, minlength=t.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                f *= np.where(s > 0, t / np.where(s > 0, s, 1.0), 1.0)[lv]
        err = 0.0
        for lv, t in zip(cell_levels, targets, strict=True):
            s = np.bincount(lv, weights=cw * f, minlength=t.size)
            ok = t > 0
            if ok.any():
                err = max(err, float(np.max(np.abs(s[ok] - t[ok]) / t[ok])))
        if err <= tol:
            break
    factor = np.ones(w.size)
    factor[active] = f[inverse]
    return w * factor, it, err <= tol, err


def rake(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
    margins: MarginsLike,
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    file: str | None = None,
) -> CalibrationResult:
    """Rake weights to population margins by iterative proportional fitting.

    Parameters
    ----------
    data
        One row per case with the raking variables (columns named like the margins; a
        margin variable ``a:b`` is the cross-classification of columns ``a`` and ``b``).
    weights
        Column name or array of input weights (cases with weight 0 are left out and keep 0).
    margins
        ``{variable: {level: population total}}``; levels are matched as text.
    tol
        Largest allowed ``|achieved − total| / total`` over every level of every margin.
    max_iter
        Largest number of sweeps over the margins.
    file
        File name for error messages.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    WeightingError
        Empty cells, sample levels missing from the margins, totals that disagree between
        margins, or no convergence within ``max_iter`` sweeps (margins that cannot be met).
    """
    if not (np.isfinite(tol) and tol > 0):
        raise WeightingError("the raking tolerance must be a positive number", field="tol",
                             got=str(tol), hint="Use e.g. --tol 1e-10")
    if not max_iter >= 1:
        raise WeightingError("the number of raking sweeps must be at least 1", field="max_iter",
                             got=str(max_iter), hint="Use e.g. --max-iter 1000")
    w0 = _weights(data, weights, file)
    names, levels, codes, targets = _margin_setup(data, w0, margins, file)
    w, it, ok, err = _ipf(codes, targets, w0, tol, max_iter)
    if not ok:
        raise WeightingError(
            f"raking did not meet the margins within {max_iter} sweeps (largest relative "
            f"error {err:.3g}, tolerance {tol:g}); the sample's cross-classification has empty "
            "cells that make these margins impossible to meet together",
            file=file,
            hint="Collapse sparse levels, rake on fewer variables, or raise --max-iter",
        )
    table = _margin_table(names, levels, codes, targets, w)
    return _result(data, w0, w, "rake", table, it, ok)


def poststratify(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
    variable: str | Sequence[str],
    totals: Mapping[Any, float],
    *,
    file: str | None = None,
) -> CalibrationResult:
    """Post-stratify weights to population cell totals of one cross-classified variable.

    Parameters
    ----------
    data, weights
        As in :func:`rake`.
    variable
        A column, or several columns whose cross-classification forms the cells (levels
        then written ``"x:y"`` or given as tuples).
    totals
        ``{cell level: population total}``.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    WeightingError
        A sample cell absent from the totals, a cell with a total but no case (empty cell).
    """
    name = variable if isinstance(variable, str) else ":".join(variable)
    flat = {(":".join(map(str, k)) if isinstance(k, tuple) else k): v for k, v in totals.items()}
    w0 = _weights(data, weights, file)
    names, levels, codes, targets = _margin_setup(data, w0, {name: flat}, file)
    c, t = codes[0], targets[0]
    active = w0 > 0
    sums = np.bincount(c[active], weights=w0[active], minlength=t.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        fac = np.where(sums > 0, t / np.where(sums > 0, sums, 1.0), 1.0)
    w = w0.copy()
    w[active] = w0[active] * fac[c[active]]
    table = _margin_table(names, levels, codes, targets, w)
    return _result(data, w0, w, "poststratify", table, 1, True)


def calibrate(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
    margins: Mapping[str, Mapping[Any, float] | float],
    *,
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    maxit: int = 50,
    epsilon: float = 1e-7,
    file: str | None = None,
) -> CalibrationResult:
    """Calibrate weights linearly (GREG) or within bounds, as R's ``survey::calibrate``.

    Parameters
    ----------
    data, weights
        As in :func:`rake`.
    margins
        ``{variable: {level: total}}`` for categorical auxiliaries and ``{variable: total}``
        (or ``{variable: {"(total)": total}}``, as a margins file writes it) for continuous
        ones; ``"(Intercept)"`` gives the population size when no categorical margin does.
    calfun
        ``linear`` (GREG; truncated at the bounds when they are finite), ``raking``
        (exponential distance) or ``logit`` (g strictly within the bounds).
    bounds
        Lower and upper limits of the factor g = new weight / input weight.
    maxit, epsilon
        Newton iterations and the tolerance on ``|misfit| / (1 + |total|)`` (R's defaults).

    Returns
    -------
    CalibrationResult
        ``method`` ``"calibrate"``; the margin table has one row per auxiliary column.
    """
    from fieldsurvey.weights.greg import auxiliary_matrix, grake

    if calfun not in ("linear", "raking", "logit"):
        raise WeightingError("unknown calibration function", field="calfun",
                             expected="linear | raking | logit", got=repr(calfun))
    w0 = _weights(data, weights, file)
    active = w0 > 0
    aux = auxiliary_matrix(data, margins, active, file)
    g, ok, achieved = grake(aux.matrix, w0, aux.totals, calfun, bounds, epsilon=epsilon,
                            maxit=maxit)
    if not ok:
        raise WeightingError(
            f"calibration did not converge in {maxit} iterations (largest misfit {achieved:.3g} "
            "of the totals): the bounds are too tight for these margins", file=file,
            field="bounds", got=f"{bounds[0]:g}, {bounds[1]:g}",
            hint="Widen the bounds, or calibrate on fewer variables",
        )
    w = np.where(active, w0 * g, 0.0)
    got = aux.matrix.T @ w
    rows = []
    for name, t, a in zip(aux.names, aux.totals, got, strict=True):
        var, _, level = name.partition("=")
        rows.append((var, level or "(total)", float(t), float(a),
                     (a - t) / t if t else 0.0))
    table = pd.DataFrame(rows, columns=["variable", "level", "total", "achieved", "rel_error"])
    return _result(data, w0, w, "calibrate", table, 1, True)
