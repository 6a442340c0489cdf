r"""Taylor-linearisation variance of estimated totals, with strata, multistage clusters and FPC.

An estimator hands over the totals of its influence function ("linearised values") per
finest sampling unit, ``T`` (units x columns), and which units hold respondents of the
estimate (``present``). The variance is R's ``survey:::multistage`` recursion, computed
for all columns and all clusters at once:

.. math::

    V = \sum_{s=1}^{K} \sum_{u \in U_{s-1}} \Big(\prod_{r<s} f^{(r)}_{u}\Big)
        \frac{H_u}{H^{ok}_u} \sum_{h \in u} c_h \sum_{i \in h} (t_{hi} - \bar t_h)^2

where stage-s strata h sit inside stage-(s-1) clusters u (one root at stage 1), t_hi are
cluster totals, :math:`\bar t_h = \sum_i t_{hi} / n_h` over all n_h PSUs of the stratum
(absent PSUs count as zero totals, as R's zero padding), :math:`c_h = (1 - n_h/N_h)\,
n_h/(n_h - 1)` (just :math:`1 - n_h/N_h` for n_h = 1; 1 - n/N is 1 without FPC) and the
multiplier of later stages is the product of the sampling fractions n/N above them
(Cochran 1977, 11.8; Lumley 2010, 2.2). Strata with 1 - n/N < 1e-7 contribute nothing.
A stratum with one PSU follows the lonely-PSU rule (see :mod:`.design`); ``average``
drops it and scales the others by H_u / H^ok_u (R: ``nstrat / nokstrat``), which is NaN
when no stratum of a unit has a variance, as in R.
"""

from __future__ import annotations

import numpy as np

from fieldsurvey.estimate._groups import group_any, group_sum
from fieldsurvey.estimate.design import SurveyDesign
from fieldsurvey.io.errors import EstimationError

__all__ = ["unit_totals", "variance"]


