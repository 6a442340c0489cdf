"""The variance of a calibrated design: the projection R's ``svyrecvar`` applies.

:func:`calibrated_unit_totals` gives the unit totals of the influence values after every
calibration step of a :class:`~.design.SurveyDesign` (post-stratification, raking, GREG /
bounded calibration; see :mod:`fieldsurvey.estimate.calibration` for the formulas), which
:mod:`fieldsurvey.estimate.taylor` (or the PPS variance) then turns into a variance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fieldsurvey.estimate import taylor
from fieldsurvey.estimate._groups import group_sum

if TYPE_CHECKING:
    from fieldsurvey.estimate.calibration import CalibrationStep
    from fieldsurvey.estimate.design import SurveyDesign

__all__ = ["calibrated_unit_totals"]


def _unit_matrix(design: SurveyDesign, groups: np.ndarray, n_groups: int,
                 values: np.ndarray) -> Any:
    """(units x groups) sums of ``values`` over rows, dense when small, else sparse."""
    from scipy import sparse

    keep = groups >= 0
    units = design.row_unit[keep]
    if design.n_units * n_groups <= 4_000_000:
        flat = np.bincount(units * n_groups + groups[keep], weights=values[keep],
                           minlength=design.n_units * n_groups)
        return flat.reshape(design.n_units, n_groups)
    return sparse.csr_matrix((values[keep], (units, groups[keep])),
                             shape=(design.n_units, n_groups))


def _cell_sums(step: CalibrationStep, values: np.ndarray, domain: np.ndarray | None,
               count: int) -> np.ndarray:
    """(cells x domains) sums of ``values`` (rows of domain -1 or no cell left out)."""
    cell = step.cell
    if domain is None:
        if step.cache.setdefault("all_in_cells", bool((cell >= 0).all())):
            return np.bincount(cell, weights=values, minlength=step.n_cells)[:, None]
        keep = cell >= 0
        return np.bincount(cell[keep], weights=values[keep], minlength=step.n_cells)[:, None]
    keep = (cell >= 0) & (domain >= 0)
    key = cell[keep] * count + domain[keep]
    return np.bincount(key, weights=values[keep],
                       minlength=step.n_cells * count).reshape(step.n_cells, count)


def _rake_h(step: CalibrationStep, s: np.ndarray, nc: np.ndarray) -> np.ndarray:
    """R's ten backfitting sweeps, on cells: z_i - base_i H[cell_i] is the residual."""
    h = np.zeros_like(s)
    counts = [np.bincount(lv, weights=nc, minlength=k)
              for lv, k in zip(step.levels, step.n_levels, strict=True)]
    for _ in range(10):
        for lv, k, gm, cnt in zip(step.levels, step.n_levels, step.gains, counts, strict=True):
            inner = (s - nc[:, None] * h) / gm[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                a = group_sum(lv, k, inner) / cnt[:, None]
            h = h + gm[:, None] * a[lv]
    return h


def _step_rows(step: CalibrationStep, x: np.ndarray) -> np.ndarray:
    """The projection of ``x`` (rows x columns) by one calibration step."""
    base = step.base
    if step.kind == "greg":
        return np.asarray(x - (step.g * base)[:, None] * (step.matrix @ _greg_beta(step, x)))
    pos = base > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(pos[:, None], x / np.where(pos, base, 1.0)[:, None], 0.0)
    if step.kind == "poststratify":
        gain = step.gains[0]
        cell = np.maximum(step.cell, 0)
        inside = step.cell >= 0
        s = group_sum(cell[inside], step.n_cells, x[inside])
        o = np.bincount(cell[inside], weights=base[inside], minlength=step.n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s / (gain * o)[:, None]
        corr = (base * gain[cell])[:, None] * mean[cell]
        return np.where(inside[:, None], x - corr, x)
    inside = step.cell >= 0
    cell = np.maximum(step.cell, 0)
    s = group_sum(cell[inside], step.n_cells, ratio[inside])
    nc = np.bincount(cell[inside], minlength=step.n_cells).astype(np.float64)
    h = _rake_h(step, s, nc)
    return np.where(inside[:, None], x - base[:, None] * h[cell], x)


def _greg_beta(step: CalibrationStep, x: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of z / (g sqrt(w)) on sqrt(w) M, columns of ``x``."""
    q, rinv = _greg_qr(step)
    with np.errstate(invalid="ignore", divide="ignore"):
        xg = np.where(step.g[:, None] != 0, x / np.where(step.g != 0, step.g, 1.0)[:, None], 0.0)
    rhs = step.matrix.T @ xg  # = A' y with A = sqrt(w) M, y = z / (g sqrt(w))
    return np.asarray(rinv @ (rinv.T @ rhs))


def _greg_qr(step: CalibrationStep) -> tuple[np.ndarray, np.ndarray]:
    cached = step.cache.get("qr")
    if cached is None:
        from scipy.linalg import qr, solve_triangular

        a = step.matrix * np.sqrt(step.base)[:, None]
        scale = np.maximum(np.abs(a).max(axis=0), 1e-300)
        _, r = qr(a / scale, mode="economic")
        rinv = solve_triangular(r, np.eye(r.shape[0])) / scale[:, None]
        cached = (np.empty(0), rinv)
        step.cache["qr"] = cached
    return cached


def calibrated_unit_totals(design: SurveyDesign, z: np.ndarray, domain: np.ndarray | None,
                           count: int) -> np.ndarray:
    """Unit totals (units x domains) of the influence values after the calibration projection.

    ``z`` is zero outside every domain (the caller zeroes it); ``domain`` codes the rows
    (-1: none) or is None for one domain holding every row.
    """
    steps = design.calibration
    if len(steps) != 1:  # several calibrations in sequence: project the full matrix
        x = np.zeros((design.n, count))
        if domain is None:
            x[:, 0] = z
        else:
            keep = domain >= 0
            x[np.flatnonzero(keep), domain[keep]] = z[keep]
        for step in steps:
            x = _step_rows(step, x)
        return group_sum(design.row_unit, design.n_units, x)
    step = steps[0]
    t, _ = taylor.unit_totals(design, z, domain, count)
    if t.shape[1] != count:
        t = np.broadcast_to(t, (t.shape[0], count))
    if step.kind == "greg":
        beta = _greg_domains(step, z, domain, count)
        c = step.cache.get("units_greg")
        if c is None:
            gw = step.g * step.base
            c = np.column_stack([
                np.bincount(design.row_unit, weights=gw * step.matrix[:, j],
                            minlength=design.n_units)
                for j in range(step.matrix.shape[1])
            ])
            step.cache["units_greg"] = c
        return np.asarray(t - c @ beta)
    base = step.base
    if step.kind == "poststratify":
        gain = step.gains[0]
        s = _cell_sums(step, z, domain, count)
        o = np.bincount(step.cell[step.cell >= 0], weights=base[step.cell >= 0],
                        minlength=step.n_cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            h = s / (gain * o)[:, None] * gain[:, None]
    else:
        inv = step.cache.get("inverse_base")
        if inv is None:
            pos = base > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                inv = np.where(pos, 1.0 / np.where(pos, base, 1.0), 0.0)
            step.cache["inverse_base"] = inv
        s = _cell_sums(step, z * inv, domain, count)
        nc = step.cache.get("nc")
        if nc is None:
            nc = np.bincount(step.cell[step.cell >= 0], minlength=step.n_cells).astype(np.float64)
            step.cache["nc"] = nc
        h = _rake_h(step, s, nc)
    b = step.cache.get("units")
    if b is None:
        b = _unit_matrix(design, step.cell, step.n_cells, base)
        step.cache["units"] = b
    return np.asarray(t - b @ h)


def _greg_domains(step: CalibrationStep, z: np.ndarray, domain: np.ndarray | None,
                  count: int) -> np.ndarray:
    """GREG coefficients (p x domains) of the domain columns of z."""
    _, rinv = _greg_qr(step)
    with np.errstate(invalid="ignore", divide="ignore"):
        zg = np.where(step.g != 0, z / np.where(step.g != 0, step.g, 1.0), 0.0)
    p = step.matrix.shape[1]
    if domain is None:
        rhs = (step.matrix.T @ zg)[:, None]
    else:
        keep = domain >= 0
        rhs = np.empty((p, count))
        for j in range(p):
            rhs[j] = np.bincount(domain[keep], weights=(zg * step.matrix[:, j])[keep],
                                 minlength=count)
    return np.asarray(rinv @ (rinv.T @ rhs))
