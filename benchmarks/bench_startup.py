"""Start-up time of the command and the package, measured from outside the process.

Each command runs ``--runs`` times in a fresh interpreter (subprocess); the figure is the
median wall time, and its ratio to a bare ``python -c pass`` measured the same way (a ratio
travels between machines and loads better than seconds do). Targets (issue 14):

* ``python -c "import fieldsurvey"``  <= 0.3 s and <= 5x a bare interpreter
* ``fieldsurvey --version`` and ``fieldsurvey --help``  <= 0.3 s
* ``fieldsurvey VERB --help`` for every verb  <= 0.5 s

Run: ``python benchmarks/bench_startup.py [--runs 9] [--verbs rates,sample]``. The exit code
is 1 when a figure misses its target (seconds, or the ratio for the import).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _command() -> list[str]:
    """The installed ``fieldsurvey`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("fieldsurvey")
    if script.is_file():
        return [str(script)]
    found = shutil.which("fieldsurvey")
    return [found] if found else [sys.executable, "-m", "fieldsurvey"]


def _median_seconds(argv: list[str], runs: int) -> float:
    subprocess.run(argv, capture_output=True, check=True)  # warm the disk cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (default 9)")
    parser.add_argument("--verbs", help="comma-separated verbs (default: every verb)")
    args = parser.parse_args(argv)

    from fieldsurvey.cli.main import COMMANDS

    verbs = args.verbs.split(",") if args.verbs else list(COMMANDS)
    fs = _command()
    bare = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    rows: list[tuple[str, float, float | None, float | None]] = [
        ('python -c "import fieldsurvey"',
         _median_seconds([sys.executable, "-c", "import fieldsurvey"], args.runs), 0.3, 5.0),
        ("fieldsurvey --version", _median_seconds([*fs, "--version"], args.runs), 0.3, None),
        ("fieldsurvey --help", _median_seconds([*fs, "--help"], args.runs), 0.3, None),
    ]
    for verb in verbs:
        rows.append((f"fieldsurvey {verb} --help",
                     _median_seconds([*fs, verb, "--help"], args.runs), 0.5, None))

    print(f"bare interpreter (python -c pass): {bare:.3f} s, median of {args.runs} runs; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'command':<40} {'median s':>9} {'x bare':>7} {'target':>12}  ok")
    missed = 0
    for name, seconds, limit, ratio_limit in rows:
        ratio = seconds / bare
        target = f"<= {limit:.1f} s" + (f", {ratio_limit:.0f}x" if ratio_limit else "")
        ok = (limit is None or seconds <= limit) and (ratio_limit is None or ratio <= ratio_limit)
        missed += not ok
        print(f"{name:<40} {seconds:>9.3f} {ratio:>7.1f} {target:>12}  {'yes' if ok else 'NO'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
