"""Read community boundaries from any vector format GDAL reads.

A street office sends its 社区 boundaries as a Shapefile in GBK, a GIS unit as a
GeoPackage in CGCS2000 (EPSG:4490), a volunteer as KML drawn in Google Earth. This
module turns each into one GeoDataFrame in WGS 84 with a string ``community_id`` and
every other attribute kept under its own name, and says what it had to repair.

Steps: read with pyogrio (attribute encoding from the ``.cpg``, the ``.dbf`` language
driver, detection, or the user) -> check the id field -> fix the CRS (the file's own,
or ``crs=``; none is an error) -> check geometry types -> repair invalid polygons with
``shapely.make_valid`` keeping only their polygonal parts -> convert to WGS 84
(optionally undoing the GCJ-02/BD-09 offset of Chinese web maps).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from fieldsurvey.io.columns import load_mapping, match_boundary_columns
from fieldsurvey.io.coords import COORD_SYSTEMS, web_to_wgs84
from fieldsurvey.io.crs import crs_label, datum_note, parse_crs
from fieldsurvey.io.encoding import (
    DbfEncoding,
    cjk_score,
    dbf_encoding,
    dbf_text_fields,
    normalise_encoding,
    suspicious_text,
)
from fieldsurvey.io.errors import ColumnError, CRSError, EncodingError, InputError
from fieldsurvey.io.schema import WGS84

__all__ = ["BoundaryOptions", "Boundaries", "read_boundaries", "read_vector"]


@dataclass(frozen=True)
class BoundaryOptions:
    """How to read a community boundary file.

    The one set of reading options that ``frame build``, ``maps`` and a later
    ``--boundaries`` share (defaults here only).

    Attributes
    ----------
    id_field
        Field with the community id; when the default is absent from the file, a field
        the header vocabulary recognises (社区编码, 社區編碼, community_code ...) is used.
    name_field, street_field, type_field, size_field
        Fields with the community's name, street (街道), type (类型) and registered
        households (户数); by default recognised by the header vocabulary.
    columns
        A mapping ``{"name": "社区名称", ...}`` (or a TOML/JSON file) for the above.
    encoding
        Attribute encoding; by default the ``.cpg``, the .dbf language byte, or detection
        among UTF-8, GBK and Big5.
    crs
        CRS of a file that states none (or replaces an unidentified one).
    coords
        ``"gcj02"``/``"bd09"`` when the polygons were drawn on Chinese web maps.
    layer
        Layer of a multi-layer file.
    dissolve
        Merge the features that share a community id into one (multi)polygon.
    """

    id_field: str = "community_id"
    name_field: str | None = None
    street_field: str | None = None
    type_field: str | None = None
    size_field: str | None = None
    columns: Mapping[str, str] | str | Path | None = None
    encoding: str | None = None
    crs: Any = None
    coords: str = "wgs84"
    layer: str | int | None = None
    dissolve: bool = False

    def record(self) -> dict[str, Any]:
        """JSON-ready form (for fingerprints and frame metadata)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["crs"] = None if self.crs is None else str(self.crs)
        if isinstance(self.columns, (str, Path)):
            out["columns"] = str(self.columns)
        elif self.columns is not None:
            out["columns"] = dict(self.columns)
        return out

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Community polygons ready for assignment.

    Attributes
    ----------
    frame
        One row per community: ``community_id`` (str), the other attributes under their
        own names, ``geometry`` (Polygon/MultiPolygon in WGS 84). Its index is the
        0-based feature number in the file.
    repaired
        One row per polygon that was invalid and repaired: ``community_id``,
        ``feature`` (1-based feature number), ``reason`` (shapely's explanation).
    source_crs
        The CRS the coordinates were given in.
    path
        The file read, if any.
    id_field
        The field of the file that held the community id.
    encoding
        The attribute encoding used, when one was chosen or detected.
    """

    frame: gpd.GeoDataFrame
    repaired: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["community_id", "feature", "reason"])
    )
    source_crs: CRS | None = None
    path: Path | None = None
    id_field: str = "community_id"
    encoding: str | None = None
    crs_identified: bool = True
    """False when the source CRS has no EPSG code (a custom or unknown datum)."""
    fields: dict[str, str] = field(default_factory=dict)
    """Standard attribute -> the file's field it came from (``name`` -> ``社区名称``)."""
    notes: tuple[str, ...] = ()
    """What the reader chose or approximated (detected encoding, approximate datum shift,
    dissolved features, GCJ-02 correction), for the self-check."""
    options: BoundaryOptions | None = None
    """The options the file was read with."""

    def __len__(self) -> int:
        return len(self.frame)


def _check_given_encoding(path: Path, codec: str, option: str) -> None:
    """Refuse a given encoding that the .dbf's bytes clearly are not in (GBK on Big5)."""
    if path.suffix.lower() != ".shp":
        return
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return
    for raw_name, values in dbf_text_fields(dbf.read_bytes()).items():
        name = raw_name.decode(codec, errors="replace")
        raw = b"\n".join(values)
        if not any(b >= 0x80 for b in raw):
            continue
        try:
            mine = cjk_score(raw.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            return  # the read itself reports invalid bytes
        for other, label in (("gb18030", "GBK"), ("big5hkscs", "Big5"), ("utf-8", "UTF-8")):
            if codecs_equal(other, codec):
                continue
            try:
                text = raw.decode(other)
            except UnicodeDecodeError:
                continue
            theirs = 1.0 if other == "utf-8" else cjk_score(text, other)
            if theirs >= 0.7 and theirs > mine + 0.25:
                first = raw.split(b"\n")[0]
                raise EncodingError(
                    f"the attribute text does not read as {codec.upper()}, as given: it reads "
                    f"as {label}",
                    file=path, field=name,
                    got=f"'{first.decode(codec, errors='replace')}' as given, "
                    f"'{first.decode(other, errors='replace')}' as {label}",
                    hint=f"Give {option} {label} (or leave {option} out to detect it)")


def codecs_equal(a: str, b: str) -> bool:
    """True when two codec names are the same codec (GBK and GB18030 count as one)."""
    def key(x: str) -> str:
        return normalise_encoding(x)
    return key(a) == key(b)


def read_vector(
    path: str | Path, *, layer: str | int | None = None, encoding: str | None = None,
    option: str = "--encoding", notes: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio, turning GDAL's complaints into clear errors.

    ``option`` names the command-line option that sets this file's encoding (in
    every hint); what the reader chose is appended to ``notes``.

    Raises
    ------
    InputError
        Empty, truncated or unreadable files and files without geometries.
    EncodingError
        Attribute text not valid in the given or detected encoding, or text that was
        decoded into implausible characters (naming the field).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(
            "the file is empty", file=path, hint="Export the layer again and check the copy"
        )
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return _read_geoparquet(path)
    chosen = (
        DbfEncoding(normalise_encoding(encoding, file=path), "given")
        if encoding
        else dbf_encoding(path)
        if path.suffix.lower() == ".shp"
        else DbfEncoding(None, "none")
    )
    codec = chosen.codec
    if encoding and codec:
        _check_given_encoding(path, codec, option)
    if chosen.note and notes is not None:
        notes.append(chosen.note)
    kwargs: dict[str, Any] = {}
    if codec:
        kwargs["encoding"] = codec
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                gdf = _read_layer(path, kwargs, notes)
            except shapely.errors.GEOSException:
                # a broken ring (2 points, as in some OSM extracts): read the others and
                # leave that feature without a geometry, and say so
                gdf = pyogrio.read_dataframe(path, on_invalid="ignore", **kwargs)
                if notes is not None:
                    bad = int(gdf.geometry.isna().sum())
                    notes.append(f"{bad} feature(s) have a geometry GEOS cannot read (e.g. a "
                                 "ring of 2 points) and were read without one")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            "the attribute text is not valid in the " + ("given" if encoding else "detected")
            + f" encoding {codec or 'of the file'}",
            file=path,
            got=str(exc)[:120],
            hint=f"Give the real encoding with {option} (GBK and Big5 files usually come "
            "without a .cpg)",
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        msg = " ".join(str(exc).split())[:300]
        raise InputError(
            "GDAL cannot read this file as a vector layer (it may be truncated, "
            "not a geographic format, or missing a companion file)",
            file=path,
            expected="a complete GeoJSON, GeoPackage, Shapefile (.shp with .shx and .dbf) or KML",
            got=msg or type(exc).__name__,
            hint="Export the layer again from the GIS and check that every part of it was copied",
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf or gdf.geometry.isna().all():
        if len(gdf) == 0:
            raise InputError("the file has no features", file=path,
                             hint="Export the layer again; it came out empty")
        raise InputError(
            "the file has no geometries: it is a table, not a map layer",
            file=path,
            expected="polygons (or points/footprints for listings)",
            got=f"a table with the fields {', '.join(map(str, gdf.columns[:12]))}",
            hint="Give the boundary file itself (GeoJSON, GeoPackage, Shapefile or KML)",
        )
    if len(gdf) == 0:
        raise InputError("the file has no features", file=path,
                         hint="Export the layer again; it came out empty")
    lost = [str(w.message) for w in caught if "converted correctly" in str(w.message)]
    _check_text(gdf, path, option, lost)
    return gdf


def _read_layer(path: Path, kwargs: dict[str, Any], notes: list[str] | None) -> Any:
    """Read a layer with pyogrio; a shapefile without its .shx from a temporary copy.

    GDAL rebuilds the missing index from the .shp in the copy, so the user's folder is
    left as it was.
    """
    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except UnicodeDecodeError:
        if kwargs.get("encoding") != "UTF-8" or path.suffix.lower() != ".shp":
            raise
        # dBase cuts field names at 10 bytes, often inside a UTF-8 character: let GDAL
        # recode (it drops the cut bytes) instead of failing on the names
        gdf = pyogrio.read_dataframe(path, **{**kwargs, "encoding": "utf8"})
        if notes is not None:
            notes.append("some field names were cut inside a character by the 10-byte "
                         "dBase limit; the cut bytes were dropped")
        return gdf
    except pyogrio.errors.DataSourceError as exc:
        if path.suffix.lower() != ".shp" or "SHAPE_RESTORE_SHX" not in str(exc):
            raise
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fieldsurvey-shx-") as tmp:
        for part in path.parent.glob(path.stem + ".*"):
            if part.suffix.lower() in (".shp", ".dbf", ".prj", ".cpg"):
                shutil.copyfile(part, Path(tmp) / (path.stem + part.suffix.lower()))
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
        try:
            gdf = pyogrio.read_dataframe(Path(tmp) / (path.stem + ".shp"), **kwargs)
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    if notes is not None:
        notes.append("the shapefile has no .shx index; it was rebuilt from the .shp "
                     "(in a temporary copy)")
    return gdf


def _read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """A GeoParquet layer (such as the boundaries a frame keeps beside itself)."""
    try:
        gdf = gpd.read_parquet(path)
    except (ValueError, OSError) as exc:
        raise InputError("the file cannot be read as GeoParquet", file=path,
                         got=" ".join(str(exc).split())[:200],
                         hint="Give a GeoParquet layer (geometry column with 'geo' metadata)"
                         ) from None
    if len(gdf) == 0:
        raise InputError("the file has no features", file=path,
                         hint="Export the layer again; it came out empty")
    return gdf


def _check_text(gdf: gpd.GeoDataFrame, path: Path, option: str, lost: list[str]) -> None:
    """Refuse attribute text that was decoded into implausible characters."""
    for col in gdf.columns:
        if col == gdf.geometry.name or not (gdf[col].dtype == object
                                            or pd.api.types.is_string_dtype(gdf[col])):
            continue
        values = [v for v in gdf[col].dropna().unique()[:5000] if isinstance(v, str)]
        found = suspicious_text(values)
        if found is None:
            continue
        kind, example, probable = found
        raise EncodingError(
            f"the text of this field was decoded wrongly ({kind})",
            file=path, field=str(col), got=repr(example)[:80],
            expected="readable names" + (f"; the bytes read as {probable}" if probable else ""),
            hint=f"Give the file's encoding with {option} {probable or 'GBK, Big5 or UTF-8'}")
    if lost:
        raise EncodingError(
            "some characters could not be converted from the file's encoding and were lost",
            file=path, got=lost[0][:160],
            hint=f"Give the file's real encoding with {option} (for Hong Kong names: "
            f"{option} big5hkscs)")


def _resolve_crs(gdf: gpd.GeoDataFrame, crs: Any, path: Path | None) -> gpd.GeoDataFrame:
    """The file's CRS; ``crs`` fills in a missing one or replaces an unidentified one."""
    if crs is not None:
        given = parse_crs(crs, file=str(path) if path else None)
        stated = gdf.crs
        if stated is not None and stated.to_epsg(min_confidence=70) is not None \
                and not stated.equals(given, ignore_axis_order=True):
            raise CRSError(
                "the file states a different coordinate reference system than --crs",
                file=path,
                expected=crs_label(given),
                got=f"{crs_label(stated)} in the file",
                hint="Leave out --crs (the file's own CRS is used; --listing-crs is for the "
                "listing's x/y), or fix the file's .prj",
            )
        return gdf.set_crs(given, allow_override=True)
    if gdf.crs is None:
        missing_prj = path is not None and path.suffix.lower() == ".shp"
        raise CRSError(
            "the file does not say which coordinate reference system its coordinates are in"
            + (" (the shapefile has no .prj)" if missing_prj else ""),
            file=path,
            hint="Give it with --crs (for example --crs EPSG:4490 for CGCS2000 or "
            "--crs EPSG:4326 for GPS lon/lat), or copy the .prj that came with the file",
        )
    return gdf


def _reproject(gdf: gpd.GeoDataFrame, coords: str, path: Path | None,
               option: str) -> gpd.GeoDataFrame:
    """To WGS 84 (undoing a GCJ-02/BD-09 offset when asked), checking the result."""
    src = gdf.crs
    try:
        out = gdf.to_crs(WGS84)
    except (ProjError, ValueError, RuntimeError) as exc:  # an impossible transformation
        raise CRSError(
            "the coordinates cannot be converted to WGS 84",
            file=path,
            got=f"{crs_label(src)}: {str(exc)[:160]}",
            hint=f"Check the CRS, or give the right one with {option}",
        ) from None
    minx, miny, maxx, maxy = out.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])) or minx < -180.5 or maxx > 180.5 \
            or miny < -90.5 or maxy > 90.5:
        raw = gdf.total_bounds
        projected_numbers = src is not None and src.is_geographic and np.nanmax(np.abs(raw)) > 1000
        raise CRSError(
            "the coordinates do not fit the stated coordinate reference system"
            + (
                ": it is geographic (degrees) but the numbers are projected metres"
                if projected_numbers
                else ""
            ),
            file=path,
            expected="longitudes within ±180 and latitudes within ±90 after conversion",
            got=f"bounds {raw[0]:.6g}, {raw[1]:.6g}, {raw[2]:.6g}, {raw[3]:.6g} "
            f"in {crs_label(src)}",
            hint=f"Give the projected CRS the numbers are in with {option} (for example "
            f"{option} EPSG:2326 for the Hong Kong 1980 Grid, EPSG:4547 for CGCS2000 / 3-degree "
            "Gauss-Kruger zone 38), or fix the file's .prj",
        )
    if coords != "wgs84":
        geoms = shapely.transform(
            out.geometry.values,
            lambda xy: np.column_stack(web_to_wgs84(xy[:, 0], xy[:, 1], coords)),
        )
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))
    return out


