"""Replicate factors per first-stage PSU for :func:`.replicate.as_replicate` (R's weights).

``psu_structure`` reads the first stage of a :class:`~.design.SurveyDesign` (with R's FPC of
a Brewer design, n_h / pi), and ``jkn_factors``, ``rao_wu_factors`` and ``brr_factors``
build R's ``jknweights``, (sub)bootstrap and ``brrweights`` factors (PSUs x replicates); see
the module docstring of :mod:`fieldsurvey.estimate.replicate` for each type.
"""

from __future__ import annotations

import numpy as np

from fieldsurvey.estimate._groups import group_sum
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.rng import RandomState, resolve_rng

__all__ = ["brr_factors", "jkn_factors", "mrb_factors", "psu_structure", "rao_wu_factors"]


def psu_structure(design: SurveyDesign,
                   t: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Stratum of each first-stage PSU, PSUs per stratum, and 1 - n_h/N_h (None: no FPC)."""
    st1 = design.stages[0]
    if t == "subbootstrap":  # R's subbootstrap never uses the FPC
        return st1.cluster_stratum, st1.npsu, None
    if design.pps is None:
        return st1.cluster_stratum, st1.npsu, (st1.fpc if design.fpc_columns else None)
    if t == "brr" or st1.cluster_fraction is None:
        return st1.cluster_stratum, st1.npsu, None  # R drops the FPC
    # Brewer: R's FPC is the population size n_h / pi, one value per stratum (JK1: in all)
    pi = st1.cluster_fraction
    group = np.zeros_like(st1.cluster_stratum) if t == "jk1" else st1.cluster_stratum
    n_groups = int(group.max()) + 1
    first = np.full(n_groups, -1, dtype=np.int64)
    first[group[::-1]] = np.arange(group.size)[::-1]
    varies = pi != pi[first][group]
    if varies.any():
        label = design.stratum_label(0, int(group[np.flatnonzero(varies)[0]]))
        said = {"jk1": "More than one fpc value given",
                "jkn": f"More distinct fpc values than strata (stratum {label})",
                "bootstrap": f"More than one fpc in stratum {label}"}[t]
        raise DesignError(
            f"{said}: R's as.svrepdesign makes {t} replicates of a Brewer design only when "
            "the PSUs' inclusion probabilities (its FPC) are "
            + ("one value" if t == "jk1" else "one value per stratum"),
            file=design.source, field=design.fpc_columns[0] if design.fpc_columns else None,
            expected="equal first-stage pi" + ("" if t == "jk1" else " within each stratum"),
            got="pi that vary between PSUs",
            hint="Use subbootstrap replicates (R's subbootstrap ignores the FPC), mrbbootstrap "
            "(every stage), brr for two PSUs per stratum, or the design's own Brewer variance "
            "(no replicates)",
        )
    fpc_h = np.ones(st1.n_strata)
    fpc_h[st1.cluster_stratum] = 1.0 - pi
    return st1.cluster_stratum, st1.npsu, fpc_h


def _lonely_error(design: SurveyDesign, h: int) -> DesignError:
    label = design.stratum_label(0, h)
    return DesignError(
        f"stratum {label!s} has only one PSU", field=design.strata[0] if design.strata else None,
        hint="Choose a lonely-PSU rule: remove | certainty | adjust | average (--lonely-psu)",
    )


def jkn_factors(
    design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray, fpcf: np.ndarray | None
) -> tuple[np.ndarray, float, np.ndarray]:
    """R's ``jknweights``: factors, scale and rscales, with the lonely-PSU rule."""
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


def rao_wu_factors(
    design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray, f_psu: np.ndarray,
    replicates: int, rng: RandomState,
) -> np.ndarray:
    """Rao-Wu rescaling bootstrap factors (n_h - 1 draws, lambda = sqrt(1 - f_h))."""
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


def brr_factors(design: SurveyDesign, psu_stratum: np.ndarray, npsu: np.ndarray,
                rho: float) -> np.ndarray:
    """R's ``brrweights`` (``large="split"``) factors, 2 - rho / rho, with R's Hadamard rows."""
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


def _stratum_fractions(design: SurveyDesign) -> list[np.ndarray]:
    """R's mrbweights sampling fraction of every stratum at every stage.

    n/N of the stratum's first row (the first PSU's pi in a Brewer design, as R reads its
    per-row FPC); 0 without an FPC (R: sampled with replacement, first stage only).
    """
    n_units = design.n_units
    unit_first = np.full(n_units, design.n, dtype=np.int64)
    np.minimum.at(unit_first, design.row_unit, np.arange(design.n))
    out = []
    for st in design.stages:
        if not design.fpc_columns and st.cluster_fraction is None:
            out.append(np.zeros(st.n_strata))
            continue
        if st.cluster_fraction is None:
            out.append(np.asarray(st.fraction, dtype=np.float64))
            continue
        if st.units_are_clusters:
            first = unit_first
        else:
            first = np.full(st.n_clusters, design.n, dtype=np.int64)
            np.minimum.at(first, st.unit_cluster, unit_first)
        s_first = np.full(st.n_strata, design.n, dtype=np.int64)
        np.minimum.at(s_first, st.cluster_stratum, first)
        pick = np.flatnonzero(first == s_first[st.cluster_stratum])
        f = np.empty(st.n_strata)
        f[st.cluster_stratum[pick]] = st.cluster_fraction[pick]
        out.append(f)
    return out


def mrb_factors(design: SurveyDesign, replicates: int, rng: RandomState) -> np.ndarray:
    """R's ``mrbweights``: Preston's multistage rescaled bootstrap, factors per finest unit.

    At every stage and stratum, half (floor n/2) of the clusters still in the replicate are
    drawn without replacement; the units get -lambda + lambda n/n* (drawn) or -lambda,
    lambda = sqrt(F n* (1 - f) / (n - n*)) with F the product of the sampling fractions
    above; drawn clusters' later stages are scaled by sqrt(n/n*), the others' drop out.
    """
    if replicates < 2:
        raise DesignError("the bootstrap needs at least 2 replicates", field="replicates")
    gen = resolve_rng(rng)
    fractions = _stratum_fractions(design)
    n_units = design.n_units
    total = np.zeros((n_units, replicates))
    carry = np.ones((n_units, replicates))
    kept_prev: np.ndarray | None = None  # per cluster of the previous stage
    cumff_prev: np.ndarray | None = None  # per stratum of the previous stage
    prev_stratum: np.ndarray | None = None
    for s, st in enumerate(design.stages):
        cl_st = st.cluster_stratum
        parent = st.stratum_parent[cl_st]  # the previous stage's cluster of each cluster
        kept = (np.ones((st.n_clusters, replicates), dtype=bool) if kept_prev is None
                else kept_prev[parent])
        cumff = (np.ones(st.n_strata) if cumff_prev is None or prev_stratum is None
                 else cumff_prev[prev_stratum[st.stratum_parent]])
        n = group_sum(cl_st, st.n_strata, kept.astype(np.float64))
        nstar = np.floor(n / 2)
        f_h = fractions[s]
        with np.errstate(invalid="ignore", divide="ignore"):
            lam = np.sqrt(cumff[:, None] * nstar * (1 - f_h[:, None]) / (n - nstar))
        # draw n* of the kept clusters of each stratum: kept ones first, in random order
        key = np.where(kept, gen.random((st.n_clusters, replicates)) * 0.5, 0.75)
        order = np.argsort(cl_st[:, None] + key, axis=0, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(st.n_clusters)[:, None], axis=0)
        start = np.r_[0, np.cumsum(np.bincount(cl_st, minlength=st.n_strata))[:-1]]
        keep = kept & (rank - start[cl_st][:, None] < nstar[cl_st])
        ok = nstar[cl_st] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            lam_c = lam[cl_st]
            wstar = np.where(ok, -lam_c + lam_c * (n[cl_st] / nstar[cl_st]) * keep, 0.0)
            grow = np.where(ok, np.sqrt(n[cl_st] / nstar[cl_st]) * keep, 1.0)
        unit_of = np.arange(n_units) if st.units_are_clusters else st.unit_cluster
        total += wstar[unit_of] * carry
        if not st.units_are_clusters:
            carry *= grow[unit_of]
        kept_prev = keep
        cumff_prev = cumff * f_h
        prev_stratum = cl_st
    return np.asarray(1.0 + total)
