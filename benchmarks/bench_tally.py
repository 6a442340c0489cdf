"""Benchmark: the tally screen over a central store of 10,000 interviews x 100 answers (issue 20).

Targets: first draw (from pressing ``y`` on the supervisor screen to the tally tables
filled) <= 1 s; refresh (``r``: the store read again and every figure recomputed) <= 0.5 s.
Also printed: the computation alone (:func:`fieldsurvey.estimate.tally.tally`).

The store is generated inside SQLite by ``benchmarks/bench_store.py``'s ``build_store``
with its 100-question form, in which 12 five-point items form a composite satisfaction
index, 8 more are satisfaction items, 5 select_multiple are needs and one is participation
(the ``indicator`` columns). Run from the repository root::

    .venv/bin/python benchmarks/bench_tally.py [--interviews 10000]

Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import bench_form, build_store  # noqa: E402


def declared_form(path: Path) -> Path:
    """The bench form with indicator columns on some of its questions."""
    bench_form(path)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for j, decl in _DECL.items():
            if line.startswith("- {type:") and f"name: q{j}," in line:
                line = line[:-1] + ", " + decl + "}"
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


_DECL = {
    **{j: "indicator: satisfaction, indicator_direction: ascending, "
          "indicator_index: satisfaction_index" for j in range(1, 13)},
    **{j: "indicator: satisfaction, indicator_direction: ascending" for j in range(13, 21)},
    **{j: "indicator: need" for j in range(81, 86)},
    86: "indicator: participation",
}


async def screen_times(path: Path) -> tuple[float, float]:
    """Seconds to the first filled tally screen, and for a refresh."""
    from fieldsurvey.tui.app import make_app

    app = make_app(path, supervisor=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press("y")
        while getattr(app.screen, "result", None) is None:
            await pilot.pause(0.005)
        first = time.perf_counter() - t0
        screen = app.screen
        before = screen.result
        t0 = time.perf_counter()
        await pilot.press("r")
        while screen.result is before:
            await pilot.pause(0.005)
        refresh = time.perf_counter() - t0
        return first, refresh


def main() -> int:
    """Build the store, time the computation and the screen, print, check the targets."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--interviews", type=int, default=10_000)
    args = ap.parse_args()
    from fieldsurvey.estimate.tally import tally

    with tempfile.TemporaryDirectory() as d:
        form = declared_form(Path(d) / "bench.yaml")
        db = Path(d) / "central.sqlite"
        t0 = time.perf_counter()
        build_store(db, survey="S", device="central", interviewer="w1", n=args.interviews,
                    form=form)
        print(f"store of {args.interviews:,} interviews x 100 answers built in "
              f"{time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        res = tally(db)
        compute = time.perf_counter() - t0
        print(f"tally() computation: {compute:.2f} s ({len(res.estimates):,} estimate rows, "
              f"{res.respondents:,} respondents)")
        first, refresh = asyncio.run(screen_times(db))
    ok = first <= 1.0 and refresh <= 0.5
    print(f"first draw: {first:.2f} s (target <= 1 s); refresh: {refresh:.2f} s "
          f"(target <= 0.5 s) -> {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
