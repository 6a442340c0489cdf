"""Build the sampling frame: read -> assign -> self-check -> order -> write.

:func:`build_frame` is the one call the CLI, the demo and other modules use. It
accepts file paths (hashed for the fingerprint) or already-read inputs, works through
the listing in chunks (the same pure functions a dask-geopandas run would map over
partitions), and writes outputs atomically: a failed or ``strict`` build leaves no
frame behind (the report is still written, since it says what to fix).
"""

from __future__ import annotations

import hashlib
import inspect
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
from fieldsurvey.frame.assign import PreparedBoundaries, assign_chunk, prepare
from fieldsurvey.frame.files import FrameResult, write_frame, write_gpkg
from fieldsurvey.frame.order import Factors, geographic_order
from fieldsurvey.frame.qa import QAReport, run_checks
from fieldsurvey.io.atomic import atomic_write_text
from fieldsurvey.io.boundaries import Boundaries, read_boundaries
from fieldsurvey.io.columns import load_mapping
from fieldsurvey.io.crs import crs_label, parse_crs
from fieldsurvey.io.errors import ColumnError, InputError
from fieldsurvey.io.listings import read_listing
from fieldsurvey.io.normalise import LISTING_COLUMNS, normalise_listing
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.io.schema import FRAME_COLUMNS, WGS84

__all__ = ["build_frame", "check_frame", "fingerprint_inputs"]

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


