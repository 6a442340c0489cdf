"""Fieldwork status: per community and interviewer, how far the cases have got.

Counts come from each case's current final disposition (the rule of
:mod:`fieldsurvey.store.dispositions`), so a case counts once, by its most informative
outcome so far. Columns:

``issued``        cases issued (released sample lines)
``attempted``     cases with at least one contact attempt or interview
``completed``     complete interviews (1.1) · ``partial`` partial interviews (1.2)
``refused``       refusals and break-offs (2.1x) · ``non_contact`` (2.2x)
``other``         other eligible non-interviews (2.3x, 2.9)
``unknown``       attempted, eligibility still unknown (3.x)
``ineligible``    not eligible (4.x: vacant, business, no eligible person ...)
``not_attempted`` issued but never visited
``response_rate`` the current AAPOR RR1 = completed / (issued − ineligible): cases not
                  yet finalised count as unknown eligibility with e = 1, so the rate only
                  grows as fieldwork goes on and ends at the final RR1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.queries import dispositions, query_frame
from fieldsurvey.store.store import FieldStore

__all__ = ["COUNT_COLUMNS", "progress_table"]

COUNT_COLUMNS: tuple[str, ...] = ("issued", "attempted", "completed", "partial", "refused",
                                  "non_contact", "other", "unknown", "ineligible",
                                  "not_attempted")
_BY = {"community": ["community_id"], "interviewer": ["interviewer"],
       "both": ["community_id", "interviewer"]}


def progress_table(store: FieldStore | str | Path, by: str = "both") -> pd.DataFrame:
    """Progress counts and the current response rate per group, with an overall row.

    Parameters
    ----------
    store
        A :class:`FieldStore` or a store path (opened read-only; a writer may go on).
    by
        ``community``, ``interviewer`` or ``both`` (community × interviewer).

    Returns
    -------
    pandas.DataFrame
        The group columns, :data:`COUNT_COLUMNS` and ``response_rate``; the last row is
        the total (group columns ``"(all)"``).
    """
    if by not in _BY:
        raise StoreError("unknown grouping for progress", field="by",
                         expected=" / ".join(_BY), got=repr(by))
    close = not isinstance(store, FieldStore)
    st = store if isinstance(store, FieldStore) else FieldStore.open(store, readonly=True)
    try:
        conn = st.connection
        conn.execute("BEGIN")
        try:
            cases = query_frame(conn, "SELECT dwelling_id, community_id, interviewer, "
                               "coalesce(released, 1) AS released FROM assignments")
            worked = query_frame(conn, "SELECT DISTINCT dwelling_id FROM attempts UNION "
                                "SELECT DISTINCT dwelling_id FROM interviews")
            disp = dispositions(conn)
        finally:
            conn.execute("COMMIT")
    finally:
        if close:
            st.close()
    keys = _BY[by]
    cases = cases[cases["released"].astype(int) == 1]
    df = cases.merge(disp[["dwelling_id", "disposition", "category"]], on="dwelling_id",
                     how="left")
    df["attempted"] = df["dwelling_id"].isin(set(worked["dwelling_id"]))
    cat = df["category"]
    flags = {
        "issued": np.ones(len(df), dtype=bool),
        "attempted": df["attempted"].to_numpy(),
        "completed": (cat == "I").to_numpy(),
        "partial": (cat == "P").to_numpy(),
        "refused": (cat == "R").to_numpy(),
        "non_contact": (cat == "NC").to_numpy(),
        "other": (cat == "O").to_numpy(),
        "unknown": (cat.isin(["UH", "UO"]) & df["attempted"]).to_numpy(),
        "ineligible": (cat == "NE").to_numpy(),
        "not_attempted": ~df["attempted"].to_numpy(),
    }
    counts = pd.DataFrame({k: v.astype(np.int64) for k, v in flags.items()})
    for k in keys:
        counts[k] = df[k].to_numpy()
    table = counts.groupby(keys, sort=True)[list(COUNT_COLUMNS)].sum().reset_index()
    total = counts[list(COUNT_COLUMNS)].sum().to_frame().T
    for k in keys:
        total[k] = "(all)"
    table = pd.concat([table, total[keys + list(COUNT_COLUMNS)]], ignore_index=True)
    for c in COUNT_COLUMNS:
        table[c] = table[c].astype(np.int64)
    denom = (table["issued"] - table["ineligible"]).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["response_rate"] = np.where(denom > 0, table["completed"] / denom, np.nan)
    return table
