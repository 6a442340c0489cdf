"""Stage 1: communities drawn within strata.

For each stratum h (labels of the ``[stratify] by`` attributes, joined by ``/``; ``all``
without stratification) the communities are put in the design's ``sort`` order (then by
id), n_h is taken from the table or allocated (:mod:`.allocate`), and the stratum's
communities are drawn with the stage-1 method from the stratum's own random stream:

- ``srs``, ``systematic``: pi_i = n_h / N_h;
- ``pps_systematic``, ``pps_brewer``: pi_i = n_h M_i / M_h with certainty units taken out
  iteratively (:func:`.pps.inclusion_probabilities`);
- ``take_all``: pi_i = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fieldsurvey.io.errors import ColumnError, DesignError
from fieldsurvey.sampling import pps
from fieldsurvey.sampling._streams import STAGE1, stream
from fieldsurvey.sampling.allocate import allocate, allocation_weights, check_table
from fieldsurvey.sampling.design import Design
from fieldsurvey.sampling.measure import parse_measure
from fieldsurvey.sampling.rows import blank_rows, check_rows, place
from fieldsurvey.sampling.srs import srs_draw
from fieldsurvey.sampling.systematic import systematic_draw

__all__ = [
    "StratumPlan", "joint_probabilities", "plan_stage1", "select_communities", "stratum_labels",
]

UNSTRATIFIED = "all"


@dataclass(frozen=True)
class StratumPlan:
    """One stratum ready to draw: its communities in order, n_h and their pi."""

    label: str
    rows: np.ndarray
    """Row positions (in the communities table) of the stratum's units, in sort order."""
    n: int
    pi: np.ndarray


def _require(table: pd.DataFrame, column: str, key: str, design: Design) -> None:
    if column not in table.columns:
        raise ColumnError(f"the design names a column the frame does not have ({key})",
                          file=design.source, field=key, got=column,
                          expected="one of " + ", ".join(map(str, table.columns)))


def stratum_labels(table: pd.DataFrame, design: Design,
                   skip: np.ndarray | None = None) -> np.ndarray:
    """The stratum label of every row (``a/b`` for several stratifiers).

    Rows in ``skip`` (blank rows) are not checked; their label is meaningless.
    """
    if not design.stratify:
        return np.full(len(table), UNSTRATIFIED, dtype=object)
    parts = []
    for col in design.stratify:
        _require(table, col, "stratify.by", design)
        values = table[col]
        missing = np.array(values.isna().to_numpy(dtype=bool), dtype=bool)
        if skip is not None:
            missing &= ~skip
        if missing.any():
            where = np.flatnonzero(missing)
            shown = ", ".join(place(table, p, design.stage1.id) for p in where[:5])
            raise DesignError(f"{where.size} communities have no value of the stratifier "
                              f"{col!r}", file=table.attrs.get("source") or design.source,
                              sheet=table.attrs.get("sheet"),
                              field=col, got=shown + (" ..." if where.size > 5 else ""),
                              hint="Fill in the stratum of every community")
        parts.append(values.astype(str).to_numpy(dtype=object))
    if len(parts) == 1:
        return parts[0]
    return np.array(["/".join(p) for p in zip(*parts, strict=True)], dtype=object)


def _sizes(table: pd.DataFrame, design: Design, skip: np.ndarray) -> np.ndarray | None:
    s1 = design.stage1
    if s1.size is None:
        return None
    _require(table, s1.size, "stage1.size", design)
    measure = parse_measure(table[s1.size])
    sizes = measure.values
    problems = [("not a number", measure.unreadable), ("empty or NA", measure.missing),
                ("negative", sizes < 0), ("infinite", np.isinf(sizes))]
    if s1.zero_size == "error":
        problems.append(("zero", sizes == 0))
    problems = [(what, mask & ~skip) for what, mask in problems]
    if any(mask.any() for _, mask in problems):
        raise _size_error(table, design, problems, sizes)
    return sizes


