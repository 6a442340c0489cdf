r"""``fieldsurvey frame``: build the sampling frame, run its self-check, summarise it.

Examples::

    fieldsurvey frame build --boundaries communities.shp --encoding GBK \\
        --dwellings listing.csv --out frame.parquet --report qa.json
    fieldsurvey frame check --boundaries b.geojson --dwellings listing.xlsx
    fieldsurvey frame summary --frame frame.parquet
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import InputError

__all__ = [
    "add_boundary_args",
    "boundary_options",
    "register",
    "run_build",
    "run_check",
    "run_summary",
    "summary_lines",
]


def add_boundary_args(p: argparse.ArgumentParser, *, required: bool = True,
                      help_text: str = "community boundaries (GeoJSON, GPKG, SHP, KML)") -> None:
    """The boundary-reading options, the same wherever ``--boundaries`` is accepted."""
    g = p.add_argument_group("reading the boundaries")
    g.add_argument("--boundaries", required=required, help=help_text)
    g.add_argument("--id-field", default="community_id",
                   help="community id field (default community_id, or a field named like "
                   "社区编码 / 社區編碼 / community_code)")
    g.add_argument("--name-field", help="community name field (default: recognised, e.g. 社区名称)")
    g.add_argument("--street-field", help="street (街道) field (default: recognised)")
    g.add_argument("--type-field", help="community type (类型) field (default: recognised)")
    g.add_argument("--size-field",
                   help="registered households field for the coverage check (default: "
                   "recognised, e.g. households / 户数 / 户籍户数)")
    g.add_argument("--boundary-columns", metavar="MAP",
                   help="boundary field mapping: a .toml/.json file (name = \"社区名称\" ...)")
    g.add_argument("--encoding", help="attribute encoding of the boundary file, e.g. GBK or Big5 "
                   "(default: .cpg, .dbf language byte, or detected)")
    g.add_argument("--crs", help="CRS of a boundary file that states none, e.g. EPSG:4490")
    g.add_argument("--boundary-coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="the boundaries were digitised on GCJ-02 / BD-09 web maps")
    g.add_argument("--dissolve", action="store_true",
                   help="merge features that share a community id into one")
    g.add_argument("--layer", help="layer of a multi-layer boundary file (GeoPackage, KML); "
                   "default: its only polygon layer")


def boundary_options(args: argparse.Namespace) -> Any:
    """The :class:`~fieldsurvey.io.boundaries.BoundaryOptions` of :func:`add_boundary_args`."""
    from fieldsurvey.io.boundaries import BoundaryOptions

    return BoundaryOptions(
        id_field=args.id_field, name_field=args.name_field, street_field=args.street_field,
        type_field=args.type_field, size_field=args.size_field, columns=args.boundary_columns,
        encoding=args.encoding, crs=args.crs, coords=args.boundary_coords,
        dissolve=args.dissolve, layer=getattr(args, "layer", None))


def _input_args(p: argparse.ArgumentParser) -> None:
    add_boundary_args(p)
    g = p.add_argument_group("reading the listing")
    g.add_argument("--dwellings", required=True,
                   help="dwelling listing (CSV, XLSX) or building footprints/points layer")
    g.add_argument("--listing-encoding", help="text encoding of a CSV listing (detected if absent)")
    g.add_argument("--listing-crs", help="CRS of the listing's x/y columns or layer "
                   "(default: --crs)")
    g.add_argument("--coords", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="the listing's lon/lat come from Chinese web maps (GCJ-02 / BD-09)")
    g.add_argument("--columns", action="append", default=[], metavar="MAP",
                   help="listing column mapping: a .toml/.json file or field=column (repeatable)")
    g.add_argument("--sheet", help="spreadsheet sheet name (default: the first)")
    g.add_argument("--keep", metavar="EXPR",
                   help="keep only these listing rows / footprints, in the eligible-expression "
                   "language, e.g. \"building in ('residential', 'apartments')\"")
    g.add_argument("--dwellings-per-floor", type=float,
                   help="for footprints with only storeys/height: dwellings on each floor")
    g.add_argument("--storey-height", type=float, default=3.0, help="metres per storey (default 3)")
    g.add_argument("--dwelling-area", type=float, metavar="M2",
                   help="estimate footprints without storeys/height as floor area / M2 "
                   "dwellings (flagged estimated)")
    g.add_argument("--skip-unsized", action="store_true",
                   help="leave out footprints without a count, storeys or height (counted "
                   "in the self-check)")
    g = p.add_argument_group("the frame and its self-check")
    g.add_argument("--projected-crs", help="metric CRS to work in (default: UTM zone of the data)")
    g.add_argument("--report", help="write the self-check as JSON here")
    g.add_argument("--strict", action="store_true", help="fail when the self-check finds errors")


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
    g = build.add_argument_group("large frames (Dask)")
    g.add_argument("--engine", choices=("single", "dask"), default="single",
                   help="dask: build on a Dask cluster and write --out as a partitioned "
                   "GeoParquet directory (--dwellings may be a glob or a directory)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (default "
                   "DASK_SCHEDULER_ADDRESS, else a local cluster)")
    g.add_argument("--workers", type=int, help="local cluster: worker processes (default: cores)")
    g.add_argument("--memory-limit", metavar="SIZE",
                   help="local cluster: memory per worker, e.g. 3GiB (default: RAM / workers)")
    build.set_defaults(func=run_build)
    check = sub.add_parser("check", help="run the self-check only and print it")
    _input_args(check)
    check.set_defaults(func=run_check)
    summary = sub.add_parser("summary", help="per community: listed, occupied, vacant, coverage")
    summary.add_argument("--frame", required=True, help="frame file from 'frame build'")
    summary.add_argument("--wide", action="store_true",
                         help="print ids and names in full (wider than 80 columns)")
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


def _options(args: argparse.Namespace) -> Any:
    from fieldsurvey.frame.options import FrameOptions

    return FrameOptions(
        boundaries=boundary_options(args), listing_encoding=args.listing_encoding,
        listing_crs=args.listing_crs, coords=args.coords, columns=_mapping(args.columns),
        sheet=args.sheet, keep=args.keep, dwellings_per_floor=args.dwellings_per_floor,
        storey_height=args.storey_height, dwelling_area=args.dwelling_area,
        skip_unsized=args.skip_unsized, projected_crs=args.projected_crs, strict=args.strict)


def run_build(args: argparse.Namespace) -> int:
    """Build the frame; print the self-check table."""
    from fieldsurvey.cli._ui import err_console, out_console, progress_bar
    from fieldsurvey.frame.build import build_frame

    if Path(args.out).suffix.lower() not in (".parquet", ".geoparquet"):
        raise InputError("the frame is written as GeoParquet", field="--out",
                         expected="a name ending in .parquet", got=args.out)
    if getattr(args, "engine", "single") == "dask":
        return _run_build_dask(args)
    with progress_bar() as progress:
        result = build_frame(args.boundaries, args.dwellings, _options(args), out=args.out,
                             gpkg=args.gpkg, report_path=args.report, progress=progress)
    out_console.print(
        result.qa.to_text(width=max(out_console.width, 60)), markup=False, soft_wrap=True
    )
    _print_notes(result.qa, err_console)
    err_console.print(f"frame: {len(result):,} dwellings -> {args.out} "
                      f"(fingerprint {result.fingerprint[:12]})", markup=False)
    return 0


def _run_build_dask(args: argparse.Namespace) -> int:
    """``frame build --engine dask`` (fieldsurvey.frame.distributed)."""
    from fieldsurvey.cli._ui import err_console, out_console, progress_bar
    from fieldsurvey.frame.distributed import build_frame_dask

    if args.gpkg:
        raise InputError(
            "--gpkg is not written by the Dask engine: a GeoPackage is one SQLite file that "
            "one process writes row by row, so the workers' parts would be funnelled through "
            "this machine, and for the tens of millions of dwellings the engine is for, QGIS "
            "draws a GeoPackage that size too slowly to use", field="--gpkg",
            hint="Leave --gpkg out and open the parts (frame.parquet/part-*.parquet, "
            "GeoParquet) in QGIS 3.34 or later, or build a city's frame with --engine single "
            "--gpkg")

    def connected(client: Any) -> None:
        import importlib.util

        link = client.dashboard_link if client.scheduler_info().get("services", {}).get(
            "dashboard") else "not running"
        if importlib.util.find_spec("bokeh") is None:
            link += " (its status pages need bokeh: pip install bokeh)"
        err_console.print(f"dask: scheduler {client.scheduler.address}; dashboard {link}",
                          markup=False, soft_wrap=True)

    with progress_bar() as progress:
        result = build_frame_dask(args.boundaries, args.dwellings, _options(args), out=args.out,
                                  report_path=args.report, progress=progress,
                                  scheduler=args.scheduler, workers=args.workers,
                                  memory_limit=args.memory_limit, on_client=connected)
    out_console.print(
        result.qa.to_text(width=max(out_console.width, 60)), markup=False, soft_wrap=True
    )
    _print_notes(result.qa, err_console)
    n = len(result.parts)
    err_console.print(f"frame: {len(result):,} dwellings -> {args.out} ({n} part"
                      f"{'' if n == 1 else 's'}; fingerprint {result.fingerprint[:12]})",
                      markup=False)
    return 0


#: Checks whose message says what to do or what was chosen: printed in full on stderr
#: (the table cuts them to the terminal's width).
_NOTED = ("coordinate_offset", "approximate_datum", "boundary_notes", "unsized_footprints",
          "unknown_status", "filtered_out")


def _print_notes(qa: Any, console: Any) -> None:
    for name in _NOTED:
        try:
            check = qa[name]
        except KeyError:
            continue
        if check.count:
            console.print(f"note ({name}): {check.message}", markup=False, soft_wrap=True)


def run_check(args: argparse.Namespace) -> int:
    """Run the self-check only; exit 1 when it finds errors."""
    from fieldsurvey.cli._ui import err_console, out_console, progress_bar
    from fieldsurvey.frame.build import check_frame

    with progress_bar() as progress:
        qa = check_frame(args.boundaries, args.dwellings, _options(args),
                         report_path=args.report, progress=progress)
    out_console.print(qa.to_text(width=max(out_console.width, 60)), markup=False, soft_wrap=True)
    _print_notes(qa, err_console)
    return 1 if qa.has_errors else 0


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.1%}" if pct else f"{int(value):,}"


def text_width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def fit(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` terminal columns (with … when cut) and padded to it."""
    if width is None:
        return text
    if text_width(text) > width:
        out, used = [], 0
        for c in text:
            w = text_width(c)
            if used + w > width - 1:
                break
            out.append(c)
            used += w
        text = "".join(out) + "…"
    return text + " " * (width - text_width(text))


