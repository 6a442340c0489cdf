r"""Replicate-weight designs: JK1, JKn, Rao-Wu bootstrap and BRR, as R's ``svrepdesign``.

A replicate design keeps the full-sample weights w_i and R replicate analysis weights
a_ri = m_i F[unit(i), r]: built from a :class:`~.design.SurveyDesign`, the factors F are
per first-stage PSU and m = w; read from replicate weight columns, the units are the rows.
Any statistic is recomputed with each replicate's weights and (R's ``svrVar``)

.. math:: v = \text{scale} \sum_r \text{rscale}_r (\hat\theta_r - \bar\theta)^2,

with :math:`\bar\theta` the mean of the replicates with rscale > 0 (or the full-sample
estimate when ``mse=True``). Replicates giving NaN for a statistic are left out of its
variance, as R's ``na.omit`` does.

Built from a design, exactly as R's ``as.svrepdesign`` (first-stage FPC only):

* ``jk1`` (unstratified): drop one PSU, others x n/(n-1); scale (1-f)(n-1)/n.
* ``jkn`` (stratified): per stratum h and PSU, drop it, others in h x n_h/(n_h-1); rscale
  (1-f_h)(n_h-1)/n_h. Strata with f_h = 1 give no replicate. One-PSU strata follow the
  design's lonely-PSU rule as R's ``jknweights``: fail, skip (remove / certainty /
  average, the latter with scale = PSUs / replicates), or ``adjust``: one replicate that
  zeroes the PSU and multiplies every other PSU by H/(H-1), rscale (H-1)/H.
* ``bootstrap``: Rao-Wu (1988) rescaling bootstrap with m_h = n_h - 1 draws with
  replacement per stratum: factor 1 - lambda + lambda n_h/m_h r_hi, lambda = sqrt(1 - f_h);
  scale 1/(B-1). Without FPC this is R's ``subbootstrap``. One-PSU strata keep factor 1
  (no variance) unless the rule is ``fail``.
* ``brr`` (two PSUs per stratum; strata with an even number are split into pairs, R's
  ``large="split"``): R's default Hadamard matrix (the smallest that
  ``survey::hadamard`` gives, :mod:`.hadamard`), rows 2..H+1 choosing the half-sample with
  strata and PSUs in R's order, so the replicates are R's; factors 2 / 0 (Fay: 2-rho /
  rho); scale 1 / (R (1-rho)^2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from fieldsurvey.estimate._columns import numeric_column, require_columns
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.rng import RandomState, resolve_rng

__all__ = ["REPLICATE_TYPES", "ReplicateDesign", "as_replicate", "svrvar"]

ReplicateType = Literal["jk1", "jkn", "bootstrap", "brr"]
REPLICATE_TYPES: tuple[str, ...] = ("jk1", "jkn", "bootstrap", "brr")


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
            raise DesignError("missing replicate weight", file=source, row=int(r) + 1,
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

    def recalibrated(self, weights: np.ndarray, analysis: np.ndarray, step: Any) -> ReplicateDesign:
        """A copy with new full-sample and replicate analysis weights and one more step."""
        new = ReplicateDesign(
            self.data, weights, np.arange(self.n), analysis, np.ones(self.n), type=self.type,
            scale=self.scale, rscales=self.rscales, mse=self.mse, source=self.source, check=False,
        )
        new.calibration = (*self.calibration, step)
        return new

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
            row = int(idx[0]) + 1
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


# -- building replicate weights from a design --------------------------------------------------
def _psu_structure(design: SurveyDesign) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Stratum of each first-stage PSU, PSUs per stratum, and 1 - n_h/N_h (None: no FPC)."""
    st1 = design.stages[0]
    return st1.cluster_stratum, st1.npsu, (st1.fpc if design.fpc_columns else None)


