"""The survey design, named the way R's ``svydesign`` names it.

``SurveyDesign(data, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"], weights="pw")`` is
``svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, weights=~pw, data=...)``:

* ``ids``: cluster ids, one column per stage (``None``: every row its own PSU, R's ``~1``).
  Later-stage ids are nested in earlier ones (R's ``interaction`` of ids 1..s).
* ``strata``: one column, or one per stage. Stage-s strata for s > 1 are the given stratum
  crossed with the stage s-1 cluster, as in R.
* ``fpc``: one column per stage (all stages or none, as R requires): population sizes
  (every value >= 1) or sampling fractions (every value <= 1). Without ``fpc`` the variance
  is the with-replacement (ultimate cluster) variance from the first stage only; with it,
  every stage contributes (R's ``survey:::multistage``).
* ``weights``: sampling weights; when absent they are the product over stages of N_s / n_s
  (from ``fpc``), else 1.
* ``nest=True`` makes cluster ids unique within strata (R's ``nest=TRUE``); without it,
  clusters that cross strata are an error.
* ``lonely_psu``: what a stratum with one PSU does, exactly as R's
  ``options(survey.lonely.psu=)``: ``fail`` (error), ``remove`` / ``certainty`` (no variance
  contribution; they give the same numbers in R), ``adjust`` (deviation of the PSU total
  from zero, i.e. from the grand mean for a mean's influence function) or ``average``
  (the stratum is dropped and the sum of the others scaled by strata / strata-with-variance).
  R's ``survey.adjust.domain.lonely`` is its default FALSE (a domain that falls in one
  PSU of a stratum is not lonely) unless ``adjust_domain_lonely=True``.

The design precomputes, per stage, integer codes of clusters and strata, the number of
PSUs and the FPC per stratum, and the maps from the finest sampling unit up to each stage;
:mod:`fieldsurvey.estimate.taylor` uses them to compute variances from unit totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import as_names, numeric_column, require_columns
from fieldsurvey.estimate._groups import codes_of, combine, first_index
from fieldsurvey.io.errors import DesignError

if TYPE_CHECKING:
    from fieldsurvey.estimate.calibration import CalibrationStep

__all__ = ["LONELY_PSU_RULES", "LonelyPSU", "Stage", "SurveyDesign"]


def _cell(value: object) -> str:
    """A cell as a user reads it: 'an empty cell', or its plain value (no numpy repr)."""
    if pd.isna(value):  # type: ignore[call-overload]
        return "an empty cell"
    return repr(value.item() if isinstance(value, np.generic) else value)


LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_PSU_RULES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")


@dataclass(frozen=True)
class Stage:
    """The structure of one sampling stage, on integer codes.

    Attributes
    ----------
    unit_cluster
        For every finest sampling unit, its cluster at this stage (empty at the last stage,
        whose clusters are the units).
    cluster_stratum
        For every cluster of this stage, its stratum.
    stratum_parent
        For every stratum, the cluster of the previous stage that holds it (0 at stage 1).
    npsu
        Number of clusters sampled in each stratum (from the whole design).
    fpc
        The factor (N - n) / N per stratum (1 without FPC or for N infinite).
    fraction
        The sampling fraction n / N per stratum (0 for N infinite; 1 without FPC).
    stratum_rows
        A row of every stratum (for labels in messages).
    n_clusters, n_strata, n_parents
        Counts of this stage's clusters and strata, and of the previous stage's clusters.
    units_are_clusters
        This is the last stage of the variance: its clusters are the finest units.
    cluster_fpc, cluster_fraction
        PPS designs (Brewer): 1 - pi and pi of every cluster, used instead of ``fpc`` and
        ``fraction`` (R's per-row FPC of ``svydesign(pps="brewer")``).
    """

    unit_cluster: np.ndarray
    n_clusters: int
    cluster_stratum: np.ndarray
    n_strata: int
    stratum_parent: np.ndarray
    n_parents: int
    npsu: np.ndarray
    fpc: np.ndarray
    fraction: np.ndarray
    stratum_rows: np.ndarray
    units_are_clusters: bool = False
    cluster_fpc: np.ndarray | None = None
    cluster_fraction: np.ndarray | None = None


class SurveyDesign:
    """A Taylor-linearisation survey design (R's ``svydesign``); see the module docstring.

    Parameters
    ----------
    data
        One row per respondent.
    ids
        Cluster id column(s), one per stage; ``None`` for one PSU per row.
    strata
        Stratum column (or one per stage); ``None`` for an unstratified design.
    weights
        Sampling weight column.
    fpc
        FPC column(s), one per stage: population sizes or sampling fractions.
    nest
        Cluster ids are only unique within strata.
    lonely_psu
        ``fail``, ``remove``, ``certainty``, ``adjust`` or ``average``.
    source
        The file the data came from (named in errors).
    adjust_domain_lonely
        R's ``options(survey.adjust.domain.lonely=TRUE)``: a domain whose respondents fall
        in a single PSU of a stratum that has several is lonely in that stratum, and the
        ``adjust`` (deviation from 0) or ``average`` (stratum dropped, others scaled) rule
        applies to it; otherwise (R's default) it is not lonely.
    pps
        PPS sampling without replacement at stage 1 (R's ``pps=``; see
        :mod:`fieldsurvey.estimate.pps`): ``brewer``, ``overton``, ``hr`` (Hartley-Rao,
        ``hr_p2bar`` the population's sum of pi^2 / n, else the stratum's mean pi) or
        ``ppsmat`` (``joint``: the sample's joint inclusion probabilities, rows in data order,
        one row per PSU). ``fpc`` is then the PSUs' inclusion probabilities, and the weights
        default to 1 / pi. ``pps_variance``: ``HT`` (Horvitz-Thompson) or ``YG``
        (Yates-Grundy) for overton / hr / ppsmat.

    Raises
    ------
    DesignError
        Missing design values, clusters not nested in strata, FPC mixing sizes and fractions,
        FPC smaller than the sample or varying within a stratum, one PSU in all, or an
        unknown lonely-PSU rule.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        ids: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
        weights: str | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: LonelyPSU = "fail",
        source: str | None = None,
        pps: str | None = None,
        joint: np.ndarray | None = None,
        hr_p2bar: float | None = None,
        pps_variance: Literal["HT", "YG"] = "HT",
        ppsmat_tolerance: float = 1e-4,
        adjust_domain_lonely: bool = False,
    ) -> None:
        if lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(
                "unknown lonely-PSU rule",
                file=source,
                field="lonely_psu",
                expected=" | ".join(LONELY_PSU_RULES),
                got=repr(lonely_psu),
            )
        self.data = data
        self.source = source
        self.lonely_psu: LonelyPSU = lonely_psu
        self.nest = nest
        self.ids = as_names(ids)
        self.strata = as_names(strata)
        self.fpc_columns = as_names(fpc)
        self.weights_column = weights
        self.n = len(data)
        require_columns(data, [*self.ids, *self.strata, *self.fpc_columns], source)
        if weights is not None:
            require_columns(data, [weights], source)
        if self.n == 0:
            raise DesignError("the data have no rows", file=source)
        self.has_strata = bool(self.strata)
        n_stages = max(1, len(self.ids))
        if len(self.strata) > n_stages:
            raise DesignError(
                "more strata columns than stages",
                file=source,
                field=",".join(self.strata),
                expected=f"at most {n_stages} (one per stage of ids)",
                got=str(len(self.strata)),
            )
        if self.fpc_columns and len(self.fpc_columns) != n_stages:
            raise DesignError(
                "give an FPC for every stage or for none (as R's svydesign)",
                file=source,
                field=",".join(self.fpc_columns),
                expected=f"{n_stages} FPC column(s), one per stage of ids",
                got=f"{len(self.fpc_columns)}",
                hint="Use a column of Inf (or leave the stage out of ids) for a stage without FPC",
            )
        self.pps = pps
        self.pps_variance = pps_variance
        self.adjust_domain_lonely = adjust_domain_lonely
        self.dcheck: np.ndarray | None = None
        if pps is not None:
            self._check_pps(pps, n_stages, joint, pps_variance)
        clusters, strata_codes, reps, counts = self._stage_codes(n_stages)
        # per stage: (n_clusters, n_strata, a row of each stratum, PSUs per stratum, stratum of
        # each cluster); everything per stratum is derived from the clusters, not the rows
        stage_info = []
        for s in range(n_stages):
            st = strata_codes[s]
            n_cl = counts[s]
            cl_st = st[reps[s]]
            n_st = int(cl_st.max()) + 1
            # stage-s strata that are the stage s-1 clusters already have a row each
            st_rep = (reps[s - 1] if s > 0 and st is clusters[s - 1]
                      else reps[s][first_index(cl_st, n_st)])
            npsu = np.bincount(cl_st, minlength=n_st).astype(np.float64)
            stage_info.append((n_cl, n_st, st_rep, npsu, cl_st))
        pi_cluster = None
        pi_stages: list[np.ndarray] = []
        if pps is not None:
            pi_cluster = self._pps_probabilities(clusters[0], reps[0], counts[0], joint)
            pi_stages = [pi_cluster] + [
                self._pps_probabilities(clusters[s], reps[s], counts[s], None, stage=s)
                for s in range(1, n_stages)
            ]
            popsize = None
        else:
            popsize = self._popsizes(strata_codes, stage_info) if self.fpc_columns else None
        if pps is not None and weights is None:
            self.weights = np.ones(self.n)
            for s, pi_s in enumerate(pi_stages):
                self.weights = self.weights / pi_s[clusters[s]]
        else:
            self.weights = self._weights(popsize, strata_codes, stage_info)
        self.stage1_cluster = clusters[0]
        self.stage1_stratum = strata_codes[0]
        # with FPC every stage contributes; without, only the first (ultimate clusters)
        var_stages = n_stages if (popsize is not None or pi_stages) else 1
        if pi_cluster is not None and pps in ("overton", "hr", "ppsmat"):
            from fieldsurvey.estimate.pps import dcheck_matrix

            cl_joint = None
            if joint is not None:
                cl_joint = np.asarray(joint, dtype=np.float64)[np.ix_(reps[0], reps[0])]
            self.dcheck = dcheck_matrix(pps, pi_cluster, stage_info[0][4], p2bar=hr_p2bar,
                                        joint=cl_joint, tolerance=ppsmat_tolerance)
        self.row_unit = clusters[var_stages - 1]
        self.n_units = counts[var_stages - 1]
        # every row its own finest unit, in row order: unit totals are the values themselves
        self.units_are_rows = reps[var_stages - 1] is self.row_unit
        unit_rep = reps[var_stages - 1]
        stages = []
        for s in range(var_stages):
            cl = clusters[s]
            n_cl, n_st, st_rep, npsu, cl_st = stage_info[s]
            if popsize is None:
                fpcf, frac = np.ones(n_st), np.ones(n_st)
            else:
                big_n = popsize[s]
                fpcf = np.where(np.isinf(big_n), 1.0, (big_n - npsu) / big_n)
                frac = np.where(np.isinf(big_n), 0.0, npsu / big_n)
            parent = clusters[s - 1][st_rep] if s > 0 else np.zeros(n_st, dtype=np.int64)
            n_par = stage_info[s - 1][0] if s > 0 else 1
            # the last stage's clusters are the units themselves (not used: units_are_clusters)
            unit_cluster = cl[unit_rep] if s < var_stages - 1 else np.empty(0, dtype=np.int64)
            stages.append(
                Stage(
                    unit_cluster=unit_cluster,
                    n_clusters=n_cl,
                    cluster_stratum=cl_st,
                    n_strata=n_st,
                    stratum_parent=parent,
                    n_parents=n_par,
                    npsu=npsu,
                    fpc=fpcf,
                    fraction=frac,
                    stratum_rows=st_rep,
                    units_are_clusters=s == var_stages - 1,
                    cluster_fpc=(1.0 - pi_stages[s]) if pi_stages else None,
                    cluster_fraction=pi_stages[s] if pi_stages else None,
                )
            )
        self.stages: tuple[Stage, ...] = tuple(stages)
        self.calibration: tuple[CalibrationStep, ...] = ()

    # -- calibration (see fieldsurvey.estimate.calibration) --------------------------------
    def rake(self, margins: Mapping[str, Mapping[Any, float]], *, maxit: int = 1000,
             epsilon: float = 1e-13) -> SurveyDesign:
        """Rake the design to ``margins`` ``{variable: {level: total}}`` (R's ``rake``).

        The returned design carries the raking, so Taylor SEs use the calibration
        residuals. ``maxit=10, epsilon=1`` is R's default stopping rule.
        """
        from fieldsurvey.estimate.calibration import rake_design

        return rake_design(self, margins, maxit=maxit, epsilon=epsilon)  # type: ignore[no-any-return]

    def poststratify(self, variable: str | Sequence[str],
                     totals: Mapping[Any, float]) -> SurveyDesign:
        """Post-stratify on ``variable`` (``a:b`` crosses columns; R's ``postStratify``).

        ``totals`` is ``{cell: total}``.
        """
        from fieldsurvey.estimate.calibration import poststratify_design

        return poststratify_design(self, variable, totals)  # type: ignore[no-any-return]

    def calibrate(self, margins: Mapping[str, Mapping[Any, float] | float], *,
                  calfun: str = "linear", bounds: tuple[float, float] = (-np.inf, np.inf),
                  maxit: int = 50, epsilon: float = 1e-7) -> SurveyDesign:
        """Calibrate the design (R's ``calibrate``): linear/GREG, or ``raking`` / ``logit``.

        ``bounds`` limit g; margins are ``{variable: {level: total}}`` or ``{variable: total}``.
        """
        from fieldsurvey.estimate.calibration import calibrate_design

        return calibrate_design(self, margins, calfun=calfun, bounds=bounds,  # type: ignore[no-any-return]
                                maxit=maxit, epsilon=epsilon)

    def trim(self, lower: float | None = None, upper: float | None = None, *,
             strict: bool = False) -> SurveyDesign:
        """Trim the weights to ``[lower, upper]`` as R's ``trimWeights``.

        The amount cut is shared equally; one pass unless ``strict``. A calibration is kept,
        as in R.
        """
        import copy

        from fieldsurvey.weights.trim import trim_bound_weights

        lo = -np.inf if lower is None else float(lower)
        hi = np.inf if upper is None else float(upper)
        w, _, _ = trim_bound_weights(self.weights, lo, hi, strict)
        new = copy.copy(self)
        new.weights = w
        if hasattr(new, "_all_nonzero"):
            del new._all_nonzero
        return new

    @property
    def variance_method(self) -> str:
        """``taylor``, or e.g. ``taylor, raked on sex, age_group`` for a calibrated design."""
        head = "taylor"
        if self.pps is not None:
            head += f" (pps {self.pps}" + (", yates-grundy)" if self.pps_variance == "YG"
                                           and self.pps != "brewer" else ")")
        return ", ".join([head, *(s.describe() for s in self.calibration)])

    @classmethod
    def community_survey(cls, data: pd.DataFrame, *, weights: str = "weight",
                         strata: str = "stratum", communities: str = "community_id",
                         source: str | None = None) -> SurveyDesign:
        """The design of a map-address community survey, as its analyses use it.

        Communities are the PSUs, nested in the sample's strata (dropped when the stratum
        is not known for every respondent), with the final weights; a stratum left with
        one responding community is handled by the ``adjust`` rule. In R:
        ``svydesign(ids=~community_id, strata=~stratum, weights=~weight, nest=TRUE)``
        with ``options(survey.lonely.psu="adjust")``.
        """
        known = strata in data.columns and bool(data[strata].notna().all())
        return cls(data, ids=communities, strata=strata if known else None, weights=weights,
                   nest=True, lonely_psu="adjust", source=source)

    def stratum_label(self, stage: int, stratum: int) -> str:
        """A readable name of a stratum (stage counted from 0), for messages."""
        row = int(self.stages[stage].stratum_rows[stratum])
        if stage == 0:
            return str(self.data[self.strata[0]].iloc[row]) if self.strata else "(all)"
        parent_id = self.ids[stage - 1] if self.ids else None
        where = f"{parent_id}={self.data[parent_id].iloc[row]}" if parent_id else f"row {row + 1}"
        return f"within {where}"

    # -- construction helpers ---------------------------------------------------------------
    def _check_pps(self, pps: str, n_stages: int, joint: np.ndarray | None,
                   variance: str) -> None:
        from fieldsurvey.estimate.pps import PPS_METHODS

        if pps not in PPS_METHODS:
            raise DesignError("unknown PPS method", file=self.source, field="pps",
                              expected=" | ".join(PPS_METHODS), got=repr(pps))
        if n_stages > 1 and pps != "brewer":
            raise DesignError(f"pps={pps!r} is available for one-stage designs (the PSUs); "
                              "Brewer's approximation takes several stages",
                              file=self.source, field=",".join(self.ids),
                              hint="Give only the first-stage cluster id, or use pps brewer")
        if variance not in ("HT", "YG"):
            raise DesignError("the PPS variance is HT or YG", field="pps_variance",
                              got=repr(variance))
        if pps == "ppsmat" and joint is None:
            raise DesignError("ppsmat needs the sample's joint inclusion probabilities",
                              file=self.source, field="joint",
                              hint="Give a square matrix, one row and column per sampled PSU")
        if pps != "ppsmat" and len(self.fpc_columns) != n_stages:
            raise DesignError(f"pps={pps!r} needs the inclusion probabilities as fpc, one "
                              "column per stage", file=self.source, field="fpc",
                              hint="Give the stage-1 inclusion probabilities (pi_1), and pi_2 "
                              "for a second stage")

    def _pps_probabilities(self, cluster: np.ndarray, rep: np.ndarray, n_clusters: int,
                           joint: np.ndarray | None, stage: int = 0) -> np.ndarray:
        """Inclusion probability of every cluster of a stage (fpc, or joint's diagonal)."""
        from fieldsurvey.estimate.pps import check_probabilities

        if joint is not None:
            j = np.asarray(joint, dtype=np.float64)
            if j.ndim != 2 or j.shape[0] != j.shape[1] or j.shape[0] != self.n:
                raise DesignError(
                    "the joint inclusion probabilities must be a square matrix with one row "
                    "and column per respondent row", file=self.source, field="joint",
                    expected=f"{self.n} x {self.n}", got=" x ".join(map(str, j.shape)),
                )
            if n_clusters != self.n:
                raise DesignError("ppsmat needs one row per PSU", file=self.source,
                                  field=",".join(self.ids) or None)
            if not np.allclose(j, j.T, rtol=1e-10, atol=1e-14):
                raise DesignError("the joint inclusion probabilities are not symmetric",
                                  file=self.source, field="joint")
            pi = np.diag(j)[rep]
            check_probabilities(pi, self.source, "joint")
            if self.fpc_columns:
                given = numeric_column(self.data, self.fpc_columns[0], self.source)[rep]
                if not np.allclose(given, pi, rtol=1e-8):
                    raise DesignError("the FPC column and the diagonal of the joint inclusion "
                                      "probabilities disagree", file=self.source,
                                      field=self.fpc_columns[0])
            return np.asarray(pi)
        name = self.fpc_columns[stage]
        vals = numeric_column(self.data, name, self.source)
        pi = vals[rep]
        check_probabilities(pi, self.source, name)
        varies = vals != pi[cluster]
        if varies.any():
            raise DesignError("the inclusion probability varies within a PSU",
                              file=self.source, row=int(np.flatnonzero(varies)[0]) + 1,
                              field=name, expected="one pi per PSU")
        return np.asarray(pi)

    def _codes(self, name: str, what: str) -> tuple[np.ndarray, int]:
        codes, uniques = codes_of(self.data[name])
        if codes.size and codes.min() < 0:
            row = int(np.flatnonzero(codes < 0)[0]) + 1
            raise DesignError(
                f"missing value in the {what} column",
                file=self.source,
                row=row,
                field=name,
                expected=f"a {what} for every respondent",
                got="an empty cell",
            )
        return codes, len(uniques)

    def _stage_codes(self, n_stages: int) -> tuple[list[np.ndarray], list[np.ndarray],
                                                   list[np.ndarray], list[int]]:
        """Cluster and stratum codes per stage (R's interactions), and more.

        Also a row of every cluster
        and the number of clusters per stage.
        """
        n = self.n
        if self.strata:
            st_given = [self._codes(c, "stratum") for c in self.strata]
        else:
            st_given = [(np.zeros(n, dtype=np.int64), 1)]
        if self.ids:
            id_codes = [self._codes(c, "cluster id") for c in self.ids]
        else:
            id_codes = [(np.arange(n, dtype=np.int64), n)]
        clusters: list[np.ndarray] = []
        counts: list[int] = []
        strata: list[np.ndarray] = []
        reps: list[np.ndarray] = []
        for s in range(n_stages):
            if s == 0:
                st, n_st = st_given[0]
                cl, n_cl = id_codes[0]
                if self.nest and self.has_strata:
                    cl, n_cl = combine(st, n_st, cl, n_cl)
            else:
                # stage-s strata: the given stratum crossed with the stage s-1 cluster; when no
                # new stratum column is given this is just the stage s-1 cluster (nested)
                if s >= len(st_given):
                    st, n_st = clusters[s - 1], counts[s - 1]
                else:
                    st, n_st = combine(*st_given[s], clusters[s - 1], counts[s - 1])
                cl, n_cl = combine(clusters[s - 1], counts[s - 1], *id_codes[s])
                if self.nest and s < len(st_given):
                    cl, n_cl = combine(st, n_st, cl, n_cl)
            rep = first_index(cl, n_cl)
            if n_cl < n:
                self._check_nested(cl, st, rep, s)
            clusters.append(cl)
            counts.append(n_cl)
            strata.append(st)
            reps.append(rep)
        if counts[0] == 1 and not (self.nest and self.has_strata):
            raise DesignError(
                "the design has only one primary sampling unit",
                file=self.source,
                field=self.ids[0] if self.ids else None,
                hint="A variance needs at least two PSUs; check the cluster column",
            )
        return clusters, strata, reps, counts

    def _check_nested(self, cl: np.ndarray, st: np.ndarray, first: np.ndarray, s: int) -> None:
        bad = st != st[first][cl]
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            name = self.ids[s] if self.ids else "(row)"
            raise DesignError(
                f"clusters are not nested in strata at stage {s + 1}",
                file=self.source,
                row=row,
                field=name,
                expected="every cluster id within one stratum",
                got="a cluster id that appears in two strata",
                hint="If cluster ids restart in every stratum, use nest=True (--nest)",
            )

    def _popsizes(self, strata: list[np.ndarray], info: list[Any]) -> list[np.ndarray]:
        """Population size N_h of every stratum at every stage, from the FPC columns."""
        raw = [numeric_column(self.data, c, self.source) for c in self.fpc_columns]
        lo, hi = np.inf, -np.inf
        for name, vals in zip(self.fpc_columns, raw, strict=True):
            vlo, vhi = float(vals.min()), float(vals.max())
            if np.isnan(vlo):
                row = int(np.flatnonzero(np.isnan(vals))[0]) + 1
                raise DesignError("missing FPC value", file=self.source, row=row, field=name)
            lo, hi = min(lo, vlo), max(hi, vhi)
        is_popsize = hi > 1
        ge1 = lo >= 1
        if is_popsize != ge1:
            raise DesignError(
                "FPC mixes population sizes and sampling fractions",
                file=self.source,
                field=",".join(self.fpc_columns),
                expected="all values >= 1 (population sizes) or all <= 1 (sampling fractions)",
                got=f"values from {lo:g} to {hi:g}",
            )
        out = []
        for s, (name, vals) in enumerate(zip(self.fpc_columns, raw, strict=True)):
            st = strata[s]
            _, _, st_rep, npsu, _ = info[s]
            per_stratum = vals[st_rep]
            varies = vals != per_stratum[st]
            if varies.any():
                row = int(np.flatnonzero(varies)[0]) + 1
                raise DesignError(
                    f"the FPC varies within a stratum at stage {s + 1}",
                    file=self.source,
                    row=row,
                    field=name,
                    expected="one population size (or fraction) per stratum",
                )
            with np.errstate(divide="ignore"):
                big_n = per_stratum if is_popsize else npsu / per_stratum
            small = big_n < npsu
            if small.any():
                h = int(np.flatnonzero(small)[0])
                raise DesignError(
                    f"the FPC implies more than 100% sampling at stage {s + 1}",
                    file=self.source,
                    row=int(st_rep[h]) + 1,
                    field=name,
                    expected=f"a population size of at least {npsu[h]:g}",
                    got=f"{big_n[h]:g}",
                )
            out.append(big_n)
        return out

    def _weights(self, popsize: list[np.ndarray] | None, strata: list[np.ndarray],
                 info: list[Any]) -> np.ndarray:
        if self.weights_column is not None:
            w = numeric_column(self.data, self.weights_column, self.source)
            if not (float(w.min()) >= 0 and float(w.max()) < np.inf):  # NaN, <0 or inf
                bad = ~np.isfinite(w) | (w < 0)
                row = int(np.flatnonzero(bad)[0]) + 1
                raise DesignError(
                    "sampling weights must be present, finite and not negative",
                    file=self.source,
                    row=row,
                    field=self.weights_column,
                    expected="a number >= 0 for every respondent",
                    got=_cell(self.data[self.weights_column].iloc[row - 1]),
                    hint="An infinite weight usually comes from a selection probability of "
                    "0; fix the weight column before estimating",
                )
            return w
        if popsize is None:
            return np.ones(self.n)
        w = np.ones(self.n)
        for s, big_n in enumerate(popsize):
            w = w * (big_n / info[s][3])[strata[s]]
        return w

    # -- information -----------------------------------------------------------------------
    @property
    def n_psu(self) -> int:
        """Number of first-stage clusters."""
        return int(self.stage1_cluster.max()) + 1

    def degf(self, rows: np.ndarray | None = None) -> int:
        """R's ``degf``: PSUs minus strata among ``rows`` (bool mask) with non-zero weight."""
        inset = self.weights != 0
        if rows is not None:
            inset = inset & rows
        return int(np.unique(self.stage1_cluster[inset]).size
                   - np.unique(self.stage1_stratum[inset]).size)

    def __repr__(self) -> str:
        return (
            f"SurveyDesign(n={self.n}, ids={self.ids or '~1'}, strata={self.strata or None}, "
            f"weights={self.weights_column!r}, fpc={self.fpc_columns or None}, "
            f"lonely_psu={self.lonely_psu!r}, stages={len(self.stages)})"
        )