def _listing_frame(dwellings: Any, opts: dict[str, Any], crs: Any) -> pd.DataFrame:
    if isinstance(dwellings, (str, Path)):
        return read_listing(dwellings, columns=opts["columns"], encoding=opts["listing_encoding"],
                            coords=opts["coords"], crs=crs, sheet=opts["sheet"],
                            dwellings_per_floor=opts["dwellings_per_floor"],
                            storey_height=opts["storey_height"])
    return normalise_listing(pd.DataFrame(dwellings), columns=opts["columns"], coords=opts["coords"],
                             crs=crs, dwellings_per_floor=opts["dwellings_per_floor"],
                             storey_height=opts["storey_height"])


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
    for col in attrs.columns:
        s = attrs[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            cat = pd.Categorical(s.astype("str"))
            taken_codes = np.where(none, -1, cat.codes[safe])
            values: Any = pd.Categorical.from_codes(taken_codes, categories=cat.categories)
        else:
            values = s.iloc[safe].reset_index(drop=True)
            if none.any():
                if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
                    values = values.astype("Int64" if pd.api.types.is_integer_dtype(s) else "boolean")
                values = values.mask(none)
        out[f"community_{col}" if col in taken else col] = values
    return out


def _prepare_inputs(boundaries: Any, dwellings: Any, opts: dict[str, Any],
                    progress: Progress | None) -> tuple[Boundaries, pd.DataFrame, PreparedBoundaries]:
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
        b = read_boundaries(boundaries, id_field=opts["id_field"], encoding=opts["encoding"],
                            crs=opts["crs"], coords=opts["boundary_coords"])
    report(progress, "read boundaries", 1, 1)
    report(progress, "read listing", 0, 1)
    listing = _listing_frame(dwellings, opts, opts["listing_crs"] or opts["crs"])
    report(progress, "read listing", 1, 1)
    proj = parse_crs(opts["projected_crs"], field="projected_crs") if opts["projected_crs"] else None
    if proj is not None and not proj.is_projected:
        raise InputError("the working CRS must be projected (in metres)", field="projected_crs",
                         got=crs_label(proj), hint="Give a UTM or Gauss-Kruger CRS, or leave it out")
    return b, listing, prepare(b, proj)


def _options(**kw: Any) -> dict[str, Any]:
    # Checked here, not only where footprints are expanded, so that a wrong value is
    # refused even when the listing happens to be points (it would be silently ignored).
    for key in ("dwellings_per_floor", "storey_height"):
        value = kw.get(key)
        if value is not None and not value > 0:
            raise InputError(f"{key.replace('_', ' ')} must be a positive number", field=key,
                             got=str(value), hint=f"Give --{key.replace('_', '-')} > 0")
    cols = kw["columns"]
    if isinstance(cols, (str, Path)):
        kw["columns"] = load_mapping(cols)
    return kw


def check_frame(boundaries: Any, dwellings: Any, **options: Any) -> QAReport:
    """Run the self-check only (same arguments as :func:`build_frame`, nothing written
    except ``report_path=`` when given).
    """
    unknown = set(options) - set(inspect.signature(build_frame).parameters)
    if unknown:
        raise TypeError(f"check_frame() got unexpected keyword arguments {sorted(unknown)}")
    params = {name: p.default for name, p in inspect.signature(build_frame).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY}
    params.update(options, out=None, gpkg=None, strict=False)
    return _build(boundaries, dwellings, check_only=True, **params).qa


def build_frame(
    boundaries: str | Path | Boundaries | gpd.GeoDataFrame,
    dwellings: str | Path | pd.DataFrame,
    *,
    id_field: str = "community_id",
    encoding: str | None = None,
    listing_encoding: str | None = None,
    crs: Any = None,
    listing_crs: Any = None,
    coords: str = "wgs84",
    boundary_coords: str = "wgs84",
    columns: Mapping[str, str] | str | Path | None = None,
    sheet: str | int | None = None,
    dwellings_per_floor: float | None = None,
    storey_height: float = 3.0,
    projected_crs: Any = None,
    size_field: str | None = "households",
    coverage_tolerance: float = 0.10,
    vacancy_threshold: float = 0.30,
    strict: bool = False,
    out: str | Path | None = None,
    gpkg: str | Path | None = None,
    report_path: str | Path | None = None,
    progress: Progress | None = None,
    chunk_size: int = 1_000_000,
) -> FrameResult:
    """Build the checked, geographically ordered sampling frame.

    Parameters
    ----------
    boundaries
        Boundary file (any GDAL format) or :class:`~fieldsurvey.io.boundaries.Boundaries`.
    dwellings
        Listing file (CSV/XLSX/vector) or a DataFrame with the listing columns.
    id_field, encoding, crs, boundary_coords
        Passed to :func:`~fieldsurvey.io.read_boundaries` (``crs`` also serves as the
        listing's x/y CRS when ``listing_crs`` is not given).
    listing_encoding, listing_crs, coords, columns, sheet, dwellings_per_floor, storey_height
        Passed to :func:`~fieldsurvey.io.read_listing`.
    projected_crs
        Metric CRS for ``x``/``y`` and the order; default the UTM zone of the boundaries.
    size_field, coverage_tolerance, vacancy_threshold
        Self-check settings (see :mod:`fieldsurvey.frame.qa`).
    strict
        Refuse to write the frame when the self-check finds errors.
    out, gpkg, report_path
        Where to write the GeoParquet frame, a GeoPackage copy, and the JSON report.
    progress
        ``progress(step, done, total)`` callback.
    chunk_size
        Dwellings assigned per chunk.

    Returns
    -------
    FrameResult

    Raises
    ------
    FieldsurveyError
        For every input problem (see the readers), and in strict mode when the
        self-check has errors (the report is written first, the frame is not).
    """
    params = dict(locals())
    return _build(params.pop("boundaries"), params.pop("dwellings"), check_only=False, **params)


def _build(
    boundaries: Any,
    dwellings: Any,
    *,
    check_only: bool,
    id_field: str,
    encoding: str | None,
    listing_encoding: str | None,
    crs: Any,
    listing_crs: Any,
    coords: str,
    boundary_coords: str,
    columns: Mapping[str, str] | str | Path | None,
    sheet: str | int | None,
    dwellings_per_floor: float | None,
    storey_height: float,
    projected_crs: Any,
    size_field: str | None,
    coverage_tolerance: float,
    vacancy_threshold: float,
    strict: bool,
    out: str | Path | None,
    gpkg: str | Path | None,
    report_path: str | Path | None,
    progress: Progress | None,
    chunk_size: int,
) -> FrameResult:
    """The build; ``check_only`` stops after the self-check (for :func:`check_frame`)."""
    opts = _options(id_field=id_field, encoding=encoding, listing_encoding=listing_encoding,
                    crs=None if crs is None else str(crs),
                    listing_crs=None if listing_crs is None else str(listing_crs),
                    coords=coords, boundary_coords=boundary_coords, columns=columns, sheet=sheet,
                    dwellings_per_floor=dwellings_per_floor, storey_height=storey_height,
                    projected_crs=None if projected_crs is None else str(projected_crs),
                    size_field=size_field)
    # hash the input files on the side (hashlib releases the GIL) while they are parsed
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {name: pool.submit(_file_digest, Path(obj))
                   for name, obj in (("boundaries", boundaries), ("dwellings", dwellings))
                   if isinstance(obj, (str, Path)) and Path(obj).is_file()}
        b, listing, prepared = _prepare_inputs(boundaries, dwellings, opts, progress)
        digests = {name: f.result() for name, f in pending.items()}
    frame = _assign(listing, prepared, chunk_size, progress)
    report(progress, "self-check", 0, 1)
    factors: Factors = {}
    qa = run_checks(frame, b, prepared, size_field=size_field, factors=factors,
                    coverage_tolerance=coverage_tolerance, vacancy_threshold=vacancy_threshold)
    report(progress, "self-check", 1, 1)
    fp, record = fingerprint_inputs({"boundaries": boundaries if isinstance(boundaries, (str, Path))
                                     else b, "dwellings": dwellings}, opts, digests)
    meta = {"version": __version__, "inputs": record, "options": opts,
            "projected_crs_label": crs_label(prepared.projected_crs),
            "listing": listing.attrs.get("fieldsurvey", {})}
    if report_path is not None:
        atomic_write_text(report_path, qa.to_json())
    if strict and qa.has_errors:
        found = "; ".join(f"{c.check} ({c.count})" for c in qa.errors)
        raise InputError(
            "the self-check found errors, so the frame was not written (strict mode)",
            file=str(dwellings) if isinstance(dwellings, (str, Path)) else None,
            got=found,
            hint="Fix the rows the report names" + (f" (see {report_path})" if report_path else "")
            + ", or build without --strict",
        )
    if check_only:  # check_frame: the report is all that was asked for
        return FrameResult(frame, qa, fp, prepared.projected_crs, meta)
    result = _finish(frame, b, prepared, qa, fp, meta, progress, factors)
    if gpkg is not None:  # the copy first: a frame on disk means every output was written
        write_gpkg(result, gpkg)
    if out is not None:
        report(progress, "write frame", 0, 1)
        write_frame(result, out)
        report(progress, "write frame", 1, 1)
    return result


def _finish(frame: pd.DataFrame, b: Boundaries, prepared: PreparedBoundaries, qa: QAReport,
            fp: str, meta: dict[str, Any], progress: Progress | None, factors: Factors) -> FrameResult:
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
    taken |= set(community)
    internal = set(LISTING_COLUMNS) | {"community_index", "also_in", "n_boundaries",
                                        "missing_coordinates", "outside_boundaries",
                                        "in_several_boundaries", "community_mismatch",
                                        "unknown_community", "footprint_dwelling"}
    for c in frame.columns:
        if c not in internal and c not in cols:
            cols[f"listing_{c}" if c in taken else c] = frame[c]
    return FrameResult(pd.DataFrame(cols), qa, fp, prepared.projected_crs, meta)