def as_replicate(
    design: SurveyDesign,
    type: ReplicateType = "jkn",
    *,
    replicates: int = 50,
    rng: RandomState = None,
    fay_rho: float = 0.0,
    mse: bool = False,
) -> ReplicateDesign:
    """R's ``as.svrepdesign(design, type=...)``; see the module docstring for each type.

    Raises
    ------
    DesignError
        JK1 for a stratified design, JKn/BRR for an unstratified one, BRR with strata that
        do not have exactly two PSUs, a lonely PSU under ``fail``, or every stratum a census.
    """
    t = type.lower()
    if design.calibration:
        raise DesignError(
            "replicate weights from a calibrated design would not re-calibrate the replicates",
            field="replicates", got=design.variance_method,
            hint="Make the replicates from the design before calibrating, then calibrate them "
            "(as_replicate(design, ...).rake(...)), as the CLI does with --replicates --rake",
        )
    if design.pps is not None:
        raise DesignError("replicate weights are not made for PPS designs", field="replicates",
                          hint="Use the PPS variance (Brewer, Overton, Hartley-Rao, ppsmat)")
    if t not in REPLICATE_TYPES:
        raise DesignError("unknown replicate type", field="replicates",
                          expected=" | ".join(REPLICATE_TYPES), got=repr(type))
    psu_stratum, npsu, fpcf = _psu_structure(design)
    n_psu = psu_stratum.size
    if t == "jk1" and design.has_strata:
        raise DesignError("JK1 cannot be used for a stratified design", field="replicates",
                          hint="Use jkn (one replicate per PSU, within strata)")
    if t in ("jkn", "brr") and not design.has_strata:
        raise DesignError(f"{t} needs a stratified design", field="replicates",
                          hint="Use jk1 or bootstrap for an unstratified design")
    f_psu = np.zeros(n_psu) if fpcf is None else 1 - fpcf[psu_stratum]  # sampling fraction
    if t == "jk1":
        fac = 1.0 if fpcf is None else float(fpcf[0])
        f = np.full((n_psu, n_psu), n_psu / (n_psu - 1))
        np.fill_diagonal(f, 0.0)
        if fac == 0:
            f = f[:, :0]
        scale, rscales = fac * (n_psu - 1) / n_psu, np.ones(f.shape[1])
    elif t == "jkn":
        f, scale, rscales = _jkn(design, psu_stratum, npsu, fpcf)
    elif t == "bootstrap":
        f = _rao_wu(design, psu_stratum, npsu, f_psu, replicates, rng)
        scale, rscales = 1.0 / (replicates - 1), np.ones(replicates)
    else:
        f = _brr(design, psu_stratum, npsu, fay_rho)
        scale, rscales = 1.0 / (f.shape[1] * (1 - fay_rho) ** 2), np.ones(f.shape[1])
        t = "brr" if fay_rho == 0 else "fay"
    return ReplicateDesign(
        design.data, design.weights, design.stage1_cluster, f, design.weights,
        type=t, scale=scale, rscales=rscales, mse=mse, source=design.source,
    )


def _lonely_error(design: SurveyDesign, h: int) -> DesignError:
    label = design.stratum_label(0, h)
    return DesignError(
        f"stratum {label!s} has only one PSU", field=design.strata[0] if design.strata else None,
        hint="Choose a lonely-PSU rule: remove | certainty | adjust | average (--lonely-psu)",
    )


def _jkn(
    design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray, fpcf: np.ndarray | None
) -> tuple[np.ndarray, float, np.ndarray]:
    n_psu = psu_stratum.size
    n_strata = npsu.size
    fac = np.ones(n_strata) if fpcf is None else fpcf
    n_of_psu = npsu[psu_stratum]
    lonely_psu = (n_of_psu == 1) & (fac[psu_stratum] != 0)
    if lonely_psu.any() and design.lonely_psu == "fail":
        raise _lonely_error(design, int(psu_stratum[np.flatnonzero(lonely_psu)[0]]))
    regular = (n_of_psu > 1) & (fac[psu_stratum] != 0)
    adjust = lonely_psu if design.lonely_psu == "adjust" else np.zeros(n_psu, dtype=bool)
    reps = np.flatnonzero(regular | adjust)  # one replicate per such PSU, in PSU order
    # R orders replicates by stratum; the variance does not depend on the order
    f = np.ones((n_psu, reps.size))
    cols = np.arange(reps.size)
    reg = regular[reps]
    # regular replicates: PSUs of the same stratum x n_h/(n_h-1), the dropped PSU 0
    same = psu_stratum[:, None] == psu_stratum[reps][None, :]
    boost = (n_of_psu / np.maximum(n_of_psu - 1, 1))[:, None]
    f = np.where(same & reg[None, :], boost, f)
    hh = float(n_strata)
    f = np.where(~reg[None, :], np.where(same, 0.0, hh / (hh - 1)), f)
    f[reps, cols] = 0.0
    rscales = np.where(reg, fac[psu_stratum[reps]] * (n_of_psu[reps] - 1) / n_of_psu[reps],
                       (hh - 1) / hh)
    if reps.size == 0:
        raise DesignError("all strata were sampled exhaustively: there is no sampling variance")
    scale = 1.0
    if reps.size < n_psu and design.lonely_psu == "average":
        scale = n_psu / reps.size
    return f, scale, rscales


