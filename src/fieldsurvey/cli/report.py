"""``fieldsurvey report``: the analysis report (PDF) from the merged store and the weights."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``report`` verb."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="analysis report (PDF): response rates, weights, satisfaction, participation, needs",
        description=(
            "Write the analysis report: AAPOR rates overall, by community and interviewer; "
            "the weights and their design effect; satisfaction by area with confidence "
            "intervals; participation; the ranking of the 31 needs; results by community "
            "type. Every figure states its base and method. Chinese text embeds a TrueType "
            "CJK font (install fonts-wqy-microhei, or pass --font)."
        ),
    )
    p.add_argument("--db", required=True, help="merged field store (central.sqlite)")
    p.add_argument("--weights", required=True,
                   help="final weights (CSV or Parquet from 'fieldsurvey weights')")
    p.add_argument("--out", required=True, help="PDF to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    p.add_argument("--font", help="CJK TrueType font file (FILE or FILE.ttc#N), or STSong-Light")
    p.add_argument("--weight-col", default="weight", help="weight column (default: weight)")
    p.add_argument("--form", help="questionnaire file for labels (default: the store's)")
    p.add_argument("--margins", help="the calibration margins the weights were raked to "
                   "(variable,level,total): the CIs then come from the raked design")
    p.add_argument("--aux", help="community auxiliaries (community_id + numeric columns): "
                   "small-area estimates of the communities' index on the first page")
    p.add_argument("--title", help="report title")
    p.add_argument("--date", help="report date (default: today)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the report; print the font used and a summary on stderr."""
    from fieldsurvey.cli._ui import err_console, progress_bar
    from fieldsurvey.reports.analysis import write_report
    from fieldsurvey.reports.fonts import find_cjk_font

    font = find_cjk_font(args.font)
    with progress_bar() as progress:
        result = write_report(args.db, args.weights, args.out, lang=args.lang, font=font,
                              margins=args.margins, aux=args.aux,
                              weight=args.weight_col, form=args.form, title=args.title,
                              date=args.date, progress=progress)
    err_console.print(font.message, markup=False, soft_wrap=True)  # after success only
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False, soft_wrap=True)
    err_console.print(
        f"wrote {result.path}: {result.pages} pages, {result.figures} figures, "
        f"{result.tables} tables; {result.cases} cases, {result.respondents} respondents",
        markup=False, soft_wrap=True,
    )
    return 0
