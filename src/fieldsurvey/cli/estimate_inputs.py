"""Inputs of ``fieldsurvey estimate`` beside the data: codebooks, missing codes, calibrations.

Split from :mod:`fieldsurvey.cli.estimate`: reading a file's value labels and special-answer
codes (``.sav``/``.dta`` labels, an export's ``codebook_values.csv``, ``--missing-codes``),
calibration margins written in labels, and the calibration saved by ``fieldsurvey weights``
(``--calibration``), checked against the weights file it is used with.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import InputError

if TYPE_CHECKING:
    from fieldsurvey.estimate import ReplicateDesign, SurveyDesign
    from fieldsurvey.estimate.labels import Codebook


def list_flag(values: list[str] | None) -> list[str]:
    """Flatten repeated, comma-separated flag values; drop empty items."""
    out: list[str] = []
    for v in values or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def codebook_of(args: argparse.Namespace) -> Codebook:
    """Value labels and missing codes of --data (see :func:`read_codebook`)."""
    book, path = read_codebook(args.data, args.codebook)
    args._codebook_path = path
    return book


def read_codebook(data: Path, codebook: Path | None = None) -> tuple[Codebook, Path | None]:
    """A data file's value labels and missing codes, and the codebook file used (if any).

    The labels of a .sav/.dta, then ``codebook`` (default: ``codebook_values.csv`` beside
    the data, as ``fieldsurvey export`` writes it) for labels and special-answer codes.
    """
    from fieldsurvey.estimate.labels import Codebook, code_text
    from fieldsurvey.io.tables import read_table, table_format

    book = Codebook()
    fmt = table_format(data, what="respondents table")
    if fmt in ("sav", "dta"):
        import pyreadstat

        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        try:
            _, meta = reader(str(data), metadataonly=True)
        except Exception:  # noqa: BLE001 - the data were read; labels are a courtesy
            meta = None
        if meta is not None:
            labels = {str(col): {code_text(k): str(v) for k, v in vl.items()}
                      for col, vl in meta.variable_value_labels.items()}
            book = Codebook(labels, {}, str(data))
    path = codebook
    if path is None:
        beside = Path(data).parent / "codebook_values.csv"
        path = beside if beside.is_file() else None
    if path is not None:
        table = read_table(path, what="codebook", text=True)
        missing_cols = [c for c in ("variable", "code", "label") if c not in table.columns]
        if missing_cols:
            raise InputError("the codebook lacks columns", file=str(path),
                             field=", ".join(missing_cols),
                             expected="variable, code, label and optionally missing (yes/no)",
                             got=", ".join(map(str, table.columns)),
                             hint="Give the codebook_values.csv that fieldsurvey export wrote")
        extra = Codebook.from_values_table(table, str(path))
        book = Codebook({**book.labels, **extra.labels}, {**book.missing, **extra.missing},
                        str(path))
    return book, path


def labelled_margins(data: Any, book: Codebook, args: argparse.Namespace) -> Any:
    """Calibration variables held as codes whose margins are written in their labels."""
    if not book.labels:
        return data
    spec = saved_calibration(args)
    path = args.rake or args.poststratify or args.calibrate
    if spec is not None:
        margins = spec["margins"]
    elif path is not None:
        margins = margins_of(path, args)
    else:
        return data
    from fieldsurvey.estimate.labels import labels_for_margins

    data, done = labels_for_margins(data, book, margins)
    if done:
        print(f"fieldsurvey estimate: {', '.join(done)}: codes read as their value labels, "
              "as the margins name them", file=sys.stderr)
    return data


def drop_missing(data: Any, book: Codebook, columns: list[str],
                  args: argparse.Namespace) -> Any:
    """Special-answer codes of the analysed columns set to missing, and said so on stderr."""
    from fieldsurvey.estimate.labels import drop_missing_codes

    codes = list_flag([args.missing_codes]) if args.missing_codes else []
    for c in codes:
        try:
            float(c)
        except ValueError:
            raise InputError("--missing-codes takes numbers", field="--missing-codes",
                             expected="e.g. --missing-codes=-8,-9,98,99", got=repr(c)) from None
    book = book.with_missing_codes(columns, codes)
    data, counts = drop_missing_codes(data, book, columns)
    if counts:
        where = f" ({args._codebook_path})" if getattr(args, "_codebook_path", None) else ""
        listed = ", ".join(f"{c} {n}" for c, n in counts.items())
        print(f"fieldsurvey estimate: special-answer codes{where} left out as missing: {listed}",
              file=sys.stderr)
    return data


def saved_calibration(args: argparse.Namespace) -> dict[str, Any] | None:
    """The saved calibration (``--calibration``), checked, or None."""
    if args.calibration is None:
        return None
    cached = getattr(args, "_spec", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    path = args.calibration
    if not path.exists():
        raise InputError("the calibration file does not exist", file=str(path),
                         hint="Give the .calibration.json that fieldsurvey weights calibrate wrote")
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("the calibration file is not readable JSON", file=str(path),
                         got=str(exc)[:200]) from None
    if not isinstance(spec, dict) or spec.get("fieldsurvey") != "calibration":
        raise InputError("this is not a calibration saved by fieldsurvey weights", file=str(path),
                         hint="Give the .calibration.json written beside the calibrated weights")
    args._spec = spec
    return spec


def input_weights(args: argparse.Namespace, data: Any) -> str | None:
    """The weight column the design starts from (with --calibration: the input weights)."""
    spec = saved_calibration(args)
    if spec is None:
        return args.weights  # type: ignore[no-any-return]
    inp, out = str(spec["input_weights"]), str(spec["output_weights"])
    if args.weights not in (None, inp):
        raise InputError(
            f"with --calibration the design starts from the input weights '{inp}', not "
            f"'{args.weights}'", file=str(args.calibration), field="--weights", expected=inp,
            got=args.weights,
            hint=f"Leave out --weights (or give --weights {inp}); the calibrated column '{out}' "
            "is rebuilt from it, which is what lets the SEs account for the calibration",
        )
    if inp not in data.columns:
        raise InputError(f"the data lack the input weight column '{inp}' the calibration started "
                         "from", file=str(args.data), field=inp,
                         hint="Estimate from the file fieldsurvey weights calibrate wrote")
    return inp


def margins_of(path: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The margins file, restricted to ``--cal-vars`` when given."""
    from fieldsurvey.weights import read_margins

    margins = read_margins(path)
    if args.cal_vars:
        wanted = list_flag([args.cal_vars])
        missing = [v for v in wanted if v not in margins]
        if missing:
            raise InputError("the margins file has no such variable", file=str(path),
                             field=", ".join(missing), expected=", ".join(margins))
        margins = {v: margins[v] for v in wanted}
    return margins


