"""The self-check (绘图自查) of a frame: what to fix before sampling.

Each check counts problem rows (or communities, or polygon pairs) and names up to 20
examples with the dwelling id, the row of the listing (or the feature of the boundary
file) and the community, so a mapper can go straight to them. Severities:

* ``error``: the frame is wrong where it matters for probabilities (a dwelling in no
  community, the same id twice); ``--strict`` refuses to write such a frame;
* ``warning``: probably a listing fault worth a look (a duplicated address, a point in
  another community than the listing says, coverage far from the registered count);
* ``info``: facts to know (estimated dwellings, coverage within tolerance).

Coverage of community i is  C_i = sum(households of occupied or unknown-status
dwellings) / registered households, flagged when |C_i - 1| > tolerance (default 10 %,
the order of a listing's normal error against household registers). Vacancy is
V_i = vacant / (occupied + vacant), flagged above a threshold (default 30 %).

The row-wise flags come from :func:`fieldsurvey.frame.assign.assign_chunk` (chunkable);
duplicates and community totals need the whole frame (a shuffle on dask).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from fieldsurvey.frame.assign import PreparedBoundaries, _point_in_polygons
from fieldsurvey.frame.order import Factors, factorize_column, group_codes
from fieldsurvey.io.boundaries import Boundaries
from fieldsurvey.io.coords import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_gcj02

__all__ = ["CHECKS", "FLAG_COLUMNS", "POINT_IDENTITY", "ROW_CHECKS", "ROW_FILE_COLUMNS", "Check",
           "QAReport", "address_identity", "assemble_checks", "flagged_rows", "point_identity",
           "run_checks"]

MAX_EXAMPLES = 20

#: Check name -> (default severity, what it means).
CHECKS: dict[str, tuple[str, str]] = {
    "outside_boundaries": ("error", "dwellings whose point lies outside every community boundary"),
    "unassigned": ("error", "dwellings with no community at all (no usable point and none listed)"),
    "in_several_boundaries": ("warning", "dwellings whose point lies in two or more boundaries"),
    "missing_coordinates": (
        "warning",
        "dwellings without coordinates (placed by the listed community)",
    ),
    "duplicate_id": ("error", "dwellings sharing a dwelling_id"),
    "duplicate_address": (
        "warning",
        "dwellings of one community (and compound, when listed) sharing the same address text "
        "and not told apart by a listed building, unit, floor or door",
    ),
    "duplicate_point": (
        "warning",
        "dwellings at the same point with the same compound, building, unit, floor and "
        "door (and address, where none of unit, floor and door is listed)",
    ),
    "community_mismatch": (
        "warning",
        "dwellings whose point lies in another community than listed",
    ),
    "unknown_community": ("warning", "dwellings listed under a community id that has no boundary"),
    "empty_community": ("warning", "communities with no listed dwellings"),
    "invalid_polygon": ("warning", "invalid boundary polygons that were repaired"),
    "overlapping_polygons": ("warning", "pairs of community polygons that overlap"),
    "coverage": ("warning", "communities whose listed households differ from the registered count"),
    "vacancy": ("warning", "communities with a high share of vacant dwellings"),
    "estimated_dwellings": ("info", "dwellings estimated from building footprints (not walked)"),
    "unidentified_crs": ("warning", "boundary CRS without an EPSG code (custom or unknown datum)"),
    "approximate_datum": (
        "warning",
        "the boundaries' datum is converted to WGS 84 only approximately",
    ),
    "coordinate_offset": (
        "warning",
        "the listing sits off its boundaries by a web-map offset (GCJ-02/BD-09)",
    ),
    "unknown_status": (
        "warning",
        "listing rows whose status word is not known (counted as unknown status)",
    ),
    "unsized_footprints": (
        "warning",
        "building footprints with neither a dwelling count, storeys nor a height",
    ),
    "filtered_out": ("info", "listing rows or footprints left out by --keep (in an OSM "
                     "extract also the features that are not buildings)"),
    "boundary_notes": ("info", "what reading the boundaries chose (encoding, dissolve, offsets)"),
}

#: Per-dwelling flag columns of the frame -> the check they belong to.
FLAG_COLUMNS: dict[str, str] = {
    "qa_outside": "outside_boundaries",
    "qa_unassigned": "unassigned",
    "qa_in_several": "in_several_boundaries",
    "qa_missing_coordinates": "missing_coordinates",
    "qa_duplicate_id": "duplicate_id",
    "qa_duplicate_address": "duplicate_address",
    "qa_duplicate_point": "duplicate_point",
    "qa_community_mismatch": "community_mismatch",
    "qa_unknown_community": "unknown_community",
    "qa_unknown_status": "unknown_status",
}


#: Row-wise checks, in the report's order: (check, flag column of the frame, extra
#: example columns). Both engines count them (on the whole frame, or per partition
#: and added up) and :func:`assemble_checks` puts the report together.
ROW_CHECKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("outside_boundaries", "qa_outside", ("listed_community_id", "lon", "lat")),
    ("unassigned", "qa_unassigned", ()),
    ("in_several_boundaries", "qa_in_several", ("also_in",)),
    ("missing_coordinates", "qa_missing_coordinates", ()),
    ("duplicate_id", "qa_duplicate_id", ()),
    ("duplicate_address", "qa_duplicate_address", ("address",)),
    ("duplicate_point", "qa_duplicate_point", ("lon", "lat")),
    ("community_mismatch", "qa_community_mismatch", ("listed_community_id",)),
    ("unknown_community", "qa_unknown_community", ("listed_community_id",)),
)


@dataclass(frozen=True)
class Check:
    """One line of the self-check."""

    check: str
    severity: str
    count: int
    examples: tuple[dict[str, Any], ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"check", "severity", "count", "examples", "message"}``."""
        return {"check": self.check, "severity": self.severity, "count": int(self.count),
                "examples": list(self.examples), "message": self.message}


