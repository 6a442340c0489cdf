"""``fieldsurvey weights``: final weights from the sample and the dispositions.

Or calibration of any respondent file (``fieldsurvey weights calibrate``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsurvey.cli.main import refuse_overwriting_inputs
from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import ColumnError, InputError, WeightingError

if TYPE_CHECKING:  # numpy, pandas and the weights package are imported when a verb runs
    import numpy as np
    import pandas as pd

    from fieldsurvey.weights import CalibrationResult, WeightDiagnostics
    from fieldsurvey.weights.pipeline import PipelineResult

HELP = "final weights: base, nonresponse and calibration (raking / post-stratification, trimming)"


def _calibration_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--margins", type=Path, metavar="FILE",
                   help="population totals: CSV with columns variable, level, total")
    p.add_argument("--vars", metavar="V1,V2",
                   help="use only these margin variables (e.g. sex,age_group for raking, or "
                   "sex:age_group to post-stratify on the cross-classification)")
    p.add_argument("--method", choices=("rake", "poststratify", "calibrate"), default=None,
                   help="calibration method (default: rake, or calibrate when a margin is a "
                   "continuous total; poststratify takes one variable, a cross-classification "
                   "written a:b; calibrate is linear/GREG or bounded, as R's calibrate)")
    p.add_argument("--calfun", choices=("linear", "raking", "logit"), default="linear",
                   help="distance of --method calibrate (default linear; logit needs --bounds)")
    p.add_argument("--bounds", metavar="L,U",
                   help="limits of the factor new weight / input weight for --method calibrate, "
                   "e.g. 0.5,2")
    trim = p.add_mutually_exclusive_group()
    trim.add_argument("--trim", type=float, metavar="K",
                      help="cap weights at K times the median weight, re-calibrate, repeat")
    trim.add_argument("--trim-quantile", type=float, metavar="Q",
                      help="cap weights at their Q quantile (e.g. 0.99) instead")
    p.add_argument("--trim-lower", type=float, metavar="W",
                   help="after calibrating, raise weights below W to W (R's trimWeights; the "
                   "amount is taken equally from the others)")
    p.add_argument("--trim-upper", type=float, metavar="W",
                   help="after calibrating, cut weights above W to W (R's trimWeights)")
    p.add_argument("--trim-strict", action="store_true",
                   help="repeat --trim-lower/--trim-upper until every weight is within them "
                   "(R's strict=TRUE; default one pass, R's default)")
    p.add_argument("--tol", type=float, default=1e-10, metavar="T",
                   help="relative tolerance on every margin (default: 1e-10)")
    p.add_argument("--max-iter", type=int, default=1000, metavar="N",
                   help="raking sweeps (default: 1000)")
    p.add_argument("--report", type=Path, metavar="FILE",
                   help="also write the diagnostics as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``weights`` verb and its ``calibrate`` sub-command."""
    p = subparsers.add_parser(
        "weights", help=HELP,
        description=HELP + ". Without a sub-command: base weights from the sample, "
        "unknown-eligibility and nonresponse adjustment within weighting classes (collapsed "
        "when small), then calibration to the margins.",
    )
    src = p.add_mutually_exclusive_group()
    p.add_argument("--sample", type=Path, metavar="FILE", help="the sample (CSV) as drawn")
    src.add_argument("--db", type=Path, metavar="STORE",
                     help="merged field store (central.sqlite) with the final dispositions")
    src.add_argument("--dispositions", type=Path, metavar="FILE",
                     help="instead of --db: CSV of cases (dwelling_id, disposition, and the "
                     "respondents' calibration variables)")
    p.add_argument("--class", dest="weight_class", metavar="COL", default="community",
                   help="weighting class column (default: community)")
    p.add_argument("--order", metavar="A,B,...",
                   help="collapsing order of the classes (default: sorted)")
    p.add_argument("--within", metavar="COL",
                   help="never collapse classes across values of COL (e.g. stratum)")
    p.add_argument("--min-respondents", type=int, default=20, metavar="N",
                   help="collapse classes with fewer respondents (default: 20)")
    p.add_argument("--max-factor", type=float, default=3.0, metavar="F",
                   help="collapse classes with a larger adjustment factor (default: 3)")
    p.add_argument("--e", type=float, metavar="VALUE",
                   help="eligible share of unknown cases (default: estimated in each class)")
    _calibration_options(p)
    p.add_argument("--all-cases", action="store_true",
                   help="write every sampled case (weight 0 for non-respondents)")
    p.add_argument("--out", type=Path, metavar="FILE", help="output CSV")
    p.set_defaults(func=run)
    sub = p.add_subparsers(dest="weights_command", metavar="SUBCOMMAND")
    c = sub.add_parser("calibrate", help="calibrate the weights of a respondent file",
                       description="Rake or post-stratify the weights of any respondent file "
                       "to population margins, optionally trimming.")
    c.add_argument("--data", type=Path, required=True, metavar="FILE", help="respondent CSV")
    c.add_argument("--weights", required=True, metavar="COL", help="input weight column")
    _calibration_options(c)
    c.add_argument("--out-col", default="weight", metavar="COL",
                   help="column for the calibrated weights (default: weight)")
    c.add_argument("--out", type=Path, required=True, metavar="FILE", help="output CSV")
    c.add_argument("--design", type=Path, metavar="FILE",
                   help="where to save the calibration for fieldsurvey estimate --calibration "
                   "(default: OUT's name with .calibration.json)")
    c.set_defaults(func=run_calibrate)


