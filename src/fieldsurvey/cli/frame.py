"""``fieldsurvey frame``: build the sampling frame, run its self-check, summarise it.

Examples::

    fieldsurvey frame build --boundaries communities.shp --encoding GBK \\
        --dwellings listing.csv --out frame.parquet --report qa.json
    fieldsurvey frame check --boundaries b.geojson --dwellings listing.xlsx
    fieldsurvey frame summary --frame frame.parquet
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import InputError

__all__ = ["register", "run_build", "run_check", "run_summary"]


def _input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--boundaries", required=True, help="community boundaries (GeoJSON, GPKG, SHP, KML)")
    p.add_argument("--dwellings", required=True,
                   help="dwelling listing (CSV, XLSX) or building footprints/points layer")
    p.add_argument("--id-field", default="community_id", help="community id field (default community_id)")
    p.add_argument("--encoding", help="attribute encoding of the boundary file, e.g. GBK")
    p.add_argument("--listing-encoding", help="text encoding of a CSV listing (detected if absent)")
    p.add_argument("--crs", help="CRS of inputs that state none, e.g. EPSG:4490")
    p.add_argument("--listing-crs", help="CRS of the listing's x/y columns or layer")
    p.add_argument("--coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="the listing's lon/lat come from Chinese web maps (GCJ-02 / BD-09)")
    p.add_argument("--boundary-coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="the boundaries were digitised on GCJ-02 / BD-09 web maps")
    p.add_argument("--columns", action="append", default=[], metavar="MAP",
                   help="column mapping: a .toml/.json file or field=column (repeatable)")
    p.add_argument("--sheet", help="spreadsheet sheet name (default: the first)")
    p.add_argument("--dwellings-per-floor", type=float,
                   help="for footprints with only storeys/height: dwellings on each floor")
    p.add_argument("--storey-height", type=float, default=3.0, help="metres per storey (default 3)")
    p.add_argument("--projected-crs", help="metric CRS to work in (default: UTM zone of the data)")
    p.add_argument("--size-field", default="households",
                   help="boundary field with registered households (coverage check)")
    p.add_argument("--report", help="write the self-check as JSON here")
    p.add_argument("--strict", action="store_true", help="fail when the self-check finds errors")


def register(subparsers: Any) -> None:
    """Add ``frame`` and its actions ``build``, ``check``, ``summary``."""
    parser = subparsers.add_parser(
        "frame", help="build and check the sampling frame from boundaries and listings",
        description="Assign listed dwellings to community boundaries, check the listing "
                    "(绘图自查) and write the ordered sampling frame.")
    sub = parser.add_subparsers(dest="frame_command", metavar="ACTION")
    build = sub.add_parser("build", help="build the frame (GeoParquet) and its self-check")
    _input_args(build)
    build.add_argument("--out", required=True, help="frame file to write (.parquet)")
    build.add_argument("--gpkg", help="also write a GeoPackage copy (for QGIS)")
    build.set_defaults(func=run_build)
    check = sub.add_parser("check", help="run the self-check only and print it")
    _input_args(check)
    check.set_defaults(func=run_check)
    summary = sub.add_parser("summary", help="per community: listed, occupied, vacant, coverage")
    summary.add_argument("--frame", required=True, help="frame file from 'frame build'")
    summary.set_defaults(func=run_summary)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _mapping(items: list[str]) -> Any:
    from fieldsurvey.io.columns import load_mapping, parse_mapping_items

    mapping: dict[str, str] = {}
    pairs = []
    for item in items:
        if "=" not in item and Path(item).suffix.lower() in (".toml", ".json"):
            mapping.update(load_mapping(item))
        else:
            pairs.append(item)
    mapping.update(parse_mapping_items(pairs))
    return mapping or None


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "id_field": args.id_field, "encoding": args.encoding,
        "listing_encoding": args.listing_encoding, "crs": args.crs,
        "listing_crs": args.listing_crs, "coords": args.coords,
        "boundary_coords": args.boundary_coords, "columns": _mapping(args.columns),
        "sheet": args.sheet, "dwellings_per_floor": args.dwellings_per_floor,
        "storey_height": args.storey_height, "projected_crs": args.projected_crs,
        "size_field": args.size_field, "strict": args.strict, "report_path": args.report,
    }


def run_build(args: argparse.Namespace) -> int:
    """Build the frame; print the self-check table."""
    from fieldsurvey.cli._ui import err_console, out_console, progress_bar
    from fieldsurvey.frame.build import build_frame

    if Path(args.out).suffix.lower() not in (".parquet", ".geoparquet"):
        raise InputError("the frame is written as GeoParquet", field="--out",
                         expected="a name ending in .parquet", got=args.out)
    with progress_bar() as progress:
        result = build_frame(args.boundaries, args.dwellings, out=args.out, gpkg=args.gpkg,
                             progress=progress, **_options(args))
    out_console.print(result.qa.to_text(width=max(out_console.width, 60)), markup=False, soft_wrap=True)
    err_console.print(f"frame: {len(result):,} dwellings -> {args.out} "
                      f"(fingerprint {result.fingerprint[:12]})", markup=False)
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Run the self-check only; exit 1 when it finds errors."""
    from fieldsurvey.cli._ui import out_console, progress_bar
    from fieldsurvey.frame.build import check_frame

    with progress_bar() as progress:
        qa = check_frame(args.boundaries, args.dwellings, progress=progress, **_options(args))
    out_console.print(qa.to_text(width=max(out_console.width, 60)), markup=False, soft_wrap=True)
    return 1 if qa.has_errors else 0


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.1%}" if pct else f"{int(value):,}"


def run_summary(args: argparse.Namespace) -> int:
    """Print listed, occupied, vacant, registered and coverage per community."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.frame.files import read_frame

    result = read_frame(args.frame)
    table = result.qa.communities
    lines = [(f"{'community':<16}{'name':<14}{'listed':>9}{'occupied':>9}{'vacant':>8}"
              f"{'registered':>11}{'coverage':>10}")]
    for r in table.to_dict(orient="records"):
        name = str(r.get("name") or "")[:12]
        lines.append(f"{str(r['community_id'])[:15]:<16}{name:<14}{_fmt(r['listed']):>9}"
                     f"{_fmt(r['occupied']):>9}{_fmt(r['vacant']):>8}"
                     f"{_fmt(r.get('registered')):>11}{_fmt(r.get('coverage'), True):>10}")
    s = result.qa.summary
    lines.append(f"{len(table)} communities, {s.get('dwellings', 0):,} dwellings; "
                 f"fingerprint {result.fingerprint[:12]}")
    out_console.print("\n".join(lines), markup=False, soft_wrap=True)
    return 0