def summary_lines(table: Any, wide: bool = False) -> list[str]:
    """The per-community table lines.

    80 columns (ids and names cut by display width), or every character with ``wide``.
    """
    rows = table.to_dict(orient="records")
    ids = [str(r["community_id"]) for r in rows]
    names = [str(r.get("name") or "") if r.get("name") is not None else "" for r in rows]
    if wide:
        wid = max([text_width("community"), *map(text_width, ids)]) + 1
        wname = max([text_width("name"), *map(text_width, names)]) + 1
        cut: tuple[int | None, int | None] = (None, None)
    else:  # 13 + 15 + 8 + 9 + 7 + 11 + 9 = 72 columns, 8 to spare
        wid, wname = 13, 15
        cut = (wid - 1, wname - 1)
    head = (fit("community", wid) + fit("name", wname) + f"{'listed':>8}{'occupied':>9}"
            f"{'vacant':>7}{'registered':>11}{'coverage':>9}")
    lines = [head]
    for r, cid, name in zip(rows, ids, names, strict=False):
        lines.append(fit(fit(cid, cut[0]), wid) + fit(fit(name, cut[1]), wname)
                     + f"{_fmt(r['listed']):>8}{_fmt(r['occupied']):>9}{_fmt(r['vacant']):>7}"
                     f"{_fmt(r.get('registered')):>11}{_fmt(r.get('coverage'), True):>9}")
    return lines


def run_summary(args: argparse.Namespace) -> int:
    """Print listed, occupied, vacant, registered and coverage per community."""
    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.frame.files import read_frame

    if Path(args.frame).is_dir():  # a partitioned frame: its _frame.json says it all
        from fieldsurvey.frame.partitions import partitioned_report

        qa, fingerprint = partitioned_report(args.frame)
    else:
        result = read_frame(args.frame)
        qa, fingerprint = result.qa, result.fingerprint
    table = qa.communities
    lines = summary_lines(table, wide=getattr(args, "wide", False))
    s = qa.summary
    lines.append(f"{len(table)} communities, {s.get('dwellings', 0):,} dwellings; "
                 f"fingerprint {fingerprint[:12]}")
    out_console.print("\n".join(lines), markup=False, soft_wrap=True)
    return 0