def _margins(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The margins file, restricted to ``--vars`` when given."""
    if args.margins is None:
        raise InputError("--margins is required", field="--margins",
                         hint="Give a CSV with columns variable, level, total")
    from fieldsurvey.weights import read_margins

    margins = read_margins(args.margins)
    if args.vars:
        wanted = [v.strip() for v in args.vars.split(",") if v.strip()]
        missing = [v for v in wanted if v not in margins]
        if missing:
            raise WeightingError("the margins file has no such variable", file=str(args.margins),
                                 field=", ".join(missing), expected=", ".join(margins))
        margins = {v: margins[v] for v in wanted}
    return margins


def _bounds(args: argparse.Namespace) -> tuple[float, float]:
    """``--bounds L,U`` as two numbers (no bounds: minus and plus infinity)."""
    import numpy as np

    if not getattr(args, "bounds", None):
        return (-np.inf, np.inf)
    parts = [p.strip() for p in str(args.bounds).split(",")]
    try:
        lo, hi = (float(parts[0]), float(parts[1])) if len(parts) == 2 else (np.nan, np.nan)
    except ValueError:
        lo, hi = np.nan, np.nan
    if not (lo < 1 < hi):
        raise InputError("--bounds takes a lower and an upper limit around 1", field="--bounds",
                         expected="L,U with L < 1 < U, e.g. 0.5,2", got=repr(args.bounds))
    return lo, hi


def _method(args: argparse.Namespace, margins: dict[str, dict[str, float]]) -> str:
    """The calibration method: as given, else calibrate when a margin is continuous."""
    from fieldsurvey.weights.greg import INTERCEPT, is_continuous

    continuous = [v for v, lv in margins.items() if v in INTERCEPT or is_continuous(lv)]
    method = getattr(args, "method", None)
    if method is None:
        method = "calibrate" if continuous or getattr(args, "bounds", None) else "rake"
        args.method = method
    if continuous and method != "calibrate":
        raise WeightingError(
            f"{method} cannot meet a continuous total ({', '.join(continuous)})",
            file=str(args.margins), field="--method", expected="--method calibrate",
            hint="Use --method calibrate (linear/GREG), or give level totals of a "
                 "categorical variable",
        )
    return str(method)


def calibration_spec(args: argparse.Namespace, margins: dict[str, dict[str, float]],
                     input_weights: str, output_weights: str, trimmed: bool) -> dict[str, Any]:
    """What ``fieldsurvey estimate --calibration`` needs to rebuild the calibrated design."""
    import numpy as np

    lo, hi = _bounds(args)
    return {
        "fieldsurvey": "calibration", "version": 1, "method": args.method,
        "input_weights": input_weights, "output_weights": output_weights,
        "margins": margins, "calfun": getattr(args, "calfun", "linear"),
        "bounds": [None if not np.isfinite(lo) else lo, None if not np.isfinite(hi) else hi],
        "tol": args.tol, "max_iter": args.max_iter, "trimmed": trimmed,
    }


def _calibrate(data: pd.DataFrame, weights: str | np.ndarray, args: argparse.Namespace,
               file: str) -> CalibrationResult:
    import numpy as np
    import pandas as pd

    from fieldsurvey.weights import (
        CalibrationResult,
        calibrate,
        poststratify,
        rake,
        trim_weights,
    )

    margins = _margins(args)
    method = _method(args, margins)
    if method == "calibrate":
        if args.trim is not None or args.trim_quantile is not None:
            raise InputError("trimming re-rakes, so it cannot follow linear calibration",
                             field="--trim", hint="Bound the factors with --bounds instead")
        return calibrate(data, weights, margins, calfun=args.calfun, bounds=_bounds(args),
                         file=file)
    if args.method == "poststratify":
        if len(margins) != 1:
            raise WeightingError(
                "post-stratification takes one variable (cross-classify as a:b)",
                file=str(args.margins), field="variable", got=", ".join(margins),
                hint="Choose one with --vars (e.g. --vars sex:age_group), or use --method rake",
            )
        (var, totals), = margins.items()
        result = poststratify(data, weights, var, totals, file=file)
    else:
        result = rake(data, weights, margins, tol=args.tol, max_iter=args.max_iter, file=file)
    bounds_given = args.trim_lower is not None or args.trim_upper is not None
    if bounds_given and (args.trim is not None or args.trim_quantile is not None):
        raise InputError("--trim/--trim-quantile and --trim-lower/--trim-upper are two ways to "
                         "trim; give one", field="--trim")
    if bounds_given:
        from fieldsurvey.weights import trim_bounds

        trimmed = trim_bounds(data, result.weights.to_numpy(), lower=args.trim_lower,
                              upper=args.trim_upper, strict=args.trim_strict, file=file)
        before = result.weights.to_numpy()
        ratio = trimmed.weights.to_numpy() / np.where(before > 0, before, 1.0)
        return CalibrationResult(
            weights=trimmed.weights, method=result.method,
            factors=pd.Series(result.factors.to_numpy() * ratio, index=result.factors.index,
                              name="factor"),
            margins=result.margins, iterations=result.iterations, converged=result.converged,
            max_rel_error=result.max_rel_error, cap=trimmed.cap, trimmed=trimmed.trimmed,
            notes=result.notes + trimmed.notes)
    if args.trim is not None or args.trim_quantile is not None:
        result = trim_weights(data, result.weights.to_numpy(), cap=args.trim,
                              quantile=args.trim_quantile, margins=margins, method=args.method,
                              tol=args.tol, file=file)
    return result


def _print(lines: list[str]) -> None:
    from fieldsurvey.cli._ui import out_console

    for line in lines:
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)


def _calibration_lines(result: CalibrationResult, diag: WeightDiagnostics,
                       method: str) -> list[str]:
    if result.cap is None:
        lines = [(f"{method}: {result.iterations} iteration(s); largest relative error on the "
                  f"margins {result.max_rel_error:.2e}")]
    else:
        lines = [(f"{method}, then trimming at {result.cap:.6g} ({result.trimmed} case(s) "
                  f"capped, {result.iterations} round(s)); largest relative error on the "
                  f"margins {result.max_rel_error:.2e}")]
    lines += [f"warning: {note}" for note in result.notes]
    return lines + diag.lines()


def _check_out(out: Path | None) -> None:
    """The weights are written as CSV: refuse a name that promises another format."""
    if out is not None and out.suffix.lower() in (".parquet", ".xlsx", ".xls", ".json", ".sav",
                                                  ".dta"):
        raise InputError("the weights are written as CSV", file=str(out), field="--out",
                         expected="a name ending in .csv", got=out.suffix,
                         hint="Name the output .csv (convert it afterwards if needed)")


def _write_outputs(frame: pd.DataFrame, out: Path, report: Path | None,
                   payload: dict[str, Any],
                   design: tuple[Path, dict[str, Any]] | None = None) -> None:
    """Write the weights CSV, the optional JSON report and the calibration together."""
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(out))
        frame.to_csv(tmp, index=False, float_format="%.15g", lineterminator="\n")
        if design is not None:
            text = json.dumps(_json_safe(design[1]), ensure_ascii=False, indent=2)
            stack.enter_context(atomic_path(design[0])).write_text(text + "\n", encoding="utf-8")
        if report is not None:
            text = json.dumps(_json_safe(payload), ensure_ascii=False, indent=2, default=str,
                              allow_nan=False)
            stack.enter_context(atomic_path(report)).write_text(text + "\n", encoding="utf-8")


def _json_safe(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become null, numpy scalars Python numbers."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _labelled_margins(data: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Calibration variables as labels when they are coded but their margins name labels.

    The codes of a .sav/.dta (or of an export's codebook) are read as their value labels,
    as ``fieldsurvey estimate`` does.
    """
    from fieldsurvey.cli.estimate_inputs import read_codebook
    from fieldsurvey.estimate.labels import labels_for_margins

    book, _ = read_codebook(args.data)
    if not book.labels or args.margins is None:
        return data
    data, done = labels_for_margins(data, book, _margins(args))
    if done:
        _print([f"{', '.join(done)}: codes read as their value labels, as the margins name "
                "them (written so to the output)"])
    return data


def run_calibrate(args: argparse.Namespace) -> int:
    """``fieldsurvey weights calibrate``."""
    from fieldsurvey.weights import read_case_file, weight_diagnostics

    refuse_overwriting_inputs([args.out, args.report, args.design], (args.data, args.margins))
    _check_out(args.out)
    file = str(args.data)
    data = read_case_file(args.data)
    if args.weights not in data.columns:
        raise ColumnError("the data have no such weight column", file=file, field=args.weights,
                          got=", ".join(map(str, data.columns)))
    data = _labelled_margins(data, args)
    result = _calibrate(data, args.weights, args, file)
    diag = weight_diagnostics(result.weights, data=data, margins=_margins(args),
                              factors={args.method: result.factors})
    out = data.copy()
    out[args.out_col] = result.weights.to_numpy()
    spec_path = args.design or args.out.with_name(args.out.stem + ".calibration.json")
    spec = calibration_spec(args, _margins(args), args.weights, args.out_col,
                            result.cap is not None)
    _write_outputs(out, args.out, args.report,
                   {"method": result.method, "iterations": result.iterations,
                    "converged": result.converged, "cap": result.cap,
                    "trimmed": result.trimmed, "notes": list(result.notes),
                    "diagnostics": diag.to_dict()}, design=(spec_path, spec))
    _print(_calibration_lines(result, diag, args.method) + [
        f"wrote {len(out)} rows to {args.out}",
        f"wrote the calibration to {spec_path} (fieldsurvey estimate --calibration "
        f"{spec_path.name} gives standard errors that account for it)"])
    return 0


def _pipeline_lines(res: PipelineResult, method: str) -> list[str]:
    nr = res.nonresponse
    lines = [f"cases: {len(res.cases)}; respondents: {int(nr.cases['respondent'].sum())}"]
    if res.not_attempted:
        lines.append(f"{res.not_attempted} released case(s) had no disposition: counted as 3.11 "
                     "(not attempted)")
    lines += [f"note: {note}" for note in res.notes]
    lines.append("Weighting classes (collapsing):")
    lines += [f"  {line}" for line in nr.report().splitlines()]
    for name, row in nr.classes.iterrows():
        lines.append(f"  {name}: {int(row['n_respondents'])} respondents of {int(row['n'])}, "
                     f"e {row['e']:.3f}, eligibility x{row['f_eligibility']:.4f}, "
                     f"nonresponse x{row['f_nonresponse']:.4f}")
    lines += _calibration_lines(res.calibration, res.diagnostics, method)
    return lines


def run(args: argparse.Namespace) -> int:
    """``fieldsurvey weights`` (the whole chain)."""
    from fieldsurvey.weights import read_case_file
    from fieldsurvey.weights.pipeline import weight_sample

    refuse_overwriting_inputs([args.out, args.report],
                              (args.sample, args.db, args.dispositions, args.margins))
    _check_out(args.out)
    missing = [f for f, v in (("--sample", args.sample), ("--margins", args.margins),
                              ("--out", args.out)) if v is None]
    margins = _margins(args) if args.margins is not None else {}
    args.method = args.method or "rake"
    if args.method == "calibrate":
        raise InputError("the weighting chain rakes or post-stratifies", field="--method",
                         expected="rake | poststratify",
                         hint="Calibrate its output with fieldsurvey weights calibrate "
                         "--method calibrate")
    if args.db is None and args.dispositions is None:
        missing.append("--db or --dispositions")
    if missing:
        raise InputError("the weights command needs " + ", ".join(missing), field=missing[0],
                         hint="See fieldsurvey weights --help, or use fieldsurvey weights "
                         "calibrate for a respondent file")
    sample = read_case_file(args.sample)
    if args.db is not None:
        from fieldsurvey.cli._ui import err_console
        from fieldsurvey.weights.io import read_store_cases

        store_notes: list[str] = []
        needed = [*(margins or {}), *([args.weight_class] if args.weight_class else [])]
        cases = read_store_cases(args.db, answers=True, notes=store_notes, keep=needed)
        for note in store_notes:
            err_console.print(f"warning: {note}", highlight=False, markup=False,
                              soft_wrap=True)
        cases_file = str(args.db)
    else:
        cases = read_case_file(args.dispositions)
        cases_file = str(args.dispositions)
    res = weight_sample(
        sample, cases, weight_class=args.weight_class, margins=margins,
        method=args.method, order=args.order.split(",") if args.order else None,
        within=args.within,
        min_respondents=args.min_respondents, max_factor=args.max_factor, e=args.e,
        trim=args.trim, trim_quantile=args.trim_quantile, tol=args.tol,
        max_iter=args.max_iter, sample_file=str(args.sample),
        cases_file=cases_file,
    )
    out = res.cases if args.all_cases else res.cases[res.cases["weight"] > 0]
    spec_path = args.out.with_name(args.out.stem + ".calibration.json")
    spec = calibration_spec(args, margins, "w_precalibration", "weight",
                            args.trim is not None or args.trim_quantile is not None)
    _write_outputs(out, args.out, args.report, res.to_dict() if args.report else {},
                   design=(spec_path, spec))
    _print(_pipeline_lines(res, args.method) + [
        f"wrote {len(out)} rows to {args.out}",
        f"wrote the calibration to {spec_path} (fieldsurvey estimate --calibration "
        f"{spec_path.name} gives standard errors that account for it)"])
    return 0
