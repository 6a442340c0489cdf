"""The multi-stage driver: communities (stage 1), then dwellings (stage 2), then Kish tables.

:func:`draw_sample` is the library call behind ``fieldsurvey sample draw``. It works on a
communities table (a design with only ``[stage1]``, or ``stage=1``) or on a dwelling frame
whose community attributes (measure of size, stratifiers) are columns constant within
each community. ``stage=2`` with ``selected=`` draws dwellings in communities chosen
earlier (two-phase); since every stratum and community has its own random stream
(:mod:`._streams`), the two-phase and one-shot draws give the same sample.

Output: :data:`fieldsurvey.io.schema.SAMPLE_COLUMNS`, then the bookkeeping columns
``eligible_n`` (N_i), ``segment_n`` (N_g) and ``pi_segment`` (P_g) that a reserve release
needs and ``certainty`` (community taken with pi_1 = 1: a stratum of its own for variance
estimation), then the frame columns of the selected units. A stage-1 sample has only
``certainty`` among them. ``pi = pi_1 · pi_2`` and
``base_weight = 1 / pi`` are the dwelling's; the respondent's factor (k, or the Kish
probability) is applied when weighting. Unreleased reserve rows have no pi_2, pi or weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, DesignError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.io.schema import SAMPLE_COLUMNS
from fieldsurvey.sampling._streams import STAGE2, TABLES, resolve_seed, stream
from fieldsurvey.sampling.design import Design, load_design
from fieldsurvey.sampling.eligible import eligible_mask
from fieldsurvey.sampling.kish import ROTATION, assign_kish_tables
from fieldsurvey.sampling.stage1 import select_communities
from fieldsurvey.sampling.stage2 import draw_within

__all__ = [
    "BOOKKEEPING_COLUMNS", "communities_from_frame", "draw_sample", "eligible_groups",
]

BOOKKEEPING_COLUMNS: tuple[str, ...] = ("eligible_n", "segment_n", "pi_segment", "certainty")
_DROP = {"geometry"}


def communities_from_frame(frame: pd.DataFrame, design: Design) -> pd.DataFrame:
    """One row per community of a dwelling frame, with the attributes the design uses.

    Raises
    ------
    DesignError
        When a used attribute (size, stratifier, sort key) varies within a community.
    """
    s1 = design.stage1
    if s1.id not in frame.columns:
        raise ColumnError("the frame has no community id column", field=s1.id,
                          file=design.source, hint="Set stage1.id to the community column")
    used = [c for c in dict.fromkeys((*design.stratify, *(s1.sort), s1.size,
                                      s1.sd if isinstance(s1.sd, str) else None))
            if c is not None and c != s1.id and c in frame.columns]
    codes, uniques = pd.factorize(frame[s1.id], sort=True)
    if (codes < 0).any():
        raise DesignError("some dwellings have no community id", field=s1.id,
                          file=design.source, hint="Assign every dwelling to a community")
    first = np.full(len(uniques), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    out = pd.DataFrame({s1.id: uniques})
    for col in used:
        values = frame[col]
        # compare factorized codes (NaN = -1): constant within community means equal to
        # the code of the community's first dwelling
        vcodes = pd.factorize(values)[0]
        same = vcodes == vcodes[first][codes]
        if not same.all():
            bad = uniques[codes[np.argmin(same)]]
            raise DesignError(f"attribute {col!r} varies within community {bad!r}",
                              field=col, file=design.source,
                              hint="Community attributes must be constant within a community")
        out[col] = values.take(first).to_numpy()
    return out


def draw_sample(
    frame: pd.DataFrame,
    design: str | Path | Mapping[str, Any] | Design,
    seed: int | None = None,
    *,
    stage: int | None = None,
    selected: pd.DataFrame | None = None,
    communities: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Draw a reproducible multi-stage sample.

    Parameters
    ----------
    frame
        A communities table (stage 1 only) or a dwelling frame (both stages, or stage 2).
    design
        TOML path, parsed mapping or :class:`~fieldsurvey.sampling.design.Design`.
    seed
        Overrides the design's seed; when both are None fresh entropy is drawn and recorded
        in ``result.attrs["seed"]``.
    stage
        None: every stage the design has; 1: communities only; 2: dwellings in the
        communities of ``selected``.
    selected
        Stage-1 sample (with ``community_id``, ``stratum`` and ``pi_1``) for ``stage=2``.
    communities
        Optional communities table for stage 1 of a two-stage draw. Without it the
        communities are taken from the dwelling frame, so a community with no listed
        dwelling is not part of the stage-1 population; with it, such a community can be
        drawn and stage 2 then fails naming it (list it first).
    progress
        Optional ``progress(step, done, total)`` callback.

    Returns
    -------
    pandas.DataFrame
        :data:`~fieldsurvey.io.schema.SAMPLE_COLUMNS`, bookkeeping columns, then frame columns.
        ``attrs`` holds ``seed``, ``stage`` and (two stages) ``no_eligible``, the selected
        communities without any eligible dwelling (they have no rows); a one-shot draw
        from a dwelling frame also ``unlisted``: the communities with a boundary and
        registered households but no listed dwelling, which could not be drawn (from the
        frame's self-check; draw in two phases to keep them, see the README).

    Raises
    ------
    DesignError, ColumnError
        For a design the frame cannot satisfy (named key, stratum or community).
    """
    d = load_design(design)
    seed = resolve_seed(seed if seed is not None else d.seed)
    if stage not in (None, 1, 2):
        raise DesignError("stage must be 1 or 2", field="stage", got=repr(stage))
    if stage == 2 and d.stage2 is None:
        raise DesignError("the design has no [stage2]", file=d.source, field="stage2")
    two_stage = d.stage2 is not None and stage != 1
    if stage == 2:
        if selected is None:
            raise DesignError("a stage-2 draw needs the stage-1 sample", field="selected",
                              hint="Pass the communities drawn at stage 1 (--selected)")
        chosen = _selected_from_file(selected, d)
    else:
        dwellings = two_stage or (d.stage2 is not None and "dwelling_id" in frame.columns)
        if communities is not None:
            table = communities
        else:
            table = communities_from_frame(frame, d) if dwellings else frame
        report(progress, "stage 1", 0, 1)
        chosen = select_communities(table, d, seed)
        report(progress, "stage 1", 1, 1)
    if not two_stage:
        out = _stage1_output(chosen, d)
    else:
        out = _stage2(frame, chosen, d, seed, progress)
    out.attrs["seed"] = seed
    out.attrs["stage"] = stage or (2 if two_stage else 1)
    if stage is None and communities is None and "dwelling_id" in frame.columns:
        # one-shot from the dwelling frame: communities with a boundary and a size but
        # no listed dwelling were not in the stage-1 population (pi = 0); say which
        out.attrs["unlisted"] = list(frame.attrs.get("unlisted_communities") or [])
    return out


