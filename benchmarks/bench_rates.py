"""Benchmark: AAPOR rates for 100,000 cases by 2,000 groups (issue 7); target <= 1 s.

Cases carry detailed final codes as text (``"2.111"``, ``"4.61"``, …, read by prefix), a
group column (e.g. community) and a base weight. The fieldsurvey time is the whole
:func:`fieldsurvey.rates.aapor_rates` call, unweighted and weighted (overall plus every group,
e estimated), best of ``--repeat`` runs.

When ``Rscript`` is on the PATH, the same counts and formulas are timed in base R (``table()``
and vector arithmetic; the ``outcomerate`` package is not on CRAN's Debian mirror here), and
one rate is compared. Run from the repository root:

    .venv/bin/python benchmarks/bench_rates.py [--cases 100000] [--groups 2000]

Exit code 1 when the target is missed.
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

from fieldsurvey.rates import aapor_rates

TARGET = 1.0
CODES = ["1.1", "1.2", "2.111", "2.112", "2.12", "2.23", "2.24", "2.25", "2.31", "2.32",
         "2.333", "3.11", "3.17", "3.18", "3.21", "3.9", "4.1", "4.51", "4.53", "4.61", "4.7"]


def make_cases(n: int, groups: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(len(CODES)) * 2)
    return pd.DataFrame({
        "disposition": pd.array(np.array(CODES)[rng.choice(len(CODES), n, p=p)], dtype="str"),
        "community_id": pd.array([f"C{g:05d}" for g in rng.integers(0, groups, n)], dtype="str"),
        "base_weight": rng.uniform(50, 500, n),
    })


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


R_SCRIPT = textwrap.dedent("""
    args <- commandArgs(TRUE)
    d <- read.csv(args[1], colClasses = c("character", "character", "numeric"))
    t0 <- proc.time()[["elapsed"]]
    code <- d$disposition
    cat <- ifelse(startsWith(code, "1.2"), "P", ifelse(startsWith(code, "1"), "I",
           ifelse(startsWith(code, "2.1"), "R", ifelse(startsWith(code, "2.2"), "NC",
           ifelse(startsWith(code, "2"), "O", ifelse(startsWith(code, "3.1"), "UH",
           ifelse(startsWith(code, "3"), "UO", "NE")))))))
    cat <- factor(cat, levels = c("I", "P", "R", "NC", "O", "UH", "UO", "NE"))
    n <- unclass(table(d$community_id, cat))
    I <- n[, "I"]; P <- n[, "P"]; R <- n[, "R"]; NC <- n[, "NC"]; O <- n[, "O"]
    U <- n[, "UH"] + n[, "UO"]; E <- I + P + R + NC + O
    e <- sum(E) / (sum(E) + sum(n[, "NE"]))
    rates <- cbind(RR1 = I / (E + U), RR2 = (I + P) / (E + U), RR3 = I / (E + e * U),
                   RR4 = (I + P) / (E + e * U), RR5 = I / E, RR6 = (I + P) / E,
                   COOP1 = I / (I + P + R + O), COOP2 = (I + P) / (I + P + R + O),
                   COOP3 = I / (I + P + R), COOP4 = (I + P) / (I + P + R),
                   REF1 = R / (E + U), REF2 = R / (E + e * U), REF3 = R / E,
                   CON1 = (I + P + R + O) / (E + U), CON2 = (I + P + R + O) / (E + e * U),
                   CON3 = (I + P + R + O) / E)
    t1 <- proc.time()[["elapsed"]]
    cat(sprintf("%.4f %.17g\\n", t1 - t0, rates[1, "RR3"]))
""")


def run_r(data: pd.DataFrame) -> tuple[float, float] | None:
    """Time the same counts and formulas in base R (table() + vector arithmetic)."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        d, s = Path(tmp) / "d.csv", Path(tmp) / "r.R"
        data.to_csv(d, index=False)
        s.write_text(R_SCRIPT, encoding="utf-8")
        done = subprocess.run(["Rscript", str(s), str(d)], capture_output=True, text=True,
                              timeout=600, check=False)
        if done.returncode != 0:
            print("R failed:", done.stderr.strip()[-300:])
            return None
        t, rr3 = done.stdout.split()
        return float(t), float(rr3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--groups", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = make_cases(args.cases, args.groups)
    un = best_of(args.repeat, lambda: aapor_rates(data, by="community_id"))
    wt = best_of(args.repeat, lambda: aapor_rates(data, by="community_id", weights="base_weight",
                                                  e_by_group=True))
    table = aapor_rates(data, by="community_id")
    print(f"rates: {args.cases:,} cases, {len(table.groups):,} groups, 16 rates + e each")
    print(f"  unweighted, pooled e:        {un:.3f} s (best of {args.repeat}); target <= {TARGET} s")
    print(f"  base-weighted, e per group:  {wt:.3f} s (best of {args.repeat}); target <= {TARGET} s")
    r = run_r(data)
    if r is None:
        print("  R: not run (no Rscript)")
    else:
        first = table.groups.iloc[0]["RR3"]
        print(f"  base R (table() + the formulas, same data, pooled e): {r[0]:.3f} s; "
              f"ratio R / fieldsurvey = {r[0] / un:.1f}; RR3 of the first group agrees: "
              f"{abs(r[1] - first) < 1e-12}")
    ok = max(un, wt) <= TARGET
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
