"""Sample files and the design summary.

A sample is written as CSV (UTF-8 with BOM, so Excel opens Chinese text correctly) and
Parquet, each atomically (:mod:`fieldsurvey.io.atomic`), plus ``<name>.summary.json`` and
``<name>.summary.txt``: the units per stratum, the expected interviews and the range of
base weights. The same sample gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import InputError
from fieldsurvey.sampling.design import Design

__all__ = ["read_sample", "release_history", "sample_paths", "sample_summary", "summary_text",
           "unlisted_warning",
           "write_sample"]


def sample_paths(base: str | Path) -> dict[str, Path]:
    """The files of a sample named ``base`` (a suffix .csv/.parquet is removed)."""
    base = Path(base)
    if base.suffix.lower() in (".csv", ".parquet"):
        base = base.with_suffix("")
    return {
        "csv": base.with_name(base.name + ".csv"),
        "parquet": base.with_name(base.name + ".parquet"),
        "json": base.with_name(base.name + ".summary.json"),
        "txt": base.with_name(base.name + ".summary.txt"),
        "history": base.with_name(base.name + ".releases.json"),
    }


def release_history(base: str | Path, batch: int, communities: Mapping[str, int], *,
                    note: str = "", when: dt.datetime | None = None,
                    out: str | Path | None = None) -> dict[Path, str]:
    """The release history to write with a released sample (``write_sample(extra=...)``).

    The history of the sample ``base`` (a JSON list, one entry per batch) plus this batch,
    as ``{path of out's history: text}`` (``out`` defaults to ``base``).
    """
    src = sample_paths(base)["history"]
    history: list[Any] = []
    if src.exists():
        try:
            history = json.loads(src.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError("the sample's release history is not readable JSON", file=str(src),
                             got=str(exc), hint="Restore it from a backup, or move it away to "
                             "start a new history") from None
        if not isinstance(history, list):
            raise InputError("the sample's release history is not a list of batches",
                             file=str(src))
    history.append({
        "batch": int(batch),
        "time": (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "communities": {str(c): int(k) for c, k in communities.items()},
        "note": note,
    })
    target = sample_paths(out if out is not None else base)["history"]
    return {target: json.dumps(history, ensure_ascii=False, indent=2) + "\n"}


def sample_summary(sample: pd.DataFrame, design: Design | None = None) -> dict[str, Any]:
    """Units per stratum, expected interviews and the range of weights (JSON-ready)."""
    released = sample["released"].to_numpy(dtype=bool)
    two_stage = "eligible_n" in sample.columns
    strata = []
    for label, part in sample.groupby("stratum", sort=True, observed=True):
        rel = part["released"].to_numpy(dtype=bool)
        row: dict[str, Any] = {"stratum": str(label),
                               "communities": int(part["community_id"].nunique())}
        if "certainty" in part.columns:
            row["certainty"] = int(part["certainty"].sum())
        if two_stage:
            row["dwellings_released"] = int(rel.sum())
            row["reserve_waiting"] = int((~rel).sum())
        strata.append(row)
    w = sample.loc[released, "base_weight"].to_numpy(dtype=np.float64)
    w = w[np.isfinite(w)]
    out: dict[str, Any] = {
        "seed": sample.attrs.get("seed"),
        "stage": sample.attrs.get("stage"),
        "design": None if design is None else (design.name or design.source),
        "communities": int(sample["community_id"].nunique())
        + len(sample.attrs.get("no_eligible", [])),
        "strata": strata,
    }
    if two_stage:
        out["dwellings_released"] = int(released.sum())
        out["reserve_waiting"] = int((~released).sum())
        out["expected_interviews"] = int(released.sum())
        out["expected_interviews_note"] = ("one interview per released dwelling at full "
                                           "eligibility and response; multiply by the "
                                           "expected rates")
        out["no_eligible"] = list(sample.attrs.get("no_eligible", []))
        if "segment" in sample.columns:
            out["segmented_communities"] = int(
                sample.loc[sample["segment"].notna(), "community_id"].nunique())
    unlisted = list(sample.attrs.get("unlisted") or [])
    if unlisted:
        out["unlisted_communities"] = unlisted
        out["unlisted_registered_households"] = int(sum(u.get("registered") or 0
                                                        for u in unlisted))
    if w.size:
        out["weights"] = {"min": float(w.min()), "max": float(w.max()),
                          "ratio": float(w.max() / w.min()), "sum": float(w.sum())}
    return out


def summary_text(summary: dict[str, Any]) -> str:
    """A readable rendering of :func:`sample_summary`."""
    lines = [f"seed {summary['seed']}  stage {summary['stage']}  "
             f"communities {summary['communities']}"]
    for row in summary["strata"]:
        extra = "  ".join(f"{k.replace('_', ' ')} {v}" for k, v in row.items() if k != "stratum")
        lines.append(f"  stratum {row['stratum']}: {extra}")
    if "dwellings_released" in summary:
        lines.append(f"dwellings released {summary['dwellings_released']}, reserve waiting "
                     f"{summary['reserve_waiting']}, segmented communities "
                     f"{summary.get('segmented_communities', 0)}")
        lines.append(f"expected interviews {summary['expected_interviews']} "
                     f"({summary['expected_interviews_note']})")
        if summary.get("no_eligible"):
            lines.append(f"WARNING: {len(summary['no_eligible'])} selected communities have no "
                         f"eligible dwelling: {', '.join(summary['no_eligible'])}")
    warning = unlisted_warning(summary)
    if warning:
        lines.append(warning)
    if "weights" in summary:
        wt = summary["weights"]
        lines.append(f"base weights {wt['min']:.4g} to {wt['max']:.4g} "
                     f"(ratio {wt['ratio']:.3g}), sum {wt['sum']:.6g}")
    return "\n".join(lines) + "\n"


def unlisted_warning(summary: dict[str, Any]) -> str:
    """The warning for communities a one-shot draw could not select ("" when none)."""
    unlisted = summary.get("unlisted_communities") or []
    if not unlisted:
        return ""
    named = ", ".join(f"{u['community_id']}" + (f" {u['name']}" if u.get("name") else "")
                      + f" ({u.get('registered')})" for u in unlisted[:10])
    more = f" and {len(unlisted) - 10} more" if len(unlisted) > 10 else ""
    return (f"WARNING: {len(unlisted)} communities with a boundary and registered households "
            f"but no listed dwelling could not be drawn (pi = 0), "
            f"{summary.get('unlisted_registered_households', 0):,} registered households "
            f"of coverage lost: {named}{more}. To keep them, draw in two phases: stage 1 "
            "from the boundaries (sample draw --stage 1 --communities ...), list the "
            "selected communities, then stage 2 (sample draw --stage 2 --selected ...).")


def write_sample(sample: pd.DataFrame, base: str | Path,
                 design: Design | None = None,
                 extra: Mapping[Path, str] | None = None) -> dict[str, Path]:
    """Write the sample (CSV with BOM, Parquet), its summary and any ``extra`` text files.

    The files (``extra``: path -> UTF-8 text) are written atomically and together: a failed or
    interrupted run leaves every
    file as it was, never a new CSV beside an old Parquet. Return the paths written. The
    release history is one of the ``extra`` files once a reserve batch is released; a
    sample written without it is a new draw, so an older draw's history is removed.
    """
    paths = sample_paths(base)
    buf = io.StringIO()
    sample.to_csv(buf, index=False, lineterminator="\n")
    summary = sample_summary(sample, design)
    texts = {paths["csv"]: "\ufeff" + buf.getvalue(),
             paths["json"]: json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
             paths["txt"]: summary_text(summary), **(extra or {})}
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(paths["parquet"]))
        table = _arrow_safe(sample.copy())
        table.attrs = {}
        table.to_parquet(tmp, index=False)
        for target, text in texts.items():
            stack.enter_context(atomic_path(target)).write_text(text, encoding="utf-8")
    if paths["history"] not in texts:  # a new draw: an older draw's releases are void
        paths["history"].unlink(missing_ok=True)
        del paths["history"]
    return paths


def _arrow_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Frame columns of mixed cell types (a workbook column of numbers and text) as text.

    Parquet needs one type per column; the CSV keeps the cells as they were written.
    """
    import pyarrow as pa

    for col in table.columns:
        if table[col].dtype != object:
            continue
        try:
            pa.array(table[col], from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            values = table[col]
            table[col] = values.map(lambda v: v if v is None or v is pd.NA or (
                isinstance(v, float) and v != v) else str(v)).astype("string")
    return table


def read_sample(path: str | Path) -> pd.DataFrame:
    """Read a sample written by :func:`write_sample` (Parquet preferred, else CSV)."""
    path = Path(path)
    paths = sample_paths(path)
    src = paths["parquet"] if paths["parquet"].exists() and path.suffix != ".csv" else paths["csv"]
    if not src.exists():
        raise InputError("the sample file does not exist", file=str(path),
                         hint="Give the .parquet or .csv written by 'fieldsurvey sample draw'")
    if src.is_dir():
        raise InputError("this is a directory, not a sample file", file=str(src),
                         hint="Give the .parquet or .csv written by 'fieldsurvey sample draw'")
    with open(src, "rb") as fh:
        parquet = fh.read(4) == b"PAR1"  # by content: a renamed file is read as what it is
    try:
        if parquet:
            sample = pd.read_parquet(src)
        else:
            try:
                sample = pd.read_csv(src, encoding="utf-8-sig",
                                     dtype={"community_id": str, "dwelling_id": str})
            except UnicodeDecodeError:  # saved again by Excel/WPS in GBK
                sample = pd.read_csv(src, encoding="gb18030",
                                     dtype={"community_id": str, "dwelling_id": str})
    except (ValueError, OSError) as exc:
        raise InputError("the sample file cannot be read", file=str(src), got=str(exc)[:160],
                         hint="Give the .parquet or .csv written by 'fieldsurvey sample draw' "
                         "(a CSV in UTF-8 or GBK)") from exc
    if paths["json"].exists():
        try:
            summary = json.loads(paths["json"].read_text("utf-8"))
            sample.attrs.update({k: summary.get(k) for k in ("seed", "stage")})
            if summary.get("no_eligible"):
                sample.attrs["no_eligible"] = summary["no_eligible"]
            if summary.get("unlisted_communities"):
                sample.attrs["unlisted"] = summary["unlisted_communities"]
        except (ValueError, OSError):
            pass
    return sample