def _rao_wu(
    design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray, f_psu: np.ndarray,
    replicates: int, rng: RandomState,
) -> np.ndarray:
    if replicates < 2:
        raise DesignError("the bootstrap needs at least 2 replicates", field="replicates")
    gen = resolve_rng(rng)
    n_psu = psu_stratum.size
    lonely = npsu == 1
    if lonely.any() and design.lonely_psu == "fail":
        raise _lonely_error(design, int(np.flatnonzero(lonely)[0]))
    order = np.argsort(psu_stratum, kind="stable")  # PSUs grouped by stratum
    start = np.r_[0, np.cumsum(npsu)[:-1]].astype(np.int64)
    m = np.where(lonely, 0, npsu - 1).astype(np.int64)  # draws per stratum
    slot_stratum = np.repeat(np.arange(npsu.size), m)
    draws = gen.random((replicates, slot_stratum.size))
    pick = start[slot_stratum] + np.floor(draws * npsu[slot_stratum]).astype(np.int64)
    psu = order[pick]
    key = (np.arange(replicates)[:, None] * n_psu + psu).ravel()
    counts = np.bincount(key, minlength=replicates * n_psu).reshape(replicates, n_psu).T
    n_h = npsu[psu_stratum]
    m_h = np.maximum(n_h - 1, 1)
    lam = np.sqrt(1 - f_psu)
    f = 1 - lam[:, None] + lam[:, None] * (n_h / m_h)[:, None] * counts
    f[lonely[psu_stratum]] = 1.0
    return np.asarray(f, dtype=np.float64)


def _brr(design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray, rho: float) -> np.ndarray:
    bad = (npsu < 2) | (npsu % 2 == 1)
    if bad.any():
        h = int(np.flatnonzero(bad)[0])
        raise DesignError(
            f"BRR needs two PSUs per stratum (or an even number, split into pairs as R does); "
            f"stratum {design.stratum_label(0, h)} has {int(npsu[h])}",
            field=design.strata[0] if design.strata else None,
            hint="Use jkn or bootstrap replicates for this design, or pair the strata",
        )
    from fieldsurvey.estimate.hadamard import r_hadamard

    n_strata = npsu.size
    # R's brrweights (large = "split"): strata in the order of their labels as text, PSUs in
    # order of first appearance; strata with more than two PSUs are split into consecutive
    # pairs, which come first, then the two-PSU strata; half-sample k takes row k + 1 of
    # hadamard(number of pairs), its first PSU being in the half-sample where that row is 1
    labels = [design.stratum_label(0, h) for h in range(n_strata)]
    by_label = sorted(range(n_strata), key=lambda h: labels[h])
    _, first_row = np.unique(design.stage1_cluster, return_index=True)
    order = np.lexsort((first_row, psu_stratum))  # PSUs by stratum, then first appearance
    starts = np.r_[0, np.cumsum(npsu.astype(np.int64))[:-1]]
    pair = np.empty(psu_stratum.size, dtype=np.int64)
    first = np.zeros(psu_stratum.size, dtype=bool)
    k = 0
    for group in ([h for h in by_label if npsu[h] > 2], [h for h in by_label if npsu[h] == 2]):
        for h in group:
            members = order[starts[h] : starts[h] + int(npsu[h])]
            pair[members] = k + np.arange(members.size) // 2
            first[members[0::2]] = True
            k += members.size // 2
    hm = r_hadamard(k)[1 : k + 1]  # (pairs, replicates) of 0/1
    one = hm[pair] == 1
    chosen = np.where(first[:, None], one, ~one)
    return np.where(chosen, 2.0 - rho, rho)