@dataclass(frozen=True, eq=False)
class QAReport:
    """The whole self-check: the checks, a per-community table, and totals."""

    checks: tuple[Check, ...]
    communities: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-dwelling flags (:data:`FLAG_COLUMNS`), in the frame's row order; not in the JSON
    (they are columns of the frame)."""
    rows_file: str | None = None
    """The CSV naming every flagged row (:func:`flagged_rows`), when one was written."""

    def __getitem__(self, name: str) -> Check:
        for c in self.checks:
            if c.check == name:
                return c
        raise KeyError(name)

    @property
    def errors(self) -> tuple[Check, ...]:
        """Checks of severity ``error`` with a non-zero count."""
        return tuple(c for c in self.checks if c.severity == "error" and c.count)

    @property
    def has_errors(self) -> bool:
        """True when any error check found something."""
        return bool(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``summary``, ``checks`` and ``communities``."""
        comm = self.communities.astype(object).where(self.communities.notna(), None)
        return {"summary": self.summary, "checks": [c.to_dict() for c in self.checks],
                "communities": comm.to_dict(orient="records")}

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (UTF-8, Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=_jsonable)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QAReport:
        """Rebuild a report from :meth:`to_dict` output."""
        checks = tuple(Check(c["check"], c["severity"], int(c["count"]),
                             tuple(c.get("examples", ())), c.get("message", ""))
                       for c in data.get("checks", ()))
        return cls(checks, pd.DataFrame(data.get("communities", [])), dict(data.get("summary", {})))

    def to_text(self, width: int = 100) -> str:
        """A readable table of the checks with the first examples."""
        s = self.summary
        lines = [
            (f"Self-check (绘图自查): {s.get('dwellings', 0):,} dwellings, "
             f"{s.get('communities', 0):,} communities, {s.get('assigned', 0):,} assigned"),
            f"{'check':<24}{'severity':<10}{'count':>8}  examples",
        ]
        lines.append("-" * min(width, 76))
        for c in self.checks:
            ex = "; ".join(_example_text(e) for e in c.examples[:3])
            text = f"{c.check:<24}{c.severity:<10}{c.count:>8}  {ex}"
            lines.append(text if len(text) <= width else text[: width - 1] + "…")
        n_err = len(self.errors)
        lines.append(f"{n_err} check(s) with errors" if n_err else "no errors")
        if self.rows_file:
            lines.append(f"every flagged row (up to {MAX_EXAMPLES} examples above): "
                         f"{self.rows_file}")
        return "\n".join(lines)


