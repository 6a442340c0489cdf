"""``fieldsurvey export``: analysis tables from a store (CSV, Parquet, Excel, SPSS, Stata).

Example::

    fieldsurvey export --db central.sqlite --format sav --out export/
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``export`` verb."""
    p = subparsers.add_parser(
        "export", help="write interviews, cases, attempts, rosters and paradata tables",
        description="Export a store: one row per interview and one column per question, with "
                    "value and variable labels, plus cases with final dispositions, contact "
                    "attempts, rosters and paradata. Personal data is left out unless "
                    "--include-pii.")
    p.add_argument("--db", required=True, help="store to export (usually the central store)")
    p.add_argument("--format", choices=("csv", "parquet", "xlsx", "sav", "dta"),
                   default="parquet")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--form", help="questionnaire for labels (default: the one in the store)")
    p.add_argument("--language", help="label language (zh, en; default: all, joined by ' / ')")
    p.add_argument("--include-pii", action="store_true",
                   help="keep names, phone numbers, addresses and other sensitive answers")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace personal data by stable pseudonyms instead of leaving it out")
    p.add_argument("--key-file", help="the survey's pseudonymisation key (for --pseudonymise "
                   "of a store that does not hold it; only HQ keeps the key)")
    p.add_argument("--keep-text", help="comma-separated free-text questions that hold no "
                   "personal data (kept; other free text is left out)")
    p.add_argument("--group", action="store_true",
                   help="files readable by your group too (0640; default 0600)")
    p.add_argument("--bom", action="store_true", help="CSV as UTF-8 with BOM (for Excel)")
    p.add_argument("--tables", help="comma-separated subset of "
                   "interviews,cases,attempts,rosters,paradata")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export and list the files."""
    from fieldsurvey.cli._ui import out_console, progress_bar
    from fieldsurvey.store.export import TABLES, export_store

    tables = TABLES if not args.tables else tuple(t.strip() for t in args.tables.split(","))
    with progress_bar() as bar:
        res = export_store(args.db, args.out, format=args.format, form=args.form,
                           include_pii=args.include_pii,
                           pii="pseudonymise" if args.pseudonymise else "drop",
                           language=args.language, bom=args.bom, tables=tables, progress=bar,
                           key_file=args.key_file, group=args.group,
                           safe_text=[t.strip() for t in (args.keep_text or "").split(",")
                                      if t.strip()])
    for name, path in res.files.items():
        n = res.rows.get(name)
        out_console.print(f"{path}" + (f"  ({n} rows)" if n is not None else ""), markup=False)
    handling = {"include": "included", "drop": "left out",
                "pseudonymise": "replaced by pseudonyms"}[res.pii_mode]
    cols = ", ".join(res.pii_columns) or "none found"
    out_console.print(f"personal data {handling}: {cols}", markup=False)
    if res.pii_mode == "include":
        out_console.print("these files hold personal data: keep them private", markup=False)
    out_console.print(f"manifest: {res.manifest}", markup=False)
    return 0
