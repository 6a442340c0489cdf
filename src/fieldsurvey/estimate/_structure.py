"""The per-stage structure of a :class:`~.design.SurveyDesign`, computed on integer codes.

From the design's id, strata and FPC columns: the clusters and strata of every stage (R's
``svydesign`` interactions of ids 1..s), a row of every cluster and stratum, the number of
PSUs per stratum, the population sizes implied by the FPC, the default weights, and the
:class:`Stage` records that :mod:`fieldsurvey.estimate.taylor` reduces unit totals over.
Every function takes the design being built (its columns, ``nest``, ``source``) and raises
:class:`~fieldsurvey.io.errors.DesignError` naming the file, row and column at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import numeric_column
from fieldsurvey.estimate._groups import codes_of, combine, first_index
from fieldsurvey.io.errors import DesignError
from fieldsurvey.io.tables import FIRST_DATA_ROW, file_row

if TYPE_CHECKING:
    from fieldsurvey.estimate.design import SurveyDesign

__all__ = ["LONELY_PSU_RULES", "LonelyPSU", "Stage", "StageCodes", "StageInfo"]

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


class StageCodes(NamedTuple):
    """Per stage: cluster and stratum codes of every row, a row of every cluster, counts."""

    clusters: list[np.ndarray]
    strata: list[np.ndarray]
    reps: list[np.ndarray]
    counts: list[int]


class StageInfo(NamedTuple):
    """One stage's clusters and strata, derived from the clusters (not the rows)."""

    n_clusters: int
    n_strata: int
    stratum_rows: np.ndarray
    npsu: np.ndarray
    cluster_stratum: np.ndarray


def cell(value: object) -> str:
    """A cell as a user reads it: 'an empty cell', or its plain value (no numpy repr)."""
    if pd.isna(value):  # type: ignore[call-overload]
        return "an empty cell"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _codes(design: SurveyDesign, name: str, what: str) -> tuple[np.ndarray, int]:
    codes, uniques = codes_of(design.data[name])
    if codes.size and codes.min() < 0:
        row = file_row(int(np.flatnonzero(codes < 0)[0]))
        raise DesignError(
            f"missing value in the {what} column",
            file=design.source,
            row=row,
            field=name,
            expected=f"a {what} for every respondent",
            got="an empty cell",
        )
    return codes, len(uniques)


def stage_codes(design: SurveyDesign, n_stages: int) -> StageCodes:
    """Cluster and stratum codes per stage (R's interactions), with a row of every cluster.

    Also the number of clusters per stage.
    """
    n = design.n
    if design.strata:
        st_given = [_codes(design, c, "stratum") for c in design.strata]
    else:
        st_given = [(np.zeros(n, dtype=np.int64), 1)]
    if design.ids:
        id_codes = [_codes(design, c, "cluster id") for c in design.ids]
    else:
        id_codes = [(np.arange(n, dtype=np.int64), n)]
    out = StageCodes([], [], [], [])
    for s in range(n_stages):
        if s == 0:
            st, n_st = st_given[0]
            cl, n_cl = id_codes[0]
            if design.nest and design.has_strata:
                cl, n_cl = combine(st, n_st, cl, n_cl)
        else:
            # stage-s strata: the given stratum crossed with the stage s-1 cluster; when no
            # new stratum column is given this is just the stage s-1 cluster (nested)
            prev, n_prev = out.clusters[s - 1], out.counts[s - 1]
            if s >= len(st_given):
                st, n_st = prev, n_prev
            else:
                st, n_st = combine(*st_given[s], prev, n_prev)
            cl, n_cl = combine(prev, n_prev, *id_codes[s])
            if design.nest and s < len(st_given):
                cl, n_cl = combine(st, n_st, cl, n_cl)
        rep = first_index(cl, n_cl)
        if n_cl < n:
            _check_nested(design, cl, st, rep, s)
        out.clusters.append(cl)
        out.counts.append(n_cl)
        out.strata.append(st)
        out.reps.append(rep)
    if out.counts[0] == 1 and not (design.nest and design.has_strata):
        raise DesignError(
            "the design has only one primary sampling unit",
            file=design.source,
            field=design.ids[0] if design.ids else None,
            hint="A variance needs at least two PSUs; check the cluster column",
        )
    return out


def stage_info(codes: StageCodes) -> list[StageInfo]:
    """Per stage: counts, a row of each stratum, PSUs per stratum, each cluster's stratum."""
    out: list[StageInfo] = []
    for s, st in enumerate(codes.strata):
        n_cl = codes.counts[s]
        cl_st = st[codes.reps[s]]
        n_st = int(cl_st.max()) + 1
        # stage-s strata that are the stage s-1 clusters already have a row each
        st_rep = (codes.reps[s - 1] if s > 0 and st is codes.clusters[s - 1]
                  else codes.reps[s][first_index(cl_st, n_st)])
        npsu = np.bincount(cl_st, minlength=n_st).astype(np.float64)
        out.append(StageInfo(n_cl, n_st, st_rep, npsu, cl_st))
    return out


def _check_nested(design: SurveyDesign, cl: np.ndarray, st: np.ndarray, first: np.ndarray,
                  s: int) -> None:
    bad = st != st[first][cl]
    if bad.any():
        row = file_row(int(np.flatnonzero(bad)[0]))
        name = design.ids[s] if design.ids else "(row)"
        raise DesignError(
            f"clusters are not nested in strata at stage {s + 1}",
            file=design.source,
            row=row,
            field=name,
            expected="every cluster id within one stratum",
            got="a cluster id that appears in two strata",
            hint="If cluster ids restart in every stratum, use nest=True (--nest)",
        )


