"""Read community boundaries from any vector format GDAL reads.

A street office sends its 社区 boundaries as a Shapefile in GBK, a GIS unit as a
GeoPackage in CGCS2000 (EPSG:4490), a volunteer as KML drawn in Google Earth. This
module turns each into one GeoDataFrame in WGS 84 with a string ``community_id`` and
every other attribute kept under its own name, and says what it had to repair.

Steps, each in its own module:

1. read the layer (:mod:`.vector`): attribute encoding from the ``.cpg``, the ``.dbf``
   language byte, detection or the user; the only polygon layer of a multi-layer file
   or the one named; degenerate rings of web-map exports dropped (:mod:`.salvage`);
   JSON list/object properties kept as text; garbled text refused;
2. check the geometry types (:mod:`.boundary_geometry`);
3. choose the id, name, street, type and size fields (:mod:`.boundary_fields`) and
   check the ids;
4. fix the CRS (:mod:`.reproject`: the file's own, ``crs=``, WGS 84 for GeoJSON
   without one; none is an error);
5. repair invalid polygons with ``shapely.make_valid`` keeping their polygonal parts;
6. convert to WGS 84, optionally undoing the GCJ-02/BD-09 offset of Chinese web maps,
   and note an approximate datum shift (:func:`fieldsurvey.io.crs.datum_note`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from fieldsurvey.io.boundary_fields import (
    check_ids,
    choose_fields,
    household_counts,
    id_strings,
    name_notes,
)
from fieldsurvey.io.boundary_geometry import (
    check_geometry,
    check_polygonal,
    dissolve,
    polygonal_parts,
    repair,
)
from fieldsurvey.io.coords import COORD_SYSTEMS
from fieldsurvey.io.crs import datum_note
from fieldsurvey.io.encoding import dbf_encoding
from fieldsurvey.io.errors import InputError
from fieldsurvey.io.reproject import reproject, resolve_crs
from fieldsurvey.io.vector import codecs_equal, read_vector

__all__ = ["BoundaryOptions", "Boundaries", "codecs_equal", "read_boundaries", "read_vector"]


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
    if path.suffix.lower() == ".zip" and path.is_file():
        return _read_zipped(path, opts)
    notes: list[str] = []
    gdf = read_vector(path, layer=opts.layer, encoding=opts.encoding, notes=notes)
    geoms, collections = polygonal_parts(gdf.geometry.to_numpy())
    check_polygonal(geoms, path)
    if collections:
        notes.append(f"{collections} feature(s) were geometry collections; their polygons "
                     "were kept")
    found, copied = choose_fields(gdf, opts, path, notes)
    id_field = found["community_id"]
    ids = check_ids(gdf[id_field], id_field, path, opts.dissolve)
    gdf = resolve_crs(gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)),
                      opts.crs, path, notes)
    source_crs = gdf.crs
    geoms = gdf.geometry.to_numpy()
    check_geometry(geoms, ids, id_field, path)
    if shapely.has_z(geoms).any():
        z = shapely.get_coordinates(geoms, include_z=True)[:, 2]
        if np.nanmax(np.abs(z), initial=0.0) > 0:  # KML writes z = 0 everywhere
            notes.append("the polygons carry Z (height) values; they were dropped")
    geoms = shapely.force_2d(geoms)
    geoms, repaired = repair(geoms, ids)
    renamed = {src: std for std, src in found.items()
               if std != "community_id" and std not in copied}
    attrs = gdf.drop(columns=[gdf.geometry.name, id_field])
    clash = [c for c in attrs.columns if c in set(renamed.values()) | {"community_id"}
             and c not in renamed]
    attrs = attrs.rename(columns={c: f"{c}_original" for c in clash}).rename(columns=renamed)
    frame = gpd.GeoDataFrame(
        {"community_id": ids.astype(str).to_numpy(), **{c: attrs[c].to_numpy() for c in attrs}},
        geometry=gpd.GeoSeries(geoms, crs=source_crs), crs=source_crs,
    )
    for std in sorted(copied):  # a guessed field: copied, and kept under its own name
        frame[std] = frame[found[std]]
    for text in ("name", "street", "type"):
        if text in frame and not pd.api.types.is_string_dtype(frame[text]):
            # a numeric-looking column named as names ("101", 3.0): text, without ".0"
            frame[text] = id_strings(frame[text]).astype(object).where(
                id_strings(frame[text]).notna(), None)
    if "households" in frame:
        frame["households"] = household_counts(frame["households"], found["households"],
                                               notes)
    if opts.dissolve:
        frame, note = dissolve(frame)
        if note:
            notes.append(note)
    if "name" in frame:
        notes.extend(name_notes(frame["name"], frame["community_id"]))
    frame = reproject(frame, opts.coords, path, "--crs")
    if opts.coords != "wgs84":
        notes.append(f"the polygons were moved from {opts.coords.upper()} to WGS 84")
    approx = datum_note(source_crs, tuple(frame.total_bounds))
    if approx:
        notes.append(approx)
    # a .prj with its own TOWGS84 shift defines the conversion even without an EPSG code
    identified = source_crs is None or source_crs.is_bound \
        or source_crs.to_epsg(min_confidence=70) is not None
    return Boundaries(frame=frame, repaired=repaired, source_crs=source_crs, path=path,
                      id_field=id_field, encoding=opts.encoding or (
                          dbf_encoding(path).codec if path.suffix.lower() == ".shp" else None),
                      crs_identified=identified, fields=found, notes=tuple(notes), options=opts)


def _read_zipped(path: Path, opts: BoundaryOptions) -> Boundaries:
    """A zipped boundary file: the vector file inside, read from a temporary copy.

    Errors name the archive and the file inside it.
    """
    from fieldsurvey.io.archive import unzipped
    from fieldsurvey.io.errors import FieldsurveyError

    with unzipped(path, None if opts.layer is None else str(opts.layer)) as (inner, name):
        inner_opts = dataclasses.replace(opts, layer=None)
        try:
            read = read_boundaries(inner, inner_opts)
        except FieldsurveyError as exc:
            if exc.file is not None and Path(exc.file).parent == inner.parent:
                exc.file = f"{path} (inside: {Path(name).parent / Path(exc.file).name})"
            raise
    note = f"read {name} from the archive"
    return dataclasses.replace(read, path=path, notes=(note, *read.notes), options=opts)
