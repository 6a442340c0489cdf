"""Sample-size calculator: interviews, households to issue and communities to select.

For a proportion p estimated with margin of error e at confidence 1 - alpha
(z = Phi^{-1}(1 - alpha / 2)):

- simple random sample: n0 = z^2 p (1 - p) / e^2;
- finite population of N: n1 = n0 / (1 + (n0 - 1) / N) (Cochran 1977, eq. 4.2);
- design effect of the clustering: deff given, or 1 + (b - 1) rho with b interviews per
  community and intra-class correlation rho (Kish 1965, sec. 5.4); interviews
  n = ceil(deff · n1) (as in OpenEpi's sample size for a proportion);
- households to issue: ceil(n / (eligibility · response));
- communities: ceil(n / b) when b is given, issuing ceil(b / (eligibility · response))
  households in each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from fieldsurvey.io.errors import DesignError

__all__ = ["SampleSize", "sample_size"]


@dataclass(frozen=True)
class SampleSize:
    """The result of :func:`sample_size`, with the arithmetic that led to it."""

    interviews: int
    """Completed interviews needed."""
    households: int
    """Households (dwellings) to issue."""
    communities: int | None
    """Communities to select (None without interviews per community)."""
    households_per_community: int | None
    """Households to issue in each community."""
    deff: float
    z: float
    n0: float
    """Interviews for a simple random sample from an infinite population."""
    n_fpc: float
    """After the finite population correction."""
    steps: tuple[str, ...]
    """The arithmetic, one line per step, for the user to check."""

    def explain(self) -> str:
        """The arithmetic as readable text."""
        return "\n".join(self.steps) + "\n"


def _check(name: str, value: float, lo: float, hi: float, *, lo_open: bool = True,
           hi_open: bool = False) -> float:
    bad = (value <= lo if lo_open else value < lo) or (value >= hi if hi_open else value > hi)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or bad:
        raise DesignError(f"{name} is out of range", field=name,
                          expected=f"a number in {'(' if lo_open else '['}{lo}, {hi}"
                                   f"{')' if hi_open else ']'}", got=repr(value))
    return float(value)


def sample_size(
    moe: float,
    confidence: float = 0.95,
    p: float = 0.5,
    *,
    deff: float | None = None,
    icc: float | None = None,
    per_community: int | None = None,
    eligibility: float = 1.0,
    response: float = 1.0,
    population: int | None = None,
) -> SampleSize:
    """Interviews, households to issue and communities for a target margin of error.

    Parameters
    ----------
    moe
        Margin of error e (half-width of the interval), e.g. 0.05 for ±5 points.
    confidence
        Confidence level, e.g. 0.95.
    p
        Expected proportion (0.5 is the safe choice).
    deff
        Design effect; or give ``icc`` and ``per_community`` for 1 + (b - 1) rho.
    icc
        Intra-class correlation rho of the study variable within communities.
    per_community
        Completed interviews per community b.
    eligibility, response
        Expected share of issued dwellings that are eligible, and response rate.
    population
        Population size N (households or adults) for the finite population correction.

    Returns
    -------
    SampleSize

    Raises
    ------
    DesignError
        For a value out of range (naming the argument).
    """
    _check("moe", moe, 0.0, 1.0, hi_open=True)
    _check("confidence", confidence, 0.0, 1.0, hi_open=True)
    _check("p", p, 0.0, 1.0, hi_open=True)
    _check("eligibility", eligibility, 0.0, 1.0)
    _check("response", response, 0.0, 1.0)
    if per_community is not None and (isinstance(per_community, bool) or
                                      not isinstance(per_community, int) or per_community < 1):
        raise DesignError("interviews per community must be a whole number of at least 1",
                          field="per_community", got=repr(per_community))
    if population is not None and (isinstance(population, bool) or
                                   not isinstance(population, int) or population < 1):
        raise DesignError("the population size must be a whole number of at least 1",
                          field="population", got=repr(population))
    steps = []
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    n0 = z * z * p * (1 - p) / (moe * moe)
    steps.append(f"z = {z:.4f} for {confidence:.0%} confidence")
    steps.append(f"n0 = z^2 p(1-p) / e^2 = {z:.4f}^2 x {p:g} x {1 - p:g} / {moe:g}^2 = {n0:.1f}")
    n1 = n0
    if population is not None:
        n1 = n0 / (1 + (n0 - 1) / population)
        steps.append(f"with N = {population}: n0 / (1 + (n0 - 1)/N) = {n1:.1f}")
    if deff is not None and icc is not None:
        raise DesignError("give either deff or icc, not both", field="deff")
    if icc is not None:
        _check("icc", icc, 0.0, 1.0, lo_open=False)
        if per_community is None:
            raise DesignError("the design effect from icc needs the interviews per community",
                              field="per_community", hint="Give --per-community")
        deff = 1 + (per_community - 1) * icc
        steps.append(f"deff = 1 + (b - 1) rho = 1 + ({per_community} - 1) x {icc:g} = {deff:.3f}")
    elif deff is None:
        deff = 1.0
    else:
        _check("deff", deff, 0.0, math.inf, hi_open=True)
        steps.append(f"deff = {deff:g} (given)")
    interviews = math.ceil(deff * n1 - 1e-9)
    steps.append(f"interviews = ceil(deff x {n1:.1f}) = {interviews}")
    rate = eligibility * response
    households = math.ceil(interviews / rate - 1e-9)
    steps.append(f"households to issue = ceil({interviews} / ({eligibility:g} x {response:g}))"
                 f" = {households}")
    communities = per_hh = None
    if per_community is not None:
        communities = math.ceil(interviews / per_community)
        per_hh = math.ceil(per_community / rate - 1e-9)
        steps.append(f"communities = ceil({interviews} / {per_community}) = {communities}, "
                     f"issuing ceil({per_community} / {rate:.3g}) = {per_hh} households each "
                     f"({communities * per_hh} in all)")
    return SampleSize(interviews=interviews, households=households, communities=communities,
                      households_per_community=per_hh, deff=float(deff), z=z, n0=n0,
                      n_fpc=n1, steps=tuple(steps))
