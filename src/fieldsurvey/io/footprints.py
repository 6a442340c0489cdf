"""Expand building footprints into dwellings.

Before a listing walk a team often has only building outlines: sometimes with a
dwelling count per building (from the property office), often only with the number
of storeys or the height (3D building models). For planning, each building becomes
``n`` dwellings:

* ``n = dwellings`` when the count is given (``estimated = False``);
* otherwise ``n = storeys x dwellings_per_floor``, with
  ``storeys = max(1, round(height / storey_height))`` when only the height is known
  (``estimated = True``); ``dwellings_per_floor`` comes from the user, who knows the
  local building type;
* a footprint with neither a count, storeys nor a height ("unsized": in OpenStreetMap
  most buildings) gets ``n = max(1, round(area / dwelling_area))`` (one storey of floor
  area, ``estimated = True``) when the user states ``dwelling_area``, is left out when
  the user chooses ``skip_unsized``, and is otherwise refused: never dropped silently.
  How many were estimated or left out is recorded in ``attrs["footprints"]`` for the
  self-check.

A footprint's address comes from the listing's address, else from OpenStreetMap's
``addr:street`` + ``addr:housenumber`` (or ``addr:full``), else from its ``name``; each
dwelling's address is that text followed by its door number.

Dwellings of a building are numbered floor by floor: with ``s`` storeys, ``ceil(n/s)``
doors per floor, door ``<floor><position:02d>`` ("301" is floor 3, position 1). All
share the footprint's representative point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, InputError

__all__ = ["expand_footprints"]


#: Columns the reader makes for every listing (not the layer's own fields).
_MADE = frozenset({"source_row", "dwelling_id", "community_id", "compound", "building", "unit",
                   "floor", "door", "address", "status", "households", "estimated", "lon",
                   "lat", "footprint_dwelling", "footprint_area"})


def _storeys(table: pd.DataFrame, storey_height: float) -> np.ndarray:
    storeys = (
        table["storeys"].to_numpy(dtype=float)
        if "storeys" in table
        else np.full(len(table), np.nan)
    )
    if "height" in table:
        from_height = np.maximum(
            1.0, np.round(table["height"].to_numpy(dtype=float) / storey_height)
        )
        storeys = np.where(np.isnan(storeys), from_height, storeys)
    return storeys


def expand_footprints(
    table: pd.DataFrame,
    *,
    dwellings_per_floor: float | None,
    storey_height: float = 3.0,
    dwelling_area: float | None = None,
    skip_unsized: bool = False,
    file: str | Path | None = None,
) -> pd.DataFrame:
    """Turn one row per footprint into one row per (counted or estimated) dwelling.

    Parameters
    ----------
    table
        Normalised footprint rows with ``source_row``, ``building`` and any of the numeric
        columns ``dwellings``, ``storeys``, ``height``.
    dwellings_per_floor
        Dwellings on each floor, needed when a footprint has no dwelling count.
    storey_height
        Metres per storey for footprints with only a height.
    dwelling_area, skip_unsized
        What to do with footprints that have no count, storeys or height (see above);
        their floor area is the column ``footprint_area`` (m^2).

    Returns
    -------
    DataFrame
        The rows repeated, with ``floor``, ``door``, ``estimated`` and
        ``footprint_dwelling`` (1-based number within the building) filled in.

    Raises
    ------
    ColumnError
        When footprints have neither a dwelling count nor storeys nor a height.
    InputError
        When counts must be estimated but ``dwellings_per_floor`` was not given.
    """
    have = [c for c in ("dwellings", "storeys", "height") if c in table]
    if not have and dwelling_area is None and not skip_unsized:
        raise ColumnError(
            "the listing is a layer of building footprints, but it has no dwelling count, "
            "storeys or height to turn buildings into dwellings",
            file=file, expected="a field dwellings (套数), storeys (层数) or height (高度)",
            got="the fields " + (", ".join(c for c in table.columns if c not in _MADE)
                                 or "(none besides the geometry)"),
            hint="Name the field with --columns dwellings=FIELD (or storeys=/height=), or "
            "estimate from the floor area with --dwelling-area M2",
        )
    if storey_height <= 0:
        raise InputError("the storey height must be positive", field="storey_height",
                         got=str(storey_height))
    counted = (
        table["dwellings"].to_numpy(dtype=float)
        if "dwellings" in table
        else np.full(len(table), np.nan)
    )
    storeys = _storeys(table, storey_height)
    need = np.isnan(counted) & ~np.isnan(storeys)
    if need.any() and not dwellings_per_floor:
        raise InputError(
            f"{int(need.sum())} building footprint(s) have only storeys or a height, so their "
            "dwellings must be estimated, but no number of dwellings per floor was given",
            file=file, field="dwellings_per_floor",
            hint="Give the typical number of dwellings per floor, e.g. --dwellings-per-floor 4",
        )
    if dwellings_per_floor is not None and dwellings_per_floor <= 0:
        raise InputError("the number of dwellings per floor must be positive",
                         field="dwellings_per_floor", got=str(dwellings_per_floor))
    estimate = np.where(need, storeys * (dwellings_per_floor or 0), 0.0)
    unsized = np.isnan(counted) & np.isnan(storeys)
    by_area = np.zeros(len(table), dtype=bool)
    if unsized.any():
        if dwelling_area is not None:
            area = table["footprint_area"].to_numpy(dtype=float) if "footprint_area" in table \
                else np.full(len(table), np.nan)
            by_area = unsized & np.isfinite(area)
            estimate = np.where(by_area, np.maximum(1.0, np.round(area / dwelling_area)), estimate)
            need = need | by_area
        if not skip_unsized and (unsized & ~by_area).any():
            bad = unsized & ~by_area
            row = int(table["source_row"].to_numpy()[np.flatnonzero(bad)[0]])
            raise InputError(
                f"{int(bad.sum())} of {len(table)} building footprint(s) have neither a dwelling "
                "count, storeys nor a height"
                + (" nor a readable outline to measure" if dwelling_area is not None else "")
                + ", so their dwellings cannot be counted",
                file=file, row=row, field="storeys",
                hint="Estimate them from their floor area with --dwelling-area M2 (e.g. 90), "
                "leave them out with --skip-unsized (they are counted in the self-check), "
                "or keep only the buildings you want with --keep",
            )
    n = np.where(np.isnan(counted), estimate, counted)
    n = np.nan_to_num(np.round(n), nan=0.0).astype(np.int64)
    skipped = unsized & ~by_area
    n[skipped] = 0
    if (n < 0).any():
        row = int(table["source_row"].to_numpy()[np.flatnonzero(n < 0)[0]])
        raise InputError("a building has a negative dwelling count", file=file, row=row,
                         field="dwellings", hint="Correct the count")
    take = np.repeat(np.arange(len(table)), n)
    drop = [*have, *(c for c in ("footprint_area",) if c in table)]
    out = table.drop(columns=drop).iloc[take].reset_index(drop=True)
    starts = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(int(n.sum()), dtype=np.int64) - starts
    s = np.nan_to_num(storeys[take], nan=0.0)
    per_floor = np.where(s > 0, np.ceil(n[take] / np.maximum(s, 1)), 0).astype(np.int64)
    has_floor = per_floor > 0
    floor = np.where(has_floor, k // np.maximum(per_floor, 1) + 1, 0)
    pos = np.where(has_floor, k % np.maximum(per_floor, 1) + 1, k + 1)
    floor_s = pd.Series(floor.astype(str), dtype="string").where(has_floor)
    pos_s = pd.Series(pos.astype(str), dtype="string").str.zfill(2)
    out["floor"] = floor_s
    out["door"] = (floor_s + pos_s).fillna(pd.Series((k + 1).astype(str), dtype="string"))
    out["estimated"] = need[take]
    out["footprint_dwelling"] = pd.array(k + 1, dtype="Int64")
    if "address" in out and out["address"].notna().any():
        out["address"] = (out["address"].astype("string") + " " + out["door"]).astype("string")
    out.attrs["footprints"] = {
        "buildings": len(table), "unsized": int(unsized.sum()),
        "estimated_by_area": int(by_area.sum()), "left_out_unsized": int(skipped.sum()),
        "unsized_rows": table["source_row"].to_numpy()[skipped][:20].tolist(),
    }
    return out
