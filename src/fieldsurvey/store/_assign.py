"""Turn a sample (DataFrame or records) into assignment rows for the store."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from fieldsurvey.io.errors import ColumnError, StoreError

__all__ = ["ASSIGNMENT_COLUMNS", "assignment_rows"]

_INT = ("line", "replicate", "release_batch")
_FLOAT = ("pi_1", "pi_2", "pi", "base_weight")
_TEXT = ("community_id", "stratum", "segment", "kish_table", "address", "building", "unit",
         "floor", "door")
#: Sample columns kept as columns of ``assignments`` (others go to ``attributes``).
ASSIGNMENT_COLUMNS: tuple[str, ...] = ("dwelling_id", "interviewer", *_TEXT, *_INT,
                                       "released", *_FLOAT)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _scalar(v: Any) -> Any:
    if _missing(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


def assignment_rows(sample: Any, *, interviewer: str | None = None,
                    default_interviewer: str | None = None) -> list[dict[str, Any]]:
    """Validate a sample and return one dict per assignment (columns of ``assignments``)."""
    if isinstance(sample, pd.DataFrame):
        records: Iterable[Mapping[Any, Any]] = sample.to_dict("records")
    else:
        records = sample
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(records, start=1):
        rec = {str(k): _scalar(v) for k, v in rec.items()}
        if interviewer is not None:
            rec["interviewer"] = interviewer
        elif rec.get("interviewer") in (None, "") and default_interviewer:
            rec["interviewer"] = default_interviewer
        for col in ("dwelling_id", "community_id", "interviewer"):
            if rec.get(col) in (None, ""):
                raise ColumnError(f"a sample line has no {col}", row=i, field=col,
                                  hint="Every issued line needs a dwelling, a community and "
                                  "an interviewer")
        did = str(rec["dwelling_id"])
        if did in seen:
            raise StoreError("the same dwelling is issued twice", row=i, field="dwelling_id",
                             got=f"{did!r}, first at row {seen[did]}")
        seen[did] = i
        row: dict[str, Any] = {"dwelling_id": did, "interviewer": str(rec["interviewer"])}
        try:
            for c in _TEXT:
                v = rec.get(c)
                row[c] = None if v is None else str(v)
            for c in _INT:
                v = rec.get(c)
                row[c] = None if v is None else int(v)
            for c in _FLOAT:
                v = rec.get(c)
                row[c] = None if v is None else float(v)
        except (TypeError, ValueError) as exc:
            raise StoreError("a sample value has the wrong type", row=i, got=str(exc)) from exc
        rel = rec.get("released")
        if isinstance(rel, str):
            rel = rel.strip().lower() in ("1", "true", "yes", "t", "y")
        row["released"] = None if rel is None else int(bool(rel))
        extra = {k: v for k, v in rec.items() if k not in ASSIGNMENT_COLUMNS}
        row["attributes"] = json.dumps(extra, ensure_ascii=False, default=str)
        out.append(row)
    return out