#: Columns of :func:`flagged_rows` besides ``problems``, when the frame has them.
ROW_FILE_COLUMNS = ("source_row", "dwelling_id", "community_id", "listed_community_id",
                    "building", "unit", "floor", "door", "address", "lon", "lat")


def flagged_rows(frame: pd.DataFrame, flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every row with a self-check flag: where it is in the listing and what is wrong.

    The report names at most :data:`MAX_EXAMPLES` rows per check, so a real listing's
    hundreds of problems stay readable; this table names them all (``problems`` holds the
    checks, ``;``-separated), to sort and fix in a spreadsheet.
    """
    names = [(FLAG_COLUMNS[c], np.asarray(m, dtype=bool)) for c, m in flags.items()
             if c in FLAG_COLUMNS]
    anything = np.zeros(len(frame), dtype=bool)
    for _, mask in names:
        anything |= mask
    idx = np.flatnonzero(anything)
    out = pd.DataFrame({c: frame[c].iloc[idx].to_numpy() for c in ROW_FILE_COLUMNS
                        if c in frame})
    problems = pd.Series([""] * len(idx), dtype=object)
    for name, mask in names:
        hit = mask[idx]
        problems[hit] = problems[hit] + (name + ";")
    out["problems"] = problems.str.rstrip(";").to_numpy()
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _example_text(e: dict[str, Any]) -> str:
    if e.get("dwelling_id") is not None:
        return f"{e['dwelling_id']} (row {e.get('row')}, {e.get('community_id')})"
    if e.get("note") or e.get("word"):
        return str(e.get("note") or f"{e['word']} ({e.get('rows')} rows)")
    other = e.get("other_community_id")
    return f"{e.get('community_id')}" + (f"/{other}" if other else "") + (
        f" (feature {e['feature']})" if e.get("feature") else "")


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _row_examples(
    frame: pd.DataFrame, mask: np.ndarray, extra: tuple[str, ...] = ()
) -> tuple[dict[str, Any], ...]:
    idx = np.flatnonzero(mask)[:MAX_EXAMPLES]
    cols = {k: frame[k] for k in ("dwelling_id", "source_row", "community_id", *extra)}
    out = []
    for i in idx:  # scalar look-ups: a take on a chunked Arrow column would copy it
        e = {
            "dwelling_id": _clean(cols["dwelling_id"].iloc[i]),
            "row": _clean(cols["source_row"].iloc[i]),
            "community_id": _clean(cols["community_id"].iloc[i]),
        }
        e.update({k: _clean(cols[k].iloc[i]) for k in extra})
        out.append(e)
    return tuple(out)


def _check(name: str, count: int, examples: tuple[dict[str, Any], ...] = (), *,
           severity: str | None = None, note: str = "") -> Check:
    default, message = CHECKS[name]
    sev = severity or (default if count else "info")
    return Check(name, sev, int(count), examples, message + (f"; {note}" if note else ""))


def _duplicates(columns: list[pd.Series | np.ndarray], valid: np.ndarray) -> np.ndarray:
    """Rows (among ``valid``) whose combination of values occurs more than once."""
    idx = np.flatnonzero(valid)
    dup = np.zeros(len(valid), dtype=bool)
    if len(idx) == 0:
        return dup
    if len(idx) < len(valid):
        columns = [c.iloc[idx] if isinstance(c, pd.Series) else c[idx] for c in columns]
    key = group_codes(*columns, dense=False)
    dup[idx] = pd.Series(key).duplicated(keep=False).to_numpy()
    return dup


#: What, besides the point, tells two dwellings apart in the ``duplicate_point`` check.
#: A listing geocoded per compound (or per building) puts many dwellings on one point:
#: 1栋-1单元-101 and 2栋-1单元-101 at the compound's gate are different dwellings, and so
#: are 桂林路52號3樓 and 桂林路52號4樓 of an address registry (one point per building, the
#: floors told apart only by the address text). The address counts only for rows without
#: unit, floor and door: where those are listed, they are the dwelling's identity. The
#: building counts except for dwellings made from footprints (``footprint_dwelling``),
#: whose building is the feature number: two footprints on one point are worth a look.
POINT_IDENTITY: tuple[str, ...] = ("compound", "building", "unit", "floor", "door", "address",
                                   "footprint_dwelling")


def point_identity(frame: pd.DataFrame, factors: Factors | None = None) -> list[np.ndarray]:
    """Codes of the :data:`POINT_IDENTITY` columns of ``frame`` (see there), one per column."""
    n = len(frame)
    made = frame["footprint_dwelling"].notna().to_numpy() if "footprint_dwelling" in frame \
        else np.zeros(n, dtype=bool)
    out = [factorize_column(frame, c, factors)[0] for c in ("compound", "unit", "floor", "door")
           if c in frame]
    if "building" in frame:
        out.append(np.where(made, -2, factorize_column(frame, "building", factors)[0]))
    if "address" in frame:
        bare = np.ones(n, dtype=bool)
        for c in ("unit", "floor", "door"):
            if c in frame:
                bare &= frame[c].isna().to_numpy()
        address = pd.factorize(_norm_address(frame["address"]).to_pandas())[0].astype(np.int64)
        out.append(np.where(bare, address, -2))
    return out


def address_identity(frame: pd.DataFrame, factors: Factors | None = None) -> list[np.ndarray]:
    """What, within a community, makes two rows the same address (``duplicate_address``).

    The compound and the address text (without spaces or case), and the listed building,
    unit, floor and door: an address written without the unit (小区1号楼101 in units 1 and
    2 alike) is not a duplicate when the unit column tells the two dwellings apart.
    """
    out = [pd.factorize(_norm_address(frame["address"]).to_pandas())[0].astype(np.int64)]
    out += [factorize_column(frame, c, factors)[0]
            for c in ("compound", "building", "unit", "floor", "door") if c in frame]
    return out


def _point_key(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """One int64 per point rounded to 1e-7 degree (about 1 cm): lon, lat in 32 bits each."""
    with np.errstate(invalid="ignore"):
        x = np.nan_to_num(np.round(lon * 1e7), nan=0.0).astype(np.int64) + (1 << 31)
        y = np.nan_to_num(np.round(lat * 1e7), nan=0.0).astype(np.int64) + (1 << 31)
    return (x << 32) | (y & 0xFFFFFFFF)


def _norm_address(s: pd.Series) -> pa.Array:
    """Address text without spaces (ASCII or full-width), lower case (Arrow kernels)."""
    arr = pa.array(s, type=pa.large_string())
    for space in (" ", "\u3000", "\t"):
        if pc.any(pc.match_substring(arr, space)).as_py():  # looking is cheaper than copying
            arr = pc.replace_substring(arr, space, "")
    return pc.utf8_lower(arr)


def _overlaps(
    prepared: PreparedBoundaries, min_area: float
) -> tuple[int, tuple[dict[str, Any], ...]]:
    """Pairs of polygons overlapping by more than ``min_area`` m^2.

    Neighbours share edges, and digitised shared edges never match exactly, so every
    neighbour pair "overlaps" by a sliver. Shrinking each polygon by half a metre first
    separates true neighbours; only pairs that still intersect are measured.
    """
    t = prepared.transformer
    geoms = shapely.transform(
        prepared.geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
    )
    shrunk = shapely.buffer(geoms, -0.5, quad_segs=2, join_style="mitre")
    a, b = shapely.STRtree(shrunk).query(shrunk, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    area = shapely.area(shapely.intersection(geoms[a], geoms[b])) if len(a) else np.zeros(0)
    hit = area > min_area
    ex = tuple({"dwelling_id": None, "row": None, "community_id": prepared.ids[i],
                "other_community_id": prepared.ids[j], "feature": int(i) + 1,
                "area_m2": round(float(ar), 1)}
               for i, j, ar in list(zip(a[hit], b[hit], area[hit], strict=False))[:MAX_EXAMPLES])
    return int(hit.sum()), ex


def community_table(
    frame: pd.DataFrame, boundaries: Boundaries, size_field: str | None
) -> pd.DataFrame:
    """The per-community table of the self-check.

    Per community: listed, occupied, vacant, non-residential, unknown, listed households,
    registered households, coverage and vacancy rate.
    """
    m = len(boundaries.frame)
    ci = frame["community_index"].to_numpy()
    ok = ci >= 0
    codes, kinds = pd.factorize(frame["status"], use_na_sentinel=True)
    by_kind = {str(k): codes == i for i, k in enumerate(kinds)}
    none_mask = np.zeros(len(ci), dtype=bool)

    def count(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        sel = ok if mask is None else ok & mask
        w = None if weights is None else weights[sel]
        return np.bincount(ci[sel], weights=w, minlength=m)

    occupied = by_kind.get("occupied", none_mask)
    vacant = by_kind.get("vacant", none_mask)
    unknown = by_kind.get("unknown", none_mask)
    hh = frame["dwelling_households"].to_numpy(dtype=float)
    table = pd.DataFrame({
        "community_id": boundaries.frame["community_id"].to_numpy(),
        "listed": count().astype(np.int64),
        "occupied": count(occupied).astype(np.int64),
        "vacant": count(vacant).astype(np.int64),
        "non_residential": count(by_kind.get("non_residential", none_mask)).astype(np.int64),
        "unknown": count(unknown).astype(np.int64),
        "listed_households": count(occupied | unknown, hh).astype(np.int64),
    })
    if "name" in boundaries.frame:
        table.insert(1, "name", boundaries.frame["name"].to_numpy())
    reg = None
    if size_field and size_field in boundaries.frame:
        reg = pd.to_numeric(boundaries.frame[size_field], errors="coerce").to_numpy(dtype=float)
    table["registered"] = reg if reg is not None else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        table["coverage"] = np.where(table["registered"] > 0,
                                     table["listed_households"] / table["registered"], np.nan)
        ov = (table["occupied"] + table["vacant"]).to_numpy(dtype=float)
        table["vacancy_rate"] = np.where(ov > 0, table["vacant"] / ov, np.nan)
    return table


def run_checks(
    frame: pd.DataFrame,
    boundaries: Boundaries,
    prepared: PreparedBoundaries,
    *,
    size_field: str | None = "households",
    coverage_tolerance: float = 0.10,
    vacancy_threshold: float = 0.30,
    overlap_min_area: float = 1.0,
    factors: Factors | None = None,
    listing_info: dict[str, Any] | None = None,
    coords: str = "wgs84",
    boundary_coords: str = "wgs84",
) -> QAReport:
    """Run every check on an assigned frame.

    Parameters
    ----------
    frame
        The frame with the columns of :data:`fieldsurvey.frame.assign.ASSIGN_COLUMNS`
        plus ``dwelling_id``, ``source_row``, ``address``, ``lon``, ``lat``, ``unit``,
        ``floor``, ``door``, ``status``, ``dwelling_households`` and ``estimated``.
    boundaries, prepared
        The boundaries and their prepared index.
    size_field
        Boundary attribute holding the registered households (coverage check).
    coverage_tolerance, vacancy_threshold
        Flag communities with |coverage - 1| above, or vacancy above, these.
    overlap_min_area
        Overlaps smaller than this (m^2) are digitising noise and ignored.
    factors
        Cache of column factorizations, shared with the geographic order.
    listing_info
        What the listing reader recorded (unknown status words, footprints without a
        size, rows left out by ``--keep``).
    coords, boundary_coords
        The web-map systems the inputs were read in (the offset check tries the others).
    """
    f = frame.reset_index(drop=True) if not isinstance(frame.index, pd.RangeIndex) else frame
    flag = {k: f[k].to_numpy(dtype=bool) for k in (
        "outside_boundaries", "in_several_boundaries", "missing_coordinates",
        "community_mismatch", "unknown_community")}
    unassigned = f["community_id"].isna().to_numpy()
    dup_id = _duplicates([f["dwelling_id"]], np.ones(len(f), dtype=bool))
    # Addresses are written relative to the community (or compound): "1栋1单元101室"
    # recurs in every community, so only a repeat within one community (and compound,
    # when listed) is a duplicate.
    has_addr = f["address"].notna().to_numpy()
    dup_addr = _duplicates([f["community_index"].to_numpy(), *address_identity(f, factors)],
                           has_addr)
    has_pt = ~flag["missing_coordinates"]
    point = pd.factorize(_point_key(f["lon"].to_numpy(dtype=float),
                                    f["lat"].to_numpy(dtype=float)))[0].astype(np.int64)
    dup_pt = _duplicates([point, *point_identity(f, factors)], has_pt)
    info = listing_info or {}
    unknown_words = info.get("unknown_status") or {}
    unknown_status = np.zeros(len(f), dtype=bool)
    if unknown_words and "status_word" in f:
        unknown_status = f["status_word"].isin(list(unknown_words)).to_numpy()
    flags = {"qa_outside": flag["outside_boundaries"], "qa_unassigned": unassigned,
             "qa_in_several": flag["in_several_boundaries"],
             "qa_missing_coordinates": flag["missing_coordinates"], "qa_duplicate_id": dup_id,
             "qa_duplicate_address": dup_addr, "qa_duplicate_point": dup_pt,
             "qa_community_mismatch": flag["community_mismatch"],
             "qa_unknown_community": flag["unknown_community"],
             "qa_unknown_status": unknown_status}
    est = f["estimated"].to_numpy(dtype=bool)
    row = {name: _check(name, flags[column].sum(), _row_examples(f, flags[column], extra))
           for name, column, extra in ROW_CHECKS}
    row["estimated_dwellings"] = _check("estimated_dwellings", est.sum(), _row_examples(f, est))
    table = community_table(f, boundaries, size_field)
    checks = assemble_checks(row, table, boundaries, prepared, info, f,
                             size_field=size_field, coverage_tolerance=coverage_tolerance,
                             vacancy_threshold=vacancy_threshold,
                             overlap_min_area=overlap_min_area, coords=coords,
                             boundary_coords=boundary_coords)
    summary = summarise(checks, table, boundaries, len(f), int((~unassigned).sum()))
    return QAReport(tuple(checks), table, summary, flags)


def assemble_checks(row: dict[str, Check], table: pd.DataFrame, boundaries: Boundaries,
                    prepared: PreparedBoundaries, info: dict[str, Any], offset_frame: Any, *,
                    size_field: str | None = "households", coverage_tolerance: float = 0.10,
                    vacancy_threshold: float = 0.30, overlap_min_area: float = 1.0,
                    coords: str = "wgs84", boundary_coords: str = "wgs84") -> list[Check]:
    """Every check of the report, in its order: the one place a check is added.

    ``row`` holds the row-wise checks (:data:`ROW_CHECKS` and ``estimated_dwellings``)
    as each engine counted them; ``table`` is the per-community table; the checks on
    the boundaries, the listing's notes and the web-map offset (on ``offset_frame``:
    the frame, or the rows it would look at) are made here for both engines.
    """
    checks = [row[name] for name, _, _ in ROW_CHECKS]
    empty = table["listed"].to_numpy() == 0
    checks.append(
        _check(
            "empty_community",
            empty.sum(),
            tuple(
                {"dwelling_id": None, "row": None, "community_id": c, "feature": int(i) + 1}
                for i, c in list(
                    zip(np.flatnonzero(empty), table["community_id"][empty], strict=False)
                )[:MAX_EXAMPLES]
            ),
        )
    )
    rep = boundaries.repaired
    checks.append(_check("invalid_polygon", len(rep), tuple(
        {"dwelling_id": None, "row": None, "community_id": r.community_id,
         "feature": int(str(r.feature)), "reason": str(r.reason)}
        for r in rep.head(MAX_EXAMPLES).itertuples())))
    checks.append(_check("overlapping_polygons", *_overlaps(prepared, overlap_min_area)))
    checks.append(_coverage_check(table, coverage_tolerance, size_field))
    checks.append(_vacancy_check(table, vacancy_threshold))
    checks.append(row["estimated_dwellings"])
    crs_name = getattr(boundaries.source_crs, "name", None)
    checks.append(_check("unidentified_crs", 0 if boundaries.crs_identified else 1, () if
                         boundaries.crs_identified else ({"dwelling_id": None, "row": None,
                         "community_id": None, "crs": str(crs_name)},)))
    unknown_words = info.get("unknown_status") or {}
    checks.append(_check("unknown_status", sum(unknown_words.values()), tuple(
        {"dwelling_id": None, "row": None, "community_id": None, "word": w, "rows": n}
        for w, n in list(unknown_words.items())[:MAX_EXAMPLES]),
        note="add the word to the listing's status column as occupied, vacant, "
        "non_residential or unknown" if unknown_words else ""))
    checks.extend(_listing_notes(info))
    checks.extend(_boundary_notes(boundaries))
    checks.append(_offset_check(offset_frame, prepared, coords, boundary_coords))
    return checks


def summarise(checks: list[Check], table: pd.DataFrame, boundaries: Boundaries,
              dwellings: int, assigned: int) -> dict[str, Any]:
    """The report's summary line."""
    return {
        "dwellings": dwellings,
        "communities": len(boundaries.frame),
        "assigned": assigned,
        "listed_households": int(table["listed_households"].sum()),
        "registered_households": None if table["registered"].isna().all()
        else int(np.nansum(table["registered"])),
        "errors": sum(1 for c in checks if c.severity == "error" and c.count),
    }


