"""Base (design) weights from the selection probabilities of every stage.

For a respondent j in household (dwelling) d of community i::

    w = 1 / (π_i · π_{d|i} · π_{j|d})

with π_i the community's stage-1 probability (``pi_1``), π_{d|i} the dwelling's conditional
probability (``pi_2``; a segment's probability is a further factor when a large community was
split), and π_{j|d} the respondent's within-household selection probability (1/k for a uniform
choice among k eligible persons; Kish tables give 1/4 or 1/6 for 5 persons). The sample
file's ``pi`` column already holds the product of the stage probabilities, so it is used
when present (DESIGN.md, "The statistics, precisely"; FIELDWORK.md §2 step 10).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, WeightingError

__all__ = ["base_weights"]

_STAGE_RE = re.compile(r"^pi_\d+$")


def _probabilities(data: pd.DataFrame, col: str, file: str | None,
                   allow_missing: bool = False) -> np.ndarray:
    if col not in data.columns:
        raise ColumnError("the sample has no such probability column", file=file, field=col,
                          got=", ".join(map(str, data.columns)),
                          hint="Name the column holding the selection probability")
    raw = data[col]
    p = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~((p > 0) & (p <= 1 + 1e-12))
    if allow_missing:
        bad &= ~raw.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WeightingError(
            f"{int(bad.sum())} selection probability(ies) are missing or outside (0, 1]",
            file=file, row=i + 2, field=col, expected="a probability 0 < π <= 1",
            got=repr(raw.iloc[i]), hint="Check the sample file: every selected unit has π > 0",
        )
    return p


def base_weights(
    sample: pd.DataFrame,
    *,
    stages: Sequence[str] | None = None,
    respondent: str | None = None,
    eligible: str | None = None,
    allow_missing_respondent: bool = False,
    file: str | None = None,
) -> pd.Series:
    """Base weight of each case: the inverse of its overall selection probability.

    Parameters
    ----------
    sample
        One row per sampled case (see ``schema.SAMPLE_COLUMNS``).
    stages
        Columns of the stage probabilities to multiply. Default: ``pi`` when present,
        otherwise every ``pi_<k>`` column.
    respondent
        Column of the respondent's conditional selection probability within the household.
    eligible
        Column with the number of eligible persons k (the probability is then 1/k).
        Give at most one of ``respondent`` and ``eligible``.
    allow_missing_respondent
        Let cases without a respondent probability (households with no interview) keep the
        household-level weight.
    file
        File name for error messages.

    Returns
    -------
    pandas.Series
        ``base_weight`` aligned with ``sample``.

    Raises
    ------
    ColumnError, WeightingError
        A column is missing, or a probability is missing or outside (0, 1].
    """
    if respondent is not None and eligible is not None:
        raise WeightingError("give the respondent's probability or the number of eligible "
                             "persons, not both", field="respondent/eligible")
    if stages is None:
        if "pi" in sample.columns:
            stages = ["pi"]
        else:
            stages = sorted((c for c in sample.columns if _STAGE_RE.match(str(c))),
                            key=lambda c: int(str(c)[3:]))
        if not stages:
            raise ColumnError("the sample has no selection probabilities", file=file,
                              field="pi", expected="a column pi or columns pi_1, pi_2, ...",
                              got=", ".join(map(str, sample.columns)))
    pi = np.ones(len(sample))
    for col in stages:
        pi *= _probabilities(sample, col, file)
    if respondent is not None:
        p = _probabilities(sample, respondent, file, allow_missing_respondent)
        pi *= np.where(np.isnan(p), 1.0, p)
    elif eligible is not None:
        if eligible not in sample.columns:
            raise ColumnError("the data have no such column", file=file, field=eligible,
                              got=", ".join(map(str, sample.columns)))
        raw = sample[eligible]
        k = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~((k >= 1) & (k == np.round(k)))
        if allow_missing_respondent:
            bad &= ~raw.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise WeightingError(
                "the number of eligible persons must be a whole number >= 1", file=file,
                row=i + 2, field=eligible, got=repr(raw.iloc[i]),
            )
        pi /= np.where(np.isnan(k), 1.0, k)
    return pd.Series(1.0 / pi, index=sample.index, name="base_weight")
