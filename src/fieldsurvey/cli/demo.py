"""``fieldsurvey demo``: the whole method on the embedded example district."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``demo`` verb."""
    p = subparsers.add_parser(
        "demo", help="run the whole method on the example district",
        description="Generate the example district, build and check its frame, draw the "
                    "sample, print field maps, issue device stores, and show every output.")
    p.add_argument("--out", default="fieldsurvey-demo",
                   help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=int, default=20261121, help="seed (default: %(default)s)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="size of the district, 1.0 = full example (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the self-check, the headline figures and the outputs."""
    from rich.table import Table

    from fieldsurvey.cli._ui import out_console, progress_bar
    from fieldsurvey.example.demo import run_demo

    with progress_bar() as progress:
        result = run_demo(args.out, seed=args.seed, scale=args.scale, progress=progress)
    out_console.rule("绘图自查 self-check")
    if result.qa is not None:
        out_console.print(result.qa.to_text(width=out_console.width), soft_wrap=True)
    out_console.rule("fieldsurvey demo")
    figures = Table(show_header=False, box=None)
    for key, value in result.figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        figures.add_row(key.replace("_", " "), str(value))
    out_console.print(figures)
    outputs = Table("output", "path", box=None)
    for key, path in result.outputs.items():
        outputs.add_row(key, str(path))
    out_console.print(outputs)
    for note in result.notes:
        out_console.print(note)
    total = sum(result.timings.values())
    out_console.print(f"done in {total:.1f} s: " + ", ".join(
        f"{k} {v:.1f} s" for k, v in result.timings.items()))
    return 0
