r"""A replicate-weight design (R's ``svyrep.design``): its weights, variance and re-calibration.

A replicate design keeps the full-sample weights w_i and R replicate analysis weights
a_ri = m_i F[unit(i), r]: built from a :class:`~.design.SurveyDesign`
(:func:`~.replicate.as_replicate`), the factors F are per first-stage PSU and m = w; read
from replicate weight columns (:meth:`ReplicateDesign.from_columns`), the units are the
rows. Any statistic is recomputed with each replicate's weights and (R's ``svrVar``)

.. math:: v = \text{scale} \sum_r \text{rscale}_r (\hat\theta_r - \bar\theta)^2,

with :math:`\bar\theta` the mean of the replicates with rscale > 0 (or the full-sample
estimate when ``mse=True``). Replicates giving NaN for a statistic are left out of its
variance, as R's ``na.omit`` does.

Raking, post-stratification and calibration re-calibrate every replicate's weights
(:mod:`.calibration`), keeping them compressed as groups x replicates
(:meth:`ReplicateDesign.groups_by`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from fieldsurvey.estimate._columns import numeric_column, require_columns
from fieldsurvey.io.errors import DesignError
from fieldsurvey.io.tables import file_row

__all__ = ["ReplicateDesign", "ReplicateGroups", "svrvar"]


@dataclass(frozen=True)
class ReplicateGroups:
    """Rows of a replicate design grouped by (replicate unit, cell); see ``groups_by``.

    Attributes
    ----------
    group
        The group of every row.
    rows, cell
        A row of every group, and its cell.
    factors
        Every group's replicate factors (groups x replicates), a copy.
    weight
        The sum of the rows' multipliers per group (the group's replicate weight is
        ``weight * factors``).
    multiplier
        Every row's multiplier (0 for rows left out).
    """

    group: np.ndarray
    rows: np.ndarray
    cell: np.ndarray
    factors: np.ndarray
    weight: np.ndarray
    multiplier: np.ndarray


class ReplicateDesign:
    """Replicate weights with their variance scales (R's ``svyrep.design``).

    Build one with :func:`as_replicate` or :meth:`from_columns`.

    Attributes
    ----------
    data, weights, n, source
        The respondents and the full-sample weights.
    type
        ``jk1``, ``jkn``, ``bootstrap``, ``brr``, ``fay`` or ``other``.
    scale, rscales
        R's ``scale`` and ``rscales``.
    mse
        Centre the replicates on the full-sample estimate instead of their mean.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: np.ndarray,
        row_unit: np.ndarray,
        factors: np.ndarray,
        multiplier: np.ndarray,
        *,
        type: str,
        scale: float,
        rscales: np.ndarray,
        mse: bool = False,
        source: str | None = None,
        check: bool = True,
    ) -> None:
        self.data = data
        self.weights = np.asarray(weights, dtype=np.float64)
        self.row_unit = row_unit
        self.factors = np.asarray(factors, dtype=np.float64)
        self.multiplier = multiplier
        self.type = type
        self.scale = float(scale)
        self.rscales = np.asarray(rscales, dtype=np.float64)
        self.mse = mse
        self.source = source
        self.n = len(data)
        self.n_units = self.factors.shape[0]
        self.calibration: tuple[Any, ...] = ()
        if check:
            _check_replicate_weights(self)

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.factors.shape[1])

    def __repr__(self) -> str:
        return f"ReplicateDesign(type={self.type!r}, n={self.n}, replicates={self.replicates})"

    @classmethod
    def from_columns(
        cls,
        data: pd.DataFrame,
        repweights: Sequence[str],
        *,
        weights: str | None = None,
        type: str = "other",
        scale: float | None = None,
        rscales: Sequence[float] | float | None = None,
        combined_weights: bool = True,
        rho: float | None = None,
        mse: bool = False,
        source: str | None = None,
    ) -> ReplicateDesign:
        """Replicate weights read from columns (R's ``svrepdesign(repweights=...)``).

        Defaults follow R: ``brr`` scale 1/R, ``fay`` 1/(R(1-rho)^2), ``bootstrap``
        1/(R-1), ``jk1`` (R-1)/R (or 1/max of the first column when not combined),
        ``jkn`` needs ``rscales`` for combined weights (else 1/column maximum),
        ``other`` 1. ``combined_weights``: the columns are analysis weights, not factors.
        """
        cols = list(repweights)
        if not cols:
            raise DesignError("no replicate weight columns given", file=source, field="repweights")
        require_columns(data, cols, source)
        reps = np.column_stack([numeric_column(data, c, source) for c in cols])
        if np.isnan(reps).any():
            r, c = np.argwhere(np.isnan(reps))[0]
            raise DesignError("missing replicate weight", file=source, row=file_row(int(r)),
                              field=cols[c])
        w = np.ones(len(data)) if weights is None else numeric_column(data, weights, source)
        if np.isnan(w).any():
            raise DesignError("missing sampling weight", file=source, field=weights)
        n_rep = reps.shape[1]
        t = type.lower()
        rs = (None if rscales is None
              else np.broadcast_to(np.asarray(rscales, float), (n_rep,)).copy())
        if t == "brr":
            scale = 1.0 / n_rep
        elif t == "fay":
            if rho is None:
                raise DesignError("type 'fay' needs rho", field="rho")
            scale = 1.0 / (n_rep * (1 - rho) ** 2)
        elif t == "bootstrap" and scale is None:
            scale = 1.0 / (n_rep - 1)
        elif t == "jk1" and scale is None:
            scale = (n_rep - 1) / n_rep if combined_weights else 1.0 / reps[:, 0].max()
        elif t == "jkn" and rs is None:
            if combined_weights:
                raise DesignError(
                    "JKn replicate weights need rscales", field="rscales",
                    hint="Give rscales = (n_h - 1) / n_h for each replicate",
                )
            rs = 1.0 / reps.max(axis=0)
        if rs is None:
            rs = np.ones(n_rep)
        mult = np.ones(len(data)) if combined_weights else w
        return cls(
            data, w, np.arange(len(data)), reps, mult,
            type=t, scale=1.0 if scale is None else scale, rscales=rs, mse=mse, source=source,
        )

    # -- calibration (see fieldsurvey.estimate.calibration) --------------------------------
    def analysis_weights(self) -> np.ndarray:
        """The replicate analysis weights, one column per replicate (rows x replicates)."""
        return np.asarray(self.multiplier[:, None] * self.factors[self.row_unit], dtype=np.float64)

    def recalibrated(self, weights: np.ndarray, analysis: np.ndarray, step: Any, *,
                     row_unit: np.ndarray | None = None,
                     multiplier: np.ndarray | None = None) -> ReplicateDesign:
        """A copy with new full-sample weights, replicate factors and one more step.

        ``analysis`` are the replicate analysis weights per row (rows x replicates), or with
        ``row_unit`` and ``multiplier`` the factors of groups of rows (see :meth:`groups_by`):
        row i's weight in replicate r is ``multiplier[i] * analysis[row_unit[i], r]``.
        """
        units = np.arange(self.n) if row_unit is None else row_unit
        mult = np.ones(self.n) if multiplier is None else multiplier
        new = ReplicateDesign(
            self.data, weights, units, analysis, mult, type=self.type, scale=self.scale,
            rscales=self.rscales, mse=self.mse, source=self.source, check=False,
        )
        new.calibration = (*self.calibration, step)
        return new

    def groups_by(self, cell: np.ndarray, active: np.ndarray) -> ReplicateGroups:
        """Rows grouped by (replicate unit, ``cell``), the grouping a re-calibration keeps.

        Rows of one group share their replicate factors and their cell, so a calibration
        that depends on the cell only (raking, post-stratification, calibration on the
        rows' auxiliary values) multiplies the group's factors: the replicate weights stay
        groups x replicates (R's compressed weights) instead of rows x replicates. Rows not
        ``active`` (weight 0) keep a multiplier of 0.
        """
        from fieldsurvey.estimate._groups import combine, first_index

        c = np.where(active, cell, 0).astype(np.int64)
        group, n_groups = combine(self.row_unit, self.n_units, c, int(c.max()) + 1)
        rep = first_index(group, n_groups)
        mult = np.where(active, self.multiplier, 0.0)
        return ReplicateGroups(group=group, rows=rep, cell=c[rep],
                               factors=self.factors[self.row_unit[rep]],
                               weight=np.bincount(group, weights=mult, minlength=n_groups),
                               multiplier=mult)

    def rake(self, margins: Mapping[str, Mapping[Any, float]], *, maxit: int = 1000,
             epsilon: float = 1e-13) -> ReplicateDesign:
        """Rake the full-sample and every replicate's weights (R's ``rake``).

        As R on a ``svyrep.design``, the replicates get as many sweeps as the full sample.
        """
        from fieldsurvey.estimate.calibration import rake_design

        return rake_design(self, margins, maxit=maxit, epsilon=epsilon)  # type: ignore[no-any-return]

    def poststratify(self, variable: str | Sequence[str],
                     totals: Mapping[Any, float]) -> ReplicateDesign:
        """Post-stratify the full-sample and every replicate's weights (R's ``postStratify``)."""
        from fieldsurvey.estimate.calibration import poststratify_design

        return poststratify_design(self, variable, totals)  # type: ignore[no-any-return]

    def calibrate(self, margins: Mapping[str, Mapping[Any, float] | float], *,
                  calfun: str = "linear", bounds: tuple[float, float] = (-np.inf, np.inf),
                  maxit: int = 50, epsilon: float = 1e-7) -> ReplicateDesign:
        """Calibrate the full-sample and every replicate's weights (R's ``calibrate``)."""
        from fieldsurvey.estimate.calibration import calibrate_design

        return calibrate_design(self, margins, calfun=calfun, bounds=bounds,  # type: ignore[no-any-return]
                                maxit=maxit, epsilon=epsilon)

    @property
    def variance_method(self) -> str:
        """The replicate type, with the calibration, e.g. ``jkn, raked on sex, age_group``."""
        return ", ".join([self.type, *(s.describe() for s in self.calibration)])

    # -- computation -------------------------------------------------------------------------
    def full_totals(self, v: np.ndarray, domain: np.ndarray, count: int) -> np.ndarray:
        """Full-sample weighted totals of ``v`` per domain (rows with domain -1 left out)."""
        keep = domain >= 0
        return np.bincount(domain[keep], weights=(self.weights * v)[keep], minlength=count)

    def replicate_totals(self, v: np.ndarray, domain: np.ndarray, count: int) -> np.ndarray:
        """Replicate totals of ``v`` per domain, ``(replicates, count)``."""
        keep = domain >= 0
        vals = (self.multiplier * v)[keep]
        units = self.row_unit[keep]
        dom = domain[keep]
        if self.n_units * count <= 5_000_000:
            s = np.bincount(units * count + dom, weights=vals, minlength=self.n_units * count)
            return self.factors.T @ s.reshape(self.n_units, count)
        sm = sparse.csr_matrix((vals, (dom, units)), shape=(count, self.n_units))
        return np.asarray(sm @ self.factors).T

    def degf(self, rows: np.ndarray) -> int:
        """R's ``degf``: rank of the analysis weights of ``rows`` (bool mask) minus one."""
        use = rows & (self.multiplier != 0)
        units = np.unique(self.row_unit[use])
        sub = self.factors[units]
        if sub.size == 0:
            return -1
        if sub.shape[0] > 4 * sub.shape[1]:
            ev = np.linalg.eigvalsh(sub.T @ sub)
            return int((ev > 1e-10 * ev.max()).sum()) - 1
        s = np.linalg.svd(sub, compute_uv=False)
        return int((s > 1e-5 * s.max()).sum()) - 1

    def variance(self, thetas: np.ndarray, estimate: np.ndarray) -> np.ndarray:
        """``svrVar`` of replicate estimates ``(replicates, k)`` around ``estimate`` (k,)."""
        return svrvar(thetas, estimate, self.scale, self.rscales, self.mse)


