r"""``fieldsurvey estimate``: design-based estimates, SEs, CIs and design effects from a file.

Example::

    fieldsurvey estimate --data apiclus2.csv --psu dnum,snum --fpc fpc1,fpc2 \
        --mean api00 --total enroll --prop stype --ratio api.stu/enroll \
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
from typing import TYPE_CHECKING, Any

from fieldsurvey.cli.estimate_inputs import (
    apply_calibration,
    codebook_of,
    drop_missing,
    input_weights,
    labelled_margins,
    list_flag,
)
from fieldsurvey.io.errors import EstimationError, InputError

if TYPE_CHECKING:
    from fieldsurvey.estimate import EstimateTable, ReplicateDesign, SurveyDesign

# as fieldsurvey.estimate's LONELY_PSU_RULES and REPLICATE_TYPES (kept here so that
# --help does not import numpy; tests/test_estimate_cli_calibration.py checks they agree)
LONELY_PSU_RULES = ("fail", "remove", "certainty", "adjust", "average")
REPLICATE_TYPES = ("jk1", "jkn", "bootstrap", "subbootstrap", "mrbbootstrap", "brr")

HELP = "design-based estimates (means, totals, proportions, ratios, quantiles) with SE, CI, deff"


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
    p.add_argument("--ratio", action="append", metavar="NUM/DEN[,NUM/DEN]",
                   help="ratio(s) of totals")
    p.add_argument("--quantile", action="append", metavar="COL:P[,COL:P]",
                   help="quantile(s), e.g. api00:0.5 (R survey's default rule, Woodruff CI)")
    p.add_argument("--prop-ci", choices=("logit", "likelihood", "xlogit", "mean", "asin", "beta",
                                         "wilson"),
                   default="logit",
                   help="interval of --prop (R's svyciprop method; wilson: Wilson's interval "
                   "with the effective sample size); default logit")
    p.add_argument("--qrule", default="math",
                   choices=("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5",
                            "hf6", "hf7", "hf8", "hf9"),
                   help="quantile rule (R's qrule; default math)")
    p.add_argument("--quantile-ci", choices=("mean", "xlogit", "asin", "beta"), default="mean",
                   help="how Woodruff's interval of F(q) is formed (R's interval.type)")
    p.add_argument("--satisfaction", metavar="FORM",
                   help="estimate the indicators the questionnaire FORM declares (each item's "
                   "top-two-box, mean and 0-100 index, the composite index, participation "
                   "and need shares), answers scored by its declaration")
    p.add_argument("--by", metavar="COL[,COL]", help="domain variable(s), as R's svyby")
    p.add_argument("--sae", choices=("fay-herriot",),
                   help="small-area estimates of every --mean by --area: direct means and "
                   "Fay-Herriot EBLUPs (REML, Prasad-Rao MSE), labelled eblup")
    p.add_argument("--area", metavar="COL", help="the area column for --sae (e.g. community_id)")
    p.add_argument("--aux", type=Path, metavar="FILE",
                   help="area auxiliaries for --sae: the area column and numeric covariates")
    p.add_argument("--sae-transform", choices=("none", "arcsin"), default="none",
                   help="arcsin for proportions (a 0/1 --mean), back-transformed by sin^2")
    p.add_argument("--lonely-psu", choices=LONELY_PSU_RULES, default="fail",
                   help="strata with a single PSU (as options(survey.lonely.psu); default fail)")
    p.add_argument("--pps", choices=("brewer", "overton", "hr", "ppsmat"),
                   help="PPS sampling without replacement at stage 1 (R's pps=): --fpc is then "
                   "the PSUs' inclusion probabilities; ppsmat needs --joint")
    p.add_argument("--joint", type=Path, metavar="FILE",
                   help="CSV square matrix of the sample's joint inclusion probabilities (rows "
                   "and columns in the data's row order) for --pps ppsmat")
    p.add_argument("--hr-p2bar", type=float, metavar="X",
                   help="Hartley-Rao: the population's sum of pi^2 / n (default: mean pi)")
    p.add_argument("--pps-variance", choices=("HT", "YG"), default="HT",
                   help="Horvitz-Thompson or Yates-Grundy form (default HT)")
    p.add_argument("--domain-lonely", action="store_true",
                   help="a --by domain in one PSU of a stratum is lonely there (R's "
                   "survey.adjust.domain.lonely=TRUE; acts with --lonely-psu adjust/average)")
    p.add_argument("--replicates", choices=REPLICATE_TYPES,
                   help="replicate-weight variance instead of Taylor linearisation")
    p.add_argument("--repweights", metavar="COL[,COL]",
                   help="replicate analysis-weight columns in the file (wildcards allowed: rw*); "
                   "instead of --psu/--strata/--fpc/--replicates")
    p.add_argument("--rep-type", default="other",
                   choices=("bootstrap", "jk1", "jkn", "brr", "fay", "successive-difference",
                            "acs", "other"),
                   help="type of the --repweights (sets R's default scale; successive-difference "
                   "and acs: 4/R, as R; the Census Bureau's files also say --mse)")
    p.add_argument("--mse", action="store_true",
                   help="replicate variances around the full-sample estimate, not the "
                   "replicates' mean (R's mse=TRUE; what most public-use files with replicate "
                   "weights document)")
    p.add_argument("--rep-scale", "--scale", dest="rep_scale", type=float, metavar="S",
                   help="variance scale of --repweights (R's scale)")
    p.add_argument("--rscales", metavar="R[,R...]",
                   help="per-replicate variance multipliers of --repweights (R's rscales): one "
                   "number for all, or one per replicate column; JKn needs (n_h - 1) / n_h")
    p.add_argument("--rep-rho", type=float, metavar="RHO", help="Fay's rho for --rep-type fay")
    p.add_argument("--n-replicates", type=int, default=50, metavar="B",
                   help="bootstrap replicates (default 50)")
    p.add_argument("--seed", type=int, default=None, help="seed of the bootstrap replicates")
    cal = p.add_mutually_exclusive_group()
    cal.add_argument("--rake", type=Path, metavar="MARGINS",
                     help="rake the weights to this margins file (variable, level, total) and "
                     "keep the raking in the standard errors (R's rake)")
    cal.add_argument("--poststratify", type=Path, metavar="MARGINS",
                     help="post-stratify on the one (a:b crossed) variable of this margins file")
    cal.add_argument("--calibrate", type=Path, metavar="MARGINS",
                     help="linear (GREG) or bounded calibration to this margins file; a "
                     "continuous variable's total has the level (total); without a categorical "
                     "margin give the population size as variable (Intercept), as R's "
                     "calibrate(~x) does")
    cal.add_argument("--calibration", type=Path, metavar="FILE",
                     help="the .calibration.json saved by fieldsurvey weights calibrate: redo "
                     "that calibration from the input weights so the SEs account for it")
    p.add_argument("--cal-vars", metavar="V1,V2", help="use only these margin variables")
    p.add_argument("--calfun", choices=("linear", "raking", "logit"), default="linear",
                   help="distance of --calibrate (default linear; logit needs --bounds)")
    p.add_argument("--bounds", metavar="L,U", help="limits of the calibration factor g, e.g. 0.5,2")
    p.add_argument("--rake-control", metavar="MAXIT,EPS",
                   help="raking stopping rule; 10,1 is R's default (default: to convergence)")
    p.add_argument("--codebook", type=Path, metavar="FILE",
                   help="value labels and special-answer codes (variable, code, label, missing), "
                   "as fieldsurvey export writes; default: codebook_values.csv beside --data")
    p.add_argument("--missing-codes", metavar="C[,C]",
                   help="codes that mean no answer in every analysed column, written with '=' "
                   "when the first is negative: --missing-codes=-8,-9,98,99")
    p.add_argument("--codes", action="store_true",
                   help="show categories by their codes, not their value labels")
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
            raise EstimationError("a quantile is written COL:P with 0 <= P <= 1",
                                  field="--quantile", expected="e.g. api00:0.5",
                                  got=repr(spec))
        out.append((col, p))
    return out


def estimate_table(args: argparse.Namespace) -> EstimateTable:
    """Read the data, build the design and compute every statistic asked for."""
    from fieldsurvey.estimate import (
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
    from fieldsurvey.io.tables import read_table

    data = read_table(args.data, what="respondents table")
    book = codebook_of(args)
    if not 0 < args.level < 1:
        raise EstimationError("the confidence level must be between 0 and 1", field="--level",
                              got=str(args.level))
    means, totals, props = list_flag(args.mean), list_flag(args.total), list_flag(args.prop)
    ratios, quants = _ratios(list_flag(args.ratio)), _quantiles(list_flag(args.quantile))
    ind = None
    if args.satisfaction:
        from fieldsurvey.estimate.tally import form_and_indicators

        ind = form_and_indicators("", args.satisfaction)[1]
        data = ind.scored(data)
    if not (means or totals or props or ratios or quants or ind is not None):
        raise InputError("nothing to estimate",
                         hint="Add --mean, --total, --prop, --ratio or --quantile")
    analysed = [*means, *totals, *props, *(c for r in ratios for c in r),
                *(c for c, _ in quants), *(list_flag([args.by]) if args.by else [])]
    data = drop_missing(data, book, analysed, args)
    data = labelled_margins(data, book, args)
    d: SurveyDesign | ReplicateDesign
    if args.mse and not (args.repweights or args.replicates):
        raise InputError("--mse is a rule of replicate variances", field="--mse",
                         hint="Give it with --repweights or --replicates")
    if args.repweights:
        if args.psu or args.strata or args.fpc or args.replicates:
            raise InputError("--repweights replaces --psu, --strata, --fpc and --replicates",
                             hint="Give either the design or the replicate weight columns")
        cols: list[str] = []
        for pat in list_flag([args.repweights]):
            hits = fnmatch.filter([str(c) for c in data.columns], pat) if "*" in pat else [pat]
            if not hits:
                raise InputError(f"no column matches '{pat}'", file=str(args.data),
                                 field="--repweights")
            cols += [c for c in hits if c not in cols]
        sdr = args.rep_type in ("successive-difference", "acs")
        d = ReplicateDesign.from_columns(data, cols, weights=input_weights(args, data),
                                         type="other" if sdr else args.rep_type,
                                         scale=(4 / len(cols) if sdr and args.rep_scale is None
                                                else args.rep_scale), rho=args.rep_rho,
                                         rscales=_rscales(args.rscales, len(cols)),
                                         mse=args.mse, source=str(args.data))
    else:
        design = SurveyDesign(
            data, ids=list_flag([args.psu]) if args.psu else None,
            strata=list_flag([args.strata]) if args.strata else None,
            weights=input_weights(args, data),
            fpc=list_flag([args.fpc]) if args.fpc else None, nest=args.nest,
            lonely_psu=args.lonely_psu, source=str(args.data),
            adjust_domain_lonely=args.domain_lonely, **_pps(args),
        )
        d = design if not args.replicates else as_replicate(
            design, args.replicates, replicates=args.n_replicates, rng=args.seed, mse=args.mse)
    d = apply_calibration(d, args, data)
    by = list_flag([args.by]) if args.by else None
    kw = {"by": by, "level": args.level}
    table = EstimateTable((), d.variance_method)
    if ind is not None:
        from fieldsurvey.estimate.tally import indicator_table

        table += indicator_table(d, ind, **kw)
    if means:
        table += svymean(means, d, **kw)
    if args.sae:
        sae = _small_areas(args, d, means)
        table = EstimateTable(table.rows + sae.rows, sae.method)
    if totals:
        table += svytotal(totals, d, **kw)
    if props:
        table += svyprop(props, d, method=args.prop_ci, **kw)
    for num, den in ratios:
        table += svyratio(num, den, d, **kw)
    for col, p in quants:
        table += svyquantile(col, d, p, qrule=args.qrule, interval_type=args.quantile_ci, **kw)
    if book and not args.codes:
        from fieldsurvey.estimate.labels import label_estimates

        table = label_estimates(table, book)
    return table


def _small_areas(args: argparse.Namespace, d: SurveyDesign | ReplicateDesign,
                 means: list[str]) -> EstimateTable:
    """``--sae fay-herriot``: direct and model-based area means of every --mean."""
    from fieldsurvey.estimate import EstimateTable
    from fieldsurvey.estimate.sae import small_area_table
    from fieldsurvey.io.tables import read_table

    if not args.area or args.aux is None or not means:
        raise InputError("--sae needs --area COL, --aux FILE and at least one --mean",
                         field="--sae", hint="e.g. --sae fay-herriot --area community_id "
                         "--aux community_aux.csv --mean satisfaction_index")
    if args.by:
        raise InputError("--sae estimates by --area; leave out --by", field="--by")
    aux = read_table(args.aux, what="area auxiliaries")
    rows: list[Any] = []
    method = d.variance_method
    for name in means:
        part = small_area_table(d, name, args.area, aux, transform=args.sae_transform,
                                level=args.level)
        rows += part.rows  # type: ignore[attr-defined]
        method = part.method  # type: ignore[attr-defined]
    return EstimateTable(tuple(rows), method)


def _rscales(text: str | None, n_rep: int) -> list[float] | None:
    """``--rscales``: one number, or one per replicate column."""
    if text is None:
        return None
    try:
        values = [float(v) for v in list_flag([text])]
    except ValueError:
        values = []
    if len(values) not in (1, n_rep) or not all(math.isfinite(v) and v >= 0 for v in values):
        raise InputError("--rscales takes one number >= 0, or one per replicate column",
                         field="--rscales", expected=f"1 or {n_rep} numbers",
                         got=repr(text))
    return values * n_rep if len(values) == 1 else values


def _pps(args: argparse.Namespace) -> dict[str, Any]:
    """The PPS keywords of the design from --pps, --joint, --hr-p2bar, --pps-variance."""
    if args.pps is None:
        if args.joint is not None:
            raise InputError("--joint goes with --pps ppsmat", field="--joint")
        return {}
    kw: dict[str, Any] = {"pps": args.pps, "pps_variance": args.pps_variance,
                          "hr_p2bar": args.hr_p2bar}
    if args.pps == "ppsmat":
        if args.joint is None:
            raise InputError("--pps ppsmat needs --joint FILE", field="--joint",
                             hint="A CSV square matrix of joint inclusion probabilities")
        import pandas as pd

        try:
            joint = pd.read_csv(args.joint, header=None).apply(pd.to_numeric, errors="coerce")
        except (OSError, ValueError) as exc:
            raise InputError("the joint probabilities cannot be read", file=str(args.joint),
                             got=str(exc)[:200]) from None
        if joint.iloc[0].isna().all():  # a header row
            joint = joint.iloc[1:]
        if joint.isna().to_numpy().any():
            raise InputError("the joint probabilities must all be numbers", file=str(args.joint),
                             hint="A square matrix of numbers, optionally with a header row")
        kw["joint"] = joint.to_numpy(dtype=float)
    return kw


def _fmt(v: object, numeric: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN" if numeric and v is not None else ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _width(text: str) -> int:
    """Terminal columns of ``text``: Chinese, Japanese and Korean characters take two."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(table: EstimateTable, fmt: str) -> str:
    """The table as aligned text, CSV or JSON."""
    from fieldsurvey.estimate.results import COLUMNS

    if fmt == "json":
        return table.to_json() + "\n"
    frame = table.to_frame()[list(COLUMNS)]
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.17g")
    numeric = [c in ("estimate", "se", "ci_low", "ci_high") for c in COLUMNS]
    rows = [list(COLUMNS)] + [
        [_fmt(v, k) for v, k in zip(r, numeric, strict=True)] for r in frame.itertuples(index=False)
    ]
    widths = [max(_width(str(r[i])) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(str(c) + " " * (w - _width(str(c)))
                       for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(table)} estimates, {table.method} standard errors)\n"


def run(args: argparse.Namespace) -> int:
    """Run ``fieldsurvey estimate``."""
    from fieldsurvey.cli.main import output_format
    from fieldsurvey.io.atomic import atomic_write_text

    fmt = output_format(args.format, args.output)
    text = render(estimate_table(args), fmt)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
