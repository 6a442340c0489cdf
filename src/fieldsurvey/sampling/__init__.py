"""Sampling: the design file, allocation, selection, Kish tables and sample size.

The design (:mod:`.design`, a TOML file) says what to draw; :mod:`.size` how many.

Algorithms (vectorised over replications, so simulations are cheap): :mod:`.srs`,
:mod:`.systematic`, :mod:`.pps` (PPS systematic with certainty units, Brewer's method),
:mod:`.allocate` (stratum allocation). Driver: :mod:`.stage1` (communities), :mod:`.stage2`
(dwellings, segments, reserve), :mod:`.stages` (:func:`draw_sample`), :mod:`.release`
(reserve release), :mod:`.simulate` (empirical check of the probabilities),
:mod:`.output` (files and the design summary). Respondents within a household:
:mod:`.kish`. Random streams: :mod:`.rng`.
"""

from __future__ import annotations

__all__ = ["draw_sample", "release_reserve", "simulate_design"]


def __getattr__(name: str) -> object:
    if name == "draw_sample":
        from fieldsurvey.sampling.stages import draw_sample

        return draw_sample
    if name == "release_reserve":
        from fieldsurvey.sampling.release import release_reserve

        return release_reserve
    if name == "simulate_design":
        from fieldsurvey.sampling.simulate import simulate_design

        return simulate_design
    raise AttributeError(name)
