"""KML ExtendedData whose field names GDAL cannot keep.

GDAL's LIBKML driver replaces every byte of a non-ASCII ``<Data name>`` by ``_``:
社区编码 and 社区名称 both become ``____________`` and share one column, so one of them
is silently lost (and 户数 and 街道 collide the same way). The attributes are read here
from the XML itself, placemark by placemark, and put back under their own names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from fieldsurvey.io.errors import InputError

__all__ = ["has_laundered_names", "restore_extended_data"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _laundered(name: str) -> str:
    return "".join(c if ord(c) < 128 else "_" * len(c.encode("utf-8")) for c in name)


def _placemarks(path: Path) -> list[tuple[str | None, str | None, dict[str, str]]]:
    """(folder, name, ExtendedData) of every Placemark, in document order."""
    out: list[tuple[str | None, str | None, dict[str, str]]] = []

    def walk(node: ET.Element, folder: str | None) -> None:
        for child in node:
            tag = _local(child.tag)
            if tag == "Folder":
                label = next((c.text for c in child if _local(c.tag) == "name"), None)
                walk(child, (label or "").strip() or folder)
            elif tag == "Placemark":
                name = next((c.text for c in child if _local(c.tag) == "name"), None)
                data: dict[str, str] = {}
                for el in child.iter():
                    kind = _local(el.tag)
                    if kind == "Data" and el.get("name"):
                        value = next((v.text for v in el if _local(v.tag) == "value"), None)
                        data[str(el.get("name"))] = (value or "").strip()
                    elif kind == "SimpleData" and el.get("name"):
                        data[str(el.get("name"))] = (el.text or "").strip()
                out.append((folder, (name or "").strip() or None, data))
            elif tag in ("Document", "kml"):
                walk(child, folder)

    walk(ET.parse(path).getroot(), None)
    return out


def has_laundered_names(path: Path, columns: list[str]) -> bool:
    """True when a .kml's non-ASCII ExtendedData names reached GDAL as runs of ``_``."""
    if path.suffix.lower() != ".kml":
        return False
    if not any(c.strip("_0123456789") == "" and "__" in c for c in columns):
        return False
    head = path.read_bytes()
    return b"Data name=" in head and any(b >= 0x80 for b in head)


def restore_extended_data(path: Path, gdf: pd.DataFrame, folders: list[str] | None) -> pd.DataFrame:
    """``gdf`` with the laundered columns replaced by the ExtendedData under its own names.

    ``folders`` gives, row by row, the folder each feature was read from (None when the
    file was read as one layer). Rows are matched to placemarks in document order and
    checked by their names.

    Raises
    ------
    InputError
        When the placemarks cannot be matched to the features GDAL read.
    """
    marks = _placemarks(path)
    if folders is not None:
        by_folder: dict[str | None, list[tuple[str | None, str | None, dict[str, str]]]] = {}
        for mark in marks:
            by_folder.setdefault(mark[0], []).append(mark)
        taken: dict[str | None, int] = {}
        picked = []
        for f in folders:
            key = f if f in by_folder else None  # placemarks outside any folder
            group = by_folder.get(key) or []
            i = taken.get(key, 0)
            taken[key] = i + 1
            picked.append(group[i] if i < len(group) else None)
    else:
        picked = list(marks) if len(marks) == len(gdf) else [None] * len(gdf)
    names = gdf["Name"].tolist() if "Name" in gdf else [None] * len(gdf)
    if any(m is None or (m[1] or None) != (n if isinstance(n, str) and n else None)
           for m, n in zip(picked, names, strict=True)):
        raise InputError(
            "the KML's attributes (ExtendedData) have non-ASCII names that GDAL cannot keep, "
            "and its placemarks could not be matched to the features read",
            file=path, field="ExtendedData",
            hint="Save the layer as GeoJSON or GeoPackage from the GIS (the names are kept "
            "there), or name the fields in ASCII")
    data = pd.DataFrame([m[2] if m else {} for m in picked], index=gdf.index)
    laundered = {_laundered(c) for c in data.columns}
    drop = [c for c in gdf.columns if c in laundered or c.rstrip("0123456789") in laundered]
    kept = gdf.drop(columns=drop)
    for col in data.columns:
        kept[col if col not in kept.columns else f"{col}_data"] = data[col].replace("", None)
    return kept
