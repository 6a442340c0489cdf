"""``fieldsurvey estimate``: design-based estimates, SEs, CIs and design effects from a file.

Example::

    fieldsurvey estimate --data apiclus2.csv --psu dnum,snum --fpc fpc1,fpc2 \\
        --mean api00 --total enroll --prop stype --ratio api.stu/enroll \\
        --quantile api00:0.5 --by stype --format json

Each statistic flag may be repeated or take a comma-separated list; column names are used
exactly as in the file. JSON is a list of rows with keys
``variable, statistic, domain, level, estimate, se, ci_low, ci_high, deff, n``.
"""

from __future__ import annotations

import argparse
import fnmatch
import math
import sys
from pathlib import Path

from fieldsurvey.estimate import (
    LONELY_PSU_RULES,
    REPLICATE_TYPES,
    EstimateTable,
    ReplicateDesign,
    SurveyDesign,
    as_replicate,
    svymean,
    svyprop,
    svyquantile,
    svyratio,
    svytotal,
)
from fieldsurvey.estimate._io import read_respondents
from fieldsurvey.estimate.results import COLUMNS
from fieldsurvey.io.atomic import atomic_write_text
from fieldsurvey.io.errors import EstimationError, InputError

HELP = "design-based estimates (means, totals, proportions, ratios, quantiles) with SE, CI, deff"


