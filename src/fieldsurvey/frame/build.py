"""Build the sampling frame: read -> assign -> self-check -> order -> write.

:func:`build_frame` is the one call the CLI, the demo and other modules use. It
accepts file paths (hashed for the fingerprint) or already-read inputs, works through
the listing in chunks (the same pure functions a dask-geopandas run would map over
partitions), and writes outputs atomically: a failed or ``strict`` build leaves no
frame behind (the report is still written, since it says what to fix).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fieldsurvey import __version__
from fieldsurvey.frame.assign import (
    PreparedBoundaries,
    _point_in_polygons,
    assign_chunk,
    prepare,
)
from fieldsurvey.frame.files import (
    FrameResult,
    boundaries_path,
    write_boundaries,
    write_frame,
    write_gpkg,
)
from fieldsurvey.frame.options import FrameOptions
from fieldsurvey.frame.order import Factors, geographic_order
from fieldsurvey.frame.qa import QAReport, flagged_rows, run_checks
from fieldsurvey.io.atomic import atomic_write_text
from fieldsurvey.io.boundaries import Boundaries, read_boundaries
from fieldsurvey.io.columns import load_mapping
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.errors import ColumnError, CRSError, InputError
from fieldsurvey.io.listings import read_listing
from fieldsurvey.io.normalise import LISTING_COLUMNS, normalise_listing
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.io.schema import FRAME_COLUMNS, WGS84

__all__ = ["FrameOptions", "build_frame", "check_frame", "check_placement", "fingerprint_inputs",
           "rows_path"]

_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = [p for s in _SIDECARS for p in (path.with_suffix(s), path.with_suffix(s.upper()))
                 if p.exists()]
    for part in parts:
        h.update(part.suffix.lower().encode())
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _object_digest(obj: Any) -> str:
    h = hashlib.sha256()
    df = obj.frame if isinstance(obj, Boundaries) else obj
    if isinstance(df, gpd.GeoDataFrame):
        h.update(b"".join(shapely.to_wkb(df.geometry.to_numpy(), hex=False)))
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    h.update(",".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()


def fingerprint_inputs(
    inputs: Mapping[str, Any], options: Mapping[str, Any], digests: Mapping[str, str] | None = None
) -> tuple[str, dict[str, Any]]:
    """SHA-256 over the inputs' bytes (files, with shapefile sidecars) and the options.

    ``digests`` may hold file digests computed beforehand (by name). Returns the hex
    digest and the per-input record stored in the frame metadata.
    """
    record: dict[str, Any] = {}
    for name, obj in sorted(inputs.items()):
        if isinstance(obj, (str, Path)):
            digest = (digests or {}).get(name) or _file_digest(Path(obj))
            record[name] = {"path": str(obj), "sha256": digest}
        else:
            record[name] = {"path": None, "sha256": _object_digest(obj)}
    payload = json.dumps({"inputs": {k: v["sha256"] for k, v in record.items()},
                          "options": options}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest(), record


def _keep_predicate(expression: str | None) -> Any:
    """The ``--keep`` expression as ``table -> bool array`` (the ``eligible`` language)."""
    if expression is None:
        return None
    # the expression language lives with the sampling rules; imported where used
    from fieldsurvey.sampling.eligible import eligible_mask

    def keep(table: pd.DataFrame) -> np.ndarray:
        return eligible_mask(table, expression, field="--keep")

    return keep


def _listing_frame(dwellings: Any, opts: FrameOptions) -> pd.DataFrame:
    crs = None if opts.point_crs is None else str(opts.point_crs)
    columns = load_mapping(opts.columns) if isinstance(opts.columns, (str, Path)) else opts.columns
    if isinstance(dwellings, (str, Path)):
        return read_listing(dwellings, columns=columns, encoding=opts.listing_encoding,
                            coords=opts.coords, crs=crs, sheet=opts.sheet,
                            dwellings_per_floor=opts.dwellings_per_floor,
                            storey_height=opts.storey_height, dwelling_area=opts.dwelling_area,
                            skip_unsized=opts.skip_unsized, keep=_keep_predicate(opts.keep))
    df = pd.DataFrame(dwellings)
    keep = _keep_predicate(opts.keep)
    kept = None
    if keep is not None and "source_row" not in df:
        mask = keep(df)
        kept = [int(mask.sum()), len(df)]
        df = df[mask].reset_index(drop=True)
        df.attrs["source_rows"] = np.flatnonzero(mask) + 1  # rows of the table given
    out = normalise_listing(df, columns=columns, coords=opts.coords, crs=crs,
                            dwellings_per_floor=opts.dwellings_per_floor,
                            storey_height=opts.storey_height)
    if kept is not None:
        out.attrs["fieldsurvey"] = {**out.attrs.get("fieldsurvey", {}), "kept_rows": kept}
    return out


def check_placement(listing: pd.DataFrame, prepared: PreparedBoundaries) -> None:
    """Refuse a listing whose longitude and latitude are exchanged, or that lies far off.

    Outside China and Taiwan a swapped pair is often still a valid lon/lat (Europe's
    (50.8, 4.3)), so the reader cannot tell; the boundaries can: most points fall
    outside every boundary and nearly all fall inside once exchanged. A listing with no
    point inside any boundary, over 50 km from them, was read in the wrong CRS (see
    :func:`_check_far`). Looks at up to 5,000 points spread over the listing.
    """
    lon = listing["lon"].to_numpy(dtype=float)
    lat = listing["lat"].to_numpy(dtype=float)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(ok) < 5 or len(ok) < 0.5 * len(listing):
        return
    ok = ok[np.linspace(0, len(ok) - 1, min(len(ok), 5_000)).astype(np.int64)]
    x, y = lon[ok], lat[ok]

    def share(px: np.ndarray, py: np.ndarray) -> float:
        return len(np.unique(_point_in_polygons(prepared, px, py)[0])) / len(x)

    base = share(x, y)
    if base >= 0.5:
        return
    fits = np.abs(x) <= 90  # a longitude beyond ±90 cannot be a latitude
    swapped = share(y[fits], x[fits]) if fits.any() else 0.0
    if swapped < 0.8:
        if base == 0:
            _check_far(listing, x, y, prepared)
        return
    info = listing.attrs.get("fieldsurvey", {})
    cols = info.get("columns", {})
    lon_col, lat_col = cols.get("lon", "lon"), cols.get("lat", "lat")
    raise CRSError(
        "the listing's longitude and latitude look swapped", file=info.get("path"),
        field=f"{lon_col}/{lat_col}",
        expected="longitude in the lon column and latitude in the lat column",
        got=f"{base:.0%} of its points lie inside a boundary, {swapped:.0%} would with the "
        "two columns exchanged",
        hint=f"Map them the other way round: --columns lon={lat_col} --columns lat={lon_col}")


def _check_far(listing: pd.DataFrame, lon: np.ndarray, lat: np.ndarray,
               prepared: PreparedBoundaries) -> None:
    """Refuse a listing lying wholly and far (over 50 km) from every boundary.

    Then no dwelling can be assigned: the coordinates are in another CRS than the one
    they were read in (projected metres taken for another zone, a wrong datum), or the
    listing is of another place. A listing merely partly outside is the self-check's.
    """
    x0, y0, x1, y1 = prepared.bounds
    mx, my = float(np.median(lon)), float(np.median(lat))
    dx = max(x0 - mx, 0.0, mx - x1) * 111.32 * np.cos(np.radians(np.clip(my, -89.0, 89.0)))
    dy = max(y0 - my, 0.0, my - y1) * 110.57
    km = float(np.hypot(dx, dy))
    if km <= 50:
        return
    info = listing.attrs.get("fieldsurvey", {})
    raise CRSError(
        "no dwelling of the listing lies inside a boundary: the listing is far from them",
        file=info.get("path"),
        expected=f"points within the boundaries (lon {x0:.4f} to {x1:.4f}, "
        f"lat {y0:.4f} to {y1:.4f})",
        got=f"points around lon {mx:.4f}, lat {my:.4f}, about {km:,.0f} km away"
        + (f", read from {info['source_crs']}" if info.get("source_crs") else ""),
        hint="Check the coordinate system the listing was read in (--listing-crs for x/y "
        "columns or a layer without one), the --columns mapping, and that the listing "
        "and the boundaries cover the same place")


def _assign(listing: pd.DataFrame, prepared: PreparedBoundaries, chunk_size: int,
            progress: Progress | None) -> pd.DataFrame:
    n = len(listing)
    parts = []
    for start in range(0, max(n, 1), chunk_size):
        parts.append(assign_chunk(listing.iloc[start:start + chunk_size], prepared))
        report(progress, "assign dwellings", min(start + chunk_size, n), n)
    assigned = parts[0] if len(parts) == 1 else pd.concat(parts)
    frame = listing.drop(columns=["community_id"]).join(assigned)
    frame = frame.rename(columns={"households": "dwelling_households"})
    ids = frame["dwelling_id"]
    missing = ids.isna().to_numpy()
    if missing.any():
        made = (frame["community_id"].fillna("unassigned").astype(str) + "-"
                + frame["source_row"].astype(str))
        sub = frame["footprint_dwelling"]
        made = made.where(sub.isna(), made + "-" + sub.astype(str))
        frame["dwelling_id"] = ids.astype(str).where(~missing, made)
    return frame


def community_columns(b: Boundaries) -> list[str]:
    """The frame's columns of community attributes (the boundaries' other fields).

    Named as the field, or ``community_<field>`` where the field's name is a frame column.
    """
    taken = set(FRAME_COLUMNS)
    return [f"community_{c}" if c in taken else str(c) for c in b.frame.columns
            if c not in (b.frame.geometry.name, "community_id")]


def _community_attributes(b: Boundaries, codes: np.ndarray, taken: set[str]) -> dict[str, Any]:
    """Each community attribute per dwelling, missing for dwellings without a community.

    Text attributes become categoricals (codes into the few community values), so a
    million dwellings do not copy a million strings; Parquet stores them as
    dictionaries.
    """
    attrs = pd.DataFrame(b.frame.drop(columns=[b.frame.geometry.name, "community_id"]))
    attrs = attrs.reset_index(drop=True)
    none = codes < 0
    safe = np.maximum(codes, 0)
    out: dict[str, Any] = {}
    for col, name in zip(attrs.columns, community_columns(b), strict=True):
        s = attrs[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            cat = pd.Categorical(s.astype("str"))
            taken_codes = np.where(none, -1, cat.codes[safe])
            values: Any = pd.Categorical.from_codes(taken_codes, categories=cat.categories)
        else:
            values = s.iloc[safe].reset_index(drop=True)
            if none.any():
                if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
                    values = values.astype(
                        "Int64" if pd.api.types.is_integer_dtype(s) else "boolean"
                    )
                values = values.mask(none)
        out[name] = values
    return out


def _prepare_inputs(
    boundaries: Any, dwellings: Any, opts: FrameOptions, progress: Progress | None
) -> tuple[Boundaries, pd.DataFrame, PreparedBoundaries]:
    report(progress, "read boundaries", 0, 1)
    if isinstance(boundaries, Boundaries):
        b = boundaries
    elif isinstance(boundaries, gpd.GeoDataFrame):
        if "community_id" not in boundaries.columns:
            raise ColumnError("the boundaries have no community_id column", field="community_id",
                              got=", ".join(map(str, boundaries.columns)),
                              hint="Rename the id column to community_id, or pass the file path")
        b = Boundaries(frame=boundaries.to_crs(WGS84))
    else:
        b = read_boundaries(boundaries, opts.boundaries)
    report(progress, "read boundaries", 1, 1)
    report(progress, "read listing", 0, 1)
    listing = _listing_frame(dwellings, opts)
    report(progress, "read listing", 1, 1)
    proj = parse_crs(opts.projected_crs, field="projected_crs") if opts.projected_crs else None
    if proj is not None and not proj.is_projected:
        raise InputError(
            "the working CRS must be projected (in metres)",
            field="projected_crs",
            got=crs_label(proj),
            hint="Give a UTM or Gauss-Kruger CRS, or leave it out",
        )
    return b, listing, prepare(b, proj)


def _resolve(options: FrameOptions | None, keywords: dict[str, Any]) -> FrameOptions:
    return (
        FrameOptions.from_keywords(options, **keywords) if keywords else (options or FrameOptions())
    )


def check_frame(
    boundaries: str | Path | Boundaries | gpd.GeoDataFrame,
    dwellings: str | Path | pd.DataFrame,
    options: FrameOptions | None = None,
    *,
    report_path: str | Path | None = None,
    progress: Progress | None = None,
    **keywords: Any,
) -> QAReport:
    """Run the self-check only.

    Same inputs and options as :func:`build_frame`; nothing is written except
    ``report_path`` when given.
    """
    opts = dataclasses.replace(_resolve(options, keywords), strict=False)
    return _build(boundaries, dwellings, opts, check_only=True, out=None, gpkg=None,
                  report_path=report_path, progress=progress).qa


def build_frame(
    boundaries: str | Path | Boundaries | gpd.GeoDataFrame,
    dwellings: str | Path | pd.DataFrame,
    options: FrameOptions | None = None,
    *,
    out: str | Path | None = None,
    gpkg: str | Path | None = None,
    report_path: str | Path | None = None,
    progress: Progress | None = None,
    **keywords: Any,
) -> FrameResult:
    """Build the checked, geographically ordered sampling frame.

    Parameters
    ----------
    boundaries
        Boundary file (any GDAL format) or :class:`~fieldsurvey.io.boundaries.Boundaries`.
    dwellings
        Listing file (CSV/XLSX/vector) or a DataFrame with the listing columns.
    options
        :class:`~fieldsurvey.frame.options.FrameOptions` (every reading option and
        threshold, with its default).
    out, gpkg, report_path
        Where to write the GeoParquet frame (and beside it the boundaries it was built
        on, ``<name>.boundaries.parquet``), a GeoPackage copy (layers ``dwellings``,
        ``boundaries`` and ``qa_points``), and the JSON report.
    progress
        ``progress(step, done, total)`` callback.
    **keywords
        Options by their flat names (``id_field="CPTVID"``, ``storey_height=3.5``), applied
        on top of ``options`` (see :meth:`FrameOptions.from_keywords`).

    Returns
    -------
    FrameResult

    Raises
    ------
    FieldsurveyError
        For every input problem (see the readers), and in strict mode when the
        self-check has errors (the report is written first, the frame is not).
    TypeError
        For a keyword that is no option.
    """
    return _build(boundaries, dwellings, _resolve(options, keywords), check_only=False,
                  out=out, gpkg=gpkg, report_path=report_path, progress=progress)


def _build(
    boundaries: Any,
    dwellings: Any,
    opts: FrameOptions,
    *,
    check_only: bool,
    out: str | Path | None,
    gpkg: str | Path | None,
    report_path: str | Path | None,
    progress: Progress | None,
) -> FrameResult:
    """The build; ``check_only`` stops after the self-check (for :func:`check_frame`)."""
    # hash the input files on the side (hashlib releases the GIL) while they are parsed
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {name: pool.submit(_file_digest, Path(obj))
                   for name, obj in (("boundaries", boundaries), ("dwellings", dwellings))
                   if isinstance(obj, (str, Path)) and Path(obj).is_file()}
        b, listing, prepared = _prepare_inputs(boundaries, dwellings, opts, progress)
        digests = {name: f.result() for name, f in pending.items()}
    check_placement(listing, prepared)  # the whole listing (a partition may be elsewhere)
    frame = _assign(listing, prepared, opts.chunk_size, progress)
    report(progress, "self-check", 0, 1)
    factors: Factors = {}
    info = listing.attrs.get("fieldsurvey", {})
    qa = run_checks(frame, b, prepared, factors=factors,
                    coverage_tolerance=opts.coverage_tolerance,
                    vacancy_threshold=opts.vacancy_threshold, listing_info=info,
                    coords=opts.coords, boundary_coords=opts.boundaries.coords)
    report(progress, "self-check", 1, 1)
    record_opts = opts.record()
    fp, record = fingerprint_inputs({"boundaries": boundaries if isinstance(boundaries, (str, Path))
                                     else b, "dwellings": dwellings}, record_opts, digests)
    meta = {"version": __version__, "inputs": record, "options": record_opts,
            "projected_crs_label": crs_label(prepared.projected_crs),
            "listing": info, "boundaries": {"fields": b.fields, "notes": list(b.notes),
                                            "encoding": b.encoding}}
    if report_path is not None:
        atomic_write_text(report_path, qa.to_json())
        qa = _write_rows_file(frame, qa, Path(report_path))
    if opts.strict and qa.has_errors:
        found = "; ".join(f"{c.check} ({c.count})" for c in qa.errors)
        raise InputError(
            "the self-check found errors, so the frame was not written (strict mode)",
            file=str(dwellings) if isinstance(dwellings, (str, Path)) else None,
            got=found,
            hint="Fix the rows the report names" + (
                f" (see {report_path}; every flagged row is in {qa.rows_file})" if qa.rows_file
                else f" (see {report_path})" if report_path else "")
            + ", or build without --strict",
        )
    if check_only:  # check_frame: the report is all that was asked for
        return FrameResult(frame, qa, fp, prepared.projected_crs, meta, b.frame)
    result = _finish(frame, b, prepared, qa, fp, meta, progress, factors)
    if gpkg is not None:  # the copy first: a frame on disk means every output was written
        write_gpkg(result, gpkg, boundaries=b.frame)
    if out is not None:
        report(progress, "write frame", 0, 1)
        write_boundaries(b.frame, fp, boundaries_path(out))
        write_frame(result, out)
        report(progress, "write frame", 1, 1)
    return result


def rows_path(report_path: str | Path) -> Path:
    """Where the CSV of every flagged row goes beside the report: ``qa.json`` -> ``qa.rows.csv``."""
    p = Path(report_path)
    return p.with_name(p.stem + ".rows.csv")


def _write_rows_file(frame: pd.DataFrame, qa: QAReport, report_path: Path) -> QAReport:
    """Write :func:`~fieldsurvey.frame.qa.flagged_rows` beside the report.

    UTF-8 with BOM, so Excel and WPS open the Chinese text; a stale one goes when nothing
    is flagged.
    """
    rows = flagged_rows(frame.reset_index(drop=True), qa.flags)
    target = rows_path(report_path)
    if len(rows) == 0:
        target.unlink(missing_ok=True)
        return qa
    atomic_write_text(target, rows.to_csv(index=False), encoding="utf-8-sig")
    return dataclasses.replace(qa, rows_file=str(target))


def _finish(
    frame: pd.DataFrame,
    b: Boundaries,
    prepared: PreparedBoundaries,
    qa: QAReport,
    fp: str,
    meta: dict[str, Any],
    progress: Progress | None,
    factors: Factors,
) -> FrameResult:
    # Rows stay in listing order (source_row ascending, easy to check against the input);
    # ``order`` gives the geographic order within each community.
    report(progress, "order", 0, 1)
    _, order = geographic_order(frame, prepared.projected_bounds, factors)
    frame = frame.reset_index(drop=True)
    frame["order"] = order
    report(progress, "order", 1, 1)
    codes = frame["community_index"].to_numpy()
    base = [c for c in FRAME_COLUMNS if c != "geometry"]
    cols: dict[str, Any] = {c: frame[c] for c in base}
    taken = set(FRAME_COLUMNS)
    community = _community_attributes(b, codes, taken)
    cols.update(community)
    internal = set(LISTING_COLUMNS) | {"community_index", "also_in", "n_boundaries",
                                        "missing_coordinates", "outside_boundaries",
                                        "in_several_boundaries", "community_mismatch",
                                        "unknown_community", "footprint_dwelling"}
    for c in frame.columns:
        if c not in internal and c not in base:
            # a listing column named like a community attribute keeps its values
            cols[f"listing_{c}" if c in cols or c in taken else c] = frame[c]
    for name, mask in qa.flags.items():
        cols[name] = mask
    return FrameResult(pd.DataFrame(cols), qa, fp, prepared.projected_crs, meta, b.frame)
