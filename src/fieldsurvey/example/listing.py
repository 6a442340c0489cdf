"""The dwelling listing of the example district, as listers hand it in: with faults.

A clean listing is one row per dwelling in walking order (community, compound, building,
unit, floor, door). Real listings are never clean, so a handful of the faults the
self-check (绘图自查) must find are planted, each recorded in the ``faults`` table with the
check that should report it:

==========================  ==============================================================
``community_mismatch``      6 dwellings written under a neighbouring community's code
``outside_boundaries``      4 points a few hundred metres outside the district
``missing_coordinates``     12 dwellings without longitude and latitude
``duplicate_id``            3 rows pasted twice (same id, address and point) and
                            2 rows that copied the previous row's id
``duplicate_address``       2 dwellings listed twice under a new id, point 3 m apart
``empty_community``         1 community not listed yet (no rows at all)
==========================  ==============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from fieldsurvey.example.geometry import (
    LAT0,
    LON0,
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    snap7,
    xy_to_lonlat,
)

__all__ = ["FAULT_COUNTS", "LISTING_COLUMNS", "clean_listing", "plant_faults"]

LISTING_COLUMNS = (
    "dwelling_id",
    "community_id",
    "compound",
    "building",
    "unit",
    "floor",
    "door",
    "address",
    "lon",
    "lat",
    "status",
    "households",
)
FAULT_COUNTS = {
    "community_mismatch": 6,
    "outside_boundaries": 4,
    "missing_coordinates": 12,
    "duplicate_row": 3,
    "copied_id": 2,
    "duplicate_address": 2,
}


def _pick(
    pool: np.ndarray, n: int, taken: set[int], rng: np.random.Generator, by: np.ndarray
) -> np.ndarray:
    """Draw ``n`` rows from ``pool`` not yet taken, at most one per value of ``by``."""
    out: list[int] = []
    seen: set[object] = set()
    for i in rng.permutation(pool):
        if int(i) in taken or by[i] in seen:
            continue
        out.append(int(i))
        seen.add(by[i])
        if len(out) == n:
            break
    taken.update(out)
    return np.array(sorted(out), dtype=np.int64)


def _outside(
    lon: np.ndarray, lat: np.ndarray, outline_m: shapely.Geometry
) -> tuple[np.ndarray, np.ndarray]:
    """Push points straight away from the centre until 300 m past the district outline."""
    x, y = (lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT
    r = np.hypot(x, y)
    ux, uy = x / r, y / r
    t = np.arange(0.0, 8000.0, 25.0)
    px, py = x[:, None] + ux[:, None] * t, y[:, None] + uy[:, None] * t
    inside = shapely.contains_xy(outline_m, px, py)
    exit_t = t[np.argmax(~inside, axis=1)] + 300.0
    return xy_to_lonlat(x + ux * exit_t, y + uy * exit_t)


def plant_faults(
    listing: pd.DataFrame,
    neighbours: dict[str, list[str]],
    edge_communities: set[str],
    outline_m: shapely.Geometry,
    unlisted: str,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the listing with faults planted, and the table of planted faults.

    ``listing`` is the clean listing (walking order, ``unlisted`` already left out);
    ``neighbours`` maps a community to those it borders; ``edge_communities`` are those
    on the district edge. The faults table has ``check``, ``dwelling_id``,
    ``community_id``, ``source_row`` (1-based data row in the written CSV) and ``note``.
    """
    df = listing.reset_index(drop=True).copy()
    df["_key"] = np.arange(len(df), dtype=float)
    df["_fault"] = ""
    comm = df["community_id"].to_numpy(dtype=object)
    seq = df.groupby("community_id").size()  # ids run 1..n within each community
    occupied = np.flatnonzero(df["status"].to_numpy(dtype=object) == "occupied")
    taken: set[int] = set()

    rows = _pick(occupied, FAULT_COUNTS["community_mismatch"], taken, rng, comm)
    wrong = [neighbours[c][int(rng.integers(len(neighbours[c])))] for c in comm[rows]]
    df.loc[rows, "_fault"] = [
        f"community_mismatch:listed under {w}, lies in {c}"
        for w, c in zip(wrong, comm[rows], strict=True)
    ]
    df.loc[rows, "community_id"] = wrong

    edge = occupied[np.isin(comm[occupied], sorted(edge_communities))]
    rows = _pick(edge, FAULT_COUNTS["outside_boundaries"], taken, rng, comm)
    lon, lat = _outside(
        df.loc[rows, "lon"].to_numpy(float), df.loc[rows, "lat"].to_numpy(float), outline_m
    )
    df.loc[rows, "lon"], df.loc[rows, "lat"] = snap7(lon), snap7(lat)
    df.loc[rows, "_fault"] = "outside_boundaries:point taken away from the dwelling"

    rows = _pick(occupied, FAULT_COUNTS["missing_coordinates"], taken, rng, comm)
    df.loc[rows, ["lon", "lat"]] = np.nan
    df.loc[rows, "_fault"] = "missing_coordinates:no point recorded"

    rows = _pick(occupied[occupied > 0], FAULT_COUNTS["copied_id"], taken, rng, comm)
    taken.update((rows - 1).tolist())
    df.loc[rows, "dwelling_id"] = df.loc[rows - 1, "dwelling_id"].to_numpy()
    df.loc[rows, "_fault"] = "duplicate_id:copied the id of the row above"

    extra = []
    rows = _pick(occupied, FAULT_COUNTS["duplicate_row"], taken, rng, comm)
    dup = df.loc[rows].copy()
    dup["_key"] += 0.5
    dup["_fault"] = "duplicate_id:row pasted twice (same id, address and point)"
    extra.append(dup)

    rows = _pick(occupied, FAULT_COUNTS["duplicate_address"], taken, rng, comm)
    again = df.loc[rows].copy()
    last = df.groupby("community_id")["_key"].max()
    again["_key"] = (
        last.reindex(again["community_id"]).to_numpy() + 0.25 + 0.01 * np.arange(len(again))
    )
    again["dwelling_id"] = [
        f"{c}-{seq[c] + 1 + i:05d}" for i, c in enumerate(again["community_id"])
    ]
    again["lon"] = snap7(again["lon"].to_numpy(float) + 3.0 / M_PER_DEG_LON)
    again["_fault"] = "duplicate_address:dwelling listed twice under a new id"
    extra.append(again)

    out = pd.concat([df, *extra], ignore_index=True).sort_values("_key", kind="stable")
    out = out.reset_index(drop=True)
    hit = np.flatnonzero(out["_fault"].to_numpy(dtype=object) != "")
    check_note = out.loc[hit, "_fault"].str.split(":", n=1)
    faults = pd.DataFrame(
        {
            "check": check_note.str[0].to_numpy(),
            "dwelling_id": out.loc[hit, "dwelling_id"].to_numpy(),
            "community_id": out.loc[hit, "community_id"].to_numpy(),
            "source_row": hit + 1,
            "note": check_note.str[1].to_numpy(),
        }
    )
    empty = pd.DataFrame(
        {
            "check": ["empty_community"],
            "dwelling_id": [pd.NA],
            "community_id": [unlisted],
            "source_row": [pd.NA],
            "note": ["community not listed yet"],
        }
    )
    faults = pd.concat([faults, empty], ignore_index=True)
    faults = faults.astype(
        {
            "check": "str",
            "dwelling_id": "str",
            "community_id": "str",
            "source_row": "Int64",
            "note": "str",
        }
    )
    return out[list(LISTING_COLUMNS)], faults


