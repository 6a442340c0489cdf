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
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import as_names, require_columns
from fieldsurvey.estimate._structure import (
    LONELY_PSU_RULES,
    LonelyPSU,
    Stage,
    StageCodes,
    StageInfo,
    build_stages,
    popsizes,
    sampling_weights,
    stage_codes,
    stage_info,
)
from fieldsurvey.io.errors import DesignError

if TYPE_CHECKING:
    from fieldsurvey.estimate.calibration import CalibrationStep

__all__ = ["LONELY_PSU_RULES", "LonelyPSU", "Stage", "SurveyDesign"]


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
        PPS sampling without replacement (R's ``pps=``; see
        :mod:`fieldsurvey.estimate.pps`): ``brewer`` (one or several stages, an FPC column
        of inclusion probabilities per stage), or for one stage of ids ``overton``, ``hr``
        (Hartley-Rao, ``hr_p2bar`` the population's sum of pi^2 / n: one number, or
        ``{stratum: value}`` as R's ``HR(psum, strata)``; else the stratum's mean pi) or
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
        hr_p2bar: float | Mapping[Any, float] | None = None,
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
        self._check_columns(n_stages)
        self.pps = pps
        self.pps_variance = pps_variance
        self.adjust_domain_lonely = adjust_domain_lonely
        self.dcheck: np.ndarray | None = None
        if pps is not None:
            from fieldsurvey.estimate.pps import check_pps_arguments

            check_pps_arguments(self, pps, n_stages, joint, pps_variance)
        codes = stage_codes(self, n_stages)
        info = stage_info(codes)
        pi_stages: list[np.ndarray] = []
        popsize = None
        if pps is not None:
            pi_stages = self._pps_stages(codes, joint, hr_p2bar, ppsmat_tolerance, info)
        elif self.fpc_columns:
            popsize = popsizes(self, codes.strata, info)
        if pps is not None and weights is None:
            self.weights = np.ones(self.n)
            for s, pi_s in enumerate(pi_stages):
                self.weights = self.weights / pi_s[codes.clusters[s]]
        else:
            self.weights = sampling_weights(self, popsize, codes.strata, info)
        self.stage1_cluster = codes.clusters[0]
        self.stage1_stratum = codes.strata[0]
        # with FPC every stage contributes; without, only the first (ultimate clusters)
        var_stages = n_stages if (popsize is not None or pi_stages) else 1
        self.row_unit = codes.clusters[var_stages - 1]
        self.n_units = codes.counts[var_stages - 1]
        # every row its own finest unit, in row order: unit totals are the values themselves
        self.units_are_rows = codes.reps[var_stages - 1] is self.row_unit
        self.stages: tuple[Stage, ...] = build_stages(codes, info, var_stages, popsize,
                                                      pi_stages)
        self.calibration: tuple[CalibrationStep, ...] = ()

    def _check_columns(self, n_stages: int) -> None:
        """At most one strata column and exactly one FPC column (or none) per stage."""
        if len(self.strata) > n_stages:
            raise DesignError(
                "more strata columns than stages",
                file=self.source,
                field=",".join(self.strata),
                expected=f"at most {n_stages} (one per stage of ids)",
                got=str(len(self.strata)),
            )
        if self.fpc_columns and len(self.fpc_columns) != n_stages:
            raise DesignError(
                "give an FPC for every stage or for none (as R's svydesign)",
                file=self.source,
                field=",".join(self.fpc_columns),
                expected=f"{n_stages} FPC column(s), one per stage of ids",
                got=f"{len(self.fpc_columns)}",
                hint="Use a column of Inf (or leave the stage out of ids) for a stage without FPC",
            )

    def _pps_stages(self, codes: StageCodes, joint: np.ndarray | None,
                    hr_p2bar: float | Mapping[Any, float] | None, tolerance: float,
                    info: list[StageInfo]) -> list[np.ndarray]:
        """Every stage's cluster inclusion probabilities; the HT matrix for Overton, HR, ppsmat."""
        from fieldsurvey.estimate.pps import dcheck_matrix, pps_probabilities

        assert self.pps is not None
        pi_stages = [
            pps_probabilities(self, codes.clusters[s], codes.reps[s], codes.counts[s],
                              joint if s == 0 else None, stage=s)
            for s in range(len(codes.clusters))
        ]
        if self.pps in ("overton", "hr", "ppsmat"):
            cl_joint = None
            if joint is not None:
                rep = codes.reps[0]
                cl_joint = np.asarray(joint, dtype=np.float64)[np.ix_(rep, rep)]
            p2bar = (self._p2bar_per_stratum(hr_p2bar, info[0])
                     if isinstance(hr_p2bar, Mapping) else hr_p2bar)
            self.dcheck = dcheck_matrix(self.pps, pi_stages[0], info[0].cluster_stratum,
                                        p2bar=p2bar, joint=cl_joint, tolerance=tolerance)
        return pi_stages

    def _p2bar_per_stratum(self, given: Mapping[Any, float], info: StageInfo) -> np.ndarray:
        """Hartley-Rao's sum(pi^2)/n of every stratum from ``{stratum: value}``."""
        by_text = {str(k): float(v) for k, v in given.items()}
        labels = ([self.data[self.strata[0]].iloc[int(r)] for r in info.stratum_rows]
                  if self.strata else ["(all)"])
        out = np.empty(len(labels))
        for h, lab in enumerate(labels):
            key = lab.item() if isinstance(lab, np.generic) else lab
            if key in given:
                out[h] = float(given[key])
            elif str(key) in by_text:
                out[h] = by_text[str(key)]
            else:
                raise DesignError(
                    "Hartley-Rao's population sum of pi^2 / n is not given for a stratum",
                    file=self.source, field="hr_p2bar", expected="a value for every stratum",
                    got=f"none for {key!r}", hint="Give {stratum: sum(pi^2)/n} for each "
                    "stratum (R's HR(psum, strata)), one number for all, or none (R's HR())",
                )
        return out

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
                                           else ")")
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
