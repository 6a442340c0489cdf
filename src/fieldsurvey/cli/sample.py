r"""``fieldsurvey sample``: draw, release reserve, size and simulate a sample design.

Examples::

    fieldsurvey sample draw --stage 1 --communities boundaries.gpkg --design d.toml --out stage1
    fieldsurvey sample draw --stage 2 --frame frame.parquet --selected stage1.csv \
        --design d.toml --out sample
    fieldsurvey sample draw --frame frame.parquet --design d.toml --out sample
    fieldsurvey sample release --sample sample.parquet --community C01 --count 3
    fieldsurvey sample size --moe 0.05 --icc 0.05 --per-community 25 --response 0.6
    fieldsurvey sample simulate --design d.toml --frame frame.parquet --runs 1000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import InputError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``sample`` and its sub-verbs."""
    parser = subparsers.add_parser(
        "sample", help="draw a multi-stage sample, release reserve, size and simulate designs",
        description="Draw a reproducible multi-stage sample from a design file, release "
                    "reserve dwellings, compute sample sizes, and simulate a design.")
    sub = parser.add_subparsers(dest="sample_command", metavar="ACTION")

    draw = sub.add_parser("draw", help="draw communities and/or dwellings")
    draw.add_argument("--design", required=True, help="design file (TOML)")
    draw.add_argument("--frame", help="dwelling frame (GeoParquet from 'frame build', or CSV)")
    draw.add_argument("--communities", help="communities: boundary file or CSV/XLSX table "
                      "(stage 1; with --frame, the one-shot draw takes stage 1 from it)")
    draw.add_argument("--stage", type=int, choices=(1, 2),
                      help="1: communities only; 2: dwellings in --selected communities")
    draw.add_argument("--selected", help="stage-1 sample (CSV or Parquet) for --stage 2")
    draw.add_argument("--seed", type=int, help="seed (overrides the design's)")
    draw.add_argument("--id-field", default=None,
                      help="community id field (default: the design's stage1.id)")
    draw.add_argument("--encoding", help="attribute encoding of the boundary file (e.g. GBK)")
    draw.add_argument("--crs", help="CRS of a boundary file that states none")
    draw.add_argument("--out", default="sample",
                      help="output name: writes NAME.csv, NAME.parquet, NAME.summary.*")
    draw.set_defaults(func=run_draw)

    rel = sub.add_parser("release", help="release the next reserve dwellings of communities")
    rel.add_argument("--sample", required=True, help="sample file (.parquet or .csv)")
    rel.add_argument("--community", action="append", required=True,
                     help="community id (repeat for several)")
    rel.add_argument("--count", type=int, default=1, help="dwellings per community (default 1)")
    rel.add_argument("--note", default="", help="why (kept in the release history)")
    rel.add_argument("--out", help="output name (default: update the sample in place)")
    rel.set_defaults(func=run_release)

    size = sub.add_parser("size", help="interviews, households and communities needed")
    size.add_argument("--moe", type=float, required=True, help="margin of error, e.g. 0.05")
    size.add_argument("--confidence", type=float, default=0.95)
    size.add_argument("--p", type=float, default=0.5, help="expected proportion")
    size.add_argument("--deff", type=float, help="design effect")
    size.add_argument("--icc", type=float, help="intra-class correlation (deff = 1+(b-1)icc)")
    size.add_argument("--per-community", type=int, help="interviews per community b")
    size.add_argument("--eligibility", type=float, default=1.0,
                      help="expected share of eligible dwellings")
    size.add_argument("--response", type=float, default=1.0, help="expected response rate")
    size.add_argument("--population", type=int, help="population size N")
    size.add_argument("--json", action="store_true", help="print JSON")
    size.set_defaults(func=run_size)

    sim = sub.add_parser("simulate", help="draw a design many times and check its probabilities")
    sim.add_argument("--design", required=True, help="design file (TOML)")
    sim.add_argument("--frame", help="dwelling frame")
    sim.add_argument("--communities", help="communities table (stage-1 designs)")
    sim.add_argument("--runs", type=int, default=1000)
    sim.add_argument("--seed", type=int, help="seed of the simulation")
    sim.add_argument("--out", help="write each unit's pi, frequency and z to this CSV")
    sim.set_defaults(func=run_simulate)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run(args: argparse.Namespace) -> int:
    """Dispatch (kept for the verb protocol)."""
    return int(args.func(args))


def _as_text(design: Any) -> tuple[str, ...]:
    """Columns read as text: the stratifiers (codes such as 01) and the measure of size.

    The sampler reads the sizes itself: "1.234" and "1,234" differ only in the text.
    """
    size = design.stage1.size
    return (*design.stratify, *((size,) if size else ()))


def _communities(args: argparse.Namespace, design: Any) -> Any:
    """The --communities table, its id and stratifier columns read as text."""
    from fieldsurvey.sampling.readers import read_communities

    return read_communities(args.communities,
                            id_field=getattr(args, "id_field", None) or design.stage1.id,
                            encoding=getattr(args, "encoding", None),
                            crs=getattr(args, "crs", None), text=_as_text(design))


