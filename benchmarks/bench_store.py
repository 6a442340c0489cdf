"""Benchmarks of the field store (issue 5).

Targets: ``set_answer`` p99 <= 5 ms on this machine's disk; export 100,000 interviews x
100 answers to Parquet <= 30 s; merge 20 device stores of 5,000 interviews (x 100
answers) each <= 30 s.

Big stores are generated inside SQLite (recursive CTEs), not through the API, so that
building them takes seconds; their rows are exactly what the API writes (same tables,
versions, events). Run::

    .venv/bin/python benchmarks/bench_store.py [set_answer|export|merge|all] [--dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fieldsurvey.store import FieldStore
from fieldsurvey.store.export import export_store
from fieldsurvey.store.merge import merge_stores

N_Q = 100  # answers per interview
T0_US = 1_777_000_000_000_000  # 2026-04-24 in microseconds


def bench_form(path: Path) -> Path:
    """A bilingual YAML form with 100 questions: 60 five-point select_one, 20 integer,
    10 select_multiple (7 choices), 10 text (2 of them sensitive)."""
    lines = ["settings: {form_id: bench, version: '1', default_language: zh}",
             "languages: [zh, en]", "special_answers:",
             "- {code: -8, name: dont_know, label: {zh: 不知道, en: Don't know}}",
             "- {code: -9, name: refused, label: {zh: 拒绝回答, en: Refused}}",
             "choices:", "  sat:"]
    for c, (zh, en) in enumerate([("非常不满意", "Very dissatisfied"), ("不太满意", "Rather no"),
                                  ("一般", "Neutral"), ("比较满意", "Rather yes"),
                                  ("非常满意", "Very satisfied")], start=1):
        lines.append(f"  - {{name: '{c}', label: {{zh: {zh}, en: {en}}}}}")
    lines.append("  act:")
    for c in range(1, 8):
        lines.append(f"  - {{name: '{c}', label: {{zh: 活动{c}, en: Activity {c}}}}}")
    lines.append("survey:")
    for j in range(1, N_Q + 1):
        kind, extra = _qtype(j)
        lines.append(f"- {{type: {kind}, name: q{j}, label: {{zh: 问题{j}, en: Question {j}}}"
                     f"{extra}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _qtype(j: int) -> tuple[str, str]:
    if j <= 60:
        return "select_one sat", ""
    if j <= 80:
        return "integer", ""
    if j <= 90:
        return "select_multiple act", ""
    return "text", (", sensitive: true" if j > 98 else "")


def _value_sql(j: int) -> tuple[str, str]:
    """SQL for the value and vtype of question j of interview i (deterministic)."""
    if j <= 60:
        return ((f"CASE WHEN (i * {j}) % 37 = 0 THEN -8 ELSE CAST(((i * {j}) % 5) + 1 AS "
                 "TEXT) END"), f"CASE WHEN (i * {j}) % 37 = 0 THEN 'x:dont_know' ELSE 's' END")
    if j <= 80:
        return f"(i * {j}) % 90", "'i'"
    if j <= 90:
        return f"'[\"' || ((i + {j}) % 7 + 1) || '\",\"' || ((i * {j}) % 7 + 1) || '\"]'", "'l'"
    return f"'答案 ' || i || ' ' || {j}", "'s'"


def build_store(path: Path, *, survey: str, device: str, interviewer: str, n: int,
                first: int = 0, n_q: int = N_Q, form: Path | None = None) -> None:
    """Fill a new store with ``n`` completed interviews of ``n_q`` answers each."""
    s = FieldStore.create(path, survey_id=survey, device_id=device, interviewer=interviewer,
                          pii_salt="bench")
    if form is not None:
        s.add_form(form.read_bytes(), form_id="bench", version="1", filename=form.name)
    s.close()
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA synchronous = OFF")
    c.execute("PRAGMA foreign_keys = ON")
    c.execute("BEGIN")
    seq0 = c.execute("SELECT coalesce(max(seq), 0) FROM events WHERE device_id = ?",
                     (device,)).fetchone()[0]
    cte = f"WITH RECURSIVE r(i) AS (SELECT {first + 1} UNION ALL SELECT i + 1 FROM r " \
          f"WHERE i < {first + n})"
    t = "'2026-05-01T09:00:00.000+00:00'"
    c.execute(f"""{cte} INSERT INTO assignments (dwelling_id, community_id, stratum, line,
        replicate, released, release_batch, kish_table, pi_1, pi_2, pi, base_weight, address,
        interviewer, form_id, form_version, assigned_at, ver_hlc, ver_device, ver_seq)
        SELECT 'D' || i, 'C' || (i % 40), 'S' || (i % 4), i, 0, 1, 0, 'A', 0.5, 0.02, 0.01,
               100.0, 'addr ' || i, '{interviewer}', 'bench', '1', {t}, {T0_US} + i, 'central',
               i FROM r""")
    c.execute(f"""{cte} INSERT INTO interviews (uuid, dwelling_id, form_id, form_version,
        device_id, interviewer, started_at, status, outcome, completed_at, st_hlc, st_device,
        st_seq, review_state)
        SELECT printf('%08x-0000-4000-8000-%012x', {abs(hash(device)) % 2**31}, i), 'D' || i,
               'bench', '1', '{device}', '{interviewer}', {t}, 'completed', '1.1', {t},
               {T0_US} + i * 1000 + 999, '{device}', {seq0} + i * ({n_q} + 2), 'pending'
        FROM r""")
    c.execute(f"""{cte} INSERT INTO attempts SELECT '{device}:' || ({seq0} + i * ({n_q} + 2)
        + 1), 'D' || i, {t}, {T0_US} + i * 1000, '{interviewer}', 'in_person', '1.1', NULL,
        NULL, '{device}' FROM r""")
    for j in range(1, n_q + 1):
        val, vt = _value_sql(j)
        c.execute(f"""{cte}, x AS (SELECT i, {val} AS v, {vt} AS vt FROM r)
            INSERT INTO answers SELECT 'q{j}', '', iv.iid, x.v, x.vt,
                   {T0_US} + x.i * 1000 + {j}, '{device}', {seq0} + x.i * ({n_q} + 2) + 1 + {j}
            FROM x JOIN interviews iv ON iv.dwelling_id = 'D' || x.i""")
    c.execute(f"""INSERT INTO events SELECT a.ver_device, a.ver_seq, a.ver_hlc, {t},
        '{interviewer}', 'set', i.dwelling_id, i.uuid, a.question, a.instance, a.value, a.vtype,
        NULL FROM answers a JOIN interviews i ON i.iid = a.iid""")
    c.execute(f"""INSERT INTO events SELECT '{device}', st_seq, st_hlc, {t}, interviewer,
        'complete', dwelling_id, uuid, NULL, NULL, '1.1', 's', NULL FROM interviews""")
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def bench_set_answer(d: Path, n: int = 3000) -> dict[str, float]:
    store = FieldStore.create(d / "lat.sqlite", survey_id="B", interviewer="w")
    store.assign([{"dwelling_id": "D1", "community_id": "C1"}], form_id="bench",
                 form_version="1")
    uuid = store.start_interview("D1")
    times = np.empty(n)
    for k in range(n):
        t = time.perf_counter()
        store.set_answer(uuid, f"q{k % 100 + 1}", k)
        times[k] = time.perf_counter() - t
    store.close()
    ms = times * 1000
    return {"n": n, "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max())}


def bench_export(d: Path, n: int = 100_000) -> dict[str, float]:
    form = bench_form(d / "bench.yaml")
    t = time.perf_counter()
    build_store(d / "big.sqlite", survey="B", device="dev-big", interviewer="w", n=n,
                form=form)
    built = time.perf_counter() - t
    t = time.perf_counter()
    res1 = export_store(d / "big.sqlite", d / "export1", format="parquet",
                        tables=["interviews"])
    only = time.perf_counter() - t
    t = time.perf_counter()
    res = export_store(d / "big.sqlite", d / "export", format="parquet")
    took = time.perf_counter() - t
    return {"interviews": res1.rows["interviews"], "paradata_rows": res.rows["paradata"],
            "build_s": built, "interviews_s": only, "export_s": took,
            "size_mb": (d / "big.sqlite").stat().st_size / 1e6}


def bench_merge(d: Path, stores: int = 20, n: int = 5000, n_q: int = N_Q,
                check: bool | None = None) -> dict[str, float]:
    paths = []
    t = time.perf_counter()
    for k in range(stores):
        p = d / f"dev{k}.sqlite"
        build_store(p, survey="B", device=f"dev{k}", interviewer=f"w{k}", n=n, first=k * n,
                    n_q=n_q)
        paths.append(p)
    built = time.perf_counter() - t
    t = time.perf_counter()
    res = merge_stores(paths, d / "central.sqlite", check=check)
    took = time.perf_counter() - t
    t = time.perf_counter()
    again = merge_stores(paths, d / "central.sqlite", check=check)
    took2 = time.perf_counter() - t
    # the other path: into an existing central store, one transaction per source
    half = stores // 2
    merge_stores(paths[:half], d / "central2.sqlite", check=check)
    t = time.perf_counter()
    merge_stores(paths[half:], d / "central2.sqlite", check=check)
    took3 = time.perf_counter() - t
    return {"stores": stores, "interviews_each": n, "answers": n_q,
            "events_merged": sum(s.events_new for s in res.sources), "build_s": built,
            "merge_s": took, "remerge_s": took2, "half": half, "into_existing_s": took3,
            "new_on_remerge": sum(s.events_new for s in again.sources)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", nargs="?", default="all",
                    choices=("set_answer", "export", "merge", "all"))
    ap.add_argument("--dir", help="work directory (default: a temp dir on this disk)")
    ap.add_argument("--n", type=int, help="override the size (interviews)")
    ap.add_argument("--answers", type=int, default=N_Q, help="answers per interview (merge)")
    ap.add_argument("--check", choices=("auto", "yes", "no"), default="auto",
                    help="quick_check each merge source (auto: sources under 64 MB)")
    args = ap.parse_args(argv)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-store-",
                                                                  dir=Path.cwd()))
    base.mkdir(parents=True, exist_ok=True)
    try:
        if args.which in ("set_answer", "all"):
            r = bench_set_answer(base)
            print(f"set_answer: n={r['n']} p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                  f"max {r['max_ms']:.1f} ms (target p99 <= 5 ms)", flush=True)
        if args.which in ("export", "all"):
            r = bench_export(base, args.n or 100_000)
            print(f"export: {r['interviews']} interviews x {N_Q} answers to Parquet "
                  f"(interviews table) in {r['interviews_s']:.1f} s (target <= 30 s); all "
                  f"tables incl. {r['paradata_rows']} paradata rows in {r['export_s']:.1f} s; "
                  f"store {r['size_mb']:.0f} MB, build {r['build_s']:.0f} s", flush=True)
        if args.which in ("merge", "all"):
            check = {"auto": None, "yes": True, "no": False}[args.check]
            r = bench_merge(base, n=args.n or 5000, n_q=args.answers, check=check)
            print(f"merge: {r['stores']} stores x {r['interviews_each']} interviews x "
                  f"{r['answers']} (check={args.check}) "
                  f"answers ({r['events_merged']} events) in {r['merge_s']:.1f} s (target "
                  f"<= 30 s; re-merge {r['remerge_s']:.1f} s, {r['new_on_remerge']} new; build "
                  f"{r['build_s']:.0f} s)", flush=True)
            print(f"merge into an existing central store (one transaction per source): "
                  f"{r['stores'] - r['half']} stores into one holding {r['half']} in "
                  f"{r['into_existing_s']:.1f} s", flush=True)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