def _note(text: str) -> dict[str, Any]:
    return {"dwelling_id": None, "row": None, "community_id": None, "note": text}


def _listing_notes(info: dict[str, Any]) -> list[Check]:
    fp = info.get("footprints") or {}
    out = []
    if not fp:
        out.append(_check("unsized_footprints", 0))
    else:
        unsized = int(fp.get("unsized", 0))
        est, left = int(fp.get("estimated_by_area", 0)), int(fp.get("left_out_unsized", 0))
        how = []
        if est:
            how.append(f"{est} estimated from floor area (flagged estimated)")
        if left:
            how.append(f"{left} left out by --skip-unsized (rows "
                       f"{', '.join(map(str, fp.get('unsized_rows', [])[:10]))}…)")
        out.append(_check("unsized_footprints", unsized,
                          tuple(_note(h) for h in how),
                          note=f"of {int(fp.get('buildings', 0))} footprints; " + "; ".join(how)
                          if unsized else ""))
    kept = info.get("kept_rows")
    if not kept:
        out.append(_check("filtered_out", 0))
    else:
        out.append(_check("filtered_out", int(kept[1]) - int(kept[0]),
                           note=f"kept {int(kept[0])} of {int(kept[1])}; totals and coverage "
                           "count only what was kept"))
    return out


