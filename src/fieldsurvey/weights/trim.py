"""Trimming: cap large weights, restore the totals, repeat until no weight is above the cap.

:func:`trim_bounds` is R's ``survey::trimWeights`` exactly: weights outside ``[lower,
upper]`` are set to the bound and the amount cut (or added) is shared equally among the
others, once (``strict=False``, R's default) or until every weight is within the bounds
(``strict=True``).

Trimming caps weights at an upper bound (a multiple of the median weight, a quantile, or a
number), then restores the totals — by re-raking/post-stratifying to the margins when they are
given, otherwise by sharing the amount cut among the untrimmed cases (in proportion to their
weights, or equally as R ``survey::trimWeights``) — and repeats until no weight is above the
bound (Potter 1990; Valliant, Dever & Kreuter 2018, ch. 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import WeightingError
from fieldsurvey.weights.calibrate import (
    CalibrationResult,
    MarginsLike,
    _ipf,
    _margin_setup,
    _margin_table,
    _result,
    _weights,
)

__all__ = ["trim_bounds", "trim_weights"]


def trim_weights(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
    *,
    cap: float | None = None,
    quantile: float | None = None,
    upper: float | None = None,
    margins: MarginsLike | None = None,
    method: Literal["rake", "poststratify"] = "rake",
    redistribute: Literal["proportional", "equal"] = "proportional",
    max_rounds: int = 200,
    tol: float = 1e-10,
    file: str | None = None,
) -> CalibrationResult:
    """Cap large weights, restore the totals, and repeat until no weight is above the cap.

    Parameters
    ----------
    data, weights
        As in :func:`rake`.
    cap, quantile, upper
        Exactly one: the bound as a multiple of the median positive weight (e.g. 3.5), as a
        quantile of the positive weights (e.g. 0.99), or as a number. It is fixed from the
        input weights before trimming starts.
    margins
        When given, each round re-calibrates to them (``method``: rake or poststratify with
        one variable); otherwise the amount cut is shared among the untrimmed cases.
    redistribute
        Without margins: ``"proportional"`` to the untrimmed weights (keeps their ratios) or
        ``"equal"`` shares (R ``survey::trimWeights``).
    max_rounds, tol
        Round limit; tolerance of the re-calibration and of the cap check.

    Returns
    -------
    CalibrationResult
        ``converged`` is False when weights still exceed the cap after ``max_rounds``
        (the cap is then too tight for the margins); the notes say so.
    """
    given = [x is not None for x in (cap, quantile, upper)]
    if sum(given) != 1:
        raise WeightingError("give exactly one trimming bound: cap, quantile or upper",
                             field="trim", got=f"cap={cap}, quantile={quantile}, upper={upper}")
    w0 = _weights(data, weights, file)
    pos = w0[w0 > 0]
    if cap is not None:
        if cap <= 1:
            raise WeightingError("the trimming multiple must be greater than 1", field="trim",
                                 got=str(cap), hint="Use e.g. 3.5 (times the median weight)")
        bound = float(cap) * float(np.median(pos))
    elif quantile is not None:
        if not 0 < quantile < 1:
            raise WeightingError("the trimming quantile must lie between 0 and 1",
                                 field="trim", got=str(quantile))
        bound = float(np.quantile(pos, quantile))
    else:
        bound = float(upper)  # type: ignore[arg-type]
        if bound <= 0:
            raise WeightingError("the trimming bound must be positive", field="trim",
                                 got=str(upper))
    if margins is not None:
        setup = _margin_setup(data, w0, margins, file)
        if method == "poststratify" and len(setup[0]) != 1:
            raise WeightingError("post-stratification takes exactly one (cross-classified) "
                                 "variable", field="margins", got=", ".join(setup[0]))
    w = w0.copy()
    if margins is not None:  # start from weights that meet the margins
        w, _, _, _ = _ipf(setup[2], setup[3], w, tol, 10_000)
    ever = np.zeros(w.size, dtype=bool)
    rounds = 0
    converged = False
    previous: np.ndarray | None = None
    for round_no in range(1, max_rounds + 1):
        rounds = round_no
        over = w > bound * (1 + tol)
        if not over.any():
            converged = True
            break
        if previous is not None and np.max(np.abs(w - previous)) <= 1e-12 * float(w.max()):
            break  # a fixed point above the cap: the margins do not allow it
        previous = w.copy()
        ever |= over
        if margins is not None:
            w[over] = bound
            names, levels, codes, targets = setup
            w, _, _, _ = _ipf(codes, targets, w, tol, 10_000)
        else:
            over = w > bound
            cut = float((w[over] - bound).sum())
            w[over] = bound
            keep = (w > 0) & ~over
            if not keep.any():
                raise WeightingError("every weight is at the cap, so nothing can take the amount "
                                     "cut", field="trim", got=f"cap {bound:g}",
                                     hint="Raise the cap")
            if redistribute == "equal":  # R survey::trimWeights: equal shares, one pass
                w[keep] += cut / keep.sum()
            else:  # cases at the cap stay there; the others share the rest pro rata
                capped = (w >= bound) & (w > 0)
                keep = (w > 0) & ~capped
                if not keep.any():
                    raise WeightingError("every weight is at the cap, so nothing can take the "
                                         "amount cut", field="trim", got=f"cap {bound:g}",
                                         hint="Raise the cap")
                free = float(w0.sum()) - bound * int(capped.sum())
                w[keep] *= free / w[keep].sum()
    notes: tuple[str, ...] = ()
    if not converged:
        notes = ((f"after {rounds} round(s) {int((w > bound * (1 + tol)).sum())} weight(s) are "
                  f"still above the cap {bound:.6g} (largest {float(w.max()):.6g}): the cap is "
                  "too tight for the margins"),)
    if margins is not None:
        names, levels, codes, targets = setup
        table = _margin_table(names, levels, codes, targets, w)
    else:
        table = pd.DataFrame(
            [("(total)", "(all)", float(w0.sum()), float(w.sum()),
              (float(w.sum()) - float(w0.sum())) / float(w0.sum()))],
            columns=["variable", "level", "total", "achieved", "rel_error"],
        )
    return _result(data, w0, w, "trim", table, rounds, converged, cap=bound,
                   trimmed=int(ever.sum()), notes=notes)


def trim_bound_weights(w: np.ndarray, lower: float, upper: float, strict: bool,
                       max_rounds: int = 1000) -> tuple[np.ndarray, int, np.ndarray]:
    """R's ``trimWeights`` on an array: new weights, rounds and which weights were cut.

    Cases with weight 0 keep 0 (R would give them a share of the amount cut).
    """
    w = np.asarray(w, dtype=np.float64).copy()
    active = w > 0
    ever = np.zeros(w.size, dtype=bool)
    rounds = 0
    while rounds < max_rounds:
        outside = active & ((w < lower) | (w > upper))
        if not outside.any():
            break
        rounds += 1
        ever |= outside
        new = np.where(outside, np.clip(w, lower, upper), w)
        inside = active & ~outside
        if not inside.any():
            raise WeightingError("every weight is outside the trimming bounds, so nothing can "
                                 "take the amount cut", field="trim",
                                 got=f"bounds {lower:g}, {upper:g}", hint="Widen the bounds")
        new[inside] += float((w - new)[outside].sum()) / int(inside.sum())
        w = new
        if not strict:
            break
    return w, rounds, ever


def trim_bounds(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
    file: str | None = None,
) -> CalibrationResult:
    """Trim weights to ``[lower, upper]`` as R's ``trimWeights`` (see the module docstring).

    Parameters
    ----------
    data, weights
        As in :func:`~fieldsurvey.weights.rake`.
    lower, upper
        The bounds (absolute weights); at least one.
    strict
        Repeat until every weight is within the bounds (R's ``strict=TRUE``); by default one
        pass, after which weights that received a share may again lie outside.

    Returns
    -------
    CalibrationResult
        ``method`` ``"trim"``, ``cap`` the upper bound; the margin table holds the weight total.
    """
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lower is None and upper is None:
        raise WeightingError("give a lower or an upper trimming bound", field="trim")
    if not lo < hi:
        raise WeightingError("the lower trimming bound must be below the upper one",
                             field="trim", got=f"{lo:g}, {hi:g}")
    w0 = _weights(data, weights, file)
    w, rounds, ever = trim_bound_weights(w0, lo, hi, strict)
    within = bool(((w >= lo) & (w <= hi) | (w == 0)).all())
    notes: tuple[str, ...] = ()
    if not within:
        notes = (f"one pass (R's strict=FALSE): {int(((w < lo) | (w > hi)).sum())} weight(s) "
                 "received a share and lie outside the bounds again; use strict to repeat",)
    table = pd.DataFrame(
        [("(total)", "(all)", float(w0.sum()), float(w.sum()),
          (float(w.sum()) - float(w0.sum())) / float(w0.sum()))],
        columns=["variable", "level", "total", "achieved", "rel_error"],
    )
    return _result(data, w0, w, "trim", table, rounds, within,
                   cap=None if upper is None else hi, trimmed=int(ever.sum()), notes=notes)
