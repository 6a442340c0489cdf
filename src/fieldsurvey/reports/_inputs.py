"""Read and check the inputs of the field maps, and cut them into one bundle per community.

Each selected community (a ``community_id`` of the sample) becomes a :class:`Community`
in its own local metric CRS: a transverse Mercator centred on its dwellings with scale
factor 1 (distortion below 1e-5 within a few kilometres), so maps are drawn in metres.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from fieldsurvey.errors import ColumnError, CRSError, InputError
from fieldsurvey.schema import WGS84

__all__ = [
    "Community",
    "communities",
    "frame_fingerprint",
    "read_boundaries_file",
    "read_frame_file",
    "read_layer_file",
    "read_sample_file",
]

PathLike = str | os.PathLike[str]

_HULL_BUFFER_M = 15.0
_BUILDING_BUFFER_M = 5.0
_COMPOUND_BUFFER_M = 12.0


@dataclass
class Community:
    """Everything the map and sheet of one selected community need, in local metres."""

    community_id: str
    name: str
    street: str
    ctype: str
    segment: str | None
    crs: CRS
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


def _err_read(path: PathLike, what: str, exc: Exception) -> InputError:
    return InputError(f"the {what} cannot be read ({exc})", file=str(path),
                      hint=f"Check that it is a {what} file written by fieldsurvey or GDAL")


def read_frame_file(path: PathLike) -> pd.DataFrame:
    """Read a frame (GeoParquet) with :func:`fieldsurvey.frame.read_frame` when available."""
    try:
        from fieldsurvey.frame import read_frame  # type: ignore[attr-defined]
    except ImportError:
        read_frame = None
    if read_frame is not None:
        return read_frame(path)
    import geopandas as gpd

    if not Path(path).is_file():
        raise InputError("the frame file does not exist", file=str(path),
                         hint="Give the GeoParquet frame written by 'fieldsurvey frame'")
    try:
        return gpd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        try:
            return pd.read_parquet(path)
        except Exception:  # noqa: BLE001
            raise _err_read(path, "frame (GeoParquet)", exc) from None


def frame_fingerprint(frame: pd.DataFrame, path: PathLike | None = None) -> str:
    """The frame's input fingerprint from its metadata, else a hash of the file or its rows."""
    for key in ("fingerprint", "frame_fingerprint"):
        val = frame.attrs.get(key)
        if val:
            return str(val)[:16]
    if path is not None and str(path).endswith(".parquet"):
        try:
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            for raw in meta.values():
                try:
                    obj = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(obj, dict):
                    for key in ("fingerprint", "frame_fingerprint", "input_fingerprint"):
                        if obj.get(key):
                            return str(obj[key])[:16]
        except Exception:  # noqa: BLE001 - fall back to hashing
            pass
    h = hashlib.sha256()
    if path is not None and Path(path).is_file():
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    else:
        cols = [c for c in ("dwelling_id", "community_id") if c in frame.columns]
        h.update(pd.util.hash_pandas_object(frame[cols], index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def read_sample_file(path: PathLike) -> pd.DataFrame:
    """Read a sample (CSV in UTF-8 / UTF-8 with BOM / GBK, or Parquet), ids as text."""
    p = Path(path)
    if not p.is_file():
        raise InputError("the sample file does not exist", file=str(p),
                         hint="Give the sample written by 'fieldsurvey sample' (CSV or Parquet)")
    if p.suffix.lower() in (".parquet", ".pq", ".geoparquet"):
        try:
            return pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001
            raise _err_read(p, "sample (Parquet)", exc) from None
    dtypes = {c: "string" for c in ("community_id", "dwelling_id", "building", "unit",
                                     "floor", "door", "stratum", "segment", "kish_table")}
    last: Exception | None = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(p, dtype=dtypes, encoding=enc)
        except UnicodeDecodeError as exc:
            last = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _err_read(p, "sample (CSV)", exc) from None
    raise InputError("the sample is neither UTF-8 nor GBK text", file=str(p),
                     got=str(last), hint="Save it as UTF-8 CSV")


def read_boundaries_file(path: PathLike, id_field: str = "community_id") -> Any:
    """Read community polygons (WGS 84, id column ``community_id``).

    Uses :func:`fieldsurvey.io.boundaries.read_boundaries` when available (encodings,
    CRS checks, repairs), else geopandas.
    """
    try:
        from fieldsurvey.io.boundaries import read_boundaries
    except ImportError:  # pragma: no cover - io not installed
        read_boundaries = None
    if read_boundaries is not None:
        return read_boundaries(path, id_field=id_field).frame
    gdf = read_layer_file(path, "boundaries")
    if id_field not in gdf.columns:
        raise ColumnError("the boundaries lack the community id field", file=str(path),
                          field=id_field, got=", ".join(map(str, gdf.columns[:20])),
                          hint="Name the id field with --id-field")
    return gdf.rename(columns={id_field: "community_id"})


def read_layer_file(path: PathLike, what: str) -> Any:
    """Read a vector layer (footprints, roads, boundaries) with geopandas; CRS required."""
    import geopandas as gpd

    if not Path(path).exists():
        raise InputError(f"the {what} file does not exist", file=str(path))
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001
        raise _err_read(path, f"{what} (vector)", exc) from None
    if gdf.crs is None:
        raise CRSError(f"the {what} layer has no coordinate reference system", file=str(path),
                       hint="Add a .prj file or write the layer with a CRS (e.g. EPSG:4326)")
    return gdf


def _require(df: pd.DataFrame, cols: tuple[str, ...], what: str, file: str | None) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ColumnError(f"the {what} lacks required column(s) {', '.join(missing)}",
                          file=file, field=missing[0],
                          expected=", ".join(cols), got=", ".join(map(str, df.columns[:20])),
                          hint=f"Use the {what} written by fieldsurvey")


def _as_text(s: pd.Series) -> pd.Series:
    out = s.astype("string").str.strip()
    return out.mask(out.isin(["", "nan", "None", "<NA>"]))


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
    if col not in df.columns:
        return ""
    vals = _as_text(df[col]).dropna()
    return str(vals.iloc[0]) if len(vals) else ""


def _to_wgs84(gdf: Any) -> Any:
    if gdf is None:
        return None
    if gdf.crs is None:
        raise CRSError("a layer has no coordinate reference system",
                       hint="Set its CRS (e.g. gdf.set_crs('EPSG:4326'))")
    return gdf if CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(WGS84)) else gdf.to_crs(WGS84)


def _transform_geoms(geoms: np.ndarray, tr: Transformer) -> np.ndarray:
    def f(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, f)


def _layer_near(gdf: Any, bbox_wgs: tuple[float, float, float, float], id_field: str,
                cid: str, label_cols: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Geometries of a WGS84 layer for this community (by id if present, else by bbox)."""
    if gdf is None or len(gdf) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    if id_field in gdf.columns:
        sub = gdf[_as_text(gdf[id_field]) == cid]
    else:
        idx = gdf.sindex.query(shapely.box(*bbox_wgs), predicate="intersects")
        sub = gdf.iloc[np.sort(idx)]
    labels = np.full(len(sub), "", dtype=object)
    for col in label_cols:
        if col in sub.columns:
            labels = _as_text(sub[col]).fillna("").to_numpy(dtype=object)
            break
    return sub.geometry.values.to_numpy() if hasattr(sub.geometry.values, "to_numpy") else np.asarray(
        sub.geometry.values), labels


def _group_polygons(x: np.ndarray, y: np.ndarray, keys: pd.Series, buffer: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One buffered oriented envelope per key over the points (vectorised)."""
    ok = keys.notna().to_numpy() & np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return np.array([], dtype=object), np.array([], dtype=object)
    codes, uniques = pd.factorize(keys[ok], sort=True)
    order = np.argsort(codes, kind="stable")
    pts = shapely.points(np.column_stack([x[ok], y[ok]])[order])
    mp = shapely.multipoints(pts, indices=codes[order])
    env = shapely.oriented_envelope(mp) if buffer <= _BUILDING_BUFFER_M else shapely.convex_hull(mp)
    polys = shapely.buffer(env, buffer, join_style="mitre" if buffer <= _BUILDING_BUFFER_M else "round")
    return np.asarray(polys, dtype=object), np.asarray(uniques.astype(str), dtype=object)


def _prepare_sample(sample: pd.DataFrame, file: str | None) -> pd.DataFrame:
    _require(sample, ("community_id", "dwelling_id", "line"), "sample", file)
    s = sample.copy()
    s["community_id"] = _as_text(s["community_id"])
    s["dwelling_id"] = _as_text(s["dwelling_id"])
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
    id_field: str = "community_id",
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
    s = _prepare_sample(sample, sample_file)
    f = pd.DataFrame({"dwelling_id": _as_text(frame["dwelling_id"]),
                      "community_id": _as_text(frame["community_id"])})
    f["lon"], f["lat"] = _lonlat(frame, "frame", frame_file)
    for col in ("building", "unit", "floor", "door", "address", "compound", "segment",
                "name", "street", "type", "community_name"):
        if col in frame.columns:
            f[col] = _as_text(frame[col]).to_numpy()
    if "name" not in f.columns and "community_name" in f.columns:
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

    bnd = _to_wgs84(boundaries)
    if bnd is not None:
        if id_field not in bnd.columns:
            raise ColumnError("the boundaries lack the community id field", field=id_field,
                              got=", ".join(map(str, bnd.columns[:20])),
                              hint="Name the id field with --id-field")
        bnd = bnd.assign(**{id_field: _as_text(bnd[id_field])})
    fp = _to_wgs84(footprints)
    rd = _to_wgs84(roads)
    by_comm = f.groupby("community_id", sort=False).indices
    s_groups = s.groupby("community_id", sort=False).indices

    def gen() -> Iterator[Community]:
        for cid in ids:
            yield _one(cid, f.iloc[by_comm[cid]], s.iloc[s_groups[cid]], bnd, fp, rd, id_field)

    return ids, gen()


def _one(cid: str, d: pd.DataFrame, s: pd.DataFrame, bnd: Any, fp: Any, rd: Any,
         id_field: str) -> Community:
    lon, lat = d["lon"].to_numpy(), d["lat"].to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise InputError("no dwelling of this community has coordinates", field="lon",
                         got=f"community {cid}", hint="Rebuild the frame with coordinates")
    lon0, lat0 = float(np.mean(lon[ok])), float(np.mean(lat[ok]))
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0:.7f} +lon_0={lon0:.7f} +k=1 +x_0=0 +y_0=0 "
                         "+ellps=WGS84 +units=m +no_defs")
    tr = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    dw = pd.DataFrame({"dwelling_id": d["dwelling_id"].to_numpy(), "x": x, "y": y})
    for col in ("building", "unit", "floor", "door", "address", "compound"):
        dw[col] = d[col].to_numpy() if col in d.columns else pd.NA

    released = s[s["released"]].sort_values("line")
    seg_vals = _as_text(released["segment"]).dropna() if "segment" in released.columns else []
    segment = str(seg_vals.iloc[0]) if len(seg_vals) else None
    if segment is not None and "segment" in d.columns:
        dw["in_focus"] = (d["segment"] == segment).fillna(False).to_numpy(dtype=bool)
    else:
        dw["in_focus"] = True

    pos = dw.set_index("dwelling_id")
    pos = pos[~pos.index.duplicated()]
    samp = pd.DataFrame({
        "line": released["line"].to_numpy(),
        "dwelling_id": released["dwelling_id"].to_numpy(),
        "reserve": released["reserve"].to_numpy(dtype=bool),
        "release_batch": released["release_batch"].to_numpy(),
        "kish_table": (_as_text(released["kish_table"]).fillna("").to_numpy()
                       if "kish_table" in released.columns else ""),
    })
    for col in ("x", "y", "building", "unit", "floor", "door", "address"):
        vals = pos[col].reindex(samp["dwelling_id"]).to_numpy()
        if col in released.columns and col not in ("x", "y"):
            own = _as_text(released[col]).to_numpy()
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
            boundary = _transform_geoms(np.array([geom], dtype=object), tr)[0]
            name = name or _first(rows, "name")
            street = street or _first(rows, "street")
            ctype = ctype or _first(rows, "type")
            bx = rows.total_bounds
            bbox = (min(bbox[0], bx[0]), min(bbox[1], bx[1]), max(bbox[2], bx[2]), max(bbox[3], bx[3]))
    inferred = boundary is None
    pts = np.column_stack([x[ok], y[ok]])
    if inferred:
        boundary = shapely.convex_hull(shapely.multipoints(pts)).buffer(_HULL_BUFFER_M)

    fgeoms, flabels = _layer_near(fp, bbox, id_field, cid, ("building", "name", "label"))
    if len(fgeoms):
        buildings = _transform_geoms(fgeoms, tr)
        blabels = flabels
    else:
        keys = dw["building"] if dw["building"].notna().any() else pd.Series(
            [f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True)])
        buildings, blabels = _group_polygons(x, y, keys, _BUILDING_BUFFER_M)
        if not dw["building"].notna().any():
            blabels = np.full(len(buildings), "", dtype=object)
    cpolys, clabels = _group_polygons(x, y, dw["compound"], _COMPOUND_BUFFER_M)
    rgeoms, rlabels = _layer_near(rd, bbox, "__no_id__", cid, ("name", "road", "label"))
    roads = _transform_geoms(rgeoms, tr) if len(rgeoms) else rgeoms
    return Community(
        community_id=cid, name=name or cid, street=street, ctype=ctype, segment=segment,
        crs=crs, dwellings=dw, sample=samp.reset_index(drop=True), boundary=boundary,
        boundary_inferred=inferred, buildings=np.asarray(buildings, dtype=object),
        building_labels=np.asarray(blabels, dtype=object), footprints=bool(len(fgeoms)),
        compounds=cpolys, compound_labels=clabels, roads=np.asarray(roads, dtype=object),
        road_labels=np.asarray(rlabels, dtype=object),
    )
