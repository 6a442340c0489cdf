"""Calibrated designs: post-stratification, raking and GREG / bounded calibration in the variance.

How to use it (R: ``rake(svydesign(...), list(~stype, ~sch.wide), list(pop1, pop2))``)::

    from fieldsurvey.estimate import SurveyDesign, svymean

    design = SurveyDesign(sample, ids="community_id", strata="stratum", weights="base_weight",
                          nest=True)
    raked = design.rake({"sex": {"1": 51234, "2": 50766},
                         "age_group": {"18-29": 20001, "30-44": 30500, ...}})
    svymean("satisfaction_index", raked)          # mean with the calibrated SE
    svymean("satisfaction_index", raked, by="community_id")

``design.poststratify("sex:age_group", {"1:18-29": 9000, ...})`` post-stratifies on cells and
``design.calibrate({"stype": {...}, "api99": 3914069.0})`` calibrates linearly (GREG) on
categorical and continuous auxiliaries, or with ``calfun="logit", bounds=(0.5, 2)`` within
bounds. The same methods exist on a :class:`~.replicate_design.ReplicateDesign`, which re-calibrates
every replicate's weights (as R does) instead of using residuals.

The returned design carries the calibration, so every estimator's Taylor variance is that
of the influence values z after the projection R's ``svyrecvar`` applies (Lumley 2010, 7.3):

* post-stratification (cells h, weights before w⁰ and after w):
  ``z - w * (Σ_h z w⁰/w / Σ_h w⁰)``;
* raking: R's approximation, ten sweeps of ``z - w_m * ave(z / w_m, margin m)`` over the
  margins, with w_m the weights after margin m's post-stratification in the last raking sweep;
* GREG and bounded calibration: ``z - g w⁰ M b`` with ``b`` the least-squares fit of
  ``z / (g sqrt(w⁰))`` on ``sqrt(w⁰) M`` (R's ``qr.resid``; M the auxiliaries).

Each projection is computed on the table of calibration cells (raking, post-strata) or on
the p auxiliaries (GREG), so its cost does not grow with the number of domains: the unit
totals of the residuals are the plain unit totals minus a (units x cells) matrix times a
(cells x domains) matrix. Raking itself follows R's ``rake``: sweeps of post-stratification
until the largest change of a cell of the raking variables' cross-table is below
``epsilon`` (a fraction of the weight total when below 1, R's rule), at most ``maxit``
sweeps; R's defaults ``maxit=10, epsilon=1`` reproduce its numbers exactly, the defaults
here rake to convergence.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate._groups import group_sum
from fieldsurvey.estimate.calibration_variance import calibrated_unit_totals
from fieldsurvey.io.errors import WeightingError
from fieldsurvey.weights.greg import (
    auxiliary_matrix,
    grake,
    is_continuous,
    level_text,
    margin_codes,
    one_population_total,
)

if TYPE_CHECKING:
    from fieldsurvey.estimate.design import SurveyDesign
    from fieldsurvey.estimate.replicate_design import ReplicateDesign

__all__ = [
    "CalibrationStep",
    "calibrate_design",
    "calibrated_unit_totals",
    "poststratify_design",
    "rake_design",
]

R_RAKE_DEFAULTS = {"maxit": 10, "epsilon": 1.0}


@dataclass(frozen=True, eq=False)
class CalibrationStep:
    """One calibration carried by a design, with what its variance projection needs.

    ``kind`` is ``poststratify``, ``rake`` or ``greg``; ``cell`` codes each row's calibration
    cell (post-strata, cells of the raking variables' cross-classification); for raking
    ``levels[m]`` gives each cell's level of margin m and ``gains[m]`` the cell factor after
    margin m in the last sweep; for post-stratification ``gains[0]`` is the cell factor; for
    GREG ``matrix`` holds the auxiliaries and ``g`` the g-weights. ``base`` is the weight
    before this calibration.
    """

    kind: str
    variables: tuple[str, ...]
    base: np.ndarray
    cell: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_cells: int = 0
    levels: tuple[np.ndarray, ...] = ()
    n_levels: tuple[int, ...] = ()
    gains: tuple[np.ndarray, ...] = ()
    matrix: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    g: np.ndarray = field(default_factory=lambda: np.empty(0))
    iterations: int = 0
    cache: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """``raked on sex, age_group`` and the like."""
        what = {"poststratify": "post-stratified on", "rake": "raked on",
                "greg": "calibrated on"}[self.kind]
        return f"{what} {', '.join(self.variables)}"


# -- building the cells ----------------------------------------------------------------------
def _positive_weights(w: np.ndarray, source: str | None, field_name: str) -> np.ndarray:
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WeightingError("weights must be finite and not negative to calibrate",
                             file=source, row=i + 2, field=field_name, got=repr(float(w[i])))
    return w > 0


def _categorical(data: pd.DataFrame, margins: Mapping[str, Mapping[Any, float]],
                 active: np.ndarray, w: np.ndarray, source: str | None
                 ) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Per margin: name, row codes (−1 inactive) and targets; checked as R's postStratify."""
    names, codes, targets = [], [], []
    for var, spec in margins.items():
        var = str(var)
        if is_continuous(spec):
            raise WeightingError(
                f"'{var}' is a continuous total, which raking and post-stratification cannot meet",
                file=source, field=var,
                hint="Use linear calibration (calibrate / --calibrate) for continuous margins",
            )
        levels = [level_text(k) for k in spec]
        t = np.array([float(v) for v in spec.values()], dtype=float)
        if (~np.isfinite(t) | (t < 0)).any():
            raise WeightingError(f"margin '{var}' has a total that is negative or not a number",
                                 file=source, field=var)
        c = margin_codes(data, var, levels, active, source)
        sums = np.bincount(c[active], weights=w[active], minlength=len(levels))
        empty = [lv for lv, s, tt in zip(levels, sums, t, strict=True) if s <= 0 < tt]
        if empty:
            raise WeightingError(
                f"margin '{var}' has level(s) with a population total but no weighted case in "
                "the sample (an empty cell), so the total cannot be met", file=source,
                field=var, got=", ".join(empty[:10]),
                hint="Collapse the empty level with a neighbouring level in the data and the "
                "margins",
            )
        zero = [lv for lv, s, tt in zip(levels, sums, t, strict=True) if s > 0 and tt <= 0]
        if zero:
            raise WeightingError(
                f"margin '{var}' gives a total of 0 for level(s) that have cases in the sample",
                file=source, field=var, got=", ".join(zero[:10]),
                hint="Check the margins, or drop those cases before calibrating",
            )
        names.append(var)
        codes.append(c)
        targets.append(t)
    one_population_total([(n, float(t.sum())) for n, t in zip(names, targets, strict=True)],
                         source)
    return names, codes, targets


def _cells(codes: list[np.ndarray], sizes: list[int], active: np.ndarray
           ) -> tuple[np.ndarray, int, list[np.ndarray]]:
    """Codes of the occupied cells of the cross-classification and each cell's levels."""
    key = np.zeros(active.size, dtype=np.int64)
    for c, size in zip(codes, sizes, strict=True):
        key = key * size + np.maximum(c, 0)
    used, inverse = np.unique(key[active], return_inverse=True)
    cell = np.full(active.size, -1, dtype=np.int64)
    cell[active] = inverse
    levels = []
    rest = used.copy()
    for size in reversed(sizes):
        levels.append(rest % size)
        rest //= size
    levels.reverse()
    return cell, int(used.size), levels


def _sweeps(cw: np.ndarray, levels: list[np.ndarray], targets: list[np.ndarray],
            maxit: int, epsilon: float) -> tuple[list[np.ndarray], np.ndarray, int, bool]:
    """R's ``rake`` loop on the cell totals ``cw``.

    Returns the cell factors after each margin of the last sweep, the final factor, the
    sweeps done and whether it converged.
    """
    f = np.ones(cw.size)
    old = cw.copy()
    gains: list[np.ndarray] = []
    it = 0
    converged = False
    eps = epsilon * float(cw.sum()) if epsilon < 1 else epsilon
    while it < maxit:
        gains = []
        for lv, t in zip(levels, targets, strict=True):
            s = np.bincount(lv, weights=cw * f, minlength=t.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                f = f * (t / s)[lv]
            gains.append(f.copy())
        new = cw * f
        if float(np.max(np.abs(old - new))) < eps:
            converged = True
            break
        old = new
        it += 1
    return gains, f, it + (1 if converged else 0), converged


def _replicate_sweeps(cwr: np.ndarray, levels: list[np.ndarray], targets: list[np.ndarray],
                      sweeps: int) -> np.ndarray:
    """The same number of post-stratification sweeps on replicate cell totals (cells, R)."""
    f = np.ones_like(cwr)
    for _ in range(sweeps):
        for lv, t in zip(levels, targets, strict=True):
            s = group_sum(lv, t.size, cwr * f)
            with np.errstate(invalid="ignore", divide="ignore"):
                f = f * (t[:, None] / s)[lv]
    return f


# -- the designs -------------------------------------------------------------------------------
def _with(design: Any, weights: np.ndarray, step: CalibrationStep) -> Any:
    new = copy.copy(design)
    new.weights = weights
    new.calibration = (*design.calibration, step)
    if hasattr(new, "_all_nonzero"):
        del new._all_nonzero
    return new


def rake_design(design: SurveyDesign | ReplicateDesign,
                margins: Mapping[str, Mapping[Any, float]], *, maxit: int = 1000,
                epsilon: float = 1e-13) -> Any:
    """Rake ``design``'s weights to ``margins`` (R's ``rake``); see the module docstring."""
    from fieldsurvey.estimate.replicate_design import ReplicateDesign

    if not margins:
        raise WeightingError("no margins were given", file=design.source,
                             hint="Give population totals for at least one variable")
    if not (maxit >= 1 and epsilon > 0):
        raise WeightingError("raking needs maxit >= 1 and epsilon > 0", field="rake",
                             got=f"maxit={maxit}, epsilon={epsilon}")
    w = np.asarray(design.weights, dtype=np.float64)
    active = _positive_weights(w, design.source, "weights")
    names, codes, targets = _categorical(design.data, margins, active, w, design.source)
    cell, n_cells, levels = _cells(codes, [t.size for t in targets], active)
    cw = np.bincount(cell[active], weights=w[active], minlength=n_cells)
    gains, f, sweeps, converged = _sweeps(cw, levels, targets, maxit, epsilon)
    if not converged:
        raise WeightingError(
            f"raking did not converge within {maxit} sweeps (largest change of a cell "
            f"above {epsilon:g}); the sample's cross-classification has empty cells that make "
            "these margins impossible to meet together", file=design.source,
            hint="Collapse sparse levels, rake on fewer variables, or allow more sweeps",
        )
    new_w = np.where(active, w * f[np.maximum(cell, 0)], 0.0)
    step = CalibrationStep("rake", tuple(names), w, cell=cell, n_cells=n_cells,
                           levels=tuple(levels), n_levels=tuple(t.size for t in targets),
                           gains=tuple(gains), iterations=sweeps)
    if isinstance(design, ReplicateDesign):
        grp = design.groups_by(cell, active)
        cwr = group_sum(grp.cell, n_cells, grp.weight[:, None] * grp.factors)
        fr = _replicate_sweeps(cwr, levels, targets, sweeps)
        return design.recalibrated(new_w, grp.factors * fr[grp.cell], step, row_unit=grp.group,
                                   multiplier=grp.multiplier)
    return _with(design, new_w, step)


def poststratify_design(design: SurveyDesign | ReplicateDesign, variable: str | Sequence[str],
                        totals: Mapping[Any, float]) -> Any:
    """Post-stratify on one (cross-classified) variable (R's ``postStratify``)."""
    from fieldsurvey.estimate.replicate_design import ReplicateDesign

    name = variable if isinstance(variable, str) else ":".join(variable)
    flat = {(":".join(map(level_text, k)) if isinstance(k, tuple) else k): v
            for k, v in totals.items()}
    w = np.asarray(design.weights, dtype=np.float64)
    active = _positive_weights(w, design.source, "weights")
    names, codes, targets = _categorical(design.data, {name: flat}, active, w, design.source)
    c, t = codes[0], targets[0]
    sums = np.bincount(c[active], weights=w[active], minlength=t.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = np.where(sums > 0, t / np.where(sums > 0, sums, 1.0), 1.0)
    new_w = np.where(active, w * gain[np.maximum(c, 0)], 0.0)
    step = CalibrationStep("poststratify", (name,), w, cell=c, n_cells=t.size,
                           gains=(gain,), iterations=1)
    if isinstance(design, ReplicateDesign):
        grp = design.groups_by(c, active)
        sr = group_sum(grp.cell, t.size, grp.weight[:, None] * grp.factors)
        with np.errstate(invalid="ignore", divide="ignore"):
            fr = t[:, None] / sr
        return design.recalibrated(new_w, grp.factors * fr[grp.cell], step, row_unit=grp.group,
                                   multiplier=grp.multiplier)
    return _with(design, new_w, step)


def calibrate_design(design: SurveyDesign | ReplicateDesign,
                     margins: Mapping[str, Mapping[Any, float] | float], *,
                     calfun: str = "linear", bounds: tuple[float, float] = (-np.inf, np.inf),
                     maxit: int = 50, epsilon: float = 1e-7) -> Any:
    """Linear (GREG) or bounded calibration (R's ``calibrate``); see the module docstring."""
    from fieldsurvey.estimate.replicate_design import ReplicateDesign

    if calfun not in ("linear", "raking", "logit"):
        raise WeightingError("unknown calibration function", field="calfun",
                             expected="linear | raking | logit", got=repr(calfun))
    w = np.asarray(design.weights, dtype=np.float64)
    active = _positive_weights(w, design.source, "weights")
    aux = auxiliary_matrix(design.data, margins, active, design.source)
    m = aux.matrix
    g, ok, achieved = grake(m, w, aux.totals, calfun, bounds, epsilon=epsilon, maxit=maxit)
    if not ok:
        raise WeightingError(
            f"calibration did not converge in {maxit} iterations (largest misfit "
            f"{achieved:.3g} of the totals): the bounds are too tight for these margins",
            file=design.source, field="bounds", got=f"{bounds[0]:g}, {bounds[1]:g}",
            hint="Widen the bounds, or calibrate on fewer variables",
        )
    new_w = w * g
    names = tuple(dict.fromkeys(str(v) for v in margins))
    step = CalibrationStep("greg", names, w, matrix=m, g=g, iterations=1)
    if isinstance(design, ReplicateDesign):
        # rows with the same replicate unit and auxiliary values get the same g in every
        # replicate: calibrate the groups (as many as rows with a continuous auxiliary)
        xrow = pd.DataFrame(m).groupby(list(range(m.shape[1])), sort=False).ngroup()
        grp = design.groups_by(xrow.to_numpy(dtype=np.int64), active)
        mg = m[grp.rows]
        fac = grp.factors
        if calfun == "linear" and not np.isfinite(bounds).any():
            _linear_replicates(mg, grp.weight, fac, aux.totals)
        else:
            for r in range(fac.shape[1]):
                gr, _, _ = grake(mg, grp.weight * fac[:, r], aux.totals, calfun, bounds,
                                 epsilon=epsilon, maxit=maxit)
                fac[:, r] = fac[:, r] * gr
        return design.recalibrated(new_w, fac, step, row_unit=grp.group,
                                   multiplier=grp.multiplier)
    return _with(design, new_w, step)


def _linear_replicates(m: np.ndarray, weight: np.ndarray, fac: np.ndarray,
                       totals: np.ndarray, chunk: int = 65_536) -> None:
    """R's closed-form linear calibration of every replicate at once, in place on ``fac``.

    Replicate r's weights are ``weight * fac[:, r]``; as :func:`linear_g`, g = 1 + M_s
    lambda_r with M_s the columns scaled to a maximum of 1 and lambda_r solving
    (M_s' W_r M_s) lambda_r = (T - M' w_r) / scale. The p x p systems are solved together
    and g is applied in blocks of rows, so nothing of size rows x replicates is made twice.
    """
    p = m.shape[1]
    scale = np.maximum(np.abs(m).max(axis=0), 1e-300)
    ms = m / scale
    n_rep = fac.shape[1]
    tmat = np.zeros((n_rep, p * p))
    rhs = np.tile(totals.astype(np.float64), (n_rep, 1))
    for lo in range(0, m.shape[0], chunk):
        sl = slice(lo, lo + chunk)
        wr = weight[sl, None] * fac[sl]  # block rows x replicates
        outer = (ms[sl, :, None] * ms[sl, None, :]).reshape(-1, p * p)
        tmat += wr.T @ outer
        rhs -= wr.T @ m[sl]
    lam = np.linalg.solve(tmat.reshape(n_rep, p, p), (rhs / scale)[:, :, None])[:, :, 0]
    for lo in range(0, m.shape[0], chunk):
        sl = slice(lo, lo + chunk)
        fac[sl] *= 1.0 + ms[sl] @ lam.T

