"""Row checks of a communities table before stage 1: blank rows, ids, total rows.

Frames typed or exported by hand carry rows that are not units: blank rows (kept by the
reader so that row numbers stay those of the file), a missing id, the same id twice, and a
total or subtotal row (合计, 小计, Total) whose size is the sum of the others -- drawn, it
would be a certainty unit that does not exist. Blank rows are skipped; the others are
refused naming their file rows, since only the user knows what the row should be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.design import Design

__all__ = ["blank_rows", "check_rows", "place"]

#: Cell texts (spaces removed, case folded) that mark a total or subtotal row.
TOTAL_WORDS = frozenset({
    "合计", "总计", "小计", "共计", "合計", "總計", "小計", "共計", "total", "totals",
    "grandtotal", "subtotal", "sum", "overalltotal", "gesamt", "totale", "totaal",
})


def _mask(values: pd.Series) -> np.ndarray:
    """A writable boolean array of a (possibly nullable) boolean series; NA is True."""
    return np.array(values.fillna(True).to_numpy(dtype=bool), dtype=bool)


def _empty(values: pd.Series) -> np.ndarray:
    """True where a cell is missing or only spaces."""
    empty = np.array(values.isna().to_numpy(dtype=bool), dtype=bool)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        empty |= _mask(values.astype("string").str.strip() == "")
    return empty


def blank_rows(table: pd.DataFrame) -> np.ndarray:
    """True for rows whose every cell is empty (missing or only spaces)."""
    if table.shape[1] == 0:
        return np.ones(len(table), dtype=bool)
    blank = np.ones(len(table), dtype=bool)
    for col in table.columns:
        blank &= _empty(table[col])
    return blank


def place(table: pd.DataFrame, pos: int, id_column: str) -> str:
    """``row N`` of the file the table was read from, else ``community 'x'``."""
    first = table.attrs.get("first_row")
    if first is not None:
        return f"row {int(pos) + int(first)}"
    return f"community {table[id_column].iloc[int(pos)]!r}"


def _fail(table: pd.DataFrame, design: Design, message: str, *, field: str, got: str,
          expected: str, hint: str) -> DesignError:
    return DesignError(message, file=table.attrs.get("source") or design.source,
                       sheet=table.attrs.get("sheet"), field=field,
                       got=got, expected=expected, hint=hint)


def check_rows(table: pd.DataFrame, design: Design, blank: np.ndarray,
               sizes: np.ndarray | None) -> None:
    """Refuse rows without an id, ids used twice and total rows (see the module docstring).

    Parameters
    ----------
    table
        The communities table (``attrs`` ``source``/``first_row`` name its file rows).
    design
        The design (its stage-1 id).
    blank
        Rows to skip (from :func:`blank_rows`).
    sizes
        The measure of size read as numbers (None without one).
    """
    cid = design.stage1.id
    ids = table[cid]
    no_id = np.flatnonzero(_empty(ids) & ~blank)
    if no_id.size:
        rows = ", ".join(place(table, p, cid) for p in no_id[:5])
        raise _fail(table, design, f"{no_id.size} rows have no community id", field=cid,
                    got=rows + (" ..." if no_id.size > 5 else ""),
                    expected="an id in every row that is a community",
                    hint="Fill in the ids, or delete the rows that are not communities "
                         "(notes, totals)")
    _check_totals(table, design, blank, sizes)
    key = ids.astype("string").str.strip()
    dup = np.array(key.duplicated(keep=False).to_numpy(dtype=bool)) & ~blank
    if dup.any():
        first = np.flatnonzero(dup)[0]
        same = np.flatnonzero(dup & _mask(key == key.iloc[first]))
        named = [place(table, p, cid) if "first_row" in table.attrs else
                 f"table row {int(p) + 1}" for p in same[:5]]
        twins = table.iloc[same[:2]]
        identical = bool(twins.iloc[0].equals(twins.iloc[1]))
        n_ids = int(key[dup].nunique())
        raise _fail(table, design,
                    f"community id {key.iloc[first]!r} appears "
                    + ("twice" if same.size == 2 else f"{same.size} times")
                    + (f" ({n_ids} ids appear more than once)" if n_ids > 1 else ""),
                    field=cid, got=", ".join(named),
                    expected="each community once, with its own id",
                    hint="The rows are identical: delete the repeats" if identical else
                    "The rows differ: give each community its own id, or merge the rows")


def _check_totals(table: pd.DataFrame, design: Design, blank: np.ndarray,
                  sizes: np.ndarray | None) -> None:
    cid = design.stage1.id
    word = np.zeros(len(table), dtype=bool)
    for col in table.columns:
        values = table[col]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        text = (values.astype("string").str.normalize("NFKC").str.replace(r"\s+", "",
                                                                           regex=True)
                .str.casefold())
        word |= np.array(text.isin(TOTAL_WORDS).fillna(False).to_numpy(dtype=bool))
    sums = np.zeros(len(table), dtype=bool)
    if sizes is not None:
        ok = np.isfinite(sizes) & ~blank
        if ok.sum() >= 6:
            total = sizes[ok].sum()
            others = total - sizes
            sums = ok & (sizes > 0) & np.isclose(sizes, others, rtol=1e-9, atol=0.5)
            # without a word, only the first or last row is taken for a total
            kept = np.flatnonzero(~blank)
            ends = np.zeros(len(table), dtype=bool)
            ends[[kept[0], kept[-1]]] = True
            sums &= ends
    bad = np.flatnonzero((word | sums) & ~blank)
    if bad.size:
        pos = bad[0]
        why = []
        if word[pos]:
            cells = [str(v) for v in table.iloc[pos].tolist()
                     if isinstance(v, str) and v.strip()]
            why.append(f"it says {cells[0]!r}" if cells else "it is marked as a total")
        if sums[pos] and sizes is not None:
            why.append(f"its size {sizes[pos]:g} is the sum of all the other rows")
        raise _fail(table, design,
                    f"{place(table, pos, cid)} looks like a total row, not a community "
                    f"({' and '.join(why)})", field=cid,
                    got=", ".join(place(table, p, cid) for p in bad[:5]),
                    expected="one row per community, without total or subtotal rows",
                    hint="Delete the total and subtotal rows from the frame (a total drawn "
                         "as a community would be a certainty unit that does not exist)")
