r"""``fieldsurvey assign``: split the sample among interviewers, one store per device.

Example::

    fieldsurvey assign --sample sample.csv --interviewers team.csv --by community \
        --form questionnaires/resident_survey.xlsx --out field/
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``assign`` verb."""
    p = subparsers.add_parser(
        "assign", help="write one field store per interviewer with their assignments",
        description="Allocate the released sample lines to interviewers and write a central "
                    "store plus one device store per interviewer (with the questionnaire).")
    p.add_argument("--sample", required=True, help="sample file (.csv, .xlsx or .parquet)")
    p.add_argument("--interviewers", required=False,
                   help="team file: column 'interviewer', optional 'name' and 'community_id'")
    p.add_argument("--by", choices=("community",),
                   help="give whole communities to one interviewer")
    p.add_argument("--form", help="questionnaire (XLSForm .xlsx or .yaml) to pin in the stores")
    p.add_argument("--survey-id", help="survey id (default: derived from the sample)")
    p.add_argument("--include-unreleased", action="store_true",
                   help="also issue reserve lines that are not released yet")
    p.add_argument("--out", required=False, help="output directory for the .sqlite stores")
    p.add_argument("--add", metavar="CENTRAL", help="add released reserve lines and "
                   "reassignments (an 'interviewer' column) to this running survey's central "
                   "store instead; devices get them at their next sync or pull")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Issue the stores and print who got what."""
    from rich.table import Table

    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.io.errors import ColumnError, FieldsurveyError
    from fieldsurvey.io.schema import SAMPLE_TEXT_COLUMNS
    from fieldsurvey.io.tables import file_row, read_table
    from fieldsurvey.store.issue import issue_stores

    if args.add:  # new work into a running survey (fieldsurvey.store.sync.work)
        from fieldsurvey.cli.sync import print_added

        return print_added(args)
    for flag, value in (("--interviewers", args.interviewers), ("--out", args.out)):
        if not value:
            raise ColumnError(f"assign needs {flag}", field=flag)
    sample = read_table(args.sample, what="sample file", text=SAMPLE_TEXT_COLUMNS)
    team = read_table(args.interviewers, what="team file",
                      text=("interviewer", "community_id", "name"))
    # name the file in the errors the library raises about the tables it is given
    missing = [c for c in ("dwelling_id", "community_id") if c not in sample.columns]
    if missing:
        raise ColumnError("the sample lacks a required column", file=str(args.sample),
                          field=missing[0], got=", ".join(map(str, sample.columns[:12])),
                          hint="Give the sample.csv written by 'fieldsurvey sample draw'")
    if "interviewer" not in team.columns:
        raise ColumnError("the team file has no 'interviewer' column", file=str(args.interviewers),
                          field="interviewer", got=", ".join(map(str, team.columns[:12])),
                          hint="List one interviewer id per row (optionally with community_id)")
    try:
        res = issue_stores(sample, team, args.out, by=args.by, form=args.form,
                           survey_id=args.survey_id, include_unreleased=args.include_unreleased)
    except FieldsurveyError as exc:  # a row of the sample table: name its file
        if exc.file is None and exc.row is not None:
            # the store counts the sample's records 1, 2, ...; a table's messages give the
            # spreadsheet row (header = row 1), one more
            raise replace(exc, file=str(args.sample), row=file_row(exc.row - 1)) from None
        raise
    table = Table(title=f"survey {res.survey_id}: {int(res.counts['cases'].sum())} cases issued")
    for col in ("interviewer", "name", "communities", "cases", "store"):
        table.add_column(col, justify="right" if col in ("communities", "cases") else "left")
    for row in res.counts.itertuples(index=False):
        table.add_row(str(row.interviewer), str(row.name), str(row.communities),
                      str(row.cases), str(row.store))
    out_console.print(table)
    out_console.print(f"central store: {res.central}")
    if res.tokens:  # the team sheet of sync tokens (fieldsurvey sync)
        from fieldsurvey.store.sync.tokens import write_sheet

        sheet = write_sheet(res.central.parent / "tokens.txt", res.tokens)
        out_console.print(f"sync tokens, one per device (keep this file private): {sheet}")
    return 0