def unit_totals(
    design: SurveyDesign, z: np.ndarray, domain: np.ndarray | None, n_domains: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Totals of ``z`` per (finest unit, domain) and which units hold rows of each domain.

    ``domain`` is a code 0..n_domains-1 per row, or -1 for rows left out (missing values,
    outside every domain); ``None`` means every row is in domain 0.
    Returns ``(T, present)``, both ``(units, n_domains)``; ``present`` is None when every
    row is in the one domain (then every unit is present).
    """
    u = design.n_units
    keep = domain >= 0 if domain is not None else None
    if keep is None or (n_domains == 1 and keep.all()):
        if design.units_are_rows:
            return z[:, None], None
        if u == design.n:  # every row its own finest unit: a permutation, no sums needed
            t1: np.ndarray = np.empty(u)
            t1[design.row_unit] = z
        else:
            t1 = np.bincount(design.row_unit, weights=z, minlength=u)
        return t1[:, None], None
    if keep.all():
        key = design.row_unit * n_domains + domain
        zk = z
    else:
        assert domain is not None
        key = design.row_unit[keep] * n_domains + domain[keep]
        zk = z[keep]
    t: np.ndarray = np.bincount(key, weights=zk, minlength=u * n_domains).reshape(u, n_domains)
    present = (np.bincount(key, minlength=u * n_domains) > 0).reshape(u, n_domains)
    return t, present


def variance(design: SurveyDesign, t: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """Variance of the total of each column of ``t`` (units x columns); see the module docs.

    Raises
    ------
    EstimationError
        A stratum holding respondents has a single PSU and the rule is ``fail``.
    """
    rule = design.lonely_psu
    p = t.shape[1]
    total = np.zeros(p)
    unit_mult = None  # multiplier of each cluster of the previous stage
    for s, st in enumerate(design.stages):
        if st.units_are_clusters:
            tc = t
            pc = present
        else:
            tc = group_sum(st.unit_cluster, st.n_clusters, t)
            pc = None if present is None else group_any(st.unit_cluster, st.n_clusters, present)
        # strata holding respondents
        if pc is None:
            ph = np.ones((st.n_strata, p), dtype=bool)
        else:
            ph = group_any(st.cluster_stratum, st.n_strata, pc)
        sums = group_sum(st.cluster_stratum, st.n_strata, tc)
        npsu = st.npsu
        lonely = npsu == 1
        census = st.fpc < 1e-7
        centre = sums / npsu[:, None]
        if rule == "adjust":
            centre[lonely] = 0.0
        dev = tc - centre[st.cluster_stratum]
        np.multiply(dev, dev, out=dev)
        ss = group_sum(st.cluster_stratum, st.n_strata, dev)
        scale = np.where(lonely, st.fpc, st.fpc * npsu / np.maximum(npsu - 1, 1))
        if st.cluster_fpc is None:
            contrib = ss * scale[:, None]
        else:  # PPS (Brewer): every PSU its own 1 - pi
            lone = lonely[st.cluster_stratum]
            mult = np.where(lone, 1.0, (npsu / np.maximum(npsu - 1, 1))[st.cluster_stratum])
            weight_c = st.cluster_fpc * mult
            dev_raw = tc - centre[st.cluster_stratum]
            contrib = group_sum(st.cluster_stratum, st.n_strata,
                                dev_raw * dev_raw * weight_c[:, None])
            census = group_sum(st.cluster_stratum, st.n_strata,
                               (st.cluster_fpc >= 1e-7).astype(np.float64)) == 0
        domain_lonely = None
        if design.adjust_domain_lonely and pc is not None and rule in ("adjust", "average"):
            # R's survey.adjust.domain.lonely: a domain in one PSU of a stratum with several
            n_in = group_sum(st.cluster_stratum, st.n_strata, pc.astype(np.float64))
            domain_lonely = (n_in == 1) & ~lonely[:, None] & ~census[:, None]
            if rule == "adjust" and domain_lonely.any():  # deviation from 0, not the mean
                raw = group_sum(st.cluster_stratum, st.n_strata, tc * tc) * scale[:, None]
                contrib = np.where(domain_lonely, raw, contrib)
        contrib[census] = 0.0
        bad = lonely & ~census
        if bad.any():
            hit = bad[:, None] & ph
            if rule == "fail" and hit.any():
                h = int(np.flatnonzero(hit.any(axis=1))[0])
                raise EstimationError(
                    f"stratum {design.stratum_label(s, h)} has only one PSU at stage {s + 1}",
                    field=(design.strata[0] if design.strata and s == 0 else None),
                    expected="at least two PSUs per stratum for a variance",
                    hint=(
                        "Choose a lonely-PSU rule: remove | certainty | adjust | average "
                        "(--lonely-psu), or merge the stratum with a neighbour"
                    ),
                )
            not_ok = bad[:, None] & ph if rule == "average" else np.zeros_like(ph)
        else:
            not_ok = np.zeros_like(ph)
        if domain_lonely is not None and rule == "average":
            not_ok = not_ok | (domain_lonely & ph)
        contrib = np.where(ph & ~not_ok, contrib, 0.0)
        nstrat = group_sum(st.stratum_parent, st.n_parents, ph.astype(np.float64))
        nok = nstrat - group_sum(st.stratum_parent, st.n_parents, not_ok.astype(np.float64))
        vsum = group_sum(st.stratum_parent, st.n_parents, contrib)
        with np.errstate(invalid="ignore", divide="ignore"):
            vu = vsum * (nstrat / nok)
        vu = np.where(nstrat > 0, vu, 0.0)
        if unit_mult is None:
            total += vu.sum(axis=0)
        else:
            total += (vu * unit_mult[:, None]).sum(axis=0)
        if s + 1 < len(design.stages):
            # multiplier of this stage's clusters for the next stage: their stratum's n/N x above
            parent_mult = np.ones(st.n_parents) if unit_mult is None else unit_mult
            if st.cluster_fraction is not None:  # PPS: each cluster's own n / N = pi
                unit_mult = st.cluster_fraction * parent_mult[st.stratum_parent][st.cluster_stratum]
            else:
                h_mult = st.fraction * parent_mult[st.stratum_parent]
                unit_mult = h_mult[st.cluster_stratum]
    return total
