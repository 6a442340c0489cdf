"""Benchmark: raking 1,000,000 records on three margins (30 cells in all) to tol 1e-10 (issue 7).

Margins: sex (2 levels) x age group (8) x district (20) = 30 margin cells; the data are
string columns as read from a CSV, with unequal input weights. The fieldsurvey time is the
whole :func:`fieldsurvey.weights.rake` call (factorising the columns, checks, IPF on the
cross-classified cell table, case weights), best of ``--repeat`` runs; target <= 2 s.

When ``Rscript`` with the survey package is on the PATH, R's ``rake()`` runs on the same data
(epsilon 1e-10 of the weight total) for comparison, and the weights are compared; with
``--no-peers`` it is skipped. Run from the repository root:

    .venv/bin/python benchmarks/bench_weights.py [--rows 1000000] [--no-peers]

Exit code 1 when the target is missed or the weights disagree with R.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fieldsurvey.weights import rake, trim_weights

TARGET = 2.0


def make_data(n: int, seed: int = 2026) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Synthetic respondents with skewed composition and their population margins."""
    rng = np.random.default_rng(seed)
    sex = np.array(["male", "female"])[rng.choice(2, n, p=[0.42, 0.58])]
    age_levels = [f"a{i}" for i in range(8)]
    age = np.array(age_levels)[rng.choice(8, n, p=np.linspace(1, 2, 8) / np.linspace(1, 2, 8).sum())]
    dist_levels = [f"d{i:02d}" for i in range(20)]
    dist = np.array(dist_levels)[rng.integers(0, 20, n)]
    data = pd.DataFrame({"sex": pd.array(sex, dtype="str"), "age": pd.array(age, dtype="str"),
                         "district": pd.array(dist, dtype="str"),
                         "w": rng.lognormal(3.0, 0.4, n)})
    total = 5e7
    margins = {
        "sex": {"male": 0.5 * total, "female": 0.5 * total},
        "age": dict(zip(age_levels, total * np.full(8, 1 / 8), strict=True)),
        "district": dict(zip(dist_levels, total * np.linspace(2, 1, 20) / np.linspace(2, 1, 20).sum(),
                             strict=True)),
    }
    return data, margins


R_SCRIPT = textwrap.dedent("""
    suppressPackageStartupMessages(library(survey))
    args <- commandArgs(TRUE)
    d <- read.csv(args[1], stringsAsFactors = TRUE)
    m <- read.csv(args[2], stringsAsFactors = FALSE)
    pm <- lapply(c("sex", "age", "district"), function(v) {
      x <- m[m$variable == v, ]; out <- data.frame(x$level, x$total); names(out) <- c(v, "Freq"); out })
    des <- svydesign(ids = ~1, weights = ~w, data = d)
    t0 <- proc.time()[["elapsed"]]
    r <- rake(des, list(~sex, ~age, ~district), pm,
              control = list(maxit = 1000, epsilon = 1e-10))
    t1 <- proc.time()[["elapsed"]]
    cat(sprintf("%.4f\\n", t1 - t0))
    write.csv(data.frame(w = sprintf("%.17g", weights(r))), args[3], row.names = FALSE, quote = FALSE)
""")


def run_r(data: pd.DataFrame, margins: dict[str, dict[str, float]]) -> tuple[float, np.ndarray] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        d, m, o, s = (Path(tmp) / n for n in ("d.csv", "m.csv", "o.csv", "r.R"))
        data.to_csv(d, index=False)
        pd.DataFrame([(v, k, t) for v, lv in margins.items() for k, t in lv.items()],
                     columns=["variable", "level", "total"]).to_csv(m, index=False)
        s.write_text(R_SCRIPT, encoding="utf-8")
        done = subprocess.run(["Rscript", str(s), str(d), str(m), str(o)], capture_output=True,
                              text=True, timeout=1800, check=False)
        if done.returncode != 0:
            print("R failed:", done.stderr.strip()[-500:])
            return None
        return float(done.stdout.split()[-1]), pd.read_csv(o)["w"].to_numpy()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-peers", action="store_true", help="do not run R")
    args = ap.parse_args()
    data, margins = make_data(args.rows)
    cells = sum(len(v) for v in margins.values())
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = rake(data, "w", margins, tol=1e-10)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"rake: {args.rows:,} records, {len(margins)} margins, {cells} cells, tol 1e-10: "
          f"{best:.3f} s (best of {args.repeat}; {res.iterations} sweeps, largest relative "
          f"error {res.max_rel_error:.1e}); target <= {TARGET} s")
    t0 = time.perf_counter()
    trimmed = trim_weights(data, res.weights.to_numpy(), cap=3.5, margins=margins)
    print(f"trim at 3.5 x median and re-rake: {time.perf_counter() - t0:.3f} s "
          f"({trimmed.trimmed} capped, {trimmed.iterations} rounds, converged {trimmed.converged})")
    ok = best <= TARGET
    if not args.no_peers:
        r = run_r(data, margins)
        if r is None:
            print("R survey: not run (no Rscript with survey)")
        else:
            r_time, r_w = r
            diff = float(np.max(np.abs(r_w - res.weights.to_numpy()) / r_w))
            print(f"R survey::rake: {r_time:.3f} s; ratio R / fieldsurvey = {r_time / best:.1f}; "
                  f"largest relative difference of the weights {diff:.1e}")
            ok = ok and diff < 1e-8
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
