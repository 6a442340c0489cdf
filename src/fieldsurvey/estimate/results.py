"""Frozen result rows and tables of design-based estimates.

Every estimator returns an :class:`EstimateTable`: an immutable sequence of
:class:`Estimate` rows with the keys the command line prints
(``variable, statistic, domain, level, estimate, se, ci_low, ci_high, deff, n``).
Tables concatenate with ``+`` and convert to a pandas DataFrame or JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, overload

import pandas as pd

__all__ = ["COLUMNS", "Estimate", "EstimateTable"]

COLUMNS: tuple[str, ...] = (
    "variable",
    "statistic",
    "domain",
    "level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "deff",
    "n",
)


@dataclass(frozen=True)
class Estimate:
    """One estimate with its standard error, confidence interval and design effect.

    Attributes
    ----------
    variable
        The column (or ``num/den`` for a ratio, or a derived name) estimated.
    statistic
        ``mean``, ``total``, ``prop``, ``ratio``, ``quantile``, ``top2box``,
        ``mean_score`` or ``index``.
    estimate, se
        The point estimate and its design-based standard error.
    ci_low, ci_high
        The confidence interval (see each estimator for its rule).
    deff
        The design effect as R's ``deff=TRUE`` computes it; ``None`` where R has none
        (quantiles).
    n
        Respondents used: in the domain and with the variable(s) not missing.
    domain
        ``None`` for the whole population, else ``"stype=E"`` (``", "``-joined for
        several by-variables).
    level
        The category of a proportion, or the probability of a quantile.
    by
        The domain as ``((by_variable, value), ...)``.
    """

    variable: str
    statistic: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    deff: float | None
    n: int
    domain: str | None = None
    level: str | None = None
    by: tuple[tuple[str, Any], ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict in :data:`COLUMNS` order (NaN kept as float NaN)."""
        d = asdict(self)
        return {k: d[k] for k in COLUMNS}


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _json_value(v.item())
    return v


@dataclass(frozen=True)
class EstimateTable(Sequence[Estimate]):
    """An immutable table of :class:`Estimate` rows.

    Attributes
    ----------
    rows
        The estimates, in the order they were asked for (domains in R's ``svyby`` order).
    method
        How standard errors were computed: ``taylor`` or the replicate type.
    """

    rows: tuple[Estimate, ...]
    method: str = "taylor"

    @overload
    def __getitem__(self, i: int) -> Estimate: ...

    @overload
    def __getitem__(self, i: slice) -> EstimateTable: ...

    def __getitem__(self, i: int | slice) -> Estimate | EstimateTable:
        if isinstance(i, slice):
            return EstimateTable(self.rows[i], self.method)
        return self.rows[i]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Estimate]:
        return iter(self.rows)

    def __add__(self, other: EstimateTable) -> EstimateTable:
        method = self.method if self.method == other.method else "mixed"
        return EstimateTable(self.rows + other.rows, method)

    def get(
        self,
        variable: str,
        statistic: str | None = None,
        *,
        domain: str | None = None,
        level: str | None = None,
    ) -> Estimate:
        """Return the one row matching ``variable`` (and statistic, domain, level).

        Raises
        ------
        KeyError
            When no row or more than one row matches.
        """
        hits = [
            r
            for r in self.rows
            if r.variable == variable
            and (statistic is None or r.statistic == statistic)
            and r.domain == domain
            and (level is None or r.level == level)
        ]
        if len(hits) != 1:
            raise KeyError(
                f"{len(hits)} rows match variable={variable!r} statistic={statistic!r} "
                f"domain={domain!r} level={level!r}"
            )
        return hits[0]

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with :data:`COLUMNS` plus one column per by-variable."""
        base = pd.DataFrame([r.as_dict() for r in self.rows], columns=list(COLUMNS))
        by_names: list[str] = []
        for r in self.rows:
            for name, _ in r.by:
                if name not in by_names and name not in COLUMNS:
                    by_names.append(name)
        for name in by_names:
            base[name] = [dict(r.by).get(name) for r in self.rows]
        return base

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (NaN and infinities become ``None``)."""
        return [{k: _json_value(v) for k, v in r.as_dict().items()} for r in self.rows]

    def to_json(self, indent: int | None = 2) -> str:
        """The rows as a JSON list of objects with the keys in :data:`COLUMNS`."""
        return json.dumps(self.to_records(), ensure_ascii=False, indent=indent)
