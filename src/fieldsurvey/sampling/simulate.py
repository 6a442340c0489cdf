"""Check a design before the field: draw it many times and compare frequencies with pi.

Every unit's empirical inclusion frequency f over R runs is compared with the inclusion
probability pi the sampler reports, by z = (f - pi) / sqrt(pi (1 - pi) / R) and by the
two-sided binomial p-value of its count. With small pi and few runs the count is far from
normal (a z of 5 is then not rare among many units), so the verdict
(:attr:`Simulation.consistent`) uses the smallest p-value times the number of units
(Bonferroni) against 0.001. Stage 1 is simulated
with the same per-stratum plans and drawing functions as the real draw
(:mod:`.stage1`), stage 2 with the same within-community function (:mod:`.stage2`), all
vectorised over the runs; stage-2 draws are independent of stage 1, so a dwelling counts
in the runs where its community was drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from fieldsurvey.io.errors import DesignError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.sampling.design import Design, load_design
from fieldsurvey.sampling.rng import RandomState, resolve_rng
from fieldsurvey.sampling.stage1 import draw_stratum, plan_stage1
from fieldsurvey.sampling.stage2 import draw_within, within_probabilities
from fieldsurvey.sampling.stages import communities_from_frame, eligible_groups

__all__ = ["Simulation", "binomial_p_values", "simulate_design", "z_scores"]


@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate_design`."""

    units: pd.DataFrame
    """One row per unit: stratum, community_id (, dwelling_id), pi, frequency, z."""
    runs: int
    max_abs_z: float
    """Largest |z| over the units."""
    max_abs_diff: float
    """Largest |frequency - pi|."""
    sum_pi: dict[str, float]
    """Sum of stage-1 pi per stratum (equals n_h)."""
    n: dict[str, int]
    """Stage-1 n_h per stratum."""
    min_p_adjusted: float = 1.0
    """Smallest binomial p-value times the number of units (capped at 1)."""

    @property
    def consistent(self) -> bool:
        """True unless some frequency departs from pi more than chance explains."""
        return self.min_p_adjusted >= 0.001


def z_scores(frequency: np.ndarray, pi: np.ndarray, runs: int) -> np.ndarray:
    """Z of each empirical frequency against its probability (0 when both are 0 or 1)."""
    var = pi * (1.0 - pi) / runs
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (frequency - pi) / np.sqrt(var)
    return np.where(var > 0, z, np.where(np.isclose(frequency, pi), 0.0, np.inf))


def binomial_p_values(frequency: np.ndarray, pi: np.ndarray, runs: int) -> np.ndarray:
    """Two-sided binomial p-values, 2 min(P(X <= k), P(X >= k)) capped at 1."""
    k = np.rint(frequency * runs)
    lower = binom.cdf(k, runs, pi)
    upper = binom.sf(k - 1, runs, pi)
    p_values: np.ndarray = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    return p_values


def simulate_design(
    frame: pd.DataFrame,
    design: str | Path | Mapping[str, Any] | Design,
    runs: int = 1000,
    seed: RandomState = None,
    *,
    progress: Progress | None = None,
) -> Simulation:
    """Draw the design ``runs`` times and compare each unit's frequency with its pi.

    Parameters
    ----------
    frame
        Communities table (stage-1 design) or dwelling frame (two-stage design).
    design
        TOML path, mapping or :class:`~fieldsurvey.sampling.design.Design`.
    runs
        Number of simulated samples.
    seed
        Seed of the simulation (independent of the design's seed).

    Returns
    -------
    Simulation
    """
    d = load_design(design)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise DesignError("the number of runs must be at least 1", field="runs", got=repr(runs))
    rng = resolve_rng(seed)
    two_stage = d.stage2 is not None
    table = communities_from_frame(frame, d) if two_stage else frame
    plans = plan_stage1(table, d)
    C = len(table)
    pi1 = np.zeros(C)
    stratum = np.empty(C, dtype=object)
    for plan in plans:
        stratum[plan.rows] = plan.label
        pi1[plan.rows] = plan.pi
    ids = table[d.stage1.id].to_numpy()
    if not two_stage:
        # counts in chunks of runs: memory bounded whatever the frame and the runs
        counts = np.zeros(C, dtype=np.int64)
        for plan in plans:
            if not plan.n:
                continue
            step = max(1, 4_000_000 // max(1, plan.n))
            for start in range(0, runs, step):
                got = draw_stratum(plan, d.stage1.method, rng, min(step, runs - start))
                counts += np.bincount(plan.rows[np.asarray(got).ravel()], minlength=C)
        freq = counts / runs
        units = pd.DataFrame({"stratum": stratum, "community_id": ids, "pi": pi1,
                              "frequency": freq, "z": z_scores(freq, pi1, runs)})
        units = units[stratum != None].reset_index(drop=True)  # noqa: E711 - blank rows
    else:
        hit = np.zeros((runs, C), dtype=bool)
        for plan in plans:
            if plan.n:
                got = draw_stratum(plan, d.stage1.method, rng, runs)
                hit[np.arange(runs)[:, None], plan.rows[got]] = True
        units = _stage2(frame, table, d, hit, pi1, stratum, rng, runs, progress)
    freq, pi = units["frequency"].to_numpy(), units["pi"].to_numpy()
    units["p_value"] = binomial_p_values(freq, pi, runs)
    diff = np.abs(freq - pi)
    return Simulation(
        units=units, runs=runs,
        max_abs_z=float(np.abs(units["z"]).max()) if len(units) else 0.0,
        max_abs_diff=float(diff.max()) if diff.size else 0.0,
        sum_pi={p.label: float(p.pi.sum()) for p in plans},
        n={p.label: p.n for p in plans},
        min_p_adjusted=float(min(1.0, units["p_value"].min() * len(units))) if len(units)
        else 1.0,
    )


def _stage2(frame: pd.DataFrame, table: pd.DataFrame, d: Design, hit: np.ndarray,
            pi1: np.ndarray, stratum: np.ndarray, rng: np.random.Generator, runs: int,
            progress: Progress | None) -> pd.DataFrame:
    s2 = d.stage2
    assert s2 is not None
    rows, counts, starts = eligible_groups(frame, table[d.stage1.id], d)
    freq = np.zeros(rows.size)
    pi = np.zeros(rows.size)
    comm = np.repeat(np.arange(len(table)), counts)
    for i, N in enumerate(counts.tolist()):
        if N == 0:
            continue
        block = slice(starts[i], starts[i + 1])
        w = draw_within(N, s2.m, s2.reserve, s2.method, s2.segment_size, rng, runs)
        main = w.positions[:, : w.main][hit[:, i]]
        freq[block] = np.bincount(main.ravel(), minlength=N) / runs
        pi[block] = pi1[i] * within_probabilities(N, s2.m, s2.segment_size)
        if progress is not None and i % 50 == 0:
            report(progress, "simulate", i + 1, len(counts))
    return pd.DataFrame({
        "stratum": stratum[comm],
        "community_id": table[d.stage1.id].to_numpy()[comm],
        "dwelling_id": frame["dwelling_id"].to_numpy()[rows],
        "pi": pi, "frequency": freq, "z": z_scores(freq, pi, runs),
    })
