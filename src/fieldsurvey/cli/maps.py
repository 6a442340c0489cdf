"""``fieldsurvey maps``: print the field maps and assignment sheets of a sample as one PDF."""

from __future__ import annotations

import argparse
from typing import Any

from fieldsurvey.cli.frame import add_boundary_args, boundary_options

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``maps`` verb."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "maps",
        help="print field maps (总图/分图) and assignment sheets as a PDF",
        description=(
            "For each sampled community: an overview map, numbered detail maps when the "
            "community is too large to read on one page, and the assignment sheet with the "
            "Kish grid and a visit record grid. Chinese text embeds a TrueType CJK font "
            "(install fonts-wqy-microhei, or pass --font); without one the standard CID font "
            "STSong-Light is used and not embedded."
        ),
    )
    p.add_argument("--frame", required=True, help="frame (GeoParquet) from 'fieldsurvey frame'")
    p.add_argument("--sample", required=True,
                   help="sample (CSV or Parquet) from 'fieldsurvey sample'")
    p.add_argument("--out", required=True, help="PDF to write")
    add_boundary_args(
        p, required=False,
        help_text="community polygons (any vector file), read with the options below as "
        "'frame build' reads them; default: the boundaries the frame was built on (kept "
        "beside it), else a hull of the dwellings, marked as such on the map")
    p.add_argument("--footprints", help="building footprints (polygons, optional 'building' label)")
    p.add_argument("--roads", help="roads (lines, optional 'name' label)")
    p.add_argument("--compounds", help="compounds/小区 (polygons, optional 'name' label); "
                   "default: hull of each compound's dwellings")
    p.add_argument("--paper", choices=("A4", "A3"), default="A4", help="map paper size")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of printed words")
    p.add_argument("--font", help="CJK TrueType font file (FILE or FILE.ttc#N), or STSong-Light")
    p.add_argument("--team", default="", help="field team name for the title block")
    p.add_argument("--date", help="date for the title block (default: today)")
    p.add_argument("--max-scale", type=int, default=4000,
                   help="smallest map scale 1:N to walk with; larger areas get detail maps "
                   "(default: 4000)")
    p.add_argument("--no-sheets", action="store_true", help="maps only, no assignment sheets")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the PDF; print the font used and notes on stderr."""
    from fieldsurvey.cli._ui import err_console, progress_bar
    from fieldsurvey.reports.fonts import find_cjk_font
    from fieldsurvey.reports.maps import draw_field_maps

    font = find_cjk_font(args.font)
    with progress_bar() as progress:
        result = draw_field_maps(
            args.frame, args.sample, args.out,
            boundaries=args.boundaries, footprints=args.footprints, roads=args.roads,
            compounds=args.compounds,
            paper=args.paper, lang=args.lang, font=font, team=args.team, date=args.date,
            max_scale=args.max_scale, sheets=not args.no_sheets, id_field=args.id_field,
            name_field=args.name_field or "name",  # read as ``name`` by the boundary reader
            boundary_options=boundary_options(args) if args.boundaries else None,
            progress=progress,
        )
    err_console.print(font.message, markup=False, soft_wrap=True)  # after success only
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False, soft_wrap=True)
    err_console.print(
        f"wrote {result.path}: {len(result.communities)} communities, {result.page_count} pages",
        markup=False, soft_wrap=True,
    )
    return 0