def cal_bounds(text: str | None) -> tuple[float, float]:
    """``--bounds L,U`` as two numbers (none: minus and plus infinity)."""
    if not text:
        return (-math.inf, math.inf)
    parts = text.split(",")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        lo = hi = math.nan
    if len(parts) != 2 or not lo < 1 < hi:
        raise InputError("--bounds takes a lower and an upper limit around 1", field="--bounds",
                         expected="L,U with L < 1 < U, e.g. 0.5,2", got=repr(text))
    return lo, hi


def apply_calibration(d: SurveyDesign | ReplicateDesign, args: argparse.Namespace,
                      data: Any) -> SurveyDesign | ReplicateDesign:
    """Rake, post-stratify or calibrate the design as the flags (or a saved spec) say."""
    from fieldsurvey.estimate import SurveyDesign

    spec = saved_calibration(args)
    if spec is not None:
        method, margins = str(spec["method"]), spec["margins"]
        lo, hi = spec.get("bounds") or [None, None]
        bounds = (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))
        calfun = str(spec.get("calfun", "linear"))
        control = (int(spec.get("max_iter", 1000)), 1e-13)
    elif args.rake or args.poststratify or args.calibrate:
        path = args.rake or args.poststratify or args.calibrate
        method = "rake" if args.rake else "poststratify" if args.poststratify else "calibrate"
        margins = margins_of(path, args)
        bounds, calfun = cal_bounds(args.bounds), args.calfun
        control = (1000, 1e-13)
    else:
        return d
    if args.rake_control:
        try:
            m, e = args.rake_control.split(",")
            control = (int(m), float(e))
        except ValueError:
            raise InputError("--rake-control is MAXIT,EPSILON", field="--rake-control",
                             expected="e.g. 10,1 (R's default)",
                             got=repr(args.rake_control)) from None
    if method == "rake":
        d = d.rake(margins, maxit=control[0], epsilon=control[1])
    elif method == "poststratify":
        if len(margins) != 1:
            raise InputError("post-stratification takes one variable (cross-classify as a:b)",
                             field="--cal-vars", got=", ".join(margins),
                             hint="Choose one with --cal-vars, or use --rake")
        (var, totals), = margins.items()
        d = d.poststratify(var, totals)
    else:
        d = d.calibrate(margins, calfun=calfun, bounds=bounds)
    if spec is not None and not spec.get("trimmed") and not args.rake_control:
        check_same_weights(d, data, spec, args)
    if spec is not None and spec.get("trimmed") and isinstance(d, SurveyDesign):
        out = str(spec["output_weights"])  # trimmed after calibrating: R's trimWeights keeps
        if out in data.columns:            # the calibration and changes the weights only
            import pandas as pd

            final = pd.to_numeric(data[out], errors="coerce").to_numpy(dtype=float)
            if not (final[~pd.isna(final)] >= 0).all() or pd.isna(final).any():
                raise InputError(f"the calibrated weight column '{out}' has missing or "
                                 "negative values", file=str(args.data), field=out,
                                 hint="Use the file fieldsurvey weights calibrate wrote")
            d.weights = final
    return d


def check_same_weights(d: SurveyDesign | ReplicateDesign, data: Any, spec: dict[str, Any],
                        args: argparse.Namespace) -> None:
    """The redone calibration must give the file's calibrated weights.

    Otherwise the calibration file was saved for another weights file (another sample,
    margins or run) and the estimates would silently use weights the file does not hold.
    """
    import numpy as np
    import pandas as pd

    from fieldsurvey.io.tables import file_row

    out = str(spec["output_weights"])
    if out not in data.columns:
        return
    given = pd.to_numeric(data[out], errors="coerce").to_numpy(dtype=float)
    redone = np.asarray(d.weights, dtype=float)
    if given.shape != redone.shape:
        return
    bad = ~(np.abs(redone - given) <= 1e-6 * np.maximum(np.abs(given), 1e-12))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"the calibration file does not belong to these data: redone from "
            f"'{spec['input_weights']}', it gives weights that differ from the file's "
            f"'{out}' for {int(bad.sum())} of {len(given)} respondents",
            file=str(args.data), row=file_row(i), field=out,
            expected=f"{redone[i]:.10g} (from {args.calibration.name})", got=f"{given[i]:.10g}",
            hint="Give the .calibration.json written beside this weights file by the same run "
            "of fieldsurvey weights, or estimate with --weights "
            f"{out} alone (its SEs then ignore the calibration)")