def _id_strings(values: pd.Series) -> pd.Series:
    """Ids as strings, with floats that are whole numbers written without '.0'."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.round(whole)).all():
            values = values.astype("Int64")
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _fields(gdf: gpd.GeoDataFrame, opts: BoundaryOptions, path: Path | None) -> dict[str, str]:
    """Standard attribute -> field, from the options and the header vocabulary."""
    given: dict[str, str | None] = {}
    if opts.columns is not None:
        mapping = load_mapping(opts.columns) if isinstance(opts.columns, (str, Path)) \
            else opts.columns
        given.update(mapping)
    headers = [c for c in gdf.columns if c != gdf.geometry.name]
    default_id = opts.id_field == "community_id" and not any(
        str(h).casefold() in ("community_id", "community_"[:10]) for h in headers)
    given.update({k: v for k, v in (
        ("community_id", None if default_id else opts.id_field),
        ("name", opts.name_field), ("street", opts.street_field), ("type", opts.type_field),
        ("households", opts.size_field)) if v is not None})
    found = match_boundary_columns(headers, given, file=path)
    if "community_id" not in found:
        raise ColumnError(
            "the community id field does not exist in the boundary file",
            file=path,
            field=opts.id_field,
            expected=f"a field named '{opts.id_field}' or one the header vocabulary knows "
            "(社区编码, 社區編碼, community_code ...)",
            got=f"the fields {', '.join(map(str, headers))}",
            hint="Name the id field with --id-field (one of the fields above)",
        )
    return found


def _check_ids(ids: pd.Series, id_field: str, path: Path | None, dissolve: bool) -> pd.Series:
    ids = _id_strings(ids)
    if ids.isna().any():
        rows = (np.flatnonzero(ids.isna().to_numpy()) + 1).tolist()
        raise InputError(
            f"{len(rows)} feature(s) have no community id",
            file=path, row=rows[0], field=id_field,
            got=f"empty ids in features {', '.join(map(str, rows[:10]))}",
            hint="Fill in the id of every community, or choose another field with --id-field",
        )
    dup = ids.duplicated(keep=False)
    if dup.any() and not dissolve:
        groups = pd.Series(np.flatnonzero(dup.to_numpy()) + 1).groupby(ids[dup].to_numpy())
        listed = "; ".join(f"'{k}' in features {', '.join(map(str, v.tolist()[:5]))}"
                           for k, v in list(groups)[:5])
        raise InputError(
            f"{groups.ngroups} community id(s) occur more than once in the boundaries",
            file=path, field=id_field, got=listed,
            hint="Each community must be one feature with its own id: merge the parts "
            "with --dissolve, or correct the ids",
        )
    return ids.rename("community_id")


def _repair(geoms: np.ndarray, ids: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """make_valid the invalid polygons, keeping only their polygonal parts."""
    invalid = ~shapely.is_valid(geoms)
    rows = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[rows]) if len(rows) else np.array([], dtype=object)
    fixed = geoms.copy()
    for i in rows:  # only the few invalid polygons
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        polys = shapely.get_parts(parts)
        fixed[i] = shapely.multipolygons(polys) if len(polys) > 1 else (
            polys[0] if len(polys) else shapely.from_wkt("POLYGON EMPTY"))
    table = pd.DataFrame({"community_id": ids.to_numpy()[rows], "feature": rows + 1,
                          "reason": reasons})
    return fixed, table


def _check_geometry(geoms: np.ndarray, ids: pd.Series, id_field: str, path: Path | None) -> None:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise InputError("every feature of the boundary file has an empty geometry", file=path,
                         field="geometry", got=f"{len(geoms)} feature(s), none with a polygon",
                         hint="Export the polygon layer again (the export lost the shapes)")
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError(f"{int(missing.sum())} feature(s) have no geometry", file=path, row=row,
                         field=id_field, got=f"community '{ids.iloc[row - 1]}' without a polygon",
                         hint="Draw the missing boundaries or remove those features")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, (3, 6))
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        names = sorted({str(shapely.get_type_id(g)) for g in geoms[bad]})
        kinds = sorted({g.geom_type for g in geoms[bad]})
        raise InputError(
            "community boundaries must be polygons", file=path, row=row,
            expected="Polygon or MultiPolygon features",
            got=f"{int(bad.sum())} feature(s) of type {', '.join(kinds or names)}",
            hint="Give the polygon layer (lines must be closed into polygons in a GIS first)",
        )


def _dissolve(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """One feature per community id: the union of its parts, the first part's attributes."""
    counts = frame["community_id"].value_counts()
    several = counts[counts > 1]
    if several.empty:
        return frame, ""
    geom = frame.geometry.name
    union = frame.groupby("community_id", sort=False)[geom].agg(
        lambda g: shapely.union_all(np.asarray(g.to_numpy(), dtype=object)))
    first = frame.drop_duplicates("community_id", keep="first").copy()
    first[geom] = union.reindex(first["community_id"]).to_numpy()
    note = (f"--dissolve merged {int(several.sum())} features into {len(several)} communities "
            f"(e.g. {several.index[0]}: {int(several.iloc[0])} parts)")
    return gpd.GeoDataFrame(first, geometry=geom, crs=frame.crs), note


