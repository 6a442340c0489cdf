"""Check the inputs of the field maps and cut them into one bundle per community.

Each selected community (a ``community_id`` of the sample) becomes a :class:`Community`
in its own local metric CRS: a transverse Mercator centred on its dwellings with scale
factor 1 (distortion below 1e-5 within a few kilometres), so maps are drawn in metres.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.io.schema import WGS84
from fieldsurvey.reports._geom import (
    BUILDING_BUFFER_M,
    as_text,
    group_polygons,
    layer_near,
    local_proj,
    lonlat_to_local,
    segment_focus,
    to_wgs84,
    transform_geoms,
)

__all__ = ["Community", "communities"]

_HULL_BUFFER_M = 15.0
_COMPOUND_BUFFER_M = 12.0
_SEGMENT_BUFFER_M = 10.0


@dataclass
class Community:
    """Everything the map and sheet of one selected community need, in local metres."""

    community_id: str
    name: str
    street: str
    ctype: str
    segment: str | None
    proj: str  # PROJ string of the local metric CRS (transverse Mercator, k = 1)
    #: all listed dwellings: x, y (metres), building, compound, in_focus
    dwellings: pd.DataFrame
    #: released sampled dwellings in line order: line, reserve, release_batch, kish_table,
    #: building, unit, floor, door, address, x, y
    sample: pd.DataFrame
    boundary: Any  # shapely geometry in metres
    boundary_inferred: bool
    buildings: np.ndarray  # shapely polygons (footprints or grouped dwellings)
    building_labels: np.ndarray  # str labels, "" for none
    footprints: bool
    compounds: np.ndarray  # shapely polygons
    compound_labels: np.ndarray
    roads: np.ndarray  # shapely lines
    road_labels: np.ndarray

    @property
    def focus_extent(self) -> tuple[float, float, float, float]:
        """Extent to map: the boundary and the dwellings in focus (the segment, if split)."""
        d = self.dwellings[self.dwellings["in_focus"]]
        if self.segment is not None and len(d):
            geoms = [shapely.multipoints(d[["x", "y"]].to_numpy()).buffer(40.0)]
        else:
            geoms = [self.boundary]
            if len(d):
                geoms.append(shapely.multipoints(d[["x", "y"]].to_numpy()))
        minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
        pad = max(maxx - minx, maxy - miny, 50.0) * 0.04
        return (minx - pad, miny - pad, maxx + pad, maxy + pad)

    @functools.cached_property
    def segment_area(self) -> Any:
        """Outline of the sampled segment (hull of its dwellings), or None if not split."""
        dw = self.dwellings
        if self.segment is None or dw["in_focus"].all() or not dw["in_focus"].any():
            return None
        xy = dw.loc[dw["in_focus"], ["x", "y"]].to_numpy(float)
        return shapely.convex_hull(shapely.multipoints(xy)).buffer(_SEGMENT_BUFFER_M)

    @property
    def dwelling_extent(self) -> tuple[float, float, float, float]:
        """Extent of the buildings and dwellings in focus, padded 30 m: what 分图 cover."""
        d = self.dwellings[self.dwellings["in_focus"]]
        xy = d[["x", "y"]].to_numpy(float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        minx, miny = xy.min(axis=0)
        maxx, maxy = xy.max(axis=0)
        if len(self.buildings) and self.footprints:
            b = shapely.bounds(self.buildings)
            near = (b[:, 2] >= minx) & (b[:, 0] <= maxx) & (b[:, 3] >= miny) & (b[:, 1] <= maxy)
            if near.any():
                minx, miny = min(minx, b[near, 0].min()), min(miny, b[near, 1].min())
                maxx, maxy = max(maxx, b[near, 2].max()), max(maxy, b[near, 3].max())
        pad = 30.0
        return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _require(df: pd.DataFrame, cols: tuple[str, ...], what: str, file: str | None) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ColumnError(f"the {what} lacks required column(s) {', '.join(missing)}",
                          file=file, field=missing[0],
                          expected=", ".join(cols), got=", ".join(map(str, df.columns[:20])),
                          hint=f"Use the {what} written by fieldsurvey")


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    t = s.astype("string").str.strip().str.lower()
    return t.isin(["true", "1", "yes", "y", "t", "是"]).fillna(False).astype(bool)


def _lonlat(df: pd.DataFrame, what: str, file: str | None) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in df.columns and "lat" in df.columns:
        lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=float)
        return lon, lat
    geom = getattr(df, "geometry", None)
    if geom is not None and "geometry" in df.columns:
        crs = getattr(df, "crs", None)
        if crs is not None and not CRS.from_user_input(crs).equals(CRS.from_user_input(WGS84)):
            geom = geom.to_crs(WGS84)
        return shapely.get_x(geom.values), shapely.get_y(geom.values)
    raise ColumnError(f"the {what} has no coordinates", file=file, field="lon",
                      expected="lon and lat columns (WGS 84) or point geometry",
                      hint="Build the frame with 'fieldsurvey frame'")


def _first(df: pd.DataFrame, col: str) -> str:
    """The first non-empty value of a column, as text ("" if none)."""
    if col not in df.columns:
        return ""
    s = df[col]
    idx = s.first_valid_index()
    while idx is not None:
        text = str(s.loc[idx]).strip()
        if text and text not in ("nan", "None", "<NA>"):
            return text
        rest = s.loc[idx:].iloc[1:]
        idx = rest.first_valid_index()
        s = rest
    return ""


def _prepare_sample(sample: pd.DataFrame, file: str | None) -> pd.DataFrame:
    _require(sample, ("community_id", "dwelling_id", "line"), "sample", file)
    s = sample.copy()
    s["community_id"] = as_text(s["community_id"])
    s["dwelling_id"] = as_text(s["dwelling_id"])
    line = pd.to_numeric(s["line"], errors="coerce")
    bad = line.isna() & s["dwelling_id"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError("a sample line number is not a number", file=file, row=row,
                         field="line", got=repr(sample["line"].iloc[row - 1]),
                         hint="Line numbers are 1, 2, 3 ... within each community")
    s["line"] = line.astype("Int64")
    s["replicate"] = pd.to_numeric(s["replicate"], errors="coerce").fillna(0).astype(int) \
        if "replicate" in s.columns else 0
    s["released"] = _as_bool(s["released"]) if "released" in s.columns else True
    if "release_batch" in s.columns:
        s["release_batch"] = pd.to_numeric(s["release_batch"], errors="coerce")
    else:
        s["release_batch"] = np.where(s["replicate"] > 0, 1.0, 0.0)
    s["reserve"] = s["replicate"] > 0
    return s


def communities(
    frame: pd.DataFrame,
    sample: pd.DataFrame,
    *,
    boundaries: Any = None,
    footprints: Any = None,
    roads: Any = None,
    compounds: Any = None,
    id_field: str = "community_id",
    name_field: str = "name",
    frame_file: str | None = None,
    sample_file: str | None = None,
) -> tuple[list[str], Iterator[Community]]:
    """Check the inputs; return the selected community ids and a lazy iterator of bundles.

    Raises
    ------
    ColumnError, InputError, CRSError
        For missing columns, sampled dwellings absent from the frame, communities
        without dwellings, layers without a CRS.
    """
    _require(frame, ("dwelling_id", "community_id"), "frame", frame_file)
    if name_field != "name" and name_field not in frame.columns and (
            boundaries is None or name_field not in boundaries.columns):
        raise ColumnError("the community name field is neither in the frame nor in the "
                          "boundaries", file=frame_file, field=name_field,
                          got=", ".join(map(str, (boundaries if boundaries is not None
                                                  else frame).columns)),
                          hint="Name an existing field with --name-field, or leave it out")
    s = _prepare_sample(sample, sample_file)
    f = pd.DataFrame({"dwelling_id": as_text(frame["dwelling_id"]),
                      "community_id": as_text(frame["community_id"])})
    f["lon"], f["lat"] = _lonlat(frame, "frame", frame_file)
    for col in ("building", "unit", "floor", "door", "address", "compound", "segment", "order",
                "name", "street", "type", "community_name"):
        if col in frame.columns:
            f[col] = as_text(frame[col]).to_numpy()
    if name_field in frame.columns:
        f["name"] = as_text(frame[name_field]).to_numpy()
    elif "name" not in f.columns and "community_name" in f.columns:
        f["name"] = f["community_name"]

    ids = list(dict.fromkeys(s["community_id"].dropna()))
    known = set(f["community_id"].dropna())
    absent = [c for c in ids if c not in known]
    if absent:
        raise InputError(
            f"{len(absent)} sampled communit{'y has' if len(absent) == 1 else 'ies have'} no "
            f"dwellings in the frame: {', '.join(absent[:5])}", file=sample_file,
            field="community_id", hint="Use the frame the sample was drawn from")
    in_frame = s["dwelling_id"].isin(set(f["dwelling_id"].dropna()))
    if not in_frame.all():
        miss = s.loc[~in_frame, "dwelling_id"].astype(str).tolist()
        row = int(np.flatnonzero(~in_frame.to_numpy())[0]) + 1
        raise InputError(
            f"{len(miss)} sampled dwelling(s) are not in the frame, e.g. {', '.join(miss[:3])}",
            file=sample_file, row=row, field="dwelling_id",
            hint="Use the frame the sample was drawn from")

    bnd = to_wgs84(boundaries)
    if bnd is not None:
        if id_field not in bnd.columns:
            raise ColumnError("the boundaries lack the community id field", field=id_field,
                              got=", ".join(map(str, bnd.columns[:20])),
                              hint="Name the id field with --id-field")
        bnd = bnd.assign(**{id_field: as_text(bnd[id_field])})
    fp = to_wgs84(footprints)
    rd = to_wgs84(roads)
    cp = to_wgs84(compounds)
    by_comm = f.groupby("community_id", sort=False).indices
    s_groups = s.groupby("community_id", sort=False).indices

    def gen() -> Iterator[Community]:
        for cid in ids:
            yield _one(cid, f.iloc[by_comm[cid]], s.iloc[s_groups[cid]], bnd, fp, rd, cp,
                       id_field, name_field)

    return ids, gen()


def _one(cid: str, d: pd.DataFrame, s: pd.DataFrame, bnd: Any, fp: Any, rd: Any, cp: Any,
         id_field: str, name_field: str) -> Community:
    lon, lat = d["lon"].to_numpy(), d["lat"].to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise InputError("no dwelling of this community has coordinates", field="lon",
                         got=f"community {cid}", hint="Rebuild the frame with coordinates")
    lon0, lat0 = float(np.mean(lon[ok])), float(np.mean(lat[ok]))
    proj = local_proj(lon0, lat0)
    tr = lonlat_to_local(proj)
    x, y = tr.transform(lon, lat)
    dw = pd.DataFrame({"dwelling_id": d["dwelling_id"].to_numpy(), "x": x, "y": y})
    for col in ("building", "unit", "floor", "door", "address", "compound"):
        dw[col] = d[col].to_numpy() if col in d.columns else pd.NA

    released = s[s["released"]].sort_values("line")
    seg_vals: list[str] = (as_text(released["segment"]).dropna().astype(str).tolist()
                           if "segment" in released.columns else [])
    segment = seg_vals[0] if seg_vals else None
    dw["in_focus"] = segment_focus(d, s, segment)

    pos = dw.set_index("dwelling_id")
    pos = pos[~pos.index.duplicated()]
    samp = pd.DataFrame({
        "line": released["line"].to_numpy(),
        "dwelling_id": released["dwelling_id"].to_numpy(),
        "reserve": released["reserve"].to_numpy(dtype=bool),
        "release_batch": released["release_batch"].to_numpy(),
        "kish_table": (as_text(released["kish_table"]).fillna("").to_numpy()
                       if "kish_table" in released.columns else ""),
    })
    for col in ("x", "y", "building", "unit", "floor", "door", "address"):
        vals = pos[col].reindex(samp["dwelling_id"]).to_numpy()
        if col in released.columns and col not in ("x", "y"):
            own = as_text(released[col]).to_numpy()
            vals = np.where(pd.isna(own), vals, own)
        samp[col] = vals

    bbox = (float(np.min(lon[ok])), float(np.min(lat[ok])), float(np.max(lon[ok])),
            float(np.max(lat[ok])))
    boundary = None
    name, street, ctype = _first(d, "name"), _first(d, "street"), _first(d, "type")
    if bnd is not None:
        rows = bnd[bnd[id_field] == cid]
        if len(rows):
            geom = shapely.union_all(rows.geometry.values)
            boundary = transform_geoms(np.array([geom], dtype=object), tr)[0]
            name = name or _first(rows, name_field)
            street = street or _first(rows, "street")
            ctype = ctype or _first(rows, "type")
            bx = rows.total_bounds
            bbox = (min(bbox[0], bx[0]), min(bbox[1], bx[1]),
                    max(bbox[2], bx[2]), max(bbox[3], bx[3]))
    inferred = boundary is None
    pts = np.column_stack([x[ok], y[ok]])
    if inferred:
        boundary = shapely.convex_hull(shapely.multipoints(pts)).buffer(_HULL_BUFFER_M)

    fgeoms, flabels = layer_near(fp, bbox, id_field, cid, ("building", "name", "label"))
    if len(fgeoms):
        buildings = transform_geoms(fgeoms, tr)
        blabels = flabels
    else:
        if dw["building"].notna().any():  # building numbers restart in each compound
            keys = dw["compound"].fillna("").astype(str) + "\x1f" + dw["building"].astype("string")
            buildings, blabels = group_polygons(x, y, keys, BUILDING_BUFFER_M, dw["building"])
        else:  # no building numbers: dwellings at one point form a building
            keys = pd.Series(np.round(x, 1).astype(str)) + "," + np.round(y, 1).astype(str)
            buildings, _ = group_polygons(x, y, keys, BUILDING_BUFFER_M)
            blabels = np.full(len(buildings), "", dtype=object)
    cgeoms, clabels = layer_near(cp, bbox, id_field, cid, ("name", "compound", "label"))
    if len(cgeoms):
        cpolys = transform_geoms(cgeoms, tr)
    else:
        cpolys, clabels = group_polygons(x, y, dw["compound"], _COMPOUND_BUFFER_M)
    rgeoms, rlabels = layer_near(rd, bbox, "__no_id__", cid, ("name", "road", "label"))
    roads = transform_geoms(rgeoms, tr) if len(rgeoms) else rgeoms
    return Community(
        community_id=cid, name=name or cid, street=street, ctype=ctype, segment=segment,
        proj=proj, dwellings=dw, sample=samp.reset_index(drop=True), boundary=boundary,
        boundary_inferred=inferred, buildings=np.asarray(buildings, dtype=object),
        building_labels=np.asarray(blabels, dtype=object), footprints=bool(len(fgeoms)),
        compounds=cpolys, compound_labels=clabels, roads=np.asarray(roads, dtype=object),
        road_labels=np.asarray(rlabels, dtype=object),
    )
