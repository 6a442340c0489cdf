"""Files of the example district: write them (atomically, byte-reproducibly) and read them.

GeoJSON is written by hand, one feature per line, coordinates already rounded to 7
decimals (about 1 cm), Chinese text as UTF-8, so that the same district gives the same
bytes on every machine and a diff of two generations is readable. CSV files are UTF-8
with ``\\n`` line ends and the English columns of DESIGN.md. A ``manifest.json`` records
the seed, the scale and the SHA-256 of every file; ``README.md`` describes the files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from fieldsurvey._atomic import atomic_path, atomic_write_bytes, atomic_write_text
from fieldsurvey.errors import ColumnError, InputError
from fieldsurvey.schema import WGS84

__all__ = ["FILES", "read_tables", "write_tables"]

#: file name -> what it holds (the README's table)
FILES = {
    "boundaries.geojson": "39 community polygons (WGS 84), id field `community_id`",
    "compounds.geojson": "447 compound polygons (小区) with kind and community",
    "buildings.geojson": "building footprints with storeys, units, doors per floor, dwellings",
    "listing.csv": "the dwelling listing, one row per dwelling, with planted faults",
    "faults.csv": "the faults planted in the listing and the self-check that should report each",
    "margins.csv": "adult population by sex, age group and age x sex (for calibration)",
}
_INT = "int64"
_SCHEMA: dict[str, dict[str, str]] = {
    "boundaries.geojson": {
        "community_id": "str", "name": "str", "street_id": "str", "street": "str", "type": "str",
        "zone": "str", "households": _INT, "residents": _INT, "migrant_share": "float64",
        "compounds": _INT,
    },
    "compounds.geojson": {
        "compound_id": "str", "name": "str", "kind": "str", "community_id": "str",
        "buildings": _INT, "dwellings": _INT,
    },
    "buildings.geojson": {
        "building_id": "str", "compound_id": "str", "community_id": "str", "building": _INT,
        "storeys": _INT, "units": _INT, "doors_per_floor": _INT, "dwellings": _INT,
        "height": "float64",
    },
    "listing.csv": {
        "dwelling_id": "str", "community_id": "str", "compound": "str", "building": _INT,
        "unit": _INT, "floor": _INT, "door": "str", "address": "str", "lon": "float64",
        "lat": "float64", "status": "str", "households": "Int64",
    },
    "faults.csv": {
        "check": "str", "dwelling_id": "str", "community_id": "str", "source_row": "Int64",
        "note": "str",
    },
    "margins.csv": {"variable": "str", "level": "str", "total": _INT},
}


def _plain(value: Any) -> Any:
    """A JSON-ready Python scalar (numpy scalars and NA become int/float/str/None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def geojson_bytes(gdf: gpd.GeoDataFrame, name: str) -> bytes:
    """A GeoJSON FeatureCollection, one feature per line, as UTF-8 bytes."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    records = gdf[cols].astype(object).to_numpy().tolist()
    lines = []
    for values, geom in zip(records, gdf.geometry.to_numpy(), strict=True):
        feature = {
            "type": "Feature",
            "properties": {c: _plain(v) for c, v in zip(cols, values, strict=True)},
            "geometry": shapely.geometry.mapping(geom),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    body = ',\n'.join(lines)
    return f'{head}, "features": [\n{body}\n]}}\n'.encode()


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV as UTF-8 bytes: no index, ``\\n`` line ends, floats in their shortest form."""
    return df.to_csv(index=False, lineterminator="\n").encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_tables(tables: dict[str, pd.DataFrame], directory: Path, readme: str, meta: dict[str, Any]) -> dict[str, Path]:
    """Write every table to its file atomically, then ``manifest.json`` and ``README.md``.

    ``tables`` maps file names of :data:`FILES` to frames (GeoDataFrames for ``.geojson``).
    ``readme`` may hold ``{manifest}``, replaced by the file table with sizes and hashes.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    entries = {}
    for fname, table in tables.items():
        data = geojson_bytes(table, fname.split(".")[0]) if fname.endswith(".geojson") else csv_bytes(table)
        atomic_write_bytes(directory / fname, data)
        written[fname] = directory / fname
        entries[fname] = {"bytes": len(data), "sha256": _sha256(data), "rows": len(table)}
    manifest = {**meta, "files": entries}
    with atomic_path(directory / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written["manifest.json"] = directory / "manifest.json"
    table = "\n".join(
        f"| `{f}` | {FILES[f]} | {e['rows']:,} | {e['bytes'] / 1e6:.2f} MB | `{e['sha256'][:16]}` |"
        for f, e in entries.items()
    )
    header = "| file | holds | rows | size | sha256 (start) |\n|---|---|---:|---:|---|\n"
    atomic_write_text(directory / "README.md", readme.replace("{manifest}", header + table))
    written["README.md"] = directory / "README.md"
    return written


def _typed(df: pd.DataFrame, schema: dict[str, str], path: Path) -> pd.DataFrame:
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ColumnError(
            f"{path.name} lacks the column(s) {', '.join(missing)}", file=path,
            expected=", ".join(schema), got=", ".join(map(str, df.columns)),
            hint="regenerate the example district: python -m fieldsurvey.district --out DIR",
        )
    out = df.copy()
    for col, dtype in schema.items():
        out[col] = out[col].astype(dtype)
    return out


def read_tables(directory: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Read ``manifest.json`` and every table written by :func:`write_tables`."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            "no example district here: manifest.json is missing", file=manifest_path,
            hint="point at the maps/ directory, or write one: python -m fieldsurvey.district --out DIR",
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        names = list(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"manifest.json is not a district manifest ({exc})", file=manifest_path,
            hint="regenerate the district: python -m fieldsurvey.district --out DIR",
        ) from exc
    unknown = [n for n in names if n not in _SCHEMA]
    if unknown:
        raise InputError(
            "manifest.json names files the example district does not have", file=manifest_path,
            expected=", ".join(_SCHEMA), got=", ".join(unknown),
            hint="regenerate the district: python -m fieldsurvey.district --out DIR",
        )
    tables: dict[str, pd.DataFrame] = {}
    for fname in names:
        path = directory / fname
        if not path.is_file():
            raise InputError(f"{fname} of the example district is missing", file=path,
                             hint="regenerate it: python -m fieldsurvey.district --out DIR")
        schema = _SCHEMA[fname]
        try:
            if fname.endswith(".geojson"):
                gdf = gpd.read_file(path).set_crs(WGS84, allow_override=True)
                tables[fname] = _typed(gdf, schema, path)[[*schema, gdf.geometry.name]]
            else:
                strings = {c: t for c, t in schema.items() if t == "str"}
                df = pd.read_csv(path, dtype=strings, encoding="utf-8")
                tables[fname] = _typed(df, schema, path)[list(schema)]
        except (ValueError, OSError, RuntimeError, pd.errors.ParserError) as exc:
            raise InputError(
                f"{fname} of the example district cannot be read ({exc})", file=path,
                hint="regenerate it: python -m fieldsurvey.district --out DIR",
            ) from exc
    return manifest, tables