def _size_error(table: pd.DataFrame, design: Design, problems: list[tuple[str, np.ndarray]],
                sizes: np.ndarray) -> DesignError:
    """One paragraph naming the rows (or communities) whose size cannot be used."""
    s1 = design.stage1
    assert s1.size is not None
    source = table.attrs.get("source")
    raw = table[s1.size].to_numpy()
    parts, bad_total = [], 0
    for what, mask in problems:
        where = np.flatnonzero(mask)
        if not where.size:
            continue
        bad_total += where.size
        shown = []
        for pos in where[:4]:
            where_ = place(table, pos, s1.id)
            value = raw[pos]
            text = repr(value) if what == "not a number" else f"{sizes[pos]:g}"
            shown.append(where_ if what == "empty or NA" else f"{text} at {where_}")
        more = f" and {where.size - 4} more" if where.size > 4 else ""
        parts.append(f"{where.size} {what} ({', '.join(shown)}{more})")
    kinds = {what for what, mask in problems if mask.any()}
    hints = []
    if "not a number" in kinds:
        hints.append("write each size as a plain number (thousands separators are fine)")
    if "empty or NA" in kinds or "negative" in kinds or "infinite" in kinds:
        hints.append("fill in the sizes, or take the communities that no longer exist "
                     "out of the frame")
    if "zero" in kinds:
        hints.append("set stage1.zero_size = \"exclude\" in the design to leave "
                     "zero-size communities out of the draw (they then have pi = 0)")
    hint = "; ".join(hints)
    return DesignError(
        f"{bad_total} communities have no usable measure of size in column {s1.size!r}",
        file=source or design.source, sheet=table.attrs.get("sheet"), field=s1.size,
        got="; ".join(parts),
        expected=("a number of at least 0" if s1.zero_size == "exclude" else
                  "a positive number") + " for every community",
        hint=hint[:1].upper() + hint[1:])