def _check_replicate_weights(design: ReplicateDesign) -> None:
    """Refuse negative or non-finite full-sample or replicate weights (one paragraph)."""
    for what, values in (("sampling weight", design.weights), ("replicate weight", design.factors),
                         ("sampling weight", design.multiplier)):
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            idx = np.argwhere(bad)[0]
            row = file_row(int(idx[0]))
            got = float(values[tuple(idx)])
            raise DesignError(
                f"a {what} is negative or not a finite number",
                file=design.source, row=row if values.shape[0] == design.n else None,
                expected="weights >= 0 and finite", got=repr(got),
                hint="Replicate variances need non-negative weights; fix the weight columns "
                "(R's svrepdesign gives misleading standard errors with them)",
            )


def svrvar(
    thetas: np.ndarray, estimate: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """R's ``svrVar`` per column, leaving out the replicates that are NaN in that column."""
    thetas = np.atleast_2d(thetas)
    if thetas.shape[0] == 0:
        return np.zeros(thetas.shape[1])
    ok = ~np.isnan(thetas)
    rs = rscales[:, None] * ok
    if mse:
        centre = np.asarray(estimate, dtype=np.float64)
    else:
        pos = ok & (rscales[:, None] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(pos, thetas, 0).sum(axis=0) / pos.sum(axis=0)
    dev = np.where(ok, thetas - centre, 0.0)
    v = scale * (dev * dev * rs).sum(axis=0)
    return np.where(ok.any(axis=0), v, np.nan)