def clean_listing(
    *,
    dwelling_id: np.ndarray,
    community_id: np.ndarray,
    street: np.ndarray,
    community: np.ndarray,
    compound: np.ndarray,
    building: np.ndarray,
    unit: np.ndarray,
    floor: np.ndarray,
    door: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    status: np.ndarray,
    households: np.ndarray,
) -> pd.DataFrame:
    """The listing as it should be: one row per dwelling, per-dwelling arrays in.

    ``door`` is the door's number on its floor; the listing's ``door`` is written
    unit-floor-door (``2-301``: unit 2, floor 3, door 1) and the address
    <street><community><compound><building>栋<unit>单元<floor><door>室.
    """
    room = np.char.add(floor.astype(str), np.char.zfill(door.astype(str), 2))
    unit_s = unit.astype(str)
    address = (
        pd.Series(street, dtype=str)
        + pd.Series(community, dtype=str)
        + pd.Series(compound, dtype=str)
        + pd.Series(building.astype(str), dtype=str)
        + "栋"
        + pd.Series(unit_s, dtype=str)
        + "单元"
        + pd.Series(room, dtype=str)
        + "室"
    )
    return pd.DataFrame(
        {
            "dwelling_id": dwelling_id,
            "community_id": community_id,
            "compound": compound,
            "building": building.astype(np.int64),
            "unit": unit.astype(np.int64),
            "floor": floor.astype(np.int64),
            "door": np.char.add(np.char.add(unit_s, "-"), room),
            "address": address.to_numpy(dtype=object),
            "lon": lon,
            "lat": lat,
            "status": status,
            "households": pd.array(households, dtype="Int64"),
        }
    )