def _selected_from_file(selected: pd.DataFrame, d: Design) -> pd.DataFrame:
    need = ["community_id", "stratum", "pi_1"]
    missing = [c for c in need if c not in selected.columns]
    if missing:
        raise ColumnError("the stage-1 sample lacks a column", field=missing[0],
                          expected=", ".join(need), hint="Give the file written by "
                          "'fieldsurvey sample draw --stage 1'")
    pi1 = pd.to_numeric(selected["pi_1"], errors="coerce")
    if pi1.isna().any() or ((pi1 <= 0) | (pi1 > 1)).any():
        raise ColumnError("the stage-1 sample has a pi_1 outside (0, 1]", field="pi_1")
    out = selected[need].copy()
    out["pi_1"] = pi1.astype(np.float64)
    out = out.drop_duplicates("community_id").reset_index(drop=True)
    return out.rename(columns={"community_id": d.stage1.id})


def _stage1_output(chosen: pd.DataFrame, d: Design) -> pd.DataFrame:
    n = len(chosen)
    pi1 = chosen["pi_1"].to_numpy(dtype=np.float64)
    missing_int = pd.array(np.zeros(n, dtype=np.int64), dtype="Int64", copy=True)
    missing_int[:] = pd.NA
    columns: dict[str, Any] = {
        "stratum": chosen["stratum"].astype("string").array,
        "community_id": chosen[d.stage1.id].array,
        "dwelling_id": pd.array([pd.NA] * n, dtype="string"),
        "line": pd.array(chosen["stage1_line"].to_numpy(), dtype="Int64"),
        "replicate": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
        "released": np.ones(n, dtype=bool),
        "release_batch": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
        "segment": missing_int,
        "kish_table": pd.array([pd.NA] * n, dtype="string"),
        "pi_1": pi1,
        "pi_2": np.full(n, np.nan),
        "pi": pi1.copy(),
        "base_weight": 1.0 / pi1,
        "certainty": chosen["certainty"].to_numpy(dtype=bool),
    }
    for col in chosen.columns:
        if col not in columns and col not in _DROP and col not in ("stage1_line", d.stage1.id):
            columns[col] = chosen[col].array
    return pd.DataFrame(columns)