def _sort_order(table: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray:
    """Row positions in the order of ``keys`` (stable; missing values last)."""
    try:
        names = list(dict.fromkeys(keys))
        arrow = pa.table({k: pa.array(table[k], from_pandas=True) for k in names})
        spec = [(k, "ascending") for k in names]
        order: np.ndarray = pc.sort_indices(arrow, sort_keys=spec).to_numpy()  # nulls last
        return order
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass  # mixed types in a column: order by the text of the values
    order = np.arange(len(table))
    for key in reversed(keys):
        codes = pd.factorize(table[key].iloc[order].astype("string"), sort=True)[0]
        order = order[np.argsort(np.where(codes < 0, len(table), codes), kind="stable")]
    return order


def plan_stage1(table: pd.DataFrame, design: Design) -> list[StratumPlan]:
    """Strata, their order, n_h and the inclusion probabilities of every community."""
    s1 = design.stage1
    _require(table, s1.id, "stage1.id", design)
    blank = blank_rows(table)
    if len(table) == 0 or blank.all():
        raise DesignError("the frame has no communities", file=design.source, field=s1.id)
    sizes = _sizes(table, design, blank)
    check_rows(table, design, blank, sizes)
    labels = stratum_labels(table, design, skip=blank)
    for col in s1.sort:
        _require(table, col, "stage1.sort", design)
    order = _sort_order(table, (*s1.sort, s1.id))
    order = order[~blank[order]]  # blank rows are not communities
    uniq = sorted(set(labels[order].tolist()))
    rows = [order[labels[order] == h] for h in uniq]
    drawable = [r if sizes is None or not s1.is_pps else r[sizes[r] > 0] for r in rows]
    capacity = np.array([r.size for r in drawable])
    if s1.method == "take_all":
        n_h = np.array([r.size for r in rows])
    elif s1.n_table is not None:
        n_h = check_table(dict(s1.n_table), uniq, capacity, design.source,
                          "the communities it has with a size above 0" if s1.is_pps and
                          sizes is not None else "the communities it has")
    else:
        totals = None if sizes is None else np.array([sizes[r].sum() for r in rows])
        sd = None
        if s1.allocation == "neyman":
            if isinstance(s1.sd, str):
                _require(table, s1.sd, "stage1.sd", design)
                vals = parse_measure(table[s1.sd]).values
                sd = np.array([np.nanstd(vals[r], ddof=1) if r.size > 1 else 0.0
                               for r in rows])
            else:
                given = dict(s1.sd or ())
                check_table({k: 0 for k in given}, uniq, capacity, design.source)
                sd = np.array([given.get(h, 0.0) for h in uniq])
            sd = np.nan_to_num(sd)
        weights = allocation_weights(s1.allocation, capacity, totals, sd, s1.power)
        assert s1.n is not None
        n_h = allocate(s1.n, weights, capacity, s1.minimum, uniq, design.source)
    plans = []
    for h, r, n in zip(uniq, rows, n_h, strict=True):
        if s1.method == "take_all":
            pi = np.ones(r.size)
        elif s1.is_pps:
            assert sizes is not None
            pi = pps.inclusion_probabilities(sizes[r], int(n))
        else:
            pi = np.full(r.size, n / r.size)
        plans.append(StratumPlan(label=h, rows=r, n=int(n), pi=pi))
    return plans


def draw_stratum(plan: StratumPlan, method: str, rng: np.random.Generator,
                 reps: int = 1) -> np.ndarray:
    """Positions (within ``plan.rows``) drawn in ``reps`` replications, shape (reps, n)."""
    N, n = plan.rows.size, plan.n
    if method == "take_all" or n == N:
        return np.broadcast_to(np.arange(N), (reps, N))
    if method == "srs":
        return srs_draw(N, n, rng, reps)
    if method == "systematic":
        return systematic_draw(N, n, rng, reps)
    if method == "pps_systematic":
        return pps.pps_systematic_draw(plan.pi, rng, reps)
    if method == "pps_brewer":
        return pps.brewer_draw(plan.pi, rng, reps)
    raise ValueError(f"unknown stage-1 method {method!r}")


def select_communities(table: pd.DataFrame, design: Design, seed: int) -> pd.DataFrame:
    """Draw stage 1; one row per selected community, in stratum and sort order.

    Returns the rows of ``table`` preceded by ``stratum``, ``stage1_line`` (1-based within
    stratum), ``certainty`` and ``pi_1``.
    """
    rows, labels, lines, pis = [], [], [], []
    for plan in plan_stage1(table, design):
        if plan.n == 0:
            continue
        got = draw_stratum(plan, design.stage1.method, stream(seed, STAGE1, plan.label))[0]
        got = np.sort(got)
        rows.append(plan.rows[got])
        labels.append(np.full(got.size, plan.label, dtype=object))
        lines.append(np.arange(1, got.size + 1))
        pis.append(plan.pi[got])
    if not pis:
        rows, labels, lines, pis = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=object)], \
            [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    pi = np.concatenate(pis)
    head = pd.DataFrame({
        "stratum": pd.array(np.concatenate(labels), dtype="string"),
        "stage1_line": np.concatenate(lines),
        "certainty": pi >= pps.CERTAIN,
        "pi_1": pi,
    })
    take = np.concatenate(rows)
    for col in table.columns:
        if col not in head.columns:
            head[col] = table[col].array.take(take)
    return head


def joint_probabilities(table: pd.DataFrame, design: Design) -> dict[str, pd.DataFrame]:
    """Stage-1 joint inclusion probabilities per stratum, labelled by community id.

    Returns ``{stratum: DataFrame}``, each square with the stratum's community ids as
    index and columns (in the design's sort order) and pi_ij as values (pi_ii = pi_i).
    Communities of different strata are drawn independently: pi_ij = pi_i pi_j.
    """
    from fieldsurvey.sampling.joint import joint_inclusion

    ids = table[design.stage1.id].to_numpy()
    out = {}
    for plan in plan_stage1(table, design):
        matrix = joint_inclusion(plan.pi, design.stage1.method)
        labels = ids[plan.rows]
        out[plan.label] = pd.DataFrame(matrix, index=labels, columns=labels)
    return out