def _boundary_notes(b: Boundaries) -> list[Check]:
    notes = list(b.notes)
    datum = [n for n in notes if "approximate" in n or "accurate to about" in n]
    other = [n for n in notes if n not in datum]
    out = [_check("approximate_datum", len(datum), tuple(_note(n) for n in datum),
                  note=datum[0] if datum else "")]
    out.append(_check("boundary_notes", len(other), tuple(_note(n) for n in other),
                      note="; ".join(other)))
    return out


_OFFSETS = {
    "gcj02": ("--coords gcj02", "the listing's lon/lat look like GCJ-02 (Amap/Tencent maps)"),
    "bd09": ("--coords bd09", "the listing's lon/lat look like BD-09 (Baidu maps)"),
    "boundary_gcj02": ("--boundary-coords gcj02",
                       "the boundaries look digitised on a GCJ-02 web map"),
}


def _offset_check(f: pd.DataFrame, prepared: PreparedBoundaries, coords: str,
                  boundary_coords: str) -> Check:
    """The GCJ-02 signature.

    Many dwellings outside, and nearly all inside once the web-map offset (300-700 m in
    a consistent direction) is undone on one side.
    """
    lon = f["lon"].to_numpy(dtype=float)
    lat = f["lat"].to_numpy(dtype=float)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)
                        & (lon > 72.0) & (lon < 137.9) & (lat > 0.8) & (lat < 55.9))
    if len(ok) < 5 or coords != "wgs84" or boundary_coords != "wgs84":
        return _check("coordinate_offset", 0)
    ok = ok[np.linspace(0, len(ok) - 1, min(len(ok), 20_000)).astype(np.int64)]
    x, y = lon[ok], lat[ok]
    listed = pd.Index(prepared.ids).get_indexer(
        f["listed_community_id"].iloc[ok].astype(object).where(
            f["listed_community_id"].iloc[ok].notna(), None))

    def share_inside(px: np.ndarray, py: np.ndarray) -> float:
        """Share of points inside a boundary, and inside their listed one when listed."""
        ip, ib = _point_in_polygons(prepared, px, py)
        fits = (listed[ip] < 0) | (listed[ip] == ib)
        return len(np.unique(ip[fits])) / len(px)

    base = share_inside(x, y)
    if base > 0.9:
        return _check("coordinate_offset", 0)
    trials = {"gcj02": gcj02_to_wgs84(x, y), "bd09": bd09_to_wgs84(x, y),
              "boundary_gcj02": wgs84_to_gcj02(x, y)}
    scores = {k: share_inside(*v) for k, v in trials.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < max(0.8, base + 0.3):
        return _check("coordinate_offset", 0)
    mx, my = trials[best]
    metres = float(np.median(np.hypot((mx - x) * 111_320 * np.cos(np.radians(y)),
                                      (my - y) * 110_540)))
    option, what = _OFFSETS[best]
    outside = int(round((1 - base) * len(f)))
    return _check("coordinate_offset", outside, (
        {"dwelling_id": None, "row": None, "community_id": None, "inside_now": round(base, 3),
         "inside_with_option": round(scores[best], 3), "offset_m": round(metres)},),
        note=f"{what}: {base:.0%} of dwellings lie inside a boundary, {scores[best]:.0%} would "
        f"after undoing a {metres:.0f} m offset; try {option}")


def _coverage_check(table: pd.DataFrame, tol: float, size_field: str | None) -> Check:
    if table["registered"].isna().all():
        return _check("coverage", 0, severity="info",
                      note=f"no registered households field ('{size_field}') in the boundaries")
    cov = table["coverage"].to_numpy(dtype=float)
    bad = np.isfinite(cov) & (np.abs(cov - 1.0) > tol) & (table["listed"].to_numpy() > 0)
    ex = tuple({"dwelling_id": None, "row": None, "community_id": r.community_id,
                "listed_households": int(r.listed_households), "registered": _clean(r.registered),
                "coverage": round(float(r.coverage), 3)}
               for r in table[bad].head(MAX_EXAMPLES).itertuples())
    return _check("coverage", bad.sum(), ex, note=f"tolerance ±{tol:.0%}")


def _vacancy_check(table: pd.DataFrame, threshold: float) -> Check:
    rate = table["vacancy_rate"].to_numpy(dtype=float)
    ov = int(table["occupied"].sum() + table["vacant"].sum())
    overall = table["vacant"].sum() / ov if ov else float("nan")
    bad = np.isfinite(rate) & (rate > threshold)
    ex = tuple({"dwelling_id": None, "row": None, "community_id": r.community_id,
                "vacant": int(r.vacant), "occupied": int(r.occupied),
                "vacancy_rate": round(float(r.vacancy_rate), 3)}
               for r in table[bad].head(MAX_EXAMPLES).itertuples())
    note = (f"overall vacancy {overall:.1%}; threshold {threshold:.0%}" if ov
            else "the listing has no occupied/vacant status")
    return _check("vacancy", bad.sum(), ex, note=note)