def _stage2(frame: pd.DataFrame, chosen: pd.DataFrame, d: Design, seed: int,
            progress: Progress | None) -> pd.DataFrame:
    s2 = d.stage2
    assert s2 is not None
    cid = d.stage1.id
    needed = ((cid, "stage1.id"), ("dwelling_id", "dwelling_id"), (s2.order, "stage2.order"))
    for col, key in needed:
        if col not in frame.columns:
            raise ColumnError("the dwelling frame lacks a column the design needs",
                              field=key, got=col, file=d.source,
                              expected="a frame made by 'fieldsurvey frame build'")
    rows, counts, starts = eligible_groups(frame, chosen[cid], d)
    wanted = chosen[cid]
    rotation: list[str] = stream(seed, TABLES).permutation(
        np.array(ROTATION, dtype=object)).tolist()
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "take", "comm", "line", "replicate", "segment", "seg_n", "pi_seg", "elig", "table")}
    total = len(chosen)
    for i in range(total):
        N = int(counts[i])
        if N == 0:
            continue
        rng = stream(seed, STAGE2, wanted.iloc[i])
        w = draw_within(N, s2.m, s2.reserve, s2.method, s2.segment_size, rng)
        pos = w.positions[0]
        main = np.sort(pos[: w.main])
        pos = np.concatenate([main, pos[w.main:]])
        t = pos.size
        lines = np.arange(1, t + 1)
        cols["take"].append(rows[starts[i] + pos])
        cols["comm"].append(np.full(t, i))
        cols["line"].append(lines)
        cols["replicate"].append(np.maximum(lines - w.main, 0))
        cols["segment"].append(np.full(t, w.segment[0]))
        cols["seg_n"].append(np.full(t, w.segment_n[0]))
        cols["pi_seg"].append(np.full(t, w.pi_segment[0]))
        cols["elig"].append(np.full(t, N))
        if d.respondent.method == "kish":
            cols["table"].append(assign_kish_tables(lines, int(rng.integers(12)), rotation))
        if progress is not None and (i % 50 == 0 or i == total - 1):
            report(progress, "stage 2", i + 1, total)
    cat = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in cols.items()}
    out = _stage2_output(frame, chosen, d, cat)
    out.attrs["no_eligible"] = [str(c) for c in wanted[counts == 0]]
    return out