def _frame_or_communities(args: argparse.Namespace, design: Any) -> Any:
    from fieldsurvey.sampling.readers import read_dwelling_frame

    two_stage = design.stage2 is not None and getattr(args, "stage", None) != 1
    if args.frame and Path(args.frame).is_dir():  # a partitioned frame (--engine dask)
        import pandas as pd

        from fieldsurvey.frame import read_frame

        table = read_frame(args.frame).frame
        frame = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
        frame.attrs.update(table.attrs)
        return frame
    if args.frame:
        return read_dwelling_frame(args.frame, text=(design.stage1.id, *_as_text(design)))
    if args.communities:
        if two_stage:
            raise InputError("a two-stage draw needs the dwelling frame", field="--frame",
                             hint="Give --frame, or --stage 1 to draw communities only")
        return _communities(args, design)
    raise InputError("nothing to draw from", field="--frame",
                     hint="Give --frame (dwelling frame) or --communities")


def run_draw(args: argparse.Namespace) -> int:
    """``sample draw``."""
    from fieldsurvey.cli._ui import err_console, progress_bar
    from fieldsurvey.cli.main import refuse_overwriting_inputs
    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.output import (
        sample_paths,
        sample_summary,
        summary_text,
        unlisted_warning,
        write_sample,
    )
    from fieldsurvey.sampling.readers import draw_from_partitioned, read_selected
    from fieldsurvey.sampling.stages import draw_sample

    refuse_overwriting_inputs(sample_paths(args.out).values(),
                              (args.frame, args.communities, args.selected, args.design))
    design = load_design(args.design)
    selected = None
    if args.stage == 2:
        if not args.selected or not args.frame:
            raise InputError("a stage-2 draw needs --frame and --selected", field="--selected",
                             hint="Give the dwelling frame and the stage-1 sample file")
        selected = read_selected(args.selected)
    two_stage = design.stage2 is not None and args.stage != 1
    partitioned = bool(args.frame) and Path(args.frame).is_dir()  # frame build --engine dask
    data: Any = None if partitioned else _frame_or_communities(args, design)
    communities = None
    if two_stage and args.stage is None and args.frame and args.communities:
        communities = _communities(args, design)
    with progress_bar() as progress:
        if partitioned:  # reads only the parts' rows the draw needs
            sample = draw_from_partitioned(args.frame, design, seed=args.seed,
                                           stage=args.stage, selected=selected,
                                           communities=communities, progress=progress)
        else:
            sample = draw_sample(data, design, seed=args.seed, stage=args.stage,
                                 selected=selected, communities=communities, progress=progress)
    paths = write_sample(sample, args.out, design)
    summary = sample_summary(sample, design)
    print(summary_text(summary), end="")
    err_console.print(f"wrote {paths['csv']}, {paths['parquet']}, {paths['json']}")
    if unlisted_warning(summary):
        err_console.print(unlisted_warning(summary), markup=False, soft_wrap=True)
    return 0


def run_release(args: argparse.Namespace) -> int:
    """``sample release``."""
    from fieldsurvey.cli._ui import err_console
    from fieldsurvey.sampling.output import read_sample, release_history, write_sample
    from fieldsurvey.sampling.release import release_reserve

    sample = read_sample(args.sample)
    new = release_reserve(sample, list(args.community), count=args.count)
    batch = new.attrs["release_batch"]
    out = args.out or args.sample
    history = release_history(args.sample, batch, {c: args.count for c in args.community},
                              note=args.note, out=out)
    new.attrs.pop("release_batch", None)
    paths = write_sample(new, out, extra=history)
    print(f"released batch {batch}: {args.count} dwelling(s) in "
                      f"{', '.join(args.community)}")
    err_console.print(f"wrote {paths['csv']}, {paths['parquet']}")
    return 0


def run_size(args: argparse.Namespace) -> int:
    """``sample size``."""
    from fieldsurvey.sampling.size import sample_size

    res = sample_size(args.moe, args.confidence, args.p, deff=args.deff, icc=args.icc,
                      per_community=args.per_community, eligibility=args.eligibility,
                      response=args.response, population=args.population)
    if args.json:
        print(json.dumps({
            "interviews": res.interviews, "households": res.households,
            "communities": res.communities,
            "households_per_community": res.households_per_community,
            "deff": res.deff, "steps": list(res.steps)}, ensure_ascii=False, indent=2))
        return 0
    print(res.explain(), end="")
    tail = "" if res.communities is None else f", {res.communities} communities"
    print(f"=> {res.interviews} interviews, {res.households} households to "
                      f"issue{tail}")
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """``sample simulate``."""
    from fieldsurvey.cli._ui import progress_bar
    from fieldsurvey.cli.main import refuse_overwriting_inputs
    from fieldsurvey.io.atomic import atomic_path
    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.simulate import simulate_design

    refuse_overwriting_inputs([args.out], (args.frame, args.communities, args.design))
    design = load_design(args.design)
    data = _frame_or_communities(args, design)
    with progress_bar() as progress:
        sim = simulate_design(data, design, runs=args.runs, seed=args.seed, progress=progress)
    for h, n in sim.n.items():
        print(f"stratum {h}: n = {n}, sum of pi = {sim.sum_pi[h]:.6f}")
    worst = sim.units.sort_values(["p_value", "z"], ascending=[True, False],
                                  key=lambda c: c if c.name == "p_value" else c.abs()).head(5)
    print(f"{len(sim.units)} units, {sim.runs} runs: largest |z| {sim.max_abs_z:.2f}, "
          f"largest |frequency - pi| {sim.max_abs_diff:.4f}, smallest p-value x units "
          f"{sim.min_p_adjusted:.3g}")
    print(worst.to_string(index=False))
    if sim.consistent:
        print("consistent with the reported probabilities")
    else:
        print("CHECK: some frequencies depart from pi more than chance explains")
    if args.out:
        with atomic_path(args.out) as tmp:
            sim.units.to_csv(tmp, index=False, encoding="utf-8-sig")
    return 0