def read_boundaries(
    path: str | Path,
    options: BoundaryOptions | None = None,
    **keywords: Any,
) -> Boundaries:
    """Read community polygons from any vector file GDAL reads.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (``.shp`` with ``.shx``/``.dbf``), KML, ...
    options
        :class:`BoundaryOptions` (id, name, street, type and size fields, encoding, CRS,
        GCJ-02/BD-09, layer, dissolve).
    **keywords
        The same options by name (``id_field="CPTVID"``, ``encoding="GBK"``), applied
        on top of ``options``.

    Returns
    -------
    Boundaries
        The polygons in WGS 84 with ``community_id`` and the standard attributes
        ``name``, ``street``, ``type``, ``households`` (when present), every other
        field under its own name, plus what was repaired and noted.

    Raises
    ------
    InputError, EncodingError, CRSError, ColumnError
        For empty, truncated or non-geographic files, bad or garbled text, a missing or
        unknown CRS, a missing id field, empty or duplicate ids, non-polygon or empty
        geometries, coordinates that do not fit the CRS.
    """
    opts = dataclasses.replace(options or BoundaryOptions(), **keywords)
    path = Path(path)
    if opts.coords not in COORD_SYSTEMS:
        raise InputError("unknown coordinate system for --boundary-coords", field="coords",
                         expected=" or ".join(COORD_SYSTEMS), got=repr(opts.coords))
    notes: list[str] = []
    gdf = read_vector(path, layer=opts.layer, encoding=opts.encoding, notes=notes)
    found = _fields(gdf, opts, path)
    id_field = found["community_id"]
    ids = _check_ids(gdf[id_field], id_field, path, opts.dissolve)
    gdf = _resolve_crs(gdf, opts.crs, path)
    source_crs = gdf.crs
    geoms = gdf.geometry.to_numpy()
    _check_geometry(geoms, ids, id_field, path)
    geoms = shapely.force_2d(geoms)
    geoms, repaired = _repair(geoms, ids)
    renamed = {src: std for std, src in found.items() if std != "community_id"}
    attrs = gdf.drop(columns=[gdf.geometry.name, id_field])
    clash = [c for c in attrs.columns if c in set(renamed.values()) | {"community_id"}
             and c not in renamed]
    attrs = attrs.rename(columns={c: f"{c}_original" for c in clash}).rename(columns=renamed)
    frame = gpd.GeoDataFrame(
        {"community_id": ids.astype(str).to_numpy(), **{c: attrs[c].to_numpy() for c in attrs}},
        geometry=gpd.GeoSeries(geoms, crs=source_crs), crs=source_crs,
    )
    if "households" in frame:
        frame["households"] = pd.to_numeric(frame["households"], errors="coerce")
    if opts.dissolve:
        frame, note = _dissolve(frame)
        if note:
            notes.append(note)
    frame = _reproject(frame, opts.coords, path, "--crs")
    if opts.coords != "wgs84":
        notes.append(f"the polygons were moved from {opts.coords.upper()} to WGS 84")
    approx = datum_note(source_crs)
    if approx:
        notes.append(approx)
    identified = source_crs is None or source_crs.to_epsg(min_confidence=70) is not None
    return Boundaries(frame=frame, repaired=repaired, source_crs=source_crs, path=path,
                      id_field=id_field, encoding=opts.encoding or (
                          dbf_encoding(path).codec if path.suffix.lower() == ".shp" else None),
                      crs_identified=identified, fields=found, notes=tuple(notes), options=opts)