def eligible_groups(frame: pd.DataFrame, wanted: pd.Series,
                    d: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eligible dwellings of the ``wanted`` communities, grouped and in geographic order.

    Returns ``rows`` (frame positions), ``counts`` (N_i per wanted community) and
    ``starts`` (offsets of each community's block in ``rows``).
    """
    s2 = d.stage2
    assert s2 is not None
    ids = frame[d.stage1.id]
    if ids.dtype != wanted.dtype:
        ids, wanted = ids.astype(str), wanted.astype(str)
    rows = np.flatnonzero(ids.isin(wanted).to_numpy(dtype=bool))
    codes = pd.Index(wanted).get_indexer(ids.iloc[rows])
    present = np.bincount(codes, minlength=len(wanted))
    if (present == 0).any():
        bad = wanted.iloc[int(np.argmax(present == 0))]
        raise DesignError(f"selected community {bad!r} has no dwellings in the frame",
                          field=d.stage1.id, file=d.source,
                          hint="List the community and rebuild the frame before stage 2")
    ok = eligible_mask(frame.iloc[rows], s2.eligible, source=d.source)
    rows, sub_codes = rows[ok], codes[ok]
    order_vals = pd.to_numeric(frame[s2.order].iloc[rows], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    if np.isnan(order_vals).any():
        raise ColumnError("some dwellings have no geographic order", field=s2.order,
                          hint="Rebuild the frame so every dwelling has an order")
    # ties in the geographic order are broken by dwelling id, never by the file's row order
    tie = pd.factorize(frame["dwelling_id"].iloc[rows].astype("string"), sort=True)[0]
    perm = np.lexsort((tie, order_vals, sub_codes))
    rows, sub_codes = rows[perm], sub_codes[perm]
    counts = np.bincount(sub_codes, minlength=len(wanted))
    starts = np.concatenate([[0], np.cumsum(counts)])
    return rows, counts, starts


def _stage2_output(frame: pd.DataFrame, chosen: pd.DataFrame, d: Design,
                   cat: dict[str, np.ndarray]) -> pd.DataFrame:
    s2 = d.stage2
    assert s2 is not None
    n = cat["take"].size
    comm = cat["comm"].astype(np.int64)
    replicate = cat["replicate"].astype(np.int64)
    released = replicate == 0
    main_n = np.bincount(comm[released], minlength=len(chosen))[comm] if n else comm
    pi1 = chosen["pi_1"].to_numpy(dtype=np.float64)[comm]
    pi2 = np.where(released, cat["pi_seg"] * main_n / np.maximum(cat["seg_n"], 1), np.nan)
    segment = cat["segment"].astype(np.int64)
    dwell = frame.iloc[cat["take"]].reset_index(drop=True)
    table = (pd.array(cat["table"].astype(str), dtype="string") if cat["table"].size
             else pd.array([pd.NA] * n, dtype="string"))
    head = pd.DataFrame({
        "stratum": pd.array(chosen["stratum"].astype(str).to_numpy()[comm], dtype="string"),
        "community_id": dwell[d.stage1.id].to_numpy(),
        "dwelling_id": dwell["dwelling_id"].to_numpy(),
        "line": pd.array(cat["line"].astype(np.int64), dtype="Int64"),
        "replicate": pd.array(replicate, dtype="Int64"),
        "released": released,
        "release_batch": pd.array(np.where(released, 0, -1), dtype="Int64"),
        "segment": pd.array(np.where(segment >= 0, segment + 1, 0), dtype="Int64"),
        "kish_table": table,
        "pi_1": pi1,
        "pi_2": pi2,
        "pi": pi1 * pi2,
        "base_weight": 1.0 / (pi1 * pi2),
        "eligible_n": pd.array(cat["elig"].astype(np.int64), dtype="Int64"),
        "segment_n": pd.array(cat["seg_n"].astype(np.int64), dtype="Int64"),
        "pi_segment": cat["pi_seg"].astype(np.float64),
        "certainty": pi1 >= 1.0 - 1e-9,
    })
    head.loc[~released, "release_batch"] = pd.NA
    head.loc[segment < 0, "segment"] = pd.NA
    assert tuple(head.columns[: len(SAMPLE_COLUMNS)]) == SAMPLE_COLUMNS
    rest = dwell.drop(columns=[c for c in dwell.columns if c in head.columns or c in _DROP
                               or c == d.stage1.id])
    return pd.concat([head, rest], axis=1)
