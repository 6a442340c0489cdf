"""Start-up time of the command and the package, measured from outside the process.

Each command runs ``--runs`` times in a fresh interpreter (subprocess); the figure is the
median wall time, and its ratio to a bare ``python -c pass`` measured the same way (a ratio
travels between machines and loads better than seconds do). Targets (issue 14):

* ``python -c "import fieldsurvey"``  <= 0.3 s and <= 5x a bare interpreter
* ``fieldsurvey --version`` and ``fieldsurvey --help``  <= 0.3 s
* ``fieldsurvey VERB --help`` for every verb  <= 0.5 s

Byte code is cached as after an install (``PYTHONDONTWRITEBYTECODE`` is dropped for the runs;
the cache goes to a folder in the temporary directory). Run:
``python benchmarks/bench_startup.py [--runs 9] [--verbs rates,sample]``. The exit code
is 1 when a figure misses its target (seconds, or the ratio for the import).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _command() -> list[str]:
    """The installed ``fieldsurvey`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("fieldsurvey")
    if script.is_file():
        return [str(script)]
    found = shutil.which("fieldsurvey")
    return [found] if found else [sys.executable, "-m", "fieldsurvey"]


# As installed: byte code is cached (a shell with PYTHONDONTWRITEBYTECODE=1 would compile every
# module at every start); the cache goes to a private folder, not into the source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "fieldsurvey-bench-pycache")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``runs`` runs of ``argv``.

    The CPU time is what the command costs; the wall time adds the wait for a core, which
    on a loaded machine can be several times more.
    """
    subprocess.run(argv, capture_output=True, check=True, env=ENV)  # warm caches, write .pyc
    wall, cpu = [], []
    for _ in range(runs):
        cpu0, start = _cpu(), time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=ENV)
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu() - cpu0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (default 9)")
    parser.add_argument("--verbs", help="comma-separated verbs (default: every verb)")
    args = parser.parse_args(argv)

    from fieldsurvey.cli.main import COMMANDS

    verbs = args.verbs.split(",") if args.verbs else list(COMMANDS)
    fs = _command()
    bare, bare_cpu = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    rows: list[tuple[str, tuple[float, float], float | None, float | None]] = [
        ('python -c "import fieldsurvey"',
         _median_seconds([sys.executable, "-c", "import fieldsurvey"], args.runs), 0.3, 5.0),
        ("fieldsurvey --version", _median_seconds([*fs, "--version"], args.runs), 0.3, None),
        ("fieldsurvey --help", _median_seconds([*fs, "--help"], args.runs), 0.3, None),
    ]
    for verb in verbs:
        rows.append((f"fieldsurvey {verb} --help",
                     _median_seconds([*fs, verb, "--help"], args.runs), 0.5, None))

    print(f"bare interpreter (python -c pass): {bare:.3f} s wall, {bare_cpu:.3f} s CPU, "
          f"median of {args.runs} runs; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores")
    print(f"{'command':<36} {'wall s':>7} {'x bare':>7} {'CPU s':>7} {'x bare':>7} "
          f"{'target':>12}  ok")
    missed = 0
    for name, (seconds, cpu), limit, ratio_limit in rows:
        ratio = seconds / bare
        target = f"<= {limit:.1f} s" + (f", {ratio_limit:.0f}x" if ratio_limit else "")
        ok = (limit is None or seconds <= limit) and (ratio_limit is None or ratio <= ratio_limit)
        missed += not ok
        print(f"{name:<36} {seconds:>7.3f} {ratio:>7.1f} {cpu:>7.3f} "
              f"{cpu / max(bare_cpu, 1e-3):>7.1f} {target:>12}  {'yes' if ok else 'NO'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