def _list(values: list[str] | None) -> list[str]:
    """Flatten repeated, comma-separated flag values; drop empty items."""
    out: list[str] = []
    for v in values or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``estimate`` verb."""
    p = subparsers.add_parser(
        "estimate", help=HELP,
        description=HELP + ". The design is named as in R's svydesign; standard errors are "
        "Taylor linearisation (or replicate weights) and equal R's survey package.",
    )
    p.add_argument("--data", type=Path, required=True, metavar="FILE",
                   help="respondents: CSV (UTF-8/GBK), Parquet, XLSX, SPSS .sav, Stata .dta")
    p.add_argument("--weights", metavar="COL", help="sampling weight column")
    p.add_argument("--strata", metavar="COL[,COL]", help="stratum column (one per stage)")
    p.add_argument("--psu", metavar="COL[,COL]",
                   help="cluster ids, one per stage (default: every respondent its own PSU)")
    p.add_argument("--fpc", metavar="COL[,COL]",
                   help="finite population correction per stage: population sizes or fractions")
    p.add_argument("--nest", action="store_true", help="cluster ids restart within strata")
    p.add_argument("--mean", action="append", metavar="COL[,COL]", help="weighted mean(s)")
    p.add_argument("--total", action="append", metavar="COL[,COL]", help="weighted total(s)")
    p.add_argument("--prop", action="append", metavar="COL[,COL]",
                   help="proportion of every level of categorical column(s), logit CI")
    p.add_argument("--ratio", action="append", metavar="NUM/DEN[,NUM/DEN]", help="ratio(s) of totals")
    p.add_argument("--quantile", action="append", metavar="COL:P[,COL:P]",
                   help="quantile(s), e.g. api00:0.5 (R survey's default rule, Woodruff CI)")
    p.add_argument("--by", metavar="COL[,COL]", help="domain variable(s), as R's svyby")
    p.add_argument("--lonely-psu", choices=LONELY_PSU_RULES, default="fail",
                   help="strata with a single PSU (as options(survey.lonely.psu); default fail)")
    p.add_argument("--replicates", choices=REPLICATE_TYPES,
                   help="replicate-weight variance instead of Taylor linearisation")
    p.add_argument("--repweights", metavar="COL[,COL]",
                   help="replicate analysis-weight columns in the file (wildcards allowed: rw*); "
                   "instead of --psu/--strata/--fpc/--replicates")
    p.add_argument("--rep-type", default="other",
                   choices=("bootstrap", "jk1", "brr", "fay", "other"),
                   help="type of the --repweights (sets R's default scale)")
    p.add_argument("--rep-scale", type=float, metavar="S", help="variance scale of --repweights")
    p.add_argument("--rep-rho", type=float, metavar="RHO", help="Fay's rho for --rep-type fay")
    p.add_argument("--n-replicates", type=int, default=50, metavar="B",
                   help="bootstrap replicates (default 50)")
    p.add_argument("--seed", type=int, default=None, help="seed of the bootstrap replicates")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--format", choices=("table", "csv", "json"), default=None,
                   help="output format (default: from the --output suffix .csv/.json, else table)")
    p.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=run)


def _ratios(specs: list[str]) -> list[tuple[str, str]]:
    out = []
    for spec in specs:
        num, sep, den = spec.rpartition("/")
        if not sep or not num or not den:
            raise EstimationError("a ratio is written NUM/DEN", field="--ratio",
                                  expected="e.g. api.stu/enroll", got=repr(spec))
        out.append((num, den))
    return out


def _quantiles(specs: list[str]) -> list[tuple[str, float]]:
    out = []
    for spec in specs:
        col, sep, prob = spec.rpartition(":")
        try:
            p = float(prob)
        except ValueError:
            p = float("nan")
        if not sep or not col or not 0 <= p <= 1:
            raise EstimationError("a quantile is written COL:P with 0 <= P <= 1", field="--quantile",
                                  expected="e.g. api00:0.5", got=repr(spec))
        out.append((col, p))
    return out


def estimate_table(args: argparse.Namespace) -> EstimateTable:
    """Read the data, build the design and compute every statistic asked for."""
    data = read_respondents(args.data)
    if not 0 < args.level < 1:
        raise EstimationError("the confidence level must be between 0 and 1", field="--level",
                              got=str(args.level))
    means, totals, props = _list(args.mean), _list(args.total), _list(args.prop)
    ratios, quants = _ratios(_list(args.ratio)), _quantiles(_list(args.quantile))
    if not (means or totals or props or ratios or quants):
        raise InputError("nothing to estimate", hint="Add --mean, --total, --prop, --ratio or --quantile")
    d: SurveyDesign | ReplicateDesign
    if args.repweights:
        if args.psu or args.strata or args.fpc or args.replicates:
            raise InputError("--repweights replaces --psu, --strata, --fpc and --replicates",
                             hint="Give either the design or the replicate weight columns")
        cols: list[str] = []
        for pat in _list([args.repweights]):
            hits = fnmatch.filter([str(c) for c in data.columns], pat) if "*" in pat else [pat]
            if not hits:
                raise InputError(f"no column matches '{pat}'", file=str(args.data),
                                 field="--repweights")
            cols += [c for c in hits if c not in cols]
        d = ReplicateDesign.from_columns(data, cols, weights=args.weights, type=args.rep_type,
                                         scale=args.rep_scale, rho=args.rep_rho,
                                         source=str(args.data))
    else:
        design = SurveyDesign(
            data, ids=_list([args.psu]) if args.psu else None,
            strata=_list([args.strata]) if args.strata else None, weights=args.weights,
            fpc=_list([args.fpc]) if args.fpc else None, nest=args.nest,
            lonely_psu=args.lonely_psu, source=str(args.data),
        )
        d = design if not args.replicates else as_replicate(
            design, args.replicates, replicates=args.n_replicates, rng=args.seed)
    by = _list([args.by]) if args.by else None
    kw = {"by": by, "level": args.level}
    table = EstimateTable((), "taylor" if isinstance(d, SurveyDesign) else d.type)
    if means:
        table += svymean(means, d, **kw)
    if totals:
        table += svytotal(totals, d, **kw)
    if props:
        table += svyprop(props, d, **kw)
    for num, den in ratios:
        table += svyratio(num, den, d, **kw)
    for col, p in quants:
        table += svyquantile(col, d, p, **kw)
    return table


def _fmt(v: object, numeric: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN" if numeric and v is not None else ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def render(table: EstimateTable, fmt: str) -> str:
    """The table as aligned text, CSV or JSON."""
    if fmt == "json":
        return table.to_json() + "\n"
    frame = table.to_frame()[list(COLUMNS)]
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.17g")
    numeric = [c in ("estimate", "se", "ci_low", "ci_high") for c in COLUMNS]
    rows = [list(COLUMNS)] + [
        [_fmt(v, k) for v, k in zip(r, numeric, strict=True)] for r in frame.itertuples(index=False)
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(table)} estimates, {table.method} standard errors)\n"


def run(args: argparse.Namespace) -> int:
    """Run ``fieldsurvey estimate``."""
    from fieldsurvey.cli.main import output_format

    fmt = output_format(args.format, args.output)
    text = render(estimate_table(args), fmt)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
