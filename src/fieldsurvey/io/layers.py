"""Which layer of a multi-layer vector file holds the community polygons.

A GeoPackage from a GIS unit often holds several layers (offices as points, streets
as lines, the communities as polygons): the only polygon layer is read and the choice
noted; with several polygon layers the user names one (``--layer``). A KML/KMZ from
Google Earth or a Chinese map app keeps one folder per street, which GDAL reads as
layers: their polygons are read together, each feature keeping its folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from fieldsurvey.io.errors import InputError

__all__ = ["ALL_FOLDERS", "choose_layer", "read_folders"]

#: OGR geometry types that hold polygons (curved ones are linearised on reading).
_POLYGON_TYPES = ("polygon", "multipolygon", "curvepolygon", "multisurface")


def choose_layer(path: Path, layer: str | int | None, notes: list[str] | None,
                  layer_option: str) -> str | int | None:
    """The layer to read: the one named, the only one, or the only polygon layer.

    Raises
    ------
    InputError
        When the named layer does not exist, or several layers hold polygons and none
        was named.
    """
    if path.suffix.lower() not in (".gpkg", ".sqlite", ".kml", ".kmz", ".gdb", ".gml") \
            and not path.is_dir():
        return layer
    try:
        layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, OSError):
        return layer  # the read reports it
    names = [n for n, _ in layers]
    listed = "; ".join(f"'{n}' ({t})" for n, t in layers[:12])
    if layer is not None:
        if isinstance(layer, int) or str(layer) in names:
            return layer
        if str(layer).isdigit() and int(str(layer)) < len(names):
            return int(str(layer))
        raise InputError("the file has no layer of that name", file=path, field="layer",
                         expected=f"one of its layers: {listed}", got=repr(layer),
                         hint=f"Name one of the layers above with {layer_option}")
    if len(layers) <= 1:
        return layer
    if path.suffix.lower() in (".kml", ".kmz"):
        return ALL_FOLDERS  # Google Earth folders (one per street): read them all
    polygonal = [n for n, t in layers if t.lower().replace(" z", "").replace(" m", "")
                 in _POLYGON_TYPES]
    if len(polygonal) == 1:
        if notes is not None:
            notes.append(f"the file has {len(layers)} layers ({listed}); read '{polygonal[0]}', "
                         "its only polygon layer")
        return polygonal[0]
    raise InputError(
        f"the file has {len(layers)} layers and "
        + ("several" if polygonal else "none") + " of them is clearly the polygon layer",
        file=path, field="layer", expected="one layer named with " + layer_option,
        got=listed, hint=f"Name the layer with {layer_option} (for example {layer_option} "
        f"'{(polygonal or names)[0]}')")


#: Read every layer of a KML/KMZ file (its folders) into one table.
ALL_FOLDERS = "\0all-folders"


def read_folders(path: Path, kwargs: dict[str, Any], notes: list[str] | None) -> Any:
    """Every folder (layer) of a KML/KMZ file in one table, with a ``folder`` column.

    Google Earth and Chinese map apps export communities in one folder per street;
    GDAL makes each folder a layer. Folders holding no polygon at all (a track, the
    office pins) are left out and named in a note.
    """
    frames = []
    skipped = []
    for name, _ in pyogrio.list_layers(path):
        gdf = pyogrio.read_dataframe(path, **{**kwargs, "layer": str(name)})
        polys = gdf.geometry.notna() & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        if len(gdf) == 0 or not polys.any():
            skipped.append(str(name))
            continue
        frames.append(gdf.assign(folder=str(name)))
    if not frames:
        return pyogrio.read_dataframe(path, **kwargs)
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                           crs=frames[0].crs)
    if notes is not None:
        notes.append(f"the KML has {len(frames) + len(skipped)} folders; the polygons of "
                     f"{len(frames)} ({', '.join(str(f['folder'].iloc[0]) for f in frames[:6])}) "
                     "were read together, each feature keeping its folder in 'folder'"
                     + (f"; folders without polygons left out: {', '.join(skipped[:6])}"
                        if skipped else ""))
    return out