def _fpc_kind(design: SurveyDesign, raw: list[np.ndarray]) -> bool:
    """True when the FPC columns are population sizes, False for sampling fractions."""
    lo, hi = np.inf, -np.inf
    for name, vals in zip(design.fpc_columns, raw, strict=True):
        vlo, vhi = float(vals.min()), float(vals.max())
        if np.isnan(vlo):
            row = file_row(int(np.flatnonzero(np.isnan(vals))[0]))
            raise DesignError("missing FPC value", file=design.source, row=row, field=name)
        lo, hi = min(lo, vlo), max(hi, vhi)
    is_popsize = hi > 1
    if is_popsize != (lo >= 1):
        raise DesignError(
            "FPC mixes population sizes and sampling fractions",
            file=design.source,
            field=",".join(design.fpc_columns),
            expected="all values >= 1 (population sizes) or all <= 1 (sampling fractions)",
            got=f"values from {lo:g} to {hi:g}",
        )
    return is_popsize


def popsizes(design: SurveyDesign, strata: list[np.ndarray],
             info: list[StageInfo]) -> list[np.ndarray]:
    """Population size N_h of every stratum at every stage, from the FPC columns."""
    raw = [numeric_column(design.data, c, design.source) for c in design.fpc_columns]
    is_popsize = _fpc_kind(design, raw)
    out = []
    for s, (name, vals) in enumerate(zip(design.fpc_columns, raw, strict=True)):
        st = strata[s]
        st_rep, npsu = info[s].stratum_rows, info[s].npsu
        per_stratum = vals[st_rep]
        varies = vals != per_stratum[st]
        if varies.any():
            row = file_row(int(np.flatnonzero(varies)[0]))
            raise DesignError(
                f"the FPC varies within a stratum at stage {s + 1}",
                file=design.source,
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
                file=design.source,
                row=file_row(int(st_rep[h])),
                field=name,
                expected=f"a population size of at least {npsu[h]:g}",
                got=f"{big_n[h]:g}",
            )
        out.append(big_n)
    return out


def sampling_weights(design: SurveyDesign, popsize: list[np.ndarray] | None,
                     strata: list[np.ndarray], info: list[StageInfo]) -> np.ndarray:
    """The weight column (checked), else the product of N_s / n_s over stages, else 1."""
    if design.weights_column is not None:
        w = numeric_column(design.data, design.weights_column, design.source)
        if not (float(w.min()) >= 0 and float(w.max()) < np.inf):  # NaN, <0 or inf
            bad = ~np.isfinite(w) | (w < 0)
            row = file_row(int(np.flatnonzero(bad)[0]))
            raise DesignError(
                "sampling weights must be present, finite and not negative",
                file=design.source,
                row=row,
                field=design.weights_column,
                expected="a number >= 0 for every respondent",
                got=cell(design.data[design.weights_column].iloc[row - FIRST_DATA_ROW]),
                hint="An infinite weight usually comes from a selection probability of "
                "0; fix the weight column before estimating",
            )
        if w.size and not w.any():
            raise DesignError(
                "every sampling weight is zero", file=design.source,
                field=design.weights_column, expected="some respondents with a weight above 0",
                hint="Give the final weight column (not the weight of the non-respondents)")
        return w
    if popsize is None:
        return np.ones(design.n)
    w = np.ones(design.n)
    for s, big_n in enumerate(popsize):
        w = w * (big_n / info[s].npsu)[strata[s]]
    return w


def build_stages(codes: StageCodes, info: list[StageInfo], var_stages: int,
                 popsize: list[np.ndarray] | None,
                 pi_stages: list[np.ndarray]) -> tuple[Stage, ...]:
    """The :class:`Stage` records of the variance's stages (all with FPC, else the first)."""
    unit_rep = codes.reps[var_stages - 1]
    stages = []
    for s in range(var_stages):
        cl = codes.clusters[s]
        inf = info[s]
        if popsize is None:
            fpcf, frac = np.ones(inf.n_strata), np.ones(inf.n_strata)
        else:
            big_n = popsize[s]
            fpcf = np.where(np.isinf(big_n), 1.0, (big_n - inf.npsu) / big_n)
            frac = np.where(np.isinf(big_n), 0.0, inf.npsu / big_n)
        parent = (codes.clusters[s - 1][inf.stratum_rows] if s > 0
                  else np.zeros(inf.n_strata, dtype=np.int64))
        n_par = info[s - 1].n_clusters if s > 0 else 1
        # the last stage's clusters are the units themselves (not used: units_are_clusters)
        unit_cluster = cl[unit_rep] if s < var_stages - 1 else np.empty(0, dtype=np.int64)
        stages.append(
            Stage(
                unit_cluster=unit_cluster,
                n_clusters=inf.n_clusters,
                cluster_stratum=inf.cluster_stratum,
                n_strata=inf.n_strata,
                stratum_parent=parent,
                n_parents=n_par,
                npsu=inf.npsu,
                fpc=fpcf,
                fraction=frac,
                stratum_rows=inf.stratum_rows,
                units_are_clusters=s == var_stages - 1,
                cluster_fpc=(1.0 - pi_stages[s]) if pi_stages else None,
                cluster_fraction=pi_stages[s] if pi_stages else None,
            )
        )
    return tuple(stages)
