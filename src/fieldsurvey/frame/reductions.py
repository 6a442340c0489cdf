"""The self-check of a partitioned build, reduced from what each partition found.

Counts add up; examples are the first ones in listing order (each partition sends its
first :data:`~fieldsurvey.frame.qa.MAX_EXAMPLES` with their listing position); the
per-community table is summed; the checks on the boundaries alone and the notes are
made by :func:`~fieldsurvey.frame.qa.assemble_checks`, which also puts every check in
the report's order for the single-process build, so the report equals its.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from fieldsurvey.frame.assign import PreparedBoundaries
from fieldsurvey.frame.partitions import _TABLE_SUMS, GroupStats
from fieldsurvey.frame.qa import (
    MAX_EXAMPLES,
    ROW_CHECKS,
    Check,
    QAReport,
    _check,
    assemble_checks,
    community_table,
    summarise,
)
from fieldsurvey.io.boundaries import Boundaries

__all__ = ["OffsetSample", "merge_info", "reduce_checks"]


class OffsetSample:
    """The few columns the web-map offset check reads, for a frame of ``n`` rows.

    The check looks at up to 20,000 evenly spaced dwellings with coordinates; the
    partitions send exactly those, and this stands in for the whole frame (its length
    is the frame's, for the count of dwellings outside).
    """

    def __init__(self, sample: pd.DataFrame, n: int) -> None:
        self._sample = sample
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, key: str) -> pd.Series:
        return self._sample[key]


def merge_info(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """One listing note from the notes of each partition (counts added up)."""
    if len(infos) == 1:
        return infos[0]
    out: dict[str, Any] = {}
    for info in infos:
        for key, value in info.items():
            if key not in out:
                out[key] = dict(value) if isinstance(value, dict) else value
            elif key == "kept_rows" and value:
                out[key] = [int(out[key][0]) + int(value[0]), int(out[key][1]) + int(value[1])]
            elif isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        out[key][k] = out[key].get(k, 0) + v
                    elif isinstance(v, list):
                        out[key][k] = [*out[key].get(k, []), *v]
                    else:
                        out[key].setdefault(k, v)
    out["partitions"] = len(infos)
    return out


def _merged(name: str, stats: list[GroupStats]) -> Check:
    count = sum(s.counts.get(name, 0) for s in stats)
    found = sorted((e for s in stats for e in s.examples.get(name, [])), key=lambda e: e[0])
    return _check(name, count, tuple(e[1] for e in found[:MAX_EXAMPLES]))


def _table(stats: list[GroupStats], b: Boundaries) -> pd.DataFrame:
    empty = pd.DataFrame({"community_index": np.zeros(0, dtype=np.int64),
                          "status": pd.Series([], dtype=object),
                          "dwelling_households": np.zeros(0)})
    table = community_table(empty, b, "households")
    for col in _TABLE_SUMS:
        total = np.zeros(len(table), dtype=np.int64)
        for s in stats:
            if s.table is not None:
                total += s.table[col].to_numpy(dtype=np.int64)
        table[col] = total
    with np.errstate(invalid="ignore", divide="ignore"):  # as community_table does
        table["coverage"] = np.where(table["registered"] > 0,
                                     table["listed_households"] / table["registered"], np.nan)
        ov = (table["occupied"] + table["vacant"]).to_numpy(dtype=float)
        table["vacancy_rate"] = np.where(ov > 0, table["vacant"] / ov, np.nan)
    return table


def reduce_checks(stats: list[GroupStats], b: Boundaries, prepared: PreparedBoundaries,
                  info: dict[str, Any], sample: OffsetSample, *, coverage_tolerance: float,
                  vacancy_threshold: float, coords: str, boundary_coords: str) -> QAReport:
    """The whole self-check from the groups' statistics (:func:`~.qa.assemble_checks`)."""
    row = {name: _merged(name, stats) for name, _, _ in ROW_CHECKS}
    row["estimated_dwellings"] = _merged("estimated_dwellings", stats)
    table = _table(stats, b)
    checks = assemble_checks(row, table, b, prepared, info, cast(pd.DataFrame, sample),
                             coverage_tolerance=coverage_tolerance,
                             vacancy_threshold=vacancy_threshold, coords=coords,
                             boundary_coords=boundary_coords)
    summary = summarise(checks, table, b, sum(s.rows for s in stats),
                        sum(s.assigned for s in stats))
    return QAReport(tuple(checks), table, summary, {})
