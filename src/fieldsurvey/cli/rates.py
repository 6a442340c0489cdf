"""``fieldsurvey rates``: AAPOR response, cooperation, refusal and contact rates."""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from fieldsurvey.io.errors import ColumnError, FieldsurveyError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from fieldsurvey.rates import RateTable

HELP = "AAPOR response, cooperation, refusal and contact rates (overall and by group)"

#: ``--by`` shorthands -> the columns they may name, in order of preference.
BY_ALIASES: dict[str, tuple[str, ...]] = {
    "community": ("community", "community_id"),
    "interviewer": ("interviewer", "interviewer_id"),
    "stratum": ("stratum",),
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``rates`` verb."""
    p = subparsers.add_parser(
        "rates", help=HELP, description=HELP + ". Final disposition codes are AAPOR codes read "
        "by prefix (2.111 counts as 2.11, a refusal). e, the eligible share of the cases of "
        "unknown eligibility, is estimated from the cases of known eligibility unless --e is "
        "given. Rows whose 'released' column is false (reserve not released) are left out.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dispositions", metavar="FILE", type=Path,
                     help="table (CSV, XLSX or Parquet) with one row per case and a column "
                     "of final AAPOR codes")
    src.add_argument("--db", metavar="STORE", type=Path,
                     help="merged field store (central.sqlite): final dispositions of every case")
    p.add_argument("--disposition-col", default="disposition", metavar="COL",
                   help="column of final codes or outcome groups I, P, R, NC, O, UH, UO, NE "
                   "(default: disposition). A table with the columns I P R NC O UH UO NE "
                   "instead is read as counts, one row per survey or group (an e column "
                   "there gives each row's e)")
    p.add_argument("--count-col", metavar="COL",
                   help="each row is a code with this many cases (a disposition table, as "
                   "the AAPOR calculator takes it)")
    p.add_argument("--by", metavar="COL",
                   help="rates per group: community, interviewer, stratum or any column")
    p.add_argument("--e", type=float, metavar="VALUE",
                   help="eligible share of unknown-eligibility cases (default: estimated)")
    p.add_argument("--e-by-group", action="store_true",
                   help="with --by: estimate e within each group instead of from all cases")
    p.add_argument("--weighted", action="store_true", help="weight cases by their base weight")
    p.add_argument("--weight-col", default="base_weight", metavar="COL",
                   help="base weight column for --weighted (default: base_weight)")
    p.add_argument("--format", choices=("table", "csv", "json"), default=None,
                   help="output format (default: from the --out suffix .csv/.json, else table)")
    p.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def _read_store(path: Path) -> pd.DataFrame:
    """One row per case of a field store, with its final disposition.

    Warns on stderr when the store is one device's rather than the merged central store.
    """
    from fieldsurvey.weights.io import read_store_cases

    notes: list[str] = []
    cases = read_store_cases(path, notes=notes)
    for note in notes:
        print(f"fieldsurvey rates: warning: {note}", file=sys.stderr)
    return cases


def _resolve_by(data: pd.DataFrame, by: str | None, file: str) -> str | None:
    if by is None or by in data.columns:
        return by
    for col in BY_ALIASES.get(by, ()):
        if col in data.columns:
            return col
    raise ColumnError("there is no such grouping column", file=file, field=by,
                      got=", ".join(map(str, data.columns)),
                      hint="Use --by community, interviewer, stratum or a column of the file")


def _is_wide_counts(data: pd.DataFrame, disposition: str) -> bool:
    """A table of counts per outcome group (columns I … NE) rather than one row per case."""
    from fieldsurvey.rates import COUNT_NAMES

    return disposition not in data.columns and all(c in data.columns for c in COUNT_NAMES)


def _wide_counts(data: pd.DataFrame, by: str | None, e: float | None, file: str) -> RateTable:
    """Rates of every row of a counts table (and of their sum, as ``overall``)."""
    import numpy as np
    import pandas as pd

    from fieldsurvey.io.tables import file_row
    from fieldsurvey.rates import COUNT_NAMES, RateTable, estimate_e, rates_from_counts

    counts = data[list(COUNT_NAMES)].apply(pd.to_numeric, errors="coerce")
    bad = counts.isna() | (counts < 0)
    if bad.to_numpy().any():
        i, j = (int(v[0]) for v in np.nonzero(bad.to_numpy()))
        raise InputError("a count of an outcome group is missing, negative or not a number",
                         file=file, row=file_row(i), field=COUNT_NAMES[j],
                         expected="a number >= 0 (0 when no case ended so)",
                         got=repr(data[COUNT_NAMES[j]].iloc[i]))
    if by is None:
        rest = [c for c in data.columns if c not in COUNT_NAMES and c != "e"]
        by = rest[0] if rest else None
    labels = data[by].astype(str) if by is not None else pd.Series(
        [str(file_row(i)) for i in range(len(data))])
    counts.index = pd.Index(labels.to_numpy(), name=by or "row")
    row_e: float | np.ndarray | None = e
    basis = f"given: e = {e:g}" if e is not None else ""
    if e is None and "e" in data.columns:
        row_e = pd.to_numeric(data["e"], errors="coerce").to_numpy(dtype=float)
        if np.isnan(row_e).any() or ((row_e < 0) | (row_e > 1)).any():
            i = int(np.flatnonzero(np.isnan(row_e) | (row_e < 0) | (row_e > 1))[0])
            raise InputError("e must lie between 0 and 1", file=file, row=file_row(i),
                             field="e", got=repr(data["e"].iloc[i]))
        basis = "given per row (the file's e column); overall: proportional estimate"
    elif e is None:
        basis = "proportional (CASRO) estimate within each row, e = (I+P+R+NC+O) / " \
            "(I+P+R+NC+O+NE)"
    whole = counts.sum().to_frame().T
    e_all = e if e is not None else float(estimate_e(whole)[0])
    weighted = bool((counts.to_numpy() != np.round(counts.to_numpy())).any())
    if not weighted:
        counts = counts.astype("int64")
        whole = whole.astype("int64")
    counts["n"] = counts.sum(axis=1)
    whole["n"] = whole.sum(axis=1)
    overall = pd.concat([whole.iloc[0], rates_from_counts(whole, e_all).iloc[0]])
    groups = pd.concat([counts, rates_from_counts(counts[list(COUNT_NAMES)], row_e)], axis=1)
    return RateTable(overall=overall, groups=groups, by=by or "row", e_basis=basis,
                     weighted=weighted)


def _csv(table: RateTable) -> str:
    from fieldsurvey.rates import COUNT_NAMES, RATE_NAMES

    frame = table.to_frame()
    frame.index.name = table.by or "group"
    frame = frame[[*COUNT_NAMES, "n", "e", *RATE_NAMES]]
    if not table.weighted:
        frame[[*COUNT_NAMES, "n"]] = frame[[*COUNT_NAMES, "n"]].astype("int64")
    buf = io.StringIO()
    frame.to_csv(buf, float_format="%.10g", lineterminator="\n")
    return buf.getvalue()


def _print_table(table: RateTable) -> None:
    """Narrow tables: counts; response; cooperation; refusal and contact rates."""
    import pandas as pd
    from rich.table import Table

    from fieldsurvey.cli._ui import out_console
    from fieldsurvey.rates import COUNT_NAMES, RATE_NAMES

    frame = table.to_frame()
    weighted = ", base-weighted" if table.weighted else ""
    sections = [
        (f"Final dispositions{' (sums of base weights)' if table.weighted else ''}",
         ["n", *COUNT_NAMES]),
        (f"Response rates (%){weighted}", ["e", "RR1", "RR2", "RR3", "RR4", "RR5", "RR6"]),
        (f"Cooperation rates (%){weighted}", ["COOP1", "COOP2", "COOP3", "COOP4"]),
        (f"Refusal and contact rates (%){weighted}",
         ["REF1", "REF2", "REF3", "CON1", "CON2", "CON3"]),
    ]

    def cell(col: str, v: float) -> str:
        if pd.isna(v):
            return "-"
        if col == "e":
            return f"{v:.3f}"
        if col in RATE_NAMES:
            return f"{100 * v:.1f}"
        if col == "n" or not table.weighted:
            return f"{int(v):,}"
        return f"{v:,.1f}"

    for title, cols in sections:
        t = Table(title=title, title_justify="left")
        t.add_column(table.by or "", no_wrap=True)
        for name in cols:
            t.add_column(name, justify="right", no_wrap=True)
        for label, row in frame.iterrows():
            t.add_row(str(label), *[cell(c, float(row[c])) for c in cols],
                      end_section=label == "overall" and table.groups is not None)
        out_console.print(t)
    out_console.print(f"e: {table.e_basis}.")
    out_console.print("RR5/RR6, REF3 and CON3 assume that no case of unknown eligibility is "
                      "eligible; report them only when that is justified.")


def run(args: argparse.Namespace) -> int:
    """Compute and print (or write) the rates."""
    import numpy as np

    from fieldsurvey.cli.main import output_format, refuse_overwriting_inputs
    from fieldsurvey.io.atomic import atomic_write_text
    from fieldsurvey.io.tables import file_row, read_table
    from fieldsurvey.rates import aapor_rates

    refuse_overwriting_inputs([args.out], (args.db, args.dispositions))
    args.format = output_format(args.format, args.out)
    if args.db is not None:
        data = _read_store(args.db)
        file = str(args.db)
    else:
        data = read_table(args.dispositions, what="dispositions file", text=True)
        file = str(args.dispositions)
    if data.empty:
        raise InputError("there are no cases", file=file, hint="Give a file with one row per case")
    dropped = 0
    if "released" in data.columns:  # reserve lines not released are not part of the sample
        flag = data["released"].astype(str).str.strip().str.lower()
        unreleased = flag.isin(["false", "0", "no", "f"]).to_numpy()
        dropped = int(unreleased.sum())
        data = data[~unreleased]
        if data.empty:
            raise InputError("no case is released", file=file, field="released",
                             hint="Release the sample before computing rates")
    if "dwelling_id" in data.columns:
        dup = data["dwelling_id"].duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise InputError(
                "a case appears more than once; rates need one final disposition per case",
                file=file, row=file_row(int(data.index[i])), field="dwelling_id",
                got=str(data["dwelling_id"].iloc[i]),
                hint="Give each case's final code (the most informative outcome of its "
                "attempts), not the attempt history; or use --db, which derives it",
            )
    by = _resolve_by(data, args.by, file)
    if args.e_by_group and args.e is not None:
        raise InputError("--e-by-group estimates e, so it cannot go with --e", field="--e")
    try:
        if _is_wide_counts(data, args.disposition_col):
            table = _wide_counts(data, by, args.e, file)
        else:
            table = aapor_rates(
                data, disposition=args.disposition_col, by=by,
                weights=args.weight_col if args.weighted else None, e=args.e,
                e_by_group=args.e_by_group, file=file, counts=args.count_col,
            )
    except FieldsurveyError as err:  # a position among the kept rows -> the file's row
        if err.row is None or dropped == 0:
            raise
        kept = err.row - file_row(0)  # position among the kept rows
        raise replace(err, row=file_row(int(data.index[kept]))) from None
    if dropped:
        print(f"fieldsurvey rates: {dropped} reserve line(s) not released were left out.",
              file=sys.stderr)
    if args.format == "table" and args.out is None:
        _print_table(table)
        return 0
    if args.format == "json":
        text = json.dumps(table.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = _csv(table)
    else:
        text = table.to_frame().to_string() + f"\n\ne: {table.e_basis}.\n"
    if args.out is not None:
        atomic_write_text(args.out, text)
    else:
        sys.stdout.write(text)
    return 0
