"""Domains (R's ``svyby``): estimates for subpopulations without dropping PSUs.

A domain estimate uses the whole design: rows outside the domain contribute zero to
every PSU total, every PSU and stratum still counts in n_h and in the FPC, so the
standard error includes the randomness of the domain's sample size (Lumley 2010, 2.3;
Cochran 1977, 2.13). This is what R's ``svyby(~y, ~d, design, svymean)`` does by
subsetting a ``survey.design2`` (which keeps the design's PSU counts).

Domains are the combinations of the by-variables that occur among rows with non-zero
weight; rows with a missing by-value belong to no domain. They are listed in R's order:
the levels of each by-variable sorted, the first by-variable varying fastest.

Missing values of the analysis variable(s) are handled as ``na.rm=TRUE``: the row is
dropped from that estimate only (it stays in the design, so its PSU still counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.estimate._columns import as_names, categorical_column, level_label
from fieldsurvey.io.errors import EstimationError

__all__ = ["Domains", "make_domains", "svyby"]


@dataclass(frozen=True)
class Domains:
    """Domain membership of every row.

    Attributes
    ----------
    code
        Domain number 0..count-1 per row, -1 for rows in no domain.
    count
        Number of domains.
    labels
        ``"stype=E, sch.wide=Yes"`` per domain (``None`` for the whole population).
    keys
        ``((by_variable, value), ...)`` per domain.
    """

    code: np.ndarray
    count: int
    labels: tuple[str | None, ...]
    keys: tuple[tuple[tuple[str, Any], ...], ...]

    def restrict(self, valid: np.ndarray) -> np.ndarray:
        """Domain codes with rows where ``valid`` is false set to -1."""
        if valid.all():
            return self.code
        return np.where(valid, self.code, -1)


def make_domains(design: Any, by: str | Sequence[str] | None) -> Domains:
    """Code the rows of ``design.data`` into the domains of ``by`` (``None``: one domain)."""
    names = as_names(by)
    n = design.n
    if not names:
        return Domains(np.zeros(n, dtype=np.int64), 1, (None,), ((),))
    codes = []
    values = []
    for name in names:
        c, v = categorical_column(design.data, name, design.source)
        codes.append(c)
        values.append(v)
    missing = np.zeros(n, dtype=bool)
    for c in codes:
        missing |= c < 0
    # R order: first by-variable fastest, i.e. sort on (last, ..., first)
    key = np.zeros(n, dtype=np.int64)
    for c, v in zip(reversed(codes), reversed(values), strict=True):
        key = key * len(v) + np.maximum(c, 0)
    size = int(np.prod([len(v) for v in values]))
    listed = ~missing & (np.asarray(design.weights) != 0)
    seen = np.bincount(key[listed], minlength=size) > 0
    present = np.flatnonzero(seen)
    if present.size == 0:
        raise EstimationError(
            f"no respondent with a weight above zero has a value of the domain variable(s) "
            f"{', '.join(names)}", file=design.source, field=", ".join(names),
            expected="at least one respondent in some domain",
            hint="Check the --by column: every cell is empty (or a missing code)")
    remap = np.where(seen, np.cumsum(seen) - 1, -1)
    code = np.where(missing, -1, remap[key]).astype(np.int64)
    labels = []
    keys = []
    for k in present:
        parts = []
        rest = int(k)
        for name, v in zip(names, values, strict=True):
            parts.append((name, v[rest % len(v)]))
            rest //= len(v)
        keys.append(tuple((nm, _plain(val)) for nm, val in parts))
        labels.append(", ".join(f"{nm}={level_label(val)}" for nm, val in parts))
    return Domains(code, int(present.size), tuple(labels), tuple(keys))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if not pd.isna(value) else None


def svyby(
    x: str | Sequence[str],
    by: str | Sequence[str],
    design: Any,
    fun: Callable[..., Any],
    **kwargs: Any,
) -> Any:
    """R's ``svyby(~x, ~by, design, FUN, ...)``: ``fun(x, design, by=by, **kwargs)``.

    Every estimator takes ``by=`` directly and computes all domains in one vectorised
    pass; this wrapper only keeps R's vocabulary. For a ratio pass ``denominator=``
    (as R's ``svyby(~num, ~by, design, svyratio, denominator=~den)``).
    """
    if "denominator" in kwargs:
        den = kwargs.pop("denominator")
        return fun(x, den, design, by=by, **kwargs)
    return fun(x, design, by=by, **kwargs)
